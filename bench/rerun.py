"""A re-run over an inbox of processed calls: `callqa run` finds nothing new (target under 5 s).

    make bench-rerun          # or: .venv/bin/python bench/rerun.py [--calls 1000]

The inbox holds `calls` small distinct files; the database holds each as a stored, scored call
(the labelled dialogues of tests/data/transcripts under the files' SHA-256, through
Store.write_call, then the scoring pass) with the reports rendered, as after a nightly run.
Built once in var/bench/rerun-N/. The first timed run reads every file once (its identity is
not yet remembered, as after an upgrade from a callqa without file_identity); the next ones are
the nightly case. Each is `callqa run` as a user starts it, timed from start to exit.
"""
from __future__ import annotations

import argparse
import hashlib
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from pipeline.checklist import load_checklist
from pipeline.contract import read_transcript
from pipeline.domain import CallMeta, CallResult, Recording
from pipeline.report import render_reports
from pipeline.rescore import score_stored
from pipeline.routing import Checklists
from pipeline.store import Store

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = ROOT / "checklists" / "sales_call.yaml"


def build(folder: Path, calls: int) -> None:
    dialogues = [read_transcript(p) for p in sorted((ROOT / "tests/data/transcripts").glob("*.json"))]
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    with Store(folder / "qa.duckdb") as store:
        for n in range(calls):
            path = inbox / f"out-1555{n:06d}-101-20261120-101500-{n}.wav"
            path.write_bytes(f"recording {n}".encode())
            transcript = replace(dialogues[n % len(dialogues)], call_id=str(n))
            rec = Recording(path, hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size, CallMeta(str(n)))
            store.write_call(CallResult(rec, "ok", transcript=transcript, audio_duration=60.0, channels=2),
                             run_id="bench")
        score_stored(store, Checklists(load_checklist(CHECKLIST)))
    render_reports(folder / "qa.duckdb", folder / "out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = ROOT / "var" / "bench" / f"rerun-{args.calls}"
    if not folder.exists():
        build(folder, args.calls)
    command = [str(ROOT / ".venv" / "bin" / "callqa"), "run", "--inbox", str(folder / "inbox"),
               "--db", str(folder / "qa.duckdb"), "--out", str(folder / "out"),
               "--checklist", str(CHECKLIST), "--settle-seconds", "0"]
    for n in range(args.runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        print(f"run {n + 1}: {time.perf_counter() - started:.2f} s  {done.stdout.strip().splitlines()[-1][:100]}")
    print(f"target: under 5 s for {args.calls} processed calls")


if __name__ == "__main__":
    main()
