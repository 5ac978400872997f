"""Scoring functions for the accuracy tooling.

Geometry
    polygon_area, quad_iou: exact intersection-over-union of two simple polygons (quads), convex or not, by
    pyclipper's polygon clipping (Clipper, a runtime dependency already) on coordinates scaled to 1/65536 px.
    A self-intersecting ("bow-tie") quad is not a simple polygon; it is replaced by its convex hull (OpenCV).

ICDAR 2015 detection (Challenge 4, task 4.1, IoU protocol) -- our own implementation of the published rule:
    - GT regions transcribed `###` are don't-care.
    - A detection is don't-care when more than half of its own area lies inside don't-care GT regions
      (intersection with each don't-care region is tested separately, as in the official protocol).
    - Care detections and care GT regions are matched one-to-one with IoU > 0.5 (strictly). We match greedily
      by decreasing IoU; the official script takes pairs in index order, which gives the same pairs whenever GT
      regions do not overlap (a detection cannot have IoU > 0.5 with two disjoint regions).
    - Counts are summed over the whole dataset: P = matched / care detections, R = matched / care GT,
      H = 2PR / (P + R).

ICDAR 2015 end-to-end ("generic" vocabulary, no lexicon) -- an approximation of the RRC e2e protocol:
    - Same don't-care handling and the same one-to-one geometric matching (IoU > 0.5) as detection.
    - A matched pair counts as a true positive only if the texts are equal after `normalize_e2e_text`:
      case-folded, and leading/trailing punctuation (`!?.:,*"()·[]/'` and similar) stripped from both sides.
      Internal spaces are kept: a detection line reading "FOO BAR" does not match a GT word "FOO".
    - P = correct / care detections, R = correct / care GT (so a matched pair with wrong text costs both).

Bag-of-words / bag-of-characters F1 (FUNSD, MILE Kannada):
    - Texts are NFC-normalised. Words are the whitespace-split tokens of every line (case-sensitive,
      punctuation kept). Characters are all code points except whitespace (case-sensitive).
    - F1 = 2 |A ∩ B| / (|A| + |B|) with multiset intersection. Per dataset, counts are summed over pages
      (micro average); per-page values are also reported.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import cv2
import numpy as np
import pyclipper

EPS = 1e-12


# --------------------------------------------------------------------------------------------------- geometry

_SCALE = float(1 << 16)  # pyclipper works on integers: coordinates are scaled to 1/65536 px


def _path(poly) -> list:
    """Integer pyclipper path of a polygon; a self-intersecting one ("bow-tie" quad) becomes its convex hull."""
    pts = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
    path = [(round(x * _SCALE), round(y * _SCALE)) for x, y in pts]
    if len(path) >= 3 and len(pyclipper.SimplifyPolygon(path, pyclipper.PFT_NONZERO)) > 1:
        path = [(round(x * _SCALE), round(y * _SCALE)) for x, y in convex_hull(pts)]
    return path


def _area(path) -> float:
    return abs(pyclipper.Area(path)) / (_SCALE * _SCALE) if len(path) >= 3 else 0.0


def polygon_area(poly) -> float:
    """Area of a simple polygon (of the convex hull of a self-intersecting one), any orientation."""
    return _area(_path(poly))


def convex_hull(points) -> list:
    """The convex hull of points as [(x, y)], counter-clockwise in a y-up frame (OpenCV)."""
    hull = cv2.convexHull(np.asarray(points, dtype=np.float32).reshape(-1, 2))
    return [(float(x), float(y)) for x, y in hull.reshape(-1, 2)]


def intersection_area(poly_a, poly_b) -> float:
    """Exact area shared by two polygons (convex or not), by pyclipper's polygon clipping."""
    a, b = _path(poly_a), _path(poly_b)
    if _area(a) <= EPS or _area(b) <= EPS:
        return 0.0
    clipper = pyclipper.Pyclipper()
    clipper.AddPath(a, pyclipper.PT_SUBJECT, True)
    clipper.AddPath(b, pyclipper.PT_CLIP, True)
    pieces = clipper.Execute(pyclipper.CT_INTERSECTION, pyclipper.PFT_NONZERO, pyclipper.PFT_NONZERO)
    return sum(_area(piece) for piece in pieces)


def quad_iou(poly_a, poly_b) -> float:
    """Intersection over union of two simple polygons (0.0 when either is degenerate)."""
    area_a, area_b = polygon_area(poly_a), polygon_area(poly_b)
    if area_a <= EPS or area_b <= EPS:
        return 0.0
    inter = intersection_area(poly_a, poly_b)
    union = area_a + area_b - inter
    return inter / union if union > EPS else 0.0


# --------------------------------------------------------------------------------------------------- matching

def match_one_to_one(iou_matrix: list, threshold: float, strict: bool = False) -> list:
    """Greedy one-to-one matching by decreasing IoU. Returns [(i, j, iou)] with iou >= threshold
    (or > threshold when strict). Ties are broken by (i, j) order, so the result is deterministic."""
    pairs = []
    for i, row in enumerate(iou_matrix):
        for j, v in enumerate(row):
            if v > threshold or (not strict and v >= threshold):
                pairs.append((-v, i, j))
    pairs.sort()
    used_i, used_j, out = set(), set(), []
    for neg_v, i, j in pairs:
        if i in used_i or j in used_j:
            continue
        used_i.add(i)
        used_j.add(j)
        out.append((i, j, -neg_v))
    out.sort(key=lambda t: (t[0], t[1]))
    return out


def iou_matrix(polys_a: list, polys_b: list) -> list:
    return [[quad_iou(a, b) for b in polys_b] for a in polys_a]


# --------------------------------------------------------------------------------------------------- ICDAR 2015

@dataclass
class DetCounts:
    """Summable per-image / per-dataset counts for ICDAR 2015 detection and end-to-end."""

    care_gt: int = 0
    care_det: int = 0
    matched: int = 0  # geometric matches (detection)
    e2e_correct: int = 0  # geometric matches with equal text (end-to-end)
    ignored_det: int = 0

    def __add__(self, other: "DetCounts") -> "DetCounts":
        return DetCounts(self.care_gt + other.care_gt, self.care_det + other.care_det, self.matched + other.matched,
                         self.e2e_correct + other.e2e_correct, self.ignored_det + other.ignored_det)


def prf(tp: int, n_pred: int, n_gt: int) -> dict:
    """Precision, recall, H-mean from counts, with the ICDAR conventions for empty sets: no GT gives recall 1
    (precision 1 only if there are no predictions either); no predictions give precision 0 unless GT is empty."""
    precision = tp / n_pred if n_pred else (1.0 if n_gt == 0 else 0.0)
    recall = tp / n_gt if n_gt else 1.0
    hmean = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"precision": precision, "recall": recall, "hmean": hmean}


_E2E_STRIP = "!?.:,;*\"'()[]{}<>·/\\-_`´‘’“”«»|"


def normalize_e2e_text(text: str) -> str:
    t = unicodedata.normalize("NFC", text).strip()
    t = t.strip(_E2E_STRIP)
    return t.casefold()


def icdar2015_image_counts(gt_quads: list, gt_texts: list, gt_dont_care: list, det_quads: list,
                           det_texts: list | None = None, iou_threshold: float = 0.5,
                           dont_care_area_ratio: float = 0.5) -> DetCounts:
    """Detection and end-to-end counts for one image (see the module docstring for the rules)."""
    care_gt = [i for i, dc in enumerate(gt_dont_care) if not dc]
    dc_gt = [i for i, dc in enumerate(gt_dont_care) if dc]

    det_ignored = [False] * len(det_quads)
    if dc_gt:
        for j, dq in enumerate(det_quads):
            area = polygon_area(dq)
            if area <= EPS:
                continue
            for i in dc_gt:
                if intersection_area(dq, gt_quads[i]) / area > dont_care_area_ratio:
                    det_ignored[j] = True
                    break
    care_det = [j for j in range(len(det_quads)) if not det_ignored[j]]

    ious = [[quad_iou(gt_quads[i], det_quads[j]) for j in care_det] for i in care_gt]
    pairs = match_one_to_one(ious, iou_threshold, strict=True)
    correct = 0
    if det_texts is not None:
        for a, b, _ in pairs:
            if normalize_e2e_text(gt_texts[care_gt[a]]) == normalize_e2e_text(det_texts[care_det[b]]):
                correct += 1
    return DetCounts(care_gt=len(care_gt), care_det=len(care_det), matched=len(pairs), e2e_correct=correct,
                     ignored_det=sum(det_ignored))


def icdar2015_scores(counts: DetCounts) -> dict:
    det = prf(counts.matched, counts.care_det, counts.care_gt)
    e2e = prf(counts.e2e_correct, counts.care_det, counts.care_gt)
    return {
        "det_precision": det["precision"], "det_recall": det["recall"], "det_hmean": det["hmean"],
        "e2e_precision": e2e["precision"], "e2e_recall": e2e["recall"], "e2e_hmean": e2e["hmean"],
        "care_gt": counts.care_gt, "care_det": counts.care_det, "matched": counts.matched,
        "e2e_correct": counts.e2e_correct, "ignored_det": counts.ignored_det,
    }


# --------------------------------------------------------------------------------------------------- bags

def words_of(lines) -> list:
    """Whitespace-split, NFC-normalised words of one text or an iterable of line texts."""
    if isinstance(lines, str):
        lines = [lines]
    out = []
    for line in lines:
        out.extend(unicodedata.normalize("NFC", line).split())
    return out


def chars_of(lines) -> list:
    """NFC-normalised code points of one text or an iterable of line texts, whitespace excluded."""
    if isinstance(lines, str):
        lines = [lines]
    out = []
    for line in lines:
        out.extend(c for c in unicodedata.normalize("NFC", line) if not c.isspace())
    return out


@dataclass
class BagCounts:
    common: int = 0
    n_pred: int = 0
    n_gt: int = 0

    def __add__(self, other: "BagCounts") -> "BagCounts":
        return BagCounts(self.common + other.common, self.n_pred + other.n_pred, self.n_gt + other.n_gt)

    @property
    def f1(self) -> float:
        total = self.n_pred + self.n_gt
        return 2 * self.common / total if total else 1.0

    @property
    def precision(self) -> float:
        return self.common / self.n_pred if self.n_pred else (1.0 if self.n_gt == 0 else 0.0)

    @property
    def recall(self) -> float:
        return self.common / self.n_gt if self.n_gt else (1.0 if self.n_pred == 0 else 0.0)

    def as_dict(self) -> dict:
        return {"f1": self.f1, "precision": self.precision, "recall": self.recall,
                "common": self.common, "n_pred": self.n_pred, "n_gt": self.n_gt}


def bag_counts(pred_items: list, gt_items: list) -> BagCounts:
    common = sum((Counter(pred_items) & Counter(gt_items)).values())
    return BagCounts(common=common, n_pred=len(pred_items), n_gt=len(gt_items))


def bag_f1(pred_items: list, gt_items: list) -> float:
    return bag_counts(pred_items, gt_items).f1


@dataclass
class PageBags:
    words: BagCounts = field(default_factory=BagCounts)
    chars: BagCounts = field(default_factory=BagCounts)

    def __add__(self, other: "PageBags") -> "PageBags":
        return PageBags(self.words + other.words, self.chars + other.chars)


def page_bags(pred_lines: list, gt_words: list) -> PageBags:
    """Word-bag and char-bag counts of one page: predicted line texts vs GT word texts."""
    return PageBags(words=bag_counts(words_of(pred_lines), words_of(gt_words)),
                    chars=bag_counts(chars_of(pred_lines), chars_of(gt_words)))


def corpus_bags(pages) -> PageBags:
    """Micro-averaged bags of a corpus: the sum of page_bags over (predicted line texts, GT word texts) pairs."""
    total = PageBags()
    for pred_lines, gt_words in pages:
        total = total + page_bags(pred_lines, gt_words)
    return total


def cer(reference: str, hypothesis: str, ignore_spaces: bool = False) -> float:
    """Character error rate: Levenshtein distance / reference length (spaces counted unless `ignore_spaces`)."""
    if ignore_spaces:
        reference, hypothesis = reference.replace(" ", ""), hypothesis.replace(" ", "")
    row = list(range(len(hypothesis) + 1))
    for i, rc in enumerate(reference, 1):
        prev, row[0] = row[0], i
        for j, hc in enumerate(hypothesis, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (rc != hc))
    return row[-1] / max(1, len(reference))
