"""What a conversion reports and records, shared by every route into the store (pipeline.py for legacy
programs, program/pir.py for PaddleX PIR programs, importing.py for existing ONNX files, sources/onnx_rows.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from onnxocr.models.catalog import ModelEntry
from onnxocr.models.store import ModelStore

Log = Callable[[str], None]

CONVERTED, SKIPPED, FAILED, NOT_CONVERTIBLE = "converted", "skipped", "failed", "not convertible"


@dataclass
class Outcome:
    """What happened to one requested model (a row of the summary table)."""

    name: str
    status: str
    detail: str
    parity_max_abs: float | None = None
    extra: list[str] = field(default_factory=list)  # further store names written (e.g. the int8 variant)


# Bump when the converter's output for the same source files changes, so that `make convert` redoes models
# an older onnxocr converted. 2: PP-LCNetV3 affine blocks folded into the convolutions (optimize.py).
# 3: fixed feed shapes freed, PaddleSlim fake quant rewritten, dictionary corrections (program_rewrite.py, slim.py).
# 4: a GELU's 0.5 is no longer folded into the next convolution (it hid the GELU from onnxruntime's fusion).
CONVERSION_RECIPE = 4


def already_converted(entry: ModelEntry, store: ModelStore, source_files: dict[str, str] | None) -> str | None:
    """The recorded source when the store already holds this model converted from the same files by this recipe."""
    record = store.read_manifest().get(entry.name)
    if not record or record.get("recipe") != CONVERSION_RECIPE:
        return None
    try:
        store.verify(entry.name)
    except Exception:
        return None
    recorded = record.get("source_files") or {}
    wanted = source_files if source_files is not None else dict(entry.files)
    if wanted and all(recorded.get(k) == v for k, v in wanted.items()):
        return str(record.get("source", "?"))
    return None


@dataclass(frozen=True)
class ImportOrigin:
    """Where an imported catalog file came from, recorded instead of its local path (so `make convert`
    recognises it next time)."""

    source: str  # pypi:<requirement>:<member>
    source_sha256: str  # of the wheel
    source_files: dict[str, str]  # {member file name: sha256}, verified against the catalog's `files`


def skipped_outcome(entry: ModelEntry, store: ModelStore, source_files: dict[str, str] | None,
                    also: str | None = None) -> Outcome | None:
    """The SKIPPED outcome when the store already holds this model converted from the same files by this recipe
    (and `also`, e.g. its int8 variant, is installed too); None when it must be converted."""
    previous = already_converted(entry, store, source_files)
    if not previous or (also is not None and not store.is_installed(also)):
        return None
    return Outcome(entry.name, SKIPPED, f"already converted from {previous} (use --force to redo)",
                   store.read_manifest()[entry.name].get("parity_max_abs"))
