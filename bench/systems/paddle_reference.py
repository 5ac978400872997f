"""Reference OCR results from PaddleOCR 2.x's own pipeline (Paddle Inference).

Runs INSIDE the PaddleOCR virtual environment (bench/systems/setup_paddleocr_venv.sh creates it); it imports only the
standard library plus what that environment has (paddleocr, numpy). bench/parity.py and bench/eval.py call it
as a subprocess:

    .venv-paddleocr/bin/python bench/systems/paddle_reference.py \
        --det-model-dir D --rec-model-dir R --cls-model-dir C --dict ppocr_keys_v1.txt \
        --params '{"det_db_box_thresh": 0.6, ...}' [--cls] --images list.txt --out ref.json

`--images` is a text file with one image path per line. The output JSON holds the PaddleOCR version, the
parameters, the model directories with a sha256 over their files, and per image: path, sha256, size and the
lines [{box: 4x2, text, score}] in PaddleOCR's own order (its sorted_boxes reading order, after drop_score).

Per-image results are cached under --cache-dir keyed by (image sha256, parameters, model sha256, cls flag,
paddleocr version), so a rerun with nothing changed does no inference at all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

try:  # imported as bench.systems.paddle_reference, or run as a script inside PaddleOCR's venv
    from bench.systems.paddle_params import PADDLE_DEFAULTS as DEFAULT_PARAMS
except ImportError:  # pragma: no cover - script mode: bench/ itself is on sys.path
    from paddle_params import PADDLE_DEFAULTS as DEFAULT_PARAMS

CACHE_FORMAT = 1


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_dir(path: str) -> str:
    """sha256 over (relative name, content sha256) of every file below `path`, in sorted order."""
    h = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            h.update(os.path.relpath(full, path).encode())
            h.update(sha256_file(full).encode())
    return h.hexdigest()


def cache_key(image_sha: str, params: dict, models_sha: dict, use_cls: bool, version: str) -> str:
    blob = json.dumps(
        {"f": CACHE_FORMAT, "img": image_sha, "params": params, "models": models_sha, "cls": use_cls, "v": version},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--det-model-dir", required=True)
    ap.add_argument("--rec-model-dir", required=True)
    ap.add_argument("--cls-model-dir", required=True)
    ap.add_argument("--dict", required=True, help="rec character dictionary")
    ap.add_argument("--params", default="{}", help="JSON object overriding DEFAULT_PARAMS")
    ap.add_argument("--cls", action="store_true", help="use the angle classifier (use_angle_cls and ocr(cls=True))")
    ap.add_argument("--images", required=True, help="text file, one image path per line")
    ap.add_argument("--out", required=True)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--threads", type=int, default=2, help="Paddle CPU math threads (does not change results)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    params = dict(DEFAULT_PARAMS)
    params.update(json.loads(args.params))
    with open(args.images, encoding="utf-8") as f:
        images = [line.strip() for line in f if line.strip()]

    import paddleocr  # noqa: E402  (only available inside the PaddleOCR venv)

    version = getattr(paddleocr, "__version__", None) or paddleocr.paddleocr.VERSION
    models = {
        "det": {"dir": os.path.abspath(args.det_model_dir), "sha256": sha256_dir(args.det_model_dir)},
        "rec": {"dir": os.path.abspath(args.rec_model_dir), "sha256": sha256_dir(args.rec_model_dir)},
        "cls": {"dir": os.path.abspath(args.cls_model_dir), "sha256": sha256_dir(args.cls_model_dir)},
        "dict": {"path": os.path.abspath(args.dict), "sha256": sha256_file(args.dict)},
    }
    models_sha = {k: v["sha256"] for k, v in models.items()}

    engine = None
    results = []
    n_cached = n_run = 0
    t_start = time.time()
    for i, path in enumerate(images):
        img_sha = sha256_file(path)
        key = cache_key(img_sha, params, models_sha, args.cls, version)
        cache_file = os.path.join(args.cache_dir, key[:2], key + ".json") if args.cache_dir else None
        if cache_file and os.path.exists(cache_file):
            with open(cache_file, encoding="utf-8") as f:
                entry = json.load(f)
            entry["path"] = path
            results.append(entry)
            n_cached += 1
            continue

        if engine is None:
            import logging

            from paddleocr import PaddleOCR

            engine = PaddleOCR(
                det_model_dir=args.det_model_dir,
                rec_model_dir=args.rec_model_dir,
                cls_model_dir=args.cls_model_dir,
                rec_char_dict_path=args.dict,
                use_angle_cls=args.cls,
                use_gpu=False,
                show_log=False,
                cpu_threads=args.threads,
                **params,
            )
            logging.getLogger("ppocr").setLevel(logging.ERROR)

        t0 = time.time()
        out = engine.ocr(path, det=True, rec=True, cls=args.cls)
        elapsed = time.time() - t0
        page = out[0] if out else None
        lines = []
        for box, (text, score) in page or []:
            lines.append({"box": [[float(x), float(y)] for x, y in box], "text": text, "score": float(score)})
        entry = {"path": path, "sha256": img_sha, "lines": lines, "elapsed_s": round(elapsed, 3)}
        n_run += 1
        print(f"[paddle-ref] {i + 1}/{len(images)} {os.path.basename(path)}: {len(lines)} lines {elapsed:.2f}s",
              file=sys.stderr, flush=True)
        if cache_file:
            os.makedirs(os.path.dirname(cache_file), exist_ok=True)
            tmp = cache_file + f".tmp{os.getpid()}"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(entry, f, ensure_ascii=False)
            os.replace(tmp, cache_file)
        results.append(entry)

    doc = {
        "tool": "paddleocr",
        "paddleocr_version": version,
        "paddle_version": _paddle_version(),
        "params": params,
        "use_cls": args.cls,
        "models": models,
        "images": results,
        "stats": {"images": len(results), "cached": n_cached, "run": n_run,
                  "lines": sum(len(r["lines"]) for r in results), "wall_s": round(time.time() - t_start, 2)},
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    os.replace(tmp, args.out)
    print(f"[paddle-ref] {len(results)} images ({n_cached} cached, {n_run} run), "
          f"{doc['stats']['lines']} lines -> {args.out}", file=sys.stderr)
    return 0


def _paddle_version() -> str:
    try:
        import paddle

        return paddle.__version__
    except Exception:  # pragma: no cover
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
