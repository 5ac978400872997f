"""Preprocessing from the model: ONNX metadata (onnxocr.det.*, onnxocr.rec.image_shape) -> options, applied
under the caller's explicit options."""

from __future__ import annotations

import pytest

from onnxocr.config import DetConfig, OCRConfig
from onnxocr.core.detection import det_resize_shape
from onnxocr.errors import ModelLoadError
from onnxocr.core.metadata import options_from_metadata

V6_DET_META = {
    "onnxocr.det.limit_side_len": "736", "onnxocr.det.limit_type": "min", "onnxocr.det.max_side_limit": "4000",
    "onnxocr.det.mean": "0.5,0.5,0.5", "onnxocr.det.std": "0.5,0.5,0.5", "onnxocr.det.thresh": "0.2",
    "onnxocr.det.box_thresh": "0.45", "onnxocr.det.unclip_ratio": "1.4", "onnxocr.det.max_candidates": "3000",
    "onnxocr.det.use_dilation": "false",
}


def test_det_metadata_becomes_options():
    options = options_from_metadata("det", V6_DET_META, "det.onnx")
    assert options == {"det_limit_side_len": 736, "det_limit_type": "min", "det_max_side_limit": 4000,
                       "det_mean": (0.5, 0.5, 0.5), "det_std": (0.5, 0.5, 0.5), "det_thresh": 0.2,
                       "det_box_thresh": 0.45, "det_unclip_ratio": 1.4, "det_max_candidates": 3000,
                       "det_use_dilation": False}
    config = OCRConfig().replace(**options)  # every key names a real option
    assert config.det.std == (0.5, 0.5, 0.5) and config.det.limit_type == "min"


def test_rec_shape_and_older_files():
    assert options_from_metadata("rec", {"onnxocr.rec.image_shape": "3,48,320"}, "r.onnx") == {
        "rec_image_height": 48, "rec_image_width": 320}
    assert options_from_metadata("det", {"onnxocr.name": "ch_PP-OCRv4_det"}, "d.onnx") == {}  # converted before this
    assert options_from_metadata("cls", V6_DET_META, "c.onnx") == {}


@pytest.mark.parametrize("key, value", [("onnxocr.det.mean", "0.5,0.5"), ("onnxocr.det.limit_type", "long"),
                                        ("onnxocr.det.thresh", "high"), ("onnxocr.det.use_dilation", "yes")])
def test_malformed_metadata_is_one_line_naming_the_key(key, value):
    with pytest.raises(ModelLoadError) as caught:
        options_from_metadata("det", {**V6_DET_META, key: value}, "det.onnx")
    message = str(caught.value)
    assert "\n" not in message and key in message and "det.onnx" in message


@pytest.mark.parametrize("h, w, limit, kind, cap, expected", [
    (720, 1280, 736, "min", 4000, (736, 1312)),   # 1280 * 736/720 = 1308.4 -> 1312
    # 400 -> 736 makes the long side int(3000 * 1.84) = 5519 (float): capped to 4000, the short side to
    # int(736 * 4000 / 5519) = 533, rounded to 544; uncapped (PaddleOCR 2.x's rule) 5519 rounds to 5504
    (3000, 400, 736, "min", 4000, (4000, 544)),
    (3000, 400, 736, "min", None, (5504, 736)),
    (1000, 800, 960, "max", 4000, (960, 768)),
])
def test_resize_rule_with_max_side_limit(h, w, limit, kind, cap, expected):
    assert det_resize_shape(h, w, limit, kind, cap) == expected


def test_default_store_models_run_with_their_catalog_preprocessing():
    from onnxocr import OCR
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    catalog = load_catalog()
    names = catalog.model_set(catalog.default_lang)[1]
    if not all(ModelStore().is_installed(names[t]) for t in ("det", "rec")):
        pytest.skip("default models not converted: run `make convert`")
    want = catalog.model(names["det"]).preprocess
    det = OCR().config.det
    for key, value in want.items():
        assert getattr(det, key) == (tuple(value) if isinstance(value, list) else value), key
    height, width = catalog.model(names["rec"]).preprocess["image_shape"][1:]
    rec = OCR().config.rec
    assert (rec.image_height, rec.image_width) == (height, width)
    # explicit options win, per option and through a config object
    user = OCR(det_box_thresh=0.71, det_limit_side_len=1280)
    assert (user.config.det.box_thresh, user.config.det.limit_side_len) == (0.71, 1280)
    assert user.config.det.thresh == want["thresh"]
    given = OCR(config=OCRConfig(det=DetConfig(unclip_ratio=2.0)))
    assert given.config.det.unclip_ratio == 2.0 and given.config.det.box_thresh == want["box_thresh"]
