"""One model end to end: sources -> Paddle files -> ONNX -> checks -> metadata -> store.

`import` lives in importing.py, the outcome types in outcome.py; both are re-exported here."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from onnxocr.errors import unexpected
from onnxocr.models.catalog import Catalog, ModelEntry
from onnxocr.models.store import ModelStore

from convert.errors import ConvertError
from convert.importing import import_model
from convert.outcome import (CONVERSION_RECIPE, CONVERTED, FAILED, NOT_CONVERTIBLE, SKIPPED, ImportOrigin, Log, Outcome,
                             skipped_outcome)
from convert.graph.metadata import build_metadata, embed_metadata, read_metadata
from convert.graph.optimize import optimize_file
from convert.program.paddle_to_onnx import DEFAULT_OPSET, export_onnx
from convert.checks.parity import check_class_count, check_parity, check_slim_agreement, effective_input_shape, sample_shapes
from convert.program.prepare import prepare_program
from convert.program.slim import insert_activation_qdq
from convert.graph.quantize import int8_name, quantize_int8
from convert.sources.files import Dictionary, dictionary_search_dirs, fetch_dictionary, fetch_model_files


@dataclass(frozen=True)
class ConvertOptions:
    cache_dir: Path
    source_dir: Path | None = None
    force: bool = False
    quantize: str | None = None  # None | "int8"
    opset: int = DEFAULT_OPSET
    dict_dirs: tuple[Path, ...] = ()  # local folders searched for dictionary files first


def _int8_wanted(entry: ModelEntry, options: ConvertOptions) -> str | None:
    """The int8 variant's store name when --quantize int8 asks for one."""
    return int8_name(entry.name) if options.quantize == "int8" else None


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
    skipped = None if options.force else skipped_outcome(entry, store, None, _int8_wanted(entry, options))
    if skipped is not None:
        return skipped
    work_root = options.cache_dir / "work"
    work_root.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=f"{entry.name}-", dir=work_root) as tmp:
            return _convert_in(entry, catalog, store, options, Path(tmp), log)
    except ConvertError as exc:
        return Outcome(entry.name, FAILED, str(exc))
    except Exception as exc:  # a bug or an unexpected library error: report it, keep going with other models
        return Outcome(entry.name, FAILED, unexpected(exc))


def _convert_in(entry: ModelEntry, catalog: Catalog, store: ModelStore, options: ConvertOptions, work: Path, log: Log) -> Outcome:
    files = fetch_model_files(entry, options.cache_dir, work, source_dir=options.source_dir, log=log)
    skipped = None if options.force else skipped_outcome(entry, store, files.file_sha256, _int8_wanted(entry, options))
    if skipped is not None:
        return skipped
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


__all__ = ["Outcome", "ConvertOptions", "ImportOrigin", "convert_model", "import_model", "read_metadata",
           "CONVERTED", "SKIPPED", "FAILED", "NOT_CONVERTIBLE"]
