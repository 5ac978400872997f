"""Session fixtures: OCR objects on the fixture models and on the default converted store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parent
for _path in (_TESTS, _TESTS.parent):  # testlib helpers; bench/ is a top-level folder, not an installed package
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from testlib import FIXTURE_DICTS, FIXTURE_MODELS, FIXTURES  # noqa: E402

import os  # noqa: E402
import re  # noqa: E402

# -- strict skips --------------------------------------------------------------------------------------------------
# In `make test` (the Makefile sets ONNXOCR_STRICT_SKIPS=1) and in CI (CI=true) a skip that means "something we ship
# or something `make test` installs is broken" fails instead: a missing dependency that `make install` /
# `make install-convert` installs, a model `make convert` / `make convert-reference` makes, Paddle missing from the
# venv built to hold it, a system package `make test` installs, onnxruntime-openvino missing from .venv-openvino.
# Skips for what a checkout may honestly lack (../shared data, a CPU feature, not being root) stay skips.
STRICT_SKIPS = os.environ.get("ONNXOCR_STRICT_SKIPS") == "1" or os.environ.get("CI", "").lower() == "true"
# import names of the distributions `make install` installs (pyproject dependencies + the test and ray extras)
_INSTALLED_IMPORTS = {
    "onnxruntime", "numpy", "cv2", "pyclipper", "PIL", "typer",  # runtime
    "pytest", "hypothesis", "pypdfium2", "pikepdf", "ocrmypdf", "xmlschema",  # test, pdf, ocrmypdf extras
    "ray",  # ray extra
    "onnx", "paddle", "paddle2onnx",  # convert/requirements.txt (imported only by tests/convert, run in .venv-convert)
}
_BROKEN_REASONS = (
    re.compile(r"make (convert|convert-reference)\b"),  # a default or reference model not converted
    re.compile(r"`make test` installs|make valgrind installs|make install does"),  # what make test installs
    re.compile(r"paddlepaddle/paddle2onnx not installed|onnx/onnxruntime not installed"),  # .venv-convert incomplete
)


def shipped_broken(reason: str) -> bool:
    """True when a skip with this reason means something we ship (or `make test` installs) is missing."""
    missing = re.search(r"could not import '([\w.]+)'", reason)
    if missing and missing.group(1).split(".")[0] in _INSTALLED_IMPORTS:
        return True
    if "onnxruntime-openvino not installed" in reason:
        return os.environ.get("ONNXOCR_REQUIRE_OPENVINO") == "1"  # set by `make test-openvino` in .venv-openvino
    return any(pattern.search(reason) for pattern in _BROKEN_REASONS)


def _fail_broken_skip(report) -> None:
    if not (STRICT_SKIPS and report.skipped and not hasattr(report, "wasxfail")):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if shipped_broken(reason):
        report.outcome = "failed"
        report.longrepr = f"a skip that means something shipped is broken fails under `make test` / CI: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_broken_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_broken_skip(outcome.get_result())


@pytest.fixture(scope="session")
def fixture_en_ocr():
    """Fixture PP-OCRv2 detector + en_number_mobile_v2.0 recogniser with PaddleOCR's exact semantics
    (its rec batching, no space recovery), for comparisons with PaddleOCR's reference outputs."""
    if not FIXTURES.is_dir():
        pytest.skip(f"../shared fixtures not found at {FIXTURES}")
    from onnxocr import OCR

    return OCR(
        det_model=FIXTURE_MODELS / "ch_PP-OCRv2_det_infer.onnx",
        rec_model=FIXTURE_MODELS / "en_number_mobile_v2.0_rec_infer.onnx",
        dict_path=FIXTURE_DICTS / "en_dict.txt",
        rec_space_recovery=False,
        rec_batch_mode="paddle",
    )


@pytest.fixture(scope="session")
def default_ocr():
    """OCR with the default model set from the store (what `make convert` produces)."""
    from onnxocr import OCR
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    missing = [n for n in load_catalog().default_convert if not ModelStore().is_installed(n)]
    if missing:
        pytest.skip(f"default models not converted ({', '.join(missing)}): run `make convert`")
    return OCR(use_cls=True)
