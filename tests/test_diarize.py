"""Mono calls split into two voices, and the agent found by the words: the deterministic parts on
constructed data, and the whole on a synthetic two-voice call mixed down to mono."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.diarize import agent_voice, smooth, two_voices


def test_two_voices_finds_two_clusters_the_same_way_every_run():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=256), rng.normal(size=256)
    vectors = np.stack([a + rng.normal(scale=0.3, size=256) for _ in range(6)] +
                       [b + rng.normal(scale=0.3, size=256) for _ in range(4)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels, distance = two_voices(vectors)
    assert len(set(labels[:6])) == 1 and len(set(labels[6:])) == 1 and labels[0] != labels[6]
    assert distance > 0.5
    again, _ = two_voices(vectors)
    assert (again == labels).all()


def test_one_window_of_the_other_voice_inside_a_turn_is_smoothed_away():
    assert smooth(np.array([0, 0, 0, 1, 0, 0, 1, 1, 1, 1]), width=1).tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert smooth(np.array([0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1]), width=2).tolist() == \
        [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]


def test_the_agent_is_the_voice_that_says_the_script():
    texts = {0: "hi yeah i just bought a car and the light is on", 1: "thanks for calling, anna speaking, how can i help"}
    voice, sure = agent_voice(texts, first_voice=0, language="en", distance=0.4)
    assert voice == 1 and sure > 0.3
    ru = {0: "компания солнце меня зовут анна чем могу помочь", 1: "у меня не работает карта"}
    assert agent_voice(ru, first_voice=1, language="ru", distance=0.4)[0] == 0


def test_with_no_words_to_go_by_the_first_voice_is_the_agent_and_nobody_is_sure():
    voice, sure = agent_voice({0: "hello", 1: "hello"}, first_voice=1, language="en", distance=0.05)
    assert voice == 1 and sure < 0.15


@pytest.mark.slow
@pytest.mark.parametrize("block_s", [600.0, 6.0])
def test_a_two_voice_call_mixed_to_mono_gets_agent_and_customer_back(block_s):
    """In one block, and in blocks of 6 s as a long call is read: the voices are told apart
    over the whole call either way."""
    from pipeline.audio import blocks_of
    from pipeline.config import Config
    from pipeline.domain import Audio
    from pipeline.process import listen
    from pipeline.synth import Turn, Voices, render_call
    from pipeline.transcribe import load_engine

    turns = [Turn("agent", "Thank you for calling Sunrise Solar, Anna speaking, how can I help you today?"),
             Turn("customer", "Hi, I bought your panels last year and the inverter shows a red light."),
             Turn("agent", "I am sorry about that. Let me check your account, I can send a technician."),
             Turn("customer", "Thursday morning would suit me, I will be at home all day."),
             Turn("agent", "Perfect, the technician will come on Thursday at ten. Have a nice day.")]
    stereo, timeline = render_call(turns, Voices(agent="en-us+david", customer="en-gb+Annie"))
    cfg = Config(device="cpu")
    mono = Audio((stereo.mean(axis=0),), 16000, "pcm")
    heard = listen(lambda: blocks_of(mono, block_s), load_engine(cfg), cfg)
    assert {s.speaker for s in heard.segments} == {"agent", "customer"}
    assert heard.roles_confidence is not None
    right = total = 0.0
    for turn in timeline:
        for s in heard.segments:
            overlap = max(0.0, min(s.end, turn.end) - max(s.start, turn.start))
            total += overlap
            right += overlap if s.speaker == turn.speaker else 0.0
    assert right / total >= 0.8, (right / total, heard.segments)


def test_a_call_with_uncertain_roles_says_so_on_its_page(tmp_path):
    from pathlib import Path

    from pipeline.domain import CallMeta, CallResult, Recording, Segment, Transcript
    from pipeline.report import render_reports
    from pipeline.store import Store
    from test_report import Page

    db = tmp_path / "qa.duckdb"
    with Store(db) as store:
        for n, sure in enumerate((0.73, 0.08)):
            rec = Recording(Path(f"m{n}.wav"), f"{n:064x}", 1, CallMeta(f"m{n}"))
            store.write_call(CallResult(rec, "ok", channels=1, roles_confidence=sure, warnings=(
                ("speaker roles uncertain (confidence 0.08): a mono recording split by voice; check "
                 "who is the agent",) if sure < 0.15 else ()), transcript=Transcript(f"m{n}", "en", (
                    Segment("agent", 0, 2, "hello"), Segment("customer", 2.5, 4, "hi")))), "r1")
    render_reports(db, tmp_path / "out")
    sure = Page((tmp_path / "out" / "calls" / "m0.html").read_text())
    unsure = Page((tmp_path / "out" / "calls" / "m1.html").read_text())
    assert sure.cards["Roles"] == "split by voice (mono), 73% sure"
    assert unsure.cards["Roles"] == "split by voice (mono), 8% sure uncertain"
    assert "speaker roles uncertain" in unsure.cards["Warnings"]
