"""The one home of onnxocr's settings, with PaddleOCR 2.x's documented defaults.

The CLI, the Python API and the catalog all build an `OCRConfig` from these dataclasses; no other module
declares a default. Flat option names (`det_box_thresh`, `rec_batch_size`, `drop_score`) address the
nested fields: the prefix names the stage.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class DetConfig:
    """DB text detector: resize rule, normalisation and DB post-processing thresholds.

    These are PaddleOCR 2.x's values; a model whose ONNX metadata names its own (onnxocr.det.*, written by
    convert/ from its inference.yml or catalog row) gets those instead, unless the caller sets the option.
    """

    limit_side_len: int = 960
    limit_type: Literal["max", "min"] = "max"
    max_side_limit: int | None = None  # after the side rule, cap the longer side (PaddleX: 4000); None: no cap
    mean: tuple[float, float, float] = IMAGENET_MEAN  # per channel, on BGR values scaled to [0, 1]
    std: tuple[float, float, float] = IMAGENET_STD
    thresh: float = 0.3
    box_thresh: float = 0.6
    unclip_ratio: float = 1.5
    max_candidates: int = 1000
    min_size: int = 3
    score_mode: Literal["fast", "slow"] = "fast"
    use_dilation: bool = False


@dataclass(frozen=True)
class ClsConfig:
    """Text-angle classifier (0 / 180 degrees)."""

    image_shape: tuple[int, int, int] = (3, 48, 192)
    thresh: float = 0.9
    labels: tuple[str, ...] = ("0", "180")
    batch_size: int = 6


@dataclass(frozen=True)
class RecConfig:
    """CTC recogniser. `image_height` None = read from the model (32 for v2.0/PP-OCRv2, 48 for v3/v4)."""

    image_height: int | None = None
    image_width: int = 320
    batch_size: int = 6
    batch_mode: Literal["paddle", "width"] = "width"  # width: near each crop's width (fast); paddle: PaddleOCR's exact batches
    bucket_slack: float = 0.1  # "width" mode: widths in one batch stay within this fraction of the narrowest
    space_recovery: bool | None = None  # None: on for dictionaries with Latin letters
    space_min_prob: float = 0.03  # a space where the model's space class reaches this between two characters
    space_gap_ratio: float = 0.12  # models without a space class: ink-free columns >= ratio x line height make a space


@dataclass(frozen=True)
class EngineConfig:
    """onnxruntime execution: device or explicit provider list, thread counts."""

    device: str = "cpu"
    providers: tuple[str, ...] | None = None
    intra_op_threads: int | None = None  # None: onnxruntime's choice (one per physical core)
    inter_op_threads: int | None = None


@dataclass(frozen=True)
class OCRConfig:
    """Everything a pipeline run depends on besides the model files."""

    det: DetConfig = field(default_factory=DetConfig)
    cls: ClsConfig = field(default_factory=ClsConfig)
    rec: RecConfig = field(default_factory=RecConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    use_det: bool = True
    use_cls: bool = False
    drop_score: float = 0.5
    max_image_pixels: int = 178_956_970  # refuse larger images (decompression bombs); Pillow's default bound
    word_boxes: bool = False

    def replace(self, **options: Any) -> "OCRConfig":
        """Return a copy with flat options applied, e.g. `det_box_thresh=0.5, rec_batch_size=8, use_cls=True`.

        None values are ignored, so callers can pass unset CLI options straight through.
        """
        top: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {}
        for key, value in options.items():
            if value is None:
                continue
            stage, _, name = key.partition("_")
            if stage in _STAGES and name in _STAGE_FIELDS[stage]:
                nested.setdefault(stage, {})[name] = value
            elif key in _TOP_FIELDS:
                top[key] = value
            else:
                raise TypeError(f"unknown option {key!r}; known: {', '.join(sorted(option_names()))}")
        for stage, values in nested.items():
            top[stage] = dataclasses.replace(getattr(self, stage), **values)
        return dataclasses.replace(self, **top)


_STAGES = ("det", "cls", "rec", "engine")
_STAGE_FIELDS = {
    "det": {f.name for f in dataclasses.fields(DetConfig)},
    "cls": {f.name for f in dataclasses.fields(ClsConfig)},
    "rec": {f.name for f in dataclasses.fields(RecConfig)},
    "engine": {f.name for f in dataclasses.fields(EngineConfig)},
}
_TOP_FIELDS = {f.name for f in dataclasses.fields(OCRConfig)} - set(_STAGES)


def option_names() -> set[str]:
    """Every flat option name that `OCRConfig.replace` accepts."""
    names = set(_TOP_FIELDS)
    for stage, fields in _STAGE_FIELDS.items():
        names |= {f"{stage}_{name}" for name in fields}
    return names
