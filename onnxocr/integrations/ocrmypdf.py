"""ocrmypdf engine plugin: `ocrmypdf --plugin onnxocr.ocrmypdf in.pdf out.pdf` OCRs with onnxocr instead of
tesseract for that run. Deliberately not an `ocrmypdf` entry point: ocrmypdf loads entry points into every run,
so an installed onnxocr would silently replace tesseract everywhere, and pluggy refuses the module a second time
when `--plugin onnxocr.ocrmypdf` is also given.

ocrmypdf hands each page image to `generate_hocr` (or `generate_pdf` for `--pdf-renderer sandwich`); languages
are tesseract's codes (`-l fra`), mapped onto our catalog; page orientation (0/180) comes from our angle
classifier. Needs the `ocrmypdf` extra: pip install 'onnxocr-runtime[ocrmypdf]'.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from ocrmypdf import hookimpl
from ocrmypdf.exceptions import BadArgsError, MissingDependencyError
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence

from onnxocr import __version__
from onnxocr.models.catalog import ISO_639_2, load_catalog
from onnxocr.errors import OnnxOCRError

log = logging.getLogger(__name__)

DEFAULT_OCRMYPDF_LANG = "chi_sim"  # our default model set (PP-OCRv4 ch) reads Chinese and English
_engines: dict[tuple[str, bool], object] = {}
_lock = threading.Lock()


@hookimpl
def initialize(plugin_manager) -> None:
    """We replace tesseract: block its plugin so that ocrmypdf does not insist on the tesseract program. Its
    option model stays registered (below): ocrmypdf's own validation reads `options.tesseract`."""
    plugin_manager.set_blocked("ocrmypdf.builtin_plugins.tesseract_ocr")


def _tesseract_options():
    from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOptions

    return TesseractOptions


@hookimpl
def register_options():
    return {"tesseract": _tesseract_options()}


@hookimpl
def add_options(parser) -> None:
    _tesseract_options().add_arguments_to_parser(parser)
    group = parser.add_argument_group("onnxocr", "OCR with onnxocr (PaddleOCR models on onnxruntime)")
    group.add_argument("--onnxocr-threads", type=int, default=None, help="onnxruntime CPU threads per model (per ocrmypdf worker)")


@hookimpl
def check_options(options) -> None:
    try:
        _ocr(options)
    except OnnxOCRError as exc:
        raise MissingDependencyError(f"onnxocr: {exc}") from None


def _lang(options) -> str:
    languages = list(getattr(options, "languages", None) or [])
    if len(languages) > 1:
        log.warning("onnxocr reads one language per run; using %s of %s", languages[0], "+".join(languages))
    return languages[0] if languages else DEFAULT_OCRMYPDF_LANG


def _ocr(options, use_cls: bool = False):
    """One OCR object per (language, classifier) in this worker process (models are loaded once)."""
    from onnxocr.ocr import OCR

    lang = _lang(options)
    key = (lang, use_cls)
    with _lock:
        if key not in _engines:
            try:
                load_catalog().resolve_lang(lang)
            except OnnxOCRError as exc:
                raise BadArgsError(f"onnxocr: {exc}") from None
            _engines[key] = OCR(lang=lang, use_cls=use_cls, word_boxes=True, threads=getattr(options, "onnxocr_threads", None))
        return _engines[key]


def _page(input_file: Path, options, use_cls: bool = False):
    """(OCRResult, BGR image, dpi) for one page image from ocrmypdf."""
    from PIL import Image

    from onnxocr.io.images import load_image

    with Image.open(input_file) as im:
        dpi = float(im.info.get("dpi", (300, 300))[0]) or 300.0
    image = load_image(input_file)
    result = _ocr(options, use_cls)(image)
    return result, image, dpi


class OnnxOcrEngine(OcrEngine):
    """ocrmypdf's OcrEngine on onnxocr."""

    @staticmethod
    def version() -> str:
        return __version__

    @staticmethod
    def creator_tag(options) -> str:
        return f"onnxocr {__version__}"

    def __str__(self) -> str:
        return f"onnxocr {__version__}"

    @staticmethod
    def languages(options) -> set[str]:
        catalog = load_catalog()
        return set(ISO_639_2) | set(catalog.languages) | set(catalog.aliases)

    @staticmethod
    def get_orientation(input_file: Path, options) -> OrientationConfidence:
        """0 or 180 from the angle classifier, voted over the page's lines by their length (90/270 are not
        detected: the classifier only knows upright and upside-down)."""
        result, _, _ = _page(input_file, options, use_cls=True)
        votes = {"0": 0.0, "180": 0.0}
        for line in result.lines:
            if line.angle in votes:
                votes[line.angle] += max(1, len(line.text))
        total = sum(votes.values())
        if not total:
            return OrientationConfidence(angle=0, confidence=0.0)
        angle = 180 if votes["180"] > votes["0"] else 0
        share = max(votes.values()) / total
        return OrientationConfidence(angle=angle, confidence=round(15.0 * (2 * share - 1), 2))

    @staticmethod
    def get_deskew(input_file: Path, options) -> float:
        return 0.0

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options) -> None:
        from onnxocr.io.writers import HocrWriter

        result, _, dpi = _page(input_file, options)
        with open(output_hocr, "wb") as fh:
            writer = HocrWriter(fh, lang=None)
            writer.add(result, None, dpi)
            writer.end()
        Path(output_text).write_text(result.text + "\n" if result.lines else "", encoding="utf-8")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options) -> None:
        """A text-only PDF of the page image's size, for ocrmypdf's sandwich renderer."""
        from onnxocr.io.writers.pdf import SearchablePdf

        result, _, dpi = _page(input_file, options)
        pdf = SearchablePdf()
        pdf.add_page(result, None, dpi)
        with open(output_pdf, "wb") as fh:
            pdf.save(fh)
        Path(output_text).write_text(result.text + "\n" if result.lines else "", encoding="utf-8")


@hookimpl
def get_ocr_engine(options=None) -> OcrEngine:
    return OnnxOcrEngine()
