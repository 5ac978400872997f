"""The one configuration home: PaddleOCR's defaults, flat overrides, unknown names refused."""

import pytest

from onnxocr.config import OCRConfig, option_names


def test_defaults_are_paddleocr_2x_defaults():
    cfg = OCRConfig()
    assert (cfg.det.limit_side_len, cfg.det.limit_type) == (960, "max")
    assert (cfg.det.thresh, cfg.det.box_thresh, cfg.det.unclip_ratio) == (0.3, 0.6, 1.5)
    assert (cfg.det.max_candidates, cfg.det.min_size, cfg.det.score_mode) == (1000, 3, "fast")
    assert (cfg.cls.image_shape, cfg.cls.thresh, cfg.cls.labels) == ((3, 48, 192), 0.9, ("0", "180"))
    # rec batch size None: PaddleOCR's 6 on one session, 1 per parallel CPU worker (test_rec_workers.py)
    assert (cfg.rec.batch_size, cfg.rec.image_width, cfg.drop_score) == (None, 320, 0.5)


def test_flat_overrides_reach_the_nested_field_and_none_is_ignored():
    cfg = OCRConfig().replace(det_box_thresh=0.5, rec_batch_size=8, drop_score=None, use_cls=True)
    assert cfg.det.box_thresh == 0.5 and cfg.rec.batch_size == 8 and cfg.use_cls
    assert cfg.drop_score == 0.5
    assert OCRConfig().det.box_thresh == 0.6  # the original is untouched


def test_unknown_option_is_refused_with_the_known_names():
    with pytest.raises(TypeError, match="unknown option 'det_box_threshold'"):
        OCRConfig().replace(det_box_threshold=0.5)
    assert "det_box_thresh" in option_names()


@pytest.mark.parametrize(
    "option, value, allowed",
    [
        ("det_limit_type", "maxx", "one of 'max', 'min'"),
        ("det_score_mode", "fastest", "one of 'fast', 'slow'"),
        ("rec_batch_mode", "PADDLE", "one of 'paddle', 'width'"),
        ("drop_score", 7, "a number from 0.0 to 1.0"),
        ("det_box_thresh", -0.1, "a number from 0.0 to 1.0"),
        ("det_thresh", float("nan"), "a number from 0.0 to 1.0"),
        ("rec_batch_size", 0, "an integer >= 1 (or None)"),
        ("rec_batch_size", "6", "an integer >= 1 (or None)"),
        ("det_limit_side_len", 960.5, "an integer >= 1"),
        ("use_cls", "yes", "True or False"),
        ("rec_space_recovery", 1, "True or False (or None)"),
        ("max_image_pixels", -5, "an integer >= 0 (or None)"),
        ("engine_intra_op_threads", True, "an integer >= 0 (or None)"),
    ],
)
def test_bad_option_values_are_refused_naming_option_value_and_allowed_values(option, value, allowed):
    from onnxocr.errors import OnnxOCRError, OptionError

    with pytest.raises(OptionError) as caught:
        OCRConfig().replace(**{option: value})
    message = str(caught.value)
    assert message == f"option {option}={value!r} is not allowed: use {allowed}"
    assert isinstance(caught.value, OnnxOCRError) and isinstance(caught.value, ValueError)


def test_good_values_of_every_kind_pass():
    import numpy as np

    cfg = OCRConfig().replace(det_limit_type="min", drop_score=1, det_thresh=np.float32(0.2), rec_batch_size=np.int64(8),
                              rec_image_height=32, max_image_pixels=0, rec_space_recovery=False)
    assert (cfg.det.limit_type, cfg.drop_score, cfg.rec.batch_size) == ("min", 1, 8)


def test_ocr_checks_options_before_it_looks_for_models(tmp_path):
    from onnxocr import OCR
    from onnxocr.errors import OptionError

    with pytest.raises(OptionError, match="option det_limit_type='maxx'"):
        OCR(det_limit_type="maxx", store=tmp_path)  # an empty store: a model error would come first otherwise


def test_cli_exits_2_on_a_bad_option_before_reading_any_image(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, ONNXOCR_HOME=str(tmp_path))
    for flags, named in ((["--det-limit-type", "maxx"], "det_limit_type='maxx'"), (["--drop-score", "7"], "drop_score=7.0")):
        proc = subprocess.run([sys.executable, "-m", "onnxocr", *flags, str(tmp_path / "missing.png")],
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip().splitlines() == [f"onnxocr: error: option {named} is not allowed: "
                                                    f"use {'one of ' + repr('max') + ', ' + repr('min') if 'limit' in named else 'a number from 0.0 to 1.0'}"]
