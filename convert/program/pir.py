"""PaddleX 3.x inference models (PIR program: inference.json + inference.pdiparams + inference.yml) -> ONNX.

The converter is `p2o` (PyPI, a Rust binary; needs no Paddle). paddle2onnx 2.1.0 was measured too, on the same
self-built nets (tests/convert/build_pir_nets.py; figures in docs/accuracy.md) -- see PIR_CONVERTER_NOTE.
p2o 0.1.2 writes ConvTranspose with an *empty* `output_shape` attribute, which onnxruntime rejects; an empty
attribute means "not given", so dropping it is exact (`repair_empty_attributes`).

Parity runs Paddle Inference on the PIR program with oneDNN off: Paddle 3.3.1's oneDNN instructions cannot run
an interpolation whose scale is an array attribute ("ConvertPirAttribute2RuntimeAttribute not support").
inference.yml supplies the preprocessing facts and, for recognisers, the dictionary (PostProcess.character_dict).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from onnxocr.errors import first_line
from onnxocr.models.catalog import MODEL_OWN_DICTIONARY, Catalog, ModelEntry
from onnxocr.models.store import ModelStore

from convert.errors import ConvertError
from convert.program.paddle_to_onnx import ExportError, package_version

Log = Callable[[str], None]
PIR_MODEL_FILE = "inference.json"
PIR_PARAMS_FILE = "inference.pdiparams"
PIR_YML_FILE = "inference.yml"
PIR_OPSET = 17
P2O_TIMEOUT_S = 600


@dataclass(frozen=True)
class PirExport:
    onnx_path: Path
    converter: str
    input_dims: tuple[int | str, ...]
    repaired: int  # empty attributes dropped


def pir_op_types(model_file: Path) -> tuple[str, ...]:
    """Sorted op names of a PIR program (inference.json): each op's "#" id, e.g. "1.conv2d" -> "conv2d"
    (the prefix numbers the dialect: 0 builtin, 1 pd_op)."""
    import json

    try:
        program = json.loads(model_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"{model_file}: not a PIR program ({exc})") from None
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for op in node.get("ops", []) if isinstance(node.get("ops"), list) else []:
                if isinstance(op, dict) and isinstance(op.get("#"), str):
                    names.add(op["#"].split(".", 1)[-1])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(program.get("program", {}))
    return tuple(sorted(names))


def p2o_binary() -> str:
    """The `p2o` executable of this interpreter's environment (or PATH)."""
    beside = Path(sys.executable).parent / "p2o"
    found = str(beside) if beside.is_file() else shutil.which("p2o")
    if not found:
        raise ExportError("p2o is not installed: run `make install-convert` (convert/requirements.txt pins it)")
    return found


def repair_empty_attributes(model) -> int:
    """Drop ConvTranspose `output_shape` / `output_padding` attributes that hold no values (p2o 0.1.2 writes
    them; ONNX says an absent attribute means "infer it", which is what an empty one meant). Returns the count."""
    dropped = 0
    for node in model.graph.node:
        if node.op_type != "ConvTranspose":
            continue
        keep = [a for a in node.attribute if not (a.name in ("output_shape", "output_padding") and not a.ints)]
        dropped += len(node.attribute) - len(keep)
        del node.attribute[:]
        node.attribute.extend(keep)
    return dropped


def name_dynamic_dims(model) -> int:
    """Give the graph input's / outputs' unnamed dynamic dims names (p2o leaves them blank): input N, C, H, W;
    outputs <output>_d<axis>. Metadata only: shapes and values are unchanged. Returns the count named."""
    named = 0
    for values, labels in ((model.graph.input[:1], ("N", "C", "H", "W")), (model.graph.output, ())):
        for value in values:
            for axis, dim in enumerate(value.type.tensor_type.shape.dim):
                if not dim.HasField("dim_value") and not dim.dim_param:
                    dim.dim_param = labels[axis] if axis < len(labels) else f"{value.name}_d{axis}"
                    named += 1
    return named


def export_pir(folder: Path, out_path: Path, *, opset: int = PIR_OPSET) -> PirExport:
    """Convert one PIR inference model with p2o, repair, and run onnx's full checker."""
    import onnx

    model_file, params_file = folder / PIR_MODEL_FILE, folder / PIR_PARAMS_FILE
    for path in (model_file, params_file):
        if not path.is_file():
            raise ExportError(f"{folder}: has no {path.name} (not a PaddleX PIR inference model)")
    command = [p2o_binary(), str(model_file), str(params_file), str(out_path), "--opset", str(opset)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=P2O_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ExportError(f"p2o took over {P2O_TIMEOUT_S} s on {folder}") from None
    if result.returncode != 0 or not out_path.is_file():
        lines = [ln.strip() for ln in (result.stderr + result.stdout).splitlines() if ln.strip()]
        raise ExportError(f"p2o {package_version('p2o')} failed on {folder}: {lines[-1] if lines else result.returncode}")
    model = onnx.load(str(out_path))
    repaired = repair_empty_attributes(model)
    name_dynamic_dims(model)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:
        raise ExportError(f"onnx checker rejected p2o's model: {first_line(exc)}") from None
    onnx.save(model, str(out_path))
    dims = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                 for d in model.graph.input[0].type.tensor_type.shape.dim)
    opset_used = max((imp.version for imp in model.opset_import if imp.domain in ("", "ai.onnx")), default=opset)
    converter = f"p2o {package_version('p2o')}; opset {opset_used}"
    return PirExport(out_path, converter, dims, repaired)


def pir_predictor(model_file: Path, params_file: Path):
    """Paddle Inference on a PIR program as written (no IR passes, one thread, oneDNN off: see the module doc)."""
    import paddle.inference as paddle_infer

    config = paddle_infer.Config(str(model_file), str(params_file))
    config.disable_gpu()
    config.disable_mkldnn()
    config.switch_ir_optim(False)
    config.disable_glog_info()
    config.set_cpu_math_library_num_threads(1)
    return paddle_infer.create_predictor(config)


# ------------------------------------------------------------------------------------------- inference.yml

def _ops(section: Any) -> dict[str, Any]:
    """PaddleX's `transform_ops` list ([{Name: {args} | None}, ...]) as {Name: args or {}}."""
    ops: dict[str, Any] = {}
    for item in (section or {}).get("transform_ops", []) or []:
        if isinstance(item, dict):
            for name, args in item.items():
                ops[name] = args or {}
    return ops


def read_inference_yml(path: Path, task: str) -> tuple[dict[str, Any], tuple[str, ...] | None]:
    """(preprocess facts, dictionary lines or None) from a PaddleX inference.yml; absent keys are left out."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConvertError(f"{path}: not a readable inference.yml ({first_line(exc)})") from None
    pre = _ops(doc.get("PreProcess"))
    post = doc.get("PostProcess") or {}
    facts: dict[str, Any] = {}
    if task == "det":
        resize = pre.get("DetResizeForTest", {})
        for key in ("limit_side_len", "limit_type", "max_side_limit"):
            if key in resize:
                facts[key] = resize[key]
        norm = pre.get("NormalizeImage", {})
        for key in ("mean", "std"):
            if key in norm:
                facts[key] = [float(v) for v in norm[key]]
        for key in ("thresh", "box_thresh", "unclip_ratio", "max_candidates", "use_dilation"):
            if key in post:
                facts[key] = post[key]
    elif task == "rec":
        shape = pre.get("RecResizeImg", {}).get("image_shape")
        if shape:
            facts["image_shape"] = [int(v) for v in shape]
    chars = post.get("character_dict") if task == "rec" else None
    return facts, (tuple(str(c) for c in chars) if chars else None)


# ------------------------------------------------------------------------------------------- one model

def install_pir_model(entry: ModelEntry, catalog: Catalog, store: ModelStore, folder: Path, source: str,
                      source_sha256: str | None, options, work: Path, log: Log):
    """Convert a PIR model folder, prove parity against Paddle Inference, embed metadata, install it."""
    import dataclasses

    from convert.sources.fetch import sha256_bytes, sha256_of
    from convert.graph.metadata import build_metadata, embed_metadata
    from convert.graph.optimize import optimize_file
    from convert.checks.parity import check_class_count, check_parity, effective_input_shape, sample_shapes
    from convert.outcome import CONVERSION_RECIPE, CONVERTED, Outcome
    from convert.sources.files import Dictionary, dictionary_search_dirs, fetch_dictionary

    yml = folder / PIR_YML_FILE
    facts, yml_chars = read_inference_yml(yml, entry.task) if yml.is_file() else ({}, None)
    # the catalog row's values are the measured choices; the yml fills in what the row does not say
    entry = dataclasses.replace(entry, preprocess={**facts, **dict(entry.preprocess)})
    dictionary = None
    if entry.task == "rec":
        if entry.dictionary == MODEL_OWN_DICTIONARY:
            if not yml_chars:
                raise ConvertError(f"{entry.name}: {yml} has no PostProcess.character_dict and the catalog pins none")
            text = ("\n".join(yml_chars) + "\n").encode("utf-8")
            dictionary = Dictionary("inference.yml", yml_chars, f"{source}:inference.yml", sha256_bytes(text))
        else:
            dictionary = fetch_dictionary(catalog.dictionaries[entry.dictionary], options.cache_dir, log,
                                          dictionary_search_dirs(options.source_dir, options.dict_dirs))
            if yml_chars and tuple(yml_chars) != tuple(dictionary.characters):
                raise ConvertError(f"{entry.name}: inference.yml's character_dict differs from the catalog's "
                                   f"{dictionary.name}: fix the catalog row")
    files = {name: sha256_of(folder / name) for name in (PIR_MODEL_FILE, PIR_PARAMS_FILE)}
    for name, expected in entry.files.items():
        if name in files and files[name] != expected:
            raise ConvertError(f"{source}: {name} sha256 {files[name][:16]}... does not match the catalog's {expected[:16]}...")
    onnx_path = work / f"{entry.name}.onnx"
    exported = export_pir(folder, onnx_path)
    folded = optimize_file(onnx_path)
    chw = effective_input_shape(entry.input_shape, exported.input_dims)
    parity = check_parity(folder / PIR_MODEL_FILE, folder / PIR_PARAMS_FILE, onnx_path, sample_shapes(entry.task, chw),
                          predictor=pir_predictor(folder / PIR_MODEL_FILE, folder / PIR_PARAMS_FILE))
    if dictionary is not None:
        check_class_count(parity.output_shapes[0], dictionary.characters, entry.use_space_char, dictionary.name)
    passes = folded.describe() + (f"; repair_empty_attributes: {exported.repaired}" if exported.repaired else "")
    props = build_metadata(entry, input_shape=chw, characters=dictionary.characters if dictionary else None,
                           source=source, source_sha256=source_sha256, converter=exported.converter,
                           parity_max_abs=parity.max_abs, graph_passes=passes)
    embed_metadata(onnx_path, props)
    store.install(entry.name, onnx_path, {
        "task": entry.task, "arch_version": entry.arch_version, "input_shape": list(chw),
        "parity_max_abs": parity.max_abs, **parity.manifest_fields(),
        "source": source, "source_sha256": source_sha256, "source_files": files, "source_verified": bool(entry.files),
        "converter": exported.converter, "graph_passes": passes, "recipe": CONVERSION_RECIPE,
        "dictionary": dictionary.name if dictionary else None, "dictionary_sha256": dictionary.sha256 if dictionary else None,
        "preprocess": dict(entry.preprocess), "notes": [],
    })
    return Outcome(entry.name, CONVERTED, f"parity {parity.max_abs:.2e} from {source} (PIR, {exported.converter})",
                   parity.max_abs)
