"""Seconds per report and per page on the born-digital path (dev-set PDF), one core.

Run: make bench   (or: .venv/bin/python benchmarks/bench_pdf_text.py [PDF ...])
Prints the median of several warm runs (the classifier loaded once, as in a batch worker), with
the time split into stages. Target: <= 0.5 s for the 5-page dev-set report on one core.
"""

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract import assemble, checks, meta, pipeline  # noqa: E402
from extract.classifier import load_default  # noqa: E402
from extract.model import Record  # noqa: E402
from extract.options import Options  # noqa: E402


def run_once(path: Path, options: Options) -> dict:
    t = {}
    t0 = time.perf_counter()
    doc = pipeline.ingest(path, options)
    t["ingest"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    rec = Record(report={}, source={"path": str(path), "kind": doc.kind, "pages": doc.pages})
    assemble.assemble(doc, rec, options)
    rec.report = meta.report_metadata(doc, rec)
    checks.check_record(rec, options)
    t["label+numbers+checks"] = time.perf_counter() - t1
    t1, c1 = time.perf_counter(), time.process_time()
    pipeline.extract_file(path, options)
    t["extract_file (all stages)"] = time.perf_counter() - t1
    t["cpu"] = time.process_time() - c1
    t["pages"] = doc.pages
    return t


def main(paths):
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})   # one core
    except (AttributeError, OSError):
        pass
    options = Options(threads=1)
    load_default()
    for path in paths:
        runs = [run_once(path, options) for _ in range(7)]
        pages = runs[0]["pages"]
        print(f"{path.name}: {pages} pages, one core, median of {len(runs)} warm runs")
        for stage in ("ingest", "label+numbers+checks", "extract_file (all stages)"):
            med = statistics.median(r[stage] for r in runs)
            print(f"  {stage:28s} {med:6.3f} s")
        med = statistics.median(r["extract_file (all stages)"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        print(f"  seconds per report: {med:.3f} wall, {cpu:.3f} CPU   seconds per page: "
              f"{med / pages:.3f} wall, {cpu / pages:.3f} CPU   (target <= 0.5 s per report)")
        print(f"  load average while measuring: {os.getloadavg()[0]:.1f} (wall time inflates "
              "when other jobs share the core; CPU time does not)")


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]] or [ROOT / "eval" / "dev_set" / "hongze_2023.pdf"]
    main(args)
