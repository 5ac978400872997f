"""Character dictionaries: read them, and fit them to a recogniser's class count."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from onnxocr.errors import DictionaryMismatchError, ModelLoadError

BLANK = "<blank>"


def read_dictionary(path: str | Path) -> list[str]:
    """One character (or token) per line, UTF-8; line endings stripped, other whitespace kept."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ModelLoadError(f"dictionary file {path} does not exist: check the --dict path") from None
    except OSError as exc:
        raise ModelLoadError(f"dictionary file {path} cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelLoadError(f"dictionary file {path} is not UTF-8 text: pass PaddleOCR's dictionary file") from None
    return parse_dictionary(text)


def parse_dictionary(text: str) -> list[str]:
    """Split dictionary text (file contents or the `character` metadata) into entries."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


@dataclass(frozen=True)
class DictionaryCorrection:
    """Replace 1-based line `line` of a published dictionary, which must read `was`, by the entries `now`."""

    line: int
    was: str
    now: tuple[str, ...]
    reason: str


def apply_corrections(entries: list[str], corrections: tuple[DictionaryCorrection, ...], source: str) -> list[str]:
    """The dictionary as the model was trained with it: each correction applied (from the last line up).

    Raises ModelLoadError when a line does not read what the correction expects (a different file).
    """
    fixed = list(entries)
    for fix in sorted(corrections, key=lambda c: c.line, reverse=True):
        index = fix.line - 1
        if not 0 <= index < len(fixed) or fixed[index] != fix.was:
            found = repr(fixed[index]) if 0 <= index < len(fixed) else "nothing"
            raise ModelLoadError(
                f"dictionary {source}: line {fix.line} should read {fix.was!r} for its correction ({fix.reason}) "
                f"but holds {found}: is it the published file?"
            )
        fixed[index:index + 1] = list(fix.now)
    return fixed


def dictionary_carries_space(entries: list[str] | tuple[str, ...]) -> bool:
    """True when the dictionary's last entry is the space (french, korean, japan...): the model's space class."""
    return bool(entries) and entries[-1] == " "


@dataclass(frozen=True)
class CharacterSet:
    """The recogniser's class list: index 0 is the CTC blank; a trailing space when the model has one."""

    classes: tuple[str, ...]
    has_space: bool
    right_to_left: bool

    @property
    def has_latin_letters(self) -> bool:
        """True when the class list holds all 26 ASCII Latin letters (either case)."""
        present = {c.lower() for c in self.classes if len(c) == 1 and c.isascii() and c.isalpha()}
        return len(present) == 26


def is_arabic_script(chars: list[str]) -> bool:
    """True when most dictionary entries are Arabic-script letters (PaddleOCR reverses such output)."""
    letters = [c for c in chars if c and unicodedata.category(c[0]).startswith("L")]
    arabic = [c for c in letters if "\u0600" <= c[0] <= "\u06ff" or "\u0750" <= c[0] <= "\u08ff"]
    return bool(letters) and len(arabic) * 2 > len(letters)


def fit_character_set(chars: list[str], num_classes: int, source: str, model_path: str | Path) -> CharacterSet:
    """Match dictionary entries to the model's class count: blank + entries (+ space).

    A dictionary whose last entry is already the space fits blank + entries, as PaddleOCR reads it.
    Raises DictionaryMismatchError naming both numbers when neither layout fits.
    """
    if num_classes == len(chars) + 2:
        classes = (BLANK, *chars, " ")
        has_space = True
    elif num_classes == len(chars) + 1:
        classes = (BLANK, *chars)
        has_space = dictionary_carries_space(chars)
    else:
        raise DictionaryMismatchError(
            f"recogniser {model_path} has {num_classes} classes but the dictionary ({source}) has {len(chars)} "
            f"entries (expected {num_classes - 2} or {num_classes - 1}): pass the dictionary this model was trained "
            "with (--dict)"
        )
    return CharacterSet(classes=classes, has_space=has_space, right_to_left=is_arabic_script(chars))
