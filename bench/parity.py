"""`make parity`: PaddleOCR 2.7.3's own pipeline vs onnxocr, same images, same models, same parameters.

    python -m bench.parity [--sets icdar2015,funsd,fixtures] [--limit N] [--data-root ../shared/data]
                           [--cls] [--det-model P --rec-model P --cls-model P --dict P] [--param K=V ...]
                           [--min-match 0.99] [--out out/parity]

1. bench/systems/setup_paddleocr_venv.sh makes .venv-paddleocr (paddleocr==2.7.3 on paddlepaddle) and unpacks the
   original Paddle inference files of ch_PP-OCRv4_det / ch_PP-OCRv4_rec / ch_ppocr_mobile_v2.0_cls.
2. bench/systems/paddle_reference.py runs PaddleOCR(...).ocr() on every image in that venv (cached per image).
3. onnxocr runs in this process with the equivalent options (space recovery off: PaddleOCR has none); by
   default on the catalog's ch PP-OCRv4 models from the store, i.e. the conversions of those same files.
4. Lines are matched one-to-one, greedily by decreasing IoU, with IoU >= 0.9. A PaddleOCR line is "matched"
   when an onnxocr line covers it at IoU >= 0.9 and carries the identical text.

Writes OUT/parity[_cls].md (summary + every difference) and OUT/parity[_cls].json; exits 1 when the share of
matched PaddleOCR lines is below --min-match.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from bench.lib import datasets, metrics
from bench.eval import _parse_params
from bench.lib.report import machine_info
from bench.lib.reference import (
    REPO_ROOT,
    PaddleModels,
    describe_onnxocr,
    ensure_paddle_venv,
    make_onnxocr,
    onnxocr_overrides,
    reference_by_path,
    run_onnxocr,
    run_paddle_reference,
    supported_options,
)

IOU_THRESHOLD = 0.9


def compare_image(ref_lines: list, our_lines: list, iou_threshold: float = IOU_THRESHOLD) -> dict:
    """Match one image's lines and classify every line. Pure function of the two line lists."""
    ious = metrics.iou_matrix([line["box"] for line in ref_lines], [line["box"] for line in our_lines])
    pairs = metrics.match_one_to_one(ious, iou_threshold)
    matched_ref = {i for i, _, _ in pairs}
    matched_ours = {j for _, j, _ in pairs}
    same_text, text_diffs, score_deltas, min_iou = 0, [], [], 1.0
    for i, j, iou in pairs:
        r, o = ref_lines[i], our_lines[j]
        score_deltas.append(abs(r["score"] - o["score"]))
        min_iou = min(min_iou, iou)
        if r["text"] == o["text"]:
            same_text += 1
        else:
            text_diffs.append({"kind": "text", "iou": round(iou, 4), "paddle": r, "onnxocr": o})
    missing = []
    for i, r in enumerate(ref_lines):
        if i in matched_ref:
            continue
        best_j = max(range(len(our_lines)), key=lambda j: ious[i][j], default=None)
        best = None
        if best_j is not None and ious[i][best_j] > 0:
            best = dict(our_lines[best_j], iou=round(ious[i][best_j], 4))
        missing.append({"kind": "missing", "paddle": r, "nearest_onnxocr": best})
    extra = [{"kind": "extra", "onnxocr": o} for j, o in enumerate(our_lines) if j not in matched_ours]
    return {
        "paddle_lines": len(ref_lines), "onnxocr_lines": len(our_lines), "box_matched": len(pairs),
        "matched": same_text, "max_score_delta": max(score_deltas, default=0.0),
        "min_matched_iou": min_iou if pairs else None, "differences": text_diffs + missing + extra,
    }


def summarize(per_image: dict) -> dict:
    keys = ("paddle_lines", "onnxocr_lines", "box_matched", "matched")
    total = {k: sum(v[k] for v in per_image.values()) for k in keys}
    total["images"] = len(per_image)
    total["images_identical"] = sum(1 for v in per_image.values() if not v["differences"])
    total["match_rate"] = total["matched"] / total["paddle_lines"] if total["paddle_lines"] else 1.0
    total["box_match_rate"] = total["box_matched"] / total["paddle_lines"] if total["paddle_lines"] else 1.0
    total["max_score_delta"] = max((v["max_score_delta"] for v in per_image.values()), default=0.0)
    ious = [v["min_matched_iou"] for v in per_image.values() if v["min_matched_iou"] is not None]
    total["min_matched_iou"] = min(ious) if ious else None
    total["differences"] = sum(len(v["differences"]) for v in per_image.values())
    return total


def _fmt_line(line: dict | None) -> str:
    if not line:
        return "–"
    box = " ".join(f"{x:.0f},{y:.0f}" for x, y in line["box"])
    text = line["text"].replace("|", "\\|")
    extra = f" IoU {line['iou']}" if "iou" in line else ""
    return f"`{text}` ({line['score']:.3f}) [{box}]{extra}"


def markdown(report: dict, max_rows: int = 300) -> str:
    out = [f"# Parity: PaddleOCR {report['paddle']['paddleocr_version']} (Paddle {report['paddle']['paddle_version']})"
           f" vs onnxocr — angle classifier {'on' if report['use_cls'] else 'off'}", ""]
    out.append("| set | images | identical images | PaddleOCR lines | onnxocr lines | box IoU>=0.9 | "
               "+ identical text | matched % | max score Δ | differences |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, s in list(report["sets"].items()) + [("**all**", report["total"])]:
        out.append(f"| {name} | {s['images']} | {s['images_identical']} | {s['paddle_lines']} | {s['onnxocr_lines']} "
                   f"| {s['box_matched']} | {s['matched']} | {100 * s['match_rate']:.2f} | "
                   f"{s['max_score_delta']:.4f} | {s['differences']} |")
    verdict = "PASS" if report["pass"] else "FAIL"
    out += ["", f"**{verdict}**: {100 * report['total']['match_rate']:.2f}% of PaddleOCR's lines matched "
            f"(IoU >= {IOU_THRESHOLD} and identical text); required {100 * report['min_match']:.1f}%.", ""]
    m = report["machine"]
    out.append(f"onnxocr side: OpenCV {m.get('cv2')}, numpy {m.get('numpy')}, onnxruntime {m.get('onnxruntime')} "
               f"(PaddleOCR's venv: OpenCV 4.10). OpenCV versions differ in cubic warps: see docs/accuracy.md.")
    out.append("")
    out.append("Parameters (PaddleOCR names): " + ", ".join(f"{k}={v}" for k, v in sorted(report["params"].items())))
    out.append("")
    if report["onnxocr"].get("options_not_supported"):
        out.append(f"Not settable in onnxocr (taken from the model/defaults): "
                   f"{', '.join(report['onnxocr']['options_not_supported'])}")
        out.append("")
    out.append(f"onnxocr options: {json.dumps(report['onnxocr']['overrides'])}; models: "
               + ", ".join(f"{t}={m.get('name') or m.get('path')}" for t, m in report["onnxocr"]["models"].items()))
    out.append("")
    out.append("PaddleOCR models: " + ", ".join(f"{t}={m.get('dir') or m.get('path')} (sha256 {m['sha256'][:12]})"
                                                for t, m in report["paddle"]["models"].items()))
    out += ["", "## Differences", "", "| image | kind | PaddleOCR | onnxocr |", "| --- | --- | --- | --- |"]
    rows = 0
    for set_name, images in report["per_image"].items():
        for path, v in images.items():
            for d in v["differences"]:
                if rows >= max_rows:
                    break
                rows += 1
                ours = d.get("onnxocr") or d.get("nearest_onnxocr")
                label = d["kind"] + (f" (IoU {d['iou']})" if "iou" in d else "")
                out.append(f"| {set_name}/{os.path.basename(path)} | {label} | {_fmt_line(d.get('paddle'))} | "
                           f"{_fmt_line(ours)} |")
    if report["total"]["differences"] > rows:
        out.append(f"\n… {report['total']['differences'] - rows} more in the JSON.")
    if not report["total"]["differences"]:
        out.append("| – | none | | |")
    return "\n".join(out) + "\n"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.parity", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default=None, help="icdar2015,funsd,fixtures (default), rendered (with --model-set)")
    ap.add_argument("--limit", type=int, default=None, help="first N images of each set")
    ap.add_argument("--data-root", default=datasets.DEFAULT_DATA_ROOT)
    ap.add_argument("--fixtures-root", default=datasets.DEFAULT_FIXTURES)
    ap.add_argument("--cls", action="store_true", help="angle classifier on in both pipelines")
    ap.add_argument("--det-model")
    ap.add_argument("--rec-model")
    ap.add_argument("--cls-model")
    ap.add_argument("--dict")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--model-set", metavar="LANG[:VERSION]",
                    help="a catalog model set other than ch PP-OCRv4 (e.g. french:PP-OCRv2, korean, ru, "
                         "en:PP-OCRv2): its Paddle files from --paddle-models-dir, the corrected dictionary on both "
                         "sides, and pages rendered from the language's UDHR text (set 'rendered', the default then)")
    ap.add_argument("--paddle-models-dir", default=os.path.join(datasets.DEFAULT_FIXTURES, "models", "paddle"))
    ap.add_argument("--pages", type=int, default=8, help="rendered pages (4 lines each) for --model-set")
    ap.add_argument("--min-match", type=float, default=0.99)
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "out", "parity"))
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    params = _parse_params(args.param)
    all_sets = {}
    lang = version = None
    if args.model_set:
        lang, _, version = args.model_set.partition(":")
        version = version or None
    wanted = [s.strip() for s in (args.sets or ("rendered" if lang else "icdar2015,funsd,fixtures")).split(",") if s.strip()]
    for name in wanted:
        if name == "rendered":
            if not lang:
                raise SystemExit("--sets rendered needs --model-set LANG")
            all_sets[name] = rendered_pages(lang, args.pages, os.path.join(args.out, f"rendered_{lang}"), args.data_root)
        elif name == "icdar2015":
            all_sets[name] = [s.image for s in datasets.load_icdar2015(args.data_root, args.limit)]
        elif name == "funsd":
            all_sets[name] = [s.image for s in datasets.load_funsd(args.data_root, args.limit)]
        elif name == "fixtures":
            all_sets[name] = datasets.fixture_pages(args.fixtures_root)[: args.limit or None]
        else:
            raise SystemExit(f"unknown set {name!r} (icdar2015, funsd, fixtures, rendered)")
    images = [p for paths in all_sets.values() for p in paths]
    suffix = "_cls" if args.cls else ""

    models = ensure_paddle_venv()
    if lang:
        models, set_params = seed_model_set(lang, version, args.paddle_models_dir, args.out)
        given = {pair.partition("=")[0] for pair in args.param}  # an explicit --param still wins
        params = {**params, **{k: v for k, v in set_params.items() if k not in given}, "ocr_version": "PP-OCRv2"}
        suffix = f"_{lang}{suffix}"
    ref = run_paddle_reference(images, params, args.cls, os.path.join(args.out, f"paddle_reference{suffix}.json"),
                               models)
    ref_by_path = reference_by_path(ref)

    overrides = onnxocr_overrides(params, space_recovery=False)
    explicit = {"det": args.det_model, "rec": args.rec_model, "cls": args.cls_model, "dict": args.dict}
    # by default the models PaddleOCR 2.7.3 runs (PP-OCRv4); with --model-set that set
    ocr = make_onnxocr(lang, version if lang else "PP-OCRv4", overrides, args.cls, explicit, args.threads)
    t0 = time.time()
    ours = run_onnxocr(ocr, images)
    wall = time.time() - t0

    per_image, sets = {}, {}
    for name, paths in all_sets.items():
        per_image[name] = {}
        for p in paths:
            key = os.path.abspath(p)
            per_image[name][p] = compare_image(ref_by_path[key]["lines"], ours[key]["lines"])
        sets[name] = summarize(per_image[name])
    flat = {f"{n}/{p}": v for n, imgs in per_image.items() for p, v in imgs.items()}
    total = summarize(flat)
    info = describe_onnxocr(ocr)
    info["overrides"], info["options_not_supported"] = supported_options(overrides)
    info["wall_s"] = round(wall, 2)
    report = {
        "use_cls": args.cls, "params": params, "iou_threshold": IOU_THRESHOLD, "min_match": args.min_match,
        "pass": total["match_rate"] >= args.min_match, "total": total, "sets": sets,
        "paddle": {k: ref.get(k) for k in ("paddleocr_version", "paddle_version", "models", "params")},
        "onnxocr": info, "machine": machine_info(), "per_image": per_image,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    os.makedirs(args.out, exist_ok=True)
    md = markdown(report)
    with open(os.path.join(args.out, f"parity{suffix}.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)
    with open(os.path.join(args.out, f"parity{suffix}.md"), "w", encoding="utf-8") as f:
        f.write(md)
    print("\n".join(md.split("\n## Differences")[0].splitlines()))
    print(f"wrote {os.path.join(args.out, f'parity{suffix}.md')} and .json", file=sys.stderr)
    return 0 if report["pass"] else 1


def seed_model_set(lang: str, version: str | None, paddle_dir: str, out: str) -> tuple:
    """PaddleOCR's side of a catalog model set: the Paddle folders of its det/rec/cls rows, and the dictionary
    as the converted recogniser carries it (catalog corrections applied), written to a file for PaddleOCR."""
    from onnxocr.models.catalog import load_catalog
    from onnxocr.core.engine import OnnxModel
    from onnxocr.config import EngineConfig
    from onnxocr.models.store import ModelStore

    catalog = load_catalog()
    _, names = catalog.model_set(lang, version)
    store = ModelStore()
    folders = {}
    for task, name in names.items():
        row = catalog.model(name)
        candidates = [f"{name}_infer"] + [os.path.basename(s.url)[: -len(".tar")] for s in row.sources if s.url]
        found = [os.path.join(paddle_dir, c) for c in candidates if os.path.isdir(os.path.join(paddle_dir, c))]
        if not found and task == "cls":
            found = [ensure_paddle_venv(quiet=True).cls]  # the default classifier's files
        if not found:
            raise SystemExit(f"{name}: no Paddle folder under {paddle_dir} (tried {', '.join(candidates)})")
        folders[task] = found[0]
    rec_entry = catalog.model(names["rec"])
    characters = OnnxModel(store.verify(names["rec"]), EngineConfig()).metadata["character"].split("\n")
    os.makedirs(out, exist_ok=True)
    dict_path = os.path.join(out, f"{rec_entry.dictionary}.as_trained.txt")
    with open(dict_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(characters) + "\n")
    shape = ",".join(str(d if d > 0 else 320) for d in rec_entry.input_shape)
    params = {"rec_image_shape": shape, "use_space_char": rec_entry.use_space_char}
    return PaddleModels(det=folders["det"], rec=folders["rec"], cls=folders.get("cls", ""), dict_path=dict_path), params


def rendered_pages(lang: str, count: int, folder: str, data_root: str) -> list:
    """`count` pages of 4 lines of the language's UDHR text, written once as PNG files under `folder`."""
    import cv2

    from bench.lib import rendered

    if lang not in rendered.LANGUAGE_CORPORA:
        raise SystemExit(f"no UDHR corpus known for {lang!r}: {', '.join(sorted(rendered.LANGUAGE_CORPORA))}")
    corpus, kind = rendered.LANGUAGE_CORPORA[lang]
    corpus_dir = os.path.join(data_root, "corpora")
    lines = rendered.corpus_lines(corpus_dir, corpus, count=4 * count, max_chars=30)
    os.makedirs(folder, exist_ok=True)
    paths = []
    for index in range(count):
        path = os.path.join(folder, f"page_{index + 1:02d}.png")
        cv2.imwrite(path, rendered.render_page(lines[4 * index : 4 * index + 4], kind))
        paths.append(path)
    return paths


if __name__ == "__main__":
    sys.exit(main())
