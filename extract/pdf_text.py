"""Born-digital PDFs: the text layer and ruling lines to table grids (pdfplumber), prose (pypdfium2).

Stages, each a small function:

    pdf -> page texts (pypdfium2, every page; fast)
        -> candidate table pages (pages with enough vector paths)
        -> tables per page (pdfplumber's lines finder) -> cell bboxes -> rows/cols with spans
        -> chars into cells (wrapped lines joined without a space)
        -> section of each table from the headings above it (二、/三、/四、)
        -> tables of one section stacked into one grid (page breaks, continuation pages)

A PDF without a usable text layer (image-only pages, ``(cid:NNN)`` runs, mojibake) goes to the
scan path (``extract.scan.ingest_scanned_pdf``). ``debug_tables(path, page)`` draws what the
finder saw.
"""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import EncryptedFileError, InputFileError, LimitExceededError, NotAReportError
from .model import Cell, Document, Grid
from .options import Options

log = logging.getLogger(__name__)

SECTION_HEADING = re.compile(
    r"^\s*(?P<num>[一二三四五六七八九十])\s*[、.．]\s*(?P<title>.{2,40})")
SECTION_WORDS = {"二": ("主动公开",), "三": ("申请",), "四": ("复议", "诉讼")}
MIN_PATHS_FOR_TABLE = 6
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines",
                  "snap_tolerance": 3, "join_tolerance": 3, "intersection_tolerance": 3}


# -- opening and the text layer -----------------------------------------------------------------

def open_pdfium(path: Path):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        msg = str(e)
        # hardening (docs/hardening.md): pdfium leaves its last error in place when a load fails
        # without setting one (a page tree with no pages), so a "password" error can be stale,
        # left by an earlier encrypted file in the same process: believe it only when the file
        # has an /Encrypt entry
        if "password" in msg.lower() and _has_encrypt_entry(path):
            raise EncryptedFileError(path, "the PDF is encrypted with a password; decrypt it "
                                     "first (e.g. qpdf --decrypt)") from e
        if "password" in msg.lower():
            msg = "pdfium cannot load its document structure"
        raise InputFileError(path, f"not a readable PDF ({msg})") from e


def checked_page_count(path: Path, pdf, options: Options) -> int:
    """The PDF's page count; an error for none, a refusal over ``--max-pages``."""
    n = len(pdf)
    if n == 0:
        raise InputFileError(path, "the PDF has no pages")
    if n > options.max_pages:
        raise LimitExceededError(path, f"{n} pages, over the limit of {options.max_pages} "
                                 "(raise it with --max-pages)")
    return n


def _has_encrypt_entry(path: Path) -> bool:
    """Whether the file holds ``/Encrypt`` anywhere (trailer or xref stream dictionary)."""
    tail = b""
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            if b"/Encrypt" in tail + chunk:
                return True
            tail = chunk[-8:]
    return False


def page_texts_pdfium(pdf) -> list[str]:
    out = []
    for i in range(len(pdf)):
        page = pdf[i]
        tp = page.get_textpage()
        out.append(tp.get_text_range().replace("\r\n", "\n").replace("\r", "\n"))
        tp.close()
        page.close()
    return out


def path_counts(pdf) -> list[int]:
    """Ruling-line-like path objects per page (thin and at least 10 pt long): pages with ruled
    tables have many; shaded text backgrounds and decorations do not count."""
    import pypdfium2.raw as pdfium_c

    out = []
    for i in range(len(pdf)):
        page = pdf[i]
        n = 0
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=2):
            x0, y0, x1, y1 = obj.get_bounds()
            w, h = abs(x1 - x0), abs(y1 - y0)
            if min(w, h) <= 3 and max(w, h) >= 10:
                n += 1
        out.append(n)
        page.close()
    return out


def text_layer_quality(texts: list[str]) -> float:
    """Share of CJK/ASCII-printable characters: low for (cid:NNN) runs and mojibake."""
    joined = "".join(texts)
    if not joined.strip():
        return 0.0
    joined = re.sub(r"\s+", "", joined)
    cid = len(re.findall(r"\(cid:\d+\)", joined))
    good = sum(1 for ch in joined if "\u4e00" <= ch <= "\u9fff" or ch.isascii()
               or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")
    return max(0.0, (good - cid * 8) / len(joined))


def is_foreign_text(texts: list[str]) -> bool:
    """A good text layer of some length with (almost) no Chinese: not a report, no OCR needed."""
    joined = re.sub(r"\s+", "", "".join(texts))
    cjk = sum(1 for ch in joined if "\u4e00" <= ch <= "\u9fff")
    return len(joined) >= 200 and cjk < 20 and text_layer_quality(texts) >= 0.9


def has_text_layer(texts: list[str]) -> bool:
    cjk = sum(1 for t in texts for ch in t if "\u4e00" <= ch <= "\u9fff")
    return cjk >= 20 and text_layer_quality(texts) >= 0.8


# -- one page's characters and rules, read with pdfium -----------------------------------------

class PageObjects:
    """What the table finder needs of a page, in pdfplumber's terms (top-left origin, points):
    ``chars`` (text, x0, x1, top, bottom, size) and ``edges`` (orientation, x0, x1, top, bottom).
    Read with pdfium, about ten times faster than parsing the content stream in Python."""

    def __init__(self, chars, edges, width, height):
        self.chars, self.edges = chars, edges
        self.bbox = (0.0, 0.0, width, height)


def read_page(pdf, index: int) -> PageObjects | None:
    """The chars and ruling edges of page ``index`` (0-based); None when the page draws its paths
    inside form XObjects (then the pdfplumber reader is used)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    page = pdf[index]
    try:
        width, height = page.get_size()
        edges: list[dict] = []
        x, y = ctypes.c_float(), ctypes.c_float()
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=2):
            if obj.level > 0:
                return None
            m = obj.get_matrix()
            pts: list[tuple[float, float]] = []
            start = None
            for i in range(pdfium_c.FPDFPath_CountSegments(obj.raw)):
                seg = pdfium_c.FPDFPath_GetPathSegment(obj.raw, i)
                pdfium_c.FPDFPathSegment_GetPoint(seg, ctypes.byref(x), ctypes.byref(y))
                px = m.a * x.value + m.c * y.value + m.e
                py = height - (m.b * x.value + m.d * y.value + m.f)
                kind = pdfium_c.FPDFPathSegment_GetType(seg)
                if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                    start = (px, py)
                elif pts:
                    _segment_edge(pts[-1], (px, py), edges)
                if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None:
                    _segment_edge((px, py), start, edges)
                pts.append((px, py))
        tp = page.get_textpage()
        chars = _chars(tp, height)
        tp.close()
        return PageObjects(chars, edges, width, height)
    finally:
        page.close()


def _chars(tp, height: float) -> list[dict]:
    """The page's chars with pdfplumber's keys, from pdfium's loose (advance and em) box, which
    keeps one line's chars on one top. That box is sometimes far too large (vertical runs in
    merged cells): then the tight glyph box, centred in the page's typical em height, stands in."""
    import pypdfium2.raw as pdfium_c

    raw = []
    for i in range(tp.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(tp.raw, i)
        if code < 32 or pdfium_c.FPDFText_IsGenerated(tp.raw, i) == 1:
            continue
        raw.append((code, tp.get_charbox(i), tp.get_charbox(i, loose=True)))

    def sane(t, lo):
        return (lo[2] - lo[0]) <= 2 * (t[2] - t[0]) + 0.6 * (lo[3] - lo[1]) + 1 and \
            (lo[3] - lo[1]) < 60
    heights = sorted(lo[3] - lo[1] for _, t, lo in raw if sane(t, lo))
    em = heights[len(heights) // 2] if heights else 10.0
    out = []
    for code, (tl, tb, tr, tt), lo in raw:
        if sane((tl, tb, tr, tt), lo):
            left, right, top, bottom = lo[0], lo[2], lo[3], lo[1]
        else:
            cy = (tt + tb) / 2
            left, right, top, bottom = tl, max(tr, tl + 0.1), cy + em / 2, cy - em / 2
        out.append({"text": chr(code), "x0": left, "x1": right, "top": height - top,
                    "bottom": height - bottom, "size": top - bottom})
    return out


def _segment_edge(a, b, edges: list[dict]) -> None:
    """A straight horizontal or vertical path segment as a pdfplumber-style edge."""
    (x0, y0), (x1, y1) = a, b
    if abs(y1 - y0) <= 0.5 and abs(x1 - x0) > 0.5:
        edges.append({"orientation": "h", "x0": min(x0, x1), "x1": max(x0, x1),
                      "top": y0, "bottom": y0, "width": abs(x1 - x0), "height": 0.0,
                      "object_type": "line"})
    elif abs(x1 - x0) <= 0.5 and abs(y1 - y0) > 0.5:
        edges.append({"orientation": "v", "x0": x0, "x1": x0, "top": min(y0, y1),
                      "bottom": max(y0, y1), "width": 0.0, "height": abs(y1 - y0),
                      "object_type": "line"})


# -- tables on one page -------------------------------------------------------------------------

@dataclass
class PageTable:
    page: int                     # from 1
    top: float
    bottom: float
    xs: list[float]               # column boundaries
    cells: list[Cell]


def _cluster(values: list[float], tol: float = 2.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol:
            continue
        out.append(v)
    return out


def _index(bounds: list[float], v: float, tol: float = 2.0) -> int:
    i = bisect.bisect_left(bounds, v - tol)
    return min(i, len(bounds) - 1)


def bboxes_to_cells(bboxes, chars, page_no: int) -> tuple[list[Cell], list[float]]:
    """Cell bboxes (x0, top, x1, bottom) + chars -> Cells with row/col spans and joined text."""
    xs = _cluster([b[0] for b in bboxes] + [b[2] for b in bboxes])
    ys = _cluster([b[1] for b in bboxes] + [b[3] for b in bboxes])
    texts: dict[int, list[dict]] = {i: [] for i in range(len(bboxes))}
    # chars into cells: by centre, via a sorted index of cell bboxes
    order = sorted(range(len(bboxes)), key=lambda i: (bboxes[i][1], bboxes[i][0]))
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        for i in order:
            x0, top, x1, bottom = bboxes[i]
            if top > cy:
                break
            if x0 <= cx <= x1 and top <= cy <= bottom:
                texts[i].append(ch)
                break
    cells = []
    for i, (x0, top, x1, bottom) in enumerate(bboxes):
        r0, r1 = _index(ys, top), _index(ys, bottom)
        c0, c1 = _index(xs, x0), _index(xs, x1)
        cells.append(Cell(text=chars_to_text(texts[i]), row=r0, col=c0,
                          rowspan=max(1, r1 - r0), colspan=max(1, c1 - c0), page=page_no,
                          bbox=(x0, top, x1, bottom)))
    return cells, xs


def chars_to_text(chars: list[dict]) -> str:
    """Lines by their top, left to right; lines joined without a space (wrapped labels)."""
    if not chars:
        return ""
    chars = sorted(chars, key=lambda c: (round(c["top"]), c["x0"]))
    lines: list[list[dict]] = []
    for ch in chars:
        if lines and abs(ch["top"] - lines[-1][0]["top"]) <= max(2.0, ch["size"] * 0.4):
            lines[-1].append(ch)
        else:
            lines.append([ch])
    return "".join("".join(c["text"] for c in sorted(ln, key=lambda c: c["x0"]))
                   for ln in lines).strip()


def page_tables(page, page_no: int) -> tuple[list[PageTable], list[tuple[float, str]]]:
    """Tables on a pdfplumber page, and the text lines outside them as (top, text)."""
    from pdfplumber.table import TableFinder, TableSettings

    chars = page.chars
    verticals = ruling_verticals(page.edges, chars)
    settings = dict(TABLE_SETTINGS, vertical_strategy="explicit",
                    explicit_vertical_lines=verticals)
    tables = TableFinder(page, TableSettings.resolve(settings)).tables \
        if len(verticals) >= 2 else []
    out = []
    boxes = []
    for t in tables:
        bbs = [tuple(c) for c in t.cells]
        if len(bbs) < 2:
            continue
        x0, top, x1, bottom = t.bbox
        inside = [c for c in chars if x0 - 1 <= (c["x0"] + c["x1"]) / 2 <= x1 + 1
                  and top - 1 <= (c["top"] + c["bottom"]) / 2 <= bottom + 1]
        cells, xs = bboxes_to_cells(bbs, inside, page_no)
        out.append(PageTable(page_no, top, bottom, xs, cells))
        boxes.append(t.bbox)
    outside = [c for c in chars if not any(
        b[0] - 1 <= (c["x0"] + c["x1"]) / 2 <= b[2] + 1
        and b[1] - 1 <= (c["top"] + c["bottom"]) / 2 <= b[3] + 1 for b in boxes)]
    return out, text_lines(outside)


def text_lines(chars) -> list[tuple[float, str]]:
    lines: list[list[dict]] = []
    for ch in sorted(chars, key=lambda c: (round(c["top"]), c["x0"])):
        if lines and abs(ch["top"] - lines[-1][0]["top"]) <= 2:
            lines[-1].append(ch)
        else:
            lines.append([ch])
    return [(ln[0]["top"], "".join(c["text"] for c in sorted(ln, key=lambda c: c["x0"])))
            for ln in lines]


# -- ruling: real vertical rules, outer borders, and virtual rules where a table has none -------

MIN_H_RULE = 15.0        # a horizontal rule shorter than this is no table ruling
REGION_GAP = 60.0        # rules further apart than this belong to different tables
MIN_GAP = 4.0            # a white gap between text runs at least this wide may be a column gap


def _v_edge(x, top, bottom) -> dict:
    return {"object_type": "line", "x0": x, "x1": x, "top": top, "bottom": bottom,
            "width": 0.0, "height": bottom - top}


def ruling_verticals(edges, chars) -> list[dict]:
    """Vertical rules for the table finder: the page's own, an outer border on each side of every
    ruled region (tables drawn with open sides), and, in regions with no vertical rules at all
    (tables ruled with horizontal lines only), virtual rules in the white gaps between text runs.
    """
    hs = [e for e in edges if e["orientation"] == "h" and e["x1"] - e["x0"] >= MIN_H_RULE]
    vs = [e for e in edges if e["orientation"] == "v" and e["bottom"] - e["top"] >= 3]
    out = [_v_edge(e["x0"], e["top"], e["bottom"]) for e in vs]
    heading_tops = [top for top, text in text_lines(chars) if heading_section(text)]
    for region in h_regions(hs, heading_tops):
        top = min(e["top"] for e in region)
        bottom = max(e["top"] for e in region)
        x0 = min(e["x0"] for e in region)
        x1 = max(e["x1"] for e in region)
        out += [_v_edge(x0, top, bottom), _v_edge(x1, top, bottom)]
        ys = _cluster(sorted({round(e["top"], 1) for e in region}), 1.0)
        # bands crossed by no inner vertical rule are ruled horizontally only (or are one cell)
        open_bands = []
        for btop, bbottom in zip(ys, ys[1:]):
            inner = _cluster([e["x0"] for e in vs if e["top"] < bbottom - 1
                              and e["bottom"] > btop + 1 and x0 + 2 < e["x0"] < x1 - 2])
            open_bands.append(len(inner) == 0)
        if any(open_bands):
            region_chars = [c for c in chars if x0 <= (c["x0"] + c["x1"]) / 2 <= x1
                            and top <= (c["top"] + c["bottom"]) / 2 <= bottom]
            # rules that start or end inside the table mark column boundaries too
            ends = [x for e in region for x in (e["x0"], e["x1"]) if x0 + 2 < x < x1 - 2]
            out += virtual_verticals(region_chars, ys, x0, x1, ends, open_bands)
    return out


def h_regions(hs, heading_tops) -> list[list[dict]]:
    """Horizontal rules grouped into table regions: split where rules are far apart or a section
    heading stands between them."""
    regions: list[list[dict]] = []
    for e in sorted(hs, key=lambda e: e["top"]):
        if regions:
            last = max(x["top"] for x in regions[-1])
            split = e["top"] - last > REGION_GAP or any(last < t < e["top"] for t in heading_tops)
            if not split:
                regions[-1].append(e)
                continue
        regions.append([e])
    return [r for r in regions if len(r) >= 2]


def virtual_verticals(chars, ys: list[float], x0: float, x1: float,
                      rule_ends: list[float] = (), open_bands: list[bool] | None = None
                      ) -> list[dict]:
    """Column gaps of a table ruled with horizontal lines only.

    Per band between two rules, the white gaps between text runs that touch neither border are
    candidate column boundaries; candidates are clustered across bands, and each band gets a
    virtual rule at every cluster centre that falls in one of its own gaps (so a header spanning
    several columns is never cut).
    """
    bands: list[list[tuple[float, float]]] = []
    strong: list[float] = []
    for top, bottom in zip(ys, ys[1:]):
        band_chars = sorted((c for c in chars if top <= (c["top"] + c["bottom"]) / 2 <= bottom
                             and c["text"].strip()), key=lambda c: c["x0"])
        gaps = []
        edge, prev = x0, ""
        for c in band_chars:
            a, b = c["x0"], c["x1"]
            if a - edge >= MIN_GAP:
                gaps.append((edge, a))
                # a gap between two digits: a boundary between value columns
                if prev.isdigit() and c["text"].isdigit() and edge > x0 + 0.5:
                    strong.append((edge + a) / 2)
            if b > edge:
                edge, prev = b, c["text"]
        if x1 - edge >= MIN_GAP:
            gaps.append((edge, x1))
        bands.append(gaps)
    cands = [(a + b) / 2 for i, gaps in enumerate(bands) for a, b in gaps
             if a > x0 + 0.5 and b < x1 - 0.5 and (open_bands is None or open_bands[i])]
    centres = []
    for group in _groups(sorted(cands + strong), 8.0):
        if len(group) >= 2:
            centres.append(sum(group) / len(group))
    # where a rule ends inside the table, its end is the boundary (not a gap's centre)
    ends = []
    for group in _groups(sorted(rule_ends), 2.0):
        x = sum(group) / len(group)
        centres = [c for c in centres if abs(c - x) > 8.0]
        ends.append(x)
    out = []
    for i, ((top, bottom), gaps) in enumerate(zip(zip(ys, ys[1:]), bands)):
        if open_bands is not None and not open_bands[i]:
            continue
        for a, b in gaps:
            inside = [x for x in ends if a + 1 <= x <= b - 1]
            # a gap holding a rule's end is cut there only (the empty parts of two cells that
            # span columns, 行政复议 | 行政诉讼); a gap reaching the table's border is the empty
            # part of one such cell; any other gap between two text runs separates columns
            if not inside and a > x0 + 0.5 and b < x1 - 0.5:
                inside = [x for x in centres if a + 1 <= x <= b - 1]
            out += [_v_edge(x, top, bottom) for x in inside]
    return out


def _groups(values: list[float], tol: float) -> list[list[float]]:
    groups: list[list[float]] = []
    for v in values:
        if groups and v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return groups


# -- sections and stacking ----------------------------------------------------------------------

def heading_section(text: str) -> str | None:
    """二/三/四 for a statistical section heading; "" for another numbered heading; else None."""
    m = SECTION_HEADING.match(text.replace(" ", ""))
    if not m:
        return None
    num, title = m.group("num"), m.group("title")
    words = SECTION_WORDS.get(num)
    if words and any(w in title for w in words):
        return num
    if num in "一五六七" and len(title) <= 30:
        return ""
    return None


def stack(parts: list[PageTable], section: str | None, kind: str) -> Grid:
    """Stack table parts (page breaks) into one grid, aligning columns by x position."""
    base = parts[0]
    cells = list(base.cells)
    row_off = max((c.row + c.rowspan for c in base.cells), default=0)
    for part in parts[1:]:
        mapping = align_columns(base.xs, part.xs)
        for c in part.cells:
            c0 = mapping[c.col]
            c1 = mapping[min(c.col + c.colspan, len(part.xs) - 1)]
            cells.append(Cell(c.text, c.row + row_off, c0, c.rowspan, max(1, c1 - c0),
                              c.page, c.bbox, c.confidence, c.engine))
        row_off += max((c.row + c.rowspan for c in part.cells), default=0)
    return Grid(cells, section=section, source_kind=kind,
                pages=tuple(sorted({p.page for p in parts})))


def align_columns(base_xs: list[float], xs: list[float]) -> list[int]:
    """Map each column boundary of a continuation part to the nearest boundary of the base."""
    if len(base_xs) == len(xs) and all(abs(a - b) < 6 for a, b in zip(base_xs, xs)):
        return list(range(len(xs)))
    out = []
    for x in xs:
        j = min(range(len(base_xs)), key=lambda j: abs(base_xs[j] - x))
        out.append(j)
    return out


# -- the ingester -------------------------------------------------------------------------------

def ingest_pdf(path: Path, options: Options) -> Document:
    pdf = open_pdfium(path)
    plumber = None
    try:
        checked_page_count(path, pdf, options)
        texts = page_texts_pdfium(pdf)
        if is_foreign_text(texts):
            raise NotAReportError(path, "not a disclosure annual report: its text layer holds "
                                  "no Chinese text")
        if not has_text_layer(texts):
            from .scan import ingest_scanned_pdf
            return ingest_scanned_pdf(path, options)
        counts = path_counts(pdf)
        candidates = [i for i, c in enumerate(counts) if c >= MIN_PATHS_FOR_TABLE]
        events: list[tuple[int, float, str, object]] = []   # (page, top, kind, value)
        for i in candidates:
            page = read_page(pdf, i)
            if page is None:   # paths inside form XObjects: let pdfplumber read the page
                plumber = plumber or _open_plumber(path)
                page = plumber.pages[i]
            tables, lines = _page_tables(path, page, i + 1)
            for t in tables:
                events.append((i + 1, t.top, "table", t))
            for top, text in lines:
                sec = heading_section(text)
                if sec is not None:
                    events.append((i + 1, top, "heading", sec))
    finally:
        pdf.close()
        if plumber is not None:
            plumber.close()
    # headings on pages without tables also set the section
    for i, t in enumerate(texts):
        if i in candidates:
            continue
        for ln in t.split("\n"):
            sec = heading_section(ln)
            if sec is not None:
                events.append((i + 1, 1e6 - 1, "heading", sec))
    events.sort(key=lambda e: (e[0], e[1]))
    by_section: dict[str | None, list[PageTable]] = {}
    section: str | None = None
    for _, _, what, value in events:
        if what == "heading":
            section = value or None
        else:
            by_section.setdefault(section, []).append(value)
    grids = []
    for sec, parts in by_section.items():
        if sec is None:
            # tables under no statistical heading: assemble infers their section, one by one
            grids += [stack([p], None, "pdf-text") for p in parts]
        else:
            grids.append(stack(parts, sec, "pdf-text"))
    doc = Document(path=str(path), kind="pdf-text", grids=grids, text="\n".join(texts),
                   pages=len(texts), page_texts=texts)
    # scanned pages of a mixed PDF and tables pasted as images: OCR'd by the scan path
    # (extract/scan.py, owned by the scan area), their grids and text merged into doc
    from .scan import add_scanned_parts
    return add_scanned_parts(path, doc, options)


def _open_plumber(path: Path):
    import pdfplumber

    try:
        return pdfplumber.open(str(path))
    except Exception as e:  # pdfminer raises many kinds on broken files
        raise InputFileError(path, f"the PDF's content cannot be parsed: "
                             f"{type(e).__name__}: {str(e)[:200]}") from e


def _page_tables(path: Path, page, page_no: int):
    try:
        return page_tables(page, page_no)
    except Exception as e:  # pdfminer (fallback reader) raises many kinds on broken files
        if isinstance(e, MemoryError):
            raise
        raise InputFileError(path, f"page {page_no} cannot be parsed: "
                             f"{type(e).__name__}: {str(e)[:200]}") from e


def debug_tables(path, page_no: int, out_png) -> str:
    """Draw the cells the finder saw on a page (1-based) to a PNG, for debugging."""
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        page = pdf.pages[page_no - 1]
        im = page.to_image(resolution=100)
        im.debug_tablefinder(TABLE_SETTINGS)
        im.save(str(out_png))
    return str(out_png)
