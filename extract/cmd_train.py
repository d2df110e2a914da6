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


def run(args) -> int:
    from .train import train

    data = Path(args.data)
    if not data.is_dir():
        raise OptionsError(f"{data}: no such training data folder (run from the project "
                           "folder, or pass --data)")
    train(data, Path(args.out), seed=args.seed, log=lambda m: print(m, file=sys.stderr))
    return 0
