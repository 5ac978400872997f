"""Soak test (`make soak`): N pages through one OCR object; RSS must not grow and file descriptors must not leak.

Pages are rendered here (varied sizes, text and input forms: array, PNG bytes, JPEG file path), so no data set is
needed. Models: the default store set when converted, else the ../shared fixture PP-OCRv2 det + en rec.
RSS (VmRSS) and the open-fd count are sampled every --every pages; after --warmup pages, RSS may grow at most
--max-growth (fraction) over its warm-up value and the fd count may not grow at all. Exit 0 pass, 1 fail, 2 setup.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ONNXOCR_SHARED", REPO.parent / "shared"))
WORDS = "invoice total amount due order number thank you page line value onnx paddle runtime 2024 42.50 #17".split()


def rss_kib() -> int:
    """Resident set size of this process in KiB (/proc/self/status VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    """Number of open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


def render_page(rng: np.random.Generator) -> np.ndarray:
    """A white page of 1-6 lines of random words; width 200-900 px, text scale varied."""
    lines = [" ".join(rng.choice(WORDS, size=rng.integers(1, 6))) for _ in range(rng.integers(1, 7))]
    scale = float(rng.uniform(0.6, 1.3))
    width = int(rng.integers(200, 900))
    step = int(40 * scale) + 12
    page = np.full((step * len(lines) + 30, width, 3), 255, np.uint8)
    for i, text in enumerate(lines):
        cv2.putText(page, text, (10, 20 + step * (i + 1) - 12), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 2, cv2.LINE_AA)
    return page


def make_ocr():
    from onnxocr import OCR
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    if all(ModelStore().is_installed(n) for n in load_catalog().default_convert):
        return OCR(), "default store models"
    models = SHARED / "fixtures" / "models" / "onnx"
    if models.is_dir():
        ocr = OCR(
            det_model=models / "ch_PP-OCRv2_det_infer.onnx",
            rec_model=models / "en_number_mobile_v2.0_rec_infer.onnx",
            dict_path=SHARED / "fixtures" / "dicts" / "en_dict.txt",
        )
        return ocr, "fixture PP-OCRv2 det + en_number rec"
    raise SystemExit("soak: no models: run `make convert` (or provide ../shared fixtures)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--every", type=int, default=50, help="sample RSS and fds every N pages")
    parser.add_argument("--warmup", type=int, default=100, help="pages before the RSS baseline")
    parser.add_argument("--max-growth", type=float, default=0.05, help="allowed RSS growth after warm-up (fraction)")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    if args.warmup % args.every or args.warmup >= args.pages:
        parser.error("--warmup must be a multiple of --every and below --pages")
    try:
        ocr, models = make_ocr()
    except Exception as exc:  # setup, not a soak failure
        print(f"soak: setup failed: {exc}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    samples: list[tuple[int, int, int, float]] = []  # (page, rss KiB, fds, seconds)
    lines_read = 0
    start = time.perf_counter()
    print(f"soak: {args.pages} pages through one OCR object ({models}); pid {os.getpid()}")
    with tempfile.TemporaryDirectory(prefix="onnxocr-soak-") as tmp:
        page_file = Path(tmp) / "page.jpg"
        for number in range(1, args.pages + 1):
            page = render_page(rng)
            form = number % 3
            if form == 0:
                source = page
            elif form == 1:
                source = cv2.imencode(".png", page)[1].tobytes()
            else:
                page_file.write_bytes(cv2.imencode(".jpg", page)[1].tobytes())
                source = page_file
            lines_read += len(ocr(source).lines)
            if number % args.every == 0:
                gc.collect()
                samples.append((number, rss_kib(), open_fds(), time.perf_counter() - start))
    print(f"{'page':>6} {'RSS MiB':>9} {'vs warm-up':>10} {'fds':>5} {'pages/s':>8}")
    baseline = next(s for s in samples if s[0] == args.warmup)
    previous_t, previous_n = 0.0, 0
    for number, rss, fds, seconds in samples:
        rate = (number - previous_n) / max(seconds - previous_t, 1e-9)
        previous_t, previous_n = seconds, number
        rel = f"{(rss / baseline[1] - 1) * 100:+.1f}%" if number >= args.warmup else "warm-up"
        print(f"{number:>6} {rss / 1024:>9.1f} {rel:>10} {fds:>5} {rate:>8.1f}")
    after = [s for s in samples if s[0] >= args.warmup]
    peak = max(after, key=lambda s: s[1])
    growth = peak[1] / baseline[1] - 1
    fd_growth = max(s[2] for s in after) - baseline[2]
    elapsed = time.perf_counter() - start
    print(
        f"soak: {args.pages} pages, {lines_read} lines in {elapsed:.0f} s ({args.pages / elapsed:.1f} pages/s); "
        f"RSS {samples[0][1] / 1024:.1f} MiB at page {samples[0][0]}, {baseline[1] / 1024:.1f} MiB after warm-up "
        f"(page {args.warmup}), peak {peak[1] / 1024:.1f} MiB at page {peak[0]} ({growth * 100:+.1f}%, bound "
        f"{args.max_growth * 100:.0f}%); fds {baseline[2]} -> {after[-1][2]} (max growth {fd_growth})"
    )
    failures = []
    if growth > args.max_growth:
        failures.append(f"RSS grew {growth * 100:.1f}% after warm-up (bound {args.max_growth * 100:.0f}%)")
    if fd_growth > 0:
        failures.append(f"open file descriptors grew by {fd_growth} after warm-up")
    if lines_read == 0:
        failures.append("no text was read at all: the soak did not exercise the pipeline")
    for failure in failures:
        print(f"soak: FAIL: {failure}", file=sys.stderr)
    print("soak: PASS" if not failures else "soak: FAIL")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
