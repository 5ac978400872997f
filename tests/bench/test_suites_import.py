"""Every benchmark suite (`python -m bench.X`, the make bench-* targets) imports: a module moved or renamed under
bench/lib or onnxocr breaks a suite at its first line, and no other test runs the suites."""

import importlib
from pathlib import Path

import pytest

SUITES = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "bench").glob("*.py") if p.stem != "__init__")


def test_the_suites_are_found():
    assert {"eval", "peers", "scans", "layout", "serve", "orientation", "dpi"} <= set(SUITES)


@pytest.mark.parametrize("suite", SUITES)
def test_suite_imports(suite):
    module = importlib.import_module(f"bench.{suite}")
    assert callable(getattr(module, "main", None)), f"bench.{suite} has no main()"
