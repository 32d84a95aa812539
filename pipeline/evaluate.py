"""How far the scorer agrees with human labels: pure functions (load_labelled reads the files).

Input: labelled calls (a transcript JSON plus "labels", optional "tags" and "why") and the
CallScores the scorer gave them. Output: per item and language the agreement, Cohen's kappa,
precision and recall of each verdict and the confusion counts; agreement by tag; and every
disagreement with the verdict's reason and evidence, so a reviewer can see who is wrong.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .contract import read_json, transcript_from_json
from .domain import CallError, CallScore, Evidence, Transcript, Verdict
from .lemmas import transcript_language

CLASSES: tuple[Verdict, ...] = ("pass", "fail", "na")
ALL = "all"
# Tags the dev set uses, in the order the tag table shows them; others follow alphabetically.
TAG_ORDER = ("asr", "clean", "inbound", "outbound", "sales", "support", "brushoff", "rude", "unclear")


@dataclass(frozen=True)
class LabelledCall:
    transcript: Transcript
    labels: Mapping[str, Verdict]  # item id -> what a careful reviewer says
    tags: tuple[str, ...] = ()
    why: Mapping[str, str] | None = None  # item id -> the reviewer's one-line rationale


@dataclass(frozen=True)
class Agreement:
    """Labels (rows) against verdicts (columns) over the three classes."""
    confusion: Mapping[tuple[Verdict, Verdict], int]  # (label, verdict) -> count

    @property
    def n(self) -> int:
        return sum(self.confusion.values())

    @property
    def agreed(self) -> int:
        return sum(self.confusion[c, c] for c in CLASSES)

    @property
    def accuracy(self) -> float | None:
        return self.agreed / self.n if self.n else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa: (po - pe) / (1 - pe). When both sides use one and the same class
        for every case, pe = 1 and the formula is 0/0; they agree perfectly, so kappa = 1."""
        if not self.n:
            return None
        po = self.agreed / self.n
        pe = sum(self.labelled(c) * self.predicted(c) for c in CLASSES) / self.n ** 2
        return 1.0 if pe == 1 else (po - pe) / (1 - pe)

    def labelled(self, c: Verdict) -> int:
        return sum(self.confusion[c, v] for v in CLASSES)

    def predicted(self, c: Verdict) -> int:
        return sum(self.confusion[l, c] for l in CLASSES)

    def precision(self, c: Verdict) -> float | None:
        """Of the verdicts c, the share labelled c; None when the scorer never said c."""
        return self.confusion[c, c] / self.predicted(c) if self.predicted(c) else None

    def recall(self, c: Verdict) -> float | None:
        """Of the labels c, the share the scorer found; None when no label is c."""
        return self.confusion[c, c] / self.labelled(c) if self.labelled(c) else None


def agreement(pairs: Iterable[tuple[Verdict, Verdict]]) -> Agreement:
    """From (label, verdict) pairs."""
    counts = Counter(pairs)
    return Agreement({(l, v): counts[l, v] for l in CLASSES for v in CLASSES})


@dataclass(frozen=True)
class Disagreement:
    call_id: str
    language: str
    item: str
    label: Verdict
    verdict: Verdict
    reason: str
    evidence: tuple[Evidence, ...]
    why: str  # the label's rationale, "" when not given


@dataclass(frozen=True)
class Evaluation:
    checklist_id: str
    checklist_version: str
    calls: int
    items: tuple[str, ...]  # checklist order
    languages: tuple[str, ...]
    # (item or ALL, language or ALL) -> agreement
    cells: Mapping[tuple[str, str], Agreement]
    tags: Mapping[str, tuple[int, Agreement]]  # tag -> (calls, agreement over all their items)
    disagreements: tuple[Disagreement, ...]


def labelled_call_from_json(data: Any, default_id: str = "call") -> LabelledCall:
    """A transcript JSON with "labels" (item -> pass | fail | na), and optional "tags", "why"."""
    transcript = transcript_from_json(data, default_id)
    labels = data.get("labels")
    if not isinstance(labels, dict) or not labels:
        raise CallError(f'call {transcript.call_id}: no "labels" object (item -> pass, fail or na)')
    for item, label in labels.items():
        if label not in CLASSES:
            raise CallError(f"call {transcript.call_id}: label {item!r} is {label!r}, "
                            f"not one of {', '.join(CLASSES)}")
    tags, why = data.get("tags", []), data.get("why", {})
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise CallError(f'call {transcript.call_id}: "tags" must be a list of strings')
    if not isinstance(why, dict):
        raise CallError(f'call {transcript.call_id}: "why" must be an object (item -> rationale)')
    return LabelledCall(transcript, dict(labels), tuple(tags), {k: str(v) for k, v in why.items()})


def load_labelled(paths: Sequence[Path]) -> list[LabelledCall]:
    """The labelled transcript JSON files given, and those in the folders given, by file name."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CallError(f"no such file or folder: {', '.join(missing)}")
    files = sorted({f for p in paths for f in ([p] if p.is_file() else p.glob("**/*.json"))})
    if not files:
        raise CallError(f"no labelled transcript JSON in {', '.join(map(str, paths))}")
    calls = []
    for f in files:
        try:
            calls.append(labelled_call_from_json(read_json(f, "labelled transcript JSON"), default_id=f.stem))
        except CallError as exc:
            raise CallError(f"{f}: {exc}") from None
    return calls


def evaluate(calls: Sequence[LabelledCall], scores: Sequence[CallScore]) -> Evaluation:
    """Compare each call's labels with its score (same order). Items a call has no label for
    are not counted; a label for an item the checklist lacks is an error (a typo would
    otherwise shrink n unnoticed)."""
    if not scores:
        raise CallError("no labelled calls to evaluate")
    items = tuple(v.item_id for v in scores[0].items)
    rows: list[tuple[str, str, Verdict, Verdict]] = []  # language, item, label, verdict
    tagged: dict[str, list[int]] = {}  # tag -> indices into rows
    calls_per_tag: Counter[str] = Counter()
    disagreements: list[Disagreement] = []
    for call, score in zip(calls, scores, strict=True):
        lang = transcript_language(call.transcript)
        unknown = sorted(set(call.labels) - set(items))
        if unknown:
            raise CallError(f"call {score.call_id}: labels for {', '.join(unknown)}, which checklist "
                            f"{score.checklist_id!r} has no item for (it has {', '.join(items)})")
        calls_per_tag.update(set(call.tags))
        for v in score.items:
            label = call.labels.get(v.item_id)
            if label is None:
                continue
            for tag in set(call.tags):
                tagged.setdefault(tag, []).append(len(rows))
            rows.append((lang, v.item_id, label, v.verdict))
            if label != v.verdict:
                disagreements.append(Disagreement(score.call_id, lang, v.item_id, label, v.verdict,
                                                  v.reason, v.evidence, (call.why or {}).get(v.item_id, "")))
    languages = tuple(sorted({lang for lang, *_ in rows}))
    cells = {(item, lang): agreement((l, v) for rl, ri, l, v in rows
                                     if item in (ALL, ri) and lang in (ALL, rl))
             for item in (*items, ALL) for lang in (*languages, ALL)}
    order = {t: i for i, t in enumerate(TAG_ORDER)}
    tags = {tag: (calls_per_tag[tag], agreement(rows[i][2:] for i in tagged[tag]))
            for tag in sorted(tagged, key=lambda t: (order.get(t, len(order)), t))}
    disagreements.sort(key=lambda d: (items.index(d.item), d.language, d.call_id))
    return Evaluation(scores[0].checklist_id, scores[0].checklist_version, len(scores), items,
                      languages, cells, tags, tuple(disagreements))


def agreement_to_json(a: Agreement) -> dict[str, Any]:
    return {"n": a.n, "agreed": a.agreed, "accuracy": _round(a.accuracy), "kappa": _round(a.kappa),
            "precision": {c: _round(a.precision(c)) for c in CLASSES},
            "recall": {c: _round(a.recall(c)) for c in CLASSES},
            "confusion": {l: {v: a.confusion[l, v] for v in CLASSES} for l in CLASSES}}


def evaluation_to_json(e: Evaluation, max_disagreements: int | None = None) -> dict[str, Any]:
    """Keys: overall and by_item map language (and "all") to agreement_to_json; confusion is
    label -> verdict -> count."""
    return {
        "checklist": {"id": e.checklist_id, "version": e.checklist_version},
        "calls": e.calls, "items": list(e.items), "languages": list(e.languages),
        "overall": {lang: agreement_to_json(e.cells[ALL, lang]) for lang in (ALL, *e.languages)},
        "by_item": {item: {lang: agreement_to_json(e.cells[item, lang]) for lang in (ALL, *e.languages)}
                    for item in e.items},
        "by_tag": {tag: {"calls": calls, **agreement_to_json(a)} for tag, (calls, a) in e.tags.items()},
        "disagreements_total": len(e.disagreements),
        "disagreements": [
            {"call_id": d.call_id, "language": d.language, "item": d.item, "label": d.label,
             "verdict": d.verdict, "reason": d.reason, "why": d.why,
             "evidence": [{"speaker": ev.speaker, "start": ev.start, "text": ev.text} for ev in d.evidence]}
            for d in e.disagreements[:max_disagreements]],
    }


def render_text(e: Evaluation, max_disagreements: int | None = None) -> str:
    """Plain aligned columns for a terminal: agreement, confusion, tags, then disagreements."""
    names = [*e.items, "ALL ITEMS"]
    width = max(map(len, names)) + 2
    langs = (ALL, *e.languages)
    lines = [f"{e.calls} calls, checklist {e.checklist_id} v{e.checklist_version}: "
             f"{_pct(e.cells[ALL, ALL].accuracy)} of {e.cells[ALL, ALL].n} item labels agree, "
             f"kappa {_num(e.cells[ALL, ALL].kappa)}", ""]
    head = f"{'item':<{width}}{'lang':<5}{'n':>5}{'agree':>8}{'kappa':>7}" + "".join(
        f"{c + ' P/R':>13}" for c in CLASSES)
    lines += [head, "-" * len(head)]
    for item, name in zip((*e.items, ALL), names):
        for lang in langs:
            a = e.cells[item, lang]
            lines.append(f"{name if lang == ALL else '':<{width}}{lang:<5}{a.n:>5}{_pct(a.accuracy):>8}"
                         f"{_num(a.kappa):>7}" + "".join(
                             f"{_num(a.precision(c)) + '/' + _num(a.recall(c)):>13}" for c in CLASSES))
    lines += ["", "Confusion: label -> how many got verdict pass/fail/na"]
    head = f"{'item':<{width}}{'lang':<5}" + "".join(f"{'label ' + c:>14}" for c in CLASSES)
    lines += [head, "-" * len(head)]
    for item, name in zip((*e.items, ALL), names):
        for lang in langs:
            a = e.cells[item, lang]
            lines.append(f"{name if lang == ALL else '':<{width}}{lang:<5}" + "".join(
                f"{'/'.join(str(a.confusion[l, v]) for v in CLASSES):>14}" for l in CLASSES))
    if e.tags:
        lines += ["", f"{'tag':<12}{'calls':>6}{'n':>6}{'agree':>8}{'kappa':>7}"]
        lines += [f"{tag:<12}{calls:>6}{a.n:>6}{_pct(a.accuracy):>8}{_num(a.kappa):>7}"
                  for tag, (calls, a) in e.tags.items()]
    shown = e.disagreements[:max_disagreements]
    lines += ["", f"Disagreements: {len(e.disagreements)}"
              + (f" ({len(shown)} shown)" if len(shown) < len(e.disagreements) else "")]
    for d in shown:
        lines.append(f"{d.call_id} [{d.language}] {d.item}: label {d.label}, verdict {d.verdict}")
        lines.append(f"    reason: {d.reason}")
        lines += [f'    [{ev.start:.1f}s {ev.speaker}] "{ev.text}"' for ev in d.evidence]
        if d.why:
            lines.append(f"    label's why: {d.why}")
    return "\n".join(lines)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"
