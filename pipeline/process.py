"""One recording through the stages: decode, transcribe each side, merge.

The recording is read in blocks (audio.BLOCK_S), and each block's finished speech is
transcribed before the next is decoded: memory stays bounded for a call of any length.

Plain functions: the Prefect flow wraps them in tasks, `callqa score` calls them directly.
Scoring is a pass of its own over the stored transcripts (rescore.py).
A bad input never raises out of here: it becomes a failed CallResult with the reason.
Only TransientError escapes, so that the caller may retry.
"""
from __future__ import annotations

import time
from bisect import bisect_right
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Callable, Iterator, Mapping

import numpy as np

from .audio import AudioFile, Block, blocks_of
from .config import Config
from .dialogue import label, merge_channels
from .redact import redact
from .domain import Audio, CallError, CallResult, Recording, Segment, Transcript, TranscriptionInfo, TransientError
from .transcribe import Engine, transcribe_sides, transcribe_spans
from .vad import SpeechWindow, Tail

MB = 1024 * 1024
# Below this, a mono call's roles carry a warning. `make eval-diarize`: calls at 0.16 to 0.73 all
# had 95-100 % of their speech on the right side; a call whose words tell nothing gets 0.1 or less.
ROLES_SURE = 0.15


def over_size_limit(size_mb: float, limit_mb: float) -> str:
    """'file of 1.3 MB is over the limit of 0.5 MB': as many decimals as it takes to tell the
    two apart, and never a limit of '0 MB'."""
    def mb(value: float, decimals: int) -> str:
        return f"{value:.{decimals}f}".rstrip("0").rstrip(".")

    for decimals in range(1, 7):
        size, limit = mb(size_mb, decimals), mb(limit_mb, decimals)
        if size != limit and limit != "0":
            break
    return f"file of {size} MB is over the limit of {limit} MB"


@dataclass(frozen=True)
class Heard:
    segments: tuple[Segment, ...]
    language: str
    roles_confidence: float | None = None  # mono calls split by voice: how sure the roles are
    stages: Mapping[str, float] = field(default_factory=dict)  # seconds: decode, vad, asr, voices


class Stopwatch:
    """Seconds per stage of one call, summed over its blocks (`make bench` and calls.*_s)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def blocks(self, blocks: Iterator[Block]) -> Iterator[Block]:
        """The blocks, each one's decoding timed."""
        while True:
            with self.stage("decode"):
                block = next(blocks, None)
            if block is None:
                return
            yield block


def transcribe_audio(audio: Audio, engine: Engine, cfg: Config) -> Heard:
    """Audio already in memory (tests, evaluations), heard as a recording is read."""
    return listen(lambda: blocks_of(audio), engine, cfg)


def listen(read: Callable[[], Iterator[Block]], engine: Engine, cfg: Config) -> Heard:
    """A recording, read block by block (`read` starts a reading), as one dialogue. Each side's
    speech spans are transcribed separately; stereo sides get their roles; a mono call is split
    into two voices and the agent's found by its words (`diarize_mono`), else it is one
    speaker, 'unknown'."""
    language = None if cfg.language == "auto" else cfg.language
    watch = Stopwatch()
    blocks = watch.blocks(read())
    first = next(blocks, None)
    if first is None:
        return Heard((), language or "unknown", stages=watch.seconds)
    blocks = chain([first], blocks)
    if len(first.channels) == 1 and cfg.diarize_mono:
        return _two_voices(blocks, read, engine, language, watch)
    roles = cfg.stereo_roles if len(first.channels) == 2 else ("unknown",)
    windows = [SpeechWindow() for _ in roles]
    sides: list[list[Segment]] = [[] for _ in roles]
    for block in blocks:
        # A muted side has no speech spans, so Whisper never hears (and invents on) its silence.
        with watch.stage("vad"):
            speech = [window.feed(samples, block.last) for samples, window in zip(block.channels, windows)]
        with watch.stage("asr"):  # both sides' speech of the block as one batch
            heard, detected = transcribe_sides(engine, speech, language)
        # The first speech heard fixes the language for the rest: one call, one language.
        language = language or (detected if any(heard) else None)
        for side, segments in zip(sides, heard):
            side.extend(segments)
    return Heard(merge_channels([label(side, role) for side, role in zip(sides, roles)]), language or "unknown",
                 stages=watch.seconds)


def _two_voices(blocks: Iterator[Block], read: Callable[[], Iterator[Block]], engine: Engine,
                language: str | None, watch: Stopwatch) -> Heard:
    """Two readings: the first finds the speech and embeds its voice, then the voices are told
    apart over the whole call; the second transcribes each voice's turns."""
    from .diarize import agent_voice, embed_windows, voice_turns  # the voice encoder loads for mono calls only

    window, spans, centres, vectors = SpeechWindow(), [], [], []
    for block in blocks:
        with watch.stage("vad"):
            speech = window.feed(block.channels[0], block.last)
        with watch.stage("voices"):
            found, embedded = embed_windows(speech.samples, speech.spans, speech.offset)
        spans += speech.spans
        centres += found
        vectors.append(embedded)
    with watch.stage("voices"):
        turns, distance = voice_turns(spans, centres, np.concatenate(vectors))
    segments: list[Segment] = []
    tail, next_turn = Tail(), 0
    for block in watch.blocks(read()):
        tail.append(block.channels[0])
        ready = next_turn
        while ready < len(turns) and (block.last or turns[ready].span.end <= tail.end):
            ready += 1
        with watch.stage("asr"):
            found, detected = transcribe_spans(engine, tail.samples, [t.span for t in turns[next_turn:ready]],
                                               language, tail.offset)
        language = language or (detected if found else None)
        segments += found
        next_turn = ready
        tail.drop_before(turns[next_turn].span.start if next_turn < len(turns) else tail.end)
    language = language or "unknown"

    starts = [t.span.start for t in turns]
    # Words stay inside the turn they were heard in, so a segment's middle finds its turn.
    voices = [turns[max(0, bisect_right(starts, (s.start + s.end) / 2) - 1)].voice for s in segments]
    texts = {v: " ".join(s.text for s, sv in zip(segments, voices) if sv == v) for v in (0, 1)}
    agent, confidence = agent_voice(texts, voices[0] if voices else None, language, distance)
    labelled = tuple(replace(s, speaker="agent" if v == agent else "customer")
                     for s, v in zip(segments, voices))
    return Heard(labelled, language, confidence, watch.seconds)


def transcript_settings(cfg: Config) -> dict:
    """The settings that shape a transcript, stored with it: a transcript made otherwise is
    told apart without the audio."""
    return {"beam_size": cfg.beam_size, "language": cfg.language, "compute_type": cfg.compute_type,
            "initial_prompt": cfg.initial_prompt, "channels": list(cfg.stereo_roles),
            "redact": cfg.redact, "diarize_mono": cfg.diarize_mono}


def redacted(segments: tuple[Segment, ...], cfg: Config) -> tuple[Segment, ...]:
    """Phone and card numbers and e-mail addresses out of the text, unless `redact` is off."""
    return tuple(replace(s, text=redact(s.text)) for s in segments) if cfg.redact else segments


def transcribe_recording(rec: Recording, engine: Engine, cfg: Config) -> CallResult:
    """The result's warnings are this stage's; the scan's stay on the Recording."""
    audio_file = None
    try:
        if rec.size > cfg.max_file_mb * MB:
            raise CallError(over_size_limit(rec.size / MB, cfg.max_file_mb))
        audio_file = AudioFile(rec.path, cfg.max_duration_min * 60)
        started = time.perf_counter()
        heard = listen(audio_file.blocks, engine, cfg)
        audio_file.check()
        warnings = list(audio_file.warnings)
        segments, language = redacted(heard.segments, cfg), heard.language
        if heard.roles_confidence is not None and heard.roles_confidence < ROLES_SURE:
            warnings.append(f"speaker roles uncertain (confidence {heard.roles_confidence:.2f}): a mono "
                            f"recording split by voice; check who is the agent")
        seconds = time.perf_counter() - started
    except TransientError:
        raise
    except CallError as exc:
        return CallResult(rec, "failed", error=str(exc), warnings=tuple(audio_file.warnings if audio_file else ()))
    result = CallResult(rec, "ok", audio_duration=audio_file.duration, channels=audio_file.channels,
                        roles_confidence=heard.roles_confidence,
                        warnings=tuple(warnings),
                        transcription=TranscriptionInfo(engine.name, engine.model, language, seconds,
                                                        transcript_settings(cfg), heard.stages))
    if not segments:
        return replace(result, status="failed", error="no speech recognised in the recording")
    return replace(result, transcript=Transcript(rec.meta.call_id, language, segments, audio_file.duration))


def with_call_id(result: CallResult, call_id: str) -> CallResult:
    """The same result under another call id, everywhere the id appears."""
    return replace(result, recording=replace(result.recording, meta=replace(result.recording.meta, call_id=call_id)),
                   transcript=result.transcript and replace(result.transcript, call_id=call_id),
                   score=result.score and replace(result.score, call_id=call_id))
