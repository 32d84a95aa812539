"""Decode a recording in-process (PyAV, no ffmpeg command line) to 16 kHz float32 per channel.

A recording is read in blocks of BLOCK_S, so a three-hour call never sits in memory whole:
the stages downstream (vad.SpeechWindow, process.listen) work block by block.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from .domain import SAMPLE_RATE, Audio, CallError, TransientError

SILENCE_PEAK = 10 ** (-50 / 20)  # -50 dBFS: telephone line noise alone stays below this after band-limiting
# Channels this close are one signal written twice ("fake stereo"): transcribing both would
# double every turn, so such a file is treated as mono. Judged on the first block.
SAME_CHANNEL_TOLERANCE = 1e-3
# Ten minutes of stereo is 77 MB of float32: most calls are one block, the longest stay bounded.
BLOCK_S = 600.0


@dataclass(frozen=True)
class Block:
    start: float  # seconds into the recording
    channels: tuple[np.ndarray, ...]  # float32 at SAMPLE_RATE, one per channel
    last: bool  # no block follows: speech running up to its end is complete


def _open(path: Path):
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise TransientError(f"file disappeared before decoding: {path.name}") from None
    if size == 0:
        raise CallError("empty file (0 bytes)")
    try:
        container = av.open(str(path))
    except av.error.InvalidDataError:
        raise CallError("not an audio file, or its header is damaged") from None
    except av.error.FFmpegError as exc:
        raise CallError(f"cannot open as audio: {exc}") from None
    if not container.streams.audio:
        container.close()
        raise CallError("the file has no audio stream")
    return container


class AudioFile:
    """One recording, read block by block as often as a stage needs (a mono call split by voice
    is read twice). What is learnt while reading (length, warnings, level) is kept for `check`."""

    def __init__(self, path: Path, max_seconds: float):
        self.path, self.max_seconds = path, max_seconds
        with _open(path) as container:  # a file that is no recording fails here, before any work
            stream = container.streams.audio[0]
            self.codec = stream.codec_context.name
            self.source_rate = stream.rate or 0
            self._layout = "stereo" if (stream.channels or 1) >= 2 else "mono"
            self._declared = container.duration / av.time_base if container.duration else None
        self.channels = 2 if self._layout == "stereo" else 1  # 1 once a read finds fake stereo
        self.duration = 0.0
        self.warnings: list[str] = []
        self._peak = 0.0

    def blocks(self, block_s: float = BLOCK_S) -> Iterator[Block]:
        """The recording as consecutive blocks of block_s (the last one shorter)."""
        size = int(block_s * SAMPLE_RATE)
        self.warnings, self._peak, done = [], 0.0, 0
        self.channels = 2 if self._layout == "stereo" else 1
        pending: Block | None = None
        for channels in self._chunks(size):
            if pending is None and len(channels) == 2 and \
                    float(np.abs(channels[0] - channels[1]).max()) < SAME_CHANNEL_TOLERANCE:
                self.warnings.append("both channels carry the same signal: treated as mono")
                self.channels = 1
            channels = channels[:self.channels]
            self._peak = max(self._peak, *(float(np.abs(c).max()) for c in channels))
            if pending is not None:
                yield pending
            pending = Block(done / SAMPLE_RATE, channels, last=False)
            done += len(channels[0])
        self.duration = done / SAMPLE_RATE
        if self._declared and self.duration < 0.95 * self._declared - 0.5 and \
                not any("decoding stopped" in w for w in self.warnings):
            self.warnings.append(f"file looks truncated: the header declares {self._declared:.1f} s, "
                                 f"{self.duration:.1f} s decoded")
        if pending is not None:
            yield Block(pending.start, pending.channels, last=True)

    def _chunks(self, size: int) -> Iterator[tuple[np.ndarray, ...]]:
        """Decoded samples regrouped into arrays of `size` per channel."""
        parts: list[np.ndarray] = []
        held = decoded = 0
        with _open(self.path) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout=self._layout, rate=SAMPLE_RATE)
            try:
                for frame in container.decode(stream):
                    for out in resampler.resample(frame):
                        parts.append(out.to_ndarray())
                        held += out.samples
                        decoded += out.samples
                    if decoded > self.max_seconds * SAMPLE_RATE:
                        raise CallError(f"recording longer than the limit of {self.max_seconds / 60:.0f} min")
                    while held >= size:
                        joined = np.concatenate(parts, axis=1)
                        yield tuple(np.ascontiguousarray(c[:size], dtype=np.float32) for c in joined)
                        parts, held = [joined[:, size:]], held - size
                parts.extend(out.to_ndarray() for out in resampler.resample(None))
            except av.error.FFmpegError as exc:
                # A truncated upload still holds the call up to the cut: keep what decoded.
                if not decoded:
                    raise CallError(f"cannot decode audio ({self.codec}): {exc}") from None
                self.warnings.append(f"decoding stopped early ({exc}); kept the first "
                                     f"{decoded / SAMPLE_RATE:.1f} s")
        if parts and sum(p.shape[1] for p in parts):
            joined = np.concatenate(parts, axis=1)
            yield tuple(np.ascontiguousarray(c, dtype=np.float32) for c in joined)

    def check(self) -> None:
        """After a full read: a recording too short or silent to hold a call fails with why."""
        if self.duration == 0:
            raise CallError("no audio samples (truncated or empty stream)")
        if self.duration < 0.1:
            raise CallError("recording shorter than 0.1 s")
        if self._peak < SILENCE_PEAK:
            raise CallError("silent recording: no signal above -50 dBFS")


def decode(path: Path, max_seconds: float) -> tuple[Audio, list[str]]:
    """The whole recording in memory, for short audio (tests, evaluations). Raises CallError
    with a reason a QA lead can read."""
    audio_file = AudioFile(path, max_seconds)
    blocks = list(audio_file.blocks())
    audio_file.check()
    channels = tuple(np.concatenate([b.channels[i] for b in blocks]) for i in range(audio_file.channels))
    return Audio(channels, audio_file.source_rate, audio_file.codec), audio_file.warnings


def blocks_of(audio: Audio, block_s: float = BLOCK_S) -> Iterator[Block]:
    """Audio already in memory, in the blocks a recording is read in."""
    size, total = int(block_s * SAMPLE_RATE), len(audio.channels[0])
    for start in range(0, max(total, 1), size):
        yield Block(start / SAMPLE_RATE, tuple(c[start:start + size] for c in audio.channels),
                    last=start + size >= total)
