"""Render OCR boxes onto the image, for `--draw`."""

from __future__ import annotations

import cv2
import numpy as np

from onnxocr.errors import OnnxOCRError
from onnxocr.result import OCRResult


def draw_result(image: np.ndarray, result: OCRResult) -> bytes:
    """PNG bytes of the BGR image with each line's quad outlined and numbered in reading order."""
    canvas = image.copy()
    thickness = max(1, round(max(canvas.shape[:2]) / 600))
    for i, line in enumerate(result.lines):
        pts = np.rint(line.box).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [pts], True, (0, 0, 255), thickness)
        for word in line.words:
            cv2.polylines(canvas, [np.rint(word.box).astype(np.int32).reshape(-1, 1, 2)], True, (0, 160, 0), 1)
        x, y = pts[0, 0]
        cv2.putText(canvas, str(i + 1), (int(x), max(int(y) - 3, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thickness, (255, 0, 0), thickness)
    ok, encoded = cv2.imencode(".png", canvas)
    if not ok:
        raise OnnxOCRError("could not encode the drawing as PNG")
    return encoded.tobytes()
