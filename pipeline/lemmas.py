"""Words of a transcript as the checklist matcher sees them: normalised, filler-free, lemmatised.

Speech-to-text output has no reliable case or punctuation and is full of hesitations, so text
is lower-cased, punctuation dropped and fillers skipped before lemmatising. Each token carries
the set of its forms (surface form plus every dictionary lemma): a blank spaCy pipeline has no
part-of-speech tags, so pymorphy3 leaves ambiguous words as they are («пару» stays «пару» while
«пара» stays «пара»); matching on intersecting sets lets any inflection meet any other.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from .domain import Transcript
from .redact import MARK

# spaCy imports thinc, and thinc imports torch whenever it is installed (1.2 s, most of the start
# of `callqa score`) only to offer PyTorch layers, which blank pipelines with lookup lemmatisers
# never use. So thinc is imported with torch hidden, unless torch is loaded already; torch itself
# stays importable for Whisper afterwards.
if "torch" in sys.modules or "thinc" in sys.modules:
    import spacy
else:
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` fail fast
    try:
        import spacy
    finally:
        del sys.modules["torch"]

LANGUAGES = ("ru", "en")
NUMBER = "#"  # an extra form of every number ("11", "15th"), so a phrase can say "any number"
# An extra form of a word read as a first name at least half the time («Ольга», «Артём»: pymorphy3's
# Name tag), so a phrase can say "any first name". Russian only: English has no such dictionary.
NAME = "@name"
NAME_LANGUAGES = ("ru",)
ANY = "@any"  # a form of every word: a phrase can require a word there, whatever it is
CLASSES = (NUMBER, NAME, ANY)  # phrase words that stand for a class of words, not a lemma
_NUMERAL = re.compile(r"\d+(?:st|nd|rd|th)?")

# Hesitations Whisper writes out; dropped so they neither break a phrase nor fill a `...` gap.
FILLERS = {
    "ru": ("ну", "э", "ээ", "эээ", "эм", "эмм", "м", "мм", "ммм", "хм", "как бы", "типа"),
    "en": ("uh", "um", "umm", "uhm", "er", "erm", "ah", "hmm", "mm", "like"),
}
# A negator right before a phrase cancels it («не удобно», "not a good time"); articles and
# intensifiers in between do not stop it («не очень удобно», "not a good time" for "good time").
NEGATORS = {"ru": frozenset({"не", "ни"}), "en": frozenset({"not", "no", "never"})}
_NEGATION_SKIPS = {"ru": frozenset({"очень", "совсем", "особо", "слишком", "так"}),
                   "en": frozenset({"a", "an", "the", "really", "very", "so", "too", "that"})}

# Whisper sometimes drops the apostrophe ("dont", "thats"); spaCy still splits those off, and
# these give both spellings the same forms ("'s" also reads as "is").
_EN_CLITICS = {
    "nt": ("n't", "not"), "n't": ("n't", "not"),
    "s": ("'s", "be"), "'s": ("'s", "be"),
    "m": ("'m", "be"), "'m": ("'m", "be"),
    "re": ("'re", "be"), "'re": ("'re", "be"),
    "ve": ("'ve", "have"), "ll": ("'ll", "will"), "d": ("'d", "would"),
}
_PUNCTUATION = re.compile(r"[^\w']+|_|(?<!\w)'|'(?!\w)")


@dataclass(frozen=True)
class Token:
    text: str
    forms: frozenset[str]  # the surface form and every lemma; two tokens match if these meet


@lru_cache(maxsize=None)
def pipeline(language: str) -> spacy.Language:
    """The spaCy pipeline for a language, built once per process."""
    if language == "ru":
        nlp = spacy.blank("ru")  # tokens only: _ru_forms lemmatises, one pymorphy3 parse per word
    elif language == "en":
        nlp = spacy.blank("en")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    else:
        raise ValueError(f"no lemmatiser for {language!r}; supported: {', '.join(LANGUAGES)}")
    nlp.initialize()
    return nlp


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3
    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=65536)
def _ru_forms(word: str) -> frozenset[str]:
    """The word, the lemma spaCy's pymorphy3 lemmatiser gives it without a part of speech (the
    normal form all readings share, else the word itself), and the lemma of every known reading."""
    parses = _morph().parse(word)
    normal_forms = {p.normal_form for p in parses}
    lemma = next(iter(normal_forms)) if len(normal_forms) == 1 else word
    # Skipped readings: abbreviations would make «к» match «как», comparatives «короче»
    # match «коротко».
    known = {p.normal_form for p in parses
             if p.is_known and not ({"Abbr", "Init", "COMP"} & p.tag.grammemes)}
    forms = {word, ANY, *(f.replace("ё", "е") for f in (lemma, *known))}
    if _NUMERAL.fullmatch(word):
        forms.add(NUMBER)
    if sum(p.score for p in parses if "Name" in p.tag.grammemes) >= 0.5:  # «вера» is faith first
        forms.add(NAME)
    return frozenset(forms)


def normalise(text: str) -> str:
    """Lower case, ё as е, typographic apostrophes unified, punctuation and hyphens as spaces;
    redaction marks ([phone], pipeline/redact.py) are no words."""
    text = MARK.sub(" ", text).lower().replace("ё", "е").replace("’", "'").replace("ʼ", "'")
    return " ".join(_PUNCTUATION.sub(" ", text).split())


_FILLER_WORDS = {lang: tuple(tuple(f.split()) for f in fillers) for lang, fillers in FILLERS.items()}


def _without_fillers(doc: spacy.tokens.Doc, language: str) -> list[spacy.tokens.Token]:
    words = [t.text for t in doc]  # compared as plain strings: slicing a Doc is slow
    kept, i = [], 0
    while i < len(words):
        size = next((len(f) for f in _FILLER_WORDS[language] if tuple(words[i:i + len(f)]) == f), 0)
        if size:
            i += size
        else:
            kept.append(doc[i])
            i += 1
    return kept


def _forms(token: spacy.tokens.Token, language: str) -> frozenset[str]:
    if language == "ru":
        return _ru_forms(token.text)
    forms = {token.text, ANY, token.lemma_.replace("ё", "е")}
    if _NUMERAL.fullmatch(token.text):
        forms.add(NUMBER)
    if token.text in _EN_CLITICS and token.i > 0 and not token.doc[token.i - 1].whitespace_:
        forms.update(_EN_CLITICS[token.text])
    return frozenset(forms)


def lemmatise(texts: Iterable[str], language: str) -> list[tuple[Token, ...]]:
    """Tokens of each text, in one batched `nlp.pipe` pass."""
    docs = pipeline(language).pipe(normalise(t) for t in texts)
    return [tuple(Token(t.text, _forms(t, language)) for t in _without_fillers(doc, language))
            for doc in docs]


def negated_at(tokens: Sequence[Token], start: int, language: str) -> bool:
    """Whether a negator stands right before tokens[start] (skipping articles, intensifiers)."""
    i = start - 1
    while i >= 0 and tokens[i].text in _NEGATION_SKIPS[language]:
        i -= 1
    return i >= 0 and bool(tokens[i].forms & NEGATORS[language])


# Whisper labels Russian telephone speech as Ukrainian or Belarusian at times; such text is Russian.
_READ_AS = {"uk": "ru", "be": "ru"}
_UNDECLARED = ("", "auto", "unknown")  # no language given (or none detected): read it from the script


def transcript_language(transcript: Transcript) -> str:
    """The transcript's own language ("ru-RU" counts as "ru"), or by script when it has none.
    A declared language is kept even if unsupported ("de"), so scoring refuses it by name
    instead of reading German as English."""
    declared = transcript.language.lower().replace("_", "-").split("-")[0]
    if declared not in _UNDECLARED:
        return _READ_AS.get(declared, declared)
    letters = [c for s in transcript.segments for c in s.text if c.isalpha()]
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in letters)
    return "ru" if letters and cyrillic * 2 >= len(letters) else "en"

