"""`convert import`: register an existing ONNX conversion with the same metadata and checks (no Paddle parity)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from onnxocr.errors import first_line
from onnxocr.models.catalog import Catalog, ModelEntry
from onnxocr.models.store import ModelStore

from convert.checks.contract import check_input_contract, check_output_contract
from convert.checks.parity import PARITY_TOLERANCE, check_class_count, effective_input_shape, sample_shapes
from convert.errors import ConvertError
from convert.graph.metadata import build_metadata, embed_metadata
from convert.graph.optimize import optimize_file
from convert.outcome import CONVERSION_RECIPE, CONVERTED, FAILED, ImportOrigin, Log, Outcome
from convert.sources.fetch import sha256_of
from convert.sources.files import Dictionary, checked_dictionary, fetch_dictionary, load_dictionary_file


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

    Before anything is written, the file must run on the parity shapes with finite outputs that meet its task's
    contract (convert/checks/contract.py: a det model gives N x 1 x H x W probabilities, and so on), and a
    recogniser's class count must match its dictionary; otherwise the outcome is FAILED with a one-line reason
    and the store is left as it was.

    `origin` names where a catalog row's ONNX file came from (a wheel member; see convert/sources/onnx_rows.py)."""
    try:
        with tempfile.TemporaryDirectory(prefix="import-", dir=_ensure(cache_dir / "work")) as tmp:
            return _import_in(onnx_file, name, catalog, store, dictionary_arg, task, cache_dir, Path(tmp), log, origin)
    except ConvertError as exc:
        return Outcome(name, FAILED, str(exc))


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


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
        raise ConvertError(f"{onnx_file}: not a valid ONNX model ({first_line(exc)})") from None
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
    hint = _task_hint(name, entry.task, catalog, origin)
    check_input_contract(onnx_file.name, entry.task, dims, hint)
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
                               f"({first_line(exc)}): is --name/--task right?") from None
        if not np.all(np.isfinite(output)):
            raise ConvertError(f"{onnx_file}: produces non-finite values on input {shape}")
        check_output_contract(onnx_file.name, entry.task, shape, output, hint)
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


def _task_hint(name: str, task: str, catalog: Catalog, origin: ImportOrigin | None) -> str:
    """What to do when the file is not a `task` model: where that task came from decides what to change."""
    if origin is not None:
        return f"check the catalog row {name} (task {task}) and its source {origin.source}"
    if name in catalog.models:
        return f"the catalog lists {name} as a {task} model: pass the right file or another --name"
    return "pass --task det|cls|rec|ori for what it is"


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
