"""Model resolution: which model serves each task for a language, generation and explicit paths.

`resolve_models` is a pure function of the catalog, the caller's choices and a predicate saying which catalog
models are installed: no onnxruntime, no file reads, so it is tested on its own. `OCR` then verifies and loads
the files it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from onnxocr.errors import ModelNotFoundError
from onnxocr.models.catalog import Catalog

TASKS = ("cls", "det", "rec")


@dataclass(frozen=True)
class ModelChoice:
    """Which file serves a task, and why: a catalog name (path filled in once the store verified it) or an
    explicit path (name None). `declared_height` is a catalog recogniser's input height, when it has one."""

    task: str
    path: Path | None
    name: str | None  # catalog name, None for an explicit path
    declared_height: int | None = None


@dataclass(frozen=True)
class ModelPlan:
    """The resolved language (after aliases and fallbacks), generation (None when every model is an explicit
    path) and one ModelChoice per needed task."""

    lang: str
    ocr_version: str | None
    models: dict[str, ModelChoice]


def needed_tasks(use_det: bool, use_cls: bool, explicit: Mapping[str, object]) -> set[str]:
    """rec always; det and cls when switched on or given a path."""
    need = {"rec"} | ({"det"} if use_det else set()) | ({"cls"} if use_cls else set())
    return need | {task for task, path in explicit.items() if path is not None}


def resolve_models(
    catalog: Catalog,
    lang: str | None,
    ocr_version: str | None,
    explicit: Mapping[str, str | Path | None],
    need: set[str],
    installed: Callable[[str], bool],
    where: str = "the model store",
) -> ModelPlan:
    """Choose a model for every task in `need`: the explicit path when `explicit[task]` is set, else the catalog's
    model of the language's set (`ocr_version`, default the catalog's). When a language has a fallback (e.g. es ->
    latin) and its own set is not installed but the fallback's set of the same generation is, the fallback serves.
    Raises CatalogError for an unknown language or generation and ModelNotFoundError (one line naming every
    missing model and how to get it) when catalog models are not `installed`; `where` names the searched folders."""
    lang = catalog.resolve_lang(lang or catalog.default_lang)
    if all(explicit.get(task) is not None for task in need):
        version, model_set = None, {}
    else:
        version, model_set = catalog.model_set(lang, ocr_version)

    def complete(names: Mapping[str, str]) -> bool:
        return all(installed(names[t]) for t in need if explicit.get(t) is None and t in names)

    fallback = catalog.fallbacks.get(lang)
    if fallback and model_set and not complete(model_set) and version in catalog.languages[fallback]:
        # e.g. --lang es --ocr-version PP-OCRv2 without es_mobile_v2.0_rec converted: the latin recogniser of the
        # same generation, as PaddleOCR 2.0 did
        fallback_set = catalog.model_set(fallback, version)[1]
        if complete(fallback_set):
            lang, model_set = fallback, fallback_set
    missing = [model_set[t] for t in sorted(need) if explicit.get(t) is None and t in model_set and not installed(model_set[t])]
    if missing:
        listed = ", ".join(f"{n} ({catalog.model(n).task})" for n in missing)
        raise ModelNotFoundError(
            f"--lang {lang} ({version}) needs {listed}, not installed in {where}: produce "
            f'{"it" if len(missing) == 1 else "them"} with `make convert MODELS="{" ".join(missing)}"` '
            "(or pip install the models wheel from `make dist`, set ONNXOCR_HOME to a store or "
            "`onnxocr models export` folder that has them, or pass --det-model/--rec-model/--cls-model PATHs)"
        )
    models = {}
    for task in sorted(need):
        if explicit.get(task) is not None:
            models[task] = ModelChoice(task, Path(explicit[task]), None)
            continue
        name = model_set.get(task)
        if name is None:
            raise ModelNotFoundError(f"language {lang!r} ({version}) has no {task} model in the catalog; pass --{task}-model PATH")
        shape = catalog.model(name).input_shape
        height = shape[1] if task == "rec" and len(shape) == 3 and shape[1] > 0 else None
        models[task] = ModelChoice(task, None, name, height)
    return ModelPlan(lang, version, models)
