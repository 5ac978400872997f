"""Text-angle classification: decide whether a line crop is upside down (0 / 180 degrees) and turn it."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from onnxocr.config import ClsConfig
from onnxocr.core.crop import aspect_order, resize_normalize_pad
from onnxocr.core.engine import OnnxModel, check_input_rank
from onnxocr.errors import ModelLoadError


@dataclass(frozen=True)
class AngleLabel:
    """The classifier's label for one crop ("0" or "180"), its probability, and whether the crop was turned."""

    label: str
    score: float
    rotated: bool


def apply_angle(crop: np.ndarray, label: str, score: float, thresh: float) -> tuple[np.ndarray, bool]:
    """Turn a crop by 180 degrees when the classifier says "180" with probability above thresh."""
    if "180" in label and score > thresh:
        return cv2.rotate(crop, cv2.ROTATE_180), True
    return crop, False


class TextClassifier:
    """Angle classifier on an onnxruntime session; batches sorted by aspect ratio."""

    def __init__(self, model: OnnxModel, config: ClsConfig) -> None:
        check_input_rank(model)
        out = model.output_shape
        if len(out) != 2 or (isinstance(out[1], int) and out[1] != len(config.labels)):
            raise ModelLoadError(
                f"cls model {model.path} outputs shape {out}, not (batch, {len(config.labels)}) angle scores: "
                "is it the text-angle classifier? (pass detectors with --det-model, recognisers with --rec-model)"
            )
        fixed_batch = model.batch_limit()
        self.model = model
        self.config = config
        # a height or width the model fixes wins over cls_image_shape (onnxruntime refuses any other size)
        _, height, width = config.image_shape
        self.height, self.width = model.fixed_dim(2) or height, model.fixed_dim(3) or width
        self.batch_size = 1 if fixed_batch == 1 else max(1, int(config.batch_size))

    def __call__(self, crops: list[np.ndarray]) -> tuple[list[np.ndarray], list[AngleLabel], float]:
        """Classify BGR uint8 crops; returns (crops, turned where needed; labels; seconds in onnxruntime)."""
        height, width = self.height, self.width
        out_crops = list(crops)
        labels: list[AngleLabel | None] = [None] * len(crops)
        order = aspect_order(crops)
        seconds = 0.0
        size = self.batch_size
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            batch = np.stack([resize_normalize_pad(crops[i], height, width) for i in idx])
            probs, spent = self.model.run(batch)
            seconds += spent
            for i, row in zip(idx, probs):
                best = int(np.argmax(row))
                label, score = self.config.labels[best], float(row[best])
                out_crops[i], rotated = apply_angle(crops[i], label, score, self.config.thresh)
                labels[i] = AngleLabel(label=label, score=score, rotated=rotated)
        return out_crops, [l for l in labels if l is not None], seconds
