"""PP-OCRv6 small, the default set, imported without Paddle parity: judged against an independent reading of the
same weights, RapidOCR 3.10 from its own wheel (its own ONNX files, pre- and post-processing), recorded once by
tests/data/rapidocr3/record.py (the exact command is in golden.json), and against the text rendered on the pages."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "rapidocr3"
GOLDEN = json.loads((DATA / "golden.json").read_text(encoding="utf-8"))
# Box corners: both systems threshold the same detector's map under the same rule (960 max side, thresh 0.3,
# box_thresh 0.6, unclip 1.5), unclip and round to integers; they normalise the input differently (onnxocr: the
# ImageNet mean/std of PP-OCRv6's inference.yml, RapidOCR: 0.5/0.5), so the map's edges move by up to a map pixel
# (1100/960 = 1.15 image pixels) plus rounding on each side: never more than 4 pixels. Scores: the two resize crops for the recogniser
# differently (RapidOCR pads to a 320-wide batch), which moves the mean character probability, not the argmax.
BOX_TOLERANCE_PX = 4
SCORE_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def models_installed(default_ocr):
    return default_ocr


@pytest.fixture(scope="module")
def raw_ocr(models_installed):
    """The default models with the detector settings RapidOCR ran with (golden.json's rapidocr_params; PP-OCRv6's
    own settings in onnxocr differ: limit_type min, thresh 0.2, box_thresh 0.45, unclip 1.4) and no space
    recovery, so both systems run the same algorithm on the same weights and the recogniser's own output is compared."""
    from onnxocr import OCR

    params = GOLDEN["rapidocr_params"]
    return OCR(use_cls=False, rec_space_recovery=False, det_limit_side_len=params["Det.limit_side_len"],
               det_limit_type=params["Det.limit_type"], det_thresh=0.3, det_box_thresh=params["Det.box_thresh"],
               det_unclip_ratio=params["Det.unclip_ratio"])


def image(name: str) -> np.ndarray:
    path = DATA / f"{name}.png"
    entry = GOLDEN["pages"].get(name) or GOLDEN["lines"][name]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], f"{path} is not the image RapidOCR read"
    return cv2.imread(str(path), cv2.IMREAD_COLOR)


def test_the_golden_file_is_rapidocrs_reading_of_the_same_weights():
    from onnxocr.models.catalog import load_catalog

    assert GOLDEN["made_by"].startswith("RapidOCR 3.10.") and "record.py" in GOLDEN["command"]
    assert {"PP-OCRv6_det_small.onnx", "PP-OCRv6_rec_small.onnx"} <= set(GOLDEN["models"])
    assert {"PP-OCRv6_small_det", "PP-OCRv6_small_rec"} <= set(load_catalog().default_convert)


@pytest.mark.parametrize("name", sorted(GOLDEN["pages"]))
def test_pages_match_rapidocr_line_for_line(raw_ocr, name):
    want = GOLDEN["pages"][name]["lines"]
    got = raw_ocr(image(name)).lines
    assert [line.text for line in got] == [line["text"] for line in want]
    for line, ref in zip(got, want):
        corners = np.abs(np.asarray(line.box, float) - np.asarray(ref["box"], float)).max()
        assert corners <= BOX_TOLERANCE_PX, (ref["text"], line.box, ref["box"])
        assert abs(line.score - ref["score"]) <= SCORE_TOLERANCE, (ref["text"], line.score, ref["score"])


@pytest.mark.parametrize("name", sorted(GOLDEN["lines"]))
def test_the_recogniser_alone_matches_rapidocr(models_installed, name):
    from onnxocr import OCR

    ref = GOLDEN["lines"][name]
    got = OCR(use_det=False, use_cls=False, rec_space_recovery=False)(image(name)).lines
    assert len(got) == 1 and got[0].text == ref["text"]
    assert abs(got[0].score - ref["score"]) <= SCORE_TOLERANCE


@pytest.mark.parametrize("name", sorted(GOLDEN["pages"]))
def test_default_reading_is_the_rendered_text(default_ocr, name):
    """The defaults as users get them (space recovery on) read every rendered line exactly (runs of spaces count as
    one: a page shows a gap, not how many spaces made it)."""
    got = [line.text for line in default_ocr(image(name)).lines]
    assert got == [" ".join(text.split()) for text in GOLDEN["texts"][name]]
