"""Injected OCR-style digit errors: how many does the checks stage correct, flag, or miss?

    .venv/bin/python benchmarks/bench_correct.py [--errors 3000] [--seed 7] [--truth DIR ...]

Records are built from truth files (eval/dev_set/*.truth.json, plus any folder of generated
``*.truth.json`` given with --truth) with every field's provenance set to the OCR engine
("rapidocr"), so the corrector runs without OCR. Errors are injected into the recognised cell
strings by an error model of its own (``ErrorModel``, documented in docs/arithmetic.md), which
does NOT use the corrector's digit-confusion table: substitutions are drawn from the pixel overlap
of rendered digit glyphs, and it also makes errors the corrector has no edit for (transposed
digits, two-digit slips, random insertions).

It prints raw counts and the shares derived from them:
- of the injected errors in fields a rule covers: corrected to the truth / flagged without
  correction (named by some issue) / silent (the target is 0 silent);
- wrong corrections (a ``corrected`` issue whose value is not the truth; the target is 0);
- errors in fields no rule covers (section 二): how many the confidence flags catch;
- flag precision: the share of flagged fields that are actually wrong, over all issue kinds and
  over the pin-pointing kinds (corrected, ambiguous, low_confidence);
- printed errors (text-layer provenance): every break reported, no false break, nothing changed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extract import checks, spec  # noqa: E402
from extract.model import Provenance, Record  # noqa: E402
from extract.numbers import format_number, parse_number  # noqa: E402
from extract.options import Options  # noqa: E402

# The read confidence of every value cell of hongze_2023.scan.pdf as gkreport's scan ingester
# reads it (RapidOCR on cell crops; 186 values, all read correctly; measured 2026-11 with
# `gkreport extract eval/dev_set/hongze_2023.scan.pdf`). The error model draws the confidence of
# a correct reading from these, and of a misreading half from these (OCR is often sure when
# wrong) and half from U(0.5, 0.95).
CORRECT_SCORES = (
    0.744, 0.831, 0.851, 0.880, 0.898, 0.927, 0.934, 0.940, 0.943, 0.944, 0.947, 0.948, 0.948,
    0.950, 0.950, 0.950, 0.951, 0.953, 0.954, 0.955, 0.955, 0.957, 0.958, 0.960, 0.960, 0.962,
    0.962, 0.963, 0.963, 0.964, 0.965, 0.966, 0.967, 0.968, 0.968, 0.968, 0.969, 0.969, 0.969,
    0.970, 0.971, 0.971, 0.971, 0.972, 0.972, 0.973, 0.973, 0.973, 0.974, 0.974, 0.974, 0.974,
    0.975, 0.975, 0.975, 0.976, 0.976, 0.976, 0.976, 0.977, 0.977, 0.978, 0.979, 0.979, 0.979,
    0.979, 0.980, 0.980, 0.980, 0.980, 0.980, 0.980, 0.980, 0.980, 0.981, 0.981, 0.981, 0.982,
    0.982, 0.982, 0.982, 0.983, 0.983, 0.983, 0.984, 0.984, 0.984, 0.985, 0.985, 0.986, 0.986,
    0.986, 0.986, 0.986, 0.986, 0.986, 0.986, 0.986, 0.986, 0.986, 0.986, 0.987, 0.987, 0.987,
    0.987, 0.988, 0.988, 0.988, 0.988, 0.988, 0.989, 0.989, 0.989, 0.989, 0.989, 0.989, 0.989,
    0.989, 0.990, 0.990, 0.990, 0.991, 0.991, 0.991, 0.991, 0.991, 0.991, 0.991, 0.991, 0.992,
    0.992, 0.993, 0.993, 0.993, 0.993, 0.993, 0.994, 0.994, 0.994, 0.994, 0.994, 0.994, 0.994,
    0.994, 0.994, 0.995, 0.995, 0.995, 0.995, 0.995, 0.995, 0.995, 0.996, 0.996, 0.996, 0.996,
    0.996, 0.996, 0.997, 0.997, 0.997, 0.997, 0.997, 0.997, 0.998, 0.998, 0.999, 0.999, 1.000,
    1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000,
    1.000, 1.000, 1.000, 1.000,
)
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def glyph_similarity(font_path: str = FONT, size: int = 40) -> dict[str, dict[str, float]]:
    """Pixel IoU of the digits 0-9 rendered in ``font_path``, each cropped to its ink box and
    scaled to the same size: sim[a][b] for a != b. Falls back to a flat table without PIL/font."""
    digits = "0123456789"
    try:
        import numpy as np
        from PIL import Image, ImageDraw, ImageFont
        font = ImageFont.truetype(font_path, size)
    except (ImportError, OSError):
        return {a: {b: 1.0 for b in digits if b != a} for a in digits}
    masks = {}
    for d in digits:
        img = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(img).text((size // 2, size // 4), d, fill=255, font=font)
        box = img.getbbox()
        masks[d] = np.asarray(img.crop(box).resize((20, 32))) > 96
    out = {}
    for a in digits:
        out[a] = {}
        for b in digits:
            if a != b:
                inter = (masks[a] & masks[b]).sum()
                union = (masks[a] | masks[b]).sum()
                out[a][b] = float(inter / union)
    return out


@dataclass
class ErrorModel:
    """OCR-style errors applied to a recognised digit string. Independent of extract.correct."""

    rng: random.Random
    sim: dict = field(default_factory=glyph_similarity)
    sharpness: float = 6.0          # P(b | a) ∝ sim(a, b) ** sharpness
    p_alternative: float = 0.3      # the OCR lists the true reading as an alternative
    p_wrong_alternative: float = 0.15

    def substitute(self, s: str) -> str:
        i = self.rng.randrange(len(s))
        cands = list(self.sim[s[i]].items())
        weights = [w ** self.sharpness for _, w in cands]
        b = self.rng.choices([c for c, _ in cands], weights)[0]
        return s[:i] + b + s[i + 1:]

    def corrupt(self, s: str) -> tuple[str, str]:
        """A misreading of ``s`` (digits, or "" for a blank cell) and the kind of error."""
        r = self.rng
        if s == "":
            return str(r.randrange(10)), "phantom digit"
        kinds = ["substitution"] * 50 + ["deletion"] * 15 + ["insertion"] * 15 + \
            ["lost cell"] * 5 + ["double substitution"] * 5 + ["transposition"] * 10
        kind = r.choice(kinds)
        if kind == "transposition" and len(s) < 2:
            kind = "substitution"
        if kind == "double substitution" and len(s) < 2:
            kind = "insertion"
        if kind == "substitution":
            return self.substitute(s), kind
        if kind == "double substitution":
            return self.substitute(self.substitute(s)), kind
        if kind == "deletion":
            i = r.randrange(len(s))
            return s[:i] + s[i + 1:], kind
        if kind == "insertion":
            i = r.randrange(len(s) + 1)
            d = s[min(i, len(s) - 1)] if r.random() < 0.5 else str(r.randrange(10))
            return s[:i] + d + s[i:], kind
        if kind == "lost cell":
            return "", kind
        i = r.randrange(len(s) - 1)
        return s[:i] + s[i + 1] + s[i] + s[i + 2:], kind

    def score(self, wrong: bool) -> float:
        if wrong and self.rng.random() < 0.5:
            return round(self.rng.uniform(0.5, 0.95), 4)
        return self.rng.choice(CORRECT_SCORES)


def value_of(text: str):
    try:
        return parse_number(text)
    except ValueError:
        return None


def same(a, b) -> bool:
    """Null counts as 0 (as in the rules): an error that only turns 0 into a blank is none."""
    return (a or 0) == (b or 0)


def load_truths(dirs: list[Path]) -> list[dict]:
    out = []
    for d in dirs:
        for p in sorted(d.glob("*.truth.json")):
            t = json.loads(p.read_text("utf-8"))
            t["_name"] = p.name
            out.append(t)
    return out


def synth_truths(n: int, seed: int) -> list[dict]:
    """``n`` generated truths (gkreport synth's figures, in memory: no files are written)."""
    from extract import synth
    out = []
    for i in range(n):
        t = synth.truth_of(synth.make_report(seed, i))
        t["_name"] = f"synth_{seed}_{i:04d}"
        out.append(t)
    return out


def ocr_record(truth: dict, model: ErrorModel, n_errors: int):
    """A record as OCR would give it, with ``n_errors`` injected misreadings; returns
    (record, {key: true value}) for the fields that were misread."""
    fields = dict(truth["fields"])
    prov = {k: Provenance(format_number(v), model.score(False), 0.99, "rapidocr")
            for k, v in fields.items()}
    keys = [k for k, v in fields.items() if v is None or (isinstance(v, int) and v >= 0)]
    errors = {}
    for key in model.rng.sample(keys, min(n_errors, len(keys))):
        true = fields[key]
        for _ in range(20):
            text, kind = model.corrupt(format_number(true))
            v = value_of(text)
            if not same(v, true):
                break
        else:
            continue
        alts = []
        if model.rng.random() < model.p_alternative:
            alts.append([format_number(true), round(model.rng.uniform(0.05, 0.5), 3)])
        if model.rng.random() < model.p_wrong_alternative:
            wrong, _ = model.corrupt(text or "0")
            if wrong != format_number(true):
                alts.append([wrong, round(model.rng.uniform(0.05, 0.5), 3)])
        model.rng.shuffle(alts)
        fields[key] = v
        prov[key] = Provenance(text, model.score(True), 0.99, "rapidocr",
                               extra={"alternatives": alts} if alts else {})
        errors[key] = (true, kind)
    rec = Record(report=dict(truth["report"]), source={"kind": "pdf-scan"}, fields=fields,
                 provenance=prov)
    return rec, errors


def covered_keys(fields) -> set[str]:
    return {f for r in spec.rules_for(fields) for f in r.fields}


@dataclass
class Tally:
    errors: int = 0
    corrected: int = 0
    flagged: int = 0
    silent: int = 0
    wrong_corrections: int = 0
    ambiguous_issues: int = 0
    s2_errors: int = 0
    s2_flagged: int = 0
    flagged_fields: int = 0
    flagged_wrong: int = 0
    pinpointed_fields: int = 0
    pinpointed_wrong: int = 0
    records: int = 0
    seconds: float = 0.0
    max_seconds: float = 0.0
    by_kind: dict = field(default_factory=dict)
    silent_examples: list = field(default_factory=list)
    wrong_examples: list = field(default_factory=list)

    def kind(self, kind, outcome):
        self.by_kind.setdefault(kind, {"corrected": 0, "flagged": 0, "silent": 0})
        self.by_kind[kind][outcome] += 1


def run_injected(truths, n_errors: int, seed: int, alternatives: bool = True) -> Tally:
    rng = random.Random(seed)
    model = ErrorModel(rng)
    if not alternatives:
        model.p_alternative = model.p_wrong_alternative = 0.0
    t = Tally()
    options = Options()
    while t.errors + t.s2_errors < n_errors:
        truth = rng.choice(truths)
        k = rng.choices([1, 2, 3], [70, 20, 10])[0]
        rec, errors = ocr_record(truth, model, k)
        t.records += 1
        t0 = time.perf_counter()
        checks.check_record(rec, options)
        dt = time.perf_counter() - t0
        t.seconds += dt
        t.max_seconds = max(t.max_seconds, dt)
        truth_fields = truth["fields"]
        named: set[str] = set()
        pinpointed: set[str] = set()
        corrected = {}
        for i in rec.issues:
            named.update(i.fields)
            if i.kind in ("corrected", "ambiguous", "low_confidence"):
                pinpointed.update(i.fields)
            if i.kind == "corrected":
                corrected[i.fields[0]] = i.after
                if not same(i.after, truth_fields.get(i.fields[0])):
                    t.wrong_corrections += 1
                    if len(t.wrong_examples) < 10:
                        t.wrong_examples.append((truth["_name"], i.fields[0], i.before, i.after,
                                                 truth_fields.get(i.fields[0]), i.message))
            if i.kind == "ambiguous":
                t.ambiguous_issues += 1
        covered = covered_keys(rec.fields)
        for key, (true, kind) in errors.items():
            if key not in covered:
                t.s2_errors += 1
                t.s2_flagged += key in named
                continue
            t.errors += 1
            if key in corrected and same(corrected[key], true):
                t.corrected += 1
                t.kind(kind, "corrected")
            elif key in named:
                t.flagged += 1
                t.kind(kind, "flagged")
            else:
                t.silent += 1
                t.kind(kind, "silent")
                if len(t.silent_examples) < 10:
                    t.silent_examples.append((truth["_name"], key, true, rec.fields[key], kind))
        wrong_now = {k for k in rec.fields if not same(rec.fields[k], truth_fields.get(k))}
        t.flagged_fields += len(named)
        t.flagged_wrong += len(named & (wrong_now | set(errors)))
        t.pinpointed_fields += len(pinpointed)
        t.pinpointed_wrong += len(pinpointed & (wrong_now | set(errors)))
    return t


def run_printed(truths, n: int, seed: int) -> dict:
    """Printed errors in born-digital records: every break reported, none invented, no change."""
    rng = random.Random(seed)
    out = {"records": 0, "breaks": 0, "reported": 0, "false_breaks": 0, "changed_values": 0}
    for _ in range(n):
        truth = rng.choice(truths)
        fields = dict(truth["fields"])
        keys = [k for k in covered_keys(fields)]
        for key in rng.sample(keys, rng.choice([1, 1, 2])):
            fields[key] = (fields[key] or 0) + rng.choice([-3, -1, 1, 2, 10])
            if fields[key] < 0:
                fields[key] = 0
        printed = dict(fields)
        prov = {k: Provenance(format_number(v), 1.0, 0.99, "text-layer") for k, v in fields.items()}
        rec = Record(report=dict(truth["report"]), source={}, fields=fields, provenance=prov)
        checks.check_record(rec, Options())
        expected = set(spec.broken_rules(printed))
        got = checks.arithmetic_rule_ids(rec.issues)
        out["records"] += 1
        out["breaks"] += len(expected)
        out["reported"] += len(expected & got)
        out["false_breaks"] += len(got - expected)
        out["changed_values"] += sum(1 for k in printed if rec.fields[k] != printed[k])
    return out


def pct(a, b) -> str:
    return f"{100 * a / b:.1f}%" if b else "n/a"


def report(name: str, t: Tally) -> None:
    print(f"\n== {name}: {t.errors + t.s2_errors} injected errors in {t.records} records")
    print(f"rule-covered errors: {t.errors}")
    print(f"  corrected to the truth : {t.corrected:5d}  {pct(t.corrected, t.errors)}")
    print(f"  flagged, not corrected : {t.flagged:5d}  {pct(t.flagged, t.errors)}")
    print(f"  silent                 : {t.silent:5d}  {pct(t.silent, t.errors)}")
    print(f"wrong corrections        : {t.wrong_corrections}")
    print(f"ambiguous issues         : {t.ambiguous_issues}")
    print(f"section 二 errors (no rule): {t.s2_errors}; caught by confidence flags: "
          f"{t.s2_flagged} ({pct(t.s2_flagged, t.s2_errors)})")
    print(f"flag precision, all issue kinds: {t.flagged_wrong}/{t.flagged_fields} flagged fields "
          f"wrong ({pct(t.flagged_wrong, t.flagged_fields)})")
    print(f"flag precision, corrected/ambiguous/low_confidence: {t.pinpointed_wrong}/"
          f"{t.pinpointed_fields} ({pct(t.pinpointed_wrong, t.pinpointed_fields)})")
    print(f"checks stage time: mean {1000 * t.seconds / max(t.records, 1):.1f} ms, "
          f"max {1000 * t.max_seconds:.1f} ms per record")
    print("by error kind (corrected / flagged / silent):")
    for kind, c in sorted(t.by_kind.items()):
        print(f"  {kind:20s} {c['corrected']:5d} {c['flagged']:5d} {c['silent']:5d}")
    for e in t.silent_examples:
        print("  silent:", e)
    for e in t.wrong_examples:
        print("  WRONG:", e)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--errors", type=int, default=3000, help="injected errors per run")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--truth", type=Path, action="append", default=[],
                    help="extra folder of *.truth.json")
    ap.add_argument("--synth", type=int, default=300,
                    help="also use this many generated truths (gkreport synth figures, seed 1)")
    args = ap.parse_args(argv)
    dev = load_truths([ROOT / "eval" / "dev_set"] + args.truth)
    gen = synth_truths(args.synth, 1) if args.synth else []
    truths = dev + gen
    print(f"truths: {len(dev)} dev-set/extra, {len(gen)} generated "
          f"({sum(1 for t in gen if t.get('checks'))} with printed breaks)")
    report("OCR alternatives on", run_injected(truths, args.errors, args.seed, True))
    report("no OCR alternatives", run_injected(truths, args.errors, args.seed + 1, False))
    p = run_printed(truths, 500, args.seed)
    print(f"\n== printed errors, text-layer provenance: {p['records']} records, "
          f"{p['breaks']} breaks, {p['reported']} reported, {p['false_breaks']} false breaks, "
          f"{p['changed_values']} values changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
