"""Property tests (issue #6): DB post-processing, CTC decoding and crop geometry never raise on any input,
and their outputs stay inside the image."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from onnxocr.config import DetConfig
from onnxocr.core.crop import crop_quad, resize_normalize_pad
from onnxocr.core.detection import DBPostprocess, filter_boxes, sort_reading_order
from onnxocr.core.recognition import ctc_greedy_decode

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

probability = st.floats(0.0, 1.0, width=32)
odd_value = st.sampled_from([np.nan, np.inf, -np.inf, -1.0, 2.0])


@st.composite
def probability_maps(draw) -> np.ndarray:
    """A (H, W) float32 map: random blobs of high probability on noise, sometimes with NaN/inf/out-of-range values."""
    height, width = draw(st.integers(1, 64)), draw(st.integers(1, 64))
    prob = draw(arrays(np.float32, (height, width), elements=probability))
    for _ in range(draw(st.integers(0, 4))):
        y0, x0 = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
        prob[y0 : y0 + draw(st.integers(1, 40)), x0 : x0 + draw(st.integers(1, 60))] = draw(st.floats(0.3, 1.0))
    if draw(st.booleans()):
        prob[draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))] = draw(odd_value)
    return prob


det_configs = st.builds(
    DetConfig,
    thresh=st.floats(0.0, 0.9),
    box_thresh=st.floats(0.0, 0.9),
    unclip_ratio=st.floats(0.0, 4.0),
    min_size=st.integers(0, 5),
    score_mode=st.sampled_from(["fast", "slow"]),
    use_dilation=st.booleans(),
)


@SETTINGS
@given(prob=probability_maps(), config=det_configs, src_h=st.integers(1, 5000), src_w=st.integers(1, 5000))
def test_db_postprocess_boxes_stay_inside_the_image(prob, config, src_h, src_w):
    boxes, scores = DBPostprocess(config)(prob, src_h, src_w)
    assert boxes.dtype == np.float32 and boxes.shape[1:] == (4, 2) and len(scores) == len(boxes)
    assert np.all(np.isfinite(boxes)) and np.all(np.isfinite(scores))
    assert np.all(boxes[:, :, 0] >= 0) and np.all(boxes[:, :, 0] <= src_w)
    assert np.all(boxes[:, :, 1] >= 0) and np.all(boxes[:, :, 1] <= src_h)
    assert np.all(scores >= config.box_thresh)
    kept = filter_boxes(boxes, src_h, src_w)
    assert kept.shape[1:] == (4, 2)
    assert np.all(kept[:, :, 0] >= 0) and np.all(kept[:, :, 0] <= src_w - 1)
    assert np.all(kept[:, :, 1] >= 0) and np.all(kept[:, :, 1] <= src_h - 1)
    assert sorted(sort_reading_order(kept)) == list(range(len(kept)))


def _reference_ctc(row_probs: np.ndarray, classes: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    tokens, positions, previous = [], [], None
    for t, step in enumerate(row_probs):
        best = int(np.argmax(step))
        if best != 0 and best != previous:
            tokens.append(classes[best])
            positions.append(t)
        previous = best
    return tuple(tokens), tuple(positions)


@st.composite
def ctc_outputs(draw) -> np.ndarray:
    batch, steps, classes = draw(st.integers(1, 4)), draw(st.integers(0, 40)), draw(st.integers(1, 12))
    logits = draw(arrays(np.float32, (batch, steps, classes), elements=st.floats(-20, 20, width=32)))
    if draw(st.booleans()):  # softmax, as the models output
        exp = np.exp(logits - logits.max(axis=2, keepdims=True, initial=-np.inf) if steps else logits)
        logits = (exp / exp.sum(axis=2, keepdims=True)).astype(np.float32) if steps else logits
    return logits


@SETTINGS
@given(probs=ctc_outputs())
def test_ctc_decode_collapses_repeats_and_drops_blanks(probs):
    classes = ("<blank>",) + tuple(chr(ord("a") + i) for i in range(probs.shape[2] - 1))
    decoded = ctc_greedy_decode(probs, classes)
    assert len(decoded) == probs.shape[0]
    for row, (tokens, score, positions) in zip(probs, decoded):
        assert (tokens, positions) == _reference_ctc(row, classes)
        assert "<blank>" not in tokens
        assert list(positions) == sorted(set(positions)) and all(0 <= p < probs.shape[1] for p in positions)
        assert np.isfinite(score)
        if not positions:
            assert score == 0.0


@SETTINGS
@given(probs=arrays(np.float32, (2, 6, 4), elements=st.one_of(probability, odd_value)))
def test_ctc_decode_survives_nan_and_inf(probs):
    for tokens, score, positions in ctc_greedy_decode(probs, ("<blank>", "a", "b", "c")):
        assert np.isfinite(score) and len(tokens) == len(positions)


coordinate = st.floats(-300, 600, allow_nan=False, width=32)


@st.composite
def degenerate_quads(draw) -> np.ndarray:
    """Quads that are random, collinear, a single point, or a zero-width/height sliver; may leave the image."""
    kind = draw(st.sampled_from(["random", "collinear", "point", "sliver"]))
    if kind == "random":
        return draw(arrays(np.float32, (4, 2), elements=coordinate))
    x0, y0 = draw(coordinate), draw(coordinate)
    if kind == "point":
        return np.array([[x0, y0]] * 4, dtype=np.float32)
    if kind == "collinear":
        dx, dy = draw(coordinate), draw(coordinate)
        steps = draw(st.lists(st.floats(-1, 2, width=32), min_size=4, max_size=4))
        return np.array([[x0 + s * dx, y0 + s * dy] for s in steps], dtype=np.float32)
    w, h = draw(st.floats(0, 300, width=32)), draw(st.floats(0, 2, width=32))
    quad = np.array([[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h]], dtype=np.float32)
    return quad[:, ::-1].copy() if draw(st.booleans()) else quad


@SETTINGS
@given(quad=degenerate_quads(), height=st.integers(1, 200), width=st.integers(1, 300))
def test_crop_of_any_quad_is_a_small_valid_image(quad, height, width):
    image = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    crop = crop_quad(image, quad)
    assert crop.dtype == np.uint8 and crop.ndim == 3 and crop.shape[2] == 3
    assert crop.shape[0] >= 1 and crop.shape[1] >= 1
    span = float(np.ptp(quad, axis=0).max()) * 1.5 + 2  # no side longer than the quad's extent (sides may swap)
    assert max(crop.shape[:2]) <= span
    line = resize_normalize_pad(crop, 48, 320)
    assert line.shape == (3, 48, 320) and np.all(np.isfinite(line)) and np.abs(line).max() <= 1.0


@SETTINGS
@given(quad=degenerate_quads(), height=st.integers(1, 200), width=st.integers(1, 300))
def test_detector_clipping_keeps_any_quad_inside_the_image(quad, height, width):
    kept = filter_boxes(quad[None], height, width, min_side=0)
    assert np.all(kept[:, :, 0] >= 0) and np.all(kept[:, :, 0] <= width - 1)
    assert np.all(kept[:, :, 1] >= 0) and np.all(kept[:, :, 1] <= height - 1)
    image = np.full((height, width, 3), 255, np.uint8)
    for box in kept:
        crop = crop_quad(image, box)
        diagonal = int(np.hypot(height, width)) + 1  # a clipped quad's side is at most the image diagonal
        assert crop.shape[0] <= diagonal and crop.shape[1] <= diagonal
