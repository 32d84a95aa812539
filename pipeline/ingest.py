"""Find recordings in the inbox and attach metadata from calls.csv or the file name.

A recording's identity is the SHA-256 of its bytes: renaming or moving a file never makes it
new. A file still being copied in is left for a later run: only a file whose size and mtime
have stood still for `settle_seconds` is taken. Metadata problems become warnings on the call;
they never stop it from being processed. Problems with the sidecars themselves (an unreadable
calls.csv, a row naming a file that is not there) and files left waiting are run warnings.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Mapping

from .config import Config
from .domain import CallMeta, FileIdentity, Manager, Recording

AUDIO_SUFFIXES = {".wav", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".flac"}
CALL_COLUMNS = ("file", "call_id", "manager_id", "started_at", "direction", "customer_phone", "queue",
                "checklist")
MANAGER_COLUMNS = ("manager_id", "name", "team")
DIRECTIONS = {"in": "in", "inbound": "in", "incoming": "in", "out": "out", "outbound": "out",
              "outgoing": "out"}
CSV_DELIMITERS = ",;\t"  # spreadsheets in many locales save "CSV" with semicolons
MAX_NAMED = 10  # a run warning names at most this many files


@dataclass(frozen=True)
class Inbox:
    recordings: tuple[Recording, ...]  # settled files, ready to process
    managers: tuple[Manager, ...]
    warnings: tuple[str, ...]  # run warnings: the sidecars' problems, files left waiting
    unsettled: tuple[Path, ...] = ()  # still changing: left for a later run
    hashed: Mapping[str, FileIdentity] = field(default_factory=dict)  # read this scan, by absolute path


@dataclass(frozen=True)
class Sidecars:
    """What calls.csv and managers.csv say, read once per scan."""
    managers: tuple[Manager, ...]
    calls_csv: str  # its file name, for warnings
    by_file: Mapping[str, Mapping[str, str]]  # calls.csv rows by their `file` column
    by_name: Mapping[str, Mapping[str, str]]  # the same rows by the file's bare name
    warnings: tuple[str, ...]

    def row_for(self, rel: str) -> Mapping[str, str] | None:
        """The row naming this file by its path in the inbox, else by its bare name."""
        return self.by_file.get(rel) or self.by_name.get(PurePosixPath(rel).name)

    def missing(self, rels: set[str]) -> list[str]:
        """calls.csv `file` values that name none of these files."""
        names = {PurePosixPath(r).name for r in rels}
        return [f for f in self.by_file if f not in rels and PurePosixPath(f).name not in names]


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


def _named(paths: list[str]) -> str:
    more = len(paths) - MAX_NAMED
    return ", ".join(paths[:MAX_NAMED]) + (f" and {more} more" if more > 0 else "")


def _read_csv(path: Path, required: tuple[str, ...]) -> tuple[list[dict[str, str]], list[str]]:
    if not path.is_file():
        return [], []
    try:
        text = path.read_text(encoding="utf-8-sig")
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                text.partition("\n")[0], CSV_DELIMITERS)
        except csv.Error:  # a single column has no delimiter to find
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            return [], [f"{path.name}: missing column(s) {', '.join(missing)} "
                        f"(header read as {', '.join(header) or 'empty'}); file ignored"]
        # Extra cells land under the None key: dropped.
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
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


def read_sidecars(cfg: Config) -> Sidecars:
    """managers.csv and calls.csv of the inbox; their problems become warnings, never errors."""
    managers, warnings = read_managers(cfg.resolve(cfg.managers_csv))
    call_rows, call_warnings = _read_csv(cfg.resolve(cfg.calls_csv), ("file",))
    by_file = {row["file"]: row for row in call_rows if row.get("file")}
    return Sidecars(tuple(managers), cfg.calls_csv.name, by_file,
                    {PurePosixPath(f).name: row for f, row in by_file.items()}, tuple(warnings + call_warnings))


def _meta_fields(raw: Mapping[str, str], source: str) -> tuple[dict, list[str]]:
    """Raw strings -> typed CallMeta fields; a bad value is dropped with a warning."""
    fields: dict = {k: (raw.get(k) or "").strip() or None
                    for k in ("call_id", "manager_id", "customer_phone", "queue", "checklist")}
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


def recording_of(path: Path, sha: str, size: int, rel: str, sidecars: Sidecars, cfg: Config) -> Recording:
    """A file's Recording: metadata from its calls.csv row, else from the file-name pattern."""
    row = sidecars.row_for(rel)
    raw = row if row is not None else _from_filename(path, re.compile(cfg.filename_pattern))
    fields, warnings = _meta_fields(raw, sidecars.calls_csv if row is not None else "file name")
    if row is None and not raw:
        warnings.append(f"no row in {sidecars.calls_csv} and the file name does not match filename_pattern")
    # Without an id from the PBX, the stem plus a hash prefix stays unique across nights.
    fields["call_id"] = fields["call_id"] or f"{path.stem}-{sha[:8]}"
    known_managers = {m.manager_id for m in sidecars.managers}
    if fields["manager_id"] is None:
        warnings.append("no manager: reported under 'unassigned'")
    elif fields["manager_id"] not in known_managers:
        warnings.append(f"manager {fields['manager_id']!r} is not in managers.csv: reported under 'unassigned'")
    return Recording(path=path, sha256=sha, size=size, meta=CallMeta(**fields), warnings=tuple(warnings))


def read_recording(path: Path, cfg: Config) -> Recording:
    """One file, as `scan` would see it (for `callqa score FILE`): the sidecars of the
    configured inbox if the file lies in it, else those beside the file. Not waited on."""
    inbox = cfg.inbox.resolve()
    path = path.resolve()
    if not path.is_relative_to(inbox):
        inbox = path.parent
        cfg = replace(cfg, inbox=inbox)
    return recording_of(path, sha256_of(path), path.stat().st_size, path.relative_to(inbox).as_posix(),
                        read_sidecars(cfg), cfg)


def scan(cfg: Config, known: Mapping[str, FileIdentity] | None = None, now: float | None = None) -> Inbox:
    """Every settled audio file below the inbox. A file modified less than settle_seconds
    before `now`, or one that changed while it was hashed, is being copied: left for later.
    A file `known` by its absolute path with the same size and mtime is not read again."""
    known = known or {}
    inbox = cfg.inbox
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox folder not found: {inbox}")
    now = time.time() if now is None else now
    sidecars = read_sidecars(cfg)
    files = sorted(p for p in inbox.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    recordings, unsettled, hashed = [], [], {}
    for path in files:
        rel = path.relative_to(inbox).as_posix()
        try:
            before = path.stat()
            seen = known.get(str(path.resolve()))
            if seen is not None and (seen.size, seen.mtime_ns) == (before.st_size, before.st_mtime_ns):
                recordings.append(recording_of(path, seen.sha256, before.st_size, rel, sidecars, cfg))
                continue
            if now - before.st_mtime < cfg.settle_seconds:
                unsettled.append(path)
                continue
            sha = sha256_of(path)
            after = path.stat()
        except FileNotFoundError:  # moved away since the listing: nothing to process
            continue
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            unsettled.append(path)
            continue
        hashed[str(path.resolve())] = FileIdentity(before.st_size, before.st_mtime_ns, sha)
        recordings.append(recording_of(path, sha, before.st_size, rel, sidecars, cfg))

    warnings = list(sidecars.warnings)
    absent = sidecars.missing({p.relative_to(inbox).as_posix() for p in files})
    if absent:
        warnings.append(f"{sidecars.calls_csv} names {len(absent)} file(s) not in the inbox: {_named(absent)}")
    if unsettled:
        warnings.append(f"{len(unsettled)} file(s) still being copied (changed less than "
                        f"{cfg.settle_seconds:g} s ago), left for the next run: "
                        f"{_named([p.relative_to(inbox).as_posix() for p in unsettled])}")
    return Inbox(tuple(recordings), sidecars.managers, tuple(warnings), tuple(unsettled), hashed)
