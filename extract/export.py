"""Tables for analysts from a batch's store: ``gkreport export OUTDIR --format csv|parquet|xlsx``.

Public API::

    export(outdir, fmt, *, wide=None, output=None, latest=False,
           max_sheet_rows=EXCEL_MAX_ROWS) -> list[Path]      # the files written

- **long** (default for csv and parquet): one row per field, the columns of
  ``extract.output.LONG_COLUMNS`` (the same rows ``gkreport extract --format csv`` prints);
- **wide** (default for xlsx): one row per report, report columns (``REPORT_COLUMNS``) then one
  column per field key, in the template's order. Counts are whole numbers, amounts decimals;
  a field the report does not print is empty.

CSV and Parquet have one header row of keys, so ``pandas.read_csv``/``read_parquet`` read them as
they are; a dictionary file beside them (``<name>_dictionary.csv|parquet``) maps every column to
its printed Chinese label and unit. The xlsx holds the dictionary as a sheet, and a wide sheet
has a second header row with the printed labels (``pandas.read_excel(f, header=[0, 1])``, or
``header=0, skiprows=[1]`` for keys only). A long xlsx splits its rows across sheets ``long``,
``long_2``, ... before Excel's limit of 1,048,576 rows a sheet.

``latest=True`` exports only the reports of the view ``report_latest`` (one per agency and year).
Values corrected in ``gkreport review`` replace the extracted ones (``engine`` ``human``), unless
``corrected=False`` (``--raw``).
Default output: ``OUTDIR/export/gkreport_<long|wide>.<format>``.
"""

from __future__ import annotations

import math
from pathlib import Path

from . import spec
from .errors import OptionsError
from .output import LONG_COLUMNS

FORMATS = ("csv", "parquet", "xlsx")
EXCEL_MAX_ROWS = 1_048_576

# Report columns of the wide table, with their Chinese labels.
REPORT_COLUMNS = {
    "sha256": "文件内容哈希(sha256)", "path": "文件", "agency": "机关", "year": "年度",
    "template": "模板", "status": "状态", "input_kind": "输入类型", "pages": "页数",
    "n_fields": "字段数", "n_issues": "问题数", "n_arithmetic": "勾稽关系错误数",
    "arithmetic_ok": "勾稽关系全部成立", "record_path": "记录文件",
    "pipeline_version": "程序版本",
}
# Chinese labels of the long table's columns.
LONG_LABELS = {
    "sha256": "文件内容哈希(sha256)", "path": "文件", "agency": "机关", "year": "年度",
    "template": "模板", "key": "字段键", "table": "表", "row": "行", "column": "列",
    "label": "印刷标签", "value": "数值", "unit": "单位", "confidence": "置信度", "page": "页码",
    "bbox": "位置(bbox)", "engine": "读取方式", "flagged": "需核对",
}


def key_sort(keys) -> list[str]:
    """Field keys in the template's order: table, then row as printed, then column."""
    rows = {c.key: i for i, c in enumerate(spec.categories())}
    cols = {c: i for i, c in enumerate(spec.COLUMN_LABELS)}
    tables = {t: i for i, t in enumerate(spec.TABLES)}

    def order(k):
        try:
            t, r, c = spec.split_key(k)
        except ValueError:
            return (99, 0, 0, k)
        return (tables.get(t, 99), rows.get(f"{t}.{r}", 10_000), cols.get(c, 99), k)

    return sorted(keys, key=order)


def field_unit(key: str) -> str:
    return spec.TEMPLATE_UNITS.get(key, "件" if key not in spec.DECIMAL_FIELDS else "")


def dictionary_rows(keys) -> list[dict]:
    """One row per field key: its printed label (row · column), unit, and parts."""
    out = []
    for key in key_sort(keys):
        try:
            table, row, col = spec.split_key(key)
            label = spec.field_label(key)
            row_label = spec.row_label(f"{table}.{row}")
        except (KeyError, ValueError):
            table = row = col = label = row_label = ""
        out.append({"key": key, "label": label, "unit": field_unit(key),
                    "type": "decimal" if key in spec.DECIMAL_FIELDS else "integer",
                    "table": table, "row": row, "column": col, "row_label": row_label,
                    "column_label": spec.COLUMN_LABELS.get(col, ("",))[0],
                    "section": spec.SECTION_OF_TABLE.get(table, "")})
    return out


def _report_filter(latest: bool) -> str:
    return "WHERE sha256 IN (SELECT sha256 FROM report_latest)" if latest else ""


def long_frame(con, latest: bool = False):
    """The long table (one row per field) as a DataFrame, reports in path order."""
    cols = ", ".join(f'"{c}"' for c in LONG_COLUMNS)
    df = con.execute(f"SELECT {cols} FROM fields {_report_filter(latest)}").df()
    if df.empty:
        return df[LONG_COLUMNS]
    order = {k: i for i, k in enumerate(key_sort(df["key"].unique()))}
    df["_k"] = df["key"].map(order)
    df = df.sort_values(["path", "sha256", "_k"], kind="stable").drop(columns="_k")
    return df.reset_index(drop=True)[LONG_COLUMNS]


def wide_frame(con, latest: bool = False):
    """The wide table: one row per report, report columns then one column per field key."""
    import pandas as pd

    cols = ", ".join(REPORT_COLUMNS)
    reports = con.execute(f"SELECT {cols} FROM reports {_report_filter(latest)} "
                          "ORDER BY path, sha256").df()
    fields = con.execute(f"SELECT sha256, key, value FROM fields {_report_filter(latest)}").df()
    keys = key_sort(fields["key"].unique()) if not fields.empty else []
    if keys:
        values = fields.pivot(index="sha256", columns="key", values="value")
        values = values.reindex(index=reports["sha256"], columns=keys).reset_index(drop=True)
        for k in keys:
            if k not in spec.DECIMAL_FIELDS:
                values[k] = values[k].round().astype("Int64")
        wide = pd.concat([reports.reset_index(drop=True), values], axis=1)
    else:
        wide = reports
    for c in ("year", "pages", "n_fields", "n_issues", "n_arithmetic"):
        wide[c] = wide[c].astype("Int64")
    return wide, keys


def _long_values_for_csv(df):
    """Whole-number values print as ``24``, not ``24.0``; decimal fields keep their decimals."""
    def fmt(key, v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        if key not in spec.DECIMAL_FIELDS and float(v).is_integer():
            return int(v)
        return v

    import pandas as pd

    df = df.copy()
    df["value"] = pd.Series([fmt(k, v) for k, v in zip(df["key"], df["value"])], dtype=object,
                            index=df.index)
    for c in ("year", "page"):
        df[c] = df[c].astype("Int64")
    return df


def export(outdir, fmt: str, *, wide: bool | None = None, output=None, latest: bool = False,
           max_sheet_rows: int = EXCEL_MAX_ROWS, corrected: bool = True) -> list[Path]:
    """Write the table (and its dictionary); returns the paths written. ``corrected``: values
    corrected in review (``extract/corrections.py``) replace the extracted ones; False for the
    raw extraction."""
    import pandas as pd

    from .store import Store

    if fmt not in FORMATS:
        raise OptionsError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    if max_sheet_rows < 3:
        raise OptionsError("max_sheet_rows must be at least 3")
    outdir = Path(outdir)
    if wide is None:
        wide = fmt == "xlsx"
    shape = "wide" if wide else "long"
    target = Path(output) if output else outdir / "export" / f"gkreport_{shape}.{fmt}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with Store(outdir, read_only=True) as store:
        con = store.con
        if corrected:  # review corrections: `fields`/`reports` become views with them applied
            from .corrections import shadow_corrected
            shadow_corrected(con, outdir)
        if wide:
            table, keys = wide_frame(con, latest)
            labels = {**REPORT_COLUMNS, **{r["key"]: r["label"] for r in dictionary_rows(keys)}}
            dictionary = ([{"key": k, "label": v, "unit": "", "type": "report"}
                           for k, v in REPORT_COLUMNS.items()] + dictionary_rows(keys))
        else:
            table = long_frame(con, latest)
            keys = list(table["key"].unique())
            labels = LONG_LABELS
            dictionary = ([{"key": c, "label": LONG_LABELS[c], "unit": "", "type": "column"}
                           for c in LONG_COLUMNS] + dictionary_rows(keys))
    dict_df = pd.DataFrame(dictionary, columns=["key", "label", "unit", "type", "table", "row",
                                                "column", "row_label", "column_label",
                                                "section"])
    written = [target]
    if fmt == "csv":
        (table if wide else _long_values_for_csv(table)).to_csv(target, index=False)
        dpath = target.with_name(f"{target.stem}_dictionary.csv")
        dict_df.to_csv(dpath, index=False)
        written.append(dpath)
    elif fmt == "parquet":
        table.to_parquet(target, index=False)
        dpath = target.with_name(f"{target.stem}_dictionary.parquet")
        dict_df.to_parquet(dpath, index=False)
        written.append(dpath)
    else:
        _write_xlsx(target, table if wide else _long_values_for_csv(table), dict_df, labels,
                    wide, max_sheet_rows)
    return written


def _cell(v):
    if v is None:
        return None
    try:
        import pandas as pd

        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):   # numpy scalars
        return v.item()
    return v


def _write_xlsx(target: Path, table, dict_df, labels: dict, wide: bool,
                max_sheet_rows: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    columns = list(table.columns)
    rows = table.itertuples(index=False, name=None)
    if wide:
        ws = wb.create_sheet("data")
        ws.freeze_panes = "A3"
        ws.append(columns)
        ws.append([labels.get(c, "") for c in columns])
        for r in rows:
            ws.append([_cell(v) for v in r])
    else:
        per_sheet = max_sheet_rows - 1      # one header row a sheet
        n_sheets = max(1, math.ceil(len(table) / per_sheet))
        for s in range(n_sheets):
            ws = wb.create_sheet("long" if s == 0 else f"long_{s + 1}")
            ws.freeze_panes = "A2"
            ws.append(columns)
            for _, r in zip(range(per_sheet), rows):
                ws.append([_cell(v) for v in r])
    ws = wb.create_sheet("dictionary")
    ws.append(list(dict_df.columns))
    for r in dict_df.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in r])
    tmp = target.with_name(f".{target.name}.tmp")
    wb.save(tmp)
    tmp.replace(target)
