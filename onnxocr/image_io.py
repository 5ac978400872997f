"""Turn whatever a caller hands us (path, bytes, numpy array) into one BGR uint8 image, or say why not.

Contract (`load_image`):
- formats: JPEG (incl. CMYK and grayscale), PNG (8/16-bit, gray, palette, alpha), BMP, TIFF (first page;
  a `MultiPageWarning` names the page count), WebP, GIF (first frame), PNM (PBM/PGM/PPM). Anything else is refused
  by its leading bytes, whatever its file name says.
- the pixel limit (width x height) is checked from the file header *before* any pixel is decoded;
- transparency is composited on white; EXIF orientation is applied for JPEG and PNG;
- every failure is an `ImageLoadError` whose message is one line: "<input>: <reason>[; <what to do>]".
"""

from __future__ import annotations

import os
import re
import struct
import warnings
from pathlib import Path
from typing import Callable, Iterator, Union

import cv2
import numpy as np

from .errors import ImageLoadError

ImageInput = Union[str, os.PathLike, bytes, bytearray, memoryview, np.ndarray]

SUPPORTED_FORMATS = "JPEG, PNG, BMP, TIFF (first page), WebP, GIF (first frame), PNM"

_MAX_TIFF_PAGES_COUNTED = 10_000


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


# -- format sniffing and header sizes (no pixel decoding) -----------------------------------------------------
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


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        if marker == 0xDA:
            return None
        pos += 2 + length
    return None


def _bmp_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 26:
        return None
    if struct.unpack("<I", data[14:18])[0] == 12:  # BITMAPCOREHEADER: 16-bit sizes
        return struct.unpack("<HH", data[18:22])
    width, height = struct.unpack("<ii", data[18:26])
    return abs(width), abs(height)


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = struct.unpack("<I", data[21:25])[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


_PNM_TOKEN = re.compile(rb"(?:\s|#[^\n]*\n?)*(\d+)")


def _pnm_size(data: bytes) -> tuple[int, int] | None:
    first = _PNM_TOKEN.match(data, 2)
    second = _PNM_TOKEN.match(data, first.end()) if first else None
    return (int(first.group(1)), int(second.group(1))) if second else None


def _tiff_ifds(data: bytes) -> tuple[str, list[int]]:
    """Byte order ('<' or '>') and the offsets of the IFD chain (loops and bad offsets end it)."""
    order = "<" if data[:2] == b"II" else ">"
    offsets: list[int] = []
    offset = struct.unpack(order + "I", data[4:8])[0] if len(data) >= 8 else 0
    while 8 <= offset <= len(data) - 2 and offset not in offsets and len(offsets) < _MAX_TIFF_PAGES_COUNTED:
        offsets.append(offset)
        count = struct.unpack(order + "H", data[offset : offset + 2])[0]
        end = offset + 2 + 12 * count
        if end + 4 > len(data):
            break
        offset = struct.unpack(order + "I", data[end : end + 4])[0]
    return order, offsets


def _tiff_tags(data: bytes, order: str, offset: int, wanted: set[int], base: int = 0) -> dict[int, int]:
    """SHORT/LONG values of the wanted tags in one IFD (offsets relative to `base`)."""
    values: dict[int, int] = {}
    start = base + offset
    if start + 2 > len(data):
        return values
    count = struct.unpack(order + "H", data[start : start + 2])[0]
    for i in range(count):
        entry = data[start + 2 + 12 * i : start + 14 + 12 * i]
        if len(entry) < 12:
            break
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag in wanted and kind == 3:
            values[tag] = struct.unpack(order + "H", entry[8:10])[0]
        elif tag in wanted and kind == 4:
            values[tag] = struct.unpack(order + "I", entry[8:12])[0]
    return values


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    order, ifds = _tiff_ifds(data)
    if not ifds:
        return None
    tags = _tiff_tags(data, order, ifds[0], {256, 257})
    return (tags[256], tags[257]) if 256 in tags and 257 in tags else None


_HEADER_SIZE: dict[str, Callable[[bytes], "tuple[int, int] | None"]] = {
    "png": lambda d: struct.unpack(">II", d[16:24]) if len(d) >= 24 else None,
    "gif": lambda d: struct.unpack("<HH", d[6:10]) if len(d) >= 10 else None,
    "bmp": _bmp_size,
    "jpeg": _jpeg_size,
    "tiff": _tiff_size,
    "webp": _webp_size,
    "pnm": _pnm_size,
}


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from the header of any supported format without decoding pixels; None if unknown."""
    fmt = sniff_format(data)
    try:
        return _HEADER_SIZE[fmt](data) if fmt else None
    except (struct.error, IndexError, ValueError):
        return None


# -- EXIF orientation ----------------------------------------------------------------------------------------
def exif_orientation(tiff_block: bytes) -> int:
    """The Orientation tag (1-8) of an EXIF TIFF block, 1 when absent or malformed."""
    if tiff_block[:4] not in (b"II*\x00", b"MM\x00*"):
        return 1
    try:
        order, ifds = _tiff_ifds(tiff_block)
        value = _tiff_tags(tiff_block, order, ifds[0], {0x0112}).get(0x0112, 1) if ifds else 1
    except struct.error:
        return 1
    return value if 1 <= value <= 8 else 1


def _png_exif(data: bytes) -> bytes | None:
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"eXIf":
            return data[pos + 8 : pos + 8 + length]
        if kind in (b"IDAT", b"IEND"):
            return None
        pos += 12 + length
    return None


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
    size = header_size(data)
    if size is not None:
        _check_size(size[1], size[0], name, max_pixels)
    buf = np.frombuffer(data, dtype=np.uint8)
    # JPEG: IMREAD_COLOR makes OpenCV apply EXIF orientation and convert CMYK/YCCK and gray.
    # Others: IMREAD_UNCHANGED keeps alpha (composited below) and 16 bits (scaled below).
    try:
        image = cv2.imdecode(buf, cv2.IMREAD_COLOR if fmt == "jpeg" else cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:
        reason = (str(exc).strip().splitlines() or ["OpenCV error"])[-1]
        raise ImageLoadError(f"{name}: {fmt.upper()} data could not be decoded ({reason[:160]})") from None
    if image is None or image.size == 0:
        raise ImageLoadError(f"{name}: {fmt.upper()} data is truncated or corrupt; re-save or re-download the file")
    if fmt == "png":
        exif = _png_exif(data)
        if exif:
            image = apply_orientation(image, exif_orientation(exif))
    elif fmt == "tiff":
        pages = len(_tiff_ifds(data)[1])
        if pages > 1:
            more = "+" if pages >= _MAX_TIFF_PAGES_COUNTED else ""
            warnings.warn(
                MultiPageWarning(f"{name}: TIFF has {pages}{more} pages; only page 1 was read"), stacklevel=3
            )
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
    alpha = image[:, :, -1:].astype(np.float32) / 255.0
    blended = color.astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    blended = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return cv2.cvtColor(blended[:, :, 0], cv2.COLOR_GRAY2BGR) if channels == 2 else np.ascontiguousarray(blended)


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
    other format. Each TIFF page's size is checked against `max_pixels` from its header before any pixel is
    decoded; a failure is an ImageLoadError naming the page ("<name> page 3: ...")."""
    import struct as _struct

    if sniff_format(data) != "tiff":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield decode_image(data, name, max_pixels)
        return
    ifds: list[int] = []
    order = "<" if data[:2] == b"II" else ">"
    try:
        offset = _struct.unpack(order + "I", data[4:8])[0]
        while 8 <= offset <= len(data) - 2 and offset not in ifds:
            ifds.append(offset)
            count = _struct.unpack(order + "H", data[offset : offset + 2])[0]
            end = offset + 2 + 12 * count
            if end + 4 > len(data):
                break
            offset = _struct.unpack(order + "I", data[end : end + 4])[0]
    except _struct.error:
        pass
    if len(ifds) <= 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield decode_image(data, name, max_pixels)
        return
    for number, ifd in enumerate(ifds, start=1):
        size: dict[int, int] = {}
        try:
            count = _struct.unpack(order + "H", data[ifd : ifd + 2])[0]
            for i in range(count):
                entry = data[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
                tag, kind = _struct.unpack(order + "HH", entry[:4])
                if tag in (256, 257) and kind in (3, 4):
                    size[tag] = _struct.unpack(order + ("H" if kind == 3 else "I"), entry[8 : 10 if kind == 3 else 12])[0]
        except _struct.error:
            pass
        if 256 in size and 257 in size:
            _check_size(size[257], size[256], f"{name} page {number}", max_pixels)
    buf = np.frombuffer(data, dtype=np.uint8)
    for number in range(1, len(ifds) + 1):
        try:
            ok, mats = cv2.imdecodemulti(buf, cv2.IMREAD_UNCHANGED, range=(number - 1, number))
        except cv2.error:
            ok, mats = False, []
        if not ok or not mats or mats[0] is None or mats[0].size == 0:
            raise ImageLoadError(f"{name} page {number}: TIFF page is truncated or corrupt; re-save the file")
        _check_size(mats[0].shape[0], mats[0].shape[1], f"{name} page {number}", max_pixels)
        yield to_bgr_uint8(mats[0], f"{name} page {number}")
