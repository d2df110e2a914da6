"""Paths and truth of the dev-set reports (public documents, copied into eval/dev_set/)."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "eval" / "dev_set"


def load_truth(name: str) -> dict:
    return json.loads((DEV / f"{name}.truth.json").read_text("utf-8"))
