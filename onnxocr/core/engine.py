"""A thin wrapper around one onnxruntime session: provider choice, threads, metadata, timed `run`."""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import threading
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import onnxruntime as ort

from onnxocr.config import EngineConfig
from onnxocr.core.det_scale import FIRST_LOOK_PIXELS
from onnxocr.errors import ModelLoadError, ModelNotFoundError, OptionError, ProviderUnavailableError, first_line

log = logging.getLogger("onnxocr")

# --device name -> provider list (first is the one asked for; CPU last so unsupported ops still run)
DEVICE_PROVIDERS: dict[str, tuple[str, ...]] = {
    "cpu": ("CPUExecutionProvider",),
    "cuda": ("CUDAExecutionProvider", "CPUExecutionProvider"),
    "tensorrt": ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"),
    "directml": ("DmlExecutionProvider", "CPUExecutionProvider"),
    "coreml": ("CoreMLExecutionProvider", "CPUExecutionProvider"),
    "openvino": ("OpenVINOExecutionProvider", "CPUExecutionProvider"),
}

# EXHAUSTIVE (onnxruntime's CUDA default) re-searches convolution algorithms for every new input shape,
# and recognition widths vary per batch: that makes the GPU slower than the CPU.
PROVIDER_OPTIONS: dict[str, dict[str, str]] = {
    "CUDAExecutionProvider": {"cudnn_conv_algo_search": "DEFAULT"},
    "TensorrtExecutionProvider": {"trt_engine_cache_enable": "True"},
    # OpenVINO on the CPU in float32, spelled out (onnxruntime-openvino 1.24's CPU default too; bf16 or f16 would
    # change the text against the CPU provider's). Dynamic shapes stay on (OpenVINO's CPU default): one compiled
    # model serves every recogniser width instead of a recompilation per new input shape (docs/performance.md).
    "OpenVINOExecutionProvider": {"device_type": "CPU", "precision": "FP32"},
}


def _threaded_options(provider: str, engine: EngineConfig) -> dict[str, str]:
    """Options that carry onnxocr's thread count to providers with their own thread pool: OpenVINO ignores the
    session's intra_op_num_threads and otherwise uses every core this process may use (threads=1 ran on 2 threads)."""
    if provider == "OpenVINOExecutionProvider" and engine.intra_op_threads:
        return {"num_of_threads": str(int(engine.intra_op_threads))}
    return {}


def runs_on_cpu_only_providers(providers: Sequence[str]) -> bool:
    """Whether a provider list is onnxruntime's CPU provider alone."""
    return tuple(providers) == ("CPUExecutionProvider",)


def runs_on_cpu_only(engine: EngineConfig) -> bool:
    """Whether every session of this engine config runs on onnxruntime's CPU execution provider."""
    if engine.providers:
        return runs_on_cpu_only_providers(engine.providers)
    return engine.device.lower() == "cpu"


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def resolve_providers(engine: EngineConfig) -> list[tuple[str, dict[str, str]]]:
    """Provider list with options for a device name or explicit list; refuses what onnxruntime lacks."""
    if engine.providers:
        wanted = tuple(engine.providers)
    else:
        device = engine.device.lower()
        if device not in DEVICE_PROVIDERS:
            raise ProviderUnavailableError(
                f"unknown device {engine.device!r}: use one of {', '.join(DEVICE_PROVIDERS)}"
            )
        wanted = DEVICE_PROVIDERS[device]
    available = ort.get_available_providers()
    missing = [p for p in wanted if p not in available]
    if missing:
        raise ProviderUnavailableError(
            f"{missing[0]} is not available in the installed onnxruntime {ort.__version__} "
            f"(available: {', '.join(available)}); install the matching onnxruntime package "
            f"(e.g. onnxruntime-gpu for cuda) or use --device cpu"
        )
    extra = engine.provider_options or {}
    unknown = sorted(set(extra) - set(wanted))
    if unknown:
        raise OptionError(
            f"provider_options names {', '.join(unknown)}, which is not among the providers used "
            f"({', '.join(wanted)}): pass it in providers= / --device too"
        )
    return [
        (p, {**PROVIDER_OPTIONS.get(p, {}), **_threaded_options(p, engine), **{k: str(v) for k, v in extra.get(p, {}).items()}})
        for p in wanted
    ]


_pool_lock = threading.Lock()
_shared_pool_size: int | None = None  # intra-op threads of the process-wide pool, once onnxocr created it


def _use_shared_pool(options: ort.SessionOptions, threads: int | None) -> None:
    """Point a session at onnxruntime's process-wide thread pools, creating them (once) with `threads` intra-op
    threads. Process-wide means every later onnxruntime session in this process must opt out of per-session
    threads too, which is why this is opt-in (shared_thread_pool=True)."""
    global _shared_pool_size
    setter = getattr(ort, "set_global_thread_pool_sizes", None)
    if setter is None or not hasattr(options, "use_per_session_threads"):
        raise OptionError(
            f"shared_thread_pool=True needs onnxruntime >= 1.22 (installed: {ort.__version__}): upgrade onnxruntime "
            "or leave it off"
        )
    with _pool_lock:
        if _shared_pool_size is None:
            try:
                setter(int(threads or 0), 1)
            except Exception as exc:  # the pools already exist (created by another library in this process)
                log.warning("onnxruntime's global thread pools already exist, their size is kept (%s)", exc)
            _shared_pool_size = int(threads or 0)
            log.info("shared intra-op thread pool: %s threads", threads or "onnxruntime's default number of")
        elif threads and threads != _shared_pool_size:
            log.warning("shared thread pool already has %s threads; threads=%s does not resize it", _shared_pool_size, threads)
    options.use_per_session_threads = False


# Input values (N x C x H x W) up to which a run's CPU arena memory is kept for the next run. The detector's: the
# first look of det_scale "auto" (onnxocr/core/det_scale.py), so a page the detector reads at its own size within
# that bound (a FUNSD form, a 1280 x 720 photo: ~160 MiB of arena) keeps it and pays no page faults on the next; a
# larger page's runs give the arena back when they end (TextDetector), and after such a page the recogniser gives
# its arena back and the C heap its free pages (OCR._read, release_free_heap), so no page's detector run stacks on
# memory an earlier page left behind: the peak of a run is the largest single page's, whatever the page count.
# Recogniser and classifier batches: up to one 48 x 4096 px line (~125 MiB).
ARENA_KEEP_ELEMENTS = {"det": 3 * FIRST_LOOK_PIXELS}
DEFAULT_ARENA_KEEP_ELEMENTS = 3 * 48 * 4096


def arena_keep_elements(role: str) -> int:
    """Largest input (in values) after whose run a session of `role` keeps its CPU arena memory."""
    return ARENA_KEEP_ELEMENTS.get(role, DEFAULT_ARENA_KEEP_ELEMENTS)


def _libc_malloc_trim():
    """glibc's malloc_trim, or None off glibc."""
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _libc_malloc_trim()


def release_free_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc malloc_trim; nothing elsewhere), ~8 ms.

    After glibc frees its first large buffer it raises its mmap threshold (up to 32 MiB) and serves later buffers
    of the page's size from its heaps, which keep freed memory: read one scan page after another and a run holds the
    largest page's temporaries on top of what the next page needs. Called after each scan-sized page (with the
    recogniser's arena, TextDetector.gives_back_memory): 12 300-dpi PDF pages in one process peaked at 478 MiB
    instead of 553. Fixing the mmap threshold instead (mallopt) gave 440 MiB but +770k page faults, ~10% slower.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class OnnxModel:
    """One ONNX model loaded into an onnxruntime session. Safe to call from several threads."""

    def __init__(self, path: str | Path, engine: EngineConfig, role: str = "model") -> None:
        self.path = Path(path)
        self.role = role
        if not self.path.is_file():
            raise ModelNotFoundError(f"{role} model file {self.path} does not exist: check the path")
        providers = resolve_providers(engine)
        if engine.session_options is not None:
            if not isinstance(engine.session_options, ort.SessionOptions):
                raise OptionError(
                    f"session_options is a {type(engine.session_options).__name__}, not an onnxruntime.SessionOptions"
                )
            options = engine.session_options  # the caller's, as given
        else:
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            # Memory patterns keep a plan (and its peak) for every new input shape (detector pages and recogniser
            # lines vary in size): RSS creeps up for hours, so they are off. The CPU arena is on for every session
            # and kept between runs: without it (or shrunk after every run) each run's buffers are page-faulted in
            # anew, 49k minor faults and 5% system time per FUNSD form; with it onnxocr went from 0.94x to 0.98x
            # faster-paddle's pages/s on forms and 0.90x to 1.03x on scene photos (paired runs, docs/performance.md).
            # Only a run on an unusually large input gives its memory back (see arena_keep_elements).
            options.enable_cpu_mem_arena = True
            options.enable_mem_pattern = False
        if engine.shared_thread_pool:
            _use_shared_pool(options, engine.intra_op_threads)
        elif engine.intra_op_threads:
            options.intra_op_num_threads = int(engine.intra_op_threads)
        if engine.inter_op_threads and not engine.shared_thread_pool:
            options.inter_op_num_threads = int(engine.inter_op_threads)
        try:
            self.session = ort.InferenceSession(
                str(self.path),
                sess_options=options,
                providers=[p for p, _ in providers],
                provider_options=[o for _, o in providers],
            )
        except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
            reason = first_line(exc, default=type(exc).__name__)
            raise ModelLoadError(
                f"{role} model {self.path} could not be loaded ({reason}): the file is corrupt or not an "
                "ONNX model; convert or download it again"
            ) from None
        active = self.session.get_providers()
        if providers[0][0] not in active:
            raise ProviderUnavailableError(
                f"onnxruntime could not start {providers[0][0]} for {self.path.name} (active: {', '.join(active)}); "
                "check the GPU driver / CUDA libraries, or use --device cpu"
            )
        log.info("%s model %s on %s", role, self.path, ", ".join(active))
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ModelLoadError(f"{role} model {self.path} has {len(inputs)} inputs; an OCR model has one image input")
        self.input_name: str = inputs[0].name
        self.input_shape: list[Any] = list(inputs[0].shape)
        self.output_names: list[str] = [o.name for o in self.session.get_outputs()]
        self.output_shape: list[Any] = list(self.session.get_outputs()[0].shape)
        self.metadata: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)
        self.run_options = ort.RunOptions()
        # Ours (the caller's options are used as given): a run on more than keep_elements input values releases
        # what it took from the CPU arena when it ends, so one huge page or line does not stay resident.
        self.keep_elements = arena_keep_elements(role) if engine.session_options is None else None
        self.shrink_options = ort.RunOptions()
        self.shrink_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def fixed_dim(self, axis: int) -> int | None:
        """The input's size along `axis` when the model fixes it, else None."""
        if axis >= len(self.input_shape):
            return None
        value = self.input_shape[axis]
        return int(value) if isinstance(value, int) and value > 0 else None

    def batch_limit(self) -> int | None:
        """1 when the model fixes its batch axis at 1, None when the axis is free; a batch fixed at any other size is
        a ModelLoadError (the stages batch line crops and pages one or several at a time)."""
        fixed = self.fixed_dim(0)
        if fixed is not None and fixed != 1:
            raise ModelLoadError(
                f"{self.role} model {self.path} has a fixed batch size of {fixed} (input shape {self.input_shape}): "
                "re-export it with a dynamic batch axis (or batch size 1)"
            )
        return fixed

    def releases_after(self, elements: int) -> bool:
        """Whether a run on an input of `elements` values gives its CPU arena memory back (over keep_elements)."""
        return self.keep_elements is not None and elements > self.keep_elements

    def options_for(self, batch: np.ndarray) -> ort.RunOptions:
        """The RunOptions of a run on `batch`: the arena-shrinking ones when it is larger than keep_elements."""
        return self.shrink_options if self.releases_after(batch.size) else self.run_options

    def give_back_memory(self, shape: Sequence[int]) -> float:
        """Return the CPU arena's free memory to the system: one run on a tiny all-zero input of `shape` (N, C, H,
        W: the smallest the model takes) with arena shrinkage; nothing when the session runs on another provider.
        Seconds in onnxruntime."""
        if not runs_on_cpu_only_providers(self.session.get_providers()):
            return 0.0
        start = time.perf_counter()
        self.session.run(self.output_names[:1], {self.input_name: np.zeros(tuple(shape), dtype=np.float32)},
                         self.shrink_options)
        return time.perf_counter() - start

    def run(self, batch: np.ndarray, release: bool = False) -> tuple[np.ndarray, float]:
        """Run on one NCHW float32 batch; returns (first output, seconds spent inside onnxruntime). release: give
        the CPU arena's memory back when the run ends, whatever the batch's size (not with the caller's options)."""
        options = self.shrink_options if release and self.keep_elements is not None else self.options_for(batch)
        start = time.perf_counter()
        output = self.session.run(self.output_names[:1], {self.input_name: batch}, options)[0]
        return output, time.perf_counter() - start


def check_input_rank(model: OnnxModel, expected_channels: Sequence[int] = (3,)) -> None:
    """Refuse a model whose input is not an NCHW image tensor."""
    shape = model.input_shape
    channels = shape[1] if len(shape) == 4 else None
    if len(shape) != 4 or (isinstance(channels, int) and channels not in expected_channels):
        raise ModelLoadError(
            f"{model.role} model {model.path} takes input of shape {shape}, not an N x 3 x H x W image: "
            f"is it really a {model.role} model?"
        )
