"""Ray (`onnxocr[ray]`) as a runner of the one document pipeline, on a local cluster: `--ray N` reads the same pages
(every PDF page, every TIFF page), builds the same records and feeds the same writers as the serial run, in every
--format; corrupt inputs and killed actors cost at most their own record. Needs the default models and Ray."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from doclib import DEJAVU, make_pdf, make_tiff, page_lines
from testlib import REPO, render_page

pytest.importorskip("ray.data", reason='Ray Data not installed: pip install -e ".[ray]" (make install does)')
pytestmark = pytest.mark.skipif(not DEJAVU.is_file(), reason=f"{DEJAVU} missing: `make test` installs fonts-dejavu-core")

SAMPLE = REPO / "docs" / "sample.png"
SMALL_DPI = 100  # the PDF and TIFF pages are rendered and read at this resolution: small pages, quick OCR


@pytest.fixture(scope="module")
def default_models():
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    missing = [n for n in load_catalog().default_convert if not ModelStore().is_installed(n)]
    if missing:
        pytest.skip(f"default models not converted ({', '.join(missing)}): run `make convert`")


@pytest.fixture(scope="module")
def folder(tmp_path_factory, default_models) -> Path:
    """Two page images (one in a sub-folder), a 3-page PDF, a 2-page TIFF and a truncated PNG: 7 pages, 1 broken."""
    import cv2

    root = tmp_path_factory.mktemp("pages")
    (root / "sub").mkdir()
    cv2.imwrite(str(root / "a_invoice.png"), render_page(["Invoice 77", "Total due 12.50"]))
    cv2.imwrite(str(root / "sub" / "b_thanks.jpg"), render_page(["Thank you", "See you soon"]))
    (root / "c_report.pdf").write_bytes(make_pdf([page_lines(seed, count=3) for seed in (1, 2, 3)], dpi=SMALL_DPI))
    (root / "d_scan.tiff").write_bytes(make_tiff([page_lines(seed, count=3) for seed in (4, 5)], dpi=SMALL_DPI))
    (root / "e_broken.png").write_bytes(SAMPLE.read_bytes()[:2000])
    return root


@pytest.fixture(scope="module")
def ray_cluster(default_models):
    from onnxocr.integrations.ray_data import connect

    ray = connect(local_cpus=2)
    yield ray
    ray.shutdown()


def _records(text: str) -> list[dict]:
    """JSON Lines records without their timings (they differ between two runs of the same page)."""
    records = [json.loads(line) for line in text.splitlines()]
    for record in records:
        record.pop("timings", None)
    return records


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)
    return subprocess.run([sys.executable, "-m", "onnxocr", *args], capture_output=True, text=True, env=env, timeout=600)


def test_cli_jsonl_gives_the_same_records_with_and_without_ray(folder):
    """The issue's check: one record per page (7) plus one error record for the broken file, equal in both runs."""
    serial = _cli(str(folder), "--dpi", str(SMALL_DPI), "-f", "jsonl")
    ray = _cli(str(folder), "--dpi", str(SMALL_DPI), "-f", "jsonl", "--ray", "2")
    assert serial.returncode == ray.returncode == 1, (serial.stderr, ray.stderr)  # the broken file failed
    assert "1 of 5 input(s) failed" in serial.stderr and "1 of 5 input(s) failed" in ray.stderr
    records = _records(serial.stdout)
    assert _records(ray.stdout) == records
    pages = [(Path(r["source"]).name, r["page"]) for r in records]
    assert pages == [("a_invoice.png", 1), ("c_report.pdf", 1), ("c_report.pdf", 2), ("c_report.pdf", 3),
                     ("d_scan.tiff", 1), ("d_scan.tiff", 2), ("e_broken.png", None), ("b_thanks.jpg", 1)]
    broken = records[6]
    assert broken["lines"] == [] and "truncated or corrupt" in broken["error"]
    assert all("error" not in r for i, r in enumerate(records) if i != 6)
    # judged against the text the pages were rendered with
    assert [line["text"] for line in records[0]["lines"]] == ["Invoice 77", "Total due 12.50"]
    assert [line["text"] for line in records[5]["lines"]] == page_lines(5, count=3)


@pytest.mark.parametrize("fmt", ["text", "json", "tsv", "hocr", "alto", "pdf"])
def test_every_format_with_ray_equals_the_serial_run(fmt, folder, ray_cluster, tmp_path):
    """In-process CLI runs (one shared local cluster): `--ray 2 -f FMT -o DIR/` writes the files the serial run
    writes, one per readable input mirroring the tree, with the same content (JSON timings and PDF dates aside)."""
    from typer.testing import CliRunner

    from onnxocr.integrations.cli import ocr_app

    trees = {}
    for name, extra in (("serial", []), ("ray", ["--ray", "2"])):
        out = tmp_path / name
        done = CliRunner().invoke(ocr_app, [str(folder), "--dpi", str(SMALL_DPI), "-f", fmt, "-o", f"{out}/", "-q", *extra])
        assert done.exit_code == 1, done.output  # the broken file
        trees[name] = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    suffix = {"text": ".txt", "alto": ".xml"}.get(fmt, f".{fmt}")
    assert sorted(trees["serial"]) == sorted(f"{stem}{suffix}" for stem in ("a_invoice", "c_report", "d_scan", "sub/b_thanks"))
    assert sorted(trees["ray"]) == sorted(trees["serial"])
    for name, serial in trees["serial"].items():
        ray = trees["ray"][name]
        if fmt == "json":
            def strip(doc):
                for page in doc if isinstance(doc, list) else [doc]:
                    page.pop("timings")
                return doc
            assert strip(json.loads(ray)) == strip(json.loads(serial)), name
        elif fmt == "pdf":
            import pypdfium2 as pdfium

            def texts(data: bytes) -> list[str]:
                document = pdfium.PdfDocument(data)
                return [document[i].get_textpage().get_text_range() for i in range(len(document))]
            assert texts(ray) == texts(serial), name
        else:
            assert ray == serial, name


def _killing_worker(victim: str, marker: Path | None):
    """A PageWorker that SIGKILLs its own actor process on page 2 of `victim`: once (with `marker`) or always."""
    import signal

    from onnxocr.integrations.ray_data import PageWorker

    class KillingWorker(PageWorker):
        def recognize(self, page):
            if Path(page.source).name == victim and page.page == 2 and (marker is None or not marker.exists()):
                if marker is not None:
                    marker.touch()
                os.kill(os.getpid(), signal.SIGKILL)
            return super().recognize(page)

    return KillingWorker


def _run(runner, folder: Path) -> list[dict]:
    from onnxocr.io.readers import iter_pages
    from onnxocr.io.writers.json import error_record, page_record

    done = runner(iter_pages([folder], dpi=SMALL_DPI))
    return [page_record(p.result) if p.result else error_record(p.source, p.page, p.error) for p in done]


@pytest.fixture(scope="module")
def serial(folder):
    from onnxocr import OCR
    from onnxocr.runners import serial_runner

    return [dict(r, timings=None) for r in _run(serial_runner(OCR()), folder)]


def test_an_actor_killed_once_is_replaced_and_nothing_is_lost_or_doubled(folder, serial, ray_cluster, tmp_path):
    from onnxocr.integrations.ray_data import ray_runner

    marker = tmp_path / "killed-once"
    records = _run(ray_runner(2, worker=_killing_worker("c_report.pdf", marker)), folder)
    assert marker.exists()  # the actor really died
    assert [dict(r, timings=None) for r in records] == serial


def test_a_page_that_kills_every_actor_costs_only_its_own_record(folder, serial, ray_cluster):
    from onnxocr.integrations.ray_data import ray_runner

    records = [dict(r, timings=None) for r in _run(ray_runner(2, attempts=2, worker=_killing_worker("c_report.pdf", None)), folder)]
    [victim] = [i for i, r in enumerate(serial) if r["source"].endswith("c_report.pdf") and r["page"] == 2]
    assert records[:victim] + records[victim + 1:] == serial[:victim] + serial[victim + 1:]
    assert (records[victim]["source"], records[victim]["page"]) == (serial[victim]["source"], 2)
    assert "OCR actor died 2 time(s)" in records[victim]["error"] and records[victim]["lines"] == []


def test_the_dataset_is_a_ray_dataset_of_the_cli_records_in_input_order(folder, serial, ray_cluster):
    import ray.data

    from onnxocr.integrations.ray_data import ocr_dataset

    dataset = ocr_dataset([folder], actors=1, dpi=SMALL_DPI)
    assert isinstance(dataset, ray.data.Dataset)
    assert [dict(json.loads(r["record"]), timings=None) for r in dataset.iter_rows()] == serial


def test_more_actors_than_cluster_cpus_is_refused_with_one_line(ray_cluster):
    from onnxocr import OnnxOCRError
    from onnxocr.integrations.ray_data import ray_runner

    with pytest.raises(OnnxOCRError, match="need 6 CPUs but the Ray cluster has 2"):
        ray_runner(3, num_cpus=2)


def test_a_missing_model_with_ray_is_one_line_before_any_cluster_starts(folder, tmp_path):
    done = _cli(str(folder), "--ray", "2", "--rec-model", str(tmp_path / "missing.onnx"))
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "missing.onnx" in line
