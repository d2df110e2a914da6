"""Fuzz targets: one per input parser (PDF, HTML, text, image) and the digit-run splitter.

Each target turns bytes into a call of the public API and lets every exception out. The verdict
(``run_one``) is:

- ``ok``: the input was read (or, for the splitter, every property held);
- a ``GkError`` class name: the input was refused with a documented error (fine). When that
  error was translated from an exception raised *in our own code* (``extract/``) rather than in
  a library, the verdict also carries the traceback as a ``masked`` finding: ``pipeline.ingest``
  turns ``ValueError``, ``KeyError``, ``IndexError``... into ``InputFileError``, which keeps a
  batch alive but could hide a bug of ours, so the fuzzer reports them apart;
- ``crash``: any other exception escaped (a property of the splitter failing is one too).

Time and memory bounds are the runner's (fuzz/run.py). The parsers run with the options of
``FUZZ_OPTIONS``: the null OCR engine (OCR of random images is slow and is not a parser; the
image path still decodes, checks limits, prepares the page and finds its tables), 50 dpi,
smaller page and pixel limits so that each input stays cheap; the limits themselves are what
refuse inputs beyond them.
"""

from __future__ import annotations

import functools
import io
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tests" / "nasty"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from extract.errors import GkError  # noqa: E402
from extract.options import Options  # noqa: E402

FUZZ_OPTIONS = Options(ocr_engine="null", threads=1, dpi=50, max_pages=20,
                       max_pixels=4_000_000, max_bytes=20_000_000, max_text_bytes=2_000_000)
OWN_CODE = str(ROOT / "extract") + os.sep


@dataclass(frozen=True)
class Target:
    name: str
    seeds: Callable[[], list[bytes]]
    tokens: list[bytes]
    run: Callable[[bytes, Path], None]


# -- seeds ----------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _synth(index: int):
    from make_corpus import SEED
    from extract.synth import make_report

    return make_report(SEED, index)


def _table_pdf(compress: bool) -> bytes:
    """One page: a section heading and a small ruled table in a CID font (text layer)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1, pageCompression=int(compress))
    c.setFont("STSong-Light", 11)
    c.drawString(60, 790, "某某县人民政府2023年政府信息公开工作年度报告")
    c.drawString(60, 760, "三、收到和处理政府信息公开申请情况")
    rows = [("本年新收政府信息公开申请数量", "3", "1", "4"), ("上年结转政府信息公开申请数量", "0", "0", "0"),
            ("（一）予以公开", "2", "1", "3"), ("（二）部分公开", "1", "0", "1"), ("四、结转下年度继续办理", "0", "0", "0")]
    xs = [60, 300, 370, 440, 510]
    top = 740
    for r, row in enumerate(rows):
        y = top - 22 * r
        for k, cell in enumerate(row):
            c.drawString(xs[k] + 4, y - 15, cell)
    for r in range(len(rows) + 1):
        c.line(xs[0], top - 22 * r, xs[-1], top - 22 * r)
    for x in xs:
        c.line(x, top, x, top - 22 * len(rows))
    c.showPage()
    c.save()
    return buf.getvalue()


def _table_image(mode: str = "L", size=(240, 160)):
    from PIL import Image, ImageDraw

    im = Image.new("L", size, 255)
    d = ImageDraw.Draw(im)
    w, h = size
    for y in range(10, h - 5, 28):
        d.line([(8, y), (w - 8, y)], fill=0, width=2)
    for x in (8, 90, 150, w - 8):
        d.line([(x, 10), (x, 10 + 28 * ((h - 15) // 28))], fill=0, width=2)
    for y in range(18, h - 20, 28):
        d.text((100, y), "12", fill=0)
        d.text((160, y), "3", fill=0)
    return im.convert(mode) if mode != "L" else im


def _image_bytes(fmt: str, mode: str = "L", frames: int = 1) -> bytes:
    buf = io.BytesIO()
    im = _table_image(mode)
    kw = {}
    if frames > 1:
        kw = {"save_all": True, "append_images": [_table_image(mode) for _ in range(frames - 1)]}
    if fmt == "TIFF":
        kw["compression"] = "tiff_deflate"
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _scan_pdf() -> bytes:
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(300, 200), invariant=1)
    c.drawImage(ImageReader(_table_image()), 0, 0, 300, 200)
    c.showPage()
    c.save()
    return buf.getvalue()


def _tmp_make(maker, name: str) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        maker(p)
        return p.read_bytes()


@functools.lru_cache(maxsize=None)
def pdf_seeds() -> list[bytes]:
    import make_corpus as mc
    from extract.synth_render import render_pdf

    return [_table_pdf(False), _table_pdf(True), _scan_pdf(), render_pdf(_synth(0)),
            _tmp_make(mc.make_cid_only_pdf, "a.pdf"), _tmp_make(mc.make_lone_surrogate_pdf, "a.pdf"),
            _tmp_make(mc.make_zero_pages_pdf, "a.pdf"), _tmp_make(mc.make_huge_page_pdf, "a.pdf"),
            _tmp_make(mc.make_english_pdf, "a.pdf"), _tmp_make(mc.make_encrypted_user_pdf, "a.pdf"),
            _tmp_make(lambda p: mc.make_thousands_pages_pdf(p, pages=300), "a.pdf")]


@functools.lru_cache(maxsize=None)
def html_seeds() -> list[bytes]:
    import make_corpus as mc
    from extract.synth_web import render_html

    plain = render_html(_synth(1))
    small = ("<html><head><meta charset='gbk'><title>某区2023年政府信息公开工作年度报告</title></head>"
             "<body><p>二、主动公开政府信息情况</p><table><tr><th rowspan=2>信息内容</th>"
             "<th colspan=2>本年制发件数</th></tr><tr><td>规章</td><td>0</td></tr>"
             "<tr><td>规范性文件</td><td>3</td><td>12</td></tr></table>"
             "<p>三、收到和处理政府信息公开申请情况</p><table><tr><td>自然人</td><td>商业企业</td></tr>"
             "<tr><td>5</td><td>&nbsp;</td></tr></table></body></html>")
    return [small.encode("gbk"), plain.encode("utf-8"), plain.encode("gb18030"),
            _tmp_make(lambda p: mc.make_html_deep_divs(p, depth=400), "a.html"),
            _tmp_make(lambda p: mc.make_html_deep_tables(p, depth=300), "a.html"),
            _tmp_make(mc.make_html_surrogate_refs, "a.html")]


@functools.lru_cache(maxsize=None)
def text_seeds() -> list[bytes]:
    import re

    from extract.synth_web import render_text

    out = []
    for i in (2, 3, 5):
        t = render_text(_synth(i))
        out.append(t.encode("utf-8"))
        # each statistical section on its own (cheaper inputs reach the same code)
        for m in re.finditer(r"(?s)[二三四]、.{0,1200}", t):
            out.append(m.group(0).encode("utf-8"))
    out.append(render_text(_synth(2)).encode("gbk", "replace"))
    out.append("\ufeff".encode("utf-16-le") + render_text(_synth(3)).encode("utf-16-le"))
    return out


@functools.lru_cache(maxsize=None)
def image_seeds() -> list[bytes]:
    return [_image_bytes("PNG"), _image_bytes("PNG", "RGBA"), _image_bytes("PNG", "P"),
            _image_bytes("PNG", "1"), _image_bytes("PNG", "I;16"), _image_bytes("JPEG"),
            _image_bytes("JPEG", "CMYK"), _image_bytes("TIFF", "L", frames=3),
            _image_bytes("BMP"), _image_bytes("WEBP")]


@functools.lru_cache(maxsize=None)
def digitrun_seeds() -> list[bytes]:
    return [b"\x07898989 12 0\n\x07230 000023", b"\x03123\n\x031 2 3", b"\x0511.5020\n\x02-12",
            b"\x0712345678901234567890.", b"\x02" + b"1" * 40 + b".", b"\x06100\xfe50\xfe",
            b"\x07" + b"10" * 30 + b"\n\x07" + b"0" * 14, b"\x0c" + b"9" * 200]


# -- runs -----------------------------------------------------------------------------------------

def _ingest_file(data: bytes, tmp: Path, suffix: str) -> None:
    """Write ``data`` as a file and read it with ``pipeline.ingest`` (the public seam every
    input kind goes through: size limit, kind detection, the ingester)."""
    from extract.pipeline import ingest

    p = tmp / f"input{suffix}"
    p.write_bytes(data)
    ingest(p, FUZZ_OPTIONS)


def _image_suffix(data: bytes) -> str:
    if data.startswith(b"BM"):
        return ".bmp"
    if data[:4] == b"RIFF":
        return ".webp"
    return ".png"


def run_digitruns(data: bytes, tmp: Path | None = None) -> None:
    """Rows of glued digits (first byte: cells in the row; bytes mapped onto digits, sign,
    point, blank, 元, 万元) through ``run_candidates`` and ``solve_rows``, with the keys of the
    request table's rows so that its rules apply. Properties: every candidate has exactly n
    cells, each a number (no leading zero) whose offsets point at its text, together spelling
    the run without its white space; surviving indexes are in range."""
    from extract import digitruns, spec

    alphabet = "0123456789" * 3 + " .+-元"
    rows = []
    doc = ""
    row_keys = spec.request_rows(True)
    for k, line in enumerate(data.split(b"\n")[:6]):
        if not line:
            continue
        n = 1 + line[0] % 12
        text = "".join(alphabet[b % len(alphabet)] for b in line[1:])
        text = text.replace("元", "万元" if len(text) % 2 else "元")
        start = len(doc)
        doc += text + "\n"
        cols = spec.REQUEST_COLUMNS[:n] if n <= len(spec.REQUEST_COLUMNS) else \
            spec.REQUEST_COLUMNS + (None,) * (n - len(spec.REQUEST_COLUMNS))
        keys = [f"requests.{row_keys[k % len(row_keys)]}.{c}" if c else None for c in cols]
        rr = digitruns.RunRow(f"row{k}", digitruns.run_to_chunks(text, start), n, keys,
                              [bool(b & 1) for b in line[1:n + 1]] + [True] * n,
                              [bool(b & 2) for b in line[1:n + 1]] + [True] * n)
        rr.candidates = digitruns.run_candidates(rr)
        joined = "".join(p.text for p in rr.pieces)
        for cand in rr.candidates:
            if len(cand) != n:
                raise AssertionError(f"candidate with {len(cand)} cells, not {n}: {cand}")
            if "".join(t for t, _, _ in cand) != joined:
                raise AssertionError(f"candidate {cand} does not spell the run {joined!r}")
            for t, s, e in cand:
                if doc[s:e] != t:
                    raise AssertionError(f"cell {t!r} at {s}:{e} reads {doc[s:e]!r}")
                num = t.removesuffix("万元").removesuffix("元")
                if not (digitruns._CELL_RE.fullmatch(num) or digitruns.is_null_mark(num)):
                    raise AssertionError(f"cell {t!r} is not a number or a blank mark")
        rows.append(rr)
    if rows:
        alive, _ = digitruns.solve_rows(rows, {})
        for rr, a in zip(rows, alive):
            if any(not 0 <= i < len(rr.candidates) for i in a):
                raise AssertionError(f"surviving index out of range: {a}")


PDF_TOKENS = [b" obj\n", b"endobj", b"stream\n", b"endstream", b"/Count ", b"/Kids [", b"/Length ",
              b"/Filter /FlateDecode", b"/MediaBox [0 0 ", b"xref\n", b"trailer", b"startxref\n",
              b"<<", b">>", b"/Type /Page ", b"/Type /Pages ", b"/Resources <<", b"BT ", b"ET ",
              b" Tj ", b" TJ ", b" re ", b" m ", b" l ", b" S ", b" Do ", b"/XObject <<",
              b"/Encrypt ", b"/ToUnicode ", b"beginbfrange", b"/Subtype /Image", b"/Width ",
              b"/Height ", b"/BitsPerComponent ", b"/Rotate 90", b"/UserUnit ", b" q ", b" Q ",
              b" cm ", b"/Parent ", b" 0 R ", b"%%EOF\n", b"/Prev ", b"/Form", b"/Font <<"]
HTML_TOKENS = [b"<table>", b"</table>", b"<tr>", b"</tr>", b"<td>", b"</td>", b'<td rowspan="',
               b'<td colspan="', b"<th>", b"<br>", b"&nbsp;", b"&#xD800;", b"&#x110000;",
               b'<meta charset="gbk">', b'<meta charset="utf-16">', b"<!--", b"-->", b"<script>",
               b"<![CDATA[", b'<?xml version="1.0" encoding="gb2312"?>', b"<div>" * 50,
               b"\xef\xbb\xbf", b"\xff\xfe", b"<title>", b'<meta name="pubdate" content="',
               "二、主动公开政府信息情况".encode(), "三、收到和处理政府信息公开申请情况".encode(),
               "四、政府信息公开行政复议、行政诉讼情况".encode(), "自然人".encode(), "结果维持".encode()]
TEXT_TOKENS = ["二、主动公开政府信息情况\n", "三、收到和处理政府信息公开申请情况\n",
               "四、政府信息公开行政复议、行政诉讼情况\n", "五、存在的主要问题", "（一）", "（三）不予公开",
               "自然人", "商业企业", "合计", "总计", "１２３", "\u3000", "\t", "\r", "1 2 3 4 5 6 7",
               "1" * 30 + ".", "规范性文件898989", "万元", "-", "—", "2023年12月31日\n", "发布日期：",
               "\ufeff", "0.5"]
IMAGE_TOKENS = [b"IHDR", b"IDAT", b"IEND", b"tEXt", b"zTXt", b"iCCP", b"acTL", b"fcTL", b"PLTE",
                b"tRNS", b"\xff\xc0\x00\x11\x08", b"\xff\xd8\xff", b"\xff\xda", b"\xff\xdb",
                b"\xff\xc4", b"II*\x00", b"MM\x00*", b"\x00\x01\x00\x00", b"\xff\xff\xff\x7f",
                b"VP8 ", b"VP8L", b"VP8X", b"BM"]

TARGETS: dict[str, Target] = {
    "pdf": Target("pdf", pdf_seeds, PDF_TOKENS, lambda d, t: _ingest_file(d, t, ".pdf")),
    "html": Target("html", html_seeds, HTML_TOKENS, lambda d, t: _ingest_file(d, t, ".html")),
    "text": Target("text", text_seeds, [t.encode() for t in TEXT_TOKENS],
                   lambda d, t: _ingest_file(d, t, ".txt")),
    "image": Target("image", image_seeds, IMAGE_TOKENS,
                    lambda d, t: _ingest_file(d, t, _image_suffix(d))),
    "digitruns": Target("digitruns", digitrun_seeds, [b"\n", b" ", b"0", b".", b"-", b"1" * 20],
                        run_digitruns),
}


# -- verdicts -------------------------------------------------------------------------------------

def _innermost(tb):
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb


def masked_own_bug(e: GkError) -> str | None:
    """The traceback of the exception a ``GkError`` was translated from, when that exception
    was raised in our own code (not in a library, not a ``GkError``), else None."""
    cause = e.__cause__
    if cause is None or isinstance(cause, GkError):
        return None
    tb = _innermost(cause.__traceback__)
    if tb is None or not tb.tb_frame.f_code.co_filename.startswith(OWN_CODE):
        return None
    return "".join(traceback.format_exception(cause))


def run_one(target: Target, data: bytes, tmp: Path) -> tuple[str, str | None]:
    """(verdict, details): ``ok`` | a GkError class name (details: a masked own bug or None) |
    ``crash`` (details: the traceback)."""
    try:
        target.run(data, tmp)
        return "ok", None
    except GkError as e:
        return type(e).__name__, masked_own_bug(e)
    except Exception:   # the finding itself: any other exception escaping the public API
        return "crash", traceback.format_exc()
