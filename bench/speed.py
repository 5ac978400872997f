"""`make bench`: speed of onnxocr against RapidOCR 1.4.4 (and, when asked, PaddleOCR 2.x) on the same images.

    .venv/bin/python -m bench.speed                       # FUNSD + ICDAR 2015, 10 images each, 3 rounds
    .venv/bin/python -m bench.speed --pages 25 --runs 5 --corpora funsd
    .venv/bin/python -m bench.speed --systems onnxocr,rapidocr,paddleocr
    .venv/bin/python -m bench.speed --onnxocr-option rec_batch_mode=width

Each system runs in its own process with its own virtual environment (bench/<system>_runner.py, see
bench/systems/speed_protocol.py), the same images, the same PaddleOCR parameters, the same model files and the
same onnxruntime thread count. Rounds alternate the order of the systems; every figure is the median over
rounds, and each ratio is the median of the per-round ratios (same round = same machine load).

Per system and corpus: pages/s (steady state: images / summed per-image latency, image decode excluded),
p50 / p95 latency per image, peak RSS of the process (VmHWM), cold start (process spawn -> import -> model
load -> first result), and for onnxocr the pipeline overhead = (wall time - time inside onnxruntime `run`)
/ time inside onnxruntime. Text check: char-bag F1 of every system against onnxocr (same text means
F1 >= 0.995), and each system's char-bag F1 against the corpus ground truth.

The machine this runs on may be shared: the 1-minute load average before each round is printed and saved.
Results: out/bench/speed[-<models>].json (latest) and a time-stamped copy; `--markdown` prints the table for
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from bench.lib import datasets  # noqa: E402
from bench.lib.metrics import bag_counts, chars_of  # noqa: E402
from bench.lib.report import latency_summary, machine_info, parse_value  # noqa: E402
from bench.systems.paddle_params import PADDLE_DEFAULTS  # noqa: E402

SYSTEMS = {
    # name: (venv python, runner, setup script or None)
    "onnxocr": (os.path.join(REPO_ROOT, ".venv", "bin", "python"), "onnxocr_runner.py", None),
    "rapidocr": (os.path.join(REPO_ROOT, ".venv-rapidocr", "bin", "python"), "rapidocr_runner.py",
                 os.path.join(REPO_ROOT, "bench", "systems", "setup_rapidocr_venv.sh")),
    "paddleocr": (os.path.join(REPO_ROOT, ".venv-paddleocr", "bin", "python"), "paddleocr_runner.py",
                  os.path.join(REPO_ROOT, "bench", "systems", "setup_paddleocr_venv.sh")),
}

# The PaddleOCR 2.x defaults that shape the work, given to every system alike.
PARAMS = {key: PADDLE_DEFAULTS[key] for key in (
    "det_limit_side_len", "det_limit_type", "det_db_thresh", "det_db_box_thresh", "det_db_unclip_ratio",
    "det_db_score_mode", "use_dilation", "rec_batch_num", "drop_score", "cls_thresh", "cls_batch_num",
)}
MODEL_FILES = {  # task -> (onnxocr store name, RapidOCR 1.4.4 bundled file)
    "det": ("ch_PP-OCRv4_det", "ch_PP-OCRv4_det_infer.onnx"),
    "rec": ("ch_PP-OCRv4_rec", "ch_PP-OCRv4_rec_infer.onnx"),
    "cls": ("ch_ppocr_mobile_v2.0_cls", "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
}
SAME_TEXT_F1 = 0.995


def round_arguments(description: str, epilog: str, systems: str, pages: int, threads_help: str) -> argparse.ArgumentParser:
    """The options every rounds benchmark takes (systems, corpora, data, pages, rounds, repeat, threads)."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=epilog)
    p.add_argument("--systems", default=systems, help="comma list of systems")
    p.add_argument("--corpora", default="funsd,icdar2015", help="comma list of funsd, icdar2015")
    p.add_argument("--data-root", default=datasets.DEFAULT_DATA_ROOT)
    p.add_argument("--pages", type=int, default=pages, help="images per corpus (first N, sorted)")
    p.add_argument("--runs", type=int, default=3, help="rounds (one process per system per corpus per round)")
    p.add_argument("--repeat", type=int, default=1, help="passes over the images inside one process")
    p.add_argument("--threads", type=int, default=2, help=threads_help)
    return p


def parse_args(argv=None) -> argparse.Namespace:
    p = round_arguments("onnxocr vs RapidOCR (vs PaddleOCR) speed benchmark", __doc__, "onnxocr,rapidocr", 10,
                        "onnxruntime intra-op threads (Paddle cpu_threads)")
    p.add_argument("--no-cls", action="store_true", help="angle classifier off on every system")
    p.add_argument("--models", default="auto",
                   help="ONNX files for onnxocr and RapidOCR: 'store' (onnxocr's converted store), 'rapidocr' "
                        "(the files RapidOCR 1.4.4 ships), a folder with either naming, 'auto' (store if "
                        "converted, else rapidocr), or 'own' (each system its own conversion of the same "
                        "Paddle weights: onnxocr the store's files, RapidOCR the files it ships)")
    p.add_argument("--onnxocr-option", action="append", default=[], metavar="KEY=VALUE",
                   help="extra onnxocr option (OCRConfig flat name), e.g. rec_batch_mode=width")
    p.add_argument("--out", default=os.path.join(REPO_ROOT, "out", "bench"))
    p.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    p.add_argument("--check", action="store_true", help="exit 1 when an issue #5 target is missed")
    return p.parse_args(argv)


def ensure_venv(system: str) -> str | None:
    """Create the system's venv if needed; returns the setup script's last stdout line (models folder)."""
    python, _, setup = SYSTEMS[system]
    return run_setup(python, setup)


def run_setup(python: str, setup: str | None) -> str | None:
    """Run a system's venv setup script (None: the venv must exist); returns its last stdout line."""
    if setup is None:
        if not os.path.exists(python):
            sys.exit(f"{python} missing: run `make install` first")
        return None
    proc = subprocess.run(["bash", setup], stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"{setup} failed (exit {proc.returncode})")
    return proc.stdout.strip().splitlines()[-1]


def resolve_models(choice: str, rapid_models: str | None) -> dict:
    def in_folder(folder: str) -> dict | None:
        for column in (0, 1):
            paths = {t: os.path.join(folder, names[column] + (".onnx" if column == 0 else ""))
                     for t, names in MODEL_FILES.items()}
            if all(os.path.isfile(p) for p in paths.values()):
                return paths
        return None

    if choice in ("auto", "store"):
        from onnxocr.models.store import ModelStore

        found = in_folder(str(ModelStore().root))
        if found or choice == "store":
            if not found:
                sys.exit(f"onnxocr's store {ModelStore().root} lacks the models: run `make convert`")
            return {**found, "source": f"onnxocr store ({ModelStore().root})"}
        choice = "rapidocr"
    if choice == "rapidocr":
        if rapid_models is None:
            rapid_models = ensure_venv("rapidocr")
        return {**in_folder(rapid_models), "source": f"rapidocr-onnxruntime 1.4.4 wheel ({rapid_models})"}
    found = in_folder(os.path.abspath(choice))  # the runners start in another working directory
    if not found:
        sys.exit(f"{choice} holds neither the store's nor RapidOCR's model file names")
    return {**found, "source": choice}


def paddle_models() -> dict:
    from bench.lib.reference import ensure_paddle_venv

    m = ensure_paddle_venv(quiet=True)
    return {"det": m.det, "rec": m.rec, "cls": m.cls, "dict": m.dict_path, "source": "Paddle inference files"}


def run_system(system: str, spec: dict, workdir: str, tag: str) -> dict:
    python, runner, _ = SYSTEMS[system]
    return run_runner(python, runner, dict(spec, system=system), workdir, tag)


def run_runner(python: str, runner: str, spec: dict, workdir: str, tag: str) -> dict:
    """One runner process (bench/<runner> in `python`'s venv) on a spec; returns its result JSON."""
    system = spec["system"]
    spec_path = os.path.join(workdir, f"{tag}.spec.json")
    out_path = os.path.join(workdir, f"{tag}.result.json")
    env = dict(os.environ, OMP_NUM_THREADS=str(spec["threads"]), PYTHONDONTWRITEBYTECODE="1")
    spec = dict(spec, spawn_wall=time.time())  # cold start counts from here (interpreter start)
    with open(spec_path, "w", encoding="utf-8") as f:
        json.dump(spec, f)
    proc = subprocess.run([python, os.path.join(REPO_ROOT, "bench", "systems", runner), "--spec", spec_path, "--out", out_path],
                          cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"{system} runner failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    with open(out_path, encoding="utf-8") as f:
        return json.load(f)


def onnxruntime_overhead(extra: list) -> float | None:
    """onnxocr's pipeline overhead over its per-image timings: (wall - time with an onnxruntime run in flight) / that
    time; None when no image has onnxocr's timings."""
    timed = [e for e in extra if e and "onnxruntime" in e and "total" in e]
    if not timed:
        return None
    ort = sum(e["onnxruntime"] for e in timed)
    return (sum(e["total"] for e in timed) - ort) / ort if ort else float("nan")


def summarize(result: dict) -> dict:
    lat = result["latencies_s"]
    out = {**latency_summary(result), "import_s": result["import_s"], "load_s": result["load_s"],
           "process_wall_s": result["wall_s"]}
    extra = [e for e in result["extra"] if e]
    if extra and "onnxruntime" in extra[0]:
        total = sum(e["total"] for e in extra)
        out["ort_share"] = sum(e["onnxruntime"] for e in extra) / total
        out["overhead_vs_ort"] = onnxruntime_overhead(extra)
        for stage in ("det", "cls", "rec"):
            out[f"{stage}_share"] = sum(e.get(stage, 0.0) for e in extra) / total
    elif extra and "rec" in extra[0]:
        total = sum(lat[: len(extra)])
        for stage in ("det", "cls", "rec"):
            out[f"{stage}_share"] = sum(e.get(stage, 0.0) for e in extra) / total
    return out


def text_checks(results: dict, samples: list) -> dict:
    """Char-bag F1 of each system vs onnxocr (or the first system), and vs ground truth."""
    names = list(results)
    base = "onnxocr" if "onnxocr" in results else names[0]
    gts = [datasets.bag_words(s) for s in samples]
    out = {}
    for name, res in results.items():
        lines = [[t for t, _ in page] for page in res["lines"]]
        vs_gt = None
        for pred, gt in zip(lines, gts):
            c = bag_counts(chars_of(pred), chars_of(gt))
            vs_gt = c if vs_gt is None else vs_gt + c
        vs_base = None
        for pred, ref in zip(lines, ([[t for t, _ in page] for page in results[base]["lines"]])):
            c = bag_counts(chars_of(pred), chars_of(ref))
            vs_base = c if vs_base is None else vs_base + c
        out[name] = {"f1_vs_gt": vs_gt.f1, f"f1_vs_{base}": vs_base.f1,
                     "lines": sum(len(p) for p in lines)}
    return out


LOADERS = {"funsd": datasets.load_funsd, "icdar2015": datasets.load_icdar2015}


def names_of(text: str, known, what: str) -> list:
    """A comma list of names, each one of `known` (else exit naming the choices)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    for n in names:
        if n not in known:
            sys.exit(f"unknown {what} {n!r}: use {', '.join(known)}")
    return names


def load_samples(corpora: list, data_root: str, pages: int) -> dict:
    """{corpus: first `pages` samples}; exits when a corpus has no images."""
    samples = {}
    for c in corpora:
        samples[c] = LOADERS[c](data_root, limit=pages)
        if not samples[c]:
            sys.exit(f"no {c} images under {data_root}")
    return samples


def run_rounds(systems: list, corpora: list, runs: int, label: str, run_one) -> list:
    """`runs` rounds, each running every corpus with every system in the round's order (round_order):
    run_one(system, corpus, workdir, tag) -> raw result. Returns [{"load_avg_1m", "order",
    "corpora": {corpus: {system: result}}}], one a round; the load average is read before each round."""
    workdir = tempfile.mkdtemp(prefix=f"onnxocr-{label}-")
    rounds = []
    for r in range(runs):
        order = round_order(systems, r)
        load = os.getloadavg()[0]
        print(f"[{label}] round {r + 1}/{runs} order {order}, load average {load:.2f}", file=sys.stderr)
        this = {"load_avg_1m": load, "order": order, "corpora": {}}
        for corpus in corpora:
            this["corpora"][corpus] = {system: run_one(system, corpus, workdir, f"r{r}-{corpus}-{system}")
                                       for system in order}
        rounds.append(this)
    return rounds


def round_order(systems: list, r: int) -> list:
    """Round r's order: the systems rotated by r, so each runs first, last and between in turn."""
    return systems[r % len(systems):] + systems[: r % len(systems)]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, spec=".2f"):
    return "-" if v is None else format(v, spec)


def main(argv=None) -> int:
    args = parse_args(argv)
    systems, corpora = names_of(args.systems, SYSTEMS, "system"), names_of(args.corpora, LOADERS, "corpus")
    rapid_models = ensure_venv("rapidocr") if "rapidocr" in systems else None
    ensure_venv("onnxocr")
    onnx_systems = [s for s in systems if s != "paddleocr"]
    if args.models == "own":
        models = {s: resolve_models("store" if s == "onnxocr" else "rapidocr", rapid_models) for s in onnx_systems}
    else:
        shared = resolve_models(args.models, rapid_models)
        models = {s: shared for s in onnx_systems}
    if "paddleocr" in systems:
        models["paddleocr"] = paddle_models()
    options = dict(kv.split("=", 1) for kv in args.onnxocr_option)
    options = {k: parse_value(v) for k, v in options.items()}
    samples = load_samples(corpora, args.data_root, args.pages)
    print(f"[bench] systems {systems}, corpora {corpora}, {args.pages} images each, {args.runs} rounds, "
          f"{args.threads} threads, cls {'off' if args.no_cls else 'on'}; models: "
          + "; ".join(f"{s} {models[s]['source']}" for s in systems), file=sys.stderr)

    def run_one(system, corpus, workdir, tag):
        spec = {
            "images": [s.image for s in samples[corpus]],
            "threads": args.threads,
            "use_cls": not args.no_cls,
            "params": PARAMS,
            "models": {k: v for k, v in models[system].items() if k != "source"},
            "repeat": args.repeat,
            "options": options if system == "onnxocr" else {},
        }
        res = run_system(system, spec, workdir, tag)
        summ = summarize(res)
        print(f"[bench]   {corpus:9s} {system:9s} {summ['pages_per_s']:.3f} pages/s  p50 "
              f"{summ['p50_s']:.3f}s  rss {summ['peak_rss_mib']:.0f} MiB  cold {summ['cold_start_s']:.2f}s",
              file=sys.stderr)
        return res

    rounds = run_rounds(systems, corpora, args.runs, "bench", run_one)

    report = {"machine": machine_info(), "args": vars(args), "params": PARAMS, "onnxocr_options": options,
              "models": {s: models[s] for s in systems}, "versions": {}, "corpora": {},
              "load_avg_1m": [r["load_avg_1m"] for r in rounds]}
    for corpus in corpora:
        per_sys = {}
        for system in systems:
            summaries = [summarize(r["corpora"][corpus][system]) for r in rounds]
            keys = summaries[0].keys()
            per_sys[system] = {k: median([s.get(k) for s in summaries]) for k in keys}
            per_sys[system]["runs"] = summaries
            report["versions"][system] = rounds[0]["corpora"][corpus][system]["versions"]
        ratios = {}
        if "onnxocr" in systems:
            for other in systems:
                if other == "onnxocr":
                    continue
                per_round = []
                for r in rounds:
                    a = summarize(r["corpora"][corpus]["onnxocr"])
                    b = summarize(r["corpora"][corpus][other])
                    per_round.append({"pages_per_s": a["pages_per_s"] / b["pages_per_s"],
                                      "cold_start": a["cold_start_s"] / b["cold_start_s"],
                                      "peak_rss": a["peak_rss_mib"] / b["peak_rss_mib"]})
                ratios[other] = {k: median([p[k] for p in per_round]) for k in per_round[0]}
        texts = text_checks({s: rounds[0]["corpora"][corpus][s] for s in systems}, samples[corpus])
        report["corpora"][corpus] = {"images": len(samples[corpus]), "systems": per_sys,
                                     "onnxocr_vs": ratios, "text": texts}

    os.makedirs(args.out, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    mode = "" if args.models == "auto" else "-" + os.path.basename(os.path.normpath(args.models))
    for name in (f"speed{mode}-{stamp}.json", f"speed{mode}.json"):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)
    ok = print_report(report, systems, args.markdown)
    print(f"[bench] wrote {os.path.join(args.out, f'speed{mode}.json')}", file=sys.stderr)
    return 0 if ok or not args.check else 1


def print_report(report: dict, systems: list, markdown: bool) -> bool:
    m = report["machine"]
    print(f"\nmachine: {m.get('cpu', '?')}, {m['cpus']} CPUs, {m.get('mem_gib', '?')} GiB; python {m['python']}; "
          f"load average (1 min) before rounds: {', '.join(f'{x:.2f}' for x in report['load_avg_1m'])}")
    for s in systems:
        print(f"  {s}: " + ", ".join(f"{k} {v}" for k, v in report["versions"][s].items())
              + f"; models: {report['models'][s].get('source', '?')}")
    header = ["corpus", "system", "pages/s", "x vs onnxocr", "p50 s", "p95 s", "peak RSS MiB", "cold start s",
              "ort share", "overhead/ort", "lines/page", "F1 vs onnxocr", "F1 vs GT"]
    rows = []
    ok = True
    for corpus, c in report["corpora"].items():
        for s in systems:
            v = c["systems"][s]
            t = c["text"][s]
            speed_ratio = None
            if s != "onnxocr" and s in c["onnxocr_vs"]:
                speed_ratio = 1.0 / c["onnxocr_vs"][s]["pages_per_s"]
            rows.append([corpus, s, fmt(v["pages_per_s"], ".3f"), fmt(speed_ratio), fmt(v["p50_s"], ".3f"),
                         fmt(v["p95_s"], ".3f"), fmt(v["peak_rss_mib"], ".0f"), fmt(v["cold_start_s"]),
                         fmt(v.get("ort_share"), ".1%") if v.get("ort_share") is not None else "-",
                         fmt(v.get("overhead_vs_ort"), ".1%") if v.get("overhead_vs_ort") is not None else "-",
                         fmt(v["lines_per_page"], ".1f"), fmt(t.get("f1_vs_onnxocr"), ".4f"), fmt(t["f1_vs_gt"], ".4f")])
    print_table(header, rows)
    print("\nissue #5 targets (medians of rounds; ratios are per-round medians):")
    for corpus, c in report["corpora"].items():
        o = c["systems"].get("onnxocr")
        if not o or "rapidocr" not in c["onnxocr_vs"]:
            continue
        rr = c["onnxocr_vs"]["rapidocr"]
        f1 = c["text"]["rapidocr"].get("f1_vs_onnxocr")
        gt_delta = c["text"]["onnxocr"]["f1_vs_gt"] - c["text"]["rapidocr"]["f1_vs_gt"]
        checks = [
            ("pages/s onnxocr / RapidOCR >= 1.5", rr["pages_per_s"], rr["pages_per_s"] >= 1.5, ".2f"),
            ("pipeline overhead <= 10% of onnxruntime time", o.get("overhead_vs_ort"),
             o.get("overhead_vs_ort") is not None and o["overhead_vs_ort"] <= 0.10, ".1%"),
            ("cold start onnxocr / RapidOCR <= 1", rr["cold_start"], rr["cold_start"] <= 1.0, ".2f"),
            ("peak RSS onnxocr / RapidOCR <= 1", rr["peak_rss"], rr["peak_rss"] <= 1.0, ".2f"),
            (f"same text: char-bag F1 RapidOCR vs onnxocr >= {SAME_TEXT_F1}", f1, f1 >= SAME_TEXT_F1, ".4f"),
            (f"no accuracy dropped: char-bag F1 vs GT, onnxocr - RapidOCR >= -{1 - SAME_TEXT_F1:.3f}", gt_delta,
             gt_delta >= -(1 - SAME_TEXT_F1) - 1e-12, "+.4f"),
        ]
        passed = print_checks(corpus, checks)
        if corpus == "funsd":
            ok &= passed
    if markdown:
        print_markdown(header, rows)
    return ok


def print_table(header: list, rows: list) -> None:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print()
    for r in [header] + rows:
        print("  ".join(str(x).rjust(w) for x, w in zip(r, widths)))


def print_checks(corpus: str, checks: list) -> bool:
    """Print (label, value, passed, format spec) checks as PASS/FAIL lines; True when all passed."""
    for label, value, passed, spec in checks:
        print(f"  {corpus:9s} {'PASS' if passed else 'FAIL'}  {label}: {format(value, spec)}")
    return all(passed for _, _, passed, _ in checks)


def print_markdown(header: list, rows: list) -> None:
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")


if __name__ == "__main__":
    sys.exit(main())
