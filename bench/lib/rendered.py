"""Text lines and pages rendered from the UDHR corpora in ../shared/data/corpora (Pillow + system fonts), for
the seed-model tests and `make parity --model-set LANG`. Pure functions; images are BGR uint8."""

from __future__ import annotations

from pathlib import Path

import numpy as np

FONTS = {
    "latin": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Latin, Cyrillic
    "korean": "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "japan": "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
}
CJK_CORPORA = ("_ja.txt", "_zh-Hans.txt", "_zh-Hant.txt", "_ko.txt")
# catalog language -> (UDHR corpus file, font kind)
LANGUAGE_CORPORA = {
    "french": ("udhr_fr.txt", "latin"), "german": ("udhr_de.txt", "latin"), "es": ("udhr_es.txt", "latin"),
    "it": ("udhr_it.txt", "latin"), "pt": ("udhr_pt-PT.txt", "latin"), "ru": ("udhr_ru.txt", "latin"),
    "korean": ("udhr_ko.txt", "korean"), "japan": ("udhr_ja.txt", "japan"), "en": ("udhr_en.txt", "latin"),
}


class FontMissing(RuntimeError):
    """A font the renderer needs is not installed (`make fonts` installs them)."""


def font(kind: str, size: int = 36):
    from PIL import ImageFont

    path = Path(FONTS[kind])
    if not path.is_file():
        raise FontMissing(f"font {path} missing: `make fonts` installs fonts-dejavu-core, fonts-nanum, fonts-wqy-zenhei")
    return ImageFont.truetype(str(path), size)


def render_text_line(text: str, kind: str) -> np.ndarray:
    """`text` black on white: the font's full line height plus a margin, cropped to the ink horizontally."""
    from PIL import Image, ImageDraw

    face = font(kind)
    left, _, right, _ = face.getbbox(text)
    ascent, descent = face.getmetrics()
    image = Image.new("RGB", (right - left + 16, ascent + descent + 8), "white")
    ImageDraw.Draw(image).text((8 - left, 4), text, font=face, fill="black")
    return np.asarray(image)[:, :, ::-1].copy()


def render_page(lines: list[str], kind: str, gap: int = 30, margin: int = 40) -> np.ndarray:
    """The lines left-aligned one below the other on a white page."""
    rows = [render_text_line(t, kind) for t in lines]
    page = np.full((sum(r.shape[0] + gap for r in rows) + 2 * margin, max(r.shape[1] for r in rows) + 2 * margin, 3),
                   255, np.uint8)
    y = margin
    for row in rows:
        page[y : y + row.shape[0], margin : margin + row.shape[1]] = row
        y += row.shape[0] + gap
    return page


def corpus_lines(corpus_dir: Path, corpus: str, count: int = 8, max_chars: int = 28, skip: int = 0) -> list[str]:
    """Short lines cut at word boundaries from a UDHR text (CJK: fixed-length slices), after the title block."""
    text = " ".join((Path(corpus_dir) / corpus).read_text(encoding="utf-8").split())
    cjk = corpus.endswith(CJK_CORPORA[:3])
    lines, start = [], len(text) // 5
    while len(lines) < count + skip and start < len(text):
        piece = text[start : start + max_chars]
        if not cjk and " " in piece:
            piece = piece[: piece.rfind(" ")]
        if piece.strip():
            lines.append(piece.strip())
        start += len(piece) + 1
    return lines[skip:]
