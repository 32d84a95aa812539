"""Calls transcribed in parallel: threads in the flow's process, and a real Dask LocalCluster of
two worker processes. Either way the flow alone writes DuckDB, and the stored calls are the same."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flows.nightly import nightly

pytestmark = pytest.mark.slow
CHECKLIST = Path(__file__).resolve().parent.parent / "checklists" / "sales_call.yaml"


@pytest.fixture
def inbox(tmp_path: Path, call_files) -> Path:
    """Four calls (two copies of each recording, so four identities) and one broken file."""
    box = tmp_path / "inbox"
    box.mkdir()
    for n, source in enumerate([call_files["good"], call_files["poor"]] * 2):
        target = box / source.name.replace(".1.", f".{n + 10}.").replace(".2.", f".{n + 10}.")
        shutil.copy(source, target)
        with open(target, "ab") as f:  # another byte at the end: another recording, the same call
            f.write(bytes([n]))
    (box / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt " + b"\x07" * 300)
    return box


def run(inbox: Path, db: Path, **settings) -> dict:
    return nightly(inbox=str(inbox), db=str(db), out=str(db.parent / "out"),
                   settings={"checklist": str(CHECKLIST), "settle_seconds": 0, **settings})


def stored(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("""
            SELECT c.file_name, c.status, count(s.call_id), string_agg(s.speaker || ':' || s.text, ' | ' ORDER BY s.start_s)
            FROM calls c LEFT JOIN segments s USING (call_id) GROUP BY ALL ORDER BY c.file_name""").fetchall()


def test_two_dask_workers_transcribe_and_the_flow_stores_what_threads_would(harness, inbox: Path, tmp_path: Path):
    from distributed import Client, LocalCluster

    threads = run(inbox, tmp_path / "threads" / "qa.duckdb", workers=2)
    assert (threads["ok"], threads["failed"]) == (4, 1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        dask = run(inbox, tmp_path / "dask" / "qa.duckdb", workers=2, dask_address=cluster.scheduler_address)

        def engines_loaded() -> int:
            from pipeline import transcribe
            return len(transcribe._engines)

        # Both workers took calls, and each loaded the model once for all of its calls.
        assert sorted(client.run(engines_loaded).values()) == [1, 1]
    assert (dask["ok"], dask["failed"]) == (4, 1)
    calls = stored(tmp_path / "dask" / "qa.duckdb")
    assert calls == stored(tmp_path / "threads" / "qa.duckdb")
    assert [status for _, status, _, _ in calls].count("ok") == 4
    assert all(segments > 0 for _, status, segments, _ in calls if status == "ok")
    again = run(inbox, tmp_path / "dask" / "qa.duckdb", workers=2, dask_address="local")
    assert (again["ok"], again["skipped"]) == (0, 5)  # nothing twice


def test_dask_local_is_a_local_cluster_of_one_process_per_worker():
    from prefect_dask import DaskTaskRunner

    from flows.nightly import task_runner
    from pipeline.config import Config

    runner = task_runner(Config(workers=3, dask_address="local"))
    assert isinstance(runner, DaskTaskRunner)
    assert runner.cluster_kwargs["n_workers"] == 3 and runner.cluster_kwargs["threads_per_worker"] == 1
