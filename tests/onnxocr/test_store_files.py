"""Files the store and the CLI write: modes as open() would give them, one-line errors, no lost manifest entries."""

from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from onnxocr.errors import ModelLoadError
from onnxocr.io.atomic import write_atomic
from onnxocr.models.store import ModelStore

from testlib import REPO


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_new_files_get_0666_minus_umask_and_replaced_files_keep_their_mode(tmp_path, umask_022):
    fresh = tmp_path / "fresh.txt"
    write_atomic(fresh, b"a", fsync=True)
    assert mode(fresh) == 0o644
    shared = tmp_path / "shared.txt"
    shared.write_bytes(b"old")
    os.chmod(shared, 0o664)
    write_atomic(shared, b"new", fsync=True)
    assert shared.read_bytes() == b"new" and mode(shared) == 0o664


def test_store_manifest_and_model_are_readable_by_others(tmp_path, umask_022):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"not really a model")
    store = ModelStore(tmp_path / "store")
    store.install("m", model, {"task": "det"})
    assert mode(store.manifest_path) == 0o644 and mode(store.model_path("m")) == 0o644


def _install_many(root: str, worker: int, count: int, model: str) -> None:
    store = ModelStore(root)
    for i in range(count):
        store.install(f"w{worker}_{i}", model, {"task": "det"})


def test_concurrent_installs_lose_no_manifest_entry(tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"x" * 1000)
    root = tmp_path / "store"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_install_many, args=(str(root), w, 15, str(model))) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    names = set(ModelStore(root).read_manifest())
    assert names == {f"w{w}_{i}" for w in range(4) for i in range(15)}


def test_an_unreadable_manifest_is_one_line_naming_it(tmp_path):
    store = ModelStore(tmp_path)
    store.manifest_path.mkdir()  # reading it fails with an OSError (IsADirectoryError), as a foreign 0600 file does
    with pytest.raises(ModelLoadError) as caught:
        store.read_manifest()
    message = str(caught.value)
    assert "\n" not in message and str(store.manifest_path) in message and "cannot be read" in message


def test_an_unwritable_store_is_one_line_naming_it(tmp_path):
    root = tmp_path / "store"
    root.write_text("a file where the store folder should be")  # fails for root too, unlike a 0555 folder
    model = tmp_path / "m.onnx"
    model.write_bytes(b"x")
    with pytest.raises(ModelLoadError) as caught:
        ModelStore(root).install("m", model, {})
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"cannot write to the model store {root} ")


def test_cli_output_files_get_the_same_modes(tmp_path, umask_022):
    from onnxocr.io.atomic import write_atomic as _write_atomic

    out = tmp_path / "out.txt"
    _write_atomic(out, b"text")
    assert mode(out) == 0o644
    os.chmod(out, 0o664)
    _write_atomic(out, b"again")
    assert mode(out) == 0o664


def test_store_names_are_plain_file_names(tmp_path):
    store = ModelStore(tmp_path)
    for bad in ("../x", "a/b", "..", "", "a b", "a\\b"):
        with pytest.raises(ModelLoadError, match="is not allowed"):
            store.model_path(bad)
    assert store.model_path("en_PP-OCRv4_rec.int8").name == "en_PP-OCRv4_rec.int8.onnx"


def test_cli_models_with_an_unreadable_manifest_exits_2_in_one_line(tmp_path):
    (tmp_path / "manifest.json").mkdir()
    proc = subprocess.run([sys.executable, "-m", "onnxocr", "models"], capture_output=True, text=True,
                          env=dict(os.environ, ONNXOCR_HOME=str(tmp_path)), cwd=REPO)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "manifest.json cannot be read" in lines[0] and "Traceback" not in proc.stderr
