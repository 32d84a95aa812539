"""Store against real DuckDB files: what write_call leaves in each table, and what the views say.

The sample department below is also used by test_report.py. Expected numbers are worked out
by hand from the verdict table in sample_results()' docstring.
"""
from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.domain import (CallMeta, CallResult, CallScore, Evidence, ItemVerdict, Manager, Recording,
                             RunSummary, Segment, Transcript, TranscriptionInfo)
from pipeline.publish import publish, published_path
from pipeline.store import CallConflict, Store

ITEMS = ("introduced", "asked_convenient", "handled_objections", "recorded_outcome", "politeness")
XSS_NAME = "<img src=x onerror=alert(1)>"
MANAGERS = (Manager("m101", "Anna Petrova", "Sales A"), Manager("m102", "Ivan Sokolov", "Sales A"),
            Manager("m103", XSS_NAME, "Support"))


def ev(seg: tuple, text: str | None = None, start: float | None = None) -> Evidence:
    """Evidence quoting a whole segment, or part of it (text, start)."""
    speaker, seg_start, end, seg_text = seg
    return Evidence(speaker, seg_start if start is None else start, end, text or seg_text)


def ok_result(call_id: str, manager_id: str | None, started_at: str, segments: list[tuple],
              verdicts: dict[str, tuple], critical: str | None = None, language: str = "en",
              checklist_hash: str = "h1") -> CallResult:
    """verdicts: item_id -> (verdict, reason, evidence...); every item weighs 1. critical: the
    item whose failure flags the call."""
    items = tuple(ItemVerdict(item_id, v[0], 1.0, tuple(v[2:]), v[1], critical=item_id == critical)
                  for item_id, v in verdicts.items())
    applicable = [i for i in items if i.verdict != "na"]
    score = 100 * sum(i.verdict == "pass" for i in applicable) / len(applicable) if applicable else None
    duration = segments[-1][2] + 0.5
    rec = Recording(Path(f"/inbox/out-7916555{call_id[-2:]}-{manager_id}-{call_id}.wav"), f"sha-{call_id}", 48_000,
                    CallMeta(call_id, manager_id, datetime.fromisoformat(started_at), "out", "+79165550142"))
    return CallResult(
        recording=rec, status="ok", audio_duration=duration, channels=2,
        transcript=Transcript(call_id, language, tuple(Segment(*s, avg_logprob=-0.3) for s in segments), duration),
        transcription=TranscriptionInfo("faster-whisper", "small", language, 3.2),
        score=CallScore(call_id, "sales_call", "1.0", checklist_hash, score, items, critical is not None))


def failed_result(call_id: str, manager_id: str | None, started_at: str, error: str) -> CallResult:
    rec = Recording(Path(f"/inbox/{call_id}.wav"), f"sha-{call_id}", 1_024,
                    CallMeta(call_id, manager_id, datetime.fromisoformat(started_at)))
    return CallResult(rec, "failed", error=error, warnings=("file is not audio",))


C1 = [("agent", 0.0, 4.8, "Good afternoon, this is Anna from Sunrise Solar. Is this a good time to talk?"),
      ("customer", 5.2, 7.0, "Yes, I have a couple of minutes."),
      ("agent", 7.4, 15.9, "Last spring you bought our panels; this month the battery kit is 15% off."),
      ("customer", 16.3, 19.0, "Sounds interesting, send me the details."),
      ("agent", 19.4, 26.5, "So we agreed: I'll send the offer today and call you Thursday at 11. Thank you, have a nice day!")]
C2 = [("agent", 0.0, 3.5, "Здравствуйте, меня зовут Анна, компания «Солнце»."),
      ("agent", 3.6, 8.0, "Хочу рассказать о новой скидке на аккумуляторы."),
      ("customer", 8.4, 10.1, "Это дорого для нас."),
      ("agent", 10.5, 16.0, "Итак, договорились: отправляю КП, перезвоню в четверг в 11. Спасибо!"),
      ("customer", 16.2, 17.0, "До свидания.")]
C3 = [("agent", 0.0, 1.1, "Hello?"),
      ("customer", 1.4, 5.0, "Hi, my delivery is three days late."),
      ("agent", 5.3, 9.0, "I'm sorry about that, let me check. <script>alert(1)</script> It is on the way."),
      ("customer", 9.4, 11.0, "When will it arrive?"),
      ("agent", 11.3, 14.0, "Soon, thank you for waiting.")]
C4 = [("agent", 0.0, 3.0, "Good morning, Mark from Sunrise Solar speaking. Do you have a minute?"),
      ("customer", 3.3, 5.0, "Not really, we already have a supplier."),
      ("agent", 5.3, 9.0, "I understand. What if I send a comparison so you can see the savings?"),
      ("customer", 9.3, 10.5, "No, not interested."),
      ("agent", 10.8, 13.0, "Whatever, that's not my problem.")]


def sample_results() -> list[CallResult]:
    """Five calls; verdicts per item (I, A, H, O, P) and score:

    c1 Anna  2026-11-20  p p na p p  100
    c2 Anna  2026-11-20  p f f  p p   60
    c3 Ivan  2026-11-21  f f p  f p   40   flagged
    c4 '105' 2026-11-21  p p f  f f   40   critical (manager not in managers: 'unassigned')
    c5 m103  2026-11-21  failed: not audio
    """
    return [
        ok_result("c1", "m101", "2026-11-20T10:15:00", C1, {
            "introduced": ("pass", "greeting with name and company", ev(C1[0], "Good afternoon, this is Anna from Sunrise Solar.", 0.0)),
            "asked_convenient": ("pass", "asked whether it is a good time", ev(C1[0], "Is this a good time to talk?", 3.0)),
            "handled_objections": ("na", "no objection raised"),
            "recorded_outcome": ("pass", "offer and a callback on Thursday at 11", ev(C1[4])),
            "politeness": ("pass", "thanked the customer", ev(C1[4], "Thank you, have a nice day!", 24.0))}),
        ok_result("c2", "m101", "2026-11-20T14:00:00", C2, {
            "introduced": ("pass", "greeting with name and company", ev(C2[0])),
            "asked_convenient": ("fail", "no question about talking now in the opening"),
            "handled_objections": ("fail", "price objection got no answer", ev(C2[2])),
            "recorded_outcome": ("pass", "offer and a callback on Thursday", ev(C2[3])),
            "politeness": ("pass", "thanked the customer", ev(C2[3], "Спасибо!", 15.0))}, language="ru"),
        ok_result("c3", "m102", "2026-11-21T09:30:00", C3, {
            "introduced": ("fail", "'Hello?' at pickup is not an introduction", ev(C3[0])),
            "asked_convenient": ("fail", "no question about talking now"),
            "handled_objections": ("pass", "apologised and checked the order", ev(C3[1]), ev(C3[2])),
            "recorded_outcome": ("fail", "'soon' is not a concrete time", ev(C3[4], "Soon", 11.3)),
            "politeness": ("pass", "apologised and thanked", ev(C3[4], "thank you for waiting", 11.8))}),
        ok_result("c4", "105", "2026-11-21T11:05:00", C4, {
            "introduced": ("pass", "greeting with name and company", ev(C4[0], "Good morning, Mark from Sunrise Solar speaking.", 0.0)),
            "asked_convenient": ("pass", "asked for a minute", ev(C4[0], "Do you have a minute?", 2.0)),
            "handled_objections": ("fail", "second objection answered rudely", ev(C4[3]), ev(C4[4])),
            "recorded_outcome": ("fail", "call ended without a next step"),
            "politeness": ("fail", "rude: 'that's not my problem'", ev(C4[4]))}, critical="politeness"),
        failed_result("c5", "m103", "2026-11-21T12:00:00", "not audio: invalid data found when processing input"),
    ]


def fill(store: Store) -> list[CallResult]:
    """The sample department, stored as one nightly run would store it."""
    results = sample_results()
    store.upsert_managers(MANAGERS)
    store.start_run("run-1", "/inbox", "faster-whisper", "small", "sales_call", "1.0")
    for result in results:
        store.write_call(result, "run-1")
    store.finish_run(RunSummary("run-1", found=6, skipped=1, ok=4, failed=1, audio_seconds=72.5, report=None))
    return results


TABLES = ("managers", "runs", "calls", "segments", "item_results", "call_scores")


def counts(store: Store) -> dict[str, int]:
    return {t: store.query(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in TABLES}


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "db" / "callqa.duckdb") as s:
        yield s


def test_write_call_fills_every_table(store: Store):
    c1 = sample_results()[0]
    store.write_call(c1, "run-1")

    call = store.query("SELECT * FROM calls")[0]
    assert call["call_id"] == "c1" and call["sha256"] == "sha-c1" and call["status"] == "ok"
    assert call["file_name"] == c1.recording.path.name and call["manager_id"] == "m101"
    assert call["started_at"] == datetime(2026, 11, 20, 10, 15) and call["error"] is None
    assert (call["duration_s"], call["channels"], call["language"], call["engine"], call["model"]) == \
        (27.0, 2, "en", "faster-whisper", "small")
    assert call["run_id"] == "run-1" and call["warnings"] == []

    segments = store.query("SELECT * FROM segments ORDER BY idx")
    assert [(s["idx"], s["speaker"], s["start_s"], s["text"]) for s in segments] == \
        [(i, *s[:2], s[3]) for i, s in enumerate(C1)]

    items = store.query("SELECT * FROM item_results ORDER BY position")
    assert [(i["item_id"], i["verdict"]) for i in items] == [
        ("introduced", "pass"), ("asked_convenient", "pass"), ("handled_objections", "na"),
        ("recorded_outcome", "pass"), ("politeness", "pass")]
    assert items[1]["evidence"] == [{"speaker": "agent", "start_s": 3.0, "end_s": 4.8,
                                     "text": "Is this a good time to talk?"}]
    assert items[2]["evidence"] == [] and items[2]["reason"] == "no objection raised"

    score = store.query("SELECT * FROM call_scores")[0]
    assert (score["score"], score["critical_failure"], score["n_pass"], score["n_fail"], score["n_na"]) == \
        (100.0, False, 4, 0, 1)
    assert (score["checklist_id"], score["checklist_version"], score["checklist_hash"]) == ("sales_call", "1.0", "h1")


def test_writing_everything_twice_duplicates_nothing(store: Store):
    fill(store)
    once = counts(store)
    fill(store)
    assert counts(store) == once == {"managers": 3, "runs": 1, "calls": 5, "segments": 20,
                                     "item_results": 20, "call_scores": 4}


def test_failed_result_stores_status_and_error_only(store: Store):
    store.write_call(sample_results()[4], "run-1")
    call = store.query("SELECT status, error, warnings, duration_s FROM calls WHERE call_id = 'c5'")[0]
    assert call == {"status": "failed", "error": "not audio: invalid data found when processing input",
                    "warnings": ["file is not audio"], "duration_s": None}
    assert counts(store) | {"calls": 0} == dict.fromkeys(TABLES, 0)
    assert store.known_calls() == {"sha-c5": "failed"}


def test_retry_of_failed_call_replaces_it(store: Store):
    c1 = sample_results()[0]
    store.write_call(replace(c1, status="failed", error="file still being copied", transcript=None, score=None), "run-1")
    store.write_call(c1, "run-2")
    assert store.query("SELECT call_id, status, error, run_id FROM calls") == \
        [{"call_id": "c1", "status": "ok", "error": None, "run_id": "run-2"}]
    assert counts(store)["segments"] == 5


def test_retry_under_a_new_call_id_replaces_the_failed_row(store: Store):
    c1 = sample_results()[0]
    renamed = replace(c1.recording, meta=replace(c1.recording.meta, call_id="c1-old"))
    store.write_call(CallResult(renamed, "failed", error="bad metadata"), "run-1")
    store.write_call(c1, "run-2")
    assert store.query("SELECT call_id, status FROM calls") == [{"call_id": "c1", "status": "ok"}]


def test_conflicts_raise_and_keep_the_stored_call(store: Store):
    c1 = sample_results()[0]
    store.write_call(c1, "run-1")
    other_bytes = replace(c1, recording=replace(c1.recording, sha256="sha-other"))
    with pytest.raises(CallConflict, match="different recording"):
        store.write_call(other_bytes, "run-2")
    with pytest.raises(CallConflict, match="failed retry"):
        store.write_call(replace(c1, status="failed", error="timeout", transcript=None, score=None), "run-2")
    assert store.query("SELECT sha256, status FROM calls") == [{"sha256": "sha-c1", "status": "ok"}]
    assert counts(store)["item_results"] == 5


def test_failure_mid_write_leaves_nothing_behind(store: Store):
    c1 = sample_results()[0]
    # 'maybe' passes Python but not the CHECK on item_results, written after calls and segments.
    bad_items = (replace(c1.score.items[0], verdict="maybe"),) + c1.score.items[1:]
    bad = replace(c1, score=replace(c1.score, items=bad_items))
    with pytest.raises(duckdb.ConstraintException):
        store.write_call(bad, "run-1")
    assert counts(store) == dict.fromkeys(TABLES, 0)

    # A retry that fails mid-write must not lose the failed row it was replacing.
    store.write_call(replace(c1, status="failed", error="timeout", transcript=None, score=None), "run-1")
    with pytest.raises(duckdb.ConstraintException):
        store.write_call(bad, "run-2")
    assert store.query("SELECT status, error FROM calls") == [{"status": "failed", "error": "timeout"}]
    assert counts(store)["segments"] == 0
    store.write_call(c1, "run-2")  # the connection is usable after the rollback
    assert counts(store)["segments"] == 5


def test_views_compute_averages_and_pass_rates(store: Store):
    fill(store)
    daily = store.query("SELECT manager_id, name, day::VARCHAR AS day, calls, failed, scored, avg_score, "
                        "critical_failures FROM manager_daily ORDER BY manager_id")
    assert daily == [
        {"manager_id": "m101", "name": "Anna Petrova", "day": "2026-11-20", "calls": 2, "failed": 0,
         "scored": 2, "avg_score": 80.0, "critical_failures": 0},
        {"manager_id": "m102", "name": "Ivan Sokolov", "day": "2026-11-21", "calls": 1, "failed": 0,
         "scored": 1, "avg_score": 40.0, "critical_failures": 0},
        {"manager_id": "m103", "name": XSS_NAME, "day": "2026-11-21", "calls": 1, "failed": 1,
         "scored": 0, "avg_score": None, "critical_failures": 0},
        {"manager_id": "unassigned", "name": "unassigned", "day": "2026-11-21", "calls": 1, "failed": 0,
         "scored": 1, "avg_score": 40.0, "critical_failures": 1}]

    team = store.query("SELECT item_id, applicable, passes, pass_rate FROM item_pass_rates ORDER BY position")
    assert [(r["item_id"], r["applicable"], r["passes"], r["pass_rate"]) for r in team] == [
        ("introduced", 4, 3, 75.0), ("asked_convenient", 4, 2, 50.0), ("handled_objections", 3, 1, 33.3),
        ("recorded_outcome", 4, 2, 50.0), ("politeness", 4, 3, 75.0)]

    anna = store.query("SELECT item_id, applicable, passes, pass_rate FROM manager_item_pass_rates "
                       "WHERE manager_id = 'm101' ORDER BY position")
    assert [(r["item_id"], r["applicable"], r["passes"], r["pass_rate"]) for r in anna] == [
        ("introduced", 2, 2, 100.0), ("asked_convenient", 2, 1, 50.0), ("handled_objections", 1, 0, 0.0),
        ("recorded_outcome", 2, 2, 100.0), ("politeness", 2, 2, 100.0)]

    latest = {r["call_id"]: r for r in store.query("SELECT * FROM latest_scores")}
    assert latest["c4"]["manager_id"] == latest["c4"]["name"] == "unassigned"
    assert [c for c, r in sorted(latest.items()) if r["flagged"]] == ["c3", "c4"]
    assert latest["c5"]["status"] == "failed" and latest["c5"]["score"] is None
    assert store.query("SELECT call_id, name, error FROM failed_calls") == [
        {"call_id": "c5", "name": XSS_NAME, "error": "not audio: invalid data found when processing input"}]


def test_call_without_manager_is_unassigned(store: Store):
    c1 = sample_results()[0]
    store.write_call(replace(c1, recording=replace(c1.recording, meta=replace(c1.recording.meta, manager_id=None))), "r")
    assert store.query("SELECT manager_id, name, team FROM latest_scores") == \
        [{"manager_id": "unassigned", "name": "unassigned", "team": ""}]


def test_latest_score_wins_after_rescoring(store: Store):
    fill(store)
    c2 = sample_results()[1]
    rescored = replace(c2.score, checklist_version="1.1", checklist_hash="h2", score=75.0,
                       items=tuple(i for i in c2.score.items if i.item_id != "asked_convenient"))
    store.write_call(replace(c2, score=rescored), "run-2")
    assert store.query("SELECT count(*) AS n FROM call_scores WHERE call_id = 'c2'") == [{"n": 2}]
    row = store.query("SELECT score, checklist_version FROM latest_scores WHERE call_id = 'c2'")[0]
    assert row == {"score": 75.0, "checklist_version": "1.1"}
    assert store.query("SELECT count(*) AS n FROM latest_verdicts WHERE call_id = 'c2'") == [{"n": 4}]


def test_evidence_quotes_point_at_their_segments(store: Store):
    fill(store)
    rows = store.query("SELECT call_id, item_id, n, seg_idx FROM evidence_quotes "
                       "WHERE call_id IN ('c1', 'c3') ORDER BY call_id, item_id, n")
    assert [(r["call_id"], r["item_id"], r["n"], r["seg_idx"]) for r in rows] == [
        ("c1", "asked_convenient", 1, 0), ("c1", "introduced", 1, 0), ("c1", "politeness", 1, 4),
        ("c1", "recorded_outcome", 1, 4), ("c3", "handled_objections", 1, 1), ("c3", "handled_objections", 2, 2),
        ("c3", "introduced", 1, 0), ("c3", "politeness", 1, 4), ("c3", "recorded_outcome", 1, 4)]


def test_runs_are_recorded(store: Store):
    fill(store)
    run = store.query("SELECT * FROM runs")[0]
    assert (run["inbox"], run["engine"], run["model"], run["checklist_id"], run["found"], run["skipped"],
            run["ok"], run["failed"], run["audio_seconds"], run["error"]) == \
        ("/inbox", "faster-whisper", "small", "sales_call", 6, 1, 4, 1, 72.5, None)
    assert run["finished_at"] >= run["started_at"]
    with pytest.raises(KeyError, match="never started"):
        store.finish_run(RunSummary("nope", 0, 0, 0, 0, 0.0, None))


def test_upsert_managers_updates_names(store: Store):
    store.upsert_managers(MANAGERS)
    store.upsert_managers([Manager("m101", "Anna Smirnova", "Sales B")])
    assert store.query("SELECT name, team FROM managers WHERE manager_id = 'm101'") == \
        [{"name": "Anna Smirnova", "team": "Sales B"}]


def test_read_only_store_reads_but_cannot_write(tmp_path: Path):
    path = tmp_path / "callqa.duckdb"
    with Store(path) as store:
        fill(store)
    with Store(path, read_only=True) as store:
        assert len(store.known_calls()) == 5
        with pytest.raises(duckdb.Error, match="read-only"):
            store.write_call(sample_results()[0], "run-2")
        with pytest.raises(duckdb.Error, match="read-only"):
            store.upsert_managers([Manager("m9", "Someone")])
    with pytest.raises(FileNotFoundError):
        Store(tmp_path / "missing.duckdb", read_only=True)


# A manager's SQL session in its own process: it prints the number of calls, waits for a line on
# stdin, then prints the calls again and the segments, which it had not read yet.
READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT count(*) FROM calls").fetchone()[0], flush=True)
sys.stdin.readline()
print(*con.execute("SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM segments)").fetchone(), flush=True)
"""


def test_a_reader_of_the_published_copy_never_blocks_the_writer(tmp_path: Path):
    db = tmp_path / "callqa.duckdb"
    first, *rest = sample_results()
    with Store(db) as store:
        store.write_call(first, "run-1")
    published = publish(db)
    assert published == published_path(db)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "1"
        # The next night's run, while the reader holds its copy open: writing and publishing go through.
        with Store(db) as store:
            for result in rest:
                store.write_call(result, "run-2")
        publish(db)
        with duckdb.connect(str(published), read_only=True) as fresh:
            assert fresh.execute("SELECT count(*) FROM calls").fetchone() == (5,)
        out, err = reader.communicate("\n", timeout=30)
    finally:
        reader.kill()
    assert reader.returncode == 0, err
    assert out.split() == ["1", "5"]  # the open session keeps the copy it had: one call, its 5 segments


def test_schema_is_idempotent_and_documented(tmp_path: Path):
    path = tmp_path / "callqa.duckdb"
    Store(path).close()
    with Store(path) as store:  # applying the schema again changes nothing
        fill(store)
    with Store(path) as store:
        assert counts(store)["calls"] == 5
        undocumented = store.query(
            "SELECT table_name AS name FROM duckdb_tables() WHERE comment IS NULL "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal AND comment IS NULL "
            "UNION ALL SELECT table_name || '.' || column_name FROM duckdb_columns() "
            "WHERE comment IS NULL AND NOT internal")
        assert undocumented == []
        # Views' columns included, after the schema was applied again (which recreates the views).
        [views] = store.query("SELECT count(*) AS n FROM duckdb_columns() WHERE table_name IN "
                              "(SELECT view_name FROM duckdb_views() WHERE NOT internal)")
        assert views["n"] >= 86


def test_query_runs_named_queries_and_text(store: Store):
    fill(store)
    assert store.query("report_totals")[0]["calls"] == 5
    assert store.query("SELECT name FROM managers WHERE manager_id = ?", ["m102"]) == [{"name": "Ivan Sokolov"}]
    with pytest.raises(KeyError, match="no query named"):
        store.query("no_such_query")


def test_threads_can_share_a_store(store: Store):
    results = [ok_result(f"t{i:02d}", "m101", "2026-11-22T10:00:00", C1, {"politeness": ("pass", "thanked")})
               for i in range(16)]
    threads = [threading.Thread(target=store.write_call, args=(r, "run-1")) for r in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts(store)["calls"] == 16 and counts(store)["segments"] == 80
