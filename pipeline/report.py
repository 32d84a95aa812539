"""HTML reports: named queries (sql/report.sql) -> plain dicts -> reports/*.html.j2 -> static pages.

Pages link to each other by relative paths, embed their CSS and load nothing from the network,
so the folder works from file://, a file share or a zip. The whole folder is rendered aside and
swapped in at the end, so a reader sees the old report or the new one, never half of either.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import cache
import re
from importlib.resources import files
import shutil
import tempfile
from dataclasses import dataclass
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .store import Store

if TYPE_CHECKING:
    from .config import Config

TEMPLATES = Path(str(files("pipeline.templates")))  # reports/ in the checkout, package data when installed
# Only an empty folder or one carrying this marker is ever replaced: a mistyped --out must not
# wipe someone's documents.
MARKER = ".callqa-report"
# Each page's digest of what it was rendered from: a page whose digest is unchanged is linked
# from the old report instead of rendered again (a night adds a few hundred calls to thousands).
PAGES = ".callqa-pages.json"


@dataclass(frozen=True)
class ReportOptions:
    """The review queue's random sample (calls per manager per week, the seed of the draw) and
    the language of the pages' own words (item titles and guidance are the checklist's)."""
    sample: int = 2
    seed: int = 0
    language: str = "en"


def report_options(cfg: Config) -> ReportOptions:
    """The report settings of a Config (review_sample, review_seed, report_language)."""
    return ReportOptions(cfg.review_sample, cfg.review_seed, cfg.report_language)


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """English -> the language's words; English itself maps to nothing (the words stay)."""
    if language == "en":
        return {}
    # reports/strings.<language>.yaml, keyed by the English the templates write (`_("...")`).
    return yaml.safe_load((TEMPLATES / f"strings.{language}.yaml").read_text(encoding="utf-8"))

def render_reports(db_path: Path, out_dir: Path, queue: ReportOptions = ReportOptions()) -> Path:
    """Render index.html, review.html, managers/<id>.html and calls/<id>.html into out_dir;
    return the index.

    Item titles and coaching guidance come from the checklist versions registered in the
    database (an item never registered shows its id humanised: asked_convenient -> Asked convenient).
    """
    out_dir = Path(out_dir)
    check_replaceable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # Staged beside out_dir, on the same filesystem, so the final renames are atomic.
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the report is meant to be shared
    try:
        with Store(db_path, read_only=True) as store:
            _Renderer(store, staging, out_dir, queue).render()
        (staging / MARKER).write_text("rendered by callqa; replaced on every run\n", encoding="utf-8")
        _swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir / "index.html"


def _read_pages(out_dir: Path) -> dict[str, str]:
    """The page digests of the report in out_dir; none when there is none (or it is unreadable)."""
    try:
        pages = json.loads((out_dir / PAGES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return pages if isinstance(pages, dict) and (out_dir / MARKER).is_file() else {}


def check_replaceable(out_dir: Path) -> None:
    """Raise FileExistsError unless out_dir is missing, empty, or a callqa report (MARKER)."""
    if out_dir.is_file():
        raise FileExistsError(f"{out_dir} is a file, not a report folder")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise FileExistsError(f"{out_dir} is not empty and holds no callqa report; not replacing it")


def _swap_in(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    old = staging.with_name(staging.name + ".old")
    out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old)


def slug(identifier: str) -> str:
    """A file name for any id: safe characters kept, anything else replaced, and a short hash
    appended whenever that changed the id, so that "a/b" and "a-b" never share a page."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", identifier).strip("-.")[:80]
    if safe and safe == identifier:
        return safe
    digest = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:8]
    return f"{safe}-{digest}" if safe else digest


def manager_href(manager_id: str) -> str:
    return f"managers/{slug(manager_id)}.html"


def call_href(call_id: str) -> str:
    return f"calls/{slug(call_id)}.html"


def clock(seconds: float | None) -> str:
    """00:05, 12:40 or 1:02:03: a moment in the call, as audio players show it."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


# The conversation metrics the pages show against the team's norms (views team_metrics and
# manager_metrics): column, label, unit.
METRICS = (
    ("talk_listen_ratio", "Talk/listen ratio (agent ÷ customer)", ""),
    ("agent_longest_monologue_s", "Agent's longest monologue", "s"),
    ("silence_share", "Silence", "%"),
    ("longest_silence_s", "Longest silence or hold", "s"),
    ("agent_interruptions", "Agent interrupted the customer", "times"),
    ("customer_interruptions", "Customer interrupted the agent", "times"),
    ("agent_wpm", "Agent's speech rate", "words/min"),
)


def metric(value: float | None, unit: str, words: Mapping[str, str] = {}) -> str:
    """The value with its unit, the unit in the report's language (words: catalogue())."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{100 * value:.0f}%"
    if unit == "s":
        return clock(value) if value >= 60 else f"{value:g} {words.get('s', 's')}"
    return f"{value:g} {words.get(unit, unit)}".strip()


def metric_rows(values: Mapping[str, Any], norms: Mapping[str, Any] | None,
                words: Mapping[str, str] = {}) -> list[dict[str, str]]:
    """One row per metric: its label, the value and the team's norm, formatted."""
    return [{"label": label, "value": metric(values.get(key), unit, words),
             "team": metric((norms or {}).get(key), unit, words)} for key, label, unit in METRICS]


def sparkline(values: Sequence[float], width: int = 96, height: int = 24) -> str:
    """SVG polyline points for scores 0..100, left to right, 100 at the top."""
    if len(values) == 1:
        return f"{width / 2:g},{height - values[0] * height / 100:.1f}"
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - v * height / 100:.1f}" for i, v in enumerate(values))


def trends(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """manager_id -> its weekly averages (report_weekly) as a sparkline with its labels."""
    out: dict[str, dict[str, Any]] = {}
    for manager_id, weeks in groupby(rows, key=itemgetter("manager_id")):
        weeks = list(weeks)
        values = [w["avg_score"] for w in weeks]
        out[manager_id] = {"points": sparkline(values), "first": values[0], "last": values[-1],
                           "weeks": len(weeks), "since": weeks[0]["week"]}
    return out


def heat_map(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Managers × items (report_heatmap) as a table: the item columns, then a row per manager
    with its pass rate per column (None where nothing applied)."""
    columns = sorted({(r["checklist_id"], r["position"], r["item_id"]) for r in rows})
    index = {(c[0], c[2]): n for n, c in enumerate(columns)}
    table: dict[str, dict[str, Any]] = {}
    for r in rows:
        row = table.setdefault(r["manager_id"], {"manager_id": r["manager_id"], "name": r["name"],
                                                  "rates": [None] * len(columns)})
        row["rates"][index[r["checklist_id"], r["item_id"]]] = r["pass_rate"]
    return {"columns": [{"checklist_id": c[0], "item_id": c[2]} for c in columns], "rows": list(table.values())}


def _environment(titles: Mapping[tuple[str, str], str], language: str = "en") -> Environment:
    """titles: (checklist id, item id) -> title; `item_id | label(checklist_id)` in templates;
    `_("English words")` in the report language."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    def label(item_id: str, checklist_id: str | None = None) -> str:
        return titles.get((checklist_id, item_id)) or item_id.replace("_", " ").capitalize()

    env.filters.update(clock=clock, when=when, label=label)
    words = catalogue(language)
    env.globals.update(manager_href=manager_href, call_href=call_href, lang=language,
                       _=lambda text: words.get(text, text))
    return env


def review_queue(store: Store, queue: ReportOptions) -> list[dict[str, Any]]:
    """The calls to listen to, the least sure first (query review_queue)."""
    return store.query("review_queue", {"sample": queue.sample, "seed": str(queue.seed)})


def _grouped(rows: list[dict[str, Any]], key: str | Callable[[dict[str, Any]], Any]) -> dict[Any, list[dict[str, Any]]]:
    """Rows by a column (or a function of the row), each group in the rows' order."""
    out: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row[key] if isinstance(key, str) else key(row), []).append(row)
    return out


class _ByCall:
    """Rows sorted by call_id, handed out call by call as the pages are rendered in that order."""

    def __init__(self, rows: Iterator[dict[str, Any]]):
        self._groups = groupby(rows, key=itemgetter("call_id"))
        self._next = next(self._groups, None)

    def take(self, call_id: str) -> list[dict[str, Any]]:
        """The rows of call_id; [] if it has none (then the next group is a later call's)."""
        if self._next is None or self._next[0] != call_id:
            return []
        rows = list(self._next[1])
        self._next = next(self._groups, None)
        return rows


def recording_href(recording: str | None, page_dir: Path) -> str | None:
    """The recording as a link relative to the page that plays it (the report folder may move
    with the inbox, as on a file share), or None when the file is not there any more. Linked,
    not copied: a night's recordings are hundreds of hours."""
    if not recording or not Path(recording).is_file():
        return None
    return Path(os.path.relpath(Path(recording).resolve(), page_dir.resolve())).as_posix()


class _Renderer:
    def __init__(self, store: Store, out: Path, final: Path, queue: ReportOptions):
        """out: the folder being written; final: where it will be once swapped in."""
        self.store, self.out, self.final, self.queue = store, out, final, queue
        texts = store.query("item_texts")
        self.texts = texts
        self.guidance = {(t["checklist_id"], t["item_id"]): t["guidance"] for t in texts}
        self.env = _environment({(t["checklist_id"], t["item_id"]): t["title"] for t in texts}, queue.language)
        self.words = catalogue(queue.language)
        self.generated_at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        self.norms = next(iter(store.query("team_norms")), None)
        self.previous = _read_pages(final)
        self.pages: dict[str, str] = {}

    def render(self) -> None:
        managers = self.store.query("report_managers")
        items = self.store.query("report_items")
        # With several checklists in use, pages name the checklist beside items and calls.
        self.env.globals["several_checklists"] = len({i["checklist_id"] for i in items}) > 1
        # What every page depends on besides its own data: the templates and words, this
        # module (its filters), the checklists' titles and guidance.
        basis = hashlib.sha256(json.dumps([self.queue.language, self.env.globals["several_checklists"],
                                           self.texts], default=str).encode())
        for source in [Path(__file__), *sorted(p for p in TEMPLATES.glob("*") if p.is_file())]:
            basis.update(source.read_bytes())
        self.basis = basis.hexdigest()
        self._write("index.html", "index.html.j2", root="",
                    totals=self.store.query("report_totals")[0],
                    last_run=next(iter(self.store.query("report_last_run")), None),
                    managers=managers,
                    items=items,
                    periods=self.store.query("report_periods"),
                    distribution=self.store.query("report_distribution"),
                    trends=trends(self.store.query("report_weekly")),
                    heat=heat_map(self.store.query("report_heatmap")),
                    flagged=self.store.query("report_flagged"),
                    agreement=self.store.query("report_agreement"),
                    promises=self.store.query("report_promises"),
                    calibration=self.store.query("report_calibration"),
                    failed=self.store.query("report_failed"))
        queue = review_queue(self.store, self.queue)
        self._write("review.html", "review.html.j2", root="", queue=self.queue, calls=queue)
        listen = _grouped(queue, "manager_id")
        by_manager = {name: _grouped(self.store.query(name), "manager_id")
                      for name in ("manager_items", "manager_failures")}
        examples = _grouped(self.store.query("item_examples"), lambda e: (e["checklist_id"], e["item_id"]))
        for manager in managers:
            key = manager["manager_id"]
            self._manager_page(manager, by_manager["manager_items"].get(key, []),
                               by_manager["manager_failures"].get(key, []), examples, listen.get(key, []))
        # Four queries read side by side, whatever the number of calls: a query per call
        # would rescan the views for every page.
        items = _ByCall(self.store.stream("call_items"))
        segments = _ByCall(self.store.stream("call_segments"))
        reviews = _ByCall(self.store.stream("call_reviews"))
        for call in self.store.stream("call_details"):
            self._call_page(call, items.take(call["call_id"]), segments.take(call["call_id"]),
                            reviews.take(call["call_id"]))
        (self.out / PAGES).write_text(json.dumps(self.pages, indent=0, sort_keys=True), encoding="utf-8")

    def _manager_page(self, manager: dict[str, Any], items: list[dict[str, Any]], failures: list[dict[str, Any]],
                      examples: Mapping[tuple[str, str], list[dict[str, Any]]],
                      listen: list[dict[str, Any]]) -> None:
        """listen: the manager's calls in the review queue, the least sure first."""
        key = {"manager_id": manager["manager_id"]}

        def same(row: dict[str, Any], item: dict[str, Any]) -> bool:
            return (row["checklist_id"], row["item_id"]) == (item["checklist_id"], item["item_id"])

        def colleagues(item: dict[str, Any]) -> list[dict[str, Any]]:
            """The two best examples of the item by someone else (the rows come best first)."""
            rows = examples.get((item["checklist_id"], item["item_id"]), [])
            return [e for e in rows if e["manager_id"] != manager["manager_id"]][:2]

        coaching = [
            {**item, "guidance": self.guidance.get((item["checklist_id"], item["item_id"])),
             "failures": [f for f in failures if same(f, item)], "examples": colleagues(item)}
            for item in items if item["fails"]]
        self._write(manager_href(manager["manager_id"]), "manager.html.j2", root="../",
                    manager=manager, items=items, coaching=coaching,
                    trend=self.store.query("manager_trend", key),
                    promises=self.store.query("manager_promises", key),
                    best_worst=self.store.query("manager_best_worst", key), listen=listen,
                    metrics=metric_rows(next(iter(self.store.query("manager_norms", key)), {}), self.norms, self.words),
                    calls=self.store.query("manager_calls", key))

    def _call_page(self, call: dict[str, Any], items: list[dict[str, Any]],
                   segments: list[dict[str, Any]], reviews: list[dict[str, Any]]) -> None:
        items = [i for i in items if i["checklist_id"] == call["checklist_id"]]
        # Which verdicts each segment is evidence for, so the dialogue can highlight it.
        evidence_for: dict[int, list[dict[str, Any]]] = {}
        for item in items:
            for seg_idx in dict.fromkeys(q["seg_idx"] for q in item["quotes"]):
                if seg_idx is not None:
                    evidence_for.setdefault(seg_idx, []).append(item)
        # A call with a call_metrics row (every transcribed one) always has its silence share.
        metrics = metric_rows(call, self.norms, self.words) if call["silence_share"] is not None else []
        audio = recording_href(call["recording"], self.final / "calls")
        self._write(call_href(call["call_id"]), "call.html.j2", root="../", call=call, items=items,
                    metrics=metrics, reviews=reviews, audio=audio,
                    segments=[{**s, "evidence_for": evidence_for.get(s["idx"], [])} for s in segments])

    def _write(self, relpath: str, template: str, **data: Any) -> None:
        path = self.out / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        # The index shows when the report was made, so it is always new.
        digest = hashlib.sha256(json.dumps([self.basis, template, data, relpath == "index.html"
                                            and self.generated_at], sort_keys=True, default=str).encode()).hexdigest()
        self.pages[relpath] = digest
        old = self.final / relpath
        if self.previous.get(relpath) == digest and old.is_file():
            try:
                os.link(old, path)
            except OSError:  # a file system without hard links
                shutil.copy2(old, path)
            return
        html = self.env.get_template(template).render(generated_at=self.generated_at, **data)
        path.write_text(html, encoding="utf-8")
