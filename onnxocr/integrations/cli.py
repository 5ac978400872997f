"""The `onnxocr` command: OCR images (`onnxocr IMAGE...`) and list the model catalog (`onnxocr models`)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from onnxocr.config import ClsConfig, DetConfig, OCRConfig, RecConfig
from onnxocr.errors import OnnxOCRError

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


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers never see a partial one and an old file survives a failed write."""
    from onnxocr.models.store import atomic_write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data, fsync=False)  # mode: the replaced file's, else 0o666 & ~umask


class _AtomicFile:
    """A binary file written under a temporary name in the target folder and renamed over the target on
    `commit()` (or a clean `with` exit); `discard()` removes it and leaves any old target as it was."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self.file = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> int:
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()

    def commit(self) -> None:
        from onnxocr.models.store import new_file_mode

        self.file.close()
        os.chmod(self.tmp, new_file_mode(self.path))  # mkstemp creates 0600; give the mode open() would
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.file.close()
        Path(self.tmp).unlink(missing_ok=True)

    def __enter__(self) -> "_AtomicFile":
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


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


class _Outputs:
    """Where pages go: one writer on stdout or on one atomically written file, or with `-o DIR/` one file per
    input, mirroring the input tree. A file is committed when its document is finished, never for an input whose
    every page failed (an existing file is then left as it was)."""

    def __init__(self, fmt: OutputFormat, output: str | None, several: bool, lang: str | None, skip_existing: bool) -> None:
        from onnxocr.io.writers import SUFFIX

        self.fmt, self.several, self.lang, self.skip_existing = fmt.value, several, lang, skip_existing
        self.folder = Path(output) if output and (output.endswith(("/", os.sep)) or Path(output).is_dir()) else None
        self.file = Path(output) if output not in (None, "-") and self.folder is None else None
        self.suffix = SUFFIX[self.fmt]
        self._writer = None
        self._sink = None
        self._key: object = None
        self._pages = 0
        self.written: list[Path] = []

    def target(self, item) -> Path | None:
        """The output file for an input (with -o DIR/), else the one -o FILE (None: stdout)."""
        if self.folder is not None:
            relative = item.relative if item is not None else Path("unnamed")
            return self.folder / relative.parent / (relative.stem + self.suffix)
        return self.file

    def skip(self, item) -> bool:
        target = self.target(item)
        return self.skip_existing and target is not None and target.exists()

    def add(self, page) -> None:
        key = page.input.path if self.folder is not None and page.input is not None else "all"
        if key != self._key:
            self.finish()
            self._open(self.target(page.input))
            self._key = key
        self._writer.add(page.result, page.image, page.dpi)
        self._pages += 1

    def _open(self, target: Path | None) -> None:
        from onnxocr.io.writers import make_writer

        if target is None:
            if self.fmt == "pdf" and sys.stdout.isatty():
                _fail("refusing to write PDF to a terminal: give -o FILE.pdf or redirect stdout", EXIT_SETUP_FAILED)
            self._sink = sys.stdout.buffer
        else:
            self._sink = _AtomicFile(target)
        self._writer = make_writer(self.fmt, self._sink, several=self.several and self.folder is None, lang=self.lang)
        self._writer.begin()
        self._pages = 0

    def finish(self) -> None:
        """End the current document and commit its file (if any page made it)."""
        writer, sink = self._writer, self._sink
        self._writer = self._sink = self._key = None
        if writer is None:
            return
        try:
            if self._pages:
                if self.fmt == "json" and self.folder is None:
                    writer.several = self.several or writer.pages > 1
                writer.end()
            if isinstance(sink, _AtomicFile):
                if self._pages:
                    sink.commit()
                    self.written.append(sink.path)
                else:
                    sink.discard()
            else:
                sink.flush()
        except BaseException:
            if isinstance(sink, _AtomicFile):
                sink.discard()
            raise


ocr_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, help="OCR images and documents with PaddleOCR models on onnxruntime.")


@ocr_app.command(context_settings={"help_option_names": ["-h", "--help"]})
def run(
    inputs: List[str] = typer.Argument(..., help="Images (JPEG, PNG, BMP, TIFF incl. multi-page, WebP, GIF, PNM), PDFs, folders (recursive, sorted), glob patterns, `-` for stdin, @list.txt (one path per line)."),
    lang: Optional[str] = typer.Option(None, "--lang", "-l", help=LANG_HELP),
    version: Optional[str] = typer.Option(None, "--version", help="Model generation: PP-OCRv6, PP-OCRv5, PP-OCRv4 or PP-OCRv2 [default: PP-OCRv6 where it covers the language's script, else the language's first set]."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="Output format: text (pages separated by form feeds), json, jsonl (one object per page), tsv (tesseract's columns), hocr, alto (v4), pdf (searchable)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write to FILE (atomically) instead of stdout; `-` = stdout; DIR/ = one file per input, mirroring the input tree."),
    dpi: float = typer.Option(None, "--dpi", min=10, max=1200, help="Resolution PDF pages are rendered at [default: 300, measured: README, Documents]."),
    pages: Optional[str] = typer.Option(None, "--pages", help="Pages to read from each PDF/TIFF, e.g. 1-3,7 (counted from 1) [default: all]."),
    skip_existing: bool = typer.Option(False, "--skip-existing", help="With -o: skip inputs whose output file already exists (resume a long run)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
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
    rec_batch_size: Optional[int] = typer.Option(None, help="Recognition batch size [default: 1 on CPU, 6 on GPU or with --rec-batch-mode paddle]."),
    drop_score: Optional[float] = typer.Option(None, help=f"Drop lines scoring below this [default: {OCRConfig.drop_score}]."),
    space_recovery: Optional[bool] = typer.Option(None, "--space-recovery/--no-space-recovery", help="Put back word gaps the model missed [default: on for Latin-script dictionaries]."),
    word_boxes: bool = typer.Option(False, "--word-boxes", help="Add per-word boxes to JSON output (always on for tsv, hocr, alto, pdf)."),
    layout: Optional[bool] = typer.Option(None, "--layout/--no-layout", help="Blocks, paragraphs and column-aware reading order; --no-layout: the plain line list, in rows [default: on]."),
    max_pixels: Optional[int] = typer.Option(None, "--max-pixels", help=f"Refuse larger images and rendered pages [default: {OCRConfig.max_image_pixels}]."),
    ray: Optional[int] = typer.Option(None, "--ray", min=1, help="OCR on a Ray cluster with N actors (RAY_ADDRESS, else a local one); needs -f jsonl and onnxocr-runtime[ray]. --threads = CPUs per actor [default: 1]."),
) -> None:
    """OCR each input (every page of PDFs and multi-page TIFFs) and write its text lines in reading order."""
    from onnxocr.io.readers import DEFAULT_DPI, STDIN, parse_page_ranges
    from onnxocr.io.writers import NEEDS_WORDS

    try:
        parse_page_ranges(pages)
    except ValueError as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)
    if inputs.count(STDIN) > 1:
        _fail("`-` (stdin) can be given only once", EXIT_SETUP_FAILED)
    ocr_options = dict(
        lang=lang, version=version, det_model=det_model, cls_model=cls_model, rec_model=rec_model,
        dict_path=dict_path, device=device, threads=threads,
        use_det=not no_det if no_det else None, use_cls=use_cls, det_thresh=det_thresh,
        det_box_thresh=det_box_thresh, det_unclip_ratio=det_unclip_ratio, det_limit_side_len=det_limit_side_len,
        det_limit_type=det_limit_type, cls_thresh=cls_thresh, rec_batch_size=rec_batch_size, drop_score=drop_score,
        rec_space_recovery=space_recovery, word_boxes=(word_boxes or fmt.value in NEEDS_WORDS) or None,
        max_image_pixels=max_pixels, layout=layout,
    )
    if ray is not None:  # one record per input file on a Ray cluster (onnxocr/integrations/ray_data.py)
        _run_records([Path(name) for name in inputs], output, fmt, ray, draw, ocr_options)
        return
    ocr = _build_ocr(**ocr_options)
    several = len(inputs) > 1 or any(_names_many(name) for name in inputs)
    if draw is not None and several and draw.suffix:
        _fail(f"--draw {draw}: give a folder (not a file name) when OCR-ing several images", EXIT_SETUP_FAILED)
    from onnxocr.models.catalog import bcp47

    outputs = _Outputs(fmt, output, several, bcp47(lang or ocr.lang), skip_existing)
    paged = several or any(Path(name).suffix.lower() in (".pdf", ".tif", ".tiff") or name == STDIN for name in inputs)
    code = _run_pages(ocr, inputs, outputs, dpi=dpi or DEFAULT_DPI, pages=pages, draw=draw, several=several, quiet=quiet or not paged)
    if code:
        raise typer.Exit(code)


def _names_many(name: str) -> bool:
    """True for a name that can stand for several files (folder, glob, @list)."""
    import glob

    return os.path.isdir(name) or (name.startswith("@") and not os.path.exists(name)) or (not os.path.exists(name) and glob.has_magic(name))


def _build_ocr(**options):
    """The OCR object for the command line's options; a setup failure is one line and exit 2."""
    from onnxocr.ocr import OCR

    try:
        return OCR(**options)
    except OnnxOCRError as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)


def _run_pages(ocr, inputs: List[str], outputs: _Outputs, *, dpi: float, pages: Optional[str], draw: Optional[Path], several: bool, quiet: bool) -> int:
    """OCR every page of every input into `outputs`; report each failure on one line and go on. Returns the
    exit code: 0, or EXIT_INPUT_FAILED when any input (or page) failed. A progress bar unless `quiet`."""
    from onnxocr.io.readers import InputFile, PageError, expand_inputs

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

    def named():  # expanded inputs, errors of expansion passed through as pages with an error
        for item in items():
            if isinstance(item, PageError):
                seen.setdefault(item.source, None)
                failed.setdefault(item.source, None)
                progress.echo(f"onnxocr: error: {item.message}")
                continue
            yield item

    with progress:
        try:
            for page in ocr.pages(named(), dpi=dpi, pages=pages):
                key = page.input.path if page.input is not None else page.source
                seen.setdefault(key, None)
                if page.error is not None:
                    failed.setdefault(key, None)
                    progress.echo(f"onnxocr: error: {page.error}")
                    continue
                try:
                    outputs.add(page)
                except OSError as exc:
                    outputs.finish()
                    _fail(f"cannot write {exc.filename or 'output'}: {exc.strerror or exc}", EXIT_SETUP_FAILED)
                progress.advance(page.source)
                if draw is not None and not _draw(page, draw, several, progress):
                    failed.setdefault(key, None)
        finally:
            outputs.finish()
    if failed:
        progress.echo(f"onnxocr: {len(failed)} of {len(seen)} input(s) failed")
        return EXIT_INPUT_FAILED
    return 0


def _draw(page, draw: Path, several: bool, progress: _Progress) -> bool:
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
        _write_atomic(target, draw_result(page.image, page.result))
        return True
    except (OSError, OnnxOCRError) as exc:
        progress.echo(f"onnxocr: error: cannot write drawing {target}: {exc}")
        return False


def _run_records(images: List[Path], output: Optional[str], fmt: OutputFormat, actors: Optional[int],
                 draw: Optional[Path], ocr_options: dict) -> None:
    """--ray N: -f jsonl records, one per input file (folders expanded), from N actors on a Ray cluster."""
    from onnxocr.integrations import ray_data
    from onnxocr.ocr import OCR

    if fmt is not OutputFormat.jsonl:
        _fail(f"--ray writes JSON lines: add -f jsonl (got -f {fmt.value})", EXIT_SETUP_FAILED)
    if draw is not None:
        _fail("--draw is not available with -f jsonl / --ray", EXIT_SETUP_FAILED)
    inputs = ray_data.expand_inputs(images)
    try:
        threads = ocr_options.pop("threads") or 1
        if not os.environ.get("RAY_ADDRESS"):
            OCR(**ocr_options)  # a missing model or bad option: one line here, not a failure inside each actor
        count, failed = ray_data.ocr_to_jsonl(inputs, output, actors, num_cpus=threads, **ocr_options)
    except OnnxOCRError as exc:
        _fail(str(exc), EXIT_SETUP_FAILED)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_SETUP_FAILED)
    except Exception as exc:  # the cluster went away mid-run: say so, keep what was written
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
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.export import export_models, resolve_sets

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
