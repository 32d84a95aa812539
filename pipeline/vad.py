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


@dataclass(frozen=True)
class Span:
    start: float  # seconds
    end: float

    def cut(self, samples: np.ndarray) -> np.ndarray:
        return samples[int(self.start * SAMPLE_RATE):int(self.end * SAMPLE_RATE)]


def speech_spans(samples: np.ndarray, min_silence_ms: int = MIN_SILENCE_MS,
                 pad_ms: int = PAD_MS) -> list[Span]:
    """Speech regions of one channel; pauses shorter than min_silence_ms stay inside a span."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=pad_ms,
                         max_speech_duration_s=MAX_SPAN_S)
    return [Span(round(t["start"] / SAMPLE_RATE, 3), round(t["end"] / SAMPLE_RATE, 3))
            for t in get_speech_timestamps(np.ascontiguousarray(samples, dtype=np.float32), options)]
