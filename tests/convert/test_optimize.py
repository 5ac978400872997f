"""convert/graph/optimize.py: folding PP-LCNetV3's scalar affine blocks into convolutions keeps the outputs and
removes the elementwise nodes, except in front of padded convolutions, where folding would not be exact."""

from __future__ import annotations

import numpy as np
import pytest

from convert.graph.optimize import fold_affine_into_conv, optimize_file
from convert_testlib import lab_net

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
helper, numpy_helper = onnx.helper, onnx.numpy_helper

RNG = np.random.default_rng(7)


def run(model, x):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


def test_fold_keeps_outputs_and_leaves_the_padded_conv_input_alone():
    model = lab_net()
    x = RNG.normal(size=(1, 3, 8, 10)).astype(np.float32)
    before = run(model, x)
    result = fold_affine_into_conv(model)
    onnx.checker.check_model(model)
    assert (result.after_conv, result.before_conv) == (2, 1)
    np.testing.assert_allclose(run(model, x), before, rtol=1e-5, atol=1e-5)
    ops = [n.op_type for n in model.graph.node]
    # the one LAB left is the one in front of the padded depthwise conv
    assert ops.count("Mul") == 1 and ops.count("Add") == 1 and ops.count("Conv") == 3
    assert "Constant" not in ops


def test_a_graph_without_affine_blocks_is_left_as_it_was(tmp_path):
    weight = numpy_helper.from_array(RNG.normal(size=(2, 3, 1, 1)).astype(np.float32), "w")
    nodes = [helper.make_node("Constant", [], ["w"], value=weight),
             helper.make_node("Conv", ["x", "w"], ["c"]), helper.make_node("Relu", ["c"], ["y"])]
    graph = helper.make_graph(nodes, "plain", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 4, 4])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 2, 4, 4])])
    path = tmp_path / "plain.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), str(path))
    stored = path.read_bytes()
    assert optimize_file(path).total == 0
    assert path.read_bytes() == stored


def gelu_net():
    """x -> 1x1 Conv -> GELU written out as PP-OCRv6's export writes it (x * (1 + erf(x / sqrt 2)) * 0.5) ->
    unpadded 1x1 Conv: the 0.5 could be folded into the second Conv, but must not be."""
    w1 = numpy_helper.from_array(RNG.normal(size=(4, 3, 1, 1)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(RNG.normal(size=(2, 4, 1, 1)).astype(np.float32), "w2")
    consts = {"sqrt2": np.float32(np.sqrt(2.0)), "one": np.float32(1.0), "half": np.float32(0.5)}
    nodes = [helper.make_node("Constant", [], [k], value=numpy_helper.from_array(np.array(v), k)) for k, v in consts.items()]
    nodes += [
        helper.make_node("Conv", ["x", "w1"], ["c1"]),
        helper.make_node("Div", ["c1", "sqrt2"], ["d"]),
        helper.make_node("Erf", ["d"], ["e"]),
        helper.make_node("Add", ["e", "one"], ["a"]),
        helper.make_node("Mul", ["c1", "a"], ["m"]),
        helper.make_node("Mul", ["m", "half"], ["g"]),
        helper.make_node("Conv", ["g", "w2"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "gelu", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 4, 4])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 2, 4, 4])], [w1, w2])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_the_half_of_a_gelu_is_not_folded_so_onnxruntime_still_fuses_the_gelu(tmp_path):
    model = gelu_net()
    assert fold_affine_into_conv(model).total == 0
    assert [n.op_type for n in model.graph.node].count("Mul") == 2
    path = tmp_path / "gelu.onnx"
    onnx.save(model, str(path))
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "gelu.ort.onnx")
    ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    fused = [n.op_type for n in onnx.load(str(tmp_path / "gelu.ort.onnx")).graph.node]
    assert "Gelu" in fused and "Erf" not in fused
