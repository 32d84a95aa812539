"""A run killed mid-way (SIGKILL, two calls transcribing at once) and run again stores every call
exactly once; a second run started while one holds the database stops with a clear message."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
CHECKLIST = REPO / "checklists" / "sales_call.yaml"
CALLS = 6


def command(tmp_path: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", "run", "--inbox", str(tmp_path / "inbox"),
            "--db", str(tmp_path / "qa.duckdb"), "--out", str(tmp_path / "out"),
            "--checklist", str(CHECKLIST), "--settle-seconds", "0"]


def prefect_servers() -> set[int]:
    """Processes running a temporary Prefect server, as `callqa run` starts them."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and b"prefect.server.api.server:create_app" in (proc / "cmdline").read_bytes():
                found.add(int(proc.name))
        except OSError:  # gone meanwhile
            continue
    return found


def servers_left(before: set[int], wait_s: float = 30.0) -> set[int]:
    deadline = time.monotonic() + wait_s
    while (left := prefect_servers() - before) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def test_killed_run_then_rerun_stores_each_call_once_and_a_second_run_is_turned_away(tmp_path: Path, call_files):
    box = tmp_path / "inbox"
    box.mkdir()
    for n in range(CALLS):
        source = call_files["good"] if n % 2 else call_files["poor"]
        target = box / f"out-1555000{n}-101-20261120-10{n}500-77{n}.{n}{source.suffix}"
        target.write_bytes(source.read_bytes() + bytes([n]))  # six recordings, six identities
    env = {**os.environ, "CALLQA_WORKERS": "2", "PYTHONUNBUFFERED": "1"}
    before = prefect_servers()
    first = subprocess.Popen(command(tmp_path), cwd=REPO, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        seen = []
        for line in first.stdout:  # until the first call is stored, the next ones in flight
            seen.append(line)
            if f"[1/{CALLS}]" in line:
                break
        else:
            pytest.fail("the run ended before storing a call:\n" + "".join(seen[-30:]))
        second = subprocess.run(command(tmp_path), cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 3, second.stdout + second.stderr  # database busy
        assert "is in use by another process" in second.stderr and "Traceback" not in second.stderr
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert not servers_left(before)  # the run's temporary Prefect server went with it
    with duckdb.connect(str(tmp_path / "qa.duckdb"), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM calls").fetchone()[0]
    assert 1 <= stored < CALLS  # killed mid-way

    again = subprocess.run(command(tmp_path), cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    # Prefect sent its last logs before the server stopped, and the server is gone.
    assert "Error logging to API" not in again.stdout + again.stderr
    assert not servers_left(before, wait_s=0)
    with duckdb.connect(str(tmp_path / "qa.duckdb"), read_only=True) as con:
        calls = con.execute("SELECT file_name, status, count(*) OVER (PARTITION BY sha256) FROM calls").fetchall()
        assert sorted(name for name, _, _ in calls) == sorted(p.name for p in box.iterdir())
        assert all(status == "ok" and copies == 1 for _, status, copies in calls), calls
        # Nothing half-written: every call has its segments and one score, nothing belongs to no call.
        assert con.execute("SELECT count(*) FROM calls c WHERE NOT EXISTS "
                           "(SELECT 1 FROM segments s WHERE s.call_id = c.call_id)").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM segments WHERE call_id NOT IN (SELECT call_id FROM calls)"
                           ).fetchone() == (0,)
        assert con.execute("SELECT count(*), count(DISTINCT call_id) FROM call_scores").fetchone() == (CALLS, CALLS)
