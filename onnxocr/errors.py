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
