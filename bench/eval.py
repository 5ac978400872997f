"""`make eval`: onnxocr's accuracy on the evaluation sets, side by side with PaddleOCR's own pipeline.

    python -m bench.eval [--data-root ../shared/data] [--limit N] [--datasets icdar2015,funsd,kannada]
                         [--lang ch] [--ocr-version PP-OCRv6] [--space-recovery | --no-space-recovery]
                         [--det-model P] [--rec-model P] [--cls-model P] [--dict P] [--use-cls]
                         [--param det_db_box_thresh=0.6 ...] [--reference auto|none|PATH.json] [--out out/eval]

Datasets and metrics (definitions in bench/lib/metrics.py):
- ICDAR 2015 (Challenge 4 test, 500 images upstream; whatever the data root holds): detection precision /
  recall / H-mean at IoU > 0.5 with `###` regions don't-care, and end-to-end H-mean (generic vocabulary,
  case-insensitive, edge punctuation ignored).
- FUNSD test forms: word-bag F1 and character-bag F1 (micro-averaged over pages).
- MILE Kannada pages: word-bag and character-bag F1, only when a `ka` recogniser is installed (or --lang ka
  models are given); skipped with a note otherwise.

Columns: PaddleOCR 2.7.3 on Paddle Inference (with --ocr-version PP-OCRv4 and `--reference auto`: run in
.venv-paddleocr when it exists, with the same ch PP-OCRv4 model files and parameters; results cached), then
onnxocr (by default the catalog's default set, PP-OCRv6 small, with each model's own preprocessing). Without --space-recovery /
--no-space-recovery onnxocr is run twice, with space recovery off (PaddleOCR's behaviour) and on.

Writes OUT/eval.md (the table) and OUT/eval.json (every number, per-image values, model names, parameters).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from bench.lib import datasets, metrics
from bench.systems.paddle_reference import DEFAULT_PARAMS as PADDLE_DEFAULT_PARAMS
from bench.lib.report import machine_info
from bench.lib.reference import (
    REPO_ROOT,
    describe_onnxocr,
    ensure_paddle_venv,
    make_onnxocr,
    onnxocr_overrides,
    paddle_venv_ready,
    reference_by_path,
    run_onnxocr,
    run_paddle_reference,
    supported_options,
)

ALL_DATASETS = ("icdar2015", "funsd", "kannada")
PADDLE_LABEL = "PaddleOCR 2.7.3 (Paddle Inference)"


# ------------------------------------------------------------------------------------------- scoring

def _predicted(samples: list, predictions: dict):
    """(sample, prediction) for the samples that have a prediction (keyed by absolute image path)."""
    for s in samples:
        pred = predictions.get(os.path.abspath(s.image))
        if pred is not None:
            yield s, pred


def score_icdar2015(samples: list, predictions: dict) -> dict:
    """predictions: {abs image path: {"lines": [{box, text}]}}. Images without a prediction are skipped."""
    total = metrics.DetCounts()
    per_image = {}
    scored = list(_predicted(samples, predictions))
    for s, pred in scored:
        c = metrics.icdar2015_image_counts(
            [r.quad for r in s.regions], [r.text for r in s.regions], [r.dont_care for r in s.regions],
            [line["box"] for line in pred["lines"]], [line["text"] for line in pred["lines"]],
        )
        total = total + c
        per_image[s.name] = {"care_gt": c.care_gt, "care_det": c.care_det, "matched": c.matched,
                             "e2e_correct": c.e2e_correct}
    out = metrics.icdar2015_scores(total)
    out["images"] = len(scored)
    out["per_image"] = per_image
    return out


def score_bags(samples: list, predictions: dict) -> dict:
    words, chars = metrics.BagCounts(), metrics.BagCounts()
    per_image = {}
    scored = list(_predicted(samples, predictions))
    for s, pred in scored:
        pb = metrics.page_bags([line["text"] for line in pred["lines"]], s.words)
        words, chars = words + pb.words, chars + pb.chars
        per_image[s.name] = {"word_f1": round(pb.words.f1, 4), "char_f1": round(pb.chars.f1, 4)}
    return {"word_bag": words.as_dict(), "char_bag": chars.as_dict(), "word_bag_f1": words.f1,
            "char_bag_f1": chars.f1, "images": len(scored), "per_image": per_image}


# ------------------------------------------------------------------------------------------- table

ROWS = [
    ("icdar2015", "det precision", lambda r: r["det_precision"]),
    ("icdar2015", "det recall", lambda r: r["det_recall"]),
    ("icdar2015", "det H-mean", lambda r: r["det_hmean"]),
    ("icdar2015", "end-to-end H-mean", lambda r: r["e2e_hmean"]),
    ("funsd", "word-bag F1", lambda r: r["word_bag_f1"]),
    ("funsd", "char-bag F1", lambda r: r["char_bag_f1"]),
    ("kannada", "word-bag F1", lambda r: r["word_bag_f1"]),
    ("kannada", "char-bag F1", lambda r: r["char_bag_f1"]),
]
DATASET_TITLES = {"icdar2015": "ICDAR 2015", "funsd": "FUNSD", "kannada": "MILE Kannada"}


def markdown_table(results: dict, systems: list, notes: list) -> str:
    header = "| dataset | metric | " + " | ".join(systems) + " |"
    sep = "| --- | --- | " + " | ".join("---:" for _ in systems) + " |"
    lines = [header, sep]
    for ds, label, get in ROWS:
        cells = []
        present = False
        for system in systems:
            r = results.get(system, {}).get(ds)
            if r is None:
                cells.append("–")
            else:
                present = True
                cells.append(f"{get(r):.3f}")
        if present:
            n = max((results[s][ds]["images"] for s in systems if results.get(s, {}).get(ds)), default=0)
            lines.append(f"| {DATASET_TITLES[ds]} ({n} img) | {label} | " + " | ".join(cells) + " |")
    if notes:
        lines.append("")
        lines.extend(f"- {n}" for n in notes)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------- main

def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-root", default=datasets.DEFAULT_DATA_ROOT)
    ap.add_argument("--limit", type=int, default=None, help="first N images of each dataset")
    ap.add_argument("--datasets", default=",".join(ALL_DATASETS))
    ap.add_argument("--lang", default=None, help="onnxocr catalog language (default: the catalog's, ch)")
    ap.add_argument("--ocr-version", "--version", dest="version", default=None, help="onnxocr catalog model version (default: the catalog's, PP-OCRv6)")
    ap.add_argument("--space-recovery", action=argparse.BooleanOptionalAction, default=None,
                    help="onnxocr's word-space recovery; unset: run both off and on")
    ap.add_argument("--rec-batch-mode", choices=("paddle", "width"), default=None,
                    help="onnxocr recogniser batching (default: onnxocr's own default)")
    ap.add_argument("--det-model")
    ap.add_argument("--rec-model")
    ap.add_argument("--cls-model")
    ap.add_argument("--dict")
    ap.add_argument("--kannada-rec-model", help="rec model for the Kannada set (default: catalog lang ka)")
    ap.add_argument("--kannada-dict")
    ap.add_argument("--use-cls", action="store_true", help="angle classifier on (both systems)")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="PaddleOCR-named parameter for both systems, e.g. det_db_box_thresh=0.5")
    ap.add_argument("--reference", default="auto", help="auto | none | path to a paddle_reference.py JSON")
    ap.add_argument("--no-onnxocr", action="store_true", help="score only the PaddleOCR reference")
    ap.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "out", "eval"))
    return ap.parse_args(argv)


def _parse_params(pairs: list) -> dict:
    params = dict(PADDLE_DEFAULT_PARAMS)
    for pair in pairs:
        key, _, raw = pair.partition("=")
        if key not in params:
            raise SystemExit(f"unknown PaddleOCR parameter {key!r}; known: {', '.join(sorted(params))}")
        default = params[key]
        if isinstance(default, bool):
            value = raw.lower() in ("1", "true", "yes", "on")
        elif isinstance(default, int):
            value = int(raw)
        elif isinstance(default, float):
            value = float(raw)
        else:
            value = raw
        params[key] = value
    return params


def _given_params(pairs: list) -> set:
    return {pair.partition("=")[0] for pair in pairs}


def main(argv=None) -> int:
    args = parse_args(argv)
    wanted = [d.strip() for d in args.datasets.split(",") if d.strip()]
    for d in wanted:
        if d not in ALL_DATASETS:
            raise SystemExit(f"unknown dataset {d!r}; known: {', '.join(ALL_DATASETS)}")
    params = _parse_params(args.param)
    notes = []

    loaded = {}
    for d in wanted:
        if not os.path.isdir(os.path.join(args.data_root, d)):
            notes.append(f"{DATASET_TITLES[d]}: not found under {args.data_root}, skipped")
            continue
        loader = {"icdar2015": datasets.load_icdar2015, "funsd": datasets.load_funsd,
                  "kannada": datasets.load_kannada}[d]
        loaded[d] = loader(args.data_root, args.limit)

    explicit = {"det": args.det_model, "rec": args.rec_model, "cls": args.cls_model, "dict": args.dict}
    # PaddleOCR 2.7.3 runs the ch PP-OCRv4 models: the reference column only for --ocr-version PP-OCRv4 (the default
    # set is PP-OCRv6 now); there both systems get PaddleOCR's parameters. Otherwise onnxocr gets only the
    # --param values and each model's own preprocessing (its ONNX metadata) for the rest.
    default_models = not any(explicit.values()) and args.lang in (None, "ch") and args.version == "PP-OCRv4"
    onnxocr_params = params if default_models else {k: v for k, v in params.items() if k in _given_params(args.param)}
    main_sets = [d for d in loaded if d != "kannada"]
    main_images = [s.image for d in main_sets for s in loaded[d]]

    results: dict = {}
    systems: list = []
    system_info: dict = {}

    # PaddleOCR reference ----------------------------------------------------------------------------
    ref_doc = None
    if args.reference != "none" and main_images:
        if args.reference == "auto":
            if not default_models:
                notes.append("PaddleOCR reference: only for the ch PP-OCRv4 models (--ocr-version PP-OCRv4); skipped")
            elif not paddle_venv_ready():
                notes.append("PaddleOCR reference: .venv-paddleocr missing (run bench/systems/setup_paddleocr_venv.sh "
                             "or `make parity`); skipped")
            else:
                models = ensure_paddle_venv(quiet=True)
                ref_doc = run_paddle_reference(main_images, params, args.use_cls,
                                               os.path.join(args.out, "paddle_reference.json"), models)
        else:
            with open(args.reference, encoding="utf-8") as f:
                ref_doc = json.load(f)
    if ref_doc is not None:
        preds = reference_by_path(ref_doc)
        systems.append(PADDLE_LABEL)
        system_info[PADDLE_LABEL] = {"paddleocr_version": ref_doc.get("paddleocr_version"),
                                     "paddle_version": ref_doc.get("paddle_version"),
                                     "models": ref_doc.get("models"), "params": ref_doc.get("params"),
                                     "use_cls": ref_doc.get("use_cls")}
        results[PADDLE_LABEL] = {}
        for d in main_sets:
            scorer = score_icdar2015 if d == "icdar2015" else score_bags
            results[PADDLE_LABEL][d] = scorer(loaded[d], preds)

    # onnxocr ----------------------------------------------------------------------------------------
    spacing_runs = [False, True] if args.space_recovery is None else [args.space_recovery]
    if args.no_onnxocr:
        spacing_runs = []
    for spacing in spacing_runs:
        label = f"onnxocr (space recovery {'on' if spacing else 'off'})"
        overrides = onnxocr_overrides(onnxocr_params, spacing, args.rec_batch_mode)
        ocr = make_onnxocr(args.lang, args.version, overrides, args.use_cls, explicit, args.threads)
        systems.append(label)
        system_info[label] = describe_onnxocr(ocr)
        system_info[label]["overrides"], system_info[label]["options_not_supported"] = supported_options(overrides)
        t0 = time.time()
        preds = run_onnxocr(ocr, main_images, label=label)
        system_info[label]["wall_s"] = round(time.time() - t0, 2)
        results[label] = {}
        for d in main_sets:
            scorer = score_icdar2015 if d == "icdar2015" else score_bags
            results[label][d] = scorer(loaded[d], preds)

        if "kannada" in loaded:
            ka_paths = {"rec": args.kannada_rec_model, "dict": args.kannada_dict, "det": args.det_model}
            try:
                # the Kannada recogniser has its own input height (32 for v2.0 models): let the model say
                ka_overrides = {k: v for k, v in overrides.items() if k not in ("rec_image_height", "rec_image_width")}
                ka_ocr = make_onnxocr("ka" if not args.kannada_rec_model else args.lang, None, ka_overrides,
                                      args.use_cls, ka_paths, args.threads)
            except Exception as exc:  # ModelNotFoundError / CatalogError: no Kannada recogniser installed
                if spacing == spacing_runs[0]:
                    notes.append(f"MILE Kannada: no Kannada recogniser available ({type(exc).__name__}: {exc}); skipped")
            else:
                ka_label_info = describe_onnxocr(ka_ocr)
                system_info[label]["kannada"] = ka_label_info
                ka_preds = run_onnxocr(ka_ocr, [s.image for s in loaded["kannada"]], label=label + " ka")
                results[label]["kannada"] = score_bags(loaded["kannada"], ka_preds)

    if default_models:
        notes.append("PaddleOCR parameters (both systems): " + ", ".join(f"{k}={v}" for k, v in sorted(params.items())))
    else:
        notes.append("onnxocr parameters: each model's own (ONNX metadata)"
                     + "".join(f", {k}={v}" for k, v in sorted(onnxocr_params.items())))
    notes.append(f"angle classifier: {'on' if args.use_cls else 'off'}; data root: {os.path.abspath(args.data_root)}"
                 + (f"; first {args.limit} images per set" if args.limit else ""))
    table = markdown_table(results, systems, notes)
    print(table)

    os.makedirs(args.out, exist_ok=True)
    doc = {"systems": systems, "system_info": system_info, "params": params, "use_cls": args.use_cls,
           "data_root": os.path.abspath(args.data_root), "limit": args.limit, "results": results,
           "notes": notes, "machine": machine_info(), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    with open(os.path.join(args.out, "eval.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    with open(os.path.join(args.out, "eval.md"), "w", encoding="utf-8") as f:
        f.write(table)
    print(f"wrote {os.path.join(args.out, 'eval.md')} and eval.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
