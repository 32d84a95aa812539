"""The transcript-in / verdicts-out JSON contract of `callqa score`. Other tools call it: keep stable.

In:  {"call_id": "...", "language": "ru", "segments": [{"speaker": "agent"|"customer"|"unknown",
      "start": 0.0, "end": 3.2, "text": "..."}]}
Out: {"call_id", "checklist": {"id", "version"}, "score", "items": [{"id", "verdict", "reason",
      "evidence": [{"speaker", "start", "text"}]}]}
Keys are only ever added (like "reason"), never renamed, removed or reshaped.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .domain import CallError, CallScore, Segment, Transcript

SPEAKERS = ("agent", "customer", "unknown")


def transcript_from_json(data: Any, default_id: str = "call") -> Transcript:
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise CallError('transcript JSON must be an object with a "segments" list')
    segments = []
    for n, raw in enumerate(data["segments"]):
        where = f"segments[{n}]"
        if not isinstance(raw, dict):
            raise CallError(f"{where}: must be an object")
        speaker = raw.get("speaker", "unknown")
        if speaker not in SPEAKERS:
            raise CallError(f"{where}.speaker: {speaker!r} is not one of {', '.join(SPEAKERS)}")
        try:
            start, end = float(raw["start"]), float(raw.get("end", raw["start"]))
        except (KeyError, TypeError, ValueError):
            raise CallError(f"{where}: start/end must be numbers of seconds") from None
        if not isinstance(raw.get("text"), str):
            raise CallError(f"{where}.text: must be a string")
        segments.append(Segment(speaker, start, end, raw["text"].strip(), raw.get("avg_logprob")))
    segments.sort(key=lambda s: (s.start, s.end))
    return Transcript(call_id=str(data.get("call_id") or default_id),
                      language=str(data.get("language") or "auto"), segments=tuple(segments))


def read_json(path: Path, what: str = "transcript JSON") -> Any:
    try:
        # utf-8-sig: Windows tools often save JSON with a byte-order mark.
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CallError(f"{path.name}: not a readable {what} ({exc})") from None


def read_transcript(path: Path) -> Transcript:
    return transcript_from_json(read_json(path), default_id=path.stem)


def score_to_json(score: CallScore) -> dict[str, Any]:
    return {
        "call_id": score.call_id,
        "checklist": {"id": score.checklist_id, "version": score.checklist_version},
        "score": score.score,
        "items": [{"id": item.item_id, "verdict": item.verdict, "reason": item.reason,
                   "evidence": [{"speaker": e.speaker, "start": e.start, "text": e.text}
                                for e in item.evidence]}
                  for item in score.items],
    }
