"""Copies for readers: the published database, per-manager extracts, Parquet by day.

Each is read from the closed working database and written in a storage version that DuckDB 1.x
clients and BI drivers open (the working file is in 2.x's own, which they refuse). With `mask`,
the customer's number goes in masked: it is never written and then overwritten, so no freed
block of a reader's file holds it.
"""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .domain import DatabaseBusy
from .store import sql

# DuckDB 1.2.0 (February 2025) and every later client reads this; 1.5.6's CLI is tested.
STORAGE_VERSION = "v1.2.0"

# What a reader's copy holds instead of a column that names the customer.
_MASKED = {
    "calls": {"customer_phone": "masked_phone(customer_phone)",
              "file_name": "mask_phone_in(file_name, customer_phone)",
              "path": "mask_phone_in(path, customer_phone)"},
    "commitments": {"customer_phone": "masked_phone(customer_phone)"},
}
# The ingest cache names every recording's path, numbers included, and serves no reader.
_PRIVATE = {"file_identity"}
# A manager's extract: the rows of their own calls, their own manager row, no runs, and the
# tables that name no call (checklist items, schema versions) whole.
_OWN_CALLS = "call_id IN (SELECT call_id FROM src.main.calls WHERE manager_id = $manager_id)"
_BY_MANAGER = {"managers": "manager_id = $manager_id", "runs": "false"}
_PARQUET = ("calls", "segments", "item_results", "call_scores", "reviews", "commitments")
_SAFE_NAME = re.compile(r"[^\w.-]+")


def published_path(db: Path) -> Path:
    """Where readers find the copy published after each run: callqa.duckdb -> callqa.published.duckdb."""
    return db.with_name(f"{db.stem}.published{db.suffix or '.duckdb'}")


def publish(db: Path, mask: bool = True) -> Path:
    """Copy the closed database for readers. A manager's open session on the copy never blocks
    the nightly writer; the rename swaps it whole, and open readers keep the copy they had."""
    target = published_path(db)
    with _staged(target) as staging, _reading(db) as con:
        _copy(con, staging, mask)
    return target


@dataclass(frozen=True)
class Extract:
    manager_id: str
    path: Path
    calls: int


def export_per_manager(db: Path, folder: Path, mask: bool = True) -> list[Extract]:
    """One file per manager, `<manager_id>.duckdb`: that manager's calls with their segments,
    verdicts, reviews and promises, the checklists, and the team's figures as `team_*` tables.
    The views work on it and see only that manager's calls."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with _reading(db) as con:
        for manager_id, calls in con.execute(sql("extract_managers")).fetchall():
            target = folder / f"{_SAFE_NAME.sub('_', manager_id)}.duckdb"
            with _staged(target) as staging:
                _copy(con, staging, mask, manager_id)
            written.append(Extract(manager_id, target, calls))
    return written


def export_parquet(db: Path, folder: Path, mask: bool = True) -> list[Path]:
    """Hive-partitioned Parquet by the call's day, `<table>/day=YYYY-MM-DD/*.parquet`, for the
    calls, their segments, verdicts, scores, reviews and promises. Each table's folder is
    replaced whole."""
    written = []
    with _reading(db) as con:
        folder.mkdir(parents=True, exist_ok=True)
        for table in _PARQUET:
            target, staging = folder / table, folder / f".{table}.{os.getpid()}.tmp"
            shutil.rmtree(staging, ignore_errors=True)
            con.execute(f"COPY (SELECT {_columns(table, mask, 't.')}, d.day FROM src.main.{table} t "
                        "JOIN (SELECT call_id, started_at::DATE AS day FROM src.main.calls) d USING (call_id)) "
                        f"TO '{_quote(staging)}' (FORMAT parquet, PARTITION_BY (day))")
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
            written.append(target)
    return written


def _copy(con: duckdb.DuckDBPyConnection, target: Path, mask: bool, manager_id: str | None = None) -> None:
    """Schema, views and macros of `src` into a new file, then the rows (of one manager's calls,
    with the team's figures, when `manager_id` is given)."""
    con.execute(f"ATTACH '{_quote(target)}' AS dst (STORAGE_VERSION '{STORAGE_VERSION}')")
    con.execute("COPY FROM DATABASE src TO dst (SCHEMA)")
    for table, per_call in con.execute(sql("copied_tables")).fetchall():
        if table in _PRIVATE:
            continue
        where = ""
        if manager_id is not None:
            where = " WHERE " + _BY_MANAGER.get(table, _OWN_CALLS if per_call else "true")
        con.execute(f"INSERT INTO dst.main.{table} SELECT {_columns(table, mask)} FROM src.main.{table}{where}",
                    {"manager_id": manager_id} if "$manager_id" in where else None)
    if manager_id is not None:
        for statement in filter(str.strip, sql("extract_team").split(";")):
            con.execute(statement)
    con.execute("DETACH dst")


def _columns(table: str, mask: bool, prefix: str = "") -> str:
    masked = _MASKED.get(table) if mask else None
    if not masked:
        return f"{prefix}*"
    return f"{prefix}* REPLACE (" + ", ".join(f"{expr} AS {column}" for column, expr in masked.items()) + ")"


@contextmanager
def _reading(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with the working database attached read-only as `src`; its
    macros (masked_phone …) resolve unqualified."""
    if not db.exists():
        raise FileNotFoundError(f"no callqa database at {db}")
    con = duckdb.connect()
    try:
        try:
            con.execute(f"ATTACH '{_quote(db)}' AS src (READ_ONLY)")
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            holder = re.search(r"PID (\d+)", str(exc))
            raise DatabaseBusy(f"the database {db} is in use by another process"
                               f"{f' (PID {holder.group(1)})' if holder else ''}: wait for the run "
                               "to finish") from None
        con.execute("USE src")
        yield con
    finally:
        con.close()


@contextmanager
def _staged(target: Path) -> Iterator[Path]:
    """A file beside `target` that replaces it whole once written, read-only; nothing on failure."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    try:
        yield staging
        staging.chmod(0o444)
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    finally:
        staging.with_name(staging.name + ".wal").unlink(missing_ok=True)


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
