"""Kill `gkreport batch` with SIGKILL at random moments, again and again, then let it finish and
check that every report is present exactly once (the test suite does this once; this does it
many times, at moments spread over start-up, extraction and store writes).

    .venv/bin/python benchmarks/stress_kill.py [--kills 10] [--reports 10] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
HONGZE = ROOT / "eval" / "dev_set" / "hongze_2023.pdf"
FENGZE = ROOT / "eval" / "dev_set" / "fengze_2023.txt"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--reports", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-delay", type=float, default=20.0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="stress_kill_"))
    inputs = work / "in"
    inputs.mkdir()
    n = args.reports
    for i in range(n - 1):
        (inputs / f"r{i:03d}.pdf").write_bytes(HONGZE.read_bytes() + f"\n% {i}\n".encode())
    (inputs / "fengze.txt").write_bytes(FENGZE.read_bytes())
    (inputs / "copy.pdf").write_bytes((inputs / "r000.pdf").read_bytes())
    (inputs / "broken.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(1000))
    out = work / "out"
    cmd = [sys.executable, "-m", "extract", "batch", str(inputs), "-o", str(out), "--jobs", "2",
           "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for k in range(args.kills):
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        delay = rng.uniform(0.2, args.max_delay)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        done = len(list((out / "records").glob("*.json"))) if (out / "records").exists() else 0
        print(f"kill {k + 1}: after {delay:.1f} s{' (had finished)' if finished else ''}; "
              f"{done} record files", flush=True)
        if finished:
            break
    final = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    print(final.stderr.strip().splitlines()[-1] if final.stderr.strip() else final.returncode)
    con = duckdb.connect(str(out / "gkreport.duckdb"), read_only=True)
    reports, distinct = con.execute("SELECT count(*), count(DISTINCT sha256) FROM reports")\
        .fetchone()
    fields = con.execute("SELECT count(*) FROM fields").fetchone()[0]
    dup_fields = con.execute("SELECT count(*) FROM (SELECT sha256, key FROM fields GROUP BY ALL "
                             "HAVING count(*) > 1)").fetchone()[0]
    failures = con.execute("SELECT count(*) FROM failures").fetchone()[0]
    expected_fields = sum(len(json.loads((out / rp).read_text())["fields"])
                          for rp, in con.execute("SELECT record_path FROM reports").fetchall())
    files = len(list((out / "records").glob("*.json")))
    leftovers = list((out / "records").glob(".*")) + list(out.glob(".staging"))
    ok = (reports == distinct == n == files and fields == expected_fields and not dup_fields
          and failures == 1 and not leftovers)
    print(f"reports {reports} (distinct {distinct}, expected {n}), record files {files}, "
          f"fields {fields} (expected {expected_fields}, duplicated {dup_fields}), failures "
          f"{failures}, leftovers {len(leftovers)} -> {'OK' if ok else 'BROKEN'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
