"""tesseract's TSV columns: page, block, paragraph, line and word rows."""

from __future__ import annotations

import numpy as np

from onnxocr.io.writers.base import Box, Writer, _clean, bbox_of, line_words
from onnxocr.result import OCRResult

TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width", "height", "conf", "text")


class TsvWriter(Writer):
    """tesseract's TSV: levels 1 page, 2 block, 3 paragraph, 4 line, 5 word; conf -1 except for words (0-100).
    page_num counts the pages of this output; one block and one paragraph per page (no layout analysis)."""

    streams = True

    def begin(self) -> None:
        self._write("\t".join(TSV_COLUMNS) + "\n")

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        self.pages += 1
        n, w, h = self.pages, result.width, result.height
        rows = [(1, n, 0, 0, 0, 0, 0, 0, w, h, -1, "")]
        if result.lines:
            boxes = [bbox_of(line.box, w, h) for line in result.lines]
            area = Box(min(b.left for b in boxes), min(b.top for b in boxes), max(b.right for b in boxes), max(b.bottom for b in boxes))
            rows.append((2, n, 1, 0, 0, 0, area.left, area.top, area.width, area.height, -1, ""))
            rows.append((3, n, 1, 1, 0, 0, area.left, area.top, area.width, area.height, -1, ""))
        for i, (line, box) in enumerate(zip(result.lines, boxes if result.lines else []), start=1):
            rows.append((4, n, 1, 1, i, 0, box.left, box.top, box.width, box.height, -1, ""))
            for j, word in enumerate(line_words(line), start=1):
                wb = bbox_of(word.box, w, h)
                rows.append((5, n, 1, 1, i, j, wb.left, wb.top, wb.width, wb.height, round(100 * float(line.score), 2), _clean(word.text)))
        self._write("".join("\t".join(str(v) for v in row) + "\n" for row in rows))
        self.stream.flush()
