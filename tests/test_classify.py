"""The learned layer: trained offline and deterministically, loaded strictly, cited in verdicts."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline.checklist import ChecklistError, parse_checklist
from pipeline import classify
from pipeline.classify import embed, load_model, probabilities
from pipeline.cli import main
from pipeline.domain import Segment, Transcript
from pipeline.score import score_transcript
from pipeline.train import train

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "checklists" / "models"

TINY_CORPUS = """\
concept: objection
language: en
speaker: customer
'yes':
  - we're not interested, thanks
  - that's way too expensive for us
  - we already have a supplier
  - i don't have time for this
'no':
  - sounds good, go ahead
  - yes, I can talk now
  - what time works for you?
  - my name is Peter
"""

# An objection no phrase of the checklist below matches: only the classifier can find it.
CHECKLIST = """\
id: {id}
title: Tiny
version: "1"
languages: [en]
phrases:
  objection:
    classifier: {{concept: {concept}}}
    en: [zebra crossing]
  answer:
    en: [i understand]
items:
  - id: handled_objections
    title: Answered every objection
    guidance: Answer it.
    weight: 1
    trigger: {{speaker: customer, match: objection}}
    response: {{speaker: agent, within_turns: 2, match: answer}}
"""


def _validate(capsys, path: Path) -> tuple[int, str]:
    code = main(["checklist", "validate", str(path)])
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A checklist with a one-concept corpus beside it, trained: its folder."""
    root = tmp_path_factory.mktemp("tiny")
    (root / "corpus" / "en").mkdir(parents=True)
    (root / "corpus" / "en" / "objection.yaml").write_text(TINY_CORPUS, encoding="utf-8")
    (root / "tiny.yaml").write_text(CHECKLIST.format(id="tiny", concept="objection"))
    train(root / "tiny.yaml")
    return root


def test_the_committed_model_loads_offline_from_the_checkout_and_repeats_itself():
    model = load_model(MODELS / "sales_call.npz")
    concept = model.concepts["objection", "ru"]
    texts = ["Нам это не интересно, у нас уже есть поставщик", "Да, давайте оформим заказ"]
    first = probabilities(concept, embed(texts))
    classify._cache.clear()  # embedded afresh, alone and in another order: the same vectors
    alone = np.concatenate([embed(texts[1:]), embed(texts[:1])])[::-1]
    assert np.allclose(probabilities(concept, alone), first, atol=1e-6)
    classify._cache.clear()
    assert np.array_equal(probabilities(concept, embed(texts)), first)
    assert first[0] >= concept.threshold > first[1]


def test_embeddings_are_cached_and_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(classify, "_CACHE_SIZE", 3)
    classify._cache.clear()
    a = embed(["да", "нет", "да"])
    assert set(classify._cache) == {"да", "нет"} and np.array_equal(a[0], a[2])
    embed(["okay", "yes"])  # would make 4: the cache starts again with this call's texts
    assert set(classify._cache) == {"okay", "yes"}
    embed(["one", "two", "three", "four"])  # more than it holds: nothing is kept
    assert not classify._cache


def test_training_twice_on_the_same_corpus_gives_byte_identical_weights(tiny: Path, tmp_path: Path):
    again = tmp_path / "again"
    shutil.copytree(tiny, again)
    (again / "models" / "tiny.npz").unlink()
    path, summary = train(again / "tiny.yaml")
    assert path.read_bytes() == (tiny / "models" / "tiny.npz").read_bytes()
    assert summary["files"] == {"corpus/en/objection.yaml": summary["files"]["corpus/en/objection.yaml"]}
    assert set(summary["concepts"]) == {"objection/en"}


def test_a_valid_classifier_checklist_validates_and_its_hash_names_the_model(tiny: Path, capsys):
    code, err = _validate(capsys, tiny / "tiny.yaml")
    assert code == 0, err
    data = (tiny / "tiny.yaml").read_text()
    with_model = parse_checklist(data, str(tiny / "tiny.yaml"))
    other = tiny.parent / "other"
    shutil.copytree(tiny, other, dirs_exist_ok=True)
    (other / "corpus" / "en" / "objection.yaml").write_text(
        TINY_CORPUS + "  - see you on Monday then\n", encoding="utf-8")
    train(other / "tiny.yaml")
    assert parse_checklist(data, str(other / "tiny.yaml")).hash != with_model.hash


def test_a_truncated_artefact_is_a_clear_error_naming_the_file(tiny: Path, tmp_path: Path, capsys):
    shutil.copytree(tiny, tmp_path / "c")
    npz = tmp_path / "c" / "models" / "tiny.npz"
    npz.write_bytes(npz.read_bytes()[:2000])
    code, err = _validate(capsys, tmp_path / "c" / "tiny.yaml")
    assert code == 2 and "tiny.npz" in err and "broken" in err and "callqa train" in err


def test_a_missing_artefact_is_a_clear_error_naming_the_file(tiny: Path, tmp_path: Path, capsys):
    shutil.copytree(tiny, tmp_path / "c")
    (tmp_path / "c" / "models" / "tiny.npz").unlink()
    code, err = _validate(capsys, tmp_path / "c" / "tiny.yaml")
    assert code == 2 and "tiny.npz" in err and "missing" in err and "callqa train" in err


def test_an_unknown_concept_is_a_clear_error(tiny: Path, tmp_path: Path, capsys):
    shutil.copytree(tiny, tmp_path / "c")
    (tmp_path / "c" / "tiny.yaml").write_text(CHECKLIST.format(id="tiny", concept="sarcasm"))
    code, err = _validate(capsys, tmp_path / "c" / "tiny.yaml")
    assert code == 2 and "tiny.yaml:7:" in err and "unknown concept 'sarcasm'" in err


def test_a_checklist_language_the_model_lacks_is_a_clear_error(tiny: Path):
    text = CHECKLIST.format(id="tiny", concept="objection").replace(
        "languages: [en]", "languages: [en, ru]").replace(
        "    en: [zebra crossing]", "    en: [zebra crossing]\n    ru: [зебра]").replace(
        "    en: [i understand]", "    en: [i understand]\n    ru: [понимаю]")
    with pytest.raises(ChecklistError, match=r"no 'ru' classifier for 'objection'"):
        parse_checklist(text, str(tiny / "tiny.yaml"))


def test_a_turn_only_the_classifier_recognises_passes_the_item_citing_its_score():
    # The committed model, real embeddings, the real scorer.
    checklist = parse_checklist(CHECKLIST.format(id="sales_call", concept="objection"),
                                "inline.yaml", models_dir=MODELS)
    # No phrase of the inline checklist finds it; the model scores it 0.80 (threshold 0.60).
    said = "Honestly we already work with another vendor and we are not looking to switch."
    call = Transcript("c-1", "en", (
        Segment("agent", 0.0, 4.0, "Hello, this is Anna from Sunrise."),
        Segment("customer", 4.5, 9.0, said),
        Segment("agent", 9.5, 14.0, "I understand. What if we compared prices for next year?")))
    verdict = score_transcript(call, checklist).items[0]
    assert verdict.verdict == "pass", verdict.reason
    assert verdict.reason.startswith("1 objection (classifier 0.")
    assert any(e.speaker == "customer" and e.start == 4.5 and e.text == said
               for e in verdict.evidence)


def test_checklist_test_runs_each_example_and_names_what_found_it(tiny: Path, tmp_path: Path,
                                                                   capsys):
    shutil.copytree(tiny, tmp_path / "c")
    text = CHECKLIST.format(id="tiny", concept="objection").replace(
        "    en: [i understand]\n",
        "    en: [i understand]\n"
        "    examples:\n"
        "      en: {yes: [\"Sure, I understand.\"], no: [\"I don't understand\", \"I see\"]}\n")
    (tmp_path / "c" / "tiny.yaml").write_text(text)
    code = main(["checklist", "test", str(tmp_path / "c" / "tiny.yaml")])
    out = capsys.readouterr().out.splitlines()
    assert out == ["ok   answer en yes «Sure, I understand.»: found by «i understand»",
                   "ok   answer en no  «I don't understand»: not found",
                   "ok   answer en no  «I see»: not found",
                   "3 of 3 examples pass"]
    assert code == 0
    (tmp_path / "c" / "tiny.yaml").write_text(text.replace('"I see"', '"I understand you"'))
    assert main(["checklist", "test", str(tmp_path / "c" / "tiny.yaml")]) == 1
    assert "FAIL answer en no  «I understand you»: found by «i understand»" in capsys.readouterr().out


def test_callqa_train_prints_the_held_out_figures_and_where_the_model_went(tiny: Path,
                                                                          tmp_path: Path, capsys):
    shutil.copytree(tiny, tmp_path / "c")
    (tmp_path / "c" / "models" / "tiny.npz").unlink()
    assert main(["train", "--checklist", str(tmp_path / "c" / "tiny.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("objection/en: 4 yes / 4 no; ") and "threshold " in out
    assert f"Model: {tmp_path / 'c' / 'models' / 'tiny.npz'}" in out
    assert (tmp_path / "c" / "models" / "tiny.npz").read_bytes() == \
        (tiny / "models" / "tiny.npz").read_bytes()
