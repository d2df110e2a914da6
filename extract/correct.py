"""Correction of OCR misreads that the template's arithmetic proves.

Only values whose provenance engine is an OCR engine are ever changed: a value read from a text
layer, HTML or text is what the report printed, right or wrong.

The search, per group of connected broken rules (a *component*):

1. The rules are linear equations ``sum(left) - sum(right) = 0`` (null counts as 0). A set ``S``
   of changed cells can repair a component only if it *hits* every broken rule in it, so the sets
   are enumerated as hitting sets (pick a field of the first rule not yet hit), smallest first,
   up to ``MAX_CHANGES`` cells.
2. For one set ``S`` the rules touching it give equations in the changes ``d_f``. An equation with
   a single unknown forces that change; forced changes propagate. A change left free is tried with
   the field's evidence values only.
3. A solution makes every rule it touches hold (rules that held keep holding), changes each cell,
   and gives whole non-negative numbers. It is *supported* when every new value is in that cell's
   evidence: the OCR's own alternatives (``Provenance.extra["alternatives"]``), a letter read for
   a digit, or -- only for a reading the OCR doubted (score below ``DOUBTFUL_READ``) -- one edit
   of the recognised text by the digit-confusion table ``CONFUSIONS`` (confused, dropped, doubled
   digits). A confidently read value is what the page printed: a scanned report's own printing
   error is reported, not "corrected". The table is documented in docs/arithmetic.md.
4. At the smallest size that has any solution, a correction is applied only when the arithmetic
   allows exactly one solution, that solution is supported, and every changed cell lies in at
   least two rules (one equation alone cannot tell a misread cell from a misprinted one: in
   section 四 any of five cells balances a row). It becomes an issue of kind ``corrected`` per
   cell, with before/after, the rules proving it and a confidence. Otherwise nothing is changed,
   and one issue of kind ``ambiguous`` names every candidate field (several corrections fit, or
   the one the arithmetic points at has no OCR support). No solution at all -> only the
   arithmetic issues remain.

The search is bounded: a component with more broken rules than ``MAX_CHANGES`` cells could repair
is skipped at once, and every search stops after ``NODE_BUDGET`` steps (an issue says so), so a
fully garbled table costs milliseconds.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from . import spec
from .model import Issue, Provenance, Record
from .numbers import is_null_text, parse_number

MAX_CHANGES = 3
NODE_BUDGET = 20_000
# The confusion table only counts for a reading the OCR itself strongly doubted (score below
# this); any other reading changes only to one of the OCR's own alternatives. On the dev-set
# scan 1 of 186 correct value readings scored below 0.80 (5 below 0.90; median 0.986). A
# printed error read with a low score would otherwise be "corrected": the benchmark's wrong
# corrections at 0.90 were exactly those.
DOUBTFUL_READ = 0.80
MAX_SOLUTIONS = 50         # solutions kept per component (beyond one, none is applied)
MAX_VALUE = 10**7          # a count no report prints; forced values beyond it are rejected

# Engines whose readings may be corrected. Everything else (text-layer, html, text, docx) is
# what the report printed.
OCR_ENGINES = frozenset({"rapidocr", "tesseract", "paddleocr", "ocr", "null-ocr"})

# --- The digit-confusion table -------------------------------------------------------------
# Pairs of digits that OCR of printed CJK reports confuses, with a weight (0-1) for how
# plausible the confusion is. Symmetric. Chosen from the glyph shapes of the Song/Hei faces
# these reports use: closed loops (0 6 8 9 3), a short stroke (1 7 4), open bowls (5 6 3 2).
SUBSTITUTIONS: dict[tuple[str, str], float] = {
    ("0", "8"): 0.8, ("0", "6"): 0.7, ("0", "9"): 0.6, ("3", "8"): 0.8, ("6", "8"): 0.8,
    ("8", "9"): 0.7, ("5", "6"): 0.7, ("1", "7"): 0.7, ("1", "4"): 0.4, ("3", "5"): 0.5,
    ("2", "7"): 0.4, ("4", "9"): 0.4, ("0", "3"): 0.3, ("5", "8"): 0.4, ("3", "9"): 0.4,
    ("6", "9"): 0.4,
}
# Not in the table: digits one apart with only a weak likeness (1/2, 2/3, 3/4, 6/7, 7/8). A value
# off by one is the signature of a counting error printed in the report, which must be reported,
# not "corrected"; 5/6 and 8/9 stay because their glyphs are close.
# Characters OCR returns for a digit (a faint "0" becomes "o" or "."; a "1" becomes "l" or "|").
LOOKALIKES = {
    "o": "0", "O": "0", "D": "0", "Q": "0", "〇": "0", "口": "0", "。": "0", ".": "0",
    "l": "1", "I": "1", "|": "1", "i": "1", "!": "1", "丨": "1", "]": "1", "[": "1",
    "Z": "2", "z": "2", "S": "5", "s": "5", "b": "6", "G": "6", "T": "7", "B": "8", "g": "9",
    "q": "9",
}
WEIGHT_LOOKALIKE = 0.9     # a letter for a digit: the value is certainly a digit there
WEIGHT_DROPPED = 0.35      # a digit the OCR lost (one inserted back)
WEIGHT_DOUBLED = 0.45      # a digit the OCR read twice (one of a repeated pair removed)
WEIGHT_SPURIOUS = 0.3      # a table rule read as a leading/trailing "1"
WEIGHT_BLANK = 0.25        # a whole single-digit value lost (blank cell read for a digit)

CONFUSIONS = {"substitutions": SUBSTITUTIONS, "lookalikes": LOOKALIKES,
              "dropped": WEIGHT_DROPPED, "doubled": WEIGHT_DOUBLED,
              "spurious_1": WEIGHT_SPURIOUS, "blank": WEIGHT_BLANK}


def _sub_table() -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = {str(d): [] for d in range(10)}
    for (a, b), w in SUBSTITUTIONS.items():
        out[a].append((b, w))
        out[b].append((a, w))
    return out


_SUBS = _sub_table()


@dataclass(frozen=True)
class Evidence:
    value: int
    weight: float
    how: str                       # "alternative", "confused a->b", "dropped", ...


def _prov(prov, name, default=None):
    if isinstance(prov, Provenance):
        return getattr(prov, name, default)
    if isinstance(prov, dict):
        return prov.get(name, default)
    return default


def _extra(prov) -> dict:
    if isinstance(prov, Provenance):
        return prov.extra
    if isinstance(prov, dict):
        return prov
    return {}


def is_ocr(prov) -> bool:
    """True when a field's provenance says it was read by OCR (and so may be corrected)."""
    engine = _prov(prov, "engine")
    return isinstance(engine, str) and engine in OCR_ENGINES


def _digits_of(text: str) -> str | None:
    """The digit string OCR recognised, with look-alike letters kept; None if not number-like."""
    t = unicodedata.normalize("NFKC", text or "").replace(" ", "").replace(",", "")
    if not t or is_null_text(t):
        return ""
    if all(ch.isdigit() or ch in LOOKALIKES for ch in t):
        return t
    return None


def _as_count(s: str) -> int | None:
    if not s or not s.isdigit() or (len(s) > 1 and s[0] == "0"):
        return None
    v = int(s)
    return v if v <= MAX_VALUE else None


def evidence_for(text: str, value, alternatives=(),
                 doubtful: bool = True) -> dict[int, Evidence]:
    """Every value a cell could have held, with the evidence for it (best weight per value).

    ``text`` is the recognised text, ``value`` the parsed value, ``alternatives`` the OCR's other
    readings as ``(text, score)`` pairs. The current value itself is excluded. Without
    ``doubtful`` only the alternatives and letters read for digits count, not the confusion
    table's edits.
    """
    found: dict[int, Evidence] = {}

    def add(v, w, how):
        if v is None or v == value or (value is None and v == 0):
            return
        if v not in found or found[v].weight < w:
            found[v] = Evidence(v, w, how)

    for alt in alternatives or ():
        try:
            alt_text, score = alt[0], float(alt[1])
            v = parse_number(alt_text)
        except (ValueError, TypeError, IndexError):
            continue
        if isinstance(v, int) and v >= 0:
            add(v, 0.5 + 0.5 * max(0.0, min(1.0, score)), "alternative")

    raw = _digits_of(text)
    if raw is None:
        return found
    if any(ch in LOOKALIKES for ch in raw):
        fixed = "".join(LOOKALIKES.get(ch, ch) for ch in raw)
        add(_as_count(fixed), WEIGHT_LOOKALIKE, "look-alike character")
        raw = fixed
    if not doubtful:
        return found
    if raw == "":
        for d in "123456789":
            add(int(d), WEIGHT_BLANK, "blank read for a digit")
        return found
    for i, ch in enumerate(raw):
        for other, w in _SUBS.get(ch, ()):
            add(_as_count(raw[:i] + other + raw[i + 1:]), w, f"confused {ch}->{other}")
    for i in range(len(raw) + 1):
        for d in "0123456789":
            add(_as_count(raw[:i] + d + raw[i:]), WEIGHT_DROPPED, "dropped digit")
    for i in range(len(raw) - 1):
        if raw[i] == raw[i + 1]:
            add(_as_count(raw[:i] + raw[i + 1:]), WEIGHT_DOUBLED, "doubled digit")
    if len(raw) > 1 and raw[0] == "0":
        for i in range(len(raw)):
            add(_as_count((raw[:i] + raw[i + 1:]).lstrip("0") or "0"), WEIGHT_DOUBLED,
                "leading zero")
    if len(raw) > 1 and raw[0] == "1":
        add(_as_count(raw[1:]), WEIGHT_SPURIOUS, "spurious 1")
    if len(raw) > 1 and raw[-1] == "1":
        add(_as_count(raw[:-1]), WEIGHT_SPURIOUS, "spurious 1")
    return found


@dataclass
class Solution:
    changes: dict[str, int]                       # field -> new value
    evidence: dict[str, Evidence | None]          # None: forced by the arithmetic, no evidence
    free: bool = False                            # stands for the values the evidence lacks

    @property
    def supported(self) -> bool:
        return not self.free and all(e is not None for e in self.evidence.values())


@dataclass
class Outcome:
    """What the search found for one component of broken rules."""

    rules: list[str]
    size: int | None = None                           # smallest size with any solution
    solutions: list[Solution] = field(default_factory=list)   # at that size (capped)
    free_sets: list[list[str]] = field(default_factory=list)  # sets with a free change
    exhausted: bool = False                           # the node budget ran out

    @property
    def supported(self) -> list[Solution]:
        return [s for s in self.solutions if s.supported]

    @property
    def unique(self) -> Solution | None:
        """The one solution, if the arithmetic allows exactly one at the smallest size."""
        if len(self.solutions) == 1 and not self.free_sets:
            return self.solutions[0]
        return None

    def candidate_fields(self) -> list[str]:
        out: list[str] = []
        for fs in [list(s.changes) for s in self.solutions] + self.free_sets:
            out += [f for f in fs if f not in out]
        return out


class _Budget(Exception):
    pass


class Search:
    """The bounded search over one record's fields; see the module docstring."""

    def __init__(self, fields: dict, provenance: dict, max_changes: int = MAX_CHANGES,
                 node_budget: int = NODE_BUDGET):
        self.fields = fields
        self.max_changes = max_changes
        self.node_budget = node_budget
        self.rules = spec.rules_for(fields)
        self.coef: dict[str, dict[str, int]] = {}
        self.imbalance: dict[str, float] = {}
        self.rules_of: dict[str, list[spec.Rule]] = {}
        for r in self.rules:
            c = {f: 1 for f in r.left}
            for f in r.right:
                c[f] = c.get(f, 0) - 1
            self.coef[r.id] = c
            self.imbalance[r.id] = (sum(fields.get(f) or 0 for f in r.left)
                                    - sum(fields.get(f) or 0 for f in r.right))
            for f in c:
                self.rules_of.setdefault(f, []).append(r)
        self.mutable = {k for k, p in provenance.items()
                        if k in fields and is_ocr(p) and not isinstance(fields[k], float)
                        and k in self.rules_of}
        self.evidence: dict[str, dict[int, Evidence]] = {}
        for k in self.mutable:
            p = provenance[k]
            alts = _extra(p).get("alternatives") or ()
            read = _prov(p, "read_confidence")
            # A confident reading is what the page printed, unless the OCR itself offered
            # another reading: a printed error must not be "corrected" on a scan.
            doubtful = read is not None and read < DOUBTFUL_READ
            self.evidence[k] = evidence_for(_prov(p, "text") or "", fields[k], alts, doubtful)
        self.max_rules_per_field = max((len(v) for v in self.rules_of.values()), default=1)
        self.nodes = 0

    def broken(self) -> list[spec.Rule]:
        return [r for r in self.rules if abs(self.imbalance[r.id]) > 1e-9]

    def components(self, broken: list[spec.Rule]) -> list[list[spec.Rule]]:
        """Broken rules grouped by shared fields."""
        groups: list[tuple[set, list]] = []
        for r in broken:
            fs = set(r.fields)
            merged = [g for g in groups if g[0] & fs]
            for g in merged:
                groups.remove(g)
                fs |= g[0]
            groups.append((fs, [x for g in merged for x in g[1]] + [r]))
        order = {r.id: i for i, r in enumerate(broken)}
        return [sorted(g[1], key=lambda r: order[r.id]) for g in groups]

    def _tick(self):
        self.nodes += 1
        if self.nodes > self.node_budget:
            raise _Budget

    def solve_component(self, comp: list[spec.Rule]) -> Outcome:
        out = Outcome(rules=[r.id for r in comp])
        candidates = {f for r in comp for f in r.fields if f in self.mutable}
        if not candidates:
            return out
        try:
            for k in range(1, self.max_changes + 1):
                if len(comp) > k * self.max_rules_per_field:
                    continue
                seen: set[frozenset] = set()
                found_any = False
                for s in self._hitting_sets(comp, candidates, k):
                    if s in seen:
                        continue
                    seen.add(s)
                    for sol in self._solve_set(sorted(s)):
                        found_any = True
                        if sol.free:
                            if sorted(s) not in out.free_sets:
                                out.free_sets.append(sorted(s))
                        elif len(out.solutions) < MAX_SOLUTIONS:
                            out.solutions.append(sol)
                if found_any:
                    out.size = k
                    break
        except _Budget:
            out.exhausted = True
        return out

    def _hitting_sets(self, comp, candidates, k, chosen=()):
        self._tick()
        open_rules = [r for r in comp if not any(f in chosen for f in r.fields)]
        if not open_rules:
            if len(chosen) == k:
                yield frozenset(chosen)
            return
        if len(chosen) == k:
            return
        # Branch on the open rule with the fewest candidate cells.
        open_rule = min(open_rules, key=lambda r: sum(f in candidates for f in r.fields))
        for f in open_rule.fields:
            if f in candidates and f not in chosen:
                yield from self._hitting_sets(comp, candidates, k, chosen + (f,))

    def _solve_set(self, fs: list[str]):
        """Every assignment of changes to the cells ``fs`` that makes all touched rules hold."""
        eqs = []
        for rid in {r.id for f in fs for r in self.rules_of[f]}:
            c = self.coef[rid]
            eqs.append(({f: c[f] for f in fs if f in c}, -self.imbalance[rid]))
        yield from self._propagate(fs, eqs, {})

    def _propagate(self, fs, eqs, assigned: dict[str, int]):
        self._tick()
        assigned = dict(assigned)
        forced: set[str] = set()
        progress = True
        while progress:
            progress = False
            for terms, rhs in eqs:
                unknown = [f for f in terms if f not in assigned]
                rest = rhs - sum(terms[f] * assigned[f] for f in terms if f in assigned)
                if not unknown:
                    if abs(rest) > 1e-9:
                        return
                    continue
                if len(unknown) == 1:
                    f = unknown[0]
                    d = rest / terms[f]
                    if abs(d - round(d)) > 1e-9:
                        return
                    d = int(round(d))
                    new = (self.fields[f] or 0) + d
                    if d == 0 or new < 0 or new > MAX_VALUE:
                        return          # every cell in S must change (null -> 0 is no change)
                    assigned[f] = d
                    forced.add(f)
                    progress = True
        free = [f for f in fs if f not in assigned]
        if not free:
            changes = {f: (self.fields[f] or 0) + assigned[f] for f in fs}
            ev = {f: self.evidence[f].get(v) for f, v in changes.items()}
            yield Solution(changes, ev)
            return
        # A change the arithmetic leaves free: other values than the evidence would balance too.
        yield Solution({}, {}, free=True)
        f = min(free, key=lambda x: len(self.evidence[x]))
        old = self.fields[f] or 0
        for v in sorted(self.evidence[f]):
            if v == old:
                continue
            yield from self._propagate(fs, eqs, {**assigned, f: v - old})


def _confidence(sol: Solution, provenance: dict) -> float:
    """A correction's confidence (0.9-0.99): the arithmetic alone pins the cells and values
    (it is applied only then); the weakest OCR evidence weight of the changed cells sets the
    rest, and a doubtful reading of a changed cell (OCR score below ``DOUBTFUL_READ``) counts
    for it."""
    w = min(e.weight for e in sol.evidence.values() if e is not None)
    reads = [_prov(provenance.get(f), "read_confidence") for f in sol.changes]
    if any(r is not None and r < DOUBTFUL_READ for r in reads):
        w = w + (1 - w) * 0.3
    return round(0.9 + 0.09 * w, 3)


def correct_record(record: Record, max_changes: int = MAX_CHANGES,
                   node_budget: int = NODE_BUDGET) -> list[Issue]:
    """Apply the corrections the arithmetic proves to ``record`` in place; return the issues.

    ``corrected`` issues (one per changed cell) and ``ambiguous`` issues (several corrections
    fit: none applied). Rules broken only because a whole 总计 column is blank are left alone.
    """
    return run_search(Search(record.fields, record.provenance, max_changes, node_budget), record)


def run_search(search: Search, record: Record) -> list[Issue]:
    """``correct_record`` with a search built by the caller (whose counters stay readable)."""
    from .checks import TOTAL_COLUMN, blank_total_tables

    if not search.mutable:
        return []
    broken = search.broken()
    blank = blank_total_tables(record.fields)
    if blank:
        totals = {k for k in record.fields if spec.split_key(k)[0] in blank
                  and spec.split_key(k)[2] == TOTAL_COLUMN[spec.split_key(k)[0]]}
        broken = [r for r in broken if not totals & set(r.fields)]
    issues: list[Issue] = []
    for comp in search.components(broken):
        out = search.solve_component(comp)
        if out.exhausted:
            issues.append(Issue(
                "ambiguous", f"too many broken rules to search for an OCR correction "
                f"({len(comp)} rules); nothing corrected",
                fields=sorted({f for r in comp for f in r.fields if f in search.mutable}),
                rules=out.rules,
                stage="correct", extra={"search": "budget exhausted"}))
            continue
        sol = out.unique
        if sol is not None and sol.supported and all(
                len(search.rules_of[f]) >= 2 for f in sol.changes):
            conf = _confidence(sol, record.provenance)
            for f, after in sol.changes.items():
                before = record.fields[f]
                proving = [r.id for r in search.rules_of[f]]
                ev = sol.evidence[f]
                issues.append(Issue(
                    "corrected", f"{f}: OCR read {_prov(record.provenance[f], 'text')!r}; "
                    f"{' and '.join(proving)} prove(s) it is {after} ({ev.how})",
                    fields=[f], rules=proving, stage="correct", before=before, after=after,
                    extra={"confidence": conf, "evidence": ev.how,
                           "changed_with": sorted(set(sol.changes) - {f})}))
                record.fields[f] = after
                _mark(record.provenance[f], before, after, ev.how, conf)
            continue
        if not out.solutions and not out.free_sets:
            continue                     # no OCR misread explains the break: it stays as is
        if sol is not None and not sol.supported:
            why = ("the arithmetic points at " + ", ".join(
                f"{f} = {v}" for f, v in sol.changes.items())
                + " but the OCR reading gives no support for that value")
        elif sol is not None:
            why = ("one rule alone cannot tell a misread cell from a misprinted one "
                   f"({', '.join(f'{f} = {v}' for f, v in sol.changes.items())} would balance it)")
        else:
            n = len(out.solutions) + len(out.free_sets)
            why = f"{n}{'+' if out.free_sets else ''} different corrections would balance the rules"
        options = [{f: {"before": record.fields[f], "after": v, "supported": s.supported}
                    for f, v in s.changes.items()} for s in out.solutions[:20]]
        issues.append(Issue(
            "ambiguous", f"{why}; nothing corrected ({', '.join(out.rules)})",
            fields=out.candidate_fields(), rules=out.rules, stage="correct",
            extra={"candidates": options}))
    return issues


def _mark(prov, before, after, how, conf):
    note = {"before": before, "after": after, "evidence": how, "confidence": conf}
    if isinstance(prov, Provenance):
        prov.extra["corrected"] = note
    elif isinstance(prov, dict):
        prov["corrected"] = note

