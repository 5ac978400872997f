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


def page_record(result: OCRResult) -> dict:
    """The JSON Lines record of one page: OCRResult.to_dict() with `source` and `page` always present."""
    doc = result.to_dict()
    doc.setdefault("source", None)
    doc.setdefault("page", 1)
    return doc


def error_record(source: str, page: int | None, message: str) -> dict:
    """The JSON Lines record of an input (page None) or page that gave no result: `error` is the one-line reason."""
    return {"source": source, "page": page, "width": None, "height": None, "lines": [], "error": message}


class JsonLinesWriter(Writer):
    """One JSON object per page and line, with `source` and `page`, flushed as each page finishes; an input or
    page that failed is a line with `error` set (`error_record`)."""

    streams = True
    records_errors = True

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        self._record(page_record(result))
        self.pages += 1

    def add_error(self, source: str, page: int | None, message: str) -> None:
        self._record(error_record(source, page, message))

    def _record(self, doc: dict) -> None:
        self._write(json.dumps(doc, ensure_ascii=False) + "\n")
        self.stream.flush()
