"""Copies for readers, opened as managers open them: the published copy in DuckDB's 1.x command
line, a manager's extract holding nobody else's rows, Parquet by day; numbers masked in each."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main
from pipeline.publish import STORAGE_VERSION, publish
from pipeline.store import Store
from test_store import fill

PHONE, MASKED = "+79165550142", "…0142"
CLI = shutil.which("duckdb", path=str(Path(sys.executable).parent))  # duckdb-cli 1.5.6 from PyPI


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "callqa.duckdb"
    with Store(path) as store:
        fill(store)
    return path


def cli(path: Path, script: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, "-readonly", "-list", "-noheader", str(path)], input=".bail on\n" + script,
                          capture_output=True, text=True, timeout=60)


def views(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [v for (v,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()]


def test_the_published_copy_opens_in_duckdbs_1x_command_line(db: Path):
    published = publish(db)
    assert subprocess.run([CLI, "--version"], capture_output=True, text=True).stdout.startswith("v1.5.6")
    names = views(published)
    assert {"latest_scores", "manager_weekly", "evidence", "promises"} <= set(names)
    # Every view runs in the 1.x client: one that uses a function it lacks fails here.
    done = cli(published, "".join(f"SELECT '{v}', count(*) FROM {v};\n" for v in names))
    assert done.returncode == 0, done.stderr
    assert [line.split("|")[0] for line in done.stdout.splitlines()] == names
    done = cli(published, "SELECT DISTINCT customer_phone FROM calls WHERE customer_phone IS NOT NULL;\n"
                          "SELECT count(*) FROM duckdb_views() WHERE comment IS NOT NULL;\n"
                          "SELECT avg_score FROM manager_weekly WHERE manager_id = 'm101';\n"
                          "SELECT call_id || ':' || idx FROM search('дорогие OR sending the details');")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [MASKED, str(len(names)), "80.0", "c1:3", "c2:2"]


def test_the_published_copy_never_holds_the_raw_number(db: Path):
    """Masked on the way in: not written and overwritten, so no freed block of the file keeps it."""
    raw = publish(db, mask=False).read_bytes()
    assert PHONE.encode() in raw  # the check can see a number where one is
    assert PHONE.encode() not in publish(db).read_bytes()


def tables(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    return {t: {c for (c,) in con.execute(f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{t}'").fetchall()}
            for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def test_a_manager_extract_holds_only_that_managers_calls_and_the_team_figures(db: Path, tmp_path: Path, capsys):
    out = tmp_path / "extracts"
    assert main(["export", "--per-manager", str(out), "--db", str(db)]) == 0
    assert "m101.duckdb: manager m101, 2 call(s)" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["105.duckdb", "m101.duckdb", "m102.duckdb", "m103.duckdb"]
    with duckdb.connect(str(publish(db)), read_only=True) as con:
        team = con.execute("SELECT * FROM item_pass_rates ORDER BY item_id").fetchall()
    with duckdb.connect(str(out / "m101.duckdb"), read_only=True) as con:
        found = tables(con)
        for table, columns in found.items():
            if "call_id" in columns:
                calls = {c for (c,) in con.execute(f"SELECT DISTINCT call_id FROM {table}").fetchall()}
                assert calls <= {"c1", "c2"}, table
            if "manager_id" in columns:
                managers = {m for (m,) in con.execute(f"SELECT DISTINCT manager_id FROM {table}").fetchall()}
                assert managers <= {"m101"}, table
        assert con.execute("SELECT count(*) FROM segments").fetchone() == (10,)
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM file_identity").fetchone() == (0,)
        assert con.execute("SELECT DISTINCT customer_phone FROM calls").fetchall() == [(MASKED,)]
        # The views see the manager's own calls; the team's figures are tables beside them.
        assert con.execute("SELECT call_id, score FROM latest_scores ORDER BY call_id").fetchall() == [
            ("c1", 100.0), ("c2", 60.0)]
        assert con.execute("SELECT * FROM team_item_pass_rates ORDER BY item_id").fetchall() == team
        assert con.execute("SELECT calls, failed, avg_score FROM team_periods WHERE unit = 'month'").fetchall() == [
            (5, 1, 60.0)]
    # Nothing of another manager anywhere in the file's bytes.
    data = (out / "m101.duckdb").read_bytes()
    assert b"Ivan" not in data and b"delivery is three days late" not in data
    assert cli(out / "m101.duckdb", "SELECT count(*) FROM latest_verdicts;").stdout.split() == ["10"]


def test_parquet_by_day_for_the_warehouse(db: Path, tmp_path: Path, capsys):
    out = tmp_path / "lake"
    assert main(["export", "--parquet", str(out), "--db", str(db)]) == 0
    assert sorted(p.name for p in (out / "calls").iterdir()) == ["day=2026-11-20", "day=2026-11-21"]
    with duckdb.connect() as con:
        def read(table: str, what: str) -> list[tuple]:
            return con.execute(f"SELECT {what} FROM read_parquet('{out}/{table}/*/*.parquet', "
                               "hive_partitioning = true) GROUP BY ALL ORDER BY ALL").fetchall()
        assert read("calls", "day::VARCHAR, count(*), min(customer_phone)") == [
            ("2026-11-20", 2, MASKED), ("2026-11-21", 3, MASKED)]
        assert read("segments", "call_id, count(*)") == [("c1", 5), ("c2", 5), ("c3", 5), ("c4", 5)]
        assert read("item_results", "count(*)") == [(20,)]
    assert main(["export", "--parquet", str(out), "--no-mask", "--db", str(db)]) == 0
    with duckdb.connect() as con:
        assert con.execute(f"SELECT DISTINCT customer_phone FROM '{out}/calls/*/*.parquet' "
                           "WHERE customer_phone IS NOT NULL").fetchall() == [(PHONE,)]


def test_export_needs_a_target_and_a_free_database(db: Path, tmp_path: Path, capsys):
    assert main(["export", "--db", str(db)]) == 2
    assert "give --per-manager DIR, --parquet DIR or both" in capsys.readouterr().err
    writer = subprocess.Popen([sys.executable, "-c", "import sys, duckdb; con = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); sys.stdin.read()", str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:  # a run writing it
        assert writer.stdout.readline() == "open\n"
        assert main(["export", "--parquet", str(tmp_path / "lake"), "--db", str(db)]) == 3
    finally:
        writer.communicate("")
    assert f"is in use by another process (PID {writer.pid})" in capsys.readouterr().err
    assert not (tmp_path / "lake").exists()


def test_the_copies_are_written_in_the_documented_storage_version(db: Path):
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{publish(db)}' AS p (READ_ONLY)")
        assert con.execute("SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = 'p'"
                           ).fetchone()[0] == f"{STORAGE_VERSION}+"
