"""`--quantize int8`: onnxruntime dynamic (weight-only int8) quantisation of a float ONNX model.

This is the working alternative to PaddleSlim's fake-quant programs, which paddle2onnx does not accept.
Its accuracy against the float model is measured by the evaluation (#4); here we only record the output drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ConvertError

INT8_SUFFIX = "_int8"


class QuantizeError(ConvertError):
    """onnxruntime could not quantise the model."""


@dataclass(frozen=True)
class QuantizeResult:
    onnx_path: Path
    method: str


def int8_name(name: str) -> str:
    """Store name of the int8 variant of a model."""
    return name + INT8_SUFFIX


def quantize_int8(float_onnx: Path, out_path: Path) -> QuantizeResult:
    """Write a weight-int8 (dynamic activation) copy of `float_onnx` to `out_path`."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    try:
        quantize_dynamic(str(float_onnx), str(out_path), weight_type=QuantType.QUInt8, per_channel=False)
    except Exception as exc:
        raise QuantizeError(f"onnxruntime quantize_dynamic failed: {str(exc).strip().splitlines()[0]}") from None
    return QuantizeResult(out_path, "onnxruntime quantize_dynamic, weights uint8, activations dynamic")
