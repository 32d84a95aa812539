"""One recording through the stages: decode, transcribe each side, merge.

Plain functions: the Prefect flow wraps them in tasks, `callqa score` calls them directly.
Scoring is a pass of its own over the stored transcripts (rescore.py).
A bad input never raises out of here: it becomes a failed CallResult with the reason.
Only TransientError escapes, so that the caller may retry.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

from .audio import decode
from .config import Config
from .dialogue import label, merge_channels
from .redact import redact
from .domain import Audio, CallError, CallResult, Recording, Segment, Transcript, TranscriptionInfo, TransientError
from .transcribe import Engine, transcribe_spans
from .vad import speech_spans

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


def transcribe_audio(audio: Audio, engine: Engine, cfg: Config) -> Heard:
    """Each side's speech spans separately, then one dialogue. Stereo sides get their roles; a
    mono call is split into two voices and the agent's found by its words (`diarize_mono`),
    else it is one speaker, 'unknown'."""
    language = None if cfg.language == "auto" else cfg.language
    if len(audio.channels) == 1 and cfg.diarize_mono:
        return _two_voices(audio.channels[0], engine, language)
    roles = cfg.stereo_roles if len(audio.channels) == 2 else ("unknown",)
    sides = []
    for samples, role in zip(audio.channels, roles):
        # A muted side has no speech spans, so Whisper never hears (and invents on) its silence.
        segments, detected = transcribe_spans(engine, samples, speech_spans(samples), language)
        # The first side with speech fixes the language for the other: one call, one language.
        language = language or (detected if segments else None)
        sides.append(label(segments, role))
    return Heard(merge_channels(sides), language or "unknown")


def _two_voices(samples, engine: Engine, language: str | None) -> Heard:
    from .diarize import agent_voice, voice_turns  # the voice encoder loads for mono calls only

    turns, distance = voice_turns(samples, speech_spans(samples))
    segments, detected = transcribe_spans(engine, samples, [t.span for t in turns], language)
    language = language or detected or "unknown"

    def voice(segment: Segment) -> int:
        middle = (segment.start + segment.end) / 2
        return min(turns, key=lambda t: 0 if t.span.start <= middle <= t.span.end
                   else min(abs(t.span.start - middle), abs(t.span.end - middle))).voice

    voices = [voice(s) for s in segments]
    texts = {v: " ".join(s.text for s, sv in zip(segments, voices) if sv == v) for v in (0, 1)}
    agent, confidence = agent_voice(texts, voices[0] if voices else None, language, distance)
    labelled = tuple(replace(s, speaker="agent" if v == agent else "customer")
                     for s, v in zip(segments, voices))
    return Heard(labelled, language, confidence)


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
    warnings: list[str] = []
    try:
        if rec.size > cfg.max_file_mb * MB:
            raise CallError(over_size_limit(rec.size / MB, cfg.max_file_mb))
        audio, decoded = decode(rec.path, cfg.max_duration_min * 60)
        warnings = list(decoded)
        started = time.perf_counter()
        heard = transcribe_audio(audio, engine, cfg)
        segments, language = redacted(heard.segments, cfg), heard.language
        if heard.roles_confidence is not None and heard.roles_confidence < ROLES_SURE:
            warnings.append(f"speaker roles uncertain (confidence {heard.roles_confidence:.2f}): a mono "
                            f"recording split by voice; check who is the agent")
        seconds = time.perf_counter() - started
    except TransientError:
        raise
    except CallError as exc:
        return CallResult(rec, "failed", error=str(exc), warnings=tuple(warnings))
    result = CallResult(rec, "ok", audio_duration=audio.duration, channels=len(audio.channels),
                        roles_confidence=heard.roles_confidence,
                        warnings=tuple(warnings),
                        transcription=TranscriptionInfo(engine.name, engine.model, language, seconds,
                                                        transcript_settings(cfg)))
    if not segments:
        return replace(result, status="failed", error="no speech recognised in the recording")
    return replace(result, transcript=Transcript(rec.meta.call_id, language, segments, audio.duration))


def with_call_id(result: CallResult, call_id: str) -> CallResult:
    """The same result under another call id, everywhere the id appears."""
    return replace(result, recording=replace(result.recording, meta=replace(result.recording.meta, call_id=call_id)),
                   transcript=result.transcript and replace(result.transcript, call_id=call_id),
                   score=result.score and replace(result.score, call_id=call_id))
