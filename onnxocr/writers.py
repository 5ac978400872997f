"""Writers: OCR results as documents -- text, JSON, JSON Lines, tesseract TSV, hOCR, ALTO v4, searchable PDF.

A writer takes one `OCRResult` per page (with its page image for PDF) and writes bytes to a binary stream:
`begin()`, `add(result, image)` per page, `end()`. Streaming formats (text, jsonl, tsv) write and flush each
page as it is added; the others write the whole document at `end()`. Pixel coordinates throughout; the pipeline
knows nothing of these formats.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO, Sequence
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from .result import OCRResult, TextLine, WordBox

FORMATS = ("text", "json", "jsonl", "tsv", "hocr", "alto", "pdf")
SUFFIX = {"text": ".txt", "json": ".json", "jsonl": ".jsonl", "tsv": ".tsv", "hocr": ".hocr", "alto": ".xml", "pdf": ".pdf"}
NEEDS_WORDS = {"tsv", "hocr", "alto", "pdf"}  # formats with one box per word


# -- geometry helpers (pure) -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    """An axis-aligned integer box in pixels: left, top, right, bottom (right/bottom exclusive)."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


def bbox_of(quad: np.ndarray, width: int, height: int) -> Box:
    """The axis-aligned box around a (4, 2) quad, clipped to the image."""
    pts = np.asarray(quad, dtype=np.float64).reshape(-1, 2)
    left = int(np.clip(np.floor(pts[:, 0].min()), 0, max(width - 1, 0)))
    top = int(np.clip(np.floor(pts[:, 1].min()), 0, max(height - 1, 0)))
    right = int(np.clip(np.ceil(pts[:, 0].max()), left + 1, max(width, left + 1)))
    bottom = int(np.clip(np.ceil(pts[:, 1].max()), top + 1, max(height, top + 1)))
    return Box(left, top, right, bottom)


MIN_WORD_GAP = 0.25  # of the line height: neighbouring word boxes are kept at least this far apart


def line_words(line: TextLine) -> list[WordBox]:
    """The line's word boxes, kept MIN_WORD_GAP apart so that readers of box formats (pdftotext, ocrmypdf's
    renderer) see the word break; without any (no space recovery, e.g. CJK), the text split on spaces with the
    quad shared out along its length in proportion to each word's characters (one word for a line without spaces)."""
    return _separated(list(line.words) if line.words else _split_line(line), line.box)


def _separated(words: list[WordBox], line_box: np.ndarray) -> list[WordBox]:
    """Pull apart neighbouring words whose boxes touch or overlap along the line (each keeps >= half its width)."""
    if len(words) < 2:
        return words
    tl, tr, _, bl = np.asarray(line_box, dtype=np.float64).reshape(4, 2)[[0, 1, 2, 3]]
    axis = tr - tl
    length = float(np.hypot(*axis))
    if length < 1e-6:
        return words
    axis /= length
    min_gap = MIN_WORD_GAP * float(np.hypot(*(bl - tl)))
    quads = [np.asarray(w.box, dtype=np.float64).reshape(4, 2).copy() for w in words]
    for left, right in zip(quads, quads[1:]):
        gap = float(min(right[[0, 3]] @ axis) - max(left[[1, 2]] @ axis))
        if gap >= min_gap:
            continue
        shift = (min_gap - gap) / 2
        left_w = float(max(left[[1, 2]] @ axis) - min(left[[0, 3]] @ axis))
        right_w = float(max(right[[1, 2]] @ axis) - min(right[[0, 3]] @ axis))
        left[[1, 2]] -= axis * min(shift, left_w / 2)
        right[[0, 3]] += axis * min(shift, right_w / 2)
    return [WordBox(w.text, q.astype(np.float32)) for w, q in zip(words, quads)]


def _split_line(line: TextLine) -> list[WordBox]:
    words = line.text.split()
    if not words:
        return []
    quad = np.asarray(line.box, dtype=np.float32).reshape(4, 2)
    tl, tr, br, bl = quad
    total = len(line.text)
    out, pos = [], 0
    for word in words:
        start = line.text.index(word, pos)
        pos = start + len(word)
        a, b = start / total, pos / total
        out.append(WordBox(word, np.array([tl + (tr - tl) * a, tl + (tr - tl) * b, bl + (br - bl) * b, bl + (br - bl) * a], np.float32)))
    return out


def is_rtl(text: str) -> bool:
    """True when most strongly directional characters of `text` are right-to-left (Arabic, Hebrew, ...)."""
    rtl = ltr = 0
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        rtl += kind in ("R", "AL")
        ltr += kind == "L"
    return rtl > ltr


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ").replace("\f", " ")


# -- writers -------------------------------------------------------------------------------------------------------
class Writer:
    """Base class: subclasses override `add` and possibly `begin`/`end`. `several`: more than one source goes to
    this one output (text adds `==> source <==` headers)."""

    streams = False  # writes each page as it is added

    def __init__(self, stream: BinaryIO, *, several: bool = False, lang: str | None = None) -> None:
        self.stream = stream
        self.several = several
        self.lang = lang
        self.pages = 0

    def begin(self) -> None:
        pass

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        raise NotImplementedError

    def end(self) -> None:
        pass

    def _write(self, text: str) -> None:
        self.stream.write(text.encode("utf-8"))


class TextWriter(Writer):
    """Lines of each page; pages of one source separated by a form feed (as pdftotext does)."""

    streams = True

    def __init__(self, stream: BinaryIO, **kwargs) -> None:
        super().__init__(stream, **kwargs)
        self._source: object = object()

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        body = "".join(_clean(line.text) + "\n" for line in result.lines)
        if result.source != self._source:
            head = ("\n" if self.pages else "") + (f"==> {result.source} <==\n" if self.several else "")
        else:
            head = "\f"
        self._source = result.source
        self.pages += 1
        self._write(head + body)
        self.stream.flush()


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


def _title(**props: object) -> str:
    return "; ".join(f"{k} {v}" for k, v in props.items())


class HocrWriter(Writer):
    """hOCR 1.2 as well-formed XHTML: ocr_page (bbox, ppageno) > ocr_par > ocr_line (bbox, baseline) > ocrx_word
    (bbox, x_wconf); `dir="rtl"` on right-to-left lines and paragraphs."""

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
        if result.lines:
            boxes = [bbox_of(line.box, w, h) for line in result.lines]
            area = Box(min(b.left for b in boxes), min(b.top for b in boxes), max(b.right for b in boxes), max(b.bottom for b in boxes))
            rtl_par = sum(is_rtl(line.text) for line in result.lines) * 2 > len(result.lines)
            area_title = quoteattr(_title(bbox=f"{area.left} {area.top} {area.right} {area.bottom}"))
            out.append(f'   <div class="ocr_carea" id="block_{n + 1}_1" title={area_title}>\n')
            par_dir = ' dir="rtl"' if rtl_par else ""
            out.append(f'    <p class="ocr_par" id="par_{n + 1}_1"{par_dir} title={area_title}>\n')
            for i, (line, box) in enumerate(zip(result.lines, boxes), start=1):
                slope, offset = _baseline(line.box, box)
                line_title = quoteattr(_title(bbox=f"{box.left} {box.top} {box.right} {box.bottom}", baseline=f"{slope:.4f} {offset}", x_size=box.height))
                rtl = ' dir="rtl"' if is_rtl(line.text) else ""
                out.append(f'     <span class="ocr_line" id="line_{n + 1}_{i}"{rtl} title={line_title}>')
                words = []
                for j, word in enumerate(line_words(line), start=1):
                    wb = bbox_of(word.box, w, h)
                    conf = int(round(100 * float(line.score)))
                    word_title = quoteattr(_title(bbox=f"{wb.left} {wb.top} {wb.right} {wb.bottom}", x_wconf=conf))
                    words.append(f'<span class="ocrx_word" id="word_{n + 1}_{i}_{j}" title={word_title}>{escape(word.text)}</span>')
                out.append(" ".join(words) + "</span>\n")
            out.append("    </p>\n   </div>\n")
        out.append("  </div>\n")
        self._body.append("".join(out))

    def end(self) -> None:
        from . import __version__

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


def _baseline(quad: np.ndarray, box: Box) -> tuple[float, int]:
    """hOCR baseline (slope, offset): the quad's bottom edge, offset from the box's bottom-left corner."""
    pts = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    (brx, bry), (blx, bly) = pts[2], pts[3]
    slope = (bry - bly) / (brx - blx) if abs(brx - blx) > 1e-6 else 0.0
    y_at_left = bly + slope * (box.left - blx)
    return float(slope), int(round(min(0.0, y_at_left - box.bottom)))


ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"


class AltoWriter(Writer):
    """ALTO v4 (pixel units): Page > PrintSpace > TextBlock > TextLine > String (CONTENT, WC in 0-1), SP between."""

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
        if result.lines:
            boxes = [bbox_of(line.box, w, h) for line in result.lines]
            area = Box(min(b.left for b in boxes), min(b.top for b in boxes), max(b.right for b in boxes), max(b.bottom for b in boxes))
            out.append(f'        <TextBlock ID="block_{n}_1" {_pos(area)}>\n')
            for i, (line, box) in enumerate(zip(result.lines, boxes), start=1):
                direction = ' BASEDIRECTION="rtl"' if is_rtl(line.text) else ""
                out.append(f'          <TextLine ID="line_{n}_{i}" {_pos(box)}{direction}>\n')
                words = line_words(line)
                for j, word in enumerate(words, start=1):
                    wb = bbox_of(word.box, w, h)
                    if j > 1:
                        prev = bbox_of(words[j - 2].box, w, h)
                        gap = max(0, wb.left - prev.right)
                        out.append(f'            <SP WIDTH="{gap}" HPOS="{min(prev.right, wb.left)}" VPOS="{wb.top}"/>\n')
                    wc = min(1.0, max(0.0, float(line.score)))
                    out.append(f'            <String ID="string_{n}_{i}_{j}" {_pos(wb)} CONTENT={quoteattr(word.text)} WC="{wc:.4f}"/>\n')
                out.append("          </TextLine>\n")
            out.append("        </TextBlock>\n")
        out.append("      </PrintSpace>\n    </Page>\n")
        self._pages.append("".join(out))

    def end(self) -> None:
        from . import __version__

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


class PdfWriter(Writer):
    """Searchable PDF: each page image with an invisible text layer, one word per word box (pdf_writer.py)."""

    def __init__(self, stream: BinaryIO, **kwargs) -> None:
        super().__init__(stream, **kwargs)
        from .pdf_writer import SearchablePdf

        self._pdf = SearchablePdf()

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        self._pdf.add_page(result, image, dpi)
        self.pages += 1

    def end(self) -> None:
        self._pdf.save(self.stream)


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
