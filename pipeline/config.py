"""One configuration, built in one place: defaults < TOML file < environment < flags.

File keys and environment variables share names: `beam_size` in callqa.toml is
CALLQA_BEAM_SIZE in the environment and --beam-size on the command line.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .domain import CallError

ENGINES = ("faster-whisper", "openai-whisper")
DEVICES = ("auto", "cpu", "cuda")
ROLES = ("agent", "customer")

# FreePBX / Asterisk MixMonitor style: out-79161234567-101-20261120-101500-1700000000.42.wav
DEFAULT_FILENAME_PATTERN = (
    r"^(?P<direction>in|out)-(?P<customer_phone>\+?\d+)-(?P<manager_id>[^-]+)-"
    r"(?P<date>\d{8})-(?P<time>\d{6})(?:-(?P<call_id>[\w.]+))?"
)


class ConfigError(CallError):
    """A setting is wrong; the message names the key."""


@dataclass(frozen=True)
class Config:
    inbox: Path = Path("inbox")
    db: Path = Path("var/callqa.duckdb")
    out: Path = Path("out")
    checklist: Path = Path("checklists/sales_call.yaml")
    # Sidecar files; relative paths are looked up inside the inbox.
    calls_csv: Path = Path("calls.csv")
    managers_csv: Path = Path("managers.csv")
    filename_pattern: str = DEFAULT_FILENAME_PATTERN
    # Which role speaks on the left and on the right channel of a stereo recording.
    left_channel: str = "agent"
    right_channel: str = "customer"
    engine: str = "faster-whisper"
    model: str = "default"  # "default" = the offline tiny.en; or a Whisper name; or a path
    language: str = "auto"  # "auto" or an ISO code such as "ru", "en"
    device: str = "auto"
    compute_type: str = "auto"  # faster-whisper: int8 on CPU, float16 on CUDA
    beam_size: int = 5
    initial_prompt: str = ""  # company and product names help the recogniser spell them
    max_file_mb: float = 1024.0
    max_duration_min: float = 240.0
    retry_failed: bool = False
    # A file is processed only once its size and mtime have not changed for this long: a
    # recording still being copied into the inbox waits for a later run.
    settle_seconds: float = 120.0
    schedule_cron: str = "0 2 * * *"
    timezone: str = "UTC"

    def resolve(self, base: Path) -> Path:
        """A sidecar path relative to the inbox."""
        return base if base.is_absolute() else self.inbox / base

    @property
    def stereo_roles(self) -> tuple[str, str]:
        return (self.left_channel, self.right_channel)


def _coerce(key: str, value: Any, kind: type) -> Any:
    try:
        if kind is bool and isinstance(value, str):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind is Path:
            return Path(str(value)).expanduser()
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"config key {key!r}: {value!r} is not a valid {kind.__name__}") from None


def _validate(cfg: Config) -> Config:
    import re

    if cfg.engine not in ENGINES:
        raise ConfigError(f"config key 'engine': {cfg.engine!r} is not one of {', '.join(ENGINES)}")
    if cfg.device not in DEVICES:
        raise ConfigError(f"config key 'device': {cfg.device!r} is not one of {', '.join(DEVICES)}")
    for key in ("left_channel", "right_channel"):
        if getattr(cfg, key) not in ROLES:
            raise ConfigError(f"config key {key!r}: must be 'agent' or 'customer'")
    if cfg.left_channel == cfg.right_channel:
        raise ConfigError("config keys 'left_channel' and 'right_channel' must name different roles")
    if cfg.beam_size < 1:
        raise ConfigError("config key 'beam_size': must be at least 1")
    try:
        re.compile(cfg.filename_pattern)
    except re.error as exc:
        raise ConfigError(f"config key 'filename_pattern': not a valid regex ({exc})") from None
    return cfg


_TYPES = {f.name: (Path if "Path" in str(f.type) else {"str": str, "int": int, "float": float, "bool": bool}[str(f.type)])
          for f in fields(Config)}


def build_config(file: Path | None = None, env: Mapping[str, str] | None = None,
                 **flags: Any) -> Config:
    """Defaults, then the TOML file (callqa.toml in the working folder if present),
    then CALLQA_* variables, then flags whose value is not None."""
    env = os.environ if env is None else env
    layers: list[tuple[str, Mapping[str, Any]]] = []
    file = file or (Path(env["CALLQA_CONFIG"]) if env.get("CALLQA_CONFIG") else None)
    if file is None and Path("callqa.toml").is_file():
        file = Path("callqa.toml")
    if file is not None:
        try:
            data = tomllib.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config file {file}: {exc}") from None
        layers.append((str(file), data.get("callqa", data)))
    layers.append(("environment", {k[7:].lower(): v for k, v in env.items()
                                   if k.startswith("CALLQA_") and k != "CALLQA_CONFIG"}))
    layers.append(("flags", {k: v for k, v in flags.items() if v is not None}))
    values: dict[str, Any] = {}
    for source, layer in layers:
        for key, value in layer.items():
            if key not in _TYPES:
                if source == "environment":
                    continue  # other CALLQA_* variables (tests, tooling) are not settings
                raise ConfigError(f"unknown config key {key!r} in {source}")
            values[key] = _coerce(key, value, _TYPES[key])
    return _validate(replace(Config(), **values))
