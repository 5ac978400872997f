"""Pure scoring functions of bench/lib/metrics.py on hand-made quads and strings with known answers."""

import math

import pytest

from bench.lib.metrics import (
    BagCounts,
    bag_counts,
    bag_f1,
    chars_of,
    convex_hull,
    icdar2015_image_counts,
    icdar2015_scores,
    intersection_area,
    match_one_to_one,
    normalize_e2e_text,
    page_bags,
    polygon_area,
    prf,
    quad_iou,
    words_of,
)


def rect(x0, y0, x1, y1):
    """Axis-aligned quad, clockwise on screen from top-left (the orientation OCR boxes use)."""
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


# ------------------------------------------------------------------------------------------ geometry

def test_area_of_rectangle_and_orientation_independence():
    assert polygon_area(rect(0, 0, 4, 3)) == 12
    assert polygon_area(rect(0, 0, 4, 3)[::-1]) == 12


def test_iou_identical_disjoint_and_half_overlap():
    assert quad_iou(rect(0, 0, 10, 10), rect(0, 0, 10, 10)) == pytest.approx(1.0)
    assert quad_iou(rect(0, 0, 10, 10), rect(20, 20, 30, 30)) == 0.0
    # touching edges: zero intersection
    assert quad_iou(rect(0, 0, 10, 10), rect(10, 0, 20, 10)) == 0.0
    # shifted by half the width: inter 50, union 150
    assert quad_iou(rect(0, 0, 10, 10), rect(5, 0, 15, 10)) == pytest.approx(1 / 3)


def test_iou_contained_box():
    # 4x4 inside 10x10: 16 / 100
    assert quad_iou(rect(0, 0, 10, 10), rect(3, 3, 7, 7)) == pytest.approx(0.16)


def test_iou_rotated_square_against_axis_square():
    # diamond with vertices on the midpoints of the square's edges: area half of the square, fully inside
    square = rect(0, 0, 2, 2)
    diamond = [[1, 0], [2, 1], [1, 2], [0, 1]]
    assert polygon_area(diamond) == pytest.approx(2.0)
    assert quad_iou(square, diamond) == pytest.approx(0.5)


def test_iou_is_symmetric_and_orientation_free():
    a = [[0, 0], [10, 1], [9, 6], [-1, 5]]
    b = [[3, -2], [14, 0], [12, 7], [2, 4]]
    v = quad_iou(a, b)
    assert 0 < v < 1
    assert quad_iou(b, a) == pytest.approx(v)
    assert quad_iou(a[::-1], b) == pytest.approx(v)
    assert quad_iou(a[1:] + a[:1], b) == pytest.approx(v)


def test_non_convex_quad_intersection_is_exact():
    # "arrowhead" pentagon: the square 0..4 with a notch to (2, 2) cut from the top edge -> area 16 - 4 = 12
    arrow = [[0, 4], [0, 0], [2, 2], [4, 0], [4, 4]]
    assert polygon_area(arrow) == pytest.approx(12.0)
    # the full square overlaps the arrowhead exactly on the arrowhead's area
    assert intersection_area(arrow, rect(0, 0, 4, 4)) == pytest.approx(12.0)
    assert quad_iou(arrow, rect(0, 0, 4, 4)) == pytest.approx(12 / 16)
    # the notch triangle itself (0,0),(4,0),(2,2) does not overlap the arrowhead
    assert intersection_area(arrow, [[0, 0], [4, 0], [2, 2]]) == pytest.approx(0.0, abs=1e-9)


def test_true_non_convex_quad():
    # concave quad (one reflex vertex at (2, 1)): triangles (0,0),(4,0),(2,1) removed from (0,0),(4,0),(2,4)
    dart = [[0, 0], [2, 1], [4, 0], [2, 4]]
    assert polygon_area(dart) == pytest.approx(8 - 2)
    assert intersection_area(dart, rect(0, 0, 4, 4)) == pytest.approx(6.0)
    # a convex-hull based IoU would give 8/16; the exact one is 6/16
    assert quad_iou(dart, rect(0, 0, 4, 4)) == pytest.approx(6 / 16)


def test_bow_tie_falls_back_to_convex_hull():
    bow = [[0, 0], [4, 4], [4, 0], [0, 4]]  # self-intersecting
    assert convex_hull(bow) and polygon_area(convex_hull(bow)) == pytest.approx(16.0)
    assert quad_iou(bow, rect(0, 0, 4, 4)) == pytest.approx(1.0)


def test_degenerate_quad_has_zero_iou():
    line = [[0, 0], [5, 0], [10, 0], [3, 0]]
    assert quad_iou(line, rect(0, 0, 10, 10)) == 0.0


# ------------------------------------------------------------------------------------------ matching

def test_match_one_to_one_prefers_highest_iou():
    # det 0 overlaps gt 0 (0.6) and gt 1 (0.9); det 1 overlaps gt 0 (0.7) only
    m = [[0.6, 0.7], [0.9, 0.0]]
    assert match_one_to_one(m, 0.5) == [(0, 1, 0.7), (1, 0, 0.9)]


def test_match_threshold_strict_vs_inclusive():
    m = [[0.5]]
    assert match_one_to_one(m, 0.5) == [(0, 0, 0.5)]
    assert match_one_to_one(m, 0.5, strict=True) == []


def test_match_is_one_to_one():
    m = [[0.95, 0.92], [0.0, 0.0]]
    assert match_one_to_one(m, 0.9) == [(0, 0, 0.95)]


# ------------------------------------------------------------------------------------------ ICDAR 2015

def test_prf_edges():
    assert prf(0, 0, 0) == {"precision": 1.0, "recall": 1.0, "hmean": 1.0}
    assert prf(0, 3, 0)["precision"] == 0.0 and prf(0, 3, 0)["recall"] == 1.0
    assert prf(0, 0, 3) == {"precision": 0.0, "recall": 0.0, "hmean": 0.0}
    r = prf(2, 4, 3)
    assert r["precision"] == 0.5 and r["recall"] == pytest.approx(2 / 3)
    assert r["hmean"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_icdar_counts_match_and_false_positive():
    gt = [rect(0, 0, 10, 10), rect(100, 0, 110, 10)]
    dets = [rect(1, 0, 11, 10), rect(200, 200, 210, 210)]  # IoU 9/11 with gt 0; one FP; gt 1 missed
    c = icdar2015_image_counts(gt, ["a", "b"], [False, False], dets, ["A", "x"])
    assert (c.care_gt, c.care_det, c.matched, c.e2e_correct, c.ignored_det) == (2, 2, 1, 1, 0)
    s = icdar2015_scores(c)
    assert s["det_precision"] == 0.5 and s["det_recall"] == 0.5 and s["det_hmean"] == 0.5


def test_icdar_iou_must_exceed_half():
    gt = [rect(0, 0, 10, 10)]
    # IoU exactly 1/2: det covers 10x10 plus... use a det of 10x20 containing the gt: 100/200
    c = icdar2015_image_counts(gt, ["a"], [False], [rect(0, 0, 10, 20)])
    assert c.matched == 0
    c = icdar2015_image_counts(gt, ["a"], [False], [rect(0, 0, 10, 19)])
    assert c.matched == 1


def test_icdar_dont_care_gt_and_detection():
    gt = [rect(0, 0, 10, 10), rect(50, 0, 70, 10)]
    dc = [False, True]
    dets = [
        rect(0, 0, 10, 10),  # matches care gt
        rect(52, 0, 62, 10),  # fully inside the don't-care region -> ignored
        rect(65, 0, 75, 10),  # half inside (50% is not > 50%) -> counts, FP
    ]
    c = icdar2015_image_counts(gt, ["a", "###"], dc, dets)
    assert c.care_gt == 1
    assert c.ignored_det == 1
    assert c.care_det == 2
    assert c.matched == 1
    s = icdar2015_scores(c)
    assert s["det_recall"] == 1.0 and s["det_precision"] == 0.5


def test_icdar_dont_care_gt_never_counts_as_match():
    # a detection right on a don't-care region: ignored, not a TP and not an FP
    c = icdar2015_image_counts([rect(0, 0, 10, 10)], ["###"], [True], [rect(0, 0, 10, 10)])
    assert (c.care_gt, c.care_det, c.matched) == (0, 0, 0)


def test_e2e_text_normalisation_and_mismatch():
    assert normalize_e2e_text("Hello,") == normalize_e2e_text("hello")
    assert normalize_e2e_text('"(EXIT)"') == "exit"
    assert normalize_e2e_text("FOO BAR") != normalize_e2e_text("FOO")
    gt = [rect(0, 0, 10, 10), rect(20, 0, 30, 10)]
    dets = [rect(0, 0, 10, 10), rect(20, 0, 30, 10)]
    c = icdar2015_image_counts(gt, ["Exit", "Open"], [False, False], dets, ["EXIT.", "Opem"])
    assert c.matched == 2 and c.e2e_correct == 1
    s = icdar2015_scores(c)
    assert s["det_hmean"] == 1.0 and s["e2e_hmean"] == 0.5


def test_counts_sum():
    a = icdar2015_image_counts([rect(0, 0, 10, 10)], ["a"], [False], [rect(0, 0, 10, 10)], ["a"])
    b = icdar2015_image_counts([rect(0, 0, 10, 10)], ["a"], [False], [], [])
    t = a + b
    assert (t.care_gt, t.care_det, t.matched, t.e2e_correct) == (2, 1, 1, 1)


# ------------------------------------------------------------------------------------------ bags

def test_words_and_chars_split():
    assert words_of(["Hello  world", " x\ty "]) == ["Hello", "world", "x", "y"]
    assert chars_of("a b\u3000c") == ["a", "b", "c"]  # ideographic space is whitespace
    # NFC: decomposed e + combining acute equals precomposed é
    assert words_of("e\u0301") == ["\u00e9"]


def test_bag_f1_known_values():
    assert bag_f1(["a", "b", "c"], ["a", "b", "c"]) == 1.0
    assert bag_f1([], ["a"]) == 0.0
    assert bag_f1([], []) == 1.0
    # multiset: pred has 'a' twice, gt once -> common 1; 2*1/(2+1)
    assert bag_f1(["a", "a"], ["a"]) == pytest.approx(2 / 3)
    c = bag_counts(["x", "y", "z", "y"], ["y", "y", "w"])
    assert (c.common, c.n_pred, c.n_gt) == (2, 4, 3)
    assert c.f1 == pytest.approx(4 / 7)
    assert c.precision == 0.5 and c.recall == pytest.approx(2 / 3)


def test_page_bags_glued_words_hurt_word_bag_not_char_bag():
    # the Chinese recogniser's failure mode on English: spaces dropped
    gt = ["TO", "TRAVEL", "TO", "IS:"]
    pred = ["TOTRAVEL TO IS:"]
    pb = page_bags(pred, gt)
    assert pb.chars.f1 == 1.0
    assert pb.words.common == 2 and pb.words.f1 == pytest.approx(2 * 2 / (3 + 4))


def test_bag_counts_micro_average():
    total = bag_counts(["a"], ["a"]) + bag_counts(["b", "c", "d"], ["x"])
    assert isinstance(total, BagCounts)
    assert total.f1 == pytest.approx(2 * 1 / (4 + 2))
    # not the macro average of 1.0 and 0.0
    assert not math.isclose(total.f1, 0.5)


def test_case_sensitive_bags():
    assert bag_f1(words_of("Total"), words_of("TOTAL")) == 0.0
