"""Scoring: every labelled transcript gets its labels, with evidence a QA lead can check."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.checklist import ChecklistError, load_checklist, parse_checklist
from pipeline.contract import transcript_from_json
from pipeline.domain import Segment, Transcript
from pipeline.lemmas import normalise
from pipeline.score import score_transcript, score_transcripts

REPO = Path(__file__).resolve().parent.parent
# The dev set, and a second set written without looking at the phrase lists. The lists were then
# widened (general variants only, no sentence copied) until it agreed: now a regression set.
DATA = sorted([*(Path(__file__).parent / "data" / "transcripts").glob("*.json"),
               *(Path(__file__).parent / "data" / "heldout").glob("*.json")])
# `callqa score` input files (call_id, language, segments) plus labels a QA lead would give.
DOCS = {p.stem: json.loads(p.read_text()) for p in DATA}


def call(language: str, *turns: tuple[str, str]) -> Transcript:
    """A transcript from (speaker, text) pairs, 3 s apart."""
    return Transcript("t", language, tuple(Segment(spk, 3.0 * i, 3.0 * i + 2.5, text)
                                           for i, (spk, text) in enumerate(turns)))


@pytest.fixture(scope="module")
def checklist():
    return load_checklist(REPO / "checklists" / "sales_call.yaml")


@pytest.fixture(scope="module")
def scores(checklist):
    """All labelled transcripts, scored in one batch."""
    results = score_transcripts([transcript_from_json(d) for d in DOCS.values()], checklist)
    return {s.call_id: s for s in results}


def verdict(score, item_id):
    return next(v for v in score.items if v.item_id == item_id)


def test_the_data_set_covers_every_verdict_in_both_languages():
    assert len(DOCS) >= 24
    # one Russian call says "uk", as Whisper's language detection sometimes does
    seen = {(d["language"] if d["language"] == "en" else "ru", item, label)
            for d in DOCS.values() for item, label in d["labels"].items()}
    for lang in ("ru", "en"):
        for item in ("introduced", "asked_convenient", "handled_objections", "recorded_outcome",
                     "politeness"):
            assert {(lang, item, "pass"), (lang, item, "fail")} <= seen, (lang, item)
        assert (lang, "handled_objections", "na") in seen


LABELS = [(name, item, label) for name, d in DOCS.items() for item, label in d["labels"].items()]


@pytest.mark.parametrize("name,item,label", LABELS, ids=[f"{n}-{i}" for n, i, _ in LABELS])
def test_label(scores, name, item, label):
    v = verdict(scores[name], item)
    assert v.verdict == label, v.reason


EVIDENCE = [(name, item, e) for name, d in DOCS.items()
            for item, expected in d.get("expected_evidence", {}).items() for e in expected]


@pytest.mark.parametrize("name,item,expected", EVIDENCE,
                         ids=[f"{n}-{i}-{e['quote']}" for n, i, e in EVIDENCE])
def test_evidence_quotes_the_right_words_speaker_and_time(scores, name, item, expected):
    evidence = verdict(scores[name], item).evidence
    assert any(e.speaker == expected["speaker"] and e.start == expected["start"]
               and normalise(expected["quote"]) in normalise(e.text) for e in evidence), evidence


@pytest.mark.parametrize("name", DOCS)
def test_critical_failure_and_score_arithmetic(checklist, scores, name):
    score, labels = scores[name], DOCS[name]["labels"]
    weights = {i.id: i.weight for i in checklist.items}
    applicable = [i for i, label in labels.items() if label != "na"]
    expected = 100 * sum(weights[i] for i in applicable if labels[i] == "pass") / sum(
        weights[i] for i in applicable)
    assert score.score == round(expected, 1)
    assert score.critical_failure == DOCS[name]["expected_critical"]
    assert (score.checklist_id, score.checklist_hash) == (checklist.id, checklist.hash)


def test_every_verdict_explains_itself(scores):
    for score in scores.values():
        for v in score.items:
            assert v.reason and "\n" not in v.reason
            if v.verdict == "pass":
                assert v.evidence, (score.call_id, v)
            if v.item_id == "handled_objections" and v.verdict == "fail":
                # a conditional fail cites the objection: what the customer said, and when
                assert v.evidence and all(e.speaker == "customer" for e in v.evidence), v
                assert " at " in v.reason


def test_batched_scoring_equals_one_by_one(checklist, scores):
    for doc in DOCS.values():
        assert score_transcript(transcript_from_json(doc), checklist) == scores[doc["call_id"]]


def test_a_fail_says_which_words_did_not_count_and_why(checklist):
    score = score_transcript(call("ru", ("agent", "добрый день меня зовут анна"),
                                  ("customer", "да"),
                                  ("agent", "вам удобно в четверг встретиться?")), checklist)
    v = verdict(score, "asked_convenient")
    assert v.verdict == "fail"
    assert v.reason.endswith("«вам удобно» does not count (scheduling)"), v.reason
    assert [(e.start, e.text) for e in v.evidence] == [(6.0, "вам удобно в четверг встретиться?")]


def test_rude_phrase_fails_despite_thanks_and_flags_the_call(checklist):
    score = score_transcript(call("en", ("agent", "Good morning, this is Ann from Acme. Thanks."),
                                  ("customer", "It broke again."),
                                  ("agent", "Well, that's not my problem.")), checklist)
    polite = verdict(score, "politeness")
    assert polite.verdict == "fail" and score.critical_failure
    assert (polite.evidence[0].text, polite.evidence[0].start) == ("Well, that's not my problem.", 6.0)
    assert "not my problem" in polite.reason


def test_no_courtesy_fails_but_is_not_critical(checklist):
    score = score_transcript(call("en", ("agent", "this is jake, your order is placed")), checklist)
    assert verdict(score, "politeness").verdict == "fail" and not score.critical_failure
    assert verdict(score, "politeness").evidence == ()
    assert verdict(score, "politeness").reason == "no courtesy in the agent's turns"


def test_rude_words_from_the_customer_do_not_count(checklist):
    score = score_transcript(call("ru", ("agent", "спасибо"),
                                  ("customer", "короче вы не понимаете")), checklist)
    assert verdict(score, "politeness").verdict == "pass"


def test_objection_at_the_end_of_the_call_fails(checklist):
    score = score_transcript(call("ru", ("agent", "добрый день меня зовут анна"),
                                  ("customer", "нам это не интересно")), checklist)
    v = verdict(score, "handled_objections")
    assert v.verdict == "fail" and "ended right after" in v.reason
    assert v.evidence[0].text == "нам это не интересно" and v.evidence[0].start == 3.0


# Rules of docs/domain.md that phrase lists used to get wrong, each on a call no label set holds.
GREET = ("agent", "Добрый день, меня зовут Анна, компания «Солнце».")
DOMAIN_RULES = [
    # a day is concrete, «сегодня» included; only «сегодня-завтра», "sometime", "later" are vague
    ("ru", [GREET, ("customer", "Пришлите счёт."), ("agent", "Отправлю сегодня, спасибо.")],
     "recorded_outcome", "pass"),
    ("ru", [GREET, ("customer", "Пришлите счёт."), ("agent", "Отправлю сегодня-завтра.")],
     "recorded_outcome", "fail"),
    ("en", [("agent", "Hi, this is Sam from Acme."), ("customer", "I'll think about it."),
            ("agent", "Sure, I'll follow up sometime next week.")], "recorded_outcome", "fail"),
    # a resolution stated by the agent is an outcome; an offer is not
    ("en", [("agent", "Thanks for calling Acme, this is Sam."), ("customer", "My flight was cancelled."),
            ("agent", "I've rebooked you on the fourteenth at seven, the fee is waived.")],
     "recorded_outcome", "pass"),
    ("ru", [GREET, ("customer", "Да?"),
            ("agent", "Предлагаем подключить спутниковое телевидение на дачу.")],
     "recorded_outcome", "fail"),
    ("en", [("agent", "Hi, this is Sam from Acme."), ("customer", "My card is blocked."),
            ("agent", "We are going to unblock your card, you can use it within ten minutes.")],
     "recorded_outcome", "pass"),
    # inbound answering formula: company and name before the greeting
    ("ru", [("agent", "Банк «Меридиан», Артём, здравствуйте.")], "introduced", "pass"),
    # the second agent turn counts; "Hello?" at pickup is no greeting
    ("en", [("agent", "Hello?"), ("customer", "Hello?"),
            ("agent", "hi yeah sorry its bren from pay circle")], "introduced", "pass"),
    # an inbound formula names the agent before the greeting; a customer greeted by name is not
    # the agent's name
    ("ru", [("agent", "Автосалон «Вектор», Дмитрий, добрый день.")], "introduced", "pass"),
    ("ru", [("agent", "Марина Сергеевна, добрый день! Удобно сейчас говорить?")],
     "introduced", "fail"),
    # elliptical questions about talking now; asking about a day is not
    ("ru", [("agent", "Здравствуйте, это Дарья, компания «Исток». Удобно минутку?")],
     "asked_convenient", "pass"),
    ("ru", [("agent", "Здравствуйте, это Дарья, компания «Исток». Вам удобно в четверг?")],
     "asked_convenient", "fail"),
    ("en", [("agent", "Hi, it's Tom from Ledgerly. Is this still a good time for our scheduled call?")],
     "asked_convenient", "pass"),
    # a brush-off simply accepted fails; it is an objection, not "no objection"
    ("en", [("agent", "Hi, my name's Chloe from Harbor Rescue."), ("customer", "er no thank you"),
            ("agent", "oh ok thanks bye")], "handled_objections", "fail"),
    ("ru", [GREET, ("customer", "Отстаньте вы уже."), ("agent", "Хорошо, до свидания.")],
     "handled_objections", "fail"),
    ("en", [("agent", "Hi, this is Sam from Acme."),
            ("customer", "I did that and I still get the same error."), ("agent", "Ok.")],
     "handled_objections", "fail"),
    # an acknowledgement and a proposal anywhere in one agent turn answer an objection
    ("en", [("agent", "Hi, this is Sam from Acme."), ("customer", "Honestly it's too much money."),
            ("agent", "I totally get that, honestly. We now have a starter tier, "
                      "would that be worth a look?")],
     "handled_objections", "pass"),
    ("ru", [GREET, ("customer", "Мы не будем, у нас уже всё есть."),
            ("agent", "Понимаю вас, многие так говорили поначалу. Скажите, а что у вас сейчас стоит?")],
     "handled_objections", "pass"),
    # an acknowledgement alone, or a proposal without one, answers nothing
    ("en", [("agent", "Hi, this is Sam from Acme."), ("customer", "Honestly it's too much money."),
            ("agent", "I understand.")], "handled_objections", "fail"),
    # talking over the objection answers nothing, whatever acknowledgement it starts with
    ("ru", [GREET, ("customer", "Нам это не нужно, у нас уже есть охрана."),
            ("agent", "Понимаю, но вы послушайте, у нас датчики бесплатно ставятся.")],
     "handled_objections", "fail"),
    ("en", [("agent", "Hi, this is Sam from Acme."), ("customer", "We already have a provider."),
            ("agent", "Sure, sure, but hear me out, our plan is cheaper.")], "handled_objections", "fail"),
    # "anything else?" - "no, thanks, that's all" objects to nothing
    ("en", [("agent", "Hi, this is Sam from Acme, how can I help?"), ("customer", "What time do you close?"),
            ("agent", "At eight. Anything else I can help with?"), ("customer", "No thanks, that's all.")],
     "handled_objections", "na"),
    ("ru", [GREET, ("customer", "Во сколько вы закрываетесь?"),
            ("agent", "В восемь. Могу ещё чем-то помочь?"), ("customer", "Нет, спасибо, больше ничего.")],
     "handled_objections", "na"),
    # a support result stated by the agent
    ("ru", [GREET, ("customer", "Карта не проходит за границей."),
            ("agent", "Блокировку сняла, карта активна, можете пользоваться.")],
     "recorded_outcome", "pass"),
    # sarcasm is rude even beside a courtesy formula
    ("ru", [GREET, ("customer", "Я всё оплатил, у вас ошибка."),
            ("agent", "Ну конечно, у всех всегда ошибка. Спасибо.")], "politeness", "fail"),
]


@pytest.mark.parametrize("language,turns,item,expected", DOMAIN_RULES,
                         ids=[f"{i}-{item}-{exp}" for i, (_, _, item, exp) in enumerate(DOMAIN_RULES)])
def test_domain_rules_on_unseen_wording(checklist, language, turns, item, expected):
    v = verdict(score_transcript(call(language, *turns), checklist), item)
    assert v.verdict == expected, v.reason


def test_score_is_none_when_nothing_applies():
    only_objections = parse_checklist("""\
id: o
title: O
version: "1"
languages: [en]
phrases:
  objection: {en: [too expensive]}
  answer: {en: [i understand]}
items:
  - id: objections
    title: Objections
    guidance: Answer them.
    weight: 1
    trigger: {speaker: customer, match: objection}
    response: {speaker: agent, within_turns: 1, match: answer}
""")
    score = score_transcript(call("en", ("agent", "hello"), ("customer", "sounds good")),
                             only_objections)
    assert score.score is None and score.items[0].verdict == "na"
    score = score_transcript(call("en", ("customer", "too expensive"), ("agent", "i understand")),
                             only_objections)
    assert score.score == 100.0


def test_a_guard_item_passes_on_speech_without_the_forbidden_words():
    guard = parse_checklist("""\
id: g
title: G
version: "1"
languages: [en]
phrases:
  blame: {en: [your fault]}
items:
  - id: no_blame
    title: No blame
    guidance: Never blame the customer.
    weight: 1
    critical: true
    scope: {speaker: agent}
    forbidden: {match: blame, critical: true}
""")
    clean = score_transcript(call("en", ("agent", "hello, how can i help"), ("customer", "hi")), guard)
    assert clean.items[0].verdict == "pass" and clean.items[0].reason == "no blame in the agent's turns"
    assert not clean.critical_failure
    blamed = score_transcript(call("en", ("agent", "hello"), ("customer", "it broke"),
                                   ("agent", "well that is your fault")), guard)
    item = blamed.items[0]
    assert item.verdict == "fail" and blamed.critical_failure
    assert item.evidence[0].text == "well that is your fault" and item.reason.startswith("blame: «your fault» at")
    silent = score_transcript(call("en", ("customer", "hello?")), guard)
    assert silent.items[0].verdict == "na" and silent.score is None


MATCHING = """\
id: m
title: M
version: "1"
languages: [ru, en]
phrases:
  said:
    ru: [представиться, удобно ... говорить, "в #", "консультант @name"]
    en: [a good time, "call ... at #", "^ good morning @any ... this is"]
items:
  - id: said
    title: Said it
    guidance: Say it.
    weight: 1
    scope: {speaker: any}
    match: said
"""


@pytest.fixture(scope="module")
def matching():
    return parse_checklist(MATCHING)


@pytest.mark.parametrize("language,text,found", [
    ("ru", "я представилась в начале", True),  # inflection: lemmas, not strings
    ("ru", "Представлюсь: Анна.", True),
    ("ru", "вам удобно сейчас говорить", True),  # `...`: up to 3 words between
    ("ru", "удобно ну э сейчас говорить", True),  # fillers neither break nor fill a gap
    ("ru", "удобно вам будет сейчас со мной говорить", False),  # 4 words is too far
    ("ru", "вам не удобно говорить", False),  # negation right before
    ("ru", "мне не очень удобно говорить", False),  # an intensifier does not hide it
    ("ru", "перезвоню в 11:30", True),  # `#`: any number
    ("ru", "консультант Артём слушает", True),  # `@name`: any first name, ё or е
    ("ru", "консультант Алёна", True),
    ("ru", "консультант вера в успех", False),  # «вера» is faith more often than a name
    ("ru", "консультант магазина", False),
    ("en", "is this a good time?", True),
    ("en", "I know it's not a good time", False),
    ("en", "I'll CALL you back at 9", True),
    ("en", "i'll call you back tomorrow", False),
    ("en", "good morning, Volt Energy, this is Craig", True),  # `@any`: a word there, any word
    ("en", "good morning, this is Craig", False),  # ... but one must be there
    ("en", "good morning any this is", True),
])
def test_phrase_matching(matching, language, text, found):
    score = score_transcript(call(language, ("agent", text)), matching)
    assert (score.items[0].verdict == "pass") == found, score.items[0].reason


def test_phrase_may_span_segments_of_one_turn(matching):
    two_segments = (Segment("agent", 0.0, 1.0, "вам удобно"), Segment("agent", 1.2, 2.0, "говорить?"))
    score = score_transcript(Transcript("t", "ru", two_segments), matching)
    assert score.items[0].evidence[0].text == "вам удобно говорить?"
    assert (score.items[0].evidence[0].start, score.items[0].evidence[0].end) == (0.0, 2.0)


def test_language_is_detected_from_the_script(matching):
    score = score_transcript(Transcript("t", "auto", (Segment("agent", 0, 1, "я представилась"),)),
                             matching)
    assert score.items[0].verdict == "pass"


def test_language_the_checklist_lacks_is_refused():
    ru_only = parse_checklist(MATCHING.replace("languages: [ru, en]", "languages: [ru]")
                              .replace('    en: [a good time, "call ... at #", "^ good morning @any ... this is"]\n', ""))
    with pytest.raises(ChecklistError, match="no 'en' phrases"):
        score_transcript(call("en", ("agent", "hello")), ru_only)


@pytest.mark.parametrize("declared,text", [
    ("auto", "я представилась"), ("", "is this a good time"), ("unknown", "я представилась"),
    ("ru-RU", "я представилась"), ("en_US", "is this a good time"),
    ("uk", "я представилась"),  # Whisper's label for Russian over a phone line, at times
])
def test_the_language_a_transcript_is_scored_in(matching, declared, text):
    score = score_transcript(Transcript("t", declared, (Segment("agent", 0, 1, text),)), matching)
    assert score.items[0].verdict == "pass", score.items[0].reason


def test_a_declared_language_the_checklist_lacks_is_refused_by_name(matching):
    german = Transcript("d-1", "de", (Segment("agent", 0, 1, "ist es eine good time"),))
    with pytest.raises(ChecklistError, match=r"^call d-1: checklist 'm' has no 'de' phrases \(it covers ru, en\)$"):
        score_transcript(german, matching)


def test_mono_turns_count_for_either_role(checklist):
    mono = call("en", *(("unknown", text) for text in [
        "hello?", "hi, good morning, this is Ann from Acme", "oh hi", "is this a good time?"]))
    score = score_transcript(mono, checklist)
    assert verdict(score, "introduced").verdict == "pass"
    assert verdict(score, "asked_convenient").verdict == "pass"


def test_an_objection_pushed_past_is_not_handled(checklist):
    score = score_transcript(call("en", ("agent", "good morning this is kate from nova is this a good time"),
                                  ("customer", "sorry we are not interested"),
                                  ("agent", "i understand but you have to decide today the offer ends tonight"),
                                  ("customer", "no thanks")), checklist)
    v = verdict(score, "handled_objections")
    assert v.verdict == "fail" and "was met with rude at 0:06" in v.reason
    assert v.evidence[0].text == "sorry we are not interested"


EDGES = """\
id: edges
title: Edges
version: "1"
languages: [ru, en]
phrases:
  brand:        # made-up names: no dictionary knows them, so only ё/е folding makes them meet
    ru: [Тёплодар, Медвуд, Клёвер]
    en: [sunrise]
  thanks:
    ru: [спасибо]
    en: [thank you]
  refusal:      # carries its own negation
    ru: [не интересно]
    en: [not interested]
items:
  - {id: brand, title: Brand, guidance: Name it., weight: 1, scope: {speaker: any}, match: brand}
  - {id: thanks, title: Thanks, guidance: Thank., weight: 1, scope: {speaker: any}, match: thanks}
  - {id: refusal, title: Refusal, guidance: Hear it., weight: 1, scope: {speaker: any}, match: refusal}
"""


@pytest.fixture(scope="module")
def edges():
    return parse_checklist(EDGES)


@pytest.mark.parametrize("language,text,item,found", [
    # ё and е are one letter: a phrase written with ё finds text with е, and the other way round
    ("ru", "Здравствуйте, компания Теплодар", "brand", True),
    ("ru", "компания ТЁПЛОДАР, слушаю", "brand", True),
    ("ru", "это Мёдвуд, добрый день", "brand", True),
    ("ru", "магазин Клевер, здравствуйте", "brand", True),  # «клевер» is in the dictionary, «клёвер» not
    # «ни» negates like «не»: «ни спасибо, ни до свидания» is no thanks
    ("ru", "вы мне ни спасибо, ни до свидания", "thanks", False),
    ("ru", "ну спасибо, до свидания", "thanks", True),
    # a phrase with its own negation is found after another negator (double negation)
    ("ru", "Не, не интересно, спасибо", "refusal", True),
    ("ru", "нет, мне не интересно", "refusal", True),
    ("en", "no, not interested, thanks", "refusal", True),
])
def test_yo_and_negation_edge_cases(edges, language, text, item, found):
    score = score_transcript(call(language, ("customer", text)), edges)
    assert (verdict(score, item).verdict == "pass") == found, verdict(score, item).reason
