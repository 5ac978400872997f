"""OCR on a Ray cluster (`pip install "onnxocr-runtime[ray]"`): a runner of the one document pipeline.

`ray_runner(actors=N, ...)` is a runner like those in onnxocr/runners.py: the driver reads the inputs with the same
readers as the serial run (every PDF page, every TIFF page, one page per other image), each page is OCR'd by one
of N actors (`PageWorker`, one `OCR` each, onnxruntime on as many threads as the CPUs the actor reserves) with the
same record builder (`OCR.page`), and the PageResults come back in input order to the same sink the serial CLI
uses: `onnxocr --ray N` gives every --format, --draw and -o DIR/ exactly as the serial run does.

Failure contract: an unreadable input or page is the reader's PageError, as in the serial run; an actor that dies
(killed, out of memory) is restarted and its pages retried; a page that kills its actor on every one of `attempts`
tries gets an error result. Every page gets exactly one result.

`ocr_dataset(inputs, actors=N)` gives the same records as a `ray.data.Dataset` for Ray Data pipelines.

Ray is imported only when a function here needs it: `import onnxocr` never loads it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
from typing import Any, Iterable, Iterator, Sequence

from onnxocr.errors import OnnxOCRError, first_line
from onnxocr.io.pages import InputFile, Page, PageError
from onnxocr.io.readers import DEFAULT_DPI, expand_inputs, read_pages
from onnxocr.io.writers.json import error_record, page_record
from onnxocr.ocr import PageResult
from onnxocr.runners import Runner, Work, in_order

DEFAULT_ATTEMPTS = 3  # per page: the first try and two retries on a restarted actor


class RayUnavailableError(OnnxOCRError):
    """`--ray` was asked for but Ray (Ray Data) is not installed or no cluster could be reached."""


class PageWorker:
    """What each actor holds: one OCR object; `recognize(page)` is `OCR.page` without sending the image back."""

    def __init__(self, ocr_options: dict[str, Any]) -> None:
        from onnxocr.ocr import OCR

        self.ocr = OCR(**ocr_options)

    def recognize(self, page: Page) -> PageResult:
        return dataclasses.replace(self.ocr.page(None, page), image=None)


def lost_message(attempts: int) -> str:
    return f"the OCR actor died {attempts} time(s) on this page (killed or out of memory); run it alone to see why"


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise RayUnavailableError(
            'Ray Data is not installed: pip install "onnxocr-runtime[ray]" (or run without --ray)'
        ) from None
    return ray


def connect(local_cpus: int | None = None) -> Any:
    """Join the cluster at $RAY_ADDRESS, else start a local one (`local_cpus` CPUs, default all). Returns ray."""
    ray = _ray()
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS") or None
        try:
            # "local": a new cluster, never one that an earlier `ray start` on this machine left registered
            ray.init(address=address or "local", num_cpus=None if address else local_cpus, include_dashboard=False,
                     log_to_driver=False, logging_level="ERROR")
        except Exception as exc:
            where = f"the Ray cluster at RAY_ADDRESS={address}" if address else "a local Ray cluster"
            reason = first_line(exc, default=type(exc).__name__)
            raise RayUnavailableError(f"cannot start or join {where} ({reason}): check the address, or unset RAY_ADDRESS") from None
    return ray


def _check_room(ray: Any, actors: int, num_cpus: int) -> None:
    if actors < 1 or num_cpus < 1:
        raise OnnxOCRError(f"actors and num_cpus must be at least 1 (got {actors}, {num_cpus})")
    total = ray.cluster_resources().get("CPU", 0)
    if actors * num_cpus > total:
        raise OnnxOCRError(
            f"{actors} actors x {num_cpus} CPU need {actors * num_cpus} CPUs but the Ray cluster has {total:g}: "
            "use fewer actors (--ray N) or threads (--threads)"
        )


def ray_runner(
    actors: int = 1,
    *,
    num_cpus: int = 1,
    attempts: int = DEFAULT_ATTEMPTS,
    worker: type = PageWorker,
    **ocr_options: Any,
) -> Runner:
    """A runner (see onnxocr/runners.py) that OCRs pages on `actors` Ray actors, each reserving `num_cpus` CPUs
    and running onnxruntime on that many threads; `ocr_options` go to `OCR` (lang, ocr_version, use_cls, ...).
    Starts a local cluster unless Ray is initialised or RAY_ADDRESS is set. Pages are handed out round robin,
    one page per actor in flight (an actor that dies takes no other page's attempts with it); results come back in
    input order. `worker` may be a PageWorker subclass."""
    if attempts < 1:
        raise OnnxOCRError(f"attempts must be at least 1 (got {attempts})")
    ray = connect()
    _check_room(ray, actors, num_cpus)
    # max_restarts: a dead actor is replaced (models loaded again); max_task_retries: its pages are retried there
    remote = ray.remote(worker).options(num_cpus=num_cpus, max_restarts=-1, max_task_retries=attempts - 1)
    pool = [remote.remote(dict(ocr_options, threads=num_cpus)) for _ in range(actors)]
    turn = itertools.cycle(pool)

    def submit(work: Work) -> Any:
        _, page = work
        return None if isinstance(page, PageError) else next(turn).recognize.remote(page)

    def collect(work: Work, ref: Any) -> PageResult:
        item, page = work
        if ref is None:
            return PageResult(item, page.source, page.page, error=page.message)
        try:
            result = ray.get(ref)
        except ray.exceptions.RayError as exc:  # the actor died on every try, or could not be created
            reason = lost_message(attempts) if isinstance(exc, ray.exceptions.RayActorError) else first_line(exc)
            return PageResult(item, page.source, page.page, error=f"{page.source} page {page.page}: {reason}")
        return dataclasses.replace(result, input=item, image=page.image)

    def run(work: Iterable[Work]) -> Iterator[PageResult]:
        yield from in_order(work, submit, collect, actors)  # round robin: one page in flight per actor

    return run


# -- Ray Data -----------------------------------------------------------------------------------------------------
class DocumentWorker:
    """A Ray Data callable class: a batch of named inputs -> one row per page (or per unreadable input), each the
    JSON Lines record the CLI writes for it (`page_record` / `error_record`)."""

    def __init__(self, ocr_options: dict[str, Any], dpi: float = DEFAULT_DPI, pages: str | None = None) -> None:
        from onnxocr.ocr import OCR

        self.ocr = OCR(**ocr_options)
        self.dpi, self.pages = dpi, pages

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        rows: dict[str, list] = {"path": [], "page": [], "record": []}
        for path, problem in zip(batch["path"], batch["error"]):
            path, problem = str(path), str(problem)  # Ray Data hands numpy strings
            read = [PageError(path, None, problem)] if problem else read_pages(
                InputFile(path), dpi=self.dpi, pages=self.pages, max_pixels=self.ocr.config.max_image_pixels)
            for page in read:
                done = self.ocr.page(None, page)
                record = page_record(done.result) if done.result is not None else error_record(done.source, done.page, done.error)
                rows["path"].append(path)
                rows["page"].append(done.page or 0)
                rows["record"].append(json.dumps(record, ensure_ascii=False))
        return rows


def ocr_dataset(
    inputs: Sequence[str | os.PathLike],
    actors: int = 1,
    *,
    num_cpus: int = 1,
    dpi: float = DEFAULT_DPI,
    pages: str | None = None,
    **ocr_options: Any,
):
    """A lazy `ray.data.Dataset` of OCR records: columns `path`, `page` and `record` (a JSON string: the JSON Lines
    record `onnxocr -f jsonl` writes), one row per page and one per unreadable input or page, in input order.

    Inputs are named as for the CLI (files, folders, globs, @list.txt) and expanded by the same readers; each input
    is read and OCR'd on one of `actors` actors (`DocumentWorker`)."""
    ray = connect()
    _check_room(ray, actors, num_cpus)
    items = [{"path": item.path, "error": ""} if isinstance(item, InputFile) else {"path": item.source, "error": item.message}
             for item in expand_inputs(inputs)]
    if not items:
        raise OnnxOCRError("no inputs")
    dataset = ray.data.from_items(items, override_num_blocks=len(items))
    dataset = dataset.map_batches(
        DocumentWorker,
        batch_size=1,  # one input per task: a dead actor costs (a retry of) that input only
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=num_cpus,
        fn_constructor_kwargs={"ocr_options": dict(ocr_options, threads=num_cpus), "dpi": dpi, "pages": pages},
    )
    context = dataset.context
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    return dataset
