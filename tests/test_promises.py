"""The promises ledger: the rules' own examples, due moments read against the call's start, the
figures on the locked labelled promises, the follow-through in the views, and two real nightly
runs where the second night's call keeps the first night's callback."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import yaml

# At import, as the other flow tests: flows.nightly gives Prefect's temporary server the start-up
# time a busy machine needs before the harness starts one.
from flows.nightly import nightly
from pipeline.domain import Segment
from pipeline.promise_eval import evaluate, load_cases
from pipeline.promises import KINDS, RULES, extract, load_rules, promise_kinds
from pipeline.synth import Turn, render_call, write_phone_audio

FRIDAY = datetime(2026, 11, 20, 10, 15)
EXAMPLES = yaml.safe_load(RULES.read_text(encoding="utf-8"))["kinds"]


def lang_of(text: str) -> str:
    return "ru" if any("а" <= ch.lower() <= "я" for ch in text) else "en"


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_finds_its_examples_and_nothing_else(kind):
    rules = load_rules()
    for text in EXAMPLES[kind]["examples"]["found"]:
        assert kind in [k for k, _ in promise_kinds(text, lang_of(text), rules)], text
    for text in EXAMPLES[kind]["examples"]["not_found"]:
        assert not promise_kinds(text, lang_of(text), rules), text


def one(text: str, lang: str, start: datetime | None = FRIDAY):
    return [(c.kind, c.due_at, c.vague, c.absolute) for c in extract([Segment("agent", 3.0, 8.0, text)], lang, start)]


def test_due_moments_are_resolved_against_the_call_start_and_widened_to_their_period():
    assert one("Перезвоню в четверг в 11", "ru") == [("callback", datetime(2026, 11, 26, 11, 0), False, False)]
    assert one("Пришлю КП завтра до обеда", "ru") == [("send", datetime(2026, 11, 21, 13, 0), False, False)]
    assert one("Наберу вас на следующей неделе", "ru") == [("callback", datetime(2026, 11, 29, 23, 59, 59), False, False)]
    assert one("I'll send it today", "en") == [("send", datetime(2026, 11, 20, 23, 59, 59), False, False)]
    assert one("We'll get back to you by Friday", "en") == [("callback", datetime(2026, 11, 27, 23, 59, 59), False, False)]
    assert one("I'll call you back in two days", "en") == [("callback", datetime(2026, 11, 22, 23, 59, 59), False, False)]
    # Two promises in one turn, each with its own moment.
    assert one("So I'll send the offer today and call you Thursday at 11.", "en") == [
        ("send", datetime(2026, 11, 20, 23, 59, 59), False, False), ("callback", datetime(2026, 11, 26, 11, 0), False, False)]


def test_vague_and_absolute_promises_are_flagged():
    assert one("Перезвоню на днях", "ru") == [("callback", None, True, False)]
    assert one("Скину реквизиты сегодня-завтра", "ru") == [("send", None, True, False)]
    assert one("I'll get back to you soon", "en") == [("callback", None, True, False)]
    assert one("Гарантирую, курьер приедет завтра", "ru") == [("delivery", datetime(2026, 11, 21, 23, 59, 59), False, True)]
    assert one("It's guaranteed: your order will be delivered on Monday", "en")[0][3] is True


def test_only_the_agent_promises_and_a_repeated_promise_counts_once():
    segments = [Segment("customer", 0, 2, "I'll call you back tomorrow"),
                Segment("agent", 2, 5, "I'll call you tomorrow afternoon."),
                Segment("agent", 6, 8, "So: I'll call you tomorrow afternoon, bye.")]
    assert [(c.kind, c.start) for c in extract(segments, "en", FRIDAY)] == [("callback", 2)]
    assert extract(segments, "de", FRIDAY) == []  # no rules for the language: none


def test_the_locked_labelled_promises_reach_90_percent():
    cases = load_cases(part="locked")
    figures = evaluate(cases)["figures"]["all"]
    assert len(cases) >= 30 and figures["promises"] >= 30
    assert figures["kind"]["precision"] >= 90 and figures["kind"]["recall"] >= 90
    assert figures["kind_due"]["precision"] >= 90 and figures["kind_due"]["recall"] >= 90
    assert len(load_cases(part="all")) >= 60


# Two nights: call A promises a callback tomorrow morning to 15550005, call B the same to
# 15550006; on the second night the manager calls 15550005 back before noon, and nobody calls 15550006.
PROMISE = [Turn("agent", "Good afternoon, my name is Anna from Sunrise. I will call you back tomorrow morning."),
           Turn("customer", "Okay, thank you."),
           Turn("agent", "Thank you, goodbye.")]
CALLBACK = [Turn("agent", "Good morning, this is Anna from Sunrise, calling you back as promised."),
            Turn("customer", "Yes, thank you."),
            Turn("agent", "Have a nice day.")]


@pytest.mark.slow
def test_a_callback_is_kept_by_the_next_nights_call_and_the_other_is_overdue(harness, tmp_path: Path):
    from pipeline.report import call_href
    from test_report import Page, browser_dom

    audio = {name: render_call(turns)[0] for name, turns in (("promise", PROMISE), ("callback", CALLBACK))}
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "managers.csv").write_text("manager_id,name,team\n101,Anna Petrova,North\n")
    write_phone_audio(audio["promise"], inbox / "out-15550005-101-20261120-101500-7001.1.wav")
    write_phone_audio(audio["promise"], inbox / "out-15550006-101-20261120-103000-7002.2.wav", seed=3)
    db, out = tmp_path / "qa.duckdb", tmp_path / "out"

    def night():
        nightly(inbox=str(inbox), db=str(db), out=str(out), settings={"settle_seconds": 0})
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("SELECT call_id, kind, due_at, status, kept_by FROM promises ORDER BY call_id").fetchall()

    noon = datetime(2026, 11, 21, 12, 0)
    assert night() == [("7001.1", "callback", noon, "overdue", None), ("7002.2", "callback", noon, "overdue", None)]
    write_phone_audio(audio["callback"], inbox / "out-15550005-101-20261121-093000-7003.3.wav", seed=5)
    assert night() == [("7001.1", "callback", noon, "kept", "7003.3"), ("7002.2", "callback", noon, "overdue", None)]
    # The team page lists the overdue promise, not the kept one; the manager's page too.
    for page in (Page((out / "index.html").read_text()), Page((out / "managers" / "101.html").read_text())):
        promised = [r for r in page.rows if "callback" in r and any(c.startswith("00:") for c in r)]
        assert [r[r.index("callback") + 1:][-2] for r in promised] == ["7002.2"], promised
    # A browser on the real run's call page: the player's source is the recording, and a click on
    # a time in the transcript seeks there (µ-law audio: set before its metadata loads).
    call_page = out / call_href("7001.1")
    src = Page(call_page.read_text()).ids["player"]["src"]
    assert (call_page.parent / src).resolve() == (inbox / "out-15550005-101-20261120-101500-7001.1.wav").resolve()
    dom = browser_dom(call_page, """var link = document.querySelectorAll("ol.dialogue a[data-t]")[1];
        link.click(); document.body.setAttribute("data-now", document.getElementById("player").currentTime);
        document.body.setAttribute("data-want", link.dataset.t);""")
    body = re.search(r"<body[^>]*>", dom).group(0)
    now, want = re.search(r'data-now="([^"]+)"', body).group(1), re.search(r'data-want="([^"]+)"', body).group(1)
    assert float(now) == pytest.approx(float(want)) and float(want) > 0
    # The published copy masks the customer's number in the ledger too.
    with duckdb.connect(str(tmp_path / "qa.published.duckdb"), read_only=True) as con:
        assert con.execute("SELECT DISTINCT customer_phone FROM commitments ORDER BY 1").fetchall() == [("…0005",), ("…0006",)]
