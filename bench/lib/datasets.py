"""Loaders for the evaluation data under the data root (default ../shared/data) and the fixture pages.

Only the standard library: these run in the project's environment and are imported by bench/parity.py and
bench/eval.py. Nothing here is copied into the repository; the data is read in place.

- ICDAR 2015 Challenge 4 (incidental scene text), test set: images/img_N.jpg, gt/gt_img_N.txt with lines
  `x1,y1,x2,y2,x3,y3,x4,y4,transcription` (the transcription may itself contain commas; `###` marks a
  don't-care region; files may start with a UTF-8 BOM).
- FUNSD (forms): images/NAME.png, annotations/NAME.json: {"form": [{"words": [{"text", "box": [x0,y0,x1,y1]}]}]}.
- MILE Kannada printed pages: images/NAME.tif, groundtruth/NAME.xml: page > block > line > word with the text
  in the `unicode` attribute (word boxes are often incomplete, so only the text is used).
"""

from __future__ import annotations

import glob
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA_ROOT = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "data"))
DEFAULT_FIXTURES = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "fixtures"))

DONT_CARE = "###"


@dataclass
class GtRegion:
    quad: list  # 4 x [x, y]
    text: str
    dont_care: bool


@dataclass
class Sample:
    name: str
    image: str
    regions: list = field(default_factory=list)  # GtRegion, for detection datasets
    words: list = field(default_factory=list)  # str, for bag-of-words datasets


def bag_words(sample: Sample) -> list:
    """The ground-truth texts a bag-of-words score compares against: FUNSD's words, or for a detection set
    (ICDAR 2015) the transcriptions of the regions that are not don't-care (`###`)."""
    if sample.words:
        return list(sample.words)
    return [r.text for r in sample.regions if not r.dont_care]


def _natural_key(path: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", os.path.basename(path))]


def parse_icdar2015_gt(text: str) -> list:
    """Parse one ICDAR 2015 GT file's content into GtRegion objects."""
    regions = []
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        parts = line.split(",", 8)
        if len(parts) < 9:
            raise ValueError(f"bad ICDAR 2015 GT line: {raw!r}")
        coords = [float(v) for v in parts[:8]]
        transcription = parts[8]
        quad = [[coords[i], coords[i + 1]] for i in range(0, 8, 2)]
        regions.append(GtRegion(quad=quad, text=transcription, dont_care=transcription == DONT_CARE))
    return regions


def load_icdar2015(data_root: str = DEFAULT_DATA_ROOT, limit: int | None = None) -> list:
    base = os.path.join(data_root, "icdar2015")
    images = sorted(glob.glob(os.path.join(base, "images", "*.jpg")), key=_natural_key)
    if limit:
        images = images[:limit]
    samples = []
    for img in images:
        stem = os.path.splitext(os.path.basename(img))[0]
        gt_path = os.path.join(base, "gt", f"gt_{stem}.txt")
        with open(gt_path, encoding="utf-8-sig") as f:
            regions = parse_icdar2015_gt(f.read())
        samples.append(Sample(name=stem, image=img, regions=regions))
    return samples


def parse_funsd_words(doc: dict) -> list:
    """All non-empty word texts of a FUNSD annotation, in annotation order."""
    words = []
    for entity in doc.get("form", []):
        for w in entity.get("words", []):
            text = (w.get("text") or "").strip()
            if text:
                words.append(text)
    return words


def load_funsd(data_root: str = DEFAULT_DATA_ROOT, limit: int | None = None) -> list:
    base = os.path.join(data_root, "funsd")
    images = sorted(glob.glob(os.path.join(base, "images", "*.png")))
    if limit:
        images = images[:limit]
    samples = []
    for img in images:
        stem = os.path.splitext(os.path.basename(img))[0]
        with open(os.path.join(base, "annotations", stem + ".json"), encoding="utf-8") as f:
            words = parse_funsd_words(json.load(f))
        samples.append(Sample(name=stem, image=img, words=words))
    return samples


def parse_mile_words(xml_text: str | bytes) -> list:
    """Word texts (the `unicode` attribute) of a MILE page XML, in document order; namespace-agnostic."""
    root = ET.fromstring(xml_text)
    words = []
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == "word":
            text = (el.get("unicode") or "").strip()
            if text:
                words.append(text)
    return words


def load_kannada(data_root: str = DEFAULT_DATA_ROOT, limit: int | None = None) -> list:
    base = os.path.join(data_root, "kannada")
    images = sorted(glob.glob(os.path.join(base, "images", "*.tif")) + glob.glob(os.path.join(base, "images", "*.tiff")))
    if limit:
        images = images[:limit]
    samples = []
    for img in images:
        stem = os.path.splitext(os.path.basename(img))[0]
        with open(os.path.join(base, "groundtruth", stem + ".xml"), "rb") as f:
            words = parse_mile_words(f.read())
        samples.append(Sample(name=stem, image=img, words=words))
    return samples


# Fixture images that are pages for the full det+rec pipeline. Under rapidocr/ the single-line recogniser and
# classifier crops (*_rec*, text_cls*) are left out; the rest (text_det, japan, korean, devanagari, eslav,
# latin) go through detection like any page.
def fixture_pages(fixtures_root: str = DEFAULT_FIXTURES) -> list:
    base = os.path.join(fixtures_root, "images")
    pages = sorted(glob.glob(os.path.join(base, "paddleocr", "imgs", "*.jpg")))
    pages += sorted(glob.glob(os.path.join(base, "paddleocr", "imgs_en", "*.jpg")))
    for p in sorted(glob.glob(os.path.join(base, "rapidocr", "*.jpg"))):
        name = os.path.basename(p)
        if "_rec" in name or name.startswith("text_rec") or name.startswith("text_cls"):
            continue
        pages.append(p)
    return pages


def parity_images(data_root: str = DEFAULT_DATA_ROOT, fixtures_root: str = DEFAULT_FIXTURES,
                  limit: int | None = None) -> dict:
    """{set name: [image paths]} for the parity run: ICDAR 2015, FUNSD and the fixture pages."""
    sets = {
        "icdar2015": [s.image for s in load_icdar2015(data_root)],
        "funsd": [s.image for s in load_funsd(data_root)],
        "fixtures": fixture_pages(fixtures_root),
    }
    if limit:
        sets = {k: v[:limit] for k, v in sets.items()}
    return sets
