"""Reading order, blocks and paragraphs (issue 23): hand-made line geometry with a known answer, then pages rendered
here with a known text in a known order (columns under a title, vertical Japanese) read by the default models and
judged by that order, and the layout read back from TSV, hOCR, ALTO and the searchable PDF by outside readers
(csv, ElementTree, the ALTO v4 schema, poppler's pdftotext)."""

from __future__ import annotations

import csv
import difflib
import io
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from onnxocr.core.detection import sort_reading_order
from onnxocr.core.layout import analyse_layout, page_is_vertical

REPO = Path(__file__).resolve().parents[2]
XHTML = "{http://www.w3.org/1999/xhtml}"
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
XSD = REPO / "tests" / "data" / "alto-v4-subset.xsd"

# Plain English of our own (no corpus needed): the words of each paragraph in reading order.
TITLE = "Notes on the Harbour Survey"
PARAGRAPHS = [
    "The survey boat left the north quay before dawn and followed the marked channel past the old lighthouse "
    "while the crew checked the depth every few minutes and wrote each reading into the log",
    "By noon the tide had turned and the sandbanks near the river mouth began to show so the boat moved to "
    "the deeper water beside the breakwater where the readings were steady",
    "In the afternoon the team measured the eastern basin and found that the silt had risen along the wall "
    "since the last survey which explains the trouble the ferries reported",
    "Later the boat crossed to the fishing harbour where the moorings are crowded and the depth changes "
    "quickly so every reading there was taken twice and compared",
    "The charts drawn from these notes will be sent to the harbour office together with a request to dredge "
    "the eastern basin before the winter storms arrive",
    "Finally the crew cleaned the instruments and stored the log in the office so that the next team can "
    "repeat the same route and compare the readings",
]
JAPANESE = ("すべての人は生まれながらにして自由であり尊厳と権利とについて平等である人間は理性と良心とを授けられて"
            "おり互いに同胞の精神をもって行動しなければならない")


def quad(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def shuffled(boxes, seed=0):
    perm = np.random.default_rng(seed).permutation(len(boxes))
    return np.array(boxes, dtype=np.float32)[perm], perm


def blocks_in_original_ids(layout, perm):
    return [[[int(perm[i]) for i in par] for par in block] for block in layout.blocks]


# -- geometry with a known answer ------------------------------------------------------------------------------------
def two_columns_under_a_title():
    """Title (id 0), then two columns of two paragraphs of three lines (ids 1-6, 7-12), first lines indented,
    rows aligned across the columns (the layout that interleaves when read in rows)."""
    boxes = [quad(100, 20, 900, 70)]
    for x0, x1 in ((100, 480), (520, 900)):
        y = 100
        for _ in range(2):
            for k in range(3):
                boxes.append(quad(x0 + (40 if k == 0 else 0), y, x1 if k < 2 else x0 + 200, y + 30))
                y += 40
            y += 20
    return boxes


def test_two_columns_under_a_spanning_title_read_column_by_column_in_paragraphs():
    boxes, perm = shuffled(two_columns_under_a_title())
    layout = analyse_layout(boxes)
    assert blocks_in_original_ids(layout, perm) == [[[0]], [[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]
    # the order before issue 23: rows across the page
    rows = [int(perm[i]) for i in sort_reading_order(boxes)]
    assert rows[:3] == [0, 1, 7]


def test_three_aligned_columns_and_a_footer_across_them():
    boxes = []
    for x0 in (100, 420, 740):
        boxes += [quad(x0, 100 + 40 * k, x0 + 280, 130 + 40 * k) for k in range(5)]
    boxes.append(quad(100, 400, 1020, 430))  # a footer line across all three columns
    boxes, perm = shuffled(boxes, seed=1)
    order = [int(perm[i]) for i in analyse_layout(boxes).order]
    assert order == list(range(16))


def test_vertical_columns_read_right_to_left_each_top_to_bottom():
    # six tall columns; id 0 is the rightmost
    columns = [quad(600 - 80 * k, 50, 640 - 80 * k, 600 - (200 if k == 2 else 0)) for k in range(6)]
    assert page_is_vertical(np.array(columns, dtype=np.float32))
    boxes, perm = shuffled(columns, seed=2)
    layout = analyse_layout(boxes)
    assert layout.vertical
    assert [int(perm[i]) for i in layout.order] == list(range(6))


def test_right_to_left_pages_take_the_right_column_first_and_keep_lines_top_to_bottom():
    boxes = []
    for x0 in (520, 100):  # ids 0-3 in the right column, 4-7 in the left
        boxes += [quad(x0, 100 + 40 * k, x0 + 380, 130 + 40 * k) for k in range(4)]
    boxes, perm = shuffled(boxes, seed=3)
    layout = analyse_layout(boxes, right_to_left=[True] * len(boxes))
    assert layout.right_to_left
    assert [int(perm[i]) for i in layout.order] == list(range(8))
    # the same page in a left-to-right script: the left column first
    assert [int(perm[i]) for i in analyse_layout(boxes).order] == [4, 5, 6, 7, 0, 1, 2, 3]


def test_single_column_and_a_form_row_keep_the_row_order():
    # a column of lines with one row split in two boxes (a form's label and its value): read as rows
    boxes = [quad(100, 100, 900, 130), quad(100, 140, 300, 170), quad(600, 140, 900, 170), quad(100, 180, 880, 210),
             quad(100, 220, 500, 250)]
    arr = np.array(boxes, dtype=np.float32)
    assert analyse_layout(arr).order == sort_reading_order(arr) == [0, 1, 2, 3, 4]
    assert analyse_layout(np.zeros((0, 4, 2), np.float32)).blocks == ()


# -- rendered pages through the default models -----------------------------------------------------------------------
def words_of(text: str) -> list[str]:
    return [w for w in (re.sub(r"[^\w]", "", t.lower()) for t in text.split()) if w]


def order_ratio(truth: list, got: list) -> float:
    return difflib.SequenceMatcher(None, truth, got, autojunk=False).ratio()


def paragraph_blocks(text: str) -> list[str]:
    return [" ".join(words_of(b)) for b in re.split(r"\n\s*\n", text) if b.strip()]


def paragraphs_found(truth: list[str], text: str) -> int:
    blocks = paragraph_blocks(text)
    return sum(any(difflib.SequenceMatcher(None, " ".join(words_of(p)), b).ratio() >= 0.9 for b in blocks) for p in truth)


@pytest.fixture(scope="module")
def two_column_page(tmp_path_factory):
    from bench.lib import rendered

    words = TITLE.split() + " ".join(PARAGRAPHS).split()
    lengths = tuple(len(p.split()) for p in PARAGRAPHS)
    try:
        page = rendered.render_columns_page(words, 2, title_words=len(TITLE.split()), words_per_paragraph=lengths)
    except rendered.FontMissing as exc:
        pytest.fail(str(exc))
    assert page.paragraphs == (TITLE, *PARAGRAPHS)  # the renderer laid out exactly our text
    import cv2

    path = tmp_path_factory.mktemp("layout") / "two columns.png"
    cv2.imwrite(str(path), page.image)
    return path


def ocr_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "onnxocr", *map(str, args), "--quiet"], capture_output=True, cwd=REPO)


def test_two_column_page_reads_in_order_with_paragraphs(default_ocr, two_column_page):
    result = default_ocr(str(two_column_page))
    truth = [TITLE, *PARAGRAPHS]
    assert order_ratio(words_of(" ".join(truth)), words_of(result.text)) >= 0.95, result.text
    assert paragraphs_found(truth, result.text) == len(truth), result.text
    # the structure behind it: blocks > paragraphs > lines, indices in reading order
    assert [line.index for line in result.lines] == list(range(len(result.lines)))
    flat = [line.index for block in result.blocks for par in block.paragraphs for line in par.lines]
    assert flat == list(range(len(result.lines)))
    assert [p.index for p in result.paragraphs] == list(range(len(truth)))
    doc = result.to_dict()
    assert [i for b in doc["blocks"] for p in b["paragraphs"] for i in p["lines"]] == [l["index"] for l in doc["lines"]]


def test_no_layout_keeps_the_plain_line_list(default_ocr, two_column_page):
    from onnxocr import OCR

    plain = OCR(layout=False)(str(two_column_page))
    assert plain.blocks == [] and "blocks" not in plain.to_dict()
    boxes = np.stack([line.box for line in plain.lines])
    assert sort_reading_order(boxes) == list(range(len(boxes)))  # rows, top to bottom, as the detector orders them
    assert "\n\n" not in plain.text
    done = ocr_cli(two_column_page, "--no-layout")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip("\n") == plain.text


def test_text_output_separates_paragraphs_with_one_blank_line(default_ocr, two_column_page):
    done = ocr_cli(two_column_page)
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode()
    assert "\n\n\n" not in text
    assert paragraphs_found([TITLE, *PARAGRAPHS], text) == 7, text


def test_tsv_numbers_blocks_paragraphs_and_lines_as_tesseract(default_ocr, tmp_path):
    """One block of two paragraphs: tesseract numbers par_num 1 and 2 in block 1, line_num from 1 in each."""
    from bench.lib import rendered
    import cv2

    first, second = PARAGRAPHS[0], PARAGRAPHS[1]
    words = (first + " " + second).split()
    page = rendered.render_columns_page(words, 1, title_words=0, paragraphs_per_column=2,
                                        words_per_paragraph=(len(first.split()), len(second.split())), width=1100)
    path = tmp_path / "two paragraphs.png"
    cv2.imwrite(str(path), page.image)
    done = ocr_cli(path, "-f", "tsv")
    assert done.returncode == 0, done.stderr.decode()
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode()), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert [(r["block_num"], r["par_num"]) for r in rows if r["level"] == "3"] == [("1", "1"), ("1", "2")]
    assert [r["block_num"] for r in rows if r["level"] == "2"] == ["1"]
    words_by_par = {p: [r["text"] for r in rows if r["level"] == "5" and r["par_num"] == p] for p in ("1", "2")}
    assert order_ratio(words_of(first), words_of(" ".join(words_by_par["1"]))) >= 0.9
    assert order_ratio(words_of(second), words_of(" ".join(words_by_par["2"]))) >= 0.9
    for par in ("1", "2"):
        line_nums = [int(r["line_num"]) for r in rows if r["level"] == "4" and r["par_num"] == par]
        assert line_nums == list(range(1, len(line_nums) + 1)) and len(line_nums) >= 2


def test_hocr_alto_and_pdf_carry_the_layout_to_their_readers(default_ocr, two_column_page, tmp_path):
    truth = [TITLE, *PARAGRAPHS]
    done = ocr_cli(two_column_page, "-f", "hocr")
    assert done.returncode == 0, done.stderr.decode()
    root = ET.fromstring(done.stdout)
    areas = root.findall(f".//{XHTML}div[@class='ocr_carea']")
    pars = root.findall(f".//{XHTML}p[@class='ocr_par']")
    assert len(areas) >= 3 and len(pars) == len(truth)
    par_texts = [" ".join(w.text for w in p.iter(f"{XHTML}span") if w.get("class") == "ocrx_word") for p in pars]
    assert all(order_ratio(words_of(t), words_of(p)) >= 0.9 for t, p in zip(truth, par_texts)), par_texts

    import xmlschema

    done = ocr_cli(two_column_page, "-f", "alto")
    assert done.returncode == 0, done.stderr.decode()
    xmlschema.XMLSchema(str(XSD)).validate(io.BytesIO(done.stdout))
    blocks = ET.fromstring(done.stdout).findall(f".//{ALTO}TextBlock")
    block_texts = [" ".join(s.get("CONTENT") for s in b.iter(f"{ALTO}String")) for b in blocks]
    assert len(blocks) == len(truth)
    assert all(order_ratio(words_of(t), words_of(b)) >= 0.9 for t, b in zip(truth, block_texts)), block_texts

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed: `make test` installs poppler-utils")
    pytest.importorskip("pikepdf", reason="the pdf extra (pikepdf) is part of `make install`")
    out = tmp_path / "two columns.pdf"
    done = ocr_cli(two_column_page, "-f", "pdf", "-o", out)
    assert done.returncode == 0, done.stderr.decode()
    for mode in ([], ["-raw"]):  # poppler's own reading order, and the text layer's order as written
        text = subprocess.run(["pdftotext", *mode, str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert order_ratio(words_of(" ".join(truth)), words_of(text)) >= 0.95, (mode, text)


def test_vertical_japanese_reads_columns_right_to_left(default_ocr, tmp_path):
    from bench.lib import rendered
    from onnxocr import OCR

    try:
        page = rendered.render_vertical_page(JAPANESE, columns=5, chars_per_column=12)
    except rendered.FontMissing as exc:
        pytest.fail(str(exc))
    ocr = OCR(lang="japan")
    result = ocr(page.image)
    got = [c for c in result.text if not c.isspace()]
    assert order_ratio(list("".join(page.paragraphs)), got) >= 0.9, result.text
    lefts = [float(line.box[:, 0].min()) for line in result.lines]
    assert lefts == sorted(lefts, reverse=True)  # rightmost column first


# -- Hangul word spaces ----------------------------------------------------------------------------------------------
def test_hangul_word_gaps_become_spaces_even_when_the_space_class_stays_silent():
    from onnxocr.core.recognition import RecognizedText
    from onnxocr.core.spacing import recover_spaces

    # five syllables on a 40 px crop, 4 px apart, then a 12 px word gap before the last two
    crop = np.full((40, 200, 3), 255, np.uint8)
    starts = [10, 34, 58, 94, 118]
    for x in starts:
        crop[8:32, x : x + 20] = 0
    positions = tuple(int((x + 10) / 4) for x in starts)  # 4 px per timestep
    rec = RecognizedText("대한민국만", 0.9, tuple("대한민국만"), positions, 50, 200, 200, space_scores=(0.0,) * 5)
    assert recover_spaces(rec, crop, 0.12, 0.03).text == "대한민 국만"
    latin = RecognizedText("abcde", 0.9, tuple("abcde"), positions, 50, 200, 200, space_scores=(0.0,) * 5)
    assert recover_spaces(latin, crop, 0.12, 0.03).text == "abcde"  # Latin lines still follow the space class


def test_korean_rendered_lines_keep_their_word_spaces():
    from bench.lib import rendered
    from onnxocr import OCR
    from onnxocr.errors import ModelNotFoundError
    from testlib import SHARED

    corpora = SHARED / "data" / "corpora"
    if not (corpora / "udhr_ko.txt").is_file():
        pytest.skip(f"{corpora} missing (the shared data folder)")
    try:
        ocr = OCR(lang="korean", ocr_version="PP-OCRv2", use_det=False)
    except ModelNotFoundError as exc:
        pytest.skip(f"korean_mobile_v2.0_rec not converted: {exc}")
    lines = rendered.corpus_lines(corpora, "udhr_ko.txt", 12, 28)
    try:
        crops = [rendered.render_text_line(t, "korean") for t in lines]
    except rendered.FontMissing as exc:
        pytest.fail(str(exc))
    texts = [r.text for r in ocr.recognize(crops)]

    from bench.lib.metrics import cer

    assert float(np.mean([cer(t, h) for t, h in zip(lines, texts)])) <= 0.25, list(zip(lines, texts))
    spaces = sum(t.count(" ") for t in lines)
    assert sum(h.count(" ") for h in texts) >= 0.8 * spaces, list(zip(lines, texts))


def test_a_staircase_of_many_lines_is_ordered_without_deep_recursion():
    # 1500 small boxes, each below and right of the previous: every cut peels off one box
    boxes = np.array([quad(10 * k, 12 * k, 10 * k + 8, 12 * k + 10) for k in range(1500)], dtype=np.float32)
    assert analyse_layout(boxes).order == list(range(1500))


def test_form_labels_and_values_read_row_by_row_each_row_one_paragraph():
    # TO: / FROM: labels at the left, their short values far to the right (as on the FUNSD forms), then a text line.
    # (Values longer than SHORT_LINE heights stacked one above the other still chain into a column of their own.)
    boxes = [quad(100, 100, 150, 125), quad(400, 100, 530, 125), quad(100, 140, 170, 165), quad(400, 140, 520, 165),
             quad(100, 200, 900, 225)]
    arr, perm = shuffled(boxes, seed=4)
    assert blocks_in_original_ids(analyse_layout(arr), perm) == [[[0, 1]], [[2, 3]], [[4]]]


@pytest.mark.parametrize("seed", range(5))
def test_every_line_is_read_exactly_once_whatever_the_geometry(seed):
    rng = np.random.default_rng(seed)
    n = 300
    x, y = rng.uniform(0, 2000, n), rng.uniform(0, 3000, n)
    w, h = rng.uniform(5, 800, n), rng.uniform(5, 60, n)
    boxes = np.stack([np.stack([x, y], 1), np.stack([x + w, y], 1), np.stack([x + w, y + h], 1), np.stack([x, y + h], 1)], 1)
    for quads, rtl in ((boxes, None), (boxes[:, :, ::-1], None), (boxes, [True] * n)):  # also tall and right-to-left
        layout = analyse_layout(quads, rtl)
        assert sorted(layout.order) == list(range(n))
        assert all(par for block in layout.blocks for par in block)
