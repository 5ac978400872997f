"""`python -m convert import`: register existing ONNX conversions (the fixtures) with metadata and checks."""

from __future__ import annotations

from convert.cli import main
from convert.graph.metadata import read_metadata

from convert_testlib import FIXTURES, needs_onnx, needs_shared
from onnxocr.models.store import ModelStore

pytestmark = needs_onnx

ONNX = FIXTURES / "models" / "onnx"
DICTS = FIXTURES / "dicts"


def run(tmp_path, *args: str) -> int:
    return main(["import", *args, "--out", str(tmp_path / "store"), "--cache", str(tmp_path / "cache")])


@needs_shared
def test_import_catalog_recogniser_with_dictionary_file(tmp_path, capsys):
    code = run(tmp_path, str(ONNX / "en_number_mobile_v2.0_rec_infer.onnx"), "--name", "en_number_mobile_v2.0_rec",
               "--dict", str(DICTS / "en_dict.txt"))
    assert code == 0, capsys.readouterr().out
    store = ModelStore(tmp_path / "store")
    meta = read_metadata(store.verify("en_number_mobile_v2.0_rec"))
    assert len(meta["character"].split("\n")) == 95
    assert meta["onnxocr.task"] == "rec" and meta["onnxocr.input_shape"] == "3,32,-1"
    record = store.read_manifest()["en_number_mobile_v2.0_rec"]
    assert record["source"].startswith("import:") and record["parity_max_abs"] is None


@needs_shared
def test_import_rejects_a_dictionary_that_is_not_the_catalogs(tmp_path, capsys):
    code = run(tmp_path, str(ONNX / "en_number_mobile_v2.0_rec_infer.onnx"), "--name", "en_number_mobile_v2.0_rec",
               "--dict", str(DICTS / "french_dict.txt"))
    assert code == 1
    assert "is not the catalog's en_dict" in capsys.readouterr().out
    assert not (tmp_path / "store" / "en_number_mobile_v2.0_rec.onnx").exists()


@needs_shared
def test_import_unlisted_recogniser_checks_class_count(tmp_path, capsys):
    good = run(tmp_path, str(ONNX / "it_mobile_v2.0_rec_infer.onnx"), "--name", "it_mobile_v2.0_rec", "--task", "rec",
               "--dict", str(DICTS / "it_dict.txt"))
    assert good == 0, capsys.readouterr().out
    assert read_metadata(tmp_path / "store" / "it_mobile_v2.0_rec.onnx")["onnxocr.input_shape"] == "3,32,100"
    bad = run(tmp_path, str(ONNX / "it_mobile_v2.0_rec_infer.onnx"), "--name", "it_other", "--task", "rec",
              "--dict", str(DICTS / "en_dict.txt"))
    assert bad == 1
    assert "wrong dictionary for this model" in capsys.readouterr().out
    assert not (tmp_path / "store" / "it_other.onnx").exists()


@needs_shared
def test_import_detector_and_classifier(tmp_path):
    assert run(tmp_path, str(ONNX / "ch_PP-OCRv2_det_infer.onnx"), "--name", "ch_PP-OCRv2_det") == 0
    assert run(tmp_path, str(ONNX / "ch_ppocr_mobile_v2.0_cls_infer.onnx"), "--name", "ch_ppocr_mobile_v2.0_cls") == 0
    manifest = ModelStore(tmp_path / "store").read_manifest()
    assert manifest["ch_PP-OCRv2_det"]["task"] == "det" and manifest["ch_ppocr_mobile_v2.0_cls"]["task"] == "cls"


def test_import_missing_file_is_a_one_line_error(tmp_path, capsys):
    assert run(tmp_path, str(tmp_path / "nope.onnx"), "--name", "ch_PP-OCRv2_det") == 1
    assert "no such file" in capsys.readouterr().out
    assert not (tmp_path / "store").exists()


def test_import_folds_affine_blocks_when_outputs_stay_within_tolerance(tmp_path, capsys):
    import onnx

    from convert_testlib import lab_det_net

    source = tmp_path / "lab.onnx"
    onnx.save(lab_det_net(), str(source))
    assert run(tmp_path, str(source), "--name", "lab_det", "--task", "det") == 0, capsys.readouterr().out
    store = ModelStore(tmp_path / "store")
    record = store.read_manifest()["lab_det"]
    assert record["graph_passes"].startswith("fold_affine_into_conv: 2 after, 1 before (max abs vs imported")
    ops = [n.op_type for n in onnx.load(str(store.verify("lab_det"))).graph.node]
    assert ops.count("Mul") == 1  # only the block in front of the padded depthwise conv is left
    assert read_metadata(store.verify("lab_det"))["onnxocr.graph_passes"] == record["graph_passes"]


def test_import_keeps_the_graph_as_it_was_when_folding_would_move_outputs(tmp_path, capsys, monkeypatch):
    import onnx

    import convert.importing
    from convert_testlib import lab_det_net

    monkeypatch.setattr(convert.importing, "PARITY_TOLERANCE", -1.0)  # any difference at all is too much
    source = tmp_path / "lab.onnx"
    onnx.save(lab_det_net(), str(source))
    assert run(tmp_path, str(source), "--name", "lab_det", "--task", "det") == 0, capsys.readouterr().out
    store = ModelStore(tmp_path / "store")
    assert store.read_manifest()["lab_det"]["graph_passes"] == ""
    ops = [n.op_type for n in onnx.load(str(store.verify("lab_det"))).graph.node]
    assert ops.count("Mul") == 4 and ops.count("Constant") > 0


def test_import_refuses_a_name_that_is_not_a_plain_file_name(tmp_path, capsys):
    import pytest

    for bad in ("../../outside", "a/b", "..", "name with space"):
        with pytest.raises(SystemExit) as caught:
            run(tmp_path, str(tmp_path / "any.onnx"), "--name", bad)
        assert caught.value.code == 2
        assert f"model name {bad!r} is not allowed" in capsys.readouterr().err
    assert not (tmp_path / "store").exists() and not (tmp_path.parent / "outside.onnx").exists()
