"""The nightly run as a Prefect flow: ingest, transcribe and store (a task per call), then the
scoring pass over every stored transcript its checklist has not scored, then report.

The flow orchestrates; the work and the storage rules are in `pipeline`. Calls are transcribed
`workers` at a time, in threads or on Dask (`dask_address`), and come back to the flow: DuckDB is
written only from the flow's own thread, one transaction per call, so a crash loses at most the
calls in flight, which the next run takes again.
"""
from __future__ import annotations

import os
import time
from contextlib import nullcontext
import uuid
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any, Iterator

# `callqa run` without a server starts Prefect's temporary one, which gets 20 s by default; on a
# busy 2-core machine it has needed more, and the run then failed before any work. Set before
# Prefect reads its settings; an operator's own value wins.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from pipeline import pending
from pipeline.config import Config, build_config
from pipeline.domain import CallResult, FileIdentity, Recording, RunSummary, TransientError
from pipeline.ingest import Inbox, scan
from pipeline.intake import new_recordings, store_call
from pipeline.models import resolve_model
from pipeline.preflight import preflight
from pipeline.process import Stopwatch, transcribe_recording
from pipeline.report import ReportOptions, report_options, render_reports
from pipeline.rescore import ScoringSummary, score_stored
from pipeline.routing import Checklists
from pipeline.publish import publish
from pipeline.store import Store
from pipeline.transcribe import load_engine


def _is_transient(task, task_run, state) -> bool:
    return isinstance(getattr(state, "data", None), (TransientError, OSError))


@task(cache_policy=NO_CACHE)
def ingest(cfg: Config, known: dict[str, FileIdentity]) -> Inbox:
    return scan(cfg, known)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5, retry_condition_fn=_is_transient,
      task_run_name="transcribe {rec.meta.call_id}")
def transcribe(rec: Recording, cfg: Config) -> CallResult:
    return transcribe_recording(rec, load_engine(cfg), cfg)


@task(cache_policy=NO_CACHE)
def score(store: Store, checklists: Checklists) -> ScoringSummary:
    return score_stored(store, checklists)


@task(cache_policy=NO_CACHE)
def render(db: Path, out: Path, queue: ReportOptions) -> Path:
    return render_reports(db, out, queue)


def task_runner(cfg: Config) -> TaskRunner:
    """Threads in the flow's process (one model serves `workers` calls at once), or Dask."""
    workers, threads = cfg.parallel
    if not cfg.dask_address:
        return ThreadPoolTaskRunner(max_workers=workers)
    from prefect_dask import DaskTaskRunner  # distributed imports in seconds: only when asked for

    if cfg.dask_address == "local":
        return DaskTaskRunner(cluster_class="distributed.LocalCluster",
                              cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    return DaskTaskRunner(address=cfg.dask_address)


def transcribed(runner: TaskRunner, todo: list[Recording], cfg: Config) -> Iterator[CallResult]:
    """Each recording's result as soon as it is done, in any order. A few calls wait ahead of
    the workers, never all of them (their results would pile up in memory); only the flow's
    thread, the caller, writes to DuckDB."""
    workers, threads = cfg.parallel
    if cfg.dask_address:  # a Dask worker process transcribes one call at a time
        cfg = replace(cfg, workers=1, cpu_threads=threads if cfg.dask_address == "local" else cfg.cpu_threads)
    queue, pending = iter(todo), {}
    for rec in islice(queue, 2 * workers):
        pending[runner.submit(transcribe, {"rec": rec, "cfg": cfg})] = rec
    while pending:
        future = next(as_completed(list(pending)))
        rec = pending.pop(future)
        for following in islice(queue, 1):
            pending[runner.submit(transcribe, {"rec": following, "cfg": cfg})] = following
        future.wait()  # done already; this sets its final state, which the API may not know yet
        state = future.state
        yield (state.result() if state.is_completed() else
               CallResult(rec, "failed", error=f"transcription failed: {state.message}"))


def _summary_markdown(s: RunSummary, cfg: Config) -> str:
    return (f"# callqa run {s.run_id}\n\n| found | skipped | transcribed | failed | scored | audio min |\n"
            f"|---|---|---|---|---|---|\n"
            f"| {s.found} | {s.skipped} | {s.ok} | {s.failed} | {s.scored} | {s.audio_seconds / 60:.1f} |\n\n"
            f"Engine {cfg.engine}, model {resolve_model(cfg.model)}. Report: `{s.report}`\n"
            + "".join(f"\n- warning: {w}" for w in s.warnings))


@flow(name="callqa-nightly", log_prints=True)
def nightly(inbox: str | None = None, db: str | None = None, out: str | None = None,
            config_file: str | None = None, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Process every new recording in the inbox; returns the run summary."""
    cfg = build_config(Path(config_file) if config_file else None, inbox=inbox, db=db, out=out,
                       **(settings or {}))
    # A deployment run with bad settings fails here, before any work.
    checklists = preflight(cfg, load_model=True)
    default = checklists.default
    log = get_run_logger()
    run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    ok = failed = 0
    audio_seconds = 0.0
    watch = Stopwatch()
    with Store(cfg.db) as store:
        found, todo = new_recordings(store, cfg, ingest)
        for warning in found.warnings:
            log.warning(warning)
        store.upsert_managers(found.managers)
        store.start_run(run_id, str(cfg.inbox), cfg.engine, str(resolve_model(cfg.model)), default.id,
                        default.version, warnings=found.warnings)
        log.info(f"{len(found.recordings)} recordings found, {len(todo)} new, "
                 f"{len(found.unsettled)} still being copied")
        runner = task_runner(cfg) if todo else nullcontext()  # no cluster for no work
        with watch.stage("transcription"), runner as runner:
            for n, result in enumerate(transcribed(runner, todo, cfg), start=1):
                with watch.stage("storage"):
                    result = store_call(store, result, run_id)
                ok += result.status == "ok"
                failed += result.status == "failed"
                audio_seconds += result.audio_duration or 0.0
                detail = (f"{len(result.transcript.segments)} segments" if result.transcript else result.error)
                (log.info if result.status == "ok" else log.warning)(
                    f"[{n}/{len(todo)}] {result.recording.meta.call_id}: {result.status}, {detail}")
        with watch.stage("scoring"):
            scoring = score(store, checklists)
        log.info(scoring.describe())
        for call_id, why in scoring.failed.items():
            log.warning(f"{call_id}: {why}")
        # Reviews QA leads made while this run held the database, into tonight's reports.
        if reviewed := pending.drain(cfg.db, store.add_reviews):
            log.info(f"{reviewed} review(s) made during the run stored")
        summary = RunSummary(run_id, found=len(found.recordings), skipped=len(found.recordings) - len(todo),
                             ok=ok, failed=failed, audio_seconds=round(audio_seconds, 1), scored=scoring.total,
                             report=str((cfg.out / "index.html").resolve()),
                             warnings=found.warnings, unsettled=len(found.unsettled),
                             stages=dict(watch.seconds))
        store.finish_run(summary)
    with watch.stage("publish"):
        log.info(f"published for SQL readers: {publish(cfg.db, cfg.redact)}")
    with watch.stage("reports"):
        render(cfg.db, cfg.out, report_options(cfg))
    with Store(cfg.db) as store:
        store.record_output_times(run_id, watch.seconds["publish"], watch.seconds["reports"])
    log.info(f"{summary.ok} transcribed, {summary.failed} failed, {summary.scored} scored, {summary.skipped} skipped, "
             f"{summary.unsettled} left for the next run; report {summary.report}")
    create_markdown_artifact(key="callqa-run-summary", markdown=_summary_markdown(summary, cfg),
                             description="callqa nightly run")
    return summary.__dict__
