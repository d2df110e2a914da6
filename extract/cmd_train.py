"""`gkreport train`: rebuild the label classifier from training_data/ into models/."""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import OptionsError


def add_arguments(p):
    p.add_argument("--data", default="training_data", help="training data folder "
                   "(default: training_data)")
    p.add_argument("--out", default="models", help="where the model and its card go "
                   "(default: models)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated variants")
    p.add_argument("--write-dev-labels", metavar="DEV_DIR", help="instead of training: write "
                   "the labels the extractors see in the dev-set reports of DEV_DIR, with the "
                   "shipped model's answers, to DATA/dev_labels.tsv for a person to check "
                   "(git diff) before committing")


def run(args) -> int:
    from .train import train

    data = Path(args.data)
    if not data.is_dir():
        raise OptionsError(f"{data}: no such training data folder (run from the project "
                           "folder, or pass --data)")
    if args.write_dev_labels:
        from . import labeldata
        from .classifier import load_default
        from .train import collect_dev_labels

        rows = collect_dev_labels(Path(args.write_dev_labels), load_default())
        # below the threshold means no label: the prose lines a table finder takes in
        rows = [(x, "none" if k == "unknown" else k) for x, k in rows]
        labeldata.write_tsv(data / "dev_labels.tsv", rows)
        print(f"wrote {len(rows)} labels to {data / 'dev_labels.tsv'}; check them before "
              "committing", file=sys.stderr)
        return 0
    train(data, Path(args.out), seed=args.seed, log=lambda m: print(m, file=sys.stderr))
    return 0
