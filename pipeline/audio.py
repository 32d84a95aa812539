"""Decode a recording in-process (PyAV, no ffmpeg command line) to 16 kHz float32 per channel."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from .domain import SAMPLE_RATE, Audio, CallError, TransientError

SILENCE_PEAK = 10 ** (-50 / 20)  # -50 dBFS: telephone line noise alone stays below this after band-limiting
# Channels this close are one signal written twice ("fake stereo"): transcribing both would
# double every turn, so such a file is treated as mono.
SAME_CHANNEL_TOLERANCE = 1e-3


def decode(path: Path, max_seconds: float) -> tuple[Audio, list[str]]:
    """Recording -> Audio and warnings. Raises CallError with a reason a QA lead can read."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise TransientError(f"file disappeared before decoding: {path.name}") from None
    if size == 0:
        raise CallError("empty file (0 bytes)")
    warnings: list[str] = []
    try:
        container = av.open(str(path))
    except av.error.InvalidDataError:
        raise CallError("not an audio file, or its header is damaged") from None
    except av.error.FFmpegError as exc:
        raise CallError(f"cannot open as audio: {exc}") from None
    with container:
        if not container.streams.audio:
            raise CallError("the file has no audio stream")
        stream = container.streams.audio[0]
        codec = stream.codec_context.name
        source_rate = stream.rate or 0
        declared = container.duration / av.time_base if container.duration else None
        layout = "stereo" if (stream.channels or 1) >= 2 else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        decoded = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
                    decoded += out.samples
                if decoded > max_seconds * SAMPLE_RATE:
                    raise CallError(f"recording longer than the limit of {max_seconds / 60:.0f} min")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except av.error.FFmpegError as exc:
            # A truncated upload still holds the call up to the cut: keep what decoded.
            if not chunks:
                raise CallError(f"cannot decode audio ({codec}): {exc}") from None
            warnings.append(f"decoding stopped early ({exc}); kept the first "
                            f"{sum(c.shape[1] for c in chunks) / SAMPLE_RATE:.1f} s")
    if not chunks:
        raise CallError("no audio samples (truncated or empty stream)")
    data = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    decoded_seconds = data.shape[1] / SAMPLE_RATE
    if declared and decoded_seconds < 0.95 * declared - 0.5 and not warnings:
        warnings.append(f"file looks truncated: the header declares {declared:.1f} s, "
                        f"{decoded_seconds:.1f} s decoded")
    if data.shape[1] < SAMPLE_RATE // 10:
        raise CallError("recording shorter than 0.1 s")
    if float(np.abs(data).max()) < SILENCE_PEAK:
        raise CallError("silent recording: no signal above -50 dBFS")
    channels = tuple(np.ascontiguousarray(c) for c in data)
    if len(channels) == 2 and float(np.abs(channels[0] - channels[1]).max()) < SAME_CHANNEL_TOLERANCE:
        warnings.append("both channels carry the same signal: treated as mono")
        channels = channels[:1]
    return Audio(channels=channels, source_rate=source_rate, codec=codec), warnings
