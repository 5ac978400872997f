"""`OCR`: the front class. Resolves models (catalog + store, or explicit paths), then runs det -> cls -> rec."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .catalog import Catalog, load_catalog
from .classification import AngleLabel, TextClassifier
from .config import EngineConfig, OCRConfig
from .crop import crop_quad
from .detection import TextDetector
from .dictionary import parse_dictionary, read_dictionary
from .engine import OnnxModel
from .errors import ModelLoadError, ModelNotFoundError, OnnxOCRError
from .image_io import ImageInput, describe, load_image
from .model_packages import ModelSearch
from .recognition import RecognizedText, TextRecognizer
from .result import OCRResult, TextLine, WordBox
from .spacing import recover_spaces, word_quads
from .store import ModelStore


@dataclass(frozen=True)
class ModelChoice:
    """Which file serves a task, and why (catalog name or explicit path)."""

    task: str
    path: Path
    name: str | None  # catalog name, None for an explicit path
    declared_height: int | None = None


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
        providers: Sequence[str] | None = None,
        threads: int | None = None,
        config: OCRConfig | None = None,
        catalog: str | Path | Catalog | None = None,
        store: str | Path | ModelStore | None = None,
        models_dir: str | Path | None = None,
        **options: Any,
    ) -> None:
        self.config = (config or OCRConfig()).replace(
            engine_device=device,
            engine_providers=tuple(providers) if providers else None,
            engine_intra_op_threads=threads,
            **options,
        )
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
        self._check_installed([model_set[t] for t in sorted(need) if explicit[t] is None and t in model_set])
        self.models = {task: self._choose(task, explicit[task], model_set) for task in sorted(need)}
        engine = self.config.engine
        self.detector = TextDetector(self._load("det", engine), self.config.det) if "det" in self.models else None
        self.classifier = TextClassifier(self._load("cls", engine), self.config.cls) if "cls" in self.models else None
        rec = self._load("rec", engine)
        chars, chars_source = self._dictionary(rec, dict_path)
        self.recognizer = TextRecognizer(rec, self.config.rec, chars, chars_source, self.models["rec"].declared_height)
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
        timings["onnxruntime"] = inside
        timings["total"] = time.perf_counter() - start
        return OCRResult(lines=lines, width=width, height=height, timings=timings, source=source)
