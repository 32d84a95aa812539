"""How much of a mono call's speech goes to the right role: stereo calls mixed down to mono,
where each channel tells the truth, split again by pipeline/diarize.py and labelled by their
words.

    make eval-diarize         # or: .venv/bin/python bench/eval_diarize.py

The calls: the two real stereo recordings in ../shared/audio (agent left), and the demo scripts
rendered with two distinct synthetic voices (espeak variants, a man and a woman). Truth:
every 10 ms where exactly one channel's voice activity says speech. Of those frames that a
segment of the mono result covers, a frame is right when the segment has that channel's role;
the share of single-speaker speech that segments cover at all is printed beside it (segments
span the words, voice activity a little more). Minutes of CPU (transcription), so not part of
`make test`.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

from asr_wer import ROOT
from pipeline.audio import decode
from pipeline.config import Config
from pipeline.domain import SAMPLE_RATE, Audio
from pipeline.process import transcribe_audio
from pipeline.synth import Turn, Voices, render_call, write_phone_audio
from pipeline.transcribe import load_engine
from pipeline.vad import speech_spans

SHARED = ROOT.parent / "shared" / "audio"
FRAME = 0.01
TWO_VOICES = Voices(agent="en-us+david", customer="en-gb+Annie")  # a man and a woman


def synthetic(folder: Path) -> list[Path]:
    spec = yaml.safe_load((ROOT / "examples" / "calls.yaml").read_text(encoding="utf-8"))
    out = []
    for n, call in enumerate(c for c in spec["calls"] if not c.get("mono")):
        stereo, _ = render_call([Turn(s, t, *x) for s, t, *x in call["turns"]], TWO_VOICES)
        out.append(write_phone_audio(stereo, folder / f"synthetic-{n}.wav", encoding="mu-law", seed=n))
    return out


def frames(spans, n: int) -> np.ndarray:
    mask = np.zeros(n, bool)
    for s in spans:
        mask[int(s.start / FRAME):int(s.end / FRAME)] = True
    return mask


def role_accuracy(path: Path, engine, cfg: Config) -> tuple[float, float, float, float | None]:
    """(share of covered speech time right, seconds of it, share covered, roles confidence)."""
    audio, _ = decode(path, 240 * 60)
    left, right = audio.channels
    n = int(len(left) / SAMPLE_RATE / FRAME) + 1
    agent, customer = frames(speech_spans(left), n), frames(speech_spans(right), n)
    truth = np.where(agent & ~customer, 1, np.where(customer & ~agent, 2, 0))
    heard = transcribe_audio(Audio(((left + right) / 2,), audio.source_rate, audio.codec), engine, cfg)
    predicted = np.zeros(n, int)
    for s in heard.segments:
        predicted[int(s.start / FRAME):int(s.end / FRAME)] = 1 if s.speaker == "agent" else 2
    single = truth > 0
    scored = single & (predicted > 0)
    return (float((predicted[scored] == truth[scored]).mean()), scored.sum() * FRAME,
            scored.sum() / max(single.sum(), 1), heard.roles_confidence)


def main() -> None:
    cfg = Config(device="cpu")
    engine = load_engine(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        sets = {"real stereo calls, mixed to mono": sorted(SHARED.glob("staged-stereo-*.wav")),
                "synthetic two-voice calls": synthetic(Path(tmp))}
        total_right = total = 0.0
        for title, paths in sets.items():
            right = seconds = 0.0
            for path in paths:
                share, s, covered, confidence = role_accuracy(path, engine, cfg)
                print(f"  {path.name:28} {100 * share:5.1f} % of {s:5.0f} s (segments cover "
                      f"{100 * covered:.0f} % of the speech)  confidence {confidence}", flush=True)
                right, seconds = right + share * s, seconds + s
            print(f"{title}: {100 * right / seconds:.1f} % of speech time to the right role")
            total_right, total = total_right + right, total + seconds
        print(f"all: {100 * total_right / total:.1f} % (target at least 90 %)")
        sys.exit(0 if total_right / total >= 0.9 else 1)


if __name__ == "__main__":
    main()
