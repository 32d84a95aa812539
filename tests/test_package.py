"""callqa as a user installs it: a wheel built from the checkout, installed (not editable) into a
fresh virtualenv, run from a folder that holds no checklists/ or reports/."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pkg")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(root / "wheels"), str(REPO)], check=True, capture_output=True)
    [wheel] = (root / "wheels").glob("callqa-*.whl")
    env = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    site = next((env / "lib").glob("python*/site-packages"))
    # The dependencies come from this environment, not from the network: a plain path line
    # adds its site-packages after the new one's (and does not run its editable-install hook).
    (site / "callqa-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([env / "bin" / "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, capture_output=True)
    return env


def test_the_installed_package_is_not_the_checkout(venv: Path, tmp_path: Path):
    done = subprocess.run([venv / "bin" / "python", "-c", "import pipeline, flows; "
                           "print(pipeline.__file__); print(flows.__file__)"],
                          cwd=tmp_path, capture_output=True, text=True, check=True)
    assert all(str(venv) in line for line in done.stdout.splitlines()), done.stdout


def test_installed_callqa_scores_from_any_folder(venv: Path, tmp_path: Path):
    transcript = tmp_path / "call.json"
    shutil.copy(REPO / "tests" / "data" / "transcripts" / "ru_warm_order_good.json", transcript)
    done = subprocess.run([venv / "bin" / "callqa", "score", str(transcript), "--json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["checklist"]["id"] == "sales_call" and out["score"] == 100.0
    support = subprocess.run([venv / "bin" / "callqa", "score", str(transcript), "--checklist", "support_call"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert support.returncode == 0, support.stderr
    assert "(support_call v1)" in support.stdout


def test_installed_callqa_runs_the_nightly_flow_from_tmp(venv: Path, tmp_path: Path, call_files):
    box = tmp_path / "inbox"
    box.mkdir()
    shutil.copy(call_files["good"], box)
    done = subprocess.run([venv / "bin" / "callqa", "run", "--inbox", "inbox", "--db", "qa.duckdb",
                           "--out", "report", "--settle-seconds", "0"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1 transcribed, 0 failed, 1 scored" in done.stdout
    page = (tmp_path / "report" / "calls" / "9001.1.html").read_text()
    assert "sales_call 2" in page and "Greeted and introduced themselves" in page
