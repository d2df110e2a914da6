"""Reports of an ``Evaluation``: terminal tables, ``report.md``, ``report.html`` with plots,
``fields.csv`` and ``summary.json``.

Every table is built once as a ``Table`` (title, headers, rows of plain strings) and rendered three
ways (rich, Markdown, HTML), so the three reports cannot disagree. Percentages are formatted from
the counts at the last moment.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import spec
from .evaluate import Counts, Evaluation, calibration, confidence_bucket

FIELD_COLUMNS = ["document", "kind", "key", "table", "row", "column", "label", "status", "truth",
                 "predicted", "flagged", "silent", "doc_failed", "printed_error", "confidence",
                 "confidence_bucket", "corrected"]
MAX_ERROR_LINES = 300


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""
    numeric_from: int = 1   # columns from this index on are right-aligned


def pct(num: int, den: int) -> str:
    return f"{100 * num / den:.1f}%" if den else "–"


def fmt_value(v) -> str:
    if v is None:
        return "null"
    return str(v)


def fmt_secs(v) -> str:
    return "–" if v is None else f"{v:.1f}"


# ---------------------------------------------------------------------------------------------
# Tables


def scoreboard(ev: Evaluation) -> Table:
    t = Table("Scoreboard by input kind",
              ["kind", "docs", "failed", "exact", "fields", "correct", "accuracy", "wrong",
               "missing", "extra", "silent", "flagged", "flag prec.", "justified", "s/doc"],
              note="accuracy = correct / truth fields. An error (wrong or missing) is flagged "
                   "when an issue names the field or the document failed, silent otherwise. "
                   "flag prec. = wrong or missing among the fields issues name; justified adds "
                   "correctly read values named for a misprint the truth's checks list.")
    groups = [(k, [d for d in ev.docs if d.kind == k], Counts.of(r for r in ev.rows if r.kind == k))
              for k in ev.kinds()]
    groups.append(("all", ev.docs, ev.counts))
    for name, docs, c in groups:
        ds = ev.doc_stats(docs)
        t.rows.append([name, str(ds["documents"]), str(ds["failed"]), str(ds["exact"]),
                       str(c.fields), str(c.correct), pct(c.correct, c.fields), str(c.wrong),
                       str(c.missing), str(c.extra), str(c.silent_errors), str(c.flagged_errors),
                       f"{pct(c.flagged_wrong, c.flagged_fields)} of {c.flagged_fields}",
                       pct(c.flagged_wrong + c.flagged_printed, c.flagged_fields),
                       fmt_secs(ds["seconds_per_document"])])
    return t


def counts_table(title: str, groups: dict, label: str, label_fn=None) -> Table:
    """One row per group: fields, accuracy, and where the errors went."""
    t = Table(title, [label, "fields", "accuracy", "wrong", "missing", "extra", "silent",
                      "flagged"])
    for k, c in groups.items():
        name = label_fn(k) if label_fn else str(k)
        t.rows.append([name, str(c.fields), pct(c.correct, c.fields), str(c.wrong),
                       str(c.missing), str(c.extra), str(c.silent_errors), str(c.flagged_errors)])
    return t


def _row_name(row_key: str) -> str:
    try:
        return f"{row_key} {spec.row_label(row_key)[:14]}"
    except KeyError:
        return row_key


def documents_table(ev: Evaluation) -> Table:
    t = Table("Documents", ["document", "kind", "status", "fields", "accuracy", "wrong",
                            "missing", "extra", "silent", "exact", "checks found", "seconds"],
              numeric_from=3)
    for d in ev.docs:
        c = d.counts
        status = "FAILED" if d.failed else (d.status or "?")
        chk = f"{len(d.checks_found)}/{len(d.checks_truth)}"
        if d.checks_spurious:
            chk += f" +{len(d.checks_spurious)}"
        t.rows.append([d.document, d.kind, status, str(c.fields), pct(c.correct, c.fields),
                       str(c.wrong), str(c.missing), str(c.extra), str(c.silent_errors),
                       "yes" if d.exact else "no", chk, fmt_secs(d.seconds)])
    t.note = ("checks found: rules the truth says the printed figures break that the record "
              "reported / all such rules (+ rules reported that the truth does not list).")
    return t


def corrections_table(ev: Evaluation) -> Table:
    t = Table("Corrections", ["kind", "made", "right", "wrong", "of which harmful",
                              "ambiguous (no truth)", "precision", "undecided",
                              "undecided, truth among candidates"],
              note="A correction is right when its new value equals the truth; harmful when the "
                   "value before it was already right. Undecided: several corrections fit and "
                   "none was applied.")
    for kind in ev.kinds() + [None]:
        s = ev.correction_stats(kind)
        t.rows.append([kind or "all", str(s["made"]), str(s["right"]), str(s["wrong"]),
                       str(s["harmful"]), str(s["ambiguous"]),
                       pct(s["right"], s["right"] + s["wrong"]), str(s["undecided"]),
                       str(s["undecided_with_truth"])])
    return t


def calibration_table(ev: Evaluation) -> Table:
    t = Table("Accuracy by confidence (calibration)",
              ["confidence", "fields", "correct", "accuracy", "mean confidence"],
              note="Predicted fields that have a truth value; missing fields have no confidence.")
    for b in calibration(ev.rows):
        t.rows.append([b["bucket"], str(b["n"]), str(b["correct"]), pct(b["correct"], b["n"]),
                       "–" if b["mean_confidence"] is None else f"{b['mean_confidence']:.3f}"])
    return t


def errors_table(ev: Evaluation) -> Table:
    errs = [r for r in ev.rows if r.error and not r.doc_failed]
    errs.sort(key=lambda r: (not r.silent, r.document, r.key))
    t = Table("Errors (silent first)", ["document", "key", "truth", "predicted", "", "confidence"],
              numeric_from=2)
    for r in errs[:MAX_ERROR_LINES]:
        t.rows.append([r.document, r.key, fmt_value(r.truth),
                       "(missing)" if r.status == "missing" else fmt_value(r.predicted),
                       "silent" if r.silent else "flagged",
                       "–" if r.confidence is None else f"{r.confidence:.3f}"])
    if len(errs) > MAX_ERROR_LINES:
        t.note = f"{len(errs) - MAX_ERROR_LINES} more in fields.csv."
    failed = [d for d in ev.docs if d.failed]
    if failed:
        t.note += (" Failed documents are not listed field by field: "
                   + "; ".join(f"{d.document} ({d.error})" for d in failed))
    return t


def all_tables(ev: Evaluation) -> list[Table]:
    return [scoreboard(ev), documents_table(ev), corrections_table(ev), calibration_table(ev),
            counts_table("By table", ev.by("table"), "table"),
            counts_table("By column", ev.by("column"), "column"),
            counts_table("By row category", ev.by("row"), "row", _row_name),
            errors_table(ev)]


# ---------------------------------------------------------------------------------------------
# Renderers


def print_terminal(ev: Evaluation, title: str, file=None, full: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable

    console = Console(file=file)
    if not console.is_terminal:
        console.width = 170
    tables = all_tables(ev)
    shown = tables if full else [tables[0], tables[2], tables[3]]
    console.print(f"[bold]{title}[/bold]")
    for t in shown:
        rt = RichTable(title=t.title, title_justify="left", show_lines=False)
        for i, h in enumerate(t.headers):
            rt.add_column(h, justify="right" if i >= t.numeric_from else "left")
        for i, row in enumerate(t.rows):
            rt.add_row(*row, style="bold" if (t is tables[0] and i == len(t.rows) - 1) else None)
        console.print(rt)
    for name in ev.unpaired_predictions:
        console.print(f"[yellow]no truth for {name}: not scored[/yellow]")


def to_markdown(ev: Evaluation, title: str, images: dict[str, str] | None = None) -> str:
    out = [f"# {title}", "", *_provenance_lines(ev), ""]
    for name, rel in (images or {}).items():
        out += [f"![{name}]({rel})", ""]
    for t in all_tables(ev):
        out += [f"## {t.title}", ""]
        if t.note:
            out += [t.note, ""]
        out.append("| " + " | ".join(t.headers) + " |")
        out.append("|" + "|".join("---:" if i >= t.numeric_from else "---"
                                  for i in range(len(t.headers))) + "|")
        for row in t.rows:
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        out.append("")
    if ev.unpaired_predictions:
        out += ["## Predictions without truth (not scored)", ""]
        out += [f"- {n}" for n in ev.unpaired_predictions] + [""]
    return "\n".join(out)


def _provenance_lines(ev: Evaluation) -> list[str]:
    p = ev.provenance
    m = p.get("model", {})
    lines = [f"- evaluated {p.get('evaluated_at', '?')}; truth: `{p.get('truth', '?')}`; "
             f"predictions: `{p.get('predictions') or p.get('documents') or '?'}`"
             f" ({p.get('mode', '?')})",
             f"- gkreport {m.get('gkreport', '?')}, pipeline {m.get('pipeline', '?')}, label model "
             f"{m.get('label_model_sha256', '?')} (scikit-learn {m.get('label_model_sklearn', '?')})"]
    if p.get("wall_seconds") is not None:
        lines.append(f"- wall time {p['wall_seconds']:.1f} s")
    lines.append("- input hashes and per-document timings: summary.json, `provenance`")
    return lines


HTML_STYLE = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px}th{background:#f0f0f0}td.n{text-align:right}
tr.total td{font-weight:bold;background:#fafafa}
.note{color:#555;font-size:13px;max-width:1000px}
.plots{display:flex;flex-wrap:wrap;gap:16px}.plots figure{margin:0}
.plots img{border:1px solid #ddd;max-width:100%}
figcaption{font-size:13px;color:#444}
"""


def to_html(ev: Evaluation, title: str, images: dict[str, bytes]) -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{e(title)}"
             f"</title><style>{HTML_STYLE}</style></head><body><h1>{e(title)}</h1><ul>"]
    parts += [f"<li>{e(line[2:]).replace('`', '')}</li>" for line in _provenance_lines(ev)]
    parts.append("</ul>")
    tables = all_tables(ev)
    parts.append(_html_table(tables[0], total_last=True))
    if images:
        parts.append('<h2>Plots</h2><div class="plots">')
        for name, png in images.items():
            data = base64.b64encode(png).decode("ascii")
            parts.append(f'<figure><img alt="{e(name)}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{e(name)}</figcaption></figure>")
        parts.append("</div>")
    for t in tables[1:]:
        parts.append(_html_table(t))
    if ev.unpaired_predictions:
        parts.append("<h2>Predictions without truth (not scored)</h2><ul>")
        parts += [f"<li>{e(n)}</li>" for n in ev.unpaired_predictions]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(t: Table, total_last: bool = False) -> str:
    e = html.escape
    out = [f"<h2>{e(t.title)}</h2>"]
    if t.note:
        out.append(f'<p class="note">{e(t.note)}</p>')
    out.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in t.headers)
               + "</tr></thead><tbody>")
    for i, row in enumerate(t.rows):
        cls = ' class="total"' if total_last and i == len(t.rows) - 1 else ""
        out.append(f"<tr{cls}>" + "".join(
            f'<td class="n">{e(c)}</td>' if j >= t.numeric_from else f"<td>{e(c)}</td>"
            for j, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def fields_csv(ev: Evaluation) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELD_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in ev.rows:
        try:
            label = spec.field_label(r.key)
        except (KeyError, ValueError):
            label = ""
        w.writerow({"document": r.document, "kind": r.kind, "key": r.key, "table": r.table,
                    "row": r.row, "column": r.column, "label": label, "status": r.status,
                    "truth": "" if r.status in ("extra", "ambiguous") else fmt_value(r.truth),
                    "predicted": "" if r.status == "missing" or (r.status == "ambiguous" and
                                                                 r.predicted is None)
                    else fmt_value(r.predicted),
                    "flagged": int(r.flagged), "silent": int(r.silent),
                    "doc_failed": int(r.doc_failed), "printed_error": int(r.printed_error),
                    "confidence": "" if r.confidence is None else r.confidence,
                    "confidence_bucket": confidence_bucket(r.confidence) if r.status in
                    ("correct", "wrong") else "", "corrected": int(r.corrected)})
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Plots (matplotlib, Agg backend, PNG bytes)


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    wanted = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "AR PL UMing CN")
    have = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [n for n in wanted if n in have]
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = cjk + ["DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _png(fig, plt) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def plot_row_by_kind(ev: Evaluation) -> bytes | None:
    """Heat map: accuracy per row category (y) and input kind (x), annotated with errors/fields."""
    import numpy as np
    cells = ev.by_row_and_kind()
    rows = [k for k in ev.by("row") if any((k, kind) in cells and cells[(k, kind)].fields
                                           for kind in ev.kinds())]
    kinds = ev.kinds()
    if not rows or not kinds:
        return None
    plt = _plt()
    acc = np.full((len(rows), len(kinds)), np.nan)
    for i, r in enumerate(rows):
        for j, k in enumerate(kinds):
            c = cells.get((r, k))
            if c and c.fields:
                acc[i, j] = c.correct / c.fields
    fig, ax = plt.subplots(figsize=(2.2 + 1.25 * len(kinds), 1.2 + 0.27 * len(rows)))
    cmap = plt.get_cmap("RdYlGn").with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(acc), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i, r in enumerate(rows):
        for j, k in enumerate(kinds):
            c = cells.get((r, k))
            if c and c.fields:
                ax.text(j, i, f"{c.errors}/{c.fields}", ha="center", va="center", fontsize=7,
                        color="black")
    ax.set_xticks(range(len(kinds)), kinds, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), [_row_name(r) for r in rows], fontsize=7)
    ax.set_title("Accuracy by row category × input kind (cell: errors/fields)", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.04, label="accuracy")
    return _png(fig, plt)


def plot_requests_grid(ev: Evaluation) -> bytes | None:
    """Heat map over the section 三 grid: error rate per (row, column), all documents together."""
    import numpy as np
    cells = ev.by_cell("requests")
    if not cells:
        return None
    present_rows = {r for r, _ in cells}
    rows = [r for r in spec.request_rows(True) if r in present_rows]
    if "other" in present_rows:
        idx = next((i for i, r in enumerate(rows) if r.startswith("other.")),
                   rows.index("total") if "total" in rows else len(rows))
        rows.insert(idx, "other")
    rows += sorted(present_rows - set(rows))
    cols = [c for c in ("natural_person", "org_subtotal") + spec.REQUEST_COLUMNS[1:]
            if any((r, c) in cells for r in rows)]
    plt = _plt()
    rate = np.full((len(rows), len(cols)), np.nan)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            k = cells.get((r, c))
            if k and k.fields:
                rate[i, j] = k.errors / k.fields
    fig, ax = plt.subplots(figsize=(2.8 + 1.0 * len(cols), 1.2 + 0.3 * len(rows)))
    cmap = plt.get_cmap("Reds").with_extremes(bad="#dddddd")
    vmax = max(0.05, float(np.nanmax(rate)) if np.isfinite(rate).any() else 0.05)
    im = ax.imshow(np.ma.masked_invalid(rate), cmap=cmap, vmin=0, vmax=vmax, aspect="auto")
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            k = cells.get((r, c))
            if k and k.fields:
                txt = f"{k.errors}" + (f" ({k.silent_errors}s)" if k.silent_errors else "")
                ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                        color="white" if rate[i, j] > vmax * 0.6 else "black")
    ax.set_xticks(range(len(cols)), [f"{c}\n{spec.COLUMN_LABELS[c][0]}" for c in cols],
                  fontsize=7)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(rows)), [_row_name(f"requests.{r}") for r in rows], fontsize=7)
    ax.set_title("Section 三 error heat map (cell: errors, (Ns) silent), all documents",
                 fontsize=9, pad=28)
    fig.colorbar(im, ax=ax, fraction=0.04, label="error rate")
    return _png(fig, plt)


def plot_calibration(ev: Evaluation) -> bytes | None:
    """Reliability diagram: per confidence bucket, the accuracy (bar) beside the mean confidence
    (marker). A calibrated extractor's bars reach its markers; bars below them mean the
    confidence promises more than the values deliver."""
    buckets = [b for b in calibration(ev.rows) if b["mean_confidence"] is not None]
    if not buckets:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(1.8 + 0.9 * len(buckets), 3.8))
    xs = range(len(buckets))
    acc = [b["accuracy"] for b in buckets]
    ax.bar(xs, acc, color="#5b9bd5", label="accuracy")
    ax.plot(xs, [b["mean_confidence"] for b in buckets], "D", color="black", ms=6,
            label="mean confidence")
    for x, b in zip(xs, buckets):
        ax.text(x, 0.02, f"n={b['n']}", ha="center", va="bottom", fontsize=7, color="white")
        ax.text(x, b["accuracy"] + 0.01, f"{100 * b['accuracy']:.1f}%", ha="center",
                va="bottom", fontsize=7)
    ax.set_xticks(list(xs), [b["bucket"] for b in buckets], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("confidence bucket")
    ax.set_ylabel("accuracy (correct / fields)")
    ax.set_title("Calibration: accuracy per confidence bucket", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return _png(fig, plt)


def plot_flagged_silent(ev: Evaluation) -> bytes | None:
    """Per input kind: the errors an issue flags against those that slip through silently."""
    kinds = ev.kinds()
    if not kinds:
        return None
    plt = _plt()
    flagged = [Counts.of(r for r in ev.rows if r.kind == k).flagged_errors for k in kinds]
    silent = [Counts.of(r for r in ev.rows if r.kind == k).silent_errors for k in kinds]
    fig, ax = plt.subplots(figsize=(1.5 + 1.1 * len(kinds), 3.6))
    ax.bar(kinds, flagged, color="#f0ad4e", label="flagged (an issue names it, or doc failed)")
    ax.bar(kinds, silent, bottom=flagged, color="#d9534f", label="silent")
    for i, (f, s) in enumerate(zip(flagged, silent)):
        ax.text(i, f + s, f"{s} silent", ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("wrong or missing fields")
    ax.set_title("Errors flagged vs silent, by input kind", fontsize=9)
    ax.tick_params(axis="x", rotation=30, labelsize=8)
    ax.legend(fontsize=7)
    return _png(fig, plt)


PLOTS = {
    "accuracy_by_row_and_kind.png": plot_row_by_kind,
    "requests_error_heatmap.png": plot_requests_grid,
    "calibration.png": plot_calibration,
    "flagged_vs_silent.png": plot_flagged_silent,
}


def make_plots(ev: Evaluation) -> dict[str, bytes]:
    out = {}
    for name, fn in PLOTS.items():
        png = fn(ev)
        if png:
            out[name] = png
    return out


# ---------------------------------------------------------------------------------------------
# Writing a report folder


def write_reports(ev: Evaluation, out_dir, title: str, plots: bool = True) -> dict[str, Path]:
    """Write summary.json, fields.csv, report.md (+ plots/*.png) and report.html (plots inline)."""
    out = Path(out_dir)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    images = make_plots(ev) if plots else {}
    for name, png in images.items():
        (out / "plots" / name).write_bytes(png)
    paths = {
        "summary.json": json.dumps(ev.summary(), ensure_ascii=False, indent=1, default=str) + "\n",
        "fields.csv": fields_csv(ev),
        "report.md": to_markdown(ev, title, {n: f"plots/{n}" for n in images}),
        "report.html": to_html(ev, title, images),
    }
    written = {}
    for name, text in paths.items():
        p = out / name
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(p)
        written[name] = p
    return written
