"""PDF pages as images, rendered by pypdfium2 (the `pdf` extra): one BGR uint8 array per selected page.

Each page's pixel size at the chosen dpi is checked against the pixel limit before it is rendered; a page over
the limit, or one PDFium cannot render, is a PageError naming the file and page, and the other pages still come.
"""

from __future__ import annotations

import io
import threading
from typing import Iterator

import numpy as np

from onnxocr.errors import first_line
from onnxocr.io.pages import Page, PageError, PageItem, page_selected


# PDFium is not thread-safe, not even across documents (pypdfium2's documentation): every call into it holds this
# lock, and none is held while a page is handed out, so threads OCR-ing pages of PDFs (onnxocr serve) only queue
# for the parsing and rendering themselves.
_PDFIUM = threading.RLock()


def read_pdf_pages(
    data: bytes,
    name: str,
    *,
    dpi: float,
    ranges: list[tuple[int, int | None]] | None = None,
    max_pixels: int | None = None,
) -> Iterator[PageItem]:
    """Render the selected pages of a PDF held in `data` at `dpi` (BGR uint8 (H, W, 3) per page)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        yield PageError(name, None, f"{name}: reading PDF needs pypdfium2: pip install 'onnxocr-runtime[pdf]'")
        return
    try:
        with _PDFIUM:
            document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        yield PageError(name, None, f"{name}: {_why_unreadable(data, exc)}")
        return
    try:
        with _PDFIUM:
            count = len(document)
        if count == 0:
            yield PageError(name, None, f"{name}: PDF has no pages")
            return
        scale = dpi / 72.0
        for index in range(count):
            number = index + 1
            if not page_selected(number, ranges):
                continue
            with _PDFIUM:
                item = _render_page(pdfium, document, index, name, scale, dpi, max_pixels)
            if isinstance(item, Page):
                item = Page(source=name, page=number, image=item.image, dpi=float(dpi), page_count=count)
            yield item
    finally:
        with _PDFIUM:
            document.close()


def _render_page(pdfium, document, index: int, name: str, scale: float, dpi: float, max_pixels: int | None) -> PageItem:
    """One page rendered (a Page without its count), or the PageError saying why not. Call holding _PDFIUM."""
    number = index + 1
    where = f"{name} page {number}"
    try:
        page = document[index]
    except pdfium.PdfiumError as exc:
        return PageError(name, number, f"{where}: cannot be loaded ({exc})")
    try:
        width_pt, height_pt = page.get_size()
        if page.get_rotation() in (90, 270):
            width_pt, height_pt = height_pt, width_pt
        width, height = round(width_pt * scale), round(height_pt * scale)
        if width < 1 or height < 1:
            return PageError(name, number, f"{where}: page is empty ({width_pt:g}x{height_pt:g} pt)")
        if max_pixels and width * height > max_pixels:
            return PageError(
                name,
                number,
                f"{where}: {width_pt / 72:g}x{height_pt / 72:g} inches at {dpi:g} dpi = {width}x{height} = "
                f"{width * height} pixels exceeds the limit of {max_pixels} (lower --dpi, or raise --max-pixels "
                "if this file is trusted)",
            )
        try:
            bitmap = page.render(scale=scale, may_draw_forms=True)
            try:
                image = _to_bgr(bitmap.to_numpy(), bitmap.mode)
                if image.base is not None:  # a view of PDFium's buffer: own the pixels before the bitmap is closed
                    image = image.copy()
            finally:
                bitmap.close()  # here, under the lock, not later by the garbage collector on any thread
        except pdfium.PdfiumError as exc:
            return PageError(name, number, f"{where}: cannot be rendered ({exc})")
        return Page(source=name, page=number, image=image, dpi=float(dpi))
    finally:
        page.close()


def _to_bgr(array: np.ndarray, mode: str) -> np.ndarray:
    """PDFium's bitmap (BGR, BGRA, BGRX or L) -> contiguous BGR uint8 (H, W, 3)."""
    if array.ndim == 2:
        return np.ascontiguousarray(np.repeat(array[:, :, None], 3, axis=2))
    if mode in ("RGB", "RGBA", "RGBX"):
        array = array[:, :, 2::-1] if array.shape[2] >= 3 else array
    return np.ascontiguousarray(array[:, :, :3])


def _why_unreadable(data: bytes, exc: Exception) -> str:
    """Why PDFium refused a PDF. PDFium's error code can be stale (it reports no error for a PDF without pages),
    so pikepdf (the same `pdf` extra) tells encrypted and page-less files from damaged ones."""
    try:
        import pikepdf
    except ImportError:
        return f"cannot be opened as a PDF ({first_line(exc, default='PDFium error')})"
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) == 0:
                return "PDF has no pages"
    except pikepdf.PasswordError:
        return "is encrypted (password protected); decrypt it first, e.g. `qpdf --decrypt --password=... in.pdf out.pdf`"
    except Exception:  # noqa: BLE001 - any parse failure means the same thing to the user
        pass
    return "is not a readable PDF (truncated or corrupt); re-download it, or repair it (e.g. `qpdf in.pdf repaired.pdf`)"
