"""Models wheels (`make dist`), installed-wheel lookup and `onnxocr models export`, on the default converted set.

The fresh-venv test installs dist's wheels into a new virtualenv (no Paddle, no checkout on sys.path, empty
ONNXOCR_HOME) and runs the `onnxocr` command there on docs/sample.png.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testlib import REPO, SAMPLE_TEXT

SAMPLE = REPO / "docs" / "sample.png"


def _default_names() -> list[str]:
    from onnxocr.models.export import default_set

    return default_set().names


@pytest.fixture(scope="module")
def default_store_ready():
    from onnxocr.models.store import ModelStore

    missing = [n for n in _default_names() if not ModelStore().is_installed(n)]
    if missing:
        pytest.skip(f"default models not converted ({', '.join(missing)}): run `make convert`")


@pytest.fixture(scope="module")
def expected_sample_text(default_store_ready) -> str:
    """The text set on docs/sample.png (testlib), not what a model read there: an empty read is a failure."""
    return SAMPLE_TEXT


@pytest.fixture(scope="module")
def dist_dir(tmp_path_factory, default_store_ready) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, str(REPO / "tools" / "build_wheels.py"), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


def _clean_env(home: Path, **extra: str) -> dict[str, str]:
    """No venv on PATH, no PYTHONPATH, an empty model store: what a user's fresh machine has."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "ONNXOCR_HOME": str(home / "empty-store"), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory, dist_dir) -> Path:
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    wheels = sorted(str(p) for p in dist_dir.glob("*.whl"))
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *wheels], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return venv


def test_dist_builds_the_runtime_and_the_default_models_wheel(dist_dir):
    names = sorted(p.name.split("-")[0] for p in dist_dir.glob("*.whl"))
    assert len(names) == 2 and names[0] == "onnxocr_runtime" and names[1].startswith("onnxocr_runtime_models_")
    [models_wheel] = dist_dir.glob("onnxocr_runtime_models_*.whl")
    import zipfile

    members = zipfile.ZipFile(models_wheel).namelist()
    assert {f"{n}.onnx" for n in _default_names()} <= {Path(m).name for m in members}
    assert any(m.endswith("/manifest.json") for m in members) and any(m.endswith("LICENSES/Apache-2.0.txt") for m in members)
    entry_points = zipfile.ZipFile(models_wheel).read(next(m for m in members if m.endswith("entry_points.txt"))).decode()
    assert "[onnxocr.models]" in entry_points


def test_fresh_venv_runs_the_sample_from_the_models_wheel(fresh_venv, tmp_path, expected_sample_text):
    site = subprocess.run([str(fresh_venv / "bin" / "python"), "-c", "import paddle"], capture_output=True, text=True)
    assert site.returncode != 0  # no Paddle in the user's venv
    done = subprocess.run([str(fresh_venv / "bin" / "onnxocr"), str(SAMPLE)], capture_output=True, text=True,
                          env=_clean_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected_sample_text.strip()
    listed = subprocess.run([str(fresh_venv / "bin" / "onnxocr"), "models", "--json"], capture_output=True, text=True,
                            env=_clean_env(tmp_path), cwd=tmp_path)
    states = {r["name"]: r["state"] for r in json.loads(listed.stdout)["models"]}
    assert all(states[n].startswith("installed from the models wheel onnxocr-runtime-models-") for n in _default_names())


def test_a_tampered_wheel_model_is_refused_with_one_line(fresh_venv, tmp_path):
    python = str(fresh_venv / "bin" / "python")
    where = subprocess.run([python, "-c", "from onnxocr.models.packages import installed_model_packages as f; print(f()[0].store.root)"],
                           capture_output=True, text=True, env=_clean_env(tmp_path), cwd=tmp_path)
    folder = Path(where.stdout.strip())
    det = folder / f"{_default_names()[0]}.onnx"
    original = det.read_bytes()
    try:
        det.write_bytes(original[:-16] + bytes(16))
        done = subprocess.run([str(fresh_venv / "bin" / "onnxocr"), str(SAMPLE)], capture_output=True, text=True,
                              env=_clean_env(tmp_path), cwd=tmp_path)
    finally:
        det.write_bytes(original)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert str(det) in line and "checksum" in line


def test_export_writes_a_folder_that_models_dir_and_onnxocr_home_read(tmp_path, expected_sample_text):
    from onnxocr import OCR
    from onnxocr.models.store import ModelStore, sha256_file

    target = tmp_path / "bundle"
    env = dict(os.environ, ONNXOCR_HOME=str(ModelStore().root))
    done = subprocess.run([sys.executable, "-m", "onnxocr", "models", "export", str(target), "--lang", "en"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((target / "manifest.json").read_text())["models"]
    assert sorted(manifest) == sorted(_default_names())
    assert all(sha256_file(target / f"{n}.onnx") == r["sha256"] for n, r in manifest.items())
    assert (target / "LICENSES" / "Apache-2.0.txt").is_file() and "Apache" in (target / "NOTICE.md").read_text()
    ocr = OCR(lang="en", models_dir=target)
    assert all(choice.path.parent == target for choice in ocr.models.values())
    assert ocr(SAMPLE).text == expected_sample_text
    run = subprocess.run([sys.executable, "-m", "onnxocr", str(SAMPLE)], capture_output=True, text=True,
                         env=dict(os.environ, ONNXOCR_HOME=str(target)))
    assert run.returncode == 0 and run.stdout.strip() == expected_sample_text.strip()


def test_export_of_models_nobody_has_names_them_and_writes_nothing(tmp_path):
    target = tmp_path / "bundle"
    done = subprocess.run([sys.executable, "-m", "onnxocr", "models", "export", str(target), "--lang", "ta"],
                          capture_output=True, text=True, env=dict(os.environ, ONNXOCR_HOME=str(tmp_path / "empty")))
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "ta_mobile_v2.0_rec" in line and "make convert" in line
    assert not target.exists()


def test_models_dir_is_searched_alone_and_store_plus_models_dir_is_refused(tmp_path):
    from onnxocr import OCR, ModelNotFoundError, OnnxOCRError

    with pytest.raises(ModelNotFoundError, match=str(tmp_path)):
        OCR(models_dir=tmp_path)
    with pytest.raises(OnnxOCRError, match="not both"):
        OCR(models_dir=tmp_path, store=tmp_path)
