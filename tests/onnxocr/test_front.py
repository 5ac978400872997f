"""The front: model resolution as a pure function (no onnxruntime, no files), OCR.from_catalog / from_files, and the
CLI's --version / --ocr-version. Expected answers come from models.toml itself (the catalog is the reference)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

from onnxocr.errors import CatalogError, ModelNotFoundError
from onnxocr.models.catalog import load_catalog
from onnxocr.models.resolve import needed_tasks, resolve_models

CATALOG = load_catalog()


def _resolve(lang, version=None, explicit=None, need=("det", "rec"), installed=lambda name: True):
    explicit = {"det": None, "cls": None, "rec": None, **(explicit or {})}
    return resolve_models(CATALOG, lang, version, explicit, set(need), installed, where="/nowhere")


def test_the_default_generation_is_the_catalogs():
    plan = _resolve(None, need=("det", "cls", "rec"))
    want_version, want = CATALOG.model_set(CATALOG.default_lang)
    assert plan.lang == CATALOG.default_lang and plan.ocr_version == CATALOG.default_version == want_version
    # the page-orientation model is language-independent: OCR loads it apart from the line models resolved here
    assert {task: choice.name for task, choice in plan.models.items()} == {t: n for t, n in want.items() if t != "ori"}
    assert all(choice.path is None for choice in plan.models.values())  # paths come from the store, later


def test_an_explicit_generation_and_the_recognisers_declared_height():
    plan = _resolve("ch", "PP-OCRv4")
    assert plan.models["rec"].name == CATALOG.model_set("ch", "PP-OCRv4")[1]["rec"]
    assert plan.models["rec"].declared_height == CATALOG.model(plan.models["rec"].name).input_shape[1]


def test_explicit_paths_need_no_catalog_set():
    plan = _resolve("ch", "PP-OCRv9", explicit={"rec": "my/rec.onnx"}, need=("rec",))  # an unknown generation is fine
    assert plan.ocr_version is None and str(plan.models["rec"].path) == "my/rec.onnx" and plan.models["rec"].name is None


def test_a_missing_model_is_one_error_naming_every_missing_model_and_the_fix():
    want = CATALOG.model_set("ch")[1]
    with pytest.raises(ModelNotFoundError) as caught:
        _resolve("ch", installed=lambda name: False)
    message = str(caught.value)
    assert f'make convert MODELS="{want["det"]} {want["rec"]}"' in message and "/nowhere" in message
    assert "\n" not in message


def test_an_unknown_generation_names_the_ones_the_language_has():
    with pytest.raises(CatalogError, match="use --ocr-version"):
        _resolve("ch", "PP-OCRv9")


def test_a_language_falls_back_to_its_scripts_set_when_its_own_is_not_installed():
    own = CATALOG.model_set("es", "PP-OCRv2")[1]
    latin = CATALOG.model_set("latin", "PP-OCRv2")[1]
    plan = _resolve("es", "PP-OCRv2", installed=lambda name: name != own["rec"])
    assert plan.lang == "latin" and plan.models["rec"].name == latin["rec"]
    assert _resolve("es", "PP-OCRv2").models["rec"].name == own["rec"]  # installed: its own


def test_needed_tasks():
    assert needed_tasks(True, False, {"cls": None}) == {"det", "rec"}
    assert needed_tasks(False, False, {"cls": "c.onnx"}) == {"cls", "rec"}


# -- with the default models ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def default_models():
    from onnxocr.models.store import ModelStore

    names = CATALOG.model_set(CATALOG.default_lang)[1]
    if not all(ModelStore().is_installed(names[t]) for t in ("det", "rec")):
        pytest.skip("default models not converted: run `make convert`")
    return {task: ModelStore().model_path(name) for task, name in names.items()}


def test_from_catalog_and_from_files_read_the_same_page_alike(default_models):
    from onnxocr import OCR
    from testlib import REPO

    by_catalog = OCR.from_catalog(CATALOG.default_lang)
    by_files = OCR.from_files(det=default_models["det"], rec=default_models["rec"])
    assert by_catalog.ocr_version == CATALOG.default_version and by_files.ocr_version is None
    assert "cls" not in by_files.models and not by_files.config.use_cls
    sample = REPO / "docs" / "sample.png"
    assert by_files(sample).text == by_catalog(sample).text
    assert by_catalog(sample).lines[0].text == "onnxocr sample page"  # the text docs/sample.png was drawn with


def test_the_old_version_keyword_still_works_with_a_deprecation_warning(default_models):
    from onnxocr import OCR

    with pytest.warns(DeprecationWarning, match="ocr_version="):
        ocr = OCR(version=CATALOG.default_version)
    assert ocr.ocr_version == ocr.version == CATALOG.default_version
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OCR.from_catalog(ocr_version=CATALOG.default_version)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "onnxocr", *args], capture_output=True, text=True, timeout=300)


def test_version_prints_the_program_version():
    from onnxocr import __version__

    done = _cli("--version")
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, f"onnxocr {__version__}", "")


def test_the_old_generation_flag_warns_once_and_selects_the_generation(default_models):
    from testlib import REPO

    sample = str(REPO / "docs" / "sample.png")
    old = _cli(sample, "--version", CATALOG.default_version)
    new = _cli(sample, "--ocr-version", CATALOG.default_version)
    assert old.returncode == new.returncode == 0 and old.stdout == new.stdout
    [line] = old.stderr.strip().splitlines()
    assert line.startswith("onnxocr: warning: --version") and "--ocr-version" in line
    assert new.stderr == ""
    wrong = _cli(sample, "--ocr-version", "PP-OCRv9")
    assert wrong.returncode == 2 and "use --ocr-version" in wrong.stderr
