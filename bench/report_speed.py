"""How fast the reports render: 50 managers and 5,000 scored calls over 30 days (target: under
30 s), against rendering the same folder a second time.

    make bench-report         # or: .venv/bin/python bench/report_speed.py [--calls 5000] [--managers 50]

Not part of `make test`. The database holds the labelled dialogues of tests/data/transcripts
and tests/data/heldout stored many times under distinct call ids, managers and days through
Store.write_call, then scored by the scoring pass (with the promises ledger); it is built once
in var/bench/. The first render writes every page: index, review queue, one per manager, one
per call. The second finds the database unchanged: every page but the index is linked from the
first (the digest of what it was rendered from is the same), as on a night with nothing new.
"""
from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.checklist import load_checklist
from pipeline.contract import read_transcript
from pipeline.domain import CallMeta, CallResult, Manager, Recording
from pipeline.report import render_reports
from pipeline.rescore import score_stored
from pipeline.routing import Checklists
from pipeline.store import Store

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "tests/data/transcripts", ROOT / "tests/data/heldout"]
CHECKLIST = ROOT / "checklists/sales_call.yaml"


def build(db: Path, calls: int, managers: int) -> None:
    dialogues = [read_transcript(p) for source in SOURCES for p in sorted(source.glob("*.json"))]
    db.parent.mkdir(parents=True, exist_ok=True)
    first = datetime(2026, 11, 1, 9, 0)
    with Store(db) as store:
        store.upsert_managers([Manager(f"m{m:02d}", f"Manager {m:02d}", f"Team {m % 5}") for m in range(managers)])
        for n in range(calls):
            transcript = dialogues[n % len(dialogues)]
            call_id = f"{transcript.call_id}-{n:05d}"
            started = first + timedelta(days=n % 30, minutes=(n * 7) % 600)
            rec = Recording(Path(f"bench/{call_id}.wav"), hashlib.sha256(call_id.encode()).hexdigest(), 0,
                            CallMeta(call_id, f"m{n % managers:02d}", started, "out", f"+7916{n % 997:07d}"))
            store.write_call(CallResult(rec, "ok", audio_duration=transcript.duration or 120.0,
                                        transcript=replace(transcript, call_id=call_id)), run_id="bench")
        score_stored(store, Checklists(load_checklist(CHECKLIST)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--managers", type=int, default=50)
    args = parser.parse_args()
    db = ROOT / f"var/bench/report_{args.calls}_{args.managers}.duckdb"
    if not db.exists():
        started = time.perf_counter()
        build(db, args.calls, args.managers)
        print(f"built {db.name} in {time.perf_counter() - started:.0f} s (once)")
    with Store(db):  # this release's schema and views on a database built by an older one
        pass
    with tempfile.TemporaryDirectory() as tmp:
        times, inodes = [], []
        for _ in range(2):
            started = time.perf_counter()
            render_reports(db, Path(tmp) / "out")
            times.append(time.perf_counter() - started)
            inodes.append({p: p.stat().st_ino for p in (Path(tmp) / "out").rglob("*.html")})
        kept = sum(inodes[1].get(p) == ino for p, ino in inodes[0].items())
    print(f"{args.managers} managers, {args.calls} calls: {len(inodes[0])} pages rendered in {times[0]:.1f} s "
          f"(target under 30 s); again, nothing changed: {times[1]:.1f} s, {kept} pages kept, "
          f"{len(inodes[1]) - kept} rendered")


if __name__ == "__main__":
    main()
