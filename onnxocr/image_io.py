"""Turn whatever a caller hands us (path, bytes, numpy array) into one BGR uint8 image, or say why not."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Union

import cv2
import numpy as np

from .errors import ImageLoadError

ImageInput = Union[str, os.PathLike, bytes, bytearray, memoryview, np.ndarray]

SUPPORTED_FORMATS = "JPEG, PNG, BMP, TIFF, WebP, GIF (first frame), PNM"


def describe(source: ImageInput) -> str:
    """A short name for an input, for error messages."""
    if isinstance(source, (str, os.PathLike)):
        return os.fsdecode(source)
    if isinstance(source, np.ndarray):
        return f"<array {source.shape} {source.dtype}>"
    return f"<{len(source)} bytes>"


def load_image(source: ImageInput, max_pixels: int | None = None) -> np.ndarray:
    """Path, encoded bytes, or array (gray, BGR, BGRA; uint8/uint16/float in [0, 1]) -> BGR uint8 (H, W, 3).

    Transparency is composited on white; JPEG EXIF orientation is applied. Raises ImageLoadError.
    """
    name = describe(source)
    if isinstance(source, np.ndarray):
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


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a PNG, GIF, BMP or JPEG header without decoding pixels; None if unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 9 < len(data):
            if data[pos] != 0xFF:
                return None
            marker = data[pos + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                pos += 2
                continue
            length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
                return width, height
            pos += 2 + length
    return None


def decode_image(data: bytes, name: str, max_pixels: int | None = None) -> np.ndarray:
    """Encoded image bytes -> BGR uint8. The pixel limit is checked from the header before decoding."""
    if not data:
        raise ImageLoadError(f"{name}: file is empty (0 bytes)")
    size = header_size(data)
    if size is not None:
        _check_size(size[1], size[0], name, max_pixels)
    buf = np.frombuffer(data, dtype=np.uint8)
    if data[:2] == b"\xff\xd8":
        if b"\xff\xd9" not in data[-4096:]:
            raise ImageLoadError(f"{name}: JPEG data is truncated (no end-of-image marker); re-save or re-download it")
        image = cv2.imdecode(buf, cv2.IMREAD_COLOR)  # applies EXIF orientation, converts CMYK and gray
    else:
        image = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageLoadError(
            f"{name}: not a readable image (corrupt, truncated, or not one of: {SUPPORTED_FORMATS})"
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
            raise ImageLoadError(f"{name}: array contains NaN or infinite values")
        scale = 255.0 if float(image.max(initial=0.0)) <= 1.0 else 1.0
        return np.clip(np.rint(image * scale), 0, 255).astype(np.uint8)
    if np.issubdtype(image.dtype, np.integer):
        return np.clip(image, 0, 255).astype(np.uint8)
    raise ImageLoadError(f"{name}: unsupported array dtype {image.dtype}")
