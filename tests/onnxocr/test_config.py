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
        ("engine_intra_op_threads", True, "an integer >= 1 (or None)"),
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


# -- the option table: one declaration -> validation, API keywords, CLI flags ----------------------------------
def _config_with_a_probe_option():
    """OCRConfig with one more row in the table: DetConfig.probe, declared the way every option is."""
    from dataclasses import dataclass, field

    from onnxocr.config import DetConfig, option

    @dataclass(frozen=True)
    class ProbeDet(DetConfig):
        probe: float = option(0.25, "A probe threshold", kind="float", rule=(0.0, 1.0), cli="--det-probe")

    @dataclass(frozen=True)
    class ProbeConfig(OCRConfig):
        det: ProbeDet = field(default_factory=ProbeDet)

    return ProbeConfig


def test_one_field_added_to_the_table_reaches_the_cli_help_the_api_keywords_and_validation():
    import typer
    from typer.testing import CliRunner

    from onnxocr.errors import OptionError
    from onnxocr.integrations.cli import _with_option_table

    config_class = _config_with_a_probe_option()
    # API keywords: a flat name OCR(...) and OCRConfig.replace accept
    assert "det_probe" in option_names(config_class) and "det_probe" not in option_names()
    assert config_class().replace(det_probe=0.4).det.probe == 0.4
    # validation, with the one-line message every option gets
    with pytest.raises(OptionError, match=r"^option det_probe=1.5 is not allowed: use a number from 0.0 to 1.0$"):
        config_class().replace(det_probe=1.5)
    # the CLI: flag, help and default in --help, and the value reaches the command under its flat name
    seen = {}

    def command(name: str = typer.Option("x", "--name"), **table_options) -> None:
        seen.update(table_options)

    app = typer.Typer(rich_markup_mode=None)
    app.command()(_with_option_table(command, config_class))
    app.command("other")(lambda: None)  # two commands, so the probe one is addressed by name
    shown = CliRunner().invoke(app, ["command", "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "--det-probe" in shown.output and "A probe threshold [default: 0.25]." in " ".join(shown.output.split())
    done = CliRunner().invoke(app, ["command", "--det-probe", "0.4", "--det-box-thresh", "0.5"])
    assert done.exit_code == 0, done.output
    assert (seen["det_probe"], seen["det_box_thresh"], seen["drop_score"]) == (0.4, 0.5, None)


def test_the_real_cli_help_shows_every_table_option_with_its_default():
    from typer.testing import CliRunner

    from onnxocr.config import option_table
    from onnxocr.integrations.cli import ocr_app

    shown = " ".join(CliRunner().invoke(ocr_app, ["--help"], terminal_width=200).output.split())
    for spec in option_table().values():
        if spec.cli:
            assert spec.cli.split("/")[0] in shown and spec.help_text() in shown, spec.name


def test_a_field_without_option_metadata_is_refused():
    from dataclasses import dataclass

    from onnxocr.config import DetConfig, option_table

    @dataclass(frozen=True)
    class Careless(OCRConfig):
        forgotten: int = 3

    with pytest.raises(TypeError, match="Careless.forgotten has no option metadata"):
        option_table(Careless)
    assert DetConfig.box_thresh == 0.6  # the class attribute is the declared default


# -- precedence: built-in defaults < model metadata < what the caller set ---------------------------------------
MODEL = {"det_box_thresh": 0.45, "det_thresh": 0.2, "rec_image_height": 48}


def test_model_metadata_beats_the_defaults():
    from onnxocr.config import with_model_options

    config = with_model_options(OCRConfig(), MODEL)
    assert (config.det.box_thresh, config.det.thresh, config.rec.image_height) == (0.45, 0.2, 48)


def test_what_the_caller_set_beats_model_metadata_even_when_it_equals_the_default():
    from onnxocr.config import DetConfig, explicit_options, with_model_options

    # 0.6 is DetConfig's own default: the caller's explicit 0.6 must still win over the model's 0.45
    for config in (OCRConfig(det=DetConfig(box_thresh=0.6)), OCRConfig().replace(det_box_thresh=0.6)):
        assert explicit_options(config) == {"det_box_thresh"}
        resolved = with_model_options(config, MODEL)
        assert (resolved.det.box_thresh, resolved.det.thresh) == (0.6, 0.2)
        assert explicit_options(resolved) == {"det_box_thresh"}  # model values do not count as the caller's
    # positional arguments count as set too; a stage object passed without fields sets nothing
    assert explicit_options(OCRConfig(det=DetConfig(960, "max"))) == {"det_limit_side_len", "det_limit_type"}
    assert explicit_options(OCRConfig(det=DetConfig())) == set()
