"""CTC text recognition: batch line crops, run the recogniser, greedy-decode its per-timestep classes."""

from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from onnxocr.config import PADDLE_REC_BATCH_SIZE, RecConfig
from onnxocr.core.crop import aspect_order, fitted_width, ink_columns, line_pieces, resize_normalize_pad
from onnxocr.core.dictionary import CharacterSet, fit_character_set
from onnxocr.core.engine import OnnxModel, check_input_rank
from onnxocr.errors import ModelLoadError

_LTR_RUN = re.compile(r"[a-zA-Z0-9 :*./%+-]")
MIN_INPUT_WIDTH = 16  # narrowest recogniser input in "width" batching (the network downsamples width by 4-8)
MAX_LINE_PIECES = 8  # a line longer than this many max_width pieces is squeezed to fit (only absurd aspect ratios)


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


def busy_seconds(spans: list[tuple[float, float]]) -> float:
    """Length of the union of (start, end) intervals: wall time during which at least one run was in flight."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


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
        workers: int = 1,
    ) -> None:
        """`workers` > 1 runs that many batches at once from a thread pool; the session should then have one
        intra-op thread (the workers are the parallelism)."""
        check_input_rank(model)
        out = model.output_shape
        if len(out) != 3:
            raise ModelLoadError(
                f"rec model {model.path} outputs shape {out}, not (batch, time, classes): is it a CTC recogniser? "
                "(pass detectors with --det-model, classifiers with --cls-model)"
            )
        fixed_height, fixed_batch = model.fixed_dim(2), model.batch_limit()
        if fixed_height and config.image_height and int(config.image_height) != fixed_height:
            raise ModelLoadError(
                f"rec model {model.path} has a fixed input height of {fixed_height} px but rec_image_height is "
                f"{config.image_height}: drop rec_image_height or pass {fixed_height}"
            )
        self.model = model
        self.config = config
        self.height = model_line_height(model, config, declared_height)
        self.fixed_width = model.fixed_dim(3)
        self.workers = max(1, int(workers))
        if fixed_batch == 1:
            self.batch_size = 1
        else:  # None: PaddleOCR's 6 (the pipeline resolves it per device, see pipeline.recognizer_batch_size)
            self.batch_size = max(1, int(config.batch_size or PADDLE_REC_BATCH_SIZE))
        # widest input: a fixed width is honoured as it is (crops are squeezed into it, as PaddleOCR does)
        self.max_width = self.fixed_width or max(int(config.max_width), MIN_INPUT_WIDTH)
        num_classes = out[2] if isinstance(out[2], int) and out[2] > 0 else self._probe_num_classes()
        self.charset: CharacterSet = fit_character_set(characters, num_classes, characters_source, model.path)
        self._pool_lock = threading.Lock()
        self._pool_owner: tuple[int, ThreadPoolExecutor] | None = None

    def _pool(self) -> ThreadPoolExecutor:
        """The worker threads, made on first use in this process (a forked child makes its own)."""
        with self._pool_lock:
            if self._pool_owner is None or self._pool_owner[0] != os.getpid():
                pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="onnxocr-rec")
                self._pool_owner = (os.getpid(), pool)
            return self._pool_owner[1]

    def _probe_num_classes(self) -> int:
        """Class count of a model whose output shape is symbolic: run one blank line through it."""
        width = self.fixed_width or self.config.image_width
        probs, _ = self.model.run(np.zeros((1, 3, self.height, width), dtype=np.float32))
        return int(probs.shape[-1])

    def batch_width(self, crops: list[np.ndarray]) -> int:
        """PaddleOCR's input width for one batch: the widest aspect ratio, at least image_width's, or the fixed
        width; never above max_width."""
        if self.fixed_width:
            return self.fixed_width
        max_ratio = self.config.image_width / self.height
        for crop in crops:
            max_ratio = max(max_ratio, crop.shape[1] / float(crop.shape[0]))
        return min(int(self.height * max_ratio), self.max_width)

    def plan_batches(self, crops: list[np.ndarray]) -> list[tuple[np.ndarray, int]]:
        """Group crops (sorted by aspect ratio) into (indices, input width) batches.

        "paddle": PaddleOCR's batches of batch_size, padded to the widest crop and at least image_width.
        "width": each crop near its own width; a batch grows while widths stay within bucket_slack of its first.
        Either way a batch of more than batch_max_pixels input pixels is split (the narrow end first).
        """
        order = aspect_order(crops)
        size = self.batch_size
        if self.fixed_width or self.config.batch_mode == "paddle":
            groups = [order[s : s + size] for s in range(0, len(order), size)]
            planned = [(g, self.batch_width([crops[i] for i in g])) for g in groups]
        else:
            widths = np.array(
                [min(max(fitted_width(c.shape[0], c.shape[1], self.height), MIN_INPUT_WIDTH), self.max_width) for c in crops]
            )
            planned = []
            start = 0
            for end in range(1, len(order) + 1):
                if end == len(order) or end - start == size or widths[order[end]] > widths[order[start]] * (1 + self.config.bucket_slack):
                    group = order[start:end]
                    planned.append((group, int(widths[group].max())))
                    start = end
        return [part for group, width in planned for part in self._split_by_pixels(group, width, crops)]

    def _split_by_pixels(self, group: np.ndarray, width: int, crops: list[np.ndarray]) -> list[tuple[np.ndarray, int]]:
        """A batch as it is, or cut into runs whose N x H x W stays within batch_max_pixels (each run re-sized)."""
        budget = max(int(self.config.batch_max_pixels), self.height * self.max_width)
        if len(group) * self.height * width <= budget:
            return [(group, width)]
        per_batch = max(1, budget // (self.height * width))
        parts = [group[s : s + per_batch] for s in range(0, len(group), per_batch)]
        if self.fixed_width or self.config.batch_mode == "paddle":
            return [(p, self.batch_width([crops[i] for i in p])) for p in parts]
        return [(p, width) for p in parts]

    def _pieces(self, crop: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]], float]:
        """(crop, squeezed when absurdly long; its column pieces that each fit max_width; original/used width)."""
        if self.fixed_width:
            return crop, [(0, crop.shape[1])], 1.0
        piece_px = max(int(self.max_width * crop.shape[0] / self.height), 1)  # crop columns that fill max_width
        scale = 1.0
        if crop.shape[1] > piece_px * MAX_LINE_PIECES:
            squeezed = piece_px * MAX_LINE_PIECES
            scale = crop.shape[1] / squeezed
            crop = cv2.resize(crop, (squeezed, crop.shape[0]), interpolation=cv2.INTER_AREA)
        return crop, line_pieces(crop, piece_px, MAX_LINE_PIECES), scale

    def __call__(self, crops: list[np.ndarray]) -> tuple[list[RecognizedText], float]:
        """Recognise BGR uint8 line crops; returns results in input order and seconds spent in onnxruntime.

        A crop wider than max_width (at model height) is recognised in pieces cut at ink-free columns, and their
        results are joined into one (positions then count crop pixels: timesteps = input_width = crop width).
        """
        pieces: list[np.ndarray] = []
        owners: list[tuple[int, tuple[int, int], float]] = []  # per piece: crop index, columns, squeeze factor
        for i, crop in enumerate(crops):
            used, ranges, scale = self._pieces(crop)
            for x0, x1 in ranges:
                pieces.append(used[:, x0:x1] if len(ranges) > 1 else used)
                owners.append((i, (x0, x1), scale))
        if len(pieces) == len(crops):
            return self._recognize(crops)
        texts, seconds = self._recognize(pieces)
        merged: list[RecognizedText] = []
        for i, crop in enumerate(crops):
            parts = [(texts[k], owners[k][1], owners[k][2], pieces[k]) for k in range(len(pieces)) if owners[k][0] == i]
            merged.append(parts[0][0] if len(parts) == 1 else self._join(parts, crop))
        return merged, seconds

    def _join(self, parts: list, crop: np.ndarray) -> RecognizedText:
        """One result for a crop recognised in pieces: tokens in order, positions in crop pixels, a space token
        where a cut lay in an ink-free run at least space_gap_ratio x crop height wide."""
        crop_h, crop_w = crop.shape[:2]
        tokens: list[str] = []
        positions: list[int] = []
        spaces: list[float] = []
        texts: list[str] = []
        weighted, count = 0.0, 0
        blank = ~ink_columns(crop)
        for n, (rec, (x0, x1), scale, piece) in enumerate(parts):
            if n:
                cut = int(x0 * scale)
                left = cut - 1
                while left >= 0 and blank[left]:
                    left -= 1
                right = cut
                while right < crop_w and blank[right]:
                    right += 1
                if right - left - 1 >= self.config.space_gap_ratio * crop_h and tokens and rec.tokens:
                    tokens.append(" ")
                    positions.append(max(cut, positions[-1] + 1 if positions else 0))
                    spaces.append(0.0)
                    texts.append(" ")
            step = rec.input_width / rec.timesteps * piece.shape[1] / rec.content_width if rec.timesteps and rec.content_width else 0.0
            for j, (token, position) in enumerate(zip(rec.tokens, rec.positions)):
                column = int((x0 + (position + 0.5) * step) * scale)
                positions.append(max(column, positions[-1] + 1 if positions else 0))
                tokens.append(token)
                spaces.append(rec.space_scores[j] if rec.space_scores and j else 0.0)
            texts.append(rec.text)
            weighted += rec.score * len(rec.tokens)
            count += len(rec.tokens)
        right_to_left = parts[0][0].right_to_left
        return RecognizedText(
            text="".join(reversed(texts) if right_to_left else texts),
            score=weighted / count if count else 0.0,
            tokens=tuple(tokens),
            positions=tuple(positions),
            timesteps=crop_w,  # one "timestep" per crop column: recover_spaces then maps positions 1:1
            input_width=crop_w,
            content_width=crop_w,
            right_to_left=right_to_left,
            space_scores=tuple(spaces) if self.charset.has_space else (),
        )

    def give_back_memory(self) -> float:
        """Return the CPU arena's free memory to the system (OnnxModel.give_back_memory on a one-column blank
        line): the pipeline calls it after a large page (TextDetector.gives_back_memory). Seconds in onnxruntime."""
        return self.model.give_back_memory((1, 3, self.height, self.fixed_width or MIN_INPUT_WIDTH))

    def _recognize(self, crops: list[np.ndarray]) -> tuple[list[RecognizedText], float]:
        results: list[RecognizedText | None] = [None] * len(crops)
        plan = self.plan_batches(crops)
        if self.workers > 1 and len(plan) > 1:
            # largest batches first, each to whichever worker is free: the last ones to finish are the small ones
            order = sorted(range(len(plan)), key=lambda k: -len(plan[k][0]) * plan[k][1])
            spans = list(self._pool().map(lambda k: self._run_batch(crops, *plan[k], results), order))
        else:
            spans = [self._run_batch(crops, idx, width, results) for idx, width in plan]
        return [r for r in results if r is not None], busy_seconds(spans)

    def _run_batch(self, crops: list[np.ndarray], idx: np.ndarray, width: int, results: list) -> tuple[float, float]:
        """Recognise one planned batch into results[i] for i in idx; returns the (start, end) of its onnxruntime run."""
        group = [crops[i] for i in idx]
        batch = np.stack([resize_normalize_pad(c, self.height, width) for c in group])
        start = time.perf_counter()
        probs, spent = self.model.run(batch)
        span = (start, start + spent)
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
        return span
