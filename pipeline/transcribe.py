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
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np

from .config import Config, ConfigError
from .domain import SAMPLE_RATE, Segment
from .vad import Span, Speech

# A pause between two words of one side this long ends a turn (segment). VAD spans bridge
# shorter silences (vad.MIN_SILENCE_MS), so Whisper hears whole sentences; the turns come back
# from the word times.
TURN_PAUSE_S = 1.0

# Whisper's default decoding retries a window at rising temperatures (0.2 ... 1.0) when the beam
# result looks poor, and those retries draw words at random: the same call got another
# transcript, and another score, on each run. Temperature 0 alone is plain beam search, the same
# every time; `make bench-asr` measures what the retries were worth (README, Development).
TEMPERATURE = 0.0

# Whisper hears 30 s at a time. Speech is packed into chunks of up to one window, each decoded
# on its own: the chunks of both sides of a call go to the engine together, which decodes them
# as one batch (`make bench`: 1.75x the speed of Whisper's sliding window over each side, WER
# no worse; spans never run longer, vad.MAX_SPAN_S).
MAX_CHUNK_S = 30.0


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

    def transcribe(self, chunks: Sequence[np.ndarray], language: str | None) -> tuple[list[list[Word]], str]:
        """16 kHz mono float32 chunks, each at most one Whisper window (MAX_CHUNK_S) -> each
        chunk's timed words (seconds in that chunk) and the one language used or detected for
        all of them. language None = detect (an English-only *.en model always uses "en")."""
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
    batch_size, initial_prompt, parallelism): the model is loaded once, never per call; faster-whisper's
    serves `workers` calls at once from as many threads."""
    key = (cfg.engine, cfg.model, cfg.device, cfg.compute_type, cfg.beam_size, cfg.batch_size, cfg.initial_prompt,
           cfg.parallel)
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


def transcribe_sides(engine: Engine, sides: Sequence[Speech],
                     language: str | None) -> tuple[list[list[Segment]], str]:
    """Each side's speech -> its turns as segments (speaker "unknown"), and the language.

    A side's spans are joined end to end into chunks of up to MAX_CHUNK_S, as faster-whisper's
    own VAD joins them, so Whisper hears each turn in the context of the previous ones (tiny
    models guess far worse on short clips alone; `make eval-asr` measured a pause put between
    spans worse on a bad line); word times then put every word back into its span, so each turn
    keeps its real time. The chunks of all sides are one request to the engine.
    """
    packed = [chunks(side) for side in sides]
    flat = [clips for side in packed for clips, _ in side]
    if not flat:
        return [[] for _ in sides], language or ""
    heard, detected = engine.transcribe([np.concatenate(clips) for clips in flat], language)
    heard = iter(heard)
    out = []
    for side in packed:
        groups = [group for clips, spans in side
                  for group in words_per_span(next(heard), spans, [len(c) / SAMPLE_RATE for c in clips])]
        out.append([turn(part) for group in groups for part in split_at_pauses(group)])
    return out, detected


def transcribe_spans(engine: Engine, samples: np.ndarray, spans: list[Span],
                     language: str | None, offset: float = 0.0) -> tuple[list[Segment], str]:
    """One side's speech spans -> its turns (transcribe_sides for one side)."""
    (segments,), detected = transcribe_sides(engine, [Speech(samples, spans, offset)], language)
    return segments, detected


def chunks(side: Speech) -> list[tuple[list[np.ndarray], list[Span]]]:
    """Consecutive spans packed into chunks of up to MAX_CHUNK_S: each chunk's clips and spans."""
    out: list[tuple[list[np.ndarray], list[Span]]] = []
    length = 0
    for span in side.spans:
        clip = span.cut(side.samples, side.offset)
        if not out or length + len(clip) > MAX_CHUNK_S * SAMPLE_RATE:
            out.append(([], []))
            length = 0
        out[-1][0].append(clip)
        out[-1][1].append(span)
        length += len(clip)
    return out


def turn(words: list[Word]) -> Segment:
    logprobs = [w.avg_logprob for w in words if w.avg_logprob is not None]
    return Segment("unknown", round(min(w.start for w in words), 3), round(max(w.end for w in words), 3),
                   "".join(w.text for w in words).strip(),
                   round(sum(logprobs) / len(logprobs), 4) if logprobs else None)


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
