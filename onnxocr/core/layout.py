"""Page layout from the geometry of detected text lines: blocks, paragraphs and the reading order between them.

Pure numpy: quads in, line indices out. No model; the rules are those of a reader:

1. Orientation. When most lines are vertical (CJK set in columns), the page is turned so that each column becomes
   a horizontal line and columns read right to left become lines read top to bottom; when most lines are in a
   right-to-left script, the page is mirrored so that its columns read right to left. The lines of a column keep
   their top-to-bottom order in both cases.
2. Blocks. Two lines are linked when one is directly below the other: they overlap horizontally, are each
   other's only neighbour in that direction, have similar heights and are at most LINK_GAP line heights apart.
   A line with two neighbours side by side below or above it (a title over two columns) links to neither, so it
   stays a block of its own. Chains of linked lines are the blocks.
   On forms a label and its value sit side by side: two short lines (under SHORT_LINE heights long) that each
   have a neighbour in their own row are not linked, so labels do not chain into a column of their own.
3. Reading order of blocks: a recursive XY cut on the blocks' boxes, columns first (an empty vertical strip at
   least GUTTER line heights wide that no block crosses), else rows (an empty horizontal strip); a group made of
   single lines only (a form, a scene photo) is cut into rows first, so that a label is read before its value as
   it was before, and single lines read one after the other in one row make one paragraph. A group that can be cut neither way is read in rows, top to bottom then left to right, as
   `sort_reading_order` did.
4. Paragraphs: a block is split before a line whose gap above is clearly wider than the block's usual line gap,
   or whose first-line indent starts a paragraph in a left-aligned block.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

LINK_GAP = 1.6  # lines further apart than this x their height are never in one block
LINK_HEIGHT_RATIO = 1.45  # lines whose heights differ more than this (a title over body text) are not linked
MIN_X_OVERLAP = 0.5  # linked lines overlap horizontally by at least this x the narrower one
GUTTER = 0.8  # a column gutter is at least this x the median line height wide
ROW_OVERLAP = 0.25  # blocks may overlap vertically by this x the median line height and still be cut into rows
PARAGRAPH_GAP = 0.5  # a gap this x the line height above the block's usual gap starts a paragraph
PARAGRAPH_GAP_FACTOR = 1.8  # ... and at least this x the usual gap
INDENT = 0.9  # a first-line indent of at least this x the line height starts a paragraph
SHORT_LINE = 6.0  # lines shorter than this x their height are form fields and labels, not running text
VERTICAL_ASPECT = 1.5  # a line at least this x taller than wide is set vertically (as crop.is_vertical)


@dataclass(frozen=True)
class PageLayout:
    """Blocks in reading order, each a tuple of paragraphs, each a tuple of line indices in reading order.

    `order` is every line index once, in reading order (the blocks and paragraphs flattened); `vertical`: the page
    was read as vertical columns (right to left); `right_to_left`: its columns were read right to left.
    """

    blocks: tuple[tuple[tuple[int, ...], ...], ...]
    vertical: bool = False
    right_to_left: bool = False

    @property
    def order(self) -> list[int]:
        return [i for block in self.blocks for paragraph in block for i in paragraph]


def is_right_to_left(text: str) -> bool:
    """True when most strongly directional characters of `text` are right-to-left (Arabic, Hebrew, ...)."""
    rtl = ltr = 0
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        rtl += kind in ("R", "AL")
        ltr += kind == "L"
    return rtl > ltr


def _quad_sides(quads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(length along the top edge, length along the left edge) of each (4, 2) quad TL TR BR BL."""
    along = np.linalg.norm(quads[:, 1] - quads[:, 0], axis=1)
    across = np.linalg.norm(quads[:, 3] - quads[:, 0], axis=1)
    return along, across


def page_is_vertical(quads: np.ndarray) -> bool:
    """True when clearly vertical lines outnumber clearly horizontal ones (squarish lines do not count)."""
    along, across = _quad_sides(quads)
    vertical = int(np.sum(across >= VERTICAL_ASPECT * along))
    horizontal = int(np.sum(along >= VERTICAL_ASPECT * across))
    return vertical > horizontal


def analyse_layout(quads: np.ndarray, right_to_left: list[bool] | np.ndarray | None = None) -> PageLayout:
    """Blocks, paragraphs and reading order of a page's text lines.

    quads: float (N, 4, 2) line quads in image pixels (x right, y down), any order. right_to_left: per line, True
    for text in a right-to-left script (see `is_right_to_left`); the page's columns read right to left when most
    lines are. Returns a PageLayout over the indices 0..N-1.
    """
    quads = np.asarray(quads, dtype=np.float64).reshape(-1, 4, 2)
    n = len(quads)
    if n == 0:
        return PageLayout(blocks=())
    x0, y0 = quads[:, :, 0].min(axis=1), quads[:, :, 1].min(axis=1)
    x1, y1 = quads[:, :, 0].max(axis=1), quads[:, :, 1].max(axis=1)
    vertical = page_is_vertical(quads)
    if vertical:  # turn 90 degrees: a column read top to bottom becomes a line read left to right, the rightmost on top
        x0, y0, x1, y1 = y0, -x1, y1, -x0
    rtl = bool(not vertical and right_to_left is not None and len(right_to_left) == n
               and 2 * int(np.sum(np.asarray(right_to_left, dtype=bool))) > n)
    if rtl:  # mirror: the rightmost column comes first, lines keep their top-to-bottom order
        x0, x1 = -x1, -x0
    boxes = np.stack([x0, y0, x1, y1], axis=1)
    heights = np.maximum(y1 - y0, 1.0)
    median_height = float(np.median(heights))
    chains = _link_lines(boxes, heights)
    block_boxes = np.array([[boxes[c, 0].min(), boxes[c, 1].min(), boxes[c, 2].max(), boxes[c, 3].max()] for c in chains])
    single = np.array([len(c) == 1 for c in chains])
    ordered = _xy_cut(list(range(len(chains))), block_boxes, median_height, single)
    blocks: list[tuple[tuple[int, ...], ...]] = []
    previous_row: list[int] | None = None  # the single lines of one row read so far (a form's label and value)
    for b in ordered:
        if single[b]:
            i = chains[b][0]
            if previous_row is not None and _same_row(boxes, heights, previous_row[-1], i):
                previous_row.append(i)
                blocks[-1] = (tuple(previous_row),)
                continue
            previous_row = [i]
        else:
            previous_row = None
        blocks.append(_paragraphs(chains[b], boxes, heights))
    return PageLayout(blocks=tuple(blocks), vertical=vertical, right_to_left=rtl)


def _same_row(boxes: np.ndarray, heights: np.ndarray, left: int, right: int) -> bool:
    """`right` continues the row of `left`: they share most of the smaller height and it starts after it."""
    overlap = min(boxes[left, 3], boxes[right, 3]) - max(boxes[left, 1], boxes[right, 1])
    return overlap >= 0.5 * min(heights[left], heights[right]) and boxes[right, 0] >= boxes[left, 2] - 0.5 * heights[right]


def _link_lines(boxes: np.ndarray, heights: np.ndarray) -> list[list[int]]:
    """Chains of lines linked one below the other (see the module doc), each sorted top to bottom."""
    n = len(boxes)
    x0, y0, x1, y1 = boxes.T
    centre = (y0 + y1) / 2
    overlap_x = np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])
    overlap_y = np.minimum(y1[:, None], y1[None, :]) - np.maximum(y0[:, None], y0[None, :])
    min_h = np.minimum(heights[:, None], heights[None, :])
    # below[i, j]: j lies under i (centre lower, sharing at most half the smaller height) and they overlap in x
    below = (centre[None, :] > centre[:, None]) & (overlap_y < 0.5 * min_h) & (overlap_x > 0)
    np.fill_diagonal(below, False)

    def nearest(candidates: np.ndarray, tops: np.ndarray, lowest_first: bool) -> int | None:
        """The one nearest candidate, or None when none or two side by side share the nearest row."""
        idx = np.flatnonzero(candidates)
        if len(idx) == 0:
            return None
        key = tops[idx] if lowest_first else -tops[idx]
        best = idx[int(np.argmin(key))]
        same_row = idx[np.abs(centre[idx] - centre[best]) < 0.5 * heights[best]]
        return int(best) if len(same_row) == 1 else None

    # a short line with another line in its own row (overlapping in y, apart in x) is a form field or label
    same_row = (overlap_y > 0.5 * min_h) & (overlap_x <= 0)
    np.fill_diagonal(same_row, False)
    field = ((x1 - x0) < SHORT_LINE * heights) & same_row.any(axis=1)
    down = [nearest(below[i], y0, True) for i in range(n)]
    up = [nearest(below[:, j], y1, False) for j in range(n)]
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in enumerate(down):
        if j is None or up[j] != i or (field[i] and field[j]):
            continue
        gap = y0[j] - y1[i]
        ratio = max(heights[i], heights[j]) / min(heights[i], heights[j])
        narrower = min(x1[i] - x0[i], x1[j] - x0[j])
        if gap <= LINK_GAP * min(heights[i], heights[j]) and ratio <= LINK_HEIGHT_RATIO and overlap_x[i, j] >= MIN_X_OVERLAP * narrower:
            parent[root(j)] = root(i)
    chains: dict[int, list[int]] = {}
    for i in range(n):
        chains.setdefault(root(i), []).append(i)
    return [sorted(c, key=lambda i: (y0[i], x0[i])) for c in chains.values()]


def _intervals(starts: np.ndarray, ends: np.ndarray, min_gap: float) -> list[np.ndarray]:
    """Indices (into starts/ends) grouped into runs separated by empty gaps wider than min_gap (may be negative)."""
    order = np.argsort(starts, kind="stable")
    groups: list[list[int]] = [[int(order[0])]]
    reach = ends[order[0]]
    for i in order[1:]:
        if starts[i] - reach > min_gap:
            groups.append([])
        groups[-1].append(int(i))
        reach = max(reach, ends[i])
    return [np.array(g) for g in groups]


def _xy_cut(items: list[int], boxes: np.ndarray, line_height: float, single: np.ndarray) -> list[int]:
    """Reading order of blocks (indices into boxes (M, 4): x0 y0 x1 y1): columns left to right, else rows top to
    bottom (rows first in a group of single-line blocks, `single`), recursively (with a stack: a staircase of a
    thousand blocks is a thousand levels); an uncuttable group in rows."""
    order: list[int] = []
    pending = [list(items)]
    while pending:
        group = pending.pop()
        if len(group) <= 1:
            order.extend(group)
            continue
        sub = boxes[group]
        columns = lambda: _intervals(sub[:, 0], sub[:, 2], GUTTER * line_height)  # noqa: E731
        rows = lambda: _intervals(sub[:, 1], sub[:, 3], -ROW_OVERLAP * line_height)  # noqa: E731
        first, second = (rows, columns) if single[group].all() else (columns, rows)
        parts = first()
        if len(parts) == 1:
            parts = second()
        if len(parts) > 1:
            pending.extend([group[i] for i in part] for part in reversed(parts))
        else:
            order.extend(group[i] for i in _rows_then_x(sub, line_height))
    return order


def _rows_then_x(boxes: np.ndarray, line_height: float) -> list[int]:
    """Top to bottom, and left to right among boxes whose tops are within half a line height."""
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i, 1], boxes[i, 0]))
    rows: list[list[int]] = []
    for i in order:
        if rows and boxes[i, 1] - boxes[rows[-1][0], 1] < 0.5 * line_height:
            rows[-1].append(i)
        else:
            rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda i: boxes[i, 0])]


def _paragraphs(chain: list[int], boxes: np.ndarray, heights: np.ndarray) -> tuple[tuple[int, ...], ...]:
    """Split one block's lines (top to bottom) into paragraphs at wide gaps and first-line indents."""
    if len(chain) == 1:
        return (tuple(chain),)
    x0, y0, x1, y1 = boxes[chain].T
    h = heights[chain]
    gaps = y0[1:] - y1[:-1]
    usual_gap = float(np.median(gaps)) if len(gaps) >= 2 else None
    left = float(x0.min())
    # a left-aligned block: most lines start at its left edge (a centred block has no indents to read)
    flush = np.abs(x0 - left) < 0.5 * float(np.median(h))
    left_aligned = int(flush.sum()) * 2 >= len(chain)
    paragraphs: list[list[int]] = [[chain[0]]]
    for k in range(1, len(chain)):
        line_h = float(min(h[k], h[k - 1]))
        gap = float(gaps[k - 1])
        if usual_gap is None:
            wide = gap > 1.0 * line_h
        else:
            wide = gap > max(usual_gap + PARAGRAPH_GAP * line_h, PARAGRAPH_GAP_FACTOR * max(usual_gap, 0.0))
        indented = left_aligned and x0[k] - left >= INDENT * line_h and bool(flush[k - 1]) and (
            k + 1 == len(chain) or bool(flush[k + 1]))
        if wide or indented:
            paragraphs.append([])
        paragraphs[-1].append(chain[k])
    return tuple(tuple(p) for p in paragraphs)
