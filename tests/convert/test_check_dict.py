"""`python -m convert check-dict` as a user runs it, on PaddleOCR's published recogniser and its published
dictionary (../shared fixtures, read in place): the published pair passes, and a copy with one line removed
(and one appended, so the class count still fits) is reported as shifted from the line that was removed."""

from __future__ import annotations

import subprocess
import sys

from convert_testlib import FIXTURES, REPO, needs_shared

MODEL = FIXTURES / "models" / "onnx" / "en_number_mobile_v2.0_rec_infer.onnx"
DICT = FIXTURES / "dicts" / "en_dict.txt"


def check_dict(dictionary) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "convert", "check-dict", str(MODEL), str(dictionary)],
                          capture_output=True, text=True, cwd=REPO, timeout=600)


@needs_shared
def test_the_published_pair_passes_and_a_missing_line_is_found_where_it_was(tmp_path):
    done = check_dict(DICT)
    assert done.returncode == 0 and "no shift found" in done.stdout, done.stdout + done.stderr
    entries = DICT.read_text(encoding="utf-8").splitlines()
    removed = entries.index("a")  # 0-based; the removed entry's 1-based line, removed + 1, is where the shift starts
    broken = tmp_path / "en_dict_shifted.txt"
    broken.write_text("\n".join(entries[:removed] + entries[removed + 1:] + ["\u2603"]) + "\n", encoding="utf-8")
    done = check_dict(broken)
    assert done.returncode == 1, done.stdout + done.stderr
    # the split point is statistical (a glyph or two near it read poorly whatever the dictionary): one line of slack
    found = [line for line in done.stdout.splitlines() if line.startswith("from line ")]
    assert len(found) == 1 and "reads entries at index +1" in found[0] and "1 entry too few" in found[0], done.stdout
    assert abs(int(found[0].split()[2]) - (removed + 1)) <= 1, (removed + 1, found[0])
