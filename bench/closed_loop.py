"""The closed loop, measured: QA leads' overrides on one set of calls, the learned layer trained
again with them, agreement on the locked dev set before and after.

    make eval-loop            # or: .venv/bin/python bench/closed_loop.py [--json FILE]

The tune part of the sales dev set plays a month of reviewed calls: each is stored in a real
DuckDB file and scored there; every verdict its label disagrees with is overruled through
`review.submit` (the label plays the QA lead); `callqa review --export`'s lessons_from turns the
reviews into corpus texts; train() builds a new artefact in a temporary folder (the shipped one
is left alone). Then both artefacts score the locked part, which nobody tunes on, and the tune
part again (did the lessons take?). A few minutes of CPU: not part of `make test`.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.checklist import parse_checklist
from pipeline.config import Config
from pipeline.domain import CallMeta, CallResult, Recording, Review, TranscriptionInfo
from pipeline.evaluate import ALL, Evaluation, evaluate, load_labelled
from pipeline.lessons import corpus_files, write_corpus
from pipeline.preflight import check_checklists
from pipeline.routing import Checklists
from pipeline.rescore import score_stored
from pipeline.review import lessons_from, submit
from pipeline.score import score_transcripts
from pipeline.store import Store
from pipeline.train import train

ROOT = Path(__file__).resolve().parent.parent
TUNE, LOCKED = ROOT / "tests/data/dev/tune", ROOT / "tests/data/dev/locked"


def reviewed_month(db: Path, checklists: Checklists, calls) -> int:
    """Store and score the calls, then overrule every verdict a label disagrees with."""
    start = datetime(2026, 11, 1, 9)
    with Store(db) as store:
        for n, c in enumerate(calls):
            t = c.transcript
            meta = CallMeta(t.call_id, started_at=start + timedelta(hours=n), manager_id="101")
            store.write_call(CallResult(Recording(Path(f"/nonexistent/{t.call_id}.wav"), f"{n:064x}", 1, meta),
                                        "ok", audio_duration=t.duration, channels=2, transcript=t,
                                        transcription=TranscriptionInfo("labelled", "-", t.language, 0.0)),
                             "loop")
        score_stored(store, checklists)
        verdicts = store.query("SELECT call_id, item_id, verdict FROM latest_verdicts")
    labels = {c.transcript.call_id: c.labels for c in calls}
    reviews = [Review(v["call_id"], v["item_id"], labels[v["call_id"]][v["item_id"]], "dev labels")
               for v in verdicts if labels[v["call_id"]].get(v["item_id"], v["verdict"]) != v["verdict"]]
    for r in reviews:
        submit(db, r)
    return len(reviews)


def figures(e: Evaluation) -> dict:
    cells = {f"{item}/{lang}": e.cells[item, lang] for item in (*e.items, ALL) for lang in (*e.languages, ALL)}
    return {k: {"n": a.n, "accuracy": round(a.accuracy or 0, 4), "kappa": round(a.kappa or 0, 4)}
            for k, a in cells.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=ROOT / "var/eval/closed_loop.json")
    args = ap.parse_args()
    checklists = check_checklists(Config())
    checklist = checklists.default
    tune, locked = load_labelled([TUNE]), load_labelled([LOCKED])
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        db = tmp_path / "month.duckdb"
        n_reviews = reviewed_month(db, checklists, tune)
        with Store(db, read_only=True) as store:
            taught, unlearnable = lessons_from(store, checklists)
        write_corpus(tmp_path / "reviews", corpus_files(taught))
        source = Path(checklist.source)
        _, summary = train(source, extra=[tmp_path / "reviews"], models_dir=tmp_path / "models")
        retrained = parse_checklist(source.read_bytes(), str(source), models_dir=tmp_path / "models")
        result = {"reviews": n_reviews, "lessons": len(taught),
                  "yes": sum(l.label for l in taught), "no": sum(not l.label for l in taught),
                  "unlearnable": len(unlearnable), "concepts": summary["concepts"]}
        for name, calls in (("locked", locked), ("tune", tune)):
            transcripts = [c.transcript for c in calls]
            result[name] = {"before": figures(evaluate(calls, score_transcripts(transcripts, checklist))),
                            "after": figures(evaluate(calls, score_transcripts(transcripts, retrained)))}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{n_reviews} overrides on {len(tune)} tune calls -> {len(taught)} texts for the learned layer "
          f"({result['yes']} yes, {result['no']} no); {len(unlearnable)} rest on phrases (not learnable)")
    for name in ("locked", "tune"):
        print(f"\n{name} ({len(locked if name == 'locked' else tune)} calls): agreement before -> after retraining")
        before, after = result[name]["before"], result[name]["after"]
        for key in before:
            b, a = before[key], after[key]
            print(f"  {key:28} n={b['n']:4}  {100 * b['accuracy']:5.1f} % -> {100 * a['accuracy']:5.1f} %  "
                  f"(kappa {b['kappa']:.3f} -> {a['kappa']:.3f})")
    print(f"\nJSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
