"""Documents in, documents out: every output format read back by an outside reader (ElementTree and ocrmypdf's
hOCR parser, poppler's pdftotext/pdfinfo, ocrmypdf itself), on multi-page PDFs rendered here with DejaVu Sans, and
the bad inputs of issue 13. Word-bag F1 (recall and precision) is measured against the text we rendered.

ALTO is checked against tests/data/alto-v4-subset.xsd, which is NOT an outside reference: a subset of the official
ALTO v4.4 schema written here from the published one. No PyPI package ships the official schema (checked: kraken
7.1.1, alto-tools 0.1.0, alto-xml 0.0.5), and the machines that run the tests reach no other host."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from doclib import DEJAVU, lines_to_text, make_pdf, make_tiff, page_lines, word_f1
from test_hostile_inputs import REPO, _default_models_installed, cli_model_args, error_lines, run_unprivileged
from testlib import FIXTURES

pytestmark = [
    pytest.mark.skipif(not DEJAVU.is_file(), reason=f"{DEJAVU} missing: `make test` installs fonts-dejavu-core"),
    pytest.mark.skipif(not (_default_models_installed() or FIXTURES.is_dir()), reason="no models: run `make convert`"),
]

XHTML = "{http://www.w3.org/1999/xhtml}"
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
XSD = Path(__file__).resolve().parents[1] / "data" / "alto-v4-subset.xsd"
# word-bag F1 against the rendered text (recall and precision): a missing line costs recall, a duplicated page or
# garbage costs precision (a page read twice scores <= 2/3). 0.9 leaves room for a misread number per page.
MIN_F1 = 0.9
PAGES = [page_lines(1, count=10), page_lines(2, count=10), page_lines(3, count=10)]


def need(program: str) -> None:
    if shutil.which(program) is None:
        pytest.skip(f"{program} not installed: `make test` installs poppler-utils, ghostscript and qpdf")


def ocr_cli(args: list, **kwargs) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "onnxocr", *map(str, args), "--quiet", *cli_model_args()]
    return subprocess.run(command, capture_output=True, cwd=REPO, **kwargs)


@pytest.fixture(scope="module")
def doc(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("docs") / "three pages.pdf"
    path.write_bytes(make_pdf(PAGES))
    return path


@pytest.fixture(scope="module")
def outputs(doc) -> dict[str, bytes]:
    """The three-page PDF in every format: text and pdf through the CLI, the others from one OCR.pages() run
    through the same writers the CLI uses (one OCR pass instead of five keeps this test file fast)."""
    out = {}
    for fmt in ("text", "pdf"):
        target = doc.with_suffix(f".out.{fmt}")
        done = ocr_cli([doc, "--format", fmt, "-o", target])
        assert done.returncode == 0, done.stderr.decode()
        assert done.stderr == b"", done.stderr.decode()
        out[fmt] = target.read_bytes()
    from onnxocr import OCR
    from onnxocr.io.writers import make_writer

    if _default_models_installed():
        ocr = OCR(word_boxes=True)
    else:
        args = cli_model_args()
        ocr = OCR(det_model=args[1], rec_model=args[3], dict_path=args[5], rec_space_recovery=False, word_boxes=True,
                  page_orientation="off")
    pages = list(ocr.pages([doc]))
    assert [p.error for p in pages] == [None, None, None]
    for fmt in ("json", "jsonl", "tsv", "hocr", "alto"):
        buffer = io.BytesIO()
        writer = make_writer(fmt, buffer)
        writer.begin()
        for page in pages:
            writer.add(page.result, page.image, page.dpi)
        writer.end()
        out[fmt] = buffer.getvalue()
    return out


EXPECTED = lines_to_text(PAGES)


def page_text(i: int) -> str:
    return "\n".join(PAGES[i])


# -- every format, an outside reader, word F1 >= 0.9 -------------------------------------------------------------------
def test_text_pages_are_separated_by_form_feeds(outputs):
    pages = outputs["text"].decode("utf-8").split("\f")
    assert len(pages) == 3
    for i, text in enumerate(pages):
        assert word_f1(page_text(i), text) >= MIN_F1, (i, text)


def test_json_is_one_object_per_page(outputs, doc):
    docs = json.loads(outputs["json"])
    assert [(d["source"], d["page"]) for d in docs] == [(str(doc), 1), (str(doc), 2), (str(doc), 3)]
    for i, d in enumerate(docs):
        assert word_f1(page_text(i), "\n".join(line["text"] for line in d["lines"])) >= MIN_F1


def test_jsonl_has_one_line_per_page_with_source_and_page(outputs, doc):
    rows = [json.loads(line) for line in outputs["jsonl"].decode("utf-8").splitlines()]
    assert [(r["source"], r["page"]) for r in rows] == [(str(doc), 1), (str(doc), 2), (str(doc), 3)]
    assert word_f1(EXPECTED, "\n".join(line["text"] for r in rows for line in r["lines"])) >= MIN_F1


def test_tsv_has_tesseracts_columns(outputs):
    rows = list(csv.DictReader(io.StringIO(outputs["tsv"].decode("utf-8")), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert list(rows[0]) == ["level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width", "height", "conf", "text"]
    assert [r["page_num"] for r in rows if r["level"] == "1"] == ["1", "2", "3"]
    words = [r for r in rows if r["level"] == "5"]
    assert all(0 <= float(r["conf"]) <= 100 and int(r["width"]) > 0 and int(r["height"]) > 0 for r in words)
    assert all(r["conf"] == "-1" for r in rows if r["level"] != "5")
    assert word_f1(EXPECTED, " ".join(r["text"] for r in words)) >= MIN_F1


def test_hocr_is_well_formed_xhtml_with_the_hocr_hierarchy(outputs):
    root = ET.fromstring(outputs["hocr"])
    pages = root.findall(f".//{XHTML}div[@class='ocr_page']")
    assert len(pages) == 3
    words_text = []
    for number, page in enumerate(pages):
        title = page.get("title")
        assert f"ppageno {number}" in title
        box = [int(v) for v in title.split("bbox ")[1].split(";")[0].split()]
        assert box[:2] == [0, 0] and abs(box[2] - 2550) <= 1 and abs(box[3] - 3300) <= 1  # 8.5 x 11 in at 300 dpi
        pars = page.findall(f".//{XHTML}p[@class='ocr_par']")
        assert len(pars) == 1
        lines = pars[0].findall(f"{XHTML}span[@class='ocr_line']")
        assert len(lines) == len(PAGES[number])
        for line in lines:
            assert "bbox " in line.get("title") and "baseline " in line.get("title")
            words = line.findall(f"{XHTML}span[@class='ocrx_word']")
            assert words and all("bbox " in w.get("title") and "x_wconf " in w.get("title") for w in words)
            words_text += [w.text for w in words]
    assert word_f1(EXPECTED, " ".join(words_text)) >= MIN_F1


def test_hocr_reads_back_with_ocrmypdfs_parser(outputs, tmp_path):
    from ocrmypdf.hocrtransform import HocrParser

    ET.register_namespace("", XHTML.strip("{}"))
    pages = []
    for i, page in enumerate(ET.fromstring(outputs["hocr"]).findall(f".//{XHTML}div[@class='ocr_page']")):
        single = ET.fromstring(outputs["hocr"])  # ocrmypdf parses one page per file, as tesseract writes them
        body = single.find(f"{XHTML}body")
        for child in list(body):
            body.remove(child)
        body.append(page)
        path = tmp_path / f"page{i}.hocr"
        ET.ElementTree(single).write(path, encoding="utf-8", xml_declaration=True)
        pages.append(HocrParser(path).parse())
    texts = []
    for page in pages:
        assert page.page_number == len(texts) and abs(page.bbox.right - 2550) <= 1
        words = [w for par in page.children for line in par.children for w in line.children]
        assert all(w.text and 0 <= w.confidence <= 1 and w.bbox.right > w.bbox.left for w in words)
        assert all(line.baseline is not None for par in page.children for line in par.children)
        texts.append(" ".join(w.text for w in words))
    for i, text in enumerate(texts):
        assert word_f1(page_text(i), text) >= MIN_F1


def test_alto_validates_against_the_v4_schema(outputs):
    import xmlschema

    xmlschema.XMLSchema(str(XSD)).validate(io.BytesIO(outputs["alto"]))
    root = ET.fromstring(outputs["alto"])
    assert root.tag == f"{ALTO}alto"
    pages = root.findall(f".//{ALTO}Page")
    assert [p.get("PHYSICAL_IMG_NR") for p in pages] == ["1", "2", "3"]
    strings = root.findall(f".//{ALTO}String")
    assert all(0.0 <= float(s.get("WC")) <= 1.0 for s in strings)
    for line in root.iter(f"{ALTO}TextLine"):
        kinds = [child.tag.replace(ALTO, "") for child in line]
        assert kinds == ["String", "SP"] * (len(kinds) // 2) + ["String"]  # SP between words, none after the last
    assert word_f1(EXPECTED, " ".join(s.get("CONTENT") for s in strings)) >= MIN_F1


def test_alto_schema_check_can_fail(outputs):
    import xmlschema

    broken = outputs["alto"].replace(b' WC="', b' WC="1', 1)  # WC="10.99": out of [0, 1]
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        xmlschema.XMLSchema(str(XSD)).validate(io.BytesIO(broken))


def test_searchable_pdf_reads_back_with_poppler(outputs, tmp_path):
    need("pdftotext")
    path = tmp_path / "searchable.pdf"
    path.write_bytes(outputs["pdf"])
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    assert "Pages:           3" in info and "(letter)" in info  # 612 x 792 pt, give or take a rendered pixel
    for i in range(3):
        text = subprocess.run(["pdftotext", "-f", str(i + 1), "-l", str(i + 1), path, "-"], capture_output=True, text=True, check=True).stdout
        assert word_f1(page_text(i), text) >= MIN_F1, text
    fonts = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
    assert "Identity-H" in fonts and fonts.split("\n")[2].split()[-3] == "yes"  # has a ToUnicode map
    images = subprocess.run(["pdfimages", "-list", path], capture_output=True, text=True, check=True).stdout
    assert len(images.splitlines()) == 2 + 3  # one page image per page


# -- inputs: TIFF, folders, stdin, @list, globs, --pages, -o DIR/ -------------------------------------------------------
def test_multipage_tiff_reads_every_page(tmp_path):
    path = tmp_path / "scan.tiff"
    path.write_bytes(make_tiff(PAGES[:2]))
    done = ocr_cli([path], text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    pages = done.stdout.split("\f")
    assert len(pages) == 2
    assert all(word_f1(page_text(i), text) >= MIN_F1 for i, text in enumerate(pages))


def test_stdin_list_glob_and_page_selection(doc, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "onnxocr", "-", "--pages", "2", "-f", "jsonl", "-q", *cli_model_args()],
        input=doc.read_bytes(), capture_output=True, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr.decode()
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [(r["source"], r["page"]) for r in rows] == [("<stdin>", 2)]
    assert word_f1(page_text(1), "\n".join(line["text"] for line in rows[0]["lines"])) >= MIN_F1
    listing = tmp_path / "inputs.txt"
    listing.write_text(f"# a comment\n{doc}\n\n")
    done = ocr_cli([f"@{listing}", str(doc.parent / "*pages.pdf"), "--pages", "3", "-f", "jsonl"], text=True)
    assert done.returncode == 0, done.stderr
    assert [(json.loads(r)["source"], json.loads(r)["page"]) for r in done.stdout.splitlines()] == [(str(doc), 3), (str(doc), 3)]


def test_folder_is_read_recursively_in_order_and_mirrored_into_an_output_folder(tmp_path):
    tree = tmp_path / "in"
    (tree / "b").mkdir(parents=True)
    (tree / "a.pdf").write_bytes(make_pdf([PAGES[0][:3]]))
    (tree / "b" / "c.tiff").write_bytes(make_tiff([PAGES[1][:3], PAGES[2][:3]]))
    (tree / "notes.txt").write_text("not a document")
    out = tmp_path / "out"
    done = ocr_cli([tree, "-f", "jsonl", "-o", f"{out}/"], text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == ["a.jsonl", "b", "b/c.jsonl"]
    assert [json.loads(r)["page"] for r in (out / "b" / "c.jsonl").read_text().splitlines()] == [1, 2]
    stamp = (out / "a.jsonl").stat().st_mtime_ns
    (out / "b" / "c.jsonl").unlink()
    done = ocr_cli([tree, "-f", "jsonl", "-o", f"{out}/", "--skip-existing"], text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "a.jsonl").stat().st_mtime_ns == stamp and (out / "b" / "c.jsonl").is_file()


def test_iso_639_2_codes_map_onto_the_catalog():
    from onnxocr.models.catalog import load_catalog

    catalog = load_catalog()
    expected = {
        "eng": "en", "fra": "french", "deu": "german", "kor": "korean", "jpn": "japan", "chi_sim": "ch",
        "chi_tra": "chinese_cht", "ara": "arabic", "hin": "devanagari", "tam": "ta", "tel": "te", "kan": "ka",
    }
    for code, lang in expected.items():
        assert catalog.resolve_lang(code) == lang, code
    for code in ("spa", "ita", "por", "rus"):  # whatever the catalog's table says for es/it/pt/ru
        assert catalog.resolve_lang(code) == catalog.resolve_lang({"spa": "es", "ita": "it", "por": "pt", "rus": "ru"}[code])


def test_the_python_api_pages_iterator(doc):
    from onnxocr import OCR

    if not _default_models_installed():
        pytest.skip("default models not converted: run `make convert`")
    ocr = OCR()
    pages = list(ocr.pages([doc], pages="1,3", dpi=150))
    assert [(p.source, p.page, p.error) for p in pages] == [(str(doc), 1, None), (str(doc), 3, None)]
    height, width, channels = pages[0].image.shape  # 8.5 x 11 inches at 150 dpi (PDFium rounds up)
    assert abs(height - 1650) <= 1 and abs(width - 1275) <= 1 and channels == 3 and pages[0].result.page == 1
    assert word_f1(page_text(2), pages[1].result.text) >= MIN_F1


# -- bad inputs: one line each, the rest goes on, exit 1, finished output intact, atomic -------------------------------
@pytest.fixture(scope="module")
def bad_folder(doc, tmp_path_factory) -> Path:
    import pikepdf

    folder = tmp_path_factory.mktemp("bad")
    good = folder / "good.pdf"
    good.write_bytes(make_pdf([PAGES[0][:4], PAGES[1][:4]]))
    with pikepdf.open(good) as pdf:
        pdf.save(folder / "encrypted.pdf", encryption=pikepdf.Encryption(user="secret", owner="owner"))
    data = good.read_bytes()
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    pikepdf.new().save(folder / "zero-pages.pdf")
    with pikepdf.open(good) as pdf:
        pdf.pages[0].MediaBox = [0, 0, 200 * 72, 200 * 72]  # 200 x 200 inches
        pdf.save(folder / "huge-page.pdf")
    (folder / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (folder / "secret.png").chmod(0)
    return folder


def test_bad_inputs_are_one_line_each_and_the_rest_is_written(bad_folder, tmp_path):
    out = tmp_path / "result.jsonl"
    command = [sys.executable, "-m", "onnxocr", str(bad_folder), "-f", "jsonl", "-o", str(out), "-q", *cli_model_args()]
    done = run_unprivileged(command, text=True, cwd=REPO)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = error_lines(done.stderr)
    folder = str(bad_folder)
    assert errors == [
        f"onnxocr: error: {folder}/encrypted.pdf: is encrypted (password protected); decrypt it first, e.g. "
        "`qpdf --decrypt --password=... in.pdf out.pdf`",
        f"onnxocr: error: {folder}/huge-page.pdf page 1: 200x200 inches at 300 dpi = 60000x60000 = 3600000000 pixels "
        "exceeds the limit of 178956970 (lower --dpi, or raise --max-pixels if this file is trusted)",
        f"onnxocr: error: {folder}/secret.png: permission denied",
        f"onnxocr: error: {folder}/truncated.pdf: is not a readable PDF (truncated or corrupt); re-download it, or "
        "repair it (e.g. `qpdf in.pdf repaired.pdf`)",
        f"onnxocr: error: {folder}/zero-pages.pdf: PDF has no pages",
    ], done.stderr
    assert done.stderr.splitlines()[-1] == "onnxocr: 5 of 6 input(s) failed"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    # one record per page, and one error record (its message the stderr line's) per failed input or page
    assert [(Path(r["source"]).name, r["page"], "error" in r) for r in rows] == [
        ("encrypted.pdf", None, True), ("good.pdf", 1, False), ("good.pdf", 2, False), ("huge-page.pdf", 1, True),
        ("huge-page.pdf", 2, False), ("secret.png", None, True), ("truncated.pdf", None, True), ("zero-pages.pdf", None, True)]
    assert [f"onnxocr: error: {r['error']}" for r in rows if "error" in r] == errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.jsonl"]  # no temporary file left behind


def test_every_input_failing_leaves_an_existing_output_as_it_was(bad_folder, tmp_path):
    out = tmp_path / "result.pdf"
    out.write_bytes(b"yesterday's PDF")
    done = ocr_cli([bad_folder / "encrypted.pdf", bad_folder / "zero-pages.pdf", "-f", "pdf", "-o", out], text=True)
    assert done.returncode == 1 and len(error_lines(done.stderr)) == 2, done.stderr
    assert out.read_bytes() == b"yesterday's PDF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.pdf"]


# -- the ocrmypdf plugin, run by ocrmypdf itself -------------------------------------------------------------------------
def ocrmypdf(args: list) -> subprocess.CompletedProcess:
    need("gs")
    need("qpdf")
    binary = Path(sys.executable).with_name("ocrmypdf")
    env = {**os.environ, "PATH": f"{binary.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(binary), "--plugin", "onnxocr.ocrmypdf", *map(str, args)], capture_output=True, text=True, cwd=REPO, env=env)


@pytest.mark.skipif(not _default_models_installed(), reason="default models not converted: run `make convert`")
@pytest.mark.parametrize("renderer", ["auto", "sandwich"])
def test_ocrmypdf_plugin_makes_a_searchable_pdf(tmp_path, renderer):
    need("pdftotext")
    source = tmp_path / "scan.pdf"
    source.write_bytes(make_pdf([PAGES[0][:6], PAGES[1][:6]], dpi=200))
    out = tmp_path / "searchable.pdf"
    done = ocrmypdf(["-l", "chi_sim", "--pdf-renderer", renderer, "--output-type", "pdf", source, out])
    assert done.returncode == 0, done.stderr
    for i in range(2):
        text = subprocess.run(["pdftotext", "-f", str(i + 1), "-l", str(i + 1), out, "-"], capture_output=True, text=True, check=True).stdout
        assert word_f1("\n".join(PAGES[i][:6]), text) >= MIN_F1, (renderer, text)


@pytest.mark.skipif(not _default_models_installed(), reason="default models not converted: run `make convert`")
@pytest.mark.parametrize("turn", [180, 90, 270])
def test_ocrmypdf_plugin_turns_a_turned_page(tmp_path, default_ocr, turn):
    """At ocrmypdf's own default confidence threshold, a page turned 90/180/270 comes out readable: /Rotate undoes
    the turn, and rendered as a viewer shows it (pypdfium2 applies /Rotate) it reads the text set on it, upright."""
    import pikepdf
    import pypdfium2

    from doclib import render_text_page

    upright = render_text_page(PAGES[2][:6], dpi=150)
    source = tmp_path / "turned.pdf"
    upright.rotate(-turn, expand=True).save(source, "PDF", resolution=150)  # PIL turns counterclockwise: content at `turn`
    out = tmp_path / "fixed.pdf"
    done = ocrmypdf(["-l", "chi_sim", "--rotate-pages", "--output-type", "pdf", source, out])
    assert done.returncode == 0, done.stderr
    with pikepdf.open(out) as pdf:  # shown upright: /Rotate (clockwise) undoes the content's clockwise turn
        assert int(pdf.pages[0].get("/Rotate", 0)) % 360 == (360 - turn) % 360
    shown = pypdfium2.PdfDocument(str(out))[0].render(scale=150 / 72).to_pil().convert("RGB")
    read = default_ocr(np.asarray(shown)[:, :, ::-1].copy())
    assert word_f1("\n".join(PAGES[2][:6]), read.text) >= MIN_F1, read.text


def test_ocrmypdf_plugin_refuses_an_unknown_language(tmp_path):
    source = tmp_path / "scan.pdf"
    source.write_bytes(make_pdf([PAGES[0][:2]], dpi=100))
    done = ocrmypdf(["-l", "xyz", source, tmp_path / "out.pdf"])
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "xyz" in done.stderr


# -- progress bar: on a terminal only, off with --quiet ---------------------------------------------------------------
def _stderr_on_a_terminal(args: list) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal, read while it runs (a full pty buffer would block the
    progress bar's writes, and the process with them)."""
    import pty
    import threading

    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "onnxocr", *map(str, args), *cli_model_args()]
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    chunks = []

    def drain():
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=follower, cwd=REPO, env=env, timeout=300)
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    return done.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_on_a_terminal_and_quiet_turns_it_off(tmp_path):
    path = tmp_path / "two.tiff"
    path.write_bytes(make_tiff([PAGES[0][:2], PAGES[1][:2]], dpi=100))
    code, shown = _stderr_on_a_terminal([path])
    assert code == 0 and "2/?" in shown, shown
    code, shown = _stderr_on_a_terminal([path, "--quiet"])
    assert code == 0 and shown == "", shown


def test_right_to_left_lines_are_marked_in_hocr_and_alto():
    import numpy as np
    import xmlschema

    from onnxocr.result import OCRResult, TextLine
    from onnxocr.io.writers import make_writer

    def quad(y):
        return np.array([[10, y], [300, y], [300, y + 30], [10, y + 30]], np.float32)

    result = OCRResult(lines=[TextLine(quad(10), "مرحبا بالعالم", 0.93), TextLine(quad(60), "Hello world", 0.88)], width=320, height=100, source="mixed.png")
    out = {}
    for fmt in ("hocr", "alto"):
        buffer = io.BytesIO()
        writer = make_writer(fmt, buffer)
        writer.add(result)
        writer.end()
        out[fmt] = buffer.getvalue()
    lines = ET.fromstring(out["hocr"]).findall(f".//{XHTML}span[@class='ocr_line']")
    assert [line.get("dir") for line in lines] == ["rtl", None]
    assert [w.text for w in lines[0]] == ["مرحبا", "بالعالم"]
    xmlschema.XMLSchema(str(XSD)).validate(io.BytesIO(out["alto"]))
    assert [line.get("BASEDIRECTION") for line in ET.fromstring(out["alto"]).iter(f"{ALTO}TextLine")] == ["rtl", None]
