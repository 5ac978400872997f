"""`python -m convert check-dict MODEL.onnx DICT.txt`: does the recogniser read each dictionary entry back at
the entry's own class index? A dictionary with one line too many or too few before some entry shifts every
later character by one class; this finds where, before anyone ships the pair.

Each printable single-character entry is rendered inside a short line (Pillow, a TrueType font that has the
glyph; a glyph alone reads poorly without a line around it), recognised, and the classes the greedy CTC decode
picked are compared with the entry's index. Rare glyphs read poorly whatever the dictionary, so the verdict is
statistical: the split point at which reading "index + k" explains the reads better than "index".
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from onnxocr.core.dictionary import apply_corrections, read_dictionary

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "C:/Windows/Fonts")
PREFERRED_FONTS = ("DejaVuSans.ttf", "NotoSansCJK-Regular.ttc", "wqy-zenhei.ttc", "wqy-microhei.ttc", "NanumGothic.ttf")
OK, SHIFTED, MISREAD, SKIPPED = "ok", "shifted", "misread", "skipped"
CONTEXT = "Das {} ist"  # a glyph reads best inside a line; measured on german: 76% of lines before the shift read back



@dataclass(frozen=True)
class EntryCheck:
    line: int  # 1-based line of the dictionary
    entry: str
    read: tuple[int, ...]  # class indices the model emitted (blank = 0)
    verdict: str


@dataclass(frozen=True)
class DictionaryReport:
    checks: tuple[EntryCheck, ...]
    num_classes: int

    @property
    def checked(self) -> list[EntryCheck]:
        return [c for c in self.checks if c.verdict != SKIPPED]

    def ok_fraction(self) -> float:
        checked = self.checked
        return sum(c.verdict == OK for c in checked) / len(checked) if checked else 0.0

    def first_shift(self) -> tuple[int, int] | None:
        """(line, offset): the split that best explains the reads as index + 0 before `line` and index + offset
        from it on (offset != 0), when that beats reading everything at index + 0 by at least 5 entries."""
        checked = self.checked
        hits = {off: np.array([c.line + off in c.read for c in checked], dtype=int) for off in (-2, -1, 0, 1, 2)}
        base = int(hits[0].sum())
        best, best_score = None, base + 4
        for off in (-2, -1, 1, 2):
            before = np.concatenate([[0], np.cumsum(hits[0])])
            after = np.concatenate([np.cumsum(hits[off][::-1])[::-1], [0]])
            scores = before + after
            start = int(scores.argmax())
            if scores[start] > best_score and start < len(checked):
                best, best_score = (checked[start].line, off), int(scores[start])
        return best


def find_font(char: str, fonts: list[Path]):
    """The first font of `fonts` that has a glyph for `char` (Pillow ImageFont), or None."""
    from PIL import ImageFont

    for path in fonts:
        try:
            font = ImageFont.truetype(str(path), 40)
        except OSError:
            continue
        try:
            if font.getmask(char).getbbox() is not None and not _is_notdef(font, char):
                return font
        except Exception:
            continue
    return None


def _is_notdef(font, char: str) -> bool:
    """True when the font draws its 'missing glyph' box for `char` (same mask as a private-use character)."""
    missing = font.getmask("\ue000")
    glyph = font.getmask(char)
    return glyph.size == missing.size and bytes(glyph) == bytes(missing)


def default_fonts() -> list[Path]:
    found = [p for d in FONT_DIRS if Path(d).is_dir() for p in Path(d).rglob("*") if p.suffix.lower() in (".ttf", ".ttc", ".otf")]
    order = {name: i for i, name in enumerate(PREFERRED_FONTS)}
    return sorted(found, key=lambda p: (order.get(p.name, len(order)), str(p)))


def render(text: str, font, height: int) -> np.ndarray:
    """Black text on white, BGR uint8: the font's full line height (as a detector crops a line, so capitals and
    punctuation keep their size relative to the line), horizontally cropped to the ink, scaled to `height` rows."""
    import cv2
    from PIL import Image, ImageDraw

    left, _, right, _ = font.getbbox(text)
    ascent, descent = font.getmetrics()
    image = Image.new("L", (right - left + 24, ascent + descent + 8), 255)
    ImageDraw.Draw(image).text((12 - left, 4), text, font=font, fill=0)
    gray = np.asarray(image)
    scale = height / gray.shape[0]
    gray = cv2.resize(gray, (max(8, int(round(gray.shape[1] * scale))), height), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def check_dictionary(model_path: Path, entries: list[str], fonts: list[Path] | None = None) -> DictionaryReport:
    """Render and read back every printable single-character entry; see the module docstring."""
    import onnxruntime as ort

    from onnxocr.core.crop import resize_normalize_pad

    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape
    height = shape[2] if isinstance(shape[2], int) and shape[2] > 0 else 48
    fixed_width = shape[3] if isinstance(shape[3], int) and shape[3] > 0 else None
    fonts = default_fonts() if fonts is None else fonts
    checks, num_classes = [], 0
    for line, entry in enumerate(entries, start=1):
        font = find_font(entry, fonts) if len(entry) == 1 and entry.isprintable() and not entry.isspace() else None
        if font is None:
            checks.append(EntryCheck(line, entry, (), SKIPPED))
            continue
        crop = render(CONTEXT.format(entry), font, height)
        width = fixed_width or max(height, crop.shape[1])
        probs = session.run(None, {session.get_inputs()[0].name: resize_normalize_pad(crop, height, width)[None]})[0][0]
        num_classes = probs.shape[-1]
        picked = probs.argmax(axis=-1)
        read = tuple(int(i) for k, i in enumerate(picked) if i != 0 and (k == 0 or i != picked[k - 1]))
        if line in read:
            verdict = OK
        elif any(0 < abs(i - line) <= 3 for i in read):
            verdict = SHIFTED
        else:
            verdict = MISREAD
        checks.append(EntryCheck(line, entry, read, verdict))
    return DictionaryReport(tuple(checks), num_classes)


def summary(report: DictionaryReport) -> list[str]:
    checked = report.checked
    lines = [f"{len(checked)} of {len(report.checks)} entries rendered; {report.ok_fraction():.0%} read back at their own index"]
    shift = report.first_shift()
    if shift is not None:
        line, offset = shift
        where = "too few" if offset > 0 else "too many"
        lines.append(f"from line {line} on, the model reads entries at index {offset:+d}: the dictionary has {abs(offset)} "
                     f"entr{'y' if abs(offset) == 1 else 'ies'} {where} before line {line} (a line holding two "
                     "characters, or a missing/extra line)")
    else:
        lines.append("no shift found")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m convert check-dict", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path, help="recogniser .onnx file")
    parser.add_argument("dictionary", type=Path, help="dictionary text file, one entry per line")
    parser.add_argument("--font", type=Path, action="append", help="TrueType font(s) to render with (default: system fonts)")
    parser.add_argument("--catalog-dict", help="apply this models.toml dictionary's corrections first")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every entry that is not read back")
    args = parser.parse_args(argv)
    entries = read_dictionary(args.dictionary)
    if args.catalog_dict:
        from onnxocr.models.catalog import load_catalog

        entries = apply_corrections(entries, load_catalog().dictionaries[args.catalog_dict].corrections, str(args.dictionary))
    report = check_dictionary(args.model, entries, args.font)
    if args.verbose:
        for c in report.checks:
            if c.verdict in (SHIFTED, MISREAD):
                print(f"  line {c.line} {c.entry!r}: {c.verdict}, read {list(c.read)}")
    for line in summary(report):
        print(line)
    return 0 if report.first_shift() is None else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
