"""faster-whisper (CTranslate2): the default engine; int8 on CPU decodes faster than torch does."""
from __future__ import annotations

import numpy as np

from ..config import Config, ConfigError
from ..models import ModelSource, model_error, resolve_model
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
        self._initial_prompt = cfg.initial_prompt or None
        # What `make bench-asr` varies to measure the choice; the pipeline never changes them.
        self.temperature: float | tuple[float, ...] = TEMPERATURE  # a tuple = Whisper's fallback schedule
        self.loop_ngram = LOOP_NGRAM  # 0 = keep a looping window as it is

    def transcribe(self, samples: np.ndarray, language: str | None) -> tuple[list[Word], str]:
        samples = mono_float32(samples)
        segments, detected = self._decode(samples, language, 0)
        def loops(segs) -> bool:
            return any(s.compression_ratio > LOOP_COMPRESSION_RATIO or
                       looping([w.word for w in s.words or ()]) for s in segs)

        if self.loop_ngram and loops(segments):
            segments, detected = self._decode(samples, language, self.loop_ngram)
        raw = [(w.start, w.end, w.word, s.avg_logprob) for s in segments
               for w in (unlooped(list(s.words or ())) if self.loop_ngram else s.words or ())]
        return to_words(raw, len(samples)), detected

    def _decode(self, samples: np.ndarray, language: str | None, no_repeat_ngram_size: int) -> tuple[list, str]:
        segments, info = self._model.transcribe(
            samples, language=wanted_language(language), beam_size=self._beam_size,
            initial_prompt=self._initial_prompt, temperature=self.temperature,
            no_repeat_ngram_size=no_repeat_ngram_size,
            # Samples arrive as speech spans cut by pipeline.vad: a second VAD pass would only trim.
            vad_filter=False,
            # No text carried from window to window: at temperature 0 (no fallback to break a
            # loop) `make bench` measured a carried loop snowball over a 3-minute side (agent WER
            # 57.7 against 34.9 %, twice the decoding time); the 30 s calls of `make eval-asr`
            # showed no difference.
            condition_on_previous_text=False,
            word_timestamps=True)
        # `segments` is a lazy generator: decoding happens while it is consumed.
        return list(segments), info.language


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
