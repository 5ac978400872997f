"""PaddleX's PIR format (inference.json + inference.pdiparams + inference.yml): small DB-like and SVTR/CTC-like
nets built with Paddle 3.x, converted through the catalog pipeline (p2o), parity against Paddle Inference, and
the inference.yml facts carried into the ONNX metadata that the runtime obeys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from convert.cli import main
from convert.graph.metadata import read_metadata
from convert_testlib import needs_paddle, write_catalog
from onnxocr.models.store import ModelStore

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def pir_nets(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pir_nets")
    result = subprocess.run([sys.executable, str(HERE / "build_pir_nets.py"), str(out)], capture_output=True,
                            text=True, env=dict(os.environ), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def catalog_for_nets(tmp_path: Path, det_preprocess: dict, rec_dictionary: str = "inference.yml",
                     dictionaries: dict | None = None) -> Path:
    common = {"arch_version": "PP-OCRv6", "quantized": False, "pruned": False, "languages": ["en"],
              "format": "paddle-pir", "convertible": True, "reason": "", "files": {}, "sources": []}
    models = {
        "tiny_svtr_rec": {"task": "rec", "input_shape": [3, 32, -1], "dictionary": rec_dictionary,
                          "use_space_char": True, **common},
        "tiny_db_det": {"task": "det", "input_shape": [3, -1, -1], **common, "preprocess": det_preprocess},
    }
    return write_catalog(tmp_path / "models.toml", models, dictionaries, default_convert=list(models))


def convert(tmp_path, catalog, nets, *names) -> int:
    return main([*names, "--catalog", str(catalog), "--out", str(tmp_path / "store"), "--cache", str(tmp_path / "cache"),
                 "--source-dir", str(nets)])


@needs_paddle
def test_pir_nets_hold_the_v6_op_families(pir_nets):
    from convert.program.pir import pir_op_types

    rec = set(pir_op_types(pir_nets / "tiny_svtr_rec_infer" / "inference.json"))
    det = set(pir_op_types(pir_nets / "tiny_db_det_infer" / "inference.json"))
    assert {"layer_norm", "gelu", "softmax", "matmul", "hardswish", "conv2d", "batch_norm_"} <= rec, rec
    assert {"conv2d_transpose", "sigmoid", "bilinear_interp", "nearest_interp", "batch_norm_"} <= det, det


@needs_paddle
def test_pir_nets_convert_with_parity_and_metadata(pir_nets, tmp_path, capsys):
    import numpy as np
    import onnx

    catalog = catalog_for_nets(tmp_path, {"box_thresh": 0.5})
    code = convert(tmp_path, catalog, pir_nets)
    out = capsys.readouterr().out
    assert code == 0, out
    store = ModelStore(tmp_path / "store")
    manifest = store.read_manifest()
    for name in ("tiny_svtr_rec", "tiny_db_det"):
        assert manifest[name]["parity_max_abs"] <= 1e-4, manifest[name]
        assert len(manifest[name]["parity_shapes"]) >= 3
        assert manifest[name]["converter"].startswith("p2o ")
    rec = onnx.load(str(store.model_path("tiny_svtr_rec")))
    dims = rec.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and dims[3].dim_param  # batch and width stay dynamic
    meta = read_metadata(store.model_path("tiny_svtr_rec"))
    assert meta["character"] == "\n".join("abcdefghi")  # from inference.yml's PostProcess.character_dict
    assert meta["onnxocr.rec.image_shape"] == "3,32,100"
    det_meta = read_metadata(store.model_path("tiny_db_det"))
    assert det_meta["onnxocr.det.limit_side_len"] == "736" and det_meta["onnxocr.det.limit_type"] == "min"
    assert det_meta["onnxocr.det.max_side_limit"] == "4000" and det_meta["onnxocr.det.thresh"] == "0.2"
    assert det_meta["onnxocr.det.mean"] == "0.485,0.456,0.406" and det_meta["onnxocr.det.unclip_ratio"] == "1.4"
    assert det_meta["onnxocr.det.box_thresh"] == "0.5"  # the catalog row's (measured) value wins over the yml's 0.45

    import onnxruntime as ort

    session = ort.InferenceSession(str(store.model_path("tiny_db_det")), providers=["CPUExecutionProvider"])
    prob = session.run(None, {"x": np.zeros((1, 3, 64, 96), np.float32)})[0]
    assert prob.shape == (1, 1, 64, 96) and prob.min() >= 0 and prob.max() <= 1


@needs_paddle
def test_runtime_obeys_the_model_and_the_user_overrides_it(pir_nets, tmp_path, capsys):
    from onnxocr import OCR

    assert convert(tmp_path, catalog_for_nets(tmp_path, {}), pir_nets) == 0, capsys.readouterr().out
    store = ModelStore(tmp_path / "store")
    det, rec = store.model_path("tiny_db_det"), store.model_path("tiny_svtr_rec")
    ocr = OCR(det_model=det, rec_model=rec)
    assert (ocr.config.det.limit_side_len, ocr.config.det.limit_type, ocr.config.det.max_side_limit) == (736, "min", 4000)
    assert (ocr.config.det.thresh, ocr.config.det.box_thresh, ocr.config.det.unclip_ratio) == (0.2, 0.45, 1.4)
    assert (ocr.config.rec.image_height, ocr.config.rec.image_width) == (32, 100)
    user = OCR(det_model=det, rec_model=rec, det_box_thresh=0.7, det_limit_type="max")
    assert user.config.det.box_thresh == 0.7 and user.config.det.limit_type == "max"
    assert user.config.det.limit_side_len == 736  # what the user did not set still comes from the model


@needs_paddle
def test_wrong_pinned_dictionary_is_caught(pir_nets, tmp_path, loopback, capsys):
    import hashlib

    wrong = "".join(f"{c}\n" for c in "abcdefghij").encode()
    loopback.routes["/d.txt"] = wrong
    dictionaries = {"d": {"path": "d.txt", "lines": 10, "sha256": hashlib.sha256(wrong).hexdigest(),
                          "urls": [loopback.url("/d.txt")], "pypi": []}}
    code = convert(tmp_path, catalog_for_nets(tmp_path, {}, "d", dictionaries), pir_nets, "tiny_svtr_rec")
    assert code == 1
    assert "inference.yml's character_dict differs from the catalog's d" in capsys.readouterr().out
    assert not (tmp_path / "store" / "tiny_svtr_rec.onnx").exists()
