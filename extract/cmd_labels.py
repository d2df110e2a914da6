"""`gkreport labels`: classify label strings from stdin, one per line.

Prints ``key<TAB>probability<TAB>runner-up`` per line; ``none`` for text that is no label and
``unknown`` below the classifier's threshold.
"""

from __future__ import annotations

import sys


def add_arguments(p):
    p.add_argument("--section", choices=["二", "三", "四"], help="the report section the labels "
                   "come from (narrows the possible keys)")
    p.add_argument("--kind", choices=["row", "column"], help="row labels or column headers")
    p.add_argument("--context", default="", help="the group label printed beside or above "
                   "(e.g. （三）不予公开)")
    p.add_argument("--model", help="model folder (default: the shipped model)")


def run(args) -> int:
    from .classifier import LabelInput, load_default

    model = load_default(args.model)
    lines = [ln.rstrip("\n").replace("\\n", "\n") for ln in sys.stdin]
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        return 0
    preds = model.predict([LabelInput(t, args.context, args.section, args.kind) for t in lines])
    for p in preds:
        print(f"{p.key}\t{p.prob:.4f}\t{p.runner_up}")
    return 0
