"""JSON (one document) and JSON Lines (one object per page, flushed as it finishes)."""

from __future__ import annotations

import json
from typing import BinaryIO

import numpy as np

from onnxocr.io.writers.base import Writer
from onnxocr.result import OCRResult


class JsonWriter(Writer):
    """One JSON document: an object for a single page, else a list of page objects."""

    def __init__(self, stream: BinaryIO, **kwargs) -> None:
        super().__init__(stream, **kwargs)
        self._docs: list[dict] = []

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        self._docs.append(result.to_dict())
        self.pages += 1

    def end(self) -> None:
        single = len(self._docs) == 1 and not self.several
        self._write(json.dumps(self._docs[0] if single else self._docs, ensure_ascii=False, indent=2) + "\n")


class JsonLinesWriter(Writer):
    """One JSON object per page and line, with `source` and `page`, flushed as each page finishes."""

    streams = True

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        doc = result.to_dict()
        doc.setdefault("source", None)
        doc.setdefault("page", 1)
        self._write(json.dumps(doc, ensure_ascii=False) + "\n")
        self.stream.flush()
        self.pages += 1
