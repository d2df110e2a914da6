"""gkreport export: the tables open in pandas and openpyxl with the expected shapes; the view
report_latest keeps the best report per agency and year.

The store is filled with real records of the dev set (born-digital PDF and text), written by the
batch's own sink path (``store.Store.write``), plus one derived record: the PDF's record re-labelled
as a scan of the same report, to give report_latest two candidates.
"""

from __future__ import annotations

import copy
import csv
import json
import math

import openpyxl
import pandas as pd
import pytest

from extract import PIPELINE_VERSION, spec
from extract.cli import main
from extract.export import REPORT_COLUMNS, export
from extract.output import LONG_COLUMNS
from extract.pipeline import extract_file
from extract.store import Store, report_row

from test_batch import FENGZE, HONGZE


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    records = [extract_file(HONGZE).to_dict(), extract_file(FENGZE).to_dict()]
    scan = copy.deepcopy(records[0])
    scan["source"].update(sha256="0" * 64, kind="pdf-scan", path="/archive/hongze_scan.pdf")
    records.append(scan)
    (out / "records").mkdir()
    rows = []
    for rec in records:
        rec["source"]["pipeline_version"] = PIPELINE_VERSION
        rp = f"records/{rec['source']['sha256']}.json"
        (out / rp).write_text(json.dumps(rec, ensure_ascii=False))
        rows.append((rec, report_row(rec, record_path=rp, pipeline_version=PIPELINE_VERSION)))
    with Store(out) as store:
        store.write(reports=rows)
    return out, records


def test_long_csv_and_parquet_read_as_they_are(outdir):
    out, records = outdir
    n = sum(len(r["fields"]) for r in records)
    csv_path, dict_path = export(out, "csv")
    df = pd.read_csv(csv_path)
    assert list(df.columns) == LONG_COLUMNS and len(df) == n
    hz = df[(df["path"] == str(HONGZE)) & (df["key"] == "requests.new.natural_person")]
    assert hz["value"].tolist() == [records[0]["fields"]["requests.new.natural_person"]]
    assert df[df["key"] == "proactive.fees.amount"]["unit"].eq("万元").all()
    with open(csv_path, encoding="utf-8") as f:    # counts print as whole numbers
        texts = {(r["sha256"], r["key"]): r["value"] for r in csv.DictReader(f)}
    sha = records[0]["source"]["sha256"]
    assert texts[(sha, "proactive.rules.issued")] == "0"
    assert texts[(sha, "proactive.fees.amount")] == "7730.28"
    pq, pq_dict = export(out, "parquet")
    dp = pd.read_parquet(pq)
    assert list(dp.columns) == LONG_COLUMNS and len(dp) == n
    d = pd.read_parquet(pq_dict)
    assert set(LONG_COLUMNS) <= set(d["key"])


def test_wide_csv_one_row_per_report_one_column_per_key(outdir):
    out, records = outdir
    path, dict_path = export(out, "csv", wide=True)
    df = pd.read_csv(path)
    keys = set().union(*(r["fields"] for r in records))
    assert df.shape == (3, len(REPORT_COLUMNS) + len(keys))
    assert list(df.columns[:len(REPORT_COLUMNS)]) == list(REPORT_COLUMNS)
    row = df[df["sha256"] == records[1]["source"]["sha256"]].iloc[0]
    for key, value in records[1]["fields"].items():
        if value is None:
            assert math.isnan(row[key])
        else:
            assert row[key] == value, key
    # the template's order: section 二 before 三 before 四
    field_cols = list(df.columns[len(REPORT_COLUMNS):])
    tables = [c.split(".")[0] for c in field_cols]
    assert tables == sorted(tables, key=spec.TABLES.index)
    dictionary = pd.read_csv(dict_path).set_index("key")
    for key in keys:
        assert dictionary.loc[key, "label"] == spec.field_label(key)
    assert dictionary.loc["proactive.fees.amount", "unit"] == "万元"


def test_xlsx_wide_by_default_with_printed_labels(outdir):
    out, records = outdir
    [path] = export(out, "xlsx")
    assert path.name == "gkreport_wide.xlsx"
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["data", "dictionary"]
    df = pd.read_excel(path, sheet_name="data", header=[0, 1])
    keys = set().union(*(r["fields"] for r in records))
    assert df.shape == (3, len(REPORT_COLUMNS) + len(keys))
    labels = dict(df.columns.tolist())
    assert labels["agency"] == "机关"
    assert labels["requests.new.natural_person"] == spec.field_label("requests.new.natural_person")
    keys_only = pd.read_excel(path, sheet_name="data", header=0, skiprows=[1])
    assert keys_only["year"].tolist() == [2023, 2023, 2023]


def test_long_xlsx_splits_sheets_before_the_row_limit(outdir):
    out, records = outdir
    n = sum(len(r["fields"]) for r in records)
    [path] = export(out, "xlsx", wide=False, output=out / "long.xlsx", max_sheet_rows=100)
    wb = openpyxl.load_workbook(path, read_only=True)
    data = [s for s in wb.sheetnames if s.startswith("long")]
    assert len(data) == math.ceil(n / 99)
    assert data[:2] == ["long", "long_2"]
    total = 0
    for name in data:
        ws = wb[name]
        rows = list(ws.iter_rows(values_only=True))
        assert len(rows) <= 100 and list(rows[0]) == LONG_COLUMNS
        total += len(rows) - 1
    assert total == n


def test_report_latest_prefers_the_text_layer_and_says_why(outdir):
    out, records = outdir
    with Store(out, read_only=True) as store:
        rows = store.query("SELECT sha256, input_kind, candidates, others, chosen_because "
                           "FROM report_latest ORDER BY sha256")
    by_kind = {r[1]: r for r in rows}
    assert set(by_kind) == {"pdf-text", "text"}
    pdf = by_kind["pdf-text"]
    assert pdf[2] == 2 and pdf[3] == ["0" * 64] and "input kind (pdf-text)" in pdf[4]
    assert by_kind["text"][4] == "only report"
    latest = pd.read_csv(export(out, "csv", wide=True, latest=True,
                                output=out / "latest.csv")[0])
    assert len(latest) == 2 and "pdf-scan" not in set(latest["input_kind"])


def test_cli_export(outdir, capsys):
    out, _ = outdir
    assert main(["export", str(out), "--format", "parquet", "--wide", "-o",
                 str(out / "w.parquet")]) == 0
    assert pd.read_parquet(out / "w.parquet").shape[0] == 3
    assert main(["export", str(out / "nowhere"), "--format", "csv"]) == 3
    assert "no gkreport.duckdb" in capsys.readouterr().err
