"""Choose the DB box threshold and the line drop score of a model set by 5-fold page cross-validation.

    python -m bench.tune [--lang ch] [--ocr-version PP-OCRv6] [--option det_thresh=0.3 ...] [--folds 5]
                         [--box-thresh 0.3,0.35,...] [--drop-score 0.3,0.4,0.5] [--out out/tune]

One pass over ICDAR 2015 and FUNSD runs detection with the lowest box threshold asked for and keeps each line's
DB box score and recognition score; a higher box threshold keeps a subset of the same boxes (DB scores each
candidate on its own), and the drop score filters lines, so every (box_thresh, drop_score) pair is scored
without running the models again. Pages of each dataset are split into folds (every k-th page); for each fold
the pair with the best objective on the other folds is scored on it. Objective: the mean of FUNSD word-bag F1,
FUNSD char-bag F1, ICDAR det H-mean and ICDAR end-to-end H-mean. The report gives the held-out figures (counts
summed over folds: what a threshold chosen without those pages scores on them) and the pair chosen on all pages.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time

import numpy as np

from bench.lib import datasets, metrics
from bench.lib.reference import REPO_ROOT
from bench.lib.report import parse_value


def scored_lines(ocr, image_path: str) -> list[dict]:
    """Every line the pipeline would keep at the detector's box threshold, with its DB box score."""
    from onnxocr.core.crop import crop_quad
    from onnxocr.core.detection import det_preprocess, filter_boxes, sort_reading_order
    from onnxocr.io.images import load_image

    img = load_image(image_path, ocr.config.max_image_pixels)
    height, width = img.shape[:2]
    prob, _ = ocr.detector.model.run(det_preprocess(img, ocr.config.det))
    boxes, box_scores = ocr.detector.postprocess(prob[0, 0], height, width)
    kept = []
    for box, score in zip(boxes, box_scores):
        quad = filter_boxes(box[np.newaxis], height, width)
        if len(quad):
            kept.append((quad[0], float(score)))
    if not kept:
        return []
    order = sort_reading_order(np.stack([q for q, _ in kept]))
    kept = [kept[i] for i in order]
    crops = [crop_quad(img, q) for q, _ in kept]
    texts, _ = ocr.recognizer(crops)
    texts = ocr._with_spaces(texts, crops)
    return [{"box": q.tolist(), "box_score": s, "text": t.text, "score": float(t.score)} for (q, s), t in zip(kept, texts)]


def page_counts(samples: list, lines: dict, dataset: str, box_thresh: float, drop_score: float) -> list:
    """Per page: DetCounts (ICDAR) or (word BagCounts, char BagCounts) (FUNSD) at one threshold pair."""
    out = []
    for s in samples:
        kept = [ln for ln in lines[s.image] if ln["box_score"] >= box_thresh and ln["score"] >= drop_score]
        if dataset == "icdar2015":
            out.append(metrics.icdar2015_image_counts(
                [r.quad for r in s.regions], [r.text for r in s.regions], [r.dont_care for r in s.regions],
                [ln["box"] for ln in kept], [ln["text"] for ln in kept]))
        else:
            bags = metrics.page_bags([ln["text"] for ln in kept], s.words)
            out.append((bags.words, bags.chars))
    return out


def figures(icdar: list, funsd: list) -> dict:
    det = sum(icdar, metrics.DetCounts())
    words = sum((w for w, _ in funsd), metrics.BagCounts())
    chars = sum((c for _, c in funsd), metrics.BagCounts())
    scores = metrics.icdar2015_scores(det)
    return {"funsd_word_f1": words.f1, "funsd_char_f1": chars.f1, "icdar_det_h": scores["det_hmean"],
            "icdar_e2e_h": scores["e2e_hmean"]}


def objective(fig: dict) -> float:
    return (fig["funsd_word_f1"] + fig["funsd_char_f1"] + fig["icdar_det_h"] + fig["icdar_e2e_h"]) / 4


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.tune", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-root", default=datasets.DEFAULT_DATA_ROOT)
    ap.add_argument("--lang")
    ap.add_argument("--ocr-version", "--version", dest="version")
    ap.add_argument("--det-model")
    ap.add_argument("--rec-model")
    ap.add_argument("--option", action="append", default=[], metavar="NAME=VALUE", help="onnxocr option, e.g. det_thresh=0.2")
    ap.add_argument("--box-thresh", default="0.3,0.35,0.4,0.45,0.5,0.55,0.6,0.65")
    ap.add_argument("--drop-score", default="0.3,0.4,0.5,0.6")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--lines", help="reuse a previous run's lines.json (same models and options) instead of running")
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "out", "tune"))
    args = ap.parse_args(argv)
    from onnxocr import OCR

    box_grid = sorted(float(v) for v in args.box_thresh.split(","))
    drop_grid = sorted(float(v) for v in args.drop_score.split(","))
    options = {k: parse_value(v) for k, v in (o.split("=", 1) for o in args.option)}
    ocr = OCR(args.lang, args.version, det_model=args.det_model, rec_model=args.rec_model,
              threads=args.threads, **options, det_box_thresh=box_grid[0])
    icdar = datasets.load_icdar2015(args.data_root, None)
    funsd = datasets.load_funsd(args.data_root, None)
    lines, t0 = {}, time.time()
    if args.lines:
        with open(args.lines, encoding="utf-8") as fh:
            lines = json.load(fh)
    for i, s in enumerate([] if args.lines else icdar + funsd):
        lines[s.image] = scored_lines(ocr, s.image)
        if (i + 1) % 50 == 0:
            print(f"[tune] {i + 1}/{len(icdar) + len(funsd)} pages, {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    os.makedirs(args.out, exist_ok=True)
    if not args.lines:
        with open(os.path.join(args.out, "lines.json"), "w", encoding="utf-8") as fh:  # every line with both scores
            json.dump(lines, fh)
    pairs = list(itertools.product(box_grid, drop_grid))
    per_pair = {p: (page_counts(icdar, lines, "icdar2015", *p), page_counts(funsd, lines, "funsd", *p)) for p in pairs}

    def fold_of(n: int, k: int) -> list:
        return [i for i in range(n) if i % args.folds == k]

    held_icdar, held_funsd, chosen = [], [], []
    for k in range(args.folds):
        test_i, test_f = set(fold_of(len(icdar), k)), set(fold_of(len(funsd), k))

        def train_fig(p):
            ic, fu = per_pair[p]
            return figures([c for i, c in enumerate(ic) if i not in test_i], [c for i, c in enumerate(fu) if i not in test_f])

        best = max(pairs, key=lambda p: objective(train_fig(p)))
        chosen.append(best)
        ic, fu = per_pair[best]
        held_icdar += [c for i, c in enumerate(ic) if i in test_i]
        held_funsd += [c for i, c in enumerate(fu) if i in test_f]
    all_pages = {p: figures(*per_pair[p]) for p in pairs}
    best_all = max(pairs, key=lambda p: objective(all_pages[p]))
    report = {
        "models": {t: str(c.path) for t, c in ocr.models.items()}, "options": options,
        "det": {k: v for k, v in vars(ocr.config.det).items()}, "folds": args.folds,
        "pages": {"icdar2015": len(icdar), "funsd": len(funsd)},
        "chosen_per_fold": [list(p) for p in chosen],
        "cross_validated": figures(held_icdar, held_funsd),
        "chosen_on_all_pages": list(best_all), "all_pages_at_choice": all_pages[best_all],
        "grid": {f"{b:g},{d:g}": f for (b, d), f in all_pages.items()},
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tune.json"), "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1, default=str)
    cv = report["cross_validated"]
    print(f"chosen per fold (box_thresh, drop_score): {chosen}")
    print(f"{args.folds}-fold held-out: FUNSD word/char {cv['funsd_word_f1']:.3f}/{cv['funsd_char_f1']:.3f}  "
          f"ICDAR det/e2e {cv['icdar_det_h']:.3f}/{cv['icdar_e2e_h']:.3f}")
    f = all_pages[best_all]
    print(f"on all pages: {best_all} -> FUNSD {f['funsd_word_f1']:.3f}/{f['funsd_char_f1']:.3f}  "
          f"ICDAR {f['icdar_det_h']:.3f}/{f['icdar_e2e_h']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
