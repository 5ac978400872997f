"""PaddleSlim fake-quant programs -> float weights plus ONNX QuantizeLinear/DequantizeLinear on activations.

PaddleSlim's quantisation-aware programs (the `*_slim_*` models) carry two fake quantize-dequantize ops that
paddle2onnx 1.3.1 cannot convert (it aborts the process):
- `fake_channel_wise_quantize_dequantize_abs_max` on a weight: per output channel, scale = max|w|, and the
  weight the conv sees is round(clip(w, -s, s) * 127 / s) * s / 127. The weight is constant, so this is folded:
  the params file gets exactly those values and the op goes.
- `fake_quantize_dequantize_moving_average_abs_max` on an activation, with the scale stored in the program
  (InScale, frozen at export): Paddle's inference kernel (round_type 0) computes
  clip(round_half_even(x * 127 / s), -128, 127) * s / 127. The op is removed from the program before export
  and put back in the ONNX graph as QuantizeLinear -> DequantizeLinear with scale s/127 and zero point 0, which
  is the same formula. (A Clip to [-s, s] in front, the other kernel variant, made 2 of 30 cls labels differ.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convert.errors import ConvertError
from convert.program.rewrite import PARAMS_FILE, persistable_names, read_params, write_params

WEIGHT_QDQ = "fake_channel_wise_quantize_dequantize_abs_max"
ACTIVATION_QDQ = "fake_quantize_dequantize_moving_average_abs_max"
SUPPORTED = (WEIGHT_QDQ, ACTIVATION_QDQ)


class SlimError(ConvertError):
    """A fake-quant program this rewrite does not handle."""


@dataclass(frozen=True)
class ActivationQuant:
    """An activation the slim program quantises: the ONNX tensor to wrap in Q/DQ, and its scale."""

    tensor: str
    scale: float
    bits: int


@dataclass(frozen=True)
class SlimRewrite:
    weights_folded: int
    activations: tuple[ActivationQuant, ...]

    def describe(self) -> str:
        return (f"PaddleSlim fake quant: {self.weights_folded} weight quantize-dequantize ops folded into float "
                f"weights, {len(self.activations)} activation ops as ONNX QuantizeLinear/DequantizeLinear")


def _slot(op, slot: str, outputs: bool = False) -> list[str]:
    for var in op.outputs if outputs else op.inputs:
        if var.parameter == slot:
            return list(var.arguments)
    return []


def _attr(op, name: str, default):
    for attr in op.attrs:
        if attr.name == name:
            return {0: attr.i, 1: attr.f, 6: attr.b}.get(attr.type, default)
    return default


def _identity_op(block, source: str, target: str):  # block: for the OpDesc message type
    """A Paddle `scale` op (x * 1 + 0) from `source` to `target`, which paddle2onnx converts under that name."""
    op = type(block.ops[0])()
    op.type = "scale"
    op.inputs.add(parameter="X", arguments=[source])
    op.outputs.add(parameter="Out", arguments=[target])
    for name, value in (("scale", 1.0), ("bias", 0.0)):
        op.attrs.add(name=name, type=1, f=value)  # AttrType FLOAT
    op.attrs.add(name="bias_after_scale", type=6, b=True)  # AttrType BOOLEAN
    return op


def round_half_away(values: np.ndarray) -> np.ndarray:
    """std::round, as Paddle's fake-quant kernels round."""
    return np.sign(values) * np.floor(np.abs(values) + np.float32(0.5))


def fake_quant_dequant_channels(weight: np.ndarray, axis: int, bits: int) -> np.ndarray:
    """Paddle's channel-wise abs-max quantize-dequantize of a weight, in float32."""
    bin_cnt = np.float32(2 ** (bits - 1) - 1)
    reduce_axes = tuple(a for a in range(weight.ndim) if a != axis)
    scale = np.abs(weight).max(axis=reduce_axes, keepdims=True).astype(np.float32)
    # a channel whose scale is zero or denormal (seen: 3e-39 in ch_PP-OCRv2_det_slim) is all but zero: 1/scale
    # overflows, so keep it as it is
    usable = scale >= np.finfo(np.float32).tiny
    safe = np.where(usable, scale, np.float32(1))
    clipped = np.clip(weight, -safe, safe)
    quantised = round_half_away(bin_cnt * (np.float32(1) / safe) * clipped)
    return np.where(usable, quantised * safe / bin_cnt, weight).astype(np.float32)


def strip_fake_quant(program, params_in: Path, folder: Path) -> SlimRewrite:
    """Rewrite the fake-quant ops of `program` (edited in place); write the folded params to `folder`.

    Weight ops go (their consumers read the folded weight); activation ops become identities whose outputs
    get Q/DQ after export (insert_activation_qdq). Raises SlimError for other fake-quant ops.
    """
    block = program.blocks[0]
    names = persistable_names(program)
    tensors = read_params(params_in, names)
    by_name = {t.name: t for t in tensors}
    renames: dict[str, str] = {}
    activations: list[ActivationQuant] = []
    keep, folded = [], 0
    for op in list(block.ops):
        if "quant" not in op.type:
            keep.append(op)
            continue
        if op.type not in SUPPORTED:
            raise SlimError(f"fake-quant op {op.type} is not handled (only {', '.join(SUPPORTED)})")
        source, [target] = _slot(op, "X")[0], _slot(op, "Out", outputs=True)
        bits = int(_attr(op, "bit_length", 8))
        if op.type == WEIGHT_QDQ:
            if source not in by_name:
                raise SlimError(f"{op.type} on {source}, which is not a stored weight")
            tensor = by_name[source]
            tensor.array = fake_quant_dequant_channels(tensor.array.astype(np.float32), int(_attr(op, "quant_axis", 0)), bits)
            folded += 1
            renames[target] = source
        else:
            [scale_name] = _slot(op, "InScale")
            scale = float(by_name[scale_name].array.reshape(-1)[0])
            if not scale > 0:
                raise SlimError(f"{op.type} on {source} has scale {scale}: not a frozen (exported) slim program")
            # Only the ops that read the fake op's output see quantised values (a residual add may read the
            # float tensor beside them), so the output keeps its name: an identity `scale` op writes it, and
            # the Q/DQ pair goes onto that tensor in the ONNX graph.
            activations.append(ActivationQuant(target, scale, bits))
            keep.append(_identity_op(block, source, target))
    for op in keep:
        for var in op.inputs:
            for index, arg in enumerate(var.arguments):
                if arg in renames:
                    var.arguments[index] = renames[arg]
    kept = [type(op)() for op in keep]
    for copy, op in zip(kept, keep):
        copy.CopyFrom(op)
    del block.ops[:]
    block.ops.extend(kept)
    folder.mkdir(parents=True, exist_ok=True)
    write_params(tensors, folder / PARAMS_FILE)
    return SlimRewrite(folded, tuple(activations))


def insert_activation_qdq(onnx_path: Path, activations: tuple[ActivationQuant, ...]) -> None:
    """Put each activation's QuantizeLinear -> DequantizeLinear back in the exported ONNX graph."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(onnx_path))
    graph = model.graph
    produced = {out for node in graph.node for out in node.output} | {i.name for i in graph.input}
    missing = sorted({a.tensor for a in activations} - produced)
    if missing:
        raise SlimError(f"paddle2onnx renamed quantised activations ({', '.join(missing[:3])}): cannot place Q/DQ")
    wrapped: dict[str, str] = {}
    chains: dict[int, list] = {}  # index of the node producing the tensor (-1: a graph input) -> its Q/DQ nodes
    position = {out: i for i, node in enumerate(graph.node) for out in node.output}
    for index, act in enumerate(dict((a.tensor, a) for a in activations).values()):
        bin_cnt = 2 ** (act.bits - 1) - 1
        prefix = f"slim_qdq_{index}"
        graph.initializer.extend([
            numpy_helper.from_array(np.array(act.scale / bin_cnt, np.float32), f"{prefix}_scale"),
            numpy_helper.from_array(np.array(0, np.int8), f"{prefix}_zero"),
        ])
        chain = [
            helper.make_node("QuantizeLinear", [act.tensor, f"{prefix}_scale", f"{prefix}_zero"], [f"{prefix}_q"], name=f"{prefix}_q"),
            helper.make_node("DequantizeLinear", [f"{prefix}_q", f"{prefix}_scale", f"{prefix}_zero"], [f"{prefix}_dq"], name=f"{prefix}_dq"),
        ]
        chains.setdefault(position.get(act.tensor, -1), []).extend(chain)
        wrapped[act.tensor] = f"{prefix}_dq"
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in wrapped:
                node.input[i] = wrapped[name]
    # keep the graph topologically sorted: each Q/DQ chain goes right after the node producing its tensor
    ordered = list(chains.get(-1, []))
    for i, node in enumerate(graph.node):
        ordered.append(node)
        ordered.extend(chains.get(i, []))
    del graph.node[:]
    graph.node.extend(ordered)
    used = {name for node in graph.node for name in node.input}
    unused = [init for init in graph.initializer if init.name not in used]
    for init in unused:  # the fake ops' scale tensors, which paddle2onnx keeps although nothing reads them
        graph.initializer.remove(init)
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))
