"""hOCR 1.2 (XHTML): ocr_page > ocr_carea > ocr_par > ocr_line > ocrx_word."""

from __future__ import annotations

import json
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from onnxocr.io.writers.base import Box, Writer, bbox_of, is_rtl, line_words, text_angle, text_height
from onnxocr.result import OCRResult


def _title(**props: object) -> str:
    return "; ".join(f"{k} {v}" for k, v in props.items())


class HocrWriter(Writer):
    """hOCR 1.2 as well-formed XHTML: ocr_page (bbox, ppageno) > ocr_carea (one per block) > ocr_par > ocr_line (bbox,
    baseline) > ocrx_word (bbox, x_wconf); `dir="rtl"` on right-to-left lines and paragraphs. On a page read turned
    (page_angle 90/180/270) every line says `textangle` (counterclockwise degrees, as tesseract writes it) instead of
    a baseline, and its words come in reading order; all boxes are in the page image's pixels as given."""

    def __init__(self, stream: BinaryIO, **kwargs) -> None:
        super().__init__(stream, **kwargs)
        self._body: list[str] = []

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        n, w, h = self.pages, result.width, result.height
        self.pages += 1
        page_props = {"image": json.dumps(result.source or ""), "bbox": f"0 0 {w} {h}", "ppageno": n}
        if dpi:
            page_props["scan_res"] = f"{round(dpi)} {round(dpi)}"
        out = [f'  <div class="ocr_page" id="page_{n + 1}" title={quoteattr(_title(**page_props))}>\n']
        angle = text_angle(result)
        line_no = 0
        par_no = 0
        for b, block in enumerate(result.layout_blocks(), start=1):
            out.append(f'   <div class="ocr_carea" id="block_{n + 1}_{b}" title={_bbox_title(bbox_of(block.box, w, h))}>\n')
            for paragraph in block.paragraphs:
                par_no += 1
                rtl_par = sum(is_rtl(line.text) for line in paragraph.lines) * 2 > len(paragraph.lines)
                par_dir = ' dir="rtl"' if rtl_par else ""
                out.append(f'    <p class="ocr_par" id="par_{n + 1}_{par_no}"{par_dir} title={_bbox_title(bbox_of(paragraph.box, w, h))}>\n')
                for line in paragraph.lines:
                    line_no += 1
                    out.append(self._line(line, n, line_no, w, h, angle))
                out.append("    </p>\n")
            out.append("   </div>\n")
        out.append("  </div>\n")
        self._body.append("".join(out))

    @staticmethod
    def _line(line, n: int, i: int, w: int, h: int, angle: int = 0) -> str:
        box = bbox_of(line.box, w, h)
        if angle:  # a turned page: the bbox is the page's, the text runs at textangle (tesseract's way)
            line_title = quoteattr(_title(bbox=f"{box.left} {box.top} {box.right} {box.bottom}", textangle=angle,
                                          x_size=int(round(text_height(line.box)))))
        else:
            slope, offset = _baseline(line.box, box)
            line_title = quoteattr(_title(bbox=f"{box.left} {box.top} {box.right} {box.bottom}", baseline=f"{slope:.4f} {offset}", x_size=box.height))
        rtl = ' dir="rtl"' if is_rtl(line.text) else ""
        words = []
        for j, word in enumerate(line_words(line), start=1):
            wb = bbox_of(word.box, w, h)
            conf = int(round(100 * float(line.score)))
            word_title = quoteattr(_title(bbox=f"{wb.left} {wb.top} {wb.right} {wb.bottom}", x_wconf=conf))
            words.append(f'<span class="ocrx_word" id="word_{n + 1}_{i}_{j}" title={word_title}>{escape(word.text)}</span>')
        return f'     <span class="ocr_line" id="line_{n + 1}_{i}"{rtl} title={line_title}>' + " ".join(words) + "</span>\n"

    def end(self) -> None:
        from onnxocr import __version__

        lang = f' xml:lang="{self.lang}" lang="{self.lang}"' if self.lang else ""
        self._write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml"{lang}>\n <head>\n  <title></title>\n'
            '  <meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n'
            f'  <meta name="ocr-system" content="onnxocr {__version__}"/>\n'
            '  <meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_par ocr_line ocrx_word"/>\n'
            " </head>\n <body>\n" + "".join(self._body) + " </body>\n</html>\n"
        )


def _bbox_title(box: Box) -> str:
    return quoteattr(_title(bbox=f"{box.left} {box.top} {box.right} {box.bottom}"))


def _baseline(quad: np.ndarray, box: Box) -> tuple[float, int]:
    """hOCR baseline (slope, offset): the quad's bottom edge, offset from the box's bottom-left corner."""
    pts = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    (brx, bry), (blx, bly) = pts[2], pts[3]
    slope = (bry - bly) / (brx - blx) if abs(brx - blx) > 1e-6 else 0.0
    y_at_left = bly + slope * (box.left - blx)
    return float(slope), int(round(min(0.0, y_at_left - box.bottom)))
