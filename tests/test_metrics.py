"""Conversation metrics on constructed calls whose true values are worked out by hand."""
from __future__ import annotations

import pytest

from pipeline.domain import Segment
from pipeline.metrics import conversation_metrics


def seg(speaker: str, start: float, end: float, words: int = 1) -> Segment:
    return Segment(speaker, start, end, " ".join(["word"] * words))


# 60 s call. Agent 0-10 and 12-20 (one monologue of 20 s: the customer says nothing between),
# customer 21-30; agent starts at 28 while the customer talks to 30 (an interruption); agent
# 28-40; silence 40-55 (a 15 s hold); customer 55-58; agent 58-60.
CALL = [seg("agent", 0, 10, 30), seg("agent", 12, 20, 20), seg("customer", 21, 30, 15),
        seg("agent", 28, 40, 24), seg("customer", 55, 58, 6), seg("agent", 58, 60, 4)]


def test_talk_time_ratio_monologue_silence_and_rate_are_the_hand_computed_ones():
    m = conversation_metrics(CALL, 60.0)
    assert m.duration_s == 60.0
    assert m.agent_talk_s == 10 + 8 + 12 + 2 == 32
    assert m.customer_talk_s == 9 + 3 == 12
    assert m.talk_listen_ratio == round(32 / 12, 2)
    assert m.agent_longest_monologue_s == 20.0  # 0-20: the 2 s pause at 10-12 stays inside
    # Anyone talking: 0-10, 12-20, 21-40, 55-60 = 10 + 8 + 19 + 5 = 42 s of 60.
    assert m.talk_s == 42 and m.silence_share == round(18 / 60, 3)
    assert m.longest_silence_s == 15.0
    assert (m.agent_interruptions, m.customer_interruptions) == (1, 0)
    assert m.agent_wpm == round(78 / (32 / 60), 1)
    assert m.customer_wpm == round(21 / (12 / 60), 1)


def test_a_start_at_the_very_end_of_the_other_side_is_taking_the_turn_not_interrupting():
    m = conversation_metrics([seg("customer", 0, 5), seg("agent", 4.8, 8)], 8.0)
    assert m.agent_interruptions == 0


def test_mono_calls_have_no_per_side_figures():
    m = conversation_metrics([seg("unknown", 0, 4, 8), seg("unknown", 6, 9, 6)], 10.0)
    assert m.talk_s == 7 and m.silence_share == 0.3 and m.longest_silence_s == 2.0
    assert m.agent_talk_s is None and m.talk_listen_ratio is None and m.agent_interruptions is None


def test_a_customer_who_never_speaks_gives_no_ratio_and_no_rate():
    m = conversation_metrics([seg("agent", 0, 30, 60)], 30.0)
    assert m.customer_talk_s == 0 and m.talk_listen_ratio is None and m.customer_wpm is None
    assert m.agent_wpm == 120.0 and m.agent_longest_monologue_s == 30.0


@pytest.mark.parametrize("duration", [None, 0.0])
def test_without_a_duration_the_call_ends_with_its_last_word(duration):
    m = conversation_metrics([seg("agent", 1, 3), seg("customer", 4, 6)], duration)
    assert m.duration_s == 6.0 and m.silence_share == round(2 / 6, 3)


def test_metrics_are_stored_with_the_call_and_shown_against_the_team(tmp_path):
    from pathlib import Path

    from pipeline.domain import CallMeta, CallResult, Manager, Recording, Transcript
    from pipeline.report import render_reports
    from pipeline.store import Store
    from test_report import Page

    db = tmp_path / "qa.duckdb"
    with Store(db) as store:
        store.upsert_managers([Manager("101", "Anna")])
        for n, segments in enumerate([CALL, [seg("agent", 0, 10, 20), seg("customer", 10, 20, 20)]]):
            rec = Recording(Path(f"c{n}.wav"), f"{n:064x}", 1, CallMeta(f"c{n}", manager_id="101"))
            store.write_call(CallResult(rec, "ok", audio_duration=60.0 if n == 0 else 20.0,
                                        transcript=Transcript(f"c{n}", "en", tuple(segments))), "r1")
        row = store.query("SELECT * FROM call_metrics WHERE call_id = 'c0'")[0]
        assert (row["agent_talk_s"], row["longest_silence_s"], row["agent_interruptions"]) == (32, 15, 1)
        team = store.query("SELECT * FROM team_metrics")[0]
        assert team["calls"] == 2 and team["talk_listen_ratio"] == round((2.67 + 1.0) / 2, 2)
    render_reports(db, tmp_path / "out")
    page = Page((tmp_path / "out" / "calls" / "c0.html").read_text())
    assert page.row("Talk/listen ratio (agent ÷ customer)") == ["Talk/listen ratio (agent ÷ customer)", "2.67", "1.83"]
    assert page.row("Longest silence or hold") == ["Longest silence or hold", "15 s", "7.5 s"]
    assert page.row("Agent interrupted the customer") == ["Agent interrupted the customer", "1 times", "0.5 times"]
    manager = Page((tmp_path / "out" / "managers" / "101.html").read_text())
    assert manager.row("Silence")[1:] == ["15%", "15%"]
