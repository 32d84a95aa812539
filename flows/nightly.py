"""The nightly run as a Prefect flow: ingest, transcribe (a task per call), score, store, report.

The flow orchestrates; the work is in `pipeline`. DuckDB is written only from the flow's own
process, one transaction per call, so a crash loses at most the call in flight.
"""
from __future__ import annotations

import os
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

# `callqa run` without a server starts Prefect's temporary one, which gets 20 s by default; on a
# busy 2-core machine it has needed more, and the run then failed before any work. Set before
# Prefect reads its settings; an operator's own value wins.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from pipeline.config import Config, build_config
from pipeline.domain import CallResult, Recording, RunSummary, TransientError
from pipeline.ingest import Inbox, scan
from pipeline.models import resolve_model
from pipeline.preflight import preflight
from pipeline.process import score_result, transcribe_recording, with_call_id
from pipeline.report import render_reports
from pipeline.store import CallConflict, Store, publish
from pipeline.transcribe import load_engine


def _is_transient(task, task_run, state) -> bool:
    return isinstance(getattr(state, "data", None), (TransientError, OSError))


@task(cache_policy=NO_CACHE)
def ingest(cfg: Config) -> Inbox:
    return scan(cfg)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5, retry_condition_fn=_is_transient,
      task_run_name="transcribe {rec.meta.call_id}")
def transcribe(rec: Recording, cfg: Config) -> CallResult:
    return transcribe_recording(rec, load_engine(cfg), cfg)


@task(cache_policy=NO_CACHE)
def render(db: Path, out: Path) -> Path:
    return render_reports(db, out)


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


def write(store: Store, result: CallResult, run_id: str) -> CallResult:
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


def _summary_markdown(s: RunSummary, cfg: Config) -> str:
    return (f"# callqa run {s.run_id}\n\n| found | skipped | ok | failed | audio min |\n|---|---|---|---|---|\n"
            f"| {s.found} | {s.skipped} | {s.ok} | {s.failed} | {s.audio_seconds / 60:.1f} |\n\n"
            f"Engine {cfg.engine}, model {resolve_model(cfg.model)}. Report: `{s.report}`\n"
            + "".join(f"\n- warning: {w}" for w in s.warnings))


@flow(name="callqa-nightly", log_prints=True)
def nightly(inbox: str | None = None, db: str | None = None, out: str | None = None,
            config_file: str | None = None, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Process every new recording in the inbox; returns the run summary."""
    cfg = build_config(Path(config_file) if config_file else None, inbox=inbox, db=db, out=out,
                       **(settings or {}))
    # A deployment run with bad settings fails here, before any work.
    checklist = preflight(cfg, load_model=True)
    log = get_run_logger()
    run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    found = ingest(cfg)
    for warning in found.warnings:
        log.warning(warning)

    ok = failed = 0
    audio_seconds = 0.0
    with Store(cfg.db) as store:
        store.upsert_managers(found.managers)
        store.register_checklist(checklist)
        todo = select_new(found, store.known_calls(), cfg.retry_failed)
        store.start_run(run_id, str(cfg.inbox), cfg.engine, str(resolve_model(cfg.model)), checklist.id,
                        checklist.version, warnings=found.warnings)
        log.info(f"{len(found.recordings)} recordings found, {len(todo)} new, "
                 f"{len(found.unsettled)} still being copied")
        for n, rec in enumerate(todo, start=1):
            state = transcribe(rec, cfg, return_state=True)
            if state.is_completed():
                result = score_result(state.result(), checklist)
            else:
                result = CallResult(rec, "failed", error=f"transcription failed: {state.message}")
            result = write(store, result, run_id)
            ok += result.status == "ok"
            failed += result.status == "failed"
            audio_seconds += result.audio_duration or 0.0
            detail = (f"score {result.score.score}" if result.score else result.error)
            (log.info if result.status == "ok" else log.warning)(
                f"[{n}/{len(todo)}] {rec.meta.call_id}: {result.status}, {detail}")
        summary = RunSummary(run_id, found=len(found.recordings), skipped=len(found.recordings) - len(todo),
                             ok=ok, failed=failed, audio_seconds=round(audio_seconds, 1),
                             report=str((cfg.out / "index.html").resolve()),
                             warnings=found.warnings, unsettled=len(found.unsettled))
        store.finish_run(summary)
    log.info(f"published for SQL readers: {publish(cfg.db)}")
    render(cfg.db, cfg.out)
    log.info(f"{summary.ok} ok, {summary.failed} failed, {summary.skipped} skipped, "
             f"{summary.unsettled} left for the next run; report {summary.report}")
    create_markdown_artifact(key="callqa-run-summary", markdown=_summary_markdown(summary, cfg),
                             description="callqa nightly run")
    return summary.__dict__
