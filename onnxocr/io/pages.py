"""What readers yield: a Page (one image to OCR) or a PageError (an input, or one page of it, that could not be
read), and the `--pages` range selection both the image and the PDF reader apply."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np


@dataclass(frozen=True)
class Page:
    """One page to OCR: `image` is BGR uint8 (H, W, 3); `page` counts from 1; `dpi` is set for rendered PDF pages."""

    source: str
    page: int
    image: np.ndarray
    dpi: float | None = None
    page_count: int | None = None  # pages in the source, when known


@dataclass(frozen=True)
class PageError:
    """A source (or one page of it) that could not be read; `message` is one line naming it."""

    source: str
    page: int | None
    message: str


@dataclass(frozen=True)
class InputFile:
    """One file to read. `root` is the folder it was found under (None for a file named directly), so writers
    can mirror the input tree; `data` holds stdin's bytes."""

    path: str
    root: str | None = None
    data: bytes | None = None

    @property
    def relative(self) -> Path:
        """The path below `root` (the file name for a file named directly, `stdin` for stdin)."""
        if self.data is not None:
            return Path("stdin")
        return Path(os.path.relpath(self.path, self.root)) if self.root else Path(Path(self.path).name)


PageItem = Union[Page, PageError]


def parse_page_ranges(spec: str | None) -> list[tuple[int, int | None]] | None:
    """`1-3,7,10-` -> [(1, 3), (7, 7), (10, None)] (1-based, inclusive); None for all pages. Raises ValueError."""
    if spec is None or not spec.strip():
        return None
    ranges: list[tuple[int, int | None]] = []
    for part in spec.split(","):
        part = part.strip()
        first, dash, last = part.partition("-")
        try:
            start = int(first) if first else 1
            end = (int(last) if last else None) if dash else start
        except ValueError:
            raise ValueError(f"--pages {spec!r}: {part!r} is not a page number or range (e.g. 1-3,7)") from None
        if start < 1 or (end is not None and end < start):
            raise ValueError(f"--pages {spec!r}: {part!r} is not a valid range (pages count from 1)")
        ranges.append((start, end))
    return ranges


def page_selected(number: int, ranges: list[tuple[int, int | None]] | None) -> bool:
    return ranges is None or any(start <= number and (end is None or number <= end) for start, end in ranges)
