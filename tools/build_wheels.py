"""`make dist`: the runtime wheel plus one models wheel per model set, built from the converted store.

    python tools/build_wheels.py [--out dist] [--lang ch --lang fr ...] [--ocr-version PP-OCRv4]

Without --lang it builds the catalog's default set (whatever models.toml names as default). A models wheel is
named `onnxocr-runtime-models-<version>[-<lang>]` (lang only for non-default languages), so it cannot collide
with another project's name on PyPI; it holds the package `onnxocr_models_<...>` (a store folder: ONNX files,
manifest.json with sha256, LICENSES/, NOTICE.md) and announces it in the `onnxocr.models` entry-point group.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from onnxocr import __version__  # noqa: E402
from onnxocr.models.catalog import load_catalog  # noqa: E402
from onnxocr.errors import OnnxOCRError  # noqa: E402
from onnxocr.models.export import MODEL_LICENSE, ModelSet, default_set, export_models, resolve_sets  # noqa: E402
from onnxocr.models.packages import ENTRY_POINT_GROUP  # noqa: E402

PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "{dist}"
version = "{version}"
description = "{description}"
readme = "README.md"
requires-python = ">=3.9"
license = {{ text = "{license}" }}

[project.entry-points."{group}"]
"{entry}" = "{package}"

[tool.hatch.build.targets.wheel]
packages = ["{package}"]
"""


def set_slug(model_set: ModelSet, default_lang: str) -> str:
    """`ppocrv6` (the default set PP-OCRv6) for the default language's set, `ppocrv2-french` for another language's."""
    slug = re.sub(r"[^a-z0-9]+", "", model_set.version.lower())
    lang = model_set.langs[0]
    return slug if lang == default_lang else f"{slug}-{re.sub(r'[^a-z0-9]+', '', lang)}"


def build_models_wheel(model_set: ModelSet, out: Path, default_lang: str) -> Path:
    """Export one set into a throw-away project and build its wheel into `out`; return the wheel path."""
    slug = set_slug(model_set, default_lang)
    dist = f"onnxocr-runtime-models-{slug}"
    package = f"onnxocr_models_{slug.replace('-', '_')}"
    with tempfile.TemporaryDirectory(prefix="onnxocr-models-wheel-") as tmp:
        project = Path(tmp)
        names = export_models(project / package, [model_set])
        (project / package / "__init__.py").write_text(
            f'"""onnxocr models {model_set.version} ({", ".join(model_set.langs)}): this folder is an onnxocr store."""\n',
            encoding="utf-8",
        )
        langs = ", ".join(model_set.langs)
        description = f"onnxocr {model_set.version} models for {langs}: {', '.join(names)}"
        (project / "README.md").write_text(
            f"# {dist}\n\n{description}.\n\nInstall next to `onnxocr-runtime`; `from onnxocr import OCR; OCR(lang=...)` "
            f"then finds these models when its store lacks them (files checked against their sha256).\n"
            f"See {package}/NOTICE.md for where each model comes from.\n",
            encoding="utf-8",
        )
        (project / "pyproject.toml").write_text(
            PYPROJECT.format(
                dist=dist, version=__version__, description=description, license=MODEL_LICENSE,
                group=ENTRY_POINT_GROUP, entry=slug, package=package,
            ),
            encoding="utf-8",
        )
        return _pip_wheel(project, out, dist)


def build_runtime_wheel(out: Path) -> Path:
    return _pip_wheel(REPO, out, "onnxocr-runtime")


def _pip_wheel(project: Path, out: Path, dist: str) -> Path:
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(project)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"build_wheels: building {dist} failed:\n{done.stderr.strip()}")
    prefix = dist.replace("-", "_")
    made = sorted(out.glob(f"{prefix}-{__version__}-*.whl"))
    if not made:
        sys.exit(f"build_wheels: pip reported success but wrote no {prefix}-{__version__} wheel into {out}")
    return made[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument("--lang", action="append", help="language whose model set to package (repeat) [default: the catalog default set]")
    parser.add_argument("--ocr-version", "--version", dest="version", help="model-set version for --lang")
    parser.add_argument("--no-runtime", action="store_true", help="build only the models wheels")
    args = parser.parse_args(argv)
    catalog = load_catalog()
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        sets = resolve_sets(args.lang, args.version, catalog) if args.lang else [default_set(catalog)]
        wheels = [] if args.no_runtime else [build_runtime_wheel(args.out)]
        wheels += [build_models_wheel(s, args.out, catalog.default_lang) for s in sets]
    except OnnxOCRError as exc:
        sys.exit(f"build_wheels: {exc}")
    for wheel in wheels:
        print(f"{wheel}  {wheel.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
