"""DuckDB storage: the only module that talks to the database.

The schema is sql/migrations/ (tables, numbered) and sql/views.sql (views and comments), applied
by migrate.py on every read-write open; every other statement is a named block in sql/*.sql. Each call is written in one transaction, so a crash or a rejected value never
leaves half a call behind. One Store holds one connection; a lock serialises writing threads
(Prefect runs tasks in a thread pool), reads get a cursor each, and DuckDB itself allows one
writing process per file.
"""
from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from . import pending
from .domain import (CallError, CallResult, CallScore, DatabaseBusy, FileIdentity, Manager, Review, RunSummary,
                     Segment, Transcript)
from .metrics import conversation_metrics
from .migrate import SQL_DIR, MigrationError, migrations, schema_version, upgrade

if TYPE_CHECKING:
    from .checklist import Checklist
    from .promises import Commitment

_NAME = re.compile(r"[A-Za-z_]\w*")


class CallConflict(CallError):
    """Storing this call would overwrite a different call's data; the caller records it."""


@cache
def named_queries() -> dict[str, str]:
    """Every `-- name: x` block of sql/*.sql (views.sql and migrations/ are applied whole)."""
    queries: dict[str, str] = {}
    for file in sorted(SQL_DIR.glob("*.sql")):
        for block in re.split(r"^-- name: *", file.read_text(encoding="utf-8"), flags=re.M)[1:]:
            name, _, body = block.partition("\n")
            name = name.strip()
            if name in queries:
                raise ValueError(f"query {name!r} is defined twice in {SQL_DIR}")
            queries[name] = body.strip()
    return queries


def sql(name: str) -> str:
    try:
        return named_queries()[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} in {SQL_DIR}; known: {', '.join(sorted(named_queries()))}") from None


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # columns are naive TIMESTAMP in UTC


class Store:
    """The callqa database. A read-write open creates the file and applies the schema. Read-only
    opens (reports, ad-hoc SQL) may run side by side, but not while a process has it open for
    writing: DuckDB locks the file."""

    def __init__(self, path: Path | str, read_only: bool = False):
        path = Path(path)
        if read_only and not path.exists():
            raise FileNotFoundError(f"no callqa database at {path}")
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            holder = re.search(r"PID (\d+)", str(exc))
            raise DatabaseBusy(f"the database {path} is in use by another process"
                               f"{f' (PID {holder.group(1)})' if holder else ''}, such as a callqa run "
                               "that has not finished: wait for it, or read the published copy") from None
        self._lock = threading.Lock()
        self.queued_reviews_stored = 0
        if not read_only:
            try:
                upgrade(self._con)
                # The schema on disk at once, not in the WAL: DuckDB 2.0.1 replaying some view
                # definitions after a crash tries to download an extension (core_functions),
                # which an offline machine cannot, and the file would not open again.
                self._con.execute("CHECKPOINT")
                # Reviews made while another process held the file are stored by its next writer.
                self.queued_reviews_stored = pending.drain(path, self.add_reviews)
            except BaseException:
                self._con.close()
                raise
        elif (found := schema_version(self._con)) != len(migrations()):
            self._con.close()
            raise MigrationError(f"{path} has schema version {found}, this callqa reads "
                                 f"{len(migrations())}; `callqa rescore --db {path}` upgrades an older "
                                 f"file in place")

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            self._con.begin()
            try:
                yield self._con
            except BaseException:
                self._con.rollback()
                raise
            self._con.commit()

    def query(self, sql_name_or_text: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Run a named query from sql/*.sql, or any SQL text; rows as dicts."""
        return list(self.stream(sql_name_or_text, params))

    def stream(self, sql_name_or_text: str, params: Sequence[Any] | dict[str, Any] = (),
               batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Like query, a batch at a time. Each stream has its own cursor, so several can be
        read side by side and threads can read while another writes."""
        text = sql(sql_name_or_text) if _NAME.fullmatch(sql_name_or_text) else sql_name_or_text
        with self._con.cursor() as cursor:
            cursor.execute(text, params)
            names = [d[0] for d in cursor.description or ()]
            while rows := cursor.fetchmany(batch):
                yield from (dict(zip(names, row)) for row in rows)

    def known_calls(self) -> dict[str, str]:
        """sha256 -> status of every stored call: the inbox scan skips or retries by it."""
        return {r["sha256"]: r["status"] for r in self.query("known_calls")}

    def file_identities(self) -> dict[str, FileIdentity]:
        """Inbox files hashed before, by absolute path."""
        return {r["path"]: FileIdentity(r["size"], r["mtime_ns"], r["sha256"]) for r in self.query("file_identities")}

    def remember_files(self, hashed: Mapping[str, FileIdentity]) -> None:
        if hashed:
            with self._transaction() as con:
                con.executemany(sql("remember_file"), [
                    {"path": path, "size": f.size, "mtime_ns": f.mtime_ns, "sha256": f.sha256}
                    for path, f in hashed.items()])

    def add_reviews(self, reviews: Sequence[Review]) -> None:
        """Reviews are only added: the newest per call, checklist and item stands."""
        with self._transaction() as con:
            con.execute(sql("insert_reviews"), {"reviews": [
                {"review_id": r.review_id, "call_id": r.call_id, "checklist_id": r.checklist_id,
                 "item_id": r.item_id, "verdict": r.verdict, "machine_verdict": r.machine_verdict,
                 "reviewer": r.reviewer, "note": r.note, "reviewed_at": r.reviewed_at} for r in reviews]})

    def calls_without_promises(self, rules_hash: str, batch: int) -> list[str]:
        return [r["call_id"] for r in self.query("calls_without_promises", {"rules_hash": rules_hash, "batch": batch})]

    def call_starts(self, call_ids: Sequence[str]) -> dict[str, datetime | None]:
        return {r["call_id"]: r["started_at"] for r in self.query("promise_calls", {"ids": list(call_ids)})}

    def write_commitments(self, found: Mapping[str, Sequence[Commitment]], rules_hash: str) -> None:
        """The commitments of these calls, in place of what older rules found, in one transaction."""
        ids = list(found)
        rows = [{"call_id": call_id, "idx": n, "kind": k.kind, "quote": k.quote, "start_s": k.start, "end_s": k.end,
                 "due_at": k.due_at, "due_text": k.due_text, "vague": k.vague, "absolute": k.absolute}
                for call_id, ks in found.items() for n, k in enumerate(ks)]
        with self._transaction() as con:
            con.execute(sql("delete_commitments"), {"ids": ids})
            if rows:
                con.execute(sql("insert_commitments"), {"rows": rows, "rules_hash": rules_hash,
                                                        "extracted_at": _utcnow()})
            con.execute(sql("mark_promises_read"), {"ids": ids, "rules_hash": rules_hash})

    def upsert_managers(self, managers: Iterable[Manager]) -> None:
        rows = [{"manager_id": m.manager_id, "name": m.name, "team": m.team} for m in managers]
        if rows:
            with self._transaction() as con:
                con.executemany(sql("upsert_manager"), rows)

    def register_checklist(self, checklist: Checklist) -> None:
        """Keep the titles and guidance of this checklist version beside the verdicts it gives."""
        now = _utcnow()
        with self._transaction() as con:
            con.executemany(sql("register_checklist_item"), [{
                "checklist_hash": checklist.hash, "checklist_id": checklist.id,
                "checklist_version": checklist.version, "item_id": item.id, "position": n,
                "title": item.title, "guidance": item.guidance, "weight": item.weight,
                "critical": item.critical, "registered_at": now} for n, item in enumerate(checklist.items)])

    def start_run(self, run_id: str, inbox: str, engine: str, model: str,
                  checklist_id: str, checklist_version: str, warnings: Sequence[str] = ()) -> None:
        """Record the run before any call; its warnings are known from the scan, so a run that
        crashes later still shows them."""
        with self._transaction() as con:
            con.execute(sql("start_run"), {
                "run_id": run_id, "started_at": _utcnow(), "inbox": str(inbox), "engine": engine,
                "model": model, "checklist_id": checklist_id, "checklist_version": checklist_version,
                "warnings": list(warnings)})

    def finish_run(self, summary: RunSummary, error: str | None = None) -> None:
        with self._transaction() as con:
            (updated,) = con.execute(sql("finish_run"), {
                "run_id": summary.run_id, "finished_at": _utcnow(), "found": summary.found,
                "skipped": summary.skipped, "ok": summary.ok, "failed": summary.failed,
                "scored": summary.scored,
                "audio_seconds": summary.audio_seconds, "report_path": summary.report,
                "error": error, **{f"{stage}_s": summary.stages.get(stage)
                                   for stage in ("transcription", "storage", "scoring")}}).fetchone()
            if not updated:
                raise KeyError(f"run {summary.run_id!r} was never started")

    def record_output_times(self, run_id: str, publish_s: float, reports_s: float) -> None:
        """After the run's database is published and its reports rendered."""
        with self._transaction() as con:
            con.execute(sql("run_output_times"), {"run_id": run_id, "publish_s": publish_s, "reports_s": reports_s})

    def write_call(self, result: CallResult, run_id: str) -> None:
        """Store one call (row, transcript, verdicts, score) atomically; idempotent.

        Rewriting a stored call replaces its rows (scores from other checklists stay); a failed
        call is replaced by its retry, even under a new call_id. Raises CallConflict instead of
        touching another recording's call_id, or of replacing an ok call by a failure.
        """
        rec = result.recording
        call_id = rec.meta.call_id
        now = _utcnow()
        with self._transaction() as con:
            self._make_room(con, result)
            con.execute(sql("insert_call"), self._call_row(result, run_id, now))
            if result.transcript:
                con.execute(sql("insert_segments"), {"call_id": call_id, "segments": [
                    {"idx": i, "speaker": s.speaker, "start_s": s.start, "end_s": s.end, "text": s.text,
                     "avg_logprob": s.avg_logprob} for i, s in enumerate(result.transcript.segments)]})
                con.execute(sql("index_segments"), {"call_id": call_id})
                self._insert_metrics(con, call_id, result.transcript.segments,
                                     result.audio_duration or result.transcript.duration)
            if result.score:
                self._insert_scores(con, [replace(result.score, call_id=call_id)], now)

    def _make_room(self, con: duckdb.DuckDBPyConnection, result: CallResult) -> None:
        """Delete what this write replaces, or raise CallConflict if it belongs to another call."""
        call_id, sha = result.recording.meta.call_id, result.recording.sha256
        for old_id, old_sha, old_status in con.execute(
                sql("calls_matching"), {"call_id": call_id, "sha256": sha}).fetchall():
            if old_sha != sha:
                raise CallConflict(f"call_id {call_id!r} is already stored for a different recording "
                                   f"(sha256 {old_sha[:12]}…); not overwriting it")
            if old_id != call_id and old_status != "failed":
                raise CallConflict(f"this recording is already stored as call {old_id!r}")
            if old_status == "ok" and result.status == "failed":
                raise CallConflict(f"call {call_id!r} is stored ok; a failed retry does not replace it")
            con.execute(sql("delete_segments"), {"call_id": old_id})
            con.execute(sql("delete_segment_terms"), {"call_id": old_id})
            con.execute(sql("delete_metrics"), {"call_id": old_id})
            if result.score:
                self._delete_scores(con, [old_id], result.score.checklist_hash)
            con.execute(sql("delete_call"), {"call_id": old_id})

    def write_scores(self, scores: Sequence[CallScore], errors: Mapping[str, str] = {}) -> None:
        """One batch of the scoring pass in one transaction, a few statements for the whole
        batch: each score replaces that call's result for the same checklist content (hash) and
        clears its scoring error; `errors` (call_id -> why the checklist could not score it) are
        recorded on the calls."""
        now = _utcnow()
        with self._transaction() as con:
            for checklist_hash in dict.fromkeys(s.checklist_hash for s in scores):
                self._delete_scores(con, [s.call_id for s in scores if s.checklist_hash == checklist_hash],
                                    checklist_hash)
            self._insert_scores(con, scores, now)
            con.execute(sql("clear_score_errors"), {"ids": [s.call_id for s in scores]})
            for call_id, error in errors.items():
                con.execute(sql("set_score_error"), {"call_id": call_id, "error": error})

    def fill_missing_metrics(self, batch: int = 500) -> int:
        """Conversation metrics for transcribed calls stored before they existed; returns how many."""
        ids = [r["call_id"] for r in self.query("calls_without_metrics")]
        for start in range(0, len(ids), batch):
            transcripts = self.transcripts(ids[start:start + batch])
            with self._transaction() as con:
                for t in transcripts:
                    self._insert_metrics(con, t.call_id, t.segments, t.duration)
        return len(ids)

    def scoring_candidates(self, since: date | None = None, until: date | None = None) -> list[dict[str, Any]]:
        """Every stored transcript (in the period, by day) with what routes it to a checklist
        (direction, team, manager, queue, checklist) and the checklist hashes that scored it."""
        return self.query("scoring_candidates", {"since": since, "until": until})

    def transcripts(self, call_ids: Sequence[str]) -> list[Transcript]:
        """The stored transcripts of these calls, in the order asked."""
        by_call: dict[str, list[Segment]] = {}
        rows = {r["call_id"]: r for r in self.query("transcript_calls", {"ids": list(call_ids)})}
        for r in self.stream("transcript_segments", {"ids": list(call_ids)}):
            by_call.setdefault(r["call_id"], []).append(
                Segment(r["speaker"], r["start_s"], r["end_s"], r["text"], r["avg_logprob"]))
        return [Transcript(c, rows[c]["language"] or "unknown", tuple(by_call.get(c, ())),
                           rows[c]["duration_s"]) for c in call_ids if c in rows]

    @staticmethod
    def _insert_metrics(con: duckdb.DuckDBPyConnection, call_id: str, segments: Sequence[Segment],
                        duration: float | None) -> None:
        con.execute(sql("insert_metrics"), {"call_id": call_id,
                                            **asdict(conversation_metrics(segments, duration))})

    @staticmethod
    def _delete_scores(con: duckdb.DuckDBPyConnection, call_ids: Sequence[str], checklist_hash: str) -> None:
        keys = {"ids": list(call_ids), "checklist_hash": checklist_hash}
        con.execute(sql("delete_item_results"), keys)
        con.execute(sql("delete_call_scores"), keys)

    @staticmethod
    def _call_row(result: CallResult, run_id: str, now: datetime) -> dict[str, Any]:
        rec, meta, info = result.recording, result.recording.meta, result.transcription
        transcript = result.transcript
        return {
            "call_id": meta.call_id, "sha256": rec.sha256, "path": str(rec.path),
            "file_name": rec.path.name, "size_bytes": rec.size, "manager_id": meta.manager_id,
            # The office's wall-clock time, as the PBX wrote it: DuckDB would shift an aware one to UTC.
            "started_at": meta.started_at and meta.started_at.replace(tzinfo=None), "direction": meta.direction,
            "customer_phone": meta.customer_phone, "queue": meta.queue, "checklist": meta.checklist,
            "status": result.status, "error": result.error,
            # Scan warnings and processing warnings together, each once, in the order they arose.
            "warnings": list(dict.fromkeys(rec.warnings + result.warnings)),
            "duration_s": result.audio_duration if result.audio_duration is not None
            else (transcript.duration if transcript else None),
            "channels": result.channels,
            "language": transcript.language if transcript else (info.language if info else None),
            "engine": info.engine if info else None, "model": info.model if info else None,
            "transcribe_s": info.seconds if info else None,
            **{f"{stage}_s": info.stages.get(stage) if info else None for stage in ("decode", "vad", "asr", "voices")},
            "transcript_settings": json.dumps(dict(info.settings), sort_keys=True) if info else None,
            "roles_confidence": result.roles_confidence,
            "run_id": run_id, "processed_at": now,
        }

    @staticmethod
    def _insert_scores(con: duckdb.DuckDBPyConnection, scores: Sequence[CallScore], now: datetime) -> None:
        """Every verdict and score of a batch in two statements."""
        if not scores:
            return
        con.execute(sql("insert_item_results"), {"scored_at": now, "items": [
            {"call_id": s.call_id, "checklist_id": s.checklist_id, "checklist_version": s.checklist_version,
             "checklist_hash": s.checklist_hash, "item_id": v.item_id, "position": i, "verdict": v.verdict,
             "weight": v.weight, "reason": v.reason, "critical": v.critical,
             "evidence": [{"speaker": e.speaker, "start_s": e.start, "end_s": e.end, "text": e.text}
                          for e in v.evidence]}
            for s in scores for i, v in enumerate(s.items)]})
        rows = []
        for s in scores:
            verdicts = [v.verdict for v in s.items]
            rows.append({"call_id": s.call_id, "checklist_id": s.checklist_id,
                         "checklist_version": s.checklist_version, "checklist_hash": s.checklist_hash,
                         "score": s.score, "critical_failure": s.critical_failure,
                         "n_pass": verdicts.count("pass"), "n_fail": verdicts.count("fail"),
                         "n_na": verdicts.count("na")})
        con.execute(sql("insert_call_scores"), {"scored_at": now, "scores": rows})
