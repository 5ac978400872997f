"""Runners: how read pages get OCR'd. One document pipeline, whatever runs it:

    inputs --(onnxocr.io.readers.iter_pages)--> pages --(runner: OCR.page per page)--> PageResults --> writers

Every runner takes the same work, the (input file, Page or PageError) pairs the readers yield (every PDF page,
every TIFF page, one page per other image, one PageError per input or page that cannot be read), and yields
exactly one `PageResult` per pair, in input order, built by `OCR.page` (the one record builder). The caller's sink
(the CLI's writers, or a list) never knows which runner ran. The Ray runner is in onnxocr/integrations/ray_data.py.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator, Tuple, TypeVar, Union

from onnxocr.io.pages import InputFile, Page, PageError
from onnxocr.ocr import OCR, PageResult

Work = Tuple[Union[InputFile, None], Union[Page, PageError]]
Runner = Callable[[Iterable[Work]], Iterator[PageResult]]
T = TypeVar("T")
Pending = TypeVar("Pending")


def serial_runner(ocr: OCR) -> Runner:
    """One page after another on the calling thread."""

    def run(work: Iterable[Work]) -> Iterator[PageResult]:
        for item, page in work:
            yield ocr.page(item, page)

    return run


def thread_runner(ocr: OCR, workers: int) -> Runner:
    """`workers` pages at once on a thread pool sharing one OCR object (OCR is thread-safe; onnxruntime releases
    the GIL), results in input order. At most 2 x workers pages are held in memory ahead of the sink."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")

    def run(work: Iterable[Work]) -> Iterator[PageResult]:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="onnxocr-page") as pool:
            yield from in_order(work, lambda w: pool.submit(ocr.page, *w), lambda w, future: future.result(), 2 * workers)

    return run


def in_order(items: Iterable[T], submit: Callable[[T], Pending], collect: Callable[[T, Pending], Any], window: int) -> Iterator[Any]:
    """Start `submit(item)` for up to `window` items ahead and yield `collect(item, started)` in input order:
    the ordered, bounded map every parallel runner shares."""
    pending: deque = deque()
    for item in items:
        pending.append((item, submit(item)))
        if len(pending) >= window:
            yield collect(*pending.popleft())
    while pending:
        yield collect(*pending.popleft())
