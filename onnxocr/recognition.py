"""CTC text recognition: batch line crops, run the recogniser, greedy-decode its per-timestep classes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .config import RecConfig
from .crop import aspect_order, fitted_width, resize_normalize_pad
from .dictionary import CharacterSet, fit_character_set
from .engine import OnnxModel, check_input_rank
from .errors import ModelLoadError

_LTR_RUN = re.compile(r"[a-zA-Z0-9 :*./%+-]")
MIN_INPUT_WIDTH = 16  # narrowest recogniser input in "width" batching (the network downsamples width by 4-8)


@dataclass(frozen=True)
class RecognizedText:
    """One line's text, mean character probability, and the CTC timestep of each character."""

    text: str
    score: float
    tokens: tuple[str, ...] = ()
    positions: tuple[int, ...] = ()
    timesteps: int = 0
    input_width: int = 0
    content_width: int = 0
    right_to_left: bool = False
    space_scores: tuple[float, ...] = ()  # per token: the space class's peak probability since the previous token
    words: tuple["Word", ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Word:
    """A word of a line with its horizontal extent in crop pixels (x0, x1)."""

    text: str
    x0: float
    x1: float


def ctc_greedy_decode(
    probs: np.ndarray, classes: tuple[str, ...]
) -> list[tuple[tuple[str, ...], float, tuple[int, ...]]]:
    """Best-path CTC decode of (N, T, C) class probabilities; blank is class 0, repeats collapse.

    Returns per row (tokens, mean probability of the kept timesteps or 0.0, kept timestep indices);
    the text is "".join(tokens).
    """
    probs = np.asarray(probs)
    if probs.ndim != 3:
        raise ValueError(f"expected (N, T, C) probabilities, got shape {probs.shape}")
    best = probs.argmax(axis=2)
    best_prob = np.take_along_axis(probs, best[:, :, None], axis=2)[:, :, 0]
    results = []
    for row, row_prob in zip(best, best_prob):
        keep = row != 0
        keep[1:] &= row[1:] != row[:-1]
        positions = np.flatnonzero(keep)
        tokens = tuple(classes[i] for i in row[positions])
        score = float(np.mean(row_prob[positions])) if len(positions) else 0.0
        if not np.isfinite(score):
            score = 0.0
        results.append((tokens, score, tuple(int(p) for p in positions)))
    return results


def space_scores(probs: np.ndarray, positions: tuple[int, ...], space_index: int) -> tuple[float, ...]:
    """Per kept token, the peak probability of the space class over the timesteps from the previous kept token
    to this one, both included (0.0 for the first token). `probs` is one row's (T, C) class probabilities."""
    if not positions:
        return ()
    space = np.asarray(probs)[:, space_index]
    if len(positions) == 1:
        return (0.0,)
    starts = np.asarray(positions, dtype=np.intp)
    # positions increase strictly: reduceat takes each [start, next start) run, the next token's own step is added
    peaks = np.maximum(np.maximum.reduceat(space[: starts[-1]], starts[:-1]), space[starts[1:]])
    return (0.0, *peaks.tolist())


def reverse_right_to_left(text: str) -> str:
    """Put model output of right-to-left scripts in logical order, keeping runs of Latin/digits intact."""
    segments: list[str] = []
    run = ""
    for char in text:
        if _LTR_RUN.match(char):
            run += char
            continue
        if run:
            segments.append(run)
            run = ""
        segments.append(char)
    if run:
        segments.append(run)
    return "".join(reversed(segments))


def model_line_height(model: OnnxModel, config: RecConfig, declared: int | None) -> int:
    """Input height: explicit config, else the model's fixed input height, else metadata/catalog, else 48."""
    if config.image_height:
        return int(config.image_height)
    fixed = model.fixed_dim(2)
    if fixed:
        return fixed
    shape = model.metadata.get("onnxocr.input_shape", "")
    parts = [p.strip() for p in shape.split(",")]
    if len(parts) == 3 and parts[1].lstrip("-").isdigit() and int(parts[1]) > 0:
        return int(parts[1])
    return declared or 48


class TextRecognizer:
    """CTC recogniser on an onnxruntime session: BGR line crops -> RecognizedText, batches sorted by width."""

    def __init__(
        self,
        model: OnnxModel,
        config: RecConfig,
        characters: list[str],
        characters_source: str,
        declared_height: int | None = None,
    ) -> None:
        check_input_rank(model)
        out = model.output_shape
        if len(out) != 3:
            raise ModelLoadError(
                f"rec model {model.path} outputs shape {out}, not (batch, time, classes): is it a CTC recogniser? "
                "(pass detectors with --det-model, classifiers with --cls-model)"
            )
        self.model = model
        self.config = config
        self.height = model_line_height(model, config, declared_height)
        self.fixed_width = model.fixed_dim(3)
        num_classes = out[2] if isinstance(out[2], int) and out[2] > 0 else self._probe_num_classes()
        self.charset: CharacterSet = fit_character_set(characters, num_classes, characters_source, model.path)

    def _probe_num_classes(self) -> int:
        """Class count of a model whose output shape is symbolic: run one blank line through it."""
        width = self.fixed_width or self.config.image_width
        probs, _ = self.model.run(np.zeros((1, 3, self.height, width), dtype=np.float32))
        return int(probs.shape[-1])

    def batch_width(self, crops: list[np.ndarray]) -> int:
        """PaddleOCR's input width for one batch: the widest aspect ratio, at least image_width's, or the fixed width."""
        if self.fixed_width:
            return self.fixed_width
        max_ratio = self.config.image_width / self.height
        for crop in crops:
            max_ratio = max(max_ratio, crop.shape[1] / float(crop.shape[0]))
        return int(self.height * max_ratio)

    def plan_batches(self, crops: list[np.ndarray]) -> list[tuple[np.ndarray, int]]:
        """Group crops (sorted by aspect ratio) into (indices, input width) batches.

        "paddle": PaddleOCR's batches of batch_size, padded to the widest crop and at least image_width.
        "width": each crop near its own width; a batch grows while widths stay within bucket_slack of its first.
        """
        order = aspect_order(crops)
        size = max(1, int(self.config.batch_size))
        if self.fixed_width or self.config.batch_mode == "paddle":
            groups = [order[s : s + size] for s in range(0, len(order), size)]
            return [(g, self.batch_width([crops[i] for i in g])) for g in groups]
        widths = np.array([max(fitted_width(c.shape[0], c.shape[1], self.height), MIN_INPUT_WIDTH) for c in crops])
        batches: list[tuple[np.ndarray, int]] = []
        start = 0
        for end in range(1, len(order) + 1):
            if end == len(order) or end - start == size or widths[order[end]] > widths[order[start]] * (1 + self.config.bucket_slack):
                group = order[start:end]
                batches.append((group, int(widths[group].max())))
                start = end
        return batches

    def __call__(self, crops: list[np.ndarray]) -> tuple[list[RecognizedText], float]:
        """Recognise BGR uint8 line crops; returns results in input order and seconds spent in onnxruntime."""
        results: list[RecognizedText | None] = [None] * len(crops)
        seconds = 0.0
        for idx, width in self.plan_batches(crops):
            group = [crops[i] for i in idx]
            batch = np.stack([resize_normalize_pad(c, self.height, width) for c in group])
            probs, spent = self.model.run(batch)
            seconds += spent
            if probs.shape[2] != len(self.charset.classes):
                raise ModelLoadError(
                    f"rec model {self.model.path} produced {probs.shape[2]} classes, dictionary has "
                    f"{len(self.charset.classes)}: pass the matching dictionary"
                )
            decoded = ctc_greedy_decode(probs, self.charset.classes)
            for row, (i, crop, (tokens, score, positions)) in enumerate(zip(idx, group, decoded)):
                text = "".join(tokens)
                if self.charset.right_to_left:
                    text = reverse_right_to_left(text)
                content = fitted_width(crop.shape[0], crop.shape[1], self.height, width)
                results[i] = RecognizedText(
                    text=text,
                    score=score,
                    tokens=tokens,
                    positions=positions,
                    timesteps=int(probs.shape[1]),
                    input_width=width,
                    content_width=content,
                    right_to_left=self.charset.right_to_left,
                    space_scores=space_scores(probs[row], positions, len(self.charset.classes) - 1) if self.charset.has_space else (),
                )
        return [r for r in results if r is not None], seconds
