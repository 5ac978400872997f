"""The model store: a directory of converted ONNX files plus `manifest.json` describing each.

Writers (convert/) go through `ModelStore.install`, which never leaves a half-written file at a final path.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from .errors import ModelLoadError

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = 1


def default_store_dir() -> Path:
    """`$ONNXOCR_HOME`, else the per-user data directory (XDG on Linux, Application Support, LOCALAPPDATA)."""
    env = os.environ.get("ONNXOCR_HOME")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "onnxocr"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write_bytes(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ModelStore:
    """A directory holding `<name>.onnx` files and their manifest."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_store_dir()

    def __repr__(self) -> str:
        return f"ModelStore({str(self.root)!r})"

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_NAME

    def model_path(self, name: str) -> Path:
        return self.root / f"{name}.onnx"

    def read_manifest(self) -> dict[str, dict[str, Any]]:
        """The `models` mapping of manifest.json ({} when the store is empty)."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelLoadError(
                f"model store manifest {self.manifest_path} is corrupt ({exc}): delete it and run `make convert` again"
            ) from None
        models = data.get("models", {}) if isinstance(data, dict) else {}
        return models if isinstance(models, dict) else {}

    def is_installed(self, name: str) -> bool:
        return name in self.read_manifest() and self.model_path(name).is_file()

    def install(self, name: str, onnx_path: str | Path, record: dict[str, Any]) -> Path:
        """Copy a finished ONNX file into the store atomically and record it in the manifest."""
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.model_path(name)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as out, open(onnx_path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            digest = sha256_file(tmp)
            os.chmod(tmp, 0o644)  # mkstemp creates 0600; models are shared read-only data
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        entry = dict(record)
        entry.update(
            file=target.name,
            sha256=digest,
            created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        )
        models = self.read_manifest()
        models[name] = entry
        payload = json.dumps({"schema_version": MANIFEST_SCHEMA, "models": models}, indent=2, ensure_ascii=False)
        _atomic_write_bytes(self.manifest_path, (payload + "\n").encode("utf-8"))
        return target

    def verify(self, name: str) -> Path:
        """Return the path of an installed model after checking its sha256 against the manifest."""
        record = self.read_manifest().get(name)
        path = self.model_path(name)
        if record is None or not path.is_file():
            raise ModelLoadError(f"model {name!r} is not in the store {self.root}")
        expected = record.get("sha256")
        if expected and sha256_file(path) != expected:
            raise ModelLoadError(
                f"model file {path} does not match its manifest checksum (changed or corrupted): "
                f'run `make convert MODELS="{name}" FORCE=1` to rebuild it'
            )
        return path
