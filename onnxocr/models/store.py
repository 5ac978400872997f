"""The model store: a directory of converted ONNX files plus `manifest.json` describing each.

Writers (convert/) go through `ModelStore.install`, which never leaves a half-written file at a final path.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

from onnxocr.errors import ModelLoadError
from onnxocr.io.atomic import AtomicFile, _umask, write_atomic

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = 1
LOCK_NAME = ".manifest.lock"
STORE_NAME = re.compile(r"[A-Za-z0-9._-]+")

log = logging.getLogger("onnxocr")


def check_store_name(name: str) -> str:
    """A store name is [A-Za-z0-9._-]+ and not "." or "..": it becomes a file name inside the store, nothing else."""
    if not isinstance(name, str) or not STORE_NAME.fullmatch(name) or name in (".", ".."):
        raise ModelLoadError(
            f"model name {name!r} is not allowed: use only letters, digits, '.', '_' and '-' (e.g. en_PP-OCRv4_rec)"
        )
    return name


def default_store_dir() -> Path:
    """`$ONNXOCR_HOME`, else the per-user data directory as platformdirs finds it: $XDG_DATA_HOME/onnxocr or
    ~/.local/share/onnxocr on Linux, ~/Library/Application Support/onnxocr on macOS, %LOCALAPPDATA%\\onnxocr on Windows."""
    env = os.environ.get("ONNXOCR_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("onnxocr", appauthor=False, roaming=False))


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


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
        return self.root / f"{check_store_name(name)}.onnx"

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
        except OSError as exc:
            raise ModelLoadError(
                f"model store manifest {self.manifest_path} cannot be read ({exc.strerror or exc}): fix its "
                "permissions, or set ONNXOCR_HOME to a store of your own"
            ) from None
        models = data.get("models", {}) if isinstance(data, dict) else {}
        return models if isinstance(models, dict) else {}

    def is_installed(self, name: str) -> bool:
        return name in self.read_manifest() and self.model_path(name).is_file()

    def install(self, name: str, onnx_path: str | Path, record: dict[str, Any]) -> Path:
        """Copy a finished ONNX file into the store atomically and record it in the manifest.

        The manifest is re-read and rewritten under a lock, so concurrent installs into one store lose nothing.
        """
        try:
            return self._install(name, Path(onnx_path), record)
        except OSError as exc:
            where = exc.filename or self.root
            raise ModelLoadError(
                f"cannot write to the model store {self.root} ({where}: {exc.strerror or exc}): fix its "
                "permissions, or set ONNXOCR_HOME to a store of your own"
            ) from None

    def _install(self, name: str, onnx_path: Path, record: dict[str, Any]) -> Path:
        target = self.model_path(name)
        self.root.mkdir(parents=True, exist_ok=True)
        with AtomicFile(target, fsync=True, mode=0o666 & ~_umask()) as out, open(onnx_path, "rb") as src:
            shutil.copyfileobj(src, out.file, 1 << 20)  # mode: models are shared data, whatever the old file had
            out.flush()
            digest = sha256_file(out.tmp)
        entry = dict(record)
        entry.update(
            file=target.name,
            sha256=digest,
            created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        )
        from filelock import FileLock

        with FileLock(self.root / LOCK_NAME):
            models = self.read_manifest()
            models[name] = entry
            payload = json.dumps({"schema_version": MANIFEST_SCHEMA, "models": models}, indent=2, ensure_ascii=False)
            write_atomic(self.manifest_path, (payload + "\n").encode("utf-8"), fsync=True)
        log.info("installed %s as %s", name, target)
        return target

    def verify(self, name: str) -> Path:
        """Return the path of an installed model after checking its sha256 against the manifest."""
        record = self.read_manifest().get(name)
        path = self.model_path(name)
        if record is None or not path.is_file():
            raise ModelLoadError(f"model {name!r} is not in the store {self.root}")
        expected = record.get("sha256")
        if not expected:
            log.warning("model %s has no sha256 in %s: not verified", name, self.manifest_path)
        elif sha256_file(path) != expected:
            raise ModelLoadError(
                f"model file {path} does not match its manifest checksum (changed or corrupted): "
                f'run `make convert MODELS="{name}" FORCE=1` to rebuild it'
            )
        else:
            log.info("model %s verified (sha256 %s…) at %s", name, expected[:12], path)
        return path
