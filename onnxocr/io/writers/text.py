"""Plain text: lines of each page, paragraphs separated by one blank line, pages of one source by a form feed."""

from __future__ import annotations

from typing import BinaryIO

import numpy as np

from onnxocr.io.writers.base import Writer, _clean
from onnxocr.result import OCRResult


class TextWriter(Writer):
    """Lines of each page in reading order, paragraphs separated by one blank line (as tesseract); pages of one
    source separated by a form feed (as pdftotext does)."""

    streams = True

    def __init__(self, stream: BinaryIO, **kwargs) -> None:
        super().__init__(stream, **kwargs)
        self._source: object = object()

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        paragraphs = ["".join(_clean(line.text) + "\n" for line in p.lines) for p in result.paragraphs]
        body = "\n".join(p for p in paragraphs if p)
        if result.source != self._source:
            head = ("\n" if self.pages else "") + (f"==> {result.source} <==\n" if self.several else "")
        else:
            head = "\f"
        self._source = result.source
        self.pages += 1
        self._write(head + body)
        self.stream.flush()
