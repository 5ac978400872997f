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

from convert.graph.optimize import constants_to_initializers
from convert.graph.quantize import calibration_batches, quantize_int8
from convert_testlib import FIXTURES, REPO, SHARED, needs_shared

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

FUNSD = SHARED / "data" / "funsd"
CLS_SHAPE = (3, 48, 192)


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
@pytest.mark.skipif(not FUNSD.is_dir(), reason="../shared/data/funsd is not beside the checkout")
def test_int8_classifier_tells_upright_from_turned_real_lines_as_well_as_float(int8_classifier):
    import cv2
    from onnxocr.core.crop import resize_normalize_pad

    crops = funsd_line_crops()
    assert len(crops) > 700
    turned = [cv2.rotate(c, cv2.ROTATE_180) for c in crops]
    batch = np.stack([resize_normalize_pad(c, CLS_SHAPE[1], CLS_SHAPE[2]) for c in crops + turned])
    truth = np.array([0] * len(crops) + [1] * len(turned))
    float_accuracy, int8_accuracy = ((run_cls(p, batch).argmax(1) == truth).mean() for p in int8_classifier)
    assert float_accuracy > 0.8  # the crops and labels are sound: the float model reads them
    assert int8_accuracy >= float_accuracy - 0.02


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
