"""Speed of the synthetic report generator, one core.

    .venv/bin/python benchmarks/bench_synth.py [--n 40] [--scan-n 4]

Prints reports per second for: the figures and truth alone, born-digital PDF (truth + PDF, the
target is >= 5/s), HTML + text, and scans (rasterise + degrade + image-only PDF), with the mean
page count and document sizes. Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extract.synth import make_report  # noqa: E402
from extract.synth_write import report_files, truth_json  # noqa: E402


def rate(label: str, n: int, fn) -> None:
    t0 = time.perf_counter()
    sizes = [fn(i) for i in range(n)]
    dt = time.perf_counter() - t0
    extra = f", mean {sum(sizes) / n / 1024:.0f} KiB" if sizes and sizes[0] else ""
    print(f"{label:<34} {n / dt:7.1f} reports/s  ({dt / n * 1000:6.1f} ms each{extra})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--scan-n", type=int, default=4)
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})   # one core
    except (AttributeError, OSError):
        pass
    report_files(make_report(args.seed, 10_000), ["pdf"])    # font registration, imports
    rate("figures + truth", args.n,
         lambda i: len(truth_json(make_report(args.seed, i))))
    rate("born-digital PDF (truth + pdf)", args.n,
         lambda i: len(report_files(make_report(args.seed, i), ["pdf"])
                       [f"synth_{args.seed}_{i:04d}.pdf"]))
    rate("html + text", args.n,
         lambda i: sum(map(len, report_files(make_report(args.seed, i),
                                             ["html", "text"]).values())))
    for sev in (2, 4):
        rate(f"scan PDF, severity {sev}", args.scan_n,
             lambda i: len(report_files(make_report(args.seed, i, severity=sev), ["scan"])
                           [f"synth_{args.seed}_{i:04d}.scan.pdf"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
