"""The data that flows through callqa: small, typed, immutable records.

Every stage takes some of these and returns others; nothing here does I/O.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Mapping

import numpy as np

Speaker = Literal["agent", "customer", "unknown"]
Verdict = Literal["pass", "fail", "na"]
SAMPLE_RATE = 16_000  # what Whisper expects; audio.py resamples everything to it


class CallError(Exception):
    """A problem with one call's input: recorded against that call, the run goes on."""


class TransientError(CallError):
    """A problem that may go away on retry (a file still being copied, say)."""


class DatabaseBusy(RuntimeError):
    """Another process holds the database file: DuckDB allows one writer, and no reader beside it."""


@dataclass(frozen=True)
class CallMeta:
    call_id: str
    manager_id: str | None = None
    started_at: datetime | None = None
    direction: str | None = None  # "in" | "out" | free text from the PBX
    customer_phone: str | None = None
    queue: str | None = None  # calls.csv `queue`: routes the call to a checklist (config checklist_rules)
    checklist: str | None = None  # calls.csv `checklist`: a checklist id, over any rule


@dataclass(frozen=True)
class Manager:
    manager_id: str
    name: str
    team: str = ""


@dataclass(frozen=True)
class FileIdentity:
    """What an inbox file hashed to, and its size and mtime then: the same three, the same bytes."""
    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class Recording:
    path: Path
    sha256: str
    size: int
    meta: CallMeta
    # Metadata problems found while scanning (bad date, unknown column): the call still runs.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Audio:
    """Decoded audio: one float32 array per channel at SAMPLE_RATE."""
    channels: tuple[np.ndarray, ...]
    source_rate: int
    codec: str

    @property
    def duration(self) -> float:
        return len(self.channels[0]) / SAMPLE_RATE if self.channels else 0.0


@dataclass(frozen=True)
class Segment:
    speaker: Speaker
    start: float
    end: float
    text: str
    avg_logprob: float | None = None


@dataclass(frozen=True)
class Transcript:
    call_id: str
    language: str
    segments: tuple[Segment, ...]
    duration: float | None = None


@dataclass(frozen=True)
class Evidence:
    speaker: Speaker
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class ItemVerdict:
    item_id: str
    verdict: Verdict
    weight: float
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""  # one line a QA lead can read: why this verdict
    # This verdict flags the whole call: a critical item failed, or a critical forbidden phrase
    # was said. Stored per item, so that a QA lead's override can lift or raise the flag.
    critical: bool = False


@dataclass(frozen=True)
class CallScore:
    call_id: str
    checklist_id: str
    checklist_version: str
    checklist_hash: str
    score: float | None  # weighted share of applicable items, 0..100; None if none applied
    items: tuple[ItemVerdict, ...]
    critical_failure: bool = False


@dataclass(frozen=True)
class Review:
    """A QA lead's verdict over the machine's, for one item of one call."""
    call_id: str
    item_id: str
    verdict: Verdict
    reviewer: str
    note: str = ""
    checklist_id: str | None = None  # None: the one checklist that scored the item
    machine_verdict: Verdict | None = None  # filled in when the review is checked
    review_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    reviewed_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc).replace(tzinfo=None))


@dataclass(frozen=True)
class TranscriptionInfo:
    """Provenance of a transcript: which engine, model and settings produced it."""
    engine: str
    model: str
    language: str
    seconds: float  # wall time spent transcribing
    settings: Mapping[str, Any] = field(default_factory=dict)  # the options that shape the text
    stages: Mapping[str, float] = field(default_factory=dict)  # seconds: decode, vad, asr, voices


@dataclass(frozen=True)
class CallResult:
    """What processing one recording produced: a scored transcript, or an error."""
    recording: Recording
    status: Literal["ok", "failed"]
    error: str | None = None
    audio_duration: float | None = None
    channels: int | None = None
    transcript: Transcript | None = None
    transcription: TranscriptionInfo | None = None
    score: CallScore | None = None
    warnings: tuple[str, ...] = field(default=())
    roles_confidence: float | None = None  # mono calls split by voice: 0..1


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    found: int  # audio files in the inbox
    skipped: int  # seen before (same bytes), not processed again
    ok: int  # transcribed and stored
    failed: int
    audio_seconds: float
    report: str | None  # path of index.html
    scored: int = 0  # stored transcripts the scoring pass scored (tonight's and any a checklist edit made stale)
    warnings: tuple[str, ...] = ()  # run-level: unreadable sidecars, rows without files, files left waiting
    unsettled: int = 0  # files still being copied, left for a later run
    stages: Mapping[str, float] = field(default_factory=dict)  # seconds: transcription, storage, scoring
