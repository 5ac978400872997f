"""convert.checks.parity: 1e-4 on noise, 2e-3 for recurrent (BiLSTM) recognisers."""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper

from convert_testlib import FIXTURES, needs_shared
from convert.checks.parity import PARITY_TOLERANCE, RECURRENT_PARITY_TOLERANCE, is_recurrent, parity_tolerance


@needs_shared
def test_published_models_get_the_bound_of_their_architecture():
    """PaddleOCR's published architectures are the reference: en_number_mobile_v2.0_rec is a CRNN
    (rec_mv3_none_bilstm_ctc: MobileNetV3 + BiLSTM + CTC), the DB detectors and the v2.0 angle classifier are
    convolutional. The recurrent one gets the looser bound, the others the tight one."""
    onnx_dir = FIXTURES / "models" / "onnx"
    assert is_recurrent(onnx_dir / "en_number_mobile_v2.0_rec_infer.onnx")
    assert not is_recurrent(onnx_dir / "ch_PP-OCRv2_det_infer.onnx")
    assert not is_recurrent(onnx_dir / "ch_ppocr_mobile_v2.0_cls_infer.onnx")
    assert parity_tolerance(True) == RECURRENT_PARITY_TOLERANCE > parity_tolerance(False) == PARITY_TOLERANCE


def _graph_with(op_type: str, inputs: list[str], **attrs) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    weights = [helper.make_tensor(n, TensorProto.FLOAT, dims, [0.0] * (dims[0] * dims[1] * dims[2]))
               for n, dims in (("w", [1, 8, 4]), ("r", [1, 8, 2]))] if op_type == "LSTM" else []
    node = helper.make_node(op_type, inputs, ["y"], **attrs)
    return helper.make_model(helper.make_graph([node], "g", [x], [y], weights))


def test_is_recurrent_finds_an_lstm_node_and_nothing_else(tmp_path):
    lstm, relu = tmp_path / "lstm.onnx", tmp_path / "relu.onnx"
    onnx.save(_graph_with("LSTM", ["x", "w", "r"], hidden_size=2), str(lstm))
    onnx.save(_graph_with("Relu", ["x"]), str(relu))
    assert is_recurrent(lstm) and not is_recurrent(relu)
