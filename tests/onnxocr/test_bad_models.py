"""Bad models (issue #6): truncated/corrupt ONNX, wrong task, dictionary mismatch, tampered store file.

Each gives one clear error line (an OnnxOCRError) naming the file; none crashes. Model files: the default store
set when converted, else the ../shared fixture models.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from testlib import FIXTURE_DICTS, FIXTURE_MODELS, FIXTURES, REPO

from onnxocr import OCR
from onnxocr.errors import DictionaryMismatchError, ModelLoadError
from onnxocr.models.store import ModelStore

def _default_names() -> dict[str, str]:
    """task -> the catalog's default model for it (what `make convert` installs and users run: PP-OCRv6 small)."""
    from onnxocr.models.catalog import load_catalog

    catalog = load_catalog()
    return {catalog.models[name].task: name for name in catalog.default_convert}


_DEFAULTS = _default_names()
# task -> (default store catalog name, fixture file, fixture catalog name)
SOURCES = {
    "det": (_DEFAULTS["det"], "ch_PP-OCRv2_det_infer.onnx", "ch_PP-OCRv2_det"),
    "rec": (_DEFAULTS["rec"], "en_number_mobile_v2.0_rec_infer.onnx", None),
    "cls": (_DEFAULTS["cls"], "ch_ppocr_mobile_v2.0_cls_infer.onnx", "ch_ppocr_mobile_v2.0_cls"),
}


def _store_has_defaults() -> bool:
    store = ModelStore()
    return all(store.is_installed(name) for name, _, _ in SOURCES.values())


def model_file(task: str) -> Path:
    if _store_has_defaults():
        return ModelStore().model_path(SOURCES[task][0])
    if FIXTURES.is_dir():
        return FIXTURE_MODELS / SOURCES[task][1]
    pytest.skip(f"no models: default set not converted (`make convert`) and no ../shared fixtures at {FIXTURES}")


def rec_kwargs() -> dict:
    """rec_model (+ dict_path when the file carries no dictionary)."""
    path = model_file("rec")
    return {"rec_model": path} if _store_has_defaults() else {"rec_model": path, "dict_path": FIXTURE_DICTS / "en_dict.txt"}


def assert_one_line(exc: Exception, *fragments: str) -> None:
    message = str(exc)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _header_smashed(data: bytes) -> bytes:
    return b"\xde\xad\xbe\xef" * 16 + data[64:]


CORRUPTIONS = {
    "truncated": _truncated,
    "header-smashed": _header_smashed,
    "empty": lambda data: b"",
    "text": lambda data: b"this is not a model\n" * 10,
    "zeros": lambda data: bytes(4096),
}


@pytest.mark.parametrize("task", ["det", "rec", "cls"])
@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_corrupt_model_file_is_a_load_error(tmp_path, task, corruption):
    bad = tmp_path / f"{task}-{corruption}.onnx"
    bad.write_bytes(CORRUPTIONS[corruption](model_file(task).read_bytes()))
    kwargs = rec_kwargs()
    kwargs.update({f"{task}_model": bad}, use_cls=task == "cls", use_det=task == "det")
    with pytest.raises(ModelLoadError) as caught:
        OCR(**kwargs)
    assert_one_line(caught.value, f"{task} model {bad}", "could not be loaded")


WRONG_TASKS = [(given, slot) for given in ("det", "rec", "cls") for slot in ("det", "rec", "cls") if given != slot]


@pytest.mark.parametrize("given, slot", WRONG_TASKS, ids=[f"{g}-as-{s}" for g, s in WRONG_TASKS])
def test_model_of_the_wrong_task_is_refused(given, slot):
    kwargs = rec_kwargs()
    kwargs.update({f"{slot}_model": model_file(given)}, use_cls=slot == "cls", use_det=slot == "det")
    with pytest.raises(ModelLoadError) as caught:
        OCR(**kwargs)
    message = str(caught.value)
    assert_one_line(caught.value, str(model_file(given)))
    assert f"is a {given} model but was given as the {slot} model" in message, message


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("a\nb\nc\n", "the dictionary ({dict}) has 3 entries"),
        ("", "has 0 entries"),
    ],
)
def test_dictionary_of_the_wrong_size_is_refused(tmp_path, content, fragment):
    dictionary = tmp_path / "dict.txt"
    dictionary.write_text(content, encoding="utf-8")
    with pytest.raises(DictionaryMismatchError) as caught:
        OCR(use_det=False, rec_model=model_file("rec"), dict_path=dictionary)
    assert_one_line(caught.value, str(model_file("rec")), fragment.format(dict=dictionary), "classes")


def test_unreadable_or_missing_dictionary(tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("é\nü\n".encode("latin-1"))
    with pytest.raises(ModelLoadError) as caught:
        OCR(use_det=False, rec_model=model_file("rec"), dict_path=latin1)
    assert_one_line(caught.value, str(latin1), "not UTF-8")
    with pytest.raises(ModelLoadError) as caught:
        OCR(use_det=False, rec_model=model_file("rec"), dict_path=tmp_path / "nope.txt")
    assert_one_line(caught.value, "nope.txt does not exist")


def _store_with(tmp_path: Path) -> tuple[ModelStore, str, dict]:
    """A private store holding one catalog det model; returns it, the name and OCR kwargs that use it."""
    if _store_has_defaults():
        name, source, version = SOURCES["det"][0], ModelStore().model_path(SOURCES["det"][0]), "PP-OCRv6"
        record = ModelStore().read_manifest()[name]
    elif FIXTURES.is_dir():
        name, source, version = SOURCES["det"][2], FIXTURE_MODELS / SOURCES["det"][1], "PP-OCRv2"
        record = {"task": "det"}
    else:
        pytest.skip(f"no models: default set not converted and no ../shared fixtures at {FIXTURES}")
    store = ModelStore(tmp_path / "store")
    store.install(name, source, record)
    return store, name, dict(rec_kwargs(), lang="ch", ocr_version=version, store=store)


def test_tampered_store_model_fails_its_checksum(tmp_path):
    store, name, kwargs = _store_with(tmp_path)
    assert OCR(**kwargs).models["det"].path == store.model_path(name)  # intact: loads
    path = store.model_path(name)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, same size: onnxruntime alone would load it happily
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError) as caught:
        OCR(**kwargs)
    assert_one_line(caught.value, str(path), "does not match its manifest checksum", f'MODELS="{name}"')


def test_corrupt_manifest_is_a_load_error(tmp_path):
    store, name, kwargs = _store_with(tmp_path)
    store.manifest_path.write_text('{"models": {', encoding="utf-8")
    with pytest.raises(ModelLoadError) as caught:
        OCR(**kwargs)
    assert_one_line(caught.value, str(store.manifest_path), "is corrupt")


def test_cli_bad_model_is_a_setup_error_exit_2(tmp_path):
    bad = tmp_path / "det.onnx"
    bad.write_bytes(_truncated(model_file("det").read_bytes()))
    image = tmp_path / "page.png"
    image.write_bytes(b"\x89PNG")  # never reached: setup fails first
    args = [sys.executable, "-m", "onnxocr", str(image), "--det-model", str(bad)]
    for key, value in rec_kwargs().items():
        args += ["--rec-model" if key == "rec_model" else "--dict", str(value)]
    done = subprocess.run(args, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"onnxocr: error: det model {bad} could not be loaded"), line
