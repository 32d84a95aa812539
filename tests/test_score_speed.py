"""`callqa score` on a transcript starts fast: it does not import what transcription, the flow or
the reports need (torch alone took over a second of every start). Timings are in
bench/score_speed.py (`make bench-score`); these tests guard the imports, which a stray
top-level import would bring back without any test failing otherwise."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRANSCRIPT = REPO / "tests" / "data" / "transcripts" / "ru_warm_order_good.json"
# Modules `callqa score transcript.json` must not load: Whisper and its runtimes, the flow, the
# database and report code.
HEAVY = ("torch", "whisper", "faster_whisper", "ctranslate2", "av", "prefect", "duckdb",
         "flows", "pipeline.store", "pipeline.report")

# Runs the real command in a fresh interpreter, then reports what it loaded.
SCORE_THEN_LIST_MODULES = """
import contextlib, io, json, sys
from pipeline.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(["score", sys.argv[1], "--json"])
print(json.dumps({"code": code, "score": json.loads(out.getvalue()), "modules": sorted(sys.modules)}))
"""


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_score_of_a_transcript_loads_no_transcription_flow_or_database_module():
    done = run_python(SCORE_THEN_LIST_MODULES, str(TRANSCRIPT))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["code"] == 0
    assert result["score"]["call_id"] == "ru_warm_order_good" and result["score"]["score"] == 100.0
    assert [m for m in result["modules"] if m in HEAVY or m.split(".")[0] in HEAVY] == []


def test_torch_still_imports_after_scoring():
    # spaCy is imported with torch hidden from thinc; Whisper in the same process needs it back.
    done = run_python("""
import sys
from pipeline.checklist import load_checklist
from pipeline.contract import read_transcript
from pipeline.score import score_transcript
score = score_transcript(read_transcript(__import__("pathlib").Path(sys.argv[1])),
                         load_checklist("checklists/sales_call.yaml"))
import torch
print(score.score, float(torch.ones(3).sum()))
""", str(TRANSCRIPT))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["100.0", "3.0"]
