"""Start-up checks that look at files and models, so a wrong setting stops a run before any call
is transcribed (config.py checks each value on its own). Each raises ConfigError naming the key."""
from __future__ import annotations

from .checklist import Checklist, ChecklistError, load_checklist
from .config import Config, ConfigError
from .models import resolve_model
from .transcribe import load_engine


def check_inbox(cfg: Config) -> None:
    if not cfg.inbox.is_dir():
        raise ConfigError(f"config key 'inbox': inbox folder not found: {cfg.inbox}; "
                          "create it, or set --inbox or inbox in callqa.toml")


def check_checklist(cfg: Config) -> Checklist:
    try:
        return load_checklist(cfg.checklist)
    except ChecklistError as exc:
        raise ConfigError(f"config key 'checklist': {exc}; fix the file (callqa checklist validate "
                          f"{cfg.checklist}) or set --checklist to another one") from None


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


def preflight(cfg: Config, *, load_model: bool = False) -> Checklist:
    """Everything a run needs, checked before it starts (`callqa score` and `report` pick theirs);
    returns the checklist, loaded once.

    load_model: load the engine too, the only check that the weights are there and that
    compute_type runs on this device. The process that transcribes does it (load_engine keeps the
    model for the run); `callqa serve` does not, its runs do, so it holds no model between runs."""
    check_inbox(cfg)
    checklist = check_checklist(cfg)
    check_model(cfg)
    check_out(cfg)
    if load_model:
        load_engine(cfg)
    return checklist
