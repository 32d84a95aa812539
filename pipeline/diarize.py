"""Mono calls: who speaks when, and which of the two voices is the agent.

The speech spans are cut into windows; resemblyzer's pretrained voice encoder (its weights ship
in its PyPI wheel) embeds each; the embeddings are split into two voices by k-means on the unit
sphere from a fixed start (the same split every run); each window's voice is smoothed over its
neighbours, and a span becomes a turn wherever the voice changes. Which voice is the agent is
decided from the words afterwards (`agent_voice`): the one who says the script's phrases. How
sure that is goes with the call.
"""
from __future__ import annotations

import warnings
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .domain import SAMPLE_RATE
from .vad import Span

WINDOW_S = 1.0  # a voice embedding needs about this much speech
HOP_S = 0.25
SMOOTH = 2  # windows either side that vote on one window's voice
MIN_TURN_S = 0.6  # a voice change shorter than this is noise, not a turn


@dataclass(frozen=True)
class VoiceTurn:
    span: Span
    voice: int  # 0 or 1


@lru_cache(maxsize=1)
def _encoder():
    with warnings.catch_warnings():  # webrtcvad imports the deprecated pkg_resources
        warnings.simplefilter("ignore")  # and scipy's DeprecationWarning for resemblyzer's import
        from resemblyzer import VoiceEncoder  # torch and the 17 MB weights: only for mono calls

    return VoiceEncoder("cpu", verbose=False)


def embed_windows(samples: np.ndarray, spans: list[Span], offset: float = 0.0) -> tuple[list[float], np.ndarray]:
    """(window centres in seconds, unit embeddings) over the speech spans; `samples` begin at
    `offset` seconds into the call."""
    encoder = _encoder()
    from resemblyzer.audio import normalize_volume  # loaded by _encoder, without its warning
    centres, clips = [], []
    for span in spans:
        t = span.start
        while True:
            end = min(t + WINDOW_S, span.end)
            if end - t >= 0.5:
                clips.append(Span(t, end).cut(samples, offset))
                centres.append((t + end) / 2)
            if end >= span.end:
                break
            t += HOP_S
    if not clips:
        return [], np.zeros((0, 256), np.float32)
    vectors = np.stack([encoder.embed_utterance(normalize_volume(np.asarray(c, dtype=np.float32), -30,
                                                                 increase_only=True)) for c in clips])
    return centres, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def two_voices(vectors: np.ndarray, steps: int = 20) -> tuple[np.ndarray, float]:
    """K-means with two centres on unit vectors, started from the two windows farthest apart
    (deterministic). Returns each window's voice and how far apart the voices are (0..2)."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), int), 0.0
    a, b = _farthest_pair(vectors)
    centres = vectors[[a, b]]
    for _ in range(steps):
        labels = np.argmax(vectors @ centres.T, axis=1)
        new = np.stack([vectors[labels == k].mean(axis=0) if (labels == k).any() else centres[k]
                        for k in (0, 1)])
        new /= np.linalg.norm(new, axis=1, keepdims=True)
        if np.allclose(new, centres):
            break
        centres = new
    return labels, float(1 - centres[0] @ centres[1])


def _farthest_pair(vectors: np.ndarray, rows: int = 2048) -> tuple[int, int]:
    """The two least similar windows, a block of rows at a time: a long call's full similarity
    matrix would not fit in memory (40,000 windows in three hours)."""
    best, pair = np.inf, (0, 0)
    for first in range(0, len(vectors), rows):
        sims = vectors[first:first + rows] @ vectors.T
        i, j = np.unravel_index(np.argmin(sims), sims.shape)
        if sims[i, j] < best:
            best, pair = sims[i, j], (first + int(i), int(j))
    return pair


def smooth(labels: np.ndarray, width: int = SMOOTH) -> np.ndarray:
    """Each window takes the majority voice of itself and `width` neighbours either side."""
    out = labels.copy()
    for i in range(len(labels)):
        share = labels[max(0, i - width):i + width + 1].mean()
        out[i] = labels[i] if share == 0.5 else int(share > 0.5)
    return out


def voice_turns(spans: list[Span], centres: list[float], vectors: np.ndarray) -> tuple[list[VoiceTurn], float]:
    """The spans cut where the voice changes, each with its voice; and the voices' distance.
    `centres` and `vectors` are the embedded windows of all the spans (embed_windows)."""
    if len(vectors) < 4:
        return [VoiceTurn(s, 0) for s in spans], 0.0
    labels, distance = two_voices(vectors)
    labels = smooth(labels)
    turns: list[VoiceTurn] = []
    for span in spans:
        window = slice(bisect_left(centres, span.start), bisect_right(centres, span.end))  # centres ascend
        inside = list(zip(centres[window], labels[window].tolist()))
        if not inside:
            turns.append(VoiceTurn(span, turns[-1].voice if turns else 0))
            continue
        start, voice = span.start, inside[0][1]
        for (c0, v0), (c1, v1) in zip(inside, inside[1:]):
            cut = (c0 + c1) / 2
            if v1 != voice and cut - start >= MIN_TURN_S and span.end - cut >= MIN_TURN_S:
                turns.append(VoiceTurn(Span(round(start, 3), round(cut, 3)), voice))
                start, voice = cut, v1
        turns.append(VoiceTurn(Span(round(start, 3), span.end), voice))
    return turns, distance


# What agents say and customers seldom do (the script: answering, offering, fixing), and what
# customers say of themselves. Each hit counts for, or against, the voice being the agent.
AGENT_CUES = {
    "en": ("how can i help", "how may i help", "speaking", "thank you for calling", "thanks for calling",
           "calling from", "calling on behalf", "good time to talk", "couple of minutes", "let me",
           "i can", "we can", "for you", "no problem", "our company", "we offer", "anything else",
           "have a nice day", "have a great day", "appointment for", "let's get"),
    "ru": ("чем могу помочь", "слушаю вас", "спасибо за звонок", "спасибо за обращение", "компания",
           "меня зовут", "вас беспокоит", "удобно говорить", "давайте я", "могу предложить", "для вас",
           "сейчас проверю", "предлагаем", "что-то еще", "всего доброго", "оформлю"),
}
CUSTOMER_CUES = {
    "en": ("i just", "my car", "i bought", "i got", "my account", "i have a question", "i need",
           "i'd like", "i want", "i was", "i'm calling"),
    "ru": ("у меня", "я купил", "я купила", "мне нужно", "хочу", "я звоню", "мой заказ", "моя карта"),
}


def agent_voice(texts_by_voice: dict[int, str], first_voice: int | None, language: str,
                distance: float) -> tuple[int, float]:
    """Which voice is the agent, and how sure (0..1): the one whose words are more the script's
    and less a customer's; with no difference, the one who spoke first (the one who answers an
    inbound call). Voices that sound alike (distance) make any answer less sure."""
    lang = language if language in AGENT_CUES else "en"

    def lean(text: str) -> int:
        text = f" {text.lower()} "
        return (sum(text.count(c) for c in AGENT_CUES[lang])
                - sum(text.count(c) for c in CUSTOMER_CUES[lang]))

    a, b = lean(texts_by_voice.get(0, "")), lean(texts_by_voice.get(1, ""))
    if a == b:
        voice, margin = (first_voice or 0), 0.1  # the words tell nothing: a guess
    else:
        voice, margin = (0 if a > b else 1), min(1.0, abs(a - b) / 6)
    separation = min(1.0, distance / 0.3)  # resemblyzer: other speakers are ~0.3+ apart
    return voice, round(margin * separation, 2)
