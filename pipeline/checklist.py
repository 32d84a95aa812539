"""Checklists: the YAML file QA leads edit, loaded into typed records with phrases compiled.

The format is documented at the top of checklists/sales_call.yaml. Loading is strict: a
checklist with a typo would otherwise score every call wrong without anyone noticing, so every
problem raises ChecklistError naming file:line:column.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, NoReturn, Union

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .classify import Model, ModelError, artefact_path, load_model
from .domain import CallError
from .lemmas import ANY, CLASSES, LANGUAGES, NAME, NAME_LANGUAGES, NEGATORS, lemmatise

GAP_WORDS = 3  # what `...` in a phrase stands for: up to this many arbitrary words
SPEAKERS = ("agent", "customer", "any")
WINDOW_KEYS = ("first_turns", "last_turns", "first_seconds", "last_seconds")
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")  # ids end up in SQL columns and report anchors
_TEXT_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool")}


class ChecklistError(CallError):
    """The checklist is wrong; the message says where (file:line:column) and what."""


@dataclass(frozen=True)
class Slot:
    forms: frozenset[str]  # a token matches if it has one of these forms (see lemmas.Token)
    gap_before: int = 0  # arbitrary words allowed before this one (`...`)


@dataclass(frozen=True)
class Pattern:
    text: str  # the phrase as written in the checklist
    slots: tuple[Slot, ...]
    at_start: bool = False  # `^`: the phrase must open the turn
    at_end: bool = False  # `$`: the phrase must close the turn
    negated: bool = False  # carries its own negation, so a negator before it is no veto


@dataclass(frozen=True)
class Classifier:
    """The learned layer beside a phrase set: a turn the concept's classifier scores at least
    `threshold` counts as a hit (see pipeline/classify.py)."""
    concept: str
    threshold: Mapping[str, float]  # by language: the checklist's, else the trained one
    speaker: str  # whose turns the concept was trained on


@dataclass(frozen=True)
class PhraseSet:
    name: str
    patterns: Mapping[str, tuple[Pattern, ...]]  # by language
    unless: tuple[str, ...] = ()  # a hit overlapping a hit of one of these sets does not count
    classifier: Classifier | None = None
    # language -> (texts it must find, texts it must not), each taken as one turn: `callqa
    # checklist test` runs them
    examples: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Ref:
    name: str  # a phrase set


@dataclass(frozen=True)
class AllOf:
    children: tuple[Match, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Match, ...]


@dataclass(frozen=True)
class Together:
    """Like AllOf, but within one turn: a promise and its time belong to the same sentence."""
    children: tuple[Match, ...]


Match = Union[Ref, AllOf, AnyOf, Together]
_NODES = {"all": AllOf, "any": AnyOf, "together": Together}


@dataclass(frozen=True)
class Window:
    """Whose turns, and which of them; at most one of the limits is set."""
    speaker: str = "agent"  # agent | customer | any; "unknown" turns count as either role
    first_turns: int | None = None
    last_turns: int | None = None
    first_seconds: float | None = None
    last_seconds: float | None = None


@dataclass(frozen=True)
class Trigger:
    window: Window
    match: Match


@dataclass(frozen=True)
class Response:
    speaker: str
    within_turns: int  # of that speaker's turns after the trigger
    match: Match
    # Once one trigger has been answered, later ones may also be answered with this
    # (a repeated refusal is respected, not pushed against).
    repeat_match: Match | None = None
    # A turn with this in it answers nothing: an objection argued with rudely or pushed past
    # is not handled, however many answer phrases the turn also holds.
    unless: Match | None = None


@dataclass(frozen=True)
class Forbidden:
    window: Window
    match: Match
    critical: bool = False  # a hit flags the whole call


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    guidance: str
    weight: float
    critical: bool = False  # any fail flags the whole call
    scope: Window = Window()
    match: Match | None = None  # plain item: pass if this is found in scope
    trigger: Trigger | None = None  # conditional item: na unless this is found
    response: Response | None = None
    forbidden: Forbidden | None = None  # found -> fail, whatever else was said; alone: a guard
    # item, which passes when its window holds speech and none of it is forbidden


@dataclass(frozen=True)
class Checklist:
    id: str
    title: str
    version: str
    languages: tuple[str, ...]
    phrases: Mapping[str, PhraseSet]
    items: tuple[Item, ...]
    source: str  # file name, for messages
    hash: str  # first 12 hex digits of the sha256 of the file (and of the model it names)
    model: Model | None = None  # the learned layer, when a phrase set names a classifier


def load_checklist(path: str | Path) -> Checklist:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ChecklistError(f"{path}: cannot read the checklist: {e.strerror or e}") from None
    return parse_checklist(data, str(path))


def parse_checklist(data: bytes | str, source: str = "<checklist>",
                    models_dir: Path | None = None) -> Checklist:
    """models_dir: where trained classifiers live; by default `models/` beside the file."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ChecklistError(f"{source}: not UTF-8 text (byte {e.start})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise ChecklistError(f"{source}:{mark.line + 1}:{mark.column + 1}: YAML syntax error: "
                             f"{e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise ChecklistError(f"{source}: YAML error: {e}") from None
    if root is None:
        raise ChecklistError(f"{source}: the checklist is empty")
    models = models_dir if models_dir is not None else Path(source).parent / "models"
    return _Reader(source).checklist(root, raw, models)


class _Reader:
    """Turns the YAML node tree into records; every error carries the node's position."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, node: Node, message: str) -> NoReturn:
        mark = node.start_mark
        place = f"{self.source}:{mark.line + 1}:{mark.column + 1}"
        raise ChecklistError(f"{place}: {message}") from None

    # --- typed scalars and containers -------------------------------------------------

    def mapping(self, node: Node, where: str, required: tuple[str, ...] = (),
                optional: tuple[str, ...] = ()) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.fail(node, f"{where} must be a mapping (key: value), not {_kind(node)}")
        out: dict[str, Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else None
            if name not in required and name not in optional:
                self.fail(key, f"{where}: unknown key {name!r}; expected one of: "
                               f"{', '.join(required + optional)}")
            if name in out:
                self.fail(key, f"{where}: key {name!r} is given twice")
            out[name] = value
        missing = [k for k in required if k not in out]
        if missing:
            self.fail(node, f"{where}: missing required key {missing[0]!r}")
        return out

    def sequence(self, node: Node, where: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(node, f"{where} must be a list, not {_kind(node)}")
        if not node.value:
            self.fail(node, f"{where} is an empty list")
        return node.value

    def text(self, node: Node, where: str) -> str:
        # The raw scalar text: a phrase "no" or a version 2 is meant as text, not a bool or int.
        if not isinstance(node, ScalarNode) or node.tag not in _TEXT_TAGS:
            self.fail(node, f"{where} must be text, not {_kind(node)}")
        if not node.value.strip():
            self.fail(node, f"{where} is empty")
        return node.value.strip()

    def name(self, node: Node, where: str) -> str:
        value = self.text(node, where)
        if not _NAME.match(value):
            self.fail(node, f"{where} {value!r} must be lower-case letters, digits and _")
        return value

    def number(self, node: Node, where: str, integer: bool = False) -> float:
        tags = ("int",) if integer else ("int", "float")
        if not isinstance(node, ScalarNode) or node.tag.rsplit(":", 1)[-1] not in tags:
            self.fail(node, f"{where} must be {'a whole number' if integer else 'a number'}, "
                            f"not {_kind(node)}")
        value = yaml.safe_load(node.value)
        if value <= 0:
            self.fail(node, f"{where} must be greater than 0")
        return value

    def flag(self, node: Node, where: str) -> bool:
        if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
            self.fail(node, f"{where} must be true or false, not {_kind(node)}")
        return yaml.safe_load(node.value)

    # --- the checklist ----------------------------------------------------------------

    def checklist(self, root: Node, raw: bytes, models_dir: Path) -> Checklist:
        top = self.mapping(root, "checklist",
                           required=("id", "title", "version", "languages", "phrases", "items"))
        languages: dict[str, None] = {}  # in order, without repeats
        for node in self.sequence(top["languages"], "languages"):
            lang = self.text(node, "languages")
            if lang not in LANGUAGES:
                self.fail(node, f"language {lang!r} is not supported; use {', '.join(LANGUAGES)}")
            languages[lang] = None
        checklist_id = self.name(top["id"], "id")
        phrases, model = self.phrase_sets(top["phrases"], tuple(languages),
                                          artefact_path(models_dir, checklist_id))
        items: list[Item] = []
        for i, node in enumerate(self.sequence(top["items"], "items")):
            item = self.item(node, f"items[{i}]", phrases)
            if any(item.id == seen.id for seen in items):
                self.fail(node, f"items[{i}]: duplicate item id {item.id!r}")
            items.append(item)
        # Scores from another model version are other results: its version is in the hash.
        digest = hashlib.sha256(raw + (model.version.encode() if model else b"")).hexdigest()
        return Checklist(
            id=checklist_id, title=self.text(top["title"], "title"),
            version=self.text(top["version"], "version"), languages=tuple(languages),
            phrases=MappingProxyType(phrases), items=tuple(items), source=self.source,
            hash=digest[:12], model=model)

    def phrase_sets(self, node: Node, languages: tuple[str, ...],
                    artefact: Path) -> tuple[dict[str, PhraseSet], Model | None]:
        if not isinstance(node, MappingNode) or not node.value:
            self.fail(node, f"phrases must be a mapping of named phrase sets, not {_kind(node)}")
        specs: dict[str, dict[str, Node]] = {}
        for key, value in node.value:
            name = self.name(key, "phrase set name")
            if name in specs:
                self.fail(key, f"phrase set {name!r} is defined twice")
            specs[name] = self.mapping(value, f"phrase set {name!r}", required=languages,
                                       optional=("unless", "classifier", "examples"))
        unless: dict[str, tuple[str, ...]] = {}
        for name, fields in specs.items():
            where = f"phrase set {name!r}: unless"
            refs = []
            for ref_node in self.sequence(fields["unless"], where) if "unless" in fields else ():
                ref = self.name(ref_node, where)
                if ref not in specs or ref == name:
                    self.fail(ref_node, f"phrase set {name!r}: unless {ref!r} is not another "
                                        f"phrase set defined under phrases")
                refs.append(ref)
            unless[name] = tuple(refs)
        patterns = {lang: self.compile(lang, [
            (name, n) for name, fields in specs.items()
            for n in self.sequence(fields[lang], f"phrase set {name!r}: {lang}")])
            for lang in languages}
        named = {name: fields["classifier"] for name, fields in specs.items()
                 if "classifier" in fields}
        model = None
        if named:  # only now: loading the model is the expensive part
            try:
                model = load_model(artefact)
            except ModelError as e:
                self.fail(next(iter(named.values())), f"classifier: {e}")
        classifiers = {name: self.classifier(n, f"phrase set {name!r}: classifier", model,
                                             languages) for name, n in named.items()}
        return {name: PhraseSet(name, MappingProxyType({lang: patterns[lang][name]
                                                        for lang in languages}), unless[name],
                                classifiers.get(name),
                                self.examples(specs[name], f"phrase set {name!r}: examples",
                                              languages))
                for name in specs}, model

    def examples(self, fields: dict[str, Node], where: str,
                 languages: tuple[str, ...]) -> Mapping[str, tuple[tuple[str, ...], ...]]:
        if "examples" not in fields:
            return MappingProxyType({})
        out = {}
        for lang, node in self.mapping(fields["examples"], where, optional=languages).items():
            kinds = self.mapping(node, f"{where}.{lang}", optional=("yes", "no"))
            out[lang] = tuple(tuple(self.text(n, f"{where}.{lang}.{kind}")
                                    for n in self.sequence(kinds[kind], f"{where}.{lang}.{kind}"))
                              if kind in kinds else () for kind in ("yes", "no"))
        return MappingProxyType(out)

    def classifier(self, node: Node, where: str, model: Model,
                   languages: tuple[str, ...]) -> Classifier:
        f = self.mapping(node, where, required=("concept",), optional=("threshold",))
        concept = self.name(f["concept"], f"{where}.concept")
        if concept not in model.names():
            self.fail(f["concept"], f"{where}: unknown concept {concept!r}; {model.source} has "
                                    f"{', '.join(model.names())}")
        missing = [lang for lang in languages if (concept, lang) not in model.concepts]
        if missing:
            self.fail(f["concept"], f"{where}: {model.source} has no {missing[0]!r} classifier "
                                    f"for {concept!r}; add checklists/corpus/{missing[0]}/"
                                    f"{concept}.yaml and run `callqa train`")
        threshold = None
        if "threshold" in f:
            threshold = self.number(f["threshold"], f"{where}.threshold")
            if threshold >= 1:
                self.fail(f["threshold"], f"{where}.threshold must be below 1")
        return Classifier(concept, MappingProxyType({
            lang: threshold if threshold is not None else model.concepts[concept, lang].threshold
            for lang in languages}), model.concepts[concept, languages[0]].speaker)

    def compile(self, lang: str, phrases: list[tuple[str, Node]]) -> dict[str, tuple[Pattern, ...]]:
        """All phrases of one language, lemmatised in one batch; grouped by phrase set."""
        parsed = []
        for set_name, node in phrases:
            where = f"phrase set {set_name!r}: {lang}"
            try:
                split = _split_phrase(self.text(node, f"{where}: a phrase"))
                if lang not in NAME_LANGUAGES and any(NAME in alts for _, alts in split[2]):
                    raise ValueError(f"{NAME} (a first name) is known only in "
                                     f"{', '.join(NAME_LANGUAGES)}, so it would never match")
                parsed.append((set_name, node, where, split))
            except ValueError as e:
                self.fail(node, f"{where}: phrase {node.value!r}: {e}")
        texts = sorted({t for *_, (_, _, positions) in parsed for t in _texts(positions)})
        tokens = dict(zip(texts, lemmatise(texts, lang)))
        out: dict[str, list[Pattern]] = {name: [] for name, *_ in phrases}
        for set_name, node, where, (at_start, at_end, positions) in parsed:
            try:
                slots = _slots(positions, tokens)
            except ValueError as e:
                self.fail(node, f"{where}: phrase {node.value!r}: {e}")
            negated = any(s.forms & NEGATORS[lang] for s in slots)
            out[set_name].append(Pattern(node.value.strip(), slots, at_start, at_end, negated))
        return {name: tuple(p) for name, p in out.items()}

    def match(self, node: Node, where: str, phrases: Mapping[str, PhraseSet]) -> Match:
        if isinstance(node, ScalarNode):
            name = self.name(node, where)
            if name not in phrases:
                self.fail(node, f"{where}: phrase set {name!r} is not defined under phrases")
            return Ref(name)
        if isinstance(node, MappingNode):
            fields = self.mapping(node, where, optional=tuple(_NODES))
            if len(fields) != 1:
                self.fail(node, f"{where}: give exactly one of {', '.join(_NODES)}")
            (key, value), = fields.items()
            return _NODES[key](tuple(self.match(n, f"{where}.{key}[{i}]", phrases)
                                     for i, n in enumerate(self.sequence(value, f"{where}.{key}"))))
        self.fail(node, f"{where} must be a phrase set name or {{all|any|together: [...]}}, "
                        f"not {_kind(node)}")

    def window(self, fields: dict[str, Node], where: str, default: Window) -> Window:
        limits = [k for k in WINDOW_KEYS if k in fields]
        if len(limits) > 1:
            self.fail(fields[limits[1]], f"{where}: use only one of {', '.join(WINDOW_KEYS)}")
        speaker = (self.text(fields["speaker"], f"{where}.speaker") if "speaker" in fields
                   else default.speaker)
        if speaker not in SPEAKERS:
            self.fail(fields["speaker"], f"{where}.speaker must be one of {', '.join(SPEAKERS)}")
        if not limits:
            return Window(speaker) if "speaker" in fields else default
        key = limits[0]
        value = self.number(fields[key], f"{where}.{key}", integer=key.endswith("turns"))
        return Window(speaker, **{key: value})

    def item(self, node: Node, where: str, phrases: Mapping[str, PhraseSet]) -> Item:
        f = self.mapping(node, where, required=("id", "title", "guidance", "weight"),
                         optional=("critical", "scope", "match", "trigger", "response",
                                   "forbidden"))
        item_id = self.name(f["id"], f"{where}.id")
        where = f"item {item_id!r}"
        if "match" in f and "trigger" in f or not {"match", "trigger", "forbidden"} & set(f):
            self.fail(node, f"{where}: give either 'match' (plain item), 'trigger' with "
                            f"'response' (conditional item), or only 'forbidden' (guard item)")
        if ("trigger" in f) != ("response" in f):
            self.fail(node, f"{where}: 'trigger' and 'response' go together")
        if "trigger" in f and "scope" in f:
            self.fail(f["scope"], f"{where}: a conditional item has no 'scope'; "
                                  f"put speaker and limits into 'trigger'")
        window_keys = ("speaker",) + WINDOW_KEYS
        scope = self.window(self.mapping(f["scope"], f"{where}.scope", optional=window_keys),
                            f"{where}.scope", Window()) if "scope" in f else Window()
        trigger = response = forbidden = None
        if "trigger" in f:
            t = self.mapping(f["trigger"], f"{where}.trigger", required=("match",),
                             optional=window_keys)
            trigger = Trigger(self.window(t, f"{where}.trigger", Window("customer")),
                              self.match(t["match"], f"{where}.trigger.match", phrases))
            r = self.mapping(f["response"], f"{where}.response",
                             required=("within_turns", "match"),
                             optional=("speaker", "repeat_match", "unless"))
            response = Response(
                self.window(r, f"{where}.response", Window()).speaker,
                int(self.number(r["within_turns"], f"{where}.response.within_turns", integer=True)),
                self.match(r["match"], f"{where}.response.match", phrases),
                self.match(r["repeat_match"], f"{where}.response.repeat_match", phrases)
                if "repeat_match" in r else None,
                self.match(r["unless"], f"{where}.response.unless", phrases) if "unless" in r else None)
        if "forbidden" in f:
            b = self.mapping(f["forbidden"], f"{where}.forbidden", required=("match",),
                             optional=("critical",) + window_keys)
            forbidden = Forbidden(self.window(b, f"{where}.forbidden", scope),
                                  self.match(b["match"], f"{where}.forbidden.match", phrases),
                                  self.flag(b["critical"], f"{where}.forbidden.critical")
                                  if "critical" in b else False)
        return Item(
            id=item_id, title=self.text(f["title"], f"{where}.title"),
            guidance=self.text(f["guidance"], f"{where}.guidance"),
            weight=self.number(f["weight"], f"{where}.weight"),
            critical=self.flag(f["critical"], f"{where}.critical") if "critical" in f else False,
            scope=scope,
            match=self.match(f["match"], f"{where}.match", phrases) if "match" in f else None,
            trigger=trigger, response=response, forbidden=forbidden)


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == "tag:yaml.org,2002:null":
        return "empty"
    return repr(node.value)


# --- phrase syntax ----------------------------------------------------------------------
# A position is (gap_before, alternatives): "a|b" gives two alternatives for one word; a
# plain word is one alternative that may lemmatise to several tokens ("don't" -> do n't).

Position = tuple[bool, tuple[str, ...]]


def _split_phrase(text: str) -> tuple[bool, bool, list[Position]]:
    """(at_start, at_end, positions) of a phrase; ValueError says what is wrong."""
    words = re.sub(r"\.\.\.|…", " ... ", text).split()
    at_start = bool(words) and words[0] == "^"
    at_end = len(words) > at_start and words[-1] == "$"
    words = words[at_start:len(words) - at_end]
    positions: list[Position] = []
    gap = False
    for word in words:
        if word == "...":
            if gap or not positions:
                raise ValueError("'...' must stand between two words")
            gap = True
        elif word in ("^", "$"):
            raise ValueError("'^' may only open a phrase and '$' only close it")
        else:
            alternatives = tuple(word.split("|"))
            if "" in alternatives:
                raise ValueError(f"{word!r} has an empty alternative")
            positions.append((gap, alternatives))
            gap = False
    if gap:
        raise ValueError("'...' must stand between two words, not at the end")
    if not positions:
        raise ValueError("the phrase has no words")
    return at_start, at_end, positions


def _texts(positions: list[Position]) -> list[str]:
    """Everything in a phrase that needs lemmatising; `#`, `@name` and `@any` need none."""
    return [alt for _, alts in positions for alt in alts if alt not in CLASSES]


def _slots(positions: list[Position], tokens: Mapping[str, tuple]) -> tuple[Slot, ...]:
    slots: list[Slot] = []
    pending_gap = 0
    for gap, alternatives in positions:
        gap_before = GAP_WORDS if gap else pending_gap
        if len(alternatives) == 1 and alternatives[0] not in CLASSES:
            words = tokens[alternatives[0]]
            if not words:  # punctuation or a filler: transcripts drop it too
                pending_gap = gap_before
                continue
            # A phrase word is itself, not "any word": its tokens carry ANY like every token.
            slots.extend(Slot(w.forms - {ANY}, gap_before if j == 0 else 0) for j, w in enumerate(words))
        else:
            forms: set[str] = set()
            for alt in alternatives:
                if alt in CLASSES:
                    forms.add(alt)
                    continue
                if not tokens[alt]:
                    raise ValueError(f"alternative {alt!r} is punctuation or a filler word "
                                     f"and can never match")
                if len(tokens[alt]) > 1:
                    raise ValueError(f"alternative {alt!r} must be one word, not "
                                     f"{len(tokens[alt])}; write a separate phrase instead")
                forms |= tokens[alt][0].forms - {ANY}
            slots.append(Slot(frozenset(forms), gap_before))
        pending_gap = 0
    if not slots:
        raise ValueError("nothing left to match once punctuation and filler words are dropped")
    return tuple(slots)
