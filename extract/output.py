"""Record output helpers shared by `extract` and `export`: the long per-field table and summaries."""

from __future__ import annotations

import csv
import io
import json

from . import spec

# Columns of the long table (one row per field); `gkreport export` writes the same columns.
LONG_COLUMNS = ["sha256", "path", "agency", "year", "template", "key", "table", "row", "column",
                "label", "value", "unit", "confidence", "page", "bbox", "engine", "flagged"]


def flagged_fields(record: dict) -> set[str]:
    out: set[str] = set()
    for issue in record.get("issues", []):
        out.update(issue.get("fields", []))
    return out


def record_to_csv_rows(record: dict) -> list[dict]:
    rep, src = record.get("report", {}), record.get("source", {})
    flagged = flagged_fields(record)
    rows = []
    for key, value in record.get("fields", {}).items():
        table, row, col = spec.split_key(key)
        prov = record.get("provenance", {}).get(key, {})
        try:
            label = spec.field_label(key)
        except KeyError:
            label = ""
        rows.append({
            "sha256": src.get("sha256"), "path": src.get("path"), "agency": rep.get("agency"),
            "year": rep.get("year"), "template": rep.get("template"), "key": key,
            "table": table, "row": row, "column": col, "label": label, "value": value,
            "unit": record.get("units", {}).get(key, spec.TEMPLATE_UNITS.get(key, "")),
            "confidence": prov.get("confidence"), "page": prov.get("page"),
            "bbox": json.dumps(prov["bbox"]) if prov.get("bbox") else "",
            "engine": prov.get("engine"), "flagged": key in flagged,
        })
    return rows


def write_csv(rows: list[dict], columns=LONG_COLUMNS) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in columns})
    return buf.getvalue()


def summary_line(record: dict, target=None) -> str:
    rep, src = record.get("report", {}), record.get("source", {})
    kinds: dict[str, int] = {}
    for i in record.get("issues", []):
        kinds[i["kind"]] = kinds.get(i["kind"], 0) + 1
    issues = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no issues"
    where = f" -> {target}" if target else ""
    return (f"{src.get('path')}: {rep.get('agency') or '?'} {rep.get('year') or '?'} "
            f"(template {rep.get('template') or '?'}, {src.get('kind')}): "
            f"{len(record.get('fields', {}))} fields, {issues}; status {record.get('status')}"
            f"{where}")
