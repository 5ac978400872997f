"""ONNX metadata_props that make a converted model self-describing (keys: docs/catalog-schema.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from onnxocr.models.catalog import ModelEntry


def build_metadata(
    entry: ModelEntry,
    *,
    input_shape: tuple[int, ...],
    characters: tuple[str, ...] | None,
    source: str,
    source_sha256: str | None,
    converter: str,
    parity_max_abs: float | None,
    graph_passes: str = "",
) -> dict[str, str]:
    """The metadata_props for one converted model; `character` only for recognisers."""
    props = {
        "onnxocr.name": entry.name,
        "onnxocr.task": entry.task,
        "onnxocr.arch_version": entry.arch_version,
        "onnxocr.input_shape": ",".join(str(d) for d in input_shape),
        "onnxocr.languages": ",".join(entry.languages),
        "onnxocr.source": source,
        "onnxocr.source_sha256": source_sha256 or "",
        "onnxocr.converter": converter,
        "onnxocr.parity_max_abs": "" if parity_max_abs is None else f"{parity_max_abs:.3e}",
        "onnxocr.graph_passes": graph_passes,
    }
    props.update(preprocess_metadata(entry.task, entry.preprocess))
    if entry.task == "rec":
        props["character"] = "\n".join(characters or ())
        props["onnxocr.use_space_char"] = "true" if entry.use_space_char else "false"
        props["onnxocr.dictionary"] = entry.dictionary or ""
    return props


def preprocess_metadata(task: str, preprocess: Mapping[str, object]) -> dict[str, str]:
    """`onnxocr.det.*` / `onnxocr.rec.image_shape` keys (read back by onnxocr/core/metadata.py) for a model's
    preprocessing facts: from its inference.yml, else its catalog row."""
    props = {}
    for key, value in preprocess.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            text = ",".join(str(v) for v in value)
        else:
            text = str(value)
        props[f"onnxocr.{task}.{key}"] = text
    return props


def embed_metadata(onnx_path: Path, props: Mapping[str, str]) -> None:
    """Replace the model's metadata_props with `props` (other keys kept), re-check and save in place."""
    import onnx

    model = onnx.load(str(onnx_path))
    existing = {p.key: p.value for p in model.metadata_props}
    existing.update(props)
    del model.metadata_props[:]
    for key, value in existing.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))


def read_metadata(onnx_path: Path) -> dict[str, str]:
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}
