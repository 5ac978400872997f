"""onnxocr speed runner for `make bench`; runs inside the runtime venv (.venv).

    .venv/bin/python bench/systems/onnxocr_runner.py --spec spec.json --out result.json

PaddleOCR's parameters become onnxocr options (bench/lib/reference.py's mapping, repeated here so this process
imports nothing but onnxocr); space recovery is off so the text is comparable with RapidOCR / PaddleOCR.
Extra onnxocr options (e.g. rec_batch_mode) come from the spec's "options". Per image it reports onnxocr's
own stage timings (result.timings: load/det/cls/rec/onnxruntime/total seconds).

With spec "mode": "default" (bench/peers.py) onnxocr runs as a user gets it: `OCR(threads=N)`, i.e. the
catalog's default set from the model store (PP-OCRv6 small det/rec), every option at its default (angle
classifier, space recovery), no PaddleOCR parameters; the images come as encoded bytes and onnxocr's own
loader decodes them inside the timed call. The multi-page row ("onnxocr-pages") goes through `OCR.pages`
over in-memory files: the hook for cross-page pipelining (BATCH_API names the method).
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paddle_params import PADDLE_TO_ONNXOCR  # noqa: E402
from speed_protocol import installed_versions, measure  # noqa: E402



BATCH_API = "pages"
MODELS: dict = {}  # default mode: the model files OCR() chose, reported with the versions
DOCUMENT = False  # spec "document": each image is a document page (OCR.read_page: page orientation, as the CLI reads it)


def build(spec):
    from onnxocr import OCR

    global DOCUMENT
    imported_at = time.time()
    DOCUMENT = bool(spec.get("document"))
    if spec.get("mode") == "default":
        engine = OCR(threads=int(spec["threads"]), **spec.get("options", {}))
        MODELS.update({f"{task} model": choice.path.name for task, choice in engine.models.items()})
        return engine, imported_at
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
    result = engine.read_page(img) if DOCUMENT else engine(img)
    return [[line.text, float(line.score)] for line in result.lines], dict(result.timings)


def infer_batch(engine, items):
    """All pages in one multi-page call (OCR.pages over in-memory files), results in input order."""
    from onnxocr.io.readers import InputFile

    out = []
    for page in getattr(engine, BATCH_API)([InputFile(path=f"page{i}", data=b) for i, b in enumerate(items)]):
        if page.error:
            raise SystemExit(page.error)
        r = page.result
        out.append(([[line.text, float(line.score)] for line in r.lines], dict(r.timings)))
    return out


def versions():
    return {**installed_versions("onnxocr-runtime", "onnxruntime", "numpy", "opencv-python-headless"), **MODELS}


if __name__ == "__main__":
    sys.exit(measure(build, infer, versions, infer_batch=infer_batch))
