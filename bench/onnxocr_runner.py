"""onnxocr speed runner for `make bench`; runs inside the runtime venv (.venv).

    .venv/bin/python bench/onnxocr_runner.py --spec spec.json --out result.json

PaddleOCR's parameters become onnxocr options (bench/runner.py's mapping, repeated here so this process
imports nothing but onnxocr); space recovery is off so the text is comparable with RapidOCR / PaddleOCR.
Extra onnxocr options (e.g. rec_batch_mode) come from the spec's "options". Per image it reports onnxocr's
own stage timings (result.timings: load/det/cls/rec/onnxruntime/total seconds).
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paddle_params import PADDLE_TO_ONNXOCR  # noqa: E402
from speed_protocol import installed_versions, measure  # noqa: E402



def build(spec):
    from onnxocr import OCR

    imported_at = time.time()
    models = spec["models"]
    options = {PADDLE_TO_ONNXOCR[k]: v for k, v in spec["params"].items() if k in PADDLE_TO_ONNXOCR}
    options["rec_space_recovery"] = False
    options.update(spec.get("options", {}))
    engine = OCR(
        det_model=models["det"],
        rec_model=models["rec"],
        cls_model=models["cls"],
        dict_path=models.get("dict") or None,
        use_cls=bool(spec["use_cls"]),
        threads=int(spec["threads"]),
        **options,
    )
    return engine, imported_at


def infer(engine, img):
    result = engine(img)
    return [[line.text, float(line.score)] for line in result.lines], dict(result.timings)


def versions():
    return installed_versions("onnxocr-runtime", "onnxruntime", "numpy", "opencv-python-headless")


if __name__ == "__main__":
    sys.exit(measure(build, infer, versions))
