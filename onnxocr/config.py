"""The one home of onnxocr's settings: every option is declared once, here, as a dataclass field with `option()`
metadata (help, kind and allowed range, CLI flag). Validation (`check_options`), the flat keywords of `OCR(...)` and
`OCRConfig.replace` (`option_names`), and the `onnxocr` command's options (integrations/cli.py) are generated from
these declarations; no other module declares a default. Values are PaddleOCR 2.x's documented defaults.

Flat option names (`det_box_thresh`, `rec_batch_size`, `drop_score`) address the nested fields: the prefix names
the stage. To add an option, add one field to the right dataclass:

    probe: float = option(0.25, "What it does, for --help", kind="float", rule=(0.0, 1.0), cli="--det-probe")

kinds: "int" / "float" (numbers, not bool; rule = (low, high) inclusive, None = open), "bool", "choice" (rule = the
allowed strings), "str", "str_tuple", "triple" (three numbers in rule's range), "chw" ((3, H, W) of ints >= 1),
"options" (provider name -> dict), "any"; optional=True allows None. `cli` is the flag (a bool's "--x/--no-x"),
None for an API-only option; `default_help` replaces the "[default: ...]" the help shows.

Precedence (OCR): built-in defaults < the model's metadata < what the caller set. Every config object remembers
which fields its caller set (`explicit_options`), so a caller's value wins even when it equals the default.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Mapping

from onnxocr.errors import OptionError

PAGE_ORIENTATIONS = ("documents", "auto", "off", "0", "90", "180", "270")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PADDLE_REC_BATCH_SIZE = 6  # PaddleOCR's rec_batch_num: recogniser batches on a GPU or in "paddle" batch mode
DEFAULT_DPI = 300  # PDF pages are rendered at this; measured by `make bench-dpi`: word recall 0.998 at 300 dpi vs 0.973 at 200


def option(default: Any, help: str, *, kind: str, rule: Any = None, optional: bool = False, cli: str | None = None,
           default_help: str | None = None) -> Any:
    """A dataclass field declaring one option: its default, help text, kind and allowed values, and CLI flag."""
    meta = {"help": help, "kind": kind, "rule": rule, "optional": optional, "cli": cli, "default_help": default_help}
    return field(default=default, metadata={"option": meta})


def _tracks_caller(cls):
    """Record on each instance which fields its caller passed (`_set_fields`), before __post_init__ runs, so that
    an explicit value is known as explicit even when it equals the default."""
    init = cls.__init__
    names = [f.name for f in dataclasses.fields(cls) if f.init]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        object.__setattr__(self, "_set_fields", frozenset(names[: len(args)]) | frozenset(kwargs))
        init(self, *args, **kwargs)

    __init__.__doc__ = init.__doc__
    cls.__init__ = __init__
    return cls


def _replaced(obj: Any, **changes: Any) -> Any:
    """dataclasses.replace that keeps what the caller set, plus `changes` (dataclasses.replace alone would count
    every field as set, since it passes them all)."""
    new = dataclasses.replace(obj, **changes)
    object.__setattr__(new, "_set_fields", getattr(obj, "_set_fields", frozenset()) | frozenset(changes))
    return new


@_tracks_caller
@dataclass(frozen=True)
class DetConfig:
    """DB text detector: resize rule, normalisation and DB post-processing thresholds.

    These are PaddleOCR 2.x's values; a model whose ONNX metadata names its own (onnxocr.det.*, written by
    convert/ from its inference.yml or catalog row) gets those instead, unless the caller sets the option.
    """

    limit_side_len: int = option(960, "Detector side limit", kind="int", rule=(1, None), cli="--det-limit-side-len")
    limit_type: Literal["max", "min"] = option("max", "max or min: the side limit caps the longer side, or lifts the shorter",
                                               kind="choice", rule=("max", "min"), cli="--det-limit-type")
    max_side_limit: int = option(4000, "Neither side of the detector input exceeds this (PaddleOCR 3.x), whatever limit_type",
                                 kind="int", rule=(32, None))
    mean: tuple[float, float, float] = option(IMAGENET_MEAN, "Per channel, on BGR values scaled to [0, 1]", kind="triple", rule=(0.0, 1.0))
    std: tuple[float, float, float] = option(IMAGENET_STD, "Per channel normalisation divisor", kind="triple", rule=(1e-6, None))
    thresh: float = option(0.3, "DB pixel threshold", kind="float", rule=(0.0, 1.0), cli="--det-thresh")
    box_thresh: float = option(0.6, "DB box score threshold", kind="float", rule=(0.0, 1.0), cli="--det-box-thresh")
    unclip_ratio: float = option(1.5, "DB box expansion", kind="float", rule=(0.0, None), cli="--det-unclip-ratio")
    max_candidates: int = option(1000, "Most boxes taken from one probability map", kind="int", rule=(1, None))
    min_size: int = option(3, "Boxes with a shorter side are dropped (px)", kind="float", rule=(0.0, None))
    score_mode: Literal["fast", "slow"] = option("fast", "Box score: mean inside the box (fast) or the polygon (slow)",
                                                 kind="choice", rule=("fast", "slow"))
    use_dilation: bool = option(False, "Dilate the segmentation map before finding boxes", kind="bool")
    scale: Literal["auto", "model"] = option(
        "auto", "auto: large images are detected at the scale of their text (a bounded first look, a second pass only "
        "for small text; core/det_scale.py); model: always at the model's own size rule. Setting det_limit_* implies model",
        kind="choice", rule=("auto", "model"), cli="--det-scale")


@_tracks_caller
@dataclass(frozen=True)
class ClsConfig:
    """Text-angle classifier (0 / 180 degrees)."""

    image_shape: tuple[int, int, int] = option((3, 48, 192), "Classifier input (3, height, width)", kind="chw")
    thresh: float = option(0.9, "Turn crops the classifier calls 180 above this", kind="float", rule=(0.0, 1.0), cli="--cls-thresh")
    labels: tuple[str, ...] = option(("0", "180"), "Classifier output labels", kind="str_tuple")
    batch_size: int = option(6, "Crops per classifier run", kind="int", rule=(1, None))


@_tracks_caller
@dataclass(frozen=True)
class RecConfig:
    """CTC recogniser. `image_height` None = read from the model (32 for v2.0/PP-OCRv2, 48 for v3/v4)."""

    image_height: int | None = option(None, "Recogniser input height (None: from the model)", kind="int", rule=(1, None), optional=True)
    image_width: int = option(320, "Recogniser minimum input width", kind="int", rule=(1, None))
    batch_size: int | None = option(None, "Recognition batch size", kind="int", rule=(1, None), optional=True, cli="--rec-batch-size",
                                    default_help=f"1 on CPU, {PADDLE_REC_BATCH_SIZE} on GPU or with batch mode paddle")
    batch_mode: Literal["paddle", "width"] = option("width", "width: batches near each crop's width (fast); paddle: PaddleOCR's exact batches",
                                                    kind="choice", rule=("paddle", "width"))
    bucket_slack: float = option(0.1, "width mode: widths in one batch stay within this fraction of the narrowest", kind="float", rule=(0.0, None))
    max_width: int = option(6400, "Widest recogniser input (px at model height); longer lines are cut into pieces", kind="int", rule=(16, None))
    batch_max_pixels: int = option(1_000_000, "A batch holds at most this many input pixels (N x H x W)", kind="int", rule=(1, None))
    workers: int | None = option(None, "Batches run at once, each on one onnxruntime thread (None: the CPU thread count, 1 on GPU)",
                                 kind="int", rule=(1, None), optional=True)
    space_recovery: bool | None = option(None, "Put back word gaps the model missed", kind="bool", optional=True,
                                         cli="--space-recovery/--no-space-recovery", default_help="on for Latin-script dictionaries")
    space_min_prob: float = option(0.03, "A space where the model's space class reaches this between two characters", kind="float", rule=(0.0, 1.0))
    space_gap_ratio: float = option(0.12, "Models without a space class: ink-free columns >= ratio x line height make a space",
                                    kind="float", rule=(0.0, None))


@_tracks_caller
@dataclass(frozen=True)
class EngineConfig:
    """onnxruntime execution: device or explicit provider list, thread counts."""

    device: str = option("cpu", "cpu, cuda, tensorrt, directml, coreml or openvino", kind="str", cli="--device")
    providers: tuple[str, ...] | None = option(None, "onnxruntime provider names, in order (over device)", kind="str_tuple", optional=True)
    intra_op_threads: int | None = option(None, "CPU threads per model", kind="int", rule=(1, None), optional=True, cli="--threads",
                                          default_help="onnxruntime's choice")
    inter_op_threads: int | None = option(None, "onnxruntime inter-op threads", kind="int", rule=(0, None), optional=True)
    provider_options: dict[str, dict[str, Any]] | None = option(None, "Per provider name, over onnxocr's own defaults", kind="options", optional=True)
    session_options: Any = option(None, "An onnxruntime.SessionOptions used as given (threads= still applies)", kind="any", optional=True)
    shared_thread_pool: bool = option(False, "One process-wide intra-op pool for every session (see engine.py)", kind="bool")


@_tracks_caller
@dataclass(frozen=True)
class OCRConfig:
    """Everything a pipeline run depends on besides the model files."""

    det: DetConfig = field(default_factory=DetConfig)
    cls: ClsConfig = field(default_factory=ClsConfig)
    rec: RecConfig = field(default_factory=RecConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    use_det: bool = option(True, "Run the text detector (--no-det: each image is one text line)", kind="bool", cli="--det/--no-det")
    use_cls: bool = option(False, "Run the 180-degree angle classifier", kind="bool", cli="--cls/--no-cls", default_help="off, as PaddleOCR")
    drop_score: float = option(0.5, "Drop lines scoring below this", kind="float", rule=(0.0, 1.0), cli="--drop-score")
    max_image_pixels: int | None = option(178_956_970, "Refuse larger images and rendered pages (decompression bombs; Pillow's bound)",
                                          kind="int", rule=(0, None), optional=True, cli="--max-pixels")
    word_boxes: bool = option(False, "Add per-word boxes to JSON output (always on for tsv, hocr, alto, pdf)", kind="bool",
                              cli="--word-boxes/--no-word-boxes")
    page_orientation: str = option(
        "documents", "Pages turned 0/90/180/270 degrees (the clockwise turn of their content) are read upright. "
        "documents: in OCR.pages(), read_page() and the command line, not in OCR()(image), which also gets photos and "
        "line crops; auto: everywhere; off: never; 0/90/180/270: every page is turned this far",
        kind="choice", rule=PAGE_ORIENTATIONS, cli="--orientation")
    lang_cache_size: int = option(3, "Recognisers of other languages kept loaded for per-call lang (LRU); 0 = none kept",
                                  kind="int", rule=(0, None))
    layout: bool = option(True, "Blocks, paragraphs and column-aware reading order (core/layout.py); --no-layout: the "
                          "plain line list, in rows", kind="bool", cli="--layout/--no-layout", default_help="on")

    def __post_init__(self) -> None:
        check_options(self)

    def replace(self, **options: Any) -> "OCRConfig":
        """Return a copy with flat options applied, e.g. `det_box_thresh=0.5, rec_batch_size=8, use_cls=True`; they
        count as set by the caller. None values are ignored, so callers can pass unset CLI options straight through.
        """
        return _apply(self, {k: v for k, v in options.items() if v is not None}, explicit=True)


@dataclass(frozen=True)
class OptionSpec:
    """One row of the option table: a field of OCRConfig or of one of its stages, under its flat name."""

    name: str  # flat name: det_box_thresh, drop_score
    stage: str | None  # det, cls, rec, engine; None for a top-level field
    field: str
    default: Any
    help: str
    kind: str
    rule: Any
    optional: bool
    cli: str | None
    default_help: str | None

    def help_text(self) -> str:
        """The help line with its default: what --help shows."""
        shown = self.default_help if self.default_help is not None else self.default
        return f"{self.help} [default: {shown}]."


def _stages(config_class: type) -> dict[str, type]:
    return {f.name: f.default_factory for f in dataclasses.fields(config_class)
            if isinstance(f.default_factory, type) and dataclasses.is_dataclass(f.default_factory)}


@lru_cache(maxsize=None)
def option_table(config_class: type = None) -> dict[str, OptionSpec]:
    """Every option of `config_class` (default OCRConfig) by flat name, from the fields' `option()` metadata.
    A field declared without it is a programming error, reported here (so at import)."""
    config_class = config_class or OCRConfig
    stages = _stages(config_class)
    table: dict[str, OptionSpec] = {}
    for stage, holder in [(None, config_class), *stages.items()]:
        for f in dataclasses.fields(holder):
            if stage is None and f.name in stages:
                continue
            meta = f.metadata.get("option")
            if meta is None:
                raise TypeError(f"{holder.__name__}.{f.name} has no option metadata: declare it with option(default, help, kind=...)")
            name = f"{stage}_{f.name}" if stage else f.name
            table[name] = OptionSpec(name, stage, f.name, f.default, **meta)
    return table


def option_names(config_class: type = None) -> set[str]:
    """Every flat option name that `OCRConfig.replace` and `OCR(...)` accept."""
    return set(option_table(config_class or OCRConfig))


def _apply(config: OCRConfig, options: Mapping[str, Any], *, explicit: bool) -> OCRConfig:
    table = option_table(type(config))
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in options.items():
        spec = table.get(key)
        if spec is None:
            raise TypeError(f"unknown option {key!r}; known: {', '.join(sorted(table))}")
        if spec.stage:
            nested.setdefault(spec.stage, {})[spec.field] = value
        else:
            top[spec.field] = value
    change = _replaced if explicit else dataclasses.replace
    for stage, values in nested.items():
        old = getattr(config, stage)
        top[stage] = change(old, **values)
        if not explicit:
            object.__setattr__(top[stage], "_set_fields", getattr(old, "_set_fields", frozenset()))
    new = change(config, **top)
    if not explicit:
        object.__setattr__(new, "_set_fields", getattr(config, "_set_fields", frozenset()))
    return new


def explicit_options(config: OCRConfig) -> set[str]:
    """Flat names of the options the caller set on `config` (passed to a constructor or to `replace`), even where
    the value equals the default."""
    table = option_table(type(config))
    out = set()
    for name, spec in table.items():
        holder = getattr(config, spec.stage) if spec.stage else config
        if spec.field in getattr(holder, "_set_fields", ()):
            out.add(name)
    return out


def with_model_options(config: OCRConfig, model_options: Mapping[str, Any]) -> OCRConfig:
    """Precedence: built-in defaults < the model's metadata (`model_options`, flat names) < what the caller set.
    Returns `config` with each model option applied unless the caller set that option; the applied values do not
    count as set by the caller."""
    pinned = explicit_options(config)
    return _apply(config, {k: v for k, v in model_options.items() if k not in pinned and v is not None}, explicit=False)


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
    elif kind == "chw":
        text = "(3, height, width) of integers >= 1"
    elif kind == "triple":
        low, high = rule
        text = f"three numbers (B, G, R order) >= {low}" + (f" and <= {high}" if high is not None else "")
    else:
        text = "a string"
    return text + (" (or None)" if optional else "")


def _fits(value: Any, kind: str, rule: Any) -> bool:
    if kind == "any":
        return True
    if kind == "chw":
        return (isinstance(value, (tuple, list)) and len(value) == 3 and value[0] == 3
                and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in value))
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
    for name, spec in option_table(type(config)).items():
        value = getattr(getattr(config, spec.stage) if spec.stage else config, spec.field)
        if value is None and spec.optional:
            continue
        if not _fits(value, spec.kind, spec.rule):
            raise OptionError(f"option {name}={value!r} is not allowed: use {_allowed(spec.kind, spec.rule, spec.optional)}")


option_table(OCRConfig)  # a field without option() metadata fails here, at import
