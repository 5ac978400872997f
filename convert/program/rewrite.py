"""Edits of a legacy Paddle inference program (inference.pdmodel + .pdiparams) before paddle2onnx sees it.

The program is a ProgramDesc protobuf; the params file is Paddle's `save_combine` stream of the program's
persistable tensors in name order. Both are read and written here without running Paddle.
"""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convert.errors import ConvertError

MODEL_FILE = "inference.pdmodel"
PARAMS_FILE = "inference.pdiparams"

# framework.proto VarType.Type values of the tensor element types found in inference programs
_DTYPES = {0: np.bool_, 1: np.int16, 2: np.int32, 3: np.int64, 4: np.float16, 5: np.float32, 6: np.float64,
           20: np.uint8, 21: np.int8}


class ProgramError(ConvertError):
    """The Paddle program or its params file cannot be read or rewritten."""


def read_program(model_file: Path):
    """The ProgramDesc of a legacy .pdmodel file."""
    from paddle.base.proto import framework_pb2

    program = framework_pb2.ProgramDesc()
    try:
        program.ParseFromString(model_file.read_bytes())
    except Exception as exc:  # protobuf raises its own DecodeError
        raise ProgramError(f"{model_file}: not a legacy Paddle program ({exc})") from None
    return program


def feed_names(program) -> list[str]:
    """Names of the variables the program's feed ops write (the model inputs)."""
    return [arg for op in program.blocks[0].ops if op.type == "feed" for out in op.outputs for arg in out.arguments]


def _tensor_dims(var):
    return var.type.dense_tensor.tensor.dims if var.type.HasField("dense_tensor") else None


def declared_input_dims(program) -> tuple[int, ...]:
    """The first input's declared NCHW dims (-1 = free)."""
    names = feed_names(program)
    for var in program.blocks[0].vars:
        if names and var.name == names[0] and _tensor_dims(var) is not None:
            return tuple(int(d) for d in _tensor_dims(var))
    raise ProgramError("the program has no feed variable")


def has_fixed_input(program) -> bool:
    """True when the program fixes the input's batch or width. A fixed height alone (PP-OCRv4 rec: 48, free
    width) is the model's real line height and is left as declared."""
    dims = declared_input_dims(program)
    return len(dims) == 4 and (dims[0] > 0 or dims[3] > 0)


def free_input_dims(program) -> None:
    """Declare batch, height and width of the input, and every dim of the non-persistable variables, as free.

    paddle2onnx copies declared shapes into the graph (a pool or reshape sized for 32x100), so freeing the feed
    alone is not enough; Paddle Inference itself infers these shapes at run time and accepts any size.
    """
    feeds = set(feed_names(program))
    for block in program.blocks:
        for var in block.vars:
            dims = _tensor_dims(var)
            if dims is None or var.persistable:
                continue
            for axis in range(len(dims)):
                if not (var.name in feeds and axis == 1):
                    dims[axis] = -1


def write_program(program, folder: Path, params_from: Path) -> Path:
    """Write `program` as folder/inference.pdmodel beside a copy of `params_from`; returns the model path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MODEL_FILE).write_bytes(program.SerializeToString())
    if params_from.resolve() != (folder / PARAMS_FILE).resolve():
        shutil.copyfile(params_from, folder / PARAMS_FILE)
    return folder / MODEL_FILE


# -- params file (save_combine) -----------------------------------------------------------------------------
@dataclass
class ParamTensor:
    """One tensor of a params file: its raw record around the data, so unchanged tensors round-trip exactly."""

    name: str
    head: bytes  # version, LoD and TensorDesc bytes before the data
    array: np.ndarray


def persistable_names(program) -> list[str]:
    """The names save_combine wrote, in its order: persistable variables except feed/fetch holders, sorted."""
    names = set()
    for block in program.blocks:
        for var in block.vars:
            if var.persistable and var.name not in ("feed", "fetch") and var.type.HasField("dense_tensor"):
                names.add(var.name)
    return sorted(names)


def read_params(params_file: Path, names: list[str]) -> list[ParamTensor]:
    """Parse a save_combine stream holding `names` in order; raises ProgramError when it does not fit."""
    from paddle.base.proto import framework_pb2

    data = params_file.read_bytes()
    offset, tensors = 0, []

    def take(size: int) -> bytes:
        nonlocal offset
        if offset + size > len(data):
            raise ProgramError(f"{params_file}: ends inside tensor {len(tensors) + 1} of {len(names)}")
        chunk = data[offset:offset + size]
        offset += size
        return chunk

    for name in names:
        start = offset
        take(4)  # LoDTensor version
        (lod_levels,) = struct.unpack("<Q", take(8))
        for _ in range(lod_levels):
            (size,) = struct.unpack("<Q", take(8))
            take(size)
        take(4)  # Tensor version
        (desc_size,) = struct.unpack("<i", take(4))
        desc = framework_pb2.VarType.TensorDesc()
        desc.ParseFromString(take(desc_size))
        dtype = _DTYPES.get(desc.data_type)
        if dtype is None:
            raise ProgramError(f"{params_file}: tensor {name} has unsupported data type {desc.data_type}")
        shape = tuple(int(d) for d in desc.dims)
        count = int(np.prod(shape)) if shape else 1
        head = data[start:offset]
        array = np.frombuffer(take(count * np.dtype(dtype).itemsize), dtype=dtype).reshape(shape).copy()
        tensors.append(ParamTensor(name, head, array))
    if offset != len(data):
        raise ProgramError(f"{params_file}: {len(data) - offset} bytes left after {len(names)} tensors")
    return tensors


def write_params(tensors: list[ParamTensor], params_file: Path) -> None:
    """Write tensors back in the same layout (shapes and dtypes must be unchanged)."""
    with open(params_file, "wb") as out:
        for tensor in tensors:
            out.write(tensor.head)
            out.write(np.ascontiguousarray(tensor.array).tobytes())
