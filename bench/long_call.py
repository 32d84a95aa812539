"""A three-hour recording transcribed in bounded memory: peak RSS of the pipeline against the
whole file decoded into memory, in the same run.

    make bench-long           # or: .venv/bin/python bench/long_call.py [--hours 3]

The recording: a demo call (examples/calls.yaml) in two voices, rendered as a telephone line, padded with
line hiss to ten minutes, repeated for the length asked (sox `repeat`), 8 kHz mu-law stereo.
Each run measures, in child processes so that neither counts the other's memory:
- the pipeline, as `callqa score FILE` transcribes (ingest.read_recording, then
  process.transcribe_recording): peak RSS, seconds, and whether every turn came back once at
  its time;
- the baseline: the same file decoded whole into memory (audio.decode), as callqa did before it
  read recordings block by block.
`--mono` mixes the sides into one channel first, so the call is split by voice (read twice).
Target: peak RSS under 2 GB. Figures in README, Development; JSON in var/bench/long_call.json.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.domain import SAMPLE_RATE  # noqa: E402
from pipeline.synth import Turn, Voices, render_call, write_phone_audio  # noqa: E402

PIECE_S = 600
FOLDER = ROOT / "var" / "bench" / "long-call"

PIPELINE = """
import json, resource, sys, time
from pathlib import Path
from pipeline.config import Config
from pipeline.ingest import read_recording
from pipeline.process import transcribe_recording
from pipeline.transcribe import load_engine
cfg = Config(device="cpu", inbox=Path(sys.argv[1]).parent)
started = time.perf_counter()
result = transcribe_recording(read_recording(Path(sys.argv[1]), cfg), load_engine(cfg), cfg)
segments = result.transcript.segments if result.transcript else ()
print(json.dumps({"seconds": time.perf_counter() - started, "error": result.error,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "duration": result.audio_duration,
                  "segments": [[s.speaker, s.start, s.end, s.text] for s in segments]}))
"""
WHOLE = """
import json, resource, sys, time
from pathlib import Path
from pipeline.audio import decode
started = time.perf_counter()
audio, _ = decode(Path(sys.argv[1]), 24 * 3600)
print(json.dumps({"seconds": time.perf_counter() - started, "duration": audio.duration,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def build(hours: float) -> tuple[Path, list]:
    """The long recording (kept between runs) and the timeline of one ten-minute piece."""
    call = yaml.safe_load((ROOT / "examples" / "calls.yaml").read_text(encoding="utf-8"))["calls"][0]
    # A man and a woman (eval_diarize.py's voices), so that the mono variant can be split by voice.
    stereo, timeline = render_call([Turn(speaker, text, *extra) for speaker, text, *extra in call["turns"]],
                                   Voices(agent="en-us+david", customer="en-gb+Annie"))
    path = FOLDER / f"long-{hours:g}h.wav"
    if not path.exists():
        FOLDER.mkdir(parents=True, exist_ok=True)
        padded = np.zeros((2, PIECE_S * SAMPLE_RATE), np.float32)
        padded[:, :stereo.shape[1]] = stereo
        piece = write_phone_audio(padded, FOLDER / "piece.wav", encoding="mu-law")
        repeats = round(hours * 3600 / PIECE_S) - 1
        subprocess.run(["sox", str(piece), str(path), "repeat", str(repeats)], check=True)
    return path, timeline


def measure(script: str, path: Path) -> tuple[dict, float]:
    """The script's JSON line, and the child's peak RSS in MB (its own getrusage)."""
    done = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures, figures["peak_kb"] / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--mono", action="store_true", help="both sides mixed into one channel, "
                        "split again by voice")
    args = parser.parse_args()
    path, timeline = build(args.hours)
    if args.mono:
        stereo, path = path, path.with_name(path.stem + "-mono.wav")
        if not path.exists():
            subprocess.run(["sox", str(stereo), str(path), "remix", "1,2"], check=True)
    pieces = round(args.hours * 3600 / PIECE_S)
    started = time.perf_counter()
    heard, pipeline_mb = measure(PIPELINE, path)
    whole, whole_mb = measure(WHOLE, path)
    segments = heard["segments"]
    # Every turn of every piece is heard once, by its side, at its time.
    found = sum(any(speaker == t.speaker and abs(start - (n * PIECE_S + t.start)) < 1.0
                    for speaker, start, _, _ in segments)
                for n in range(pieces) for t in timeline)
    figures = {
        "hours": args.hours, "audio_s": heard["duration"], "error": heard["error"],
        "pipeline": {"peak_rss_mb": round(pipeline_mb), "seconds": round(heard["seconds"], 1),
                     "x_real_time": round(heard["duration"] / heard["seconds"], 1),
                     "segments": len(segments), "turns_found": found, "turns": pieces * len(timeline)},
        "whole_file_decoded": {"peak_rss_mb": round(whole_mb), "seconds": round(whole["seconds"], 1)},
        "ratio_rss": round(pipeline_mb / whole_mb, 2),
        "bench_seconds": round(time.perf_counter() - started, 1),
    }
    figures["mono"] = args.mono
    (ROOT / "var" / "bench" / f"long_call{'_mono' if args.mono else ''}.json").write_text(json.dumps(figures, indent=2))
    p, w = figures["pipeline"], figures["whole_file_decoded"]
    print(f"{path.name}: {heard['duration'] / 3600:.2f} h of 8 kHz mu-law {'mono' if args.mono else 'stereo'}")
    print(f"  pipeline (block by block)   peak RSS {p['peak_rss_mb']:5d} MB   {p['seconds']:7.1f} s "
          f"({p['x_real_time']}x real time); turns heard {found} of {p['turns']}, {len(segments)} segments"
          + (f"; error: {heard['error']}" if heard["error"] else ""))
    print(f"  whole file decoded (before) peak RSS {w['peak_rss_mb']:5d} MB   {w['seconds']:7.1f} s")
    print(f"  pipeline / whole file: {figures['ratio_rss']:.2f}x memory; target under 2048 MB: "
          f"{'met' if p['peak_rss_mb'] < 2048 else 'NOT met'}")


if __name__ == "__main__":
    main()
