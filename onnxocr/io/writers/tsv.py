"""tesseract's TSV columns: page, block, paragraph, line and word rows."""

from __future__ import annotations

import numpy as np

from onnxocr.io.writers.base import Writer, _clean, bbox_of, line_words
from onnxocr.result import OCRResult

TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width", "height", "conf", "text")


class TsvWriter(Writer):
    """tesseract's TSV: levels 1 page, 2 block, 3 paragraph, 4 line, 5 word; conf -1 except for words (0-100).
    page_num counts the pages of this output; block_num counts the page's blocks from 1, par_num the block's
    paragraphs, line_num the paragraph's lines and word_num the line's words, all in reading order (as tesseract)."""

    streams = True

    def begin(self) -> None:
        self._write("\t".join(TSV_COLUMNS) + "\n")

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        self.pages += 1
        n, w, h = self.pages, result.width, result.height
        rows = [(1, n, 0, 0, 0, 0, 0, 0, w, h, -1, "")]
        for b, block in enumerate(result.layout_blocks(), start=1):
            area = bbox_of(block.box, w, h)
            rows.append((2, n, b, 0, 0, 0, area.left, area.top, area.width, area.height, -1, ""))
            for p, paragraph in enumerate(block.paragraphs, start=1):
                area = bbox_of(paragraph.box, w, h)
                rows.append((3, n, b, p, 0, 0, area.left, area.top, area.width, area.height, -1, ""))
                for i, line in enumerate(paragraph.lines, start=1):
                    box = bbox_of(line.box, w, h)
                    rows.append((4, n, b, p, i, 0, box.left, box.top, box.width, box.height, -1, ""))
                    for j, word in enumerate(line_words(line), start=1):
                        wb = bbox_of(word.box, w, h)
                        rows.append((5, n, b, p, i, j, wb.left, wb.top, wb.width, wb.height, round(100 * float(line.score), 2), _clean(word.text)))
        self._write("".join("\t".join(str(v) for v in row) + "\n" for row in rows))
        self.stream.flush()
