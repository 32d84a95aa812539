"""Word error rate per side, callqa against a plain faster-whisper script, on the same audio in
the same run.

    make eval-asr             # or: .venv/bin/python bench/eval_asr.py [--model PATH] [--beam-size 5]

The audio has known text: the demo calls as shipped (examples/inbox, scripts in
examples/calls.yaml), and the same scripts rendered again as a worse telephone line: louder
noise, the level driven into clipping, 8 kHz mu-law. The baseline is the 30-line script a user
would write: faster-whisper's WhisperModel with the same weights on each channel whole, beam 5,
its own `vad_filter=True` at default options, the segments' text joined. callqa is the
pipeline as `callqa run` transcribes (process.transcribe_audio). WER = word edits / reference
words per side, lowercased, no punctuation (bench/asr_wer.py). Minutes of CPU, so not part of
`make test`.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from asr_wer import ROOT, edits, references, words
from pipeline.audio import decode
from pipeline.config import Config
from pipeline.domain import SAMPLE_RATE
from pipeline.models import resolve_model
from pipeline.process import transcribe_audio
from pipeline.synth import Turn, render_call, write_phone_audio
from pipeline.transcribe import load_engine

INBOX = ROOT / "examples" / "inbox"


def harsh_line(folder: Path) -> Path:
    """The demo scripts again, as a bad line: noise 5x the demo's, clipped, mu-law."""
    spec = yaml.safe_load((ROOT / "examples" / "calls.yaml").read_text(encoding="utf-8"))
    for n, call in enumerate(spec["calls"]):
        turns = [Turn(speaker, text, *extra) for speaker, text, *extra in call["turns"]]
        stereo, _ = render_call(turns)
        clipped = np.clip(stereo * 4.0, -0.5, 0.5)  # overdriven: peaks flattened
        write_phone_audio(clipped, folder / (Path(call["file"]).stem + ".wav"), encoding="mu-law",
                          noise=0.02, mono=bool(call.get("mono")), seed=n)
    return folder


def plain_script(model, audio) -> dict[str, str]:
    """What a user's script gets: each channel whole, beam 5, faster-whisper's own VAD."""
    sides = ("agent", "customer") if len(audio.channels) == 2 else ("mono",)
    out = {}
    for side, samples in zip(sides, audio.channels):
        segments, _ = model.transcribe(samples, beam_size=5, vad_filter=True)
        out[side] = " ".join(s.text.strip() for s in segments)
    return out


def callqa(engine, cfg: Config, audio) -> dict[str, str]:
    segments = transcribe_audio(audio, engine, cfg).segments
    if len(audio.channels) == 1:
        return {"mono": " ".join(s.text for s in segments)}
    return {side: " ".join(s.text for s in segments if s.speaker == side) for side in ("agent", "customer")}


def evaluate(inbox: Path, refs: dict, systems: dict) -> dict[str, tuple[dict[str, float], float, float]]:
    """System -> (WER % per side, seconds transcribing, seconds of audio)."""
    totals = {name: ({}, 0.0) for name in systems}
    audio_s = 0.0
    for name, sides in refs.items():
        # The harsh folder holds WAVs of the same stems.
        path = inbox / name if (inbox / name).exists() else inbox / (Path(name).stem + ".wav")
        audio, _ = decode(path, 240 * 60)
        audio_s += audio.channels[0].size / SAMPLE_RATE
        for system, run in systems.items():
            started = time.perf_counter()
            hyp = run(audio)
            counts, seconds = totals[system]
            totals[system] = (counts, seconds + time.perf_counter() - started)
            for side, ref in sides.items():
                e, n = counts.get(side, (0, 0))
                counts[side] = (e + edits(words(ref), words(hyp.get(side, ""))), n + len(words(ref)))
    return {system: ({side: 100 * e / n for side, (e, n) in counts.items()}, seconds, audio_s)
            for system, (counts, seconds) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--beam-size", type=int, default=5)
    args = parser.parse_args()
    from faster_whisper import WhisperModel

    cfg = Config(model=args.model, beam_size=args.beam_size, device="cpu", diarize_mono=False)
    engine = load_engine(cfg)
    source = resolve_model(cfg.model)
    model = WhisperModel(str(source.path or source.name), device="cpu", compute_type="int8")
    systems = {"plain script": lambda audio: plain_script(model, audio),
               "callqa": lambda audio: callqa(engine, cfg, audio)}
    refs = references(INBOX)
    with tempfile.TemporaryDirectory() as tmp:
        sets = {"demo calls as shipped": INBOX, "harsh line (noise, clipping, mu-law)": harsh_line(Path(tmp))}
        print(f"model {resolve_model(cfg.model)}, {len(refs)} calls per set; WER % per side")
        for title, inbox in sets.items():
            results = evaluate(inbox, refs, systems)
            print(f"\n{title}")
            base = results["plain script"][0]
            for system, (wer, seconds, audio_s) in results.items():
                figures = "  ".join(f"{side} {value:5.1f}" for side, value in wer.items())
                ratio = "" if system == "plain script" else "  vs plain: " + "  ".join(
                    f"{side} {wer[side] / base[side]:.2f}x" if base[side] else f"{side} -" for side in wer)
                print(f"  {system:12}  {figures}   {audio_s / seconds:5.1f}x real time{ratio}", flush=True)


if __name__ == "__main__":
    main()
