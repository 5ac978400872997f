"""Command line: `python -m convert [NAMES...|--lang L|--all] ...` and `python -m convert import FILE.onnx ...`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from onnxocr.models.catalog import Catalog, load_catalog
from onnxocr.errors import OnnxOCRError
from onnxocr.models.store import ModelStore

from convert.errors import ConvertError
from convert.pipeline import CONVERTED, FAILED, NOT_CONVERTIBLE, SKIPPED, ConvertOptions, Outcome, convert_model, import_model


def default_cache_dir() -> Path:
    """`$ONNXOCR_CACHE`, else `$XDG_CACHE_HOME/onnxocr` (~/.cache/onnxocr)."""
    env = os.environ.get("ONNXOCR_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "onnxocr"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _convert_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m convert",
        description="Convert PaddleOCR models from models.toml to ONNX, prove parity with Paddle Inference, "
        "and install them in the model store. Without names: the catalog's default set. "
        "`python -m convert import FILE.onnx --name N [--dict D]` registers an existing ONNX file; "
        "`python -m convert check-dict MODEL.onnx DICT.txt` checks that a recogniser reads each dictionary entry "
        "at its own index.",
    )
    parser.add_argument("names", nargs="*", help="catalog model names")
    parser.add_argument("--lang", help="convert the model set of this language (PaddleOCR name or ISO code)")
    parser.add_argument("--version", dest="model_version", help="with --lang: PP-OCRv6, PP-OCRv5, PP-OCRv4 or PP-OCRv2 (default: catalog default)")
    parser.add_argument("--all", action="store_true", help="every convertible catalog row")
    _common(parser)
    parser.add_argument("--source-dir", type=Path, help="look here first for <name>_infer/ folders or tars "
                        "(also the official tar names), and for dictionaries in it or in a dicts/ folder beside it")
    parser.add_argument("--dict-dir", type=Path, action="append", default=[],
                        help="look here first for dictionary files (e.g. es_dict.txt), verified by their sha256")
    parser.add_argument("--force", action="store_true", help="convert again even if the store has it from the same source")
    parser.add_argument("--quantize", choices=["int8"], help="also write <name>_int8 (static QDQ int8 calibrated on rendered text; see docs/performance.md for its speed)")
    parser.add_argument("--opset", type=int, default=14, help="ONNX opset to ask paddle2onnx for (default 14)")
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", type=Path, help="models.toml to read (default: the repository's)")
    parser.add_argument("--out", type=Path, help="model store folder (default: $ONNXOCR_HOME or the per-user data dir)")
    parser.add_argument("--cache", type=Path, help="download cache (default: $ONNXOCR_CACHE or ~/.cache/onnxocr)")


def _store_name(value: str) -> str:
    """argparse type: a store name becomes a file name in the store, so no separators or '..' (exit 2 otherwise)."""
    from onnxocr.models.store import check_store_name

    try:
        return check_store_name(value)
    except OnnxOCRError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _import_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m convert import",
                                     description="Register an existing ONNX conversion in the model store.")
    parser.add_argument("file", type=Path, help="the .onnx file")
    parser.add_argument("--name", required=True, type=_store_name,
                        help="store name, [A-Za-z0-9._-]+ (a catalog name gives task/dictionary from the catalog)")
    parser.add_argument("--dict", dest="dictionary", help="dictionary: a text file or a catalog dictionary id (rec)")
    parser.add_argument("--task", choices=["det", "cls", "rec", "ori"], help="needed when --name is not in the catalog")
    _common(parser)
    return parser


def select_models(catalog: Catalog, names: list[str], lang: str | None, version: str | None, all_models: bool) -> list[str]:
    """The catalog names a command line asks for (raises CatalogError for unknown names/languages)."""
    if all_models:
        return list(catalog.models)
    selected: list[str] = []
    for name in names:
        catalog.model(name)
        selected.append(name)
    if lang:
        _, model_set = catalog.model_set(lang, version)
        selected += [model_set[t] for t in ("det", "cls", "rec", "ori") if t in model_set]
    if not selected:
        selected = list(catalog.default_convert)
    return list(dict.fromkeys(selected))


def print_summary(outcomes: list[Outcome], stream=None) -> None:
    stream = stream or sys.stdout
    width = max([len(o.name) for o in outcomes] + [5])
    print(f"\n{'model':<{width}}  {'status':<15}  detail", file=stream)
    print(f"{'-' * width}  {'-' * 15}  {'-' * 40}", file=stream)
    for o in outcomes:
        detail = o.detail + (f"; also wrote {', '.join(o.extra)}" if o.extra else "")
        print(f"{o.name:<{width}}  {o.status:<15}  {detail}", file=stream)
    counts = {s: sum(o.status == s for o in outcomes) for s in (CONVERTED, SKIPPED, FAILED, NOT_CONVERTIBLE)}
    print(", ".join(f"{n} {s}" for s, n in counts.items()), file=stream)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["import"]:
            return _main_import(_import_parser().parse_args(argv[1:]))
        if argv[:1] == ["check-dict"]:
            from convert.checks.check_dict import main as check_dict_main

            return check_dict_main(argv[1:])
        return _main_convert(_convert_parser().parse_args(argv))
    except (OnnxOCRError, ConvertError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing half-written was left in the store", file=sys.stderr)
        return 130


def _main_convert(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    names = select_models(catalog, args.names, args.lang, args.model_version, args.all)
    store = ModelStore(args.out)
    options = ConvertOptions(cache_dir=args.cache or default_cache_dir(), source_dir=args.source_dir,
                             force=args.force, quantize=args.quantize, opset=args.opset,
                             dict_dirs=tuple(args.dict_dir))
    if options.source_dir is not None and not options.source_dir.is_dir():
        raise ConvertError(f"--source-dir {options.source_dir}: no such folder")
    outcomes = []
    for name in names:
        _log(f"[{name}]")
        outcome = convert_model(catalog.models[name], catalog, store, options, _log)
        if args.all and outcome.status == NOT_CONVERTIBLE:
            outcome.status = SKIPPED
            outcome.detail = f"not convertible: {outcome.detail}"
        _log(f"  {outcome.status}: {outcome.detail}")
        outcomes.append(outcome)
    print_summary(outcomes)
    print(f"store: {store.root}")
    return 1 if any(o.status in (FAILED, NOT_CONVERTIBLE) for o in outcomes) else 0


def _main_import(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    store = ModelStore(args.out)
    outcome = import_model(args.file, args.name, catalog, store, dictionary_arg=args.dictionary, task=args.task,
                           cache_dir=args.cache or default_cache_dir(), log=_log)
    print_summary([outcome])
    print(f"store: {store.root}")
    return 1 if outcome.status == FAILED else 0
