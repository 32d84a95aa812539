"""openai-whisper (PyTorch): the reference implementation, for comparison and for GPUs."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from ..config import Config
from ..models import ModelSource, model_error, openai_checkpoint, resolve_model
from ..transcribe import TEMPERATURE, Word, mono_float32, pick_device, to_words, wanted_language


class OpenAIWhisperEngine:
    name = "openai-whisper"

    def __init__(self, model, source: ModelSource, device: str, cfg: Config):
        self._model = model
        self.model = str(source)
        self.device = device
        self._beam_size = cfg.beam_size if cfg.beam_size > 1 else None  # None = greedy
        self._initial_prompt = cfg.initial_prompt or None
        # Temperature 0 alone: on the demo calls it recognises as well as the fallback did (README,
        # Development). `make bench-asr` varies it to measure that; the pipeline never does.
        self.temperature: float | tuple[float, ...] = TEMPERATURE  # a tuple = Whisper's fallback schedule
        # whisper.transcribe hangs its key/value cache hooks on the shared model for the length
        # of a call, so two threads decoding at once would corrupt each other.
        self._lock = threading.Lock()

    def transcribe(self, chunks: Sequence[np.ndarray], language: str | None) -> tuple[list[list[Word]], str]:
        import whisper

        # whisper would report a requested language as-is even though an English-only model
        # cannot honour it; say what is actually used.
        language = wanted_language(language) if self._model.is_multilingual else "en"
        words = []
        for chunk in chunks:  # one window each, one after another
            samples = mono_float32(chunk)
            with self._lock:
                result = whisper.transcribe(
                    self._model, samples, language=language, beam_size=self._beam_size,
                    initial_prompt=self._initial_prompt, temperature=self.temperature,
                    # No loop guard in this engine (faster_whisper.py has one): no text carried
                    # over that could let a stuck window snowball.
                    condition_on_previous_text=False,
                    fp16=self.device == "cuda", verbose=None, word_timestamps=True)
            language = language or result["language"]  # the first chunk's, for all: one call, one language
            words.append(to_words([(w["start"], w["end"], w["word"], s["avg_logprob"])
                                   for s in result["segments"] for w in s.get("words", ())], len(samples)))
        return words, language or ""


def _cached_checkpoint(name: str) -> Path:
    """A Whisper name -> its .pt in openai-whisper's own cache, which must already be there.
    whisper.load_model(name) would download a missing (or mismatching) file, so the path is
    what gets loaded."""
    import whisper

    if name not in whisper.available_models():
        raise model_error(f"{name!r} is neither 'default', an existing path nor an openai-whisper "
                          f"model name ({', '.join(whisper.available_models())})")
    root = Path(os.getenv("XDG_CACHE_HOME") or Path.home() / ".cache") / "whisper"
    checkpoint = root / os.path.basename(whisper._MODELS[name])  # e.g. "large" -> large-v3.pt
    if not checkpoint.is_file():
        raise model_error(f"openai-whisper model {name!r} is not in the local cache and callqa never "
                          f"downloads: put {checkpoint.name} in {root}, or set model to a local .pt "
                          "checkpoint or a CTranslate2 model directory")
    return checkpoint


def load(cfg: Config) -> OpenAIWhisperEngine:
    import torch
    import whisper

    source = resolve_model(cfg.model)
    if source.path is None:
        checkpoint = _cached_checkpoint(source.name)
    elif source.path.is_dir():
        checkpoint = openai_checkpoint(source.path, source.name)
    else:
        checkpoint = source.path
    device = pick_device(cfg.device, torch.cuda.is_available())
    try:
        model = whisper.load_model(str(checkpoint), device=device)
    except Exception as exc:  # not a checkpoint, truncated, wrong keys: all the setting's fault
        raise model_error(f"cannot load {checkpoint} with openai-whisper: {exc or type(exc).__name__}") from exc
    if source.path is not None and source.path.is_dir():
        _use_alignment_heads(model, source.path)
    return OpenAIWhisperEngine(model, source, device, cfg)


def _use_alignment_heads(model, model_dir: Path) -> None:
    """Word times come from the cross-attention heads that track the audio; a CTranslate2 model
    names them in config.json (openai-whisper knows them only for its own downloads)."""
    import json

    import torch

    config = model_dir / "config.json"
    heads = json.loads(config.read_text()).get("alignment_heads") if config.is_file() else None
    if heads:
        mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
