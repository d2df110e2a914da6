"""Render a generated report as a web page (HTML tables with rowspan/colspan) or as scraped text.

HTML comes in two styles (``Layout.html_style``): ``word``, the markup of a Word document saved as
a web page (uppercase inline styles, every cell's text in a ``<p><span>``, wrapped labels with
``<br/>``, numbers sometimes split across spans, ``&nbsp;`` in blank cells), and ``plain``, a CMS
table with bare ``<td rowspan colspan>``.

Text comes in the two styles seen on scraped government sites (``Layout.text_style``): ``cells``,
every paragraph and every table cell on a line of its own, lines separated by a blank line, blank
cells as empty lines (as in ``eval/dev_set/fengze_2023.txt``); and ``glued``, the whole body in one
line with the table cells run together ("规范性文件898989", as in ``pingtan_2019.txt``).
"""

from __future__ import annotations

import html
import random

from .synth import SynthReport, rng_for
from .synth_tables import Block, Table, TCell, document_blocks

WORD_FONTS = ("仿宋_GB2312", "宋体", "仿宋", "Times New Roman")


def _cell_html(cell: TCell, rng: random.Random, word: bool, width_pt: float) -> str:
    attrs = []
    if cell.rowspan > 1:
        attrs.append(f'rowspan="{cell.rowspan}"')
    if cell.colspan > 1:
        attrs.append(f'colspan="{cell.colspan}"')
    text = cell.text
    if word:
        font = rng.choice(WORD_FONTS[:3]) if cell.role != "value" else "Times New Roman"
        align = "center" if cell.align == "center" else "left"
        style = ("BORDER-BOTTOM: windowtext 1pt solid; BORDER-LEFT: windowtext 1pt solid; "
                 f"PADDING-BOTTOM: 0pt; PADDING-LEFT: 5.4pt; WIDTH: {width_pt:.2f}pt; "
                 "PADDING-RIGHT: 5.4pt; BORDER-TOP: windowtext 1pt solid; "
                 "BORDER-RIGHT: windowtext 1pt solid; PADDING-TOP: 0pt")
        if cell.shade:
            style += "; BACKGROUND: rgb(198,217,241)"
        span = f'<span style="FONT-FAMILY: {font}; FONT-SIZE: 10.5pt">'
        if not text:
            inner = f"{span}&nbsp;</span>"
        elif cell.role == "value" and len(text) > 2 and rng.random() < 0.15:
            cut = rng.randint(1, len(text) - 1)     # Word splits runs at edit boundaries
            inner = f"{span}{html.escape(text[:cut])}</span>{span}{html.escape(text[cut:])}</span>"
        elif cell.vertical:
            inner = f"{span}" + "<br/>".join(html.escape(ch) for ch in text) + "</span>"
        else:
            inner = f"{span}{html.escape(text)}</span>"
        p = (f'<p style="TEXT-ALIGN: {align}; LINE-HEIGHT: 20pt; MARGIN: 0pt; '
             f'FONT-FAMILY: 仿宋_GB2312; FONT-SIZE: 16pt">{inner}</p>')
        attrs.append(f'style="{style}" valign="center" width="{int(width_pt * 4 / 3)}"')
        return f"<td {' '.join(attrs)}>{p}</td>"
    inner = html.escape(text) if not cell.vertical else "<br>".join(html.escape(c) for c in text)
    return f"<td{''.join(' ' + a for a in attrs)}>{inner}</td>"


def table_html(t: Table, rng: random.Random, word: bool) -> str:
    total_w = 440.0 if t.section != "二" else 420.0
    colw = [w * total_w / sum(t.col_weights) for w in t.col_weights]
    by_row: dict[int, list[TCell]] = {}
    for c in t.cells:
        by_row.setdefault(c.row, []).append(c)
    out = []
    if word:
        out.append('<table style="BORDER-BOTTOM: medium none; BORDER-LEFT: medium none; '
                   f'WIDTH: {total_w:.2f}pt; BORDER-COLLAPSE: collapse; FONT-FAMILY: '
                   "'Times New Roman'; FONT-SIZE: 10pt; BORDER-TOP: medium none; "
                   'BORDER-RIGHT: medium none" border="1" cellspacing="0"><tbody>')
    else:
        out.append('<table border="1" cellspacing="0" cellpadding="2"><tbody>')
    for r in range(t.n_rows):
        cells = sorted(by_row.get(r, []), key=lambda c: c.col)
        out.append('<tr style="HEIGHT: 20pt">' if word else "<tr>")
        for c in cells:
            out.append(_cell_html(c, rng, word, sum(colw[c.col:c.col + c.colspan])))
        out.append("</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def render_html(rep: SynthReport, blocks: list[Block] | None = None) -> str:
    """The report as a government web page."""
    rng = rng_for(rep.seed, rep.index, "html")
    word = rep.layout.html_style == "word"
    blocks = blocks if blocks is not None else document_blocks(rep)
    title = html.escape(rep.title)
    out = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
           f"<title>{title}</title></head><body>",
           '<div class="header"><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
           "政府信息公开年报</div>",
           f'<div class="article"><h1 class="title">{title}</h1>',
           f'<div class="info">发布时间：{rep.published or ""}&nbsp;&nbsp;来源：'
           f"{html.escape(rep.agency)}</div>", '<div class="content">']
    for b in blocks:
        if b.kind == "title":
            continue
        if b.kind == "table":
            out.append(table_html(b.table, rng, word))
        elif word:
            indent = "TEXT-INDENT: 32pt; " if b.kind == "para" else ""
            weight = "; FONT-WEIGHT: bold" if b.kind == "heading" else ""
            out.append(f'<p style="{indent}LINE-HEIGHT: 28pt; MARGIN: 0pt"><span style="'
                       f'FONT-FAMILY: 仿宋_GB2312; FONT-SIZE: 16pt{weight}">'
                       f"{html.escape(b.text)}</span></p>")
        else:
            tag = "h3" if b.kind == "heading" else "p"
            out.append(f"<{tag}>{html.escape(b.text)}</{tag}>")
    out.append("</div></div>")
    out.append('<div class="footer"><p>主办单位：' + html.escape(rep.agency) +
               "&nbsp;&nbsp;网站标识码：3600000000</div></body></html>")
    return "\n".join(out) + "\n"


def _cell_lines(cell: TCell, split_headers: bool) -> list[str]:
    """The lines a scraper gets from one cell (wrapped header labels may come as two lines)."""
    if cell.vertical:
        return [cell.text]
    if split_headers and cell.role == "header" and len(cell.text) == 4 and cell.row > 0:
        return [cell.text[:2], cell.text[2:]]
    return [cell.text]


def table_cells_in_order(t: Table) -> list[TCell]:
    """Cells in document order: by row of their top-left slot, then by column."""
    return sorted(t.cells, key=lambda c: (c.row, c.col))


def render_text(rep: SynthReport, blocks: list[Block] | None = None) -> str:
    """The report as text scraped from its web page, in the layout's text style."""
    rng = rng_for(rep.seed, rep.index, "text-kind")
    blocks = blocks if blocks is not None else document_blocks(rep)
    head = [f"标题: {rep.title}", f"发布时间: {rep.published or ''}",
            f"发布机构: {rep.agency}", "=" * 20 + " 正文 " + "=" * 20]
    if rep.layout.text_style == "glued":
        parts = []
        for b in blocks:
            if b.kind == "table":
                for c in table_cells_in_order(b.table):
                    parts.append(c.text)
                    if c.role == "value" and rng.random() < 0.03:
                        parts.append(" ")          # the odd stray space of the original
            else:
                parts.append(b.text)
        return "\n".join(head) + "\n" + "".join(parts) + "\n"
    indent = "      " if rep.layout.text_indent else ""
    split_headers = rng.random() < 0.6
    lines = []
    for b in blocks:
        if b.kind == "table":
            for c in table_cells_in_order(b.table):
                for line in _cell_lines(c, split_headers):
                    lines.append(indent + line if line else ("\u00a0" if rng.random() < 0.3
                                                             else ""))
        else:
            lines.append(indent + b.text)
    return "\n".join(head) + "\n\n" + "\n\n".join(lines) + "\n"
