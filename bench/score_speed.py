"""How fast the scoring pass is: `callqa rescore` over 10,000 stored transcripts (read back from
DuckDB, scored in batches, verdicts written), against scoring them one at a time.

    make bench-score          # or: .venv/bin/python bench/score_speed.py [--calls 10000] [--batch 500]

Not part of `make test` (a minute of CPU). The database holds the labelled dialogues of
tests/data/transcripts and tests/data/heldout, each stored many times under distinct call_ids
through Store.write_call, transcripts only, as the transcription pass leaves them; it is built
once in var/bench/ and each run scores a fresh copy. Copies repeat their words, so the per-word
lemma cache helps more than it would on real traffic. The baseline scores a sample one call at
a time (`callqa score` per call, without the process start-up) and is extrapolated to all calls.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from pipeline.checklist import load_checklist
from pipeline.contract import read_transcript
from pipeline.domain import CallMeta, CallResult, Recording
from pipeline.rescore import score_stored
from pipeline.routing import Checklists
from pipeline.score import score_transcript, score_transcripts
from pipeline.store import Store

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "tests/data/transcripts", ROOT / "tests/data/heldout"]
CHECKLIST = ROOT / "checklists/sales_call.yaml"


def build(db: Path, calls: int) -> None:
    """Store `calls` copies of the labelled dialogues, unscored, as the transcription pass would."""
    dialogues = [read_transcript(p) for source in SOURCES for p in sorted(source.glob("*.json"))]
    db.parent.mkdir(parents=True, exist_ok=True)
    with Store(db) as store:
        for n in range(calls):
            transcript = dialogues[n % len(dialogues)]
            call_id = f"{transcript.call_id}-{n:05d}"
            rec = Recording(Path(f"bench/{call_id}.wav"), hashlib.sha256(call_id.encode()).hexdigest(),
                            0, CallMeta(call_id))
            store.write_call(CallResult(rec, "ok", transcript=replace(transcript, call_id=call_id)),
                             run_id="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500, help="transcripts per score_transcripts call")
    parser.add_argument("--sample", type=int, default=500, help="calls scored one at a time (baseline)")
    args = parser.parse_args()

    db = ROOT / f"var/bench/transcripts_{args.calls}.duckdb"
    if not db.exists():
        started = time.perf_counter()
        build(db, args.calls)
        print(f"built {db.relative_to(ROOT)}: {args.calls} calls in {time.perf_counter() - started:.0f} s")

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / db.name
        shutil.copyfile(db, copy)
        started = time.perf_counter()
        checklist = load_checklist(CHECKLIST)
        loaded = time.perf_counter()
        with Store(copy) as store:
            summary = score_stored(store, Checklists(checklist), batch=args.batch)
            done = time.perf_counter()
            stored = store.query("SELECT count(*) AS n FROM call_scores")[0]["n"]
            transcripts = store.transcripts([r["call_id"] for r in store.query(
                f"SELECT call_id FROM calls ORDER BY call_id LIMIT {args.sample}")])
    assert summary.total == stored == args.calls, (summary, stored, args.calls)
    total = done - started
    rate = summary.total / (done - loaded)
    print(f"{summary.total} stored transcripts: checklist {loaded - started:.1f} s, read, scored in "
          f"batches of {args.batch} and stored {done - loaded:.1f} s ({rate:.0f} transcripts/s); "
          f"total {total:.1f} s")

    started = time.perf_counter()
    one_by_one = [score_transcript(t, checklist) for t in transcripts]
    alone = (time.perf_counter() - started) / len(transcripts)
    assert one_by_one == score_transcripts(transcripts, checklist), "batched and one-by-one scoring disagree"
    print(f"one at a time: {1 / alone:.0f} transcripts/s on {len(transcripts)} calls "
          f"(~{alone * summary.total:.0f} s for {summary.total}); batches are {alone * rate:.2f}x as fast")
    print(f"{'OK' if total < 60 else 'SLOW'}: {total:.1f} s for {summary.total} calls (target under 60 s)")


if __name__ == "__main__":
    main()
