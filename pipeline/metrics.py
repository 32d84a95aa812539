"""Conversation metrics of one call, from its segments alone: talk time per side, the agent's
longest monologue, silence, interruptions and speech rate.

Pure functions over the transcript's times. Stereo calls give each side its own channel, so
overlap (both talking at once) is real and counts as an interruption by the side that started
last. Mono calls have one speaker, `unknown`: the per-side figures are then None.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .domain import Segment

SIDES = ("agent", "customer")
# A side that starts this long before the other stops is interrupting, not taking its turn: the
# recogniser's segment ends are fuzzy by a few hundred milliseconds.
OVERLAP_S = 0.3


@dataclass(frozen=True)
class CallMetrics:
    duration_s: float
    talk_s: float  # anyone speaking (the union of every segment)
    silence_share: float  # of the duration, nobody speaking (0..1)
    longest_silence_s: float  # the longest pause between speech: a hold, or dead air
    agent_talk_s: float | None
    customer_talk_s: float | None
    talk_listen_ratio: float | None  # agent talk / customer talk
    agent_longest_monologue_s: float | None  # the longest agent turn, the customer silent
    agent_interruptions: int | None  # the agent started while the customer spoke
    customer_interruptions: int | None
    agent_wpm: float | None  # words per minute of the side's own talk time
    customer_wpm: float | None


def conversation_metrics(segments: Sequence[Segment], duration: float | None) -> CallMetrics:
    spans = [(s.start, s.end) for s in segments if s.end > s.start]
    end = max([duration or 0.0] + [e for _, e in spans])
    speech = _union(spans)
    talk = sum(e - s for s, e in speech)
    pauses = [b[0] - a[1] for a, b in zip(speech, speech[1:])]
    two_sided = any(s.speaker in SIDES for s in segments)
    by_side = {side: [s for s in segments if s.speaker == side] for side in SIDES}
    side_talk = {side: sum(e - s for s, e in _union([(x.start, x.end) for x in by_side[side]]))
                 for side in SIDES}

    def per_side(value):
        return value if two_sided else None

    return CallMetrics(
        duration_s=round(end, 2),
        talk_s=round(talk, 2),
        silence_share=round(1 - talk / end, 3) if end else 0.0,
        longest_silence_s=round(max(pauses, default=0.0), 2),
        agent_talk_s=per_side(round(side_talk["agent"], 2)),
        customer_talk_s=per_side(round(side_talk["customer"], 2)),
        talk_listen_ratio=per_side(round(side_talk["agent"] / side_talk["customer"], 2)
                                   if side_talk["customer"] else None),
        agent_longest_monologue_s=per_side(round(_longest_turn(segments, "agent"), 2)),
        agent_interruptions=per_side(_interruptions(by_side["agent"], by_side["customer"])),
        customer_interruptions=per_side(_interruptions(by_side["customer"], by_side["agent"])),
        agent_wpm=per_side(_wpm(by_side["agent"], side_talk["agent"])),
        customer_wpm=per_side(_wpm(by_side["customer"], side_talk["customer"])),
    )


def _union(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _longest_turn(segments: Sequence[Segment], side: str) -> float:
    """From the start of a run of the side's segments to its end, while the other side says
    nothing in between (a pause of the side's own stays inside its monologue)."""
    longest, start, last = 0.0, None, 0.0
    for s in sorted(segments, key=lambda s: (s.start, s.end)):
        if s.speaker == side:
            start = s.start if start is None else start
            last = max(last, s.end)
            longest = max(longest, last - start)
        elif s.speaker in SIDES:
            start, last = None, 0.0
    return longest


def _interruptions(starter: Sequence[Segment], other: Sequence[Segment]) -> int:
    """Starts of `starter` while `other` is speaking and goes on for at least OVERLAP_S more."""
    return sum(any(o.start < s.start < o.end - OVERLAP_S for o in other) for s in starter)


def _wpm(segments: Sequence[Segment], talk_s: float) -> float | None:
    words = sum(len(s.text.split()) for s in segments)
    return round(words / (talk_s / 60), 1) if talk_s >= 1.0 else None
