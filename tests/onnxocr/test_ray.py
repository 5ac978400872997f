"""Ray Data batch OCR (`onnxocr[ray]`) on a local cluster: equal to the serial run record for record, corrupt
inputs and killed actors cost at most their own record. Needs the default converted models and Ray."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testlib import REPO, render_page

pytest.importorskip("ray.data", reason='Ray Data not installed: pip install -e ".[ray]" (make install does)')

SAMPLE = REPO / "docs" / "sample.png"


@pytest.fixture(scope="module")
def default_models():
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    missing = [n for n in load_catalog().default_convert if not ModelStore().is_installed(n)]
    if missing:
        pytest.skip(f"default models not converted ({', '.join(missing)}): run `make convert`")


@pytest.fixture(scope="module")
def folder(tmp_path_factory, default_models) -> Path:
    """Four pages in two folders, a truncated PNG, a text file with an image name, and a file that is no image."""
    import cv2

    root = tmp_path_factory.mktemp("pages")
    (root / "sub").mkdir()
    shutil.copy(SAMPLE, root / "a_sample.png")
    cv2.imwrite(str(root / "b_invoice.png"), render_page(["Invoice 77", "Total due 12.50"]))
    cv2.imwrite(str(root / "sub" / "c_thanks.jpg"), render_page(["Thank you", "See you soon"]))
    cv2.imwrite(str(root / "sub" / "d_order.png"), render_page(["Order number 2024"]))
    (root / "broken.png").write_bytes(SAMPLE.read_bytes()[:2000])
    (root / "notes.png").write_text("not a picture\n")
    (root / "readme.txt").write_text("skipped: not an image suffix\n")
    return root


@pytest.fixture(scope="module")
def serial(folder):
    from onnxocr import OCR
    from onnxocr.integrations.ray_data import expand_inputs, serial_records

    return list(serial_records(expand_inputs([folder]), OCR()))


@pytest.fixture(scope="module")
def ray_cluster(default_models):
    from onnxocr.integrations.ray_data import connect

    ray = connect(local_cpus=2)
    yield ray
    ray.shutdown()


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_folder_expansion_is_recursive_sorted_and_keeps_image_names_only(folder):
    from onnxocr.integrations.ray_data import expand_inputs

    names = [Path(p).relative_to(folder).as_posix() for p in expand_inputs([folder])]
    assert names == ["a_sample.png", "b_invoice.png", "broken.png", "notes.png", "sub/c_thanks.jpg", "sub/d_order.png"]


def test_cli_ray_2_over_a_folder_with_a_corrupt_file_equals_the_serial_run(folder, serial, tmp_path):
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)
    # the serial run is the `serial` fixture: the same records built in this process without Ray (plain
    # `-f jsonl` writes the page-result shape of the other formats instead)
    out = tmp_path / "ray.jsonl"
    done = subprocess.run([sys.executable, "-m", "onnxocr", str(folder), str(tmp_path / "missing.png"),
                           "-f", "jsonl", "-o", str(out), "--ray", "2"], capture_output=True, text=True, env=env)
    assert done.returncode == 1, done.stderr  # some inputs failed
    assert "3 of 7 input(s) failed" in done.stderr
    assert not out.with_name(out.name + ".partial").exists()
    records = _read(out)
    assert [r["source"] for r in records[:-1]] == [r["source"] for r in serial]
    assert records[:-1] == serial
    by_name = {Path(r["source"]).name: r for r in records}
    assert "truncated or corrupt" in by_name["broken.png"]["error"]
    assert "text file" in by_name["notes.png"]["error"]
    assert "no such file" in by_name["missing.png"]["error"]
    assert [l["text"] for l in by_name["b_invoice.png"]["lines"]] == ["Invoice 77", "Total due 12.50"]
    assert by_name["a_sample.png"]["error"] is None and len(by_name["a_sample.png"]["lines"]) >= 3


def _killing_worker(victim: str, marker: Path | None):
    """An OCRWorker that SIGKILLs its own actor process on `victim`: once (when `marker` is given) or always."""
    import signal

    from onnxocr.integrations.ray_data import OCRWorker

    class KillingWorker(OCRWorker):
        def recognize(self, source, path, data):
            if Path(path).name == victim and (marker is None or not marker.exists()):
                if marker is not None:
                    marker.touch()
                os.kill(os.getpid(), signal.SIGKILL)
            return super().recognize(source, path, data)

    return KillingWorker


def test_an_actor_killed_once_is_replaced_and_nothing_is_lost_or_doubled(folder, serial, ray_cluster, tmp_path):
    from onnxocr.integrations.ray_data import expand_inputs, ocr_to_jsonl

    marker = tmp_path / "killed-once"
    out = tmp_path / "out.jsonl"
    count, failed = ocr_to_jsonl(expand_inputs([folder]), out, 2, worker=_killing_worker("b_invoice.png", marker))
    assert marker.exists()  # the actor really died
    assert (count, failed) == (len(serial), 2)
    assert _read(out) == serial


def test_an_input_that_kills_every_actor_costs_only_its_own_record(folder, serial, ray_cluster, tmp_path):
    from onnxocr.integrations.ray_data import expand_inputs, ocr_to_jsonl

    out = tmp_path / "out.jsonl"
    count, failed = ocr_to_jsonl(expand_inputs([folder]), out, 2, attempts=2, worker=_killing_worker("b_invoice.png", None))
    records = _read(out)
    assert (count, failed) == (len(serial), 3)
    [victim] = [i for i, r in enumerate(serial) if r["source"].endswith("b_invoice.png")]
    assert records[:victim] + records[victim + 1:] == serial[:victim] + serial[victim + 1:]
    assert records[victim]["source"] == serial[victim]["source"]
    assert "OCR actor died 2 time(s)" in records[victim]["error"] and records[victim]["lines"] == []


def test_the_dataset_is_a_ray_dataset_in_input_order(folder, serial, ray_cluster):
    import ray.data

    from onnxocr.integrations.ray_data import ocr_dataset

    dataset = ocr_dataset([folder], actors=1)
    assert isinstance(dataset, ray.data.Dataset)
    rows = list(dataset.iter_rows())
    assert [json.loads(r["record"]) for r in rows] == serial


def test_more_actors_than_cluster_cpus_is_refused_with_one_line(folder, ray_cluster):
    from onnxocr import OnnxOCRError
    from onnxocr.integrations.ray_data import ocr_dataset

    with pytest.raises(OnnxOCRError, match="need 6 CPUs but the Ray cluster has 2"):
        ocr_dataset([folder], actors=3, num_cpus=2)


def test_ray_without_jsonl_or_with_draw_is_refused_before_any_cluster_starts(folder, tmp_path):
    for extra, message in ((["-f", "json"], "add -f jsonl"), (["-f", "jsonl", "--draw", str(tmp_path)], "--draw is not available")):
        done = subprocess.run([sys.executable, "-m", "onnxocr", str(folder), "--ray", "2", *extra],
                              capture_output=True, text=True)
        assert done.returncode == 2
        [line] = done.stderr.strip().splitlines()
        assert message in line
