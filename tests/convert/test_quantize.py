"""`--quantize int8`: static QDQ quantisation calibrated on rendered text (weights stored as Constant nodes, as
paddle2onnx writes them, are moved to initializers first)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convert.cli import main as convert_main
from convert.graph.metadata import read_metadata
from convert.graph.optimize import constants_to_initializers
from convert.graph.quantize import calibration_batches, quantize_int8
from convert_testlib import FIXTURES, REPO, SHARED, needs_paddle, needs_shared

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

FUNSD = SHARED / "data" / "funsd"
CLS_SHAPE = (3, 48, 192)
PADDLE_DIR = FIXTURES / "models" / "paddle"
CLS_NAME = "ch_ppocr_mobile_v2.0_cls"
needs_funsd = pytest.mark.skipif(not FUNSD.is_dir(), reason="../shared/data/funsd is not beside the checkout")


@pytest.fixture(scope="module")
def int8_classifier(tmp_path_factory) -> tuple[Path, Path]:
    """(float, int8) paths of PaddleOCR's mobile v2.0 angle classifier, the float one with its weights as
    Constant nodes the way paddle2onnx 1.3 writes them, to exercise the initializer move."""
    folder = tmp_path_factory.mktemp("int8_cls")
    model = onnx.load(str(FIXTURES / "models" / "onnx" / "ch_ppocr_mobile_v2.0_cls_infer.onnx"))
    for init in list(model.graph.initializer):
        model.graph.node.insert(0, onnx.helper.make_node("Constant", [], [init.name], value=init))
        model.graph.initializer.remove(init)
    float_path = folder / "float.onnx"
    onnx.save(model, str(float_path))
    return float_path, quantize_int8(float_path, folder / "int8.onnx", "cls", CLS_SHAPE).onnx_path


def run_cls(path: Path, batch: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": batch})[0]


@pytest.fixture(scope="module")
def funsd_crops() -> list[np.ndarray]:
    """funsd_line_crops(), read once per module."""
    return funsd_line_crops()


def funsd_line_crops() -> list[np.ndarray]:
    """BGR crops of FUNSD's annotated text segments (3+ characters, wider than twice their height)."""
    import cv2

    crops = []
    for annotation in sorted((FUNSD / "annotations").glob("*.json")):
        page = cv2.imread(str(FUNSD / "images" / f"{annotation.stem}.png"))
        for segment in json.loads(annotation.read_text(encoding="utf-8"))["form"]:
            x0, y0, x1, y1 = segment["box"]
            if len(segment["text"].strip()) >= 3 and y1 - y0 >= 8 and x1 - x0 >= 2 * (y1 - y0):
                crops.append(page[max(0, y0 - 2) : y1 + 2, max(0, x0 - 2) : x1 + 2])
    return crops


@needs_shared
def test_int8_classifier_is_smaller_and_its_weights_fit_in_7_bits(int8_classifier):
    float_path, int8_path = int8_classifier
    assert int8_path.stat().st_size < 0.6 * float_path.stat().st_size
    weights = [onnx.numpy_helper.to_array(t) for t in onnx.load(str(int8_path)).graph.initializer
               if t.data_type == onnx.TensorProto.INT8]
    assert len(weights) >= 50  # every Conv and the final MatMul
    # 255 * 64 * 2 = 32640 fits the 16-bit pair sums of onnxruntime's u8 x s8 kernels on CPUs without VNNI
    assert max(int(np.abs(w.astype(np.int32)).max()) for w in weights) <= 64


@needs_shared
@needs_funsd
def test_int8_classifier_tells_upright_from_turned_real_lines_as_well_as_float(int8_classifier, funsd_crops):
    import cv2
    from onnxocr.core.crop import resize_normalize_pad

    crops = funsd_crops
    assert len(crops) > 700
    turned = [cv2.rotate(c, cv2.ROTATE_180) for c in crops]
    batch = np.stack([resize_normalize_pad(c, CLS_SHAPE[1], CLS_SHAPE[2]) for c in crops + turned])
    truth = np.array([0] * len(crops) + [1] * len(turned))
    float_accuracy, int8_accuracy = ((run_cls(p, batch).argmax(1) == truth).mean() for p in int8_classifier)
    assert float_accuracy > 0.8  # the crops and labels are sound: the float model reads them
    assert int8_accuracy >= float_accuracy - 0.02


@pytest.fixture(scope="module")
def cli_int8_store(tmp_path_factory) -> Path:
    """The store after `python -m convert ch_ppocr_mobile_v2.0_cls --quantize int8 --source-dir <seed Paddle
    files>`: the float model (with Paddle parity) and its `_int8` variant."""
    if not PADDLE_DIR.is_dir():
        pytest.skip("../shared/fixtures/models/paddle is not beside the checkout")
    root = tmp_path_factory.mktemp("cli_int8")
    code = convert_main([CLS_NAME, "--quantize", "int8", "--source-dir", str(PADDLE_DIR),
                         "--out", str(root / "store"), "--cache", str(root / "cache")])
    assert code == 0, "the convert CLI failed on the seed classifier with --quantize int8 (see the summary above)"
    return root / "store"


@needs_shared
@needs_paddle
def test_cli_quantize_int8_installs_a_recorded_verified_variant_with_the_float_models_metadata(cli_int8_store):
    from onnxocr.models.store import ModelStore, sha256_file

    store = ModelStore(cli_int8_store)
    manifest = store.read_manifest()
    float_record, int8_record = manifest[CLS_NAME], manifest[f"{CLS_NAME}_int8"]
    int8_path = store.verify(f"{CLS_NAME}_int8")  # raises unless the file's sha256 is the manifest's
    assert int8_record["sha256"] == sha256_file(int8_path) and len(int8_record["sha256"]) == 64
    assert int8_record["float_model"] == CLS_NAME and "quantize_static QDQ" in int8_record["quantized"]
    assert int8_record["parity_max_abs"] is None and float_record["parity_max_abs"] < 1e-4
    for key in ("task", "input_shape", "source", "source_sha256", "source_files", "dictionary"):
        assert int8_record[key] == float_record[key], key
    float_meta, int8_meta = read_metadata(store.verify(CLS_NAME)), read_metadata(int8_path)
    assert int8_meta["onnxocr.name"] == f"{CLS_NAME}_int8" and int8_meta["onnxocr.quantized"] == int8_record["quantized"]
    assert int8_meta["onnxocr.parity_max_abs"] == "" and float_meta["onnxocr.parity_max_abs"] != ""
    carried = {k: v for k, v in float_meta.items() if k not in ("onnxocr.name", "onnxocr.parity_max_abs")}
    assert carried and {k: int8_meta.get(k) for k in carried} == carried  # every other key, pre/post-processing too
    assert int8_path.stat().st_size < 0.6 * store.verify(CLS_NAME).stat().st_size


@needs_shared
@needs_paddle
@needs_funsd
def test_cli_int8_classifier_loads_in_the_runtime_and_reads_real_lines_as_float_does(cli_int8_store, funsd_crops):
    """The runtime's own classifier on FUNSD's annotated lines, upright and turned by 180 degrees: the truth is
    how the crops were made, not either model's output."""
    import cv2
    from onnxocr.config import ClsConfig, EngineConfig
    from onnxocr.core.classification import TextClassifier
    from onnxocr.core.engine import OnnxModel
    from onnxocr.models.store import ModelStore

    store = ModelStore(cli_int8_store)
    crops = funsd_crops + [cv2.rotate(c, cv2.ROTATE_180) for c in funsd_crops]
    truth = ["0"] * len(funsd_crops) + ["180"] * len(funsd_crops)
    accuracy = {}
    for name in (CLS_NAME, f"{CLS_NAME}_int8"):
        model = OnnxModel(store.verify(name), EngineConfig(), role="cls")
        assert model.metadata["onnxocr.task"] == "cls"
        _, labels, _ = TextClassifier(model, ClsConfig())(crops)
        accuracy[name] = float(np.mean([label.label == want for label, want in zip(labels, truth)]))
    assert accuracy[CLS_NAME] > 0.8, accuracy  # the crops and labels are sound: the float model reads them
    # At most 3 points lost. Measured on 1616 crops: float 0.886, the CLI's int8 0.861. The CLI exports at opset 14,
    # so its weights are quantised per channel; the opset-11 fixture above is quantised per tensor and loses only
    # 0.7 points (0.879), so the stricter 2-point bar of the function test does not hold for what the CLI ships.
    assert accuracy[f"{CLS_NAME}_int8"] >= accuracy[CLS_NAME] - 0.03, accuracy


def test_cli_refuses_another_quantization_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        convert_main([CLS_NAME, "--quantize", "int4", "--out", str(tmp_path / "store"), "--cache", str(tmp_path / "cache")])
    assert stopped.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert errors == ["python -m convert: error: argument --quantize: invalid choice: 'int4' (choose from 'int8')"]
    assert not (tmp_path / "store").exists() and not (tmp_path / "cache").exists()


VNNI_FLAGS = {"avx512_vnni", "avx_vnni", "amx_int8"}


def host_cpu_flags() -> set[str]:
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.exists() else ""
    return {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split(":", 1)[1].split()}


@needs_shared
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed (make valgrind installs it)")
@pytest.mark.skipif(not VNNI_FLAGS & host_cpu_flags(), reason="this CPU has no VNNI: its own run is already the AVX2 path")
def test_int8_classifier_gives_the_same_numbers_without_vnni(int8_classifier, tmp_path):
    """valgrind's CPU offers AVX2 but neither AVX-512 nor VNNI, so onnxruntime picks its 16-bit-pair kernels there."""
    batch = np.concatenate(calibration_batches("cls", CLS_SHAPE))
    np.save(tmp_path / "batch.npy", batch)
    script = ("import sys, numpy as np, onnxruntime as ort; batch = np.load(sys.argv[2]); "
              "np.save(sys.argv[3], ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])"
              ".run(None, {'x': batch})[0])")
    subprocess.run(["valgrind", "-q", "--tool=none", sys.executable, "-c", script, str(int8_classifier[1]),
                    str(tmp_path / "batch.npy"), str(tmp_path / "avx2.npy")], check=True, cwd=REPO, timeout=600)
    np.testing.assert_array_equal(np.load(tmp_path / "avx2.npy"), run_cls(int8_classifier[1], batch))


def test_constants_to_initializers_moves_only_tensor_constants():
    weight = onnx.numpy_helper.from_array(np.ones((2, 2), np.float32), "w")
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Constant", [], ["w"], value=weight), onnx.helper.make_node("MatMul", ["x", "w"], ["y"])],
        "g", [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 2])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 2])])
    model = onnx.helper.make_model(graph)
    assert constants_to_initializers(model) == 1
    assert [i.name for i in model.graph.initializer] == ["w"] and [n.op_type for n in model.graph.node] == ["MatMul"]
