"""`OCR`: the front class. Resolves models (catalog + store, or explicit paths), then runs det -> cls -> rec."""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from onnxocr.models.catalog import Catalog, load_catalog
from onnxocr.core.classification import AngleLabel, TextClassifier
from onnxocr.config import EngineConfig, OCRConfig
from onnxocr.core.crop import crop_quad
from onnxocr.core.detection import TextDetector
from onnxocr.core.dictionary import parse_dictionary, read_dictionary
from onnxocr.core.engine import OnnxModel, available_cpus, runs_on_cpu_only
from onnxocr.core.layout import analyse_layout, is_right_to_left
from onnxocr.errors import ModelLoadError, ModelNotFoundError, OnnxOCRError
from onnxocr.io.images import ImageInput, describe, load_image
from onnxocr.core.metadata import options_from_metadata
from onnxocr.models.packages import ModelSearch
from onnxocr.io.readers import DEFAULT_DPI, InputFile, PageError, iter_pages
from onnxocr.core.recognition import PADDLE_BATCH_SIZE, RecognizedText, TextRecognizer
from onnxocr.result import OCRResult, Paragraph, TextBlock, TextLine, WordBox, bounding_box
from onnxocr.core.spacing import recover_spaces, word_quads
from onnxocr.models.store import ModelStore


def _split_providers(providers: Sequence[Any] | None) -> tuple[tuple[str, ...] | None, dict[str, dict[str, Any]]]:
    """onnxruntime-style providers (names, or (name, options) pairs) -> (names, options by name)."""
    if not providers:
        return None, {}
    if isinstance(providers, str):
        providers = [providers]
    names: list[str] = []
    options: dict[str, dict[str, Any]] = {}
    for item in providers:
        if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[1], dict):
            names.append(item[0])
            options[item[0]] = dict(item[1])
        else:
            names.append(item)
    return tuple(names), options


@dataclass(frozen=True)
class ModelChoice:
    """Which file serves a task, and why (catalog name or explicit path)."""

    task: str
    path: Path
    name: str | None  # catalog name, None for an explicit path
    declared_height: int | None = None


@dataclass(frozen=True)
class PageResult:
    """One page from `OCR.pages()`: its result (and page image), or the one-line error that stopped it.

    `input` is the file the page came from (None when a name matched nothing); `image` is BGR uint8 (H, W, 3).
    """

    input: InputFile | None
    source: str
    page: int | None
    result: OCRResult | None = None
    image: np.ndarray | None = None
    dpi: float | None = None
    error: str | None = None


def arrange_lines(lines: list[TextLine]) -> tuple[list[TextLine], list[TextBlock]]:
    """The lines in reading order (each with its `index`) and grouped as blocks > paragraphs (core.layout)."""
    if not lines:
        return [], []
    layout = analyse_layout(np.stack([line.box for line in lines]), [is_right_to_left(line.text) for line in lines])
    ordered: list[TextLine] = []
    blocks: list[TextBlock] = []
    paragraph_count = 0
    for block in layout.blocks:
        paragraphs = []
        for members in block:
            placed = []
            for i in members:
                placed.append(dataclasses.replace(lines[i], index=len(ordered)))
                ordered.append(placed[-1])
            paragraphs.append(Paragraph(paragraph_count, bounding_box([line.box for line in placed]), tuple(placed)))
            paragraph_count += 1
        blocks.append(TextBlock(len(blocks), bounding_box([p.box for p in paragraphs]), tuple(paragraphs)))
    return ordered, blocks


def _changed_options(config: OCRConfig) -> set[str]:
    """Flat names of the det/rec fields (and drop_score) where `config` differs from OCRConfig()'s defaults:
    what a caller's config object sets, which model metadata must not override."""
    default = OCRConfig()
    changed = {f"{stage}_{f.name}" for stage in ("det", "rec") for f in dataclasses.fields(getattr(config, stage))
               if getattr(getattr(config, stage), f.name) != getattr(getattr(default, stage), f.name)}
    return changed | ({"drop_score"} if config.drop_score != default.drop_score else set())


def recognizer_workers(config: OCRConfig) -> int:
    """How many recogniser runs go at once: rec_workers, else on CPU one per thread (threads=, else every CPU
    this process may use); 1 on a GPU and with the shared thread pool, where the device / pool is the parallelism."""
    if config.rec.workers:
        return int(config.rec.workers)
    if not runs_on_cpu_only(config.engine) or config.engine.shared_thread_pool:
        return 1
    return int(config.engine.intra_op_threads or available_cpus())


def recognizer_batch_size(config: OCRConfig) -> int:
    """Lines per recogniser run: rec_batch_size, else 1 on CPU in "width" mode (no padding and a small working set:
    a batch of 6 costs 35% more CPU per line) and PaddleOCR's 6 otherwise. Never the thread count's business, so
    the text does not change with threads=."""
    if config.rec.batch_size:
        return int(config.rec.batch_size)
    return 1 if runs_on_cpu_only(config.engine) and config.rec.batch_mode == "width" else PADDLE_BATCH_SIZE


class OCR:
    """Paddle-free PaddleOCR pipeline on onnxruntime. Safe to call from several threads at once.

    >>> ocr = OCR(lang="en")                       # models from the store (or a models wheel), catalog picks them
    >>> ocr = OCR(lang="en", models_dir="models")  # a folder written by `onnxocr models export`
    >>> result = ocr("page.png")                   # path, bytes, or BGR / gray / BGRA numpy array
    >>> [(line.text, line.score) for line in result.lines]
    """

    def __init__(
        self,
        lang: str | None = None,
        version: str | None = None,
        *,
        det_model: str | Path | None = None,
        cls_model: str | Path | None = None,
        rec_model: str | Path | None = None,
        dict_path: str | Path | None = None,
        device: str | None = None,
        providers: Sequence[str | tuple[str, dict[str, Any]]] | None = None,
        threads: int | None = None,
        provider_options: dict[str, dict[str, Any]] | None = None,
        session_options: Any = None,
        config: OCRConfig | None = None,
        catalog: str | Path | Catalog | None = None,
        store: str | Path | ModelStore | None = None,
        models_dir: str | Path | None = None,
        **options: Any,
    ) -> None:
        names, from_list = _split_providers(providers)
        merged = {**from_list, **(provider_options or {})} or None
        base = config or OCRConfig()
        user_options = dict(
            options,
            engine_device=device,
            engine_providers=names,
            engine_intra_op_threads=threads,
            engine_provider_options=merged,
            engine_session_options=session_options,
        )
        self.config = base.replace(**user_options)
        self.catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        if models_dir is not None and store is not None:
            raise OnnxOCRError("pass either models_dir= or store=, not both (they name the same thing)")
        explicit_store = store if store is not None else models_dir
        self.store = explicit_store if isinstance(explicit_store, ModelStore) else ModelStore(explicit_store)
        # An explicit folder is searched alone; the default store falls back on installed models wheels.
        self.model_search = ModelSearch(self.store, include_packages=explicit_store is None)
        self.lang = self.catalog.resolve_lang(lang or self.catalog.default_lang)
        explicit = {"det": det_model, "cls": cls_model, "rec": rec_model}
        need = {"rec"} | ({"det"} if self.config.use_det else set()) | ({"cls"} if self.config.use_cls else set())
        need |= {task for task, path in explicit.items() if path is not None}
        self.version, model_set = (None, {}) if all(explicit[t] for t in need) else self.catalog.model_set(self.lang, version)
        fallback = self.catalog.fallbacks.get(self.lang)
        if fallback and model_set and not self._installed(model_set, need, explicit):
            # e.g. --lang es --version PP-OCRv2 without es_mobile_v2.0_rec converted: the latin recogniser of the
            # same generation, as PaddleOCR 2.0 did
            if self.version in self.catalog.languages[fallback]:
                fallback_set = self.catalog.model_set(fallback, self.version)[1]
                if self._installed(fallback_set, need, explicit):
                    self.lang, model_set = fallback, fallback_set
        self._check_installed([model_set[t] for t in sorted(need) if explicit[t] is None and t in model_set])
        self.models = {task: self._choose(task, explicit[task], model_set) for task in sorted(need)}
        engine = self.config.engine
        det = self._load("det", engine) if "det" in self.models else None
        cls = self._load("cls", engine) if "cls" in self.models else None
        rec_workers = recognizer_workers(self.config)
        # parallel recogniser runs each take one onnxruntime thread: the workers are the parallelism
        rec = self._load("rec", dataclasses.replace(engine, intra_op_threads=1) if rec_workers > 1 else engine)
        # what each model says about its own preprocessing, under the caller's explicit options
        self.model_options = {
            **(options_from_metadata("det", det.metadata, str(det.path)) if det is not None else {}),
            **options_from_metadata("rec", rec.metadata, str(rec.path)),
        }
        pinned = {k for k, v in user_options.items() if v is not None} | _changed_options(base)
        self.config = base.replace(**{k: v for k, v in self.model_options.items() if k not in pinned}).replace(**user_options)
        self.detector = TextDetector(det, self.config.det) if det is not None else None
        self.classifier = TextClassifier(cls, self.config.cls) if cls is not None else None
        chars, chars_source = self._dictionary(rec, dict_path)
        self.config = self.config.replace(rec_batch_size=recognizer_batch_size(self.config))
        self.recognizer = TextRecognizer(
            rec, self.config.rec, chars, chars_source, self.models["rec"].declared_height, workers=rec_workers
        )
        self.space_recovery = self.config.rec.space_recovery
        if self.space_recovery is None:
            self.space_recovery = self.recognizer.charset.has_latin_letters

    # -- model resolution -------------------------------------------------------------------------------
    def _choose(self, task: str, path: str | Path | None, model_set: dict[str, str]) -> ModelChoice:
        if path is not None:
            return ModelChoice(task=task, path=Path(path), name=None)
        name = model_set.get(task)
        if name is None:
            raise ModelNotFoundError(f"language {self.lang!r} ({self.version}) has no {task} model in the catalog; pass --{task}-model PATH")
        entry = self.catalog.model(name)
        height = entry.input_shape[1] if task == "rec" and len(entry.input_shape) == 3 and entry.input_shape[1] > 0 else None
        return ModelChoice(task=task, path=self.model_search.verify(name), name=name, declared_height=height)

    def _installed(self, model_set: dict[str, str], need: set[str], explicit: dict[str, Any]) -> bool:
        return all(self.model_search.holder(model_set[t]) is not None for t in need if explicit[t] is None and t in model_set)

    def _check_installed(self, names: list[str]) -> None:
        """One error naming every catalog model this language needs that the store lacks."""
        missing = [n for n in names if self.model_search.holder(n) is None]
        if missing:
            listed = ", ".join(f"{n} ({self.catalog.model(n).task})" for n in missing)
            raise ModelNotFoundError(
                f"--lang {self.lang} ({self.version}) needs {listed}, not installed in {self.model_search.where()}: produce "
                f'{"it" if len(missing) == 1 else "them"} with `make convert MODELS="{" ".join(missing)}"` '
                "(or pip install the models wheel from `make dist`, set ONNXOCR_HOME to a store or "
                "`onnxocr models export` folder that has them, or pass --det-model/--rec-model/--cls-model PATHs)"
            )

    def _load(self, task: str, engine: EngineConfig) -> OnnxModel:
        model = OnnxModel(self.models[task].path, engine, role=task)
        declared = model.metadata.get("onnxocr.task")
        if declared and declared != task:
            raise ModelLoadError(
                f"{model.path} is a {declared} model but was given as the {task} model: pass it with --{declared}-model"
            )
        return model

    def _dictionary(self, rec: OnnxModel, dict_path: str | Path | None) -> tuple[list[str], str]:
        if dict_path is not None:
            return read_dictionary(dict_path), str(dict_path)
        if "character" in rec.metadata:
            return parse_dictionary(rec.metadata["character"]), "model metadata"
        raise ModelLoadError(
            f"rec model {rec.path} carries no character dictionary in its metadata: pass the dictionary it was "
            "trained with (--dict / dict_path=)"
        )

    # -- stages -------------------------------------------------------------------------------------------
    def detect(self, image: ImageInput) -> np.ndarray:
        """Text quads (N, 4, 2) float32 in reading order for one image."""
        if self.detector is None:
            raise OnnxOCRError("no detection model loaded: create OCR with use_det=True")
        boxes, _ = self.detector(load_image(image, self.config.max_image_pixels))
        return boxes

    def classify(self, crops: Sequence[ImageInput]) -> list[AngleLabel]:
        """Angle label ("0"/"180") and probability for each line image."""
        if self.classifier is None:
            raise OnnxOCRError("no angle classifier loaded: create OCR with use_cls=True (or cls_model=PATH)")
        _, labels, _ = self.classifier([load_image(c, self.config.max_image_pixels) for c in crops])
        return labels

    def recognize(self, crops: Sequence[ImageInput] | ImageInput) -> list[RecognizedText]:
        """Text and score for each line image (a single image is treated as a list of one)."""
        if not isinstance(crops, (list, tuple)):
            crops = [crops]
        images = [load_image(c, self.config.max_image_pixels) for c in crops]
        results, _ = self.recognizer(images)
        return self._with_spaces(results, images)

    def _with_spaces(self, texts: list[RecognizedText], crops: list[np.ndarray]) -> list[RecognizedText]:
        """Space recovery (and word extents) for each result, when it is on."""
        if not self.space_recovery:
            return texts
        rec = self.config.rec
        return [recover_spaces(t, c, rec.space_gap_ratio, rec.space_min_prob) for t, c in zip(texts, crops)]

    def __call__(self, image: ImageInput) -> OCRResult:
        """Full pipeline on one image: lines in reading order (lines scoring below drop_score are dropped)."""
        start = time.perf_counter()
        source = describe(image) if not isinstance(image, np.ndarray) else None
        img = load_image(image, self.config.max_image_pixels)
        height, width = img.shape[:2]
        timings: dict[str, float] = {"load": time.perf_counter() - start}
        inside = 0.0
        tick = time.perf_counter()
        if self.detector is not None and self.config.use_det:
            boxes, spent = self.detector(img)
            inside += spent
            crops = [crop_quad(img, box) for box in boxes]
        else:
            boxes = np.array([[[0, 0], [width, 0], [width, height], [0, height]]], dtype=np.float32)
            crops = [img]
        timings["det"] = time.perf_counter() - tick
        angles: list[AngleLabel] | None = None
        if self.classifier is not None and self.config.use_cls and crops:
            tick = time.perf_counter()
            crops, angles, spent = self.classifier(crops)
            inside += spent
            timings["cls"] = time.perf_counter() - tick
        tick = time.perf_counter()
        texts, spent = self.recognizer(crops) if crops else ([], 0.0)
        inside += spent
        texts = self._with_spaces(texts, crops)
        timings["rec"] = time.perf_counter() - tick
        lines = []
        filter_scores = self.config.use_det
        for i, (box, rec) in enumerate(zip(boxes, texts)):
            if filter_scores and rec.score < self.config.drop_score:
                continue
            words: tuple[WordBox, ...] = ()
            if self.config.word_boxes and rec.words:
                turned = bool(angles and angles[i].rotated)
                words = tuple(WordBox(w.text, q) for w, q in zip(rec.words, word_quads(box, rec, crops[i], turned)))
            lines.append(
                TextLine(
                    box=np.asarray(box, dtype=np.float32),
                    text=rec.text,
                    score=rec.score,
                    angle=angles[i].label if angles else None,
                    words=words,
                )
            )
        blocks: list[TextBlock] = []
        if self.config.layout:
            tick = time.perf_counter()
            lines, blocks = arrange_lines(lines)
            timings["layout"] = time.perf_counter() - tick
        timings["onnxruntime"] = inside
        timings["total"] = time.perf_counter() - start
        return OCRResult(lines=lines, width=width, height=height, timings=timings, source=source, blocks=blocks)

    def pages(
        self,
        inputs: Iterable[str | os.PathLike | InputFile],
        *,
        dpi: float = DEFAULT_DPI,
        pages: str | None = None,
    ) -> Iterator[PageResult]:
        """OCR every page of the inputs (files, folders, globs, `-` for stdin, `@list.txt`; PDF, multi-page TIFF
        or images), in order. A bad input or page is a PageResult with `error` set; the others still come.
        `pages` selects pages like `1-3,7` (counted from 1 in each document)."""
        for item, page in iter_pages(inputs, dpi=dpi, pages=pages, max_pixels=self.config.max_image_pixels):
            if isinstance(page, PageError):
                yield PageResult(item, page.source, page.page, error=page.message)
                continue
            try:
                result = self(page.image)
            except OnnxOCRError as exc:
                yield PageResult(item, page.source, page.page, error=f"{page.source} page {page.page}: {exc}")
                continue
            except Exception as exc:  # a page nobody foresaw must not cost the user the other pages
                reason = (str(exc).strip().splitlines() or [""])[0][:200]
                yield PageResult(item, page.source, page.page, error=f"{page.source} page {page.page}: unexpected {type(exc).__name__}: {reason}")
                continue
            result = dataclasses.replace(result, source=page.source, page=page.page)
            yield PageResult(item, page.source, page.page, result=result, image=page.image, dpi=page.dpi)
