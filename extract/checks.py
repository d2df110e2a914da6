"""The template's arithmetic (勾稽关系) as a checker, plus the confidence flags.

``check_record(record, options)`` is the pipeline stage. In order it:

1. corrects OCR misreads that the arithmetic proves (``extract.correct``; off with
   ``--no-correct``). Values read from a text layer, HTML or text are never changed;
2. reports every rule that still breaks as an issue of kind ``arithmetic`` (rule id, the fields,
   both sides of the equation). A table whose 总计 column is blank in every row is reported once,
   as "not filled", with every rule id that the blank column breaks in ``rules``;
3. flags fields read with a low OCR confidence, or whose row/column label the classifier was not
   sure of, as issues of kind ``low_confidence``.

The rules themselves live in ``extract.spec`` (``rules_for``, ``rule_holds``); this module only
applies them. Null counts as 0 in a sum.
"""

from __future__ import annotations

from . import spec
from .model import Issue, Provenance, Record
from .numbers import is_null_text, looks_numeric
from .options import Options

# A value read by OCR with a score below this is doubtful (the OCR stage keeps alternatives for
# characters below the same score, extract.ocr.UNCERTAIN). On the dev-set scan
# (hongze_2023.scan.pdf) 5 of 186 correct value readings scored below 0.90 (median 0.986).
# See docs/arithmetic.md.
LOW_READ_CONFIDENCE = 0.90
# A field whose row or column label the classifier gave less than this probability is doubtful.
LOW_LABEL_CONFIDENCE = 0.6

# The 总计 column of each table with rules.
TOTAL_COLUMN = {"requests": "total", "review_litigation": "total"}


def _sum(fields, keys):
    return sum((fields.get(k) or 0) for k in keys)


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def rule_issue(rule: spec.Rule, fields: dict) -> Issue:
    """The ``arithmetic`` issue for one broken rule, with both sides of its equation."""
    left, right = _sum(fields, rule.left), _sum(fields, rule.right)
    lhs = " + ".join(rule.left)
    rhs = " + ".join(rule.right) if len(rule.right) <= 8 else \
        f"the sum of {len(rule.right)} fields ({rule.right[0]} … {rule.right[-1]})"
    return Issue("arithmetic", f"{rule.id}: {lhs} = {_fmt(left)}, but {rhs} = {_fmt(right)}",
                 fields=list(rule.fields), rule=rule.id, stage="checks",
                 extra={"left": left, "right": right,
                        "left_fields": list(rule.left), "right_fields": list(rule.right)})


def blank_total_tables(fields: dict) -> list[str]:
    """Tables whose 总计 column is printed but blank (null) in every row."""
    out = []
    for table, col in TOTAL_COLUMN.items():
        keys = [k for k in fields if k.startswith(table + ".") and spec.split_key(k)[2] == col]
        if keys and all(fields[k] is None for k in keys):
            out.append(table)
    return out


def arithmetic_issues(fields: dict) -> list[Issue]:
    """The issues for every broken rule of ``fields`` (key -> value or None).

    One issue per broken rule, except that the rules broken by a 总计 column left blank in every
    row of its table form a single "not filled" issue listing them all in ``rules``.
    """
    broken = [r for r in spec.rules_for(fields) if not spec.rule_holds(r, fields)]
    blank_tables = blank_total_tables(fields)
    blank_totals = {k for k in fields if spec.split_key(k)[0] in blank_tables
                    and spec.split_key(k)[2] == TOTAL_COLUMN[spec.split_key(k)[0]]}
    not_filled = [r for r in broken if blank_totals & set(r.fields)]
    out = []
    if not_filled:
        names = "、".join(spec.SECTION_OF_TABLE[t] for t in blank_tables)
        # the blank totals, and the values they leave unverified
        named = {f for r in not_filled for f in r.fields} | blank_totals
        out.append(Issue(
            "arithmetic", f"not filled: the 总计 column of section {names} is blank in every "
            f"row, which breaks {len(not_filled)} rule(s)",
            fields=[k for k in fields if k in named],
            rules=[r.id for r in not_filled], stage="checks",
            extra={"not_filled": True, "tables": blank_tables}))
    out += [rule_issue(r, fields) for r in broken if r not in not_filled]
    return out


def arithmetic_rule_ids(issues) -> set[str]:
    """The rule ids named by the ``arithmetic`` issues among ``issues`` (objects or dicts)."""
    out: set[str] = set()
    for i in issues:
        d = i.to_dict() if isinstance(i, Issue) else i
        if d.get("kind") != "arithmetic":
            continue
        if d.get("rule"):
            out.add(d["rule"])
        out.update(d.get("rules") or ())
    return out


def _prov_get(prov, name, default=None):
    if isinstance(prov, Provenance):
        return getattr(prov, name, default)
    if isinstance(prov, dict):
        return prov.get(name, default)
    return default


def confirmed_by_arithmetic(fields: dict, min_rules: int = 2) -> dict[str, int]:
    """Numbers that at least ``min_rules`` rules of the template check and that no broken rule
    names: key -> the number of rules that hold over it.

    A misread digit breaks every rule it is in, unless another misread makes up the difference
    in each of them; in a row sum and a column sum at once that takes three more misreads in a
    rectangle. Such a number is not doubtful whatever its OCR score. A null (a printed blank)
    is never confirmed: it counts as 0 in a sum, so the rules cannot tell it from a 0.
    """
    holding: dict[str, int] = {}
    broken: set[str] = set()
    for rule in spec.rules_for(fields):
        if spec.rule_holds(rule, fields):
            for k in set(rule.fields):
                holding[k] = holding.get(k, 0) + 1
        else:
            broken.update(rule.fields)
    return {k: n for k, n in holding.items()
            if n >= min_rules and k not in broken and fields.get(k) is not None}


def confidence_issues(record: Record, read_threshold: float = LOW_READ_CONFIDENCE,
                      label_threshold: float = LOW_LABEL_CONFIDENCE) -> list[Issue]:
    """``low_confidence`` issues: doubtful readings and doubtful labels, one issue for each cause.

    A reading is doubtful when its confidence is below ``read_threshold`` (unless the arithmetic
    proved and corrected it: the ``corrected`` issue names it; or two or more rules that hold
    check it: ``confirmed_by_arithmetic``, noted in its provenance) or when a cell held text that is
    neither a number nor a blank (the number parser gave up and the value is null).
    """
    low_read: dict[str, float] = {}
    unreadable: dict[str, str] = {}
    low_label: dict[str, float] = {}
    confirmed = confirmed_by_arithmetic(record.fields)
    for key, prov in record.provenance.items():
        if key not in record.fields:
            continue
        rc = _prov_get(prov, "read_confidence")
        lc = _prov_get(prov, "label_confidence")
        text = _prov_get(prov, "text") or ""
        corrected = isinstance(prov, Provenance) and "corrected" in prov.extra or \
            isinstance(prov, dict) and "corrected" in prov
        if rc is not None and rc < read_threshold and not corrected:
            if key in confirmed:
                if isinstance(prov, Provenance):
                    prov.extra["confirmed"] = f"arithmetic: {confirmed[key]} rules hold"
            else:
                low_read[key] = round(float(rc), 4)
        if record.fields[key] is None and text and not is_null_text(text) \
                and not looks_numeric(text):
            unreadable[key] = text
        if lc is not None and lc < label_threshold:
            low_label[key] = round(float(lc), 4)
    out = []
    if low_read:
        out.append(Issue("low_confidence", f"{len(low_read)} value(s) read with an OCR confidence "
                         f"below {read_threshold}", fields=list(low_read), stage="checks",
                         extra={"cause": "read", "confidence": low_read}))
    if unreadable:
        out.append(Issue("low_confidence", f"{len(unreadable)} cell(s) hold text that is not a "
                         "number; recorded as null", fields=list(unreadable), stage="checks",
                         extra={"cause": "unreadable", "text": unreadable}))
    if low_label:
        out.append(Issue("low_confidence", f"{len(low_label)} value(s) whose row or column label "
                         f"was recognised with a probability below {label_threshold}",
                         fields=list(low_label), stage="checks",
                         extra={"cause": "label", "confidence": low_label}))
    return out


def check_record(record: Record, options: Options) -> None:
    """The checks stage: corrections (when allowed), arithmetic issues, confidence flags."""
    if options.correct:
        from . import correct
        record.issues.extend(correct.correct_record(record))
    record.issues.extend(arithmetic_issues(record.fields))
    record.issues.extend(confidence_issues(record))
