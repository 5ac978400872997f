"""convert/optimize.py: folding PP-LCNetV3's scalar affine blocks into convolutions keeps the outputs and
removes the elementwise nodes, except in front of padded convolutions, where folding would not be exact."""

from __future__ import annotations

import numpy as np
import pytest

from convert.optimize import fold_affine_into_conv, optimize_file
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
