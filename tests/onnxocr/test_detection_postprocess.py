"""DB post-processing, box order and resize rules on hand-made arrays (no model)."""

import numpy as np
import pytest

from onnxocr.config import DetConfig
from onnxocr.core.detection import (
    DBPostprocess,
    det_resize_shape,
    filter_boxes,
    order_quad_clockwise,
    sort_reading_order,
    unclip,
)


def prob_map_with(rects, shape=(160, 320), value=0.9):
    prob = np.zeros(shape, dtype=np.float32)
    for x0, y0, x1, y1 in rects:
        prob[y0:y1, x0:x1] = value
    return prob


def test_one_rectangle_gives_one_expanded_box_in_source_pixels():
    prob = prob_map_with([(40, 40, 200, 60)])
    boxes, scores = DBPostprocess(DetConfig())(prob, src_height=320, src_width=640)
    assert boxes.shape == (1, 4, 2)
    # mean probability under the box: the region's 0.9, diluted a little by the box's zero-valued rim
    assert 0.8 < scores[0] <= 0.9
    xs, ys = boxes[0, :, 0], boxes[0, :, 1]
    # contour through pixel centres 40..199 x 40..59, unclipped by area*1.5/perimeter (~13 px), then scaled x2
    assert xs.min() == pytest.approx(2 * (40 - 13.3), abs=4)
    assert xs.max() == pytest.approx(2 * (199 + 13.3), abs=4)
    assert ys.min() == pytest.approx(2 * (40 - 13.3), abs=4)
    assert ys.max() == pytest.approx(2 * (59 + 13.3), abs=4)


def test_regions_below_box_thresh_or_min_size_are_dropped():
    weak = prob_map_with([(40, 40, 200, 60)], value=0.5)  # above thresh 0.3, below box_thresh 0.6
    assert len(DBPostprocess(DetConfig())(weak, 160, 320)[0]) == 0
    tiny = prob_map_with([(40, 40, 42, 42)])  # 2 px square < min_size 3
    assert len(DBPostprocess(DetConfig())(tiny, 160, 320)[0]) == 0
    assert len(DBPostprocess(DetConfig(box_thresh=0.4))(weak, 160, 320)[0]) == 1


def test_max_candidates_limits_the_number_of_boxes():
    rects = [(10 + 30 * i, 10, 30 + 30 * i, 30) for i in range(8)]
    prob = prob_map_with(rects)
    assert len(DBPostprocess(DetConfig())(prob, 160, 320)[0]) == 8
    assert len(DBPostprocess(DetConfig(max_candidates=3))(prob, 160, 320)[0]) == 3


def test_slow_score_mode_scores_the_polygon_and_fast_mode_its_rectangle():
    """A right triangle of 0.9 (legs 120 x 40 px): its minimum-area rectangle is the legs' rectangle, twice the
    triangle's area, so the fast score (mean over the rectangle) is 0.9 / 2 = 0.45, under box_thresh 0.6, and
    the slow score (mean over the contour polygon) is 0.9: one box in slow mode, none in fast mode."""
    import cv2

    prob = np.zeros((160, 320), np.float32)
    cv2.fillPoly(prob, [np.array([[40, 40], [160, 80], [40, 80]], np.int32)], 0.9)
    fast_boxes, _ = DBPostprocess(DetConfig(score_mode="fast"))(prob, 160, 320)
    slow_boxes, slow_scores = DBPostprocess(DetConfig(score_mode="slow"))(prob, 160, 320)
    assert len(fast_boxes) == 0
    assert len(slow_boxes) == 1 and slow_scores[0] == pytest.approx(0.9, abs=0.03)
    from onnxocr.core.detection import _box_score_fast, _mini_box

    contour = cv2.findContours((prob > 0.3).astype(np.uint8) * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)[0][0]
    assert _box_score_fast(prob, _mini_box(contour)[0]) == pytest.approx(0.45, abs=0.03)


@pytest.mark.parametrize("gap, merged", [(1, True), (2, False)])
def test_dilation_closes_a_one_pixel_gap_and_no_wider(gap, merged):
    """Two 0.9 rectangles `gap` columns apart: the 2x2 dilation grows each region by one pixel to the right and
    down, so a 1-px gap closes (one box) and a 2-px gap stays open (two boxes); without dilation, always two."""
    prob = prob_map_with([(40, 40, 120, 60), (120 + gap, 40, 200, 60)])
    assert len(DBPostprocess(DetConfig())(prob, 160, 320)[0]) == 2
    assert len(DBPostprocess(DetConfig(use_dilation=True))(prob, 160, 320)[0]) == (1 if merged else 2)


def test_nan_in_probability_map_does_not_raise():
    prob = prob_map_with([(40, 40, 200, 60)])
    prob[0, 0] = np.nan
    boxes, _ = DBPostprocess(DetConfig())(prob, 160, 320)
    assert len(boxes) == 1


def test_unclip_grows_a_square_by_the_db_distance():
    square = np.array([[0, 0], [100, 0], [100, 100], [0, 100]], dtype=np.float32)
    grown = unclip(square, 1.5)  # distance = 10000 * 1.5 / 400 = 37.5
    assert grown[:, 0].min() == pytest.approx(-37.5, abs=1.5)
    assert grown[:, 0].max() == pytest.approx(137.5, abs=1.5)
    assert len(unclip(np.zeros((4, 2), dtype=np.float32), 1.5)) == 0


@pytest.mark.parametrize(
    "h, w, limit, kind, expected",
    [
        (720, 1280, 960, "max", (544, 960)),  # 720*0.75=540 -> 544, 1280*0.75=960
        (100, 200, 960, "max", (96, 192)),  # no upscaling under max
        (10, 10, 960, "max", (32, 32)),  # at least 32
        (100, 200, 736, "min", (736, 1472)),  # min side raised to the limit
    ],
)
def test_det_resize_shape(h, w, limit, kind, expected):
    assert det_resize_shape(h, w, limit, kind) == expected


def test_order_quad_clockwise_from_any_start():
    quad = np.array([[10, 10], [50, 12], [49, 30], [9, 28]], dtype=np.float32)
    for shift in range(4):
        np.testing.assert_array_equal(order_quad_clockwise(np.roll(quad, shift, axis=0)), quad)


def test_filter_boxes_clips_to_image_and_drops_thin_boxes():
    boxes = np.array(
        [
            [[-5, -5], [120, -5], [120, 20], [-5, 20]],  # partly outside: clipped
            [[10, 50], [60, 50], [60, 52], [10, 52]],  # 2 px tall: dropped
        ],
        dtype=np.float32,
    )
    kept = filter_boxes(boxes, height=100, width=100)
    assert kept.shape == (1, 4, 2)
    assert kept[..., 0].min() >= 0 and kept[..., 0].max() <= 99
    assert kept[..., 1].min() >= 0 and kept[..., 1].max() <= 99


def test_reading_order_top_to_bottom_then_left_to_right_within_a_line():
    def box(x, y):
        return [[x, y], [x + 40, y], [x + 40, y + 20], [x, y + 20]]

    boxes = np.array([box(200, 105), box(10, 100), box(10, 10), box(300, 98)], dtype=np.float32)
    order = sort_reading_order(boxes)
    assert [tuple(boxes[i][0]) for i in order] == [(10, 10), (10, 100), (200, 105), (300, 98)]
