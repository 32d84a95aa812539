"""Shared fixtures: telephone-like synthetic calls (espeak-ng + sox), made once per session."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.synth import Turn, render_call, write_phone_audio

REPO = Path(__file__).resolve().parent.parent

# Prefect's temporary test server gets 30 s to start; on a loaded 2-core CI machine it has
# needed more. The flow tests open prefect_test_harness with server_startup_timeout=None, so it
# reads PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, which importing flows.nightly sets.


@pytest.fixture(scope="module")
def harness():
    """A temporary Prefect server for one test module's flow runs."""
    from prefect.testing.utilities import prefect_test_harness  # only the flow tests pay for Prefect

    with prefect_test_harness(server_startup_timeout=None):
        yield

# Two short calls by different managers: one that passes the opening items, one that fails them.
GOOD_CALL = [
    Turn("agent", "Good afternoon, my name is Anna, I am calling from Sunrise company. Is this a good time to talk?"),
    Turn("customer", "Yes, go ahead."),
    Turn("agent", "Your order is placed and the courier will come on Thursday. Thank you, have a nice day."),
]
POOR_CALL = [
    Turn("agent", "Hello?"),
    Turn("customer", "Hi."),
    Turn("agent", "We have a new battery with a discount this month."),
    Turn("customer", "I am not interested."),
    Turn("agent", "Okay, goodbye."),
]


@pytest.fixture(scope="session")
def call_files(tmp_path_factory) -> dict[str, Path]:
    """Stereo recordings as a PBX writes them: 8 kHz mu-law WAV and MP3, with line noise."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.fail("espeak-ng and sox are required: run `make test`, which installs them")
    folder = tmp_path_factory.mktemp("calls")
    good, _ = render_call(GOOD_CALL)
    poor, _ = render_call(POOR_CALL)
    return {
        "good": write_phone_audio(good, folder / "out-15550001-101-20261120-101500-9001.1.wav"),
        "poor": write_phone_audio(poor, folder / "out-15550002-999-20261120-111500-9002.2.mp3", seed=1),
    }


@dataclass(frozen=True)
class Demo:
    """`make demo` as a newcomer runs it: the demo inbox through the real `callqa run`."""
    db: Path
    out: Path
    run: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    site = tmp_path_factory.mktemp("demo")
    shutil.copytree(REPO / "examples" / "inbox", site / "inbox")
    env = {**os.environ, "CALLQA_SETTLE_SECONDS": "0"}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--inbox", str(site / "inbox"),
                           "--db", str(site / "demo.duckdb"), "--out", str(site / "out")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    return Demo(site / "demo.duckdb", site / "out", done)
