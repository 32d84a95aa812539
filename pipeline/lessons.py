"""The closed loop: QA leads' overrides as labelled texts for the learned layer.

A review that says a conditional item's trigger was there when the machine saw none (na
overruled by pass or fail), or was not there when the machine saw one (pass or fail overruled by
na), teaches the trigger's classifier (`classifier:` on a phrase set of the trigger):
- there was one: a review names no moment, so the concept speaker's turn the classifier scored
  highest (the one it nearly found) is a `yes` text.
- there was none: every turn the classifier leaned towards (probability >= LEANING) is a `no`
  text. When no turn reached the classifier's threshold, a phrase found the trigger: retraining
  cannot change that verdict, and the review is listed for the checklist's editor.
The texts are written as corpus files (`<dir>/<lang>/<concept>.yaml`, the format of
`checklists/corpus/`), which `callqa train --extra-corpus DIR` adds to the corpus.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import yaml

from .checklist import AnyOf, Checklist, Item, Match, PhraseSet, Ref
from .domain import Review
from .score import ClassifiedTurn

LEANING = 0.5  # a turn the classifier scores this high leaned towards the concept


@dataclass(frozen=True)
class Lesson:
    concept: str
    lang: str
    speaker: str  # whose turns the concept classifies
    text: str
    label: bool  # True: a `yes` text of the concept
    call_id: str
    item_id: str
    reviewer: str
    at: float  # the turn's start, seconds
    why: str


@dataclass(frozen=True)
class Unlearnable:
    """A correction the learned layer cannot take: the checklist's phrases decide it."""
    call_id: str
    item_id: str
    reviewer: str
    why: str


def trigger_sets(item: Item, checklist: Checklist) -> tuple[PhraseSet, ...]:
    """The classifier-bearing phrase sets whose presence alone decides the item's trigger: the
    trigger's match is one set or `any` of sets (with `all`, a missing part is not knowable)."""
    if item.trigger is None:
        return ()
    match: Match = item.trigger.match
    refs = [match] if isinstance(match, Ref) else list(match.children) if isinstance(match, AnyOf) else []
    sets = (checklist.phrases[r.name] for r in refs if isinstance(r, Ref))
    return tuple(s for s in sets if s.classifier)


def _present(verdict: str | None) -> bool | None:
    return None if verdict is None else verdict != "na"


def lessons(review: Review, checklist: Checklist, lang: str,
            turns: Sequence[ClassifiedTurn]) -> tuple[list[Lesson], list[Unlearnable]]:
    """What one review teaches. turns: the call's, as score.classified_turns gives them."""
    item = next((i for i in checklist.items if i.id == review.item_id), None)
    sets = trigger_sets(item, checklist) if item else ()
    human, machine = _present(review.verdict), _present(review.machine_verdict)
    if not sets or machine is None or human == machine:
        return [], []
    out: list[Lesson] = []
    phrased: list[str] = []  # sets whose false hit came from a phrase, not from the classifier
    for s in sets:
        scored = [t for t in turns if s.name in t.scores]  # the concept speaker's turns
        if human and scored:
            best = max(scored, key=lambda t: t.scores[s.name])
            out.append(_lesson(s, lang, review, best, True,
                               f"{review.reviewer}: {review.verdict} over the machine's {review.machine_verdict}; "
                               f"the turn the classifier scored highest ({best.scores[s.name]:.2f})"))
        elif not human:
            out += [_lesson(s, lang, review, t, False,
                            f"{review.reviewer}: na over the machine's {review.machine_verdict}; the "
                            f"classifier leaned to {s.classifier.concept} ({t.scores[s.name]:.2f})")
                    for t in scored if t.scores[s.name] >= LEANING]
            if all(t.scores[s.name] < s.classifier.threshold[lang] for t in scored):
                phrased.append(s.name)
    cannot = [Unlearnable(review.call_id, review.item_id, review.reviewer,
                          f"a phrase of {name}, not its classifier, found the trigger: edit the phrase "
                          f"set, or add an `unless`") for name in phrased]
    return out, cannot


def _lesson(s: PhraseSet, lang: str, review: Review, turn: ClassifiedTurn, label: bool, why: str) -> Lesson:
    return Lesson(s.classifier.concept, lang, s.classifier.speaker, turn.text, label, review.call_id,
                  review.item_id, review.reviewer, turn.start, why)


def corpus_files(found: Iterable[Lesson]) -> dict[Path, dict]:
    """Corpus documents by relative path (`<lang>/<concept>.yaml`). A text a later review labels
    the other way moves to that side: the newest word stands."""
    docs: dict[Path, dict] = {}
    for l in found:
        doc = docs.setdefault(Path(l.lang) / f"{l.concept}.yaml", {
            "concept": l.concept, "language": l.lang, "speaker": l.speaker,
            "yes": {}, "no": {}, "reviews": []})
        side, other = ("yes", "no") if l.label else ("no", "yes")
        doc[other].pop(l.text, None)
        doc[side][l.text] = None
        doc["reviews"].append({"text": l.text, "label": side, "call_id": l.call_id, "item": l.item_id,
                               "at": round(l.at, 2), "why": l.why})
    return {p: {**d, "yes": list(d["yes"]), "no": list(d["no"])} for p, d in docs.items()}


HEADER = ("# Written by `callqa review --export` from QA leads' reviews; "
          "`callqa train --extra-corpus` reads it.\n")


def write_corpus(folder: Path, docs: Mapping[Path, dict]) -> list[Path]:
    """Write the documents under folder. Files an earlier export wrote that no review backs any
    more are removed; files of other origin are left alone."""
    written = []
    for rel, doc in sorted(docs.items()):
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100),
                       encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    for old in folder.glob("*/*.yaml"):
        if old not in written and old.read_text(encoding="utf-8").startswith(HEADER):
            old.unlink()
    return written
