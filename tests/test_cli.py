"""`callqa` as other tools and people call it: the score JSON contract, validation, errors."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "transcripts"


def callqa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def callqa_here(capsys, *args: str) -> subprocess.CompletedProcess:
    """The same command in this process: no interpreter start-up and model imports per call."""
    from pipeline.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def test_score_prints_the_json_contract_for_a_russian_transcript():
    done = callqa("score", str(DATA / "ru_warm_order_good.json"), "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) == {"call_id", "checklist", "score", "items"}
    # "reason" was added to each item; the older keys keep their names and shapes.
    assert all(set(i) == {"id", "verdict", "reason", "evidence"} for i in out["items"])
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
    assert items["handled_objections"]["reason"] == "1 objection (at 0:20) answered within the agent's next 2 turns"


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


def test_readme_json_contract_example_is_what_callqa_prints(tmp_path: Path, capsys):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## `callqa score`: the JSON contract")[1].split("\n## ")[0]
    given, printed = (json.loads(b) for b in re.findall(r"```json\n(.*?)```", section, flags=re.S))
    (tmp_path / "c-1.json").write_text(json.dumps(given, ensure_ascii=False), encoding="utf-8")
    done = callqa_here(capsys, "score", str(tmp_path / "c-1.json"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == printed


def test_transcript_saved_with_a_byte_order_mark_is_read(tmp_path: Path, capsys):
    text = (DATA / "ru_warm_order_good.json").read_text(encoding="utf-8")
    (tmp_path / "bom.json").write_text(text, encoding="utf-8-sig")  # as Windows Notepad saves it
    done = callqa_here(capsys, "score", str(tmp_path / "bom.json"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] == 100.0


def test_language_the_checklist_does_not_cover_is_refused_by_name(tmp_path: Path, capsys):
    german = {"call_id": "d-1", "language": "de", "segments": [
        {"speaker": "agent", "start": 0, "end": 2, "text": "Guten Tag, mein Name ist Anna, haben Sie Zeit?"}]}
    (tmp_path / "de.json").write_text(json.dumps(german), encoding="utf-8")
    done = callqa_here(capsys, "score", str(tmp_path / "de.json"), "--json")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "callqa: call d-1: checklist 'sales_call' has no 'de' phrases (it covers ru, en)"]


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
    bad = callqa("run", "--inbox", str(tmp_path), "--db", str(tmp_path / "y.duckdb"),
                 "--out", str(tmp_path / "out"), "--beam-size", "0")
    assert bad.returncode == 2 and "config key 'beam_size'" in bad.stderr
    # One line and nothing written: a flow run would log Prefect's start-up and create both.
    for done in (missing, bad):
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not {"x.duckdb", "y.duckdb", "out"} & {p.name for p in tmp_path.iterdir()}


# Validate first: each bad setting stops `callqa run` with one line naming the key, before Prefect
# starts, so no database, no report and no transcript is written.
BROKEN_CHECKLIST = ("id: x\ntitle: X\nversion: '1'\nlanguages: [en]\nphrases:\n  thanks: {en: [thank you]}\n"
                    "items:\n  - id: a\n    title: A\n    guidance: Say thanks.\n    wieght: 1\n"
                    "    scope: {speaker: agent}\n    match: thanks\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch) -> Path:
    """A working folder with an inbox holding one real recording, a broken checklist and a folder of
    someone's notes; callqa.toml is written by each test."""
    (tmp_path / "inbox").mkdir()
    demo = sorted((REPO / "examples" / "inbox").glob("*.wav"))[0]
    (tmp_path / "inbox" / demo.name).write_bytes(demo.read_bytes())
    (tmp_path / "broken.yaml").write_text(BROKEN_CHECKLIST)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "plan.txt").write_text("keep me")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_toml(folder: Path, **values: str) -> None:
    settings = {"inbox": '"inbox"', "db": '"var/callqa.duckdb"', "out": '"report"',
                "checklist": f'"{REPO / "checklists" / "sales_call.yaml"}"', **values}
    (folder / "callqa.toml").write_text("".join(f"{key} = {value}\n" for key, value in settings.items()))


def assert_refused(done: subprocess.CompletedProcess, names: str) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"callqa: config key{'s' if ' and ' in names else ''} {names}: ")
    return lines[0]


@pytest.mark.parametrize("key,value,names", [
    ("beam_size", "2.7", "'beam_size'"),
    ("beam_size", "true", "'beam_size'"),
    ("beam_size", "0", "'beam_size'"),
    ("language", '"klingon"', "'language'"),
    ("compute_type", '"int3"', "'compute_type'"),
    ("max_file_mb", "-1", "'max_file_mb'"),
    ("max_duration_min", "0", "'max_duration_min'"),
    ("settle_seconds", "-1", "'settle_seconds'"),
    ("timezone", '"Mars/Olympus"', "'timezone'"),
    ("schedule_cron", '"bogus"', "'schedule_cron'"),
    ("language", '"ru"', "'model' and 'language'"),  # the default model is the English-only tiny.en
    ("checklist", '"missing.yaml"', "'checklist'"),
    ("checklist", '"broken.yaml"', "'checklist'"),
    ("out", '"notes"', "'out'"),
    ("inbox", '"nowhere"', "'inbox'"),
])
def test_run_with_a_bad_setting_stops_before_any_work(site: Path, capsys, key, value, names):
    write_toml(site, **{key: value})
    line = assert_refused(callqa_here(capsys, "run"), names)
    if value == '"broken.yaml"':
        assert "broken.yaml:11:" in line and "wieght" in line
    assert sorted(p.name for p in site.iterdir()) == ["broken.yaml", "callqa.toml", "inbox", "notes"]
    assert [p.name for p in (site / "notes").iterdir()] == ["plan.txt"]


def test_a_bad_flag_value_is_refused_like_a_bad_file_value(site: Path, capsys):
    write_toml(site)
    assert_refused(callqa_here(capsys, "run", "--settle-seconds", "-1"), "'settle_seconds'")
    assert sorted(p.name for p in site.iterdir()) == ["broken.yaml", "callqa.toml", "inbox", "notes"]


def test_model_that_cannot_load_stops_the_run_before_any_work(site: Path, capsys):
    """float16 is valid CTranslate2 but never runs on a CPU: only loading the model can tell."""
    write_toml(site, device='"cpu"', compute_type='"float16"')
    assert "not supported on cpu" in assert_refused(callqa_here(capsys, "run"), "'compute_type'")
    assert sorted(p.name for p in site.iterdir()) == ["broken.yaml", "callqa.toml", "inbox", "notes"]


def test_bad_setting_from_the_environment_stops_the_real_command(site: Path):
    write_toml(site)
    env = {**os.environ, "CALLQA_BEAM_SIZE": "2.7"}
    done = subprocess.run([str(REPO / ".venv" / "bin" / "callqa"), "run"], cwd=site, env=env,
                          capture_output=True, text=True, timeout=300)
    assert "'2.7' is not a whole number" in assert_refused(done, "'beam_size'")
    assert not (site / "var").exists()


def test_serve_and_score_check_their_settings_first(site: Path, capsys):
    write_toml(site, schedule_cron='"bogus"')
    assert_refused(callqa_here(capsys, "serve"), "'schedule_cron'")
    write_toml(site, language='"ru"')
    recording = next((site / "inbox").iterdir())
    assert_refused(callqa_here(capsys, "score", str(recording)), "'model' and 'language'")
    assert_refused(callqa_here(capsys, "score", str(recording), "--checklist", "broken.yaml"), "'checklist'")


def test_report_without_arguments_uses_the_configured_defaults(tmp_path: Path, monkeypatch, capsys):
    from pipeline.store import Store

    monkeypatch.chdir(tmp_path)
    assert "no callqa database at var/callqa.duckdb" in assert_refused(callqa_here(capsys, "report"), "'db'")
    Store(tmp_path / "var" / "callqa.duckdb").close()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "plan.txt").write_text("keep me")
    assert_refused(callqa_here(capsys, "report"), "'out'")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["plan.txt"]
    (tmp_path / "out" / "plan.txt").unlink()
    done = callqa_here(capsys, "report")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "index.html").is_file()


def test_unknown_callqa_variable_is_a_warning_and_the_command_still_works(monkeypatch, capsys):
    monkeypatch.setenv("CALLQA_BEAMSIZE", "3")
    monkeypatch.setenv("CALLQA_HOME", "/srv/callqa")  # tooling, not a setting: no warning
    done = callqa_here(capsys, "score", str(DATA / "ru_warm_order_good.json"), "--json",
                       "--checklist", str(REPO / "checklists" / "sales_call.yaml"))
    assert done.returncode == 0
    assert json.loads(done.stdout)["score"] == 100.0
    assert done.stderr == ("callqa: warning: CALLQA_BEAMSIZE is not a callqa setting "
                           "(did you mean CALLQA_BEAM_SIZE?); ignored\n")


def test_commands_that_run_no_flow_do_not_import_prefect(tmp_path: Path):
    """Prefect costs seconds at import; only `run` and `serve` need it."""
    db = tmp_path / "qa.duckdb"
    code = ("import sys\nfrom pipeline.cli import main\n"
            f"main(['score', {str(DATA / 'ru_warm_order_good.json')!r}])\n"
            f"main(['rescore', '--db', {str(db)!r}, '--out', {str(tmp_path / 'out')!r}])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'flows')))\n")
    from pipeline.store import Store

    Store(db).close()
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
