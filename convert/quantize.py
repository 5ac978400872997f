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


def constants_to_initializers(model) -> int:
    """Move tensor-valued Constant nodes (how paddle2onnx stores weights) into graph initializers, which is
    where onnxruntime's quantiser looks for weights. Returns how many were moved."""
    moved = []
    for node in model.graph.node:
        if node.op_type == "Constant" and len(node.attribute) == 1 and node.attribute[0].name == "value":
            tensor = node.attribute[0].t
            tensor.name = node.output[0]
            model.graph.initializer.append(tensor)
            moved.append(node)
    for node in moved:
        model.graph.node.remove(node)
    return len(moved)


def quantize_int8(float_onnx: Path, out_path: Path) -> QuantizeResult:
    """Write a weight-int8 (dynamic activation) copy of `float_onnx` to `out_path`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    staged = out_path.with_name(out_path.stem + ".float-init.onnx")
    model = onnx.load(str(float_onnx))
    constants_to_initializers(model)
    onnx.save(model, str(staged))
    try:
        quantize_dynamic(str(staged), str(out_path), weight_type=QuantType.QUInt8, per_channel=False)
    except Exception as exc:
        raise QuantizeError(f"onnxruntime quantize_dynamic failed: {str(exc).strip().splitlines()[0]}") from None
    finally:
        staged.unlink(missing_ok=True)
    return QuantizeResult(out_path, "onnxruntime quantize_dynamic, weights uint8, activations dynamic")
