"""Image decoding fails closed and is bounded; transparency contrasts with the ink; orientation for TIFF/WebP."""

from __future__ import annotations

import io
import subprocess
import sys

import cv2
import numpy as np
import pytest

from onnxocr.errors import ImageLoadError
from onnxocr.io.images import header_size, load_image

from testlib import REPO, render_line

import PIL.Image as PIL  # a runtime dependency: missing is a failure, never a skip


def encode(ext: str, image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


def stray_byte_jpeg(image: np.ndarray) -> bytes:
    data = encode(".jpg", image)
    sof = data.index(b"\xff\xc0")
    return data[:sof] + b"\x00" + data[sof:]


def test_a_stray_byte_before_sof0_still_gives_the_size_and_the_limit_holds():
    data = stray_byte_jpeg(np.full((300, 400, 3), 200, np.uint8))
    assert header_size(data) == (400, 300)  # main: None, and then the image was decoded before the check
    with pytest.raises(ImageLoadError, match=r"400x300 = 120000 pixels exceeds the limit of 100000"):
        load_image(data, max_pixels=100_000)
    assert load_image(data).shape == (300, 400, 3)  # within the limit it reads as libjpeg reads it


@pytest.mark.parametrize(
    "name, data",
    [
        ("jpeg", b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"\x01" * 9),  # no frame header at all
        ("png", encode(".png", np.zeros((8, 8), np.uint8))[:20]),  # IHDR cut short
        ("tiff", b"II*\x00" + b"\xff\xff\xff\x7f" + b"\x00" * 16),  # IFD offset out of the file
        ("webp", b"RIFF\x20\x00\x00\x00WEBPVP8 " + b"\x00" * 12),
    ],
)
def test_a_header_that_cannot_be_read_is_refused_in_one_line(name, data):
    with pytest.raises(ImageLoadError) as caught:
        load_image(data)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"<{len(data)} bytes>: {name.upper()} ")
    assert "truncated or corrupt" in message


def rgba_text(ink_value: int) -> np.ndarray:
    """Text whose glyphs are opaque ink of one grey value on a fully transparent background (a logo, a UI capture).
    The colour under the transparent pixels is the ink colour too, as image editors leave it."""
    line = cv2.copyMakeBorder(render_line("Transparent 42"), 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    alpha = 255 - cv2.cvtColor(line, cv2.COLOR_BGR2GRAY)
    color = np.full(line.shape, ink_value, np.uint8)
    return np.dstack([color, alpha])


@pytest.mark.parametrize("ink", [0, 255], ids=["dark-ink", "light-ink"])
def test_transparency_is_composited_on_the_background_that_contrasts_with_the_ink(ink):
    loaded = load_image(encode(".png", rgba_text(ink)))
    gray = cv2.cvtColor(loaded, cv2.COLOR_BGR2GRAY)
    alpha = rgba_text(ink)[:, :, 3]
    ink_mean, background_mean = float(gray[alpha > 200].mean()), float(gray[alpha == 0].mean())
    assert abs(ink_mean - ink) < 10 and abs(background_mean - (255 - ink)) < 1  # main: white on white for light ink


@pytest.mark.parametrize("ink", [0, 255], ids=["dark-ink", "light-ink"])
def test_text_on_transparency_reads_in_both_polarities(default_ocr, ink):
    texts = [line.text for line in default_ocr(encode(".png", rgba_text(ink))).lines]
    assert texts == ["Transparent 42"]


def exif_orientation_bytes(orientation: int) -> bytes:
    exif = PIL.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


@pytest.mark.parametrize("fmt", ["TIFF", "WEBP"])
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied_to_tiff_and_webp(fmt, orientation):
    upright = np.zeros((40, 100, 3), np.uint8)
    upright[:, :50] = 255  # left half white: easy to follow through the turns
    stored = {3: cv2.ROTATE_180, 6: cv2.ROTATE_90_COUNTERCLOCKWISE, 8: cv2.ROTATE_90_CLOCKWISE}[orientation]
    image = PIL.fromarray(cv2.rotate(upright, stored)[:, :, ::-1])
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif_orientation_bytes(orientation), **({"lossless": True} if fmt == "WEBP" else {}))
    loaded = load_image(buffer.getvalue())
    assert loaded.shape == upright.shape and np.abs(loaded.astype(int) - upright).max() <= 8


CHILD = r"""
import sys
from onnxocr.errors import ImageLoadError
from onnxocr.io.images import load_image
import cv2, numpy as np
data = cv2.imencode(".png", np.zeros((8, 8), np.uint8))[1].tobytes()
for bad in (data[:40] + b"\x00" * 30, data[:60]):
    try:
        load_image(bad)
    except ImageLoadError as exc:
        print("refused:", exc)
"""


def test_opencv_writes_nothing_of_its_own_to_stderr():
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0 and proc.stdout.count("refused:") == 2, proc.stdout + proc.stderr
    assert proc.stderr == ""  # main: "[ERROR:0@0.233] global loadsave.cpp:... imdecode_(''): can't read data"
