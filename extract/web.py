"""Reports published as web pages: HTML tables, scraped text, Word attachments.

Ingesters (registered in ``extract.pipeline.INGESTERS``), each ``(path, options) -> Document``:

- ``ingest_html``: the page's statistical tables with their rowspan/colspan (``&nbsp;`` is a blank
  cell, ``<br>`` joins wrapped lines without a space); navigation, scripts and layout tables are
  skipped: a table counts when a section heading (二、/三、/四、) precedes it or its cells say which
  section it is. Consecutive tables of one section form one grid.
- ``ingest_text``: a scraped text; the grids are rebuilt from the cell stream by
  ``extract.textgrid`` (glued digit runs split by ``extract.digitruns``).
- ``ingest_docx``: the document's tables through python-docx, merged cells from ``w:gridSpan`` and
  ``w:vMerge``.
- ``ingest_doc``: a legacy ``.doc`` converted to ``.docx`` by LibreOffice (headless), where it is
  installed; otherwise a clear error that says how to install it.

Text is decoded with the charset the file declares (BOM, ``<meta charset>``), else UTF-8, else the
charset charset-normalizer detects (GBK/GB18030 pages are common). ``Document.meta`` carries the
page's own title and publication date (and the signature's agency and date) for ``extract.meta``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import textgrid
from .errors import InputFileError
from .limits import check_size
from .model import Cell, Document, Grid, Issue
from .options import Options

# ---------------------------------------------------------------------------------------------
# Decoding

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.I)
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
            "gb_2312-80": "gb18030", "utf8": "utf-8", "big5": "big5hkscs"}


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first 4 KB (``<meta charset>``, ``http-equiv``, XML)."""
    head = data[:4096]
    m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if not m:
        return None
    name = m.group(1).decode("ascii", "replace").lower()
    return _ALIASES.get(name, name)


def decode_bytes(data: bytes, path, html: bool = False) -> tuple[str, str, list[Issue]]:
    """(text, encoding, issues). BOM, then the declared charset (HTML), then UTF-8, then the
    charset charset-normalizer detects; a page that decodes under none is an ``InputFileError``."""
    issues: list[Issue] = []
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"),
                     (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace"), enc, issues
    if html:
        enc = declared_charset(data)
        if enc:
            try:
                return data.decode(enc), enc, issues
            except LookupError:
                issues.append(Issue("error", f"the page declares an unknown charset {enc!r}; "
                                    "detecting it instead", stage="ingest"))
            except UnicodeDecodeError:
                issues.append(Issue("low_confidence", f"the page declares charset {enc!r} but "
                                    "does not decode with it; detecting it instead",
                                    stage="ingest"))
    try:
        return data.decode("utf-8"), "utf-8", issues
    except UnicodeDecodeError:
        pass
    # Chinese pages without a declared charset are nearly always GBK/GB18030 (or Big5): take
    # the first that decodes strictly into mostly CJK text
    for enc in ("gb18030", "big5hkscs"):
        try:
            t = data.decode(enc)
        except UnicodeDecodeError:
            continue
        wide = [ch for ch in t if ord(ch) > 127]
        cjk = sum(1 for ch in wide if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
                  or "\uff00" <= ch <= "\uffef")
        if wide and cjk / len(wide) > 0.9:
            return t, enc, issues
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise InputFileError(path, "cannot tell the text's character encoding (not UTF-8, GBK "
                             "or any encoding charset-normalizer knows); save it as UTF-8")
    enc = _ALIASES.get(best.encoding.lower().replace("_", "-"), best.encoding)
    if enc in ("gb2312", "gbk", "gb18030", "cp936") or best.encoding in ("gb2312", "gbk"):
        enc = "gb18030"
    return data.decode(enc, errors="replace"), enc, issues


def read_text(path: Path, html: bool = False, options: Options | None = None
              ) -> tuple[str, str, list[Issue]]:
    """Read and decode a text or HTML file, refusing one over ``options.max_text_bytes`` before
    reading it (a report's page or text is well under 10 MB; the text stages and the narrative
    check are not made for hundreds of MB)."""
    options = options or Options()
    try:
        check_size(path, Path(path).stat().st_size, options.max_text_bytes,
                   "--max-text-bytes", "the text file" if not html else "the HTML file")
        data = Path(path).read_bytes()
    except OSError as e:
        raise InputFileError(path, f"cannot read: {e.strerror or e}") from e
    if not data.strip():
        raise InputFileError(path, "the file is empty")
    return decode_bytes(data, path, html)


# ---------------------------------------------------------------------------------------------
# Metadata hints from the text

_DATE = r"((?:19|20)\d{2})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})"
_PUBLISHED_LABELS = ("成文日期", "公文生成日期", "生成日期", "发文日期", "发布日期", "发布时间")
_AGENCY_END = re.compile(r"(?:政府|办公室|办公厅|厅|局|委员会|委|院|署|中心|管委会|街道办事处|办事处|"
                         r"区|县|市|镇|乡|所|站|会)$")


def _iso(y, m, d) -> str:
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def text_hints(text: str) -> dict:
    """``title``, ``published`` from labelled lines near the top (发布日期：…, 标题：…), and the
    signature's ``signed_by`` / ``signed`` (the agency and date printed at the end)."""
    hints: dict = {}
    head = text[:3000]
    m = re.search(r"(?:标\s*题|题\s*名)\s*[:：]\s*([^\n]+)", head)
    if m:
        hints["title"] = m.group(1).strip()
    else:
        for line in head.split("\n")[:40]:
            s = line.strip()
            if 8 <= len(s) <= 60 and re.search(r"年度?报告$", s) and "信息公开" in s:
                hints["title"] = s
                break
    for label in _PUBLISHED_LABELS:
        m = re.search(re.escape(label) + r"\s*[:：]?\s*" + _DATE, head)
        if m:
            hints["published"] = _iso(*m.groups())
            break
    # signature: the last short line that is a date, and the short line before it
    lines = [ln.strip() for ln in text.strip().split("\n") if ln.strip()]
    tail = lines[-12:]
    for k in range(len(tail) - 1, -1, -1):
        m = re.fullmatch(_DATE + r"\s*日?", tail[k].replace(" ", ""))
        if m:
            hints["signed"] = _iso(*m.groups())
            for j in range(k - 1, max(-1, k - 3), -1):
                cand = tail[j].replace(" ", "").replace("\u3000", "")
                if 2 <= len(cand) <= 30 and _AGENCY_END.search(cand) and \
                        re.fullmatch(r"[\u4e00-\u9fff（）()]+", cand):
                    hints["signed_by"] = cand
                    break
            break
    return hints


def _signature_as_hints(meta: dict) -> None:
    """The signature names the agency, and its date is the report's date where the page prints
    no 发布日期 of its own."""
    if meta.get("signed_by") and "agency" not in meta:
        meta["agency"] = meta["signed_by"]
    if meta.get("signed") and "published" not in meta:
        meta["published"] = meta["signed"]


# ---------------------------------------------------------------------------------------------
# Text


def prose_evidence(path: Path, text: str):
    """``evidence(keys)`` for ``textgrid.text_to_grids``: the figures the text's prose states
    (``extract.narrative``) that name exactly one of ``keys`` -> (value, words). Read once, on
    first use; a figure stated twice with different values is not used."""
    from types import SimpleNamespace

    from . import narrative

    figures: list = []

    def evidence(keys: set[str]) -> dict[str, tuple[float, str]]:
        if not figures:
            figures.append(narrative.extract_figures(
                Document(str(path), "text", [], text=text, pages=None)))
        probe = SimpleNamespace(report={}, fields=dict.fromkeys(keys))
        stated: dict[str, tuple[float, str]] = {}
        clash: set[str] = set()
        for f in figures[0]:
            alts = narrative.table_fields(f.kind, probe)
            if len(alts) != 1 or len(alts[0]) != 1:
                continue
            k = alts[0][0]
            if k in stated and stated[k][0] != f.value:
                clash.add(k)
            stated.setdefault(k, (f.value, f.text))
        return {k: v for k, v in stated.items() if k not in clash}

    return evidence


def ingest_text(path: Path, options: Options) -> Document:
    text, enc, issues = read_text(path, options=options)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    grids, more, runs = textgrid.text_to_grids(text, evidence=prose_evidence(path, text))
    issues += more
    meta = text_hints(text)
    meta["encoding"] = enc
    _signature_as_hints(meta)
    if runs:
        meta["digit_runs"] = runs
    if not grids:
        issues.append(Issue("missing_table", "no statistical table found in the text (no "
                            "二、主动公开… / 三、收到和处理… / 四、…行政复议… heading followed by a "
                            "table)", stage="ingest"))
    return Document(str(path), "text", grids, text=text, pages=None, issues=issues, meta=meta)


# ---------------------------------------------------------------------------------------------
# HTML

_SKIP_TAGS = ("script", "style", "noscript", "nav", "iframe", "select", "button", "form",
              "head", "template", "svg")
_BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
               "section", "article", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "hr"}
_WS = re.compile(r"[ \t\r\n\f\v\xa0\u3000\u2002\u2003\u200b]+")


def cell_text(el) -> str:
    """A cell's text as printed: ``&nbsp;`` is blank, ``<br>`` and paragraphs join wrapped lines
    without a space, runs of white space become one space (so "1 2" stays two numbers)."""
    parts: list[str] = []

    def walk(node):
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag.lower() in _SKIP_TAGS:
            if node.tail:
                parts.append(node.tail)
            return
        if tag.lower() in ("br", "p", "div") and parts:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for ch in node:
            walk(ch)
        if node.tail and node is not el:
            parts.append(node.tail)

    walk(el)
    lines = [_WS.sub(" ", ln).strip() for ln in "".join(parts).split("\n")]
    return "".join(ln for ln in lines if ln)


def table_to_cells(table, t_index: int, row0: int = 0) -> tuple[list[Cell], int]:
    """An HTML table's cells on a grid (rowspan/colspan honoured), starting at row ``row0``.
    Returns (cells, number of rows)."""
    cells: list[Cell] = []
    taken: set[tuple[int, int]] = set()
    rows = [tr for tr in table.iter("tr") if _own_table(tr) is table]
    for r, tr in enumerate(rows):
        c = 0
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            while (r, c) in taken:
                c += 1
            rs = _span(td.get("rowspan"))
            cs = _span(td.get("colspan"))
            rs = min(rs, len(rows) - r)
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
            cells.append(Cell(cell_text(td), row0 + r, c, rs, cs, engine="html", confidence=1.0,
                              cell=(t_index, r, c)))
            c += cs
    return cells, len(rows)


def _span(v) -> int:
    try:
        n = int(str(v).strip().rstrip(";"))
    except (TypeError, ValueError):
        return 1
    return max(1, min(n, 200))


def _own_table(el):
    p = el.getparent()
    while p is not None and (not isinstance(p.tag, str) or p.tag.lower() != "table"):
        p = p.getparent()
    return p


def _heading_section(text: str) -> str | None:
    """The last section heading (二/三/四) in a stretch of text, if any."""
    best = None
    for sec, pat in textgrid.SECTION_HEADINGS.items():
        for m in pat.finditer(text):
            if best is None or m.start() > best[0]:
                best = (m.start(), sec)
    m = textgrid.END_HEADING.search(text)
    if m and (best is None or m.start() > best[0]):
        return "end"
    return best[1] if best else None


def _content_section(text: str) -> str | None:
    t = re.sub(r"\s+", "", text)
    if "申请人情况" in t or ("自然人" in t and "商业企业" in t):
        return "三"
    if "行政复议" in t and ("结果维持" in t or "尚未审结" in t):
        return "四"
    if "第二十条" in t or "信息内容" in t:
        return "二"
    return None


def table_section(pending: str, section: str | None, tbl_text: str):
    """(section after the text before a table, the table's own section or None).

    The text since the last table may open a section (二/三/四) or end them (五、…). A table
    under a statistical heading belongs to it even when it prints no digit (every value a
    dash); elsewhere its own cells must name a section and hold a number, or it is a layout or
    navigation table (None).
    """
    head = _heading_section(pending)
    if head == "end":
        section = None
    elif head:
        section = head
    if section is not None:
        return section, section
    sec = _content_section(tbl_text)
    return section, (sec if sec is not None and re.search(r"\d", tbl_text) else None)


def ingest_html(path: Path, options: Options) -> Document:
    text, enc, issues = read_text(path, html=True, options=options)
    root, truncated = parse_html(text, path)
    meta = _html_meta(root)
    for bad in root.xpath("//script|//style|//noscript|//template|//head"):
        bad.drop_tree()
    body = root.find("body") if root.find("body") is not None else root

    # walk the page in order: text before each innermost table decides its section
    events: list[tuple[str, object]] = []

    def walk(node):
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in _SKIP_TAGS:
            if node.tail:
                events.append(("text", node.tail))
            return
        if tag == "table" and not node.xpath(".//table"):
            events.append(("table", node))
            if node.tail:
                events.append(("text", node.tail))
            return
        if tag in _BLOCK_TAGS:
            events.append(("text", "\n"))
        if node.text:
            events.append(("text", node.text))
        for ch in node:
            walk(ch)
        if tag in _BLOCK_TAGS:
            events.append(("text", "\n"))
        if node.tail and node is not body:
            events.append(("text", node.tail))

    walk(body)
    prose_parts: list[str] = []
    grids: list[Grid] = []
    current: Grid | None = None
    section: str | None = None
    t_index = -1
    pending = ""
    for kind, obj in events:
        if kind == "text":
            s = _WS.sub(lambda m: "\n" if "\n" in m.group(0) else " ", obj)
            prose_parts.append(s)
            pending += s
            continue
        t_index += 1
        tbl_text = cell_text(obj)
        section, sec = table_section(pending, section, tbl_text)
        if pending.strip():
            # text between tables ends a grid (a new heading, or prose)
            current = None
        pending = ""
        if sec is None:
            continue      # a layout or navigation table
        if current is not None and current.section == sec:
            cells, _ = table_to_cells(obj, t_index, current.n_rows)
            current.cells.extend(cells)
        else:
            cells, _ = table_to_cells(obj, t_index)
            current = Grid(cells, section=sec, source_kind="html")
            grids.append(current)
        prose_parts.append("\n" + _table_as_text(obj) + "\n")
    prose = re.sub(r"\n\s*\n+", "\n", "".join(prose_parts)).strip()
    meta.update({k: v for k, v in text_hints(prose).items() if k not in meta})
    meta["encoding"] = enc
    _signature_as_hints(meta)
    if truncated:
        if not grids:
            raise InputFileError(path, truncated + "; no statistical table was found before it")
        issues.append(Issue("error", truncated, stage="ingest"))
    if not grids:
        issues.append(Issue("missing_table", "no statistical table found in the page",
                            stage="ingest"))
    return Document(str(path), "html", grids, text=prose, pages=None, issues=issues, meta=meta)


# libxml2 stops building the tree (silently dropping the rest of the page) past this depth; the
# walks below recurse once per level, well inside Python's recursion limit.
MAX_HTML_DEPTH = 256
_INLINE_WRAPPERS = re.compile(rb"</?(?:span|font|b|i|u|em|strong|small|big|a|sup|sub|o:p)\b[^>]*>",
                              re.I)
_BLOCK_WRAPPERS = re.compile(rb"</?(?:div|center|section|article|main|aside|header|footer|"
                             rb"blockquote|ul|ol|li|dl|dt|dd|p)\b[^>]*>", re.I)


def parse_html(text: str, path) -> tuple[object, str | None]:
    """The page's tree, and why it is incomplete (or None).

    A page nested deeper than ``MAX_HTML_DEPTH`` (wrappers inside wrappers, by a broken editor
    or on purpose) would lose everything after the deepest point. It is parsed again with its
    layout wrappers flattened (block wrappers become line breaks, inline ones vanish): tables
    and text survive. Only tables nested that deep still cut the page; the reason says so."""
    import lxml.html
    from lxml import etree

    data = text.encode("utf-8")

    def parse(b: bytes):
        parser = lxml.html.HTMLParser(encoding="utf-8")
        try:
            root = lxml.html.document_fromstring(b, parser=parser)
        except (etree.ParserError, ValueError) as e:
            raise InputFileError(path, f"cannot be parsed as HTML: {e}") from e
        deep = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)
        return root, deep

    root, deep = parse(data)
    if not deep:
        return root, None
    root, deep = parse(_BLOCK_WRAPPERS.sub(b"<br>", _INLINE_WRAPPERS.sub(b"", data)))
    if not deep:
        return root, None
    return root, (f"the page nests tables more than {MAX_HTML_DEPTH} levels deep; the parser "
                  "stops there, so the rest of the page was not read")


def _table_as_text(table) -> str:
    rows = []
    for tr in table.iter("tr"):
        rows.append(" ".join(cell_text(td) for td in tr if isinstance(td.tag, str)
                             and td.tag.lower() in ("td", "th")))
    return "\n".join(rows)


def _html_meta(root) -> dict:
    hints: dict = {}
    metas = {}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        if name and m.get("content"):
            metas[name] = m.get("content").strip()
    for k in ("articletitle", "og:title", "title"):
        if metas.get(k):
            hints["title"] = metas[k]
            break
    if "title" not in hints:
        t = root.find(".//title")
        if t is not None and t.text and t.text.strip():
            hints["title"] = re.split(r"\s*[_|｜]\s*|\s+-\s+", t.text.strip())[0]
    for k in ("pubdate", "publishdate", "article:published_time", "firstpublishedtime"):
        if metas.get(k):
            m = re.search(_DATE, metas[k])
            if m:
                hints["published"] = _iso(*m.groups())
                break
    return hints


# ---------------------------------------------------------------------------------------------
# Word


def ingest_docx(path: Path, options: Options) -> Document:
    import zipfile

    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as e:      # pragma: no cover - a declared dependency
        raise InputFileError(path, "python-docx is not installed (pip install python-docx)") \
            from e
    try:
        _check_docx_sizes(path, options)
        d = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise InputFileError(path, f"not a readable .docx file: {e}") from e
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    prose_parts: list[str] = []
    grids: list[Grid] = []
    current: Grid | None = None
    section: str | None = None
    pending = ""
    t_index = -1
    for el in d.element.body.iterchildren():
        tag = el.tag.replace(ns, "")
        if tag == "p":
            s = "".join(t.text or "" for t in el.iter(ns + "t"))
            prose_parts.append(s + "\n")
            pending += s + "\n"
            continue
        if tag != "tbl":
            continue
        t_index += 1
        rows = _docx_rows(el, ns)
        tbl_text = "\n".join(" ".join(t for t, _, _ in r) for r in rows)
        section, sec = table_section(pending, section, tbl_text)
        if pending.strip():
            current = None
        pending = ""
        prose_parts.append(tbl_text + "\n")
        if sec is None:
            continue
        row0 = current.n_rows if current is not None and current.section == sec else 0
        cells = _docx_cells(rows, t_index, row0)
        if row0:
            current.cells.extend(cells)
        else:
            current = Grid(cells, section=sec, source_kind="docx")
            grids.append(current)
    prose = "".join(prose_parts)
    meta = text_hints(prose)
    props = d.core_properties
    if props.title and props.title.strip():
        meta["title"] = props.title.strip()
    _signature_as_hints(meta)
    issues = []
    if not grids:
        issues.append(Issue("missing_table", "no statistical table found in the document",
                            stage="ingest"))
    return Document(str(path), "docx", grids, text=prose, pages=None, issues=issues, meta=meta)


def _check_docx_sizes(path: Path, options: Options) -> None:
    """python-docx inflates every part into memory: refuse a zip bomb from the sizes its
    directory declares (zipfile never inflates past a declared size). The parts together are
    bounded by ``--max-bytes``, each XML part by ``--max-text-bytes``."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    check_size(path, sum(i.file_size for i in infos), options.max_bytes, "--max-bytes",
               "the .docx unpacked")
    for i in infos:
        if i.filename.lower().endswith((".xml", ".rels")):
            check_size(path, i.file_size, options.max_text_bytes, "--max-text-bytes",
                       f"its part {i.filename} unpacked")


def _docx_rows(tbl, ns) -> list[list[tuple[str, int, str | None]]]:
    """Rows of (text, gridSpan, vMerge) per ``w:tc``."""
    out = []
    for tr in tbl.iterchildren(ns + "tr"):
        row = []
        for tc in tr.iterchildren(ns + "tc"):
            paras = []
            for p in tc.iterchildren(ns + "p"):
                paras.append("".join(t.text or "" for t in p.iter(ns + "t")))
            text = "".join(_WS.sub(" ", x).strip() for x in paras)
            span, vmerge = 1, None
            tcpr = tc.find(ns + "tcPr")
            if tcpr is not None:
                gs = tcpr.find(ns + "gridSpan")
                if gs is not None:
                    span = _span(gs.get(ns + "val"))
                vm = tcpr.find(ns + "vMerge")
                if vm is not None:
                    vmerge = vm.get(ns + "val") or "continue"
            row.append((text, span, vmerge))
        out.append(row)
    return out


def _docx_cells(rows, t_index: int, row0: int) -> list[Cell]:
    """Cells with rowspan from vertical merges (``restart`` ... ``continue``)."""
    builders: list[dict] = []
    open_at: dict[int, dict] = {}
    for r, row in enumerate(rows):
        c = 0
        for text, span, vmerge in row:
            if vmerge == "continue" and c in open_at:
                open_at[c]["rowspan"] += 1
            else:
                b = {"text": text, "row": row0 + r, "col": c, "rowspan": 1, "colspan": span,
                     "cell": (t_index, r, c)}
                builders.append(b)
                if vmerge == "restart":
                    open_at[c] = b
                else:
                    open_at.pop(c, None)
            c += span
    return [Cell(b["text"], b["row"], b["col"], b["rowspan"], b["colspan"], engine="docx",
                 confidence=1.0, cell=b["cell"]) for b in builders]


LIBREOFFICE_HINT = ("LibreOffice is needed to read legacy .doc files and was not found; install it "
                    "(Debian/Ubuntu: `sudo apt-get install libreoffice-writer`, or add "
                    "libreoffice-writer to the Makefile's DEBS) or save the file as .docx")


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def ingest_doc(path: Path, options: Options) -> Document:
    exe = soffice()
    if exe is None:
        raise InputFileError(path, LIBREOFFICE_HINT)
    with tempfile.TemporaryDirectory(prefix="gkreport-doc-") as tmp:
        try:
            subprocess.run([exe, "--headless", "--norestore", "--convert-to", "docx",
                            "--outdir", tmp, str(path)], check=True, capture_output=True,
                           timeout=min(options.timeout, 300),
                           env={"HOME": tmp, "PATH": "/usr/bin:/bin"})
        except subprocess.TimeoutExpired as e:
            raise InputFileError(path, "LibreOffice took too long to convert it") from e
        except subprocess.CalledProcessError as e:
            raise InputFileError(path, "LibreOffice could not convert it: "
                                 f"{(e.stderr or b'').decode('utf-8', 'replace')[:200]}") from e
        out = Path(tmp) / (Path(path).stem + ".docx")
        if not out.exists():
            raise InputFileError(path, "LibreOffice produced no .docx (is it a Word file?)")
        doc = ingest_docx(out, options)
    doc.path = str(path)
    doc.kind = "docx"
    return doc
