"""What a model says about its own pre/post-processing: ONNX metadata keys -> flat `OCRConfig` options.

convert/ writes these keys from the model's inference.yml (or its catalog row when the file came without one);
`OCR` applies them under the caller's options, so a user's explicit option always wins. Keys are listed in
docs/catalog-schema.md. A malformed value is refused with one line naming the key: a model that misstates its
preprocessing would otherwise give quietly wrong text.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from onnxocr.errors import ModelLoadError


def _floats3(text: str) -> tuple[float, float, float]:
    values = tuple(float(v) for v in text.split(","))
    if len(values) != 3:
        raise ValueError("expected 3 comma-separated numbers")
    return values  # type: ignore[return-value]


def _limit_type(text: str) -> str:
    if text not in ("max", "min"):
        raise ValueError("expected max or min")
    return text


def _bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError("expected true or false")
    return text == "true"


# metadata key -> (flat option name, parser)
DET_KEYS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "onnxocr.det.limit_side_len": ("det_limit_side_len", int),
    "onnxocr.det.limit_type": ("det_limit_type", _limit_type),
    "onnxocr.det.max_side_limit": ("det_max_side_limit", int),
    "onnxocr.det.mean": ("det_mean", _floats3),
    "onnxocr.det.std": ("det_std", _floats3),
    "onnxocr.det.thresh": ("det_thresh", float),
    "onnxocr.det.box_thresh": ("det_box_thresh", float),
    "onnxocr.det.unclip_ratio": ("det_unclip_ratio", float),
    "onnxocr.det.max_candidates": ("det_max_candidates", int),
    "onnxocr.det.use_dilation": ("det_use_dilation", _bool),
}
REC_SHAPE_KEY = "onnxocr.rec.image_shape"  # "3,48,320": PaddleOCR's rec_image_shape (height, minimum width)
REC_DROP_KEY = "onnxocr.rec.drop_score"  # lines whose mean character probability is below it are dropped


def options_from_metadata(task: str, metadata: Mapping[str, str], source: str) -> dict[str, Any]:
    """Flat OCRConfig options a det or rec model's metadata asks for (empty for other tasks / older files)."""
    options: dict[str, Any] = {}
    if task == "det":
        for key, (option, parse) in DET_KEYS.items():
            if metadata.get(key, "") != "":
                options[option] = _parsed(key, metadata[key], parse, source)
    elif task == "rec":
        if metadata.get(REC_SHAPE_KEY, "") != "":
            shape = _parsed(REC_SHAPE_KEY, metadata[REC_SHAPE_KEY], _floats3, source)
            if shape[1] > 0:
                options["rec_image_height"] = int(shape[1])
            if shape[2] > 0:
                options["rec_image_width"] = int(shape[2])
        if metadata.get(REC_DROP_KEY, "") != "":
            options["drop_score"] = _parsed(REC_DROP_KEY, metadata[REC_DROP_KEY], float, source)
    return options


def _parsed(key: str, raw: str, parse: Callable[[str], Any], source: str) -> Any:
    try:
        return parse(raw.strip())
    except ValueError as exc:
        raise ModelLoadError(
            f"{source}: metadata {key}={raw!r} is malformed ({exc}): convert the model again or remove the key"
        ) from None
