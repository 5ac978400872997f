"""The `onnxocr` command: OCR images (`onnxocr IMAGE...`) and list the model catalog (`onnxocr models`)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from .config import ClsConfig, DetConfig, OCRConfig, RecConfig
from .errors import OnnxOCRError

EXIT_INPUT_FAILED = 1
EXIT_SETUP_FAILED = 2

LANG_HELP = (
    "Language: PaddleOCR names (ch, en, french, german, korean, japan, chinese_cht, ta, te, ka, latin, arabic, "
    "cyrillic, devanagari) or ISO 639-1 codes (fr, de, es, it, pt, ru, uk, ar, fa, hi, ja, ko, kn, ...). "
    "Note: `ka` is PaddleOCR's name for Kannada (ISO `ka` would be Georgian, which is not supported); "
    "the ISO code for Kannada, `kn`, works too. [default: ch]"
)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    tsv = "tsv"


def _fail(message: str, code: int) -> None:
    typer.echo(f"onnxocr: error: {message}", err=True)
    raise typer.Exit(code)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers never see a partial one and an old file survives a failed write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _format(results: list, fmt: OutputFormat, several: bool) -> str:
    if fmt is OutputFormat.json:
        docs = [r.to_dict() for r in results]
        return json.dumps(docs if several else (docs[0] if docs else {}), ensure_ascii=False, indent=2) + "\n"
    if fmt is OutputFormat.tsv:
        header = "source\tline\tx1\ty1\tx2\ty2\tx3\ty3\tx4\ty4\tscore\ttext"
        return "\n".join([header] + [row for r in results for row in r.to_tsv_rows()]) + "\n"
    blocks = []
    for r in results:
        body = "\n".join(line.text for line in r.lines)
        blocks.append(f"==> {r.source} <==\n{body}" if several else body)
    return ("\n\n" if several else "\n").join(blocks) + ("\n" if blocks and blocks[-1] else "")


ocr_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, help="OCR images with PaddleOCR models on onnxruntime.")


@ocr_app.command(context_settings={"help_option_names": ["-h", "--help"]})
def run(
    images: List[Path] = typer.Argument(..., readable=False, help="Image files (JPEG, PNG, BMP, TIFF, WebP, GIF, PNM)."),  # unreadable: reported per input
    lang: Optional[str] = typer.Option(None, "--lang", "-l", help=LANG_HELP),
    version: Optional[str] = typer.Option(None, "--version", help="Model set: PP-OCRv4 or PP-OCRv2 [default: PP-OCRv4 where the language has it]."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="Output format."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write to FILE (atomically) instead of stdout; `-` = stdout."),
    no_det: bool = typer.Option(False, "--no-det", help="Skip detection: each image is one text line."),
    use_cls: Optional[bool] = typer.Option(None, "--cls/--no-cls", help="Run the 180-degree angle classifier [default: off, as PaddleOCR]."),
    draw: Optional[Path] = typer.Option(None, "--draw", help="Save the image with boxes drawn (a folder when several images are given)."),
    det_model: Optional[Path] = typer.Option(None, "--det-model", help="Detection ONNX file (overrides the catalog)."),
    cls_model: Optional[Path] = typer.Option(None, "--cls-model", help="Angle-classifier ONNX file."),
    rec_model: Optional[Path] = typer.Option(None, "--rec-model", help="Recognition ONNX file."),
    dict_path: Optional[Path] = typer.Option(None, "--dict", help="Character dictionary for --rec-model (when the model has none embedded)."),
    device: Optional[str] = typer.Option(None, "--device", help="cpu, cuda, tensorrt, directml, coreml or openvino [default: cpu]."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="CPU threads per model [default: onnxruntime's choice]."),
    det_thresh: Optional[float] = typer.Option(None, help=f"DB pixel threshold [default: {DetConfig.thresh}]."),
    det_box_thresh: Optional[float] = typer.Option(None, help=f"DB box score threshold [default: {DetConfig.box_thresh}]."),
    det_unclip_ratio: Optional[float] = typer.Option(None, help=f"DB box expansion [default: {DetConfig.unclip_ratio}]."),
    det_limit_side_len: Optional[int] = typer.Option(None, help=f"Detector side limit [default: {DetConfig.limit_side_len}]."),
    det_limit_type: Optional[str] = typer.Option(None, help=f"max or min [default: {DetConfig.limit_type}]."),
    cls_thresh: Optional[float] = typer.Option(None, help=f"Turn crops the classifier calls 180 above this [default: {ClsConfig.thresh}]."),
    rec_batch_size: Optional[int] = typer.Option(None, help=f"Recognition batch size [default: {RecConfig.batch_size}]."),
    drop_score: Optional[float] = typer.Option(None, help=f"Drop lines scoring below this [default: {OCRConfig.drop_score}]."),
    space_recovery: Optional[bool] = typer.Option(None, "--space-recovery/--no-space-recovery", help="Put back word gaps the model missed [default: on for Latin-script dictionaries]."),
    word_boxes: bool = typer.Option(False, "--word-boxes", help="Add per-word boxes to JSON output."),
    max_pixels: Optional[int] = typer.Option(None, "--max-pixels", help=f"Refuse larger images [default: {OCRConfig.max_image_pixels}]."),
    ray: Optional[int] = typer.Option(None, "--ray", min=1, help="OCR on a Ray cluster with N actors (RAY_ADDRESS, else a local one); needs -f jsonl and onnxocr-runtime[ray]. --threads = CPUs per actor [default: 1]."),
) -> None:
    """OCR each IMAGE and print its text lines in reading order."""
    from .image_io import describe, load_image
    from .pipeline import OCR

    ocr_options = dict(
        lang=lang,
        version=version,
        det_model=det_model,
        cls_model=cls_model,
        rec_model=rec_model,
        dict_path=dict_path,
        device=device,
        threads=threads,
        use_det=not no_det if no_det else None,
        use_cls=use_cls,
        det_thresh=det_thresh,
        det_box_thresh=det_box_thresh,
        det_unclip_ratio=det_unclip_ratio,
        det_limit_side_len=det_limit_side_len,
        det_limit_type=det_limit_type,
        cls_thresh=cls_thresh,
        rec_batch_size=rec_batch_size,
        drop_score=drop_score,
        rec_space_recovery=space_recovery,
        word_boxes=word_boxes or None,
        max_image_pixels=max_pixels,
    )
    if ray is not None or fmt is OutputFormat.jsonl:
        _run_records(images, output, fmt, ray, draw, ocr_options)
        return
    try:
        ocr = OCR(**ocr_options)
    except OnnxOCRError as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)
    several = len(images) > 1
    if draw is not None and several and draw.suffix:
        _fail(f"--draw {draw}: give a folder (not a file name) when OCR-ing several images", EXIT_SETUP_FAILED)
    results, failed = [], 0
    to_stdout = output in (None, "-")
    for image in images:
        try:
            with warnings.catch_warnings(record=True) as notices:
                warnings.simplefilter("always")
                result = ocr(image)
        except OnnxOCRError as exc:
            failed += 1
            typer.echo(f"onnxocr: error: {exc}", err=True)
            continue
        except Exception as exc:  # an input nobody foresaw must not cost the user the other inputs
            failed += 1
            reason = (str(exc).strip().splitlines() or [""])[0][:200]
            typer.echo(f"onnxocr: error: {describe(image)}: unexpected {type(exc).__name__}: {reason}", err=True)
            continue
        for notice in notices:  # e.g. "page.tiff: TIFF has 3 pages; only page 1 was read"
            typer.echo(f"onnxocr: warning: {(str(notice.message).splitlines() or [''])[0]}", err=True)
        results.append(result)
        if draw is not None:
            from .draw import draw_result

            target = draw / f"{image.stem}.png" if several else draw
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # already reported above
                    picture = load_image(image, ocr.config.max_image_pixels)
                _write_atomic(target, draw_result(picture, result))
            except (OSError, OnnxOCRError) as exc:
                failed += 1
                typer.echo(f"onnxocr: error: cannot write drawing {target}: {exc}", err=True)
        if to_stdout and fmt is OutputFormat.text:
            block = _format([result], fmt, several)
            sys.stdout.write(block if not several or len(results) == 1 else "\n" + block)
            sys.stdout.flush()
    if not (to_stdout and fmt is OutputFormat.text):
        text = _format(results, fmt, several)
        if to_stdout:
            sys.stdout.write(text)
        elif results or not failed:  # every input failed: leave an existing output file as it was
            try:
                _write_atomic(Path(output), text.encode("utf-8"))
            except OSError as exc:
                _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_SETUP_FAILED)
    if failed:
        typer.echo(f"onnxocr: {failed} of {len(images)} input(s) failed", err=True)
        raise typer.Exit(EXIT_INPUT_FAILED)


def _run_records(images: List[Path], output: Optional[str], fmt: OutputFormat, actors: Optional[int],
                 draw: Optional[Path], ocr_options: dict) -> None:
    """-f jsonl (one record per input; folders expanded), serially or with --ray N on a Ray cluster."""
    from . import ray_data
    from .pipeline import OCR

    if fmt is not OutputFormat.jsonl:
        _fail(f"--ray writes JSON lines: add -f jsonl (got -f {fmt.value})", EXIT_SETUP_FAILED)
    if draw is not None:
        _fail("--draw is not available with -f jsonl / --ray", EXIT_SETUP_FAILED)
    inputs = ray_data.expand_inputs(images)
    try:
        if actors is None:
            count, failed = ray_data.write_jsonl(ray_data.serial_records(inputs, OCR(**ocr_options)), output)
        else:
            threads = ocr_options.pop("threads") or 1
            if not os.environ.get("RAY_ADDRESS"):
                OCR(**ocr_options)  # a missing model or bad option: one line here, not a failure inside each actor
            count, failed = ray_data.ocr_to_jsonl(inputs, output, actors, num_cpus=threads, **ocr_options)
    except OnnxOCRError as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_SETUP_FAILED)
    except Exception as exc:  # the cluster went away mid-run: say so, keep what was written
        if actors is None:
            raise
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        kept = f"; the records produced so far are in {output}.partial" if output not in (None, "-") else ""
        _fail(f"the Ray run failed ({type(exc).__name__}: {reason}){kept}", EXIT_SETUP_FAILED)
    if failed:
        typer.echo(f"onnxocr: {failed} of {count} input(s) failed (their records carry the error)", err=True)
        raise typer.Exit(EXIT_INPUT_FAILED)


models_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, help="List the model catalog and what is installed.")


@models_app.command(context_settings={"help_option_names": ["-h", "--help"]})
def models(
    catalog: Optional[Path] = typer.Option(None, "--catalog", help="models.toml to read [default: the bundled one]."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List every catalog model: task, languages, and whether it is converted, not converted, or not convertible."""
    from .catalog import load_catalog
    from .model_packages import installed_model_packages
    from .store import ModelStore

    try:
        cat = load_catalog(catalog)
        store = ModelStore()
        manifest = store.read_manifest()
        packages = installed_model_packages()
    except OnnxOCRError as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)
    rows = []
    for entry in cat.models.values():
        record = manifest.get(entry.name)
        wheel = next((p.distribution for p in packages if p.store.is_installed(entry.name)), None)
        if not entry.convertible:
            state = f"not convertible: {entry.reason}"
        elif record and store.model_path(entry.name).is_file():
            parity = record.get("parity_max_abs")
            state = "converted" + (f" (parity {parity:.1e})" if isinstance(parity, (int, float)) else "")
        elif wheel:
            state = f"installed from the models wheel {wheel}"
        else:
            state = "not converted"
        langs = ",".join(entry.languages) or "-"
        rows.append({"name": entry.name, "task": entry.task, "version": entry.arch_version, "langs": langs, "state": state})
    if as_json:
        typer.echo(json.dumps({"store": str(store.root), "models": rows}, ensure_ascii=False, indent=2))
        return
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in ("name", "task", "version", "langs")}
    typer.echo(f"store: {store.root}")
    typer.echo("  ".join(k.upper().ljust(widths[k]) for k in widths) + "  STATE")
    for r in rows:
        typer.echo("  ".join(r[k].ljust(widths[k]) for k in widths) + "  " + r["state"])


export_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, help="Copy model sets into a folder an installer can ship.")


@export_app.command(context_settings={"help_option_names": ["-h", "--help"]})
def export(
    target: Path = typer.Argument(..., help="Folder to write (created; existing models in it are replaced)."),
    lang: Optional[List[str]] = typer.Option(None, "--lang", "-l", help="Language(s) whose model set to export; repeat or comma-separate [default: the catalog default]."),
    version: Optional[str] = typer.Option(None, "--version", help="Model-set version, e.g. PP-OCRv4 [default: as `onnxocr --lang`]."),
) -> None:
    """Write DIR with the ONNX files, manifest.json (sha256 per model), LICENSES/ and NOTICE.md of each set.

    Use it with `OCR(models_dir=DIR)` or `ONNXOCR_HOME=DIR onnxocr ...`.
    """
    from .catalog import load_catalog
    from .export import export_models, resolve_sets

    try:
        cat = load_catalog()
        langs = [part.strip() for item in (lang or [cat.default_lang]) for part in item.split(",") if part.strip()]
        sets = resolve_sets(langs, version, cat)
        names = export_models(target, sets, catalog=cat)
    except OnnxOCRError as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)
    except OSError as exc:
        _fail(f"cannot write {target}: {exc.strerror or exc}", EXIT_SETUP_FAILED)
    typer.echo(f"exported {len(names)} model(s) to {target}: {', '.join(names)}")


def main() -> None:
    """Console entry point: `onnxocr models ...` lists the catalog, anything else OCRs images."""
    if sys.argv[1:3] == ["models", "export"]:
        del sys.argv[1:3]
        export_app(prog_name="onnxocr models export")
    elif sys.argv[1:2] == ["models"]:
        sys.argv.pop(1)
        models_app(prog_name="onnxocr models")
    else:
        ocr_app(prog_name="onnxocr")


if __name__ == "__main__":
    main()
