"""The promises ledger: each commitment the agent makes in a call, with its due moment.

Rules are data (checklists/ledger/promises.yaml: patterns per kind and language, vague and absolute
phrases, colloquial times of day). Due moments are read by `dateparser` against the call's
start, and widened to the end of the period the words name: "by Friday" is kept by a call at
any time on Friday, "next week" by one before that week ends. Pure functions: the scoring pass
(rescore.py) extracts them from the stored transcripts and store.py writes them.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Mapping, Sequence

import yaml

from .domain import Segment

RULES = Path(str(files("pipeline.checklists"))) / "ledger" / "promises.yaml"
KINDS = ("callback", "send", "delivery", "price_hold", "visit")
# Part of the rules' hash: a change to how this module reads them re-reads the stored calls too.
READER_VERSION = "1"
# A clause ends at a sentence mark, a comma, or "and"/"и" before the next thing promised.
_CLAUSE_END = re.compile(r"[.;!?,]|\s(?:and|и|а потом|then|потом)\s", re.I)


@dataclass(frozen=True)
class PromiseRules:
    version: str
    hash: str
    kinds: Mapping[str, Mapping[str, re.Pattern]]  # kind -> language -> pattern
    vague: Mapping[str, re.Pattern]
    absolute: Mapping[str, re.Pattern]
    times: Mapping[str, tuple[tuple[re.Pattern, str], ...]]


@dataclass(frozen=True)
class Commitment:
    kind: str
    quote: str  # the agent's turn
    start: float  # seconds into the call
    end: float
    due_at: datetime | None  # None: vague, or no call start to resolve against
    due_text: str  # the words the due moment was read from ("" if none)
    vague: bool
    absolute: bool


def _any(patterns: Sequence[str]) -> re.Pattern:
    # Whole words; a pattern may begin with "'ll", which follows a word ("we'll").
    return re.compile(r"(?:(?<!\w)|(?='))(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?!\w)", re.I)


def _norm(text: str) -> str:
    return text.replace("ё", "е").replace("Ё", "Е").replace("’", "'")


@cache
def load_rules(path: Path = RULES) -> PromiseRules:
    raw = path.read_bytes()
    data = yaml.safe_load(raw)
    langs = ("ru", "en")
    return PromiseRules(
        version=str(data["version"]), hash=hashlib.sha256(READER_VERSION.encode() + raw).hexdigest()[:12],
        kinds={k: {lang: _any(data["kinds"][k][lang]) for lang in langs} for k in KINDS},
        vague={lang: _any(data["vague"][lang]) for lang in langs},
        absolute={lang: _any(data["absolute"][lang]) for lang in langs},
        times={lang: tuple((_any([re.escape(k)]), v) for k, v in data["times"][lang].items()) for lang in langs})


def promise_kinds(text: str, lang: str, rules: PromiseRules) -> list[tuple[str, re.Match]]:
    """Each kind promised in one turn of the agent, with its first match, in order of speech."""
    text = _norm(text)
    found = [(kind, m) for kind, by_lang in rules.kinds.items() if (m := by_lang[lang].search(text))]
    return sorted(found, key=lambda km: km[1].start())


def _end_of(moment: datetime, period: str) -> datetime:
    """The last moment of the period the words named."""
    if period == "day":
        return datetime.combine(moment.date(), time(23, 59, 59))
    if period == "week":
        return datetime.combine(moment.date() + timedelta(days=6 - moment.weekday()), time(23, 59, 59))
    if period == "month":
        following = (moment.replace(day=28) + timedelta(days=4)).replace(day=1)
        return datetime.combine(following.date() - timedelta(days=1), time(23, 59, 59))
    return moment  # a time or a part of the day: that moment


def due_moment(text: str, lang: str, base: datetime, rules: PromiseRules) -> tuple[datetime | None, str]:
    """The first moment named in text (after the time-of-day rewrites), widened to its period,
    and the words it was read from."""
    from dateparser.date import DateDataParser
    from dateparser.search import search_dates

    text = _norm(text)
    for pattern, replacement in rules.times[lang]:
        text = pattern.sub(replacement, text)
    # «в 11» / "at 11": an hour alone, which dateparser reads as a day of the month.
    text = re.sub(r"(?<!\w)(в|at|к|by) (\d{1,2})(?![\d:.])(?! ?(?:час|мин|дн|недел|hours?|min|days?|weeks?|%))",
                  r"\1 \2:00", text, flags=re.I)
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False}
    parser = DateDataParser(languages=[lang], settings={**settings, "RETURN_TIME_AS_PERIOD": True})
    # search_dates also reads "we" as Wednesday and "may" as May: a moment needs a digit or a
    # word longer than three letters.
    found = [w for w, _ in search_dates(text, languages=[lang], settings=settings) or ()
             if re.search(r"\d|\w{4,}", w)]
    if not found:  # search_dates misses some that parse whole («на следующей неделе»)
        tokens = text.split()
        found = [w for size in (4, 3, 2) for i in range(len(tokens) - size + 1)
                 if re.search(r"\d|\w{4,}", w := " ".join(tokens[i:i + size]).strip(".,!?;:"))
                 and parser.get_date_data(w).date_obj][:1]
    if not found:
        return None, ""
    words = found[0]
    data = parser.get_date_data(words)
    if data.date_obj is None:
        return None, ""
    moment, period = data.date_obj, data.period
    if moment < base - timedelta(minutes=1):  # "сегодня в 9" said at 10: not a promise into the past
        return None, words
    return _end_of(moment, period), words


def _clauses(text: str, start: int, end: int, lo: int, hi: int) -> tuple[str, str]:
    """Where a promise's moment is said: the words from the promise (text[start:end]) to the
    next clause end, then those from the clause end before it; never past lo and hi, where the
    neighbouring promises are."""
    after = _CLAUSE_END.search(text, end, hi)
    before = [m.end() for m in _CLAUSE_END.finditer(text, lo, start)]
    return text[start:after.start() if after else hi], text[before[-1] if before else lo:start]


def extract(segments: Sequence[Segment], lang: str, started_at: datetime | None,
            rules: PromiseRules | None = None) -> list[Commitment]:
    """Every commitment the agent makes in the call, in order. lang: "ru" or "en" (others
    have no rules and give none). Without a call start no due moment can be resolved."""
    rules = rules or load_rules()
    if lang not in ("ru", "en"):
        return []
    out: list[Commitment] = []
    for seg in segments:
        if seg.speaker != "agent":
            continue
        text = _norm(seg.text)
        promised = promise_kinds(text, lang, rules)
        for n, (kind, match) in enumerate(promised):
            lo = promised[n - 1][1].end() if n else 0
            hi = promised[n + 1][1].start() if n + 1 < len(promised) else len(text)
            forward, backward = _clauses(text, match.start(), match.end(), lo, hi)
            clause = backward + forward
            due, words = None, ""
            # "I'll call you Thursday", "Завтра до обеда перезвоню", and, for a turn's only
            # promise, anywhere in it: "I'll call you. Is Thursday at 11 good?"
            for where in (forward, backward, text if len(promised) == 1 else ""):
                if started_at is not None and where and due is None:
                    due, words = due_moment(where, lang, started_at, rules)
            vague = bool(rules.vague[lang].search(clause)) or (started_at is not None and due is None)
            promise = Commitment(kind, seg.text, seg.start, seg.end, None if vague else due, words, vague,
                                 bool(rules.absolute[lang].search(text)))
            # Agents repeat a promise to confirm it ("so: tomorrow afternoon I call you"): once.
            if not any((k.kind, k.due_at) == (promise.kind, promise.due_at) for k in out):
                out.append(promise)
    return out
