"""The detector's input scale from the size of the text (det_scale auto, onnxocr/core/det_scale.py).

Unit tests of the rule on hand-made geometry with known answers, then the default models on pages rendered with
known text (DejaVu Sans, tests/doclib.py) at 100 and 300 dpi: the same text comes back at both resolutions, and
the detector's input stays within the rule's bounds whatever the page size.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from onnxocr.core import det_scale
from onnxocr.core.det_scale import (
    FIRST_LOOK_PIXELS, MAX_PIXELS, TARGET_LINE_HEIGHT, box_heights, first_look_shape, fit_shape, second_look_shape,
)
from onnxocr.core.detection import det_resize_shape


def test_fit_shape_keeps_the_aspect_within_the_pixel_bound():
    h, w = fit_shape(3300, 2550, FIRST_LOOK_PIXELS)  # a 300-dpi letter page
    assert h % 32 == 0 and w % 32 == 0
    assert h * w <= FIRST_LOOK_PIXELS
    assert abs(h / w - 3300 / 2550) < 0.05
    assert h * w > 0.85 * FIRST_LOOK_PIXELS  # not needlessly small: only the rounding to 32 is lost
    assert fit_shape(736, 1280, FIRST_LOOK_PIXELS) == (736, 1280)  # within the bound: unchanged
    assert fit_shape(20, 30000, 1024) == (32, 32)  # never below one 32 x 32 cell
    assert fit_shape(32, 40000, 32 * 1024) == (32, 1024)  # a thin strip: the long side takes what the bound leaves


def test_box_heights_are_the_short_sides_of_the_quads():
    flat = [[10, 10], [110, 10], [110, 30], [10, 30]]  # 100 x 20
    tall = [[0, 0], [8, 0], [8, 50], [0, 50]]  # a vertical line, 8 wide: its height is 8
    angle = math.radians(30)  # 60 x 12, turned 30 degrees
    u, v = np.array([math.cos(angle), math.sin(angle)]), np.array([-math.sin(angle), math.cos(angle)])
    turned = [[0, 0], list(60 * u), list(60 * u + 12 * v), list(12 * v)]
    assert np.allclose(box_heights(np.array([flat, tall, turned], np.float32)), [20, 8, 12], atol=1e-4)
    assert box_heights(np.zeros((0, 4, 2), np.float32)).shape == (0,)


def test_an_image_whose_model_input_fits_the_first_look_is_detected_once_at_the_models_size():
    photo = det_resize_shape(720, 1280, 64, "min", 4000)  # ICDAR 2015: 1280 x 720
    form = det_resize_shape(1000, 802, 64, "min", 4000)  # a ~100-dpi FUNSD form
    v4 = det_resize_shape(3300, 2550, 960, "max", 4000)  # a 300-dpi page under the v4 "max 960" rule
    assert first_look_shape(photo) is None and first_look_shape(form) is None and first_look_shape(v4) is None
    scan = det_resize_shape(3300, 2550, 64, "min", 4000)
    assert scan == (3296, 2560)
    assert first_look_shape(scan) == fit_shape(3296, 2560, FIRST_LOOK_PIXELS)


def test_lines_tall_enough_at_the_first_look_need_no_second_pass():
    model, first = (3296, 2560), (992, 768)
    assert second_look_shape(model, first, np.full(40, TARGET_LINE_HEIGHT)) is None
    # within the rerun factor: the gain would not pay for a second pass
    assert second_look_shape(model, first, np.full(40, TARGET_LINE_HEIGHT / 1.15)) is None
    # taller lines never shrink the input: the first look's boxes stand
    assert second_look_shape(model, first, np.full(40, 40.0)) is None


def test_small_lines_get_the_scale_at_which_they_are_the_target_height():
    model, first = (3296, 2560), (992, 768)
    shape = second_look_shape(model, first, np.array([7.0, 9.0, 9.0, 9.0, 30.0]))  # median 9 px
    assert shape is not None and shape[0] % 32 == 0 and shape[1] % 32 == 0
    # 9 px at the first look * (shape / first) = the target height, up to the rounding to 32 px
    assert abs(9.0 * shape[0] / first[0] - TARGET_LINE_HEIGHT) < 0.5
    assert abs(9.0 * shape[1] / first[1] - TARGET_LINE_HEIGHT) < 0.5


def test_the_second_pass_is_bounded_by_the_models_rule_and_max_pixels():
    first = (992, 768)
    tiny = np.full(40, 2.0)  # would want 6x the first look
    bound = second_look_shape((3296, 2560), first, tiny)
    assert bound == fit_shape(3296, 2560, MAX_PIXELS) and bound[0] * bound[1] <= MAX_PIXELS
    small_model = (1280, 992)  # the model's own rule gives less than MAX_PIXELS: never above it
    assert second_look_shape(small_model, first, tiny) == (1280, 992)
    assert second_look_shape((1000, 760), (992, 768), tiny) is None  # nothing larger to go to


def test_too_few_boxes_to_measure_try_the_bound():
    model, first = (3296, 2560), (992, 768)
    assert second_look_shape(model, first, np.zeros(0)) == fit_shape(3296, 2560, MAX_PIXELS)
    assert second_look_shape(model, first, np.full(det_scale.MIN_BOXES, 14.0)) is None


# -- the default models on rendered pages ----------------------------------------------------------------------

def _spied(ocr, released=None):
    """Record the detector's input shapes (the model itself runs as always), and in `released` whether each run
    gives its arena memory back."""
    shapes = []
    run = ocr.detector.model.run

    def recording(batch, **options):
        shapes.append(tuple(batch.shape[2:]))
        if released is not None:
            released.append(bool(options.get("release")))
        return run(batch, **options)

    ocr.detector.model.run = recording
    return shapes


@pytest.fixture(scope="module")
def ocr():
    pytest.importorskip("PIL")
    from onnxocr import OCR

    return OCR(threads=2)


def _page(lines, dpi, size_pt):
    from doclib import DEJAVU, render_text_page

    if not DEJAVU.is_file():
        pytest.fail(f"{DEJAVU} is missing: `make system-deps` installs fonts-dejavu-core")
    rgb = np.asarray(render_text_page(lines, dpi=dpi, size_pt=size_pt))
    return np.ascontiguousarray(rgb[:, :, ::-1])


def test_a_page_reads_the_same_at_100_and_300_dpi_with_a_bounded_detector_input(ocr):
    from doclib import page_lines, word_recall

    lines = page_lines(2020, count=14, words_per_line=6)
    expected = "\n".join(lines)
    texts, released = {}, {100: [], 300: []}
    for dpi in (100, 300):
        shapes = _spied(ocr, released[dpi])
        try:
            result = ocr(_page(lines, dpi, 11))
        finally:
            del ocr.detector.model.run
        texts[dpi] = "\n".join(line.text for line in result.lines)
        assert word_recall(expected, texts[dpi]) >= 0.95, (dpi, texts[dpi])
        assert len(shapes) == 1, shapes  # 11 pt body text: the first look is enough at both resolutions
        assert shapes[0][0] * shapes[0][1] <= FIRST_LOOK_PIXELS
    assert word_recall(texts[100], texts[300]) >= 0.95
    # the arena: kept after a page read at its own size within the bound, given back after a scaled large page
    assert released == {100: [False], 300: [True]}


def test_after_a_scan_sized_page_the_recogniser_gives_its_arena_back(ocr):
    """So that the next page's detector run does not stack on it (a 50-page 300-dpi PDF: bench-scans --long-pdf)."""
    from doclib import page_lines

    lines = page_lines(2022, count=6, words_per_line=6)
    released = {}
    model = ocr.recognizer.model
    run = model.session.run
    for dpi in (100, 300):
        flags = released[dpi] = []

        def recording(names, feeds, options=None, flags=flags):
            flags.append(options is model.shrink_options)
            return run(names, feeds, options)

        model.session.run = recording
        try:
            ocr(_page(lines, dpi, 11))
        finally:
            del model.session.run
    assert ocr.detector.gives_back_memory(3300, 2550) and not ocr.detector.gives_back_memory(1100, 850)
    assert released[100] and not any(released[100])  # a 100-dpi page keeps it: no page faults on the next one
    assert released[300][-1] and not any(released[300][:-1])  # the 300-dpi page's lines, then one release


def test_a_form_scanned_at_300_dpi_keeps_its_word_gaps_as_the_full_size_reading_does(ocr):
    """FUNSD form 82092117 (~100 dpi) enlarged 3x: judged by FUNSD's own words. The first look's boxes are
    tighter than the full-size detector's, and unclipped as they were (gain 1.0) the recogniser ran words together
    ("NUMBEROF PAGESINCLUDINGCOVER"): word-bag F1 0.764 against 0.809 at full size; 0.800 with the gain."""
    import cv2

    from bench.lib import datasets, metrics
    from onnxocr import OCR
    from testlib import SHARED

    forms = [f for f in datasets.load_funsd(str(SHARED / "data")) if f.name == "82092117"]
    if not forms:
        pytest.skip(f"FUNSD form 82092117 missing under {SHARED / 'data'} (../shared evaluation data)")
    page = cv2.imread(forms[0].image)
    page = cv2.resize(page, None, fx=3, fy=3, interpolation=cv2.INTER_LANCZOS4)
    full_size = OCR(threads=2, det_scale="model")
    f1 = {name: metrics.page_bags([line.text for line in reader.read_page(page).lines], forms[0].words).words.f1
          for name, reader in (("auto", ocr), ("full", full_size))}
    assert f1["auto"] >= f1["full"] - 0.015, f1


def test_small_print_on_a_large_page_gets_a_second_larger_pass(ocr):
    from doclib import page_lines, word_recall

    lines = page_lines(2021, count=30, words_per_line=7)
    shapes = _spied(ocr)
    try:
        result = ocr(_page(lines, 300, 4.5))  # 4.5 pt at 300 dpi: ~6 px tall at the first look's ~100 dpi
    finally:
        del ocr.detector.model.run
    assert len(shapes) == 2, shapes
    assert shapes[0][0] * shapes[0][1] <= FIRST_LOOK_PIXELS < shapes[1][0] * shapes[1][1] <= MAX_PIXELS
    assert word_recall("\n".join(lines), "\n".join(line.text for line in result.lines)) >= 0.9


def test_explicit_size_limits_switch_the_rule_off():
    from onnxocr import OCR

    ocr = OCR(threads=2, det_limit_type="max", det_limit_side_len=1600)
    assert ocr.config.det.scale == "model"
    shapes = _spied(ocr)
    ocr(np.full((3300, 2550, 3), 255, np.uint8))
    assert shapes == [det_resize_shape(3300, 2550, 1600, "max", 4000)]
    assert OCR(threads=2, det_limit_side_len=1600, det_scale="auto").config.det.scale == "auto"  # both named: as given
