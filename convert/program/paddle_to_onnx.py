"""Paddle inference program (legacy .pdmodel + .pdiparams) -> ONNX with paddle2onnx, then onnx's checker."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path

from onnxocr.errors import first_line
from convert.errors import ConvertError

DEFAULT_OPSET = 14

# Ops PaddleSlim inserts for quantisation-aware training / post-training quantisation (legacy format).
FAKE_QUANT_PREFIXES = ("fake_quantize", "fake_dequantize", "fake_channel_wise", "moving_average_abs_max")
QDQ_OPS = ("quantize_linear", "dequantize_linear")


class ExportError(ConvertError):
    """paddle2onnx could not convert the program, or produced an invalid ONNX model."""


@dataclass(frozen=True)
class ExportResult:
    onnx_path: Path
    opset: int
    converter: str  # e.g. "paddle2onnx 1.3.1; paddlepaddle 3.3.1; opset 14"
    input_dims: tuple[int | str, ...]  # first input, as exported: ints for fixed dims, names for dynamic ones
    fake_quant_ops: tuple[str, ...]


def package_version(name: str) -> str:
    try:
        return importlib_metadata.version(name)
    except importlib_metadata.PackageNotFoundError:
        return "not installed"


def converter_versions(opset: int) -> str:
    return f"paddle2onnx {package_version('paddle2onnx')}; paddlepaddle {package_version('paddlepaddle')}; opset {opset}"


def program_op_types(model_file: Path) -> tuple[str, ...]:
    """The sorted set of op types in a legacy Paddle program (.pdmodel, a ProgramDesc protobuf)."""
    from convert.program.rewrite import ProgramError, read_program

    try:
        program = read_program(model_file)
    except ProgramError as exc:
        raise ExportError(str(exc)) from None
    return tuple(sorted({op.type for block in program.blocks for op in block.ops}))


def fake_quant_ops(op_types: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(op for op in op_types if op.startswith(FAKE_QUANT_PREFIXES) or op in QDQ_OPS)


EXPORT_TIMEOUT_S = 900
_CHILD = (
    "import sys, paddle2onnx\n"
    "model, params, out, opset, optimize = sys.argv[1:6]\n"
    "paddle2onnx.export(model, params, save_file=out, opset_version=int(opset), auto_upgrade_opset=True, "
    "verbose=False, enable_onnx_checker=True, enable_optimize=optimize == '1', deploy_backend='onnxruntime')\n"
)


def _run_paddle2onnx(model_file: Path, params_file: Path, out_path: Path, opset: int, optimize: bool) -> str | None:
    """paddle2onnx in a child process, so that its aborts (SIGABRT on unsupported ops) cannot take this one
    down. Returns None on success, else a one-line reason from its output."""
    import signal
    import subprocess
    import sys

    command = [sys.executable, "-c", _CHILD, str(model_file), str(params_file), str(out_path), str(opset),
               "1" if optimize else "0"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=EXPORT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"paddle2onnx did not finish within {EXPORT_TIMEOUT_S} s"
    if done.returncode == 0:
        return None
    lines = [ln.strip() for ln in (done.stdout + "\n" + done.stderr).splitlines() if ln.strip()]
    unsupported = [ln for ln in lines if "not supported" in ln.lower() or "unsupported" in ln.lower()]
    useful = [ln for ln in lines if "warn" not in ln.lower() and not ln.startswith(("File ", "Traceback"))]
    reason = (unsupported or useful or ["no message"])[-1][:400]
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        return f"paddle2onnx aborted ({name}): {reason}"
    return reason


def export_onnx(model_file: Path, params_file: Path, out_path: Path, *, opset: int = DEFAULT_OPSET,
                keep_names: bool = False) -> ExportResult:
    """Convert one Paddle inference model to ONNX (dynamic dims stay dynamic) and run onnx's full checker.

    `keep_names`: skip paddle2onnx's graph optimiser, which renames tensors, so that every Paddle variable
    keeps its name in the ONNX graph (slim.py places Q/DQ by name).

    Raises ExportError with paddle2onnx's own reason (also when it aborts); for PaddleSlim fake-quant
    programs the message names the fake-quant ops found.
    """
    import onnx

    ops = program_op_types(model_file)
    quant_ops = fake_quant_ops(ops)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    error = _run_paddle2onnx(model_file, params_file, out_path, opset, optimize=not keep_names)
    if error is not None or not out_path.is_file() or out_path.stat().st_size == 0:
        reason = error or "paddle2onnx wrote no model"
        if quant_ops:
            raise ExportError(
                f"paddle2onnx {package_version('paddle2onnx')} rejected this PaddleSlim quantised program "
                f"(fake-quant ops: {', '.join(quant_ops)}): {reason}"
            )
        raise ExportError(f"paddle2onnx {package_version('paddle2onnx')} failed: {reason}")
    model = onnx.load(str(out_path))
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:
        raise ExportError(f"onnx checker rejected the converted model: {first_line(exc)}") from None
    opset_used = max((imp.version for imp in model.opset_import if imp.domain in ("", "ai.onnx")), default=opset)
    dims = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                 for d in model.graph.input[0].type.tensor_type.shape.dim)
    return ExportResult(out_path, opset_used, converter_versions(opset_used), dims, quant_ops)
