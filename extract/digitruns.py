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

import functools
import itertools
import re
from dataclasses import dataclass, field

from . import numbers, spec
from .model import Document, Issue, Record

# Limits of the search: candidates per run, and combinations tried across a table.
MAX_CANDIDATES = 20000
MAX_COMBINATIONS = 2_000_000
MAX_TRIES = 5 * MAX_CANDIDATES    # combinations of the right size looked at for one row
MAX_TABLE_TRIES = 200_000         # ... and for all the rows of one table together
MAX_NUMBER_CHARS = 20             # one cell's number (sign, digits, decimals)
MAX_CHUNK_CHARS = 400             # a chunk longer than this is not one table row
MAX_ROW_CELLS = 64                # the template's widest row has 15 value cells

_CELL_RE = re.compile(r"[+-]?(?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.\d+)?")
# The text of a cell the arithmetic left undecided: it reads as a value slot (so a column whose
# every cell is undecided is still a value column) and as no number; ``finish_record`` removes
# every field read from it, by its span (the run's), and names the field in an ambiguous issue.
UNDECIDED = "—"
# a printed blank in a run: a slash is one cell, a dash (or a doubled em dash, ——) one cell
NULL_MARK_RE = re.compile(r"[/／]|[—–]{1,2}|-")
NULL_CHARS = "/／—–-"


def is_null_mark(text: str) -> bool:
    """A cell of a run that prints a blank (``/``, ``—``, ``——``, ``-``)."""
    return bool(NULL_MARK_RE.fullmatch(text))


def sign_or_decimal_misplaced(text: str, decimal_ok: bool, signed_ok: bool) -> bool:
    """A number with a decimal where the column has none, or a sign where it has none."""
    if not text or is_null_mark(text):
        return False
    return ("." in text and not decimal_ok) or (text[0] in "+-" and not signed_ok)


def most_cells(text: str) -> int:
    """The most cells a run's text can hold: one per digit and per blank mark."""
    return sum(ch.isdigit() or ch in NULL_CHARS for ch in text)
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


def chunk_splits(piece: Piece, decimal_ok=True, signed_ok=True,
                 max_cells: int | None = None) -> list[list[tuple[str, int, int]]]:
    """Every way to cut one chunk into numbers: lists of (text, start, end) in document offsets.

    A trailing unit (元, 万元) stays with the last number. A number has no leading zero unless it
    is 0 or 0.x, may group thousands (``3,011``), and has at most ``MAX_NUMBER_CHARS`` characters.
    A blank mark is a cell of its own (``136/141`` is 136, blank, 141); a minus sign that may be
    either a dash or a sign (``13-5``) gives both splits. At most ``MAX_CANDIDATES``
    splits, found without dead ends: a cut is only followed where the rest of the chunk can
    still be cut (a chunk that cannot be split at all, such as "1111…1.", costs one pass instead
    of 2^length); a chunk over ``MAX_CHUNK_CHARS`` is no table row and has no split. With
    ``max_cells`` (the row's cells), only splits into at most that many numbers.
    """
    text, base = piece.text, piece.start
    unit = ""
    m = _UNIT_RE.search(text)
    if m:
        unit, text = m.group(1), text[:m.start()]
    if not text:
        return []

    def ok(tok: str) -> bool:
        if is_null_mark(tok):
            return True
        return (bool(_CELL_RE.fullmatch(tok))
                and not sign_or_decimal_misplaced(tok, decimal_ok, signed_ok))

    if not piece.splittable:
        return [[(text + unit, base, base + len(text) + len(unit))]] if ok(text) else []
    L = len(text)
    if L > MAX_CHUNK_CHARS:
        return []
    # ends[i]: the ends j of the numbers starting at i from which the rest can be cut too;
    # fewest[i]: the fewest numbers the rest from i can be cut into
    ends: list[list[int]] = [[] for _ in range(L + 1)]
    big = L + 1
    fewest = [big] * (L + 1)
    fewest[L] = 0
    for i in range(L - 1, -1, -1):
        ends[i] = [j for j in range(i + 1, min(L, i + MAX_NUMBER_CHARS) + 1)
                   if fewest[j] < big and ok(text[i:j])]
        fewest[i] = 1 + min((fewest[j] for j in ends[i]), default=big - 1)
    cap = big if max_cells is None else max_cells
    out: list[list[tuple[str, int, int]]] = []
    stack: list[tuple[int, list]] = [(0, [])] if fewest[0] <= cap else []
    while stack and len(out) < MAX_CANDIDATES:      # depth first, in the order of the old search
        i, acc = stack.pop()
        if i == L:
            if unit:
                t, s0, e = acc[-1]
                acc = acc[:-1] + [(t + unit, s0, e + len(unit))]
            out.append(acc)
            continue
        for j in reversed(ends[i]):
            if len(acc) + 1 + fewest[j] <= cap:
                stack.append((j, acc + [(text[i:j], base + i, base + j)]))
    return out


def piece_combinations(per_piece: list[list[list]], n: int, blanks: bool = False):
    """Concatenations of one split per piece holding exactly ``n`` cells (at most ``n`` with
    ``blanks``: blank cells fill the rest later). Only splits whose cell counts can still add up
    are combined, so pieces with thousands of splits each never multiply into a search that
    finds nothing. A row of more than ``MAX_ROW_CELLS`` cells (or pieces) is no row of the
    template: nothing is combined."""
    if n > MAX_ROW_CELLS or len(per_piece) > MAX_ROW_CELLS:
        return
    by_count = []
    for splits in per_piece:
        groups: dict[int, list] = {}
        for sp in splits:
            if len(sp) <= n:
                groups.setdefault(len(sp), []).append(sp)
        by_count.append(groups)
    # possible[k]: the cell counts that pieces k.. can add up to (at most n)
    possible: list[set[int]] = [set() for _ in range(len(by_count) + 1)]
    possible[-1] = {0}
    for k in range(len(by_count) - 1, -1, -1):
        possible[k] = {c + r for c in by_count[k] for r in possible[k + 1] if c + r <= n}

    def fits(total: int) -> bool:
        return total <= n if blanks else total == n

    def rec(k: int, used: int, acc: list):
        if k == len(by_count):
            if fits(used):
                yield acc
            return
        for c, splits in by_count[k].items():
            if not any(fits(used + c + r) for r in possible[k + 1]):
                continue
            for sp in splits:
                yield from rec(k + 1, used + c, acc + sp)

    yield from rec(0, 0, [])


def run_candidates(row: RunRow) -> list[tuple[tuple[str, int, int], ...]]:
    """Every split of the row's pieces into exactly ``row.n`` cells (at most ``MAX_CANDIDATES``,
    after at most ``MAX_TRIES`` combinations looked at)."""
    per_piece = [chunk_splits(p, max_cells=row.n) for p in row.pieces]
    out = []
    for tries, cells in enumerate(piece_combinations(per_piece, row.n)):
        if tries >= MAX_TRIES:
            break
        ok = True
        for i, (t, _, _) in enumerate(cells):
            dec = row.decimal_ok[i] if i < len(row.decimal_ok) else True
            sig = row.signed_ok[i] if i < len(row.signed_ok) else True
            if sign_or_decimal_misplaced(t, dec, sig):
                ok = False
                break
        if ok:
            out.append(tuple(cells))
        if len(out) >= MAX_CANDIDATES:
            break
    return out


@functools.lru_cache(maxsize=1 << 16)   # the rules look at the same cell texts again and again
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


def apply_evidence(rows: list[RunRow], alive: list[list[int]],
                   stated: dict[str, tuple[float, str]]) -> tuple[list[list[int]], dict]:
    """Narrow the rows the arithmetic left with several splits to the splits that agree with
    the figures the report's prose states (``stated``: key -> (value, words); a blank cell
    agrees with 0). A figure that no split agrees with is not used (the prose may contradict
    the table). Returns (surviving indices per row, row index -> the words used)."""
    out = [list(a) for a in alive]
    used: dict[int, list[str]] = {}
    for ri, r in enumerate(rows):
        if len(out[ri]) < 2:
            continue
        hits = [(ci, stated[k]) for ci, k in enumerate(r.keys) if k and k in stated]
        if not hits:
            continue
        keep = [i for i in out[ri]
                if all((_value(r.candidates[i][ci][0]) or 0) == v for ci, (v, _) in hits)]
        if keep and len(keep) < len(out[ri]):
            out[ri] = keep
            used[ri] = [w for _, (_, w) in hits]
    return out, used


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
    for r in runs:
        if r.get("evidence"):
            s, e = r["span"]
            keys = sorted(k for k, p in record.provenance.items()
                          if getattr(p, "span", None) and s <= p.span[0] and p.span[1] <= e)
            decided = "decided" if r.get("chosen") is not None else "narrowed"
            record.issues.append(Issue(
                "low_confidence", f"row {r['label']!r}: the glued digits {r['text']!r} fit the "
                f"template's arithmetic in several ways; the report's prose "
                f"({'; '.join(r['evidence'])}) {decided} the split"
                + (f" {'/'.join(r['chosen'])}" if r.get("chosen") else ""),
                fields=keys or [], stage="ingest", extra={"run": r["text"],
                                                         "evidence": list(r["evidence"])}))
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
