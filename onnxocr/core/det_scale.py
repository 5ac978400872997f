"""The detector's input scale chosen from the size of the text, not of the image ("det_scale auto").

Pure geometry on shapes and quads; no model, no file. The detector runs first at a bounded size (the "first
look", at most FIRST_LOOK_PIXELS input pixels). The median height of the text boxes it finds says how tall the
lines are at that scale; when they are materially shorter than the height the detector reads best
(TARGET_LINE_HEIGHT, in detector input pixels), it runs once more at the scale that gives that height, bounded by
the model's own rule and by MAX_PIXELS. Otherwise the first look's boxes are the answer. An image whose model-rule
input already fits MAX_PIXELS (a 1280 x 720 photo, a 100-dpi form, every "max 960" model) is detected
exactly as the model's rule says, in one pass.

Figures (10 FUNSD forms, ~100 dpi, detector scale relative to the native page; box heights are the detector's
unclipped boxes, short side, in detector input pixels): scale 0.5 -> median 8.5 px, word/char-bag F1
0.797 / 0.960; 0.65 -> 10.4 px, 0.816 / 0.981; 0.8 -> 11.2 px, 0.832 / 0.988; 1.0 -> 14 px, 0.828 / 0.986;
1.25 -> 17.5 px, 0.822 / 0.983; 1.6 -> 20.8 px, 0.824 / 0.984. The detector reads best from ~11 to ~14 px and
loses below ~10 px: the target is 12 px and a second pass is run when the first look's median is under
12 / 1.2 = 10 px. Box heights bottom out near 10 px (DB's unclip grows every kernel): on a 300-dpi page of
DejaVu Sans the first look's median is 9.8 px at 3 to 4.5 pt and 10.2 px at 6 pt, so print under ~5 pt gets the
second pass.

Box margins: a line found in the first look comes out with a tighter box, relative to its text, than the same
line found by the detector at the full page size (on FUNSD forms enlarged 3x, 36 against 45 px for one line of
capitals), and a crop that tight loses word gaps in the recogniser ("NUMBEROF PAGESINCLUDINGCOVER"). A scaled
look therefore unclips by SHRUNK_UNCLIP_GAIN x the configured unclip_ratio (PP-OCRv6 small's 1.4 -> 1.68). Word / char-bag F1 on the
first 20 dev FUNSD forms (bench/scans.py corpora): 3x, gain 1.0 0.767 / 0.972, 1.2 0.780 / 0.970, 1.33 0.781 /
0.965, full size 0.774 / 0.970; 2x: 0.790 / 0.971, 0.793 / 0.969, 0.788 / 0.965, full size 0.791 / 0.973; 4x:
0.775, 0.782, 0.783. 300-dpi PDF pages of 8-12 pt print read 1.000 at every gain.

Memory (PP-OCRv6 small det, onnxruntime CPU arena): a 1-megapixel input peaks ~160 MB above the loaded models,
1.8 MP ~340 MB, 2.4 MP ~370 MB. With the models loaded (~150 MB), the page and the recogniser (~95 MB, more for
long lines), a second pass beyond ~1.5 MP would take a whole run past 600 MB: MAX_PIXELS.
"""

from __future__ import annotations

import math

import numpy as np

FIRST_LOOK_PIXELS = 1024 * 1024  # detector input pixels (H' x W') of the first look
MAX_PIXELS = 1216 * 1216  # the largest input a second pass may use: bounds its time and the detector's memory
TARGET_LINE_HEIGHT = 12.0  # median text-box height (detector input px) the detector reads best
RERUN_FACTOR = 1.2  # a second pass only when it would enlarge the first look by more than this
SHRUNK_UNCLIP_GAIN = 1.2  # unclip_ratio x this on a scaled look's map: its boxes come out as tall as the full-size reading's
MIN_BOXES = 3  # fewer boxes than this say nothing about line height: the second pass uses the bound


def fit_shape(height: int, width: int, max_pixels: int) -> tuple[int, int]:
    """(height, width), each a multiple of 32 (at least 32), of the same aspect as the given shape, scaled down
    (never up) so that height x width <= max_pixels."""
    if height * width <= max_pixels:
        scale = 1.0
    else:
        scale = math.sqrt(max_pixels / float(height * width))
    new_h = max(32, int(height * scale) // 32 * 32)
    new_w = max(32, int(width * scale) // 32 * 32)
    if new_h * new_w > max_pixels:  # one side held at 32 (a thin strip): the other takes what is left
        if new_h == 32:
            new_w = max(32, max_pixels // 32 // 32 * 32)
        else:
            new_h = max(32, max_pixels // 32 // 32 * 32)
    return new_h, new_w


def box_heights(boxes: np.ndarray) -> np.ndarray:
    """Short side of each quad (N, 4, 2) in its own pixels: the height of a text line's box. float64 (N,)."""
    quads = np.asarray(boxes, dtype=np.float64).reshape(-1, 4, 2)
    if not len(quads):
        return np.zeros((0,), dtype=np.float64)
    top = np.linalg.norm(quads[:, 1] - quads[:, 0], axis=1)
    left = np.linalg.norm(quads[:, 3] - quads[:, 0], axis=1)
    return np.minimum(top, left)


def second_look_shape(
    model_shape: tuple[int, int], first_shape: tuple[int, int], heights: np.ndarray
) -> tuple[int, int] | None:
    """The detector input shape for a second pass, or None when the first look's boxes stand.

    model_shape: the input the model's own rule gives the image (the upper bound, with MAX_PIXELS);
    first_shape: the first look's input; heights: text-box heights measured at the first look's scale.
    Fewer than MIN_BOXES boxes: the second pass uses the bound (text too small to be found at the first look,
    or a blank page, which then costs one more pass). Never smaller than the first look.
    """
    bound = fit_shape(model_shape[0], model_shape[1], MAX_PIXELS)
    if bound[0] * bound[1] <= first_shape[0] * first_shape[1]:
        return None
    heights = np.asarray(heights, dtype=np.float64)
    if len(heights) < MIN_BOXES:
        return bound
    median = float(np.median(heights))
    if median * RERUN_FACTOR >= TARGET_LINE_HEIGHT:
        return None
    enlarge = TARGET_LINE_HEIGHT / max(median, 1.0)
    want_h = int(round(first_shape[0] * enlarge / 32)) * 32
    want_w = int(round(first_shape[1] * enlarge / 32)) * 32
    if want_h * want_w >= bound[0] * bound[1]:
        return bound
    return want_h, want_w


def first_look_shape(model_shape: tuple[int, int]) -> tuple[int, int] | None:
    """The first look's input shape, or None when the model's rule input is already within MAX_PIXELS, the most
    a second pass may use: the image is then detected once, exactly as the model's rule says (a shrunken look
    there saves little and moves its boxes by a few pixels, which changed how pdftotext grouped two columns)."""
    if model_shape[0] * model_shape[1] <= MAX_PIXELS:
        return None
    return fit_shape(model_shape[0], model_shape[1], FIRST_LOOK_PIXELS)
