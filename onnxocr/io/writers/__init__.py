"""Writers: OCR results as documents -- text, JSON, JSON Lines, tesseract TSV, hOCR, ALTO v4, searchable PDF.

A writer takes one `OCRResult` per page (with its page image for PDF) and writes bytes to a binary stream:
`begin()`, `add(result, image)` per page, `end()`. Streaming formats (text, jsonl, tsv) write and flush each
page as it is added; the others write the whole document at `end()`. One module per format; pixel coordinates
throughout; the pipeline knows nothing of these formats.
"""

from __future__ import annotations

from typing import BinaryIO, Sequence

import numpy as np

from onnxocr.io.writers.alto import AltoWriter
from onnxocr.io.writers.base import Box, Writer, bbox_of, is_rtl, line_words
from onnxocr.io.writers.hocr import HocrWriter
from onnxocr.io.writers.json import JsonLinesWriter, JsonWriter
from onnxocr.io.writers.pdf import PdfWriter
from onnxocr.io.writers.text import TextWriter
from onnxocr.io.writers.tsv import TSV_COLUMNS, TsvWriter
from onnxocr.result import OCRResult

FORMATS = ("text", "json", "jsonl", "tsv", "hocr", "alto", "pdf")
SUFFIX = {"text": ".txt", "json": ".json", "jsonl": ".jsonl", "tsv": ".tsv", "hocr": ".hocr", "alto": ".xml", "pdf": ".pdf"}
NEEDS_WORDS = {"tsv", "hocr", "alto", "pdf"}  # formats with one box per word

WRITERS: dict[str, type[Writer]] = {
    "text": TextWriter,
    "json": JsonWriter,
    "jsonl": JsonLinesWriter,
    "tsv": TsvWriter,
    "hocr": HocrWriter,
    "alto": AltoWriter,
    "pdf": PdfWriter,
}


def make_writer(fmt: str, stream: BinaryIO, *, several: bool = False, lang: str | None = None) -> Writer:
    """The writer for a format name (one of FORMATS)."""
    return WRITERS[fmt](stream, several=several, lang=lang)


def write_document(fmt: str, stream: BinaryIO, results: Sequence[OCRResult], images: Sequence[np.ndarray | None] | None = None) -> None:
    """Write all pages of one document in one call (the Python API's convenience)."""
    writer = make_writer(fmt, stream, several=len({r.source for r in results}) > 1)
    writer.begin()
    for i, result in enumerate(results):
        writer.add(result, images[i] if images else None)
    writer.end()
