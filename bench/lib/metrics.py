"""Scoring functions for the accuracy tooling (pure Python, standard library only).

Geometry
    polygon_area, quad_iou: exact intersection-over-union of two simple polygons (quads). Each polygon is split
    into triangles (ear clipping), and the intersection area is the sum of the convex-convex intersections of
    every triangle pair (Sutherland-Hodgman clipping). This is exact for any simple polygon, convex or not.
    A self-intersecting ("bow-tie") quad is not a simple polygon; it is replaced by its convex hull.

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

Point = tuple  # (x, y)

EPS = 1e-12


# --------------------------------------------------------------------------------------------------- geometry

def _pts(poly) -> list:
    return [(float(p[0]), float(p[1])) for p in poly]


def signed_area(poly) -> float:
    """Shoelace signed area; positive for counter-clockwise in a y-up frame (clockwise on screen)."""
    pts = _pts(poly)
    s = 0.0
    n = len(pts)
    for i in range(n):
        x1, y1 = pts[i]
        x2, y2 = pts[(i + 1) % n]
        s += x1 * y2 - x2 * y1
    return s / 2.0


def polygon_area(poly) -> float:
    return abs(signed_area(poly))


def _cross(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points) -> list:
    """Andrew's monotone chain; counter-clockwise (positive signed area), no repeated end point."""
    pts = sorted(set(_pts(points)))
    if len(pts) <= 2:
        return pts
    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _segments_cross(p1, p2, p3, p4) -> bool:
    d1, d2 = _cross(p3, p4, p1), _cross(p3, p4, p2)
    d3, d4 = _cross(p1, p2, p3), _cross(p1, p2, p4)
    return ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and d1 * d2 < 0 and d3 * d4 < 0


def is_simple(poly) -> bool:
    """True if no two non-adjacent edges of the polygon properly cross."""
    pts = _pts(poly)
    n = len(pts)
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue
            if _segments_cross(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n]):
                return False
    return True


def _point_in_triangle(p, a, b, c) -> bool:
    return _cross(a, b, p) >= -EPS and _cross(b, c, p) >= -EPS and _cross(c, a, p) >= -EPS


def triangulate(poly) -> list:
    """Ear-clipping triangulation of a simple polygon; triangles are counter-clockwise (positive area).

    A non-simple polygon is replaced by its convex hull first. Degenerate (zero-area) input gives [].
    """
    pts = _pts(poly)
    if len(pts) < 3:
        return []
    if not is_simple(pts):
        pts = convex_hull(pts)
        if len(pts) < 3:
            return []
    if polygon_area(pts) <= EPS:
        return []
    if signed_area(pts) < 0:
        pts = pts[::-1]
    idx = list(range(len(pts)))
    tris = []
    guard = 0
    while len(idx) > 3 and guard < 10 * len(pts):
        guard += 1
        n = len(idx)
        for k in range(n):
            a, b, c = pts[idx[(k - 1) % n]], pts[idx[k]], pts[idx[(k + 1) % n]]
            if _cross(a, b, c) <= EPS:  # reflex or collinear vertex: not an ear
                continue
            if any(_point_in_triangle(pts[m], a, b, c) for m in idx if pts[m] not in (a, b, c)):
                continue
            tris.append([a, b, c])
            del idx[k]
            break
        else:  # no ear found (numerically degenerate); fall back to a fan over the hull
            hull = convex_hull([pts[m] for m in idx])
            tris.extend([hull[0], hull[i], hull[i + 1]] for i in range(1, len(hull) - 1))
            idx = []
    if len(idx) == 3:
        tri = [pts[m] for m in idx]
        if polygon_area(tri) > EPS:
            tris.append(tri)
    return tris


def clip_convex(subject, clip) -> list:
    """Sutherland-Hodgman: intersection polygon of `subject` with the convex, counter-clockwise `clip`."""
    output = _pts(subject)
    clip = _pts(clip)
    n = len(clip)
    for i in range(n):
        if not output:
            break
        a, b = clip[i], clip[(i + 1) % n]
        inp, output = output, []
        m = len(inp)
        for j in range(m):
            cur, prev = inp[j], inp[j - 1]
            cur_in = _cross(a, b, cur) >= 0
            prev_in = _cross(a, b, prev) >= 0
            if cur_in:
                if not prev_in:
                    output.append(_line_intersection(prev, cur, a, b))
                output.append(cur)
            elif prev_in:
                output.append(_line_intersection(prev, cur, a, b))
    return output


def _line_intersection(p1, p2, a, b):
    """Intersection of segment p1-p2 with the infinite line a-b (p1 and p2 are on different sides)."""
    d1 = _cross(a, b, p1)
    d2 = _cross(a, b, p2)
    t = d1 / (d1 - d2) if abs(d1 - d2) > EPS else 0.0
    return (p1[0] + t * (p2[0] - p1[0]), p1[1] + t * (p2[1] - p1[1]))


def _bbox(pts):
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def intersection_area(poly_a, poly_b) -> float:
    a, b = _pts(poly_a), _pts(poly_b)
    ax0, ay0, ax1, ay1 = _bbox(a)
    bx0, by0, bx1, by1 = _bbox(b)
    if ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0:
        return 0.0
    total = 0.0
    tris_b = triangulate(b)
    for ta in triangulate(a):
        for tb in tris_b:
            inter = clip_convex(ta, tb)
            if len(inter) >= 3:
                total += polygon_area(inter)
    return total


def quad_iou(poly_a, poly_b) -> float:
    """Intersection over union of two simple polygons (0.0 when either is degenerate)."""
    area_a = polygon_area(poly_a) if is_simple(poly_a) else polygon_area(convex_hull(poly_a))
    area_b = polygon_area(poly_b) if is_simple(poly_b) else polygon_area(convex_hull(poly_b))
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


def page_bags(pred_lines: list, gt_words: list) -> PageBags:
    """Word-bag and char-bag counts of one page: predicted line texts vs GT word texts."""
    return PageBags(words=bag_counts(words_of(pred_lines), words_of(gt_words)),
                    chars=bag_counts(chars_of(pred_lines), chars_of(gt_words)))
