"""`OCR`: the front class. Resolves models (catalog + store, or explicit paths), then runs det -> cls -> rec."""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from onnxocr.models.catalog import Catalog, load_catalog
from onnxocr.core.classification import AngleLabel, TextClassifier
from onnxocr.config import PADDLE_REC_BATCH_SIZE, EngineConfig, OCRConfig, with_model_options
from onnxocr.core.crop import crop_quad
from onnxocr.core.detection import TextDetector
from onnxocr.core.dictionary import parse_dictionary, read_dictionary
from onnxocr.core.engine import OnnxModel, available_cpus, runs_on_cpu_only
from onnxocr.errors import ModelLoadError, OnnxOCRError, unexpected
from onnxocr.io.images import ImageInput, describe, load_image
from onnxocr.core.metadata import options_from_metadata
from onnxocr.models.packages import ModelSearch
from onnxocr.models.resolve import ModelChoice, needed_tasks, resolve_models  # noqa: F401 - ModelChoice re-exported
from onnxocr.io.pages import InputFile, Page, PageError
from onnxocr.io.readers import DEFAULT_DPI, iter_pages
from onnxocr.core.recognition import RecognizedText, TextRecognizer
from onnxocr.result import OCRResult, TextLine, WordBox
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


def _model_search(store: str | Path | ModelStore | None, models_dir: str | Path | None) -> tuple[ModelStore, ModelSearch]:
    """The store to read models from and the search over it: an explicit folder is searched alone; the default
    store falls back on installed models wheels."""
    if models_dir is not None and store is not None:
        raise OnnxOCRError("pass either models_dir= or store=, not both (they name the same thing)")
    explicit = store if store is not None else models_dir
    primary = explicit if isinstance(explicit, ModelStore) else ModelStore(explicit)
    return primary, ModelSearch(primary, include_packages=explicit is None)


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
    return 1 if runs_on_cpu_only(config.engine) and config.rec.batch_mode == "width" else PADDLE_REC_BATCH_SIZE


class OCR:
    """Paddle-free PaddleOCR pipeline on onnxruntime. Safe to call from several threads at once.

    >>> ocr = OCR.from_catalog("en")                  # models from the store (or a models wheel), catalog picks them
    >>> ocr = OCR.from_files(det="det.onnx", rec="rec.onnx", dict="keys.txt")   # ONNX files of your own
    >>> ocr = OCR(lang="en", models_dir="models")     # a folder written by `onnxocr models export`
    >>> result = ocr("page.png")                      # path, bytes, or BGR / gray / BGRA numpy array
    >>> [(line.text, line.score) for line in result.lines]

    `OCR(...)` takes both kinds of choice (lang / ocr_version and the *_model paths; a path wins for its task).
    Option keywords are the flat names of onnxocr/config.py's option table (det_box_thresh=, use_cls=, ...).
    Precedence: built-in defaults < the model's own metadata < what the caller set (keywords or `config=`).
    """

    @classmethod
    def from_catalog(cls, lang: str | None = None, ocr_version: str | None = None, **options: Any) -> "OCR":
        """Models from the catalog (models.toml) for a language and generation (e.g. "PP-OCRv6"; default: the
        catalog's where the language has it), found in the store, a models wheel, or `models_dir=`."""
        return cls(lang, ocr_version, **options)

    @classmethod
    def from_files(klass, det: str | Path | None = None, rec: str | Path | None = None, cls: str | Path | None = None,
                   dict: str | Path | None = None, **options: Any) -> "OCR":  # noqa: A002 - the names users know
        """Models from ONNX files, no catalog: `rec` is required; without `det` each image is one text line, without
        `cls` no angle classification. `dict` is the recogniser's character list when its metadata has none."""
        if rec is None:
            raise OnnxOCRError("OCR.from_files needs rec= (the recognition model)")
        options.setdefault("use_det", det is not None)
        options.setdefault("use_cls", cls is not None)
        return klass(det_model=det, rec_model=rec, cls_model=cls, dict_path=dict, **options)

    def __init__(
        self,
        lang: str | None = None,
        ocr_version: str | None = None,
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
        version: str | None = None,
        **options: Any,
    ) -> None:
        if version is not None:  # the old name, kept for one release
            warnings.warn("OCR(version=...) is deprecated: use ocr_version=", DeprecationWarning, stacklevel=2)
            ocr_version = ocr_version or version
        names, from_list = _split_providers(providers)
        named = dict(engine_device=device, engine_providers=names, engine_intra_op_threads=threads,
                     engine_provider_options={**from_list, **(provider_options or {})} or None, engine_session_options=session_options)
        # what the caller set (None = not set): the config object's explicit fields, then the keywords
        caller = (config or OCRConfig()).replace(**{**options, **{k: v for k, v in named.items() if v is not None}})
        self.catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        self.store, self.model_search = _model_search(store, models_dir)
        explicit = {"det": det_model, "cls": cls_model, "rec": rec_model}
        plan = resolve_models(self.catalog, lang, ocr_version, explicit, needed_tasks(caller.use_det, caller.use_cls, explicit),
                              lambda name: self.model_search.holder(name) is not None, self.model_search.where())
        self.lang, self.ocr_version = plan.lang, plan.ocr_version
        self.models = {task: choice if choice.name is None else dataclasses.replace(choice, path=self.model_search.verify(choice.name))
                       for task, choice in plan.models.items()}
        rec_workers = recognizer_workers(caller)
        det = self._load("det", caller.engine) if "det" in self.models else None
        cls = self._load("cls", caller.engine) if "cls" in self.models else None
        # parallel recogniser runs each take one onnxruntime thread: the workers are the parallelism
        rec = self._load("rec", dataclasses.replace(caller.engine, intra_op_threads=1) if rec_workers > 1 else caller.engine)
        # what each model says about its own preprocessing, under what the caller set
        self.model_options = {
            **(options_from_metadata("det", det.metadata, str(det.path)) if det is not None else {}),
            **options_from_metadata("rec", rec.metadata, str(rec.path)),
        }
        self.config = with_model_options(caller, {**self.model_options, "rec_batch_size": recognizer_batch_size(caller)})
        self.detector = TextDetector(det, self.config.det) if det is not None else None
        self.classifier = TextClassifier(cls, self.config.cls) if cls is not None else None
        chars, chars_source = self._dictionary(rec, dict_path)
        self.recognizer = TextRecognizer(rec, self.config.rec, chars, chars_source, self.models["rec"].declared_height, workers=rec_workers)
        self.space_recovery = self.config.rec.space_recovery
        if self.space_recovery is None:
            self.space_recovery = self.recognizer.charset.has_latin_letters

    @property
    def version(self) -> str | None:
        """Deprecated name of `ocr_version` (the model generation in use)."""
        return self.ocr_version

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
        timings["onnxruntime"] = inside
        timings["total"] = time.perf_counter() - start
        return OCRResult(lines=lines, width=width, height=height, timings=timings, source=source)

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
            yield self.page(item, page)  # the serial runner (onnxocr/runners.py has the others)

    def page(self, item: InputFile | None, page: Page | PageError) -> PageResult:
        """The record builder every runner shares: one read page (or the reader's error) -> its PageResult.
        A failure of this page becomes the result's one-line `error`; nothing is raised for a bad page."""
        if isinstance(page, PageError):
            return PageResult(item, page.source, page.page, error=page.message)
        try:
            result = self(page.image)
        except OnnxOCRError as exc:
            return PageResult(item, page.source, page.page, error=f"{page.source} page {page.page}: {exc}")
        except Exception as exc:  # a page nobody foresaw must not cost the user the other pages
            return PageResult(item, page.source, page.page, error=f"{page.source} page {page.page}: {unexpected(exc)}")
        result = dataclasses.replace(result, source=page.source, page=page.page)
        return PageResult(item, page.source, page.page, result=result, image=page.image, dpi=page.dpi)
