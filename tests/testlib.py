"""Test helpers: where ../shared lives, EXPECTED.tsv rows, and self-rendered text images."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ONNXOCR_SHARED", REPO.parent / "shared"))
FIXTURES = SHARED / "fixtures"
FIXTURE_MODELS = FIXTURES / "models" / "onnx"
FIXTURE_IMAGES = FIXTURES / "images"
FIXTURE_DICTS = FIXTURES / "dicts"

# The text set on docs/sample.png (OpenCV's Hershey simplex font; its '-' is drawn long): the known answer for
# every test that reads the sample, never what a model read on it.
SAMPLE = REPO / "docs" / "sample.png"
SAMPLE_LINES = ["onnxocr sample page", "Text detection and recognition", "Invoice 2024-11-24 Total: $42.50", "Fast, small, offline."]
SAMPLE_TEXT = "\n".join(SAMPLE_LINES)

needs_shared = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"../shared fixtures not found at {FIXTURES}")


def expected_rows(kind: str = "reference") -> dict[str, str]:
    """EXPECTED.tsv rows of one kind: image path (relative to images/) -> expected text."""
    table = FIXTURE_IMAGES / "EXPECTED.tsv"
    with open(table, encoding="utf-8", newline="") as fh:
        return {row["path"]: row["expected"] for row in csv.DictReader(fh, delimiter="\t") if row["kind"] == kind}


def render_line(text: str, height: int = 48, scale: float = 1.2, thickness: int = 2, pad: int = 12) -> np.ndarray:
    """A BGR uint8 image of black text on white, drawn with OpenCV's Hershey font (ASCII only)."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    (w, h), base = cv2.getTextSize(text, font, scale, thickness)
    img = np.full((h + base + 2 * pad, w + 2 * pad, 3), 255, dtype=np.uint8)
    cv2.putText(img, text, (pad, pad + h), font, scale, (0, 0, 0), thickness, cv2.LINE_AA)
    return img


def render_page(lines: list[str], width: int = 900) -> np.ndarray:
    """A white page with each text line rendered below the previous one, left-aligned."""
    rows = [render_line(t) for t in lines]
    height = sum(r.shape[0] + 20 for r in rows) + 40
    page = np.full((height, width, 3), 255, dtype=np.uint8)
    y = 20
    for r in rows:
        page[y : y + r.shape[0], 30 : 30 + r.shape[1]] = r[:, : width - 30]
        y += r.shape[0] + 20
    return page
