"""Helpers for convert/ tests (imported by name: conftest puts this folder on sys.path)."""

from __future__ import annotations

import importlib.util
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
FIXTURES = SHARED / "fixtures"
HAS_PADDLE = importlib.util.find_spec("paddle") is not None and importlib.util.find_spec("paddle2onnx") is not None

HAS_ONNX = importlib.util.find_spec("onnx") is not None and importlib.util.find_spec("onnxruntime") is not None
needs_onnx = pytest.mark.skipif(not HAS_ONNX, reason="onnx/onnxruntime not installed (build-time deps: convert/requirements.txt)")
needs_shared = pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/fixtures is not beside the checkout")
needs_paddle = pytest.mark.skipif(
    not HAS_PADDLE, reason="paddlepaddle/paddle2onnx not installed (build-time deps: pip install -r convert/requirements.txt)"
)


class LoopbackServer:
    """Serves `routes` (path -> bytes) on 127.0.0.1; a path in `truncated` announces its full length but
    sends only half of the body, then closes the connection."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes] = {}
        self.truncated: set[str] = set()
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                server.hits.append(self.path)
                body = server.routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in server.truncated:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> "LoopbackServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def write_catalog(path: Path, models: dict[str, dict], dictionaries: dict[str, dict] | None = None,
                  default_convert: list[str] | None = None) -> Path:
    """Write a minimal catalog in the models.toml schema (tests build variants of real rows with it)."""
    lines = ["schema_version = 1", 'default_lang = "ch"', 'default_version = "PP-OCRv4"',
             f"default_convert = {toml_value(default_convert or [])}"]
    for name, raw in (dictionaries or {}).items():
        lines.append(f"\n[dictionaries.{name}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in raw.items()]
    for name, raw in models.items():
        raw = dict(raw)
        sources = raw.pop("sources", [])
        lines.append(f'\n[models."{name}"]')
        lines += [f"{k} = {toml_value(v)}" for k, v in raw.items()]
        for source in sources:
            lines.append(f'\n[[models."{name}".sources]]')
            lines += [f"{k} = {toml_value(v)}" for k, v in source.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def lab_net(seed: int = 7, channels: int = 4):
    """A small ONNX model in PP-LCNetV3's shape, weights as Constant nodes with the scalar first (the way
    paddle2onnx 1.3 writes them): conv3x3 -> LAB -> HardSwish -> LAB -> conv1x1 -> LAB -> HardSwish -> LAB ->
    depthwise conv3x3 (padded), where LAB = Mul(scalar) then Add(scalar). Input (N, 3, H, W) float32, output
    `y` (N, channels, H, W): a feature map, not a detector's output (lab_det_net is one)."""
    return _lab_model(seed, channels, probability_head=False)


def lab_det_net(seed: int = 7, channels: int = 4, sigmoid: bool = True):
    """lab_net with a DB detector's head: the depthwise conv's `channels` maps -> unpadded conv1x1 to one map ->
    Sigmoid, so output `y` is (N, 1, H, W) probabilities, what `convert import` accepts as a det model. The head
    adds no affine block, so the folds are lab_net's (2 after a conv, 1 before). `sigmoid=False` leaves the
    logits, which a detector must not give."""
    return _lab_model(seed, channels, probability_head=True, sigmoid=sigmoid)


def _lab_model(seed: int, channels: int, probability_head: bool, sigmoid: bool = True):
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(seed)
    c = channels
    nodes = []

    def constant(name: str, value) -> None:
        tensor = numpy_helper.from_array(np.asarray(value, np.float32), name)
        nodes.append(helper.make_node("Constant", [], [name], value=tensor))

    def lab(src: str, tag: str) -> str:
        constant(f"s{tag}", [rng.uniform(0.5, 2)])
        constant(f"t{tag}", [rng.normal()])
        nodes.append(helper.make_node("Mul", [f"s{tag}", src], [f"m{tag}"]))
        nodes.append(helper.make_node("Add", [f"m{tag}", f"t{tag}"], [f"a{tag}"]))
        return f"a{tag}"

    for name, shape in (("w0", (c, 3, 3, 3)), ("b0", (c,)), ("w1", (c, c, 1, 1)), ("b1", (c,)), ("w2", (c, 1, 3, 3))):
        constant(name, rng.normal(size=shape))
    nodes.append(helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("HardSwish", [lab("c0", "0")], ["h0"]))
    nodes.append(helper.make_node("Conv", [lab("h0", "1"), "w1", "b1"], ["c1"]))
    nodes.append(helper.make_node("HardSwish", [lab("c1", "2")], ["h1"]))
    features = "d" if probability_head else "y"
    nodes.append(helper.make_node("Conv", [lab("h1", "3"), "w2"], [features], pads=[1, 1, 1, 1], group=c))
    out_channels = c
    if probability_head:
        constant("w_head", rng.normal(size=(1, c, 1, 1)) / c)
        constant("b_head", [0.0])
        nodes.append(helper.make_node("Conv", [features, "w_head", "b_head"], ["logits" if sigmoid else "y"]))
        if sigmoid:
            nodes.append(helper.make_node("Sigmoid", ["logits"], ["y"]))
        out_channels = 1
    graph = helper.make_graph(
        nodes, "lab", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", out_channels, "H", "W"])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
