"""Searchable PDF out, built with pikepdf (the `pdf` extra): each page is the page image (JPEG) with an invisible
text layer (text render mode 3), one text object per word, stretched to the word's box so that selecting and
`pdftotext` give our text back in place.

The text uses one Type0 font with Identity-H encoding and no glyph program (nothing is ever drawn): each distinct
character gets a CID, and the ToUnicode CMap maps CIDs back to Unicode, so any script extracts correctly.
"""

from __future__ import annotations

import math
from typing import BinaryIO

import cv2
import numpy as np

from onnxocr.errors import OnnxOCRError
from onnxocr.io.writers.base import Writer, line_words
from onnxocr.result import OCRResult

DEFAULT_IMAGE_DPI = 300.0  # page size for images that carry no resolution (the PDF reader's default dpi)
GLYPH_WIDTH = 500  # every CID's advance, in 1/1000 em; words are stretched to their boxes with Tz
JPEG_QUALITY = 85


class SearchablePdf:
    """Collects pages (image + OCRResult) and saves one PDF. Coordinates: image pixels in, PDF points out."""

    def __init__(self) -> None:
        try:
            import pikepdf
        except ImportError:
            raise OnnxOCRError("writing PDF needs pikepdf: pip install 'onnxocr-runtime[pdf]'") from None
        self._pikepdf = pikepdf
        self.pdf = pikepdf.Pdf.new()
        self._cids: dict[str, int] = {}
        self._font = self.pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0))

    def _cid_string(self, text: str) -> bytes:
        out = bytearray()
        for ch in text:
            cid = self._cids.setdefault(ch, len(self._cids) + 1)
            out += cid.to_bytes(2, "big")
        return bytes(out)

    def add_page(self, result: OCRResult, image: np.ndarray | None, dpi: float | None = None, upright: bool = True) -> None:
        """Add one page: `image` BGR uint8 (H, W, 3) of result.width x result.height pixels, or None for a text-only
        page (as ocrmypdf's sandwich renderer wants). `dpi` sets the page size (default DEFAULT_IMAGE_DPI).

        The image and every word stay where they are on the page as given (each word runs along its box, whichever
        way the text runs). A page read turned (result.page_angle 90/180/270) gets the /Rotate that shows it
        upright when `upright` (viewers and pdftotext then read it as an upright page); ocrmypdf's sandwich
        renderer passes False, as ocrmypdf turns its pages itself."""
        pk = self._pikepdf
        scale = 72.0 / (dpi or DEFAULT_IMAGE_DPI)
        width_pt, height_pt = result.width * scale, result.height * scale
        ops: list[str] = []
        resources = pk.Dictionary(Font=pk.Dictionary(F1=self._font))
        if image is not None:
            ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:
                raise OnnxOCRError(f"{result.source}: the page image could not be encoded as JPEG")
            xobject = self.pdf.make_stream(
                jpeg.tobytes(),
                Type=pk.Name.XObject,
                Subtype=pk.Name.Image,
                Width=int(image.shape[1]),
                Height=int(image.shape[0]),
                ColorSpace=pk.Name.DeviceRGB,
                BitsPerComponent=8,
                Filter=pk.Name.DCTDecode,
            )
            resources.XObject = pk.Dictionary(Im1=xobject)
            ops.append(f"q {width_pt:.4f} 0 0 {height_pt:.4f} 0 0 cm /Im1 Do Q")
        ops.append("BT 3 Tr")
        for line in result.lines:
            words = [w for w in line_words(line) if w.text.strip()]
            for i, word in enumerate(words):
                quad = self._to_pdf(word.box, scale, height_pt)
                tl, tr, br, bl = quad
                text = word.text.strip()
                if i + 1 < len(words):  # a real space up to the next word, so text extraction splits words
                    text += " "
                    br = bl + (self._to_pdf(words[i + 1].box, scale, height_pt)[3] - bl)
                dx, dy = br - bl
                length = math.hypot(dx, dy)
                size = math.hypot(*(tl - bl))
                if length < 1e-3 or size < 1e-3:
                    continue
                cos, sin = dx / length, dy / length
                stretch = 100.0 * length / (len(text) * GLYPH_WIDTH / 1000.0 * size)
                ops.append(
                    f"/F1 {size:.3f} Tf {stretch:.3f} Tz {cos:.5f} {sin:.5f} {-sin:.5f} {cos:.5f} {bl[0]:.3f} {bl[1]:.3f} Tm "
                    f"<{self._cid_string(text).hex()}> Tj"
                )
        ops.append("ET")
        page = pk.Page(
            pk.Dictionary(
                Type=pk.Name.Page,
                MediaBox=[0, 0, round(width_pt, 4), round(height_pt, 4)],
                Resources=resources,
                Contents=self.pdf.make_stream("\n".join(ops).encode("ascii")),
            )
        )
        if upright and result.page_angle:  # /Rotate is clockwise: undo the content's clockwise turn
            page.obj.Rotate = (360 - int(result.page_angle)) % 360
        self.pdf.pages.append(page)

    @staticmethod
    def _to_pdf(quad: np.ndarray, scale: float, height_pt: float) -> np.ndarray:
        """A (4, 2) pixel quad (y down) in PDF points (y up)."""
        pts = np.asarray(quad, dtype=np.float64).reshape(4, 2) * scale
        pts[:, 1] = height_pt - pts[:, 1]
        return pts

    def _finish_font(self) -> None:
        pk = self._pikepdf
        descriptor = pk.Dictionary(
            Type=pk.Name.FontDescriptor,
            FontName=pk.Name("/OnnxOCRInvisible"),
            Flags=5,
            FontBBox=[0, -200, GLYPH_WIDTH, 800],
            ItalicAngle=0,
            Ascent=800,
            Descent=-200,
            CapHeight=700,
            StemV=80,
        )
        descendant = pk.Dictionary(
            Type=pk.Name.Font,
            Subtype=pk.Name.CIDFontType2,
            BaseFont=pk.Name("/OnnxOCRInvisible"),
            CIDSystemInfo=pk.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
            FontDescriptor=self.pdf.make_indirect(descriptor),
            DW=GLYPH_WIDTH,
            CIDToGIDMap=pk.Name.Identity,
        )
        self._font.BaseFont = pk.Name("/OnnxOCRInvisible")
        self._font.Encoding = pk.Name("/Identity-H")
        self._font.DescendantFonts = [self.pdf.make_indirect(descendant)]
        self._font.ToUnicode = self.pdf.make_stream(to_unicode_cmap(self._cids))

    def save(self, stream: BinaryIO) -> None:
        """Write the PDF to a binary stream."""
        import io

        self._finish_font()
        buffer = io.BytesIO()  # pikepdf wants a seekable file; our outputs may be stdout or an atomic file
        self.pdf.save(buffer)
        stream.write(buffer.getvalue())


def to_unicode_cmap(cids: dict[str, int]) -> bytes:
    """A ToUnicode CMap mapping each 2-byte CID to its character (UTF-16BE, surrogate pairs outside the BMP)."""
    entries = sorted((cid, ch) for ch, cid in cids.items())
    chunks = []
    for start in range(0, len(entries), 100):  # at most 100 entries per bfchar block
        block = entries[start : start + 100]
        body = "\n".join(f"<{cid:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for cid, ch in block)
        chunks.append(f"{len(block)} beginbfchar\n{body}\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /OnnxOCR-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(chunks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


class PdfWriter(Writer):
    """Searchable PDF: each page image with an invisible text layer, one word per word box (SearchablePdf below)."""

    def __init__(self, stream: BinaryIO, **kwargs) -> None:
        super().__init__(stream, **kwargs)
        self._pdf = SearchablePdf()

    def add(self, result: OCRResult, image: np.ndarray | None = None, dpi: float | None = None) -> None:
        self._pdf.add_page(result, image, dpi)
        self.pages += 1

    def end(self) -> None:
        self._pdf.save(self.stream)
