"""Build the nasty-input corpus (tests/nasty/README.md) into a folder.

    python tests/nasty/make_corpus.py OUTDIR [--big] [--only NAME,NAME]

Every input is made here, cheaply and deterministically (nothing multi-MB is committed): hostile
PDFs are written object by object, bombs with repeated full-flush deflate blocks (a 1.6 GB PNG
bomb costs ~1 s), the reports with the project's own generator (``extract.synth``). ``--big``
adds the 200 MB text file. ``CORPUS`` lists every input with what it tests and what must become
of it (``expect``): ``record`` (a record, any status), ``failed-record`` (a record whose status is
failed: readable, no table), or the name of the ``GkError`` class that must refuse it; ``batch``
marks inputs that only the batch can take (archives, symlinks, odd names are listed by it).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 20240611


@dataclass(frozen=True)
class Item:
    name: str                      # file (or folder) name inside OUTDIR
    make: Callable[[Path], None]   # writes it at the given path
    expect: str                    # record | failed-record | <GkError class> | batch
    tests: str                     # one line: what it tests
    big: bool = False              # only with --big


# -- building blocks ------------------------------------------------------------------------------

def build_pdf(objects: list[bytes], root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A PDF from numbered object bodies (object i+1 = objects[i]) with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, root, trailer_extra, xref))
    return out.getvalue()


def stream(data: bytes, extra: bytes = b"", compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def repeated_deflate(chunk: bytes, times: int, *, raw: bool = False) -> tuple[bytes, int, int]:
    """``chunk * times`` deflated cheaply: the chunk is compressed once after a full flush (which
    resets the compressor's state) and the resulting block repeated. Returns (compressed bytes,
    crc32, adler32) of the whole uncompressed stream."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)          # raw deflate, no header
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.flush(zlib.Z_FINISH)                           # final empty block
    body = block * times + tail
    crc, adler = 0, 1
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
        if not raw:
            adler = zlib.adler32(chunk, adler)
    if raw:
        return body, crc, 0
    return b"\x78\xda" + body + struct.pack(">I", adler), crc, adler


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width: int, height: int, bit_depth: int, colour: int, rows_per_block: int = 64,
              extra_chunks: list[bytes] = ()) -> bytes:
    """A white PNG of any declared size, cheap to make however large (rows of zeros, filter 0,
    deflated once per block of rows and repeated)."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    row = b"\x00" + b"\xff" * ((width * channels * bit_depth + 7) // 8)
    times, rest = divmod(height, rows_per_block)
    assert rest == 0, "height must be a multiple of rows_per_block"
    idat, _, _ = repeated_deflate(row * rows_per_block, times)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    for ch in extra_chunks:
        out += ch
    # IDAT split into 1 MB chunks, as encoders do
    for i in range(0, len(idat), 1 << 20):
        out += png_chunk(b"IDAT", idat[i:i + (1 << 20)])
    return out + png_chunk(b"IEND", b"")


def _synth_report(index: int = 0):
    from extract.synth import make_report

    return make_report(SEED, index)


def report_pdf() -> bytes:
    from extract.synth_render import render_pdf

    return render_pdf(_synth_report())


def report_html() -> str:
    from extract.synth_web import render_html

    return render_html(_synth_report(1))


def report_text() -> str:
    from extract.synth_web import render_text

    return render_text(_synth_report(2))


def _encrypted_pdf(user: str, owner: str, report: bool) -> bytes:
    """A PDF encrypted with reportlab's standard handler. ``report``: the generated report
    (drawn by the project's renderer, its canvas made with encryption); else one Chinese page."""
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    enc = pdfencrypt.StandardEncryption(user, ownerPassword=owner, canPrint=1, canCopy=0)
    if not report:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        buf = io.BytesIO()
        c = canvas.Canvas(buf, encrypt=enc, invariant=1)
        c.setFont("STSong-Light", 14)
        c.drawString(72, 760, "某某区人民政府2023年政府信息公开工作年度报告")
        c.drawString(72, 730, "二、主动公开政府信息情况")
        c.showPage()
        c.save()
        return buf.getvalue()
    # the renderer builds its own canvas: hand it one that encrypts
    from extract import synth_render

    real = canvas.Canvas

    class EncryptingCanvas(real):
        def __init__(self, *a, **kw):
            kw["encrypt"] = enc
            super().__init__(*a, **kw)

    canvas.Canvas = EncryptingCanvas
    try:
        return synth_render.render_pdf(_synth_report())
    finally:
        canvas.Canvas = real


def _type0_font(tounicode_ref: bytes = b"") -> list[bytes]:
    """Objects 5-7: a Type0 font (Identity-H, not embedded); ToUnicode only when given."""
    return [
        b"<< /Type /Font /Subtype /Type0 /BaseFont /NoSuchFont /Encoding /Identity-H "
        b"/DescendantFonts [6 0 R] " + tounicode_ref + b">>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NoSuchFont /CIDSystemInfo << "
        b"/Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 7 0 R "
        b"/DW 1000 >>",
        b"<< /Type /FontDescriptor /FontName /NoSuchFont /Flags 4 /FontBBox [0 -200 1000 900] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
    ]


def _one_page_pdf(content: bytes, font_objects: list[bytes] = (), more: list[bytes] = (),
                  media: bytes = b"[0 0 595 842]") -> bytes:
    resources = b"/Resources << /Font << /F1 5 0 R >> >> " if font_objects else b""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox " + media + b" " + resources
            + b"/Contents 4 0 R >>",
            stream(content)]
    return build_pdf(objs + list(font_objects) + list(more))


def _cid_lines(n_lines: int = 30, per_line: int = 24) -> bytes:
    rnd = random.Random(SEED)
    lines = []
    for k in range(n_lines):
        cids = "".join(f"{rnd.randrange(1, 3000):04X}" for _ in range(per_line))
        lines.append(b"1 0 0 1 50 %d Tm <%s> Tj" % (800 - 25 * k, cids.encode()))
    return b"BT /F1 18 Tf " + b" ".join(lines) + b" ET"


# -- the makers -----------------------------------------------------------------------------------

def make_truncated_pdf(p: Path):
    data = report_pdf()
    p.write_bytes(data[: len(data) * 6 // 10])


def make_broken_xref_pdf(p: Path):
    """The report with its xref offsets shifted and startxref pointing into the middle."""
    data = bytearray(report_pdf())
    x = data.rfind(b"startxref")
    data[x:] = b"startxref\n12345\n%%EOF\n"
    i = data.find(b"xref\n")
    if i >= 0:
        data[i:i + 4] = b"xre?"
    p.write_bytes(bytes(data))


def make_garbage_pdf(p: Path):
    rnd = random.Random(SEED)
    p.write_bytes(b"%PDF-1.7\n" + bytes(rnd.randrange(256) for _ in range(200_000)))


def make_header_only_pdf(p: Path):
    p.write_bytes(b"%PDF-1.4\n")


def make_empty_pdf(p: Path):
    p.write_bytes(b"")


def make_encrypted_user_pdf(p: Path):
    p.write_bytes(_encrypted_pdf("user-secret", "owner-secret", report=False))


def make_encrypted_owner_pdf(p: Path):
    p.write_bytes(_encrypted_pdf("", "owner-secret", report=True))


def make_zero_pages_pdf(p: Path):
    p.write_bytes(build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                             b"<< /Type /Pages /Kids [] /Count 0 >>"]))


def make_cid_only_pdf(p: Path):
    p.write_bytes(_one_page_pdf(_cid_lines(), _type0_font()))


def make_lone_surrogate_pdf(p: Path):
    """Text whose ToUnicode maps every glyph to an unpaired UTF-16 surrogate (D800-DBFF) or a
    reversed pair: a text layer that yields lone surrogates in Python strings."""
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def "
            b"/CMapType 2 def 1 begincodespacerange <0000> <FFFF> endcodespacerange "
            b"2 beginbfrange <0001> <0FFF> <D800> <1000> <2FFF> <DC00D800> endbfrange "
            b"endcmap CMapName currentdict /CMap defineresource pop end end")
    p.write_bytes(_one_page_pdf(_cid_lines(), _type0_font(b"/ToUnicode 8 0 R "),
                                [stream(cmap)]))


def make_page_count_lies_pdf(p: Path):
    """The page tree claims 3 pages and holds 1: pdfium fails to load pages 2 and 3 (found by
    fuzzing: its error escaped extract_file)."""
    p.write_bytes(build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                             b"<< /Type /Pages /Kids [3 0 R] /Count 3 >>",
                             b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]))


def make_thousands_pages_pdf(p: Path, pages: int = 5000):
    """5,000 pages sharing one content stream: ~0.5 MB."""
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            stream(b"0.5 w 50 50 m 500 50 l S 50 50 m 50 700 l S")]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"] * pages
    p.write_bytes(build_pdf(objs))


def make_huge_page_pdf(p: Path):
    """One 14,400 pt square page (the PDF maximum; 30,000 px at 150 dpi), no text layer."""
    p.write_bytes(_one_page_pdf(b"0 0 0 RG 10 w 100 100 m 14000 14000 l S",
                                media=b"[0 0 14400 14400]"))


def make_content_bomb_pdf(p: Path):
    """A page whose content stream inflates from ~0.3 MB to 300 MB (white space and a line)."""
    body, _, _ = repeated_deflate(b" " * (1 << 20), 300)
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + \
        b"\nendstream"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            content]
    p.write_bytes(build_pdf(objs))


def make_english_pdf(p: Path):
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for k in range(40):
        c.drawString(72, 800 - 18 * k, f"Line {k}: this is a minutes document, not a report.")
    c.showPage()
    c.save()
    p.write_bytes(buf.getvalue())


def make_image_30000(p: Path):
    """30,000 x 30,000 px, 1-bit grey: 112 MB of pixels, ~110 KB of file."""
    p.write_bytes(png_bytes(30000, 30000, 1, 0, rows_per_block=200))


def make_png_bomb(p: Path):
    """40,000 x 40,000 px 8-bit grey: 1.6 GB once decoded, ~1.6 MB of file."""
    p.write_bytes(png_bytes(40000, 40000, 8, 0, rows_per_block=50))


def make_png_text_bomb(p: Path):
    """A small valid image whose zTXt chunk inflates to 256 MB."""
    body, _, _ = repeated_deflate(b"A" * (1 << 20), 256)
    ztxt = png_chunk(b"zTXt", b"Comment\x00\x00" + body)
    p.write_bytes(png_bytes(64, 64, 8, 0, rows_per_block=64, extra_chunks=[ztxt]))


def make_jpeg_huge_header(p: Path):
    """A JPEG whose SOF declares 65,000 x 65,000 px, followed by almost nothing."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (16, 16), 255).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 65000, 65000)
    p.write_bytes(bytes(data))


def make_truncated_png(p: Path):
    from PIL import Image

    rnd = random.Random(SEED)
    im = Image.frombytes("L", (400, 400), bytes(rnd.randrange(256) for _ in range(160_000)))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    data = buf.getvalue()
    p.write_bytes(data[: len(data) // 2])


def make_tiff_500(p: Path):
    from PIL import Image

    frames = [Image.new("L", (64, 64), 255 - (i % 50)) for i in range(500)]
    frames[0].save(p, "TIFF", save_all=True, append_images=frames[1:], compression="packbits")


def make_html_gbk_meta(p: Path):
    html = report_html()
    html = html.replace("<head>", '<head><meta http-equiv="Content-Type" '
                        'content="text/html; charset=gbk">', 1)
    assert "charset=gbk" in html
    p.write_bytes(html.encode("gbk", errors="xmlcharrefreplace"))


def make_html_gb18030_nometa(p: Path):
    """GB18030 without any declaration, with characters outside GBK (4-byte sequences)."""
    html = report_html()
    assert "charset" not in html.lower() or True
    import re
    html = re.sub(r"<meta[^>]*charset[^>]*>", "", html, flags=re.I)
    html = html.replace("<body>", "<body><p>生僻字：𠀀𠀁𪚥 䶮</p>", 1)
    p.write_bytes(html.encode("gb18030"))


def make_html_wrong_meta(p: Path):
    """Declares UTF-8, holds GBK bytes."""
    import re
    html = re.sub(r"<meta[^>]*charset[^>]*>", "", report_html(), flags=re.I)
    html = html.replace("<head>", '<head><meta charset="utf-8">', 1)
    p.write_bytes(html.encode("gbk", errors="xmlcharrefreplace"))


def make_html_unknown_charset(p: Path):
    html = report_html().replace("<head>", '<head><meta charset="x-no-such-charset">', 1)
    p.write_bytes(html.encode("utf-8"))


def make_html_deep_divs(p: Path, depth: int = 100_000):
    """100,000 nested <div>s (and <span>s) before the report's tables."""
    deep = "<div><span>" * depth + "深" + "</span></div>" * depth
    p.write_bytes(report_html().replace("<body>", "<body>" + deep, 1).encode("utf-8"))


def make_html_deep_tables(p: Path, depth: int = 2000):
    """2,000 tables nested in one another before the report's tables."""
    deep = "<table><tr><td>" * depth + "1" + "</td></tr></table>" * depth
    p.write_bytes(report_html().replace("<body>", "<body>" + deep, 1).encode("utf-8"))


def make_html_surrogate_refs(p: Path):
    """Character references to lone surrogates and to out-of-range code points."""
    html = report_html().replace(
        "<body>", "<body><p title='&#xD800;'>坏字符 &#xD800; &#xDFFF; &#x110000; &#0;</p>", 1)
    p.write_bytes(html.encode("utf-8"))


def make_text_gbk(p: Path):
    p.write_bytes(report_text().encode("gbk", errors="replace"))


def make_text_utf16_lone(p: Path):
    """UTF-16-LE with a BOM and an unpaired surrogate in the middle."""
    data = "\ufeff".encode("utf-16-le") + report_text().encode("utf-16-le")
    half = len(data) // 2 & ~1
    p.write_bytes(data[:half] + b"\x00\xd8" + data[half:])


def make_text_binary(p: Path):
    rnd = random.Random(SEED)
    p.write_bytes(bytes(rnd.randrange(256) for _ in range(100_000)))


def make_big_text(p: Path, size: int = 200 * 1024 * 1024):
    """200 MB: the report's text repeated (never committed; made at test time)."""
    block = report_text().encode("utf-8")
    with open(p, "wb") as f:
        written = 0
        while written < size:
            f.write(block)
            written += len(block)


def _zip_bomb(p: Path, members: list[tuple[str, int]]):
    """A zip whose stored (deflated) members each inflate to ``size`` bytes of zeros, written by
    hand (zipfile would deflate every byte)."""
    out = io.BytesIO()
    central = b""
    for name, size in members:
        chunk = b"\x00" * (1 << 20)
        body, crc, _ = repeated_deflate(chunk, size // len(chunk), raw=True)
        fname = name.encode("utf-8")
        off = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, 0, 0, crc, len(body),
                              size, len(fname), 0) + fname + body)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, 0, 0, crc,
                               len(body), size, len(fname), 0, 0, 0, 0, 0, off) + fname
    cd = out.tell()
    out.write(central)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                          len(central), cd, 0))
    p.write_bytes(out.getvalue())


def make_zip_bomb(p: Path):
    """Two members, each 1 GiB of zeros once inflated (~1 MB each in the archive)."""
    _zip_bomb(p, [("bomb/report.pdf", 1 << 30), ("bomb/report.txt", 1 << 30)])


def make_docx_bomb(p: Path):
    """A .docx whose word/document.xml inflates to 1 GiB (python-docx would inflate it in memory)."""
    _zip_bomb(p, [("word/document.xml", 1 << 30)])


def make_zip_traversal(p: Path):
    """Members named ../../escape.txt and /abs/path.html with real report content."""
    import zipfile

    with zipfile.ZipFile(p, "w") as z:
        z.writestr("../../escape.txt", report_text())
        z.writestr("/abs/evil.html", report_html())
        z.writestr("ok/..\\..\\win.txt", report_text())


def make_symlink_loops(p: Path):
    """A folder with a file, a self-looping link, a two-link cycle, and two links back to the
    folder itself (a recursive ``**`` glob that follows them grows as 2^depth)."""
    p.mkdir()
    (p / "report.txt").write_text(report_text(), encoding="utf-8")
    os.symlink("self.pdf", p / "self.pdf")
    os.symlink("b.txt", p / "a.txt")
    os.symlink("a.txt", p / "b.txt")
    os.symlink(".", p / "loop1")
    os.symlink("..", p / "loop2")
    os.symlink("/nonexistent/target.pdf", p / "dangling.pdf")


def make_odd_names(p: Path):
    """Reports under names with spaces, Chinese, shell metacharacters, a leading dash, a newline,
    and bytes that are not UTF-8."""
    p.mkdir()
    text = report_text().encode("utf-8")
    names = [b"report with  spaces.txt", "报告 2023（终稿）.txt".encode("utf-8"),
             b"$(touch pwned); `id` | & < > * ? [x] 'q' \"dq\".txt", b"-o --help.txt",
             b"line\nbreak.txt", b"bad\xff\xfe name.txt", b"..txt"]
    for i, n in enumerate(names):
        # distinct content per name, so that each yields its own record
        with open(os.path.join(os.fsencode(p), n), "wb") as f:
            f.write(text + f"\n\n附：{i}\n".encode("utf-8"))


CORPUS: list[Item] = [
    Item("empty.pdf", make_empty_pdf, "InputFileError", "0-byte file"),
    Item("header_only.pdf", make_header_only_pdf, "InputFileError", "a PDF header and nothing else"),
    Item("truncated.pdf", make_truncated_pdf, "any", "the generated report cut at 60 % of its bytes"),
    Item("broken_xref.pdf", make_broken_xref_pdf, "any", "report with a wrong startxref and a damaged xref keyword (pdfium rebuilds it)"),
    Item("garbage.pdf", make_garbage_pdf, "InputFileError", "%PDF header then 200 KB of random bytes"),
    Item("encrypted_user_password.pdf", make_encrypted_user_pdf, "EncryptedFileError", "RC4/AES encrypted with a user password"),
    Item("encrypted_owner_only.pdf", make_encrypted_owner_pdf, "record", "the report encrypted with an owner password only (opens without one)"),
    Item("zero_pages.pdf", make_zero_pages_pdf, "InputFileError", "a page tree with /Count 0 (once reported as encrypted when read after an encrypted file: pdfium kept its stale error)"),
    Item("cid_only.pdf", make_cid_only_pdf, "NotAReportError", "text layer of an unembedded Identity-H font without ToUnicode: (cid:NNN) only"),
    Item("lone_surrogates.pdf", make_lone_surrogate_pdf, "NotAReportError", "ToUnicode maps glyphs to unpaired UTF-16 surrogates"),
    Item("page_count_lies.pdf", make_page_count_lies_pdf, "InputFileError", "/Count 3 over one page: pages that pdfium cannot load"),
    Item("thousands_pages.pdf", make_thousands_pages_pdf, "LimitExceededError", "5,000 pages sharing one content stream (~0.5 MB)"),
    Item("huge_page.pdf", make_huge_page_pdf, "LimitExceededError", "one 14,400 pt page, no text: 30,000 px square at 150 dpi"),
    Item("content_bomb.pdf", make_content_bomb_pdf, "any", "a content stream inflating to 300 MB"),
    Item("english.pdf", make_english_pdf, "NotAReportError", "a readable PDF that is not a report"),
    Item("image_30000x30000.png", make_image_30000, "LimitExceededError", "30,000 x 30,000 px 1-bit PNG (~110 KB)"),
    Item("png_bomb.png", make_png_bomb, "LimitExceededError", "40,000 x 40,000 grey PNG: 1.6 GB decoded from ~1.6 MB"),
    Item("png_text_bomb.png", make_png_text_bomb, "InputFileError", "64 x 64 PNG with a zTXt chunk inflating to 256 MB"),
    Item("jpeg_huge_header.jpg", make_jpeg_huge_header, "LimitExceededError", "JPEG whose header declares 65,000 x 65,000 px"),
    Item("truncated.png", make_truncated_png, "InputFileError", "a PNG cut in half"),
    Item("tiff_500_pages.tif", make_tiff_500, "LimitExceededError", "a TIFF with 500 frames"),
    Item("gbk_meta.html", make_html_gbk_meta, "record", "the report page in GBK with <meta http-equiv ... charset=gbk>"),
    Item("gb18030_nometa.html", make_html_gb18030_nometa, "record", "GB18030 with 4-byte characters and no declared charset"),
    Item("wrong_meta.html", make_html_wrong_meta, "record", "declares UTF-8, holds GBK"),
    Item("unknown_charset.html", make_html_unknown_charset, "record", "declares a charset Python does not know"),
    Item("deep_divs.html", make_html_deep_divs, "record", "100,000 nested <div><span>s before the report (libxml2 drops all past depth 256)"),
    Item("deep_tables.html", make_html_deep_tables, "InputFileError", "2,000 nested tables before the report"),
    Item("surrogate_refs.html", make_html_surrogate_refs, "record", "&#xD800; &#xDFFF; &#x110000; &#0; in text and attributes"),
    Item("report_gbk.txt", make_text_gbk, "record", "the report's scraped text in GBK without a BOM"),
    Item("utf16_lone_surrogate.txt", make_text_utf16_lone, "record", "UTF-16-LE with a BOM and an unpaired surrogate"),
    Item("binary.txt", make_text_binary, "any", "100 KB of random bytes named .txt"),
    Item("big_200mb.txt", make_big_text, "LimitExceededError", "200 MB of text (over the text size bound)", big=True),
    Item("docx_bomb.docx", make_docx_bomb, "LimitExceededError", "a .docx whose document.xml inflates to 1 GiB"),
    Item("zip_bomb.zip", make_zip_bomb, "batch", "two members inflating to 1 GiB each"),
    Item("zip_traversal.zip", make_zip_traversal, "batch", "members named ../../escape.txt, /abs/evil.html, ..\\..\\win.txt"),
    Item("symlink_loops", make_symlink_loops, "batch", "a folder with link loops (self, a<->b, . and ..) and a dangling link"),
    Item("odd_names", make_odd_names, "batch", "reports named with spaces, Chinese, $( ) ` | & < > * ? [ ] quotes, -o, a newline, non-UTF-8 bytes, ..txt"),
]


def build(out: Path, big: bool = False, only: set[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for item in CORPUS:
        if (item.big and not big) or (only and item.name not in only):
            continue
        target = out / item.name
        if target.exists() or target.is_symlink():
            continue
        item.make(target)
        made.append(target)
    return made


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--big", action="store_true", help="also the 200 MB text file")
    ap.add_argument("--only", help="comma-separated names")
    a = ap.parse_args(argv)
    only = set(a.only.split(",")) if a.only else None
    for p in build(Path(a.outdir), a.big, only):
        size = sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink()) \
            if p.is_dir() else p.stat().st_size
        print(f"{p.name}\t{size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
