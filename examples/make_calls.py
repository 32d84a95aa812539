"""Synthesise the demo inbox from calls.yaml: `python examples/make_calls.py [OUT_DIR]`.

Also writes one damaged file, so the demo report shows how a bad recording is reported.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

from pipeline.synth import Turn, render_call, write_phone_audio

HERE = Path(__file__).parent


def main(out: Path) -> None:
    spec = yaml.safe_load((HERE / "calls.yaml").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    for n, call in enumerate(spec["calls"]):
        turns = [Turn(speaker, text, *rest) for speaker, text, *rest in call["turns"]]
        stereo, _ = render_call(turns)
        write_phone_audio(stereo, out / call["file"], encoding=call.get("encoding", "mu-law"),
                          mono=call.get("mono", False), seed=n)
        print(out / call["file"])
    broken = out / "out-15550100011-102-20261120-180000-1763661600.11.wav"
    broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4)  # header, then garbage
    print(broken)
    (out / "managers.csv").write_bytes((HERE / "managers.csv").read_bytes())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "inbox")
