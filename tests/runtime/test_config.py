"""The one configuration home: PaddleOCR's defaults, flat overrides, unknown names refused."""

import pytest

from onnxocr.config import OCRConfig, option_names


def test_defaults_are_paddleocr_2x_defaults():
    cfg = OCRConfig()
    assert (cfg.det.limit_side_len, cfg.det.limit_type) == (960, "max")
    assert (cfg.det.thresh, cfg.det.box_thresh, cfg.det.unclip_ratio) == (0.3, 0.6, 1.5)
    assert (cfg.det.max_candidates, cfg.det.min_size, cfg.det.score_mode) == (1000, 3, "fast")
    assert (cfg.cls.image_shape, cfg.cls.thresh, cfg.cls.labels) == ((3, 48, 192), 0.9, ("0", "180"))
    assert (cfg.rec.batch_size, cfg.rec.image_width, cfg.drop_score) == (6, 320, 0.5)


def test_flat_overrides_reach_the_nested_field_and_none_is_ignored():
    cfg = OCRConfig().replace(det_box_thresh=0.5, rec_batch_size=8, drop_score=None, use_cls=True)
    assert cfg.det.box_thresh == 0.5 and cfg.rec.batch_size == 8 and cfg.use_cls
    assert cfg.drop_score == 0.5
    assert OCRConfig().det.box_thresh == 0.6  # the original is untouched


def test_unknown_option_is_refused_with_the_known_names():
    with pytest.raises(TypeError, match="unknown option 'det_box_threshold'"):
        OCRConfig().replace(det_box_threshold=0.5)
    assert "det_box_thresh" in option_names()
