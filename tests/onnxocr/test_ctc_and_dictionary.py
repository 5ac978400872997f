"""CTC decoding, right-to-left reordering and dictionary fitting on hand-made data (no model)."""

import numpy as np
import pytest

from onnxocr.core.dictionary import fit_character_set, parse_dictionary, read_dictionary
from onnxocr.errors import DictionaryMismatchError, ModelLoadError
from onnxocr.core.recognition import ctc_greedy_decode, reverse_right_to_left

CLASSES = ("<blank>", "a", "b", "c", " ")


def one_hot(sequence, num_classes=len(CLASSES), p=0.9):
    probs = np.full((len(sequence), num_classes), (1 - p) / (num_classes - 1), dtype=np.float32)
    for t, k in enumerate(sequence):
        probs[t, k] = p
    return probs


def test_repeats_collapse_and_blanks_separate():
    # a a _ a b b _ _ c  ->  "aabc"
    probs = one_hot([1, 1, 0, 1, 2, 2, 0, 0, 3])[None]
    [(tokens, score, positions)] = ctc_greedy_decode(probs, CLASSES)
    assert "".join(tokens) == "aabc"
    assert positions == (0, 3, 4, 8)
    assert score == pytest.approx(0.9)


def test_score_is_mean_of_kept_timesteps():
    probs = one_hot([1, 0, 2])
    probs[0, 1], probs[2, 2] = 0.6, 0.8
    [(_, score, _)] = ctc_greedy_decode(probs[None], CLASSES)
    assert score == pytest.approx(0.7)


def test_all_blank_gives_empty_text_and_zero_score():
    [(tokens, score, positions)] = ctc_greedy_decode(one_hot([0, 0, 0])[None], CLASSES)
    assert tokens == () and score == 0.0 and positions == ()


def test_batch_rows_decode_independently():
    batch = np.stack([one_hot([1, 4, 2]), one_hot([3, 3, 3])])
    texts = ["".join(t) for t, _, _ in ctc_greedy_decode(batch, CLASSES)]
    assert texts == ["a b", "c"]


def test_right_to_left_reordering_keeps_latin_and_digit_runs():
    assert reverse_right_to_left("\u0627\u0628") == "\u0628\u0627"
    assert reverse_right_to_left("\u0627 12.5 \u0628") == "\u0628 12.5 \u0627"


def test_dictionary_fits_with_and_without_space():
    chars = ["a", "b", "c"]
    with_space = fit_character_set(chars, 5, "test", "model.onnx")
    assert with_space.classes == ("<blank>", "a", "b", "c", " ") and with_space.has_space
    without = fit_character_set(chars, 4, "test", "model.onnx")
    assert without.classes == ("<blank>", "a", "b", "c") and not without.has_space


def test_dictionary_mismatch_names_both_numbers():
    with pytest.raises(DictionaryMismatchError, match=r"97 classes .* 3 entries"):
        fit_character_set(["a", "b", "c"], 97, "en_dict.txt", "rec.onnx")


def test_parse_dictionary_keeps_inner_whitespace_and_strips_line_endings(tmp_path):
    path = tmp_path / "d.txt"
    path.write_bytes("a\r\n \nb\n".encode("utf-8"))
    assert read_dictionary(path) == ["a", " ", "b"]
    assert parse_dictionary("x\ny") == ["x", "y"]
    with pytest.raises(ModelLoadError, match="does not exist"):
        read_dictionary(tmp_path / "missing.txt")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ModelLoadError, match="not UTF-8"):
        read_dictionary(tmp_path / "bin.txt")


def test_arabic_dictionary_is_marked_right_to_left(tmp_path):
    chars = [chr(c) for c in range(0x0627, 0x064A)] + list("0123456789")
    assert fit_character_set(chars, len(chars) + 2, "arabic", "m").right_to_left
    assert not fit_character_set(list("abc"), 5, "latin", "m").right_to_left
