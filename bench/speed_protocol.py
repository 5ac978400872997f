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
    peak_rss_kib       VmHWM at exit (peak resident set of the whole process)
    lines, extra       per image of the first steady pass
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


def measure(build, infer, versions, argv=None) -> int:
    args = parse_args(argv)
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)
    images = spec["images"]
    repeat = int(spec.get("repeat", 1))

    engine, imported_at = build(spec)  # build imports the system, notes time.time(), then loads the models
    loaded_at = time.time()
    import cv2  # noqa: E402  (already imported by every compared system)

    first = cv2.imread(images[0], cv2.IMREAD_COLOR)
    t_first = time.time()
    infer(engine, first)
    t_first_done = time.time()

    decoded = [cv2.imread(p, cv2.IMREAD_COLOR) for p in images]
    latencies, lines_out, extra_out = [], [], []
    for r in range(repeat):
        for img in decoded:
            t = time.perf_counter()
            lines, extra = infer(engine, img)
            latencies.append(time.perf_counter() - t)
            if r == 0:
                lines_out.append(lines)
                extra_out.append(extra)
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
