"""`callqa serve` as a user runs it: a local Prefect server, the flow on its schedule, a run stored."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid` (Linux /proc): the server, flow-run processes, helpers."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its closing paren.
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def test_serve_runs_the_flow_on_its_schedule_and_stops_its_server(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # A damaged recording: stored as a failed call without loading a model, so the run is quick.
    recording = inbox / "out-15550001-101-20261120-101500-9001.1.wav"
    recording.write_bytes(b"RIFF" + bytes(range(256)) * 8)
    an_hour_ago = time.time() - 3600  # long settled: copied in before the night's run
    os.utime(recording, (an_hour_ago, an_hour_ago))
    db = tmp_path / "var" / "callqa.duckdb"
    log = tmp_path / "serve.log"

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALLQA_", "PREFECT_"))}
    env.update(PREFECT_HOME=str(tmp_path / "client-prefect"), PYTHONUNBUFFERED="1")
    started = time.monotonic()
    with open(log, "w") as out:
        serve = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "serve", "--inbox", str(inbox), "--db", str(db),
             "--out", str(tmp_path / "out"), "--schedule-interval-s", "5"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    children: set[int] = set()
    try:
        # The published copy is written after a run is finished and stored.
        published = db.with_name("callqa.published.duckdb")
        while not published.exists():
            assert serve.poll() is None, f"callqa serve exited early:\n{log.read_text()[-3000:]}"
            assert time.monotonic() - started < 80, f"no run stored in 80 s:\n{log.read_text()[-3000:]}"
            time.sleep(0.5)
        children = _descendants(serve.pid)
        api = re.search(r"Started a local Prefect server at (\S+);", log.read_text()).group(1)
        assert _answers(f"{api}/health")

        serve.send_signal(signal.SIGTERM)  # what `systemctl stop` sends; Ctrl-C takes the same path
        assert serve.wait(60) == 0, log.read_text()[-3000:]
    finally:
        if serve.poll() is None:
            serve.kill()
        for pid in children | _descendants(serve.pid):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

    text = log.read_text()
    assert "Serving callqa-nightly every 5 s" in text
    assert "Traceback" not in text, text[-3000:]
    time.sleep(1)  # the server's last helper processes reap
    assert children and not [pid for pid in children if _alive(pid)], "processes left behind after stopping"
    assert not _answers(f"{api}/health"), "the local Prefect server still answers after callqa serve stopped"
    # The server's state lives beside the database, where README says.
    assert (db.parent / "prefect" / "prefect.db").is_file()

    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT run_id, found FROM runs WHERE finished_at IS NOT NULL").fetchall()
        calls = con.execute("SELECT file_name, status, run_id FROM calls").fetchall()
    assert runs and runs[0][1] == 1
    assert [(name, status) for name, status, _ in calls] == [(recording.name, "failed")]
    assert calls[0][2] in {run_id for run_id, _ in runs}
