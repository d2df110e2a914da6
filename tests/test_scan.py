"""The scan path: page preparation, the ruling-line grid finder, cell reading, and bad input.

The dev-set scan (eval/dev_set/hongze_2023.scan.pdf: hongze_2023.pdf printed and scanned at
150 dpi, rotated ~1.3°, blurred, JPEG) is read against the born-digital PDF's own tables as
pdfplumber sees them. OCR runs on two pages only (pages 3-4, session fixture); the geometry tests
use the null engine.
"""

import struct
import zlib

import cv2
import numpy as np
import pdfplumber
import pytest

from devset import DEV
from extract import raster, scan, tablegrid
from extract.errors import InputFileError, LimitExceededError, NotAReportError
from extract.numbers import looks_numeric
from extract.options import Options
from extract.pipeline import ingest

SCAN = DEV / "hongze_2023.scan.pdf"
DIGITAL = DEV / "hongze_2023.pdf"
NULL = Options(ocr_engine="null")


def draw_table(rows=5, cols=4, cell_w=140, cell_h=50, margin=80) -> np.ndarray:
    """A white page with a ruled table: cell (0,0) spans two rows, (0,1) spans two columns."""
    h, w = 2 * margin + rows * cell_h, 2 * margin + cols * cell_w
    img = np.full((h, w), 255, np.uint8)
    xs = [margin + c * cell_w for c in range(cols + 1)]
    ys = [margin + r * cell_h for r in range(rows + 1)]
    for r, y in enumerate(ys):
        x_from = xs[1] if r == 1 else xs[0]          # no ruling under (0,0): rowspan 2
        cv2.line(img, (x_from, y), (xs[-1], y), 0, 2)
    for c, x in enumerate(xs):
        y_from = ys[1] if c == 2 else ys[0]          # no ruling inside (0,1)-(0,2): colspan 2
        cv2.line(img, (x, y_from), (x, ys[-1]), 0, 2)
    for r in range(2, rows):
        for c in range(1, cols):
            cv2.putText(img, str(r * 10 + c), (xs[c] + 45, ys[r] + 35), cv2.FONT_HERSHEY_SIMPLEX,
                        0.8, 0, 2)
    for r in range(rows):
        cv2.putText(img, f"row {r}", (xs[0] + 15, ys[r] + 35), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 0, 2)
    return img


def grid_shape(ink):
    tables, _ = tablegrid.find_tables(ink)
    assert len(tables) == 1
    t = tables[0]
    return t, {(c.row, c.col): (c.rowspan, c.colspan) for c in t.cells}


def test_grid_finder_recovers_cells_and_spans():
    page = raster.prepare_page(draw_table(), 1, 1.0)
    t, cells = grid_shape(page.ink)
    assert (t.n_rows, t.n_cols) == (5, 4)
    assert cells[(0, 0)] == (2, 1) and cells[(0, 1)] == (1, 2)
    assert len(cells) == 5 * 4 - 1 - 1


@pytest.mark.parametrize("angle", [-3.0, 2.2])
def test_skew_is_corrected_before_the_grid(angle):
    img = draw_table()
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    tilted = cv2.warpAffine(img, m, (w, h), borderValue=255)
    page = raster.prepare_page(tilted, 1, 1.0)
    assert abs(page.skew + angle) <= 0.15
    t, cells = grid_shape(page.ink)
    assert (t.n_rows, t.n_cols) == (5, 4) and cells[(0, 0)] == (2, 1)


@pytest.mark.parametrize("quadrant", [90, 270])
def test_sideways_pages_are_turned(quadrant):
    page = raster.prepare_page(raster.rotate_quadrant(draw_table(), quadrant), 1, 1.0)
    assert page.orientation in (90, 270)
    t, _ = grid_shape(page.ink)
    assert (t.n_rows, t.n_cols) == (5, 4)


def test_uneven_lighting_is_flattened():
    img = draw_table().astype(np.float32)
    h, w = img.shape
    shade = np.linspace(0.45, 1.0, w)[None, :] * np.linspace(0.7, 1.0, h)[:, None]
    dark = (img * shade).astype(np.uint8)           # paper from 255 down to ~80 grey
    page = raster.prepare_page(dark, 1, 1.0)
    paper = page.image[page.ink == 0]
    assert np.percentile(paper, 5) > 200
    t, _ = grid_shape(page.ink)
    assert (t.n_rows, t.n_cols) == (5, 4)


def test_boxes_map_back_to_the_original_page():
    img = draw_table()
    page = raster.prepare_page(raster.rotate_quadrant(img, 90), 1, 0.5)
    t, _ = grid_shape(page.ink)
    x0, y0, x1, y1 = page.to_original_box(t.box)
    # the file holds the page turned 90°: the table sits 80 px from the top-left and is
    # 5×50 px wide, 4×140 px high; scale 0.5 halves that (rulings add a pixel or two)
    want = (40, 40, 40 + 125, 40 + 280)
    assert all(abs(a - b) <= 5 for a, b in zip((x0, y0, x1, y1), want))


def digital_tables(page_index):
    with pdfplumber.open(DIGITAL) as pdf:
        return pdf.pages[page_index].extract_tables()


def test_dev_scan_geometry_matches_the_born_digital_tables(tmp_path):
    pdf = raster.open_pdf(SCAN)
    try:
        for index, want in ((2, [(6, 2), (17, 10)]), (3, [(9, 10), (4, 15)])):
            page = raster.prepare_page(raster.render_pdf_page(pdf, index, Options()), index + 1,
                                       72 / 150)
            assert 1.0 <= page.skew <= 1.6
            tables, steps = tablegrid.find_tables(page.ink)
            assert [(t.n_rows, t.n_cols) for t in tables] == want
            # the same shapes pdfplumber reads from the text-layer PDF (its last table on page 3
            # carries an empty trailing row)
            plumb = [t for t in digital_tables(index) if len(t[0]) > 1]
            assert [max(len(r) for r in t) for t in plumb] == [c for _, c in want]
        tablegrid.debug_view(page.image, tables, steps, tmp_path / "debug.png")
        assert (tmp_path / "debug.png").stat().st_size > 10_000
    finally:
        pdf.close()


@pytest.fixture(scope="session")
def scanned():
    """Pages 3-4 of the dev scan, OCR'd once for the session (~10 s)."""
    return scan.ingest_scanned_pdf(SCAN, Options(), pages=[3, 4])


def cell_texts(grid):
    dense = grid.dense()
    return [[c.text if c is not None and (c.row, c.col) == (r, k) else None
             for k, c in enumerate(row)] for r, row in enumerate(dense)]


def test_dev_scan_cells_read_like_the_text_layer(scanned):
    by_section = {g.section: g for g in scanned.grids}
    # page 3 opens with the end of section 二, whose heading is on page 2 (not read here)
    assert set(by_section) == {None, "三", "四"}
    requests = by_section["三"]
    assert requests.pages == (3, 4)                       # one grid across the page break
    assert (requests.n_rows, requests.n_cols) == (26, 10)
    got = [row for row in cell_texts(requests)]
    want = digital_tables(2)[1] + digital_tables(3)[0]
    numeric = 0
    for g_row, w_row in zip(got, want):
        for g, w in zip(g_row, w_row):
            if w is not None and looks_numeric(w) and w.strip():
                assert g == w
                numeric += 1
    assert numeric == 23 * 7
    review = cell_texts(by_section["四"])
    assert review[-1] == digital_tables(3)[1][-1]          # 10 1 0 0 0 0 ... 5 0 0 0 0
    assert got[5][0] == "三、本年度办理结果"                 # vertical text, tiled glyph by glyph
    assert got[3][0].startswith("一、本年新收政府信息公开申请数")


def test_dev_scan_provenance(scanned):
    cell = next(c for g in scanned.grids for c in g.cells if c.text == "7730.28")
    assert cell.page == 3 and cell.engine == "rapidocr" and cell.confidence > 0.9
    x0, top, x1, bottom = cell.bbox        # PDF points on the original (tilted) page
    assert 200 < x0 < x1 < 530 and 250 < top < bottom < 330   # the value sits at y 282-300
    assert scanned.kind == "pdf-scan" and scanned.pages == 2
    assert "四、政府信息公开行政复议、行政诉讼情况" in scanned.page_texts[1]


def test_empty_cells_are_not_recognised():
    engine_opts = NULL
    pdf = raster.open_pdf(SCAN)
    try:
        grey = raster.render_pdf_page(pdf, 3, engine_opts)
    finally:
        pdf.close()
    from extract.ocr import get_engine

    engine = get_engine(engine_opts)
    before = engine.calls
    res = scan.read_page(raster.prepare_page(grey, 4, 72 / 150), engine, engine_opts, "pt")
    assert res.seconds["cells"] - res.seconds["cells_read"] == 2   # the two blank label slots
    assert engine.calls - before >= res.seconds["cells_read"]


# -- bad input ----------------------------------------------------------------------------------

def png_header_only(path, width, height):
    """A PNG whose header claims width×height (no pixel data needed to be refused)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
                     chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_huge_image_is_refused_before_decoding(tmp_path):
    p = tmp_path / "huge.png"
    png_header_only(p, 20_000, 20_000)
    with pytest.raises(LimitExceededError, match="400,000,000 pixels.*--max-pixels"):
        ingest(p, NULL)


def test_corrupt_image_is_a_clear_error(tmp_path):
    good = tmp_path / "good.png"
    cv2.imwrite(str(good), draw_table())
    bad = tmp_path / "bad.png"
    bad.write_bytes(good.read_bytes()[:400])
    with pytest.raises(InputFileError, match="bad.png"):
        ingest(bad, NULL)


def test_image_that_is_not_a_report_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur(rng.integers(0, 255, (500, 700), dtype=np.uint8), (31, 31), 0)
    p = tmp_path / "photo.jpg"
    cv2.imwrite(str(p), img)
    with pytest.raises(NotAReportError):
        ingest(p, Options())


def test_image_dir_and_multipage_tiff_are_one_report(tmp_path):
    from PIL import Image

    folder = tmp_path / "pages"
    folder.mkdir()
    for name in ("page10.png", "page2.png"):
        cv2.imwrite(str(folder / name), draw_table())
    (folder / "notes.txt").write_text("ignored")
    doc = ingest(folder, NULL)
    assert doc.kind == "image" and doc.pages == 2 and doc.meta["files"] == ["page2.png", "page10.png"]
    assert all(c.bbox[2] > 400 for g in doc.grids for c in g.cells if c.col == 3)  # pixels
    tif = tmp_path / "report.tiff"
    frames = [Image.fromarray(draw_table()) for _ in range(3)]
    frames[0].save(tif, save_all=True, append_images=frames[1:])
    assert scan.ingest_image(tif, NULL).pages == 3


# -- mixed PDFs ---------------------------------------------------------------------------------

def test_mixed_pdf_ocrs_only_its_scanned_page(tmp_path):
    """Pages 1-3 of the born-digital report and page 4 of its scan, in one PDF: the text pages
    go through the text layer, page 4 (end of section 三 and section 四) through OCR."""
    import pypdfium2 as pdfium

    mixed = pdfium.PdfDocument.new()
    digital, scanned = pdfium.PdfDocument(str(DIGITAL)), pdfium.PdfDocument(str(SCAN))
    mixed.import_pages(digital, [0, 1, 2])
    mixed.import_pages(scanned, [3])
    path = tmp_path / "mixed.pdf"
    mixed.save(str(path))
    for d in (mixed, digital, scanned):
        d.close()
    doc = ingest(path, Options())
    assert doc.kind == "pdf-text" and doc.meta["ocr_parts"] == [{"page": 4, "box": None}]
    ocr_grids = [g for g in doc.grids if g.source_kind == "pdf-scan"]
    assert [g.pages for g in ocr_grids] == [(4,), (4,)]
    review = cell_texts(ocr_grids[-1])
    assert ocr_grids[-1].section == "四" and review[-1] == digital_tables(3)[1][-1]
    assert "四、政府信息公开行政复议、行政诉讼情况" in doc.page_texts[3]
    assert all(g.source_kind == "pdf-text" for g in doc.grids if 4 not in g.pages)


def test_table_pasted_as_an_image_into_a_text_pdf_is_read(tmp_path):
    """A text-layer page whose table is a picture (section 四's table cut from the dev scan)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdf = raster.open_pdf(SCAN)
    try:
        grey = raster.render_pdf_page(pdf, 3, Options(dpi=150))
    finally:
        pdf.close()
    png = tmp_path / "table.png"
    cv2.imwrite(str(png), grey[680:1000, 100:1150])
    path = tmp_path / "pasted.pdf"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=(595, 842))
    c.setFont("STSong-Light", 14)
    c.drawString(70, 780, "四、政府信息公开行政复议、行政诉讼情况")
    c.drawString(70, 500, "本机关政府信息公开行政复议、行政诉讼情况如上表所示。")
    c.drawImage(ImageReader(str(png)), 50, 600, width=1050 * 0.48, height=320 * 0.48)
    c.save()
    doc = ingest(path, Options())
    assert doc.kind == "pdf-text" and len(doc.meta["ocr_parts"]) == 1
    (grid,) = [g for g in doc.grids if g.source_kind == "pdf-scan"]
    assert cell_texts(grid)[-1] == digital_tables(3)[1][-1]     # 10 1 0 0 0 ... 5 0 0 0 0
    x0, top, x1, bottom = max((c.bbox for c in grid.cells), key=lambda b: b[3])
    assert 40 < x0 and x1 < 570 and 80 < top < bottom < 250    # on the page, in points


def test_marks_printed_for_blanks_are_told_from_digits_by_shape():
    def glyph(draw):
        img = np.full((34, 30), 255, np.uint8)
        draw(img)
        return img
    slash = glyph(lambda im: cv2.line(im, (8, 27), (21, 6), 0, 2))
    dash = glyph(lambda im: cv2.line(im, (5, 17), (25, 17), 0, 2))
    one = glyph(lambda im: cv2.putText(im, "1", (8, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.75, 0, 2))
    seven = glyph(lambda im: cv2.putText(im, "7", (6, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.75, 0, 2))
    assert [scan.stroke_mark(g) for g in (slash, dash, one, seven)] == ["/", "—", None, None]


@pytest.mark.parametrize("turn", [0, 180])
def test_a_fax_grade_table_page_of_zeros_is_turned_the_right_way_up(turn):
    """Page 3 of this generated report is a table whose value cells are almost all 0, printed
    fax-grade (severity 4: binarised, speckled, broken rulings). Sampling whole ink bands gave the
    angle classifier stubs of rulings and zeros, which read the same either way up: the page was
    turned over and its table lost. Runs of glyphs decide it, upright or upside down."""
    from extract.ocr import get_engine
    from extract.synth import make_report
    from extract.synth_render import render_pdf
    from extract.synth_scan import degraded_pages

    rep = make_report(3, 1, severity=4)
    pages, d = degraded_pages(rep, render_pdf(rep))
    grey = raster.rotate_quadrant(pages[2], turn)
    engine = get_engine(Options())
    page = raster.prepare_page(grey, 3, 72 / d.dpi, upside_down=engine.upside_down)
    assert page.orientation == (360 - turn) % 360
    crops = raster.sample_line_crops(page.image, page.ink)
    assert len(crops) == 8 and engine.upside_down(crops) < 0.2


def test_a_short_table_measures_its_text_at_the_pages_scale():
    """A one-row table (section 四's last row, the carry-over row) is shorter than 20 glyphs:
    measured against its own height, its glyphs were taken for rulings and its text height came
    out at glyph parts' size, so its cells were cut up as vertical text."""
    img = np.full((1200, 900), 255, np.uint8)
    for k in range(12):   # prose above, setting the page's text height
        cv2.putText(img, "annual report line", (80, 80 + 40 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    xs, ys = [80, 380, 500, 620, 740], [700, 760]
    for y in ys:
        cv2.line(img, (xs[0], y), (xs[-1], y), 0, 2)
    for x in xs:
        cv2.line(img, (x, ys[0]), (x, ys[-1]), 0, 2)
    cv2.putText(img, "carried over", (95, 740), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    for k in range(12):   # the small separate strokes of a printed Chinese label (点, 丶)
        cv2.rectangle(img, (100 + 22 * k, 748), (104 + 22 * k, 753), 0, -1)
    for x in xs[1:-1]:
        cv2.putText(img, "1", (x + 50, 742), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    tables, steps = tablegrid.find_tables(raster.ink_mask(img))
    assert len(tables) == 1
    t = tables[0]
    assert abs(t.text_height - steps["text_height"]) <= 0.25 * steps["text_height"]
    for gc in t.cells[1:]:
        lines = tablegrid.cell_lines(steps["text_ink"], gc.box, t.text_height)
        assert len(lines) == 1     # the "1", whole


def test_specks_beside_a_page_number_are_not_a_line_of_text_below_a_table():
    """A fax-grade page: the table ends, then only the page number and specks of dirt. The
    specks stretched the page number's band across the page, the table seemed to be followed by
    prose, and its continuation on the next page was taken for a new table without headers."""
    ink = np.zeros((400, 1200), np.uint8)
    cv2.putText(ink, "- 2 -", (560, 320), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    rng = np.random.default_rng(4)
    for x, y in zip(rng.integers(0, 1200, 60), rng.integers(300, 330, 60)):
        ink[y:y + 2, x:x + 2] = 255
    assert not scan._content_between(ink, 200, 400, [], th=20.0)
    cv2.putText(ink, "the report goes on with a line of prose across the page", (80, 250),
                cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    assert scan._content_between(ink, 200, 400, [], th=20.0)


def test_specks_in_a_cell_are_dropped_and_a_decimal_point_is_kept():
    """Dirt around a figure stretched its text line across the cell; the recogniser, reading
    the dirt, gave 2774 for 278.9874. The specks go; the decimal point, a dot as small as a
    speck but between digits, stays."""
    ink = np.zeros((60, 400), np.uint8)
    cv2.putText(ink, "278.9874", (120, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    clean = ink.copy()
    for x, y in ((20, 12), (35, 50), (330, 15), (370, 45), (60, 30)):
        ink[y:y + 2, x:x + 2] = 255
    th = 18.0
    assert np.array_equal(tablegrid.drop_specks(ink, th), clean)
    lines = tablegrid.cell_lines(ink, (0, 0, 400, 60), th)
    assert len(lines) == 1
    x0, _, x1, _ = lines[0]
    assert 110 <= x0 and x1 <= 260


def test_a_number_too_short_for_its_ink_is_doubted():
    """A fax-grade "42" (its 4 a blot) was read "2" at 0.99, in section 二 where no rule checks
    it. Its ink (18 × 13 px) is two digits wide; readings of the right length pass, decimals
    and a narrow "1" included (boxes measured on generated and dev-set scans)."""
    box42 = (970, 1314, 988, 1327)
    assert scan.too_short_for_ink("2", box42)
    assert not scan.too_short_for_ink("42", box42)
    assert not scan.too_short_for_ink("295.4711", (0, 0, 88, 15))      # 5.87 heights wide
    assert not scan.too_short_for_ink("1", (0, 0, 3, 13))
    assert not scan.too_short_for_ink("0", (0, 0, 11, 13))
    assert not scan.too_short_for_ink("—", (0, 0, 40, 4))               # marks are not numbers
    assert scan.too_short_for_ink("5", (1001, 1159, 1017, 1173))        # a blotted 25
    # the page's own digit width: a font with wide digits lets a wide single digit pass
    wide = [("0", 0.99, (0, 0, 12, 13))] * 6
    assert scan.digit_width(wide) > 0.9
    assert not scan.too_short_for_ink("5", (1001, 1159, 1017, 1173), scan.digit_width(wide))
    assert scan.digit_width(wide[:3]) == scan.DIGIT_WIDTH


def test_round_letters_read_in_a_cell_of_digits_are_zeros():
    """A row of section 四's zeros on a clean generated scan came back "O", and the row's 13
    values went missing (a Latin letter is text, not a number)."""
    from types import SimpleNamespace
    from extract.ocr import Reading
    page = SimpleNamespace(number=4, to_original_box=lambda box: box)
    gc = tablegrid.GridCell(3, 1, 1, 1, (0, 0, 40, 20))
    cell = scan._cell(gc, [Reading("O", 0.9656, (("0", 0.0204),))], page, "pt")
    assert cell.text == "0" and cell.alternatives[0] == ("O", 0.9656)
    assert scan._cell(gc, [Reading("1O", 0.93, ())], page, "pt").text == "10"
    assert scan._cell(gc, [Reading("本年O", 0.93, ())], page, "pt").text == "本年O"


@pytest.mark.parametrize("turn", [0, 90])
def test_a_fax_grade_table_page_keeps_its_line_direction(turn):
    """Page 2 of this generated report, fax-grade at 150 dpi: stubs of its broken rulings,
    joined by the closing that compares the two line directions, made the page look sideways,
    and its section 三 was read turned by 90°."""
    from extract.synth import make_report
    from extract.synth_render import render_pdf
    from extract.synth_scan import degraded_pages

    rep = make_report(11, 3, severity=4)
    pages, _ = degraded_pages(rep, render_pdf(rep), dpi=150)
    ink = raster.ink_mask(raster.flatten_lighting(raster.rotate_quadrant(pages[1], turn)))
    assert raster.orientation_candidates(ink) == ((0, 180) if turn == 0 else (90, 270))


@pytest.mark.parametrize("turn", [0, 90])
def test_a_fax_grade_page_whose_short_ruling_removal_misleads_keeps_its_direction(turn):
    """Page 2 of this one, fax-grade at its own 120 dpi: taking out rulings of two glyphs'
    length took glyph strokes too, and that vote alone turned the page by 90°. Three votes."""
    from extract.synth import make_report
    from extract.synth_render import render_pdf
    from extract.synth_scan import degraded_pages

    rep = make_report(11, 6, severity=4)
    pages, _ = degraded_pages(rep, render_pdf(rep))
    ink = raster.ink_mask(raster.flatten_lighting(raster.rotate_quadrant(pages[1], turn)))
    votes = raster.line_direction_votes(ink)
    assert len(set(votes)) == 2                      # the votes differ on this page
    assert raster.orientation_candidates(ink) == ((0, 180) if turn == 0 else (90, 270))


def test_a_generated_scan_printing_slashes_for_blanks_is_read_exactly(tmp_path):
    """A 2019 report printing every blank as "/", scanned like the dev scan (severity 2): every
    field right. A slash the packed reading leaves empty is read again on its own, and whatever
    that reads as ("了", "7"), its shape makes it a blank, not text in a value column (four
    fields went missing so)."""
    import json
    from extract.cli import main
    from extract.pipeline import extract_file

    assert main(["synth", "--n", "1", "--start", "4", "--seed", "3", "--kinds", "scan",
                 "--severity", "2", "--out", str(tmp_path)]) == 0
    truth = json.loads((tmp_path / "synth_3_0004.truth.json").read_text())
    rec = extract_file(tmp_path / "synth_3_0004.scan.pdf", Options(tables_only=True))
    assert sum(v is None for v in truth["fields"].values()) > 100     # slashes, mostly
    wrong = {k: (v, rec.fields.get(k, "missing")) for k, v in truth["fields"].items()
             if rec.fields.get(k, "missing") != v}
    assert wrong == {}
