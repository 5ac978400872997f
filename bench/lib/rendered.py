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


# -- pages with a known layout (bench/layout.py, tests/onnxocr/test_layout.py) ---------------------------------
from dataclasses import dataclass  # noqa: E402


@dataclass(frozen=True)
class LayoutPage:
    """A rendered page and its text in true reading order: `paragraphs` (the title first, when there is one),
    each a string of words separated by single spaces (vertical pages: one string per column, no spaces)."""

    name: str
    image: np.ndarray  # BGR uint8 (H, W, 3)
    paragraphs: tuple[str, ...]
    vertical: bool = False


def corpus_words(corpus_dir: Path, corpus: str) -> list[str]:
    """The words of a UDHR text after its title block (the first fifth)."""
    words = (Path(corpus_dir) / corpus).read_text(encoding="utf-8").split()
    return words[len(words) // 5 :]


def _wrap(words: list[str], face, width: float, indent: float) -> list[str]:
    """Greedy line breaking at word boundaries; the first line is `indent` pixels narrower."""
    lines: list[str] = []
    current: list[str] = []
    for word in words:
        room = width - (indent if not lines else 0.0)
        if current and face.getlength(" ".join(current + [word])) > room:
            lines.append(" ".join(current))
            current = []
        current.append(word)
    if current:
        lines.append(" ".join(current))
    return lines


def render_columns_page(words: list[str], columns: int, *, name: str = "", paragraphs_per_column: int = 3,
                        words_per_paragraph: tuple[int, ...] = (34, 26, 40), title_words: int = 6,
                        kind: str = "latin", size: int = 24, width: int = 1700, margin: int = 100,
                        gutter: int = 60, indent: int | None = None) -> LayoutPage:
    """A title across the page over `columns` columns of paragraphs (first lines indented by `indent` pixels,
    default two font sizes, a half-line gap between paragraphs), left-aligned, from consecutive `words`. Paragraph
    lengths cycle through words_per_paragraph; title_words=0 leaves the title out."""
    from PIL import Image, ImageDraw

    body, title_face = font(kind, size), font(kind, int(size * 1.6))
    leading = int(size * 1.45)
    indent = 2 * size if indent is None else indent
    column_width = (width - 2 * margin - (columns - 1) * gutter) / columns
    pos = 0
    title = " ".join(words[pos : pos + title_words])
    pos += title_words
    laid_out: list[list[list[str]]] = []  # per column, per paragraph, its lines
    paragraphs: list[str] = [title] if title else []
    for c in range(columns):
        laid_out.append([])
        for p in range(paragraphs_per_column):
            count = words_per_paragraph[(c * paragraphs_per_column + p) % len(words_per_paragraph)]
            chunk = words[pos : pos + count]
            pos += count
            laid_out[-1].append(_wrap(chunk, body, column_width, indent))
            paragraphs.append(" ".join(chunk))
    top = margin + (int(size * 1.6 * 1.6) + leading if title else 0)
    column_heights = [sum(len(par) * leading for par in col) + (len(col) - 1) * leading // 2 for col in laid_out]
    image = Image.new("RGB", (width, top + max(column_heights) + margin), "white")
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((margin, margin), title, font=title_face, fill="black")
    for c, col in enumerate(laid_out):
        x, y = margin + c * (column_width + gutter), top
        for par in col:
            for k, line in enumerate(par):
                draw.text((x + (indent if k == 0 else 0), y), line, font=body, fill="black")
                y += leading
            y += leading // 2
    return LayoutPage(name or f"{columns}col", np.asarray(image)[:, :, ::-1].copy(), tuple(paragraphs))


def render_vertical_page(text: str, *, name: str = "vertical", columns: int = 6, chars_per_column: int = 14,
                         kind: str = "japan", size: int = 40, margin: int = 80) -> LayoutPage:
    """CJK text set vertically: each column top to bottom, the columns right to left (as a Japanese book), from
    the characters of `text` (spaces dropped). `paragraphs` holds one string per column in reading order."""
    from PIL import Image, ImageDraw

    chars = [c for c in text if not c.isspace()]
    face = font(kind, size)
    cell, pitch = int(size * 1.1), int(size * 1.9)
    width, height = 2 * margin + columns * pitch, 2 * margin + chars_per_column * cell
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    cols = []
    for c in range(columns):
        piece = chars[c * chars_per_column : (c + 1) * chars_per_column]
        cols.append("".join(piece))
        x = width - margin - (c + 1) * pitch + (pitch - size) // 2
        for k, ch in enumerate(piece):
            draw.text((x, margin + k * cell), ch, font=face, fill="black")
    return LayoutPage(name, np.asarray(image)[:, :, ::-1].copy(), tuple(cols), vertical=True)


def scanned(page: LayoutPage, angle: float = 1.5, noise: float = 12.0, seed: int = 0) -> LayoutPage:
    """The page turned by `angle` degrees (counter-clockwise, white fill) with Gaussian noise of this sigma, as a
    slightly crooked scan."""
    import cv2

    h, w = page.image.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    image = cv2.warpAffine(page.image, turn, (w, h), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    grain = np.random.default_rng(seed).normal(0.0, noise, image.shape[:2])[:, :, None]
    image = np.clip(image.astype(np.float32) + grain, 0, 255).astype(np.uint8)
    return LayoutPage(page.name, image, page.paragraphs, page.vertical)
