"""The command line's options, run as a user runs them (a subprocess), judged by known answers: the text set on
docs/sample.png (testlib.SAMPLE_LINES), geometry that follows from the option (page sizes at a DPI, boxes grown by
a larger unclip ratio), outside readers (ElementTree for hOCR, the ALTO subset schema, PNG headers), and onnxruntime's
own list of providers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest

from test_hostile_inputs import _default_models_installed
from testlib import REPO, SAMPLE, SAMPLE_LINES, render_line

pytestmark = pytest.mark.skipif(not _default_models_installed(), reason="default models not converted: run `make convert`")


def cli(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "onnxocr", *map(str, args)], capture_output=True, text=True, cwd=REPO, **kwargs)


def lines_of(done: subprocess.CompletedProcess) -> list[str]:
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def one_error_line(done: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    assert done.returncode == code, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr and all(f in line for f in fragments), line


# -- options that must not change the text -------------------------------------------------------------------------
@pytest.mark.parametrize("options", [
    ["-o", "-"], ["--device", "cpu"], ["--threads", "1"], ["--threads", "2"], ["--rec-batch-size", "3"],
    ["--cls"], ["--cls-thresh", "0.5", "--cls"],
], ids=lambda o: " ".join(o))
def test_options_read_the_sample_as_set(options):
    assert lines_of(cli(SAMPLE, *options)) == SAMPLE_LINES


def test_device_without_its_provider_is_one_line_naming_what_onnxruntime_has():
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has CUDA: nothing to refuse")
    one_error_line(cli(SAMPLE, "--device", "cuda"), 2, "CUDAExecutionProvider is not available", "--device cpu")


def test_threads_below_one_is_a_usage_error():
    assert cli(SAMPLE, "--threads", "0").returncode == 2


# -- detection and classification options change what they promise ----------------------------------------------
def test_det_limit_side_len_and_type_reach_the_detector():
    """At a 32 px longest side the sample's 40 px glyphs shrink to under 2 px: nothing can be read."""
    assert lines_of(cli(SAMPLE, "--det-limit-type", "max", "--det-limit-side-len", "32")) == []
    assert lines_of(cli(SAMPLE, "--det-limit-type", "max", "--det-limit-side-len", "960")) == SAMPLE_LINES


def test_det_thresholds_reach_the_detector():
    """No pixel probability exceeds 1 and no box score reaches 1.0 exactly: thresholds of 1 leave no line."""
    assert lines_of(cli(SAMPLE, "--det-thresh", "1.0")) == []
    assert lines_of(cli(SAMPLE, "--det-box-thresh", "1.0")) == []


def test_a_larger_unclip_ratio_grows_every_box_around_the_smaller_one():
    def boxes(ratio: str) -> list[np.ndarray]:
        doc = json.loads(cli(SAMPLE, "-f", "json", "--det-unclip-ratio", ratio).stdout)
        return [np.asarray(line["box"]) for line in doc["lines"]]

    small, large = boxes("1.2"), boxes("2.4")
    assert len(small) == len(large) == len(SAMPLE_LINES)
    for a, b in zip(small, large):
        assert b[:, 0].min() < a[:, 0].min() and b[:, 0].max() > a[:, 0].max()
        assert b[:, 1].min() < a[:, 1].min() and b[:, 1].max() > a[:, 1].max()


def test_cls_thresh_decides_whether_an_upside_down_page_is_turned(tmp_path):
    """The classifier's 180-degree score on a clean upside-down line is high but below 1: at --cls-thresh 0.9 the
    lines are turned and read as set; at 1.0 no crop is turned and the text is not the sample's. Page orientation
    is off here: on, it turns the whole page upright before the line classifier sees it."""
    turned = tmp_path / "turned.png"
    cv2.imwrite(str(turned), cv2.rotate(cv2.imread(str(SAMPLE)), cv2.ROTATE_180))
    assert lines_of(cli(turned, "--orientation", "off", "--cls", "--cls-thresh", "0.9")) == SAMPLE_LINES[::-1]
    assert lines_of(cli(turned, "--orientation", "off", "--cls", "--cls-thresh", "1.0")) != SAMPLE_LINES[::-1]


def test_no_det_reads_one_line_image_as_one_line(tmp_path):
    line = tmp_path / "line.png"
    cv2.imwrite(str(line), render_line("Invoice 2024 total 42.50"))
    assert lines_of(cli(line, "--no-det")) == ["Invoice 2024 total 42.50"]
    assert len(lines_of(cli(SAMPLE, "--no-det"))) == 1  # a whole page is one crop: one line, whatever it reads


def test_word_boxes_split_each_line_into_its_words_inside_the_line_box():
    doc = json.loads(cli(SAMPLE, "-f", "json", "--word-boxes").stdout)
    assert "words" not in json.loads(cli(SAMPLE, "-f", "json").stdout)["lines"][0]
    for line, text in zip(doc["lines"], SAMPLE_LINES):
        assert [w["text"] for w in line["words"]] == text.split()
        box = np.asarray(line["box"])
        for word in line["words"]:
            w = np.asarray(word["box"])
            assert w[:, 0].min() >= box[:, 0].min() - 1 and w[:, 0].max() <= box[:, 0].max() + 1
        lefts = [np.asarray(w["box"])[:, 0].min() for w in line["words"]]
        assert lefts == sorted(lefts)


def test_dpi_sets_the_rendered_page_size(tmp_path):
    """A US-letter PDF page (8.5 x 11 in) rendered at N dpi is 8.5N x 11N pixels (to the pixel the renderer
    rounds to)."""
    from doclib import make_pdf

    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(make_pdf([["Letter page"]], dpi=100))
    for dpi in (72, 150):
        [page] = [json.loads(line) for line in cli(pdf, "-f", "jsonl", "--dpi", dpi).stdout.splitlines()]
        assert abs(page["width"] - 8.5 * dpi) <= 1 and abs(page["height"] - 11 * dpi) <= 1, (dpi, page["width"], page["height"])


# -- formats through the CLI ---------------------------------------------------------------------------------------
def test_hocr_through_the_cli_parses_as_xhtml_with_the_sample_lines():
    done = cli(SAMPLE, "-f", "hocr")
    root = ET.fromstring(done.stdout.encode())
    xhtml = "{http://www.w3.org/1999/xhtml}"
    lines = [el for el in root.iter(f"{xhtml}span") if el.get("class") == "ocr_line"]
    texts = [" ".join("".join(w.itertext()) for w in line if w.get("class") == "ocrx_word") for line in lines]
    assert texts == SAMPLE_LINES


def test_alto_through_the_cli_validates_and_holds_the_sample_words():
    import io

    import xmlschema

    done = cli(SAMPLE, "-f", "alto")
    xmlschema.XMLSchema(str(REPO / "tests" / "data" / "alto-v4-subset.xsd")).validate(io.BytesIO(done.stdout.encode()))
    alto = "{http://www.loc.gov/standards/alto/ns-v4#}"
    root = ET.fromstring(done.stdout.encode())
    words = [s.get("CONTENT") for s in root.iter(f"{alto}String")]
    assert words == " ".join(SAMPLE_LINES).split()


def test_pdf_to_a_terminal_is_refused_in_one_line():
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "onnxocr", str(SAMPLE), "-f", "pdf"], stdout=follower,
                              stderr=subprocess.PIPE, text=True, cwd=REPO, timeout=300)
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "refusing to write PDF to a terminal" in line


# -- --draw file naming ----------------------------------------------------------------------------------------------
def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"  # the PNG signature, then IHDR's width and height
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_draw_names_one_file_a_folder_of_images_and_pdf_pages(tmp_path):
    from doclib import make_pdf

    one = tmp_path / "one.png"
    assert lines_of(cli(SAMPLE, "--draw", one)) == SAMPLE_LINES
    assert png_size(one) == (900, 368)  # docs/sample.png's own size: the drawing is the page, boxes on it

    images = tmp_path / "images"
    images.mkdir()
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(images / name), render_line("Drawn line"))
    pdf = images / "doc.pdf"
    pdf.write_bytes(make_pdf([["Page one"], ["Page two"]], dpi=50))
    drawn = tmp_path / "drawn"
    assert cli(images, "--draw", drawn, "--dpi", "50").returncode == 0
    assert sorted(p.name for p in drawn.iterdir()) == ["a.png", "b.png", "doc-1.png", "doc-2.png"]
    width, height = png_size(drawn / "doc-2.png")
    assert abs(width - 8.5 * 50) <= 1 and abs(height - 11 * 50) <= 1
    one_error_line(cli(images, "--draw", tmp_path / "x.png"), 2, "give a folder")


# -- onnxocr models ------------------------------------------------------------------------------------------------------
def test_models_table_has_one_row_per_catalog_model_with_the_json_state(tmp_path):
    from onnxocr.models.catalog import load_catalog

    env = dict(os.environ, ONNXOCR_HOME=str(tmp_path))
    table = cli("models", env=env)
    listed = json.loads(cli("models", "--json", env=env).stdout)["models"]
    lines = lines_of(table)
    assert lines[0] == f"store: {tmp_path}"
    assert lines[1].split() == ["NAME", "TASK", "VERSION", "LANGS", "STATE"]
    rows = lines[2:]
    assert len(rows) == len(load_catalog().models) == len(listed)
    state_at = lines[1].index("STATE")
    for row, entry in zip(rows, listed):
        assert row.split()[0] == entry["name"] and row[state_at:] == entry["state"]
