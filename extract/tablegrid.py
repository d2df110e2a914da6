"""Table grids from ruling lines, with OpenCV. Geometry only: no OCR here.

The steps, each a small function (pdfplumber's edges -> intersections -> cells -> tables, on
pixels):

    ink -> line_masks (morphological opening) -> segments (h: y, x0, x1; v: x, y0, y1)
        -> table_regions (connected rulings) -> edges (clustered row/column positions)
        -> slots joined where no ruling separates them -> cells with row/col spans
        -> cell_lines (text lines inside each cell, by ink projection)

Units are pixels of the prepared (deskewed) page. ``text_height`` sets every tolerance, so the
finder works at any resolution. ``debug_view`` draws each intermediate step into one PNG.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass(frozen=True)
class Segment:
    """A ruling: horizontal (``pos`` = y, from ``start`` to ``end`` in x) or vertical."""

    pos: float
    start: float
    end: float
    thickness: float


@dataclass(frozen=True)
class GridCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    box: tuple[int, int, int, int]   # x0, top, x1, bottom (the ruling centres)


@dataclass
class TableGeometry:
    box: tuple[int, int, int, int]
    row_edges: list[float]
    col_edges: list[float]
    cells: list[GridCell]
    hsegs: list[Segment] = field(default_factory=list)
    vsegs: list[Segment] = field(default_factory=list)
    text_height: float = 20.0

    @property
    def n_rows(self) -> int:
        return len(self.row_edges) - 1

    @property
    def n_cols(self) -> int:
        return len(self.col_edges) - 1


# -- step 0: scale ------------------------------------------------------------------------------

def text_height(ink: np.ndarray, default: float = 20.0, limit: int | None = None) -> float:
    """A typical glyph height in pixels: a high percentile of the heights of small components
    (glyph parts are shorter than glyphs; rulings and blobs are excluded by size: ``limit``,
    by default a 20th of the image's height)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return default
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    limit = limit or max(12, ink.shape[0] // 20)
    keep = (h >= 4) & (h < limit) & (w < limit)
    if keep.sum() < 10:
        return default
    return float(max(6.0, np.percentile(h[keep], 85)))


# -- step 1: rulings ----------------------------------------------------------------------------

def line_masks(ink: np.ndarray, th: float) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical ruling masks. Gaps from a faint scan are bridged first."""
    lh = max(10, int(1.8 * th))
    lv = max(6, int(0.9 * th))
    bridge = max(2, int(0.15 * th))
    hb = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (bridge, 1)))
    vb = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, bridge)))
    hmask = cv2.morphologyEx(hb, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (lh, 1)))
    vmask = cv2.morphologyEx(vb, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, lv)))
    return hmask, vmask


def segments(mask: np.ndarray, horizontal: bool, th: float,
             ink: np.ndarray | None = None) -> list[Segment]:
    """Thin ruling segments from a line mask.

    Thick blobs (shaded fills) are dropped, and so, when ``ink`` is given, are runs that are not
    isolated: a ruling has paper on both sides along most of its length, a stroke inside bold
    text does not.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        length = w if horizontal else h
        thick = area / max(1, length)   # mean thickness: a glyph touching a ruling adds little
        if thick > max(4, 0.3 * th) or length < 3 * thick:
            continue
        if ink is not None and _isolation(ink, labels, i, (x, y, w, h), horizontal, thick) < 0.6:
            continue
        if horizontal:
            out.append(Segment(y + h / 2, float(x), float(x + w), float(h)))
        else:
            out.append(Segment(x + w / 2, float(y), float(y + h), float(w)))
    return out


def _isolation(ink, labels, i, rect, horizontal, thick) -> float:
    """Fraction of a segment's length with no ink just beside it on both sides, measured from
    the segment's own edges at each point of its length (a ruling left slanted by a warped scan
    drifts across its bounding box)."""
    x, y, w, h = rect
    sub = labels[y:y + h, x:x + w] == i
    if horizontal:
        sub = sub.T                      # rows along the segment's length
    present = sub.any(axis=1)
    if not present.any():
        return 0.0
    first = np.argmax(sub, axis=1)
    last = sub.shape[1] - 1 - np.argmax(sub[:, ::-1], axis=1)
    d = 3
    along = np.nonzero(present)[0]
    if horizontal:                       # along x; the sides are rows above and below
        pos, side_a, side_b = x + along, y + first[along] - d, y + last[along] + d
        limit = ink.shape[0]
    else:                                # along y; the sides are columns left and right
        pos, side_a, side_b = y + along, x + first[along] - d, x + last[along] + d
        limit = ink.shape[1]
    inside = (side_a >= 0) & (side_b < limit)
    if not inside.any():
        return 1.0
    pos, side_a, side_b = pos[inside], side_a[inside], side_b[inside]
    if horizontal:
        free = (ink[side_a, pos] == 0) & (ink[side_b, pos] == 0)
    else:
        free = (ink[pos, side_a] == 0) & (ink[pos, side_b] == 0)
    return float(free.mean())


def connected_verticals(vsegs: list[Segment], hsegs: list[Segment], th: float) -> list[Segment]:
    """Vertical segments whose ends meet horizontal rulings: glyph strokes don't."""
    tol = max(3.0, 0.35 * th)

    def meets(x, y):
        return any(abs(h.pos - y) <= tol + h.thickness / 2 and h.start - tol <= x <= h.end + tol
                   for h in hsegs)

    out = []
    for v in vsegs:
        top, bottom = meets(v.pos, v.start), meets(v.pos, v.end)
        # a table cut by the page break has no closing ruling: one end, if long, is enough
        if (top and bottom) or ((top or bottom) and v.end - v.start >= 2 * th):
            out.append(v)
    return out


def connected_horizontals(hsegs: list[Segment], vsegs: list[Segment], th: float) -> list[Segment]:
    """Horizontal segments whose ends meet vertical rulings: bold text strokes don't."""
    tol = max(3.0, 0.35 * th)

    def meets(x, y):
        return any(abs(v.pos - x) <= tol + v.thickness / 2 and v.start - tol <= y <= v.end + tol
                   for v in vsegs)

    def crossings(h):
        return sum(1 for v in vsegs if h.start + tol < v.pos < h.end - tol
                   and v.start - tol <= h.pos <= v.end + tol)

    out = []
    for h in hsegs:
        left, right = meets(h.start, h.pos), meets(h.end, h.pos)
        # a table with open sides: its rules end in the air but column rules meet them inside
        # (one, in a two-column table)
        if (left and right) or ((left or right) and h.end - h.start >= 4 * th) \
                or (h.end - h.start >= 4 * th and crossings(h) >= 1):
            out.append(h)
    return out


# -- step 2: tables -----------------------------------------------------------------------------

def table_regions(hsegs, vsegs, shape, th: float) -> list[tuple[int, int, int, int]]:
    """Boxes of groups of rulings that touch each other (one table each), top to bottom."""
    mask = np.zeros(shape, dtype=np.uint8)
    t = max(2, int(0.2 * th))
    for s in hsegs:
        cv2.line(mask, (int(s.start), int(s.pos)), (int(s.end), int(s.pos)), 255, t)
    for s in vsegs:
        cv2.line(mask, (int(s.pos), int(s.start)), (int(s.pos), int(s.end)), 255, t)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    boxes = []
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if w >= 4 * th and h >= 1.2 * th:
            boxes.append((int(x), int(y), int(x + w), int(y + h)))
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def cluster(values: list[float], tol: float) -> list[float]:
    """1-D clustering: sorted means of runs whose neighbours are within ``tol``."""
    if not values:
        return []
    vs = sorted(values)
    groups = [[vs[0]]]
    for v in vs[1:]:
        if v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [float(np.mean(g)) for g in groups]


def _covered(segs: list[Segment], pos: float, a: float, b: float, tol: float) -> float:
    """The fraction of [a, b] covered by segments lying at ``pos`` (within ``tol``)."""
    spans = sorted((max(a, s.start), min(b, s.end)) for s in segs
                   if abs(s.pos - pos) <= tol and s.end > a and s.start < b)
    total, cur = 0.0, a
    for s, e in spans:
        s = max(s, cur)
        if e > s:
            total += e - s
            cur = e
    return total / max(1e-6, b - a)


def grid_from_segments(box, hsegs: list[Segment], vsegs: list[Segment], th: float) -> TableGeometry:
    """Rows/columns from clustered ruling positions; slots not separated by a ruling merge."""
    x0, y0, x1, y1 = box
    pad = 0.5 * th
    hs = [s for s in hsegs if y0 - pad <= s.pos <= y1 + pad and s.end >= x0 - pad and s.start <= x1 + pad]
    vs = [s for s in vsegs if x0 - pad <= s.pos <= x1 + pad and s.end >= y0 - pad and s.start <= y1 + pad]
    tol = max(3.0, 0.4 * th)
    vs = _drop_glyph_columns(vs, tol, th)
    rows = cluster([s.pos for s in hs], tol)
    cols = cluster([s.pos for s in vs], tol)
    # a side without its ruling (a table cut by the page break) still closes the grid: where
    # the rulings of the other direction run on past the last edge
    if hs and vs:
        vtop, vbot = min(s.start for s in vs), max(s.end for s in vs)
        hleft, hright = min(s.start for s in hs), max(s.end for s in hs)
        if rows[0] - vtop > th:
            rows.insert(0, vtop)
        if vbot - rows[-1] > th:
            rows.append(vbot)
        if cols and cols[0] - hleft > th:
            cols.insert(0, hleft)
        if cols and hright - cols[-1] > th:
            cols.append(hright)
    nr, nc = len(rows) - 1, len(cols) - 1
    if nr < 1 or nc < 1:
        return TableGeometry(box, rows, cols, [], hs, vs)
    parent = list(range(nr * nc))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and _covered(vs, cols[c + 1], rows[r], rows[r + 1], tol) < 0.5:
                union(r * nc + c, r * nc + c + 1)
            if r + 1 < nr and _covered(hs, rows[r + 1], cols[c], cols[c + 1], tol) < 0.5:
                union(r * nc + c, (r + 1) * nc + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            groups.setdefault(find(r * nc + c), []).append((r, c))
    cells, taken = [], set()
    for slots in sorted(groups.values()):
        r0 = min(r for r, _ in slots)
        r1 = max(r for r, _ in slots)
        c0 = min(c for _, c in slots)
        c1 = max(c for _, c in slots)
        rect = {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        if rect & taken:   # a non-rectangular merge overlapping another: keep its own slots
            for r, c in slots:
                if (r, c) not in taken:
                    taken.add((r, c))
                    cells.append(GridCell(r, c, 1, 1, _box(rows, cols, r, c, 1, 1)))
            continue
        taken |= rect
        cells.append(GridCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1,
                              _box(rows, cols, r0, c0, r1 - r0 + 1, c1 - c0 + 1)))
    cells.sort(key=lambda g: (g.row, g.col))
    return TableGeometry(box, rows, cols, cells, hs, vs)


def _drop_glyph_columns(vs: list[Segment], tol: float, th: float) -> list[Segment]:
    """Drop column positions held only by short segments in the middle of a column: a "1" that
    fills a cramped row from ruling to ruling looks like a separator, but it is centred between
    its cell's real rulings, which run longer elsewhere in the table."""
    xs = cluster([s.pos for s in vs], tol)
    groups = [[s for s in vs if abs(s.pos - x) <= tol] for x in xs]
    longest = [max(s.end - s.start for s in g) for g in groups]
    keep = []
    for k, g in enumerate(groups):
        if longest[k] < 2 * th:
            left = [xs[j] for j in range(k) if longest[j] >= 2 * th]
            right = [xs[j] for j in range(k + 1, len(xs)) if longest[j] >= 2 * th]
            if left and right:
                a, b = left[-1], right[0]
                if abs(xs[k] - (a + b) / 2) < 0.2 * (b - a) or min(xs[k] - a, b - xs[k]) < 1.2 * th:
                    continue
        keep.extend(g)
    return keep


def _box(rows, cols, r, c, rs, cs):
    return (int(round(cols[c])), int(round(rows[r])), int(round(cols[c + cs])),
            int(round(rows[r + rs])))


def rulings_mask(shape, hsegs, vsegs, hmask, vmask) -> np.ndarray:
    """The pixels of the accepted rulings only (a "1" in the vertical mask is kept as text)."""
    keep = np.zeros(shape, dtype=np.uint8)
    for s in hsegs:
        y0, y1 = int(s.pos - s.thickness / 2) - 2, int(s.pos + s.thickness / 2) + 3
        x0, x1 = max(0, int(s.start) - 2), int(s.end) + 3
        keep[max(0, y0):y1, x0:x1] = np.maximum(keep[max(0, y0):y1, x0:x1],
                                                 cv2.dilate(hmask[max(0, y0):y1, x0:x1], np.ones((3, 3), np.uint8)))
    for s in vsegs:
        x0, x1 = int(s.pos - s.thickness / 2) - 2, int(s.pos + s.thickness / 2) + 3
        y0, y1 = max(0, int(s.start) - 2), int(s.end) + 3
        keep[y0:y1, max(0, x0):x1] = np.maximum(keep[y0:y1, max(0, x0):x1],
                                                 cv2.dilate(vmask[y0:y1, max(0, x0):x1], np.ones((3, 3), np.uint8)))
    return keep


def fill_mask(ink: np.ndarray, th: float) -> np.ndarray:
    """Solid fills (a shaded row dark enough to binarise as ink): what survives an opening
    with a square of half a text height, which no stroke or ruling does."""
    k = max(3, int(0.5 * th))
    return cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))


def fill_edges(fill: np.ndarray, th: float) -> tuple[list[Segment], list[Segment]]:
    """The edges of wide fills as rulings, ``(horizontal, vertical)``: a shaded row is closed
    by rules that the fill swallows."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(fill, connectivity=8)
    hs, vs = [], []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if w >= 4 * th and h >= 0.5 * th and area >= 0.7 * w * h:
            hs += [Segment(float(y), float(x), float(x + w), 2.0),
                   Segment(float(y + h), float(x), float(x + w), 2.0)]
            vs += [Segment(float(x), float(y), float(y + h), 2.0),
                   Segment(float(x + w), float(y), float(y + h), 2.0)]
    return hs, vs


def find_tables(ink: np.ndarray, th: float | None = None) -> tuple[list[TableGeometry], dict]:
    """All ruled tables on a prepared page, top to bottom, plus the intermediate steps."""
    th = th or text_height(ink)
    fill = fill_mask(ink, th)
    lines_ink = ink
    fill_h: list[Segment] = []
    fill_v: list[Segment] = []
    if fill.any():   # rulings are looked for beside the fills, whose edges are rulings too
        lines_ink = cv2.subtract(ink, cv2.dilate(fill, np.ones((3, 3), np.uint8)))
        fill_h, fill_v = fill_edges(fill, th)
    hmask, vmask = line_masks(lines_ink, th)
    hraw = segments(hmask, True, th, lines_ink) + fill_h
    vraw = segments(vmask, False, th, lines_ink) + fill_v
    vsegs = connected_verticals(vraw, hraw, th)
    hsegs = connected_horizontals(hraw, vsegs, th)
    vsegs = connected_verticals(vraw, hsegs, th)
    regions = table_regions(hsegs, vsegs, ink.shape, th)
    rough = cv2.subtract(ink, rulings_mask(ink.shape, hsegs, vsegs, hmask, vmask))
    tables = []
    for box in regions:
        x0, y0, x1, y1 = box
        # the size limit is the page's: a 20th of a short table's own height (one row of
        # figures under its header) is less than a glyph, and would measure glyph parts
        tth = text_height(rough[y0:y1, x0:x1], default=th, limit=max(12, int(2 * th)))
        g = grid_from_segments(box, hsegs, vsegs, tth)
        g.text_height = tth
        if len(g.cells) >= 2:
            tables.append(g)
    # the text ink: all ink but the rulings the grids kept (a "1" dropped as a column is text)
    kept = set(id(s) for t in tables for s in t.vsegs)
    inside = [t.box for t in tables]
    vkeep = [s for s in vsegs if id(s) in kept or not any(
        b[0] - 3 <= s.pos <= b[2] + 3 and b[1] - 3 <= s.start and s.end <= b[3] + 3 for b in inside)]
    text_ink = cv2.subtract(ink, rulings_mask(ink.shape, hsegs, vkeep, hmask, vmask))
    steps = {"text_height": th, "text_ink": text_ink, "hmask": hmask, "vmask": vmask, "hsegs": hsegs, "vraw": vraw,
             "hraw": hraw,
             "vsegs": vsegs, "regions": regions}
    return tables, steps


# -- step 3: text inside a cell -----------------------------------------------------------------

def cell_interior(ink: np.ndarray, box, th: float) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    m = max(2, int(0.18 * th))
    return (min(x0 + m, x1), min(y0 + m, y1), max(x1 - m, x0 + m), max(y1 - m, y0 + m))


def cell_lines(text_ink: np.ndarray, box, th: float,
               image: np.ndarray | None = None) -> list[tuple[int, int, int, int]]:
    """Boxes of the text lines inside a cell (empty list for an empty cell), top to bottom.

    ``text_ink`` is the ink without rulings. In a shaded cell (``image`` given and its paper
    grey) the ink is re-thresholded locally so the fill's texture is not taken for text. Row
    bands of ink are merged while the merged band stays within one glyph height (so 三's strokes
    are one line, two wrapped lines are two).
    """
    x0, y0, x1, y1 = cell_interior(text_ink, box, th)
    sub = text_ink[y0:y1, x0:x1]
    if image is not None and sub.size:
        grey = image[y0:y1, x0:x1]
        paper = float(np.median(grey))
        if paper < 225:
            t, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            t = min(t, paper - 40)
            sub = ((grey < t) & (sub > 0)).astype(np.uint8) * 255
            sub = cv2.morphologyEx(sub, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    if sub.size:
        sub = drop_specks(sub, th)
    if sub.size == 0 or int((sub > 0).sum()) < max(6, int(0.03 * th * th)):
        return []
    rows = (sub > 0).sum(axis=1)
    on = rows > 0
    bands, start = [], None
    for y, v in enumerate(on):
        if v and start is None:
            start = y
        elif not v and start is not None:
            bands.append([start, y])
            start = None
    if start is not None:
        bands.append([start, len(on)])
    cols_any = np.nonzero((sub > 0).any(axis=0))[0]
    ink_w = int(cols_any[-1] - cols_any[0] + 1) if len(cols_any) else 0
    ink_h = int(bands[-1][1] - bands[0][0]) if bands else 0
    # vertical text (a narrow column of glyphs): glyphs are square, as wide as the column; at
    # least two glyphs tall (a lone "1" is narrow too, but one glyph high)
    vertical = ink_w <= 1.5 * th and ink_h >= max(3 * ink_w, 1.8 * th)
    limit = 1.15 * ink_w if vertical else 1.3 * th
    merged = []
    for b in bands:
        if merged and b[1] - merged[-1][0] <= limit:
            merged[-1][1] = b[1]
        else:
            merged.append(list(b))
    if vertical:   # glyphs that touch (blur) form one band: cut it into square glyphs
        cut = []
        for a, b in merged:
            k = int(round((b - a) / (1.05 * ink_w)))
            if k >= 2:
                step = (b - a) / k
                cut.extend([int(a + i * step), int(a + (i + 1) * step)] for i in range(k))
            else:
                cut.append([a, b])
        merged = cut
    out = []
    for a, b in merged:
        band = sub[a:b]
        if int((band > 0).sum()) < 4 or (b - a) < 0.15 * th and not _dash_like(band, th):
            continue
        cols = np.nonzero((band > 0).any(axis=0))[0]
        out.append((x0 + int(cols[0]), y0 + a, x0 + int(cols[-1]) + 1, y0 + b))
    return out


def drop_specks(sub: np.ndarray, th: float) -> np.ndarray:
    """The ink of a cell without specks: dots under a quarter of a glyph whose ink, joined across
    half a glyph along the line and a quarter across it, stays under half a glyph (dirt of a
    poor scan or fax). A decimal point sits by its digits, and the pieces of a glyph broken up
    by a fax lie together: they stay. A speck left in would stretch the cell's text line across
    the cell, and the recogniser, reading dirt, drops or invents digits."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    if n <= 1:
        return sub
    small = np.zeros(n, bool)
    small[1:] = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]) \
        < max(2, 0.25 * th)
    if not small.any():
        return sub
    r = max(1, int(0.5 * th))
    joined = cv2.dilate(sub, np.ones((r, 2 * r + 1), np.uint8))
    m, clusters, cstats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    # a cluster's ink extent: the dilated box less the reach on each side
    extent = np.maximum(cstats[:, cv2.CC_STAT_WIDTH] - 2 * r, cstats[:, cv2.CC_STAT_HEIGHT] - r)
    lone = extent < 0.5 * th
    lone[0] = False
    drop = small[labels] & lone[clusters]
    if not drop.any():
        return sub
    out = sub.copy()
    out[drop] = 0
    return out


def _dash_like(band: np.ndarray, th: float) -> bool:
    cols = np.nonzero((band > 0).any(axis=0))[0]
    return len(cols) > 0 and cols[-1] - cols[0] >= 0.3 * th


def is_vertical_stack(lines, th: float) -> bool:
    """Three or more one-glyph lines stacked: vertical text such as 三、本年度办理结果."""
    return len(lines) >= 3 and all((x1 - x0) <= 1.5 * th and (y1 - y0) <= 1.4 * th
                                   for x0, y0, x1, y1 in lines)


# -- debug view ---------------------------------------------------------------------------------

def debug_view(image: np.ndarray, tables: list[TableGeometry], steps: dict, path) -> None:
    """Draw each step side by side into one PNG: rulings found (red h, blue v, grey rejected v),
    table regions (green), cells with their (row, col, spans) (magenta), text lines (cyan)."""
    base = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()
    a = base.copy()
    a[steps["hmask"] > 0] = (0, 0, 255)
    a[steps["vmask"] > 0] = (255, 0, 0)
    b = base.copy()
    for s in steps["vraw"]:
        cv2.line(b, (int(s.pos), int(s.start)), (int(s.pos), int(s.end)), (160, 160, 160), 2)
    for s in steps["hraw"]:
        cv2.line(b, (int(s.start), int(s.pos)), (int(s.end), int(s.pos)), (160, 160, 160), 2)
    for s in steps["hsegs"]:
        cv2.line(b, (int(s.start), int(s.pos)), (int(s.end), int(s.pos)), (0, 0, 255), 2)
    for s in steps["vsegs"]:
        cv2.line(b, (int(s.pos), int(s.start)), (int(s.pos), int(s.end)), (255, 0, 0), 2)
    for x0, y0, x1, y1 in steps["regions"]:
        cv2.rectangle(b, (x0, y0), (x1, y1), (0, 170, 0), 3)
    c = base.copy()
    text_ink = steps.get("text_ink")
    for t in tables:
        th = t.text_height
        for cell in t.cells:
            x0, y0, x1, y1 = cell.box
            cv2.rectangle(c, (x0 + 2, y0 + 2), (x1 - 2, y1 - 2), (200, 0, 200), 1)
            label = f"{cell.row},{cell.col}"
            if cell.rowspan > 1 or cell.colspan > 1:
                label += f" {cell.rowspan}x{cell.colspan}"
            cv2.putText(c, label, (x0 + 3, y0 + 11), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (200, 0, 200), 1)
            if text_ink is not None:
                for lx0, ly0, lx1, ly1 in cell_lines(text_ink, cell.box, th,
                                                               image if image.ndim == 2 else None):
                    cv2.rectangle(c, (lx0, ly0), (lx1, ly1), (200, 200, 0), 1)
    cv2.imwrite(str(path), np.hstack([a, b, c]))
