"""Paddle inference program (legacy .pdmodel + .pdiparams) -> ONNX with paddle2onnx, then onnx's checker."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Iterator

from .errors import ConvertError

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
    from paddle.base.proto import framework_pb2

    program = framework_pb2.ProgramDesc()
    try:
        program.ParseFromString(model_file.read_bytes())
    except Exception as exc:  # protobuf raises its own DecodeError
        raise ExportError(f"{model_file}: not a legacy Paddle program ({exc})") from None
    return tuple(sorted({op.type for block in program.blocks for op in block.ops}))


def fake_quant_ops(op_types: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(op for op in op_types if op.startswith(FAKE_QUANT_PREFIXES) or op in QDQ_OPS)


@contextlib.contextmanager
def _captured_fds() -> Iterator[Path]:
    """Send the C++ libraries' stdout/stderr chatter to a temp file (its path is yielded) for the duration."""
    with tempfile.NamedTemporaryFile("w+b", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
        saved = [os.dup(1), os.dup(2)]
        try:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            yield log_path
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _tail(path: Path, lines: int = 3) -> str:
    text = path.read_text(errors="replace") if path.is_file() else ""
    useful = [ln.strip() for ln in text.splitlines() if ln.strip() and "warn" not in ln.lower()]
    return " / ".join(useful[-lines:]) or "no message"


def export_onnx(model_file: Path, params_file: Path, out_path: Path, *, opset: int = DEFAULT_OPSET) -> ExportResult:
    """Convert one Paddle inference model to ONNX (dynamic dims stay dynamic) and run onnx's full checker.

    Raises ExportError with paddle2onnx's own reason; for PaddleSlim fake-quant programs the message names
    the fake-quant ops found and points to `--quantize int8` as the alternative.
    """
    import onnx
    import paddle2onnx

    ops = program_op_types(model_file)
    quant_ops = fake_quant_ops(ops)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with _captured_fds() as log_path:
        try:
            paddle2onnx.export(
                str(model_file), str(params_file), save_file=str(out_path), opset_version=opset,
                auto_upgrade_opset=True, verbose=False, enable_onnx_checker=True, enable_optimize=True,
                deploy_backend="onnxruntime",
            )
            error = None
        except Exception as exc:  # paddle2onnx raises bare Exceptions / RuntimeErrors
            error = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    detail = _tail(log_path)
    log_path.unlink(missing_ok=True)
    if error is not None or not out_path.is_file() or out_path.stat().st_size == 0:
        reason = error or detail
        if quant_ops:
            raise ExportError(
                f"paddle2onnx {package_version('paddle2onnx')} rejected this PaddleSlim quantised program "
                f"(fake-quant ops: {', '.join(quant_ops)}): {reason}; convert the float model and use --quantize int8"
            )
        raise ExportError(f"paddle2onnx {package_version('paddle2onnx')} failed: {reason}")
    model = onnx.load(str(out_path))
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:
        raise ExportError(f"onnx checker rejected the converted model: {str(exc).splitlines()[0]}") from None
    opset_used = max((imp.version for imp in model.opset_import if imp.domain in ("", "ai.onnx")), default=opset)
    dims = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                 for d in model.graph.input[0].type.tensor_type.shape.dim)
    return ExportResult(out_path, opset_used, converter_versions(opset_used), dims, quant_ops)
