"""ALTO v4 in pixel units: Page > PrintSpace > TextBlock > TextLine > String."""

from __future__ import annotations

from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from onnxocr.io.writers.base import Box, Writer, bbox_of, is_rtl, line_words, text_angle
from onnxocr.result import OCRResult

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"


class AltoWriter(Writer):
    """ALTO v4 (pixel units): Page > PrintSpace > TextBlock (one per paragraph, in reading order) > TextLine > String
    (CONTENT, WC in 0-1), SP between."""

    def __init__(self, stream: BinaryIO, **kwargs) -> None:
        super().__init__(stream, **kwargs)
        self._pages: list[str] = []
        self._sources: list[str] = []

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        self.pages += 1
        n, w, h = self.pages, result.width, result.height
        if result.source and result.source not in self._sources:
            self._sources.append(result.source)
        out = [f'    <Page ID="page_{n}" PHYSICAL_IMG_NR="{n}" WIDTH="{w}" HEIGHT="{h}">\n']
        out.append(f'      <PrintSpace HPOS="0" VPOS="0" WIDTH="{w}" HEIGHT="{h}">\n')
        angle = text_angle(result)
        # ROTATION: the block's content turned this far counterclockwise (ALTO 3.1+); boxes stay page pixels
        rotation = f' ROTATION="{angle}"' if angle else ""
        line_no = 0
        for k, paragraph in enumerate(result.paragraphs, start=1):
            out.append(f'        <TextBlock ID="block_{n}_{k}" {_pos(bbox_of(paragraph.box, w, h))}{rotation}>\n')
            for line in paragraph.lines:
                line_no += 1
                box = bbox_of(line.box, w, h)
                i = line_no
                direction = ' BASEDIRECTION="rtl"' if is_rtl(line.text) else ""
                out.append(f'          <TextLine ID="line_{n}_{i}" {_pos(box)}{direction}>\n')
                words = line_words(line)
                for j, word in enumerate(words, start=1):
                    wb = bbox_of(word.box, w, h)
                    if j > 1:
                        prev = bbox_of(words[j - 2].box, w, h)
                        out.append(_space(prev, wb, angle))
                    wc = min(1.0, max(0.0, float(line.score)))
                    out.append(f'            <String ID="string_{n}_{i}_{j}" {_pos(wb)} CONTENT={quoteattr(word.text)} WC="{wc:.4f}"/>\n')
                out.append("          </TextLine>\n")
            out.append("        </TextBlock>\n")
        out.append("      </PrintSpace>\n    </Page>\n")
        self._pages.append("".join(out))

    def end(self) -> None:
        from onnxocr import __version__

        names = "".join(f"      <fileName>{escape(s)}</fileName>\n" for s in self._sources[:1])
        self._write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<alto xmlns="{ALTO_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="{ALTO_NS} http://www.loc.gov/standards/alto/v4/alto-4-4.xsd">\n'
            "  <Description>\n    <MeasurementUnit>pixel</MeasurementUnit>\n"
            + (f"    <sourceImageInformation>\n{names}    </sourceImageInformation>\n" if names else "")
            + '    <Processing ID="processing_1">\n      <processingCategory>contentGeneration</processingCategory>\n'
            "      <processingSoftware>\n"
            f"        <softwareName>onnxocr</softwareName>\n        <softwareVersion>{__version__}</softwareVersion>\n"
            "      </processingSoftware>\n    </Processing>\n  </Description>\n"
            "  <Layout>\n" + "".join(self._pages) + "  </Layout>\n</alto>\n"
        )


def _pos(box: Box) -> str:
    return f'HPOS="{box.left}" VPOS="{box.top}" WIDTH="{box.width}" HEIGHT="{box.height}"'


def _space(prev: Box, word: Box, angle: int) -> str:
    """The SP between two words: the gap along the way the text runs (right, down, left or up on the page)."""
    if angle == 0:
        gap, hpos, vpos = word.left - prev.right, min(prev.right, word.left), word.top
    elif angle == 180:
        gap, hpos, vpos = prev.left - word.right, min(word.right, prev.left), word.top
    elif angle == 270:  # text runs down the page
        gap, hpos, vpos = word.top - prev.bottom, word.left, min(prev.bottom, word.top)
    else:  # 90: text runs up the page
        gap, hpos, vpos = prev.top - word.bottom, word.left, min(word.bottom, prev.top)
    return f'            <SP WIDTH="{max(0, gap)}" HPOS="{hpos}" VPOS="{vpos}"/>\n'
