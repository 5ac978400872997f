"""onnxocr: PaddleOCR's models on onnxruntime, without PaddlePaddle."""

from .config import ClsConfig, DetConfig, EngineConfig, OCRConfig, RecConfig
from .errors import (
    CatalogError,
    DictionaryMismatchError,
    ImageLoadError,
    ModelLoadError,
    ModelNotFoundError,
    OnnxOCRError,
    ProviderUnavailableError,
)
from .image_io import SUPPORTED_FORMATS, MultiPageWarning
from .pipeline import OCR
from .result import OCRResult, TextLine, WordBox

__version__ = "0.1.0"

__all__ = [
    "OCR",
    "OCRConfig",
    "DetConfig",
    "ClsConfig",
    "RecConfig",
    "EngineConfig",
    "OCRResult",
    "TextLine",
    "WordBox",
    "OnnxOCRError",
    "ImageLoadError",
    "MultiPageWarning",
    "SUPPORTED_FORMATS",
    "ModelNotFoundError",
    "ModelLoadError",
    "DictionaryMismatchError",
    "ProviderUnavailableError",
    "CatalogError",
    "__version__",
]
