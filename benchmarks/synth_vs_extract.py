"""Run `gkreport extract` (the library) on generated reports and compare with their truth.

    .venv/bin/python benchmarks/synth_vs_extract.py [--n 30] [--seed 1] [--kinds pdf,html,text,docx]

Per document kind it prints the share of truth fields extracted exactly and where every other
field went:

- ``ambiguous``: left out of ``fields`` and named by an ``ambiguous`` issue (the report's text
  allows several readings; acceptable);
- ``flagged``: wrong or missing, but named by some issue (a user is told to look);
- ``silent``: wrong or missing and named by no issue (a defect);
- ``error``: the whole document failed with a GkError (its fields are counted here);
- ``extra``: fields in the record that the truth does not have (listed with the silent ones).

``--by-style`` splits the table by the layout's text/HTML style. ``docx`` is not a kind of the
generator: the benchmark writes it itself from the generated report's tables (merged cells as
Word merges, vertical labels one character per paragraph), after its section headings and prose.
The reports that are not fully right follow, then which layout options the misses go with.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extract.errors import GkError  # noqa: E402
from extract.pipeline import extract_file  # noqa: E402
from extract.synth import make_report  # noqa: E402
from extract.synth_tables import document_blocks  # noqa: E402
from extract.synth_write import write_reports  # noqa: E402

SUFFIX = {"pdf": ".pdf", "scan": ".scan.pdf", "html": ".html", "text": ".txt", "docx": ".docx"}
OPTIONS = ("ruling", "results_label", "group_style", "repeat_header", "numbering", "paren",
           "typos", "thousands", "decimals_fixed", "text_style", "html_style", "note_cell")
CLASSES = ("exact", "ambiguous", "flagged", "silent", "error")


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < 1e-6


def write_docx(seed: int, index: int, path: Path) -> None:
    """The generated report as a Word document: prose as paragraphs, tables with merges."""
    import docx

    rep = make_report(seed, index)
    d = docx.Document()
    d.core_properties.title = rep.title
    for b in document_blocks(rep):
        if b.kind != "table":
            d.add_paragraph(b.text)
            continue
        t = b.table
        wt = d.add_table(rows=t.n_rows, cols=t.n_cols)
        for c in t.cells:
            cell = wt.cell(c.row, c.col)
            if c.rowspan > 1 or c.colspan > 1:
                cell = cell.merge(wt.cell(c.row + c.rowspan - 1, c.col + c.colspan - 1))
            if c.vertical and c.text:
                cell.text = c.text[0]
                for ch in c.text[1:]:
                    cell.add_paragraph(ch)
            else:
                cell.text = c.text
    d.save(str(path))


def classify(truth: dict, rec: dict | None) -> tuple[Counter, list, list]:
    """Counts per class over the truth fields; the differing (key, truth, got, class); extras."""
    tf = truth["fields"]
    counts: Counter = Counter()
    diffs = []
    if rec is None:
        counts["error"] = len(tf)
        return counts, [], []
    got = rec.get("fields", {})
    ambiguous: set[str] = set()
    named: set[str] = set()
    for iss in rec.get("issues", []):
        named.update(iss.get("fields") or [])
        if iss.get("kind") == "ambiguous":
            ambiguous.update(iss.get("fields") or [])
    for k, v in tf.items():
        if k in got and same(got[k], v):
            counts["exact"] += 1
            continue
        if k not in got and k in ambiguous:
            cls = "ambiguous"
        elif k in named:
            cls = "flagged"
        else:
            cls = "silent"
        counts[cls] += 1
        diffs.append((k, v, got.get(k, "absent"), cls))
    extras = [(k, got[k]) for k in got if k not in tf and k not in named]
    return counts, diffs, extras


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=0, help="first report index")
    ap.add_argument("--kinds", default="pdf,html,text")
    ap.add_argument("--show", type=int, default=4, help="differing fields shown per report")
    ap.add_argument("--by-style", action="store_true",
                    help="one table row per text style (text) and HTML style (html)")
    ap.add_argument("--keep", type=Path, help="write the documents here instead of a temp folder")
    args = ap.parse_args()
    kinds = args.kinds.split(",")
    unknown = set(kinds) - set(SUFFIX)
    if unknown:
        ap.error(f"unknown kinds {sorted(unknown)}; known: {', '.join(SUFFIX)}")
    gen_kinds = [k for k in kinds if k != "docx"]
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        write_reports(out, args.n, args.seed, gen_kinds, start=args.start)
        rows = []
        for kind in kinds:
            per_option = defaultdict(Counter)
            per_row: dict[str, Counter] = defaultdict(Counter)
            failed = []
            silent_docs = []
            if kind == "docx":
                for truth_path in sorted(out.glob("*.truth.json")):
                    synth = json.loads(truth_path.read_text("utf-8"))["synth"]
                    name = truth_path.name[:-len(".truth.json")]
                    write_docx(synth["seed"], synth["index"], out / (name + ".docx"))
            t0 = time.perf_counter()
            for truth_path in sorted(out.glob("*.truth.json")):
                truth = json.loads(truth_path.read_text("utf-8"))
                name = truth_path.name[:-len(".truth.json")]
                doc = out / (name + SUFFIX[kind])
                layout = truth["synth"]["layout"]
                try:
                    rec = extract_file(doc).to_dict()
                    status = rec.get("status")
                except GkError as e:
                    rec, status = None, f"error: {e}"
                counts, diffs, extras = classify(truth, rec)
                label = kind
                if args.by_style and kind == "text":
                    label = f"text/{layout['text_style']}"
                elif args.by_style and kind == "html":
                    label = f"html/{layout['html_style']}"
                per_row[label].update(counts)
                per_row[label]["reports"] += 1
                per_row[label]["extra"] += len(extras)
                exact = counts["exact"] == len(truth["fields"]) and not extras
                per_row[label]["fully_right"] += exact
                for o in OPTIONS:
                    per_option[f"{o}={layout[o]}"][exact] += 1
                if not exact:
                    failed.append((name, truth["synth"]["variant"], counts, status, diffs,
                                   extras))
                if counts["silent"] or extras:
                    silent_docs.append(name)
            dt = time.perf_counter() - t0
            n_docs = sum(c["reports"] for c in per_row.values())
            print(f"\n== {kind}: {dt / max(n_docs, 1):.2f} s/report")
            for name, variant, counts, status, diffs, extras in failed:
                summary = " ".join(f"{c}={counts[c]}" for c in CLASSES if counts[c])
                shown = ([d for d in diffs if d[3] == "silent"] +
                         [d for d in diffs if d[3] != "silent"])[:args.show]
                print(f"  {name} [{variant}] {summary} {status}: {shown}"
                      + (f" extra={extras[:args.show]}" if extras else ""))
            bad = {k: c for k, c in per_option.items() if c[False]}
            if bad:
                print("  misses by layout option (reports not fully right / all with it):")
                for k in sorted(bad, key=lambda k: -bad[k][False] / sum(bad[k].values())):
                    c = bad[k]
                    print(f"    {k}: {c[False]}/{c[False] + c[True]}")
            rows.extend(sorted(per_row.items()))
        print(f"\nseed {args.seed}, reports {args.start}..{args.start + args.n - 1}")
        print("| kind | reports fully right | fields exact | left out, ambiguous | flagged "
              "| silent | extra | error |")
        print("|---|---|---|---|---|---|---|---|")
        for label, c in rows:
            total = sum(c[k] for k in CLASSES)
            print(f"| {label} | {c['fully_right']}/{c['reports']} | {c['exact']}/{total} "
                  f"({100 * c['exact'] / max(total, 1):.1f}%) | {c['ambiguous']} | "
                  f"{c['flagged']} | {c['silent']} | {c['extra']} | {c['error']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
