"""What every writer shares: the Writer protocol, pixel boxes, word boxes of a line, text direction and cleaning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from onnxocr.core.layout import is_right_to_left as is_rtl  # noqa: F401 - the writers' name for it
from onnxocr.result import OCRResult, TextLine, WordBox

# -- geometry helpers (pure) -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    """An axis-aligned integer box in pixels: left, top, right, bottom (right/bottom exclusive)."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


def bbox_of(quad: np.ndarray, width: int, height: int) -> Box:
    """The axis-aligned box around a (4, 2) quad, clipped to the image."""
    pts = np.asarray(quad, dtype=np.float64).reshape(-1, 2)
    left = int(np.clip(np.floor(pts[:, 0].min()), 0, max(width - 1, 0)))
    top = int(np.clip(np.floor(pts[:, 1].min()), 0, max(height - 1, 0)))
    right = int(np.clip(np.ceil(pts[:, 0].max()), left + 1, max(width, left + 1)))
    bottom = int(np.clip(np.ceil(pts[:, 1].max()), top + 1, max(height, top + 1)))
    return Box(left, top, right, bottom)


def text_angle(result: OCRResult) -> int:
    """Counterclockwise angle (0/90/180/270) of the text's baseline on the page as given: hOCR's textangle and
    ALTO's ROTATION. A page whose content is turned 90 degrees clockwise has text running top to bottom: 270."""
    return (360 - int(result.page_angle or 0)) % 360


def text_height(quad: np.ndarray) -> float:
    """A line or word quad's height across its text (TL to BL), in pixels, whatever way the text runs."""
    pts = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    return float(np.hypot(*(pts[3] - pts[0])))


MIN_WORD_GAP = 0.25  # of the line height: neighbouring word boxes are kept at least this far apart


def line_words(line: TextLine) -> list[WordBox]:
    """The line's word boxes, kept MIN_WORD_GAP apart so that readers of box formats (pdftotext, ocrmypdf's
    renderer) see the word break; without any (no space recovery, e.g. CJK), the text split on spaces with the
    quad shared out along its length in proportion to each word's characters (one word for a line without spaces)."""
    return _separated(list(line.words) if line.words else _split_line(line), line.box)


def _separated(words: list[WordBox], line_box: np.ndarray) -> list[WordBox]:
    """Pull apart neighbouring words whose boxes touch or overlap along the line (each keeps >= half its width)."""
    if len(words) < 2:
        return words
    tl, tr, _, bl = np.asarray(line_box, dtype=np.float64).reshape(4, 2)[[0, 1, 2, 3]]
    axis = tr - tl
    length = float(np.hypot(*axis))
    if length < 1e-6:
        return words
    axis /= length
    min_gap = MIN_WORD_GAP * float(np.hypot(*(bl - tl)))
    quads = [np.asarray(w.box, dtype=np.float64).reshape(4, 2).copy() for w in words]
    for left, right in zip(quads, quads[1:]):
        gap = float(min(right[[0, 3]] @ axis) - max(left[[1, 2]] @ axis))
        if gap >= min_gap:
            continue
        shift = (min_gap - gap) / 2
        left_w = float(max(left[[1, 2]] @ axis) - min(left[[0, 3]] @ axis))
        right_w = float(max(right[[1, 2]] @ axis) - min(right[[0, 3]] @ axis))
        left[[1, 2]] -= axis * min(shift, left_w / 2)
        right[[0, 3]] += axis * min(shift, right_w / 2)
    return [WordBox(w.text, q.astype(np.float32)) for w, q in zip(words, quads)]


def _split_line(line: TextLine) -> list[WordBox]:
    words = line.text.split()
    if not words:
        return []
    quad = np.asarray(line.box, dtype=np.float32).reshape(4, 2)
    tl, tr, br, bl = quad
    total = len(line.text)
    out, pos = [], 0
    for word in words:
        start = line.text.index(word, pos)
        pos = start + len(word)
        a, b = start / total, pos / total
        out.append(WordBox(word, np.array([tl + (tr - tl) * a, tl + (tr - tl) * b, bl + (br - bl) * b, bl + (br - bl) * a], np.float32)))
    return out


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ").replace("\f", " ")


# -- writers -------------------------------------------------------------------------------------------------------
class Writer:
    """Base class: subclasses override `add` and possibly `begin`/`end`. `several`: more than one source goes to
    this one output (text adds `==> source <==` headers)."""

    streams = False  # writes each page as it is added
    records_errors = False  # writes a record for each failed input or page (add_error)

    def __init__(self, stream: BinaryIO, *, several: bool = False, lang: str | None = None) -> None:
        self.stream = stream
        self.several = several
        self.lang = lang
        self.pages = 0

    def begin(self) -> None:
        pass

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        raise NotImplementedError

    def add_error(self, source: str, page: int | None, message: str) -> None:
        """An input (page None) or page that gave no result. Record formats (jsonl) write an error record; the
        document formats leave it out (the CLI reports it on stderr either way)."""

    def end(self) -> None:
        pass

    def _write(self, text: str) -> None:
        self.stream.write(text.encode("utf-8"))
