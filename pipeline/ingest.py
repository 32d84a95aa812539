"""Find recordings in the inbox and attach metadata from calls.csv or the file name.

A recording's identity is the SHA-256 of its bytes: renaming or moving a file never makes it
new. Metadata problems become warnings on the call; they never stop it from being processed.
"""
from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .config import Config
from .domain import CallMeta, Manager, Recording

AUDIO_SUFFIXES = {".wav", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".flac"}
CALL_COLUMNS = ("file", "call_id", "manager_id", "started_at", "direction", "customer_phone")
MANAGER_COLUMNS = ("manager_id", "name", "team")
DIRECTIONS = {"in": "in", "inbound": "in", "incoming": "in", "out": "out", "outbound": "out",
              "outgoing": "out"}


@dataclass(frozen=True)
class Inbox:
    recordings: tuple[Recording, ...]
    managers: tuple[Manager, ...]
    warnings: tuple[str, ...]  # problems with the sidecar files themselves


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_started_at(text: str) -> datetime:
    """ISO 8601 or the PBX's compact 20261120-101500 / 20261120101500."""
    text = text.strip()
    compact = re.fullmatch(r"(\d{8})[-_T ]?(\d{6})", text)
    if compact:
        return datetime.strptime("".join(compact.groups()), "%Y%m%d%H%M%S")
    return datetime.fromisoformat(text)


def _read_csv(path: Path, required: tuple[str, ...]) -> tuple[list[dict[str, str]], list[str]]:
    if not path.is_file():
        return [], []
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in required if c not in header]
            if missing:
                return [], [f"{path.name}: missing column(s) {', '.join(missing)}; file ignored"]
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        return [], [f"{path.name}: unreadable ({exc}); file ignored"]
    return rows, []


def read_managers(path: Path) -> tuple[list[Manager], list[str]]:
    rows, warnings = _read_csv(path, MANAGER_COLUMNS[:2])
    managers = []
    for n, row in enumerate(rows, start=2):
        if not row.get("manager_id"):
            warnings.append(f"{path.name} line {n}: empty manager_id; row ignored")
            continue
        managers.append(Manager(row["manager_id"], row.get("name") or row["manager_id"], row.get("team", "")))
    return managers, warnings


def _meta_fields(raw: dict[str, str], source: str) -> tuple[dict, list[str]]:
    """Raw strings -> typed CallMeta fields; a bad value is dropped with a warning."""
    fields: dict = {k: raw.get(k) or None for k in ("call_id", "manager_id", "customer_phone")}
    warnings = []
    if raw.get("started_at"):
        try:
            fields["started_at"] = parse_started_at(raw["started_at"])
        except ValueError:
            warnings.append(f"{source}: started_at {raw['started_at']!r} is not a date-time; left empty")
    if raw.get("direction"):
        direction = DIRECTIONS.get(raw["direction"].lower())
        if direction is None:
            warnings.append(f"{source}: direction {raw['direction']!r} is not in/out; left empty")
        fields["direction"] = direction
    return fields, warnings


def _from_filename(path: Path, pattern: re.Pattern[str]) -> dict[str, str]:
    match = pattern.search(path.stem)
    if not match:
        return {}
    raw = {k: v for k, v in match.groupdict().items() if v}
    if "date" in raw and "started_at" not in raw:
        raw["started_at"] = raw.pop("date") + raw.pop("time", "000000")
    return raw


def scan(cfg: Config) -> Inbox:
    inbox = cfg.inbox
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox folder not found: {inbox}")
    managers, warnings = read_managers(cfg.resolve(cfg.managers_csv))
    known_managers = {m.manager_id for m in managers}
    call_rows, call_warnings = _read_csv(cfg.resolve(cfg.calls_csv), ("file",))
    warnings += call_warnings
    by_file = {row["file"]: row for row in call_rows if row.get("file")}
    by_name = {Path(name).name: row for name, row in by_file.items()}
    pattern = re.compile(cfg.filename_pattern)

    recordings = []
    for path in sorted(p for p in inbox.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES):
        rel = path.relative_to(inbox).as_posix()
        sha = sha256_of(path)
        row = by_file.get(rel) or by_name.get(path.name)
        raw = row if row is not None else _from_filename(path, pattern)
        fields, call_warnings = _meta_fields(raw, cfg.calls_csv.name if row is not None else "file name")
        if row is None and not raw:
            call_warnings.append("no row in calls.csv and the file name does not match filename_pattern")
        # Without an id from the PBX, the stem plus a hash prefix stays unique across nights.
        fields["call_id"] = fields["call_id"] or f"{path.stem}-{sha[:8]}"
        if fields["manager_id"] is None:
            call_warnings.append("no manager: reported under 'unassigned'")
        elif fields["manager_id"] not in known_managers:
            call_warnings.append(f"manager {fields['manager_id']!r} is not in managers.csv: "
                                 "reported under 'unassigned'")
        recordings.append(Recording(path=path, sha256=sha, size=path.stat().st_size,
                                    meta=CallMeta(**fields), warnings=tuple(call_warnings)))
    return Inbox(tuple(recordings), tuple(managers), tuple(warnings))
