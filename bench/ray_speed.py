"""`make bench-ray`: Ray runner throughput with 1 and 2 actors (1 CPU and 1 onnxruntime thread each), against the
serial runner (one OCR object, 1 thread) on the same pages, on a local Ray cluster. Both runners take the same
pages from the same readers (onnxocr/runners.py, onnxocr/integrations/ray_data.py).

    .venv/bin/python -m bench.ray_speed [--pages 20] [--corpus funsd|icdar2015] [--actors 1,2]

Pages/s overall = pages / wall time of the whole job (actor start, model load, execution, collecting the records;
the cluster start is timed separately); steady = pages after the first / time from the first record to the last. Every Ray run's records are checked to equal the serial run's.
Results: out/bench/ray.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from bench.lib import datasets  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--corpus", choices=("funsd", "icdar2015"), default="funsd")
    parser.add_argument("--actors", default="1,2", help="comma-separated actor counts")
    args = parser.parse_args(argv)
    loader = datasets.load_funsd if args.corpus == "funsd" else datasets.load_icdar2015
    try:
        pages = [s.image for s in loader(limit=args.pages)]
    except FileNotFoundError as exc:
        sys.exit(f"bench.ray_speed: corpus not found ({exc}); ../shared/data holds it")
    if not pages:
        sys.exit(f"bench.ray_speed: no {args.corpus} pages under {datasets.DEFAULT_DATA_ROOT}")

    from onnxocr import OCR
    from onnxocr.integrations.ray_data import connect, ray_runner
    from onnxocr.io.readers import iter_pages
    from onnxocr.io.writers.json import error_record, page_record
    from onnxocr.runners import serial_runner

    def records(results):  # the JSON Lines records, timings left out (they differ between two runs)
        for done in results:
            record = page_record(done.result) if done.result is not None else error_record(done.source, done.page, done.error)
            record.pop("timings", None)
            yield record

    load_avg = os.getloadavg()[0]
    start = time.perf_counter()
    serial = list(records(serial_runner(OCR(threads=1))(iter_pages(pages))))
    serial_s = time.perf_counter() - start
    report = {"corpus": args.corpus, "pages": len(pages), "cpus": os.cpu_count(), "load_avg_1min_before": load_avg,
              "serial": {"seconds": round(serial_s, 2), "pages_per_s": round(len(pages) / serial_s, 3)}, "ray": {}}
    print(f"{args.corpus}: {len(pages)} pages, load {load_avg:.1f}; serial (1 thread): {len(pages) / serial_s:.2f} pages/s")

    start = time.perf_counter()
    ray = connect()
    report["ray_cluster_start_s"] = round(time.perf_counter() - start, 2)
    for actors in (int(a) for a in args.actors.split(",")):
        start = time.perf_counter()
        rows, arrived = [], []
        for row in records(ray_runner(actors, num_cpus=1)(iter_pages(pages))):
            rows.append(row)
            arrived.append(time.perf_counter())
        seconds = time.perf_counter() - start
        # steady state: pages after the first, over the time from the first record to the last
        steady = (len(rows) - 1) / (arrived[-1] - arrived[0]) if len(rows) > 1 and arrived[-1] > arrived[0] else None
        equal = rows == serial
        report["ray"][str(actors)] = {"seconds": round(seconds, 2), "pages_per_s": round(len(pages) / seconds, 3),
                                      "steady_pages_per_s": steady and round(steady, 3), "equal_to_serial": equal}
        print(f"ray --ray {actors}: {len(pages) / seconds:.2f} pages/s overall ({seconds:.1f} s incl. actor start and model "
              f"load), {steady or 0:.2f} pages/s after the first record; records equal to serial: {equal}")
    ray.shutdown()
    out = os.path.join(REPO_ROOT, "out", "bench")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "ray.json"), "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2)
    return 0 if all(r["equal_to_serial"] for r in report["ray"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
