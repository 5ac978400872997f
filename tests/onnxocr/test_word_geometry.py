"""Word boxes of turned lines, checked against where the rendering put each word's ink (not against our output)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from testlib import render_page

TEXT = "Order number 2024"


@pytest.fixture(scope="module")
def word_ocr():
    from onnxocr import OCR
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    missing = [n for n in load_catalog().default_convert if not ModelStore().is_installed(n)]
    if missing:
        pytest.skip(f"default models not converted ({', '.join(missing)}): run `make convert`")
    return OCR(use_cls=True, word_boxes=True, rec_space_recovery=True)


def word_extents(page: np.ndarray, words: int) -> list[tuple[int, int]]:
    """x ranges of the ink of each word of a one-line upright page: split at the words-1 widest ink gaps."""
    ink = np.flatnonzero((cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) < 128).any(axis=0))
    gaps = np.diff(ink)
    cuts = sorted(np.argsort(gaps)[-(words - 1):])
    starts = [ink[0]] + [ink[c + 1] for c in cuts]
    ends = [ink[c] for c in cuts] + [ink[-1]]
    return list(zip(starts, ends))


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


# turn, the image axis words run along after it, and how an upright x maps onto that axis
TURNS = {
    "90-clockwise": (cv2.ROTATE_90_CLOCKWISE, 1, lambda x, w: x),  # reads top to bottom
    "180": (cv2.ROTATE_180, 0, lambda x, w: w - 1 - x),  # upside down: "Order" at the right
    "90-counter-clockwise": (cv2.ROTATE_90_COUNTERCLOCKWISE, 1, lambda x, w: w - 1 - x),  # reads bottom to top
}


@pytest.mark.parametrize("turn", sorted(TURNS))
def test_word_boxes_of_turned_lines_cover_their_own_words(word_ocr, turn):
    code, axis, mapped = TURNS[turn]
    upright = render_page([TEXT])
    truth = word_extents(upright, len(TEXT.split()))
    turned = cv2.rotate(upright, code)
    [line] = word_ocr(turned).lines
    assert [w.text for w in line.words] == TEXT.split()
    for word, (x0, x1) in zip(line.words, truth):
        along = sorted((mapped(x0, upright.shape[1]), mapped(x1, upright.shape[1])))
        box = word.box[:, axis]
        assert overlap((float(box.min()), float(box.max())), along) >= 0.6, (word.text, box, along)
        assert int(np.argmin(word.box.sum(axis=1))) == 0, word.box  # starts at its top-left corner
        # clockwise in image coordinates (y down): positive shoelace area
        x, y = word.box[:, 0], word.box[:, 1]
        assert float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) > 0
