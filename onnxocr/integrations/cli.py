"""The `onnxocr` command: OCR images (`onnxocr IMAGE...`) and list the model catalog (`onnxocr models`)."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from onnxocr.config import DEFAULT_DPI
from onnxocr.errors import OnnxOCRError, first_line
from onnxocr.io.atomic import write_atomic
from onnxocr.io.outputs import InputGuard, OutputRefused, Outputs, Stopped, stop_on_signals

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
    hocr = "hocr"
    alto = "alto"
    pdf = "pdf"


def _fail(message: str, code: int) -> None:
    typer.echo(f"onnxocr: error: {message}", err=True)
    raise typer.Exit(code)


class _Progress:
    """A page counter on stderr (rich) when stderr is a terminal; errors and warnings print above it."""

    def __init__(self, enabled: bool) -> None:
        self._bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=Console(stderr=True), transient=True,
            )
            self._task = self._bar.add_task("pages", total=None)

    def __enter__(self) -> "_Progress":
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, source: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=Path(source).name[-40:])

    def echo(self, line: str) -> None:
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            typer.echo(line, err=True)


def _with_option_table(command, config_class=None):
    """Give `command` (whose signature ends in **table_options) one typer option per OCR option that has a CLI
    flag in the option table (onnxocr/config.py): name, help and default come from there, nowhere else."""
    import functools
    import inspect

    from onnxocr.config import option_table

    types = {"int": Optional[int], "float": Optional[float], "bool": Optional[bool]}
    own = [p for p in inspect.signature(command).parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    table = [
        inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY, annotation=types.get(spec.kind, Optional[str]),
                          default=typer.Option(None, *spec.cli.split(" "), help=spec.help_text()))
        for spec in option_table(config_class).values() if spec.cli
    ]
    names = {p.name for p in table}

    @functools.wraps(command)
    def wrapper(**kwargs):
        return command(**{k: v for k, v in kwargs.items() if k not in names}, **{k: kwargs[k] for k in names})

    wrapper.__signature__ = inspect.Signature([*own, *table])
    wrapper.__annotations__ = {**{k: v for k, v in command.__annotations__.items() if k != "table_options"},
                               **{p.name: p.annotation for p in table}}
    return wrapper


ocr_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None, help="OCR images and documents with PaddleOCR models on onnxruntime.")


@ocr_app.command(context_settings={"help_option_names": ["-h", "--help"]})
@_with_option_table
def run(
    inputs: List[str] = typer.Argument(..., help="Images (JPEG, PNG, BMP, TIFF incl. multi-page, WebP, GIF, PNM), PDFs, folders (recursive, sorted), glob patterns, `-` for stdin, @list.txt (one path per line)."),
    lang: Optional[str] = typer.Option(None, "--lang", "-l", help=LANG_HELP),
    ocr_version: Optional[str] = typer.Option(None, "--ocr-version", help="Model generation: PP-OCRv6, PP-OCRv5, PP-OCRv4 or PP-OCRv2 [default: the catalog's (PP-OCRv6) where it covers the language's script, else the language's first set]. `--version` prints the program's version."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="Output format: text (pages separated by form feeds), json, jsonl (one object per page), tsv (tesseract's columns), hocr, alto (v4), pdf (searchable)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write to FILE (atomically) instead of stdout; `-` = stdout; DIR/ = one file per input, mirroring the input tree."),
    dpi: float = typer.Option(None, "--dpi", min=10, max=1200, help=f"Resolution PDF pages are rendered at [default: {DEFAULT_DPI}, measured: README, Documents]."),
    pages: Optional[str] = typer.Option(None, "--pages", help="Pages to read from each PDF/TIFF, e.g. 1-3,7 (counted from 1) [default: all]."),
    skip_existing: bool = typer.Option(False, "--skip-existing", help="With -o: skip inputs whose output file already exists (resume a long run)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    draw: Optional[Path] = typer.Option(None, "--draw", help="Save the image with boxes drawn (a folder when several images are given)."),
    det_model: Optional[Path] = typer.Option(None, "--det-model", help="Detection ONNX file (overrides the catalog)."),
    cls_model: Optional[Path] = typer.Option(None, "--cls-model", help="Angle-classifier ONNX file."),
    ori_model: Optional[Path] = typer.Option(None, "--ori-model", help="Page-orientation ONNX file."),
    rec_model: Optional[Path] = typer.Option(None, "--rec-model", help="Recognition ONNX file."),
    dict_path: Optional[Path] = typer.Option(None, "--dict", help="Character dictionary for --rec-model (when the model has none embedded)."),
    ray: Optional[int] = typer.Option(None, "--ray", min=1, help="OCR the pages on a Ray cluster with N actors (RAY_ADDRESS, else a local one); every --format; needs onnxocr-runtime[ray]. --threads = CPUs per actor [default: 1]."),
    **table_options,
) -> None:
    """OCR each input (every page of PDFs and multi-page TIFFs) and write its text lines in reading order."""
    from onnxocr.io.readers import STDIN, parse_page_ranges
    from onnxocr.io.writers import NEEDS_WORDS

    try:
        parse_page_ranges(pages)
    except ValueError as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)
    if inputs.count(STDIN) > 1:
        _fail("`-` (stdin) can be given only once", EXIT_SETUP_FAILED)
    if fmt.value in NEEDS_WORDS:
        table_options["word_boxes"] = True
    ocr_options = dict(lang=lang, ocr_version=ocr_version, det_model=det_model, cls_model=cls_model, rec_model=rec_model,
                       dict_path=dict_path, ori_model=ori_model, **{k: v for k, v in table_options.items() if v is not None})
    several = len(inputs) > 1 or any(_names_many(name) for name in inputs)
    if draw is not None and several and draw.suffix:
        _fail(f"--draw {draw}: give a folder (not a file name) when OCR-ing several images", EXIT_SETUP_FAILED)
    guard = _guard_inputs(inputs, fmt, output, several, draw)  # no output replaces an input: refused before any work
    if ray is not None:  # pages OCR'd on N Ray actors, read and written here (onnxocr/integrations/ray_data.py)
        runner, ocr_lang, max_pixels = _ray_runner(ray, ocr_options)
    else:
        from onnxocr.runners import serial_runner

        ocr = _build_ocr(**ocr_options)
        runner, ocr_lang, max_pixels = serial_runner(ocr), ocr.lang, ocr.config.max_image_pixels
    from onnxocr.models.catalog import bcp47

    outputs = Outputs(fmt, output, several, bcp47(lang or ocr_lang), skip_existing, guard)
    paged = several or any(Path(name).suffix.lower() in (".pdf", ".tif", ".tiff") or name == STDIN for name in inputs)
    try:
        code = _run_pages(runner, inputs, outputs, dpi=dpi or DEFAULT_DPI, pages=pages, max_pixels=max_pixels, draw=draw,
                          several=several, quiet=quiet or not paged)
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:
        if ray is None:
            raise
        # the cluster went away mid-run: say so; the outputs already finished are kept
        _fail(f"the Ray run failed ({type(exc).__name__}: {first_line(exc, default=type(exc).__name__)})", EXIT_SETUP_FAILED)
    if code:
        raise typer.Exit(code)


def _ray_runner(actors: int, ocr_options: dict):
    """(runner, language, pixel limit) for --ray N; a setup failure is one line and exit 2. Without RAY_ADDRESS the
    models are loaded here first, so that a missing model or bad option is one line, not a failure in each actor."""
    from onnxocr.config import OCRConfig
    from onnxocr.integrations import ray_data
    from onnxocr.models.catalog import load_catalog

    options = dict(ocr_options)
    threads = options.pop("engine_intra_op_threads", None) or 1
    try:
        if not os.environ.get("RAY_ADDRESS"):
            ocr = _build_ocr(**options)
            lang, max_pixels = ocr.lang, ocr.config.max_image_pixels
        else:
            catalog = load_catalog()
            lang = catalog.resolve_lang(options.get("lang") or catalog.default_lang)
            max_pixels = OCRConfig().replace(max_image_pixels=options.get("max_image_pixels")).max_image_pixels
        return ray_data.ray_runner(actors, num_cpus=threads, **options), lang, max_pixels
    except OnnxOCRError as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)


def _names_many(name: str) -> bool:
    """True for a name that can stand for several files (folder, glob, @list)."""
    import glob

    return os.path.isdir(name) or (name.startswith("@") and not os.path.exists(name)) or (not os.path.exists(name) and glob.has_magic(name))


def _guard_inputs(inputs: List[str], fmt: OutputFormat, output: Optional[str], several: bool, draw: Optional[Path]) -> InputGuard:
    """Refuse (one line, exit 2) an -o or --draw target that is one of the inputs (the same file, a hard link or a
    symlink to it), e.g. `onnxocr scans/ -f pdf -o scans/`; returns the guard that checks each file again as it is
    written. Inputs are expanded here once more (stdin excepted), before any model is loaded."""
    from onnxocr.io.readers import STDIN, InputFile, expand_inputs

    items = [item for item in expand_inputs([name for name in inputs if name != STDIN]) if isinstance(item, InputFile)]
    guard = InputGuard(item.path for item in items)
    try:
        Outputs(fmt, output, several, None, False, guard).check_targets(items)
        if draw is not None:
            for item in items:
                stem = Path(item.path).stem
                for target in ([draw] if draw.suffix and not several else [draw / f"{stem}.png", draw / f"{stem}-1.png"]):
                    guard.check(target, "drawing")
    except OutputRefused as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)
    return guard


def _build_ocr(**options):
    """The OCR object for the command line's options; a setup failure is one line and exit 2."""
    from onnxocr.ocr import OCR

    try:
        ocr = OCR(**options)
    except OnnxOCRError as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)
    if ocr.orientation_error is not None:  # every input is a document here: turned pages need the model
        _fail(ocr.orientation_error, EXIT_SETUP_FAILED)
    return ocr


def _run_pages(runner, inputs: List[str], outputs: Outputs, *, dpi: float, pages: Optional[str], max_pixels: int | None,
               draw: Optional[Path], several: bool, quiet: bool) -> int:
    """Read every page of every input, OCR it with `runner` (serial or Ray: onnxocr/runners.py) and write it to
    `outputs`; report each failure on one line (and as an error record where the format has them) and go on.
    Returns the exit code: 0, or EXIT_INPUT_FAILED when any input (or page) failed. A progress bar unless `quiet`."""
    from onnxocr.io.readers import InputFile, PageError, expand_inputs, iter_pages

    seen: dict[str, None] = {}
    failed: dict[str, None] = {}
    progress = _Progress(enabled=not quiet and sys.stderr.isatty())

    def items():
        for name in inputs:
            for item in expand_inputs([name]):
                if isinstance(item, InputFile) and outputs.skip(item):
                    seen.setdefault(item.path, None)
                    continue
                yield item

    def work():  # expanded inputs, each failure to expand a name as one PageError item
        for item in items():
            if isinstance(item, PageError):
                yield None, item
            else:
                yield from iter_pages([item], dpi=dpi, pages=pages, max_pixels=max_pixels)

    with progress:
        try:
            for page in runner(work()):
                key = page.input.path if page.input is not None else page.source
                seen.setdefault(key, None)
                if page.error is not None:
                    failed.setdefault(key, None)
                    progress.echo(f"onnxocr: error: {page.error}")
                    outputs.add_error(page)
                    continue
                _write(outputs.add, page)
                progress.advance(page.source)
                if draw is not None and not _draw(page, draw, several, progress, outputs.guard):
                    failed.setdefault(key, None)
            _write(outputs.finish)
        except BaseException:  # stopped (SIGINT/SIGTERM) or failed: the unfinished document goes, finished ones stay
            outputs.abort()
            raise
    if failed:
        progress.echo(f"onnxocr: {len(failed)} of {len(seen)} input(s) failed")
        return EXIT_INPUT_FAILED
    return 0


def _write(action, *args) -> None:
    """Run an Outputs action; a write that fails (full disk, ...) or is refused is one line and exit 2 (the
    unfinished file is removed by the caller; an old file of that name is kept)."""
    try:
        action(*args)
    except OSError as exc:
        where = exc.filename or getattr(getattr(action, "__self__", None), "current", None) or "output"
        _fail(f"cannot write {where}: {exc.strerror or exc} (no partial file was left)", EXIT_SETUP_FAILED)
    except OutputRefused as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)


def _draw(page, draw: Path, several: bool, progress: _Progress, guard: Optional[InputGuard] = None) -> bool:
    """Save the page with its boxes: to `draw` itself for one single-page input named with a file suffix (later
    pages beside it as NAME-2.png, ...), else into the folder `draw` as STEM.png, or STEM-N.png for PDF/TIFF pages."""
    from onnxocr.io.draw import draw_result

    number = page.page or 1
    if draw.suffix and not several:
        target = draw if number == 1 else draw.with_name(f"{draw.stem}-{number}{draw.suffix}")
    else:
        named = page.input is not None and page.input.data is None
        stem = Path(page.source).stem if named else "stdin"
        paged = number > 1 or Path(page.source).suffix.lower() in (".pdf", ".tif", ".tiff")
        target = draw / (f"{stem}-{number}.png" if paged else f"{stem}.png")
    try:
        if guard is not None:
            guard.check(target, "drawing")
        write_atomic(target, draw_result(page.image, page.result))
        return True
    except (OSError, OnnxOCRError) as exc:
        progress.echo(f"onnxocr: error: cannot write drawing {target}: {exc}")
        return False


models_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None, help="List the model catalog and what is installed.")


@models_app.command(context_settings={"help_option_names": ["-h", "--help"]})
def models(
    catalog: Optional[Path] = typer.Option(None, "--catalog", help="models.toml to read [default: the bundled one]."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List every catalog model: task, languages, and whether it is converted, not converted (and whether an
    offline source is known), or not convertible."""
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.packages import installed_model_packages
    from onnxocr.models.store import ModelStore

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
        elif entry.format == "paddle-pir" and not any(s.pypi for s in entry.sources):
            state = "not converted (only PaddleX's tar is known: not reachable offline; --source-dir DIR to convert one)"
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


export_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None, help="Copy model sets into a folder an installer can ship.")


@export_app.command(context_settings={"help_option_names": ["-h", "--help"]})
def export(
    target: Path = typer.Argument(..., help="Folder to write (created; existing models in it are replaced)."),
    lang: Optional[List[str]] = typer.Option(None, "--lang", "-l", help="Language(s) whose model set to export; repeat or comma-separate [default: the catalog default]."),
    ocr_version: Optional[str] = typer.Option(None, "--ocr-version", help="Model generation, e.g. PP-OCRv4 [default: as `onnxocr --lang`]."),
) -> None:
    """Write DIR with the ONNX files, manifest.json (sha256 per model), LICENSES/ and NOTICE.md of each set.

    Use it with `OCR(models_dir=DIR)` or `ONNXOCR_HOME=DIR onnxocr ...`.
    """
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.export import export_models, resolve_sets

    try:
        cat = load_catalog()
        langs = [part.strip() for item in (lang or [cat.default_lang]) for part in item.split(",") if part.strip()]
        sets = resolve_sets(langs, ocr_version, cat)
        names = export_models(target, sets, catalog=cat)
    except OnnxOCRError as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)
    except OSError as exc:
        _fail(f"cannot write {target}: {exc.strerror or exc}", EXIT_SETUP_FAILED)
    typer.echo(f"exported {len(names)} model(s) to {target}: {', '.join(names)}")


def _old_version_flag(args: list[str]) -> list[str]:
    """`--version` alone prints the program's version and exits; `--version PP-OCRv4` (the generation flag's old
    name) still works for one release, as `--ocr-version`, with a one-line deprecation warning on stderr."""
    import re

    out = list(args)
    for index, arg in enumerate(out):
        if arg == "--":
            break
        value = arg.partition("=")[2] if arg.startswith("--version=") else None
        if arg == "--version":
            value = out[index + 1] if index + 1 < len(out) else ""
            if not re.fullmatch(r"(?i)pp-ocrv\d+", value):
                from onnxocr import __version__

                typer.echo(f"onnxocr {__version__}")
                raise SystemExit(0)
        if value is not None:
            typer.echo(f"onnxocr: warning: --version {value} is deprecated: use --ocr-version {value} "
                       "(--version alone prints the program's version)", err=True)
            out[index] = "--ocr-version" if arg == "--version" else f"--ocr-version={value}"
    return out


def main(argv: list[str] | None = None) -> None:
    """Console entry point: `onnxocr models [export] ...` lists or exports the catalog, anything else OCRs images."""
    args = _old_version_flag(sys.argv[1:] if argv is None else argv)
    if args[:2] == ["models", "export"]:
        export_app(args=args[2:], prog_name="onnxocr models export")
    elif args[:1] == ["models"]:
        models_app(args=args[1:], prog_name="onnxocr models")
    elif args[:1] == ["serve"]:  # HTTP / stdio service (onnxocr/integrations/server.py)
        from onnxocr.integrations.server import main as serve_main

        serve_main(args[1:])
    else:
        try:
            with stop_on_signals():
                ocr_app(args=args, prog_name="onnxocr")
        except Stopped as stop:  # the file being written is gone (Outputs.abort); every finished output stays
            typer.echo(f"onnxocr: stopped by {stop.name}: finished outputs are kept, the unfinished one was removed; "
                       "run again with --skip-existing to resume", err=True)
            sys.exit(stop.exit_code)


if __name__ == "__main__":
    main()
