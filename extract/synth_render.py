"""Render a generated report as a born-digital PDF with a real text layer (reportlab).

The page is drawn directly on a reportlab canvas: paragraphs wrapped character by character (CJK
breaks anywhere; runs of digits and Latin letters are kept whole; closing punctuation never starts
a line), tables laid out row by row with merged cells, ruling lines drawn as PDF line objects (so
pdfplumber's table finder sees them), shaded header cells as filled rectangles, and page breaks
inside tables (a merged cell split by a break is closed at the page edge on both pages and prints
its label on the larger part, as word processors do; section 三's header rows are repeated when
the layout says so). Page numbers are printed as "- N -", "— N —" or "第 N 页".

Fonts are TrueType CJK fonts from Debian (reportlab refuses the CFF-based Noto CJK): WenQuanYi Zen
Hei (a 黑体-like sans), AR PL UMing (宋体-like) and AR PL UKai (楷体-like), subfont 0 of each .ttc.
Digits may use the PDF base fonts Times-Roman or Helvetica, as Word documents print digits in
Times New Roman. The canvas runs with ``invariant=1``: the same report gives the same bytes.
"""

from __future__ import annotations

import io
import os
import re
from functools import lru_cache

from .errors import ExitCode, GkError
from .synth import SynthReport
from .synth_tables import Block, Table, TCell, document_blocks

PAGE_W, PAGE_H = 595.28, 841.89     # A4 in points

FONT_FILES = {
    "wqy": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei"),
    "uming": ("/usr/share/fonts/truetype/arphic/uming.ttc", "fonts-arphic-uming"),
    "ukai": ("/usr/share/fonts/truetype/arphic/ukai.ttc", "fonts-arphic-ukai"),
}
_REGISTERED: set[str] = set()


class MissingFontError(GkError):
    """A CJK font the generator needs is not installed."""

    exit_code = ExitCode.input_file


def font_name(key: str) -> str:
    """Register (once) and return the reportlab name of a font key (``wqy``, ``uming``, ...)."""
    if key in ("Times-Roman", "Helvetica"):
        return key
    name = f"synth-{key}"
    if key not in _REGISTERED:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        path, package = FONT_FILES[key]
        if not os.path.exists(path):
            raise MissingFontError(f"{path}: the font is not installed; install the Debian "
                                   f"package {package} (`make system-deps`)")
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
        _REGISTERED.add(key)
    return name


@lru_cache(maxsize=1 << 16)
def _width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth
    return stringWidth(text, font, size)


_TOKEN = re.compile(r"[A-Za-z0-9.%@:/_+\-]+|.", re.S)
NO_LINE_START = set("，。、；：？！）》」』”’%)],.;:!?·")


def wrap(text: str, font: str, size: float, width: float, first_indent: float = 0) -> list[str]:
    """Greedy line breaking for CJK text; explicit newlines are kept."""
    lines: list[str] = []
    for para in text.split("\n"):
        cur, cur_w, avail = "", 0.0, width - first_indent
        for tok in _TOKEN.findall(para):
            w = _width(tok, font, size)
            if cur and cur_w + w > avail + 0.01 and tok not in NO_LINE_START:
                lines.append(cur)
                cur, cur_w, avail = "", 0.0, width
            cur += tok
            cur_w += w
        lines.append(cur)
        first_indent = 0
    return lines


class PdfRenderer:
    """Draws the blocks of one report on a reportlab canvas, page by page."""

    def __init__(self, rep: SynthReport):
        from reportlab.pdfgen import canvas
        self.rep = rep
        self.lay = rep.layout
        self.buf = io.BytesIO()
        self.c = canvas.Canvas(self.buf, pagesize=(PAGE_W, PAGE_H), invariant=1,
                               pageCompression=1)
        self.c.setTitle(rep.title)
        self.c.setAuthor("gkreport synth")
        self.c.setCreator("gkreport synth")
        self.page = 1
        self.y = self.lay.margin_top                    # from the top of the page
        self.x0 = self.lay.margin_x
        self.width = PAGE_W - 2 * self.lay.margin_x
        self.body = font_name(self.lay.body_font)
        self.heading = font_name(self.lay.heading_font)
        self.table_font = font_name(self.lay.table_font)
        self.digit_font = self.table_font if self.lay.digit_font == "same" \
            else font_name(self.lay.digit_font)

    # -- pages ---------------------------------------------------------------------------------
    @property
    def bottom(self) -> float:
        return PAGE_H - self.lay.margin_bottom

    def _page_number(self):
        style = self.lay.page_numbers
        if style == "none":
            return
        text = {"dash": f"- {self.page} -", "emdash": f"— {self.page} —",
                "page": f"第 {self.page} 页"}[style]
        font = "Times-Roman" if style == "dash" else self.body
        self.c.setFont(font, 10.5)
        self.c.setFillGray(0)
        y = PAGE_H - self.lay.margin_bottom / 2
        if style == "dash":   # right on odd pages, left on even ones, as Word's gutter style
            if self.page % 2:
                self.c.drawRightString(PAGE_W - self.lay.margin_x, PAGE_H - y, text)
            else:
                self.c.drawString(self.lay.margin_x, PAGE_H - y, text)
        else:
            self.c.drawCentredString(PAGE_W / 2, PAGE_H - y, text)

    def new_page(self):
        self._page_number()
        self.c.showPage()
        self.page += 1
        self.y = self.lay.margin_top

    def ensure(self, h: float):
        if self.y + h > self.bottom:
            self.new_page()

    # -- prose ---------------------------------------------------------------------------------
    def text_line(self, x: float, y_top: float, text: str, font: str, size: float,
                  align: str = "left", width: float = 0):
        """Draw one line whose em box starts at ``y_top`` (from the page top)."""
        self.c.setFont(font, size)
        base = PAGE_H - (y_top + size * 0.88)
        if align == "center":
            self.c.drawCentredString(x + width / 2, base, text)
        else:
            self.c.drawString(x, base, text)

    def paragraph(self, text: str, font: str, size: float, indent: int = 2,
                  align: str = "left", space_after: float = 0):
        lh = size * self.lay.line_spacing
        lines = wrap(text, font, size, self.width, indent * size)
        for i, line in enumerate(lines):
            self.ensure(lh)
            x = self.x0 + (indent * size if i == 0 and align == "left" else 0)
            self.text_line(x, self.y + (lh - size) / 2, line, font, size, align, self.width)
            self.y += lh
        self.y += space_after

    def block(self, b: Block):
        s = self.lay.body_size
        if b.kind == "title":
            self.paragraph(b.text, self.heading, max(s + 5, 18), indent=0, align="center")
        elif b.kind == "heading":
            # keep a heading with the start of what follows it
            self.ensure(s * self.lay.line_spacing + 6 * self.lay.value_size)
            self.paragraph(b.text, self.heading, s, indent=2)
        elif b.kind == "para":
            self.paragraph(b.text, self.body, s, indent=2)
        elif b.kind == "table":
            self.y += s * 0.3
            self.table(b.table)
            self.y += s * 0.8

    # -- tables --------------------------------------------------------------------------------
    def _cell_style(self, cell: TCell) -> tuple[str, float]:
        if cell.role == "value":
            # reportlab's standard Type 1 fonts have no CJK dash (—, ／): such a value would print
            # as a black box, so it is set in the table's TrueType font
            if self.digit_font in ("Times-Roman", "Helvetica") and not cell.text.isascii():
                return self.table_font, self.lay.value_size
            return self.digit_font, self.lay.value_size
        size = self.lay.table_size
        if cell.role == "article":
            size += 1
        return self.table_font, size

    def _cell_lines(self, cell: TCell, width: float) -> list[str]:
        font, size = self._cell_style(cell)
        if cell.vertical:
            return list(cell.text)
        if not cell.text:
            return []
        lines = wrap(cell.text, font, size, max(width - 6, size))
        if cell.role == "header" and len(lines) > 1:
            # balanced, as people break narrow headers by hand (商业 / 企业, not 商业企 / 业)
            n = len(lines)
            step = -(-len(cell.text) // n)
            even = [cell.text[i:i + step] for i in range(0, len(cell.text), step)]
            if len(even) == n and all(_width(x, font, size) <= width - 2 for x in even):
                lines = even
        return lines

    def table(self, t: Table):
        lay = self.lay
        xs = [self.x0]
        for w in t.col_weights:
            xs.append(xs[-1] + w * self.width / sum(t.col_weights))
        lines_of: dict[int, list[str]] = {}
        heights = [lay.value_size * 1.8] * t.n_rows
        multi = []
        for i, cell in enumerate(t.cells):
            w = xs[cell.col + cell.colspan] - xs[cell.col]
            lines = self._cell_lines(cell, w)
            lines_of[i] = lines
            font, size = self._cell_style(cell)
            need = len(lines) * size * (1.05 if cell.vertical else 1.3) + size * 0.9
            if cell.rowspan == 1:
                heights[cell.row] = max(heights[cell.row], need)
            else:
                multi.append((cell, need))
        for cell, need in multi:
            have = sum(heights[cell.row:cell.row + cell.rowspan])
            if have < need:
                heights[cell.row + cell.rowspan - 1] += need - have
        # page fragments: lists of (row, y_top)
        keep = t.n_rows if t.section == "四" else t.header_rows + 1
        fragments: list[list[tuple[int, float]]] = []
        y = self.y
        if y + sum(heights[:keep]) > self.bottom:
            fragments.append([])
            y = lay.margin_top
        frag: list[tuple[int, float]] = []
        for r in range(t.n_rows):
            if frag and y + heights[r] > self.bottom:
                fragments.append(frag)
                frag = []
                y = lay.margin_top
                if lay.repeat_header and t.header_rows and r > t.header_rows:
                    for h in range(t.header_rows):
                        frag.append((h, y))
                        y += heights[h]
            frag.append((r, y))
            y += heights[r]
        fragments.append(frag)
        # where a split body cell prints its text: its largest part
        text_frag: dict[int, int] = {}
        for i, cell in enumerate(t.cells):
            best, best_h = 0, -1.0
            for fi, fr in enumerate(fragments):
                hsum = sum(heights[r] for r, _ in fr if cell.row <= r < cell.row + cell.rowspan)
                if hsum > best_h + 0.01:
                    best, best_h = fi, hsum
            text_frag[i] = best
        for fi, fr in enumerate(fragments):
            if fi:
                self.new_page()
            if not fr:
                continue
            self._draw_fragment(t, fr, fi, xs, heights, lines_of, text_frag)
            last_r, last_y = fr[-1]
            self.y = last_y + heights[last_r]

    def _draw_fragment(self, t, fr, fi, xs, heights, lines_of, text_frag):
        lay = self.lay
        c = self.c
        ytop = {}
        for r, y in fr:
            ytop.setdefault(r, y)
        repeated = set(range(t.header_rows)) if fi and fr[0][0] == 0 else set()
        boxes = []
        for i, cell in enumerate(t.cells):
            rows = [r for r in range(cell.row, cell.row + cell.rowspan) if r in ytop]
            if not rows:
                continue
            top = ytop[rows[0]]
            bot = ytop[rows[-1]] + heights[rows[-1]]
            x0, x1 = xs[cell.col], xs[cell.col + cell.colspan]
            boxes.append((i, cell, x0, top, x1, bot))
        # fills first, then rules, then text
        for i, cell, x0, top, x1, bot in boxes:
            if cell.shade:
                c.setFillColorRGB(*lay.shade_color)
                c.rect(x0, PAGE_H - bot, x1 - x0, bot - top, stroke=0, fill=1)
        c.setFillGray(0)
        segs = set()
        left, right = xs[0], xs[-1]
        for i, cell, x0, top, x1, bot in boxes:
            segs.add(("h", round(top, 2), round(x0, 2), round(x1, 2)))
            segs.add(("h", round(bot, 2), round(x0, 2), round(x1, 2)))
            if lay.ruling == "horizontal":
                continue
            for x in (x0, x1):
                if lay.ruling == "open_sides" and (abs(x - left) < 0.1 or abs(x - right) < 0.1):
                    continue
                segs.add(("v", round(x, 2), round(top, 2), round(bot, 2)))
        c.setLineWidth(0.6)
        c.setStrokeGray(0)
        for kind, a, b0, b1 in sorted(segs):
            if kind == "h":
                c.line(b0, PAGE_H - a, b1, PAGE_H - a)
            else:
                c.line(a, PAGE_H - b0, a, PAGE_H - b1)
        for i, cell, x0, top, x1, bot in boxes:
            lines = lines_of[i]
            if not lines:
                continue
            if text_frag[i] != fi and not (cell.row in repeated):
                continue
            font, size = self._cell_style(cell)
            step = size * (1.05 if cell.vertical else 1.3)
            block_h = len(lines) * step - (step - size)
            y = top + (bot - top - block_h) / 2
            for line in lines:
                if cell.vertical or cell.align == "center":
                    self.text_line(x0, y, line, font, size, "center", x1 - x0)
                else:
                    self.text_line(x0 + 3, y, line, font, size)
                y += step

    def finish(self) -> bytes:
        self._page_number()
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()


def render_pdf(rep: SynthReport, blocks: list[Block] | None = None) -> bytes:
    """The born-digital PDF of a generated report, as bytes."""
    from reportlab import rl_config
    saved = rl_config.useA85
    rl_config.useA85 = 0        # binary streams: smaller, and no pure-Python ASCII85 pass
    try:
        r = PdfRenderer(rep)
        for b in blocks if blocks is not None else document_blocks(rep):
            r.block(b)
        return r.finish()
    finally:
        rl_config.useA85 = saved
