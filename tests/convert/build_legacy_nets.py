"""Build two small nets in Paddle and save them in the legacy inference format (.pdmodel + .pdiparams) that
PaddleOCR's v2.0 models use. Run as a script in a fresh process: `python build_legacy_nets.py OUT_DIR`.

- tiny_crnn_rec: conv + BN + ReLU, pooled to height 1, two-layer bidirectional LSTM, linear, per-timestep
  softmax (the CRNN op set of the v2.0 recognisers); 11 classes.
- tiny_db_det: strided conv backbone, nearest and bilinear upsampling, a transposed conv, sigmoid map (DB).
"""

import os
import sys

os.environ["FLAGS_enable_pir_api"] = "0"  # legacy ProgramDesc (.pdmodel), as the v2.0 models were saved

import paddle  # noqa: E402


def save(folder: str, build) -> None:
    main, startup = paddle.static.Program(), paddle.static.Program()
    with paddle.static.program_guard(main, startup):
        feed, fetch = build()
    executor = paddle.static.Executor(paddle.CPUPlace())
    executor.run(startup)
    paddle.static.save_inference_model(os.path.join(folder, "inference"), [feed], [fetch], executor, program=main)


def legacy_unary(op_type: str, x):
    """Append a one-input op directly: in Paddle 3.x's legacy static mode some activation wrappers
    (sigmoid, exp) only accept PIR values, but the legacy program op itself is what the v2.0 models hold."""
    from paddle.base.layer_helper import LayerHelper

    helper = LayerHelper(op_type)
    out = helper.create_variable_for_type_inference(x.dtype)
    helper.append_op(type=op_type, inputs={"X": [x]}, outputs={"Out": [out]})
    return out


def crnn():
    x = paddle.static.data("x", [-1, 3, 32, -1], "float32")
    y = paddle.nn.Conv2D(3, 16, 3, padding=1)(x)
    y = paddle.nn.functional.relu(paddle.nn.BatchNorm2D(16)(y))
    y = paddle.nn.MaxPool2D(kernel_size=(32, 4), stride=(32, 4))(y)  # N,16,1,W/4
    y = paddle.squeeze(y, axis=2).transpose([0, 2, 1])  # N,T,16
    y, _ = paddle.nn.LSTM(16, 24, num_layers=2, direction="bidirect")(y)
    logits = paddle.nn.Linear(48, 11)(y)
    return x, paddle.nn.functional.softmax(logits, axis=2)


def db():
    x = paddle.static.data("x", [-1, 3, -1, -1], "float32")
    c1 = paddle.nn.functional.relu(paddle.nn.Conv2D(3, 8, 3, stride=2, padding=1)(x))  # H/2
    c2 = paddle.nn.functional.relu(paddle.nn.BatchNorm2D(16)(paddle.nn.Conv2D(8, 16, 3, stride=2, padding=1)(c1)))  # H/4
    c3 = paddle.nn.functional.relu(paddle.nn.Conv2D(16, 16, 3, stride=2, padding=1)(c2))  # H/8
    c2 = c2 + paddle.nn.functional.interpolate(c3, scale_factor=2, mode="bilinear", align_corners=False)
    up = paddle.nn.functional.interpolate(c2, scale_factor=2, mode="nearest")  # H/2
    fused = paddle.concat([up, paddle.nn.Conv2D(8, 16, 1)(c1)], axis=1)
    y = paddle.nn.functional.relu(paddle.nn.Conv2D(32, 8, 3, padding=1)(fused))
    y = paddle.nn.Conv2DTranspose(8, 4, 2, stride=2)(y)  # H
    y = paddle.nn.Conv2D(4, 1, 3, padding=1)(y)
    return x, legacy_unary("sigmoid", y)


if __name__ == "__main__":
    out = sys.argv[1]
    paddle.enable_static()
    paddle.seed(7)
    save(os.path.join(out, "tiny_crnn_rec_infer"), crnn)
    save(os.path.join(out, "tiny_db_det_infer"), db)
