"""PaddleOCR 2.x (Paddle Inference) speed runner for `make bench --systems ...,paddleocr`; runs inside
.venv-paddleocr (bench/systems/setup_paddleocr_venv.sh), on the original Paddle inference model folders.

    .venv-paddleocr/bin/python bench/systems/paddleocr_runner.py --spec spec.json --out result.json

Threads: cpu_threads = the spec's thread count; MKL-DNN stays at PaddleOCR's default (off).
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from speed_protocol import installed_versions, measure  # noqa: E402


def build(spec):
    import logging

    from paddleocr import PaddleOCR

    imported_at = time.time()
    models = spec["models"]
    engine = PaddleOCR(
        det_model_dir=models["det"],
        rec_model_dir=models["rec"],
        cls_model_dir=models["cls"],
        rec_char_dict_path=models["dict"],
        use_angle_cls=bool(spec["use_cls"]),
        use_gpu=False,
        show_log=False,
        cpu_threads=int(spec["threads"]),
        rec_image_shape="3,48,320",
        use_space_char=True,
        ocr_version="PP-OCRv4",
        **spec["params"],
        **spec.get("options", {}),
    )
    logging.getLogger("ppocr").setLevel(logging.ERROR)
    engine._bench_cls = bool(spec["use_cls"])
    return engine, imported_at


def infer(engine, img):
    out = engine.ocr(img, det=True, rec=True, cls=engine._bench_cls)
    page = out[0] if out else None
    return [[text, float(score)] for _, (text, score) in (page or [])], {}


def versions():
    return installed_versions("paddleocr", "paddlepaddle", "numpy", "opencv-python")


if __name__ == "__main__":
    sys.exit(measure(build, infer, versions))
