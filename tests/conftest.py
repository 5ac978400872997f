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
