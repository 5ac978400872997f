"""convert/optimize.py: folding PP-LCNetV3's scalar affine blocks into convolutions keeps the outputs and
removes the elementwise nodes, except in front of padded convolutions, where folding would not be exact."""

from __future__ import annotations

import numpy as np
import pytest

from convert.optimize import fold_affine_into_conv, optimize_file

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
helper, numpy_helper = onnx.helper, onnx.numpy_helper

RNG = np.random.default_rng(7)


def constant(name: str, value) -> "onnx.NodeProto":
    """Weights as Constant nodes with the scalar first, the way paddle2onnx 1.3 writes PP-LCNetV3."""
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value, np.float32), name))


def lab_net() -> "onnx.ModelProto":
    """conv3x3 -> LAB -> HardSwish -> LAB -> conv1x1 -> LAB -> HardSwish -> LAB -> depthwise conv3x3 (padded)."""
    nodes, c = [], 4
    weights = {
        "w0": RNG.normal(size=(c, 3, 3, 3)), "b0": RNG.normal(size=c),
        "w1": RNG.normal(size=(c, c, 1, 1)), "b1": RNG.normal(size=c),
        "w2": RNG.normal(size=(c, 1, 3, 3)),
    }
    nodes += [constant(k, v) for k, v in weights.items()]
    x = "x"

    def lab(src: str, tag: str) -> str:
        nodes.extend([constant(f"s{tag}", [RNG.uniform(0.5, 2)]), constant(f"t{tag}", [RNG.normal()])])
        nodes.append(helper.make_node("Mul", [f"s{tag}", src], [f"m{tag}"]))
        nodes.append(helper.make_node("Add", [f"m{tag}", f"t{tag}"], [f"a{tag}"]))
        return f"a{tag}"

    nodes.append(helper.make_node("Conv", [x, "w0", "b0"], ["c0"], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("HardSwish", [lab("c0", "0")], ["h0"]))
    nodes.append(helper.make_node("Conv", [lab("h0", "1"), "w1", "b1"], ["c1"]))
    nodes.append(helper.make_node("HardSwish", [lab("c1", "2")], ["h1"]))
    nodes.append(helper.make_node("Conv", [lab("h1", "3"), "w2"], ["y"], pads=[1, 1, 1, 1], group=c))
    graph = helper.make_graph(
        nodes, "lab", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 8, 10])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, c, 8, 10])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])


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
    nodes = [constant("w", RNG.normal(size=(2, 3, 1, 1))),
             helper.make_node("Conv", ["x", "w"], ["c"]), helper.make_node("Relu", ["c"], ["y"])]
    graph = helper.make_graph(nodes, "plain", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 4, 4])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 2, 4, 4])])
    path = tmp_path / "plain.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), str(path))
    stored = path.read_bytes()
    assert optimize_file(path).total == 0
    assert path.read_bytes() == stored
