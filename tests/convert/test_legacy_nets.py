"""The v2.0 op set (CRNN with BiLSTM + per-timestep softmax; DB-style conv/upsample + sigmoid), built in Paddle,
saved in the legacy inference format, converted through the catalog pipeline, and checked for parity."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convert.cli import main
from convert.graph.metadata import read_metadata
from convert_testlib import needs_paddle, write_catalog
from onnxocr.models.store import ModelStore

HERE = Path(__file__).resolve().parent
DICTIONARY = "".join(f"{c}\n" for c in "abcdefghi").encode()  # 9 lines + blank + space = 11 classes


@pytest.fixture(scope="module")
def legacy_nets(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("legacy_nets")
    env = {**os.environ, "FLAGS_enable_pir_api": "0"}
    result = subprocess.run([sys.executable, str(HERE / "build_legacy_nets.py"), str(out)], capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def catalog_for_nets(tmp_path: Path, dict_url: str) -> Path:
    common = {"arch_version": "PP-OCR", "quantized": False, "pruned": False, "languages": ["en"], "format": "paddle",
              "convertible": True, "reason": "", "files": {}, "sources": []}
    models = {
        "tiny_crnn_rec": {"task": "rec", "input_shape": [3, 32, -1], "dictionary": "tiny_dict", "use_space_char": True,
                          **common},
        "tiny_db_det": {"task": "det", "input_shape": [3, -1, -1], **common},
    }
    dictionaries = {"tiny_dict": {"path": "tiny_dict.txt", "lines": 9,
                                  "sha256": hashlib.sha256(DICTIONARY).hexdigest(), "urls": [dict_url], "pypi": []}}
    return write_catalog(tmp_path / "models.toml", models, dictionaries, default_convert=list(models))


@needs_paddle
def test_legacy_programs_hold_the_v20_op_set(legacy_nets):
    from convert.program.paddle_to_onnx import program_op_types

    rec_ops = set(program_op_types(legacy_nets / "tiny_crnn_rec_infer" / "inference.pdmodel"))
    det_ops = set(program_op_types(legacy_nets / "tiny_db_det_infer" / "inference.pdmodel"))
    assert {"conv2d", "batch_norm", "rnn", "softmax", "matmul_v2"} <= rec_ops or {"conv2d", "rnn", "softmax"} <= rec_ops
    assert "sigmoid" in det_ops and "conv2d_transpose" in det_ops
    assert {"nearest_interp_v2", "bilinear_interp_v2"} <= det_ops


@needs_paddle
def test_legacy_nets_convert_with_parity(legacy_nets, loopback, tmp_path, capsys):
    import onnx

    loopback.routes["/tiny_dict.txt"] = DICTIONARY
    catalog = catalog_for_nets(tmp_path, loopback.url("/tiny_dict.txt"))
    code = main(["--catalog", str(catalog), "--out", str(tmp_path / "store"), "--cache", str(tmp_path / "cache"),
                 "--source-dir", str(legacy_nets)])
    out = capsys.readouterr().out
    assert code == 0, out
    store = ModelStore(tmp_path / "store")
    manifest = store.read_manifest()
    for name in ("tiny_crnn_rec", "tiny_db_det"):
        assert manifest[name]["parity_max_abs"] <= 1e-4
        assert len(manifest[name]["parity_shapes"]) >= 3
        assert len({tuple(s[2:]) for s in manifest[name]["parity_shapes"]}) >= 2  # several spatial shapes

    rec = onnx.load(str(store.model_path("tiny_crnn_rec")))
    assert "LSTM" in {node.op_type for node in rec.graph.node}
    dims = rec.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and dims[3].dim_param  # batch and width stay dynamic
    meta = read_metadata(store.model_path("tiny_crnn_rec"))
    assert meta["character"] == "\n".join("abcdefghi") and meta["onnxocr.use_space_char"] == "true"

    det = onnx.load(str(store.model_path("tiny_db_det")))
    dims = det.graph.input[0].type.tensor_type.shape.dim
    assert all(dims[i].dim_param for i in (0, 2, 3))  # batch, height, width dynamic
    import onnxruntime as ort

    session = ort.InferenceSession(str(store.model_path("tiny_db_det")), providers=["CPUExecutionProvider"])
    prob = session.run(None, {"x": np.zeros((1, 3, 64, 96), np.float32)})[0]
    assert prob.shape == (1, 1, 64, 96) and prob.min() >= 0 and prob.max() <= 1


@needs_paddle
def test_wrong_dictionary_is_caught_by_class_count(legacy_nets, loopback, tmp_path, capsys):
    wrong = DICTIONARY + b"j\n"
    loopback.routes["/tiny_dict.txt"] = wrong
    catalog = catalog_for_nets(tmp_path, loopback.url("/tiny_dict.txt"))
    text = catalog.read_text().replace(hashlib.sha256(DICTIONARY).hexdigest(), hashlib.sha256(wrong).hexdigest())
    catalog.write_text(text.replace("lines = 9", "lines = 10"))
    code = main(["tiny_crnn_rec", "--catalog", str(catalog), "--out", str(tmp_path / "store"),
                 "--cache", str(tmp_path / "cache"), "--source-dir", str(legacy_nets)])
    assert code == 1
    assert "recogniser has 11 classes but dictionary tiny_dict gives 12" in capsys.readouterr().out
    assert not (tmp_path / "store" / "tiny_crnn_rec.onnx").exists()
