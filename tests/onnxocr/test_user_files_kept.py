"""Nothing a user has is ever lost (issue 22): no run modifies an input, a stopped run leaves only complete outputs,
a full disk leaves no partial file. Judged by the files themselves (bytes and inodes before and after) and by the
text we rendered onto the pages."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from doclib import DEJAVU, make_pdf, page_lines, word_recall
from test_hostile_inputs import REPO, _default_models_installed, cli_model_args

pytestmark = [
    pytest.mark.skipif(not DEJAVU.is_file(), reason=f"{DEJAVU} missing: `make test` installs fonts-dejavu-core"),
    pytest.mark.skipif(not _default_models_installed(), reason="default models not converted: run `make convert`"),
]


def cli(args: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "onnxocr", *map(str, args), "--quiet", *cli_model_args()],
                          capture_output=True, text=True, cwd=REPO, **kwargs)


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file below `folder` (hidden ones too): relative path -> (sha256, inode)."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_ino)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def small_pdf(path: Path, seed: int, pages: int = 1) -> list[list[str]]:
    text = [page_lines(seed * 10 + i, count=2, words_per_line=4) for i in range(pages)]
    path.write_bytes(make_pdf(text, dpi=100))
    return text


def one_line_refusal(done: subprocess.CompletedProcess, *, names: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("onnxocr: error: refusing to write") and names in lines[0], done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.fixture()
def scans(tmp_path) -> Path:
    folder = tmp_path / "scans"
    (folder / "sub").mkdir(parents=True)
    small_pdf(folder / "a.pdf", 1, pages=2)
    small_pdf(folder / "sub" / "b.pdf", 2)
    return folder


# -- no run modifies an input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [[], ["--pages", "1"]], ids=["all-pages", "pages-1"])
def test_a_folder_written_over_itself_is_refused_and_kept(scans, extra):
    before = snapshot(scans)
    done = cli([scans, "-f", "pdf", "-o", f"{scans}/", *extra])
    one_line_refusal(done, names="a.pdf")
    assert snapshot(scans) == before  # byte-identical, same inodes, no temporary file left


@pytest.mark.parametrize("extra", [[], ["--pages", "1"]], ids=["all-pages", "pages-1"])
def test_one_file_written_over_itself_is_refused_and_kept(scans, extra):
    before = snapshot(scans)
    one_line_refusal(cli([scans / "a.pdf", "-f", "pdf", "-o", scans / "a.pdf", *extra]), names="a.pdf")
    assert snapshot(scans) == before


def test_a_hard_link_or_symlink_to_an_input_is_the_input(scans, tmp_path):
    os.link(scans / "a.pdf", tmp_path / "hard.pdf")
    (tmp_path / "soft.pdf").symlink_to(scans / "sub" / "b.pdf")
    before = snapshot(scans)
    one_line_refusal(cli([scans / "a.pdf", "-f", "pdf", "-o", tmp_path / "hard.pdf"]), names="hard.pdf")
    one_line_refusal(cli([scans, "-f", "pdf", "-o", tmp_path / "soft.pdf"]), names="soft.pdf")
    assert snapshot(scans) == before and (tmp_path / "soft.pdf").is_symlink()


def test_an_output_named_like_another_input_is_refused(tmp_path):
    """a.png's PDF output would be a.pdf, which is another input of the run: refused."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    small_pdf(folder / "a.pdf", 3)
    from PIL import Image

    Image.new("RGB", (200, 60), "white").save(folder / "a.png")
    before = snapshot(folder)
    one_line_refusal(cli([folder / "a.png", folder / "a.pdf", "-f", "pdf", "-o", f"{folder}/"]), names="a.pdf")
    assert snapshot(folder) == before


def test_drawings_into_the_input_folder_are_refused(tmp_path):
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    for name in ("x.png", "y.png"):
        Image.new("RGB", (200, 60), "white").save(folder / name)
    before = snapshot(folder)
    one_line_refusal(cli([folder, "--draw", folder]), names="x.png")
    one_line_refusal(cli([folder / "x.png", "--draw", folder / "x.png"]), names="x.png")
    assert snapshot(folder) == before


def test_writing_beside_the_inputs_under_other_names_still_works(scans):
    """The guard refuses only what replaces an input: text files beside the PDFs are written, inputs untouched."""
    before = snapshot(scans)
    done = cli([scans, "-f", "text", "-o", f"{scans}/"])
    assert done.returncode == 0, done.stderr
    after = snapshot(scans)
    assert {k: v for k, v in after.items() if k in before} == before
    assert sorted(set(after) - set(before)) == ["a.txt", os.path.join("sub", "b.txt")]


# -- a stopped run leaves only complete outputs ---------------------------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_folder_run_keeps_finished_outputs_and_resumes(tmp_path, signum):
    """A real process, a real signal, sent while a temporary output file exists and at least one output is
    finished: exit 128+signal, no temporary file, the finished JSON files complete; --skip-existing then does only
    the rest (the finished files keep their inodes) and every output holds its page's rendered words."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    texts = {f"p{i:02d}": small_pdf(folder / f"p{i:02d}.pdf", 20 + i, pages=3) for i in range(6)}
    command = [sys.executable, "-m", "onnxocr", str(folder), "-f", "json", "-o", f"{out}/", "--dpi", "100", "--quiet", *cli_model_args()]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        names = [p.name for p in out.iterdir()] if out.is_dir() else []
        if any(n.endswith(".json") for n in names) and any(n.endswith(".tmp") for n in names):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be stopped mid-folder"
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "stopped by" in lines[0] and "--skip-existing" in lines[0], stderr
    left = sorted(p.name for p in out.iterdir())
    assert left and all(name.endswith(".json") and not name.startswith(".") for name in left), left
    assert len(left) < len(texts)
    finished = {name: (out / name).stat().st_ino for name in left}
    for name in left:
        record = json.loads((out / name).read_text())  # complete: parses, and holds all three pages
        assert [page["page"] for page in record] == [1, 2, 3]

    done = subprocess.run([*command, "--skip-existing"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{stem}.json" for stem in texts)
    assert {name: (out / name).stat().st_ino for name in left} == finished  # not rewritten
    for stem, pages in texts.items():
        record = json.loads((out / f"{stem}.json").read_text())
        got = "\n".join(line["text"] for page in record for line in page["lines"])
        assert word_recall("\n".join(line for lines in pages for line in lines), got) >= 0.9, (stem, got)


# -- a full disk ---------------------------------------------------------------------------------------------------
@pytest.fixture()
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs (needs root: CI and `make test` run as root in the project's container)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_one_line_and_leaves_no_partial_file(tiny_disk, tmp_path):
    doc = tmp_path / "doc.pdf"
    small_pdf(doc, 5, pages=3)  # a 3-page searchable PDF of 100-dpi pages is > 64 KiB
    (tiny_disk / "old.pdf").write_bytes(b"%PDF- the user's old file")
    done = cli([doc, "-f", "pdf", "--dpi", "300", "-o", tiny_disk / "old.pdf"])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0] and "old.pdf" in lines[0] and "Traceback" not in done.stderr, done.stderr
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["old.pdf"]
    assert (tiny_disk / "old.pdf").read_bytes() == b"%PDF- the user's old file"
