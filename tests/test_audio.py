"""Decoding telephone recordings as they arrive, and refusing what is not a recording."""
from pathlib import Path

import numpy as np
import pytest

from pipeline.audio import AudioFile, decode
from pipeline.domain import SAMPLE_RATE, CallError
from pipeline.synth import write_phone_audio


def tone_call(seconds: float = 2.0) -> np.ndarray:
    """Left a 440 Hz tone in the first half, right a 660 Hz tone in the second: sides tell apart."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    half = len(t) // 2
    left, right = np.zeros_like(t), np.zeros_like(t)
    left[:half] = 0.5 * np.sin(2 * np.pi * 440 * t[:half])
    right[half:] = 0.5 * np.sin(2 * np.pi * 660 * t[half:])
    return np.stack([left, right]).astype(np.float32)


@pytest.mark.parametrize("name,encoding,codec", [
    ("call.wav", "mu-law", "pcm_mulaw"), ("call.wav", "a-law", "pcm_alaw"), ("call.wav", "u8", "pcm_u8"),
    ("call.wav", "pcm16", "pcm_s16le"), ("call.mp3", "mu-law", "mp3"), ("call.ogg", "mu-law", "vorbis"),
    ("call.flac", "mu-law", "flac"),
])
def test_telephone_formats_decode_to_16k_per_channel(tmp_path: Path, name, encoding, codec):
    path = write_phone_audio(tone_call(), tmp_path / name, encoding=encoding)
    audio, warnings = decode(path, max_seconds=3600)
    assert audio.codec.startswith(codec)
    assert audio.source_rate == 8000
    assert len(audio.channels) == 2 and all(c.dtype == np.float32 for c in audio.channels)
    assert audio.duration == pytest.approx(2.0, abs=0.2)  # mp3 adds encoder padding
    left, right = audio.channels
    half = len(left) // 2
    # The sides stay apart: the agent's channel is loud where the customer's is quiet.
    assert np.abs(left[: half - 2000]).mean() > 5 * np.abs(right[: half - 2000]).mean()
    assert np.abs(right[half + 2000:]).mean() > 5 * np.abs(left[half + 2000:]).mean()
    assert warnings == []


def test_mono_and_fake_stereo_are_one_channel(tmp_path: Path):
    mono, _ = decode(write_phone_audio(tone_call(), tmp_path / "m.wav", mono=True), 3600)
    assert len(mono.channels) == 1
    same = np.stack([tone_call()[0]] * 2)
    fake, warnings = decode(write_phone_audio(same, tmp_path / "f.wav", encoding="pcm16", noise=0), 3600)
    assert len(fake.channels) == 1
    assert "same signal" in warnings[0]


def test_a_recording_is_read_in_blocks_that_add_up_to_the_whole(tmp_path: Path):
    """A long call never sits in memory whole: it comes in blocks, the last one marked."""
    path = write_phone_audio(tone_call(3.5), tmp_path / "call.wav")
    whole, _ = decode(path, 3600)
    recording = AudioFile(path, 3600)
    blocks = list(recording.blocks(block_s=1.0))
    assert [b.start for b in blocks] == [0.0, 1.0, 2.0, 3.0]
    assert [b.last for b in blocks] == [False, False, False, True]
    assert all(len(b.channels[0]) == SAMPLE_RATE for b in blocks[:-1])
    for i in (0, 1):
        assert np.array_equal(np.concatenate([b.channels[i] for b in blocks]), whole.channels[i])
    assert recording.duration == pytest.approx(whole.duration)
    same = write_phone_audio(np.stack([tone_call()[0]] * 2), tmp_path / "f.wav", encoding="pcm16", noise=0)
    fake = AudioFile(same, 3600)
    assert all(len(b.channels) == 1 for b in fake.blocks(block_s=0.5)) and fake.channels == 1


def test_bad_inputs_get_a_clear_reason(tmp_path: Path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio " * 100)
    silent = write_phone_audio(np.zeros((2, SAMPLE_RATE * 2), np.float32), tmp_path / "silent.wav", noise=0)
    cases = {empty: "empty file", text: "not an audio file", silent: "silent recording"}
    for path, reason in cases.items():
        with pytest.raises(CallError, match=reason):
            decode(path, 3600)


def test_truncated_file_keeps_what_decodes_with_a_warning(tmp_path: Path):
    full = write_phone_audio(tone_call(4.0), tmp_path / "full.wav")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    audio, warnings = decode(cut, 3600)
    assert audio.duration == pytest.approx(2.0, abs=0.2)
    assert "truncated" in warnings[0]


def test_recording_over_the_length_limit_is_refused(tmp_path: Path):
    path = write_phone_audio(tone_call(3.0), tmp_path / "long.wav")
    with pytest.raises(CallError, match="longer than the limit"):
        decode(path, max_seconds=1.0)


@pytest.mark.parametrize("name,encoding", [("call.wav", "mu-law"), ("call.wav", "u8"), ("call.ogg", "mu-law")])
def test_synthesis_is_repeatable(tmp_path: Path, name, encoding):
    """Re-synthesised demo calls keep their SHA-256 identity, so a re-run does not count them twice."""
    first = write_phone_audio(tone_call(0.5), tmp_path / "a" / name, encoding=encoding).read_bytes()
    assert write_phone_audio(tone_call(0.5), tmp_path / "b" / name, encoding=encoding).read_bytes() == first
