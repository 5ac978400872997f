"""The hostile inputs of issue 12 through the real CLI: exit status, stderr, traceback or not, peak RSS per run.

    .venv/bin/python bench/hostile.py [--limit-mb 1500]        (make hostile)

Each case runs `python -m onnxocr ...` in its own process with the default models from the store; the peak
RSS comes from wait4's rusage of that process. Exit 1 when any run shows a traceback or exceeds the limit.
"""

from __future__ import annotations

import argparse
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np


def _png(path: Path, image: np.ndarray) -> Path:
    ok, data = cv2.imencode(".png", image)
    assert ok
    path.write_bytes(data.tobytes())
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_inputs(folder: Path) -> dict[str, Path]:
    """The issue's inputs, written into folder."""
    ok, jpeg = cv2.imencode(".jpg", np.full((9000, 9000), 200, np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 50])
    jpeg = jpeg.tobytes()
    sof = jpeg.index(b"\xff\xc0")
    (folder / "stray-byte-9000.jpg").write_bytes(jpeg[:sof] + b"\x00" + jpeg[sof:])
    _png(folder / "1x1000000.png", np.zeros((1, 1_000_000), np.uint8))
    thin = np.full((10, 20000), 255, np.uint8)
    thin[3:7, ::9] = 0
    _png(folder / "10x20000.png", thin)
    line = np.full((90, 560), 0, np.uint8)
    cv2.putText(line, "White on clear 42", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 255, 3, cv2.LINE_AA)
    _png(folder / "white-text-transparent.png", np.dstack([np.full((90, 560, 3), 255, np.uint8), line]))
    ok, png = cv2.imencode(".png", np.zeros((8, 8), np.uint8))
    (folder / "truncated.png").write_bytes(png.tobytes()[:60])
    page = np.full((200, 600, 3), 255, np.uint8)
    cv2.putText(page, "Order number 2024", (20, 110), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (0, 0, 0), 3, cv2.LINE_AA)
    _png(folder / "page.png", page)
    return {p.name: p for p in folder.iterdir()}


def run(args: list[str], env: dict[str, str], folder: Path) -> tuple[int, str, str, float]:
    """(exit status, stdout, stderr, peak RSS in MB) of one CLI run in its own process."""
    out_path, err_path = folder / "stdout.txt", folder / "stderr.txt"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "onnxocr", *args], stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, out_path.read_text(), err_path.read_text(), usage.ru_maxrss / 1024


def _first(err: str, out: str) -> str:
    lines = err.strip().splitlines()
    return f"[{len(lines)} stderr line(s)] {lines[0][:140]}" if lines else f"[stdout] {out.strip()[:140]}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit-mb", type=float, default=1500.0)
    args = ap.parse_args(argv)
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        folder = Path(tmp)
        inputs = make_inputs(folder)
        out_file = folder / "out.txt"
        cases = [
            ("stray byte before SOF0, 9000x9000, --max-pixels 10000000", [str(inputs["stray-byte-9000.jpg"]), "--max-pixels", "10000000"]),
            ("1x1,000,000 PNG, --no-det", [str(inputs["1x1000000.png"]), "--no-det"]),
            ("10x20000 PNG, --det-limit-type min --det-limit-side-len 736", [str(inputs["10x20000.png"]), "--det-limit-type", "min", "--det-limit-side-len", "736"]),
            ("--det-limit-type maxx", [str(inputs["page.png"]), "--det-limit-type", "maxx"]),
            ("--drop-score 7", [str(inputs["page.png"]), "--drop-score", "7"]),
            ("truncated PNG (OpenCV log lines?)", [str(inputs["truncated.png"])]),
            ("white text on transparency", [str(inputs["white-text-transparent.png"])]),
            ("-o out.txt (a new file; umask %03o)" % _umask(), [str(inputs["page.png"]), "-o", str(out_file)]),
        ]
        rows = []
        for label, cli_args in cases:
            code, out, err, peak = run(cli_args, env, folder)
            rows.append((label, code, "Traceback" in err, peak, _first(err, out)))
        label, code, traceback, peak, _ = rows[-1]
        rows[-1] = (label, code, traceback, peak, f"mode {oct(stat.S_IMODE(out_file.stat().st_mode))}")
        broken_store = folder / "store-with-unreadable-manifest"
        (broken_store / "manifest.json").mkdir(parents=True)
        code, out, err, peak = run(["models"], dict(env, ONNXOCR_HOME=str(broken_store)), folder)
        rows.append(("onnxocr models, manifest unreadable", code, "Traceback" in err, peak, _first(err, out)))
        os.chmod(out_file, 0o664)
        code, _, err, peak = run([str(inputs["page.png"]), "-o", str(out_file)], env, folder)
        rows.append(("-o over an existing 0664 file", code, "Traceback" in err, peak,
                     f"mode afterwards {oct(stat.S_IMODE(out_file.stat().st_mode))}"))
        print(f"{'case':62} {'rc':>3} {'tb':>3} {'peak MB':>8}  first line of stderr (or stdout)")
        for label, code, traceback, peak, first in rows:
            print(f"{label:62} {code:>3} {'yes' if traceback else 'no':>3} {peak:8.0f}  {first}")
        worst = max(peak for *_, peak, _ in rows)
        print(f"max peak RSS: {worst:.0f} MB (limit {args.limit_mb:.0f} MB)")
        return 1 if any(tb for _, _, tb, _, _ in rows) or worst > args.limit_mb else 0


if __name__ == "__main__":
    sys.exit(main())
