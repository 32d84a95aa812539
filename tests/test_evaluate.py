"""`callqa eval`: agreement of the verdicts with labels, figures checked against hand-computed ones."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.checklist import load_checklist
from pipeline.cli import main
from pipeline.evaluate import ALL, agreement, evaluate, labelled_call_from_json
from pipeline.score import score_transcripts

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "transcripts"


def pairs(*counts: tuple[str, str, int]):
    return [(label, verdict) for label, verdict, k in counts for _ in range(k)]


def test_kappa_precision_and_recall_match_a_hand_computed_confusion():
    # label \ verdict   pass fail na  | labelled
    #   pass              5    1   0  |  6
    #   fail              1    3   0  |  4
    #   na                0    1   1  |  2
    # predicted           6    5   1  | 12
    # po = (5+3+1)/12 = 108/144; pe = (6*6 + 4*5 + 2*1)/144 = 58/144
    # kappa = (108-58)/(144-58) = 50/86 = 0.5814
    a = agreement(pairs(("pass", "pass", 5), ("pass", "fail", 1), ("fail", "pass", 1),
                        ("fail", "fail", 3), ("na", "fail", 1), ("na", "na", 1)))
    assert (a.n, a.agreed, a.accuracy) == (12, 9, 0.75)
    assert a.kappa == pytest.approx(50 / 86)
    assert (a.precision("fail"), a.recall("fail")) == (3 / 5, 3 / 4)
    assert (a.precision("pass"), a.recall("pass")) == (5 / 6, 5 / 6)
    assert (a.precision("na"), a.recall("na")) == (1.0, 0.5)
    assert a.confusion["na", "fail"] == 1 and a.confusion["fail", "na"] == 0


def test_perfect_agreement_gives_kappa_one():
    a = agreement(pairs(("pass", "pass", 4), ("fail", "fail", 2), ("na", "na", 1)))
    assert (a.accuracy, a.kappa) == (1.0, 1.0)


def test_one_class_on_both_sides_is_perfect_agreement_not_a_division_by_zero():
    # pe = 1 makes kappa 0/0; both said "pass" every time, so it is defined as 1.
    same = agreement(pairs(("pass", "pass", 3)))
    assert (same.kappa, same.precision("fail"), same.recall("fail")) == (1.0, None, None)
    # Each side constant but different: po = 0, pe = 0, kappa 0.
    assert agreement(pairs(("pass", "fail", 3))).kappa == 0.0
    assert agreement([]).kappa is None and agreement([]).accuracy is None


def doc(name: str, **changes) -> dict:
    data = json.loads((DATA / f"{name}.json").read_text())
    return {**data, **changes}


@pytest.fixture(scope="module")
def checklist():
    return load_checklist(REPO / "checklists" / "sales_call.yaml")


def run_eval(checklist, docs):
    calls = [labelled_call_from_json(d) for d in docs]
    return evaluate(calls, score_transcripts([c.transcript for c in calls], checklist))


def test_figures_split_by_language_and_a_disagreement_carries_reason_evidence_and_why(checklist):
    en = doc("en_busy_call_back_tomorrow")  # the agent introduces himself: the verdict is pass
    en["labels"] = {**en["labels"], "introduced": "fail"}
    en["why"] = {"introduced": "no company name"}
    result = run_eval(checklist, [en, doc("ru_warm_order_good")])

    assert (result.cells[ALL, "en"].n, result.cells[ALL, "en"].agreed) == (5, 4)
    assert (result.cells[ALL, "ru"].n, result.cells[ALL, "ru"].agreed) == (5, 5)
    assert (result.cells[ALL, ALL].n, result.cells[ALL, ALL].agreed) == (10, 9)
    assert result.cells["introduced", "en"].confusion["fail", "pass"] == 1
    assert result.cells["introduced", "ru"].accuracy == 1.0
    [d] = result.disagreements
    assert (d.call_id, d.language, d.item, d.label, d.verdict) == (
        "en_busy_call_back_tomorrow", "en", "introduced", "fail", "pass")
    assert d.reason and d.why == "no company name"
    assert [(e.speaker, e.start) for e in d.evidence] == [("agent", 5.11)]
    assert "this is david from apex" in d.evidence[0].text


def test_tags_break_agreement_down(checklist):
    clean = doc("en_busy_call_back_tomorrow", tags=["clean", "outbound"])
    asr = doc("ru_warm_order_good", tags=["asr", "outbound"])
    asr["labels"] = {**asr["labels"], "politeness": "fail"}
    result = run_eval(checklist, [clean, asr])
    assert list(result.tags) == ["asr", "clean", "outbound"]
    assert [(calls, a.n, a.agreed) for calls, a in result.tags.values()] == [
        (1, 5, 4), (1, 5, 5), (2, 10, 9)]


def test_eval_on_the_regression_set_reports_every_item_and_full_agreement():
    # The test suite (test_score.py) requires every label of these files to be met today.
    files = sorted(DATA.glob("*.json"))
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "eval", str(DATA), "--json"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["calls"] == len(files)
    overall = out["overall"]["all"]
    assert (overall["n"], overall["accuracy"], overall["kappa"]) == (5 * len(files), 1.0, 1.0)
    assert out["by_item"]["handled_objections"]["en"]["confusion"]["na"]["na"] > 0
    assert out["disagreements"] == [] and out["disagreements_total"] == 0


def test_eval_prints_a_table_and_lists_disagreements(tmp_path: Path, capsys):
    data = doc("en_busy_call_back_tomorrow", tags=["clean"])
    data["labels"] = {**data["labels"], "introduced": "fail"}
    (tmp_path / "a.json").write_text(json.dumps(data))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.json").write_text((DATA / "ru_warm_order_good.json").read_text())

    assert main(["eval", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 calls, checklist sales_call")
    assert "90.0% of 10 item labels agree" in out
    assert "en_busy_call_back_tomorrow [en] introduced: label fail, verdict pass" in out
    assert '[5.1s agent] "hi mr jenkins this is david from apex roofing"' in out
    assert "clean" in out.split("tag")[1]

    assert main(["eval", str(tmp_path), "--max-disagreements", "0"]) == 0
    out = capsys.readouterr().out
    assert "Disagreements: 1 (0 shown)" in out and "label fail, verdict pass" not in out


@pytest.mark.parametrize("content, message", [
    ('{"segments": [], "labels": {"introduced": "maybe"}}', "label 'introduced' is 'maybe'"),
    ('{"segments": [], "labels": {"introducd": "pass"}}', "labels for introducd"),
    ('{"segments": []}', 'no "labels" object'),
    ("{", "not a readable labelled transcript JSON"),
])
def test_bad_labelled_input_gets_one_line_and_exit_2(tmp_path: Path, capsys, content, message):
    (tmp_path / "bad.json").write_text(content)
    assert main(["eval", str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_eval_of_a_missing_folder_says_so(tmp_path: Path, capsys):
    assert main(["eval", str(tmp_path / "locked")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
