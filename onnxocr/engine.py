"""A thin wrapper around one onnxruntime session: provider choice, threads, metadata, timed `run`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import onnxruntime as ort

from .config import EngineConfig
from .errors import ModelLoadError, ModelNotFoundError, ProviderUnavailableError

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
}


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
    return [(p, dict(PROVIDER_OPTIONS.get(p, {}))) for p in wanted]


class OnnxModel:
    """One ONNX model loaded into an onnxruntime session. Safe to call from several threads."""

    def __init__(self, path: str | Path, engine: EngineConfig, role: str = "model") -> None:
        self.path = Path(path)
        self.role = role
        if not self.path.is_file():
            raise ModelNotFoundError(f"{role} model file {self.path} does not exist: check the path")
        providers = resolve_providers(engine)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # The CPU arena and memory patterns keep every peak for each new input shape (detector pages and
        # recogniser batches vary in size): RSS then creeps up for hours. Without them it stays flat, no slower.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        if engine.intra_op_threads:
            options.intra_op_num_threads = int(engine.intra_op_threads)
        if engine.inter_op_threads:
            options.inter_op_num_threads = int(engine.inter_op_threads)
        try:
            self.session = ort.InferenceSession(
                str(self.path),
                sess_options=options,
                providers=[p for p, _ in providers],
                provider_options=[o for _, o in providers],
            )
        except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelLoadError(
                f"{role} model {self.path} could not be loaded ({reason[:200]}): the file is corrupt or not an "
                "ONNX model; convert or download it again"
            ) from None
        active = self.session.get_providers()
        if providers[0][0] not in active:
            raise ProviderUnavailableError(
                f"onnxruntime could not start {providers[0][0]} for {self.path.name} (active: {', '.join(active)}); "
                "check the GPU driver / CUDA libraries, or use --device cpu"
            )
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ModelLoadError(f"{role} model {self.path} has {len(inputs)} inputs; an OCR model has one image input")
        self.input_name: str = inputs[0].name
        self.input_shape: list[Any] = list(inputs[0].shape)
        self.output_names: list[str] = [o.name for o in self.session.get_outputs()]
        self.output_shape: list[Any] = list(self.session.get_outputs()[0].shape)
        self.metadata: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)

    def fixed_dim(self, axis: int) -> int | None:
        """The input's size along `axis` when the model fixes it, else None."""
        if axis >= len(self.input_shape):
            return None
        value = self.input_shape[axis]
        return int(value) if isinstance(value, int) and value > 0 else None

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, float]:
        """Run on one NCHW float32 batch; returns (first output, seconds spent inside onnxruntime)."""
        start = time.perf_counter()
        output = self.session.run(self.output_names[:1], {self.input_name: batch})[0]
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
