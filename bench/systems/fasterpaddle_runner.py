"""faster-paddle 1.0.4 runner for `python -m bench.peers`; runs inside .venv-fasterpaddle.

    .venv-fasterpaddle/bin/python bench/systems/fasterpaddle_runner.py --spec spec.json --out result.json

faster-paddle as its users get it: `OcrEngine(model_size=..., threads=N)` with the PP-OCRv6 tiny or small
models bundled in its extension, every other setting at its default (det_max_side 1600, det_min_side 736,
rec_batch 1, its own scheduling, no preprocessing flags); it links its own onnxruntime (1.28). It takes
only encoded image bytes, so every system's timed call starts from the file's bytes in memory. With spec
"batch": true each pass is one `ocr_batch(images)` call (its default batch_size=4 window). Lines: the text
of each entry of `bounds` in its order (its own filters); no per-stage timings (extra = {}). The resolved
engine.config (its split of the thread budget) is reported with the versions.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from speed_protocol import installed_versions, measure  # noqa: E402

CONFIG: dict = {}


def build(spec):
    from faster_paddle import OcrEngine

    imported_at = time.time()
    engine = OcrEngine(model_size=spec.get("model_size", "small"), threads=int(spec["threads"]),
                       **spec.get("options", {}))
    CONFIG.update(engine.config)
    return engine, imported_at


def _lines(result):
    bounds = result.get("bounds") or {}
    return [[b["text"], float(b["confidence"])] for _, b in sorted(bounds.items())]


def infer(engine, data):
    return _lines(engine.ocr(data)), {}


def infer_batch(engine, items):
    return [(_lines(r), {}) for r in engine.ocr_batch(items)]


def versions():
    import faster_paddle

    out = installed_versions("faster-paddle")
    build_info = getattr(faster_paddle, "__runtime_build__", "")
    out["onnxruntime (linked)"] = build_info.split("git-branch=rel-")[-1].split(",")[0] if "rel-" in build_info else build_info
    out["config"] = ",".join(f"{k}={v}" for k, v in CONFIG.items())
    return out


if __name__ == "__main__":
    sys.exit(measure(build, infer, versions, infer_batch=infer_batch))
