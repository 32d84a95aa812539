"""Word error rate on the demo calls as callqa transcribes them (temperature 0, no sampling),
with temperature 0 alone, and with Whisper's default temperature fallback; and whether each
gives the same transcript on every run.

    make bench-asr            # or: .venv/bin/python bench/asr_wer.py [--engine openai-whisper]

Not part of `make test`: it transcribes every demo call several times (minutes of CPU).
The references are the scripts in examples/calls.yaml: in a stereo call the agent's turns are
the left channel and the customer's the right; a mono call is one side, "mono", with every turn.
Text is compared lowercased, without punctuation; WER = word edits / reference words, summed
over all calls per side. Every run is a fresh process (as each `callqa score` is), with the
given number of CPU threads (OMP_NUM_THREADS, which CTranslate2 and torch both follow).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# What each setting changes on the engine (an engine without such an attribute ignores it).
SETTINGS = {
    "callqa": {},  # as callqa runs: temperature 0, and faster-whisper's loop guard
    "t0-only": {"temperature": 0.0, "loop_ngram": 0},  # no fallback of any kind
    "fallback": {"temperature": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0), "loop_ngram": 0},  # both libraries' default
}


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower().replace("'", "").replace("’", ""))


def edits(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance in words: substitutions + deletions + insertions."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def references(inbox: Path) -> dict[str, dict[str, str]]:
    """Demo file name -> side -> the scripted words of that side."""
    spec = yaml.safe_load((ROOT / "examples" / "calls.yaml").read_text(encoding="utf-8"))
    refs = {}
    for call in spec["calls"]:
        if (inbox / call["file"]).is_file():
            turns = [(speaker, text) for speaker, text, *_ in call["turns"]]
            refs[call["file"]] = ({"mono": " ".join(t for _, t in turns)} if call.get("mono") else
                                  {side: " ".join(t for s, t in turns if s == side) for side in ("agent", "customer")})
    return refs


def transcribe_all(args) -> dict:
    """One run, in this process: every demo call as the pipeline transcribes it."""
    from pipeline.audio import decode
    from pipeline.config import Config
    from pipeline.process import transcribe_audio
    from pipeline.transcribe import load_engine

    # The mono demo call is measured as one side, as heard, not split by voice.
    cfg = Config(engine=args.engine, model=args.model, beam_size=args.beam_size, device="cpu",
                 diarize_mono=False)
    engine = load_engine(cfg)
    for key, value in SETTINGS[args.setting].items():
        if hasattr(engine, key):
            setattr(engine, key, value)
    hyps, segments = {}, []
    for name, sides in references(args.inbox).items():
        audio, _ = decode(args.inbox / name, cfg.max_duration_min * 60)
        call = transcribe_audio(audio, engine, cfg).segments
        segments += [(name, s.speaker, s.start, s.end, s.text) for s in call]
        hyps[name] = {side: " ".join(s.text for s in call if side in ("mono", s.speaker)) for side in sides}
    return {"hyps": hyps, "sha": hashlib.sha256(json.dumps(segments).encode()).hexdigest()[:12]}


def run_child(args, setting: str, threads: int) -> dict:
    cmd = [sys.executable, __file__, "--child", "--engine", args.engine, "--model", args.model,
           "--beam-size", str(args.beam_size), "--inbox", str(args.inbox), "--setting", setting]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def wer(refs: dict, hyps: dict) -> dict[str, float]:
    totals: dict[str, list[int]] = {}
    for name, sides in refs.items():
        for side, ref in sides.items():
            total = totals.setdefault(side, [0, 0])
            total[0] += edits(words(ref), words(hyps[name][side]))
            total[1] += len(words(ref))
    return {side: 100 * e / n for side, (e, n) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="faster-whisper")
    parser.add_argument("--model", default="default")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--inbox", type=Path, default=ROOT / "examples" / "inbox")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per setting")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4], help="CPU thread counts to compare")
    parser.add_argument("--setting", choices=SETTINGS, help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(transcribe_all(args)))
        return

    refs = references(args.inbox)
    print(f"{args.engine}, model {args.model}, beam {args.beam_size}, {len(refs)} demo calls; "
          f"WER % per side (lowercased, no punctuation)")
    jobs = [("callqa", t) for t in args.threads] + [(s, max(args.threads)) for s in SETTINGS if s != "callqa"]
    transcripts = set()
    for setting, threads in jobs:
        runs = [run_child(args, setting, threads) for _ in range(args.runs)]
        if setting == "callqa":
            transcripts |= {r["sha"] for r in runs}
        for n, result in enumerate(runs, 1):
            figures = "  ".join(f"{side} {value:5.1f}" for side, value in wer(refs, result["hyps"]).items())
            print(f"{setting:8}  threads {threads}  run {n}:  {figures}  transcript {result['sha']}", flush=True)
    print(f"callqa with {' and '.join(map(str, args.threads))} threads, {args.runs} runs each: "
          f"{'one transcript' if len(transcripts) == 1 else f'{len(transcripts)} different transcripts'}")


if __name__ == "__main__":
    main()
