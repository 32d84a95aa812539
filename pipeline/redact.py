"""Personal data out of transcripts: phone numbers, card numbers and e-mail addresses become
[phone], [card] and [email], written as digits or spoken as words, in Russian and English
(«восемь девятьсот шестнадцать…», "four one five…").

A pure function over one segment's text. The transcription pass applies it before a transcript
is stored (config `redact`), so evidence quotes, reports and published copies never hold the
numbers; the PBX's own metadata (calls.customer_phone) stays in the working database.
"""
from __future__ import annotations

import re

MARKS = ("[phone]", "[card]", "[email]")
MARK = re.compile(r"\[(?:phone|card|email)\]")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Digits with the separators people and recognisers put between groups; no ':' (times).
_DIGITS = re.compile(r"(?<![\w:])\+?\d[\d \-().]*\d(?![\w:])")
_LOCAL = re.compile(r"^\d{3}[ -]\d{2}[ -]?\d{2}$")  # 555-12-34, 555-1234, 555 1234: a local number
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{2}\.\d{2}\.\d{2,4}$")

# Spoken digits: each word's share of a digit string ("девятьсот шестнадцать" = 916, 3 digits).
_UNITS = {
    "ru": "ноль нуль один одна два две три четыре пять шесть семь восемь девять",
    "en": "zero oh o one two three four five six seven eight nine",
}
_TEENS = {
    "ru": "десять одиннадцать двенадцать тринадцать четырнадцать пятнадцать шестнадцать "
          "семнадцать восемнадцать девятнадцать",
    "en": "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen",
}
_TENS = {
    "ru": "двадцать тридцать сорок пятьдесят шестьдесят семьдесят восемьдесят девяносто",
    "en": "twenty thirty forty fifty sixty seventy eighty ninety",
}
_HUNDREDS = {"ru": "сто двести триста четыреста пятьсот шестьсот семьсот восемьсот девятьсот",
             "en": ""}
_WORD = {}
for _lang in ("ru", "en"):
    for _kind, _words in (("unit", _UNITS), ("teen", _TEENS), ("ten", _TENS), ("hundred", _HUNDREDS)):
        _WORD.update(dict.fromkeys(_words[_lang].split(), _kind))
_GLUE = {"плюс", "plus", "hundred", "и", "and", "-", "—"}  # inside a number
_REPEAT = {"double": 2, "triple": 3}  # "double five": 55
PHONE_DIGITS = 7  # spoken or written, a run this long is a phone number ...
CARD_DIGITS = 13  # ... and this long a card number (cards have 13-19)


def redact(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _spoken(text)  # first: a spoken run may hold written groups («восемь 916 123 45 67»)
    return _DIGITS.sub(_written, text)


def _written(m: re.Match) -> str:
    raw = m.group(0).strip(" -().")
    digits = sum(c.isdigit() for c in raw)
    if _DATE.match(raw):
        return m.group(0)
    kind = _kind(digits) if digits >= 10 or _LOCAL.match(raw) else None
    return m.group(0) if kind is None else m.group(0).replace(raw, f"[{kind}]")


def _kind(digits: int) -> str | None:
    return "card" if CARD_DIGITS <= digits <= 19 else "phone" if digits >= PHONE_DIGITS else None


_TOKEN = re.compile(r"\[\w+\]|\w+|[^\w\s]")


def _spoken(text: str) -> str:
    """Runs of number words (and digits among them) long enough to be a phone or a card."""
    tokens = list(_TOKEN.finditer(text))
    out, last, i = [], 0, 0
    while i < len(tokens):
        j, digits, prev, repeat = i, 0, None, 1
        while j < len(tokens):
            word = tokens[j].group(0).lower().replace("ё", "е")
            kind = _WORD.get(word)
            if word.isdigit():
                digits += len(word)
                prev = "unit"
            elif word in _REPEAT:
                repeat = _REPEAT[word]
            elif kind == "unit":
                digits += 0 if prev == "ten" else repeat  # «двадцать пять»: one pair of digits
                prev, repeat = "unit", 1
            elif kind in ("teen", "ten"):
                digits += 0 if prev == "hundred" else 2
                prev = kind
            elif kind == "hundred":
                digits += 3
                prev = "hundred"
            elif word in _GLUE and (j > i or word in ("плюс", "plus")):  # "plus seven …" opens one
                if word == "hundred" and prev == "unit":
                    digits += 2  # "five hundred": 500
                    prev = "hundred"
            else:
                break
            j += 1
        while j > i and tokens[j - 1].group(0).lower() in _GLUE:
            j -= 1  # a run ends on a number, not on "and"
        # Written digits alone are _written's; here a run needs a number said as a word.
        spoken = any(_WORD.get(tokens[k].group(0).lower().replace("ё", "е")) for k in range(i, j))
        kind = _kind(digits) if spoken else None
        if kind and j - i >= 2:
            out.append(text[last:tokens[i].start()])
            out.append(f"[{kind}]")
            last = tokens[j - 1].end()
            i = j
        else:
            i = max(j, i + 1)
    out.append(text[last:])
    return "".join(out)
