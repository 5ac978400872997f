"""Exceptions that onnxocr raises for failures a user can cause.

Every message is one line that names the thing at fault and says what to do.
"""

from __future__ import annotations


class OnnxOCRError(Exception):
    """Base class for every error onnxocr raises on purpose."""


class OptionError(OnnxOCRError, ValueError):
    """An option value is of the wrong type or outside what it allows (raised when OCR / OCRConfig is built)."""


class ImageLoadError(OnnxOCRError):
    """An input image could not be read or decoded."""


class ModelNotFoundError(OnnxOCRError):
    """A model file is missing from the store or from the given path."""


class ModelLoadError(OnnxOCRError):
    """A model file exists but is corrupt, tampered with, or of the wrong kind."""


class DictionaryMismatchError(ModelLoadError):
    """The recogniser's class count does not fit its character dictionary."""


class ProviderUnavailableError(OnnxOCRError):
    """An execution provider was asked for that the installed onnxruntime lacks."""


class CatalogError(OnnxOCRError):
    """models.toml is missing, malformed, or does not know a name."""


def first_line(exc: BaseException | str, limit: int = 200, default: str = "") -> str:
    """The first non-empty line of an exception's message (or of a string), cut to `limit` characters: what a
    one-line error report quotes of a library's multi-line message. `default` when there is no text."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:limit] if lines else default


def last_line(exc: BaseException | str, limit: int = 200, default: str = "") -> str:
    """Like first_line, for messages whose last line says what went wrong (Paddle's and OpenCV's tracebacks)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1][:limit] if lines else default


def unexpected(exc: BaseException) -> str:
    """`unexpected TypeName: first line` for a failure nobody foresaw (reported, never raised past one input)."""
    return f"unexpected {type(exc).__name__}: {first_line(exc)}"
