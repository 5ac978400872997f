"""The one home of onnxocr's settings, with PaddleOCR 2.x's documented defaults.

The CLI, the Python API and the catalog all build an `OCRConfig` from these dataclasses; no other module
declares a default. Flat option names (`det_box_thresh`, `rec_batch_size`, `drop_score`) address the
nested fields: the prefix names the stage.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, field
from typing import Any, Literal

from onnxocr.errors import OptionError

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
    max_side_limit: int = 4000  # neither side of the detector input exceeds this (PaddleOCR 3.x), whatever limit_type
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
    batch_size: int | None = None  # None: 1 on CPU in "width" mode (fastest and cheapest measured), else 6 (PaddleOCR)
    batch_mode: Literal["paddle", "width"] = "width"  # width: near each crop's width (fast); paddle: PaddleOCR's exact batches
    bucket_slack: float = 0.1  # "width" mode: widths in one batch stay within this fraction of the narrowest
    max_width: int = 6400  # widest recogniser input (px at model height); longer lines are cut into pieces
    batch_max_pixels: int = 1_000_000  # a batch holds at most this many input pixels (N x H x W); split beyond
    workers: int | None = None  # batches run at once, each on one onnxruntime thread; None: the CPU thread count (1 on GPU)
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
    provider_options: dict[str, dict[str, Any]] | None = None  # per provider name, over onnxocr's own defaults
    session_options: Any = None  # an onnxruntime.SessionOptions used as given (threads= still applies)
    shared_thread_pool: bool = False  # one process-wide intra-op pool for every session (see engine.py)


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
    layout: bool = True  # blocks, paragraphs and column-aware reading order (core/layout.py); False: lines in rows

    def __post_init__(self) -> None:
        check_options(self)

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


# -- value checks: every option's type and allowed values, checked when an OCRConfig is built -----------------
# kind: "int" / "float" (numbers, not bool), "bool", "choice" (allowed values), "str_tuple"; range (low, high)
# inclusive, None = open; optional: None allowed.
_RULES: dict[str, tuple[str, Any, bool]] = {
    "det_limit_side_len": ("int", (1, None), False),
    "det_limit_type": ("choice", ("max", "min"), False),
    "det_max_side_limit": ("int", (32, None), False),
    "det_mean": ("triple", (0.0, 1.0), False),
    "det_std": ("triple", (1e-6, None), False),
    "det_thresh": ("float", (0.0, 1.0), False),
    "det_box_thresh": ("float", (0.0, 1.0), False),
    "det_unclip_ratio": ("float", (0.0, None), False),
    "det_max_candidates": ("int", (1, None), False),
    "det_min_size": ("float", (0.0, None), False),
    "det_score_mode": ("choice", ("fast", "slow"), False),
    "det_use_dilation": ("bool", None, False),
    "cls_thresh": ("float", (0.0, 1.0), False),
    "cls_batch_size": ("int", (1, None), False),
    "cls_labels": ("str_tuple", None, False),
    "rec_image_height": ("int", (1, None), True),
    "rec_image_width": ("int", (1, None), False),
    "rec_batch_size": ("int", (1, None), True),
    "rec_batch_mode": ("choice", ("paddle", "width"), False),
    "rec_bucket_slack": ("float", (0.0, None), False),
    "rec_max_width": ("int", (16, None), False),
    "rec_batch_max_pixels": ("int", (1, None), False),
    "rec_workers": ("int", (1, None), True),
    "rec_space_recovery": ("bool", None, True),
    "rec_space_min_prob": ("float", (0.0, 1.0), False),
    "rec_space_gap_ratio": ("float", (0.0, None), False),
    "engine_device": ("str", None, False),
    "engine_providers": ("str_tuple", None, True),
    "engine_intra_op_threads": ("int", (0, None), True),
    "engine_inter_op_threads": ("int", (0, None), True),
    "engine_provider_options": ("options", None, True),
    "engine_shared_thread_pool": ("bool", None, False),
    "use_det": ("bool", None, False),
    "use_cls": ("bool", None, False),
    "drop_score": ("float", (0.0, 1.0), False),
    "max_image_pixels": ("int", (0, None), True),
    "word_boxes": ("bool", None, False),
    "layout": ("bool", None, False),
}


def _allowed(kind: str, rule: Any, optional: bool) -> str:
    if kind == "choice":
        text = "one of " + ", ".join(repr(v) for v in rule)
    elif kind in ("int", "float"):
        low, high = rule
        noun = "an integer" if kind == "int" else "a number"
        if high is not None:
            text = f"{noun} from {low} to {high}"
        elif kind == "float" and low == 0.0:
            text = f"{noun} >= 0"
        else:
            text = f"{noun} >= {low}"
    elif kind == "bool":
        text = "True or False"
    elif kind == "str_tuple":
        text = "a non-empty list of strings"
    elif kind == "options":
        text = "a dict of provider name -> dict of options"
    elif kind == "triple":
        low, high = rule
        text = f"three numbers (B, G, R order) >= {low}" + (f" and <= {high}" if high is not None else "")
    else:
        text = "a string"
    return text + (" (or None)" if optional else "")


def _fits(value: Any, kind: str, rule: Any) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "choice":
        return isinstance(value, str) and value in rule
    if kind == "str":
        return isinstance(value, str) and bool(value)
    if kind == "str_tuple":
        return isinstance(value, (tuple, list)) and bool(value) and all(isinstance(v, str) and v for v in value)
    if kind == "options":
        return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, dict) for k, v in value.items())
    if kind == "triple":
        return isinstance(value, (tuple, list)) and len(value) == 3 and all(_fits(v, "float", rule) for v in value)
    number = numbers.Integral if kind == "int" else numbers.Real
    if isinstance(value, bool) or not isinstance(value, number):
        return False
    low, high = rule
    return value == value and (low is None or value >= low) and (high is None or value <= high)  # NaN fails


def check_options(config: "OCRConfig") -> None:
    """Raise OptionError naming the first option whose value has the wrong type or is out of range."""
    for name, (kind, rule, optional) in _RULES.items():
        stage, _, field_name = name.partition("_")
        holder = getattr(config, stage) if stage in _STAGES and name not in _TOP_FIELDS else config
        value = getattr(holder, field_name if holder is not config else name)
        if value is None and optional:
            continue
        if not _fits(value, kind, rule):
            raise OptionError(f"option {name}={value!r} is not allowed: use {_allowed(kind, rule, optional)}")
    shape = config.cls.image_shape
    if not (isinstance(shape, (tuple, list)) and len(shape) == 3 and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in shape
    ) and shape[0] == 3):
        raise OptionError(f"option cls_image_shape={shape!r} is not allowed: use (3, height, width) of integers >= 1")
