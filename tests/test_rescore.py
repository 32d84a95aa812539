"""The scoring pass on stored transcripts: `callqa rescore` after a checklist edit, a checklist
per kind of call, and calls a checklist cannot score. Real DuckDB files; no audio anywhere (the
recordings' paths do not exist, so a pass that opened one would fail)."""
from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import Config, Rule
from pipeline.domain import CallMeta, CallResult, Manager, Recording, TranscriptionInfo
from pipeline.evaluate import labelled_call_from_json
from pipeline.preflight import check_checklists
from pipeline.rescore import plan, score_stored
from pipeline.store import Store
from test_report import Page

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests" / "data" / "dev" / "tune"
SALES = ["en_w3_car_service_brakes_blame", "ru_w1_fitness_winback_moved"]
SUPPORT = ["en_w4_card_unblock_travel", "ru_w2_courier_late_eight_ten"]


def stored_call(store: Store, call_id: str, n: int, day: date, **meta) -> None:
    lc = labelled_call_from_json(json.loads((DEV / f"{call_id}.json").read_text()), call_id)
    t = lc.transcript
    rec = Recording(Path(f"/nonexistent/{call_id}.wav"), f"{n:064x}", 1000,
                    CallMeta(call_id, started_at=datetime(day.year, day.month, day.day, 10), **meta))
    store.write_call(CallResult(rec, "ok", audio_duration=t.duration, channels=2, transcript=t,
                                transcription=TranscriptionInfo("faster-whisper", "tiny.en", t.language, 1.0)),
                     "run-1")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "qa.duckdb"
    with Store(path) as store:
        store.upsert_managers([Manager("101", "Anna", "sales"), Manager("201", "Oleg", "care")])
        for n, cid in enumerate(SALES):
            stored_call(store, cid, n, date(2026, 11, 2 + n), manager_id="101", direction="out")
        for n, cid in enumerate(SUPPORT, start=10):
            stored_call(store, cid, n, date(2026, 11, 20 + n - 10), manager_id="201", direction="in")
    return path


def own_checklist(tmp_path: Path) -> Path:
    """A QA lead's copy of the sales checklist (with its trained model beside it)."""
    folder = tmp_path / "my_checklists"
    folder.mkdir(exist_ok=True)
    shutil.copytree(ROOT / "checklists" / "models", folder / "models", dirs_exist_ok=True)
    path = folder / "sales_call.yaml"
    shutil.copy(ROOT / "checklists" / "sales_call.yaml", path)
    return path


def rescore(tmp_path: Path, db: Path, toml: str, *extra: str) -> int:
    config = tmp_path / "callqa.toml"
    config.write_text(toml)
    return main(["rescore", "--config", str(config), "--db", str(db), "--out", str(tmp_path / "out"), *extra])


def test_rescoring_after_a_checklist_edit_keeps_old_results_and_shows_the_new(tmp_path, db, capsys):
    checklist = own_checklist(tmp_path)
    toml = f'checklist = "{checklist}"\n'
    assert rescore(tmp_path, db, toml) == 0
    assert "Scored 4 call(s) (4 by sales_call)" in capsys.readouterr().out
    # The QA lead renames an item and bumps the version.
    text = checklist.read_text(encoding="utf-8")
    text = text.replace('version: "2"', 'version: "3"').replace(
        "title: Greeted and introduced themselves", "title: Greeted, gave name and company")
    checklist.write_text(text, encoding="utf-8")
    assert rescore(tmp_path, db, toml) == 0
    assert "Scored 4 call(s)" in capsys.readouterr().out
    assert rescore(tmp_path, db, toml) == 0  # nothing left to do
    assert "Scored 0 call(s) (none); 0 could not be scored; 4 already up to date" in capsys.readouterr().out

    with Store(db, read_only=True) as store:
        per_call = store.query("SELECT call_id, list(checklist_version ORDER BY checklist_version) AS v "
                               "FROM call_scores GROUP BY call_id ORDER BY call_id")
        assert all(r["v"] == ["2", "3"] for r in per_call) and len(per_call) == 4
        latest = store.query("SELECT DISTINCT checklist_version AS v FROM latest_scores")
        assert latest == [{"v": "3"}]
        assert store.query("SELECT count(*) AS n FROM item_results")[0]["n"] == 2 * 4 * 5
    page = Page((tmp_path / "out" / "calls" / f"{SALES[0]}.html").read_text(encoding="utf-8"))
    assert page.cards["Checklist"] == "sales_call 3"
    assert any(r and r[0] == "Greeted, gave name and company" for r in page.rows)
    assert (tmp_path / "qa.published.duckdb").is_file()


def test_each_call_is_scored_by_the_checklist_its_rule_names(tmp_path, db, capsys):
    toml = ('checklist = "sales_call"\n[[checklist_rules]]\nchecklist = "support_call"\n'
            'direction = "in"\n')
    assert rescore(tmp_path, db, toml) == 0
    assert "Scored 4 call(s) (2 by sales_call, 2 by support_call)" in capsys.readouterr().out
    with Store(db, read_only=True) as store:
        scored = {r["call_id"]: r["checklist_id"] for r in store.query("SELECT * FROM latest_scores")}
        items = {r["item_id"] for r in store.query(
            "SELECT item_id FROM latest_verdicts WHERE checklist_id = 'support_call'")}
    assert scored == {**dict.fromkeys(SALES, "sales_call"), **dict.fromkeys(SUPPORT, "support_call")}
    assert {"problem_confirmed", "further_help", "farewell"} <= items
    index = Page((tmp_path / "out" / "index.html").read_text(encoding="utf-8"))
    assert any(r and r[0].startswith("Offered further help") for r in index.rows), index.rows
    page = Page((tmp_path / "out" / "calls" / f"{SUPPORT[0]}.html").read_text(encoding="utf-8"))
    assert page.cards["Checklist"].startswith("support_call ")
    manager = Page((tmp_path / "out" / "managers" / "201.html").read_text(encoding="utf-8"))
    assert any(r and r[1] == f"{SUPPORT[0]} (support_call)" for r in manager.rows), manager.rows


def test_rescore_takes_one_checklist_and_a_period(tmp_path, db):
    cfg = Config(checklist=Path("sales_call"),
                 checklist_rules=(Rule(Path("support_call"), team="care"),))
    checklists = check_checklists(cfg)
    with Store(db) as store:
        first = score_stored(store, checklists, only="support_call", since=date(2026, 11, 21))
        assert first.scored == {"support_call": 1} and first.up_to_date == 0
        second = score_stored(store, checklists, until=date(2026, 11, 20))
        assert second.scored == {"sales_call": 2, "support_call": 1}
        assert score_stored(store, checklists).up_to_date == 4
        with pytest.raises(Exception, match="no checklist 'nope' is configured"):
            score_stored(store, checklists, only="nope")


def test_a_call_the_checklist_cannot_score_keeps_its_transcript_and_says_why(tmp_path, db, capsys):
    ru_only = tmp_path / "ru_only.yaml"
    ru_only.write_text("id: ru_only\ntitle: Ru\nversion: '1'\nlanguages: [ru]\nphrases:\n"
                       "  thanks: {ru: [спасибо]}\nitems:\n  - id: thanks\n    title: T\n"
                       "    guidance: G\n    weight: 1\n    match: thanks\n", encoding="utf-8")
    assert rescore(tmp_path, db, f'checklist = "{ru_only}"\n') == 0
    out = capsys.readouterr()
    assert "Scored 2 call(s) (2 by ru_only); 2 could not be scored" in out.out
    assert f"{SALES[0]}: not scored by ru_only: it has no 'en' phrases" in out.err
    with Store(db, read_only=True) as store:
        failed = {r["call_id"]: (r["transcribed"], r["error"]) for r in store.query("SELECT * FROM failed_calls")}
        assert failed[SALES[0]][0] is True and "no 'en' phrases" in failed[SALES[0]][1]
        assert store.query(f"SELECT count(*) AS n FROM segments WHERE call_id = '{SALES[0]}'")[0]["n"] > 0
    index = Page((tmp_path / "out" / "index.html").read_text(encoding="utf-8"))
    assert any("no 'en' phrases" in cell for r in index.rows for cell in r)
    # The fixed configuration scores them, and the error goes.
    assert rescore(tmp_path, db, 'checklist = "sales_call"\n') == 0
    with Store(db, read_only=True) as store:
        assert store.query("SELECT count(*) AS n FROM failed_calls")[0]["n"] == 0


def test_routing_rules_first_match_wins_and_a_named_checklist_overrides_them():
    cfg = Config(checklist=Path("sales_call"), checklist_rules=(
        Rule(Path("support_call"), queue="care"), Rule(Path("sales_call"), direction="in", team="sales"),
        Rule(Path("support_call"), direction="in")))
    checklists = check_checklists(cfg)

    def route(**call) -> str:
        return checklists.for_call({"direction": None, "team": None, "manager": None, "queue": None,
                                    "checklist": None, **call}).id
    assert route() == "sales_call"
    assert route(direction="in") == "support_call"
    assert route(direction="in", team="sales") == "sales_call"
    assert route(direction="out", queue="care") == "support_call"
    assert route(direction="in", checklist="sales_call") == "sales_call"
    candidates = [{"call_id": "x", "direction": None, "manager_id": None, "team": None, "queue": None,
                   "checklist": "nope", "scored_hashes": []}]
    work = plan(candidates, checklists)
    assert "calls.csv names checklist 'nope', which is not configured" in work.unroutable["x"]
