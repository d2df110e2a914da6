"""The synthetic report generator: figures, truth, validator, and every document kind."""

from __future__ import annotations

import dataclasses
import io
import json
from collections import defaultdict

import pdfplumber
import pytest
from bs4 import BeautifulSoup

from extract import spec
from extract.cli import main
from extract.numbers import parse_number
from extract.synth import (Layout, draw_layout, make_report, printed_matches, rng_for,
                           truth_of, validate_truth)
from extract.synth_render import render_pdf
from extract.synth_tables import document_blocks
from extract.synth_web import render_html, render_text, table_cells_in_order
from extract.synth_write import report_files, truth_json

SEEDS = range(400)


@pytest.fixture(scope="module")
def reports():
    return [make_report(11, i) for i in SEEDS]


# -- figures and truth ----------------------------------------------------------------------

def test_truth_validates_on_many_seeds(reports):
    for rep in reports:
        t = json.loads(truth_json(rep))
        assert validate_truth(t) == [], rep.name
        assert printed_matches(rep) == [], rep.name
        assert set(t["fields"]) == set(spec.expected_keys(rep.template, rep.other_split,
                                                          rep.org_subtotal))


def test_errors_are_exactly_the_checks(reports):
    with_errors = [r for r in reports if r.errors]
    assert len(with_errors) > 20
    for r in reports:
        assert r.checks == spec.broken_rules(r.fields)
        assert bool(r.errors) == bool(r.checks), r.name
    # the clean ones satisfy every rule of their template
    for r in reports:
        if not r.errors:
            assert spec.broken_rules(r.fields) == []


def test_figures_look_like_real_reports(reports):
    values = [v for r in reports for k, v in r.fields.items() if k.startswith("requests.")]
    zeros = sum(1 for v in values if not v)
    assert zeros / len(values) > 0.6                       # mostly zeros
    assert max(v or 0 for v in values) >= 1000              # a city's thousands
    fees = [r.fields["proactive.fees.amount"] for r in reports if r.template == "2021"]
    assert any(isinstance(v, float) and v != int(v) for v in fees)
    changes = [v for r in reports for k, v in r.fields.items() if k.endswith(".change")]
    assert any(v is not None and v < 0 for v in changes)
    assert any(v is None for r in reports for v in r.fields.values())   # blanks and dashes
    dashes = {r.printed[k] for r in reports if r.blank_style == "dash"
              for k, v in r.fields.items() if v is None}
    assert dashes and all(parse_number(d) is None for d in dashes)


def test_variants_and_report_options_all_occur(reports):
    assert {r.variant for r in reports} == {"2019", "2021", "hybrid"}
    assert {r.blank_style for r in reports} == {"zero", "blank_some", "blank_all", "dash"}
    assert {r.org_subtotal for r in reports} == {True, False}
    assert {r.scale for r in reports} == {"small", "medium", "large"}
    assert any(r.units for r in reports)
    hybrid = next(r for r in reports if r.variant == "hybrid")
    assert "requests.other.total" in hybrid.fields and "proactive.fees.amount" in hybrid.fields


def test_every_layout_option_occurs(reports):
    seen = defaultdict(set)
    for r in reports:
        for f in dataclasses.fields(Layout):
            v = getattr(r.layout, f.name)
            seen[f.name].add(v)
    choices = {"body_font": 3, "heading_font": 3, "table_font": 3, "digit_font": 3,
               "ruling": 3, "results_label": 2, "group_style": 2, "numbering": 4, "paren": 2,
               "page_numbers": 4, "text_style": 2, "html_style": 2, "image_format": 3,
               "severity": 5, "title_lines": 2}
    for name, n in choices.items():
        assert len(seen[name]) == n, (name, seen[name])
    for name in ("shade_headers", "typos", "note_cell", "total_spaced", "repeat_header",
                 "thousands", "plus_sign", "decimals_fixed", "text_indent"):
        assert seen[name] == {True, False}, name
    assert len(seen["body_size"]) > 3 and len(seen["margin_x"]) > 10


def test_validator_finds_what_is_wrong():
    t = truth_of(make_report(3, 1, variant="2021", error_rate=0))
    assert validate_truth(t) == []
    bad = json.loads(json.dumps(t))
    del bad["fields"]["requests.new.total"]
    assert any("missing" in p for p in validate_truth(bad))
    bad = json.loads(json.dumps(t))
    bad["fields"]["requests.new.total"] = (bad["fields"]["requests.new.total"] or 0) + 1
    assert any("checks" in p for p in validate_truth(bad))
    bad["checks"] = spec.broken_rules(bad["fields"])
    assert validate_truth(bad) == []
    bad["fields"]["requests.new.business"] = 1.5
    assert any("decimal" in p for p in validate_truth(bad))
    bad = json.loads(json.dumps(t))
    bad["fields"]["proactive.licensing.prev_year_items"] = 3     # a 2019 key in a 2021 report
    assert any("unexpected" in p for p in validate_truth(bad))
    bad = json.loads(json.dumps(t))
    bad["synth"]["org_subtotal"] = True
    assert any("missing" in p for p in validate_truth(bad))
    # without the synth block the layout is inferred from the keys (dev-set truth passes)
    for name in ("hongze_2023", "fengze_2023", "pingtan_2019"):
        with open(f"eval/dev_set/{name}.truth.json", encoding="utf-8") as fh:
            assert validate_truth(json.load(fh)) == [], name


# -- determinism ----------------------------------------------------------------------------

def test_same_seed_same_truth_and_documents():
    a, b = make_report(42, 7), make_report(42, 7)
    assert truth_json(a) == truth_json(b)
    assert render_pdf(a) == render_pdf(b)
    assert render_html(a) == render_html(b)
    assert render_text(a) == render_text(b)
    assert truth_json(make_report(43, 7)) != truth_json(a)
    # the layout does not move the figures: forcing a severity leaves the truth's fields alone
    assert make_report(42, 7, severity=4).fields == a.fields


def test_scan_is_deterministic_and_image_only():
    rep = make_report(5, 2, variant="2019", severity=2)
    f1 = report_files(rep, ["scan", "image"])
    f2 = report_files(make_report(5, 2, variant="2019", severity=2), ["scan", "image"])
    assert f1 == f2
    scan = f1[f"{rep.name}.scan.pdf"]
    with pdfplumber.open(io.BytesIO(scan)) as pdf:
        n = len(pdf.pages)
        assert n >= 3
        assert all(not p.chars for p in pdf.pages)
        assert all(len(p.images) == 1 for p in pdf.pages)
    images = [k for k in f1 if ".p" in k and not k.endswith(".pdf")]
    assert len(images) == n


def test_severity_scale_degrades_monotonically():
    import numpy as np
    from extract.synth_scan import SEVERITY, degrade, rasterise
    rep = make_report(5, 3, variant="2021")
    pdf = render_pdf(rep)
    clean = rasterise(pdf, 100)[1]
    diffs = []
    for sev in range(4):
        d = dataclasses.replace(SEVERITY[sev], dpi=100)
        img = degrade(clean, d, rng_for(1, 1, "t"))
        assert img.shape == clean.shape and img.dtype == np.uint8
        diffs.append(float(np.abs(img.astype(int) - clean).mean()))
    assert diffs[0] == 0.0
    assert diffs == sorted(diffs)
    fax = degrade(clean, dataclasses.replace(SEVERITY[4], dpi=100), rng_for(1, 1, "t"))
    assert set(np.unique(fax)) <= {0, 255}


# -- the PDF's text layer -------------------------------------------------------------------

def _pdf_tables(pdf_bytes):
    rows = []
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
        for p in pdf.pages:
            for t in p.extract_tables():
                rows += [[(c or "").replace("\n", "") if c is not None else None for c in r]
                         for r in t]
    return rows, text


def _expected_rows(rep):
    """label -> printed values, for every row of the three tables."""
    out = {}
    for b in document_blocks(rep):
        if b.kind != "table":
            continue
        by_row = defaultdict(list)
        for c in b.table.cells:
            by_row[c.row].append(c)
        for r, cells in by_row.items():
            labels = [c for c in cells if c.role == "row_label"]
            vals = [c.text for c in sorted(cells, key=lambda c: c.col) if c.role == "value"]
            if labels and vals:
                out[labels[0].text] = vals
            elif b.table.section == "四" and vals:
                out["四"] = vals
    return out


@pytest.mark.parametrize("variant,index", [("2021", 0), ("2019", 1), ("hybrid", 2),
                                           ("2021", 5), ("2019", 8)])
def test_pdf_text_layer_holds_labels_and_figures(variant, index):
    # a fully ruled layout, so that pdfplumber's table finder reads the grid
    rep = make_report(77, index, variant=variant)
    rep.layout = dataclasses.replace(rep.layout, ruling="full")
    pdf = render_pdf(rep)
    rows, text = _pdf_tables(pdf)
    flat = text.replace("\n", "").replace(" ", "")
    assert rep.agency in flat
    for h in ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
              "四、政府信息公开行政复议、行政诉讼情况"):
        assert h in flat
    got = {}
    for r in rows:
        cells = [c for c in r if c is not None]
        for i, c in enumerate(cells):
            if c and not _numeric_or_blank(c):
                rest = cells[i + 1:]
                if rest and all(_numeric_or_blank(x) for x in rest):
                    got[c] = rest
    expected = _expected_rows(rep)
    for label, vals in expected.items():
        if label == "四":
            assert any(vals == [c for c in r if c is not None] for r in rows), vals
            continue
        assert label in got, label
        assert got[label] == vals, (label, got[label], vals)
    figures = json.loads(truth_json(rep))["synth"]["narrative"]
    if "requests.new.total" in figures:
        n = figures["requests.new.total"] or 0
        assert f"申请{n}件" in flat


def _numeric_or_blank(s):
    try:
        parse_number(s)
        return True
    except ValueError:
        return False


def test_pdf_layout_features_show_in_the_text_layer():
    found = defaultdict(bool)
    for i in range(12):
        rep = make_report(9, i)
        with pdfplumber.open(io.BytesIO(render_pdf(rep))) as pdf:
            pages = [p.extract_text() or "" for p in pdf.pages]
            lines = sum(len(p.lines) for p in pdf.pages)
        assert lines > 40 or rep.layout.ruling == "horizontal"
        if rep.layout.page_numbers == "dash":
            assert "- 1 -" in pages[0] and f"- {len(pages)} -" in pages[-1]
        if rep.layout.results_label == "vertical":
            # one character per line: 三 / 、 / 本 / 年 ... in the text layer
            found["vertical"] |= "\n本\n" in "\n".join(pages) or "本\n年" in "".join(pages)
        found["split"] |= any("申请人情况" in p for p in pages[1:]) and len(pages) > 3
    assert found["vertical"]


# -- HTML and text --------------------------------------------------------------------------

def test_html_tables_rebuild_the_grid():
    for i in range(6):
        rep = make_report(21, i)
        soup = BeautifulSoup(render_html(rep), "html.parser")
        tables = soup.find_all("table")
        assert len(tables) == 3
        blocks = [b.table for b in document_blocks(rep) if b.kind == "table"]
        for t, html_t in zip(blocks, tables):
            cells = html_t.find_all("td")
            assert len(cells) == len(t.cells)
            for c, td in zip(table_cells_in_order(t), cells):
                assert int(td.get("rowspan", 1)) == c.rowspan
                assert int(td.get("colspan", 1)) == c.colspan
                txt = td.get_text().replace("\xa0", "").strip()
                assert txt == c.text, (txt, c.text)


def test_text_styles():
    cells_seen = glued_seen = False
    for i in range(20):
        rep = make_report(31, i)
        txt = render_text(rep)
        blocks = [b.table for b in document_blocks(rep) if b.kind == "table"]
        if rep.layout.text_style == "glued":
            glued_seen = True
            body = txt.split("正文", 1)[1].replace(" ", "")
            assert "".join(c.text for c in table_cells_in_order(blocks[2])).replace(" ", "") in body
        else:
            cells_seen = True
            lines = [ln.strip().replace("\xa0", "") for ln in txt.split("\n\n")]
            vals = [c.text for c in table_cells_in_order(blocks[1]) if c.role == "value"]
            label = next(c.text for c in blocks[1].cells if c.key == "requests.new")
            at = lines.index(label)
            assert lines[at + 1:at + 1 + len(vals) // 1][:3] == vals[:3]
    assert cells_seen and glued_seen


# -- the command ----------------------------------------------------------------------------

def test_cli_writes_documents_and_truth(tmp_path):
    rc = main(["synth", "--n", "2", "--seed", "4", "--out", str(tmp_path),
               "--kinds", "pdf,html,text"])
    assert rc == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["synth_4_0000.html", "synth_4_0000.pdf", "synth_4_0000.truth.json",
                     "synth_4_0000.txt", "synth_4_0001.html", "synth_4_0001.pdf",
                     "synth_4_0001.truth.json", "synth_4_0001.txt"]
    t = json.loads((tmp_path / "synth_4_0001.truth.json").read_text("utf-8"))
    assert validate_truth(t) == []
    assert (tmp_path / "synth_4_0000.pdf").read_bytes()[:5] == b"%PDF-"


def test_cli_rejects_bad_arguments(tmp_path, capsys):
    assert main(["synth", "--n", "1", "--out", str(tmp_path), "--kinds", "pdf,docx"]) == 2
    assert "unknown kind" in capsys.readouterr().err
    assert main(["synth", "--n", "1", "--out", str(tmp_path), "--severity", "9"]) == 2


def test_draw_layout_honours_forced_severity():
    assert draw_layout(rng_for(1, 2, "layout"), 3).severity == 3
    with pytest.raises(ValueError):
        make_report(1, 1, severity=7)


def test_scan_dpi_overrides_the_severitys_resolution(tmp_path):
    from extract.synth_render import render_pdf
    from extract.synth_scan import SEVERITY, degraded_pages
    rep = make_report(3, 1, severity=4)
    pdf = render_pdf(rep)
    own, d = degraded_pages(rep, pdf)
    at150, d150 = degraded_pages(rep, pdf, dpi=150)
    assert d.dpi == SEVERITY[4].dpi == 120 and d150.dpi == 150
    assert d150.binarise and d150.speckle == d.speckle      # still fax-grade
    assert abs(at150[0].shape[0] / own[0].shape[0] - 150 / 120) < 0.01
    assert main(["synth", "--n", "1", "--out", str(tmp_path), "--severity", "4",
                 "--kinds", "scan", "--scan-dpi", "150"]) == 0
    assert main(["synth", "--n", "1", "--out", str(tmp_path), "--scan-dpi", "9"]) == 2
