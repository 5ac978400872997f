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


def test_import_refuses_a_feature_map_given_as_a_detector(tmp_path, capsys):
    """lab_net ends in a 4-channel conv: onnxruntime runs it on every det shape, but its output is no DB map."""
    import onnx

    from convert_testlib import lab_net

    source = tmp_path / "lab.onnx"
    onnx.save(lab_net(), str(source))
    assert run(tmp_path, str(source), "--name", "lab_det", "--task", "det") == 1
    detail = capsys.readouterr().out.split("failed", 1)[1].strip().splitlines()[0]
    assert detail == ("lab.onnx gives output shape [1, 4, 64, 64] on input [1, 3, 64, 64]; a det model gives "
                      "N x 1 x H x W probabilities (the input's N, H and W): is it really a detector? "
                      "pass --task det|cls|rec|ori for what it is")
    assert not (tmp_path / "store").exists()  # nothing written: no file, no manifest


def test_import_refuses_a_detector_without_its_sigmoid(tmp_path, capsys):
    import onnx

    from convert_testlib import lab_det_net

    source = tmp_path / "logits.onnx"
    onnx.save(lab_det_net(sigmoid=False), str(source))
    assert run(tmp_path, str(source), "--name", "logits_det", "--task", "det") == 1
    out = capsys.readouterr().out
    assert "logits.onnx gives values in [" in out and "was it exported without its final Sigmoid?" in out
    assert not (tmp_path / "store").exists()


@needs_shared
def test_import_refuses_real_models_given_as_another_task(tmp_path, capsys):
    """The seed's own files under the wrong task, each of which onnxruntime runs on that task's shapes: a
    classifier as det, and as rec (with a dictionary, so the class count is not what stops it), a recogniser as
    cls."""
    cases = [
        (ONNX / "ch_ppocr_mobile_v2.0_cls_infer.onnx", ("--name", "cls_as_det", "--task", "det"),
         "gives output shape [1, 2] on input [1, 3, 64, 64]; a det model gives N x 1 x H x W"),
        (ONNX / "ch_ppocr_mobile_v2.0_cls_infer.onnx", ("--name", "cls_as_rec", "--task", "rec", "--dict", str(DICTS / "en_dict.txt")),
         "gives output shape [1, 2] on input [1, 3, 32, 80]; a rec model gives N x T x C"),
        (ONNX / "en_number_mobile_v2.0_rec_infer.onnx", ("--name", "rec_as_cls", "--task", "cls"),
         "gives output shape [1, 48, 97] on input [1, 3, 32, 192]; a cls model gives N x K class probabilities"),
    ]
    for source, args, expected in cases:
        assert run(tmp_path, str(source), *args) == 1, args
        out = capsys.readouterr().out
        assert expected in out, out
        assert not (tmp_path / "store").exists()


@needs_shared
def test_import_refuses_a_classifier_cut_before_its_softmax(tmp_path, capsys):
    """The seed classifier with its last node (Softmax) removed gives the right shape but logits, which the
    runtime would compare with cls_thresh as if they were probabilities."""
    import onnx

    model = onnx.load(str(ONNX / "ch_ppocr_mobile_v2.0_cls_infer.onnx"))
    softmax = model.graph.node[-1]
    assert softmax.op_type == "Softmax"
    model.graph.output[0].name = softmax.input[0]
    model.graph.node.remove(softmax)
    source = tmp_path / "cls_logits.onnx"
    onnx.save(model, str(source))
    assert run(tmp_path, str(source), "--name", "ch_ppocr_mobile_v2.0_cls") == 1
    out = capsys.readouterr().out
    assert "cls_logits.onnx gives values in [" in out or "cls_logits.onnx gives class rows summing to" in out, out
    assert ("was it exported without its final Softmax? the catalog lists ch_ppocr_mobile_v2.0_cls as a cls model: "
            "pass the right file or another --name") in out
    assert not (tmp_path / "store").exists()


def test_import_refuses_a_detector_whose_fixed_input_is_no_multiple_of_32(tmp_path, capsys):
    import onnx

    from convert_testlib import lab_det_net

    model = lab_det_net()
    for dim, value in zip(model.graph.input[0].type.tensor_type.shape.dim[2:], (100, 100)):
        dim.dim_value = value
    source = tmp_path / "fixed.onnx"
    onnx.save(model, str(source))
    assert run(tmp_path, str(source), "--name", "fixed_det", "--task", "det") == 1
    assert ("fixed.onnx takes input shape [N, 3, 100, 100]; a det model takes H and W both free or both fixed to "
            "multiples of 32: re-export it with a dynamic input") in capsys.readouterr().out
    assert not (tmp_path / "store").exists()


def test_import_refuses_a_name_that_is_not_a_plain_file_name(tmp_path, capsys):
    import pytest

    for bad in ("../../outside", "a/b", "..", "name with space"):
        with pytest.raises(SystemExit) as caught:
            run(tmp_path, str(tmp_path / "any.onnx"), "--name", bad)
        assert caught.value.code == 2
        assert f"model name {bad!r} is not allowed" in capsys.readouterr().err
    assert not (tmp_path / "store").exists() and not (tmp_path.parent / "outside.onnx").exists()
