"""Models whose input is fixed (paddle2onnx keeps a program's fixed shape: the seed cls program declares 3x32x100,
see test_catalog_path.py) run at that size, or are refused at load in one line."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from convert_testlib import FIXTURES, needs_onnx, needs_shared

pytestmark = [needs_onnx, needs_shared]

ONNX = FIXTURES / "models" / "onnx"


def with_fixed_input(source: Path, target: Path, dims: tuple) -> Path:
    """A copy of an ONNX model whose image input declares `dims` (ints fix an axis, str names keep it free)."""
    import onnx

    model = onnx.load(str(source))
    for axis, value in zip(model.graph.input[0].type.tensor_type.shape.dim, dims):
        if isinstance(value, int):
            axis.dim_value = value
        else:
            axis.dim_param = value
    onnx.save(model, str(target))
    return target


def line(text: str) -> np.ndarray:
    image = np.full((48, 20 + 22 * len(text), 3), 255, np.uint8)
    cv2.putText(image, text, (10, 36), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (0, 0, 0), 2, cv2.LINE_AA)
    return image


def test_a_classifier_with_a_fixed_32x100_input_runs_at_that_size(tmp_path):
    from onnxocr.core.classification import TextClassifier
    from onnxocr.config import ClsConfig, EngineConfig
    from onnxocr.core.engine import OnnxModel

    path = with_fixed_input(ONNX / "ch_ppocr_mobile_v2.0_cls_infer.onnx", tmp_path / "cls-fixed.onnx", ("N", 3, 32, 100))
    classifier = TextClassifier(OnnxModel(path, EngineConfig(), role="cls"), ClsConfig())
    assert (classifier.height, classifier.width) == (32, 100)
    crops = [line("Total 42"), cv2.rotate(line("Total 42"), cv2.ROTATE_180), line("a much longer line of text 2024")]
    turned, labels, _ = classifier(crops)  # main: onnxruntime InvalidArgument on every call
    assert len(labels) == 3 and all(label.label in ("0", "180") for label in labels)


def test_a_classifier_with_a_fixed_batch_is_refused_at_load_in_one_line(tmp_path):
    from onnxocr.core.classification import TextClassifier
    from onnxocr.config import ClsConfig, EngineConfig
    from onnxocr.core.engine import OnnxModel
    from onnxocr.errors import ModelLoadError

    path = with_fixed_input(ONNX / "ch_ppocr_mobile_v2.0_cls_infer.onnx", tmp_path / "cls-batch4.onnx", (4, 3, 48, 192))
    with pytest.raises(ModelLoadError, match=r"fixed batch size of 4 .*re-export it with a dynamic batch axis") as caught:
        TextClassifier(OnnxModel(path, EngineConfig(), role="cls"), ClsConfig())
    assert "\n" not in str(caught.value)
    single = with_fixed_input(ONNX / "ch_ppocr_mobile_v2.0_cls_infer.onnx", tmp_path / "cls-batch1.onnx", (1, 3, 48, 192))
    classifier = TextClassifier(OnnxModel(single, EngineConfig(), role="cls"), ClsConfig())
    assert len(classifier([line("one"), line("two"), line("three")])[1]) == 3  # one crop per run


def test_a_recogniser_with_a_fixed_width_reads_squeezed_lines(tmp_path):
    from onnxocr import OCR

    path = with_fixed_input(ONNX / "en_number_mobile_v2.0_rec_infer.onnx", tmp_path / "rec-fixed.onnx", ("N", 3, 32, 320))
    ocr = OCR(use_det=False, rec_model=path, dict_path=FIXTURES / "dicts" / "en_dict.txt", rec_space_recovery=False)
    assert ocr.recognizer.fixed_width == 320 and ocr.recognizer.height == 32
    long_line = np.hstack([line("Total 42")] * 12)  # wider than max_width would allow: one fixed-width input
    assert [r.text for r in ocr.recognize([line("Total 42"), long_line])][0] == "Total 42"


def test_a_recogniser_whose_fixed_height_contradicts_the_option_is_refused(tmp_path):
    from onnxocr import OCR
    from onnxocr.errors import ModelLoadError

    path = with_fixed_input(ONNX / "en_number_mobile_v2.0_rec_infer.onnx", tmp_path / "rec-fixed.onnx", ("N", 3, 32, "W"))
    with pytest.raises(ModelLoadError, match="fixed input height of 32 px but rec_image_height is 48"):
        OCR(use_det=False, rec_model=path, dict_path=FIXTURES / "dicts" / "en_dict.txt", rec_image_height=48)


def test_a_detector_with_a_fixed_input_size_is_resized_to_it(tmp_path):
    from onnxocr import OCR

    path = with_fixed_input(ONNX / "ch_PP-OCRv2_det_infer.onnx", tmp_path / "det-fixed.onnx", (1, 3, 640, 640))
    ocr = OCR(det_model=path, rec_model=ONNX / "en_number_mobile_v2.0_rec_infer.onnx",
              dict_path=FIXTURES / "dicts" / "en_dict.txt", rec_space_recovery=False)
    page = np.full((400, 900, 3), 255, np.uint8)
    page[100:148, 40 : 40 + line("Total 42").shape[1]] = line("Total 42")
    boxes = ocr.detect(page)
    assert len(boxes) == 1 and boxes[0][:, 0].min() < 80 and boxes[0][:, 1].max() < 170  # in page coordinates
    half = with_fixed_input(ONNX / "ch_PP-OCRv2_det_infer.onnx", tmp_path / "det-half.onnx", (1, 3, 640, "W"))
    with pytest.raises(Exception, match="fixes only its input height"):
        OCR(det_model=half, rec_model=ONNX / "en_number_mobile_v2.0_rec_infer.onnx",
            dict_path=FIXTURES / "dicts" / "en_dict.txt")
