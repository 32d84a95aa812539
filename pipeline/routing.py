"""Which checklist scores which call: rules on the call's metadata, first match wins, else the
default. A `checklist` column in calls.csv names the checklist outright.

A checklist is named by a path to its YAML or by its id; an id is looked up in ./checklists,
then among the checklists shipped inside the package, so callqa scores from any folder.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from .checklist import Checklist
from .config import Rule
from .domain import CallError

SHIPPED = Path(str(files("pipeline.checklists")))


def resolve_checklist(ref: Path) -> Path:
    """A checklist reference -> its file. Raises CallError naming what was looked for."""
    ref = Path(ref)
    if ref.is_file():
        return ref
    bare = ref.suffix == "" and len(ref.parts) == 1
    name = ref.name if bare else ref.stem
    # The default, checklists/sales_call.yaml, falls back to the shipped copy outside a checkout.
    candidates = ([Path("checklists") / f"{name}.yaml"] if bare else []) + (
        [SHIPPED / f"{name}.yaml"] if bare or ref.parent == Path("checklists") else [])
    for path in candidates:
        if path.is_file():
            return path
    raise CallError(f"no checklist {str(ref)!r}: no such file"
                    + (f", and no checklist of that id in ./checklists or among the shipped ones "
                       f"({', '.join(shipped_ids())})" if candidates else ""))


def shipped_ids() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in SHIPPED.glob("*.yaml")))


@dataclass(frozen=True)
class Checklists:
    """The loaded checklists of a configuration and the rules that pick one per call."""
    default: Checklist
    rules: tuple[tuple[Rule, Checklist], ...] = ()
    extra: tuple[Checklist, ...] = ()  # shipped ones no rule names: a calls.csv column may

    @cached_property  # asked once per call routed by a calls.csv column
    def by_id(self) -> Mapping[str, Checklist]:
        every = [self.default, *(c for _, c in self.rules), *self.extra]
        return MappingProxyType({c.id: c for c in reversed(every)})

    def for_call(self, call: Mapping[str, Any]) -> Checklist:
        """call: direction, team, manager, queue and checklist (the calls.csv column)."""
        if call.get("checklist"):
            try:
                return self.by_id[call["checklist"]]
            except KeyError:
                raise CallError(f"calls.csv names checklist {call['checklist']!r}, which is not "
                                f"configured; known: {', '.join(sorted(self.by_id))}") from None
        return next((c for rule, c in self.rules if rule.matches(call)), self.default)
