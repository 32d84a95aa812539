"""Start-up checks that look at files and models, so a wrong setting stops a run before any call
is transcribed (config.py checks each value on its own). Each raises ConfigError naming the key."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .checklist import Checklist, ChecklistError, load_checklist
from .config import Config, ConfigError
from .domain import CallError
from .models import resolve_model
from .transcribe import load_engine

if TYPE_CHECKING:
    from .routing import Checklists


def check_inbox(cfg: Config) -> None:
    if not cfg.inbox.is_dir():
        raise ConfigError(f"config key 'inbox': inbox folder not found: {cfg.inbox}; "
                          "create it, or set --inbox or inbox in callqa.toml")


def check_checklist(cfg: Config) -> Checklist:
    """The default checklist (`checklist`: a path or a shipped checklist's id)."""
    return _load(cfg.checklist, "config key 'checklist'", "or set --checklist to another one")


def check_checklists(cfg: Config) -> Checklists:
    """The default, every checklist a rule names, and the shipped ones (a calls.csv
    `checklist` column may name any of them); two files with one id are an error."""
    from .routing import Checklists, SHIPPED, resolve_checklist

    default = check_checklist(cfg)
    rules = tuple((rule, _load(rule.checklist, f"config key 'checklist_rules' ({rule.describe()})",
                               "or name another checklist"))
                  for rule in cfg.checklist_rules)
    sources = {default.id: default.source}
    for _, c in rules:
        if sources.setdefault(c.id, c.source) != c.source:
            raise ConfigError(f"config key 'checklist_rules': {c.source} and {sources[c.id]} both have "
                              f"id {c.id!r}; give each checklist its own id")
    shipped = [p for p in sorted(SHIPPED.glob("*.yaml")) if p.stem not in sources]
    extra = tuple(_load(resolve_checklist(Path(p.stem)), "shipped checklist", "") for p in shipped)
    return Checklists(default, rules, tuple(c for c in extra if c.id not in sources))


def _load(ref: Path, key: str, alternative: str) -> Checklist:
    from .routing import resolve_checklist

    try:
        path = resolve_checklist(ref)
        return load_checklist(path)
    except ChecklistError as exc:
        raise ConfigError(f"{key}: {exc}; fix the file (callqa checklist validate {path}) "
                          f"{alternative}".rstrip()) from None
    except CallError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def check_model(cfg: Config) -> None:
    """An English-only Whisper model (name ending in .en) would hear Russian as English gibberish."""
    source = resolve_model(cfg.model)
    if source.name.endswith(".en") and cfg.language not in ("auto", "en"):
        shown = str(source) if source.bundled else repr(cfg.model)
        raise ConfigError(f"config keys 'model' and 'language': model {shown} knows English only, but "
                          f"language = {cfg.language!r}; set language to 'en' or 'auto', or model to a "
                          "multilingual Whisper model such as 'small'")


def check_out(cfg: Config) -> None:
    from .report import check_replaceable  # imports Jinja2 and DuckDB, which `callqa score` never needs

    try:
        check_replaceable(cfg.out)
    except FileExistsError as exc:
        raise ConfigError(f"config key 'out': {exc}; choose a new or empty folder, or a callqa report "
                          "folder (--out)") from None


def preflight(cfg: Config, *, load_model: bool = False) -> Checklists:
    """Everything a run needs, checked before it starts (`callqa score` and `report` pick theirs);
    returns the checklists, loaded once.

    load_model: load the engine too, the only check that the weights are there and that
    compute_type runs on this device. The process that transcribes does it (load_engine keeps the
    model for the run); `callqa serve` does not, its runs do, so it holds no model between runs."""
    check_inbox(cfg)
    checklists = check_checklists(cfg)
    check_model(cfg)
    check_out(cfg)
    if load_model:
        load_engine(cfg)
    return checklists
