"""Word gaps from the CTC alignment: put back spaces the model did not emit, and give each word a box.

A space is inserted between two consecutive characters when the model's space class came close to winning
between their CTC timesteps (or, for models without a space class, when the crop has a wide run of ink-free
columns there). Pure functions of numpy arrays.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from onnxocr.core.crop import ink_columns, is_vertical, quad_crop_size
from onnxocr.core.detection import order_quad_clockwise
from onnxocr.core.recognition import RecognizedText, Word

NARROW_GLYPHS = frozenset("Iijl1|!")
NARROW_ALLOWANCE = 0.25  # extra gap, x line height, per narrow neighbour in letter-spaced (monospace-like) lines
NARROW_ALLOWANCE_PROPORTIONAL = 0.1  # the same in proportionally spaced lines (FUNSD word-bag F1 0.630 -> 0.638)
LETTER_SPACED = 0.15  # a line whose median gap between characters is >= this x height is letter-spaced
MEDIAN_GAP_FACTOR = 2.2


HANGUL_RANGES = ((0x1100, 0x1200), (0x3130, 0x3190), (0xA960, 0xA980), (0xAC00, 0xD7B0), (0xD7B0, 0xD800))
# Hangul lines: every syllable is its own ink blob, so the line's median gap is the gap between syllables; a word
# space is at least HANGUL_GAP_FACTOR x that and HANGUL_MIN_GAP x the crop height (NanumGothic, UDHR Korean:
# syllable gaps 1-8 px, word gaps 12-18 px in 51 px crops)
HANGUL_GAP_FACTOR = 1.5
HANGUL_MIN_GAP = 0.15


def is_hangul(token: str) -> bool:
    """True for a Hangul syllable or jamo."""
    return bool(token) and all(any(lo <= ord(c) < hi for lo, hi in HANGUL_RANGES) for c in token)


def _spaced_char(c: str) -> bool:
    code = ord(c)
    if code < HANGUL_RANGES[0][0]:  # Latin, Greek, Cyrillic, Arabic, Indic...: the common case, decided at once
        return True
    if any(lo <= code < hi for lo, hi in HANGUL_RANGES):
        return True  # Korean separates words with spaces
    return code < 0x2E80 or 0xA000 <= code < 0xAC00  # not CJK ideographs, kana, CJK symbols or fullwidth forms


def spaced_script(token: str) -> bool:
    """True for characters of scripts that separate words with spaces: Latin, Cyrillic, Hangul... (not CJK
    ideographs, kana or fullwidth forms)."""
    return bool(token) and all(_spaced_char(c) for c in token)


def _longest_blank_run(blank: np.ndarray) -> tuple[int, int]:
    """(start, length) of the longest run of True values; (0, 0) when none."""
    best_start, best_len, start = 0, 0, None
    for i, value in enumerate(np.asarray(blank).tolist() + [False]):  # Python bools: the loop runs on short gaps
        if value and start is None:
            start = i
        elif not value and start is not None:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = None
    return best_start, best_len


def recover_spaces(rec: RecognizedText, crop: np.ndarray, gap_ratio: float, min_space_prob: float) -> RecognizedText:
    """Insert the word gaps the greedy decode missed and fill in `words` (x extents in crop pixels).

    Only between two characters of space-separated scripts. When the model has a space class (`rec.space_scores`),
    a gap becomes a space when that class reached `min_space_prob` anywhere between the two characters' timesteps:
    the model saw a likely space but the blank or a letter won the argmax. Models without a space class fall back to
    the ink rule: an ink-free run of at least gap_ratio x crop height and MEDIAN_GAP_FACTOR x the line's median
    gap, raised by NARROW_ALLOWANCE (letter-spaced lines) or NARROW_ALLOWANCE_PROPORTIONAL x height per narrow
    neighbour (I, l, 1, ...), since fonts pad narrow glyphs with wide blank bearings. In mostly-Hangul lines a
    gap also becomes a space by the Hangul ink rule (`_hangul_rule`), whether or not the model has a space class.
    Right-to-left output and results without alignment are returned unchanged.
    """
    if not rec.tokens or rec.right_to_left or rec.timesteps == 0 or rec.content_width == 0:
        return rec
    crop_h, crop_w = crop.shape[:2]
    px_per_step = rec.input_width / rec.timesteps * crop_w / rec.content_width  # crop pixels per timestep
    centers = [(p + 0.5) * px_per_step for p in rec.positions]
    ink = ink_columns(crop)
    gaps: dict[int, tuple[float, float]] = {}  # token index i -> (x, length) of the widest blank run before it
    for i in range(1, len(rec.tokens)):
        if not (spaced_script(rec.tokens[i]) and spaced_script(rec.tokens[i - 1])) or " " in (rec.tokens[i], rec.tokens[i - 1]):
            continue
        lo, hi = int(np.ceil(centers[i - 1])), int(np.floor(centers[i]))
        start, length = _longest_blank_run(~ink[lo:hi]) if hi > lo else (0, 0)
        gaps[i] = (float(lo + start), float(length)) if length else ((centers[i - 1] + centers[i]) / 2, 0.0)
    if rec.space_scores:
        spaces = {i for i in gaps if rec.space_scores[i] >= min_space_prob}
    else:
        spaces = set() if _mostly_hangul(rec.tokens) else _ink_rule(rec.tokens, gaps, gap_ratio * crop_h, crop_h)
    if _mostly_hangul(rec.tokens):  # the model's space class misses most Korean word gaps: the ink shows them
        spaces |= _hangul_rule(gaps, crop_h)
    pieces: list[str] = []
    words: list[Word] = []
    current, current_x0 = "", max(0.0, centers[0] - px_per_step)

    def close_word(x1: float, next_x0: float) -> None:
        nonlocal current, current_x0
        if current:
            words.append(Word(current, current_x0, x1))
        current, current_x0 = "", next_x0

    for i, token in enumerate(rec.tokens):
        if token == " ":
            close_word(centers[i], centers[i])
            pieces.append(token)
            continue
        if i in spaces:
            x, length = gaps[i]
            close_word(x, x + length)
            pieces.append(" ")
        current += token
        pieces.append(token)
    close_word(min(float(crop_w), centers[-1] + px_per_step), 0.0)
    return dataclasses.replace(rec, text="".join(pieces), words=tuple(words))


def _mostly_hangul(tokens: tuple[str, ...]) -> bool:
    return sum(is_hangul(t) for t in tokens) * 2 > len(tokens)


def _hangul_rule(gaps: dict[int, tuple[float, float]], crop_h: int) -> set[int]:
    """Token indices that get a space before them in a Hangul line: an ink gap of at least HANGUL_GAP_FACTOR x the
    line's median gap between characters and HANGUL_MIN_GAP x the crop height."""
    lengths = [length for _, length in gaps.values()]
    if not lengths:
        return set()
    threshold = max(HANGUL_MIN_GAP * crop_h, HANGUL_GAP_FACTOR * float(np.median(lengths)))
    return {i for i, (_, length) in gaps.items() if length >= threshold}


def _ink_rule(tokens: tuple[str, ...], gaps: dict[int, tuple[float, float]], min_gap: float, crop_h: int) -> set[int]:
    """Token indices that get a space before them by ink-gap width alone (see recover_spaces)."""
    lengths = [length for _, length in gaps.values()]
    if not lengths:
        return set()
    median = float(np.median(lengths))
    threshold = max(min_gap, MEDIAN_GAP_FACTOR * median)
    allowance = (NARROW_ALLOWANCE if median >= LETTER_SPACED * crop_h else NARROW_ALLOWANCE_PROPORTIONAL) * crop_h
    spaces = set()
    for i, (_, length) in gaps.items():
        narrow = (tokens[i - 1] in NARROW_GLYPHS) + (tokens[i] in NARROW_GLYPHS)
        if length >= threshold + narrow * allowance:
            spaces.add(i)
    return spaces


def word_quads(line_box: np.ndarray, rec: RecognizedText, crop: np.ndarray, turned: bool = False) -> list[np.ndarray]:
    """Map each word's crop x extent back onto the line's quad (TL, TR, BR, BL) by linear interpolation.

    Follows the turns the crop went through: 90 degrees counter-clockwise for vertical lines (crop_quad's
    np.rot90), and 180 degrees when the angle classifier turned it (`turned`). Each word quad is ordered like the
    line boxes: clockwise from its top-left corner in image coordinates.
    """
    quad = np.asarray(line_box, dtype=np.float32).reshape(4, 2)
    tl, tr, br, bl = quad
    crop_w = max(crop.shape[1], 1)
    if is_vertical(*quad_crop_size(quad)):
        # np.rot90 turned the crop counter-clockwise: its x runs from the quad's top edge down, its top edge is
        # the quad's right edge (TR -> BR) and its bottom edge the quad's left edge (TL -> BL)
        start_a, end_a, start_b, end_b = tr, br, tl, bl
    else:
        start_a, end_a, start_b, end_b = tl, tr, bl, br
    if turned:  # upside down: x runs from the far end, along the opposite edge
        start_a, end_a, start_b, end_b = end_b, start_b, end_a, start_a
    out = []
    for word in rec.words:
        f0, f1 = np.clip([word.x0 / crop_w, word.x1 / crop_w], 0.0, 1.0)
        a0, a1 = start_a + f0 * (end_a - start_a), start_a + f1 * (end_a - start_a)
        b0, b1 = start_b + f0 * (end_b - start_b), start_b + f1 * (end_b - start_b)
        out.append(order_quad_clockwise(np.array([a0, a1, b1, b0], dtype=np.float32)))
    return out
