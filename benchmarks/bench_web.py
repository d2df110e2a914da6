"""Field accuracy of the web path on the dev set (HTML and scraped text), from raw counts.

    .venv/bin/python benchmarks/bench_web.py

Prints per file: fields right, wrong, left out with an ``ambiguous`` issue, missing otherwise, and
the seconds taken.
"""

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract.pipeline import extract_file  # noqa: E402

FILES = ["fengze_2023.txt", "hebei_jyt_2019.txt", "hebei_jyt_2021.txt", "pingtan_2019.txt",
         "pingtan_2019.html"]


def main() -> None:
    dev = ROOT / "eval" / "dev_set"
    tot = {"n": 0, "right": 0, "wrong": 0, "ambiguous": 0, "missing": 0}
    for name in FILES:
        truth = json.loads((dev / (name.rsplit(".", 1)[0] + ".truth.json")).read_text("utf-8"))
        t0 = time.perf_counter()
        rec = extract_file(dev / name)
        dt = time.perf_counter() - t0
        amb = {k for i in rec.issues if i.kind == "ambiguous" for k in i.fields}
        f = truth["fields"]
        row = {"n": len(f),
               "right": sum(1 for k, v in f.items() if k in rec.fields and rec.fields[k] == v),
               "wrong": sum(1 for k, v in f.items() if k in rec.fields and rec.fields[k] != v),
               "ambiguous": sum(1 for k in f if k not in rec.fields and k in amb),
               "missing": sum(1 for k in f if k not in rec.fields and k not in amb)}
        for k in tot:
            tot[k] += row[k]
        print(f"{name:22s} right {row['right']:3d}/{row['n']}  wrong {row['wrong']}  "
              f"ambiguous {row['ambiguous']}  missing {row['missing']}  "
              f"({100 * row['right'] / row['n']:.1f}%, {dt:.2f} s)")
    print(f"{'total':22s} right {tot['right']}/{tot['n']}  wrong {tot['wrong']}  "
          f"ambiguous {tot['ambiguous']}  missing {tot['missing']}")


if __name__ == "__main__":
    main()
