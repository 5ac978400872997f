"""The conftest rule: under `make test` / CI a skip that hides a broken shipped dependency fails, other skips stay.
Judged by pytest's own exit status and summary on a throwaway test file run in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CASES = '''
import pytest


def test_missing_hard_dependency():
    pytest.importorskip("PIL.no_such_submodule")  # stands for a missing Pillow: PIL itself is installed here

def test_default_model_not_converted():
    pytest.skip("default models not converted (x): run `make convert`")

def test_paddle_missing_in_convert_venv():
    pytest.skip("paddlepaddle/paddle2onnx not installed (build-time deps: pip install -r convert/requirements.txt)")

def test_shared_data_absent():
    pytest.skip("../shared/data/funsd is not beside the checkout")
'''


def run_cases(tmp_path: Path, strict: bool) -> str:
    tests = tmp_path / "tests"
    tests.mkdir(exist_ok=True)
    (tests / "conftest.py").write_text((Path(__file__).parent / "conftest.py").read_text())
    (tests / "testlib.py").write_text((Path(__file__).parent / "testlib.py").read_text())
    (tests / "test_cases.py").write_text(CASES)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "ONNXOCR_STRICT_SKIPS")}
    if strict:
        env["ONNXOCR_STRICT_SKIPS"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", str(tests)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    return done.stdout


def test_strict_mode_fails_the_skips_that_hide_breakage(tmp_path):
    out = run_cases(tmp_path, strict=True)
    assert "3 failed, 1 skipped" in out, out
    for name in ("missing_hard_dependency", "default_model_not_converted", "paddle_missing_in_convert_venv"):
        assert f"FAILED tests/test_cases.py::test_{name}" in out, out


def test_without_strict_mode_they_stay_skips(tmp_path):
    assert "4 skipped" in run_cases(tmp_path, strict=False)
