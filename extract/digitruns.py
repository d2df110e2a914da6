"""Glued digit runs ("规范性文件898989", "230 000023") split into cells by the template's arithmetic.

Some scraped pages lose every separator between a table row's cells. The only generic way back is
the template's own arithmetic: enumerate every way to cut each run into the row's number of cells
(no leading zeros, white space is always a cut, decimals only where the column allows them), then
keep the combinations of all rows at once that satisfy the rules of ``extract.spec.rules_for``
(row totals and column identities). A row left with exactly one split takes it; a row with several
leaves its disputed cells *ambiguous*: they are never read as blank and never guessed.

Pure functions, no I/O:

    run_to_chunks -> chunk_splits -> run_candidates      (one run, one row)
    solve_rows                                           (all rows of a table, with the rules)

The record side (``finish_record``) is called by ``extract.assemble`` after the fields are built:
it removes the fields read from ambiguous cells, adds one ``ambiguous`` issue per run naming them
and listing the candidate splits, and adds the raw run and the chosen split to the provenance of
the fields read from a resolved run.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from . import numbers, spec
from .model import Document, Issue, Record

# Limits of the search: candidates per run, and combinations tried across a table.
MAX_CANDIDATES = 20000
MAX_COMBINATIONS = 2_000_000

_CELL_RE = re.compile(r"[+-]?(?:0|[1-9]\d*)(?:\.\d+)?")
_UNIT_RE = re.compile(r"(万元|元)$")


@dataclass(frozen=True)
class Piece:
    """A chunk of a value run without white space: ``text`` at offset ``start`` in the document."""

    text: str
    start: int
    splittable: bool = True


@dataclass
class RunRow:
    """One table row whose values came as runs; ``n`` cells are expected.

    ``keys`` gives a provisional field key per cell position (or None) for the arithmetic only;
    ``decimal_ok``/``signed_ok`` say per position whether a decimal or a sign may appear there.
    """

    label: str
    pieces: list[Piece]
    n: int
    keys: list[str | None] = field(default_factory=list)
    decimal_ok: list[bool] = field(default_factory=list)
    signed_ok: list[bool] = field(default_factory=list)
    candidates: list[tuple[tuple[str, int, int], ...]] = field(default_factory=list)


def run_to_chunks(text: str, start: int) -> list[Piece]:
    """White space always separates cells: the chunks of a run, with their offsets."""
    return [Piece(m.group(0), start + m.start()) for m in re.finditer(r"\S+", text)]


def chunk_splits(piece: Piece, decimal_ok=True, signed_ok=True) -> list[list[tuple[str, int, int]]]:
    """Every way to cut one chunk into numbers: lists of (text, start, end) in document offsets.

    A trailing unit (元, 万元) stays with the last number. A number has no leading zero unless it
    is 0 or 0.x.
    """
    text, base = piece.text, piece.start
    unit = ""
    m = _UNIT_RE.search(text)
    if m:
        unit, text = m.group(1), text[:m.start()]
    out: list[list[tuple[str, int, int]]] = []

    def rec(i: int, acc: list):
        if len(out) >= MAX_CANDIDATES:
            return
        if i == len(text):
            if acc:
                if unit:
                    t, s, e = acc[-1]
                    acc = acc[:-1] + [(t + unit, s, e + len(unit))]
                out.append(list(acc))
            return
        for j in range(i + 1, len(text) + 1):
            tok = text[i:j]
            if not _CELL_RE.fullmatch(tok):
                continue
            if "." in tok and not decimal_ok:
                continue
            if tok[0] in "+-" and not signed_ok:
                continue
            if not piece.splittable and j != len(text):
                continue
            rec(j, acc + [(tok, base + i, base + j)])

    rec(0, [])
    return out


def run_candidates(row: RunRow) -> list[tuple[tuple[str, int, int], ...]]:
    """Every split of the row's pieces into exactly ``row.n`` cells."""
    per_piece = []
    for p in row.pieces:
        per_piece.append(chunk_splits(p))
    out = []
    for combo in itertools.product(*per_piece):
        cells = [c for part in combo for c in part]
        if len(cells) != row.n:
            continue
        ok = True
        for i, (t, _, _) in enumerate(cells):
            dec = row.decimal_ok[i] if i < len(row.decimal_ok) else True
            sig = row.signed_ok[i] if i < len(row.signed_ok) else True
            if ("." in t and not dec) or (t[0] in "+-" and not sig):
                ok = False
                break
        if ok:
            out.append(tuple(cells))
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def _value(text: str):
    try:
        return numbers.parse_number(text)
    except ValueError:
        return None


def solve_rows(rows: list[RunRow], fixed: dict[str, object]) -> tuple[list[list[int]], bool]:
    """The candidates of each row that belong to some combination satisfying the rules.

    ``fixed`` holds the values of the table's other cells (key -> value) that the rules may need.
    Returns (surviving candidate indices per row, relaxed) where ``relaxed`` says that no
    combination satisfied every rule, so only the rules within single rows were used (a report
    may print figures that break its own rules).
    """
    keys = set(fixed)
    for r in rows:
        keys.update(k for k in r.keys if k)
    # a rule with an empty side (no disposition row among the keys) says nothing here
    rules = [r for r in spec.rules_for(keys) if r.left and r.right]
    pos = {}
    for ri, r in enumerate(rows):
        for ci, k in enumerate(r.keys):
            if k:
                pos[k] = (ri, ci)

    def rule_rows(rule):
        return {pos[f][0] for f in rule.fields if f in pos}

    single = [[] for _ in rows]
    multi = []
    for rule in rules:
        rr = rule_rows(rule)
        if len(rr) == 1:
            single[next(iter(rr))].append(rule)
        elif len(rr) > 1:
            multi.append(rule)

    def holds(rule, assign):
        vals = dict(fixed)
        for f in rule.fields:
            if f in pos:
                ri, ci = pos[f]
                vals[f] = _value(rows[ri].candidates[assign[ri]][ci][0])
        return spec.rule_holds(rule, vals)

    # rules within one row
    alive = []
    for ri, r in enumerate(rows):
        keep = [i for i in range(len(r.candidates))
                if all(holds(rule, {ri: i}) for rule in single[ri])]
        alive.append(keep)
    if any(not a for a in alive):
        # some row fits no split that keeps its own total: the report's own arithmetic is broken
        # there; fall back to every split of that row
        alive = [a or list(range(len(r.candidates))) for a, r in zip(alive, rows)]
        return alive, True

    # rules across rows: search the combinations of the rows they involve
    involved = sorted({ri for rule in multi for ri in rule_rows(rule)})
    involved = [ri for ri in involved if len(alive[ri]) > 1] + \
               [ri for ri in involved if len(alive[ri]) == 1]
    total = 1
    for ri in involved:
        total *= len(alive[ri])
    if not multi or total > MAX_COMBINATIONS:
        return alive, False
    survivors = {ri: set() for ri in involved}
    for combo in itertools.product(*(alive[ri] for ri in involved)):
        assign = dict(zip(involved, combo))
        if all(holds(rule, assign) for rule in multi):
            for ri, i in assign.items():
                survivors[ri].add(i)
    if not any(survivors.values()):
        return alive, True
    for ri in involved:
        alive[ri] = sorted(survivors[ri])
    return alive, False


# ---------------------------------------------------------------------------------------------
# The record side: ambiguous cells are left out, with an issue; resolved runs get provenance.


def finish_record(doc: Document, record: Record) -> None:
    """Apply ``doc.meta["digit_runs"]`` (written by ``extract.textgrid``) to the record.

    A field read from a cell whose span is an ambiguous run's span is removed from ``fields`` (its
    value is not known; null would claim the report printed a blank), and each such run gets one
    issue of kind ``ambiguous`` naming the fields and listing the candidate splits. Fields read
    from a resolved run get ``run`` (the raw characters) and ``split`` in their provenance.
    """
    runs = (doc.meta or {}).get("digit_runs") or []
    if not runs:
        return
    by_span = {tuple(r["span"]): r for r in runs}
    ambiguous: dict[tuple, list[str]] = {}
    for key, prov in list(record.provenance.items()):
        span = getattr(prov, "span", None)
        if span is None:
            continue
        span = tuple(span)
        run = by_span.get(span)
        if run is not None and run.get("chosen") is None:
            record.fields.pop(key, None)
            record.provenance.pop(key, None)
            ambiguous.setdefault(span, []).append(key)
            continue
        for r in runs:
            s, e = r["span"]
            if s <= span[0] and span[1] <= e and r.get("chosen") is not None:
                prov.extra["run"] = r["text"]
                prov.extra["split"] = list(r["chosen"])
                break
    for span, keys in ambiguous.items():
        run = by_span[span]
        cands = run["candidates"]
        shown = " | ".join("/".join(c) for c in cands[:12])
        more = f" (and {len(cands) - 12} more)" if len(cands) > 12 else ""
        record.issues.append(Issue(
            "ambiguous", f"row {run['label']!r}: the glued digits {run['text']!r} split into "
            f"{run['n']} cells in {len(cands)} ways that all fit the template's arithmetic: "
            f"{shown}{more}; {len(keys)} field(s) left out", fields=sorted(keys),
            stage="ingest", extra={"run": run["text"], "candidates": [list(c) for c in cands]}))
