"""`make bench-dpi`: how the PDF render resolution (--dpi) trades word recall against time per page.

Pages are rendered here (DejaVu Sans at several point sizes, 300 dpi images in a PDF, as a scanner would make
them), then read back through `OCR.pages()` at each --dpi; word recall is against the rendered text. Needs the
default models (`make convert`) and Pillow + pypdfium2 (the test extra).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from doclib import page_lines, render_text_page, word_recall  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpis", default="100,150,200,250,300,400")
    parser.add_argument("--sizes", default="8,10,12", help="point sizes, one page each per --pages-per-size")
    parser.add_argument("--pages-per-size", type=int, default=2)
    args = parser.parse_args(argv)

    from onnxocr import OCR

    ocr = OCR()
    sizes = [float(s) for s in args.sizes.split(",")]
    texts: list[tuple[float, list[str]]] = []
    images = []
    for size in sizes:
        for k in range(args.pages_per_size):
            lines = page_lines(int(size * 100) + k, count=int(28 * 10 / size), words_per_line=7)
            texts.append((size, lines))
            images.append(render_text_page(lines, size_pt=size))
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "bench.pdf"
        import io

        buf = io.BytesIO()
        images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=300)
        pdf.write_bytes(buf.getvalue())
        list(ocr.pages([pdf], pages="1", dpi=150))  # warm-up
        print(f"{len(texts)} pages, sizes {args.sizes} pt; recall per size, seconds per page (render + OCR)")
        print("dpi   " + "  ".join(f"{s:g}pt".rjust(6) for s in sizes) + "     all  s/page  CPU s/page")
        for dpi in (float(d) for d in args.dpis.split(",")):
            start, cpu_start = time.perf_counter(), time.process_time()
            pages = list(ocr.pages([pdf], dpi=dpi))
            spent = (time.perf_counter() - start) / len(pages)
            cpu = (time.process_time() - cpu_start) / len(pages)
            got = {p.page: p.result.text if p.result else "" for p in pages}
            per_size = []
            for size in sizes:
                numbers = [i + 1 for i, (s, _) in enumerate(texts) if s == size]
                want = "\n".join("\n".join(texts[n - 1][1]) for n in numbers)
                per_size.append(word_recall(want, "\n".join(got[n] for n in numbers)))
            total = word_recall("\n".join("\n".join(t) for _, t in texts), "\n".join(got[n] for n in sorted(got)))
            print(f"{dpi:<5g} " + "  ".join(f"{r:6.3f}" for r in per_size) + f"  {total:6.3f}  {spent:6.2f}  {cpu:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
