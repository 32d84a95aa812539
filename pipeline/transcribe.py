"""Speech to text behind one interface, whichever Whisper engine does the work.

Each engine lives in pipeline/engines/ and exposes `load(cfg) -> Engine`; the registry below
imports it only when asked for, and the engines import torch / ctranslate2 only when loading,
so importing this module stays cheap.
"""
from __future__ import annotations

import importlib
import threading
from typing import Callable, Iterable, Protocol

import numpy as np

from .config import Config, ConfigError
from .domain import SAMPLE_RATE, Segment


class Engine(Protocol):
    name: str  # "faster-whisper" | "openai-whisper"
    model: str  # resolved model name or path, stored as provenance
    device: str  # "cpu" | "cuda" actually used

    def transcribe(self, samples: np.ndarray, language: str | None) -> tuple[list[Segment], str]:
        """16 kHz mono float32 samples -> segments (speaker="unknown", start/end in seconds,
        text stripped, avg_logprob) and the language used or detected. language None = detect
        (an English-only *.en model always uses "en")."""
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
    initial_prompt): the model is loaded once, never per call."""
    key = (cfg.engine, cfg.model, cfg.device, cfg.compute_type, cfg.beam_size, cfg.initial_prompt)
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


def to_segments(raw: Iterable[tuple[float, float, str, float | None]], n_samples: int) -> list[Segment]:
    """(start, end, text, avg_logprob) from an engine -> Segments. Empty texts are dropped; times
    are clamped to the clip (Whisper's last timestamp token can overshoot the audio) and rounded
    to the millisecond, as faster-whisper already does, so both engines report alike."""
    duration = n_samples / SAMPLE_RATE
    segments = []
    for start, end, text, avg_logprob in raw:
        text = text.strip()
        if text:
            start = min(max(round(float(start), 3), 0.0), duration)
            end = min(max(round(float(end), 3), start), duration)
            segments.append(Segment("unknown", start, end, text,
                                    None if avg_logprob is None else float(avg_logprob)))
    return segments
