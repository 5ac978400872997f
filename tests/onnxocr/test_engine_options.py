"""Engine options for embedders: provider options, the caller's SessionOptions, a shared thread pool, a logger."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from testlib import REPO

import onnxruntime  # noqa: E402  (a runtime dependency: missing is a failure, never a skip)


@pytest.fixture(scope="module")
def rec_only():
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    if not ModelStore().is_installed(load_catalog().model_set("ch")[1]["rec"]):
        pytest.skip("default models not converted: run `make convert`")
    return {"use_det": False}


def test_provider_options_are_merged_over_ours_per_provider():
    from onnxocr.config import OCRConfig
    from onnxocr.core.engine import resolve_providers

    engine = OCRConfig().replace(engine_provider_options={"CPUExecutionProvider": {"arena_extend_strategy": 1}}).engine
    assert resolve_providers(engine) == [("CPUExecutionProvider", {"arena_extend_strategy": "1"})]


def test_onnxruntime_style_provider_pairs_reach_the_engine_config(rec_only):
    from onnxocr import OCR

    ocr = OCR(providers=[("CPUExecutionProvider", {"arena_extend_strategy": "kSameAsRequested"})], **rec_only)
    assert ocr.config.engine.providers == ("CPUExecutionProvider",)
    assert ocr.config.engine.provider_options == {"CPUExecutionProvider": {"arena_extend_strategy": "kSameAsRequested"}}


def test_options_for_a_provider_that_is_not_used_are_refused(rec_only):
    from onnxocr import OCR
    from onnxocr.errors import OptionError

    with pytest.raises(OptionError, match="provider_options names CUDAExecutionProvider, which is not among"):
        OCR(provider_options={"CUDAExecutionProvider": {"device_id": "1"}}, **rec_only)


def test_the_callers_session_options_are_used(rec_only):
    from onnxocr import OCR
    from onnxocr.errors import OptionError

    options = onnxruntime.SessionOptions()
    options.logid = "embedder"
    options.intra_op_num_threads = 1
    ocr = OCR(session_options=options, **rec_only)
    used = ocr.recognizer.model.session.get_session_options()
    assert (used.logid, used.intra_op_num_threads) == ("embedder", 1)
    with pytest.raises(OptionError, match="session_options is a dict, not an onnxruntime.SessionOptions"):
        OCR(session_options={"intra_op_num_threads": 1}, **rec_only)


COUNT_THREADS = """
import os, sys
import numpy as np
from onnxocr import OCR
before = len(os.listdir("/proc/self/task"))
ocr = OCR(threads=3, use_cls=True, engine_shared_thread_pool=sys.argv[1] == "shared")
page = np.full((200, 400, 3), 255, np.uint8)
page[80:120, 50:350:7] = 0
ocr(page)
print(len(os.listdir("/proc/self/task")) - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc/self/task")
def test_a_shared_pool_gives_the_three_sessions_threads_workers_in_all(rec_only):
    if not hasattr(onnxruntime, "set_global_thread_pool_sizes"):
        pytest.skip(f"onnxruntime {onnxruntime.__version__} has no global thread pools")
    counts = {}
    for mode in ("per-session", "shared"):
        proc = subprocess.run([sys.executable, "-c", COUNT_THREADS, mode], capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 0, proc.stderr
        counts[mode] = int(proc.stdout.split()[-1])
    # threads=3 is the caller's thread plus 2 workers: onnxruntime's own count per session is its business; what
    # the option promises is that the sessions share one pool, so the process starts fewer threads than with a
    # pool per session, and no more than the pool's own workers
    assert counts["shared"] < counts["per-session"] and counts["shared"] <= 2, counts


def test_the_onnxocr_logger_reports_provider_model_paths_and_store_checks(caplog, rec_only):
    from onnxocr import OCR

    with caplog.at_level(logging.INFO, logger="onnxocr"):
        ocr = OCR(**rec_only)
    messages = [r.getMessage() for r in caplog.records if r.name == "onnxocr"]
    path = str(ocr.models["rec"].path)
    assert any(m.startswith("rec model ") and path in m and "CPUExecutionProvider" in m for m in messages), messages
    assert any("verified" in m and path in m for m in messages), messages


def test_every_session_keeps_its_cpu_arena_and_only_a_large_input_shrinks_it(rec_only):
    import numpy as np

    from onnxocr import OCR
    from onnxocr.core.engine import arena_keep_elements

    ocr = OCR(threads=2)
    det, rec = ocr.detector.model, ocr.recognizer.model
    assert det.session.get_session_options().enable_cpu_mem_arena
    assert rec.session.get_session_options().enable_cpu_mem_arena
    assert not rec.session.get_session_options().enable_mem_pattern

    def shrink(run_options):
        try:
            return run_options.get_run_config_entry("memory.enable_memory_arena_shrinkage")
        except RuntimeError:  # onnxruntime's answer for an entry that is not set
            return ""

    form = np.zeros((1, 3, 992, 768), np.float32)  # a FUNSD form's detector input: kept
    a4_300dpi = np.zeros((1, 3, 3520, 2496), np.float32)  # given back after the run
    assert shrink(det.options_for(form)) == ""
    assert shrink(det.options_for(a4_300dpi)) == "cpu:0"
    line = np.zeros((1, 3, 48, 2008), np.float32)  # FUNSD's widest line
    assert shrink(rec.options_for(line)) == ""
    widest = np.zeros((1, 3, 48, 6400), np.float32)  # rec_max_width: given back
    assert shrink(rec.options_for(widest)) == "cpu:0"
    assert rec.run(widest)[0].shape[:2] == (1, 6400 // 8)  # onnxruntime takes the shrinking run
    assert arena_keep_elements("det") > arena_keep_elements("rec")
    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = False  # a caller's options without the arena: never a shrink entry (it would fail)
    plain = OCR(session_options=options)
    assert shrink(plain.detector.model.options_for(a4_300dpi)) == ""
    assert [l.text for l in plain(str(REPO / "docs" / "sample.png")).lines] == [l.text for l in ocr(str(REPO / "docs" / "sample.png")).lines]
