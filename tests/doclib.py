"""Self-rendered documents for the document tests: text set in DejaVu Sans (Debian fonts-dejavu-core) on
letter-sized pages at 300 dpi, saved as multi-page PDF and TIFF by Pillow, plus word-recall scoring."""

from __future__ import annotations

import io
import random
import re
from collections import Counter
from pathlib import Path

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
RENDER_DPI = 300

_WORDS = (
    "river market window paper garden silver yellow number morning letter station winter forest bridge "
    "planet doctor summer orange teacher village mountain pocket butter coffee rabbit candle engine "
    "harbor island jacket ladder meadow needle office pencil quarter rocket saddle tunnel velvet wagon "
    "anchor basket cotton dinner finger hammer kitten lemon marble napkin parrot pillow ribbon shadow"
).split()


def page_lines(seed: int, count: int = 12, words_per_line: int = 6) -> list[str]:
    """Deterministic lines of common English words and numbers (different for each seed)."""
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        words = [rng.choice(_WORDS) for _ in range(words_per_line)]
        words[rng.randrange(words_per_line)] = str(rng.randrange(10, 9999))
        lines.append(" ".join(words).capitalize())
    return lines


def render_text_page(lines: list[str], dpi: int = RENDER_DPI, size_pt: float = 12.0, width_in: float = 8.5, height_in: float = 11.0):
    """A Pillow RGB page with the lines set in DejaVu Sans at `size_pt`, one inch margins."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(DEJAVU), round(size_pt * dpi / 72))
    page = Image.new("RGB", (round(width_in * dpi), round(height_in * dpi)), "white")
    draw = ImageDraw.Draw(page)
    y = dpi
    for line in lines:
        draw.text((dpi, y), line, font=font, fill="black")
        y += round(size_pt * 2 * dpi / 72)
    return page


def make_pdf(pages: list[list[str]], dpi: int = RENDER_DPI) -> bytes:
    """A PDF with one rendered image page per list of lines (page size = image size at `dpi`)."""
    images = [render_text_page(lines, dpi) for lines in pages]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


def make_tiff(pages: list[list[str]], dpi: int = 150) -> bytes:
    """A multi-page TIFF of rendered pages."""
    images = [render_text_page(lines, dpi) for lines in pages]
    buf = io.BytesIO()
    images[0].save(buf, "TIFF", save_all=True, append_images=images[1:], compression="tiff_lzw", dpi=(dpi, dpi))
    return buf.getvalue()


def words_of(text: str) -> list[str]:
    """Lower-case word tokens (letters and digits) of a text."""
    return re.findall(r"[0-9a-z]+", text.lower())


def word_recall(expected: str, got: str) -> float:
    """Share of the expected words (as a multiset) found in `got`."""
    want, have = Counter(words_of(expected)), Counter(words_of(got))
    total = sum(want.values())
    return sum(min(n, have[w]) for w, n in want.items()) / total if total else 1.0


def word_f1(expected: str, got: str) -> float:
    """Word-bag F1 of `got` against the expected text: recall (expected words found) and precision (words read that
    were expected), so missing words, duplicated lines and garbage all lower it. A page read twice scores <= 2/3."""
    want, have = Counter(words_of(expected)), Counter(words_of(got))
    hits = sum(min(n, have[w]) for w, n in want.items())
    if not want or not have:
        return float(want == have)
    recall, precision = hits / sum(want.values()), hits / sum(have.values())
    return 2 * recall * precision / (recall + precision) if hits else 0.0


def lines_to_text(pages: list[list[str]]) -> str:
    return "\n".join(line for lines in pages for line in lines)

