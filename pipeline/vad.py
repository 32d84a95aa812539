"""Where each side speaks: Silero voice activity (the model ships inside faster-whisper).

Transcribing speech spans instead of whole channels keeps each turn's real time in the
dialogue (Whisper would merge a side's turns across the other side's speech), skips the
silence and line noise on which Whisper invents text, and gives speech time per side.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .domain import SAMPLE_RATE

MAX_SPAN_S = 28.0  # one Whisper window is 30 s: a span never needs two
# faster-whisper's own defaults. `make eval-asr` measured 500 ms / 200 ms worse (word edges
# clipped, sentences cut in two); such spans may hold several turns of one side, which
# transcribe.py splits again at the speaker's pauses.
MIN_SILENCE_MS = 2000
PAD_MS = 400
# A span ending this close to the end of the audio read so far may go on in the next block.
OPEN_S = (MIN_SILENCE_MS + PAD_MS) / 1000 + 0.5


@dataclass(frozen=True)
class Span:
    start: float  # seconds
    end: float

    def cut(self, samples: np.ndarray, offset: float = 0.0) -> np.ndarray:
        """This span of `samples`, whose first sample is at `offset` seconds."""
        first = round(offset * SAMPLE_RATE)
        return samples[max(0, int(self.start * SAMPLE_RATE) - first):int(self.end * SAMPLE_RATE) - first]


def speech_spans(samples: np.ndarray, offset: float = 0.0, min_silence_ms: int = MIN_SILENCE_MS,
                 pad_ms: int = PAD_MS) -> list[Span]:
    """Speech regions of one channel; pauses shorter than min_silence_ms stay inside a span.
    Times are in seconds from `offset`, the time of the first sample."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=pad_ms,
                         max_speech_duration_s=MAX_SPAN_S)
    return [Span(round(offset + t["start"] / SAMPLE_RATE, 3),
                 round(offset + min(t["end"], len(samples)) / SAMPLE_RATE, 3))  # never past the audio
            for t in get_speech_timestamps(np.ascontiguousarray(samples, dtype=np.float32), options)]


@dataclass(frozen=True)
class Speech:
    """One side's speech spans (timed in the call) in samples that begin `offset` s into it."""
    samples: np.ndarray
    spans: list[Span]
    offset: float = 0.0


class Tail:
    """The end of a channel not yet used up: blocks are appended, the used part dropped."""

    def __init__(self):
        self.start = 0  # sample index of samples[0] in the recording
        self.samples = np.zeros(0, np.float32)

    @property
    def offset(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def end(self) -> float:
        return (self.start + len(self.samples)) / SAMPLE_RATE

    def append(self, samples: np.ndarray) -> None:
        self.samples = np.concatenate([self.samples, samples]) if len(self.samples) else samples

    def drop_before(self, seconds: float) -> None:
        cut = min(max(0, round(seconds * SAMPLE_RATE) - self.start), len(self.samples))
        self.samples, self.start = self.samples[cut:], self.start + cut


class SpeechWindow:
    """One channel's speech spans found block by block, each span once and whole.

    Voice activity runs over the unused tail plus the new block; spans that end well before the
    block's end are done, the rest (the speaker may go on) wait for the next block with their
    samples. So memory holds a block and a span or so, however long the call.
    """

    def __init__(self):
        self.tail = Tail()

    def feed(self, samples: np.ndarray, last: bool) -> Speech:
        """A new block -> the spans finished in the samples kept so far."""
        self.tail.append(samples)
        buffer, offset, end = self.tail.samples, self.tail.offset, self.tail.end
        spans = speech_spans(buffer, offset)
        done = spans if last else [s for s in spans if s.end <= end - OPEN_S]
        waiting = spans[len(done):]
        # The samples kept give the next pass context, and hold every span still open.
        self.tail.drop_before(min(waiting[0].start if waiting else end, end - OPEN_S))
        return Speech(buffer, done, offset)
