"""convert.parity.parity_tolerance: the bound on max |Paddle - ONNX| per task."""

from __future__ import annotations

from convert.parity import PARITY_TOLERANCE, REC_PARITY_TOLERANCE, parity_tolerance


def test_detectors_and_classifiers_are_held_to_1e4_and_recognisers_to_2e3():
    assert parity_tolerance("det") == parity_tolerance("cls") == PARITY_TOLERANCE == 1e-4
    assert parity_tolerance("rec") == REC_PARITY_TOLERANCE == 2e-3
