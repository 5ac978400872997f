"""Numerical parity: Paddle Inference and onnxruntime on the same deterministic inputs, several shapes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from onnxocr.errors import first_line, last_line
from onnxocr.core.dictionary import dictionary_carries_space

from convert.errors import ConvertError

PARITY_TOLERANCE = 1e-4  # max |Paddle - ONNX| on noise; ch_PP-OCRv4_rec (SVTR) measures 2.4e-6
# Recognisers with a recurrent layer: 2e-3. The v2.0 ones end in a BiLSTM whose softmax on noise sits at
# near-ties, where two correct float implementations part further: over 10 noise seeds at batch 4 x 960, Paddle
# Inference and onnxruntime differ by up to 8.1e-4 on pt_mobile_v2.0_rec (median 1.8e-4; under 1e-4 on french,
# german, ru, korean, japan), and onnxruntime alone, on one file, by 7e-5 between an AVX2 and an AVX-512 CPU.
# One convolution's weights off by 0.1% already move the output by 4.7e-3 (korean) to 4.3e-2 (pt) at 4 x 320,
# and by 1% by 2.3e-2 or more. 2e-3 sits between the two (docs/models.md).
RECURRENT_PARITY_TOLERANCE = 2e-3
RECURRENT_OPS = frozenset({"LSTM", "GRU", "RNN"})
# PaddleSlim programs are judged on rendered text instead of noise (slim_agreement): an activation a float-rounding
# hair from a rounding tie moves one quantisation step in one engine and not the other, and on noise, whose
# outputs all sit near decision boundaries, such steps add up.
SEED = 20240601


class ParityError(ConvertError):
    """ONNX and Paddle outputs differ by more than the tolerance, or one of them failed to run."""


@dataclass(frozen=True)
class ParityResult:
    max_abs: float  # over every shape and output
    per_shape: tuple[tuple[tuple[int, ...], float], ...]
    output_shapes: tuple[tuple[int, ...], ...]  # first output's shape per input shape
    tolerance: float  # the bound the check held every shape to (inf: recorded, not gated)

    def manifest_fields(self) -> dict:
        """The store manifest's record of this check: shapes, each shape's difference and the bound."""
        return {"parity_shapes": [list(s) for s, _ in self.per_shape], "parity_per_shape": [d for _, d in self.per_shape],
                "parity_tolerance": None if math.isinf(self.tolerance) else self.tolerance}


def effective_input_shape(catalog_shape: tuple[int, ...], exported_dims: tuple[int | str, ...]) -> tuple[int, int, int]:
    """C, H, W the converted model accepts: a dim the program fixes wins over the catalog's value."""
    chw = list(catalog_shape[-3:]) if len(catalog_shape) >= 3 else [3, -1, -1]
    for axis, dim in enumerate(exported_dims[1:4]):
        if isinstance(dim, int) and dim > 0:
            chw[axis] = dim
    return int(chw[0]), int(chw[1]), int(chw[2])


def sample_shapes(task: str, chw: tuple[int, int, int], widened: bool = False) -> list[tuple[int, int, int, int]]:
    """Deterministic NCHW shapes that exercise batch and every dynamic dim; small so parity stays fast.

    `widened`: the program declared a fixed input that the converter freed, so also prove the sizes a fixed
    program never saw: rec widths 100, 320 and 960 at batch 1 and 4, larger det pages, both cls sizes.
    """
    c, h, w = chw
    if widened:
        line = 32 if h < 0 else h
        if task == "rec":
            return [(n, c, line, width) for width in (100, 320, 960) for n in (1, 4)]
        if task == "det":
            return [(1, c, 640, 640), (4, c, 96, 160), (1, c, 320, 960)]
        return [(n, c, hh, ww) for hh, ww in ((48, 192), (32, 100)) for n in (1, 4)]
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


def is_recurrent(onnx_path: Path) -> bool:
    """Whether the ONNX graph holds an LSTM / GRU / RNN node (the v2.0 recognisers' BiLSTM)."""
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    return any(node.op_type in RECURRENT_OPS for node in graph.node)


def parity_tolerance(recurrent: bool) -> float:
    """Largest max |Paddle - ONNX| on noise accepted for a model with / without a recurrent layer."""
    return RECURRENT_PARITY_TOLERANCE if recurrent else PARITY_TOLERANCE


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
    model_file: Path, params_file: Path, onnx_path: Path, shapes: list[tuple[int, ...]], *, tolerance: float | None = None,
    predictor=None,
) -> ParityResult:
    """Run both engines on every shape; raise ParityError if any output differs by more than `tolerance`
    (default: parity_tolerance of the ONNX graph). `predictor`: a ready Paddle predictor (convert/program/pir.py's for
    PIR programs); default: the legacy one."""
    import onnxruntime as ort

    if tolerance is None:
        tolerance = parity_tolerance(is_recurrent(onnx_path))
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
            raise ParityError(f"Paddle Inference failed on input {shape}: {last_line(exc)}") from None
        try:
            actual = session.run(None, {input_name: batch})
        except Exception as exc:
            raise ParityError(f"onnxruntime failed on input {shape}: {first_line(exc)}") from None
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
    return ParityResult(worst, tuple(per_shape), tuple(output_shapes), tolerance)


def expected_class_count(entries: int, use_space_char: bool) -> int:
    """CTC classes: blank + dictionary + (space)."""
    return entries + 1 + (1 if use_space_char else 0)


def check_class_count(output_shape: tuple[int, ...], characters: tuple[str, ...], use_space_char: bool, dictionary: str) -> int:
    """Raise ParityError unless the recogniser's last output dim is the CTC class count for the dictionary.

    As in PaddleOCR, a dictionary whose last entry is already the space needs no appended space class.
    """
    classes = int(output_shape[-1])
    expected = expected_class_count(len(characters), use_space_char)
    if use_space_char and dictionary_carries_space(characters) and classes == expected - 1:
        return classes
    if classes != expected:
        raise ParityError(
            f"recogniser has {classes} classes but dictionary {dictionary} gives {expected} "
            f"({len(characters)} entries + blank{' + space' if use_space_char else ''}): wrong dictionary for this model"
            f"{_count_hint(characters, classes - expected)}"
        )
    return classes


def _count_hint(characters: tuple[str, ...], missing: int) -> str:
    """Where a published dictionary with `missing` too few entries probably merged two characters on one line."""
    merged = [i + 1 for i, c in enumerate(characters) if len(c) > 1]
    if missing > 0 and merged:
        lines = ", ".join(f"{i} ({characters[i - 1]!r})" for i in merged[:4])
        return f"; lines holding more than one character: {lines}: add a `corrections` entry in models.toml"
    return ""


@dataclass(frozen=True)
class SlimAgreement:
    """Paddle Inference (the slim program) vs the rewritten ONNX on rendered text pages / line crops, beside the
    ONNX model against itself when only the float summation order changes (onnxruntime graph optimisations
    off): a quantised model flips activations that sit a rounding hair from a quantisation tie, so two exact
    implementations agree no better than that."""

    max_abs: float  # det: DB map; cls/rec: probabilities
    matched: int  # det: Paddle boxes with an ONNX box at IoU >= 0.9; cls/rec: inputs with the same argmax labels
    total: int
    self_matched: int  # the same count between onnxruntime with and without graph optimisations
    self_total: int
    unit: str  # what `matched` counts

    def describe(self) -> str:
        return (f"slim program vs ONNX on rendered text: {self.matched}/{self.total} {self.unit} (max abs "
                f"{self.max_abs:.2e}); the ONNX model against itself with another float order: "
                f"{self.self_matched}/{self.self_total}")


def _rect_iou(a: np.ndarray, b: np.ndarray) -> float:
    ax0, ay0, ax1, ay1 = a[:, 0].min(), a[:, 1].min(), a[:, 0].max(), a[:, 1].max()
    bx0, by0, bx1, by1 = b[:, 0].min(), b[:, 1].min(), b[:, 0].max(), b[:, 1].max()
    iw, ih = max(0.0, min(ax1, bx1) - max(ax0, bx0)), max(0.0, min(ay1, by1) - max(ay0, by0))
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - iw * ih
    return float(iw * ih / union) if union > 0 else 0.0


def _agreement(task: str, expected: np.ndarray, actual: np.ndarray, postprocess, shape) -> tuple[int, int]:
    if task == "det":
        h, w = shape
        ref, _ = postprocess(expected[0, 0], h, w)
        got, _ = postprocess(actual[0, 0], h, w)
        return sum(any(_rect_iou(r, g) >= 0.9 for g in got) for r in ref), len(ref)
    return int(np.array_equal(expected.argmax(-1), actual.argmax(-1))), 1


def check_slim_agreement(model_file: Path, params_file: Path, onnx_path: Path, task: str,
                         chw: tuple[int, int, int]) -> SlimAgreement:
    """Run Paddle and onnxruntime on convert/graph/quantize.py's rendered text; raise ParityError when the ONNX
    model agrees with the slim program worse than it agrees with itself under another float summation order
    (less a slack of 5% of the boxes/labels, at least one: ties are rare events on a few pages)."""
    import onnxruntime as ort
    from onnxocr.config import DetConfig
    from onnxocr.core.detection import DBPostprocess

    from convert.graph.quantize import calibration_batches

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    plain = ort.SessionOptions()
    plain.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    reordered = ort.InferenceSession(str(onnx_path), plain, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    predictor = _paddle_predictor(model_file, params_file)
    postprocess = DBPostprocess(DetConfig())
    worst, counts = 0.0, np.zeros(4, dtype=int)
    for batch in calibration_batches(task, chw):
        expected = run_paddle(predictor, batch)[0]
        actual = session.run(None, {input_name: batch})[0]
        other = reordered.run(None, {input_name: batch})[0]
        worst = max(worst, float(np.abs(expected.astype(np.float64) - actual).max()))
        counts += (*_agreement(task, expected, actual, postprocess, batch.shape[2:]),
                   *_agreement(task, actual, other, postprocess, batch.shape[2:]))
    matched, total, self_matched, self_total = (int(c) for c in counts)
    unit = "boxes matched at IoU 0.9" if task == "det" else "inputs with equal labels"
    result = SlimAgreement(worst, matched, total, self_matched, self_total, unit)
    slack = max(1, int(0.05 * total))
    if total == 0 or matched / total < self_matched / max(1, self_total) - slack / total:
        raise ParityError(f"{result.describe()}: the rewrite is further from Paddle than float rounding explains")
    return result
