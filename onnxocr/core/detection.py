"""DB text detection: resize/normalise, the DB probability-map post-processing, box filtering and order.

Pre- and post-processing are pure functions of numpy arrays; `TextDetector` only adds the session.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pyclipper

from onnxocr.config import DetConfig
from onnxocr.core.det_scale import SHRUNK_UNCLIP_GAIN, box_heights, first_look_shape, second_look_shape
from onnxocr.core.engine import OnnxModel, check_input_rank
from onnxocr.errors import ModelLoadError



def det_resize_shape(
    height: int, width: int, limit_side_len: int, limit_type: str, max_side_limit: int | None = None
) -> tuple[int, int]:
    """Target (height, width) for the detector: scale by the side limit, then shrink so that neither side exceeds
    max_side_limit (PaddleOCR 3.x's cap, which holds under limit_type "min" too), round each side to a multiple of 32."""
    if limit_type == "max":
        ratio = limit_side_len / max(height, width) if max(height, width) > limit_side_len else 1.0
    elif limit_type == "min":
        ratio = limit_side_len / min(height, width) if min(height, width) < limit_side_len else 1.0
    else:
        raise ValueError(f"limit_type must be 'max' or 'min', got {limit_type!r}")
    resize_h, resize_w = int(height * ratio), int(width * ratio)
    if max_side_limit and max(resize_h, resize_w) > max_side_limit:
        shrink = max_side_limit / max(resize_h, resize_w)
        resize_h, resize_w = int(resize_h * shrink), int(resize_w * shrink)
    new_h = max(int(round(resize_h / 32) * 32), 32)
    new_w = max(int(round(resize_w / 32) * 32), 32)
    return new_h, new_w


def det_preprocess(
    image: np.ndarray, config: DetConfig, fixed_size: tuple[int, int] | None = None, antialias: bool = False
) -> np.ndarray:
    """BGR uint8 (H, W, 3) -> float32 (1, 3, H', W') resized to multiples of 32 (or to a model's fixed (H', W')),
    normalised per BGR channel with config.mean / config.std (on values scaled to [0, 1]). antialias: shrink by
    pixel-area averaging (cv2.INTER_AREA) instead of PaddleOCR's bilinear resize, which drops thin strokes when it
    shrinks a page by 2x or more."""
    if fixed_size is not None:
        new_h, new_w = fixed_size
    else:
        new_h, new_w = det_resize_shape(
            image.shape[0], image.shape[1], config.limit_side_len, config.limit_type, config.max_side_limit
        )
    shrinks = new_h < image.shape[0] and new_w < image.shape[1]
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA if antialias and shrinks else cv2.INTER_LINEAR)
    mean = np.asarray(config.mean, dtype=np.float32).reshape(3, 1, 1) * 255.0
    inv_std = 1.0 / (np.asarray(config.std, dtype=np.float32).reshape(3, 1, 1) * 255.0)
    # channel planes first, then the arithmetic per plane: 7x faster than broadcasting over the last axis of 3
    planes = np.ascontiguousarray(resized.transpose(2, 0, 1)).astype(np.float32)
    planes -= mean
    planes *= inv_std
    return planes[np.newaxis]


def _mini_box(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Minimum-area rectangle of a point set as 4 corners (top-left first, then clockwise) and its short side."""
    rect = cv2.minAreaRect(points)
    corners = sorted(cv2.boxPoints(rect).tolist(), key=lambda p: p[0])
    left = (corners[0], corners[1]) if corners[1][1] > corners[0][1] else (corners[1], corners[0])
    right = (corners[2], corners[3]) if corners[3][1] > corners[2][1] else (corners[3], corners[2])
    # left = (top, bottom) of the two left-most corners; right likewise
    box = np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)
    return box, float(min(rect[1]))


def _box_score_fast(prob: np.ndarray, box: np.ndarray) -> float:
    """Mean probability inside a quadrilateral (its bounding box, masked by the quad)."""
    h, w = prob.shape
    xmin = int(np.clip(np.floor(box[:, 0].min()), 0, w - 1))
    xmax = int(np.clip(np.ceil(box[:, 0].max()), 0, w - 1))
    ymin = int(np.clip(np.floor(box[:, 1].min()), 0, h - 1))
    ymax = int(np.clip(np.ceil(box[:, 1].max()), 0, h - 1))
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    shifted = box - np.array([xmin, ymin], dtype=box.dtype)
    cv2.fillPoly(mask, shifted.reshape(1, -1, 2).astype(np.int32), 1)
    return float(cv2.mean(prob[ymin : ymax + 1, xmin : xmax + 1], mask)[0])


def _box_score_slow(prob: np.ndarray, contour: np.ndarray) -> float:
    """Mean probability inside the contour polygon itself."""
    h, w = prob.shape
    pts = contour.reshape(-1, 2).astype(np.float32)
    xmin = int(np.clip(np.min(pts[:, 0]), 0, w - 1))
    xmax = int(np.clip(np.max(pts[:, 0]), 0, w - 1))
    ymin = int(np.clip(np.min(pts[:, 1]), 0, h - 1))
    ymax = int(np.clip(np.max(pts[:, 1]), 0, h - 1))
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    shifted = pts - np.array([xmin, ymin], dtype=np.float32)
    cv2.fillPoly(mask, shifted.reshape(1, -1, 2).astype(np.int32), 1)
    return float(cv2.mean(prob[ymin : ymax + 1, xmin : xmax + 1], mask)[0])


def _polygon_area_perimeter(points: np.ndarray) -> tuple[float, float]:
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    perimeter = float(np.sum(np.hypot(np.roll(x, -1) - x, np.roll(y, -1) - y)))
    return area, perimeter


def unclip(box: np.ndarray, unclip_ratio: float) -> np.ndarray:
    """Grow a polygon outwards by area * ratio / perimeter (DB's unclip); returns int32 (K, 2) points, K may be 0."""
    area, perimeter = _polygon_area_perimeter(box)
    if perimeter <= 0:
        return np.zeros((0, 2), dtype=np.int32)
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(box, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    expanded = offset.Execute(area * unclip_ratio / perimeter)
    if not expanded:
        return np.zeros((0, 2), dtype=np.int32)
    return np.concatenate([np.asarray(p, dtype=np.int32).reshape(-1, 2) for p in expanded])


@dataclass(frozen=True)
class DBPostprocess:
    """Turns a DB probability map into text quadrilaterals in source-image pixels."""

    config: DetConfig

    def __call__(
        self, prob: np.ndarray, src_height: int, src_width: int, unclip_gain: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """prob: float (H', W') map in [0, 1]. Returns (boxes float32 (N, 4, 2), scores float32 (N,)).
        unclip_gain multiplies the configured unclip_ratio (a map from a shrunken page: SHRUNK_UNCLIP_GAIN)."""
        cfg = self.config
        prob = np.nan_to_num(np.asarray(prob, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        bitmap = (prob > cfg.thresh).astype(np.uint8)
        if cfg.use_dilation:
            bitmap = cv2.dilate(bitmap, np.ones((2, 2), dtype=np.uint8))
        map_h, map_w = bitmap.shape
        contours, _ = cv2.findContours(bitmap * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        boxes, scores = [], []
        for contour in contours[: cfg.max_candidates]:
            points, short_side = _mini_box(contour)
            if short_side < cfg.min_size:
                continue
            if cfg.score_mode == "fast":
                score = _box_score_fast(prob, points)
            else:
                score = _box_score_slow(prob, contour)
            if score < cfg.box_thresh:
                continue
            grown = unclip(points, cfg.unclip_ratio * unclip_gain)
            if len(grown) < 3:
                continue
            box, short_side = _mini_box(grown.reshape(-1, 1, 2))
            if short_side < cfg.min_size + 2:
                continue
            box[:, 0] = np.clip(np.round(box[:, 0] / map_w * src_width), 0, src_width)
            box[:, 1] = np.clip(np.round(box[:, 1] / map_h * src_height), 0, src_height)
            boxes.append(box)
            scores.append(score)
        if not boxes:
            return np.zeros((0, 4, 2), dtype=np.float32), np.zeros((0,), dtype=np.float32)
        return np.stack(boxes).astype(np.float32), np.array(scores, dtype=np.float32)


def order_quad_clockwise(quad: np.ndarray) -> np.ndarray:
    """Reorder 4 points as top-left, top-right, bottom-right, bottom-left (by x+y and y-x extremes)."""
    quad = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    sums = quad.sum(axis=1)
    first, third = int(np.argmin(sums)), int(np.argmax(sums))
    if first == third:  # all four sums equal: degenerate quad, keep input order
        return quad.copy()
    rest = np.delete(quad, (first, third), axis=0)
    diff = rest[:, 1] - rest[:, 0]
    ordered = np.empty((4, 2), dtype=np.float32)
    ordered[0], ordered[2] = quad[first], quad[third]
    ordered[1], ordered[3] = rest[int(np.argmin(diff))], rest[int(np.argmax(diff))]
    return ordered


def filter_boxes(boxes: np.ndarray, height: int, width: int, min_side: int = 3) -> np.ndarray:
    """Order each quad clockwise, clip it to the image (integer pixels) and drop quads with a side <= min_side."""
    kept = []
    for box in boxes:
        quad = order_quad_clockwise(box)
        quad[:, 0] = np.trunc(np.clip(quad[:, 0], 0, width - 1))
        quad[:, 1] = np.trunc(np.clip(quad[:, 1], 0, height - 1))
        if int(np.linalg.norm(quad[0] - quad[1])) <= min_side or int(np.linalg.norm(quad[0] - quad[3])) <= min_side:
            continue
        kept.append(quad)
    return np.stack(kept) if kept else np.zeros((0, 4, 2), dtype=np.float32)


def sort_reading_order(boxes: np.ndarray, same_line_px: float = 10.0) -> list[int]:
    """Indices of quads top-to-bottom, then left-to-right for quads whose top-left y differ by < same_line_px."""
    order = sorted(range(len(boxes)), key=lambda i: (float(boxes[i][0][1]), float(boxes[i][0][0])))
    for i in range(len(order) - 1):
        for j in range(i, -1, -1):
            upper, lower = boxes[order[j]][0], boxes[order[j + 1]][0]
            if abs(lower[1] - upper[1]) < same_line_px and lower[0] < upper[0]:
                order[j], order[j + 1] = order[j + 1], order[j]
            else:
                break
    return order


class TextDetector:
    """DB detector on an onnxruntime session: BGR image -> quads in reading order."""

    def __init__(self, model: OnnxModel, config: DetConfig) -> None:
        check_input_rank(model)
        out = model.output_shape
        if len(out) != 4 or (isinstance(out[1], int) and out[1] != 1):
            raise ModelLoadError(
                f"det model {model.path} outputs shape {out}, not a 1-channel probability map: "
                "is it a detection model? (pass recognisers with --rec-model, classifiers with --cls-model)"
            )
        fixed_h, fixed_w = model.fixed_dim(2), model.fixed_dim(3)
        if (fixed_h is None) != (fixed_w is None):
            raise ModelLoadError(
                f"det model {model.path} fixes only its input {'height' if fixed_h else 'width'} "
                f"(input shape {model.input_shape}): a detector needs both sides free or both fixed; re-export it "
                "with a dynamic input"
            )
        if model.fixed_dim(0) not in (None, 1):
            raise ModelLoadError(
                f"det model {model.path} has a fixed batch size of {model.fixed_dim(0)}: the detector runs one page at "
                "a time; re-export it with a dynamic batch axis (or batch size 1)"
            )
        self.fixed_size = (fixed_h, fixed_w) if fixed_h and fixed_w else None  # resized to exactly this size
        self.model = model
        self.config = config
        self.postprocess = DBPostprocess(config)

    def input_shape(self, height: int, width: int) -> tuple[int, int]:
        """The detector input (H', W') the model's own rule (or a fixed-size model) gives an image."""
        if self.fixed_size is not None:
            return self.fixed_size
        cfg = self.config
        return det_resize_shape(height, width, cfg.limit_side_len, cfg.limit_type, cfg.max_side_limit)

    def gives_back_memory(self, height: int, width: int) -> bool:
        """Whether detecting an image of this size gives the detector's CPU arena back after its runs: a page
        read in a scaled look (det_scale "auto", onnxocr/core/det_scale.py) or one whose model-rule input is over
        the detector's keep bound (onnxocr/core/engine.py). The pipeline then has the recogniser give its arena back
        too, so the next page's detector run does not stack on memory the recogniser holds."""
        model_shape = self.input_shape(height, width)
        if self.config.scale == "auto" and self.fixed_size is None and first_look_shape(model_shape) is not None:
            return True
        return self.model.releases_after(3 * model_shape[0] * model_shape[1])

    def _detect(self, image: np.ndarray, shape: tuple[int, int], scaled: bool = False) -> tuple[np.ndarray, float]:
        """Boxes (N, 4, 2) in image pixels, unordered, from one run at detector input `shape`. scaled (a run of the
        text-scale rule on a large page): shrink by area averaging, and give the arena back after the run."""
        height, width = image.shape[:2]
        batch = det_preprocess(image, self.config, shape, antialias=scaled)
        output, seconds = self.model.run(batch, release=scaled)
        del batch
        boxes, _ = self.postprocess(output[0, 0], height, width, unclip_gain=SHRUNK_UNCLIP_GAIN if scaled else 1.0)
        return filter_boxes(boxes, height, width), seconds

    def __call__(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """BGR uint8 (H, W, 3) -> (quads float32 (N, 4, 2) in reading order, in the image's pixels; seconds in
        onnxruntime). With config.scale "auto" a large image is first detected at a bounded size and, only when its
        lines come out too small there, once more at the scale of its text (onnxocr/core/det_scale.py)."""
        height, width = image.shape[:2]
        model_shape = self.input_shape(height, width)
        first = first_look_shape(model_shape) if self.config.scale == "auto" and self.fixed_size is None else None
        if first is None:
            boxes, seconds = self._detect(image, model_shape)
        else:
            boxes, seconds = self._detect(image, first, scaled=True)
            at_first = box_heights(boxes) * (first[0] / height + first[1] / width) / 2.0
            second = second_look_shape(model_shape, first, at_first)
            if second is not None:
                boxes, more = self._detect(image, second, scaled=True)
                seconds += more
        return boxes[sort_reading_order(boxes)] if len(boxes) else boxes, seconds
