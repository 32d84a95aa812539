"""How well the promises ledger reads promises: precision and recall on the kind, and on the kind
with its due moment, against hand-labelled agent turns (tests/data/promises/cases.yaml).

    callqa eval --promises [--part locked|tune|all]    (make eval: the locked part)

A promise found counts as right on "kind" when the case expects that kind, and on "kind + due"
when the due moment is the labelled one to the minute (or both are vague).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

import yaml

from .domain import Segment
from .promises import extract

CASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "promises" / "cases.yaml"
DEFAULT_START = datetime(2026, 11, 20, 10, 15)


def part_of(case_id: str) -> str:
    """A fixed split, decided by the id alone: never by what the scorer does with the case."""
    return "locked" if int(hashlib.sha256(case_id.encode()).hexdigest(), 16) % 2 else "tune"


@dataclass(frozen=True)
class Case:
    id: str
    lang: str
    start: datetime
    text: str
    expect: tuple[tuple[str, str], ...]  # (kind, "YYYY-MM-DDTHH:MM" or "vague")
    absolute: bool


def load_cases(path: Path = CASES, part: str = "locked") -> list[Case]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    return [Case(r["id"], r["lang"], _start(r.get("start")), r["text"],
                 tuple(tuple(e.split()) for e in r["expect"]), bool(r.get("absolute")))
            for r in rows if part == "all" or part_of(r["id"]) == part]


def _start(value: Any) -> datetime:
    if value is None:
        return DEFAULT_START
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def found(case: Case) -> tuple[list[tuple[str, str]], bool]:
    """The promises extracted from the case's turn as (kind, due), and whether any is absolute."""
    got = extract([Segment("agent", 0.0, 5.0, case.text)], case.lang, case.start)
    return ([(c.kind, c.due_at.strftime("%Y-%m-%dT%H:%M") if c.due_at else "vague") for c in got],
            any(c.absolute for c in got))


def _matches(expected: Sequence[tuple], got: Sequence[tuple]) -> int:
    left, hits = list(expected), 0
    for g in got:
        if g in left:
            left.remove(g)
            hits += 1
    return hits


def evaluate(cases: Sequence[Case]) -> dict[str, Any]:
    """Per language and overall: precision and recall on kind and on kind + due, the absolute
    flag's accuracy, and every case the ledger read differently."""
    figures: dict[str, Any] = {}
    misses = []
    by_lang: dict[str, list[tuple[Case, list, bool]]] = {}
    for case in cases:
        got, absolute = found(case)
        by_lang.setdefault(case.lang, []).append((case, got, absolute))
        if sorted(got) != sorted(case.expect) or absolute != case.absolute:
            misses.append({"id": case.id, "text": case.text, "expected": [" ".join(e) for e in case.expect],
                           "found": [" ".join(g) for g in got], "absolute": absolute})
    for lang, rows in [*sorted(by_lang.items()), ("all", [r for rs in by_lang.values() for r in rs])]:
        out = {"cases": len(rows), "promises": sum(len(c.expect) for c, _, _ in rows)}
        for name, key in (("kind", lambda p: p[0]), ("kind_due", lambda p: p)):
            hits = sum(_matches([key(e) for e in c.expect], [key(g) for g in got]) for c, got, _ in rows)
            n_got = sum(len(got) for _, got, _ in rows)
            out[name] = {"precision": round(100 * hits / n_got, 1) if n_got else None,
                         "recall": round(100 * hits / out["promises"], 1) if out["promises"] else None}
        out["absolute_accuracy"] = round(100 * sum(a == c.absolute for c, _, a in rows) / len(rows), 1) if rows else None
        figures[lang] = out
    return {"figures": figures, "disagreements": misses}


def describe(result: dict[str, Any], part: str) -> str:
    lines = [f"Promises ledger, {part} cases (tests/data/promises/cases.yaml)",
             f"  {'':4} {'cases':>5} {'promises':>8}  {'kind P':>7} {'kind R':>7}  {'+due P':>7} {'+due R':>7}  absolute"]
    for lang, f in result["figures"].items():
        lines.append(f"  {lang:4} {f['cases']:>5} {f['promises']:>8}  {f['kind']['precision']!s:>7} "
                     f"{f['kind']['recall']!s:>7}  {f['kind_due']['precision']!s:>7} {f['kind_due']['recall']!s:>7}"
                     f"  {f['absolute_accuracy']}%")
    for m in result["disagreements"]:
        lines.append(f"  {m['id']}: «{m['text']}» expected {m['expected'] or 'none'}, found {m['found'] or 'none'}"
                     f"{' (absolute)' if m['absolute'] else ''}")
    return "\n".join(lines)
