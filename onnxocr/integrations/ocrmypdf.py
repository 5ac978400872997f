"""ocrmypdf engine plugin: `ocrmypdf --plugin onnxocr.ocrmypdf in.pdf out.pdf` OCRs with onnxocr instead of
tesseract for that run. Deliberately not an `ocrmypdf` entry point: ocrmypdf loads entry points into every run,
so an installed onnxocr would silently replace tesseract everywhere, and pluggy refuses the module a second time
when `--plugin onnxocr.ocrmypdf` is also given.

ocrmypdf hands each page image to `generate_hocr` (or `generate_pdf` for `--pdf-renderer sandwich`); languages
are tesseract's codes (`-l fra`), mapped onto our catalog; page orientation (0/90/180/270, for
`--rotate-pages`) comes from the page-orientation model (onnxocr/core/orientation.py), and a page ocrmypdf hands
over turned is read turned (hOCR textangle). Needs the `ocrmypdf` extra: pip install 'onnxocr-runtime[ocrmypdf]'.
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
_engines: dict[str, object] = {}
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


def _ocr(options):
    """One OCR object per language in this worker process (models are loaded once). Every page image ocrmypdf
    hands over is a document page: page orientation on."""
    from onnxocr.ocr import OCR

    lang = _lang(options)
    with _lock:
        if lang not in _engines:
            try:
                load_catalog().resolve_lang(lang)
            except OnnxOCRError as exc:
                raise BadArgsError(f"onnxocr: {exc}") from None
            _engines[lang] = OCR(lang=lang, word_boxes=True, page_orientation="auto",
                                 threads=getattr(options, "onnxocr_threads", None))
        return _engines[lang]


def _page(input_file: Path, options):
    """(OCRResult, BGR image, dpi) for one page image from ocrmypdf."""
    from PIL import Image

    from onnxocr.io.images import load_image

    with Image.open(input_file) as im:
        dpi = float(im.info.get("dpi", (300, 300))[0]) or 300.0
    image = load_image(input_file)
    result = _ocr(options).read_page(image)
    return result, image, dpi


def orientation_confidence(probability: float) -> float:
    """The page model's probability as ocrmypdf's confidence (tesseract's OSD units, where --rotate-pages-threshold
    defaults to 14): 10 x the log-odds, so 0.5 gives 0, 0.8 gives 13.9, 0.92 gives 24.4, 0.99 gives 46."""
    import math

    p = min(max(probability, 1e-6), 1 - 1e-6)
    return round(max(0.0, 10.0 * math.log(p / (1 - p))), 2)


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
        """0/90/180/270 as OCR.page_angle decides it (the page model, or the lines where it is unsure): the
        clockwise turn of the page content, which is what ocrmypdf's angle means (it turns the page back by as much
        counterclockwise)."""
        from onnxocr.io.images import load_image

        verdict = _ocr(options).page_angle(load_image(input_file))
        assert verdict is not None  # page_orientation="auto"
        return OrientationConfidence(angle=verdict.angle, confidence=orientation_confidence(verdict.score))

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
        pdf.add_page(result, None, dpi, upright=False)  # ocrmypdf turns its pages itself
        with open(output_pdf, "wb") as fh:
            pdf.save(fh)
        Path(output_text).write_text(result.text + "\n" if result.lines else "", encoding="utf-8")


@hookimpl
def get_ocr_engine(options=None) -> OcrEngine:
    return OnnxOcrEngine()
