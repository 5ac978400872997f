"""Are two ONNX files the same network? Weight checksums without the `onnx` package (standard library only).

    .venv/bin/python -m bench.onnx_weights A.onnx B.onnx [--run]      # one pair
    .venv/bin/python -m bench.onnx_weights --peers --run              # onnxocr's store vs the peers' bundled files

File hashes differ between converters (metadata, node names, graph layout), so the comparison is on the
initializers: each tensor's (data type, shape, sha256 of its little-endian bytes), names ignored. Reported:
the share of each file's parameter bytes whose exact tensor also occurs in the other. `--run` also feeds both
files the same input through onnxruntime and reports the largest output difference (the functional check:
same weights but different folding still gives the same outputs). faster-paddle links its models into its
extension (.so), so with --peers each file's tensors are looked up verbatim in that binary instead.

The ONNX protobuf is walked with a minimal wire-format reader: ModelProto.graph (7) -> GraphProto.initializer
(5) -> TensorProto dims (1), data_type (2), raw_data (9) or the typed repeated fields (4 float, 5 int32,
7 int64, 10 double, 11 uint64), whose packed bytes are hashed as they are stored.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections import Counter

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from bench.systems.paddle_reference import sha256_file  # noqa: E402


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes, start: int = 0, end: int | None = None):
    """(field number, wire type, value) of one message; length-delimited values as (start, end) offsets."""
    pos, end = start, len(buf) if end is None else end
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            value, pos = (pos, pos + n), pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} at byte {pos}")
        yield field, wire, value


TYPED_DATA = {4, 5, 7, 10, 11}  # float_data, int32_data, int64_data, double_data, uint64_data


def initializers(path: str) -> list[tuple[str, int, tuple, str, int]]:
    """[(name, data_type, dims, sha256 of the data bytes, byte count)] of the graph's initializers."""
    with open(path, "rb") as f:
        buf = f.read()
    graph = next(((s, e) for fld, w, (s, e) in ((f, w, v) for f, w, v in _fields(buf) if w == 2) if fld == 7), None)
    if graph is None:
        raise ValueError(f"{path}: no graph in the model")
    out = []
    for fld, wire, value in _fields(buf, *graph):
        if fld != 5 or wire != 2:
            continue
        dims, dtype, name, data = [], 0, "", b""
        for tf, tw, tv in _fields(buf, *value):
            if tf == 1:
                if tw == 2:  # packed dims
                    p, e = tv
                    while p < e:
                        d, p = _varint(buf, p)
                        dims.append(d)
                else:
                    dims.append(tv)
            elif tf == 2:
                dtype = tv
            elif tf == 8 and tw == 2:
                name = buf[tv[0]:tv[1]].decode("utf-8", "replace")
            elif tf == 9 and tw == 2:
                data = buf[tv[0]:tv[1]]
            elif tf in TYPED_DATA and tw == 2:
                data += buf[tv[0]:tv[1]]
        out.append((name, dtype, tuple(dims), hashlib.sha256(data).hexdigest(), len(data)))
    return out


def tensor_bytes(path: str) -> list[bytes]:
    """The data bytes of each initializer (raw_data or the packed typed field), in file order."""
    with open(path, "rb") as f:
        buf = f.read()
    graph = next((v for fld, w, v in _fields(buf) if fld == 7 and w == 2), None)
    out = []
    for fld, wire, value in _fields(buf, *graph):
        if fld == 5 and wire == 2:
            out.append(b"".join(buf[tv[0]:tv[1]] for tf, tw, tv in _fields(buf, *value)
                                if tw == 2 and (tf == 9 or tf in TYPED_DATA)))
    return out


def found_in_blob(onnx_path: str, blob_path: str, min_bytes: int = 64) -> dict:
    """How many of the model's tensors (of >= min_bytes) occur verbatim in a binary (models linked into a .so)."""
    with open(blob_path, "rb") as f:
        blob = f.read()
    tensors = [t for t in tensor_bytes(onnx_path) if len(t) >= min_bytes]
    hits = [t for t in tensors if blob.find(t) >= 0]
    return {"tensors": len(tensors), "found": len(hits),
            "bytes_share": sum(map(len, hits)) / max(sum(map(len, tensors)), 1)}


def compare(a: str, b: str) -> dict:
    ia, ib = initializers(a), initializers(b)
    ka = Counter((t, d, h) for _, t, d, h, _ in ia)
    kb = Counter((t, d, h) for _, t, d, h, _ in ib)
    size = {(t, d, h): n for _, t, d, h, n in ia + ib}
    common = ka & kb

    def share(k: Counter) -> float:
        total = sum(size[x] * c for x, c in k.items())
        return sum(size[x] * c for x, c in (common & k).items()) / total if total else 1.0

    return {
        "a": a, "b": b, "sha256_a": sha256_file(a), "sha256_b": sha256_file(b),
        "initializers_a": len(ia), "initializers_b": len(ib),
        "param_bytes_a": sum(n for *_, n in ia), "param_bytes_b": sum(n for *_, n in ib),
        "identical_tensors": sum(common.values()),
        "bytes_share_a_in_b": share(ka), "bytes_share_b_in_a": share(kb),
        "same_weights": ka == kb,
    }


def run_both(a: str, b: str, seed: int = 0) -> dict:
    """Largest |output_a - output_b| on the same random input (dynamic dims: 1 x 3 x 48|640 x 320|640)."""
    import numpy as np
    import onnxruntime as ort

    sa, sb = (ort.InferenceSession(p, providers=["CPUExecutionProvider"]) for p in (a, b))
    inp = sa.get_inputs()[0]
    shape = [d if isinstance(d, int) and d > 0 else None for d in inp.shape]
    if shape[2] is None:
        shape[2] = 48 if shape[3] in (None, 320) and "rec" in os.path.basename(a).lower() else 640
    if shape[3] is None:
        shape[3] = 320 if shape[2] == 48 else 640
    shape[0] = shape[0] or 1
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    ya = sa.run(None, {inp.name: x})[0]
    yb = sb.run(None, {sb.get_inputs()[0].name: x})[0]
    if ya.shape != yb.shape:
        return {"input_shape": shape, "output_shapes": [list(ya.shape), list(yb.shape)], "max_abs_diff": None}
    return {"input_shape": shape, "output_shape": list(ya.shape), "max_abs_diff": float(np.abs(ya - yb).max())}


def _site_packages(venv: str) -> str:
    return os.path.join(REPO_ROOT, venv, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}", "site-packages")


FASTER_PADDLE_SO = os.path.join(_site_packages(".venv-fasterpaddle"), "faster_paddle", "faster_paddle.abi3.so")


def peer_files() -> list[tuple[str, str, str]]:
    """(label, onnxocr store file, peer file) for the bundled PP-OCRv6 small files found in the peer venvs."""
    from onnxocr.models.store import ModelStore

    store = str(ModelStore().root)
    rapid = os.path.join(_site_packages(".venv-rapidocr3"), "rapidocr", "models")
    pairs = []
    for task, ours, theirs in (("det", "PP-OCRv6_small_det.onnx", "PP-OCRv6_det_small.onnx"),
                               ("rec", "PP-OCRv6_small_rec.onnx", "PP-OCRv6_rec_small.onnx")):
        a, b = os.path.join(store, ours), os.path.join(rapid, theirs)
        if os.path.isfile(a) and os.path.isfile(b):
            pairs.append((f"{task}: onnxocr store vs rapidocr 3.10", a, b))
    return pairs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*", help="two ONNX files")
    p.add_argument("--peers", action="store_true", help="onnxocr's store vs RapidOCR 3.10's bundled v6 small files")
    p.add_argument("--run", action="store_true", help="also compare the outputs on one random input")
    args = p.parse_args(argv)
    pairs = peer_files() if args.peers else [("", *args.files)]
    if not pairs or any(len(x) != 3 for x in pairs):
        p.error("give two ONNX files or --peers (with .venv-rapidocr3 set up)")
    for label, a, b in pairs:
        r = compare(a, b)
        print(f"{label or 'pair'}\n  {r['sha256_a']}  {a}\n  {r['sha256_b']}  {b}\n"
              f"  initializers {r['initializers_a']} / {r['initializers_b']}, parameter bytes "
              f"{r['param_bytes_a']} / {r['param_bytes_b']}, identical tensors {r['identical_tensors']}; "
              f"bytes found in the other {r['bytes_share_a_in_b']:.1%} / {r['bytes_share_b_in_a']:.1%}; "
              f"same weights: {r['same_weights']}")
        if args.run:
            o = run_both(a, b)
            print(f"  same input {o['input_shape']}: max |output difference| {o['max_abs_diff']}")
        if args.peers and os.path.isfile(FASTER_PADDLE_SO):  # faster-paddle links its models into the extension
            for path in (a, b):
                f = found_in_blob(path, FASTER_PADDLE_SO)
                print(f"  {os.path.basename(path)}: {f['found']}/{f['tensors']} tensors ({f['bytes_share']:.1%} of "
                      f"their bytes) occur verbatim in faster-paddle's {os.path.basename(FASTER_PADDLE_SO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
