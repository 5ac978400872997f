"""Paired page-by-page speed comparison of onnxocr and faster-paddle (issue #14), for small differences.

    .venv/bin/python -m bench.paired                                   # 25 FUNSD + 25 ICDAR 2015, 1 round, 2 threads
    .venv/bin/python -m bench.paired --rounds 2 --corpora funsd --onnxocr-option det_limit_side_len=736 \
        --onnxocr-option det_limit_type=max

bench.peers runs each system over a whole corpus in its own process, so a machine whose speed drifts between
passes (a shared VM) moves the ratios by several percent. Here every system is one long-lived server process
(`python -m bench.paired --serve ...` in its own venv, models loaded once), and the parent hands them the same
page in turn, alternating who goes first, so neighbouring measurements share the machine's state. Per system:
pages/s, wall ratio to the first system, CPU seconds per page (user + system of the whole process, from
getrusage), system seconds and minor page faults per page, lines per page. Timed calls start from the file's bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)


def serve(system: str, threads: int, options: dict, corpora: list[str], pages: int, data_root: str) -> None:
    """Server loop: read 'corpus index' lines on stdin, OCR that page, print one JSON line of its costs."""
    from bench.speed import load_samples

    data = {c: [open(s.image, "rb").read() for s in samples] for c, samples in load_samples(corpora, data_root, pages).items()}
    if system == "faster-paddle":
        from faster_paddle import OcrEngine

        engine = OcrEngine(model_size="small", threads=threads, **options)
        ocr = lambda b: len(engine.ocr(b).get("bounds") or {})  # noqa: E731
    else:
        from onnxocr import OCR

        reader = OCR(threads=threads, **options)
        ocr = lambda b: len(reader(b).lines)  # noqa: E731
    for c in corpora:  # warm-up: one page of each corpus
        ocr(data[c][0])
    print("ready", flush=True)
    for line in sys.stdin:
        corpus, index = line.split()
        before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        lines = ocr(data[corpus][int(index)])
        wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
        sys_s = after.ru_stime - before.ru_stime
        print(json.dumps({"wall": wall, "cpu": after.ru_utime - before.ru_utime + sys_s, "sys": sys_s,
                          "faults": after.ru_minflt - before.ru_minflt, "lines": lines}), flush=True)


def main(argv: list[str] | None = None) -> int:
    from bench.lib import datasets
    from bench.speed import LOADERS, load_samples, names_of

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--pages", type=int, default=25, help="first N pages of each corpus")
    p.add_argument("--corpora", default="funsd,icdar2015")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-root", default=datasets.DEFAULT_DATA_ROOT)
    p.add_argument("--onnxocr-option", action="append", default=[], metavar="KEY=VALUE",
                   help="an OCR() option of a second onnxocr row (value parsed as JSON when it can be)")
    p.add_argument("--serve", nargs=2, metavar=("SYSTEM", "OPTIONS_JSON"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    corpora = names_of(args.corpora, LOADERS, "corpus")
    if args.serve:
        serve(args.serve[0], args.threads, json.loads(args.serve[1]), corpora, args.pages, args.data_root)
        return 0
    counts = {c: len(samples) for c, samples in load_samples(corpora, args.data_root, args.pages).items()}
    variant = {}
    for item in args.onnxocr_option:
        key, _, value = item.partition("=")
        try:
            variant[key] = json.loads(value)
        except json.JSONDecodeError:
            variant[key] = value
    rows = [("faster-paddle-small", ".venv-fasterpaddle", "faster-paddle", {}), ("onnxocr", ".venv", "onnxocr", {})]
    if variant:
        rows.append(("onnxocr " + ",".join(args.onnxocr_option), ".venv", "onnxocr", variant))
    servers = []
    for name, venv, system, options in rows:
        python = os.path.join(REPO_ROOT, venv, "bin", "python")
        if not os.path.exists(python):
            print(f"paired: {python} is missing: run bench/systems/setup_fasterpaddle_venv.sh / make install", file=sys.stderr)
            return 2
        cmd = [python, "-m", "bench.paired", "--serve", system, json.dumps(options), "--threads", str(args.threads),
               "--pages", str(args.pages), "--corpora", args.corpora, "--data-root", args.data_root]
        servers.append((name, subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)))
    for name, proc in servers:
        if proc.stdout.readline().strip() != "ready":
            print(f"paired: the {name} server did not start", file=sys.stderr)
            return 2
    costs: dict = {(name, c): [] for name, _ in servers for c in corpora}
    for r in range(args.rounds):
        for c in corpora:
            for i in range(counts[c]):
                for name, proc in servers if (r + i) % 2 == 0 else servers[::-1]:
                    proc.stdin.write(f"{c} {i}\n")
                    proc.stdin.flush()
                    costs[(name, c)].append(json.loads(proc.stdout.readline()))
    for _, proc in servers:
        proc.stdin.close()
        proc.wait()
    print("| corpus | system | pages/s | x faster-paddle | CPU s/page | system s/page | minor faults/page | lines/page |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for c in corpora:
        base = sum(x["wall"] for x in costs[(servers[0][0], c)])
        for name, _ in servers:
            runs = costs[(name, c)]
            wall, n = sum(x["wall"] for x in runs), len(runs)
            print(f"| {c} | {name} | {n / wall:.3f} | {base / wall:.3f} | {sum(x['cpu'] for x in runs) / n:.3f} | "
                  f"{sum(x['sys'] for x in runs) / n:.3f} | {sum(x['faults'] for x in runs) / n:.0f} | "
                  f"{sum(x['lines'] for x in runs) / n:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
