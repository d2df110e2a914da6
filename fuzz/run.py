"""Long fuzz runs: ``make fuzz`` (every target, 10,000 inputs each) or

    python fuzz/run.py TARGET|all [--n 10000] [--seed 1] [--time-bound 10] [--memory-mb 1536]
                       [--findings fuzz/findings] [--json fuzz/results.json]

Each target runs in a child process that works through inputs ``0 .. n-1`` (fuzz/mutate.py
makes input ``i`` from the run seed alone). The parent watches it:

- an input that runs past ``--time-bound`` seconds is a **timeout**: the child is killed, the
  input saved, and a new child goes on with the next input;
- the child's memory high-water mark (``VmHWM``, kept by the kernel, so a spike between two
  samples still counts) past ``--memory-mb`` is a **memory** finding: the child checks it after
  every input (and the parent kills it at twice the bound, protecting the machine);
- an exception other than a documented ``GkError`` escaping the target is a **crash**;
- a ``GkError`` translated from an exception raised in our own code is reported as **masked**
  (not counted as a crash; see fuzz/targets.py).

Every finding's input is saved under ``--findings`` as ``TARGET-KIND-INDEX.bin`` with its
traceback beside it (``.txt``). The summary gives, per target: inputs, verdict counts, crashes,
timeouts, memory findings, masked bugs, seconds per input (mean, max) and peak memory. Exit 1 if
any target has a crash, a timeout or a memory finding.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from extract.limits import proc_memory_mb  # noqa: E402


def _hwm_mb(pid: int | str = "self") -> float:
    return proc_memory_mb(pid, "VmHWM") or 0.0


def _rss_mb(pid: int) -> float:
    return proc_memory_mb(pid, "VmRSS") or 0.0


def _child(name: str, start: int, n: int, seed: int, memory_mb: float, conn) -> None:
    """Work through inputs start..n-1; report each one's start and verdict to the parent."""
    import logging
    import warnings

    warnings.simplefilter("ignore")          # PIL and pdfium warn about every broken file
    logging.disable(logging.CRITICAL)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import targets as T
    from mutate import input_for

    target = T.TARGETS[name]
    seeds = target.seeds()
    with tempfile.TemporaryDirectory(prefix=f"gk-fuzz-{name}-") as tmp:
        tmp = Path(tmp)
        # warm up the imports and caches on the first seed, outside the clock
        T.run_one(target, seeds[0], tmp)
        conn.send(("ready", _hwm_mb()))
        for i in range(start, n):
            data = input_for(seeds, target.tokens, seed, i, name)
            conn.send(("start", i))
            t0 = time.perf_counter()
            verdict, details = T.run_one(target, data, tmp)
            dt = time.perf_counter() - t0
            hwm = _hwm_mb()
            conn.send(("done", i, verdict, details, dt, hwm))
            if hwm > memory_mb:
                return            # a fresh child starts with a fresh high-water mark


def _save(findings: Path, name: str, kind: str, i: int, seed: int, text: str) -> Path:
    import targets as T
    from mutate import input_for

    findings.mkdir(parents=True, exist_ok=True)
    target = T.TARGETS[name]
    data = input_for(target.seeds(), target.tokens, seed, i, name)
    p = findings / f"{name}-{kind}-{i}.bin"
    p.write_bytes(data)
    p.with_suffix(".txt").write_text(f"target {name}, input {i} of run seed {seed}\n{text}\n",
                                     encoding="utf-8", errors="replace")
    return p


def run_target(name: str, n: int, seed: int, time_bound: float, memory_mb: float,
               findings: Path, progress_every: float = 30.0) -> dict:
    ctx = mp.get_context("spawn")
    stats = {"target": name, "inputs": 0, "verdicts": {}, "crashes": [], "timeouts": [],
             "memory": [], "masked": [], "seconds_total": 0.0, "seconds_max": 0.0,
             "slowest_input": None, "peak_mb": 0.0, "seed": seed, "time_bound_s": time_bound,
             "memory_bound_mb": memory_mb}
    masked_seen: set[str] = set()
    nxt = 0
    t_start = time.monotonic()
    last_print = t_start
    while nxt < n:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_child, args=(name, nxt, n, seed, memory_mb, child), daemon=True)
        proc.start()
        child.close()
        current, started = None, None
        ready_deadline = time.monotonic() + 300
        while True:
            if parent.poll(0.2):
                try:
                    msg = parent.recv()
                except (EOFError, OSError):
                    break          # the child ended (its last input, or a crash: see below)
                if msg[0] == "ready":
                    stats["peak_mb"] = max(stats["peak_mb"], msg[1])
                    continue
                elif msg[0] == "start":
                    current, started = msg[1], time.monotonic()
                    continue
                else:
                    _, i, verdict, details, dt, hwm = msg
                    stats["inputs"] += 1
                    stats["verdicts"][verdict] = stats["verdicts"].get(verdict, 0) + 1
                    stats["seconds_total"] += dt
                    if dt > stats["seconds_max"]:
                        stats["seconds_max"], stats["slowest_input"] = dt, i
                    stats["peak_mb"] = max(stats["peak_mb"], hwm)
                    if verdict == "crash":
                        p = _save(findings, name, "crash", i, seed, details)
                        stats["crashes"].append({"input": i, "file": str(p),
                                                 "error": details.strip().splitlines()[-1]})
                    elif details:
                        # one finding per distinct place in our code, not per input
                        where = [ln for ln in details.splitlines() if "/extract/" in ln][-1:]
                        key = (where[0].strip() if where else "") + details.strip().splitlines()[-1]
                        if key not in masked_seen:
                            masked_seen.add(key)
                            p = _save(findings, name, "masked", i, seed, details)
                            stats["masked"].append({"input": i, "file": str(p), "error": key})
                    if dt > time_bound:
                        p = _save(findings, name, "slow", i, seed, f"took {dt:.1f} s")
                        stats["timeouts"].append({"input": i, "seconds": round(dt, 2),
                                                  "file": str(p)})
                    if hwm > memory_mb:
                        p = _save(findings, name, "memory", i, seed, f"VmHWM {hwm:.0f} MB")
                        stats["memory"].append({"input": i, "mb": round(hwm), "file": str(p)})
                    nxt = i + 1
                    current = None
                    now = time.monotonic()
                    if now - last_print >= progress_every:
                        last_print = now
                        print(f"  {name}: {stats['inputs']}/{n} inputs, "
                              f"{len(stats['crashes'])} crashes, {len(stats['timeouts'])} "
                              f"timeouts, {len(stats['memory'])} memory, "
                              f"{len(stats['masked'])} masked", file=sys.stderr, flush=True)
                    continue
            if not proc.is_alive() and not parent.poll(0):
                break
            now = time.monotonic()
            if current is not None and now - started > time_bound:
                proc.kill()
                proc.join(5)
                p = _save(findings, name, "timeout", current, seed,
                          f"still running after {time_bound:g} s")
                stats["timeouts"].append({"input": current, "seconds": f">{time_bound:g}",
                                          "file": str(p)})
                stats["inputs"] += 1
                stats["verdicts"]["timeout"] = stats["verdicts"].get("timeout", 0) + 1
                nxt = current + 1
                break
            if current is None and now > ready_deadline:
                proc.kill()
                raise RuntimeError(f"fuzz target {name}: the child did not start")
            if current is not None and _rss_mb(proc.pid) > 2 * memory_mb:
                proc.kill()
                proc.join(5)
                p = _save(findings, name, "memory", current, seed, f"RSS over {2 * memory_mb} MB")
                stats["memory"].append({"input": current, "mb": f">{2 * memory_mb:g}",
                                        "file": str(p)})
                stats["inputs"] += 1
                nxt = current + 1
                break
        proc.join(5)
        parent.close()
        if proc.exitcode not in (0, None, -signal.SIGKILL) and current is not None:
            # the child died inside an input (a segfault in a native library)
            p = _save(findings, name, "died", current, seed, f"exit code {proc.exitcode}")
            stats["crashes"].append({"input": current, "file": str(p),
                                     "error": f"the process died (exit code {proc.exitcode})"})
            stats["inputs"] += 1
            nxt = current + 1
    stats["wall_s"] = round(time.monotonic() - t_start, 1)
    stats["seconds_mean"] = round(stats["seconds_total"] / max(1, stats["inputs"]), 4)
    stats["seconds_max"] = round(stats["seconds_max"], 3)
    stats["peak_mb"] = round(stats["peak_mb"])
    return stats


def summary_line(s: dict) -> str:
    v = ", ".join(f"{k} {c}" for k, c in sorted(s["verdicts"].items(), key=lambda x: -x[1]))
    return (f"{s['target']}: {s['inputs']} inputs in {s['wall_s']} s; {len(s['crashes'])} "
            f"crashes, {len(s['timeouts'])} over {s['time_bound_s']:g} s, {len(s['memory'])} over "
            f"{s['memory_bound_mb']:g} MB, {len(s['masked'])} masked own errors; "
            f"{s['seconds_mean'] * 1000:.0f} ms/input mean, {s['seconds_max']:.2f} s max "
            f"(input {s['slowest_input']}); peak {s['peak_mb']} MB; verdicts: {v}")


def main(argv=None) -> int:
    import targets as T

    ap = argparse.ArgumentParser(description="long fuzz runs (see the module docstring)")
    ap.add_argument("target", choices=list(T.TARGETS) + ["all"])
    ap.add_argument("--n", type=int, default=10_000, help="inputs per target (10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-bound", type=float, default=10.0, help="seconds per input (10)")
    ap.add_argument("--memory-mb", type=float, default=1536.0, help="memory high-water mark "
                    "of the fuzzing process (1536)")
    ap.add_argument("--findings", default=str(HERE / "findings"))
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args(argv)
    names = list(T.TARGETS) if a.target == "all" else [a.target]
    results = []
    for name in names:
        print(f"fuzz {name}: {a.n} inputs, seed {a.seed}", file=sys.stderr, flush=True)
        s = run_target(name, a.n, a.seed, a.time_bound, a.memory_mb, Path(a.findings))
        results.append(s)
        print(summary_line(s), flush=True)
        for kind in ("crashes", "timeouts", "memory", "masked"):
            for f in s[kind][:10]:
                print(f"    {kind[:-1] if kind.endswith('es') else kind}: {f}", flush=True)
    if a.json:   # figures of earlier runs of other targets are kept
        jp = Path(a.json)
        old = json.loads(jp.read_text()) if jp.exists() else []
        runs = {s["target"]: s for s in old} | {s["target"]: s for s in results}
        jp.write_text(json.dumps([runs[k] for k in sorted(runs)], indent=1, default=str) + "\n")
    bad = sum(len(s["crashes"]) + len(s["timeouts"]) + len(s["memory"]) for s in results)
    print(f"fuzz: {'0 crashes' if not bad else f'{bad} findings'} over "
          f"{sum(s['inputs'] for s in results)} inputs", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
