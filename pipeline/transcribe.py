"""Speech to text behind one interface, whichever Whisper engine does the work.

Each engine lives in pipeline/engines/ and exposes `load(cfg) -> Engine`; the registry below
imports it only when asked for, and the engines import torch / ctranslate2 only when loading,
so importing this module stays cheap.
"""
from __future__ import annotations

import importlib
import threading
from bisect import bisect_right
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Callable, Iterable, Protocol

import numpy as np

from .config import Config, ConfigError
from .domain import SAMPLE_RATE, Segment
from .vad import Span

# A pause between two words of one side this long ends a turn (segment). VAD spans bridge
# shorter silences (vad.MIN_SILENCE_MS), so Whisper hears whole sentences; the turns come back
# from the word times.
TURN_PAUSE_S = 1.0

# Whisper's default decoding retries a window at rising temperatures (0.2 ... 1.0) when the beam
# result looks poor, and those retries draw words at random: the same call got another
# transcript, and another score, on each run. Temperature 0 alone is plain beam search, the same
# every time; `make bench-asr` measures what the retries were worth (README, Development).
TEMPERATURE = 0.0


@dataclass(frozen=True)
class Word:
    start: float  # seconds in the samples given to the engine
    end: float
    text: str  # as Whisper spells it, with its leading space
    avg_logprob: float | None  # of the Whisper segment the word came from


class Engine(Protocol):
    name: str  # "faster-whisper" | "openai-whisper"
    model: str  # resolved model name or path, stored as provenance
    device: str  # "cpu" | "cuda" actually used

    def transcribe(self, samples: np.ndarray, language: str | None) -> tuple[list[Word], str]:
        """16 kHz mono float32 samples -> timed words and the language used or detected.
        language None = detect (an English-only *.en model always uses "en")."""
        ...


def _engine_module(module: str) -> Callable[[Config], Engine]:
    def load(cfg: Config) -> Engine:
        return importlib.import_module(module, __package__).load(cfg)
    return load


LOADERS: dict[str, Callable[[Config], Engine]] = {
    "faster-whisper": _engine_module(".engines.faster_whisper"),
    "openai-whisper": _engine_module(".engines.openai_whisper"),
}

_engines: dict[tuple, Engine] = {}
_engines_lock = threading.Lock()  # flow tasks may run in threads: still one load per model


def load_engine(cfg: Config) -> Engine:
    """One instance per process per (engine, model, device, compute_type, beam_size,
    initial_prompt, parallelism): the model is loaded once, never per call; faster-whisper's
    serves `workers` calls at once from as many threads."""
    key = (cfg.engine, cfg.model, cfg.device, cfg.compute_type, cfg.beam_size, cfg.initial_prompt, cfg.parallel)
    with _engines_lock:
        if key not in _engines:
            if cfg.engine not in LOADERS:
                raise ConfigError(f"config key 'engine': {cfg.engine!r} is not one of {', '.join(LOADERS)}")
            _engines[key] = LOADERS[cfg.engine](cfg)
        return _engines[key]


# Helpers shared by the engine modules.

def pick_device(requested: str, cuda_available: bool) -> str:
    if requested == "auto":
        return "cuda" if cuda_available else "cpu"
    if requested == "cuda" and not cuda_available:
        raise ConfigError("config key 'device': 'cuda' was asked for but no CUDA device is visible")
    return requested


def mono_float32(samples: np.ndarray) -> np.ndarray:
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError(f"expected mono samples (1-D), got shape {samples.shape}")
    return samples


def wanted_language(language: str | None) -> str | None:
    """None (or the config value "auto") = let the model detect it."""
    return None if language in (None, "", "auto") else language


def to_words(raw: Iterable[tuple[float, float, str, float | None]], n_samples: int) -> list[Word]:
    """(start, end, text, avg_logprob) per word from an engine -> Words. Empty words are dropped;
    times are clamped to the clip (Whisper's last timestamp can overshoot the audio)."""
    duration = n_samples / SAMPLE_RATE
    words = []
    for start, end, text, avg_logprob in raw:
        if text.strip():
            start = min(max(float(start), 0.0), duration)
            words.append(Word(start, min(max(float(end), start), duration), text,
                              None if avg_logprob is None else float(avg_logprob)))
    return words


def transcribe_spans(engine: Engine, samples: np.ndarray, spans: list[Span],
                     language: str | None, offset: float = 0.0) -> tuple[list[Segment], str]:
    """One side's speech spans -> its turns as segments (speaker "unknown"), and the language.
    `samples` begin at `offset` seconds into the call; the spans are timed in the call.

    The spans are joined end to end into one stream, as faster-whisper's own VAD joins them, so
    Whisper hears each turn in the context of the previous ones (tiny models guess far worse on
    short clips alone; `make eval-asr` measured a pause put between spans worse on a bad line);
    word times then put every word back into its span, so each turn keeps its real time.
    """
    if not spans:
        return [], language or ""
    clips = [span.cut(samples, offset) for span in spans]
    words, detected = engine.transcribe(np.concatenate(clips), language)
    segments = []
    groups = words_per_span(words, spans, [len(clip) / SAMPLE_RATE for clip in clips])
    for group in (part for g in groups for part in split_at_pauses(g)):
        text = "".join(w.text for w in group).strip()
        if text:
            logprobs = [w.avg_logprob for w in group if w.avg_logprob is not None]
            segments.append(Segment(
                "unknown", round(min(w.start for w in group), 3), round(max(w.end for w in group), 3), text,
                round(sum(logprobs) / len(logprobs), 4) if logprobs else None))
    return segments, detected


def split_at_pauses(words: list[Word], pause_s: float = TURN_PAUSE_S) -> list[list[Word]]:
    """A span's words split where the speaker paused: a span may hold two turns of one side
    with the other side's short reply between them, and each turn keeps its own time."""
    parts: list[list[Word]] = []
    for word in words:
        if parts and word.start - parts[-1][-1].end < pause_s:
            parts[-1].append(word)
        else:
            parts.append([word])
    return parts


def words_per_span(words: list[Word], spans: list[Span], lengths: list[float]) -> list[list[Word]]:
    """Words timed in the joined stream (each span's clip of the given length, end to end) ->
    each span's words, timed in the call and clamped inside the span. A word goes to the clip
    its middle falls in (Whisper stretches a turn's last word, or starts the next one early)."""
    starts = list(accumulate(lengths[:-1], initial=0.0))
    groups: list[list[Word]] = [[] for _ in spans]
    for word in words:
        i = max(bisect_right(starts, (word.start + word.end) / 2) - 1, 0)
        span, shift = spans[i], spans[i].start - starts[i]
        start = min(max(word.start + shift, span.start), span.end)
        groups[i].append(replace(word, start=start, end=min(max(word.end + shift, start), span.end)))
    return groups
