"""Speed of the scan path against a naive baseline, in the same run, on the dev-set scan.

    .venv/bin/python benchmarks/bench_scan.py [PDF] [--threads N] [--dpi 150]

Ours: deskew, ruling grid, ink check, batched recognition of cell crops (recogniser only), the
detector only on the strips outside the tables. Naive: the same prepared page, the same grid, but
full-page RapidOCR (detector + recogniser) and each text box assigned to the cell holding its
centre. Both are scored on the table pages against the text layer of the born-digital twin
(``X.pdf`` beside ``X.scan.pdf``) by pdfplumber: numeric cells read exactly.

Prints seconds per table page and per report (wall and CPU), digit-cell accuracy for both, and
peak memory (ru_maxrss). The machine is shared: the CPU seconds are the steadier figure.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pdfplumber  # noqa: E402

from extract import raster, scan, tablegrid  # noqa: E402
from extract.numbers import looks_numeric  # noqa: E402
from extract.ocr import get_engine  # noqa: E402
from extract.options import Options  # noqa: E402


def truth_numbers(digital: Path) -> dict[int, list[str]]:
    """Numeric cells per page in reading order, from the text layer."""
    out = {}
    with pdfplumber.open(digital) as pdf:
        for i, page in enumerate(pdf.pages):
            vals = [c.strip() for t in page.extract_tables() for row in t for c in row
                    if c is not None and c.strip() and looks_numeric(c)]
            out[i + 1] = vals
    return out


def naive_page(page: raster.PreparedPage, engine) -> list[str]:
    """Full-page OCR, then every box into the grid cell holding its centre."""
    tables, _ = tablegrid.find_tables(page.ink)
    lines = engine.read_page(page.image)
    vals = []
    for t in tables:
        for gc in t.cells:
            x0, y0, x1, y1 = gc.box
            inside = [ln for ln in lines if x0 <= (ln.bbox[0] + ln.bbox[2]) / 2 <= x1
                      and y0 <= (ln.bbox[1] + ln.bbox[3]) / 2 <= y1]
            text = "".join(ln.text for ln in sorted(inside, key=lambda ln: (ln.bbox[1], ln.bbox[0])))
            if text.strip() and looks_numeric(text):
                vals.append(text.strip())
    return vals


def ours_page(res: scan.PageResult) -> list[str]:
    vals = []
    for t in res.tables:
        for c in sorted(t.cells, key=lambda c: (c.row, c.col)):
            if c.text.strip() and looks_numeric(c.text):
                vals.append(c.text.strip())
    return vals


def score(got: list[str], want: list[str]) -> tuple[int, int]:
    ok = sum(g == w for g, w in zip(got, want))
    return ok, max(len(want), len(got))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdf", nargs="?", default=str(ROOT / "eval/dev_set/hongze_2023.scan.pdf"))
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--dpi", type=int, default=150)
    args = ap.parse_args(argv)
    options = Options(threads=args.threads, dpi=args.dpi)
    path = Path(args.pdf)
    digital = path.with_name(path.name.replace(".scan.pdf", ".pdf"))
    truth = truth_numbers(digital) if digital.exists() and digital != path else {}

    t = time.perf_counter()
    engine = get_engine(options)
    print(f"engine build: {time.perf_counter() - t:.2f} s ({options.effective_threads} threads)")
    pdf = raster.open_pdf(path)
    pages = [(i + 1, raster.render_pdf_page(pdf, i, options, path)) for i in range(len(pdf))]
    pdf.close()

    rows = []
    for number, grey in pages:
        w0, c0 = time.perf_counter(), time.process_time()
        prepared = raster.prepare_page(grey, number, 72 / options.dpi, engine.upside_down)
        res = scan.read_page(prepared, engine, options, "pt")
        ours_wall, ours_cpu = time.perf_counter() - w0, time.process_time() - c0
        ours_tables_only = None
        if res.tables:
            w1 = time.perf_counter()
            scan.read_page(prepared, engine, options.with_(tables_only=True), "pt")
            ours_tables_only = time.perf_counter() - w1
        w2, c2 = time.perf_counter(), time.process_time()
        naive_vals = naive_page(prepared, engine) if res.tables else []
        naive_wall, naive_cpu = time.perf_counter() - w2, time.process_time() - c2
        want = truth.get(number, [])
        rows.append(dict(page=number, tables=len(res.tables), ours=ours_wall, ours_cpu=ours_cpu,
                         ours_tables_only=ours_tables_only, naive=naive_wall, naive_cpu=naive_cpu,
                         ours_ok=score(ours_page(res), want), naive_ok=score(naive_vals, want)))

    print(f"{'page':>4} {'tables':>6} {'ours s':>7} {'(cpu)':>6} {'tables-only':>11} "
          f"{'naive s':>8} {'(cpu)':>6} {'ours digits':>12} {'naive digits':>13}")
    for r in rows:
        to = f"{r['ours_tables_only']:.2f}" if r["ours_tables_only"] is not None else "-"
        print(f"{r['page']:>4} {r['tables']:>6} {r['ours']:>7.2f} {r['ours_cpu']:>6.2f} {to:>11} "
              f"{r['naive']:>8.2f} {r['naive_cpu']:>6.2f} "
              f"{'%d/%d' % r['ours_ok']:>12} {'%d/%d' % r['naive_ok']:>13}")
    tp = [r for r in rows if r["tables"]]
    ours_tp = np.mean([r["ours_tables_only"] for r in tp]) if tp else float("nan")
    naive_tp = np.mean([r["naive"] for r in tp]) if tp else float("nan")
    ours_ok = sum(r["ours_ok"][0] for r in tp), sum(r["ours_ok"][1] for r in tp)
    naive_ok = sum(r["naive_ok"][0] for r in tp), sum(r["naive_ok"][1] for r in tp)
    print(f"\nseconds per table page (tables only): ours {ours_tp:.2f}, naive {naive_tp:.2f}, "
          f"speed-up {naive_tp / ours_tp:.1f}x")
    print(f"seconds per report (all pages, prose included): ours "
          f"{sum(r['ours'] for r in rows):.2f} (cpu {sum(r['ours_cpu'] for r in rows):.2f})")
    print(f"digit cells exact: ours {ours_ok[0]}/{ours_ok[1]}, naive {naive_ok[0]}/{naive_ok[1]}")
    print(f"peak memory (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    with open("/proc/loadavg") as f:
        print(f"load average at the end: {f.read().split()[0]} on {options.effective_threads} "
              "threads (other jobs on the machine inflate wall time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
