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
    words: tuple[WordBox, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"box": _box_list(self.box), "text": self.text, "score": round(float(self.score), 6)}
        if self.angle is not None:
            out["angle"] = self.angle
        if self.words:
            out["words"] = [w.to_dict() for w in self.words]
        return out


@dataclass(frozen=True)
class OCRResult:
    """All lines of one image in reading order, with the image size and per-stage timings in seconds."""

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

    def __iter__(self) -> Iterator[TextLine]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def text(self) -> str:
        """The lines' text joined by newlines."""
        return "\n".join(line.text for line in self.lines)

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


def _box_list(box: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 2), round(float(y), 2)] for x, y in np.asarray(box).reshape(-1, 2)]
