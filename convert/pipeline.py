"""One model end to end: sources -> Paddle files -> ONNX -> checks -> metadata -> store; and `import`."""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from onnxocr.models.catalog import Catalog, ModelEntry
from onnxocr.models.store import ModelStore

from convert.errors import ConvertError
from convert.sources.fetch import sha256_of
from convert.graph.metadata import build_metadata, embed_metadata, read_metadata
from convert.graph.optimize import optimize_file
from convert.program.paddle_to_onnx import DEFAULT_OPSET, export_onnx
from convert.checks.parity import (PARITY_TOLERANCE, check_class_count, check_parity, check_slim_agreement, effective_input_shape,
                     sample_shapes)
from convert.program.rewrite import prepare_program
from convert.program.slim import insert_activation_qdq
from convert.graph.quantize import int8_name, quantize_int8
from convert.sources.files import Dictionary, checked_dictionary, dictionary_search_dirs, fetch_dictionary, fetch_model_files, load_dictionary_file

Log = Callable[[str], None]

CONVERTED, SKIPPED, FAILED, NOT_CONVERTIBLE = "converted", "skipped", "failed", "not convertible"


@dataclass
class Outcome:
    """What happened to one requested model (a row of the summary table)."""

    name: str
    status: str
    detail: str
    parity_max_abs: float | None = None
    extra: list[str] = field(default_factory=list)  # further store names written (e.g. the int8 variant)


@dataclass(frozen=True)
class ConvertOptions:
    cache_dir: Path
    source_dir: Path | None = None
    force: bool = False
    quantize: str | None = None  # None | "int8"
    opset: int = DEFAULT_OPSET
    dict_dirs: tuple[Path, ...] = ()  # local folders searched for dictionary files first


# Bump when the converter's output for the same source files changes, so that `make convert` redoes models
# an older onnxocr converted. 2: PP-LCNetV3 affine blocks folded into the convolutions (optimize.py).
# 3: fixed feed shapes freed, PaddleSlim fake quant rewritten, dictionary corrections (program_rewrite.py, slim.py).
# 4: a GELU's 0.5 is no longer folded into the next convolution (it hid the GELU from onnxruntime's fusion).
CONVERSION_RECIPE = 4


def _already_converted(entry: ModelEntry, store: ModelStore, source_files: dict[str, str] | None) -> str | None:
    """The recorded source when the store already holds this model converted from the same files by this recipe."""
    record = store.read_manifest().get(entry.name)
    if not record or record.get("recipe") != CONVERSION_RECIPE:
        return None
    try:
        store.verify(entry.name)
    except Exception:
        return None
    recorded = record.get("source_files") or {}
    wanted = source_files if source_files is not None else dict(entry.files)
    if wanted and all(recorded.get(k) == v for k, v in wanted.items()):
        return str(record.get("source", "?"))
    return None


def _dictionary_for(entry: ModelEntry, catalog: Catalog, options: ConvertOptions, log: Log) -> Dictionary | None:
    if entry.task != "rec":
        return None
    if not entry.dictionary:
        raise ConvertError(f"{entry.name}: a recogniser needs `dictionary` in the catalog")
    return fetch_dictionary(catalog.dictionaries[entry.dictionary], options.cache_dir, log,
                            dictionary_search_dirs(options.source_dir, options.dict_dirs))


def convert_model(entry: ModelEntry, catalog: Catalog, store: ModelStore, options: ConvertOptions, log: Log = print) -> Outcome:
    """Fetch, convert, prove parity and install one catalog model; never raises for a model-level failure."""
    if not entry.convertible:
        return Outcome(entry.name, NOT_CONVERTIBLE, entry.reason)
    if entry.format in ("paddle-pir", "onnx"):  # PaddleX 3.x rows (PIR tar or an ONNX file from a wheel) and rows
        # published only as ONNX (a wheel's file): convert/sources/onnx_rows.py
        from convert.sources.onnx_rows import convert_pir_row

        return convert_pir_row(entry, catalog, store, options, log)
    if not options.force:
        previous = _already_converted(entry, store, None)
        if previous and (options.quantize != "int8" or store.is_installed(int8_name(entry.name))):
            return Outcome(entry.name, SKIPPED, f"already converted from {previous} (use --force to redo)",
                           store.read_manifest()[entry.name].get("parity_max_abs"))
    work_root = options.cache_dir / "work"
    work_root.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=f"{entry.name}-", dir=work_root) as tmp:
            return _convert_in(entry, catalog, store, options, Path(tmp), log)
    except ConvertError as exc:
        return Outcome(entry.name, FAILED, str(exc))
    except Exception as exc:  # a bug or an unexpected library error: report it, keep going with other models
        return Outcome(entry.name, FAILED, f"unexpected {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}")


def _convert_in(entry: ModelEntry, catalog: Catalog, store: ModelStore, options: ConvertOptions, work: Path, log: Log) -> Outcome:
    files = fetch_model_files(entry, options.cache_dir, work, source_dir=options.source_dir, log=log)
    if not options.force:
        previous = _already_converted(entry, store, files.file_sha256)
        if previous and (options.quantize != "int8" or store.is_installed(int8_name(entry.name))):
            return Outcome(entry.name, SKIPPED, f"already converted from {previous} (use --force to redo)",
                           store.read_manifest()[entry.name].get("parity_max_abs"))
    dictionary = _dictionary_for(entry, catalog, options, log)
    onnx_path = work / f"{entry.name}.onnx"
    program = prepare_program(files.model_file, files.params_file, work / "program")
    exported = export_onnx(program.model_file, program.params_file, onnx_path, opset=options.opset,
                           keep_names=program.slim is not None)
    if program.slim is not None:
        insert_activation_qdq(onnx_path, program.slim.activations)
    folded = optimize_file(onnx_path)  # before the parity check, so parity covers the simplified graph
    chw = effective_input_shape(entry.input_shape, exported.input_dims)
    shapes = sample_shapes(entry.task, chw, widened=program.freed_from is not None)
    # Paddle Inference runs the program as published (fixed feed, fake-quant ops and all). A slim program is
    # judged on rendered text (parity.check_slim_agreement); its figure on noise is recorded, not gated.
    parity = check_parity(files.model_file, files.params_file, onnx_path, shapes,
                          tolerance=math.inf if program.slim is not None else None)
    notes = list(files.notes) + list(program.notes)
    parity_max_abs, slim_record = parity.max_abs, None
    if program.slim is not None:
        agreement = check_slim_agreement(files.model_file, files.params_file, onnx_path, entry.task, chw)
        parity_max_abs = agreement.max_abs
        slim_record = {"max_abs": agreement.max_abs, "matched": agreement.matched, "total": agreement.total,
                       "self_matched": agreement.self_matched, "self_total": agreement.self_total,
                       "unit": agreement.unit, "noise_max_abs": parity.max_abs}
        notes.append(f"{agreement.describe()}; on noise max abs {parity.max_abs:.2e}")
    if tuple(entry.input_shape) != chw:
        notes.append(f"program fixes input to {chw}, catalog says {tuple(entry.input_shape)}")
    if dictionary is not None:
        check_class_count(parity.output_shapes[0], dictionary.characters, entry.use_space_char, dictionary.name)
    props = build_metadata(
        entry, input_shape=chw, characters=dictionary.characters if dictionary else None, source=files.source,
        source_sha256=files.source_sha256, converter=exported.converter, parity_max_abs=parity_max_abs,
        graph_passes=folded.describe(),
    )
    embed_metadata(onnx_path, props)
    record = {
        "task": entry.task,
        "arch_version": entry.arch_version,
        "input_shape": list(chw),
        "parity_max_abs": parity_max_abs,
        "slim_agreement": slim_record,
        **parity.manifest_fields(),
        "source": files.source,
        "source_sha256": files.source_sha256,
        "source_files": files.file_sha256,
        "source_verified": files.verified,
        "converter": exported.converter,
        "graph_passes": folded.describe(),
        "recipe": CONVERSION_RECIPE,
        "dictionary": dictionary.name if dictionary else None,
        "dictionary_sha256": dictionary.sha256 if dictionary else None,
        "dictionary_corrections": list(dictionary.corrections) if dictionary else [],
        "program_declared_input": list(program.declared_input),
        "program_rewrites": list(program.notes),
        "notes": notes,
    }
    extra: list[str] = []
    if options.quantize == "int8":
        int8_path = work / f"{int8_name(entry.name)}.onnx"
        result = quantize_int8(onnx_path, int8_path, entry.task, tuple(chw))
        embed_metadata(int8_path, {**props, "onnxocr.name": int8_name(entry.name), "onnxocr.quantized": result.method,
                                   "onnxocr.parity_max_abs": ""})
        store.install(int8_name(entry.name), int8_path, {
            **record, "parity_max_abs": None, "quantized": result.method, "float_model": entry.name,
            "notes": notes + ["int8 accuracy is measured by the evaluation, not by parity"],
        })
        extra.append(int8_name(entry.name))
    store.install(entry.name, onnx_path, record)
    verified = "" if files.verified else " (catalog has no file sha256: source unverified)"
    if files.notes:
        verified += f"; {len(files.notes)} earlier source(s) failed, e.g. {files.notes[0]}"
    what = (f"slim: {slim_record['matched']}/{slim_record['total']} {slim_record['unit']} vs Paddle's slim run "
            f"({slim_record['self_matched']}/{slim_record['self_total']} between two float orders of the ONNX)"
            if slim_record else f"parity {parity_max_abs:.2e}")
    return Outcome(entry.name, CONVERTED, f"{what} from {files.source}{verified}", parity_max_abs, extra)


def import_model(
    onnx_file: Path,
    name: str,
    catalog: Catalog,
    store: ModelStore,
    *,
    dictionary_arg: str | None,
    task: str | None,
    cache_dir: Path,
    log: Log = print,
    origin: ImportOrigin | None = None,
) -> Outcome:
    """Register an existing ONNX conversion under `name` with the same metadata and checks (no Paddle parity).

    `origin` names where a catalog row's ONNX file came from (a wheel member; see convert/sources/onnx_rows.py)."""
    try:
        with tempfile.TemporaryDirectory(prefix="import-", dir=_ensure(cache_dir / "work")) as tmp:
            return _import_in(onnx_file, name, catalog, store, dictionary_arg, task, cache_dir, Path(tmp), log, origin)
    except ConvertError as exc:
        return Outcome(name, FAILED, str(exc))


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class ImportOrigin:
    """Where an imported catalog file came from, recorded instead of its local path (so `make convert`
    recognises it next time)."""

    source: str  # pypi:<requirement>:<member>
    source_sha256: str  # of the wheel
    source_files: dict[str, str]  # {member file name: sha256}, verified against the catalog's `files`


def _import_in(onnx_file: Path, name: str, catalog: Catalog, store: ModelStore, dictionary_arg: str | None,
               task: str | None, cache_dir: Path, work: Path, log: Log, origin: ImportOrigin | None = None) -> Outcome:
    import numpy as np
    import onnx
    import onnxruntime as ort

    if not onnx_file.is_file():
        raise ConvertError(f"{onnx_file}: no such file: pass the path of an .onnx model")
    try:
        model = onnx.load(str(onnx_file))
        onnx.checker.check_model(model)
    except Exception as exc:
        raise ConvertError(f"{onnx_file}: not a valid ONNX model ({str(exc).strip().splitlines()[0]})") from None
    existing = {p.key: p.value for p in model.metadata_props}
    entry = catalog.models.get(name)
    if entry is None:
        task = task or existing.get("onnxocr.task")
        if task not in ("det", "cls", "rec", "ori"):
            raise ConvertError(f"{name!r} is not in the catalog: pass --task det|cls|rec|ori")
        entry = ModelEntry(name=name, task=task, arch_version=existing.get("onnxocr.arch_version", ""),
                           input_shape=(3, -1, -1), dictionary=None)
    elif task and task != entry.task:
        raise ConvertError(f"{name} is a {entry.task} model in the catalog, not {task}")
    dims = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                 for d in model.graph.input[0].type.tensor_type.shape.dim)
    chw = effective_input_shape(entry.input_shape, dims)
    dictionary = _import_dictionary(entry, catalog, dictionary_arg, existing, cache_dir, log)
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    output_shape = None
    samples = []  # (input, output) on the original graph, to check the simplified one against
    for index, shape in enumerate(sample_shapes(entry.task, chw)):
        batch = np.random.default_rng(index).uniform(-1, 1, shape).astype(np.float32)
        try:
            output = session.run(None, {input_name: batch})[0]
        except Exception as exc:
            raise ConvertError(f"{onnx_file}: onnxruntime cannot run it on input {shape} "
                               f"({str(exc).strip().splitlines()[0]}): is --name/--task right?") from None
        if not np.all(np.isfinite(output)):
            raise ConvertError(f"{onnx_file}: produces non-finite values on input {shape}")
        output_shape = output.shape
        samples.append((batch, output))
    if dictionary is not None and output_shape is not None:
        check_class_count(tuple(output_shape), dictionary.characters, entry.use_space_char, dictionary.name)
    source, source_sha = f"import:{onnx_file.resolve()}", sha256_of(onnx_file)
    if origin is not None:
        source, source_sha = origin.source, origin.source_sha256
    converter = f"imported ({model.producer_name or 'unknown producer'} {model.producer_version}".strip() + ")"
    staged = work / f"{name}.onnx"
    shutil.copyfile(onnx_file, staged)
    notes = ["imported: no Paddle Inference parity (no Paddle program)"]
    passes = _simplify_imported(staged, input_name, samples)
    if passes:
        notes.append(f"{passes}; checked against the imported graph on the parity shapes")
    props = build_metadata(entry, input_shape=chw, characters=dictionary.characters if dictionary else None,
                           source=source, source_sha256=source_sha, converter=converter, parity_max_abs=None,
                           graph_passes=passes)
    embed_metadata(staged, props)
    store.install(name, staged, {
        "task": entry.task, "arch_version": entry.arch_version, "input_shape": list(chw), "parity_max_abs": None,
        "source": source, "source_sha256": source_sha, "source_files": origin.source_files if origin else {},
        "source_verified": bool(origin and origin.source_files),
        "converter": converter, "graph_passes": passes, "dictionary": dictionary.name if dictionary else None,
        "dictionary_sha256": dictionary.sha256 if dictionary else None, "notes": notes,
        **({"recipe": CONVERSION_RECIPE} if origin else {}),
    })
    where = origin.source if origin else onnx_file
    return Outcome(name, CONVERTED, f"imported from {where} (no Paddle parity){'; ' + passes if passes else ''}")


def _simplify_imported(staged: Path, input_name: str, samples: list) -> str:
    """Apply optimize.py's folds to an imported file when they keep its outputs within the parity tolerance;
    otherwise restore the file as imported. Returns what was applied ("" for nothing)."""
    import numpy as np
    import onnxruntime as ort

    original = staged.read_bytes()
    folded = optimize_file(staged)
    if not folded.total:
        return ""
    session = ort.InferenceSession(str(staged), providers=["CPUExecutionProvider"])
    diff = max(float(np.abs(session.run(None, {input_name: x})[0] - y).max()) for x, y in samples)
    if diff <= PARITY_TOLERANCE:
        return f"{folded.describe()} (max abs vs imported {diff:.2e})"
    staged.write_bytes(original)
    return ""


def _import_dictionary(entry: ModelEntry, catalog: Catalog, dictionary_arg: str | None, existing: dict[str, str],
                       cache_dir: Path, log: Log) -> Dictionary | None:
    if entry.task != "rec":
        return None
    catalog_dict = catalog.dictionaries.get(entry.dictionary) if entry.dictionary else None
    if dictionary_arg is None:
        if catalog_dict is not None:
            return fetch_dictionary(catalog_dict, cache_dir, log)
        if existing.get("character"):
            chars = tuple(existing["character"].split("\n"))
            return Dictionary("embedded", chars, "metadata:character", "")
        raise ConvertError(f"{entry.name}: a recogniser needs --dict FILE (or a catalog dictionary id)")
    if dictionary_arg in catalog.dictionaries:
        return fetch_dictionary(catalog.dictionaries[dictionary_arg], cache_dir, log)
    dictionary = load_dictionary_file(Path(dictionary_arg))
    if catalog_dict is not None and catalog_dict.sha256 and dictionary.sha256 != catalog_dict.sha256:
        raise ConvertError(f"{dictionary_arg}: is not the catalog's {catalog_dict.name} for {entry.name} "
                           f"(sha256 differs): pass the right dictionary or the id {catalog_dict.name!r}")
    if catalog_dict is not None:  # the published file: read it as the model was trained (corrections applied)
        return checked_dictionary(catalog_dict, Path(dictionary_arg).read_bytes(), dictionary.source)
    return dictionary


__all__ = ["Outcome", "ConvertOptions", "ImportOrigin", "convert_model", "import_model", "read_metadata",
           "CONVERTED", "SKIPPED", "FAILED", "NOT_CONVERTIBLE"]
