"""Scoring transcripts against a checklist: pure functions, no I/O.

A call is read as turns (consecutive segments of one speaker); phrases are searched within a
turn, so a phrase may run across the segments Whisper cut it into. Every verdict cites the
segments it rests on, so a QA lead can check the machine in seconds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from .checklist import (AllOf, AnyOf, Checklist, ChecklistError, Item, Match, Pattern, Ref,
                        Together, Window)
from .domain import CallScore, Evidence, ItemVerdict, Segment, Speaker, Transcript
from .lemmas import Token, lemmatise, negated_at, transcript_language


@dataclass(frozen=True)
class _Turn:
    speaker: Speaker
    segments: tuple[Segment, ...]
    tokens: tuple[Token, ...]
    origin: tuple[int, ...]  # for each token, the index of its segment in `segments`

    @property
    def start(self) -> float:
        return self.segments[0].start

    @property
    def end(self) -> float:
        return self.segments[-1].end


@dataclass(frozen=True)
class _Hit:
    turn: int
    start: int  # token span [start, end) within the turn
    end: int


@dataclass(frozen=True)
class _Found:
    """What searching a match tree in some turns gave."""
    ok: bool
    leaves: tuple[tuple[str, tuple[_Hit, ...]], ...]  # phrase sets found, with their hits
    missing: str  # what was not found, in words; "" when ok


def score_transcript(transcript: Transcript, checklist: Checklist) -> CallScore:
    return score_transcripts([transcript], checklist)[0]


def score_transcripts(transcripts: Sequence[Transcript], checklist: Checklist) -> list[CallScore]:
    """Score many calls; all segments of one language are lemmatised in one batch."""
    languages, turns, openers, classified = _read_calls(transcripts, checklist)
    return [_score(t, lang, call_turns, checklist, openers[lang], scores)
            for t, lang, call_turns, scores in zip(transcripts, languages, turns, classified)]


@dataclass(frozen=True)
class ClassifiedTurn:
    """A turn as the learned layer sees it: the text its classifiers embed, and their scores."""
    speaker: Speaker
    start: float
    text: str
    scores: Mapping[str, float]  # phrase set -> its classifier's probability for this turn


def classified_turns(transcripts: Sequence[Transcript],
                     checklist: Checklist) -> list[tuple[str, tuple[ClassifiedTurn, ...]]]:
    """Per call, its language and its turns with the classifier scores the scorer would use."""
    languages, turns, _, classified = _read_calls(transcripts, checklist)
    return [(lang, tuple(ClassifiedTurn(turn.speaker, turn.start, _text(turn),
                                        {name: p for (name, t), p in scores.items() if t == n})
                         for n, turn in enumerate(call_turns)))
            for lang, call_turns, scores in zip(languages, turns, classified)]


def _read_calls(transcripts: Sequence[Transcript], checklist: Checklist):
    """Each call's language and turns, the openers per language, the classifier scores per call."""
    languages = [transcript_language(t) for t in transcripts]
    for transcript, lang in zip(transcripts, languages):
        if lang not in checklist.languages:
            raise ChecklistError(f"call {transcript.call_id}: checklist {checklist.id!r} has no "
                                 f"{lang!r} phrases (it covers {', '.join(checklist.languages)})")
    tokens: list[list[tuple[Token, ...]]] = [[] for _ in transcripts]
    openers: dict[str, _Openers] = {}
    for lang in dict.fromkeys(languages):
        members = [i for i, l in enumerate(languages) if l == lang]
        batch = iter(lemmatise((s.text for i in members for s in transcripts[i].segments), lang))
        for i in members:
            tokens[i] = [next(batch) for _ in transcripts[i].segments]
        openers[lang] = _Openers.of(checklist, lang)
    turns = [_turns(t.segments, toks) for t, toks in zip(transcripts, tokens)]
    return languages, turns, openers, _classify(checklist, turns, languages)


def find_in_turns(checklist: Checklist, name: str, lang: str,
                  texts: Sequence[str]) -> list[str]:
    """Each text taken as a turn of its own (either speaker): what of phrase set `name` finds
    it, in words (the phrase's words or the classifier's score), or "" where nothing does."""
    tokens = lemmatise(texts, lang)
    calls = [_turns((Segment("unknown", 0.0, 0.0, text),), (toks,))
             for text, toks in zip(texts, tokens)]
    openers = _Openers.of(checklist, lang)
    out = []
    for turns, scores in zip(calls, _classify(checklist, calls, [lang] * len(calls))):
        call = _Call.read(turns, lang, checklist, openers, 0.0, scores)
        spans = call.hits[name, 0]
        p = call.classified.get((name, 0))
        out.append("" if not spans else f"classifier {p:.2f}" if p is not None
                   else f"«{call.words(_Hit(0, *spans[0]))}»")
    return out


def _classify(checklist: Checklist, calls: Sequence[tuple[_Turn, ...]],
              languages: Sequence[str]) -> list[dict[tuple[str, int], float]]:
    """Per call, (phrase set, turn) -> the probability from the set's classifier, for the turns
    of the concept's speaker. Each distinct text is embedded once for the whole batch."""
    out: list[dict[tuple[str, int], float]] = [{} for _ in calls]
    sets = [s for s in checklist.phrases.values() if s.classifier]
    if not sets:
        return out
    import numpy as np

    from .classify import embed, probabilities  # the model loads only when a set names one
    wanted = [(c, s.name, t, lang, _text(turn))
              for c, (turns, lang) in enumerate(zip(calls, languages))
              for s in sets for t, turn in enumerate(turns)
              if turn.tokens and _speaks(turn.speaker, s.classifier.speaker)]
    texts = list(dict.fromkeys((lang, text) for *_, lang, text in wanted))
    vectors = dict(zip(texts, embed([text for _, text in texts])))
    probs: dict[tuple[str, str, str], float] = {}  # (set, lang, text) -> probability
    for s in sets:
        for lang in set(languages):
            mine = [text for l, text in texts if l == lang]
            if mine:
                concept = checklist.model.concepts[s.classifier.concept, lang]
                p = probabilities(concept, np.stack([vectors[lang, t] for t in mine]))
                probs.update(((s.name, lang, t), float(v)) for t, v in zip(mine, p))
    for c, name, t, lang, text in wanted:
        out[c][name, t] = probs[name, lang, text]
    return out


def _text(turn: _Turn) -> str:
    return " ".join(s.text.strip() for s in turn.segments)


@dataclass(frozen=True)
class _Openers:
    """A language's patterns by the forms of their first word. A turn is searched only for the
    patterns whose first word it has, and only where it has it: most of the checklist's hundreds
    of patterns never start in a given turn."""
    patterns: tuple[tuple[str, Pattern], ...]  # (phrase set, pattern)
    by_form: Mapping[str, tuple[int, ...]]  # form -> indexes into patterns

    @classmethod
    def of(cls, checklist: Checklist, lang: str) -> _Openers:
        patterns = tuple((name, p) for name, phrase_set in checklist.phrases.items()
                         for p in phrase_set.patterns[lang])
        by_form: dict[str, list[int]] = {}
        for k, (_, pattern) in enumerate(patterns):
            for form in pattern.slots[0].forms:
                by_form.setdefault(form, []).append(k)
        return cls(patterns, {form: tuple(ks) for form, ks in by_form.items()})


def _score(transcript: Transcript, lang: str, turns: tuple[_Turn, ...], checklist: Checklist,
           openers: _Openers, scores: Mapping[tuple[str, int], float]) -> CallScore:
    segments = transcript.segments
    end = transcript.duration or max((s.end for s in segments), default=0.0)
    call = _Call.read(turns, lang, checklist, openers, end, scores)
    verdicts = tuple(_judge(item, call) for item in checklist.items)
    applicable = [v for v in verdicts if v.verdict != "na"]
    total = sum(v.weight for v in applicable)
    passed = sum(v.weight for v in applicable if v.verdict == "pass")
    return CallScore(
        call_id=transcript.call_id, checklist_id=checklist.id,
        checklist_version=checklist.version, checklist_hash=checklist.hash,
        score=round(100 * passed / total, 1) if total else None, items=verdicts,
        critical_failure=any(v.critical for v in verdicts))


def _turns(segments: Sequence[Segment], tokens: Sequence[tuple[Token, ...]]) -> tuple[_Turn, ...]:
    # Segments of "unknown" speakers (mono recordings) are each a turn of their own.
    groups: list[list[int]] = []
    for i in sorted(range(len(segments)), key=lambda i: segments[i].start):
        speaker = segments[i].speaker
        if groups and speaker != "unknown" and segments[groups[-1][-1]].speaker == speaker:
            groups[-1].append(i)
        else:
            groups.append([i])
    return tuple(
        _Turn(segments[g[0]].speaker, tuple(segments[i] for i in g),
              tuple(t for i in g for t in tokens[i]),
              tuple(k for k, i in enumerate(g) for _ in tokens[i]))
        for g in groups)


@dataclass(frozen=True)
class _Call:
    """One call's turns, with every phrase set's hits per turn worked out up front."""
    turns: tuple[_Turn, ...]
    end: float  # seconds
    hits: Mapping[tuple[str, int], tuple[tuple[int, int], ...]]  # (set, turn) -> token spans
    # Hits that an `unless` set cancelled, with that set's name: shown when an item fails, so
    # a reviewer sees why «вам удобно в четверг?» did not count.
    excluded: Mapping[tuple[str, int], tuple[tuple[tuple[int, int], str], ...]]
    # (set, turn) -> probability, where the set's classifier, not a phrase, found the turn
    classified: Mapping[tuple[str, int], float]

    @classmethod
    def read(cls, turns: tuple[_Turn, ...], lang: str, checklist: Checklist, openers: _Openers,
             end: float, scores: Mapping[tuple[str, int], float]) -> _Call:
        found: dict[tuple[str, int], set[tuple[int, int]]] = {
            (name, t): set() for name in checklist.phrases for t in range(len(turns))}
        for t, turn in enumerate(turns):
            at: dict[str, list[int]] = {}  # form -> positions of the turn's tokens that have it
            for i, token in enumerate(turn.tokens):
                for form in token.forms:
                    at.setdefault(form, []).append(i)
            starts: dict[int, set[int]] = {}  # pattern -> where its first word stands
            for form, positions in at.items():
                for k in openers.by_form.get(form, ()):
                    starts.setdefault(k, set()).update(positions)
            here = at.keys()
            for k, positions in starts.items():
                name, pattern = openers.patterns[k]
                # A pattern one of whose words the turn lacks cannot match anywhere in it.
                if all(not here.isdisjoint(slot.forms) for slot in pattern.slots[1:]):
                    found[name, t].update(_spans(pattern, turn.tokens, positions, lang))
        raw = {key: tuple(sorted(spans)) for key, spans in found.items()}
        # A turn the classifier recognises and no phrase found is a hit on the whole turn.
        classified = {(name, t): p for (name, t), p in scores.items() if not raw[name, t]
                      and p >= checklist.phrases[name].classifier.threshold[lang]}
        raw.update({(name, t): ((0, len(turns[t].tokens)),) for name, t in classified})
        hits, excluded = {}, {}
        for (name, t), spans in raw.items():
            # A hit overlapping a hit of one of the set's `unless` sets does not count.
            by = {h: next((other for other in checklist.phrases[name].unless
                           for b in raw[other, t] if h[0] < b[1] and b[0] < h[1]), None)
                  for h in spans}
            hits[name, t] = tuple(h for h in spans if by[h] is None)
            excluded[name, t] = tuple((h, by[h]) for h in spans if by[h])
        return cls(turns, end, hits, excluded, classified)

    def lenient(self) -> _Call:
        """The same call with every `unless` ignored."""
        return replace(self, hits={
            key: tuple(sorted(spans + tuple(h for h, _ in self.excluded[key])))
            for key, spans in self.hits.items()})

    def window(self, window: Window) -> tuple[int, ...]:
        ids = [i for i, t in enumerate(self.turns) if _speaks(t.speaker, window.speaker)]
        if window.first_turns:
            ids = self.take(ids, window.first_turns, window.speaker)
        elif window.last_turns:
            ids = self.take(ids[::-1], window.last_turns, window.speaker)[::-1]
        elif window.first_seconds:
            ids = [i for i in ids if self.turns[i].start < window.first_seconds]
        elif window.last_seconds:
            ids = [i for i in ids if self.turns[i].end > self.end - window.last_seconds]
        return tuple(ids)

    def take(self, ids: Sequence[int], n: int, role: str) -> list[int]:
        """The first n of these turns for a role. In a mono recording about half the turns
        are the other side's, so an "unknown" turn counts as half a turn of the role."""
        kept: list[int] = []
        used = 0.0
        for i in ids:
            used += 0.5 if self.turns[i].speaker == "unknown" and role != "any" else 1.0
            if used > n:
                break
            kept.append(i)
        return kept

    def find(self, match: Match, turns: Sequence[int]) -> _Found:
        if isinstance(match, Ref):
            hits = tuple(_Hit(t, s, e) for t in turns for s, e in self.hits[match.name, t])
            return _Found(bool(hits), ((match.name, hits),) if hits else (),
                          "" if hits else _describe(match))
        if isinstance(match, Together):
            each = AllOf(match.children)
            found_in = next((f for t in turns if (f := self.find(each, (t,))).ok), None)
            if found_in:
                return found_in
            partial = self.find(each, turns)
            return _Found(False, partial.leaves, partial.missing or _describe(match))
        found = [self.find(child, turns) for child in match.children]
        if isinstance(match, AllOf):
            ok = all(f.ok for f in found)
            if ok and len(turns) > 1:  # cite one turn that has it all, where there is one
                single = next((f for t in turns if (f := self.find(match, (t,))).ok), None)
                if single:
                    return single
            missing = " and ".join(f"({f.missing})" if " or " in f.missing else f.missing
                                   for f in found if not f.ok)
        else:
            ok = any(f.ok for f in found)
            found = [f for f in found if f.ok] or found  # a pass cites only what made it pass
            missing = "" if ok else " or ".join(f.missing for f in found)
        return _Found(ok, tuple(leaf for f in found for leaf in f.leaves), missing)

    def evidence(self, hits: Sequence[_Hit]) -> tuple[Evidence, ...]:
        quotes: dict[Evidence, None] = {}
        for hit in hits:
            turn = self.turns[hit.turn]
            segs = turn.segments[turn.origin[hit.start]:turn.origin[hit.end - 1] + 1]
            quotes[Evidence(segs[0].speaker, segs[0].start, segs[-1].end,
                            " ".join(s.text.strip() for s in segs))] = None
        return tuple(sorted(quotes, key=lambda e: e.start))

    def words(self, hit: _Hit) -> str:
        text = " ".join(t.text for t in self.turns[hit.turn].tokens[hit.start:hit.end])
        return re.sub(r" (?=n't|')", "", text)  # "do n't" -> "don't"


def _spans(pattern: Pattern, tokens: tuple[Token, ...], starts: Iterable[int],
           lang: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the first match found at each of these start positions (where the
    pattern's first word stands)."""
    for start in starts:
        if pattern.at_start and start:
            continue
        end = next((e for e in _ends(pattern, tokens, start, 0)
                    if not pattern.at_end or e == len(tokens)), None)
        if end is not None and (pattern.negated or not negated_at(tokens, start, lang)):
            yield start, end


def _ends(pattern: Pattern, tokens: tuple[Token, ...], pos: int, k: int) -> Iterator[int]:
    """Every end index at which slots k.. of the pattern match, slot k at pos or within its gap."""
    slot = pattern.slots[k]
    for j in range(pos, min(pos + (slot.gap_before if k else 0) + 1, len(tokens))):
        if slot.forms & tokens[j].forms:
            if k + 1 == len(pattern.slots):
                yield j + 1
            else:
                yield from _ends(pattern, tokens, j + 1, k + 1)


def _describe(match: Match) -> str:
    """A match tree in words, for reasons: "greeting and (own name or company)"."""
    if isinstance(match, Ref):
        return match.name.replace("_", " ")
    parts = [_describe(c) for c in match.children]
    if isinstance(match, AnyOf):
        return " or ".join(parts)
    joined = " and ".join(f"({p})" if " or " in p else p for p in parts)
    return f"{joined} in one turn" if isinstance(match, Together) else joined


def _speaks(speaker: Speaker, role: str) -> bool:
    return role == "any" or speaker == "unknown" or speaker == role


def _whose(speaker: str) -> str:
    return {"agent": "the agent's", "customer": "the customer's"}.get(speaker, "the")


def _where(window: Window) -> str:
    who = _whose(window.speaker)
    if window.first_turns:
        return f"{who} first {_count(window.first_turns, 'turn')}"
    if window.last_turns:
        return f"{who} last {_count(window.last_turns, 'turn')}"
    if window.first_seconds:
        return f"{who} turns in the first {window.first_seconds:g} s"
    if window.last_seconds:
        return f"{who} turns in the last {window.last_seconds:g} s"
    return f"{who} turns"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def _names(found: _Found, call: _Call) -> str:
    """The phrase sets found; one that rests on its classifier says so, with the score."""
    def name(leaf: str, hits: tuple[_Hit, ...]) -> str:
        p = call.classified.get((leaf, hits[0].turn))
        return leaf.replace("_", " ") + (f" (classifier {p:.2f})" if p is not None else "")
    return ", ".join(name(leaf, hits) for leaf, hits in found.leaves)


def _firsts(found: _Found) -> list[_Hit]:
    return [hits[0] for _, hits in found.leaves]


_Verdict = Callable[[str, Sequence[_Hit], str], ItemVerdict]


def _judge(item: Item, call: _Call) -> ItemVerdict:
    """The item's verdict, marked critical when it flags the call."""
    def verdict(v: str, hits: Sequence[_Hit], reason: str) -> ItemVerdict:
        return ItemVerdict(item.id, v, item.weight, call.evidence(hits), reason,
                           critical=item.critical and v == "fail")

    if item.forbidden:
        bad = call.find(item.forbidden.match, call.window(item.forbidden.window))
        if bad.ok:
            hits = sorted((h for _, hs in bad.leaves for h in hs), key=lambda h: (h.turn, h.start))
            more = f" and {len(hits) - 1} more" if len(hits) > 1 else ""
            reason = (f"{_names(bad, call)}: «{call.words(hits[0])}» at "
                      f"{_clock(call.turns[hits[0].turn].start)}{more}")
            return replace(verdict("fail", hits, reason), critical=item.critical or item.forbidden.critical)
    return (_conditional(item, call, verdict) if item.trigger else
            _plain(item, call, verdict) if item.match else _guard(item, call, verdict))


def _guard(item: Item, call: _Call, verdict: _Verdict) -> ItemVerdict:
    """Only `forbidden`, which was not found: a pass if the scope said anything at all."""
    where = _where(item.forbidden.window)
    if not call.window(item.forbidden.window):
        return verdict("na", (), f"nothing said in {where}")
    return verdict("pass", (), f"no {_describe(item.forbidden.match)} in {where}")


def _plain(item: Item, call: _Call, verdict: _Verdict) -> ItemVerdict:
    where = _where(item.scope)
    turns = call.window(item.scope)
    found = call.find(item.match, turns)
    if found.ok:
        return verdict("pass", _firsts(found), f"{_names(found, call)} in {where}")
    partial = f" (found {_names(found, call)})" if found.leaves else ""
    # Would it have passed but for an `unless`? Then say which words did not count, and why.
    would = call.lenient().find(item.match, turns)
    excused = [(hits[0], by) for name, hits in would.leaves if would.ok
               for span, by in call.excluded[name, hits[0].turn]
               if span == (hits[0].start, hits[0].end)]
    why_not = "".join(f"; «{call.words(h)}» does not count ({by.replace('_', ' ')})"
                      for h, by in excused)
    return verdict("fail", _firsts(found) + [h for h, _ in excused],
                   f"no {found.missing} in {where}{partial}{why_not}")


def _conditional(item: Item, call: _Call, verdict: _Verdict) -> ItemVerdict:
    """Every trigger (an objection) needs a response within the next few turns."""
    trigger, response = item.trigger, item.response
    triggers = [(t, f) for t in call.window(trigger.window)
                if (f := call.find(trigger.match, (t,))).ok]
    if not triggers:
        return verdict("na", (), f"no {_describe(trigger.match)} in {_where(trigger.window)}")
    within = f"{_whose(response.speaker)} next {_count(response.within_turns, 'turn')}"
    cited: list[_Hit] = []
    unanswered: list[tuple[_Hit, str]] = []
    for t, found in triggers:
        after = call.take([i for i in range(t + 1, len(call.turns))
                           if _speaks(call.turns[i].speaker, response.speaker)],
                          response.within_turns, response.speaker)
        spoiled = {i: f for i in after
                   if response.unless and (f := call.find(response.unless, (i,))).ok}
        answers = [i for i in after if i not in spoiled]
        reply = call.find(response.match, answers)
        if not reply.ok and cited and response.repeat_match:  # cited: one was answered before
            reply = call.find(response.repeat_match, answers)
        what = f"{_names(found, call)} at {_clock(call.turns[t].start)}"
        if reply.ok:
            cited += _firsts(found)[:1] + _firsts(reply)
        elif spoiled:  # named by what spoiled it: "rude", not every set `unless` lists
            first, spoiler = next(iter(spoiled.items()))
            unanswered.append((_firsts(found)[0], f"{what} was met with "
                               f"{_names(spoiler, call)} at {_clock(call.turns[first].start)}"))
        else:
            unanswered.append((_firsts(found)[0], f"{what} got no answer in {within}" if after
                               else f"{what}: the call ended right after it"))
    if unanswered:
        return verdict("fail", [h for h, _ in unanswered], "; ".join(why for _, why in unanswered))
    times = ", ".join(_clock(call.turns[t].start) for t, _ in triggers)
    return verdict("pass", cited, f"{_count(len(triggers), _names(triggers[0][1], call))} "
                                  f"(at {times}) answered within {within}")
