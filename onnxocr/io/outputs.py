"""Where the command line's pages go, and the promises it keeps about the user's files.

- `Outputs`: one writer on stdout or on one atomically written file, or one file per input under a folder.
- `InputGuard`: no output (or drawing) ever replaces an input; checked before any work, by file identity
  (device + inode, so a symlink or a hard link to an input counts as the input).
- `stop_on_signals`: SIGINT and SIGTERM become a `Stopped` exception, so the file being written is removed
  (every finished output stays) and the process exits 130 / 143.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Iterable, Iterator

from onnxocr.errors import OnnxOCRError
from onnxocr.io.atomic import AtomicFile


class OutputRefused(OnnxOCRError):
    """An output the command line will not write (it would replace an input, or a PDF would go to a terminal)."""


class Stopped(BaseException):
    """The run was stopped by a signal (SIGINT or SIGTERM). A BaseException, like KeyboardInterrupt, so no
    `except Exception` on the way swallows it; `exit_code` is 128 + the signal number (130, 143)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum
        self.name = signal.Signals(signum).name


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise `Stopped` (once: later signals are ignored while the run cleans
    up). Only in the main thread; elsewhere the block runs with the handlers as they are."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signums = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])

    def stop(signum, frame):
        for other in signums:
            signal.signal(other, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {signum: signal.signal(signum, stop) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class InputGuard:
    """The identities (device, inode) of the named input files; `check(path)` raises OutputRefused when writing
    `path` would replace one of them (the same file, a hard link to it, or a symlink to it)."""

    def __init__(self, paths: Iterable[str | os.PathLike]) -> None:
        self.inputs: dict[tuple[int, int], str] = {}
        for path in paths:
            try:
                st = os.stat(path)
            except OSError:
                continue  # unreadable inputs are reported when read
            self.inputs.setdefault((st.st_dev, st.st_ino), os.fspath(path))

    def input_at(self, path: str | os.PathLike) -> str | None:
        """The input that `path` is (None when it is no input or does not exist)."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        return self.inputs.get((st.st_dev, st.st_ino))

    def check(self, path: str | os.PathLike, what: str = "output") -> None:
        source = self.input_at(path)
        if source is not None:
            same = "" if os.path.abspath(source) == os.path.abspath(path) else f" ({path} is the input {source})"
            raise OutputRefused(
                f"refusing to write the {what} {path}: it would replace the input {source}{same}; "
                "nothing was written: give an output that is not one of the inputs (e.g. -o out/)"
            )


class Outputs:
    """Where pages go: one writer on stdout or on one atomically written file, or with `-o DIR/` one file per
    input, mirroring the input tree. A file is committed when its document is finished, never for an input whose
    every page failed (an existing file is then left as it was), and never for a run stopped part-way
    (`abort()`: the temporary file goes, the finished files stay)."""

    def __init__(self, fmt: str, output: str | None, several: bool, lang: str | None, skip_existing: bool,
                 guard: InputGuard | None = None) -> None:
        from onnxocr.io.writers import SUFFIX

        self.fmt, self.several, self.lang, self.skip_existing = getattr(fmt, "value", fmt), several, lang, skip_existing
        self.folder = Path(output) if output and (output.endswith(("/", os.sep)) or Path(output).is_dir()) else None
        self.file = Path(output) if output not in (None, "-") and self.folder is None else None
        self.suffix = SUFFIX[self.fmt]
        self.guard = guard
        self._writer = None
        self._sink = None
        self._key: object = None
        self._pages = 0
        self.current: Path | None = None  # the file being written
        self.written: list[Path] = []

    def target(self, item) -> Path | None:
        """The output file for an input (with -o DIR/), else the one -o FILE (None: stdout)."""
        if self.folder is not None:
            relative = item.relative if item is not None else Path("unnamed")
            return self.folder / relative.parent / (relative.stem + self.suffix)
        return self.file

    def check_targets(self, items: Iterable) -> None:
        """Raise OutputRefused when the output of any of `items` (InputFiles) would replace an input."""
        if self.guard is None:
            return
        if self.file is not None:
            self.guard.check(self.file)
        if self.folder is not None:
            for item in items:
                self.guard.check(self.target(item))

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

    def add_error(self, page) -> None:
        """A failed input or page: an error record where the format has one (jsonl), in the output its pages go
        to; with -o DIR/ only into a document already open for that input (a failed input writes no file)."""
        from onnxocr.io.writers import WRITERS

        if not WRITERS[self.fmt].records_errors:
            return
        key = page.input.path if self.folder is not None and page.input is not None else "all"
        if self.folder is not None and key != self._key:
            return
        if self._writer is None:
            self._open(self.target(page.input))
            self._key = key
        self._writer.add_error(page.source, page.page, page.error)

    def _open(self, target: Path | None) -> None:
        from onnxocr.io.writers import make_writer

        if target is None:
            if self.fmt == "pdf" and sys.stdout.isatty():
                raise OutputRefused("refusing to write PDF to a terminal: give -o FILE.pdf or redirect stdout")
            self._sink = sys.stdout.buffer
        else:
            if self.guard is not None:
                self.guard.check(target)  # checked before the run too; a folder can change while it runs
            self._sink = AtomicFile(target)
        self.current = target
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
            if isinstance(sink, AtomicFile):
                if self._pages:
                    sink.commit()
                    self.written.append(sink.path)
                else:
                    sink.discard()
            else:
                sink.flush()
        except BaseException:
            if isinstance(sink, AtomicFile):
                sink.discard()
            raise

    def abort(self) -> None:
        """Drop the document being written (its temporary file goes; an old file at its name stays)."""
        sink = self._sink
        self._writer = self._sink = self._key = None
        if isinstance(sink, AtomicFile):
            sink.discard()
