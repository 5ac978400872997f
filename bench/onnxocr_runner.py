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
from speed_protocol import measure  # noqa: E402

PADDLE_TO_ONNXOCR = {
    "det_limit_side_len": "det_limit_side_len",
    "det_limit_type": "det_limit_type",
    "det_db_thresh": "det_thresh",
    "det_db_box_thresh": "det_box_thresh",
    "det_db_unclip_ratio": "det_unclip_ratio",
    "det_db_score_mode": "det_score_mode",
    "use_dilation": "det_use_dilation",
    "rec_batch_num": "rec_batch_size",
    "drop_score": "drop_score",
    "cls_thresh": "cls_thresh",
    "cls_batch_num": "cls_batch_size",
}


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
    import importlib.metadata as md

    out = {}
    for name in ("onnxocr-runtime", "onnxruntime", "numpy", "opencv-python-headless"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return out


if __name__ == "__main__":
    sys.exit(measure(build, infer, versions))
