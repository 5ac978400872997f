"""device="openvino": onnxruntime's OpenVINO execution provider on the default models.

Only the first test runs in the project's .venv (plain onnxruntime, no OpenVINO provider); the others need
onnxruntime-openvino and skip without it; `make test` runs them in .venv-openvino (`make test-openvino`), where
ONNXOCR_REQUIRE_OPENVINO=1 turns that skip into a failure (tests/conftest.py).
"""

from __future__ import annotations

import pytest

from testlib import REPO

import onnxruntime  # noqa: E402  (a runtime dependency: missing is a failure, never a skip)

needs_openvino = pytest.mark.skipif(
    "OpenVINOExecutionProvider" not in onnxruntime.get_available_providers(),
    reason="onnxruntime-openvino not installed (bench/systems/setup_openvino_venv.sh makes .venv-openvino)",
)


def test_threads_reach_openvino_as_num_of_threads():
    """OpenVINO ignores the session's intra_op_num_threads: threads= must be passed as its own option."""
    from onnxocr.config import EngineConfig
    from onnxocr.core.engine import _threaded_options

    assert _threaded_options("OpenVINOExecutionProvider", EngineConfig(device="openvino", intra_op_threads=3)) == {
        "num_of_threads": "3"
    }
    assert _threaded_options("OpenVINOExecutionProvider", EngineConfig(device="openvino")) == {}
    assert _threaded_options("CPUExecutionProvider", EngineConfig(intra_op_threads=3)) == {}


@needs_openvino
def test_openvino_options_defaults_and_caller_override():
    from onnxocr.config import EngineConfig
    from onnxocr.core.engine import resolve_providers

    assert resolve_providers(EngineConfig(device="openvino", intra_op_threads=1)) == [
        ("OpenVINOExecutionProvider", {"device_type": "CPU", "precision": "FP32", "num_of_threads": "1"}),
        ("CPUExecutionProvider", {}),
    ]
    over = EngineConfig(device="openvino", intra_op_threads=1, provider_options={"OpenVINOExecutionProvider": {"num_of_threads": 2}})
    assert resolve_providers(over)[0][1]["num_of_threads"] == "2"


@pytest.fixture(scope="module")
def ocr_pair():
    from onnxocr import OCR
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    model_set = load_catalog().model_set("ch")[1]
    missing = [model_set[t] for t in ("det", "rec") if not ModelStore().is_installed(model_set[t])]
    if missing:
        pytest.skip(f"default models not converted ({', '.join(missing)}): run `make convert`")
    return OCR(device="openvino", threads=1), OCR(device="cpu", threads=1, rec_workers=1)


@needs_openvino
def test_default_models_run_on_openvino_one_batch_at_a_time(ocr_pair):
    ov, _ = ocr_pair
    assert ov.detector.model.session.get_providers()[0] == "OpenVINOExecutionProvider"
    assert ov.recognizer.model.session.get_providers()[0] == "OpenVINOExecutionProvider"
    assert ov.recognizer.workers == 1  # the parallel CPU workers are for the CPU provider only


@needs_openvino
def test_openvino_reads_the_sample_page_as_the_cpu_provider_does(ocr_pair):
    ov, cpu = ocr_pair
    page = str(REPO / "docs" / "sample.png")
    got, want = ov(page), cpu(page)
    assert len(want.lines) > 3
    assert [line.text for line in got.lines] == [line.text for line in want.lines]
    for a, b in zip(got.lines, want.lines):
        assert abs(a.score - b.score) < 1e-3
