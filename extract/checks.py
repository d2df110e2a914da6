"""The template's arithmetic (勾稽关系) as a checker: every broken rule becomes an issue.

Values read from a text layer, HTML or text are never changed here: they are what the report
printed. (Correction of OCR misreads is added on top of this module.)
"""

from __future__ import annotations

from . import spec
from .model import Issue, Record
from .options import Options


def _sum(fields, keys):
    return sum((fields.get(k) or 0) for k in keys)


def arithmetic_issues(fields: dict) -> list[Issue]:
    """One issue per broken rule (see ``spec.rules_for``), with both sides of the equation."""
    out = []
    for rule in spec.rules_for(fields):
        if spec.rule_holds(rule, fields):
            continue
        left, right = _sum(fields, rule.left), _sum(fields, rule.right)
        out.append(Issue("arithmetic", f"{rule.id}: {' + '.join(rule.left)} = {left:g}, but "
                         f"{' + '.join(rule.right)} = {right:g}", fields=list(rule.fields),
                         rule=rule.id, stage="checks", extra={"left": left, "right": right}))
    return out


def check_record(record: Record, options: Options) -> None:
    record.issues.extend(arithmetic_issues(record.fields))
