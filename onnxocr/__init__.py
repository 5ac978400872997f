"""onnxocr: PaddleOCR's models on onnxruntime, without PaddlePaddle."""

import os as _os

# Before OpenCV is first imported (it reads both once, at load): its own decoder ceiling, as a backstop behind the
# header check of max_image_pixels (2 x Pillow's bound, about 1 GB of BGR pixels, in place of OpenCV's 2^30 px =
# 3 GB), and no log lines of its own on stderr beside our one-line errors. A value the caller set wins.
from onnxocr.config import ClsConfig, DetConfig, EngineConfig, OCRConfig, RecConfig  # noqa: E402 - loads no OpenCV

_os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(2 * OCRConfig.max_image_pixels))
_os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")

from onnxocr.errors import (
    CatalogError,
    DictionaryMismatchError,
    ImageLoadError,
    ModelLoadError,
    ModelNotFoundError,
    OnnxOCRError,
    OptionError,
    ProviderUnavailableError,
)
from onnxocr.io.images import SUPPORTED_FORMATS, MultiPageWarning
from onnxocr.ocr import OCR, PageResult
from onnxocr.result import OCRResult, TextLine, WordBox

__version__ = "0.1.0"

__all__ = [
    "OCR",
    "PageResult",
    "OCRConfig",
    "DetConfig",
    "ClsConfig",
    "RecConfig",
    "EngineConfig",
    "OCRResult",
    "TextLine",
    "WordBox",
    "OnnxOCRError",
    "OptionError",
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
