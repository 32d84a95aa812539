"""Schema migrations on real DuckDB files: a database written by the release before migrations
opens and is upgraded in place, nothing is lost, and a failed upgrade leaves the file as it was."""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline.migrate import MIGRATIONS, MigrationError, migrations, upgrade
from pipeline.store import Store

OLD = Path(__file__).parent / "data" / "db" / "schema_1.duckdb.gz"
TABLES = ("managers", "runs", "calls", "segments", "item_results", "checklist_items", "call_scores")


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    path = tmp_path / "callqa.duckdb"
    path.write_bytes(gzip.decompress(OLD.read_bytes()))
    return path


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in sorted(tables)}


def columns(path: Path, table: str) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]).fetchall()}


def test_a_database_from_the_release_before_migrations_is_upgraded_in_place(old_db: Path):
    before = snapshot(old_db)
    assert "schema_version" not in before and set(TABLES) <= set(before)
    with Store(old_db) as store:
        versions = store.query("SELECT version, name FROM schema_version ORDER BY version")
        assert [v["version"] for v in versions] == [m.number for m in migrations()]
        # The views read the old rows: both scored calls and the failed one are there.
        scores = {r["call_id"]: (r["status"], r["checklist_id"]) for r in store.query("SELECT * FROM latest_scores")}
        assert scores == {"en_w3_car_service_brakes_blame": ("ok", "sales_call"),
                          "ru_w1_fitness_winback_moved": ("ok", "sales_call"),
                          "broken": ("failed", None)}
        assert store.query("SELECT count(*) AS n FROM latest_verdicts")[0]["n"] == 10
    after = snapshot(old_db)
    for table in TABLES:  # every old row kept; new columns are NULL on old rows
        assert len(after[table]) == len(before[table]), table
    assert {"queue", "checklist", "transcript_settings", "score_error"} <= columns(old_db, "calls")
    assert "scored" in columns(old_db, "runs")
    with Store(old_db) as store:  # the scoring pass computes what the old release did not store
        assert store.fill_missing_metrics() == 2
        assert store.query("SELECT count(*) AS n FROM call_metrics")[0]["n"] == 2
        assert store.fill_missing_metrics() == 0
    # Opening again applies nothing twice.
    with Store(old_db) as store:
        assert store.query("SELECT count(*) AS n FROM schema_version")[0]["n"] == len(migrations())


def test_an_upgrade_that_fails_leaves_the_file_as_it_was(old_db: Path, tmp_path: Path):
    broken = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, broken)
    n = len(migrations()) + 1
    (broken / f"{n:04d}_broken.sql").write_text(
        "ALTER TABLE calls ADD COLUMN half_done VARCHAR;\nSELECT * FROM no_such_table;\n")
    before = snapshot(old_db)
    con = duckdb.connect(str(old_db))
    with pytest.raises(MigrationError, match=f"{n:04d}_broken.sql failed, the database is unchanged"):
        upgrade(con, broken)
    con.close()
    assert snapshot(old_db) == before  # not even migrations 1 and 2 landed
    assert "half_done" not in columns(old_db, "calls") and "queue" not in columns(old_db, "calls")
    with Store(old_db) as store:  # today's migrations still apply afterwards
        assert store.query("SELECT max(version) AS v FROM schema_version")[0]["v"] == n - 1


def test_a_database_from_a_newer_callqa_is_refused(tmp_path: Path):
    path = tmp_path / "new.duckdb"
    Store(path).close()
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO schema_version VALUES (99, '0099_future', now()::TIMESTAMP)")
    with pytest.raises(MigrationError, match="schema version 99, newer than this callqa knows"):
        Store(path)


def test_reading_an_old_file_read_only_says_how_to_upgrade_it(old_db: Path):
    with pytest.raises(MigrationError, match="callqa rescore --db"):
        Store(old_db, read_only=True)


def test_migration_files_are_numbered_without_gaps(tmp_path: Path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="without gaps"):
        migrations(tmp_path)
