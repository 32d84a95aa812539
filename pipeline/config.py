"""One configuration, built in one place: defaults < TOML file < environment < flags.

File keys and environment variables share names: `beam_size` in callqa.toml is
CALLQA_BEAM_SIZE in the environment and --beam-size on the command line.
"""
from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, NoReturn

from .domain import CallError

ENGINES = ("faster-whisper", "openai-whisper")
DEVICES = ("auto", "cpu", "cuda")
REPORT_LANGUAGES = ("en", "ru")  # reports/strings.<lang>.yaml beside English
ROLES = ("agent", "customer")
CONDITIONS = ("direction", "team", "manager", "queue")  # what checklist_rules may test
# CTranslate2's compute types (ctranslate2 docs, "Quantization"); "auto" is callqa's per-device choice.
COMPUTE_TYPES = ("auto", "default", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16",
                 "float16", "bfloat16", "float32")
# CALLQA_* variables read by tools around the settings, not settings themselves.
TOOLING_ENV = ("CALLQA_CONFIG", "CALLQA_CACHE_DIR", "CALLQA_HOME")

# FreePBX / Asterisk MixMonitor style: out-79161234567-101-20261120-101500-1700000000.42.wav
DEFAULT_FILENAME_PATTERN = (
    r"^(?P<direction>in|out)-(?P<customer_phone>\+?\d+)-(?P<manager_id>[^-]+)-"
    r"(?P<date>\d{8})-(?P<time>\d{6})(?:-(?P<call_id>[\w.]+))?"
)


class ConfigError(CallError):
    """A setting is wrong; the message names the key."""


@dataclass(frozen=True)
class Rule:
    """`[[checklist_rules]]` in callqa.toml: every condition given must hold."""
    checklist: Path
    direction: str | None = None  # in | out
    team: str | None = None  # managers.csv team
    manager: str | None = None  # manager_id
    queue: str | None = None  # calls.csv queue

    def matches(self, call: Mapping[str, Any]) -> bool:
        return all(getattr(self, k) is None or str(call.get(k) or "") == getattr(self, k)
                   for k in CONDITIONS)

    def describe(self) -> str:
        return ", ".join(f"{k} = {getattr(self, k)!r}" for k in CONDITIONS if getattr(self, k) is not None)


def parse_rules(value: Any, source: str) -> tuple[Rule, ...]:
    """The TOML array of tables -> Rules; anything else is a ConfigError naming the rule."""
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise ConfigError(f"config key 'checklist_rules' in {source}: write each rule as a "
                          f"[[checklist_rules]] table")
    known = {f.name for f in fields(Rule)}
    rules = []
    for n, raw in enumerate(value, start=1):
        where = f"config key 'checklist_rules' in {source}, rule {n}"
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}; use checklist and any of "
                              f"{', '.join(CONDITIONS)}")
        if not isinstance(raw.get("checklist"), str) or not raw["checklist"].strip():
            raise ConfigError(f"{where}: needs checklist = \"<id or path>\"")
        if not any(k in raw for k in CONDITIONS):
            raise ConfigError(f"{where}: needs a condition ({', '.join(CONDITIONS)}); the default "
                              f"checklist is the key 'checklist'")
        bad = [k for k in CONDITIONS if k in raw and not isinstance(raw[k], str)]
        if bad:
            raise ConfigError(f"{where}: {bad[0]} must be text in quotes")
        if raw.get("direction") not in (None, "in", "out"):
            raise ConfigError(f"{where}: direction {raw['direction']!r} is not 'in' or 'out'")
        rules.append(Rule(Path(raw["checklist"]), **{k: raw[k] for k in CONDITIONS if k in raw}))
    return tuple(rules)


@dataclass(frozen=True)
class Config:
    inbox: Path = Path("inbox")
    db: Path = Path("var/callqa.duckdb")
    out: Path = Path("out")
    checklist: Path = Path("checklists/sales_call.yaml")  # the default: a path or a checklist id
    checklist_rules: tuple[Rule, ...] = ()  # callqa.toml only: [[checklist_rules]] tables
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
    # Speech chunks (up to 30 s each, both sides of a call) decoded at once; batching is worth
    # more than threads on a CPU, and a GPU wants more.
    batch_size: int = 16
    # Calls transcribed at once, each with cpu_threads threads; 0 = one call per core, one
    # thread each (`make bench` measured it faster than one call on all the cores).
    workers: int = 0
    cpu_threads: int = 0  # 0 = the cores divided among the workers
    # "" = the calls run in the flow's own process; "local" = a Dask LocalCluster of `workers`
    # processes; "tcp://host:8786" = an existing Dask scheduler and its workers.
    dask_address: str = ""
    initial_prompt: str = ""  # company and product names help the recogniser spell them
    max_file_mb: float = 1024.0
    max_duration_min: float = 240.0
    redact: bool = True  # phone and card numbers, e-mail addresses out of stored transcripts
    diarize_mono: bool = True  # a mono call split into agent and customer by voice
    retry_failed: bool = False
    # A file is processed only once its size and mtime have not changed for this long: a
    # recording still being copied into the inbox waits for a later run.
    settle_seconds: float = 120.0
    # The review queue (report review.html, `callqa review --queue`): every flagged call plus this
    # many calls per manager per week drawn at random; the same seed draws the same calls.
    review_sample: int = 2
    review_seed: int = 0
    report_language: str = "en"  # the pages' own words: one of REPORT_LANGUAGES
    schedule_cron: str = "0 2 * * *"
    # Seconds between `callqa serve` runs instead of schedule_cron (trials, tests); 0 = use the cron.
    schedule_interval_s: float = 0.0
    timezone: str = "UTC"

    def resolve(self, base: Path) -> Path:
        """A sidecar path relative to the inbox."""
        return base if base.is_absolute() else self.inbox / base

    @property
    def stereo_roles(self) -> tuple[str, str]:
        return (self.left_channel, self.right_channel)

    @property
    def parallel(self) -> tuple[int, int]:
        """(calls at once, threads per call) on this machine."""
        cores = os.cpu_count() or 1
        workers = self.workers or cores
        return workers, self.cpu_threads or max(1, cores // workers)


_WORDS = {True: ("1", "true", "yes", "on"), False: ("0", "false", "no", "off")}


def _coerce(key: str, value: Any, kind: type) -> Any:
    """A TOML value, an environment string or a flag -> the key's type. Text is parsed
    (CALLQA_BEAM_SIZE=5); any other value must have the type already: 2.7 or true is no int."""
    if isinstance(value, str) and kind in (int, float, bool):
        value = _parse(value.strip(), kind)
    if kind is float and type(value) is int:
        value = float(value)
    if kind is Path and isinstance(value, (str, os.PathLike)):
        return Path(value).expanduser()
    if type(value) is kind and (kind is not float or math.isfinite(value)):
        return value
    default = getattr(Config, key)
    problem, fix = {
        int: ("a whole number", f"write one, e.g. {key} = {default}"),
        float: ("a number", f"write one, e.g. {key} = {default}"),
        bool: ("true or false", "write true or false"),
    }.get(kind, ("text", f'write it in quotes: {key} = "..."'))
    _fail(key, f"{value!r} is not {problem}", fix)


def _parse(text: str, kind: type) -> Any:
    """Text -> int, float or bool; the text itself when it is none (the caller names the key)."""
    if kind is bool:
        return next((flag for flag, words in _WORDS.items() if text.lower() in words), text)
    try:
        return kind(text) if kind is float or re.fullmatch(r"[+-]?\d+", text) else text
    except ValueError:
        return text


def _fail(key: str, problem: str, fix: str) -> NoReturn:
    raise ConfigError(f"config key {key!r}: {problem}; {fix}")


def _one_of(key: str, value: str, allowed: tuple[str, ...] | frozenset[str], what: str,
            examples: str = "") -> None:
    """A short list is named in full; a long one by a close match, or by `examples`."""
    if value not in allowed:
        close = difflib.get_close_matches(value.lower(), allowed, n=1)
        if not examples:
            hint = f"use one of {', '.join(allowed)}"
        else:
            hint = f"did you mean {close[0]!r}?" if close else f"use {examples}"
        _fail(key, f"{value!r} is not {what}", hint)


def whisper_languages() -> frozenset[str]:
    """The language codes the installed Whisper knows (both engines share the list)."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return frozenset(_LANGUAGE_CODES)


def _validate(cfg: Config) -> Config:
    """Types are settled by _coerce; here each value is checked on its own, without files or models
    (those are pipeline/preflight.py's)."""
    from cronsim import CronSim, CronSimError

    _one_of("engine", cfg.engine, ENGINES, "an engine")
    _one_of("device", cfg.device, DEVICES, "a device")
    _one_of("compute_type", cfg.compute_type, COMPUTE_TYPES, "a CTranslate2 compute type")
    for key in ("left_channel", "right_channel"):
        _one_of(key, getattr(cfg, key), ROLES, "a role")
    if cfg.left_channel == cfg.right_channel:
        raise ConfigError("config keys 'left_channel' and 'right_channel' must name different roles; "
                          "set one to 'agent' and the other to 'customer'")
    if cfg.language != "auto":  # the list costs an import of faster_whisper: only when needed
        _one_of("language", cfg.language, whisper_languages() | {"auto"}, "'auto' or a Whisper language code",
                "'auto' or a code such as 'ru', 'en', 'de'")
    for key in ("workers", "cpu_threads"):
        if getattr(cfg, key) < 0:
            _fail(key, f"{getattr(cfg, key)} is below 0", "use 0 (match the cores) or a whole number of them")
    if cfg.dask_address not in ("", "local") and "://" not in cfg.dask_address:
        _fail("dask_address", f"{cfg.dask_address!r} is no scheduler address",
              "use '' (no Dask), 'local' or an address such as 'tcp://10.0.0.5:8786'")
    if cfg.beam_size < 1:
        _fail("beam_size", f"{cfg.beam_size} is below 1", "use 1 (greedy) or more; the default is 5")
    if cfg.batch_size < 1:
        _fail("batch_size", f"{cfg.batch_size} is below 1", "use 1 (one chunk at a time) or more; the default is 16")
    for key in ("max_file_mb", "max_duration_min"):
        if getattr(cfg, key) <= 0:
            _fail(key, f"{getattr(cfg, key):g} is not above 0",
                  f"set a limit above 0, e.g. {key} = {getattr(Config, key):g}")
    if cfg.report_language not in REPORT_LANGUAGES:
        _fail("report_language", f"{cfg.report_language!r} is not a report language",
              f"use {' or '.join(REPORT_LANGUAGES)}")
    if cfg.review_sample < 0:
        _fail("review_sample", f"{cfg.review_sample} is below 0", "use 0 (flagged calls only) or more calls a week")
    if cfg.settle_seconds < 0:
        _fail("settle_seconds", f"{cfg.settle_seconds:g} is below 0", "use 0 (no wait) or more seconds")
    if cfg.schedule_interval_s < 0:
        _fail("schedule_interval_s", f"{cfg.schedule_interval_s:g} is below 0",
              "use 0 (run on schedule_cron) or more seconds")
    try:
        re.compile(cfg.filename_pattern)
    except re.error as exc:
        _fail("filename_pattern", f"not a valid regular expression ({exc})", "fix the pattern")
    try:
        CronSim(cfg.schedule_cron, datetime.now())
    except CronSimError as exc:
        _fail("schedule_cron", f"{cfg.schedule_cron!r} is not a cron expression ({exc})",
              "write five fields: minute hour day month weekday, e.g. '0 2 * * *'")
    if cfg.timezone not in zoneinfo.available_timezones():
        _fail("timezone", f"{cfg.timezone!r} is not an IANA time zone", "use one such as 'UTC' or 'Europe/Moscow'")
    return cfg


def unknown_env(env: Mapping[str, str]) -> list[str]:
    """A warning for each CALLQA_* variable that is no setting: a typo would otherwise be ignored."""
    warnings = []
    for var in sorted(env):
        if var.startswith("CALLQA_") and var not in TOOLING_ENV and var[7:].lower() not in _TYPES:
            close = difflib.get_close_matches(var[7:].lower(), _TYPES, n=1)
            hint = f" (did you mean CALLQA_{close[0].upper()}?)" if close else ""
            warnings.append(f"{var} is not a callqa setting{hint}; ignored")
    return warnings


_TYPES = {f.name: (Path if "Path" in str(f.type) else {"str": str, "int": int, "float": float, "bool": bool}[str(f.type)])
          for f in fields(Config) if f.name != "checklist_rules"}


def build_config(file: Path | None = None, env: Mapping[str, str] | None = None,
                 **flags: Any) -> Config:
    """Defaults, then the TOML file (callqa.toml in the working folder if present),
    then CALLQA_* variables, then flags whose value is not None."""
    env = os.environ if env is None else env
    layers: list[tuple[str, Mapping[str, Any]]] = []
    rules: tuple[Rule, ...] = ()
    file = file or (Path(env["CALLQA_CONFIG"]) if env.get("CALLQA_CONFIG") else None)
    if file is None and Path("callqa.toml").is_file():
        file = Path("callqa.toml")
    if file is not None:
        try:
            data = tomllib.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config file {file}: {exc}") from None
        data = dict(data.get("callqa", data))
        if "checklist_rules" in data:  # tables, not a value: only the file can set them
            rules = parse_rules(data.pop("checklist_rules"), str(file))
        layers.append((str(file), data))
    layers.append(("environment", {k[7:].lower(): v for k, v in env.items()
                                   if k.startswith("CALLQA_") and k not in TOOLING_ENV}))
    layers.append(("flags", {k: v for k, v in flags.items() if v is not None}))
    values: dict[str, Any] = {"checklist_rules": rules} if file is not None and rules else {}
    for source, layer in layers:
        for key, value in layer.items():
            if key not in _TYPES:
                if source == "environment":
                    continue  # unknown_env warns about these
                close = difflib.get_close_matches(key, _TYPES, n=1)
                fix = f"did you mean {close[0]!r}?" if close else "see the Configuration section of README.md"
                raise ConfigError(f"unknown config key {key!r} in {source}; {fix}")
            values[key] = _coerce(key, value, _TYPES[key])
    return _validate(replace(Config(), **values))
