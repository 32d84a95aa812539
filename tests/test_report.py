"""HTML reports rendered from a real DuckDB file holding the sample department of test_store.py."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

from pipeline.checklist import load_checklist
from pipeline.domain import CallResult, Manager
from pipeline.report import TEMPLATES, call_href, clock, manager_href, render_reports, slug
from pipeline.store import Store
from test_store import C1, XSS_NAME, failed_result, fill, ok_result, sample_results

CHECKLIST = Path(__file__).resolve().parent.parent / "checklists" / "sales_call.yaml"
# Titles and guidance reach the pages from the checklist registered in the database.
ITEMS = {item.id: item for item in load_checklist(CHECKLIST).items}


class Page(HTMLParser):
    """The bits of a page the tests look at: table rows as cell texts, the cards (<dt> -> <dd>),
    elements by id, links and highlighted text."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: list[list[str]] = []
        self.cards: dict[str, str] = {}
        self.ids: dict[str, dict[str, str]] = {}
        self.links: list[str] = []
        self.marks: list[str] = []  # highlighted evidence, in page order
        self._cell: list[str] | None = None
        self._mark: list[str] | None = None
        self._term = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids[a["id"]] = a
        if tag == "a":
            self.links.append(a.get("href", ""))
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th", "dt", "dd"):
            self._cell = []
        if tag == "mark":
            self._mark = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self._mark is not None:
            self.marks.append(" ".join("".join(self._mark).split()))
            self._mark = None
        if tag in ("td", "th", "dt", "dd") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if tag == "dt":
                self._term = text
            elif tag == "dd":
                self.cards[self._term] = text
            else:
                self.rows[-1].append(text)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._mark is not None:
            self._mark.append(data)

    def row(self, first_cell: str) -> list[str]:
        return next(r for r in self.rows if r and r[0] == first_cell)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, Path]:
    """(database, index.html) rendered once for the module."""
    tmp = tmp_path_factory.mktemp("report")
    db = tmp / "callqa.duckdb"
    with Store(db) as store:
        fill(store)
        store.register_checklist(load_checklist(CHECKLIST))
    return db, render_reports(db, tmp / "out")


def read(index: Path, relpath: str = "index.html") -> str:
    return (index.parent / relpath).read_text(encoding="utf-8")


def test_index_lists_managers_with_their_averages(site):
    _, index = site
    page = Page(read(index))
    # From the table in sample_results(): calls and average score per manager.
    assert {name: (page.row(name)[2], page.row(name)[4]) for name in
            ("Anna Petrova", "Ivan Sokolov", "unassigned", XSS_NAME)} == {
        "Anna Petrova": ("2", "80.0"), "Ivan Sokolov": ("1", "40.0"), "unassigned": ("1", "40.0"),
        XSS_NAME: ("1", "—")}
    assert page.row(ITEMS["handled_objections"].title)[1:] == ["3", "1", "2", "1", "33.3%"]
    assert manager_href("m101") in page.links and manager_href("unassigned") in page.links


def test_index_lists_flagged_and_failed_calls(site):
    _, index = site
    page = Page(read(index))
    flagged = [r for r in page.rows if len(r) == 5 and r[2] in ("c3", "c4")]
    assert [r[2] for r in flagged] == ["c4", "c3"]  # the critical failure first
    assert flagged[0][4].startswith("critical") and ITEMS["politeness"].title in flagged[0][4]
    # With the first failure's quote and its time: c3 failed the introduction with "Hello?".
    assert flagged[1][4].endswith("00:00 “Hello?”"), flagged[1][4]
    assert "calls/c3.html#seg-0" in page.links
    failed = page.row("c5.wav")
    assert failed[3] == "not audio: invalid data found when processing input"


def test_manager_page_shows_failures_with_quotes_times_and_guidance(site):
    _, index = site
    html = read(index, manager_href("m101"))
    page = Page(html)
    assert page.row(ITEMS["asked_convenient"].title)[1:] == ["1 of 2", "50.0%", "50.0%", "0.0"]
    assert "Это дорого для нас." in html and "00:08" in html
    assert f"../{call_href('c2')}#seg-2" in page.links  # the quote's time opens the transcript there
    assert str(escape(" ".join(ITEMS["asked_convenient"].guidance.split()))) in " ".join(html.split())
    assert "Do you have a minute?" not in html  # no good examples from a call with a critical failure
    assert "thank you for waiting" not in html  # items the manager passed need no coaching
    calls = [r for r in page.rows if len(r) == 9 and r[1] in ("c1", "c2")]
    assert [(r[1], r[2], r[3]) for r in calls] == [("c2", "00:17", "60.0"), ("c1", "00:27", "100.0")]


def test_call_page_shows_dialogue_with_evidence_highlighted(site):
    _, index = site
    html = read(index, call_href("c1"))
    page = Page(html)
    segments = {k: v for k, v in page.ids.items() if k.startswith("seg-")}
    assert list(segments) == [f"seg-{i}" for i in range(5)]
    assert [v["class"] for v in segments.values()] == \
        ["agent evidence", "customer", "agent", "customer", "agent evidence"]
    assert "#seg-4" in page.links and "#seg-0" in page.links
    # Item, effective verdict, the machine's, the reviewer's, why, evidence.
    assert page.row(ITEMS["politeness"].title)[1:5] == ["pass", "pass", "not reviewed", "thanked the customer"]
    assert "00:24" in page.row(ITEMS["politeness"].title)[5]
    assert page.row(ITEMS["introduced"].title)[1] == "pass"  # the checklist's title
    assert re.search(r'id="seg-4".*?<mark>So we agreed', html, re.S)
    assert "…0142" in html and "+79165550142" not in html  # personal data stays in the database


def test_failed_call_page_shows_the_error(site):
    _, index = site
    html = read(index, call_href("c5"))
    assert "Not processed" in html and "not audio: invalid data found when processing input" in html
    assert "Transcript" not in html


def test_unassigned_call_names_the_unknown_pbx_id(site):
    _, index = site
    assert "PBX id 105 is not in the managers list" in read(index, call_href("c4"))


def test_untrusted_text_is_escaped_everywhere(site):
    _, index = site
    pages = sorted(index.parent.rglob("*.html"))
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert "<script" not in html and "<img" not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in read(index, call_href("c3"))
    assert "&lt;img src=x onerror=alert(1)&gt;" in read(index)
    assert "&lt;img src=x onerror=alert(1)&gt;" in read(index, manager_href("m103"))


def test_pages_are_self_contained(site):
    _, index = site
    for path in index.parent.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "http://" not in html and "https://" not in html, path
        assert not re.search(r"<(link|script|img|iframe|object)\b", html), path


def scored(call_id: str, manager_id: str, started_at: str, score: float, duration_s: float,
           **verdicts: str) -> CallResult:
    """An ok call with the given score, audio length and verdicts (item_id=verdict)."""
    result = ok_result(call_id, manager_id, started_at, C1, {i: (v, f"{i} {v}") for i, v in verdicts.items()})
    return replace(result, audio_duration=duration_s, score=replace(result.score, score=score))


@pytest.fixture(scope="module")
def department(tmp_path_factory) -> Path:
    """Numbers chosen so that every mix-up shows: ok 5 vs failed 1, audio sum 4.0 min vs average
    0.8, team average 59.9 vs best 75.0, manager averages 62.5 and 62.25 (SQL rounds half away
    from zero: 62.3, Python would print 62.2), a score of exactly 50 (not flagged) and 49.9 (flagged).

    call  manager     day         score  audio  introduced  handled_objections  politeness
    o1    Olga (m1)   2026-11-23  75.0   60 s   pass        pass                pass
    o2    Olga        2026-11-23  50.0   90 s   pass        na                  fail
    o3    Olga        2026-11-24  failed
    p1    Petr (m2)   2026-11-24  50.0   30 s   pass        fail                pass
    p2    Petr        2026-11-24  74.5   42 s   fail        pass                pass
    u1    '999'       2026-11-24  49.9   18 s   fail        na                  pass    (unassigned)
    """
    tmp = tmp_path_factory.mktemp("department")
    db = tmp / "callqa.duckdb"
    calls = [
        scored("o1", "m1", "2026-11-23T10:00:00", 75.0, 60, introduced="pass", handled_objections="pass", politeness="pass"),
        scored("o2", "m1", "2026-11-23T11:00:00", 50.0, 90, introduced="pass", handled_objections="na", politeness="fail"),
        failed_result("o3", "m1", "2026-11-24T09:00:00", "empty file (0 bytes)"),
        scored("p1", "m2", "2026-11-24T10:00:00", 50.0, 30, introduced="pass", handled_objections="fail", politeness="pass"),
        scored("p2", "m2", "2026-11-24T11:00:00", 74.5, 42, introduced="fail", handled_objections="pass", politeness="pass"),
        scored("u1", "999", "2026-11-24T12:00:00", 49.9, 18, introduced="fail", handled_objections="na", politeness="pass"),
    ]
    with Store(db) as store:
        store.upsert_managers([Manager("m1", "Olga Orlova", "North"), Manager("m2", "Petr Popov", "North")])
        store.register_checklist(load_checklist(CHECKLIST))
        for call in calls:
            store.write_call(call, "run-1")
    return render_reports(db, tmp / "out")


def test_index_totals_are_the_hand_computed_numbers(department: Path):
    page = Page(read(department))
    assert {k: page.cards[k] for k in ("Calls", "Processed", "Failed", "Audio minutes", "Average score",
                                       "To review")} == {
        "Calls": "6", "Processed": "5", "Failed": "1", "Audio minutes": "4.0", "Average score": "59.9",
        "To review": "1"}
    # Manager, team, calls, failed, average score, critical, to review, the weekly trend (one week).
    assert page.row("Olga Orlova") == ["Olga Orlova", "North", "3", "1", "62.5", "0", "0", "62.5"]
    assert page.row("Petr Popov") == ["Petr Popov", "North", "2", "0", "62.3", "0", "0", "62.3"]
    assert page.row("unassigned") == ["unassigned", "", "1", "0", "49.9", "0", "1", "49.9"]
    # Periods end on the last day with calls, 2026-11-24: calls, scored, average, to review,
    # critical, audio minutes.
    assert page.row("Last day")[1:] == ["2026-11-24", "4", "3", "58.1", "1", "0", "1.5"]
    assert page.row("7 days")[1:] == ["2026-11-18 – 2026-11-24", "6", "5", "59.9", "1", "0", "4.0"]
    # The distribution of the 30 days' scores in bands of ten: 49.9 | 50, 50 | 74.5, 75.
    bands = {r[0]: r[1] for r in page.rows if len(r) == 3 and r[0][:1].isdigit()}
    assert bands == {"0–9": "0", "10–19": "0", "20–29": "0", "30–39": "0", "40–49": "1", "50–59": "2",
                     "60–69": "0", "70–79": "2", "80–89": "0", "90–100": "0"}
    # The heat map: a manager's pass rate per item (introduced, objections, politeness).
    heat = [r for r in page.rows if len(r) == 4 and r[0] in ("Olga Orlova", "Petr Popov", "unassigned")]
    assert heat == [["Olga Orlova", "100.0%", "100.0%", "50.0%"],
                    ["Petr Popov", "50.0%", "50.0%", "100.0%"],
                    ["unassigned", "0.0%", "—", "100.0%"]]
    # Applicable, passed, failed, not applicable, pass rate.
    assert page.row(ITEMS["introduced"].title)[1:] == ["5", "3", "2", "0", "60.0%"]
    assert page.row(ITEMS["handled_objections"].title)[1:] == ["3", "2", "1", "2", "66.7%"]
    assert page.row(ITEMS["politeness"].title)[1:] == ["5", "4", "1", "0", "80.0%"]
    # Only 49.9 is below 50: the call scored exactly 50 is not to review.
    flagged = [r for r in page.rows if len(r) == 5 and r[0] != "Started"]
    assert flagged == [["2026-11-24 12:00", "unassigned", "u1", "49.9", ITEMS["introduced"].title]]
    assert page.row("o3.wav")[1:] == ["2026-11-24 09:00", "Olga Orlova", "empty file (0 bytes)"]


def test_manager_pages_show_the_hand_computed_numbers(department: Path):
    olga = Page(read(department, manager_href("m1")))
    assert {k: olga.cards[k] for k in ("Calls", "Average score", "Critical failures", "To review",
                                       "Not processed")} == {
        "Calls": "3", "Average score": "62.5", "Critical failures": "0", "To review": "0", "Not processed": "1"}
    # Passed, her pass rate, the team's, the difference.
    assert olga.row(ITEMS["introduced"].title)[1:] == ["2 of 2", "100.0%", "60.0%", "+40.0"]
    assert olga.row(ITEMS["handled_objections"].title)[1:] == ["1 of 1", "100.0%", "66.7%", "+33.3"]
    assert olga.row(ITEMS["politeness"].title)[1:] == ["1 of 2", "50.0%", "80.0%", "-30.0"]
    # By day: calls, scored, average, critical.
    assert olga.row("2026-11-24") == ["2026-11-24", "1", "0", "—", "0"]
    assert olga.row("2026-11-23") == ["2026-11-23", "2", "2", "62.5", "0"]
    # (The calls table: a verdict per item, or one cell saying the call was not processed.)
    calls = [r[1:4] for r in olga.rows if len(r) >= 4 and r[1] in ("o1", "o2", "o3")
             and (len(r) >= 5 or r[3] == "not processed")]
    assert calls == [["o3", "—", "not processed"], ["o2", "01:30", "50.0"], ["o1", "01:00", "75.0"]]
    # Worth listening to: her best and worst call of the 30 days, and her calls in the review
    # queue (two a week by default) with the reason: the first failed item.
    assert (olga.cards["Best call, 30 days"], olga.cards["Worst call, 30 days"]) == ("75.0 o1", "50.0 o2")
    listen = {r[1]: r[3] for r in olga.rows if len(r) == 4 and r[1] in ("o1", "o2", "o3") and r[3] != "not processed"}
    assert sorted(listen) == ["o1", "o2"] and listen["o2"].startswith(ITEMS["politeness"].title)

    petr = Page(read(department, manager_href("m2")))
    assert (petr.cards["Average score"], petr.cards["To review"]) == ("62.3", "0")
    assert petr.row("2026-11-24") == ["2026-11-24", "2", "2", "62.3", "0"]
    unassigned = Page(read(department, manager_href("unassigned")))
    assert (unassigned.cards["Calls"], unassigned.cards["Average score"], unassigned.cards["To review"]) == \
        ("1", "49.9", "1")


def test_odd_ids_get_safe_distinct_file_names(tmp_path: Path):
    odd = ["../../etc/passwd", "a/b", "a-b", "звонок 7", "CON", ""]
    slugs = [slug(i) for i in odd]
    assert len(set(slugs)) == len(odd)
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", s) and not s.startswith(".") for s in slugs)

    db = tmp_path / "callqa.duckdb"
    c1 = sample_results()[0]
    with Store(db) as store:
        for i, call_id in enumerate(odd[:4]):
            rec = replace(c1.recording, sha256=f"sha-{i}", meta=replace(c1.recording.meta, call_id=call_id))
            store.write_call(replace(c1, recording=rec), "run-1")
    index = render_reports(db, tmp_path / "out")
    pages = sorted(p.name for p in (tmp_path / "out" / "calls").iterdir())
    assert pages == sorted(f"{s}.html" for s in slugs[:4])
    assert not (tmp_path / "etc").exists()
    assert "../" + call_href("a/b") in Page(read(index, manager_href("unassigned"))).links


def test_rendering_again_replaces_the_folder_and_leaves_no_debris(tmp_path: Path):
    db = tmp_path / "callqa.duckdb"
    with Store(db) as store:
        fill(store)
    out = tmp_path / "out"
    render_reports(db, out)
    (out / "calls" / "stale.html").write_text("old")
    render_reports(db, out)
    assert not (out / "calls" / "stale.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["callqa.duckdb", "out"]

    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("precious")
    with pytest.raises(FileExistsError):
        render_reports(db, foreign)
    assert (foreign / "thesis.txt").read_text() == "precious"


def test_empty_database_renders(tmp_path: Path):
    db = tmp_path / "callqa.duckdb"
    Store(db).close()
    html = read(render_reports(db, tmp_path / "out"))
    assert "No calls stored yet." in html


def test_clock_formats_times_in_a_call():
    assert [clock(s) for s in (None, 0, 8.9, 754, 3723)] == ["—", "00:00", "00:08", "12:34", "1:02:03"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def browser_dom(page: Path, script: str | None = None) -> Page | str:
    """The page as headless Chromium parsed it (its DOM serialised back), read by Page. With a
    script, run at the end of the page's body, the serialised DOM itself (a copy of the page
    beside it carries the script)."""
    if CHROMIUM is None:
        pytest.fail("chromium is required: run `make test`, which installs it")
    if script is not None:
        probe = page.with_name(f".probe-{page.name}")
        probe.write_text(page.read_text(encoding="utf-8").replace("</body>", f"<script>{script}</script></body>"),
                         encoding="utf-8")
        page = probe
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                              check=True, capture_output=True, text=True, timeout=60)
    return done.stdout if script is not None else Page(done.stdout)


def test_a_browser_sees_the_tables_and_the_highlighted_evidence(site):
    _, index = site
    team = browser_dom(index)
    assert team.row("Anna Petrova") == ["Anna Petrova", "Sales A", "2", "0", "80.0", "0", "0", "80.0"]
    assert team.ids["heat"] and "polyline" not in index.read_text()  # one week each: a dot, not a line
    assert team.cards["Average score"] == "60.0" and team.cards["To review"] == "2"

    anna = browser_dom(index.parent / manager_href("m101"))
    # Started, call, duration, score, then one verdict mark per item (✓ pass, ✗ fail, – n/a).
    calls = [r for r in anna.rows if len(r) == 9 and r[1] in ("c1", "c2")]
    assert calls == [["2026-11-20 14:00", "c2", "00:17", "60.0", "✓", "✗", "✗", "✓", "✓"],
                     ["2026-11-20 10:15", "c1", "00:27", "100.0", "✓", "✓", "–", "✓", "✓"]]

    call = browser_dom(index.parent / call_href("c2"))
    assert [k for k, v in call.ids.items() if "evidence" in v.get("class", "").split()] == \
        ["seg-0", "seg-2", "seg-3"]
    assert call.marks == ["Здравствуйте, меня зовут Анна, компания «Солнце».", "Это дорого для нас.",
                          "Итак, договорились: отправляю КП, перезвоню в четверг в 11. Спасибо!"]


def test_the_call_page_plays_the_recording_and_a_time_seeks_to_it(tmp_path: Path):
    """A real PCM recording linked from the call page: Chromium loads it (the audio element has a
    duration), and clicking a quote's time sets the player there."""
    import wave

    import numpy as np

    recording = tmp_path / "inbox" / "c1.wav"
    recording.parent.mkdir()
    tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(8000 * 30) / 8000) * 32767).astype("<i2")
    with wave.open(str(recording), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(tone.tobytes())
    db = tmp_path / "callqa.duckdb"
    with Store(db) as store:
        fill(store)
        store.query("UPDATE calls SET path = ? WHERE call_id = 'c1'", [str(recording)])
    index = render_reports(db, tmp_path / "out")
    page = index.parent / call_href("c1")
    static = Page(page.read_text(encoding="utf-8"))
    src = static.ids["player"]["src"]
    assert (page.parent / src).resolve() == recording.resolve()
    # c2's recording is gone: its page says so instead of a broken player.
    assert "player" not in Page(read(index, call_href("c2"))).ids
    assert "no longer at" in read(index, call_href("c2"))
    # The politeness quote of c1 is at 00:24: click it once the recording's metadata is in.
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", """<script>
var player = document.getElementById("player");
player.addEventListener("loadedmetadata", function () {
  document.querySelector('td a[data-t="24.0"]').click();
  document.body.setAttribute("data-duration", player.duration);
  document.body.setAttribute("data-now", player.currentTime);
});
</script></body>"""), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--autoplay-policy=no-user-gesture-required", "--virtual-time-budget=5000",
                               f"--user-data-dir={profile}", "--dump-dom", probe.as_uri()],
                              check=True, capture_output=True, text=True, timeout=60)
    body = re.search(r"<body[^>]*>", done.stdout).group(0)
    assert re.search(r'data-duration="30"', body), body
    assert re.search(r'data-now="24"', body), body


def test_a_trend_of_several_weeks_is_a_line_from_the_first_to_the_last_average():
    from datetime import date

    from pipeline.report import trends

    rows = [{"manager_id": "m1", "week": date(2026, 11, 2), "avg_score": 50.0, "calls": 3},
            {"manager_id": "m1", "week": date(2026, 11, 9), "avg_score": 100.0, "calls": 2},
            {"manager_id": "m1", "week": date(2026, 11, 16), "avg_score": 75.0, "calls": 4}]
    t = trends(rows)["m1"]
    assert t["points"] == "0.0,12.0 48.0,0.0 96.0,6.0"  # 100 at the top of the 24 px box
    assert (t["first"], t["last"], t["weeks"], t["since"]) == (50.0, 75.0, 3, date(2026, 11, 2))


def test_every_word_of_the_pages_has_its_russian():
    from pipeline.report import METRICS, catalogue

    words = catalogue("ru")
    # The templates, and the review form and replies of `callqa ui`.
    ui = Path(__file__).resolve().parent.parent / "pipeline" / "ui.py"
    templates = " ".join(p.read_text(encoding="utf-8") for p in [*TEMPLATES.glob("*.j2"), ui])
    used = set(re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', templates)) | set(re.findall(r"_\('([^']*)'\)", templates))
    # Words that reach _() from data: period labels, statuses, kinds, speakers, metric labels and units.
    dynamic = {"Last day", "7 days", "30 days", "flagged", "sample", "Agent", "Customer", "Unknown",
               "kept", "due today", "open", "overdue", "past due", "callback", "send", "delivery", "price hold",
               "visit", "times", "words/min", "s", *(label for _, label, _ in METRICS)}
    assert sorted((used | dynamic) - set(words)) == []
    assert sorted(set(words) - used - dynamic) == []  # nothing left over from an old template


def test_the_pages_in_russian_keep_the_numbers(department: Path, tmp_path: Path):
    from pipeline.report import ReportOptions

    db = department.parent.parent / "callqa.duckdb"
    index = render_reports(db, tmp_path / "ru", ReportOptions(language="ru"))
    html = index.read_text(encoding="utf-8")
    page = Page(html)
    assert '<html lang="ru">' in html and "<h1>Обзор команды</h1>" in html
    assert page.cards["Средняя оценка"] == "59.9" and page.cards["На проверку"] == "1"
    assert page.row("Последний день")[1:] == ["2026-11-24", "4", "3", "58.1", "1", "0", "1.5"]
    assert page.row("Olga Orlova") == ["Olga Orlova", "North", "3", "1", "62.5", "0", "0", "62.5"]
    call = read(index, call_href("p1"))
    assert "Расшифровка" in call and "Transcript" not in call and ">не выполнено<" in call
    assert not re.search(r">\s*(Calls|Manager|Started|Score|Verdict)\s*<", html + call)
