"""Throughput end to end: `callqa run` against a plain faster-whisper script and the
openai-whisper engine, on the same synthesised calls, in one run.

    make bench                # or: .venv/bin/python bench/throughput.py [--calls 10] [--workers 0]

The calls: stereo telephone recordings (8 kHz mu-law, line noise) made of the demo scripts of
examples/calls.yaml, several scripts per call, so each is a few minutes long and each channel
about half silence. Built once per size in var/bench/throughput/. Each system runs in its own
process, timed from start to exit as a user would time it:
- callqa: `callqa run` on a fresh database, `workers` calls at a time; its per-stage seconds
  come from the database it wrote (calls.decode_s/vad_s/asr_s/voices_s, runs.*_s); once with
  the temporary Prefect server it starts by itself, once on a long-lived server (as
  `callqa serve` and Prefect workers run it);
- the plain script: faster-whisper's WhisperModel with the same weights, each channel whole,
  beam 5, its own `vad_filter=True`, one call after another;
- openai-whisper: `callqa run --engine openai-whisper` on the first `--openai-calls` calls.
WER per side against the scripts (bench/asr_wer.py), peak RSS of each process.
Figures printed and written to var/bench/throughput.json; README, Performance, shows them.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

from asr_wer import ROOT, edits, words
from flows.local_server import LocalServer
from pipeline.synth import Turn, render_call, write_phone_audio

FOLDER = ROOT / "var" / "bench" / "throughput"
SCRIPTS_PER_CALL = 7

PLAIN = """
import json, resource, sys, time
from pathlib import Path
from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio
started = time.perf_counter()
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8")
out = {}
for path in sorted(Path(sys.argv[2]).glob("*.wav")):
    sides = decode_audio(str(path), split_stereo=True)
    out[path.name] = {side: " ".join(s.text.strip() for s in model.transcribe(samples, beam_size=5, vad_filter=True)[0])
                      for side, samples in zip(("agent", "customer"), sides)}
print(json.dumps({"texts": out, "seconds": time.perf_counter() - started,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def build(calls: int) -> tuple[Path, dict[str, dict[str, str]]]:
    """The inbox (kept between runs) and each file's script per side."""
    spec = yaml.safe_load((ROOT / "examples" / "calls.yaml").read_text(encoding="utf-8"))["calls"]
    stereo = [c for c in spec if not c.get("mono")]
    inbox = FOLDER / f"calls-{calls}"
    refs: dict[str, dict[str, str]] = {}
    for n in range(calls):
        scripts = [stereo[(n + k) % len(stereo)] for k in range(SCRIPTS_PER_CALL)]
        turns = [Turn(speaker, text, *extra) for c in scripts for speaker, text, *extra in c["turns"]]
        name = f"out-1555020{n:04d}-101-20261120-{9 + n // 6:02d}{(n % 6) * 10:02d}00-88{n:04d}.{n}.wav"
        refs[name] = {side: " ".join(t.text for t in turns if t.speaker == side) for side in ("agent", "customer")}
        if not (inbox / name).exists():
            inbox.mkdir(parents=True, exist_ok=True)
            audio, _ = render_call(turns)
            write_phone_audio(audio, inbox / name, encoding="mu-law", seed=n)
    return inbox, refs


def child_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_callqa(inbox: Path, work: Path, *flags: str, api_url: str = "") -> tuple[float, Path]:
    """Seconds from start to exit of `callqa run`, and its database. With api_url, the run is
    recorded on that Prefect server; without, callqa starts a temporary one."""
    db = work / "qa.duckdb"
    env = {**os.environ, "PREFECT_API_URL": api_url} if api_url else None
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "callqa"), "run", "--inbox", str(inbox), "--db", str(db),
                    "--out", str(work / "out"), "--settle-seconds", "0", *flags],
                   check=True, cwd=work, capture_output=True, text=True, env=env)
    return time.perf_counter() - started, db


def wer(refs: dict[str, dict[str, str]], texts: dict[str, dict[str, str]]) -> dict[str, float]:
    out = {}
    for side in ("agent", "customer"):
        e = n = 0
        for name, sides in refs.items():
            e += edits(words(sides[side]), words(texts.get(name, {}).get(side, "")))
            n += len(words(sides[side]))
        out[side] = round(100 * e / n, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--workers", type=int, default=0, help="callqa's workers (0 = one per core)")
    parser.add_argument("--openai-calls", type=int, default=2)
    args = parser.parse_args()
    from pipeline.models import resolve_model

    inbox, refs = build(args.calls)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # callqa first: RUSAGE_CHILDREN keeps the largest child so far.
        (tmp / "callqa").mkdir()
        callqa_s, db = run_callqa(inbox, tmp / "callqa", "--workers", str(args.workers))
        callqa_mb = child_rss_mb()
        with duckdb.connect(str(db), read_only=True) as con:
            audio_s, *stages = con.execute(
                "SELECT sum(duration_s), sum(decode_s), sum(vad_s), sum(asr_s), sum(coalesce(voices_s, 0)) "
                "FROM calls WHERE status = 'ok'").fetchone()
            run_stages = con.execute("SELECT transcription_s, storage_s, scoring_s, publish_s, reports_s "
                                     "FROM runs").fetchone()
            texts: dict[str, dict[str, str]] = {}
            for name, speaker, text in con.execute(
                    "SELECT c.file_name, s.speaker, string_agg(s.text, ' ' ORDER BY s.start_s) FROM calls c "
                    "JOIN segments s USING (call_id) GROUP BY ALL").fetchall():
                texts.setdefault(name, {})[speaker] = text
        # The same run on a long-lived Prefect server, as `callqa serve` and Prefect workers run
        # it: no temporary server to start.
        (tmp / "served").mkdir()
        with LocalServer(temporary=False, home=tmp / "prefect", log_path=tmp / "prefect" / "server.log") as server:
            served_s, served_db = run_callqa(inbox, tmp / "served", "--workers", str(args.workers), api_url=server.url)
        with duckdb.connect(str(served_db), read_only=True) as con:
            served_transcription_s = con.execute("SELECT transcription_s FROM runs").fetchone()[0]
        plain_run = subprocess.run([sys.executable, "-c", PLAIN, str(resolve_model("default").path), str(inbox)],
                                   check=True, capture_output=True, text=True, env={**os.environ})
        plain = json.loads(plain_run.stdout.strip().splitlines()[-1])
        plain_s = plain["seconds"]  # model load and the loop: the script's whole work
        subset = tmp / "openai-inbox"
        subset.mkdir()
        for name in sorted(refs)[:args.openai_calls]:
            shutil.copy(inbox / name, subset / name)
        (tmp / "openai").mkdir()
        openai_s, openai_db = run_callqa(subset, tmp / "openai", "--engine", "openai-whisper", "--workers", "1")
        with duckdb.connect(str(openai_db), read_only=True) as con:
            openai_audio = con.execute("SELECT sum(duration_s) FROM calls").fetchone()[0]

    decode_s, vad_s, asr_s, voices_s = stages
    transcription_s, storage_s, scoring_s, publish_s, reports_s = run_stages
    # The wall time when no call is being transcribed: start-up, scoring, publishing, reports,
    # exit. Each call is stored by the flow's thread while the workers transcribe the next
    # ones, so storage is inside the transcription time.
    other_s = callqa_s - transcription_s
    figures = {
        "machine": f"{os.cpu_count()} cores, CPU only", "model": str(resolve_model("default")),
        "calls": args.calls, "audio_s": round(audio_s, 1),
        "callqa": {"seconds": round(callqa_s, 1), "x_real_time": round(audio_s / callqa_s, 1),
                   "peak_rss_mb": round(callqa_mb), "wer": wer(refs, texts),
                   "stages_s": {"decode": round(decode_s, 1), "vad": round(vad_s, 1), "asr": round(asr_s, 1),
                                "voices": round(voices_s, 1), "transcription_wall": round(transcription_s, 1),
                                "storage": round(storage_s, 2), "scoring": round(scoring_s, 2),
                                "publish": round(publish_s, 2), "reports": round(reports_s, 2)},
                   "not_transcription_share": round(other_s / callqa_s, 3)},
        "callqa_served": {"seconds": round(served_s, 1), "x_real_time": round(audio_s / served_s, 1),
                          "not_transcription_share": round((served_s - served_transcription_s) / served_s, 3)},
        "plain_script": {"seconds": round(plain_s, 1), "x_real_time": round(audio_s / plain_s, 1),
                         "peak_rss_mb": round(plain["peak_kb"] / 1024), "wer": wer(refs, plain["texts"])},
        "openai_whisper": {"calls": args.openai_calls, "audio_s": round(openai_audio, 1),
                           "seconds": round(openai_s, 1), "x_real_time": round(openai_audio / openai_s, 1)},
    }
    figures["ratio_vs_plain"] = round(figures["callqa"]["x_real_time"] / figures["plain_script"]["x_real_time"], 2)
    figures["served_ratio_vs_plain"] = round(figures["callqa_served"]["x_real_time"] /
                                             figures["plain_script"]["x_real_time"], 2)
    figures["ratio_vs_openai"] = round(figures["callqa"]["x_real_time"] / figures["openai_whisper"]["x_real_time"], 2)
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    (ROOT / "var" / "bench" / "throughput.json").write_text(json.dumps(figures, indent=2))
    c, p, o = figures["callqa"], figures["plain_script"], figures["openai_whisper"]
    print(f"{args.calls} stereo calls, {audio_s / 60:.1f} min of audio; {figures['machine']}; {figures['model']}")
    print(f"  callqa run       {c['seconds']:7.1f} s  {c['x_real_time']:5.1f}x real time  peak RSS {c['peak_rss_mb']} MB"
          f"  WER agent {c['wer']['agent']} customer {c['wer']['customer']}")
    v = figures["callqa_served"]
    print(f"  callqa run, long-lived Prefect server {v['seconds']:.1f} s  {v['x_real_time']}x real time, "
          f"{figures['served_ratio_vs_plain']}x the plain script; not transcription: "
          f"{100 * v['not_transcription_share']:.1f} %")
    print(f"  plain script     {p['seconds']:7.1f} s  {p['x_real_time']:5.1f}x real time  peak RSS {p['peak_rss_mb']} MB"
          f"  WER agent {p['wer']['agent']} customer {p['wer']['customer']}")
    print(f"  openai-whisper   {o['seconds']:7.1f} s  {o['x_real_time']:5.1f}x real time  ({o['calls']} calls)")
    print(f"  callqa / plain script: {figures['ratio_vs_plain']}x   callqa / openai-whisper: {figures['ratio_vs_openai']}x")
    s = c["stages_s"]
    print(f"  stages (s, summed over calls): decode {s['decode']}  vad {s['vad']}  asr {s['asr']}  voices {s['voices']}")
    print(f"  run (s, wall): transcription {s['transcription_wall']}  storage {s['storage']}  scoring {s['scoring']}"
          f"  publish {s['publish']}  reports {s['reports']}; not transcription: "
          f"{100 * c['not_transcription_share']:.1f} % of the wall time (target at most 5 %)")
    print("  written to var/bench/throughput.json")


if __name__ == "__main__":
    main()
