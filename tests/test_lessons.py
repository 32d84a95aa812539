"""The closed loop: QA leads' overrides become corpus texts (`callqa review --export`), the
learned layer is trained again with them (`callqa train --extra-corpus`), and the next scoring
pass uses the new artefact. Real DuckDB files, the real sales checklist and its classifier."""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline.checklist import ChecklistError, load_checklist
from pipeline.classify import embed, load_model, probabilities
from pipeline.cli import main
from pipeline.domain import Manager, Review
from pipeline.lessons import corpus_files, lessons
from pipeline.score import ClassifiedTurn
from pipeline.store import Store
from pipeline.train import Examples, with_extra
from test_rescore import ROOT, stored_call

SALES = ROOT / "checklists" / "sales_call.yaml"
MISSED = "en_x2_pharmacy_delivery_late"  # an objection the machine missed (na; label pass)
INVENTED = "en_x5_blender_return_mhm"  # an objection the machine saw where there is none


@pytest.fixture(scope="module")
def checklist():
    return load_checklist(SALES)


def turn(speaker: str, start: float, text: str, p: float | None) -> ClassifiedTurn:
    return ClassifiedTurn(speaker, start, text, {} if p is None else {"objection": p})


TURNS = (turn("agent", 0.0, "hello, this is Ann from Bright", None),
         turn("customer", 3.0, "hm, that sounds expensive", 0.62),
         turn("customer", 9.0, "okay", 0.10),
         turn("customer", 15.0, "maybe, I will think", 0.55))


def test_a_missed_trigger_teaches_the_turn_the_classifier_nearly_found(checklist):
    review = Review("c1", "handled_objections", "pass", "Olga", machine_verdict="na")
    taught, cannot = lessons(review, checklist, "en", TURNS)
    assert [(l.concept, l.text, l.label, l.at) for l in taught] == [
        ("objection", "hm, that sounds expensive", True, 3.0)]
    assert not cannot and "Olga: pass over the machine's na" in taught[0].why


def test_an_invented_trigger_teaches_the_turns_the_classifier_leaned_to(checklist):
    review = Review("c1", "handled_objections", "na", "Olga", machine_verdict="fail")
    taught, cannot = lessons(review, checklist, "en", TURNS)
    assert [(l.text, l.label) for l in taught] == [("hm, that sounds expensive", False),
                                                   ("maybe, I will think", False)]
    # No turn reached the threshold (0.8): a phrase found the trigger, which retraining cannot fix.
    assert [c.why.split(":")[0] for c in cannot] == ["a phrase of objection, not its classifier, found the trigger"]


@pytest.mark.parametrize("review", [
    Review("c1", "handled_objections", "fail", "Olga", machine_verdict="pass"),  # the trigger stays
    Review("c1", "politeness", "fail", "Olga", machine_verdict="pass"),  # no classifier decides it
    Review("c1", "handled_objections", "pass", "Olga", machine_verdict="pass"),
])
def test_reviews_that_say_nothing_about_a_classified_trigger_teach_nothing(checklist, review):
    assert lessons(review, checklist, "en", TURNS) == ([], [])


def test_the_newest_review_of_a_text_decides_its_side(checklist):
    first = lessons(Review("c1", "handled_objections", "pass", "Olga", machine_verdict="na"),
                    checklist, "en", TURNS)[0]
    later = lessons(Review("c2", "handled_objections", "na", "Ivan", machine_verdict="fail"),
                    checklist, "en", TURNS)[0]
    doc = corpus_files(first + later)[Path("en/objection.yaml")]
    assert doc["yes"] == [] and doc["no"] == ["hm, that sounds expensive", "maybe, I will think"]
    assert [r["call_id"] for r in doc["reviews"]] == ["c1", "c2", "c2"]


def test_extra_texts_move_sides_and_must_belong_to_a_corpus_concept():
    base = Examples("objection", "en", "customer", ("too dear", "no thanks"), ("okay", "sure"), "corpus.yaml")
    add = Examples("objection", "en", "customer", ("sure",), ("no thanks",), "reviews.yaml")
    merged, = with_extra([base], [add])
    assert (merged.yes, merged.no, merged.reviewed) == (("too dear", "sure"), ("okay", "no thanks"),
                                                        {"sure", "no thanks"})
    with pytest.raises(ChecklistError, match="concept rude .* is not in the corpus"):
        with_extra([base], [Examples("rude", "en", "agent", ("x",), (), "reviews.yaml")])


def test_reviews_exported_and_trained_on_move_the_next_scoring(tmp_path, capsys):
    folder = tmp_path / "my_checklists"  # a QA lead's checklist with its corpus and model
    for part in ("corpus", "models"):
        shutil.copytree(ROOT / "checklists" / part, folder / part)
    checklist = folder / "sales_call.yaml"
    shutil.copy(SALES, checklist)
    config = tmp_path / "callqa.toml"
    config.write_text(f'checklist = "{checklist}"\n')
    db = tmp_path / "qa.duckdb"
    with Store(db) as store:
        store.upsert_managers([Manager("101", "Anna", "care")])
        for n, cid in enumerate((MISSED, INVENTED)):
            stored_call(store, cid, n, date(2026, 11, 2), manager_id="101", direction="in")
    common = ["--config", str(config), "--db", str(db), "--out", str(tmp_path / "out")]
    assert main(["rescore", *common]) == 0
    with Store(db, read_only=True) as store:
        before = {r["call_id"]: r["verdict"] for r in store.query(
            "SELECT call_id, verdict FROM latest_verdicts WHERE item_id = 'handled_objections'")}
    assert before == {MISSED: "na", INVENTED: "fail"}
    for cid, verdict in ((MISSED, "pass"), (INVENTED, "na")):
        assert main(["review", cid, "handled_objections", verdict, "--reviewer", "Olga", "--no-report", *common]) == 0
    capsys.readouterr()

    export = tmp_path / "lessons"
    assert main(["review", "--export", str(export), *common]) == 0
    out = capsys.readouterr().out
    assert f"{export / 'en' / 'objection.yaml'}: 1 yes" in out
    doc = yaml.safe_load((export / "en" / "objection.yaml").read_text(encoding="utf-8"))
    missed_turns = {s["text"] for s in json.loads((ROOT / "tests/data/dev/tune" / f"{MISSED}.json").read_text())
                    ["segments"] if s["speaker"] == "customer"}
    assert doc["concept"] == "objection" and doc["speaker"] == "customer"
    assert len(doc["yes"]) == 1 and set(doc["yes"][0].split(" ")) <= set(" ".join(missed_turns).split(" "))
    assert {r["call_id"] for r in doc["reviews"]} <= {MISSED, INVENTED}

    # Trained on a fifth of the corpus, so the test does not spend a minute embedding all of it:
    # the same corpus without the reviews, then with them.
    for path in (folder / "corpus").glob("*/*.yaml"):
        texts = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts.update({side: texts[side][:40] for side in ("yes", "no")})
        path.write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")
    assert main(["train", "--config", str(config)]) == 0
    old = load_model(folder / "models" / "sales_call.npz")
    assert main(["train", "--config", str(config), "--extra-corpus", str(export)]) == 0
    assert "objection/en:" in (printed := capsys.readouterr().out) and "from reviews" in printed
    new = load_model(folder / "models" / "sales_call.npz")
    assert new.version != old.version
    summary = json.loads((folder / "models" / "sales_call.json").read_text())
    assert summary["concepts"]["objection/en"]["reviewed"] == len(doc["yes"]) + len(doc["no"])
    vector = embed(doc["yes"])
    p_old, p_new = (float(probabilities(m.concepts["objection", "en"], vector)[0]) for m in (old, new))
    assert p_new > p_old + 0.05, (p_old, p_new)
    if doc["no"]:
        q_old, q_new = (probabilities(m.concepts["objection", "en"], embed(doc["no"])) for m in (old, new))
        assert np.all(q_new < q_old)

    # The new artefact changes the checklist's hash: the next scoring pass scores both calls again.
    assert main(["rescore", *common]) == 0
    assert "Scored 2 call(s)" in capsys.readouterr().out
