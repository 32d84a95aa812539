"""How fast stored transcripts are scored: 10,000 calls read back from DuckDB and scored in
batches, against scoring them one at a time.

    make bench-score          # or: .venv/bin/python bench/score_speed.py [--calls 10000] [--batch 500]

Not part of `make test` (a minute of CPU). The database holds the labelled dialogues of
tests/data/transcripts and tests/data/heldout, each stored many times under distinct call_ids
through Store.write_call; it is built once in var/bench/ and reused. Copies repeat their words,
so the per-word lemma cache helps more than it would on real traffic; the timings are per
process and include reading the segments back. The baseline scores a sample one call at a time
(`callqa score` per call, without the process start-up) and is extrapolated to all calls.
"""
from __future__ import annotations

import argparse
import hashlib
import time
from dataclasses import replace
from itertools import groupby
from pathlib import Path

from pipeline.checklist import load_checklist
from pipeline.contract import read_transcript
from pipeline.domain import CallMeta, CallResult, Recording, Segment, Transcript
from pipeline.score import score_transcript, score_transcripts
from pipeline.store import Store

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "tests/data/transcripts", ROOT / "tests/data/heldout"]
CHECKLIST = ROOT / "checklists/sales_call.yaml"


def build(db: Path, calls: int) -> None:
    """Store `calls` copies of the labelled dialogues, each with its verdicts, as a run would."""
    checklist = load_checklist(CHECKLIST)
    dialogues = [read_transcript(p) for source in SOURCES for p in sorted(source.glob("*.json"))]
    scores = score_transcripts(dialogues, checklist)
    db.parent.mkdir(parents=True, exist_ok=True)
    with Store(db) as store:
        store.register_checklist(checklist)
        for n in range(calls):
            transcript, score = dialogues[n % len(dialogues)], scores[n % len(dialogues)]
            call_id = f"{transcript.call_id}-{n:05d}"
            rec = Recording(Path(f"bench/{call_id}.wav"), hashlib.sha256(call_id.encode()).hexdigest(),
                            0, CallMeta(call_id))
            store.write_call(CallResult(rec, "ok", transcript=replace(transcript, call_id=call_id),
                                        score=replace(score, call_id=call_id)), run_id="bench")


def stored_transcripts(db: Path) -> list[Transcript]:
    with Store(db, read_only=True) as store:
        calls = {r["call_id"]: r for r in store.stream("call_details")}
        return [Transcript(call_id, calls[call_id]["language"], tuple(
                    Segment(r["speaker"], r["start_s"], r["end_s"], r["text"]) for r in rows),
                    calls[call_id]["duration_s"])
                for call_id, rows in groupby(store.stream("call_segments"), key=lambda r: r["call_id"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500, help="transcripts per score_transcripts call")
    parser.add_argument("--sample", type=int, default=500, help="calls scored one at a time (baseline)")
    args = parser.parse_args()

    db = ROOT / f"var/bench/score_{args.calls}.duckdb"
    if not db.exists():
        started = time.perf_counter()
        build(db, args.calls)
        print(f"built {db.relative_to(ROOT)}: {args.calls} calls in {time.perf_counter() - started:.0f} s")

    started = time.perf_counter()
    checklist = load_checklist(CHECKLIST)
    loaded = time.perf_counter()
    transcripts = stored_transcripts(db)
    read = time.perf_counter()
    scores = [s for i in range(0, len(transcripts), args.batch)
              for s in score_transcripts(transcripts[i:i + args.batch], checklist)]
    done = time.perf_counter()
    assert len(scores) == len(transcripts) == args.calls, (len(scores), args.calls)
    total = done - started
    rate = len(scores) / (done - read)
    print(f"{len(scores)} stored transcripts: checklist {loaded - started:.1f} s, read back "
          f"{read - loaded:.1f} s, scored in batches of {args.batch} {done - read:.1f} s "
          f"({rate:.0f} transcripts/s); total {total:.1f} s")

    sample = transcripts[:args.sample]
    started = time.perf_counter()
    one_by_one = [score_transcript(t, checklist) for t in sample]
    alone = (time.perf_counter() - started) / len(sample)
    assert one_by_one == scores[:len(sample)], "batched and one-by-one scoring disagree"
    print(f"one at a time: {1 / alone:.0f} transcripts/s on {len(sample)} calls "
          f"(~{alone * len(scores):.0f} s for {len(scores)}); batches are {alone * rate:.2f}x as fast")
    print(f"{'OK' if total < 60 else 'SLOW'}: {total:.1f} s for {len(scores)} calls (target under 60 s)")


if __name__ == "__main__":
    main()
