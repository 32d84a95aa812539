"""The operator's command line on the real demo run: exit codes by their cases."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO


def callqa(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, **kwargs)


def test_exit_codes_name_the_outcome(demo, tmp_path: Path):
    # 1: finished, with failed calls (the demo's unreadable recording).
    assert demo.run.returncode == 1 and "10 transcribed, 1 failed, 10 scored" in demo.run.stdout
    # 0: finished, nothing failed (nothing new: the failed call is not retried unless asked).
    again = callqa("run", "--inbox", str(demo.db.parent / "inbox"), "--db", str(demo.db), "--out", str(demo.out))
    assert again.returncode == 0, again.stderr
    # 2: a usage or config error, one line, no traceback.
    bad = callqa("run", "--inbox", str(tmp_path / "nowhere"), "--db", str(tmp_path / "x.duckdb"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    # 3: the database is busy: another process writes it.
    writer = subprocess.Popen([sys.executable, "-c", "import sys, duckdb; con = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); sys.stdin.read()", str(demo.db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "open\n"
        busy = callqa("rescore", "--db", str(demo.db), "--out", str(demo.out))
    finally:
        writer.communicate("")
    assert busy.returncode == 3 and f"in use by another process (PID {writer.pid})" in busy.stderr
