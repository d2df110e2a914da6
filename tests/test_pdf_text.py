"""The born-digital path on the real dev-set PDF, and bad PDFs."""

import json

import pytest

from extract.cli import main
from extract.errors import ExitCode
from extract.pipeline import extract_file

from devset import DEV, load_truth


@pytest.fixture(scope="module")
def hongze():
    return extract_file(DEV / "hongze_2023.pdf").to_dict()


def test_hongze_every_truth_field_exact(hongze):
    truth = load_truth("hongze_2023")
    assert hongze["fields"] == truth["fields"]          # 186 fields, no extra keys
    assert len(hongze["fields"]) == 186


def test_hongze_features_as_printed(hongze):
    f = hongze["fields"]
    # the typo row 其他法律行政止公开, the hybrid single 其他处理 row, the decimal fee in 万元
    assert f["requests.denied.law_prohibited.total"] == 0
    assert f["requests.other.total"] == 0 and "requests.other.other.total" not in f
    assert f["proactive.fees.amount"] == 7730.28
    # rows continued on page 4 after the page break
    assert f["requests.unavailable.unclear.total"] == 0
    assert f["requests.total.natural_person"] == 21
    # section 四 totals that the report itself gets wrong are recorded as printed
    assert f["review_litigation.reconsideration.upheld"] == 10
    assert f["review_litigation.reconsideration.total"] == 0
    assert f["review_litigation.litigation_after_review.total"] == 0


def test_hongze_issues_are_the_printed_breaks(hongze):
    truth = load_truth("hongze_2023")
    rules = sorted(i["rule"] for i in hongze["issues"] if i["kind"] == "arithmetic")
    assert rules == sorted(truth["checks"])
    assert hongze["status"] == "partial"
    assert all(i["fields"] for i in hongze["issues"])


def test_hongze_report_and_provenance(hongze):
    rep = hongze["report"]
    truth = load_truth("hongze_2023")["report"]
    assert {k: rep[k] for k in ("agency", "year", "template", "published")} == truth
    assert "年度报告" in rep["title"]
    assert hongze["source"]["kind"] == "pdf-text" and hongze["source"]["pages"] == 5
    assert len(hongze["source"]["sha256"]) == 64
    prov = hongze["provenance"]
    assert set(prov) == set(hongze["fields"])
    p = prov["proactive.penalty.decisions"]
    assert p["page"] == 3 and p["text"] == "4119" and p["engine"] == "text-layer"
    x0, top, x1, bottom = p["bbox"]
    assert 0 <= x0 < x1 <= 595 and 0 <= top < bottom <= 842
    assert prov["requests.unavailable.unclear.total"]["page"] == 4
    assert all(0 < v["confidence"] <= 1 for v in prov.values())


def test_cli_writes_record_and_summary(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["extract", str(DEV / "hongze_2023.pdf"), "-o", str(out)]) == ExitCode.ok
    rec = json.loads(out.read_text("utf-8"))
    assert rec["fields"]["proactive.licensing.decisions"] == 550
    err = capsys.readouterr().err
    assert "186 fields" in err and "淮安市洪泽区人民政府" in err


def test_cli_csv_one_row_per_field(tmp_path, capsys):
    assert main(["extract", str(DEV / "hongze_2023.pdf"), "--format", "csv"]) == ExitCode.ok
    import csv
    import io
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 186
    row = next(r for r in rows if r["key"] == "proactive.fees.amount")
    assert row["value"] == "7730.28" and row["unit"] == "万元" and row["page"] == "3"


def _bad_files(tmp_path):
    from reportlab.pdfgen import canvas

    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes((DEV / "hongze_2023.pdf").read_bytes()[:3000])
    enc = tmp_path / "encrypted.pdf"
    c = canvas.Canvas(str(enc), encrypt="secret")
    c.drawString(100, 700, "hello")
    c.save()
    other = tmp_path / "invoice.pdf"
    c = canvas.Canvas(str(other))
    for i in range(40):
        c.drawString(50, 800 - 18 * i, f"Invoice line {i}: 3 widgets at 12.50 USD each, paid.")
    c.save()
    return {empty: ExitCode.input_file, corrupt: ExitCode.input_file,
            enc: ExitCode.encrypted, other: ExitCode.not_a_report}


def test_bad_pdfs_get_one_line_errors_and_distinct_codes(tmp_path, capsys):
    for path, code in _bad_files(tmp_path).items():
        assert main(["extract", str(path)]) == code, path
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and str(path) in err and "Traceback" not in err


def test_one_bad_file_does_not_stop_the_others(tmp_path, capsys):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    out = tmp_path / "out"
    code = main(["extract", str(bad), str(DEV / "hongze_2023.pdf"), "-o", str(out)])
    assert code == ExitCode.some_failed
    assert json.loads((out / "hongze_2023.json").read_text("utf-8"))["fields"]


def test_missing_file(capsys):
    assert main(["extract", "/nonexistent/report.pdf"]) == ExitCode.input_file
    assert "no such file" in capsys.readouterr().err
