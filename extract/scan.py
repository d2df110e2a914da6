"""Scanned PDFs and page images -> ``Document``: the offline OCR path.

Per page (see docs/scan.md):

    rasterise (pypdfium2, --dpi) or load the image (size checked before decoding)
    -> prepare: flatten lighting, orientation 0/90/180/270, deskew ±5°   [extract.raster]
    -> ruled tables: cells with row/col spans                              [extract.tablegrid]
    -> per cell: ink check (empty cells are never recognised), text lines by ink projection,
       padded and normalised line crops; one batched recognition for all cells of the page
       (recogniser only: the detector is never run on table cells)         [extract.ocr]
    -> outside the tables: text lines by ink projection, recognised in one batch (the title,
       section headings, and the prose the narrative check reads); with --tables-only only the
       lines just above each table (its section heading)

Then across pages: a table whose page shows no heading above it and which follows a table that
ran to the foot of the previous page is the same table (rows appended, columns aligned by x).
``Grid.section`` comes from the nearest section heading above the table.

Public: ``ingest_image``, ``ingest_image_dir``, ``ingest_scanned_pdf`` (``pages=`` OCRs a subset
of a PDF's pages, for PDFs that mix text-layer and scanned pages), ``scan_pages`` (the per-page
results, for callers that merge them with text-layer pages themselves).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np

from . import raster, tablegrid
from .errors import InputFileError, LimitExceededError, NotAReportError
from .model import Cell, Document, Grid, Issue
from .numbers import looks_numeric
from .ocr import Reading, get_engine, quad_box
from .options import Options
from .pdf_text import checked_page_count

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
LINE_HEIGHT = 1.6   # a line crop's height, in text heights
HEADING_REACH = 5   # with --tables-only, the heading is looked for this many text heights up
PIECE_GAP = 2.5     # a gap this many line heights wide splits a prose line into pieces
TALL_BAND = 2.6     # a band of prose rows taller than this many text heights holds several lines
MIN_IMAGE_SHARE = 0.05   # an image this share of a text page may be a pasted table: OCR'd
STROKE_READINGS = set("0123456789一二三E|lI-—_/Vv\\ノ丿")   # what a lone "/" or "—" gets read as
ZERO_LOOKALIKES = re.compile("[Oo〇]")
SECOND_LOOK_CONFIDENCE = 0.85   # at most, for a reading the packed pass left empty
DIGIT_WIDTH = 0.7        # a digit's width in text-line heights, when a page shows too few
WIDTH_DOUBT = 0.5        # the confidence left to a reading too short for its ink
MARK_CONFIDENCE = 0.95   # a blank's mark ("/", "—") found by its shape (stroke_mark)
PAD_H = 0.1         # white margin left and right of a line crop, in text heights
REPORT_WORDS = ("信息公开", "年度报告", "政府信息", "依申请", "主动公开", "行政复议")


# -- per-page results ---------------------------------------------------------------------------

@dataclass
class ProseLine:
    text: str
    score: float
    box: tuple[int, int, int, int]   # prepared pixels


@dataclass
class PageTable:
    """One ruled table on one page, cells already read."""

    page: int
    geometry: tablegrid.TableGeometry
    cells: list[Cell]
    heading: str | None = None        # the section heading found above it (二/三/四), if any
    heading_other: bool = False       # another numbered heading (一、五、…) stands above it
    starts_at_top: bool = False       # nothing but short lines above it on the page
    ends_at_foot: bool = False        # nothing but short lines below it on the page


@dataclass
class PageResult:
    number: int
    tables: list[PageTable]
    prose: list[ProseLine]
    orientation: int
    skew: float
    seconds: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.prose)


# -- crops --------------------------------------------------------------------------------------

def line_crop(image: np.ndarray, box, th: float, clip=None) -> np.ndarray:
    """A text line cut from the page, ``LINE_HEIGHT`` text heights tall around its centre (a
    lone digit and a Chinese label come out at one scale, as on a printed line), with white
    side margins and its contrast stretched (faint crops make the recogniser read a lone "0" as
    "o" or "."). Rows outside ``clip`` (the cell's interior: rulings, the next row's text) and
    beyond the page are white."""
    x0, y0, x1, y1 = box
    h, w = image.shape[:2]
    half = max(LINE_HEIGHT * th, (y1 - y0) + 0.5 * th) / 2
    c = (y0 + y1) / 2
    top, bottom = int(round(c - half)), int(round(c + half))
    lo, hi = max(0, top), min(h, bottom)
    if clip is not None:
        lo, hi = max(lo, min(y0, clip[1])), min(hi, max(y1, clip[3]))
    m = max(1, int(0.12 * th))
    crop = image[lo:hi, max(0, x0 - m):min(w, x1 + m)]
    crop = cv2.copyMakeBorder(crop, lo - top, bottom - hi, 0, 0, cv2.BORDER_CONSTANT, value=255)
    return _normalise(crop, th)


def _normalise(crop: np.ndarray, th: float) -> np.ndarray:
    if crop.size == 0:
        return np.full((8, 8), 255, np.uint8)
    lo = float(np.percentile(crop, 2))
    hi = float(np.percentile(crop, 98))
    if hi - lo >= 30:
        crop = np.clip((crop.astype(np.float32) - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    pad = max(2, int(PAD_H * th))
    return cv2.copyMakeBorder(crop, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=255)


def stack_crop(image: np.ndarray, boxes, th: float) -> np.ndarray:
    """Glyphs of vertical text laid side by side as one horizontal line."""
    hmax = max(int(LINE_HEIGHT * th), max(y1 - y0 for _, y0, _, y1 in boxes))
    gap = max(2, int(0.25 * th))
    parts = []
    for x0, y0, x1, y1 in boxes:
        g = image[y0:y1, x0:x1]
        top = (hmax - g.shape[0]) // 2
        g = cv2.copyMakeBorder(g, top, hmax - g.shape[0] - top, gap, gap,
                               cv2.BORDER_CONSTANT, value=255)
        parts.append(g)
    return _normalise(np.hstack(parts), th)


# -- one page -----------------------------------------------------------------------------------

def read_page(page: raster.PreparedPage, engine, options: Options, unit: str) -> PageResult:
    """Find the tables on a prepared page, read their cells and the prose around them."""
    t0 = time.perf_counter()
    tables, steps = tablegrid.find_tables(page.ink)
    text_ink = steps["text_ink"]
    t1 = time.perf_counter()
    crops: list[np.ndarray] = []
    line_boxes: dict[int, tuple[int, int, int, int]] = {}   # crop index -> its ink box
    plan: list[tuple[int, int, list[int]]] = []   # (table index, cell index, crop indices)
    for ti, t in enumerate(tables):
        th = t.text_height
        for ci, gc in enumerate(t.cells):
            lines = tablegrid.cell_lines(text_ink, gc.box, th, page.image)
            idx = []
            if lines and tablegrid.is_vertical_stack(lines, th):
                idx.append(len(crops))
                crops.append(stack_crop(page.image, lines, th))
            else:
                clip = tablegrid.cell_interior(text_ink, gc.box, th)
                for box in lines:
                    idx.append(len(crops))
                    line_boxes[len(crops)] = box
                    crops.append(line_crop(page.image, box, th, clip))
            plan.append((ti, ci, idx))
    # outside the tables: the title, headings and prose (with --tables-only just the heading
    # above each table), as text lines by ink projection
    prose_boxes = []
    prose_start = len(crops)
    for box, lh in prose_lines(page, tables, text_ink, steps["text_height"], engine,
                               options.tables_only):
        prose_boxes.append(box)
        crops.append(line_crop(page.image, box, lh))
    t2 = time.perf_counter()
    readings = engine.recognize(crops) if crops else []
    # a cell with ink that the packed reading left empty (a lone fax-grade "1" among its
    # neighbours): read once more on a line of its own. The two readings disagree, so the
    # second is doubted (below the flag threshold) until the arithmetic confirms it
    empty = [i for i in range(prose_start) if not readings[i].text.strip()]
    second_look = set(empty)   # whatever they read as, the mark test below looks at their shape
    if empty and getattr(engine, "pack_width", None):   # (unpacked, it was read alone already)
        for i, r in zip(empty, engine.recognize_alone([crops[i] for i in empty])):
            if r.text.strip():
                readings[i] = Reading(r.text, min(r.score, SECOND_LOOK_CONFIDENCE),
                                      r.alternatives)
    t3 = time.perf_counter()

    # a lone stroke printed for a blank ("/", "—"), which the recogniser doubts: by its shape.
    # The shape test is strict (one thin straight stroke, leaning as the mark does: no digit
    # passes it), so a mark it finds is as sure as a clear reading: MARK_CONFIDENCE
    for i, r in enumerate(readings):
        if i in second_look or (len(r.text) <= 2 and r.score < 0.95 and all(
                ch in STROKE_READINGS for ch in r.text)):
            mark = stroke_mark(crops[i])
            if mark:
                alts = r.alternatives if mark == r.text else ((r.text, r.score),) + r.alternatives
                readings[i] = Reading(mark, max(r.score, MARK_CONFIDENCE), alts)
    # a number too short for its ink (a blotted "42" read "2" at 0.99): doubtful, whatever the
    # recogniser's score
    width = digit_width([(readings[i].text, readings[i].score, box)
                         for i, box in line_boxes.items()])
    for i, box in line_boxes.items():
        r = readings[i]
        if r.text and too_short_for_ink(r.text, box, width):
            readings[i] = Reading(r.text, min(r.score, WIDTH_DOUBT), r.alternatives)
    page_tables = []
    by_table: dict[int, list[Cell]] = {i: [] for i in range(len(tables))}
    for ti, ci, idx in plan:
        gc = tables[ti].cells[ci]
        rs = [readings[i] for i in idx]
        by_table[ti].append(_cell(gc, rs, page, unit))
    prose = join_rows([ProseLine(r.text, r.score, b)
                       for r, b in zip(readings[prose_start:], prose_boxes) if r.text.strip()])
    from .pdf_text import heading_section

    for ti, t in enumerate(tables):
        top, bottom = t.box[1], t.box[3]
        prev_bottom = tables[ti - 1].box[3] if ti > 0 else 0
        above = [p for p in prose if prev_bottom - 2 <= p.box[1] and p.box[3] <= top + 6]
        heading, other = None, False
        for p in sorted(above, key=lambda p: -p.box[1])[:3]:
            sec = heading_section(p.text.strip())
            if sec:
                heading = sec
                break
            if sec == "":
                other = True
                break
        page_tables.append(PageTable(page.number, t, by_table[ti], heading, other,
                                     starts_at_top=ti == 0 and not _content_between(
                                         text_ink, 0, top, tables, steps["text_height"]),
                                     ends_at_foot=ti == len(tables) - 1 and not _content_between(
                                         text_ink, bottom, text_ink.shape[0], tables,
                                         steps["text_height"])))
    seconds = {"grid": t1 - t0, "crops": t2 - t1, "recognise": t3 - t2,
               "cells_read": sum(len(i) > 0 for _, _, i in plan), "cells": len(plan),
               "prose_lines": len(prose_boxes)}
    return PageResult(page.number, page_tables, prose, page.orientation, page.skew, seconds)


def _digit_chars(text: str) -> float | None:
    """How many digit widths a reading of a number takes (a dot or comma a third of one), or
    None for a reading that is not digits."""
    t = text.strip()
    if not t or not all(ch in "0123456789.," for ch in t) or not any(ch.isdigit() for ch in t):
        return None
    return sum(1 for ch in t if ch.isdigit()) + 0.3 * sum(1 for ch in t if ch in ".,")


def digit_width(readings: list[tuple[str, float, tuple]]) -> float:
    """A page's digit width in line heights: the median over its confident readings of numbers
    (``(text, score, box)``) of their ink width per character; ``DIGIT_WIDTH`` with fewer than
    five. Fonts differ (0.6 to 0.8 on the dev scan and the generated ones)."""
    per = []
    for text, score, (x0, y0, x1, y1) in readings:
        n = _digit_chars(text)
        if n and score >= 0.9 and y1 - y0 >= 4:
            per.append((x1 - x0) / (y1 - y0) / n)
    return float(np.median(per)) if len(per) >= 5 else DIGIT_WIDTH


def too_short_for_ink(text: str, box, width: float = DIGIT_WIDTH) -> bool:
    """Whether a reading of digits has too few characters for the width of its ink.

    ``width`` is the page's digit width (``digit_width``). The reading's characters plus 0.6 of
    a digit must cover the ink (at 1.15 times that width for two characters or more): every
    correct reading of two or more digits measured passes; a single digit blotted wider than
    1.6 digits is doubted along with a dropped digit's reading (1 of 1,361 confident readings
    on generated and dev-set scans; where the arithmetic checks it, it confirms it again).
    """
    n = _digit_chars(text)
    x0, y0, x1, y1 = box
    if n is None or y1 - y0 < 4:
        return False
    slack = 1.0 if n < 2 else 1.15   # longer numbers vary more with the font (decimals)
    return (x1 - x0) / (y1 - y0) > (n + 0.6) * width * slack


def stroke_mark(crop: np.ndarray) -> str | None:
    """"/" or "—" when a crop's ink is one thin straight stroke (the marks printed for a blank,
    which the recogniser, seeing one alone, reads as "1", "7", "二" or "E" at middling
    confidence), else None. The ink's main axis gives the lean; the stroke is thin when the ink
    lies close to that axis ("7" has its bar, "二" two bars, "1" stands upright)."""
    ys, xs = np.nonzero(crop < 128)
    if len(xs) < 10:
        return None
    pts = np.stack([xs, ys], axis=1).astype(np.float64)
    pts -= pts.mean(axis=0)
    evals, evecs = np.linalg.eigh(np.cov(pts.T))
    major = evecs[:, 1]
    length = 4 * np.sqrt(max(evals[1], 1e-9))
    # thin: the ink's spread across the axis is a stroke's width, not a glyph's (a word of two
    # characters is a wide flat blob too, but its ink spreads over the line's height)
    if np.sqrt(max(evals[0], 0.0)) >= min(0.12 * length, 0.09 * crop.shape[0]):
        return None
    lean = np.degrees(np.arctan2(abs(major[0]), abs(major[1])))   # 0 upright, 90 flat
    if lean >= 75:
        return "—"
    # a slash leans up to the right: x grows as y falls (image y points down)
    if 25 <= lean <= 65 and major[0] * major[1] < 0:
        return "/"
    return None


def join_rows(lines: list[ProseLine]) -> list[ProseLine]:
    """Detected pieces of one printed line (a heading split at a wide gap) joined left to right,
    lines in reading order."""
    rows: list[list[ProseLine]] = []
    for ln in sorted(lines, key=lambda p: (p.box[1] + p.box[3]) / 2):
        c = (ln.box[1] + ln.box[3]) / 2
        if rows:
            last = rows[-1][0]
            lc, lh = (last.box[1] + last.box[3]) / 2, last.box[3] - last.box[1]
            if abs(c - lc) <= 0.5 * max(lh, ln.box[3] - ln.box[1]):
                rows[-1].append(ln)
                continue
        rows.append([ln])
    out = []
    for row in rows:
        row.sort(key=lambda p: p.box[0])
        out.append(ProseLine("".join(p.text.strip() for p in row), min(p.score for p in row),
                             (min(p.box[0] for p in row), min(p.box[1] for p in row),
                              max(p.box[2] for p in row), max(p.box[3] for p in row))))
    return out


def _cell(gc: tablegrid.GridCell, readings: list[Reading], page: raster.PreparedPage,
          unit: str) -> Cell:
    bbox = page.to_original_box(gc.box)
    if not readings:
        return Cell("", gc.row, gc.col, gc.rowspan, gc.colspan, page=page.number, bbox=bbox,
                    confidence=1.0, engine="rapidocr")
    text = "".join(r.text.strip() for r in readings)
    conf = min(r.score for r in readings)
    alts = readings[0].alternatives if len(readings) == 1 else ()
    zeros = ZERO_LOOKALIKES.sub("0", text)
    if zeros != text and looks_numeric(zeros):
        # a cell of digits and round letters ("O", "1O"): the letters are zeros; no label of
        # the template holds a Latin O
        alts = ((text, round(float(conf), 4)),) + tuple(alts)
        text = zeros
    return Cell(text, gc.row, gc.col, gc.rowspan, gc.colspan, page=page.number, bbox=bbox,
                confidence=round(float(conf), 4), engine="rapidocr", alternatives=alts)


def _content_between(text_ink: np.ndarray, top: int, bottom: int, tables,
                     th: float = 20.0) -> bool:
    """Whether a page holds a full-width text line between two heights (page numbers and
    running heads are short, so they do not count; nor do specks of a poor scan, which would
    stretch a page number's band across the page)."""
    if bottom - top < 4:
        return False
    sub = text_ink[top:bottom].copy()
    for t in tables:
        x0, y0, x1, y1 = t.box
        a, b = max(y0, top) - top, min(y1, bottom) - top
        if b > a:
            sub[a:b, :] = 0
    n, labels, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    if n > 1:
        small = np.zeros(n, bool)
        small[1:] = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]) \
            < max(3, 0.2 * th)
        sub[small[labels]] = 0
    for a, b in raster.text_line_bands(sub):
        cols = np.nonzero((sub[a:b] > 0).any(axis=0))[0]
        if len(cols) and cols[-1] - cols[0] > 0.3 * sub.shape[1]:
            return True
    return False


def outside_strips(tables, height: int, tables_only: bool) -> list[tuple[int, int]]:
    """Bands of page rows outside the tables, top to bottom; with ``tables_only`` only the band
    ``HEADING_REACH`` text heights above each table (where its section heading stands)."""
    strips, top = [], 0
    for t in tables:
        bottom = t.box[1] - 2
        if tables_only:
            top = max(top, bottom - int(HEADING_REACH * t.text_height))
        strips.append((top, bottom))
        top = t.box[3] + 3
    if not tables_only:
        strips.append((top, height))
    return [(a, b) for a, b in strips if b - a >= 4]


def prose_lines(page: raster.PreparedPage, tables, text_ink: np.ndarray, th: float, engine,
                tables_only: bool) -> list[tuple[tuple[int, int, int, int], float]]:
    """Text lines outside the tables as ``(box, line height)`` in prepared-page pixels, top to
    bottom: row bands of ink, each cut into pieces at gaps wider than ``PIECE_GAP`` line heights
    (a running head beside a heading, a page number). A band taller than ``TALL_BAND`` text
    heights (lines that touch) goes to the engine's detector instead."""
    out = []
    for top, bottom in outside_strips(tables, text_ink.shape[0], tables_only):
        strip = text_ink[top:bottom]
        for a, b in raster.text_line_bands(strip, min_height=max(3, int(0.4 * th))):
            if b - a > TALL_BAND * th:
                for q in engine.detect(page.image[top + a:top + b]):
                    x0, y0, x1, y1 = (int(v) for v in quad_box(q))
                    out.append(((x0, top + a + y0, x1, top + a + y1), (y1 - y0) / LINE_HEIGHT))
                continue
            cols = np.nonzero((strip[a:b] > 0).any(axis=0))[0]
            lh = float(b - a)
            pieces, start = [], cols[0]
            for x, nxt in zip(cols[:-1], cols[1:]):
                if nxt - x > PIECE_GAP * max(lh, th):
                    pieces.append((start, x + 1))
                    start = nxt
            pieces.append((start, cols[-1] + 1))
            for x0, x1 in pieces:
                if x1 - x0 >= 0.5 * lh:
                    out.append(((int(x0), top + a, int(x1), top + b), max(lh, 0.6 * th)))
    return out


# -- across pages -------------------------------------------------------------------------------

def pages_to_grids(results: list[PageResult], source_kind: str) -> list[Grid]:
    """One Grid per table; a table continued on the next page is appended to its start."""
    grids: list[Grid] = []
    parts: list[list[PageTable]] = []
    section: str | None = None
    prev: PageTable | None = None
    for res in results:
        for k, t in enumerate(res.tables):
            continued = (prev is not None and k == 0 and t.heading is None and not t.heading_other
                         and t.starts_at_top and prev.ends_at_foot and prev.page == res.number - 1)
            if continued:
                parts[-1].append(t)
            else:
                if t.heading:
                    section = t.heading
                elif t.heading_other:
                    section = None
                parts.append([t])
                grids.append(Grid([], section=section, source_kind=source_kind,
                                  section_assumed=not t.heading and section is not None))
            prev = t
    for grid, group in zip(grids, parts):
        grid.cells = _stack(group)
        grid.pages = tuple(sorted({t.page for t in group}))
    return [g for g in grids if g.cells]


def _stack(group: list[PageTable]) -> list[Cell]:
    """Stack table parts into one grid: rows appended, columns aligned on merged x edges."""
    base = group[0].geometry
    if len(group) == 1:
        return list(group[0].cells)
    tol = max(4.0, 0.5 * base.text_height)
    shifted = [column_map(base.col_edges, t.geometry.col_edges, tol) for t in group]
    edges = tablegrid.cluster([x for xs in shifted for x in xs], tol)
    cells: list[Cell] = []
    row_off = 0
    for t, xs in zip(group, shifted):
        def idx(x):
            return int(np.argmin([abs(e - x) for e in edges]))
        for c in t.cells:
            c0, c1 = idx(xs[c.col]), idx(xs[c.col + c.colspan])
            cells.append(Cell(c.text, c.row + row_off, c0, c.rowspan, max(1, c1 - c0), page=c.page,
                              bbox=c.bbox, confidence=c.confidence, engine=c.engine,
                              alternatives=c.alternatives))
        row_off += t.geometry.n_rows
    return cells


def column_map(base: list[float], edges: list[float], tol: float) -> list[float]:
    """A continuation part's column edges in the base part's x: the shift that aligns their
    left edges, their right edges, or the shift and scale that align both (pages of one scan
    come out a little differently scaled and shifted); the one that lands most edges within
    ``tol`` of a base edge, the fit of both ends on a tie."""
    if not base or not edges:
        return list(edges)
    cands = []
    span = edges[-1] - edges[0]
    if span > 0 and len(edges) > 1 and len(base) > 1:
        a = (base[-1] - base[0]) / span
        if 0.9 <= a <= 1.1:
            cands.append((a, base[0] - a * edges[0]))
    cands += [(1.0, base[0] - edges[0]), (1.0, base[-1] - edges[-1])]

    def hits(m):
        a, b = m
        return sum(min(abs(a * x + b - y) for y in base) <= tol for x in edges)

    a, b = max(cands, key=hits)   # max keeps the first of equals: the two-ended fit
    return [a * x + b for x in edges]


# -- ingesters ----------------------------------------------------------------------------------

def scan_pages(images: Iterable[tuple[int, np.ndarray]], options: Options, scale: float,
               unit: str = "pt") -> list[PageResult]:
    """Prepare and read each ``(page number, grey image)``; ``scale`` converts pixels to the
    output unit (72/dpi for PDF pages, 1.0 for image files)."""
    cv2.setNumThreads(options.effective_threads)
    engine = get_engine(options)
    results = []
    for number, grey in images:
        t0 = time.perf_counter()
        page = raster.prepare_page(grey, number, scale, upside_down=engine.upside_down)
        t1 = time.perf_counter()
        res = read_page(page, engine, options, unit)
        res.seconds["prepare"] = t1 - t0
        res.seconds["total"] = time.perf_counter() - t0
        log.info("page %d: %d tables, %.2f s", number, len(res.tables), res.seconds["total"])
        results.append(res)
    return results


def _document(path: Path, kind: str, results: list[PageResult], options: Options,
              extra_meta: dict) -> Document:
    grids = pages_to_grids(results, kind)
    page_texts = [r.text for r in results]
    text = "\n".join(page_texts)
    issues: list[Issue] = []
    if not grids:
        if not any(w in text for w in REPORT_WORDS):
            raise NotAReportError(path, "no ruled statistical table and no disclosure-report text "
                                  "was found in the page images (is this an annual report?)")
        issues.append(Issue("missing_table", "no ruled table was found on the scanned pages",
                            stage="scan"))
    meta = {"engine": get_engine(options).name, "ocr_threads": options.effective_threads,
            "tables_only": options.tables_only,
            "pages": [{"page": r.number, "orientation": r.orientation, "skew": r.skew,
                       "tables": len(r.tables),
                       "seconds": {k: round(v, 3) if isinstance(v, float) else v
                                   for k, v in r.seconds.items()}} for r in results]}
    meta.update(extra_meta)
    return Document(path=str(path), kind=kind, grids=grids, text=text, pages=len(results),
                    page_texts=page_texts, issues=issues, meta=meta)


def ingest_scanned_pdf(path, options: Options, pages: Iterable[int] | None = None) -> Document:
    """OCR a PDF's pages (all, or the 1-based ``pages``) into a Document of kind "pdf-scan"."""
    path = Path(path)
    pdf = raster.open_pdf(path)
    try:
        n = checked_page_count(path, pdf, options)
        wanted = sorted(set(pages)) if pages is not None else list(range(1, n + 1))
        bad = [p for p in wanted if not 1 <= p <= n]
        if bad:
            raise InputFileError(path, f"no page {bad[0]} (the PDF has {n})")

        def images():
            for p in wanted:
                yield p, raster.render_pdf_page(pdf, p - 1, options, path)

        results = scan_pages(images(), options, scale=72.0 / options.dpi)
    finally:
        pdf.close()
    return _document(path, "pdf-scan", results, options, {"dpi": options.dpi, "unit": "pt"})


# -- scanned parts of a text-layer PDF ----------------------------------------------------------

def image_boxes(pdf, index: int) -> list[tuple[float, float, float, float]]:
    """The boxes of a PDF page's image objects, ``(x0, top, x1, bottom)`` in points from the
    page's top-left, clipped to the page."""
    import pypdfium2.raw as pdfium_c

    page = pdf[index]
    try:
        w, h = page.get_size()
        out = []
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
            left, bottom, right, top = obj.get_bounds()
            box = (max(0.0, left), max(0.0, h - top), min(w, right), min(h, h - bottom))
            if box[2] > box[0] and box[3] > box[1]:
                out.append(box)
        return out
    finally:
        page.close()


def scanned_parts(pdf, page_texts: list[str]) -> list[tuple[int, tuple | None]]:
    """What of a text-layer PDF needs OCR: ``(page number, None)`` for a page without a usable
    text layer of its own that is mostly an image (a scanned page of a mixed PDF), ``(page
    number, box in points)`` for an image of at least ``MIN_IMAGE_SHARE`` of a page that has
    text (a table pasted as a picture)."""
    from .pdf_text import has_text_layer

    out: list[tuple[int, tuple | None]] = []
    for i, text in enumerate(page_texts):
        boxes = image_boxes(pdf, i)
        if not boxes:
            continue
        page = pdf[i]
        w, h = page.get_size()
        page.close()
        shares = [(x1 - x0) * (y1 - y0) / (w * h) for x0, y0, x1, y1 in boxes]
        if not has_text_layer([text]):
            if max(shares) >= 0.5:
                out.append((i + 1, None))
            continue
        out += [(i + 1, b) for b, share in zip(boxes, shares) if share >= MIN_IMAGE_SHARE]
    return out


def add_scanned_parts(path, doc: Document, options: Options) -> Document:
    """A text-layer Document with its scanned pages and embedded images read by OCR: their
    tables added to ``doc.grids`` (in page order), their text to the page's text. Tables are not
    joined across a text page and a scanned one."""
    path = Path(path)
    pdf = raster.open_pdf(path)
    try:
        parts = scanned_parts(pdf, doc.page_texts)
        if not parts:
            return doc
        scale = options.dpi / 72.0

        def images():
            for number, box in parts:
                grey = raster.render_pdf_page(pdf, number - 1, options, path)
                if box is not None:   # only the image: the text layer's own tables stay out
                    x0, y0, x1, y1 = (int(round(v * scale)) for v in box)
                    keep = grey[y0:y1, x0:x1].copy()
                    grey[:] = 255
                    grey[y0:y1, x0:x1] = keep
                yield number, grey

        results = scan_pages(images(), options, scale=72.0 / options.dpi)
    finally:
        pdf.close()
    grids = pages_to_grids(results, "pdf-scan")
    texts = list(doc.page_texts)
    for res in results:
        if res.text.strip():
            k = res.number - 1
            texts[k] = (texts[k] + "\n" + res.text).strip() if texts[k].strip() else res.text
    doc.grids = sorted(doc.grids + grids, key=lambda g: min(g.pages) if g.pages else 0)
    doc.page_texts = texts
    doc.text = "\n".join(texts)
    doc.meta["ocr_parts"] = [{"page": n, "box": list(b) if b else None} for n, b in parts]
    doc.meta["ocr_pages"] = [{"page": r.number, "tables": len(r.tables),
                              "seconds": round(r.seconds.get("total", 0.0), 3)} for r in results]
    return doc


def ingest_image(path, options: Options) -> Document:
    """A page image, or a multi-page TIFF, as one report (boxes in pixels)."""
    path = Path(path)
    results = scan_pages(enumerate(raster.image_pages(path, options), start=1), options, 1.0,
                         "px")
    if not results:
        raise InputFileError(path, "the image holds no frames")
    return _document(path, "image", results, options, {"unit": "px"})


def _natural_key(p: Path):
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r"(\d+)", p.name)]


def ingest_image_dir(path, options: Options) -> Document:
    """A folder of page images, in natural name order (page2 before page10), as one report."""
    path = Path(path)
    files = sorted((p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                    and not p.name.startswith(".")), key=_natural_key)
    if not files:
        raise InputFileError(path, f"the folder holds no page images ({', '.join(IMAGE_SUFFIXES)})")
    if len(files) > options.max_pages:
        raise LimitExceededError(path, f"{len(files)} page images, over the limit of "
                                 f"{options.max_pages} (raise it with --max-pages)")

    def images() -> Iterator[tuple[int, np.ndarray]]:
        n = 0
        for f in files:
            for frame in raster.image_pages(f, options):
                n += 1
                yield n, frame

    results = scan_pages(images(), options, 1.0, "px")
    doc = _document(path, "image", results, options, {"unit": "px",
                                                       "files": [f.name for f in files]})
    return doc
