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
from pipeline.report import call_href, clock, manager_href, render_reports, slug
from pipeline.store import Store
from test_store import XSS_NAME, fill, sample_results

CHECKLIST = Path(__file__).resolve().parent.parent / "checklists" / "sales_call.yaml"
# Titles and guidance reach the pages from the checklist registered in the database.
ITEMS = {item.id: item for item in load_checklist(CHECKLIST).items}


class Page(HTMLParser):
    """The bits of a page the tests look at: table rows as cell texts, elements by id, links."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: list[list[str]] = []
        self.ids: dict[str, dict[str, str]] = {}
        self.links: list[str] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids[a["id"]] = a
        if tag == "a":
            self.links.append(a.get("href", ""))
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

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


def test_index_lists_managers_with_the_averages_in_the_database(site):
    db, index = site
    page = Page(read(index))
    with Store(db, read_only=True) as store:
        expected = store.query("SELECT name, count(*) AS calls, round(avg(score)) AS avg "
                               "FROM latest_scores GROUP BY name")
    assert {r["name"] for r in expected} == {"Anna Petrova", "Ivan Sokolov", "unassigned", XSS_NAME}
    for r in expected:
        row = page.row(r["name"])
        assert row[2] == str(r["calls"])
        assert row[4] == ("—" if r["avg"] is None else str(int(r["avg"])))
    assert page.row("Anna Petrova")[4] == "80"
    assert page.row(ITEMS["handled_objections"].title)[1:] == ["3", "1", "2", "1", "33.3%"]
    assert manager_href("m101") in page.links and manager_href("unassigned") in page.links


def test_index_lists_flagged_and_failed_calls(site):
    _, index = site
    page = Page(read(index))
    flagged = [r for r in page.rows if len(r) == 5 and r[2] in ("c3", "c4")]
    assert [r[2] for r in flagged] == ["c4", "c3"]  # the critical failure first
    assert flagged[0][4].startswith("critical") and ITEMS["politeness"].title in flagged[0][4]
    failed = page.row("c5.wav")
    assert failed[3] == "not audio: invalid data found when processing input"


def test_manager_page_shows_failures_with_quotes_times_and_guidance(site):
    _, index = site
    html = read(index, manager_href("m101"))
    page = Page(html)
    assert page.row(ITEMS["asked_convenient"].title)[1:] == ["1 of 2", "50.0%", "50.0%", "+0.0"]
    assert "Это дорого для нас." in html and "00:08" in html
    assert f"../{call_href('c2')}#seg-2" in page.links  # the quote's time opens the transcript there
    assert str(escape(" ".join(ITEMS["asked_convenient"].guidance.split()))) in " ".join(html.split())
    assert "Do you have a minute?" not in html  # no good examples from a call with a critical failure
    assert "thank you for waiting" not in html  # items the manager passed need no coaching
    calls = [r for r in page.rows if len(r) == 9 and r[1] in ("c1", "c2")]
    assert [(r[1], r[2], r[3]) for r in calls] == [("c2", "00:17", "60"), ("c1", "00:27", "100")]


def test_call_page_shows_dialogue_with_evidence_highlighted(site):
    _, index = site
    html = read(index, call_href("c1"))
    page = Page(html)
    segments = {k: v for k, v in page.ids.items() if k.startswith("seg-")}
    assert list(segments) == [f"seg-{i}" for i in range(5)]
    assert [v["class"] for v in segments.values()] == \
        ["agent evidence", "customer", "agent", "customer", "agent evidence"]
    assert "#seg-4" in page.links and "#seg-0" in page.links
    assert page.row(ITEMS["politeness"].title)[1:3] == ["pass", "thanked the customer"]
    assert "00:24" in page.row(ITEMS["politeness"].title)[3]
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


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_screenshots_of_each_page_type(site, tmp_path: Path):
    _, index = site
    for name, relpath in [("index", "index.html"), ("manager", manager_href("m101")), ("call", call_href("c2"))]:
        png = tmp_path / f"{name}.png"
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=1280,1600",
                            (index.parent / relpath).as_uri()],
                           check=True, capture_output=True, timeout=60)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 30_000, f"{name} screenshot looks blank"
