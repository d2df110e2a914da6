"""Run `gkreport extract` (the library) on generated reports and compare with their truth.

    .venv/bin/python benchmarks/synth_vs_extract.py [--n 30] [--seed 1] [--kinds pdf,html,text]

Prints, per document kind, the share of truth fields extracted exactly, the reports that fail, and
which layout options the misses go with: a finding for the extractor when the generated document
is realistic.
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
from extract.synth_write import write_reports  # noqa: E402

SUFFIX = {"pdf": ".pdf", "scan": ".scan.pdf", "html": ".html", "text": ".txt"}
OPTIONS = ("ruling", "results_label", "group_style", "repeat_header", "numbering", "paren",
           "typos", "thousands", "decimals_fixed", "text_style", "html_style", "note_cell")


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < 1e-6


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kinds", default="pdf,html,text")
    ap.add_argument("--show", type=int, default=4, help="differing fields shown per report")
    args = ap.parse_args()
    kinds = args.kinds.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_reports(out, args.n, args.seed, kinds)
        for kind in kinds:
            ok = total = 0
            per_option = defaultdict(Counter)
            failed = []
            t0 = time.perf_counter()
            for truth_path in sorted(out.glob("*.truth.json")):
                truth = json.loads(truth_path.read_text("utf-8"))
                name = truth_path.name[:-len(".truth.json")]
                doc = out / (name + SUFFIX[kind])
                layout = truth["synth"]["layout"]
                try:
                    rec = extract_file(doc).to_dict()
                    got = rec.get("fields", {})
                except GkError as e:
                    got, rec = {}, {"status": f"error: {e}"}
                tf = truth["fields"]
                good = sum(1 for k, v in tf.items() if k in got and same(got[k], v))
                ok += good
                total += len(tf)
                exact = good == len(tf)
                for o in OPTIONS:
                    per_option[f"{o}={layout[o]}"][exact] += 1
                if not exact:
                    diffs = [(k, tf[k], got.get(k, "absent")) for k in tf
                             if not (k in got and same(got[k], tf[k]))]
                    failed.append((name, truth["synth"]["variant"], good, len(tf),
                                   rec.get("status"), diffs[:args.show]))
            dt = time.perf_counter() - t0
            print(f"\n== {kind}: {ok}/{total} fields exact ({100 * ok / max(total, 1):.1f}%), "
                  f"{args.n - len(failed)}/{args.n} reports fully right, {dt / args.n:.2f} s/report")
            for name, variant, good, n, status, diffs in failed:
                print(f"  {name} [{variant}] {good}/{n} {status}: {diffs}")
            bad = {k: c for k, c in per_option.items() if c[False]}
            if bad:
                print("  misses by layout option (reports not fully right / all with it):")
                for k in sorted(bad, key=lambda k: -bad[k][False] / sum(bad[k].values())):
                    c = bad[k]
                    print(f"    {k}: {c[False]}/{c[False] + c[True]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
