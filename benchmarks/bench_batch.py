"""Batch throughput and the mixed-archive acceptance run.

    .venv/bin/python benchmarks/bench_batch.py throughput [--digital 10] [--scanned 3]
    .venv/bin/python benchmarks/bench_batch.py mixed [--digital 40] [--scanned 10] [--jobs 2]

``throughput`` generates born-digital and scanned reports with ``gkreport synth`` and runs
``gkreport batch`` (in-process ``run_batch``, local engine) over each set at ``--jobs 1`` and
``--jobs 2`` into a fresh OUTDIR; it prints reports per minute, pages per second, seconds per
report and the peak memory of a worker (``ru_maxrss`` of the worker process, which includes the
classifier and OCR engine built at start).

``mixed`` is the issue's acceptance run: one folder holding the generated reports (born-digital
and scanned), the dev set, two corrupt files and one unrelated PDF; it checks that every good
report is in the DuckDB file and every bad file is in ``failures`` with a reason, and prints the
counts. Wall times depend on the machine's load: run it on a quiet machine (``nice`` is fine).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extract.batch import run_batch  # noqa: E402
from extract.options import Options  # noqa: E402

GKREPORT = [sys.executable, "-m", "extract"]


def synth(out: Path, n: int, kinds: str, seed: int) -> list[Path]:
    subprocess.run(GKREPORT + ["synth", "--n", str(n), "--seed", str(seed), "--out", str(out),
                               "--kinds", kinds], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    suffix = ".scan.pdf" if kinds == "scan" else ".pdf"
    files = sorted(p for p in out.iterdir() if p.name.endswith(suffix)
                   and (kinds == "scan" or not p.name.endswith(".scan.pdf")))
    for p in out.glob("*.truth.json"):   # keep the folder to reports only
        p.unlink()
    return files


def measure(inputs: Path, outdir: Path, jobs: int) -> dict:
    shutil.rmtree(outdir, ignore_errors=True)
    t0 = time.monotonic()
    s = run_batch([inputs], outdir, options=Options(), jobs=jobs, progress=False)
    wall = time.monotonic() - t0
    con = duckdb.connect(str(outdir / "gkreport.duckdb"), read_only=True)
    peak, mean_s = con.execute("SELECT max(peak_rss_mb), avg(seconds) FROM reports").fetchone()
    con.close()
    return {"reports": s.extracted, "failed": s.failed, "pages": s.pages, "wall": wall,
            "per_min": 60 * s.extracted / wall, "pps": s.pages / wall,
            "sec_per_report": mean_s or 0.0, "peak_mb": peak or 0.0}


def throughput(args) -> None:
    work = Path(args.work or tempfile.mkdtemp(prefix="bench_batch_"))
    sets = {}
    if args.digital:
        sets["born-digital"] = work / "digital"
        if not sets["born-digital"].exists():
            synth(sets["born-digital"], args.digital, "pdf", 101)
    if args.scanned:
        sets["scanned"] = work / "scanned"
        if not sets["scanned"].exists():
            synth(sets["scanned"], args.scanned, "scan", 202)
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}; inputs in {work}")
    print(f"{'inputs':<13} {'jobs':>4} {'reports':>7} {'pages':>5} {'wall s':>7} "
          f"{'reports/min':>11} {'pages/s':>7} {'s/report':>8} {'peak MB/worker':>14}")
    for name, folder in sets.items():
        for jobs in args.jobs:
            m = measure(folder, work / f"out_{name}_{jobs}", jobs)
            print(f"{name:<13} {jobs:>4} {m['reports']:>7} {m['pages']:>5} {m['wall']:>7.1f} "
                  f"{m['per_min']:>11.1f} {m['pps']:>7.2f} {m['sec_per_report']:>8.2f} "
                  f"{m['peak_mb']:>14.0f}", flush=True)


def mixed(args) -> None:
    from reportlab.pdfgen import canvas

    work = Path(args.work or tempfile.mkdtemp(prefix="bench_mixed_"))
    inputs = work / "archive"
    if not inputs.exists():
        synth(inputs / "generated_digital", args.digital, "pdf", 303)
        synth(inputs / "generated_scanned", args.scanned, "scan", 404)
        shutil.copytree(ROOT / "eval" / "dev_set", inputs / "dev_set",
                        ignore=shutil.ignore_patterns("*.json", "*.md"))
        (inputs / "bad").mkdir()
        (inputs / "bad" / "corrupt_random.pdf").write_bytes(os.urandom(4096))
        (inputs / "bad" / "corrupt_truncated.pdf").write_bytes(
            (ROOT / "eval" / "dev_set" / "hongze_2023.pdf").read_bytes()[:6000])
        c = canvas.Canvas(str(inputs / "bad" / "unrelated.pdf"))
        for i in range(25):
            c.drawString(72, 760 - 20 * i, f"Quarterly maintenance log, entry {i}: all clear.")
        c.save()
    out = work / "out"
    t0 = time.monotonic()
    s = run_batch([inputs], out, options=Options(), jobs=args.jobs, progress=True)
    wall = time.monotonic() - t0
    con = duckdb.connect(str(out / "gkreport.duckdb"), read_only=True)
    n_reports = con.execute("SELECT count(*) FROM reports WHERE status <> 'failed'").fetchone()[0]
    by_kind = con.execute("SELECT input_kind, count(*), sum(pages) FROM reports GROUP BY 1 "
                          "ORDER BY 1").fetchall()
    failures = con.execute("SELECT path, reason FROM failures ORDER BY path").fetchall()
    good = [o for o in s.outcomes if o.status in ("ok", "partial")]
    bad_names = {"corrupt_random.pdf", "corrupt_truncated.pdf", "unrelated.pdf"}
    print(f"\n{s.line()}\nwall {wall:.0f} s, {60 * s.extracted / wall:.1f} reports/min")
    print("reports by input kind:", by_kind)
    print("failures:")
    for path, reason in failures:
        print(f"  {reason}")
    failed_names = {Path(p).name for p, _ in failures}
    print(f"good reports in the store: {n_reports} (outcomes ok/partial: {len(good)})")
    print("every bad file in failures:", bad_names <= failed_names)
    print("every failure has a reason:", all(r for _, r in failures))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--digital", type=int, default=10)
    t.add_argument("--scanned", type=int, default=3)
    t.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    t.add_argument("--work", help="folder for inputs and outputs (reused if present)")
    m = sub.add_parser("mixed")
    m.add_argument("--digital", type=int, default=40)
    m.add_argument("--scanned", type=int, default=10)
    m.add_argument("--jobs", type=int, default=2)
    m.add_argument("--work")
    args = ap.parse_args()
    throughput(args) if args.cmd == "throughput" else mixed(args)


if __name__ == "__main__":
    main()
