"""The runners of the one document pipeline (onnxocr/runners.py) give the same page results in the same order:
the thread-pooled runner against the serial one, on rendered pages whose text is known."""

from __future__ import annotations

import pytest

from doclib import DEJAVU, make_tiff, page_lines
from testlib import render_page

pytestmark = pytest.mark.skipif(not DEJAVU.is_file(), reason=f"{DEJAVU} missing: `make test` installs fonts-dejavu-core")


def test_the_thread_runner_equals_the_serial_runner_page_for_page(default_ocr, tmp_path):
    import cv2

    from onnxocr.io.readers import iter_pages
    from onnxocr.runners import serial_runner, thread_runner

    cv2.imwrite(str(tmp_path / "a.png"), render_page(["Invoice 77", "Total due 12.50"]))
    (tmp_path / "b.tiff").write_bytes(make_tiff([page_lines(seed, count=2) for seed in (1, 2, 3)], dpi=100))
    (tmp_path / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")

    def run(runner):
        return [(p.source, p.page, p.result.text if p.result else None, bool(p.error)) for p in runner(iter_pages([tmp_path]))]

    serial = run(serial_runner(default_ocr))
    assert [(s.rsplit("/", 1)[-1], n, failed) for s, n, _, failed in serial] == [
        ("a.png", 1, False), ("b.tiff", 1, False), ("b.tiff", 2, False), ("b.tiff", 3, False), ("c.png", None, True)]
    assert serial[0][2].splitlines() == ["Invoice 77", "Total due 12.50"]
    assert serial[2][2].splitlines() == page_lines(2, count=2)
    assert run(thread_runner(default_ocr, 3)) == serial
