"""The program paddle2onnx converts: the published legacy program, or a copy with a fixed input freed and
PaddleSlim fake quant rewritten (rewrite.py reads and writes programs, slim.py rewrites the quantisation)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from convert.program.rewrite import PARAMS_FILE, declared_input_dims, free_input_dims, has_fixed_input, read_program, write_program
from convert.program.slim import SlimRewrite, strip_fake_quant


@dataclass(frozen=True)
class PreparedProgram:
    """The program paddle2onnx converts: the published one, or a rewritten copy in a work folder."""

    model_file: Path
    params_file: Path
    declared_input: tuple[int, ...]  # NCHW as the published program declares it
    freed_from: tuple[int, ...] | None  # the fixed dims that were freed, None when the input was free already
    slim: SlimRewrite | None
    notes: tuple[str, ...]


def prepare_program(model_file: Path, params_file: Path, work: Path) -> PreparedProgram:
    """Free a fixed input and rewrite PaddleSlim fake quant, writing a copy to `work` only when needed."""
    program = read_program(model_file)
    declared = declared_input_dims(program)
    notes: list[str] = []
    slim = None
    if any("quant" in op.type for block in program.blocks for op in block.ops):
        slim = strip_fake_quant(program, params_file, work)
        notes.append(slim.describe())
    freed = declared if has_fixed_input(program) else None
    if freed is not None:
        free_input_dims(program)
        notes.append(f"program declares input {list(declared)}; converted with free batch, height and width")
    if slim is None and freed is None:
        return PreparedProgram(model_file, params_file, declared, None, None, ())
    params = work / PARAMS_FILE if slim is not None else params_file
    return PreparedProgram(write_program(program, work, params), params, declared, freed, slim, tuple(notes))
