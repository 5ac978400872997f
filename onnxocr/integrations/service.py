"""The engine behind `onnxocr serve` (HTTP and stdio): one `OCR` object shared by every request, per-request
language and options, a bounded pool of workers, answers in any output format, and idle memory release.

Nothing here speaks HTTP or reads a line: `server.py` and `stdio.py` turn their requests into `OcrRequest`s and
their answers back. Threads: `workers` requests run at once, each onnxruntime session with `threads` intra-op
threads and `workers x threads <= CPUs`, so concurrency never oversubscribes the cores.
"""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from onnxocr.errors import CatalogError, ImageLoadError, ModelNotFoundError, OnnxOCRError, OptionError

# Request keys besides the per-call OCR options (onnxocr.ocr.PER_CALL_OPTIONS)
REQUEST_KEYS = ("lang", "ocr_version", "format", "pages", "dpi")
MEDIA_TYPES = {
    "json": "application/json",
    "jsonl": "application/x-ndjson",
    "text": "text/plain; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "hocr": "text/html; charset=utf-8",
    "alto": "application/xml",
    "pdf": "application/pdf",
}
_INT_OPTIONS = {"det_limit_side_len", "det_max_side_limit", "det_max_candidates", "max_image_pixels"}
_BOOL_OPTIONS = {"det_use_dilation", "use_cls", "use_det", "word_boxes", "rec_space_recovery"}
_STR_OPTIONS = {"det_limit_type", "det_score_mode"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


class ServiceError(OnnxOCRError):
    """A request the engine answers with an error: `status` is its HTTP status, the message one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class OcrRequest:
    """One document to OCR: its bytes (`data`) or, for the local stdio client only, a file `path`; `name` labels it."""

    name: str
    data: bytes | None = None
    path: str | None = None
    lang: str | None = None
    version: str | None = None
    fmt: str = "json"
    pages: str | None = None
    dpi: float | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """A rendered answer: the document in `fmt` (bytes) and the page records for JSON callers."""

    fmt: str
    body: bytes
    media_type: str
    records: list[dict[str, Any]]


def _coerce(name: str, value: Any) -> Any:
    """A request value as the option's type: query strings are parsed, JSON values kept (OCRConfig checks them)."""
    if not isinstance(value, str) or name in _STR_OPTIONS:
        return value
    text = value.strip().lower()
    try:
        if name in _BOOL_OPTIONS:
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError
        return int(text) if name in _INT_OPTIONS else float(text)
    except ValueError:
        kind = "true or false" if name in _BOOL_OPTIONS else "an integer" if name in _INT_OPTIONS else "a number"
        raise OptionError(f"option {name}={value!r} is not allowed: use {kind}") from None


def parse_request(values: Mapping[str, Any], *, name: str, data: bytes | None = None, path: str | None = None,
                  ignore: tuple[str, ...] = ()) -> OcrRequest:
    """An OcrRequest from query parameters or a JSON object's keys; unknown keys and bad values raise OptionError."""
    from onnxocr.io.readers import parse_page_ranges
    from onnxocr.io.writers import FORMATS
    from onnxocr.ocr import PER_CALL_OPTIONS

    options: dict[str, Any] = {}
    for key, value in values.items():
        if key in REQUEST_KEYS or key in ignore:
            continue
        if key not in PER_CALL_OPTIONS:
            raise OptionError(
                f"unknown option {key!r}: use {', '.join(REQUEST_KEYS)} or one of {', '.join(sorted(PER_CALL_OPTIONS))}"
            )
        options[key] = _coerce(key, value)
    fmt = str(values.get("format") or "json")
    if fmt not in FORMATS:
        raise OptionError(f"format={fmt!r} is not allowed: use one of {', '.join(FORMATS)}")
    pages = values.get("pages")
    if pages is not None:
        try:
            parse_page_ranges(str(pages))
        except ValueError as exc:
            raise OptionError(str(exc).replace("--pages", "pages")) from None
    dpi = values.get("dpi")
    if dpi is not None:
        try:
            dpi = float(dpi)
        except (TypeError, ValueError):
            dpi = None
        if dpi is None or not 10 <= dpi <= 1200:
            raise OptionError(f"dpi={values.get('dpi')!r} is not allowed: use a number from 10 to 1200")
    lang, version = values.get("lang"), values.get("ocr_version")
    for key, value in (("lang", lang), ("ocr_version", version)):
        if value is not None and (not isinstance(value, str) or not value):
            raise OptionError(f"{key}={value!r} is not allowed: use a language / model generation name")
    return OcrRequest(name=name, data=data, path=path, lang=lang or None, version=version or None, fmt=fmt,
                      pages=None if pages is None else str(pages), dpi=dpi, options=options)


def run_request(ocr, request: OcrRequest) -> Answer:
    """OCR every selected page of the request's document with `ocr` (an onnxocr.OCR) and render the answer.
    Raises ServiceError: 422 for a bad option or language, 400 for an unreadable document or page."""
    from onnxocr.io.readers import DEFAULT_DPI, InputFile
    from onnxocr.io.writers import NEEDS_WORDS, make_writer
    from onnxocr.models.catalog import bcp47

    options = dict(request.options)
    limit, asked = ocr.config.max_image_pixels, options.get("max_image_pixels")
    if asked is not None and limit and (not isinstance(asked, int) or not 0 < asked <= limit):
        raise ServiceError(422, f"max_image_pixels={asked!r} is not allowed: a request may only lower the engine's "
                                f"limit of {limit} pixels")
    if request.fmt in NEEDS_WORDS:
        options["word_boxes"] = True
    try:
        engine = ocr.variant(request.lang, request.version, **options)
    except (OptionError, CatalogError, ModelNotFoundError) as exc:
        raise ServiceError(422, str(exc)) from None
    item = InputFile(request.path) if request.data is None else InputFile(request.name, data=request.data)
    pages = []
    for page in engine.pages([item], dpi=request.dpi or DEFAULT_DPI, pages=request.pages):
        if page.error is not None:
            raise ServiceError(400, page.error)
        pages.append(page)
    if not pages:
        raise ServiceError(400, f"{request.name}: pages={request.pages} selects no page of this document")
    buffer = io.BytesIO()
    writer = make_writer(request.fmt, buffer, several=False, lang=bcp47(engine.lang))
    writer.begin()
    for page in pages:
        writer.add(page.result, page.image, page.dpi)
    if request.fmt == "json":
        writer.several = len(pages) > 1  # one page: the record itself, as `onnxocr -f json`; several: a list
    writer.end()
    records = [page.result.to_dict() for page in pages]
    return Answer(request.fmt, buffer.getvalue(), MEDIA_TYPES[request.fmt], records)


def error_line(exc: BaseException) -> tuple[int, str]:
    """(status, one-line message) for any failure of a request."""
    if isinstance(exc, ServiceError):
        return exc.status, str(exc)
    if isinstance(exc, (OptionError, CatalogError, ModelNotFoundError)):
        return 422, str(exc)
    if isinstance(exc, ImageLoadError):
        return 400, str(exc)
    reason = (str(exc).strip().splitlines() or [""])[0][:200]
    return 500, f"internal error: {type(exc).__name__}: {reason}"


def thread_plan(workers: int | None, threads: int | None) -> tuple[int, int]:
    """(workers, intra-op threads per session): workers default to the CPUs this process may use, threads to
    CPUs // workers, so that workers x threads never exceeds the CPUs unless both are given."""
    from onnxocr.core.engine import available_cpus

    cpus = available_cpus()
    workers = int(workers or cpus)
    return workers, int(threads or max(1, cpus // workers))


class QueueFull(OnnxOCRError):
    """Every worker is busy and the waiting line is full."""


class Engine:
    """One OCR object behind a bounded pool: `workers` requests run at once, at most `queue` more wait; a request
    beyond that is refused (QueueFull) rather than queued without bound. After `idle_release` seconds without a
    request (0: never) the OCR object hands memory back (`OCR.release_memory`)."""

    def __init__(self, ocr, *, workers: int, queue: int, idle_release: float = 300.0) -> None:
        self.ocr = ocr
        self.workers = workers
        self.capacity = workers + max(0, queue)
        self.idle_release = idle_release
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="onnxocr-serve")
        self.started = time.time()
        self.served = 0
        self.releases = 0
        self._lock = threading.Lock()
        self._held = 0
        self._last = time.monotonic()
        self._released = True  # nothing to give back before the first request
        self._stop = threading.Event()
        if idle_release > 0:
            threading.Thread(target=self._watch_idle, name="onnxocr-idle", daemon=True).start()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._held

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run fn(*args) on the pool; raises QueueFull when `workers + queue` requests are already held."""
        with self._lock:
            if self._held >= self.capacity:
                raise QueueFull(
                    f"busy: {self.workers} request(s) running and {self.capacity - self.workers} waiting; retry later"
                )
            self._held += 1
            self._released = False
        try:
            future = self.pool.submit(fn, *args)
        except BaseException:
            with self._lock:
                self._held -= 1
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future | None) -> None:
        with self._lock:
            self._held -= 1
            self.served += 1
            self._last = time.monotonic()

    def _watch_idle(self) -> None:
        period = min(5.0, max(0.05, self.idle_release / 4))
        while not self._stop.wait(period):
            with self._lock:
                due = not self._released and self._held == 0 and time.monotonic() - self._last >= self.idle_release
                if due:
                    self._released = True
            if due:
                self.ocr.release_memory()
                self.releases += 1

    def status(self) -> dict[str, Any]:
        """What /health reports: load, the models held, and the thread plan."""
        ocr = self.ocr
        detector = ocr.models.get("det")
        return {
            "status": "ok",
            "uptime_s": round(time.time() - self.started, 1),
            "workers": self.workers,
            "threads_per_worker": ocr.config.engine.intra_op_threads,
            "queue": self.capacity - self.workers,
            "in_flight": self.in_flight,
            "served": self.served,
            "memory_releases": self.releases,
            "lang": ocr.lang,
            "version": ocr.version,
            "detector": {"model": detector.name or str(detector.path), "session": id(ocr.detector.model.session)}
            if detector is not None and ocr.detector is not None else None,
            "recognizer": ocr.models["rec"].name or str(ocr.models["rec"].path),
            "languages_loaded": ocr.loaded_languages(),
            "lang_cache_size": ocr.config.lang_cache_size,
        }

    def close(self) -> None:
        self._stop.set()
        self.pool.shutdown(wait=False, cancel_futures=True)


def models_report(ocr) -> dict[str, Any]:
    """What /models reports: installed catalog models, and per language the recogniser a request would load
    (the detector is always the engine's own)."""
    catalog, search = ocr.catalog, ocr.model_search
    installed = sorted(name for name in catalog.models if search.holder(name) is not None)
    languages: dict[str, Any] = {}
    for lang, sets in sorted(catalog.languages.items()):
        version = ocr.version if ocr.version in sets else None
        try:
            version, model_set = catalog.model_set(lang, version)
        except OnnxOCRError:
            continue
        rec = model_set.get("rec")
        languages[lang] = {
            "version": version,
            "rec": rec,
            "installed": rec is not None and search.holder(rec) is not None,
            "loaded": rec == ocr.models["rec"].name or rec in ocr.loaded_languages(),
            "versions": sorted(sets),
        }
    detector = ocr.models.get("det")
    return {
        "store": search.where(),
        "installed": installed,
        "detector": (detector.name or str(detector.path)) if detector is not None else None,
        "classifier": (ocr.models["cls"].name or str(ocr.models["cls"].path)) if "cls" in ocr.models else None,
        "default": {"lang": ocr.lang, "version": ocr.version, "rec": ocr.models["rec"].name or str(ocr.models["rec"].path)},
        "languages": languages,
    }


def build_ocr(*, lang: str | None, version: str | None, threads: int, lang_cache_size: int | None,
              use_cls: bool | None, device: str | None, models_dir: str | None):
    """The engine's OCR object: `OCR(threads=threads)` (so the recogniser's own pool holds `threads` one-thread
    workers, shared by all requests), with OpenCV held to the same thread count."""
    import cv2

    from onnxocr.ocr import OCR

    cv2.setNumThreads(threads)
    return OCR(lang=lang, ocr_version=version, threads=threads, lang_cache_size=lang_cache_size, use_cls=use_cls,
               device=device, models_dir=models_dir)
