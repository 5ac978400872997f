"""Where a model file is found: the store first, then folders that installed models wheels provide.

A models wheel (`onnxocr-runtime-models-<set>`, built by `make dist`) is a Python package holding a store
folder: `<name>.onnx` files, their `manifest.json` and licences. It announces the package in the entry-point
group `onnxocr.models`. Every file found there is checked against its manifest sha256 before it is used,
exactly like the store's own files.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from onnxocr.errors import ModelLoadError
from onnxocr.models.store import ModelStore

ENTRY_POINT_GROUP = "onnxocr.models"


@dataclass(frozen=True)
class ModelPackage:
    """One installed models wheel: its distribution name, its package (module) name and the store folder in it."""

    distribution: str
    module: str
    store: ModelStore


def _entry_points() -> list:
    from importlib import metadata

    if sys.version_info >= (3, 10):
        return list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    return list(metadata.entry_points().get(ENTRY_POINT_GROUP, ()))  # pragma: no cover - Python 3.9


def installed_model_packages() -> list[ModelPackage]:
    """Every installed models wheel, in distribution-name order (a broken one is reported, not skipped)."""
    from importlib import resources

    found = []
    for ep in _entry_points():
        dist = getattr(getattr(ep, "dist", None), "name", None) or ep.name
        try:
            folder = Path(str(resources.files(ep.value)))
        except Exception as exc:  # an uninstalled or half-removed package: say which one
            raise ModelLoadError(
                f"models package {dist} (entry point {ep.name} = {ep.value}) cannot be imported ({exc}): "
                f"reinstall it (`pip install --force-reinstall {dist}`) or uninstall it"
            ) from None
        found.append(ModelPackage(distribution=dist, module=ep.value, store=ModelStore(folder)))
    return sorted(found, key=lambda p: p.distribution)


class ModelSearch:
    """An ordered list of store folders; a model is served by the first folder that holds it.

    `OCR()` searches the store ($ONNXOCR_HOME or the per-user one), then installed models wheels; an explicit
    `store=` / `models_dir=` folder is searched alone.
    """

    def __init__(self, primary: ModelStore, include_packages: bool = True) -> None:
        self.primary = primary
        self._include_packages = include_packages
        self._packages: list[ModelPackage] | None = None

    @property
    def packages(self) -> list[ModelPackage]:
        if self._packages is None:
            self._packages = installed_model_packages() if self._include_packages else []
        return self._packages

    @property
    def stores(self) -> list[ModelStore]:
        return [self.primary] + [p.store for p in self.packages]

    def holder(self, name: str) -> ModelStore | None:
        """The first folder whose manifest lists `name` and that has its file, or None."""
        if self.primary.is_installed(name):
            return self.primary
        for package in self.packages:
            if package.store.is_installed(name):
                return package.store
        return None

    def verify(self, name: str) -> Path:
        """The checked path of a model (sha256 against the manifest of the folder that holds it)."""
        store = self.holder(name)
        package = next((p for p in self.packages if p.store is store), None)
        if package is None:
            return (store or self.primary).verify(name)
        try:
            return package.store.verify(name)
        except ModelLoadError:
            raise ModelLoadError(
                f"model file {package.store.model_path(name)} of the models wheel {package.distribution} does not "
                f"match its manifest checksum (changed or corrupted): reinstall it with "
                f"`pip install --force-reinstall {package.distribution}`"
            ) from None

    def record(self, name: str) -> dict:
        store = self.holder(name)
        return dict(store.read_manifest()[name]) if store else {}

    def where(self) -> str:
        """The searched folders, for error messages."""
        return " or ".join(str(s.root) for s in self.stores)
