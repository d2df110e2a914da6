"""Field accuracy of the scan path on generated scans, per degradation severity.

    .venv/bin/python benchmarks/bench_scan_accuracy.py [--n 5] [--seed 3] [--severities 0,1,2,3,4]
        [--work /tmp/gk_scan_accuracy] [--jobs 2] [--threads 1] [--dpi 150] [--tables-only]
        [--scan-dpi DPI]

For each severity (0 clean export at 200 dpi .. 4 fax-grade, 1-bit at 120 dpi; docs/synth.md)
it generates ``--n`` reports (``gkreport synth --kinds scan --severity S``; seed 3, reports 0-4:
the hybrid and the 2021 template fully ruled, a 2019 report with open sides, blanks printed as
dashes or slashes in two of them; the same reports at every severity),
(``--scan-dpi`` scans every severity at one resolution instead, e.g. 150 for the issue's
150-200 dpi range, which severity 4's own 120 dpi is under), extracts and scores them with
``gkreport eval --run`` (the batch machinery), and prints from each
``summary.json``:

- field accuracy (correct / truth fields) and the wrong, missing and extra fields;
- silent errors: wrong or missing fields that no issue names;
- flag precision: of the fields named by issues, how many were in fact wrong (``flagged wrong``);
  "justified" also counts the fields of a printed arithmetic error (the truth records the figure
  as printed, so an issue there is right to be raised although the field is not wrong).

Generated documents and eval reports stay in ``--work`` (``sevS/`` and ``rep/sevS/``); a second
run reuses the documents (``--fresh`` makes them again). The eval report folders hold the
per-field CSV (``fields.csv``) for looking at the misses.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GK = [sys.executable, "-m", "extract"]


def generate(out: Path, n: int, seed: int, severity: int, fresh: bool,
             scan_dpi: int | None = None) -> None:
    if fresh and out.exists():
        shutil.rmtree(out)
    if out.exists() and len(list(out.glob("*.truth.json"))) >= n:
        return
    dpi = ["--scan-dpi", str(scan_dpi)] if scan_dpi else []
    subprocess.run(GK + ["synth", "--n", str(n), "--seed", str(seed), "--kinds", "scan",
                         "--severity", str(severity), "--out", str(out)] + dpi,
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def evaluate(docs: Path, report: Path, args) -> dict:
    if report.exists():
        shutil.rmtree(report)
    cmd = GK + ["eval", "--truth", str(docs), "--run", str(docs), "--out", str(report),
                "--no-plots", "--jobs", str(args.jobs), "--threads", str(args.threads),
                "--dpi", str(args.dpi)]
    if args.tables_only:
        cmd.append("--tables-only")
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads((report / "summary.json").read_text())


def pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--severities", default="0,1,2,3,4")
    ap.add_argument("--work", default="/tmp/gk_scan_accuracy")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dpi", type=int, default=150)
    ap.add_argument("--tables-only", action="store_true")
    ap.add_argument("--scan-dpi", type=int, default=None,
                    help="scan the generated reports at this resolution instead of each "
                         "severity's own (gkreport synth --scan-dpi)")
    ap.add_argument("--fresh", action="store_true", help="generate the documents again")
    args = ap.parse_args(argv)
    work = Path(args.work)
    severities = [int(s) for s in args.severities.split(",")]

    head = (f"{'sev':>3} {'docs':>4} {'failed':>6} {'fields':>6} {'correct':>7} {'accuracy':>8} "
            f"{'wrong':>5} {'missing':>7} {'extra':>5} {'silent':>6} {'flagged':>7} "
            f"{'flag wrong':>10} {'flag prec.':>10} {'justified':>9} {'s/doc':>6}")
    rows = []
    for sev in severities:
        name = f"sev{sev}" + (f"_{args.scan_dpi}dpi" if args.scan_dpi else "")
        docs = work / name
        t = time.perf_counter()
        generate(docs, args.n, args.seed, sev, args.fresh, args.scan_dpi)
        summary = evaluate(docs, work / "rep" / name, args)
        f, d = summary["overall"], summary["documents"]
        rows.append((sev, f, d))
        print(f"severity {sev}: {time.perf_counter() - t:.0f} s", file=sys.stderr)

    scanned = f"scanned at {args.scan_dpi} dpi" if args.scan_dpi else \
        "scanned at each severity's dpi (200, 200, 150, 150, 120)"
    print(f"generated scans: {args.n} reports per severity, seed {args.seed}, {scanned}, read "
          f"at {args.dpi} dpi{' (tables only)' if args.tables_only else ''}")
    print(head)
    tot: dict[str, int] = {}
    for sev, f, d in rows:
        for k in ("fields", "correct", "wrong", "missing", "extra", "silent_errors",
                  "flagged_fields", "flagged_wrong", "flagged_printed"):
            tot[k] = tot.get(k, 0) + f[k]
        for k in ("documents", "failed"):
            tot[k] = tot.get(k, 0) + d[k]
        print(f"{sev:>3} {d['documents']:>4} {d['failed']:>6} {f['fields']:>6} {f['correct']:>7} "
              f"{pct(f['accuracy']):>8} {f['wrong']:>5} {f['missing']:>7} {f['extra']:>5} "
              f"{f['silent_errors']:>6} {f['flagged_fields']:>7} {f['flagged_wrong']:>10} "
              f"{pct(f['flag_precision']):>10} {pct(f['flag_justified']):>9} "
              f"{d.get('seconds_per_document') or 0:>6.1f}")

    def ratio(a, b):
        return a / b if b else None
    print(f"{'all':>3} {tot['documents']:>4} {tot['failed']:>6} {tot['fields']:>6} "
          f"{tot['correct']:>7} {pct(ratio(tot['correct'], tot['fields'])):>8} {tot['wrong']:>5} "
          f"{tot['missing']:>7} {tot['extra']:>5} {tot['silent_errors']:>6} "
          f"{tot['flagged_fields']:>7} {tot['flagged_wrong']:>10} "
          f"{pct(ratio(tot['flagged_wrong'], tot['flagged_fields'])):>10} "
          f"{pct(ratio(tot['flagged_wrong'] + tot['flagged_printed'], tot['flagged_fields'])):>9}")
    print(f"per-field results: {work / 'rep'}/sevS/fields.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
