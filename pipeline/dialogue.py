"""Turn per-channel segments into one time-ordered dialogue."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .domain import Segment, Speaker


def label(segments: Sequence[Segment], speaker: Speaker) -> list[Segment]:
    return [replace(s, speaker=speaker) for s in segments]


def merge_channels(channels: Sequence[Sequence[Segment]]) -> tuple[Segment, ...]:
    """Interleave the sides by start time; at equal starts the earlier-ending turn comes first."""
    return tuple(sorted((s for side in channels for s in side), key=lambda s: (s.start, s.end)))
