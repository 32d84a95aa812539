"""One recording through the stages: every bad input becomes a failed call with a clear reason."""
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import Config
from pipeline.domain import CallMeta, Recording
from pipeline.process import over_size_limit, transcribe_recording
from pipeline.synth import write_phone_audio
from pipeline.transcribe import load_engine

CFG = Config(device="cpu")


def recording(path: Path, size: int | None = None) -> Recording:
    return Recording(path, "0" * 64, path.stat().st_size if size is None else size, CallMeta(path.stem))


@pytest.fixture(scope="module")
def engine():
    return load_engine(CFG)


@pytest.mark.slow
def test_bad_inputs_fail_with_a_reason(tmp_path: Path, engine):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp3"
    text.write_text("minutes of the meeting " * 50)
    hiss = write_phone_audio(np.random.default_rng(0).normal(0, 0.01, (2, 16000 * 3)).astype(np.float32),
                             tmp_path / "hiss.wav")
    cases = {recording(empty): "empty file", recording(text): "not an audio file",
             recording(hiss): "no speech recognised",
             recording(hiss, size=3 * 1024 ** 3): "over the limit of 1024 MB"}
    for rec, reason in cases.items():
        result = transcribe_recording(rec, engine, CFG)
        assert result.status == "failed" and reason in result.error, result.error
        assert result.transcript is None and result.score is None


def test_the_size_limit_reason_shows_sizes_a_reader_can_tell_apart():
    assert over_size_limit(1.3, 0.5) == "file of 1.3 MB is over the limit of 0.5 MB"
    assert over_size_limit(3072, 1024) == "file of 3072 MB is over the limit of 1024 MB"
    assert over_size_limit(1.04, 1) == "file of 1.04 MB is over the limit of 1 MB"
    assert over_size_limit(0.2, 0.001) == "file of 0.2 MB is over the limit of 0.001 MB"


@pytest.mark.slow
def test_a_half_second_file_and_an_overloaded_line_are_handled(tmp_path: Path, engine):
    from pipeline.synth import Turn, render_call

    short = write_phone_audio(np.zeros((2, 8000), np.float32) + np.float32(0.001), tmp_path / "short.wav")
    result = transcribe_recording(recording(short), engine, CFG)
    assert result.status == "failed" and result.error, result  # 0.5 s: a reason, not a crash
    stereo, _ = render_call([Turn("agent", "Good afternoon, this is Anna from Sunrise."),
                             Turn("customer", "Hello, yes, I can talk now.")])
    loud = write_phone_audio(np.clip(stereo * 8.0, -0.4, 0.4), tmp_path / "clipped.wav")
    result = transcribe_recording(recording(loud), engine, CFG)
    assert result.status == "ok" and result.transcript is not None, result.error
    assert {s.speaker for s in result.transcript.segments} == {"agent", "customer"}  # heard, badly
