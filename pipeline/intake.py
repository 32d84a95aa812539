"""The transcription pass's storage rules: which recordings are new, and storing a transcribed
call so that nothing is lost (a reused PBX call id gets a distinct one; a call that cannot be
stored is recorded as failed with the reason)."""
from __future__ import annotations

from dataclasses import replace

from .domain import CallResult, Recording
from .ingest import Inbox
from .process import with_call_id
from .store import CallConflict, Store


def select_new(inbox: Inbox, known: dict[str, str], retry_failed: bool) -> list[Recording]:
    """Recordings whose bytes were never processed (or failed, on request), each once."""
    todo, seen = [], set()
    for rec in inbox.recordings:
        status = known.get(rec.sha256)
        if rec.sha256 in seen or (status is not None and not (retry_failed and status == "failed")):
            continue
        seen.add(rec.sha256)
        todo.append(rec)
    return todo


def store_call(store: Store, result: CallResult, run_id: str) -> CallResult:
    """Store the call; a PBX that reuses a call id gets the new recording a distinct one.
    A call that cannot be stored is recorded as failed with the reason, and the run goes on."""
    try:
        try:
            store.write_call(result, run_id)
            return result
        except CallConflict as exc:
            renamed = with_call_id(result, f"{result.recording.meta.call_id}-{result.recording.sha256[:8]}")
            renamed = replace(renamed, warnings=renamed.warnings + (f"{exc}; stored as {renamed.recording.meta.call_id}",))
            store.write_call(renamed, run_id)
            return renamed
    except Exception as exc:  # noqa: BLE001 - one call's problem must not end the night's run
        failed = CallResult(result.recording, "failed", error=f"could not store the call: {exc}",
                            warnings=result.warnings)
        store.write_call(failed, run_id)
        return failed
