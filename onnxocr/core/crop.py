"""Line images: cut a detected quad out of the page, and size a line image for the cls / rec networks."""

from __future__ import annotations

import math

import cv2
import numpy as np


VERTICAL_RATIO = 1.5  # crops at least this much taller than wide are vertical lines, turned 90 degrees


def quad_crop_size(quad: np.ndarray) -> tuple[int, int]:
    """(width, height) in whole pixels of the crop cut from a quad (TL, TR, BR, BL): its longer opposite sides."""
    pts = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    width = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    height = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    return max(width, 1), max(height, 1)


def is_vertical(width: int, height: int) -> bool:
    """Whether crop_quad turns a crop of this size by 90 degrees."""
    return height / width >= VERTICAL_RATIO


def aspect_order(crops: list[np.ndarray]) -> np.ndarray:
    """Indices of crops by increasing width/height (the batching order PaddleOCR uses for cls and rec)."""
    return np.argsort(np.array([c.shape[1] / float(c.shape[0]) for c in crops]))


def crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Perspective-warp quad (4x2, TL/TR/BR/BL) out of a BGR image; vertical crops are turned upright.

    Cubic interpolation, replicated border. Degenerate quads give at least a 1x1 crop.
    """
    pts = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    width, height = quad_crop_size(pts)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(pts, target)
    if not np.all(np.isfinite(matrix)):
        x0, y0 = np.clip(np.floor(pts.min(axis=0)).astype(int), 0, None)
        crop = image[y0 : y0 + height, x0 : x0 + width]
        return crop if crop.size else np.full((1, 1, 3), 255, dtype=np.uint8)
    crop = cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if is_vertical(crop.shape[1], crop.shape[0]):
        crop = np.rot90(crop)
    return crop


def ink_columns(crop: np.ndarray) -> np.ndarray:
    """Bool per crop column: True where the column holds ink (Otsu-separated minority pixels, either polarity)."""
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    if gray.size == 0 or int(gray.max()) == int(gray.min()):
        return np.zeros(gray.shape[1] if gray.ndim == 2 else 0, dtype=bool)
    _, binary = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = binary == 0 if binary.mean() > 0.5 else binary == 1  # ink is the minority class
    # ignore specks: a column counts as ink when at least 2 pixels (or 4% of the height) are ink
    need = max(2, int(round(0.04 * gray.shape[0])))
    return ink.sum(axis=0) >= need


def line_pieces(crop: np.ndarray, max_piece_width: int, max_pieces: int) -> list[tuple[int, int]]:
    """Column ranges [(x0, x1), ...] that cut a crop wider than max_piece_width into pieces no wider than it.

    Each cut goes into the middle of the widest ink-free run in the last quarter of the piece (so no glyph is cut
    when the line has a gap there), else at the limit. More than max_pieces pieces are never returned: a crop that
    would need more is the caller's to squeeze first. A crop that fits is one piece.
    """
    width = crop.shape[1]
    max_piece_width = max(int(max_piece_width), 1)
    if width <= max_piece_width:
        return [(0, width)]
    blank = ~ink_columns(crop)
    pieces: list[tuple[int, int]] = []
    start = 0
    while width - start > max_piece_width and len(pieces) < max_pieces - 1:
        lo, hi = start + (3 * max_piece_width) // 4, start + max_piece_width
        window = np.concatenate([[False], blank[lo:hi], [False]])
        edges = np.flatnonzero(np.diff(window.astype(np.int8)))
        runs = edges.reshape(-1, 2)  # [run start, run end) within the window
        if len(runs):
            best = runs[np.argmax(runs[:, 1] - runs[:, 0])]
            cut = lo + int((best[0] + best[1]) // 2)
        else:
            cut = hi
        cut = max(cut, start + 1)
        pieces.append((start, cut))
        start = cut
    pieces.append((start, width))
    return pieces


def fitted_width(height: int, width: int, target_height: int, max_width: int | None = None) -> int:
    """Width of a crop scaled to target_height keeping its aspect ratio, capped at max_width when given."""
    fitted = int(math.ceil(target_height * width / float(height)))
    return fitted if max_width is None else min(max_width, fitted)


def resize_normalize_pad(crop: np.ndarray, target_height: int, target_width: int) -> np.ndarray:
    """BGR uint8 crop -> float32 (3, target_height, target_width) in [-1, 1], left-aligned, zero-padded right."""
    resized_w = max(fitted_width(crop.shape[0], crop.shape[1], target_height, target_width), 1)
    resized = cv2.resize(crop, (resized_w, target_height)).astype(np.float32)
    out = np.zeros((3, target_height, target_width), dtype=np.float32)
    out[:, :, :resized_w] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return out
