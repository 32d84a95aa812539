"""Speech spans per side, and the dialogue they give: turns in their real order and times."""
import numpy as np
import pytest

from pipeline.config import Config
from pipeline.domain import SAMPLE_RATE, Audio
from pipeline.audio import BLOCK_S, blocks_of
from pipeline.process import listen, transcribe_audio
from pipeline.synth import Turn, render_call
from pipeline.transcribe import load_engine
from pipeline.vad import SpeechWindow, speech_spans

TURNS = [
    Turn("agent", "Good afternoon, this is Anna from Sunrise."),
    Turn("customer", "Hello, who is this?"),
    Turn("agent", "Is this a good time to talk?"),
    Turn("customer", "Yes, go ahead."),
]


@pytest.fixture(scope="module")
def call():
    return render_call(TURNS)


def test_spans_hold_each_sides_turns_and_nothing_else(call):
    """Spans bridge pauses under 2 s (a side's turns around a short reply may share one, and
    transcription splits them again at the speaker's pauses); each starts and ends at speech."""
    stereo, timeline = call
    for row, speaker in enumerate(("agent", "customer")):
        spans = speech_spans(stereo[row])
        truth = [t for t in timeline if t.speaker == speaker]
        for turn in truth:
            assert any(s.start <= turn.start + 0.3 and turn.end - 0.3 <= s.end for s in spans), turn
        for span in spans:
            inside = [t for t in truth if span.start - 0.5 <= t.start and t.end <= span.end + 1.0]
            assert inside, span
            assert span.start == pytest.approx(inside[0].start, abs=0.5)
            assert span.end == pytest.approx(inside[-1].end, abs=1.0)  # 400 ms pad, the VAD's hangover


def test_silence_and_hiss_have_no_speech():
    rng = np.random.default_rng(0)
    assert speech_spans(np.zeros(3 * SAMPLE_RATE, np.float32)) == []
    assert speech_spans(rng.normal(0, 0.003, 3 * SAMPLE_RATE).astype(np.float32)) == []


@pytest.mark.slow
@pytest.mark.parametrize("block_s", [BLOCK_S, 5.0])
def test_stereo_call_becomes_a_dialogue_in_real_time_order(call, block_s):
    """In one block, as most calls are read, and in blocks of 5 s, as a long call is."""
    stereo, timeline = call
    audio = Audio(channels=(stereo[0], stereo[1]), source_rate=SAMPLE_RATE, codec="pcm_f32le")
    cfg = Config(device="cpu")
    heard = listen(lambda: blocks_of(audio, block_s), load_engine(cfg), cfg)
    segments, language = heard.segments, heard.language
    assert language == "en"
    assert [s.speaker for s in segments] == [t.speaker for t in timeline]
    for segment, turn in zip(segments, timeline):
        assert segment.start == pytest.approx(turn.start, abs=0.5)
    assert "talk" in segments[2].text.lower()


@pytest.mark.slow
def test_a_muted_side_gives_no_words(call):
    stereo, timeline = call
    audio = Audio(channels=(stereo[0], np.zeros_like(stereo[1])), source_rate=SAMPLE_RATE, codec="pcm_f32le")
    cfg = Config(device="cpu")
    segments = transcribe_audio(audio, load_engine(cfg), cfg).segments
    assert [s.speaker for s in segments] == ["agent", "agent"]


@pytest.mark.parametrize("block_s", [4.0, 7.5])
def test_speech_found_block_by_block_is_each_span_once_and_whole(call, block_s):
    """A long call is read in blocks: a span cut by a block's end waits for the next block, so
    each turn is found once, whole, at the times the whole channel gives."""
    stereo, timeline = call
    size = int(block_s * SAMPLE_RATE)
    for row in (0, 1):
        window, found = SpeechWindow(), []
        for start in range(0, stereo.shape[1], size):
            speech = window.feed(stereo[row, start:start + size], start + size >= stereo.shape[1])
            spans = speech.spans
            for span in spans:
                assert len(span.cut(speech.samples, speech.offset)) == pytest.approx((span.end - span.start) * SAMPLE_RATE, abs=16)  # times in ms
            found += spans
        whole = speech_spans(stereo[row])
        assert len(found) == len(whole)
        for a, b in zip(found, whole):
            assert a.start == pytest.approx(b.start, abs=0.3) and a.end == pytest.approx(b.end, abs=0.3)
        assert all(a.end <= b.start for a, b in zip(found, found[1:]))  # nothing found twice
        assert len(window.tail.samples) < 8 * SAMPLE_RATE  # what waits is a span or so, not the call
