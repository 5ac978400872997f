"""`--quantize int8`: static QDQ quantisation calibrated on rendered text (weights stored as Constant nodes, as
paddle2onnx writes them, are moved to initializers first)."""

from __future__ import annotations

import numpy as np
import pytest

from convert.optimize import constants_to_initializers
from convert.quantize import calibration_batches, quantize_int8
from convert_testlib import FIXTURES, needs_shared

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


@needs_shared
def test_int8_classifier_is_smaller_and_close(tmp_path):
    source = FIXTURES / "models" / "onnx" / "ch_ppocr_mobile_v2.0_cls_infer.onnx"
    model = onnx.load(str(source))
    float_path = tmp_path / "float.onnx"
    # store weights as Constant nodes, the way paddle2onnx 1.3 does, to exercise the initializer move
    for init in list(model.graph.initializer):
        model.graph.node.insert(0, onnx.helper.make_node("Constant", [], [init.name], value=init))
        model.graph.initializer.remove(init)
    onnx.save(model, str(float_path))
    result = quantize_int8(float_path, tmp_path / "int8.onnx", "cls", (3, 48, 192))
    assert result.onnx_path.stat().st_size < 0.6 * float_path.stat().st_size
    # real crops: rendered lines upright and turned; the int8 model must give the float model's labels
    batch = np.concatenate(calibration_batches("cls", (3, 48, 192)))
    outputs = [ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"x": batch})[0]
               for p in (float_path, result.onnx_path)]
    assert outputs[1].shape == outputs[0].shape
    assert (outputs[1].argmax(1) == outputs[0].argmax(1)).mean() >= 0.9


def test_constants_to_initializers_moves_only_tensor_constants():
    weight = onnx.numpy_helper.from_array(np.ones((2, 2), np.float32), "w")
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Constant", [], ["w"], value=weight), onnx.helper.make_node("MatMul", ["x", "w"], ["y"])],
        "g", [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 2])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 2])])
    model = onnx.helper.make_model(graph)
    assert constants_to_initializers(model) == 1
    assert [i.name for i in model.graph.initializer] == ["w"] and [n.op_type for n in model.graph.node] == ["MatMul"]
