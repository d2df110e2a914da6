"""The nasty corpus through `gkreport batch --jobs 2`: every input's outcome, and peak memory.

    python benchmarks/nasty_batch.py [--corpus DIR] [--out DIR] [--big] [--jobs 2]
                                     [--max-memory MB] [--bound-mb 2048]

Builds the corpus (tests/nasty/make_corpus.py; ``--big`` adds the 200 MB text file) unless
``--corpus`` holds one, runs the real command line in a subprocess, and samples every process of
the run (the batch and its workers) every 50 ms for ``VmHWM``, the kernel's own high-water mark
of resident memory (so a spike between two samples still counts). Then it checks, from the store
and the record files:

- every input path ends as a report, a failure whose reason names the file, or a skip with a
  reason; no failure is an internal error or a worker that died;
- every record file is valid UTF-8 JSON, lies in OUTDIR/records and is named by its sha256;
- no worker's peak passes ``--bound-mb``.

It prints one line per input and the figures, and exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extract.limits import proc_memory_mb  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "nasty"))


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def vm_hwm_mb(pid: int) -> float | None:
    return proc_memory_mb(pid, "VmHWM")


def run(cmd: list[str]) -> tuple[int, float, dict[int, float], str]:
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, errors="replace")
    peaks: dict[int, float] = {}
    while proc.poll() is None:
        for pid in [proc.pid] + descendants(proc.pid):
            m = vm_hwm_mb(pid)
            if m is not None:
                peaks[pid] = max(peaks.get(pid, 0.0), m)
        time.sleep(0.05)
    err = proc.stderr.read()
    return proc.returncode, time.monotonic() - t0, peaks, err


def check(outdir: Path, corpus: Path) -> tuple[list[str], list[str]]:
    import duckdb

    lines, problems = [], []
    con = duckdb.connect(str(outdir / "gkreport.duckdb"), read_only=True)
    rows = con.execute("""
        SELECT s.path, r.status, f.error, f.reason
        FROM sources s LEFT JOIN reports r USING (sha256)
        LEFT JOIN failures f ON (f.sha256 = s.sha256 OR (f.sha256 IS NULL AND f.path = s.path))
        UNION ALL
        SELECT f.path, NULL, f.error, f.reason FROM failures f
        WHERE f.sha256 IS NULL AND f.path NOT IN (SELECT path FROM sources)
        UNION ALL
        SELECT path, 'skipped', NULL, reason FROM skipped
        ORDER BY 1""").fetchall()
    for path, status, error, reason in rows:
        shown = path.replace(str(corpus) + "/", "").replace("\n", "\\n")
        if status == "skipped":
            lines.append(f"  skipped  {shown}: {reason}")
            continue
        if status in ("ok", "partial"):
            lines.append(f"  {status:7}  {shown}")
            continue
        if error is None:
            problems.append(f"{shown}: neither a report nor a failure")
            continue
        if not reason or path not in reason:
            problems.append(f"{shown}: the failure's reason does not name the file: {reason!r}")
        if error in ("WorkerDied",) or "internal error" in (reason or ""):
            problems.append(f"{shown}: {error}: {reason}")
        lines.append(f"  failed   {shown}: {error}: {(reason or '')[len(path) + 2:][:150]}")
    for f in (outdir / "records").glob("*.json"):
        try:
            rec = json.loads(f.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            problems.append(f"{f}: not valid UTF-8 JSON: {e}")
            continue
        if rec["source"]["sha256"] != f.stem or ".." in f.name:
            problems.append(f"{f}: not named by its sha256")
    escaped = [p for p in outdir.rglob("*") if not p.resolve().is_relative_to(outdir.resolve())]
    problems += [f"{p}: outside OUTDIR" for p in escaped]
    n_sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
    n_fail = con.execute("SELECT count(*) FROM failures").fetchone()[0]
    n_rep = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    n_skip = con.execute("SELECT count(*) FROM skipped").fetchone()[0]
    lines.append(f"{n_sources} source paths, {n_rep} reports, {n_fail} failures, {n_skip} skipped")
    return lines, problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", help="corpus folder (built here when missing)")
    ap.add_argument("--out", help="batch output folder (default: a temporary one)")
    ap.add_argument("--big", action="store_true", help="include the 200 MB text file")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-memory", type=int, help="--max-memory passed to the batch")
    ap.add_argument("--bound-mb", type=float, default=2048.0, help="worker peak that fails the "
                    "check (2048)")
    a = ap.parse_args(argv)
    from make_corpus import build

    tmp = Path(tempfile.mkdtemp(prefix="gk-nasty-"))
    try:
        corpus = Path(a.corpus) if a.corpus else tmp / "corpus"
        t = time.monotonic()
        build(corpus, big=a.big)
        print(f"corpus: {corpus} (built in {time.monotonic() - t:.1f} s)")
        out = Path(a.out) if a.out else tmp / "out"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [str(ROOT / ".venv" / "bin" / "gkreport"), "batch", str(corpus), "-o", str(out),
               "--jobs", str(a.jobs), "--no-progress"]
        if a.max_memory:
            cmd += ["--max-memory", str(a.max_memory)]
        code, wall, peaks, err = run(cmd)
        print(" ".join(cmd[1:]))
        print(err.strip().splitlines()[0] if err.strip() else "(no output)")
        if code not in (0, 1):
            print(err)
            print(f"FAIL: gkreport batch exited with {code}")
            return 1
        lines, problems = check(out, corpus)
        print("\n".join(lines))
        parent = peaks.pop(min(peaks), 0.0) if peaks else 0.0
        workers = sorted(peaks.values(), reverse=True)
        print(f"wall {wall:.1f} s; peak resident memory (VmHWM): batch process {parent:.0f} MB, "
              f"workers {', '.join(f'{w:.0f}' for w in workers)} MB "
              f"({len(workers)} worker processes over the run)")
        over = [w for w in workers if w > a.bound_mb]
        if over:
            problems.append(f"{len(over)} worker(s) peaked over {a.bound_mb:.0f} MB: {over}")
        for p in problems:
            print("FAIL:", p)
        print("OK" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
