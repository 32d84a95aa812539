"""`callqa` as other tools and people call it: the score JSON contract, validation, errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "transcripts"


def callqa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_score_prints_the_json_contract_for_a_russian_transcript():
    done = callqa("score", str(DATA / "ru_warm_order_good.json"), "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) == {"call_id", "checklist", "score", "items"}
    assert out["call_id"] == "ru_warm_order_good"
    assert out["checklist"]["id"] == "sales_call" and out["checklist"]["version"]
    assert out["score"] == 100.0
    items = {i["id"]: i for i in out["items"]}
    assert list(items) == ["introduced", "asked_convenient", "handled_objections", "recorded_outcome", "politeness"]
    assert {i["verdict"] for i in items.values()} == {"pass"}
    objection = items["handled_objections"]["evidence"]
    assert set(objection[0]) == {"speaker", "start", "text"}
    assert objection[0] == {"speaker": "customer", "start": 20.02, "text": "Ну, это дороговато, наверное."}
    assert items["recorded_outcome"]["evidence"][0]["text"].startswith("Отлично, тогда оформляю заказ")


def test_score_explains_a_failing_call_in_plain_text():
    done = callqa("score", str(DATA / "ru_rude_pressure.json"))
    assert done.returncode == 0, done.stderr
    assert "fail politeness" in done.stdout


@pytest.mark.parametrize("content,message", [
    ("{not json", "not a readable transcript JSON"),
    ('{"segments": [{"speaker": "boss", "start": 0, "text": "hi"}]}', "segments[0].speaker"),
    ('{"call_id": "x"}', '"segments" list'),
])
def test_bad_transcript_input_gets_a_clear_error(tmp_path: Path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    done = callqa("score", str(bad), "--json")
    assert done.returncode == 2 and message in done.stderr and done.stdout == ""


def test_checklist_validate_reports_where_the_checklist_is_broken(tmp_path: Path):
    ok = callqa("checklist", "validate", "checklists/sales_call.yaml")
    assert ok.returncode == 0 and "OK (sales_call" in ok.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\ntitle: X\nversion: '1'\nlanguages: [en]\nphrases:\n  thanks: {en: [thank you]}\n"
                      "items:\n  - id: a\n    title: A\n    guidance: Say thanks.\n    wieght: 1\n"
                      "    scope: {speaker: agent}\n    match: thanks\n")
    done = callqa("checklist", "validate", str(broken))
    assert done.returncode == 2 and "broken.yaml:11" in done.stderr and "wieght" in done.stderr


@pytest.mark.slow
def test_score_transcribes_a_recording(call_files):
    done = callqa("score", str(call_files["good"]), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["call_id"] == "9001.1"  # from the file-name pattern, as `callqa run` reads it
    items = {i["id"]: i for i in json.loads(done.stdout)["items"]}
    assert items["introduced"]["verdict"] == "pass"
    assert items["introduced"]["evidence"][0]["speaker"] == "agent"


def test_run_refuses_bad_settings_before_starting(tmp_path: Path):
    missing = callqa("run", "--inbox", str(tmp_path / "nowhere"), "--db", str(tmp_path / "x.duckdb"))
    assert missing.returncode == 2 and "inbox folder not found" in missing.stderr
    bad = callqa("run", "--inbox", str(tmp_path), "--beam-size", "0")
    assert bad.returncode == 2 and "config key 'beam_size'" in bad.stderr
    assert not (tmp_path / "x.duckdb").exists()
