"""The measuring loop shared by the per-system speed runners (bench/*_runner.py) of `make bench`.

Standard library only (plus numpy / cv2, which every compared system has): each runner runs in its own
system's virtual environment, as a separate process, so peak RSS and cold start are that system's alone.

A runner is invoked as  `PYTHON bench/<system>_runner.py --spec spec.json --out result.json`; the spec
(written by bench/speed.py) holds the images, thread count, PaddleOCR-style parameters and model files.
The runner hands `measure` two callables: `build(spec) -> (engine, time.time() when the
import was done)` (import, then model load) and
`infer(engine, bgr_image) -> (lines, extra)`, lines = [[text, score], ...] after drop_score, extra a dict
of per-image stage timings (or {}). `measure` writes:

    cold_start_s       process spawn (the parent's clock, passed in the spec) -> first result
    import_s, load_s   inside the process: importing the system, constructing it (model load)
    first_image_s      the first image's inference (part of the cold start)
    latencies_s        steady-state seconds per image (every image once per repeat, after the first result)
    cpu_s              process CPU seconds (user + system, all threads) over the steady-state passes
    peak_rss_kib       VmHWM at exit (peak resident set of the whole process)
    lines, extra       per image of the first steady pass

With spec "input": "bytes" (bench/peers.py) `infer` gets each image file's encoded bytes, read into memory
before the clock starts, so decoding is inside the timed call for every system (faster-paddle takes only
encoded bytes). A runner may also pass `infer_batch(engine, [bytes, ...]) -> [(lines, extra), ...]`: with
spec "batch": true each steady pass is one such call over all images, timed as a whole (`batch_s`, one
value per pass; `latencies_s` then holds the pass time divided evenly, so pages/s stays images / seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time

PROCESS_START = time.time()


def vm_kib(field: str) -> int | None:
    """A /proc/self/status memory field (VmHWM, VmRSS) in KiB; None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_rss_kib() -> int:
    hwm = vm_kib("VmHWM")
    return hwm if hwm is not None else int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, help="JSON spec written by bench/speed.py")
    parser.add_argument("--out", required=True, help="where to write the result JSON")
    return parser.parse_args(argv)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(build, infer, versions, argv=None, infer_batch=None) -> int:
    args = parse_args(argv)
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)
    images = spec["images"]
    repeat = int(spec.get("repeat", 1))

    engine, imported_at = build(spec)  # build imports the system, notes time.time(), then loads the models
    loaded_at = time.time()
    as_bytes = spec.get("input") == "bytes"

    def read(path):
        if as_bytes:
            with open(path, "rb") as f:
                return f.read()
        import cv2  # noqa: E402  (already imported by every system that is given arrays)

        return cv2.imread(path, cv2.IMREAD_COLOR)

    first = read(images[0])
    t_first = time.time()
    infer(engine, first)
    t_first_done = time.time()

    inputs = [read(p) for p in images]
    latencies, lines_out, extra_out, batch_s = [], [], [], []
    cpu_start = cpu_seconds()
    for r in range(repeat):
        if spec.get("batch"):
            if infer_batch is None:
                raise SystemExit(f"{spec['system']}: this runner has no batch path")
            t = time.perf_counter()
            outputs = infer_batch(engine, inputs)
            batch_s.append(time.perf_counter() - t)
            latencies.extend([batch_s[-1] / len(inputs)] * len(inputs))
        else:
            outputs = []
            for item in inputs:
                t = time.perf_counter()
                outputs.append(infer(engine, item))
                latencies.append(time.perf_counter() - t)
        if r == 0:
            lines_out = [lines for lines, _ in outputs]
            extra_out = [extra for _, extra in outputs]
    cpu_s = cpu_seconds() - cpu_start
    result = {
        "system": spec["system"],
        "versions": versions(),
        "python": platform.python_version(),
        "threads": spec["threads"],
        "images": images,
        "repeat": repeat,
        "cold_start_s": t_first_done - float(spec.get("spawn_wall", PROCESS_START)),
        "interpreter_s": PROCESS_START - float(spec.get("spawn_wall", PROCESS_START)),
        "import_s": imported_at - PROCESS_START,
        "load_s": loaded_at - imported_at,
        "first_image_s": t_first_done - t_first,
        "latencies_s": latencies,
        "batch_s": batch_s,
        "cpu_s": cpu_s,
        "lines": lines_out,
        "extra": extra_out,
        "peak_rss_kib": peak_rss_kib(),
        "wall_s": time.time() - float(spec.get("spawn_wall", PROCESS_START)),
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit("this module is imported by the bench/*_runner.py scripts")


def installed_versions(*names: str) -> dict:
    """{distribution: version} for those of `names` installed in this interpreter."""
    import importlib.metadata as md

    out = {}
    for name in names:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return out
