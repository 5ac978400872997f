"""Batch OCR on a Ray cluster (`pip install "onnxocr-runtime[ray]"`): a Ray Data pipeline with one OCR per actor.

`ocr_dataset(paths, actors=N)` returns a `ray.data.Dataset` built from `read_binary_files`, then `map_batches`
with the callable class `OCRWorker` on `ActorPoolStrategy(size=N)`: each actor loads the models once and runs
onnxruntime with as many threads as the CPUs it reserves. `ocr_to_jsonl` runs it and writes one JSON record per
input, in input order, record for record equal to `serial_records` (the same job without Ray).

Failure contract: a corrupt or unreadable input gives a record with an `error` field; an actor that dies (killed,
out of memory) is replaced and its input retried, and an input that kills its actor on every attempt gets an
error record. Every input gets exactly one record.

Ray is imported only when a function here needs it: `import onnxocr` never loads it.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from onnxocr.errors import OnnxOCRError

IMAGE_SUFFIXES = frozenset(".jpg .jpeg .jpe .png .bmp .dib .tif .tiff .webp .gif .pbm .pgm .ppm .pnm".split())
DEFAULT_ATTEMPTS = 3  # per input: the first try and two retries on a fresh actor


class RayUnavailableError(OnnxOCRError):
    """`--ray` was asked for but Ray (Ray Data) is not installed or no cluster could be reached."""


# -- inputs and records: shared by the serial and the Ray run ---------------------------------------------------
def expand_inputs(inputs: Iterable[str | os.PathLike]) -> list[str]:
    """Files as given; a folder becomes its image files (by suffix), recursively, sorted by relative path."""
    paths: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                     and not any(part.startswith(".") for part in p.relative_to(path).parts)]
            paths.extend(str(p) for p in sorted(found, key=lambda p: p.relative_to(path).as_posix()))
        else:
            paths.append(os.fspath(item))
    return paths


def error_record(source: str, message: str) -> dict[str, Any]:
    """The record of an input that produced no result."""
    return {"source": source, "page": 1, "width": None, "height": None, "lines": [], "error": message}


def ocr_record(ocr: Any, source: str, data: bytes) -> dict[str, Any]:
    """OCR one encoded image; the JSONL record (no timings: they differ between two runs of the same input).

    Every failure becomes the record's `error` (one line); nothing is raised for a bad input.
    """
    from onnxocr.io.images import decode_image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a multi-page TIFF's notice: the record says page 1
            image = decode_image(data, source, ocr.config.max_image_pixels)
        result = ocr(image)
    except OnnxOCRError as exc:
        return error_record(source, str(exc))
    except Exception as exc:  # an input nobody foresaw must not cost the other inputs
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        return error_record(source, f"{source}: unexpected {type(exc).__name__}: {reason}")
    return {"source": source, "page": 1, "width": result.width, "height": result.height,
            "lines": [line.to_dict() for line in result.lines], "error": None}


def _unreadable(path: str) -> str | None:
    """Why a path cannot be read (one line), or None."""
    try:
        with open(path, "rb"):
            return None
    except FileNotFoundError:
        return f"{path}: no such file; check the path"
    except IsADirectoryError:
        return f"{path}: is a folder"
    except OSError as exc:
        return f"{path}: cannot be read ({exc.strerror or exc})"


def serial_records(paths: Sequence[str], ocr: Any) -> Iterator[dict[str, Any]]:
    """The records of `paths`, one OCR object, no Ray: what the Ray run must equal."""
    for path in paths:
        problem = _unreadable(path)
        if problem:
            yield error_record(path, problem)
            continue
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            yield error_record(path, f"{path}: cannot be read ({exc.strerror or exc})")
            continue
        yield ocr_record(ocr, path, data)


# -- Ray ----------------------------------------------------------------------------------------------------------
class AttemptLedger:
    """Counts, per input, the starts that never finished (a tiny Ray actor). Ray retries the task of a dead actor
    without end, so the worker itself gives up on an input that has already killed `attempts` actors."""

    def __init__(self) -> None:
        self.unfinished: dict[str, int] = {}

    def begin(self, path: str) -> int:
        """Record a start; returns how many starts of this input are now unfinished (1 = no earlier death)."""
        self.unfinished[path] = self.unfinished.get(path, 0) + 1
        return self.unfinished[path]

    def finish(self, path: str) -> None:
        self.unfinished.pop(path, None)


class OCRWorker:
    """The callable class each actor holds: one OCR object, batches of {path, bytes} -> {path, record (JSON)}."""

    def __init__(self, sources: dict[str, str], ocr_options: dict[str, Any], ledger: Any = None, attempts: int = DEFAULT_ATTEMPTS) -> None:
        from onnxocr.ocr import OCR

        self.sources = sources  # the path Ray reports -> the input as the user named it
        self.ledger = ledger
        self.attempts = attempts
        self.ocr = OCR(**ocr_options)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        paths, records = [], []
        for path, data in zip(batch["path"], batch["bytes"]):
            path = str(path)
            source = self.sources.get(path, path)
            paths.append(path)
            records.append(json.dumps(self.record(source, path, bytes(data)), ensure_ascii=False))
        return {"path": paths, "record": records}

    def record(self, source: str, path: str, data: bytes) -> dict[str, Any]:
        """One input's record; an input already started `attempts` times (each killed its actor) is not retried."""
        if self.ledger is None:
            return self.recognize(source, path, data)
        import ray

        if ray.get(self.ledger.begin.remote(path)) > self.attempts:
            record = error_record(source, f"{source}: {lost_message(self.attempts)}")
        else:
            record = self.recognize(source, path, data)
        ray.get(self.ledger.finish.remote(path))
        return record

    def recognize(self, source: str, path: str, data: bytes) -> dict[str, Any]:
        """OCR one input (subclasses may add work around it)."""
        return ocr_record(self.ocr, source, data)


def lost_message(attempts: int) -> str:
    return f"the OCR actor died {attempts} time(s) on this input (killed or out of memory); run it alone to see why"


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
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise RayUnavailableError(f"cannot start or join {where} ({reason}): check the address, or unset RAY_ADDRESS") from None
    return ray


def _absolute(path: str) -> str:
    return os.path.abspath(path)


def ocr_dataset(
    paths: Sequence[str | os.PathLike],
    actors: int = 1,
    *,
    num_cpus: int = 1,
    attempts: int = DEFAULT_ATTEMPTS,
    worker: type = OCRWorker,
    **ocr_options: Any,
):
    """A lazy `ray.data.Dataset` of OCR records: columns `path` (absolute) and `record` (a JSON string, see
    `ocr_record`), one row per distinct readable file, in input order.

    Folders in `paths` are expanded (`expand_inputs`). `actors` OCR actors each reserve `num_cpus` CPUs and run
    onnxruntime on that many threads; `ocr_options` go to `OCR` (lang, version, use_cls, ...). Starts a local
    cluster unless Ray is initialised or RAY_ADDRESS is set. An actor that dies is replaced and its input retried;
    after `attempts` deaths on one input that input's record carries an error. `worker` may be an OCRWorker subclass.
    """
    if actors < 1 or num_cpus < 1 or attempts < 1:
        raise OnnxOCRError(f"actors, num_cpus and attempts must be at least 1 (got {actors}, {num_cpus}, {attempts})")
    ray = connect()
    files = [p for p in dict.fromkeys(_absolute(p) for p in expand_inputs(paths)) if _unreadable(p) is None]
    if not files:
        raise OnnxOCRError("no readable input files")
    _check_room(ray, actors, num_cpus)
    sources = {p: p for p in files}
    sources.update({_absolute(p): p for p in expand_inputs(paths)})  # report inputs as the user named them
    # Reading is I/O: reserving a CPU for it would deadlock a cluster whose CPUs the OCR actors hold.
    dataset = ray.data.read_binary_files(files, include_paths=True, override_num_blocks=len(files), num_cpus=0)
    dataset = dataset.map_batches(
        worker,
        batch_size=1,  # one input per task: a dead actor costs (a retry of) that input only
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=num_cpus,
        fn_constructor_kwargs={"sources": sources, "ocr_options": dict(ocr_options, threads=num_cpus),
                               "ledger": ray.remote(num_cpus=0)(AttemptLedger).remote(), "attempts": attempts},
    )
    context = dataset.context
    context.execution_options.preserve_order = True
    context.max_errored_blocks = -1  # a block Ray itself gives up on is reported (ocr_to_jsonl), not fatal to all
    context.enable_progress_bars = False
    return dataset


def _check_room(ray: Any, actors: int, num_cpus: int) -> None:
    total = ray.cluster_resources().get("CPU", 0)
    if actors * num_cpus > total:
        raise OnnxOCRError(
            f"{actors} actors x {num_cpus} CPU need {actors * num_cpus} CPUs but the Ray cluster has {total:g}: "
            "use fewer actors (--ray N) or threads (--threads)"
        )


def ocr_to_jsonl(
    paths: Sequence[str | os.PathLike],
    output: str | os.PathLike | None,
    actors: int = 1,
    *,
    num_cpus: int = 1,
    attempts: int = DEFAULT_ATTEMPTS,
    worker: type = OCRWorker,
    **ocr_options: Any,
) -> tuple[int, int]:
    """Run `ocr_dataset` and write its records as JSON lines, in input order, to `output` (None: stdout).

    Every input gets exactly one line. Returns (records, records with an error). The file is written as
    `<output>.partial` and renamed when complete.
    """
    inputs = expand_inputs(paths)
    problems = {p: _unreadable(p) for p in inputs}
    readable = [p for p in inputs if problems[p] is None]
    rows: Iterable[dict[str, Any]] = ()
    if readable:
        rows = ocr_dataset(readable, actors, num_cpus=num_cpus, attempts=attempts, worker=worker, **ocr_options).iter_rows()
    return write_jsonl(_in_input_order(inputs, problems, rows), output)


def _in_input_order(inputs: list[str], problems: dict[str, str | None], rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One record per input, in input order, as soon as every earlier input has its record; a row seen twice
    counts once, an input without a row gets an error record at the end."""
    done: dict[str, dict[str, Any]] = {}
    position = 0

    def ready() -> Iterator[dict[str, Any]]:
        nonlocal position
        while position < len(inputs):
            path = inputs[position]
            if problems[path]:
                yield error_record(path, problems[path])
            elif _absolute(path) in done:
                yield done[_absolute(path)]
            else:
                return
            position += 1

    for row in rows:
        done.setdefault(str(row["path"]), json.loads(row["record"]))
        yield from ready()
    yield from ready()
    for path in inputs[position:]:
        yield done.get(_absolute(path)) or error_record(path, problems[path] or f"{path}: no result came back from Ray")


def write_jsonl(records: Iterable[dict[str, Any]], output: str | os.PathLike | None) -> tuple[int, int]:
    """Write records one per line (to `<output>.partial`, renamed at the end; None or "-" = stdout)."""
    import sys

    count = failed = 0
    if output in (None, "-"):
        for record in records:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            count, failed = count + 1, failed + bool(record.get("error"))
        sys.stdout.flush()
        return count, failed
    from onnxocr.io.atomic import AtomicFile

    with AtomicFile(output, fsync=True, partial_name=True) as fh:  # a failed run keeps <output>.partial
        for record in records:
            fh.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
            fh.flush()
            count, failed = count + 1, failed + bool(record.get("error"))
    return count, failed
