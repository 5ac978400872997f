"""bench.peers' runner protocol on one real page with onnxocr at its defaults (the default converted store):
encoded bytes in, the single-page and the multi-page (OCR.pages) rows give the same lines, CPU seconds are
counted, and the text is scored with make eval's bags. Also bench.onnx_weights on a store model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench import onnx_weights, peers
from bench.lib import datasets
from testlib import REPO, SAMPLE_TEXT


def _store_file(name: str) -> str:
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    missing = [n for n in load_catalog().default_convert if not ModelStore().is_installed(n)]
    if missing:
        pytest.skip(f"default models not converted ({', '.join(missing)}): run `make convert`")
    return str(ModelStore().root / name)


def _run(tmp_path, tag: str, **spec) -> dict:
    spec = {"system": tag, "images": [str(REPO / "docs" / "sample.png")], "threads": 1, "repeat": 1,
            "input": "bytes", "mode": "default", **spec}
    spec_path, out = tmp_path / f"{tag}.spec.json", tmp_path / f"{tag}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    subprocess.run([sys.executable, str(REPO / "bench" / "systems" / "onnxocr_runner.py"), "--spec", str(spec_path),
                    "--out", str(out)], check=True, timeout=300)
    return json.loads(out.read_text(encoding="utf-8"))


def test_onnxocr_default_mode_single_and_pages_rows(tmp_path):
    _store_file("")
    single = _run(tmp_path, "onnxocr")
    batch = _run(tmp_path, "onnxocr-pages", batch=True)
    assert single["lines"] and single["lines"][0], "no text read from docs/sample.png"
    assert [t for t, _ in single["lines"][0]] == [t for t, _ in batch["lines"][0]]
    assert single["batch_s"] == [] and len(batch["batch_s"]) == 1
    assert len(single["latencies_s"]) == len(batch["latencies_s"]) == 1
    assert single["cpu_s"] > 0 and single["cold_start_s"] > single["first_image_s"] > 0
    s = peers.summarize(single)
    assert s["p50_s"] is not None and peers.summarize(batch)["p50_s"] is None
    # ground truth: the text set on the sample (testlib), not onnxocr's own lines; then one word more in the truth
    # than on the page must cost exactly its share of recall: P = 1, R = n/(n+1), F1 = 2PR/(P+R) = 2n/(2n+1)
    words = SAMPLE_TEXT.split()
    sample = datasets.Sample(name="sample", image=single["images"][0], words=words)
    scores = peers.text_scores(single, [sample])
    assert scores["word_bag_f1"] == pytest.approx(1.0) and scores["char_bag_f1"] == pytest.approx(1.0)
    extra = datasets.Sample(name="sample", image=single["images"][0], words=words + ["missing"])
    n = len(words)
    assert peers.text_scores(single, [extra])["word_bag_f1"] == pytest.approx(2 * n / (2 * n + 1))


def test_onnx_weights_same_file_same_weights():
    path = _store_file("PP-OCRv6_small_det.onnx")
    r = onnx_weights.compare(path, path)
    assert r["same_weights"] and r["initializers_a"] > 100 and r["bytes_share_a_in_b"] == 1.0
    assert r["param_bytes_a"] > 0.9 * os.path.getsize(path)  # every initializer was found: weights are most of the file
