"""Atomic file writes: the one way onnxocr writes a file a user keeps (CLI outputs, drawings, the model store's
manifest, Ray's JSON lines).

A file is written under a hidden temporary name in its target folder and renamed over the target only when it is
complete: a reader never sees a partial file, a failed or stopped write leaves the old file as it was, and the new
file gets the mode a plain open() would give it (or keeps the mode of the file it replaces).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    """The process umask, read without changing it where the OS tells (Linux), else by setting and restoring it."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode(target: Path) -> int:
    """Mode for a file about to replace `target`: the replaced file's own mode, else 0o666 & ~umask (as open())."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


class AtomicFile:
    """A binary file written under `.NAME.XXXX.tmp` in the target's folder and renamed over the target on
    `commit()` (or a clean `with` exit); `discard()` (or an exception, KeyboardInterrupt included) removes the
    temporary file and leaves any old target as it was.

    `partial_name`: write to NAME.partial instead of a hidden name, and keep it on `discard()` so what was
    written so far can be read (Ray's JSON lines keep the records of a run whose cluster went away).
    `fsync`: flush the data to disk before the rename (the model store; CLI outputs leave it to the OS).
    `mode`: the new file's mode [default: `new_file_mode(path)`]."""

    def __init__(self, path: str | os.PathLike, *, fsync: bool = False, partial_name: bool = False,
                 mode: int | None = None) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.mode = mode  # None: new_file_mode(path)
        self.keep_partial = partial_name
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if partial_name:
            self.tmp = str(self.path.with_name(self.path.name + ".partial"))
            self.file = open(self.tmp, "wb")
        else:
            fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            self.file = os.fdopen(fd, "wb")
        self.done = False

    def write(self, data: bytes) -> int:
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()

    def commit(self) -> None:
        """Close the file and rename it over the target (a failure removes the temporary file and re-raises)."""
        try:
            self.file.flush()
            if self.fsync:
                os.fsync(self.file.fileno())
            self.file.close()
            os.chmod(self.tmp, new_file_mode(self.path) if self.mode is None else self.mode)  # mkstemp creates 0600; give the mode open() would
            os.replace(self.tmp, self.path)
            self.done = True
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Close and remove the temporary file (kept as NAME.partial with `partial_name`); the target is untouched."""
        if self.done:
            return
        self.done = True
        try:
            self.file.close()
        except OSError:  # the last buffered bytes did not fit (full disk): the file goes anyway
            pass
        if not self.keep_partial:
            Path(self.tmp).unlink(missing_ok=True)

    def __enter__(self) -> "AtomicFile":
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def write_atomic(path: str | os.PathLike, data: bytes, *, fsync: bool = False) -> None:
    """Write `data` to `path` atomically (see `AtomicFile`); the parent folder is created when missing."""
    with AtomicFile(path, fsync=fsync) as fh:
        fh.write(data)
