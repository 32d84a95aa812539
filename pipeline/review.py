"""QA leads overrule verdicts: `callqa review` and the form of `callqa ui`.

A review is checked against the stored call (the call must hold the item, scored) and added to
the reviews table, never over an older one: the newest stands, the rest is its history. Views
and reports use the effective verdict, the human one over the machine's (sql/views.sql). While
a run holds the database the review waits in its queue (pending.py), checked against the
published copy, and the database's next writer stores it.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from . import pending
from .domain import CallError, DatabaseBusy, Review
from .publish import published_path
from .store import Store

if TYPE_CHECKING:  # the scorer loads spaCy: only lessons_from needs it
    from .lessons import Lesson, Unlearnable
    from .routing import Checklists

VERDICTS = ("pass", "fail", "na")


class ReviewError(CallError):
    """The review names an unknown call or item, a verdict other than pass/fail/na, or no
    reviewer: nothing is written."""


def checked(review: Review, targets: Sequence[Mapping[str, Any]], status: Mapping[str, Any] | None) -> Review:
    """The review with its checklist and the machine's verdict filled in. targets: the call's
    scored items (query review_targets); status: its calls row (query call_status), None if unknown."""
    if review.verdict not in VERDICTS:
        raise ReviewError(f"verdict {review.verdict!r} is not one of {', '.join(VERDICTS)}")
    if not review.reviewer.strip():
        raise ReviewError("a review needs the reviewer's name (--reviewer)")
    if status is None:
        raise ReviewError(f"no call {review.call_id!r} in the database")
    if not targets:
        why = f": {status['error']}" if status.get("error") else ""
        raise ReviewError(f"call {review.call_id} has no verdicts to review (status {status['status']}{why})")
    matches = [t for t in targets if t["item_id"] == review.item_id
               and review.checklist_id in (None, t["checklist_id"])]
    if not matches:
        items = ", ".join(dict.fromkeys(t["item_id"] for t in targets))
        of = f" in checklist {review.checklist_id}" if review.checklist_id else ""
        raise ReviewError(f"call {review.call_id} has no item {review.item_id!r}{of}; its items: {items}")
    if len(matches) > 1:
        raise ReviewError(f"item {review.item_id} of call {review.call_id} is scored by several checklists "
                          f"({', '.join(t['checklist_id'] for t in matches)}): name one with --checklist")
    target = matches[0]
    return replace(review, reviewer=review.reviewer.strip(), note=review.note.strip(),
                   checklist_id=target["checklist_id"], machine_verdict=target["machine_verdict"])


def _checked_in(store: Store, review: Review) -> Review:
    key = {"call_id": review.call_id}
    return checked(review, store.query("review_targets", key), next(iter(store.query("call_status", key)), None))


def submit(db: Path, review: Review) -> tuple[Review, bool]:
    """Check and store the review; (the review as stored, True), or (it, False) when another
    process holds the database and the review waits in its queue."""
    try:
        with Store(db) as store:
            review = _checked_in(store, review)
            store.add_reviews([review])
            return review, True
    except DatabaseBusy as busy:
        copy = published_path(db)
        if not copy.exists():
            raise DatabaseBusy(f"{busy}; nor is there a published copy to check the review against yet") from None
        with Store(copy, read_only=True) as store:
            review = _checked_in(store, review)
        pending.queue(db, review)
        return review, False


def history(store: Store, call_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The call's verdicts as they stand (machine and effective) and every review of it, oldest first."""
    key = {"call_id": call_id}
    if not store.query("call_status", key):
        raise ReviewError(f"no call {call_id!r} in the database")
    return store.query("review_targets", key), store.query("review_history", key)


def lessons_from(store: Store, checklists: Checklists) -> tuple[list[Lesson], list[Unlearnable]]:
    """What the reviews that stand teach the learned layer (pipeline/lessons.py), oldest first."""
    from .lessons import Unlearnable, lessons, trigger_sets
    from .score import classified_turns

    taught: list[Lesson] = []
    unlearnable: list[Unlearnable] = []
    reviews = [Review(**r) for r in store.query("current_reviews")]
    for checklist_id in dict.fromkeys(r.checklist_id for r in reviews):
        checklist = checklists.by_id.get(checklist_id)
        mine = [r for r in reviews if r.checklist_id == checklist_id]
        if checklist is None:
            unlearnable += [Unlearnable(r.call_id, r.item_id, r.reviewer, f"checklist {checklist_id} "
                                        f"is not configured") for r in mine]
            continue
        items = {i.id: i for i in checklist.items}
        mine = [r for r in mine if r.item_id in items and trigger_sets(items[r.item_id], checklist)]
        transcripts = {t.call_id: t for t in store.transcripts(list(dict.fromkeys(r.call_id for r in mine)))}
        ids = list(transcripts)
        turns = dict(zip(ids, classified_turns([transcripts[c] for c in ids], checklist)))
        for r in mine:
            if r.call_id in turns:
                lang, call_turns = turns[r.call_id]
                got, cannot = lessons(r, checklist, lang, call_turns)
                taught += got
                unlearnable += cannot
    return taught, unlearnable
