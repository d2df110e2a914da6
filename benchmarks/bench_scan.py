"""Speed of the scan path against naive full-page OCR, in the same run, on the dev-set scan.

    .venv/bin/python benchmarks/bench_scan.py [PDF] [--threads 2] [--dpi 150] [--repeat 3]

Every method starts from the same prepared page (rasterised, lighting flattened, oriented,
deskewed: "prepare", timed once and added to each method's figure) and ends in the same grid
assignment:

- **ours** (``--tables-only``): the ruling grid; ink check (empty cells never recognised); line
  crops at one scale; crops that print the same read once; the rest packed side by side into
  recognition lines; the heading above each table by ink projection. No detector.
- **naive, as shipped**: ``RapidOCR()(page)`` with its defaults (detector, angle classifier,
  recogniser; the ONNX files of its wheel, the same thread count), then each text box into the
  grid cell holding its centre.
- **naive, det + our recogniser**: the same, but RapidOCR's detector followed by our
  recogniser (``RapidOcrEngine.read_page``): a stronger baseline.

Accuracy: numeric table cells read exactly, against the text layer of the born-digital twin
(``X.pdf`` beside ``X.scan.pdf``, by pdfplumber). Also: seconds per report through the whole
pipeline (``extract_file``, prose included, and ``--tables-only``), peak memory (ru_maxrss) and
the load average before and after (the machine is shared: wall times are inflated by other jobs;
CPU seconds are the steadier figure). ``--repeat N`` keeps each method's fastest of N runs.
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
from extract.ocr import TextLine, get_engine, rapidocr_model_paths  # noqa: E402
from extract.options import Options  # noqa: E402
from extract.pipeline import extract_file  # noqa: E402


def truth_numbers(digital: Path) -> dict[int, list[str]]:
    """Numeric cells per page in reading order, from the text layer."""
    out = {}
    with pdfplumber.open(digital) as pdf:
        for i, page in enumerate(pdf.pages):
            vals = [c.strip() for t in page.extract_tables() for row in t for c in row
                    if c is not None and c.strip() and looks_numeric(c)]
            out[i + 1] = vals
    return out


def shipped_rapidocr(threads: int):
    """RapidOCR with its default settings, offline (explicit model files), ``threads`` threads."""
    from rapidocr import RapidOCR

    paths = rapidocr_model_paths()
    return RapidOCR(params={
        "Global.log_level": "error",
        "Det.model_path": str(paths["det"]), "Rec.model_path": str(paths["rec"]),
        "Cls.model_path": str(paths["cls"]),
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1})


def shipped_lines(ocr, image: np.ndarray) -> list[TextLine]:
    out = ocr(np.repeat(image[:, :, None], 3, axis=2))
    if out.boxes is None:
        return []
    return [TextLine(t, float(s), (float(b[:, 0].min()), float(b[:, 1].min()),
                                   float(b[:, 0].max()), float(b[:, 1].max())))
            for t, s, b in zip(out.txts, out.scores, np.asarray(out.boxes))]


def assign(page: raster.PreparedPage, lines: list[TextLine]) -> list[str]:
    """Every box into the grid cell holding its centre; numeric cells in reading order."""
    tables, _ = tablegrid.find_tables(page.ink)
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


def ours_values(res: scan.PageResult) -> list[str]:
    vals = []
    for t in res.tables:
        for c in sorted(t.cells, key=lambda c: (c.row, c.col)):
            if c.text.strip() and looks_numeric(c.text):
                vals.append(c.text.strip())
    return vals


def score(got: list[str], want: list[str]) -> tuple[int, int]:
    ok = sum(g == w for g, w in zip(got, want))
    return ok, max(len(want), len(got))


def timed(fn, repeat: int):
    """(result, fastest wall, its CPU seconds) over ``repeat`` runs."""
    best = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        if best is None or wall < best[1]:
            best = (out, wall, cpu)
    return best


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdf", nargs="?", default=str(ROOT / "eval/dev_set/hongze_2023.scan.pdf"))
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--dpi", type=int, default=150)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    options = Options(threads=args.threads, dpi=args.dpi)
    tables_only = options.with_(tables_only=True)
    path = Path(args.pdf)
    digital = path.with_name(path.name.replace(".scan.pdf", ".pdf"))
    truth = truth_numbers(digital) if digital.exists() and digital != path else {}
    print(f"load average at the start: {loadavg()} ({options.effective_threads} threads)")

    t = time.perf_counter()
    engine = get_engine(options)
    shipped = shipped_rapidocr(options.effective_threads)
    print(f"engines built: {time.perf_counter() - t:.2f} s")
    pdf = raster.open_pdf(path)
    pages = [(i + 1, raster.render_pdf_page(pdf, i, options, path)) for i in range(len(pdf))]
    pdf.close()

    rows = []
    for number, grey in pages:
        prepared, prep, prep_cpu = timed(
            lambda: raster.prepare_page(grey, number, 72 / options.dpi, engine.upside_down),
            args.repeat)
        res, ours, ours_cpu = timed(lambda: scan.read_page(prepared, engine, tables_only, "pt"),
                                    args.repeat)
        row = dict(page=number, tables=len(res.tables), prep=prep, prep_cpu=prep_cpu, ours=ours,
                   ours_cpu=ours_cpu, ours_ok=score(ours_values(res), truth.get(number, [])))
        if res.tables:
            for key, fn in (("det", lambda: assign(prepared, engine.read_page(prepared.image))),
                            ("shipped", lambda: assign(prepared,
                                                       shipped_lines(shipped, prepared.image)))):
                vals, wall, cpu = timed(fn, args.repeat)
                row.update({key: wall, key + "_cpu": cpu,
                            key + "_ok": score(vals, truth.get(number, []))})
        rows.append(row)

    print("\nper page, seconds (wall / cpu); prepare is shared and added to every method below")
    print(f"{'page':>4} {'tables':>6} {'prepare':>12} {'ours':>12} {'naive shipped':>14} "
          f"{'naive det+rec':>14}   digits exact: ours / shipped / det+rec")
    for r in rows:
        def wc(k):
            return f"{r[k]:.2f}/{r[k + '_cpu']:.2f}" if k in r else "-"

        def ok(k):
            return "%d/%d" % r[k + "_ok"] if k + "_ok" in r else "-"
        print(f"{r['page']:>4} {r['tables']:>6} {wc('prep'):>12} {wc('ours'):>12} "
              f"{wc('shipped'):>14} {wc('det'):>14}   {ok('ours')} / {ok('shipped')} / {ok('det')}")

    tp = [r for r in rows if r["tables"]]

    def per_page(key):
        wall = float(np.mean([r["prep"] + r[key] for r in tp]))
        cpu = float(np.mean([r["prep_cpu"] + r[key + "_cpu"] for r in tp]))
        ok = sum(r[key + "_ok"][0] for r in tp), sum(r[key + "_ok"][1] for r in tp)
        return wall, cpu, ok

    ours = per_page("ours")
    print(f"\nseconds per table page (prepare + read), {len(tp)} table pages:")
    print(f"  ours, tables only        {ours[0]:5.2f} wall  {ours[1]:5.2f} cpu   "
          f"digit cells exact {ours[2][0]}/{ours[2][1]}")
    for key, name in (("shipped", "naive, RapidOCR shipped"), ("det", "naive, det + our rec")):
        w, c, ok = per_page(key)
        print(f"  {name:<24} {w:5.2f} wall  {c:5.2f} cpu   digit cells exact {ok[0]}/{ok[1]}   "
              f"ours is {w / ours[0]:.1f}x faster (wall), {c / ours[1]:.1f}x (cpu)")

    print("\nseconds per report, whole pipeline (extract_file: render, prepare, OCR, assemble, "
          "checks):")
    for name, opts in (("with prose", options), ("tables only", tables_only)):
        rec, wall, cpu = timed(lambda: extract_file(path, opts), 1)
        print(f"  {name:<12} {wall:6.2f} wall {cpu:6.2f} cpu   ({len(pages)} pages, "
              f"{len(rec.fields)} fields)")
    print(f"\npeak memory (ru_maxrss): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          "(both engines loaded)")
    print(f"load average at the end: {loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
