"""The nightly flow with the openai-whisper engine: a real Prefect run, real Whisper, DuckDB."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.nightly import nightly

pytestmark = pytest.mark.slow
CHECKLIST = Path(__file__).resolve().parent.parent / "checklists" / "sales_call.yaml"


def test_a_flow_run_with_openai_whisper_stores_the_call(call_files, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CALLQA_CACHE_DIR", str(tmp_path / "cache"))  # the converted checkpoint
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(call_files["good"], inbox)
    with prefect_test_harness(server_startup_timeout=None):
        summary = nightly(inbox=str(inbox), db=str(tmp_path / "qa.duckdb"), out=str(tmp_path / "out"),
                          settings={"checklist": str(CHECKLIST), "settle_seconds": 0, "engine": "openai-whisper"})
    assert (summary["found"], summary["ok"], summary["failed"]) == (1, 1, 0)

    with duckdb.connect(str(tmp_path / "qa.duckdb"), read_only=True) as con:
        def rows(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        assert rows("SELECT call_id, status, engine, language, channels FROM calls") == \
            [("9001.1", "ok", "openai-whisper", "en", 2)]
        turns = rows("SELECT speaker, start_s, end_s, text FROM segments WHERE call_id = '9001.1' ORDER BY start_s")
        verdicts = dict(rows("SELECT item_id, verdict FROM item_results WHERE call_id = '9001.1'"))
    assert {speaker for speaker, *_ in turns} == {"agent", "customer"}
    assert all(0 <= start <= end for _, start, end, _ in turns)
    agent = " ".join(text for speaker, *_, text in turns if speaker == "agent").lower()
    assert "afternoon" in agent and "good time" in agent, turns
    assert verdicts["introduced"] == "pass" and verdicts["asked_convenient"] == "pass", verdicts
    assert verdicts["handled_objections"] == "na"
