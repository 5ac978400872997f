"""Recogniser batches run in parallel on CPU (one onnxruntime thread each): same results as one at a time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from onnxocr.config import OCRConfig
from onnxocr.ocr import recognizer_workers
from onnxocr.core.recognition import busy_seconds
from testlib import REPO, render_line

WORDS = ["Invoice 2024-17", "Total due: 1,250.00", "Thank you", "Ship to", "Account", "Reference number 88231",
         "Page 3 of 7", "Net 30 days", "Signature", "Date received", "Fax", "Approved by management"]


def test_busy_seconds_is_the_length_of_the_union_of_the_runs():
    assert busy_seconds([]) == 0.0
    assert busy_seconds([(0.0, 1.0), (2.0, 3.0)]) == 2.0
    assert busy_seconds([(0.0, 2.0), (1.0, 3.0), (1.5, 1.8)]) == 3.0  # overlapping runs count once
    assert busy_seconds([(5.0, 6.0), (0.0, 1.0), (0.5, 5.5)]) == 6.0


def test_batch_size_follows_the_device_and_mode_not_the_threads():
    from onnxocr.ocr import recognizer_batch_size

    assert recognizer_batch_size(OCRConfig().replace(engine_intra_op_threads=1)) == 1
    assert recognizer_batch_size(OCRConfig().replace(engine_intra_op_threads=8)) == 1
    assert recognizer_batch_size(OCRConfig().replace(rec_batch_mode="paddle")) == 6
    assert recognizer_batch_size(OCRConfig().replace(engine_device="cuda")) == 6
    assert recognizer_batch_size(OCRConfig().replace(engine_device="cuda", rec_batch_size=3)) == 3


def test_worker_count_follows_the_threads_on_cpu_and_is_one_on_a_gpu_or_shared_pool():
    assert recognizer_workers(OCRConfig().replace(engine_intra_op_threads=3)) == 3
    assert recognizer_workers(OCRConfig().replace(engine_intra_op_threads=3, rec_workers=2)) == 2
    assert recognizer_workers(OCRConfig().replace(engine_device="cuda", engine_intra_op_threads=4)) == 1
    assert recognizer_workers(OCRConfig().replace(engine_providers=("CUDAExecutionProvider", "CPUExecutionProvider"))) == 1
    assert recognizer_workers(OCRConfig().replace(engine_intra_op_threads=4, engine_shared_thread_pool=True)) == 1
    if hasattr(os, "sched_getaffinity"):  # the default: every CPU the OS lets this process use
        assert recognizer_workers(OCRConfig()) == len(os.sched_getaffinity(0))
        pinned = subprocess.run([sys.executable, "-c", "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
                                 "from onnxocr.config import OCRConfig; from onnxocr.ocr import recognizer_workers; "
                                 "print(recognizer_workers(OCRConfig()))"], capture_output=True, text=True, cwd=REPO)
        assert pinned.stdout.strip() == "1", pinned.stderr


def test_parallel_batches_read_what_serial_batches_read(default_ocr):
    from onnxocr import OCR

    lines = [render_line(w, scale=s) for w in WORDS for s in (0.8, 1.2)]
    # one line per run on CPU whatever the worker count (the text must not depend on threads=), PaddleOCR's 6 in
    # "paddle" mode; an explicit size holds everywhere
    sizes = [OCR(use_det=False, **o).recognizer.batch_size for o in
             ({"rec_workers": 1}, {"rec_workers": 3}, {"rec_workers": 3, "rec_batch_mode": "paddle"})]
    assert sizes == [1, 1, 6]
    serial = OCR(use_det=False, threads=2, rec_workers=1, rec_batch_size=2)
    parallel = OCR(use_det=False, threads=2, rec_workers=3, rec_batch_size=2)
    assert serial.recognizer.model.session.get_session_options().intra_op_num_threads == 2
    assert parallel.recognizer.model.session.get_session_options().intra_op_num_threads == 1
    assert len(parallel.recognizer.plan_batches(lines)) > 3  # the pool really has work to share
    one, many = serial.recognize(lines), parallel.recognize(lines)
    assert [r.text for r in many] == [r.text for r in one]
    assert [r.score for r in many] == pytest.approx([r.score for r in one], abs=1e-5)
    assert sum(r.text == w for r, w in zip(many, [w for w in WORDS for _ in (0, 1)])) >= 20


def test_a_bad_option_is_refused_at_construction():
    from onnxocr.errors import OptionError

    with pytest.raises(OptionError, match="rec_workers=0"):
        OCRConfig().replace(rec_workers=0)
