"""The transcription pass's storage rules: which recordings are new, and storing a transcribed
call so that nothing is lost (a reused PBX call id gets a distinct one; a call that cannot be
stored is recorded as failed with the reason)."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Mapping

from .config import Config
from .domain import CallResult, FileIdentity, Recording
from .ingest import Inbox, scan
from .process import with_call_id
from .store import CallConflict, Store

if TYPE_CHECKING:  # routing compiles checklists with spaCy: `callqa run` asks for new files first
    from .routing import Checklists


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


def new_recordings(store: Store, cfg: Config,
                   scanner: Callable[[Config, Mapping[str, FileIdentity]], Inbox] = scan) -> tuple[Inbox, list[Recording]]:
    """The inbox scanned (files the store knows by path, size and mtime are not read again), the
    identities of the files read remembered, and the recordings to process. `scanner` is
    ingest.scan or the flow's task around it."""
    found = scanner(cfg, store.file_identities())
    store.remember_files(found.hashed)
    return found, select_new(found, store.known_calls(), cfg.retry_failed)


def has_new_recordings(cfg: Config) -> bool:
    """Whether the inbox holds recordings to transcribe (a first run's always does). `callqa run`
    asks first, and starts the Prefect server while the checklists and the model load."""
    if not cfg.db.exists():
        return True
    with Store(cfg.db) as store:
        return bool(new_recordings(store, cfg)[1])


def nothing_to_do(cfg: Config, checklists: Checklists) -> str | None:
    """Why a run would do nothing (no new recording, every transcript scored by its current
    checklist, the reports there), or None. `callqa run` asks before it starts Prefect, so a
    re-run over a processed inbox takes seconds."""
    from .rescore import plan

    if not cfg.db.exists():  # a first run: work to do, and no database made before the model loads
        return None
    with Store(cfg.db) as store:
        found, todo = new_recordings(store, cfg)
        if todo:
            return None
        if plan(store.scoring_candidates(), checklists).todo:
            return None
    if not (cfg.out / "index.html").is_file():
        return None
    waiting = f"; {len(found.unsettled)} still being copied, left for the next run" if found.unsettled else ""
    return (f"nothing new: {len(found.recordings)} recording(s) in the inbox already processed, every "
            f"transcript scored{waiting}; report {(cfg.out / 'index.html').resolve()}")


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
