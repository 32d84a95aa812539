"""faster-whisper (CTranslate2): the default engine; int8 on CPU decodes faster than torch does."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from itertools import accumulate
from typing import Sequence

import numpy as np

from ..config import Config, ConfigError
from ..models import ModelSource, model_error, resolve_model
from ..domain import SAMPLE_RATE
from ..transcribe import TEMPERATURE, Word, mono_float32, pick_device, to_words, wanted_language


# Whisper's own sign of a window stuck in a loop ("have a good day, have a good day, ..."): its
# text compresses too well. Whisper would sample that window again at a higher temperature, at
# random; callqa decodes the samples again with any repeat of a 5-token sequence blocked, which
# is the same every run. Only then: a blocked repeat could misspell a name said twice.
LOOP_COMPRESSION_RATIO = 2.4
LOOP_NGRAM = 5
# A short loop compresses less than that ("have a good day" three times over): the same three
# words three times in one segment are a loop too.
LOOP_WORDS, LOOP_TIMES = 3, 3
FRAMES_PER_SECOND = 100  # Whisper's mel frames


def _key(word: str) -> str:
    return word.strip(" .,!?;:").lower()


def looping(words: list[str]) -> bool:
    keys = [_key(w) for w in words]
    grams = [tuple(keys[i:i + LOOP_WORDS]) for i in range(len(keys) - LOOP_WORDS + 1)]
    return any(grams.count(g) >= LOOP_TIMES for g in set(grams))


def unlooped(words: list) -> list:
    """Words with each immediate repeat of a run of 2 to 6 words dropped ("have a good day,
    have a good day" -> "have a good day,"): what the blocked re-decode could not prevent when
    the repeats differ in case, and so in tokens."""
    out: list = []
    for w in words:
        out.append(w)
        for n in range(2, 7):
            if len(out) >= 2 * n and [_key(x.word) for x in out[-n:]] == [_key(x.word) for x in out[-2 * n:-n]]:
                del out[-n:]
                break
    return out


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, model, source: ModelSource, device: str, cfg: Config):
        self._model = model
        self.model = str(source)
        self.device = device
        self._beam_size = cfg.beam_size
        self._batch_size = cfg.batch_size
        self._initial_prompt = cfg.initial_prompt or None
        # What `make bench-asr` varies to measure the choice; the pipeline never changes them.
        self.temperature: float | tuple[float, ...] = TEMPERATURE  # a tuple = Whisper's fallback schedule
        self.loop_ngram = LOOP_NGRAM  # 0 = keep a looping window as it is

    def transcribe(self, chunks: Sequence[np.ndarray], language: str | None) -> tuple[list[list[Word]], str]:
        if not chunks:
            return [], language or ""
        chunks = [mono_float32(c) for c in chunks]
        segments, detected = self._decode(chunks, language, 0)
        looped = [i for i, segs in enumerate(segments) if any(
            s.compression_ratio > LOOP_COMPRESSION_RATIO or looping([w.word for w in s.words or ()]) for s in segs)]
        if self.loop_ngram and looped:
            again, _ = self._decode([chunks[i] for i in looped], detected, self.loop_ngram)
            for i, segs in zip(looped, again):
                segments[i] = segs
        words = []
        for segs, chunk in zip(segments, chunks):
            raw = [(w.start, w.end, w.word, s.avg_logprob) for s in segs
                   for w in (unlooped(list(s.words or ())) if self.loop_ngram else s.words or ())]
            words.append(to_words(raw, len(chunk)))
        return words, detected

    def _decode(self, chunks: list[np.ndarray], language: str | None,
                no_repeat_ngram_size: int) -> tuple[list[list], str]:
        """Each chunk's segments, words timed in the chunk. The chunks are laid end to end and
        named by clip_timestamps, so that faster-whisper decodes `batch_size` of them at once."""
        from faster_whisper import BatchedInferencePipeline

        starts = [0, *accumulate(len(c) for c in chunks)]
        clips = [{"start": a / SAMPLE_RATE, "end": b / SAMPLE_RATE} for a, b in zip(starts, starts[1:])]
        # A pipeline per request: it keeps the last word's time between its batches.
        segments, info = BatchedInferencePipeline(self._model).transcribe(
            np.concatenate(chunks), language=wanted_language(language), beam_size=self._beam_size,
            initial_prompt=self._initial_prompt, temperature=self.temperature,
            no_repeat_ngram_size=no_repeat_ngram_size, clip_timestamps=clips, batch_size=self._batch_size,
            # Text only, no timestamp tokens: the word times come from the cross-attention
            # alignment, which needs no tokens for them, and each chunk is a few turns of one side.
            without_timestamps=True, word_timestamps=True)
        out: list[list] = [[] for _ in chunks]
        for segment in segments:  # lazy: decoding happens while it is consumed
            i = bisect_right(starts, (segment.start + segment.end) / 2 * SAMPLE_RATE) - 1
            # Word times count from the segment's seek (its chunk's start in 10 ms frames).
            shift = segment.seek / FRAMES_PER_SECOND
            out[i].append(replace(segment, words=[replace(w, start=w.start - shift, end=w.end - shift)
                                                  for w in segment.words or ()]))
        return out, info.language


def load(cfg: Config) -> FasterWhisperEngine:
    import ctranslate2
    from threadpoolctl import threadpool_limits

    # The mel features are a numpy product, which OpenBLAS splits over as many threads as
    # OMP_NUM_THREADS says (a Dask worker sets 1, a shell leaves it unset): another split sums
    # in another order, and the transcript changed. One thread in every process that
    # transcribes: the same words from `callqa run`, a Dask worker, or a machine with more cores.
    threadpool_limits(1, user_api="blas")
    from faster_whisper import WhisperModel
    from faster_whisper.utils import _MODELS, download_model

    source = resolve_model(cfg.model)
    if source.path is None:
        if source.name not in _MODELS:
            raise model_error(f"{source.name!r} is neither 'default', an existing path nor a faster-whisper "
                              f"model name ({', '.join(_MODELS)})")
        try:  # local_files_only: a lookup in the Hugging Face cache, never a download
            path = download_model(source.name, local_files_only=True)
        except FileNotFoundError as exc:
            from huggingface_hub.constants import HF_HUB_CACHE

            raise model_error(f"faster-whisper model {source.name!r} is not in the local cache and callqa "
                              f"never downloads: put the Hugging Face repo {_MODELS[source.name]} in "
                              f"{HF_HUB_CACHE}, or set model to a CTranslate2 model directory") from exc
    elif source.path.is_dir():
        path = source.path
    else:
        raise model_error(f"{source.path} is a file; faster-whisper needs a CTranslate2 model directory "
                          "(model.bin, config.json, tokenizer.json)")
    device = pick_device(cfg.device, ctranslate2.get_cuda_device_count() > 0)
    compute_type = cfg.compute_type
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    supported = ctranslate2.get_supported_compute_types(device)
    if compute_type not in supported:
        raise ConfigError(f"config key 'compute_type': {compute_type!r} is not supported on {device} "
                          f"(supported: {', '.join(sorted(supported))})")
    try:
        workers, threads = cfg.parallel
        model = WhisperModel(str(path), device=device, compute_type=compute_type,  # ctranslate2 rejects a Path
                             cpu_threads=threads, num_workers=workers)
    except Exception as exc:  # no model.bin, a corrupt file, not a Whisper model: the setting's fault
        raise model_error(f"cannot load {path} with faster-whisper: {exc or type(exc).__name__}") from exc
    return FasterWhisperEngine(model, source, device, cfg)
