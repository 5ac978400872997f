"""Numerical parity: Paddle Inference and onnxruntime on the same deterministic inputs, several shapes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConvertError

PARITY_TOLERANCE = 1e-4
SEED = 20240601


class ParityError(ConvertError):
    """ONNX and Paddle outputs differ by more than the tolerance, or one of them failed to run."""


@dataclass(frozen=True)
class ParityResult:
    max_abs: float  # over every shape and output
    per_shape: tuple[tuple[tuple[int, ...], float], ...]
    output_shapes: tuple[tuple[int, ...], ...]  # first output's shape per input shape


def effective_input_shape(catalog_shape: tuple[int, ...], exported_dims: tuple[int | str, ...]) -> tuple[int, int, int]:
    """C, H, W the converted model accepts: a dim the program fixes wins over the catalog's value."""
    chw = list(catalog_shape[-3:]) if len(catalog_shape) >= 3 else [3, -1, -1]
    for axis, dim in enumerate(exported_dims[1:4]):
        if isinstance(dim, int) and dim > 0:
            chw[axis] = dim
    return int(chw[0]), int(chw[1]), int(chw[2])


def sample_shapes(task: str, chw: tuple[int, int, int]) -> list[tuple[int, int, int, int]]:
    """Deterministic NCHW shapes that exercise batch and every dynamic dim; small so parity stays fast."""
    c, h, w = chw
    if task == "det":
        sizes = [(64, 64), (96, 160), (160, 96)]
        batches = [1, 1, 2]
    elif task == "rec":
        sizes = [(32 if h < 0 else h, width) for width in (80, 160, 320)]
        batches = [1, 2, 1]
    else:
        sizes = [(48 if h < 0 else h, width) for width in (192, 160)]
        batches = [1, 3]
    shapes = []
    for (sh, sw), n in zip(sizes, batches):
        shapes.append((n, c, sh if h < 0 else h, sw if w < 0 else w))
    return list(dict.fromkeys(shapes))


def deterministic_input(shape: tuple[int, ...], index: int) -> np.ndarray:
    """Normalised-image-like values in [-1, 1] from a fixed seed."""
    rng = np.random.default_rng(SEED + index)
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def _paddle_predictor(model_file: Path, params_file: Path):
    import paddle.inference as paddle_infer

    config = paddle_infer.Config(str(model_file), str(params_file))
    config.disable_gpu()
    config.switch_ir_optim(False)  # run the program as written, not a fused variant
    config.disable_glog_info()
    config.set_cpu_math_library_num_threads(1)
    return paddle_infer.create_predictor(config)


def run_paddle(predictor, batch: np.ndarray) -> list[np.ndarray]:
    handle = predictor.get_input_handle(predictor.get_input_names()[0])
    handle.reshape(list(batch.shape))
    handle.copy_from_cpu(batch)
    predictor.run()
    return [predictor.get_output_handle(name).copy_to_cpu() for name in predictor.get_output_names()]


def check_parity(
    model_file: Path, params_file: Path, onnx_path: Path, shapes: list[tuple[int, ...]], *, tolerance: float = PARITY_TOLERANCE,
    predictor=None,
) -> ParityResult:
    """Run both engines on every shape; raise ParityError if any output differs by more than `tolerance`.
    `predictor`: a ready Paddle predictor (convert/pir.py's for PIR programs); default: the legacy one."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    predictor = predictor or _paddle_predictor(model_file, params_file)
    per_shape, output_shapes, worst = [], [], 0.0
    for index, shape in enumerate(shapes):
        batch = deterministic_input(shape, index)
        try:
            expected = run_paddle(predictor, batch)
        except Exception as exc:
            raise ParityError(f"Paddle Inference failed on input {shape}: {str(exc).strip().splitlines()[-1]}") from None
        try:
            actual = session.run(None, {input_name: batch})
        except Exception as exc:
            raise ParityError(f"onnxruntime failed on input {shape}: {str(exc).strip().splitlines()[0]}") from None
        if len(expected) != len(actual):
            raise ParityError(f"Paddle gives {len(expected)} outputs, ONNX {len(actual)}")
        diff = 0.0
        for ref, got in zip(expected, actual):
            if ref.shape != got.shape:
                raise ParityError(f"output shape differs on input {shape}: Paddle {ref.shape}, ONNX {got.shape}")
            diff = max(diff, float(np.max(np.abs(ref.astype(np.float64) - got.astype(np.float64)))) if ref.size else 0.0)
        per_shape.append((tuple(shape), diff))
        output_shapes.append(tuple(actual[0].shape))
        worst = max(worst, diff)
        if not diff <= tolerance:
            raise ParityError(f"max |Paddle - ONNX| = {diff:.3g} on input {shape}, above the tolerance {tolerance:g}")
    return ParityResult(worst, tuple(per_shape), tuple(output_shapes))


def expected_class_count(dictionary_lines: int, use_space_char: bool) -> int:
    """CTC classes: blank + dictionary + (space)."""
    return dictionary_lines + 1 + (1 if use_space_char else 0)


def check_class_count(output_shape: tuple[int, ...], dictionary_lines: int, use_space_char: bool, dictionary: str) -> int:
    """Raise ParityError unless the recogniser's last output dim is the CTC class count for the dictionary."""
    classes = int(output_shape[-1])
    expected = expected_class_count(dictionary_lines, use_space_char)
    if classes != expected:
        raise ParityError(
            f"recogniser has {classes} classes but dictionary {dictionary} gives {expected} "
            f"({dictionary_lines} lines + blank{' + space' if use_space_char else ''}): wrong dictionary for this model"
        )
    return classes
