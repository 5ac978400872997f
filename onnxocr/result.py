"""Typed OCR results with plain-data export (dict / JSON / TSV)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np


@dataclass(frozen=True)
class WordBox:
    """A word inside a line and its quadrilateral in image pixels."""

    text: str
    box: np.ndarray  # (4, 2) float32, TL TR BR BL

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "box": _box_list(self.box)}


@dataclass(frozen=True)
class TextLine:
    """One recognised line: its quad (4x2 float32, clockwise from top-left, image pixels), text and score."""

    box: np.ndarray
    text: str
    score: float
    angle: str | None = None  # "0" / "180" when the angle classifier ran
    words: tuple[WordBox, ...] = ()  # in reading order along the line
    index: int | None = None  # position in the page's reading order (0-based); None when no layout was made

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"box": _box_list(self.box), "text": self.text, "score": round(float(self.score), 6)}
        if self.index is not None:
            out["index"] = self.index
        if self.angle is not None:
            out["angle"] = self.angle
        if self.words:
            out["words"] = [w.to_dict() for w in self.words]
        return out


@dataclass(frozen=True)
class Paragraph:
    """Lines read together, in reading order; `index` counts the page's paragraphs in reading order from 0 and
    `box` is the (4, 2) float32 axis-aligned box around its lines (TL TR BR BL, image pixels)."""

    index: int
    box: np.ndarray
    lines: tuple[TextLine, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "box": _box_list(self.box), "lines": [line.index for line in self.lines]}


@dataclass(frozen=True)
class TextBlock:
    """A column piece, title or other region: its paragraphs in reading order; `index` counts the page's blocks
    in reading order from 0; `box` as Paragraph's."""

    index: int
    box: np.ndarray
    paragraphs: tuple[Paragraph, ...]

    @property
    def lines(self) -> tuple[TextLine, ...]:
        return tuple(line for paragraph in self.paragraphs for line in paragraph.lines)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "box": _box_list(self.box), "paragraphs": [p.to_dict() for p in self.paragraphs]}


@dataclass(frozen=True)
class OCRResult:
    """All lines of one image in reading order, with the image size and per-stage timings in seconds.

    `blocks` holds the same lines grouped as blocks > paragraphs > lines in reading order (`lines` is their
    flattened list); it is empty when the layout was turned off (`layout=False`: lines in rows, top to bottom).
    """

    lines: list[TextLine]
    width: int
    height: int
    timings: dict[str, float] = field(default_factory=dict)
    source: str | None = None
    page: int | None = None  # 1-based page number within `source` (PDF and multi-page TIFF inputs)
    # Clockwise turn of the page content in degrees (0/90/180/270) that was undone before reading, None when page
    # orientation was off. Boxes are always in the input image's pixels; on a turned page a line's quad still starts
    # at the text's own top-left (so TL->TR runs along the text, wherever that is in the image).
    page_angle: int | None = None
    blocks: list[TextBlock] = field(default_factory=list)

    def __iter__(self) -> Iterator[TextLine]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def text(self) -> str:
        """The lines' text joined by newlines, paragraphs separated by one blank line (as tesseract's text)."""
        return "\n\n".join(p.text for p in self.paragraphs)

    @property
    def paragraphs(self) -> list[Paragraph]:
        """Every paragraph in reading order; without a layout, all lines as one paragraph."""
        return [p for block in self.layout_blocks() for p in block.paragraphs]

    def layout_blocks(self) -> list[TextBlock]:
        """`blocks`, or without a layout one block of one paragraph holding every line (what writers iterate)."""
        if self.blocks or not self.lines:
            return list(self.blocks)
        lines = tuple(self.lines)
        box = bounding_box([line.box for line in lines])
        return [TextBlock(0, box, (Paragraph(0, box, lines),))]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.source is not None:
            out["source"] = self.source
        if self.page is not None:
            out["page"] = self.page
        if self.page_angle is not None:
            out["page_angle"] = self.page_angle
        out.update(
            width=self.width,
            height=self.height,
            lines=[line.to_dict() for line in self.lines],
        )
        if self.blocks:
            out["blocks"] = [block.to_dict() for block in self.blocks]
        out.update(
            timings={k: round(v, 6) for k, v in self.timings.items()},
        )
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_tsv_rows(self) -> list[str]:
        """Rows `source, index, x1..y4, score, text` (tabs and newlines in text replaced by spaces)."""
        rows = []
        for i, line in enumerate(self.lines):
            coords = "\t".join(f"{v:g}" for v in np.asarray(line.box, dtype=np.float64).reshape(-1))
            text = line.text.replace("\t", " ").replace("\n", " ")
            rows.append(f"{self.source or ''}\t{i}\t{coords}\t{line.score:.4f}\t{text}")
        return rows


def bounding_box(quads: list[np.ndarray]) -> np.ndarray:
    """The (4, 2) float32 axis-aligned box (TL TR BR BL) around quads."""
    pts = np.concatenate([np.asarray(q, dtype=np.float32).reshape(-1, 2) for q in quads])
    (left, top), (right, bottom) = pts.min(axis=0), pts.max(axis=0)
    return np.array([[left, top], [right, top], [right, bottom], [left, bottom]], dtype=np.float32)


def _box_list(box: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 2), round(float(y), 2)] for x, y in np.asarray(box).reshape(-1, 2)]
