"""Golden outputs of real models from ../shared/fixtures against EXPECTED.tsv reference rows."""

import json
import subprocess
import sys

import numpy as np
import pytest

from testlib import FIXTURE_DICTS, FIXTURE_IMAGES, FIXTURE_MODELS, expected_rows, needs_shared

pytestmark = needs_shared

RECEIPT = FIXTURE_IMAGES / "paddleocr" / "imgs_en" / "254.jpg"


def squeezed(texts) -> str:
    return "".join("".join(text.split()) for text in texts)


def test_receipt_lines_with_en_number_model(fixture_en_ocr):
    """All 7 of PaddleOCR's documented first lines (EXPECTED.tsv), in order. Compared without spaces and line
    breaks: the reference ran ch_ppocr_mobile_v2.0_det, whose boxes join "REG" with the date and "CT" with "1",
    while ch_PP-OCRv2_det splits them; the characters and their order are the same."""
    result = fixture_en_ocr(RECEIPT)
    texts = [line.text for line in result.lines]
    expected = expected_rows()["paddleocr/imgs_en/254.jpg"].split(" | ")
    assert len(expected) == 7 and squeezed(texts).startswith(squeezed(expected)), (expected, texts[:10])
    for line in result.lines:
        assert line.box.shape == (4, 2) and 0 <= line.score <= 1
        assert line.box[:, 0].max() < result.width and line.box[:, 1].max() < result.height


def test_space_recovery_puts_back_the_missing_gap_on_the_receipt():
    from onnxocr import OCR

    ocr = OCR(
        det_model=FIXTURE_MODELS / "ch_PP-OCRv2_det_infer.onnx",
        rec_model=FIXTURE_MODELS / "en_number_mobile_v2.0_rec_infer.onnx",
        dict_path=FIXTURE_DICTS / "en_dict.txt",
        word_boxes=True,
    )
    result = ocr(RECEIPT)
    first = result.lines[0]
    assert first.text == "PHO CAPITAL"
    assert [w.text for w in first.words] == ["PHO", "CAPITAL"]
    left, right = first.words
    assert left.box[:, 0].max() <= right.box[:, 0].min() + 1  # word boxes keep order and do not overlap


@pytest.mark.parametrize(
    "image",
    ["paddleocr/imgs_words/en/word_1.png", "paddleocr/imgs_words_en/word_308.png"],
)
def test_word_images_with_en_number_model(fixture_en_ocr, image):
    expected = expected_rows()[image]
    [rec] = fixture_en_ocr.recognize(FIXTURE_IMAGES / image)
    assert rec.text == expected


def test_italian_fixed_width_model():
    from onnxocr import OCR

    ocr = OCR(use_det=False, rec_model=FIXTURE_MODELS / "it_mobile_v2.0_rec_infer.onnx", dict_path=FIXTURE_DICTS / "it_dict.txt")
    assert ocr.recognizer.fixed_width == 100 and ocr.recognizer.height == 32
    [rec] = ocr.recognize(FIXTURE_IMAGES / "paddleocr/imgs_words/en/word_1.png")
    assert rec.text.upper() == "JOINT"


def test_classifier_turns_the_upside_down_sample():
    from onnxocr import OCR

    ocr = OCR(
        use_det=False,
        use_cls=True,
        cls_model=FIXTURE_MODELS / "ch_ppocr_mobile_v2.0_cls_infer.onnx",
        rec_model=FIXTURE_MODELS / "en_number_mobile_v2.0_rec_infer.onnx",
        dict_path=FIXTURE_DICTS / "en_dict.txt",
    )
    [label] = ocr.classify([FIXTURE_IMAGES / "rapidocr/text_cls_2022.jpg"])
    assert label.label == expected_rows()["rapidocr/text_cls_2022.jpg"] == "180"
    assert label.score > 0.9 and label.rotated
    [upright] = ocr.classify([FIXTURE_IMAGES / "paddleocr/imgs_words_en/word_10.png"])
    assert upright.label == "0"


@pytest.mark.parametrize(
    "det_model, image",
    [
        ("ch_PP-OCRv2_det_infer.onnx", "paddleocr/imgs_en/254.jpg"),
        ("ch_ppocr_mobile_v2.0_det_infer.onnx", "paddleocr/imgs_en/img_12.jpg"),
        ("ch_PP-OCRv2_det_infer.onnx", "paddleocr/imgs_en/img_12.jpg"),
    ],
)
def test_detectors_find_paddleocrs_documented_first_lines_in_order(det_model, image):
    """Each detector's boxes, read by the en recogniser in reading order, start with the lines PaddleOCR's docs
    print for the page (EXPECTED.tsv), compared without spaces (the en_number model's space class is unreliable)."""
    from onnxocr import OCR

    ocr = OCR(det_model=FIXTURE_MODELS / det_model, rec_model=FIXTURE_MODELS / "en_number_mobile_v2.0_rec_infer.onnx",
              dict_path=FIXTURE_DICTS / "en_dict.txt", rec_space_recovery=False, rec_batch_mode="paddle")
    texts = [line.text for line in ocr(FIXTURE_IMAGES / image).lines]
    expected = expected_rows()[image].split(" | ")
    assert squeezed(texts).startswith(squeezed(expected)), (expected, texts[:8])


def test_wrong_dictionary_is_refused_with_both_numbers():
    from onnxocr import OCR
    from onnxocr.errors import DictionaryMismatchError

    with pytest.raises(DictionaryMismatchError, match=r"97 classes .* 6623 entries"):
        OCR(use_det=False, rec_model=FIXTURE_MODELS / "en_number_mobile_v2.0_rec_infer.onnx", dict_path=FIXTURE_DICTS / "ppocr_keys_v1.txt")


def test_det_model_given_as_rec_model_is_refused():
    from onnxocr import OCR
    from onnxocr.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="is it a CTC recogniser"):
        OCR(use_det=False, rec_model=FIXTURE_MODELS / "ch_PP-OCRv2_det_infer.onnx", dict_path=FIXTURE_DICTS / "en_dict.txt")


def test_cli_prints_receipt_text_and_json_with_boxes():
    args = [
        sys.executable, "-m", "onnxocr", str(RECEIPT),
        "--det-model", str(FIXTURE_MODELS / "ch_PP-OCRv2_det_infer.onnx"),
        "--rec-model", str(FIXTURE_MODELS / "en_number_mobile_v2.0_rec_infer.onnx"),
        "--dict", str(FIXTURE_DICTS / "en_dict.txt"),
    ]
    text = subprocess.run(args, capture_output=True, text=True, check=True).stdout.splitlines()
    assert "PHO CAPITAL" in text and "107 State Street" in text
    doc = json.loads(subprocess.run(args + ["--format", "json"], capture_output=True, text=True, check=True).stdout)
    assert any(line["text"] == "107 State Street" for line in doc["lines"])
    assert all(np.array(line["box"]).shape == (4, 2) for line in doc["lines"])


def test_concurrent_calls_give_the_serial_results(fixture_en_ocr):
    from concurrent.futures import ThreadPoolExecutor

    images = [FIXTURE_IMAGES / p for p in ("paddleocr/imgs_en/254.jpg", "paddleocr/imgs_en/img_12.jpg", "paddleocr/imgs_en/img_10.jpg", "paddleocr/imgs_en/img_11.jpg")] * 2
    serial = [[(l.text, l.box.tolist()) for l in fixture_en_ocr(p).lines] for p in images]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda p: [(l.text, l.box.tolist()) for l in fixture_en_ocr(p).lines], images))
    assert parallel == serial
