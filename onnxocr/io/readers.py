"""Readers: turn what a user names (files, folders, globs, `-` for stdin, `@list.txt`) into pages.

A page is one BGR uint8 (H, W, 3) image with its source name and 1-based page number: every page of a PDF
(rendered by pypdfium2 at `dpi`), every page of a multi-page TIFF, the one page of any other image. Readers never
raise for a bad input: they yield a `PageError` naming the file (and page) and go on with the rest.
"""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path
from typing import Iterable, Iterator

from onnxocr.config import DEFAULT_DPI
from onnxocr.errors import ImageLoadError, unexpected
from onnxocr.io.images import decode_pages, describe
from onnxocr.io.pages import InputFile, Page, PageError, PageItem, page_selected, parse_page_ranges
from onnxocr.io.pdf_reader import read_pdf_pages

STDIN = "-"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".dib", ".tif", ".tiff", ".webp", ".gif", ".pbm", ".pgm", ".ppm", ".pnm"}
DOCUMENT_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}


# -- naming inputs ---------------------------------------------------------------------------------------------
def expand_inputs(names: Iterable[str | os.PathLike], stdin: "object | None" = None) -> Iterator[InputFile | PageError]:
    """Each name as files: a folder gives its document files recursively in sorted order, a glob pattern its
    matches (sorted), `-` stdin's bytes, `@list.txt` the paths listed one per line. Unknown names are PageErrors."""
    for raw in names:
        name = os.fspath(raw)
        if name == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield InputFile(path=STDIN, data=stream.read())
        elif name.startswith("@") and len(name) > 1 and not os.path.exists(name):
            yield from _read_list(name[1:])
        elif os.path.isdir(name):
            yield from _walk(name)
        elif not os.path.exists(name) and glob.has_magic(name):
            matches = sorted(glob.glob(name, recursive=True))
            if not matches:
                yield PageError(name, None, f"{name}: no file matches this pattern")
            for match in matches:
                yield from _walk(match) if os.path.isdir(match) else iter([InputFile(match)])
        else:
            yield InputFile(name)


def _read_list(list_path: str) -> Iterator[InputFile | PageError]:
    try:
        with open(list_path, encoding="utf-8") as fh:
            lines = [line.rstrip("\r\n") for line in fh]
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        yield PageError(f"@{list_path}", None, f"@{list_path}: cannot read the list of inputs ({reason})")
        return
    base = os.path.dirname(list_path)
    for line in lines:
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        path = entry if os.path.isabs(entry) or os.path.exists(entry) else os.path.join(base, entry)
        yield from _walk(path) if os.path.isdir(path) else iter([InputFile(path)])


def _walk(folder: str) -> Iterator[InputFile | PageError]:
    """Document files below a folder, recursively, in sorted path order; unreadable sub-folders are reported."""
    found: list[str] = []
    errors: list[PageError] = []

    def report(exc: OSError) -> None:
        errors.append(PageError(exc.filename or folder, None, f"{exc.filename or folder}: cannot list folder ({exc.strerror})"))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=report):
        dirnames.sort()
        for filename in filenames:
            if Path(filename).suffix.lower() in DOCUMENT_SUFFIXES and not filename.startswith("."):
                found.append(os.path.join(dirpath, filename))
    yield from errors
    if not found and not errors:
        yield PageError(folder, None, f"{folder}: folder holds no images or PDFs ({', '.join(sorted(DOCUMENT_SUFFIXES))})")
    for path in sorted(found, key=lambda p: Path(p).parts):
        yield InputFile(path, root=folder)


# -- reading pages ---------------------------------------------------------------------------------------------
def read_pages(
    item: InputFile | str | os.PathLike,
    *,
    dpi: float = DEFAULT_DPI,
    pages: str | list[tuple[int, int | None]] | None = None,
    max_pixels: int | None = None,
) -> Iterator[PageItem]:
    """The selected pages of one file (PDF, TIFF or single image) as Page items; failures as PageError items."""
    if not isinstance(item, InputFile):
        item = InputFile(os.fspath(item))
    ranges = parse_page_ranges(pages) if isinstance(pages, str) or pages is None else pages
    # bytes in hand are named by their label (an upload's file name), stdin's as <stdin>; a label is never opened
    name = ("<stdin>" if item.path == STDIN else item.path) if item.data is not None else describe(item.path)
    if item.data is not None:
        data = item.data
    else:
        try:
            data = Path(item.path).read_bytes()
        except OSError as exc:
            reason = {FileNotFoundError: "no such file", IsADirectoryError: "is a directory", PermissionError: "permission denied"}
            yield PageError(name, None, f"{name}: {reason.get(type(exc), f'cannot be read ({exc.strerror or exc})')}")
            return
    if data[:5] == b"%PDF-" or (data[:1024].find(b"%PDF-") >= 0 and Path(item.path).suffix.lower() == ".pdf"):
        yield from read_pdf_pages(data, name, dpi=dpi, ranges=ranges, max_pixels=max_pixels)
        return
    number = 0
    try:
        for number, image in enumerate(decode_pages(data, name, max_pixels), start=1):
            if page_selected(number, ranges):
                yield Page(source=name, page=number, image=image)
    except ImageLoadError as exc:
        yield PageError(name, number + 1 if number else None, str(exc))


def iter_pages(
    names: Iterable[str | os.PathLike | InputFile],
    *,
    dpi: float = DEFAULT_DPI,
    pages: str | None = None,
    max_pixels: int | None = None,
) -> Iterator[tuple[InputFile | None, PageItem]]:
    """Every page of every named input, in order, as (input file, Page or PageError)."""
    ranges = parse_page_ranges(pages)
    for name in names:
        for item in [name] if isinstance(name, InputFile) else expand_inputs([name]):
            if isinstance(item, PageError):
                yield None, item
                continue
            try:
                for page in read_pages(item, dpi=dpi, pages=ranges, max_pixels=max_pixels):
                    yield item, page
            except Exception as exc:  # a reader failure nobody foresaw ends this file, not the run
                yield item, PageError(item.path, None, f"{describe(item.path)}: {unexpected(exc)}")
