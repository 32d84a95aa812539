"""Personal data: phone and card numbers and e-mail addresses, written or spoken, in Russian and
English, are out of stored transcripts, evidence, reports and the published copy."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline.config import Config
from pipeline.domain import CallMeta, CallResult, Manager, Recording, Segment, Transcript
from pipeline.process import redacted
from pipeline.redact import redact
from pipeline.report import render_reports
from pipeline.score import score_transcript
from pipeline.checklist import load_checklist
from pipeline.publish import publish
from pipeline.store import Store


@pytest.mark.parametrize("text,expected", [
    ("мой номер восемь девятьсот шестнадцать пятьсот двенадцать тридцать четыре пятьдесят шесть спасибо",
     "мой номер [phone] спасибо"),
    ("запишите плюс семь девять один шесть один два три четыре пять шесть семь", "запишите [phone]"),
    ("восемь 916 123 45 67, это мобильный", "[phone], это мобильный"),
    ("звоните на +7 (916) 123-45-67", "звоните на [phone]"),
    ("my number is four one five five five five one two three four", "my number is [phone]"),
    ("it's double five five one two three four five six", "it's [phone]"),
    ("call me on 415-555-1234 or 555-1234", "call me on [phone] or [phone]"),
    ("the card is 4111 1111 1111 1111, expiry next year", "the card is [card], expiry next year"),
    ("карта четыре один один один один один один один один один один один один один один один",
     "карта [card]"),
    ("пишите на anna.petrova@example.com", "пишите на [email]"),
    ("send it to j.smith+calls@mail.co.uk please", "send it to [email] please"),
])
def test_numbers_and_addresses_are_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "перезвоню в четверг в 11:30",
    "в девятнадцать тридцать",
    "стоит двадцать пять тысяч рублей",
    "it costs 12 500 000 rubles",
    "the meeting is on 2026-11-20 at 10:15",
    "номер заказа 77-302",
    "a double room for two nights",
    "one or two things",
    "оформим за пять минут, доставка два три дня",
])
def test_times_amounts_dates_and_short_numbers_stay(text):
    assert redact(text) == text


def test_the_transcription_pass_redacts_unless_told_not_to():
    segments = (Segment("customer", 0, 3, "пишите на anna@example.com"),)
    assert redacted(segments, Config())[0].text == "пишите на [email]"
    assert redacted(segments, Config(redact=False)) == segments


def test_a_redaction_mark_is_no_word_for_the_checklist():
    checklist = load_checklist(Path(__file__).parent.parent / "checklists" / "sales_call.yaml")
    plain = Transcript("a", "en", (Segment("agent", 0, 2, "Thank you, goodbye"),))
    marked = Transcript("a", "en", (Segment("agent", 0, 2, "Thank you [phone], goodbye"),))
    assert [i.verdict for i in score_transcript(plain, checklist).items] == \
        [i.verdict for i in score_transcript(marked, checklist).items]


def test_reports_and_the_published_copy_show_the_customer_number_masked(tmp_path: Path):
    db = tmp_path / "qa.duckdb"
    phone = "79161234567"
    rec = Recording(Path(f"/srv/inbox/out-{phone}-101-20261120-101500-1.wav"), "a" * 64, 1,
                    CallMeta("c1", manager_id="101", customer_phone=phone))
    with Store(db) as store:
        store.upsert_managers([Manager("101", "Anna")])
        store.write_call(CallResult(rec, "ok", transcript=Transcript(
            "c1", "ru", (Segment("customer", 0, 2, redact("мой номер 8 916 123 45 67")),))), "r1")
        assert store.query("SELECT customer_phone FROM calls")[0]["customer_phone"] == phone  # the PBX's own
    render_reports(db, tmp_path / "out")
    page = (tmp_path / "out" / "calls" / "c1.html").read_text()
    assert phone not in page and "out-…4567-101-20261120-101500-1.wav" in page and "[phone]" in page
    published = publish(db)
    with duckdb.connect(str(published), read_only=True) as con:
        row = con.execute("SELECT customer_phone, file_name, path FROM calls").fetchone()
        texts = con.execute("SELECT string_agg(text, ' ') FROM segments").fetchone()[0]
    assert row == ("…4567", "out-…4567-101-20261120-101500-1.wav",
                   "/srv/inbox/out-…4567-101-20261120-101500-1.wav")
    assert "916" not in texts
    raw = publish(db, mask=False)
    with duckdb.connect(str(raw), read_only=True) as con:
        assert con.execute("SELECT customer_phone FROM calls").fetchone() == (phone,)
