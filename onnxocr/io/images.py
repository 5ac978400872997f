"""Turn whatever a caller hands us (path, bytes, numpy array) into one BGR uint8 image, or say why not.

Contract (`load_image`):
- formats: JPEG (incl. CMYK and grayscale), PNG (8/16-bit, gray, palette, alpha), BMP, TIFF (first page;
  a `MultiPageWarning` names the page count), WebP, GIF (first frame), PNM (PBM/PGM/PPM). Anything else is refused
  by its leading bytes, whatever its file name says.
- the pixel limit (width x height) is checked from the file header *before* any pixel is decoded, and a header
  that cannot be read is refused (fails closed): Pillow's image classes read the header (no pixels), OpenCV decodes;
- transparency is composited on the background that contrasts with the visible ink (white behind dark ink,
  black behind light ink); EXIF orientation is applied for JPEG, PNG, TIFF and WebP (OpenCV turns JPEG and TIFF);
- every failure is an `ImageLoadError` whose message is one line: "<input>: <reason>[; <what to do>]".
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Iterator, Union

import cv2
import numpy as np
from PIL import BmpImagePlugin, GifImagePlugin, JpegImagePlugin, PngImagePlugin, PpmImagePlugin, TiffImagePlugin
from PIL import WebPImagePlugin

from onnxocr.errors import ImageLoadError, first_line, last_line

ImageInput = Union[str, os.PathLike, bytes, bytearray, memoryview, np.ndarray]

SUPPORTED_FORMATS = "JPEG, PNG, BMP, TIFF (first page), WebP, GIF (first frame), PNM"



class MultiPageWarning(UserWarning):
    """An image file holds several pages; only the first one was read."""


def describe(source: ImageInput) -> str:
    """A short, printable name for an input, for error messages (undecodable path bytes shown as \\xNN)."""
    if isinstance(source, (str, os.PathLike)):
        return os.fsencode(source).decode("utf-8", "backslashreplace")
    if isinstance(source, np.ndarray):
        return f"<array {source.shape} {source.dtype}>"
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<{len(source)} bytes>"
    return f"<{type(source).__name__}>"


def load_image(source: ImageInput, max_pixels: int | None = None) -> np.ndarray:
    """Path, encoded bytes, or array (gray, BGR, BGRA; uint8/uint16/float in [0, 1]) -> BGR uint8 (H, W, 3).

    max_pixels: refuse images with more than this many pixels (None or 0: no limit). Raises ImageLoadError.
    """
    name = describe(source)
    if isinstance(source, np.ndarray):
        if source.ndim >= 2:
            _check_size(source.shape[0], source.shape[1], name, max_pixels)
        image = to_bgr_uint8(source, name)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        image = decode_image(bytes(source), name, max_pixels)
    elif isinstance(source, (str, os.PathLike)):
        image = decode_image(_read_file(Path(source), name), name, max_pixels)
    else:
        raise ImageLoadError(f"{name}: unsupported input type {type(source).__name__}; pass a path, bytes or numpy array")
    _check_size(image.shape[0], image.shape[1], name, max_pixels)
    return image


def _read_file(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ImageLoadError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ImageLoadError(f"{name}: is a directory, not an image file") from None
    except PermissionError:
        raise ImageLoadError(f"{name}: permission denied") from None
    except OSError as exc:
        raise ImageLoadError(f"{name}: cannot be read ({exc.strerror or exc})") from None


def _check_size(height: int, width: int, name: str, max_pixels: int | None) -> None:
    if height < 1 or width < 1:
        raise ImageLoadError(f"{name}: image is empty ({width}x{height})")
    if max_pixels and height * width > max_pixels:
        raise ImageLoadError(
            f"{name}: {width}x{height} = {width * height} pixels exceeds the limit of {max_pixels} "
            "(raise max_image_pixels / --max-pixels if this image is trusted)"
        )


# -- format sniffing and headers (no pixel decoding) ----------------------------------------------------------
def sniff_format(data: bytes) -> str | None:
    """The format named by the leading bytes: jpeg, png, gif, bmp, tiff, webp, pnm; None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:2] == b"BM":
        return "bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if len(data) >= 3 and data[0] == ord("P") and data[1] in b"123456" and data[2] in b" \t\r\n#":
        return "pnm"
    return None


# Pillow's image classes parse only the header on construction (pixels are read on .load(), which we never call).
# Building them directly, not through Image.open, keeps Pillow's process-wide MAX_IMAGE_PIXELS bomb check and its
# warning out of the way: our own limit (max_image_pixels) is checked on the size instead.
_HEADER_READERS = {
    "jpeg": JpegImagePlugin.JpegImageFile,
    "png": PngImagePlugin.PngImageFile,
    "gif": GifImagePlugin.GifImageFile,
    "bmp": BmpImagePlugin.BmpImageFile,
    "tiff": TiffImagePlugin.TiffImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
    "pnm": PpmImagePlugin.PpmImageFile,
}


def _open_header(data: bytes, fmt: str, name: str):
    """A Pillow image of the header only; ImageLoadError (fail closed) when the header cannot be read."""
    try:
        return _HEADER_READERS[fmt](io.BytesIO(data))
    except Exception as exc:  # Pillow raises SyntaxError, OSError, struct.error, ValueError ... for bad headers
        reason = first_line(exc, 120, default=type(exc).__name__)
        raise ImageLoadError(
            f"{name}: {fmt.upper()} header could not be read ({reason}): the file is truncated or corrupt; "
            "re-save or re-download it"
        ) from None


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from the header of any supported format without decoding pixels; None if unreadable."""
    fmt = sniff_format(data)
    if fmt is None:
        return None
    try:
        return tuple(_open_header(data, fmt, "").size)  # type: ignore[return-value]
    except ImageLoadError:
        return None


def _orientation(header, fmt: str) -> int:
    """EXIF orientation 1-8 that OpenCV's IMREAD_UNCHANGED leaves to us: PNG and WebP (it applies JPEG's with
    IMREAD_COLOR and TIFF's Orientation tag itself); 1 when absent."""
    if fmt not in ("png", "webp") or "exif" not in header.info:  # PNG: an eXIf chunk after the pixels is not read
        return 1
    try:
        value = int(header.getexif().get(0x0112, 1))
    except Exception:  # a malformed EXIF block is ignored, as OpenCV does for JPEG
        return 1
    return value if 1 <= value <= 8 else 1


def _page_count(header, fmt: str) -> int:
    if fmt != "tiff":
        return 1
    try:
        return int(header.n_frames)
    except Exception:  # a broken IFD chain: page 1 is still read
        return 1


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn/flip an image as EXIF orientation 1-8 says (the same transforms OpenCV applies to JPEGs)."""
    if orientation in (5, 6, 7, 8):
        image = cv2.transpose(image)
    flip = {2: 1, 3: -1, 4: 0, 6: 1, 7: -1, 8: 0}.get(orientation)
    return cv2.flip(image, flip) if flip is not None else image


# -- decoding ------------------------------------------------------------------------------------------------
def _looks_like_text(data: bytes) -> bool:
    head = data[:512]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(b >= 0x20 or b in b"\t\r\n\x0c" for b in head)


def decode_image(data: bytes, name: str, max_pixels: int | None = None) -> np.ndarray:
    """Encoded image bytes -> BGR uint8. The format comes from the leading bytes; the pixel limit is checked
    from the header before decoding. Raises ImageLoadError; warns MultiPageWarning for multi-page TIFF."""
    if not data:
        raise ImageLoadError(f"{name}: file is empty (0 bytes)")
    fmt = sniff_format(data)
    if fmt is None:
        kind = "is a text file, not an image" if _looks_like_text(data) else "is not an image in a supported format"
        raise ImageLoadError(f"{name}: {kind} (supported: {SUPPORTED_FORMATS})")
    header = _open_header(data, fmt, name)
    width, height = header.size
    _check_size(height, width, name, max_pixels)
    orientation, pages = _orientation(header, fmt), _page_count(header, fmt)
    header.close()
    buf = np.frombuffer(data, dtype=np.uint8)
    # OpenCV decodes the pixels: 2-4x faster than Pillow on the FUNSD/ICDAR pages, same pixels.
    # JPEG: IMREAD_COLOR makes OpenCV apply EXIF orientation and convert CMYK/YCCK and gray.
    # Others: IMREAD_UNCHANGED keeps alpha (composited below) and 16 bits (scaled below).
    try:
        image = cv2.imdecode(buf, cv2.IMREAD_COLOR if fmt == "jpeg" else cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:
        reason = last_line(exc, default="OpenCV error")
        raise ImageLoadError(f"{name}: {fmt.upper()} data could not be decoded ({reason[:160]})") from None
    if image is None or image.size == 0:
        raise ImageLoadError(f"{name}: {fmt.upper()} data is truncated or corrupt; re-save or re-download the file")
    if orientation != 1:
        image = apply_orientation(image, orientation)
    if pages > 1:
        warnings.warn(MultiPageWarning(f"{name}: TIFF has {pages} pages; only page 1 was read"), stacklevel=3)
    return to_bgr_uint8(image, name)


def to_bgr_uint8(image: np.ndarray, name: str = "<array>") -> np.ndarray:
    """Gray / BGR / BGRA / gray+alpha array of uint8, uint16, bool or float ([0, 1] or [0, 255]) -> BGR uint8."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (2, 3, 4)):
        raise ImageLoadError(f"{name}: array of shape {image.shape} is not an image (H x W, or H x W x 1/2/3/4)")
    if image.size == 0:
        raise ImageLoadError(f"{name}: image is empty ({image.shape})")
    image = _to_uint8(image, name)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    channels = image.shape[2]
    if channels == 3:
        return np.ascontiguousarray(image)
    color = image[:, :, :1] if channels == 2 else image[:, :, :3]
    if int(image[:, :, -1].min()) == 255:  # opaque everywhere: nothing to composite
        blended = np.ascontiguousarray(color)
    else:
        alpha = image[:, :, -1:].astype(np.float32) / 255.0
        background = contrasting_background(color, image[:, :, -1])
        blended = color.astype(np.float32) * alpha + background * (1.0 - alpha)
        blended = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return cv2.cvtColor(blended[:, :, 0], cv2.COLOR_GRAY2BGR) if channels == 2 else np.ascontiguousarray(blended)


def contrasting_background(color: np.ndarray, alpha: np.ndarray) -> float:
    """255.0 (white) or 0.0 (black): the background behind transparency that contrasts with the visible ink.

    color: (H, W, 1 or 3) uint8 gray/BGR, alpha: (H, W) uint8. Light ink (mean grey of the pixels at least half
    opaque above 127, e.g. white glyphs of a logo) goes on black; dark ink, or no visible ink at all, on white.
    """
    visible = alpha >= 128
    if not visible.any():
        return 255.0
    gray = color[:, :, 0] if color.shape[2] == 1 else cv2.cvtColor(np.ascontiguousarray(color), cv2.COLOR_BGR2GRAY)
    return 0.0 if float(gray[visible].mean()) > 127.0 else 255.0


def _to_uint8(image: np.ndarray, name: str) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        if not np.all(np.isfinite(image)):
            raise ImageLoadError(f"{name}: array contains NaN or infinite values; replace them (e.g. np.nan_to_num)")
        scale = 255.0 if float(image.max(initial=0.0)) <= 1.0 else 1.0
        return np.clip(np.rint(image.astype(np.float64) * scale), 0, 255).astype(np.uint8)
    if np.issubdtype(image.dtype, np.integer):
        return np.clip(image, 0, 255).astype(np.uint8)
    raise ImageLoadError(f"{name}: unsupported array dtype {image.dtype}; pass uint8, uint16, bool or float")


def decode_pages(data: bytes, name: str, max_pixels: int | None = None) -> "Iterator[np.ndarray]":
    """Every page of encoded image bytes as BGR uint8 (H, W, 3): all pages of a multi-page TIFF, one page for any
    other format. Each TIFF page's size is checked against `max_pixels` from its header (Pillow) before its pixels
    are decoded (OpenCV); a failure is an ImageLoadError naming the page ("<name> page 3: ...")."""
    fmt = sniff_format(data)
    pages = _page_count(_open_header(data, fmt, name), fmt) if fmt == "tiff" else 1
    if pages <= 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MultiPageWarning)
            yield decode_image(data, name, max_pixels)
        return
    header = _open_header(data, fmt, name)
    for index in range(pages):
        where = f"{name} page {index + 1}"
        try:
            header.seek(index)
            width, height = header.size
        except Exception:  # a broken IFD: the pages before it were read
            raise ImageLoadError(f"{where}: TIFF page header could not be read; re-save the file") from None
        _check_size(height, width, where, max_pixels)
        try:
            ok, mats = cv2.imdecodemulti(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED, range=(index, index + 1))
        except cv2.error:
            ok, mats = False, []
        if not ok or not mats or mats[0] is None or mats[0].size == 0:
            raise ImageLoadError(f"{where}: TIFF page is truncated or corrupt; re-save the file")
        yield to_bgr_uint8(mats[0], where)
