"""`OCR`: the front class. Resolves models (catalog + store, or explicit paths), then runs det -> cls -> rec."""

from __future__ import annotations

import copy
import dataclasses
import os
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from onnxocr.models.catalog import Catalog, load_catalog
from onnxocr.core.classification import AngleLabel, TextClassifier
from onnxocr.config import PADDLE_REC_BATCH_SIZE, EngineConfig, OCRConfig, explicit_options, with_model_options
from onnxocr.core.crop import crop_quad
from onnxocr.core.detection import TextDetector
from onnxocr.core.dictionary import parse_dictionary, read_dictionary
from onnxocr.core.engine import OnnxModel, available_cpus, release_free_heap, runs_on_cpu_only
from onnxocr.errors import ModelLoadError, ModelNotFoundError, OnnxOCRError, OptionError, unexpected
from onnxocr.core.layout import analyse_layout, is_right_to_left
from onnxocr.io.images import ImageInput, describe, load_image
from onnxocr.core.metadata import options_from_metadata
from onnxocr.core.orientation import (MODEL_TRUSTED_FROM, PageAngle, PageOrientation, angle_from_lines,
                                      to_page_coordinates, turn_upright)
from onnxocr.models.packages import ModelSearch
from onnxocr.models.resolve import ModelChoice, needed_tasks, resolve_models  # noqa: F401 - ModelChoice re-exported
from onnxocr.io.pages import InputFile, Page, PageError
from onnxocr.io.readers import DEFAULT_DPI, iter_pages
from onnxocr.core.recognition import RecognizedText, TextRecognizer
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


# Flat options a call may change without loading other sessions (`OCR.variant`, `OCR(image, **options)`): the
# detector's and classifier's post-processing, score filter, word boxes, space recovery and the pixel limit.
PER_CALL_OPTIONS = frozenset({
    "det_thresh", "det_box_thresh", "det_unclip_ratio", "det_limit_side_len", "det_limit_type", "det_max_side_limit",
    "det_max_candidates", "det_min_size", "det_score_mode", "det_use_dilation", "cls_thresh", "use_cls", "use_det",
    "drop_score", "word_boxes", "max_image_pixels", "rec_space_recovery", "rec_space_min_prob", "rec_space_gap_ratio", "layout",
})


def _model_search(store: str | Path | ModelStore | None, models_dir: str | Path | None) -> tuple[ModelStore, ModelSearch]:
    """The store to read models from and the search over it: an explicit folder is searched alone; the default
    store falls back on installed models wheels."""
    if models_dir is not None and store is not None:
        raise OnnxOCRError("pass either models_dir= or store=, not both (they name the same thing)")
    explicit = store if store is not None else models_dir
    primary = explicit if isinstance(explicit, ModelStore) else ModelStore(explicit)
    return primary, ModelSearch(primary, include_packages=explicit is None)


def arrange_lines(lines: list[TextLine], upright: Sequence[np.ndarray] | None = None) -> tuple[list[TextLine], list[TextBlock]]:
    """The lines in reading order (each with its `index`) and grouped as blocks > paragraphs (core.layout).
    `upright`: each line's quad on the page turned upright (page orientation), where the layout is read; by default
    the lines' own boxes. Block and paragraph boxes are in the lines' (input image) coordinates."""
    if not lines:
        return [], []
    geometry = np.stack(list(upright) if upright is not None else [line.box for line in lines]).astype(np.float32)
    layout = analyse_layout(geometry, [is_right_to_left(line.text) for line in lines])
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
        ori_model: str | Path | None = None,
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
        # what a recogniser of another language is built with (see `variant`): everything but lang and the models
        self._init_args = dict(
            device=device, providers=providers, threads=threads, provider_options=provider_options,
            session_options=session_options, config=config, catalog=catalog, store=store, models_dir=models_dir, **options,
        )
        names, from_list = _split_providers(providers)
        named = dict(engine_device=device, engine_providers=names, engine_intra_op_threads=threads,
                     engine_provider_options={**from_list, **(provider_options or {})} or None, engine_session_options=session_options)
        # what the caller set (None = not set): the config object's explicit fields, then the keywords
        caller = (config or OCRConfig()).replace(**{**options, **{k: v for k, v in named.items() if v is not None}})
        if explicit_options(caller) & {"det_limit_side_len", "det_limit_type"} and "det_scale" not in explicit_options(caller):
            caller = caller.replace(det_scale="model")  # the caller's size limits win over the text-scale rule
        self.catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        self._init_args["catalog"] = self.catalog
        self._languages: OrderedDict[str, OCR] = OrderedDict()  # rec model name -> recogniser-only OCR, oldest first
        self._languages_lock = threading.Lock()
        self._loading_lock = threading.Lock()
        self.store, self.model_search = _model_search(store, models_dir)
        explicit = {"det": det_model, "cls": cls_model, "rec": rec_model}
        plan = resolve_models(self.catalog, lang, ocr_version, explicit, needed_tasks(caller.use_det, caller.use_cls, explicit),
                              lambda name: self.model_search.holder(name) is not None, self.model_search.where())
        self.lang, self.ocr_version = plan.lang, plan.ocr_version
        self.models = {task: choice if choice.name is None else dataclasses.replace(choice, path=self.model_search.verify(choice.name))
                       for task, choice in plan.models.items()}
        rec_workers = recognizer_workers(caller)
        engine = caller.engine
        det = self._load("det", engine) if "det" in self.models else None
        cls = self._load("cls", engine) if "cls" in self.models else None
        # parallel recogniser runs each take one onnxruntime thread: the workers are the parallelism
        rec = self._load("rec", dataclasses.replace(engine, intra_op_threads=1) if rec_workers > 1 else engine)
        # what each model says about its own preprocessing, under what the caller set
        self.model_options = {
            **(options_from_metadata("det", det.metadata, str(det.path)) if det is not None else {}),
            **options_from_metadata("rec", rec.metadata, str(rec.path)),
        }
        self.config = with_model_options(caller, {**self.model_options, "rec_batch_size": recognizer_batch_size(caller)})
        self.detector = TextDetector(det, self.config.det) if det is not None else None
        self.classifier = TextClassifier(cls, self.config.cls) if cls is not None else None
        # The page-orientation model (language-independent, so outside the language's set). "auto" needs it now;
        # "documents" needs it for the first document page: OCR()(image) works without it, and pages() /
        # read_page() raise `orientation_error` (one line naming the command that installs it).
        self.orientation: PageOrientation | None = None
        self.orientation_error: str | None = None
        if self.config.page_orientation in ("documents", "auto"):
            try:
                self.orientation = self._orientation_model(ori_model, engine)
            except ModelNotFoundError as exc:
                if self.config.page_orientation == "auto":
                    raise
                self.orientation_error = str(exc)
        # the second opinion when the page model is unsure: the 0/180 line classifier over the page's lines
        self.orientation_classifier: TextClassifier | None = None
        if self.orientation is not None and self.config.use_det:
            self.orientation_classifier = (self.classifier if self.classifier is not None
                                           else self._line_classifier(cls_model, engine))
        chars, chars_source = self._dictionary(rec, dict_path)
        self.recognizer = TextRecognizer(rec, self.config.rec, chars, chars_source, self.models["rec"].declared_height, workers=rec_workers)
        self.space_recovery = self.config.rec.space_recovery
        if self.space_recovery is None:
            self.space_recovery = self.recognizer.charset.has_latin_letters

    @property
    def version(self) -> str | None:
        """Deprecated name of `ocr_version` (the model generation in use)."""
        return self.ocr_version

    def _orientation_model(self, path: str | Path | None, engine: EngineConfig) -> PageOrientation:
        """The page-orientation model: `path`, else the catalog's orientation_model from the store / a models wheel.
        One run per page (~8 ms) on one thread, so it never competes with the detector for the page's time."""
        if path is None:
            name = self.catalog.orientation_model
            if name is None:
                raise ModelNotFoundError(f"{self.catalog.path} names no orientation_model: pass --ori-model PATH (ori_model=) "
                                         "or read pages as they are with --orientation off (page_orientation='off')")
            if self.model_search.holder(name) is None:
                raise ModelNotFoundError(
                    f"page orientation needs the model {name}, not installed in {self.model_search.where()}: install it "
                    f'with `make convert MODELS="{name}"` (or pip install the models wheel from `make dist`, or pass '
                    "--ori-model PATH), or read pages as they are with --orientation off (page_orientation='off')"
                )
            self.models["ori"] = ModelChoice(task="ori", path=self.model_search.verify(name), name=name)
        else:
            self.models["ori"] = ModelChoice(task="ori", path=Path(path), name=None)
        return PageOrientation(self._load("ori", dataclasses.replace(engine, intra_op_threads=1)))

    def _line_classifier(self, path: str | Path | None, engine: EngineConfig) -> TextClassifier | None:
        """The language's 0/180 line classifier for page orientation's second opinion; None when not installed
        (the page model's verdict then stands alone)."""
        if path is None:
            name = self.catalog.model_set(self.lang, self.version)[1].get("cls")
            if name is None or self.model_search.holder(name) is None:
                return None
            path = self.model_search.verify(name)
        return TextClassifier(OnnxModel(path, dataclasses.replace(engine, intra_op_threads=1), role="cls"), self.config.cls)

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

    def page_angle(self, image: ImageInput, document: bool = True) -> PageAngle | None:
        """The clockwise turn (0/90/180/270) of an image's content as `page_orientation` decides it ("auto", or
        "documents" for a `document`): the page model's verdict and probability, or where that is below
        MODEL_TRUSTED_FROM the lines' verdict and vote share; the forced angle ("90", ...; score 1); None when off."""
        mode = self.config.page_orientation
        if mode in ("0", "90", "180", "270"):
            return PageAngle(angle=int(mode), score=1.0)
        if mode == "off" or (mode == "documents" and not document):
            return None
        return self._decide_angle(load_image(image, self.config.max_image_pixels))[0]

    def _decide_angle(self, page: np.ndarray) -> tuple[PageAngle, np.ndarray | None, float]:
        """(the page model's verdict, or when it is unsure the lines' verdict with their vote share as score; the
        detection the lines made when they found the page upright, else None; seconds in onnxruntime)."""
        verdict, inside = self._orienter()(page)
        if verdict.score >= MODEL_TRUSTED_FROM or self.orientation_classifier is None or self.detector is None:
            return verdict, None, inside
        found, spent = self.detector(page)  # unsure: the lines decide (bench/orientation.py, docs/orientation.md)
        angle, share = angle_from_lines(page, found, self.orientation_classifier)
        return PageAngle(angle=angle, score=share), (found if angle == 0 else None), inside + spent

    def _orienter(self) -> PageOrientation:
        if self.orientation is None:
            raise ModelNotFoundError(self.orientation_error or "no page-orientation model loaded: create OCR with "
                                     "page_orientation='auto' (or ori_model=PATH)")
        return self.orientation

    # -- per-call language and options ----------------------------------------------------------------------
    def variant(self, lang: str | None = None, version: str | None = None, **options: Any) -> "OCR":
        """This pipeline for another language (and model generation) and/or other per-call options, sharing this
        object's onnxruntime sessions. The detector (and classifier) stay the ones loaded here whatever the
        language; the language's recogniser is loaded on first use and kept in an LRU of `lang_cache_size`
        (least recently used dropped first). `version` None: this object's generation where the language has it,
        else the catalog's default. `options`: flat names in PER_CALL_OPTIONS; others raise OptionError, as do bad
        values. Cheap (a shallow copy) once the recogniser is loaded; safe from several threads."""
        fixed = sorted(set(options) - PER_CALL_OPTIONS)
        if fixed:
            raise OptionError(
                f"option {fixed[0]} cannot change per call (it is fixed when the models load); per call: "
                f"{', '.join(sorted(PER_CALL_OPTIONS))}"
            )
        reader = self if lang is None and version is None else self._reader(lang, version)
        clone = copy.copy(self)
        if reader is not self:
            clone.lang, clone.ocr_version = reader.lang, reader.ocr_version
            clone.models = {**self.models, "rec": reader.models["rec"]}
            clone.recognizer, clone.space_recovery = reader.recognizer, reader.space_recovery
            clone.config = dataclasses.replace(self.config, rec=reader.config.rec, drop_score=reader.config.drop_score)
        given = {k: v for k, v in options.items() if v is not None}
        if not given:
            return clone
        clone.config = clone.config.replace(**given)  # OptionError for a bad value
        for stage, loaded in (("det", self.detector), ("cls", self.classifier)):
            if given.get(f"use_{stage}") and loaded is None:
                raise OptionError(f"use_{stage}=True needs the {stage} model, which this engine did not load: create it with use_{stage}=True")
        if self.detector is not None and any(k.startswith("det_") for k in given):
            clone.detector = TextDetector(self.detector.model, clone.config.det)
        if self.classifier is not None and "cls_thresh" in given:
            clone.classifier = TextClassifier(self.classifier.model, clone.config.cls)
        if "rec_space_recovery" in given:
            clone.space_recovery = given["rec_space_recovery"]
        return clone

    def _reader(self, lang: str | None, version: str | None) -> "OCR":
        """The recogniser-only OCR of a language (this object itself when it would load the same recogniser)."""
        resolved = self.catalog.resolve_lang(lang or self.lang)
        if version is None and self.version is not None and self.version in self.catalog.languages.get(resolved, {}):
            version = self.version
        version, model_set = self.catalog.model_set(resolved, version)
        key = model_set.get("rec") or f"{resolved}/{version}"
        if key == self.models["rec"].name:
            return self
        with self._loading_lock:  # one load at a time; calls in languages already loaded do not wait for it
            with self._languages_lock:
                reader = self._languages.get(key)
                if reader is not None:
                    self._languages.move_to_end(key)
                    return reader
            reader = OCR(resolved, version, **{**self._init_args, "use_det": False, "use_cls": False, "page_orientation": "off"})
            with self._languages_lock:
                self._languages[key] = reader
                while len(self._languages) > self.config.lang_cache_size:
                    self._languages.popitem(last=False)
            return reader

    def loaded_languages(self) -> list[str]:
        """Recognisers loaded for per-call languages besides this object's own, least recently used first."""
        with self._languages_lock:
            return list(self._languages)

    def release_memory(self) -> None:
        """Hand back memory an idle engine does not need: drop the other languages' recognisers, shrink each
        session's onnxruntime CPU arena (one tiny run with arena shrinkage), and return freed heap pages to the
        OS. Later calls work as before (another language's first call loads its recogniser again)."""
        with self._languages_lock:
            self._languages.clear()
        if self.detector is not None:
            self.detector.model.give_back_memory((1, 3, *(self.detector.fixed_size or (32, 32))))
        if self.classifier is not None:
            self.classifier.model.give_back_memory((1, 3, self.classifier.height, self.classifier.width))
        self.recognizer.give_back_memory()
        release_free_heap()

    def __call__(self, image: ImageInput, *, lang: str | None = None, version: str | None = None, **options: Any) -> OCRResult:
        """Full pipeline on one image: lines in reading order (lines scoring below drop_score are dropped).
        `lang`, `version` and per-call options: as `variant` (the detector is shared, the recogniser cached).

        Page orientation runs here only with page_orientation="auto" or a forced angle (`pages()` and the command
        line also run it by default, page_orientation="documents")."""
        if lang is not None or version is not None or options:
            return self.variant(lang, version, **options)(image)
        return self._read(image, document=False)

    def read_page(self, image: ImageInput) -> OCRResult:
        """The pipeline on one document page (a scan, a PDF or TIFF page), as `pages()` runs it: with the default
        page_orientation="documents" a page turned 90/180/270 degrees is read upright."""
        return self._read(image, document=True)

    def _read(self, image: ImageInput, document: bool) -> OCRResult:
        start = time.perf_counter()
        source = describe(image) if not isinstance(image, np.ndarray) else None
        page = load_image(image, self.config.max_image_pixels)
        height, width = page.shape[:2]
        timings: dict[str, float] = {"load": time.perf_counter() - start}
        inside = 0.0
        tick = time.perf_counter()
        mode = self.config.page_orientation
        page_angle: int | None = None
        boxes_as_given: np.ndarray | None = None  # a detection the second opinion made on a page it found upright
        if mode in ("0", "90", "180", "270"):
            page_angle = int(mode)
        elif mode == "auto" or (mode == "documents" and document):
            verdict, boxes_as_given, spent = self._decide_angle(page)
            inside += spent
            page_angle = verdict.angle
        img = turn_upright(page, page_angle or 0)
        if page_angle is not None:
            timings["ori"] = time.perf_counter() - tick
        tick = time.perf_counter()
        if self.detector is not None and self.config.use_det:
            if boxes_as_given is not None:
                boxes = boxes_as_given
            else:
                boxes, spent = self.detector(img)
                inside += spent
            crops = [crop_quad(img, box) for box in boxes]
        else:
            upright_h, upright_w = img.shape[:2]
            boxes = np.array([[[0, 0], [upright_w, 0], [upright_w, upright_h], [0, upright_h]]], dtype=np.float32)
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
        if crops and self.detector is not None and self.config.use_det and self.detector.gives_back_memory(*img.shape[:2]):
            inside += self.recognizer.give_back_memory()  # a scan-sized page: memory stays bounded between pages
            release_free_heap()
        texts = self._with_spaces(texts, crops)
        timings["rec"] = time.perf_counter() - tick
        lines = []
        upright_boxes = []  # the kept lines' quads on the upright page: the layout reads these
        filter_scores = self.config.use_det
        for i, (box, rec) in enumerate(zip(boxes, texts)):
            if filter_scores and rec.score < self.config.drop_score:
                continue
            upright_boxes.append(np.asarray(box, dtype=np.float32))
            words: tuple[WordBox, ...] = ()
            if self.config.word_boxes and rec.words:
                turned = bool(angles and angles[i].rotated)
                words = tuple(WordBox(w.text, to_page_coordinates(q, page_angle or 0, width, height))
                              for w, q in zip(rec.words, word_quads(box, rec, crops[i], turned)))
            lines.append(
                TextLine(
                    box=to_page_coordinates(box, page_angle or 0, width, height),
                    text=rec.text,
                    score=rec.score,
                    angle=angles[i].label if angles else None,
                    words=words,
                )
            )
        blocks: list[TextBlock] = []
        if self.config.layout:
            tick = time.perf_counter()
            lines, blocks = arrange_lines(lines, upright_boxes)
            timings["layout"] = time.perf_counter() - tick
        timings["onnxruntime"] = inside
        timings["total"] = time.perf_counter() - start
        return OCRResult(lines=lines, width=width, height=height, timings=timings, source=source, page_angle=page_angle,
                         blocks=blocks)

    def pages(
        self,
        inputs: Iterable[str | os.PathLike | InputFile],
        *,
        dpi: float = DEFAULT_DPI,
        pages: str | None = None,
        lang: str | None = None,
        version: str | None = None,
        **options: Any,
    ) -> Iterator[PageResult]:
        """OCR every page of the inputs (files, folders, globs, `-` for stdin, `@list.txt`; PDF, multi-page TIFF
        or images), in order. A bad input or page is a PageResult with `error` set; the others still come.
        `pages` selects pages like `1-3,7` (counted from 1 in each document); `lang`, `version`, options: as
        `variant`. Raises ModelNotFoundError before the first page when page orientation is on and its model is
        missing (orientation_error: every page would fail)."""
        if lang is not None or version is not None or options:
            yield from self.variant(lang, version, **options).pages(inputs, dpi=dpi, pages=pages)
            return
        if self.orientation_error is not None and self.config.page_orientation == "documents":
            raise ModelNotFoundError(self.orientation_error)
        for item, page in iter_pages(inputs, dpi=dpi, pages=pages, max_pixels=self.config.max_image_pixels):
            yield self.page(item, page)  # the serial runner (onnxocr/runners.py has the others)

    def page(self, item: InputFile | None, page: Page | PageError) -> PageResult:
        """The record builder every runner shares: one read page (or the reader's error) -> its PageResult.
        A failure of this page becomes the result's one-line `error`; nothing is raised for a bad page."""
        if isinstance(page, PageError):
            return PageResult(item, page.source, page.page, error=page.message)
        try:
            result = self._read(page.image, document=True)  # a document page: page orientation as configured
        except OnnxOCRError as exc:
            return PageResult(item, page.source, page.page, error=f"{page.source} page {page.page}: {exc}")
        except Exception as exc:  # a page nobody foresaw must not cost the user the other pages
            return PageResult(item, page.source, page.page, error=f"{page.source} page {page.page}: {unexpected(exc)}")
        result = dataclasses.replace(result, source=page.source, page=page.page)
        return PageResult(item, page.source, page.page, result=result, image=page.image, dpi=page.dpi)
