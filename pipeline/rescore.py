"""The scoring pass: stored transcripts -> verdicts, never touching audio.

Every stored transcript is routed to its checklist (routing.py); those without a result for that
checklist's content hash are scored in batches and written a batch per transaction. The nightly
run calls this after transcribing; `callqa rescore` calls it alone, after a checklist edit.
The same pass keeps the promises ledger (promises.py) for calls the current rules have not read.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Mapping, Sequence

from .checklist import Checklist
from .domain import CallError
from .routing import Checklists
from .lemmas import transcript_language
from .promises import PromiseRules, extract, load_rules
from .score import score_transcripts
from .store import Store

BATCH = 500  # transcripts scored together: spaCy's nlp.pipe and the embeddings batch them


@dataclass(frozen=True)
class Plan:
    """What the pass will do: call ids per checklist id, and calls it cannot route."""
    todo: Mapping[str, tuple[str, ...]]
    unroutable: Mapping[str, str]  # call_id -> why
    up_to_date: int


@dataclass(frozen=True)
class ScoringSummary:
    scored: Mapping[str, int] = field(default_factory=dict)  # checklist id -> calls scored
    failed: Mapping[str, str] = field(default_factory=dict)  # call_id -> why it was not scored
    up_to_date: int = 0
    promises_read: int = 0  # calls whose promises the ledger (re)read

    @property
    def total(self) -> int:
        return sum(self.scored.values())

    def describe(self) -> str:
        done = ", ".join(f"{n} by {cid}" for cid, n in sorted(self.scored.items())) or "none"
        return (f"Scored {self.total} call(s) ({done}); {len(self.failed)} could not be scored; "
                f"{self.up_to_date} already up to date"
                + (f"; promises read from {self.promises_read} call(s)" if self.promises_read else ""))


def plan(candidates: Sequence[Mapping], checklists: Checklists, only: str | None = None) -> Plan:
    """Pure: candidates as Store.scoring_candidates returns them."""
    todo: dict[str, list[str]] = {}
    unroutable: dict[str, str] = {}
    up_to_date = 0
    for call in candidates:
        facts = {"direction": call["direction"], "team": call["team"], "manager": call["manager_id"],
                 "queue": call["queue"], "checklist": call["checklist"]}
        try:
            checklist = checklists.for_call(facts)
        except CallError as exc:
            unroutable[call["call_id"]] = str(exc)
            continue
        if only is not None and checklist.id != only:
            continue
        if checklist.hash in call["scored_hashes"]:
            up_to_date += 1
        else:
            todo.setdefault(checklist.id, []).append(call["call_id"])
    return Plan({k: tuple(v) for k, v in todo.items()}, unroutable, up_to_date)


def score_stored(store: Store, checklists: Checklists, only: str | None = None,
                 since: date | None = None, until: date | None = None,
                 batch: int = BATCH) -> ScoringSummary:
    """Score every stored transcript that lacks a result for its checklist's current version."""
    if only is not None and only not in checklists.by_id:
        raise CallError(f"no checklist {only!r} is configured; known: {', '.join(sorted(checklists.by_id))}")
    store.fill_missing_metrics()  # calls from before metrics existed: computed from their transcript
    work = plan(store.scoring_candidates(since, until), checklists, only)
    scored: Counter[str] = Counter()
    failed = dict(work.unroutable)
    if work.unroutable:
        store.write_scores([], work.unroutable)
    for checklist_id, call_ids in work.todo.items():
        checklist = checklists.by_id[checklist_id]
        store.register_checklist(checklist)
        for start in range(0, len(call_ids), batch):
            n, errors = _score_batch(store, checklist, call_ids[start:start + batch])
            scored[checklist_id] += n
            failed.update(errors)
    promised = extract_promises(store, batch=batch)
    return ScoringSummary(dict(scored), failed, work.up_to_date, promised)


def extract_promises(store: Store, rules: PromiseRules | None = None, batch: int = BATCH) -> int:
    """The promises ledger for every transcribed call the current rules have not read; the
    number of calls read."""
    rules = rules or load_rules()
    done = 0
    while call_ids := store.calls_without_promises(rules.hash, batch):
        starts = store.call_starts(call_ids)
        found = {t.call_id: extract(t.segments, transcript_language(t), starts.get(t.call_id), rules)
                 for t in store.transcripts(call_ids)}
        store.write_commitments({c: found.get(c, []) for c in call_ids}, rules.hash)
        done += len(call_ids)
    return done


def _score_batch(store: Store, checklist: Checklist, call_ids: Sequence[str]) -> tuple[int, dict[str, str]]:
    transcripts = store.transcripts(call_ids)
    languages = {t.call_id: transcript_language(t) for t in transcripts}
    # A language the checklist has no phrases for fails that call alone, not the batch.
    fits = [t for t in transcripts if languages[t.call_id] in checklist.languages]
    errors = {t.call_id: f"not scored by {checklist.id}: it has no {languages[t.call_id]!r} "
                         f"phrases (it covers {', '.join(checklist.languages)})"
              for t in transcripts if languages[t.call_id] not in checklist.languages}
    scores = score_transcripts(fits, checklist)
    store.write_scores(scores, errors)
    return len(scores), errors
