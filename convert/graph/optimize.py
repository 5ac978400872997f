"""Exact graph simplifications applied after export, before the parity check against Paddle.

PP-LCNetV3 (the backbone of PP-OCRv3/v4 det and rec) wraps every convolution in "learnable affine blocks":
a scalar Mul and Add after the convolution and again after its activation. paddle2onnx exports them as
separate elementwise nodes with the scalar as the Mul's first input, which onnxruntime's Conv+Mul/Add fusions
do not match, so each block costs two full passes over the feature map (about a third of the recogniser's time).
Folding them into the neighbouring convolution's weights and bias is exact algebra (up to float rounding).

A scalar Mul that completes a GELU, x * (1 + erf(x / sqrt 2)) * 0.5 (PP-HGNetV2 and SVTR blocks of PP-OCRv5/v6),
is never folded: onnxruntime fuses that pattern into one Gelu kernel, and folding its 0.5 into the next
convolution leaves a pattern it no longer recognises (PP-OCRv6 small rec: 15% slower).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class FoldResult:
    after_conv: int  # Conv -> Mul(s) [-> Add(s)] folded into the Conv
    before_conv: int  # Mul(s) [-> Add(s)] -> unpadded 1x1 Conv folded into the Conv

    @property
    def total(self) -> int:
        return self.after_conv + self.before_conv

    def describe(self) -> str:
        return f"fold_affine_into_conv: {self.after_conv} after, {self.before_conv} before"


class _Graph:
    """Index of one onnx GraphProto: initializer values, producers, consumers."""

    def __init__(self, graph) -> None:
        from onnx import numpy_helper

        self.graph = graph
        self._to_array = numpy_helper.to_array
        self._from_array = numpy_helper.from_array
        self.values = {t.name: t for t in graph.initializer}
        self.outputs = {o.name for o in graph.output}
        self.consumers: dict[str, list] = {}
        for node in graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)

    def array(self, name: str) -> np.ndarray | None:
        return self._to_array(self.values[name]) if name in self.values else None

    def scalar_operand(self, node) -> tuple[float, str] | tuple[None, None]:
        """(scalar constant, other input) of a binary Mul/Add with one single-element constant input."""
        if len(node.input) != 2:
            return None, None
        for k in (0, 1):
            value = self.array(node.input[k])
            if value is not None and value.size == 1 and node.input[1 - k] not in self.values:
                return float(value.reshape(())), node.input[1 - k]
        return None, None

    def only_consumer(self, name: str, op_type: str):
        """The single node consuming `name` if it has `op_type` and `name` is not a graph output."""
        users = self.consumers.get(name, [])
        if len(users) == 1 and users[0].op_type == op_type and name not in self.outputs:
            return users[0]
        return None

    def set_conv_params(self, conv, weight: np.ndarray, bias: np.ndarray) -> None:
        """Give `conv` new weight and bias initializers (fresh names: the old ones may be shared)."""
        for slot, value, suffix in ((1, weight, "_w_folded"), (2, bias, "_b_folded")):
            name = conv.output[0] + suffix
            tensor = self._from_array(value.astype(np.float32), name)
            self.graph.initializer.append(tensor)
            self.values[name] = tensor
            if len(conv.input) > slot:
                conv.input[slot] = name
            else:
                conv.input.append(name)


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


def _conv_params(g: _Graph, conv) -> tuple[np.ndarray, np.ndarray] | None:
    weight = g.array(conv.input[1]) if len(conv.input) > 1 else None
    if weight is None or weight.dtype != np.float32:
        return None
    has_bias = len(conv.input) > 2 and conv.input[2]
    bias = g.array(conv.input[2]) if has_bias else np.zeros(weight.shape[0], dtype=np.float32)
    if bias is None:
        return None
    return weight.astype(np.float64), bias.astype(np.float64)


def _completes_gelu(producers: dict, node) -> bool:
    """Whether a scalar Mul `node` multiplies the body of a GELU: its other input is Mul(x, Add(Erf(.), 1))."""
    for name in node.input:
        body = producers.get(name)
        if body is None or body.op_type != "Mul":
            continue
        for operand in body.input:
            add = producers.get(operand)
            if add is not None and add.op_type == "Add" and any(
                producers.get(i) is not None and producers[i].op_type == "Erf" for i in add.input
            ):
                return True
    return False


def _is_unpadded_pointwise(conv, weight: np.ndarray) -> bool:
    from onnx import helper

    attrs = {a.name: helper.get_attribute_value(a) for a in conv.attribute}
    pads = attrs.get("pads", [0])
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    return weight.shape[2:] == (1, 1) and not any(pads) and auto_pad in (b"NOTSET", b"VALID", "NOTSET", "VALID")


def fold_affine_into_conv(model) -> FoldResult:
    """Fold scalar Mul/Add nodes into adjacent convolutions of `model` (an onnx ModelProto, edited in place).

    After a Conv: a*(W x + b) + c = (aW) x + (ab + c). Before an unpadded 1x1 Conv: W(a x + c) + b =
    (aW) x + (b + c * sum of W over its inputs); convolutions with padding are left alone, since their zero
    padding would not see the shifted input.
    """
    graph = model.graph
    constants_to_initializers(model)
    g = _Graph(graph)
    producers = {name: node for node in graph.node for name in node.output}
    dead: set[int] = set()
    after = before = 0
    for conv in list(graph.node):
        if conv.op_type != "Conv":
            continue
        params = _conv_params(g, conv)
        if params is None:
            continue
        weight, bias = params
        # after: Conv -> Mul(a) [-> Add(c)]
        mul = g.only_consumer(conv.output[0], "Mul")
        scale, _ = g.scalar_operand(mul) if mul is not None else (None, None)
        if scale is not None:
            weight, bias, last = weight * scale, bias * scale, mul
            dead.add(id(mul))
            add = g.only_consumer(mul.output[0], "Add")
            shift, _ = g.scalar_operand(add) if add is not None else (None, None)
            if shift is not None:
                bias, last = bias + shift, add
                dead.add(id(add))
            g.set_conv_params(conv, weight, bias)
            conv.output[0] = last.output[0]  # the Conv's own output fed only the folded Mul
            producers[conv.output[0]] = conv
            after += 1
        # before: [Mul(a) ->] [Add(c) ->] unpadded 1x1 Conv, each node feeding only the next
        if not _is_unpadded_pointwise(conv, weight):
            continue
        scale, shift, source, taken = 1.0, 0.0, conv.input[0], []
        for op_type in ("Add", "Mul"):
            node = producers.get(source)
            consumer = taken[-1] if taken else conv
            users = g.consumers.get(source, [])
            if node is None or id(node) in dead or node.op_type != op_type or len(users) != 1 or users[0] is not consumer:
                continue
            value, upstream = g.scalar_operand(node)
            if value is None or source in g.outputs or (op_type == "Mul" and _completes_gelu(producers, node)):
                continue
            if op_type == "Add":
                shift = value
            else:
                scale = value
            source = upstream
            taken.append(node)
        if not taken:
            continue
        bias = bias + shift * weight.sum(axis=(1, 2, 3))
        g.set_conv_params(conv, weight * scale, bias)
        conv.input[0] = source
        dead.update(id(n) for n in taken)
        before += 1
    kept = [n for n in graph.node if id(n) not in dead]
    del graph.node[:]
    graph.node.extend(kept)
    used = {name for node in graph.node for name in node.input} | g.outputs
    initializers = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    return FoldResult(after_conv=after, before_conv=before)


def optimize_file(onnx_path: Path) -> FoldResult:
    """Apply the folds to an ONNX file in place (re-checked); returns what was folded."""
    import onnx

    model = onnx.load(str(onnx_path))
    result = fold_affine_into_conv(model)
    if result.total:
        onnx.checker.check_model(model)
        onnx.save(model, str(onnx_path))
    return result
