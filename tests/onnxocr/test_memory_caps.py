"""Memory caps, measured: each hostile input runs in a fresh subprocess that reports its own peak RSS.

The child also gets an address-space limit (RLIMIT_AS), so an uncapped input fails fast instead of driving the
machine out of memory: on main these inputs peaked at 9.9 GB (1 x 1,000,000 PNG, no detection), were OOM-killed
(10 x 20000 PNG under det_limit_type=min) or decoded 9000 x 9000 JPEGs whose header the parser could not read.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import cv2
import numpy as np
import pytest

from testlib import FIXTURE_DICTS, FIXTURE_MODELS, FIXTURES, REPO

PEAK_LIMIT_MB = 1500
ADDRESS_SPACE_LIMIT = 8 << 30  # onnxruntime reserves far more address space than it touches

CHILD = r"""
import json, resource, sys, time
options, image_path, call = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
from onnxocr import OCR, OnnxOCRError
from onnxocr.io.images import load_image
ocr = OCR(**options) if call != "load" else None
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
outcome = "ok"
try:
    if call == "load":
        load_image(image_path, max_pixels=options["max_image_pixels"])
    elif call == "recognize":
        import numpy as np
        count, height, width = (int(v) for v in image_path.split("x"))
        line = np.full((height, width, 3), 255, np.uint8)
        line[height // 4 : 3 * height // 4, :: 7] = 0  # ink stripes: something to read
        ocr.recognize([line] * count)
    else:
        ocr(image_path)
except OnnxOCRError as exc:
    outcome = "refused: " + str(exc)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"outcome": outcome, "before_mb": before, "peak_mb": after, "seconds": time.perf_counter() - start}))
"""


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def run_child(options: dict, image: str, call: str = "ocr") -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(options), image, call],
        capture_output=True, text=True, cwd=REPO, timeout=600, preexec_fn=_limit_address_space,
    )
    assert proc.returncode == 0, f"child failed (rc {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _default_models_installed() -> bool:
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    return all(ModelStore().is_installed(n) for n in load_catalog().default_convert)


@pytest.fixture(scope="module")
def model_options() -> dict:
    if _default_models_installed():
        return {}
    if FIXTURES.is_dir():
        return {
            "det_model": str(FIXTURE_MODELS / "ch_PP-OCRv2_det_infer.onnx"),
            "rec_model": str(FIXTURE_MODELS / "en_number_mobile_v2.0_rec_infer.onnx"),
            "dict_path": str(FIXTURE_DICTS / "en_dict.txt"),
        }
    pytest.skip(f"no models: default set not converted (`make convert`) and no ../shared fixtures at {FIXTURES}")


def gray_png(height: int, width: int, value: int = 255) -> bytes:
    ok, data = cv2.imencode(".png", np.full((height, width), value, np.uint8))
    assert ok
    return data.tobytes()


def jpeg_with_stray_byte(side: int) -> bytes:
    """A side x side grey JPEG with one 0x00 byte before its SOF0 marker (libjpeg skips it and decodes)."""
    ok, data = cv2.imencode(".jpg", np.full((side, side), 200, np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 50])
    data = data.tobytes()
    sof = data.index(b"\xff\xc0")
    return data[:sof] + b"\x00" + data[sof:]


def test_a_header_with_a_stray_byte_is_still_refused_before_decoding(tmp_path):
    data = jpeg_with_stray_byte(9000)
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE).shape == (9000, 9000)  # it decodes
    path = tmp_path / "stray-byte.jpg"
    path.write_bytes(data)
    child = run_child({"max_image_pixels": 10_000_000}, str(path), call="load")
    assert child["outcome"].startswith("refused: ") and "9000x9000 = 81000000 pixels exceeds the limit" in child["outcome"]
    # a full decode would add 81 MB (grey) to 243 MB (BGR); refusing from the header adds next to nothing
    assert child["peak_mb"] - child["before_mb"] < 40, child


def test_a_one_pixel_high_line_without_detection_stays_bounded(model_options, tmp_path):
    path = tmp_path / "1x1000000.png"
    path.write_bytes(gray_png(1, 1_000_000, 0))
    child = run_child({**model_options, "use_det": False}, str(path))
    assert child["outcome"] == "ok" and child["peak_mb"] < PEAK_LIMIT_MB, child


def test_a_thin_image_under_limit_type_min_stays_bounded(model_options, tmp_path):
    path = tmp_path / "10x20000.png"
    image = np.full((10, 20000), 255, np.uint8)
    image[3:7, ::9] = 0
    ok, data = cv2.imencode(".png", image)
    path.write_bytes(data.tobytes())
    child = run_child({**model_options, "det_limit_type": "min", "det_limit_side_len": 736}, str(path))
    assert child["outcome"] == "ok" and child["peak_mb"] < PEAK_LIMIT_MB, child


@pytest.mark.parametrize(
    "height, width, limit, kind, expected",
    [
        (10, 20000, 736, "min", (32, 4000)),  # main: (736, 1472000), a 13 GB float32 input
        (20000, 10, 736, "min", (4000, 32)),
        (5000, 3000, 960, "max", (960, 576)),  # the default rule is untouched
        (3000, 3000, 4500, "max", (3008, 3008)),  # no upscale past the image, and under the cap: as before
        (3000, 5000, 6000, "min", (2400, 4000)),  # PaddleOCR 3.x: scaled to the cap, then rounded to 32
    ],
)
def test_detector_input_sides_are_capped_at_max_side_limit(height, width, limit, kind, expected):
    from onnxocr.config import DetConfig
    from onnxocr.core.detection import det_resize_shape

    assert det_resize_shape(height, width, limit, kind, DetConfig.max_side_limit) == expected


def test_a_large_recogniser_batch_is_split_by_pixels(model_options):
    from onnxocr import OCR, RecConfig

    ocr = OCR(use_det=False, rec_batch_size=16, rec_batch_mode="paddle", **model_options)
    lines = [np.full((48, 3000 + 100 * i, 3), 255, np.uint8) for i in range(16)]
    batches = ocr.recognizer.plan_batches(lines)
    height = ocr.recognizer.height
    assert sorted(int(i) for idx, _ in batches for i in idx) == list(range(16))  # every line once
    assert all(len(idx) * height * width <= RecConfig.batch_max_pixels for idx, width in batches), batches
    # and measured: 16 lines of 48 x 3000 asked for as one batch of 16 (a 2.3-megapixel input)
    child = run_child({**model_options, "rec_batch_size": 16}, "16x48x3000", call="recognize")
    assert child["outcome"] == "ok" and child["peak_mb"] < PEAK_LIMIT_MB, child
