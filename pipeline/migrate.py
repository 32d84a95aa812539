"""Numbered schema migrations, as datasette's internal database has them.

`sql/migrations/NNNN_name.sql` run in order, each once; `schema_version` records which ran.
Every pending migration and then the views (sql/views.sql) are applied in one transaction, so
an upgrade that fails leaves the database as it was. Migration 1 is written with IF NOT EXISTS:
a database from before migrations existed takes it as the first step of its upgrade.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from .domain import CallError

SQL_DIR = Path(__file__).parent / "sql"
MIGRATIONS = SQL_DIR / "migrations"
_FILE = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


class MigrationError(CallError):
    """The database cannot be brought to this release's schema; the message says why."""


@dataclass(frozen=True)
class Migration:
    number: int
    path: Path


def migrations(folder: Path = MIGRATIONS) -> tuple[Migration, ...]:
    found = sorted((Migration(int(m.group(1)), p) for p in folder.glob("*.sql")
                    if (m := _FILE.fullmatch(p.name))), key=lambda m: m.number)
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise MigrationError(f"{folder}: migrations must be numbered 0001, 0002, … without gaps; found {numbers}")
    return tuple(found)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The last migration applied; 0 for a new file or one written before migrations."""
    if not con.execute("SELECT count(*) FROM information_schema.tables "
                       "WHERE table_name = 'schema_version' AND table_schema = 'main'").fetchone()[0]:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def upgrade(con: duckdb.DuckDBPyConnection, folder: Path = MIGRATIONS,
            views: Path = SQL_DIR / "views.sql") -> int:
    """Apply pending migrations and re-create the views; returns the schema version."""
    steps = migrations(folder)
    latest = steps[-1].number if steps else 0
    current = schema_version(con)
    if current > latest:
        raise MigrationError(f"the database has schema version {current}, newer than this callqa "
                             f"knows ({latest}); upgrade callqa to open it")
    con.begin()
    try:
        con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                    "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
        for step in steps[current:]:
            try:
                con.execute(step.path.read_text(encoding="utf-8"))
            except duckdb.Error as exc:
                raise MigrationError(f"migration {step.path.name} failed, the database is unchanged: {exc}") from None
            con.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                        [step.number, step.path.stem, datetime.now(timezone.utc).replace(tzinfo=None)])
        con.execute(views.read_text(encoding="utf-8"))
    except BaseException:
        con.rollback()
        raise
    con.commit()
    return latest
