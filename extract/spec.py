"""The national template as data: tables, rows, columns, field keys and the arithmetic rules.

Everything here is derived from ``extract/data/categories.csv`` (a copy of the project spec) and
from the column tables of ``docs/fields.md``. Other modules ask this one which keys a template has;
none of them keeps its own list.

A field key is ``table.row.column`` (``requests.denied.state_secret.total``); a row id may itself
contain a dot. Two templates exist, ``"2019"`` and ``"2021"``; section 三 may print a single
其他处理 row (``requests.other``) or its three sub-rows (``requests.other.*``) independently of the
template of section 二, and may print a 法人或其他组织 subtotal column (``org_subtotal``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

TEMPLATES = ("2019", "2021")
TABLES = ("proactive", "requests", "review_litigation")
SECTION_OF_TABLE = {"proactive": "二", "requests": "三", "review_litigation": "四"}
TABLE_OF_SECTION = {v: k for k, v in SECTION_OF_TABLE.items()}

# Column keys with their printed headers (first is the template's wording).
COLUMN_LABELS: dict[str, tuple[str, ...]] = {
    # section 二
    "issued": ("本年制发件数",),
    "repealed": ("本年废止件数",),
    "in_force": ("现行有效件数",),
    "new_made": ("本年新制作数量",),
    "new_published": ("本年新公开数量",),
    "total_published": ("对外公开总数量",),
    "prev_year_items": ("上一年项目数量",),
    "change": ("本年增/减", "本年增减"),
    "decisions": ("本年处理决定数量", "处理决定数量"),
    "amount": ("本年收费金额（单位：万元）", "采购总金额", "本年收费金额"),
    "items": ("采购项目数量",),
    # section 三
    "natural_person": ("自然人",),
    "business": ("商业企业",),
    "research": ("科研机构",),
    "nonprofit": ("社会公益组织",),
    "legal_services": ("法律服务机构",),
    "other_org": ("其他",),
    "org_subtotal": ("小计", "法人或其他组织小计"),
    # section 三 and 四
    "total": ("总计",),
    # section 四
    "upheld": ("结果维持",),
    "corrected": ("结果纠正",),
    "other": ("其他结果",),
    "pending": ("尚未审结",),
}

# Group headings: printed labels that are neither a row nor a column themselves.
GROUP_LABELS: dict[str, tuple[str, ...]] = {
    "results": ("三、本年度办理结果",),
    "denied": ("（三）不予公开",),
    "unavailable": ("（四）无法提供",),
    "not_processed": ("（五）不予处理",),
    "org": ("法人或其他组织",),
    "applicant": ("申请人情况",),
    "litigation": ("行政诉讼",),
    "info_content": ("信息内容",),
    "article": ("第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项",
                "第二十条第（八）项", "第二十条第（九）项"),
}

REQUEST_APPLICANT_COLUMNS = ("natural_person", "business", "research", "nonprofit",
                             "legal_services", "other_org")
REQUEST_ORG_COLUMNS = ("business", "research", "nonprofit", "legal_services", "other_org")
REQUEST_COLUMNS = REQUEST_APPLICANT_COLUMNS + ("total",)
REVIEW_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
REVIEW_ROWS = ("reconsideration", "litigation_direct", "litigation_after_review")

PROACTIVE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "2021": {
        "rules": ("issued", "repealed", "in_force"),
        "normative_docs": ("issued", "repealed", "in_force"),
        "licensing": ("decisions",),
        "penalty": ("decisions",),
        "enforcement": ("decisions",),
        "fees": ("amount",),
    },
    "2019": {
        "rules": ("new_made", "new_published", "total_published"),
        "normative_docs": ("new_made", "new_published", "total_published"),
        "licensing": ("prev_year_items", "change", "decisions"),
        "other_services": ("prev_year_items", "change", "decisions"),
        "penalty": ("prev_year_items", "change", "decisions"),
        "enforcement": ("prev_year_items", "change", "decisions"),
        "fees": ("prev_year_items", "change"),
        "procurement": ("items", "amount"),
    },
}

# Fields whose values may carry decimals.
DECIMAL_FIELDS = frozenset({"proactive.fees.amount", "proactive.procurement.amount"})
# Fields that may be negative (signed changes in the 2019 template).
SIGNED_COLUMNS = frozenset({"change"})
# The unit the template prints for amounts.
TEMPLATE_UNITS = {"proactive.fees.amount": "万元", "proactive.procurement.amount": "万元"}


@dataclass(frozen=True)
class Category:
    """One row category of ``categories.csv``."""

    table: str
    row_id: str
    templates: tuple[str, ...]
    label: str
    parent_label: str

    @property
    def key(self) -> str:
        return f"{self.table}.{self.row_id}"


@lru_cache(maxsize=1)
def categories() -> tuple[Category, ...]:
    text = resources.files("extract").joinpath("data/categories.csv").read_text("utf-8")
    out = []
    for row in csv.DictReader(text.splitlines()):
        out.append(Category(row["table"], row["row_id"], tuple(row["template"].split("|")),
                            row["label"], row["parent_label"]))
    return tuple(out)


def row_keys() -> tuple[str, ...]:
    """Every row key ``table.row`` of either template."""
    return tuple(c.key for c in categories())


def request_rows(other_split: bool) -> tuple[str, ...]:
    """The section 三 row ids in printed order; ``other_split`` picks the three 其他处理 sub-rows."""
    rows = []
    for c in categories():
        if c.table != "requests":
            continue
        if c.row_id == "other" and other_split:
            continue
        if c.row_id.startswith("other.") and not other_split:
            continue
        rows.append(c.row_id)
    return tuple(rows)


DISPOSITION_EXCLUDED = frozenset({"new", "carried_over", "total", "carried_forward"})


def expected_keys(template: str, other_split: bool | None = None,
                  org_subtotal: bool = False) -> list[str]:
    """The field keys a report of ``template`` prints, in printed order.

    ``other_split`` defaults to the template's own choice (three sub-rows in 2021, one row in
    2019); the hybrid report passes it explicitly.
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; known: {', '.join(TEMPLATES)}")
    if other_split is None:
        other_split = template == "2021"
    keys = []
    for row, cols in PROACTIVE_COLUMNS[template].items():
        keys += [f"proactive.{row}.{c}" for c in cols]
    req_cols = list(REQUEST_COLUMNS)
    if org_subtotal:
        req_cols.insert(1, "org_subtotal")
    for row in request_rows(other_split):
        keys += [f"requests.{row}.{c}" for c in req_cols]
    for row in REVIEW_ROWS:
        keys += [f"review_litigation.{row}.{c}" for c in REVIEW_COLUMNS]
    return keys


def split_key(key: str) -> tuple[str, str, str]:
    """``requests.denied.state_secret.total`` -> (``requests``, ``denied.state_secret``, ``total``)."""
    table, rest = key.split(".", 1)
    row, col = rest.rsplit(".", 1)
    return table, row, col


def all_column_keys() -> tuple[str, ...]:
    return tuple(COLUMN_LABELS)


def row_label(row_key: str) -> str:
    """The printed label of a row key ``table.row`` (first variant)."""
    for c in categories():
        if c.key == row_key:
            return c.label.split(" (")[0]
    raise KeyError(row_key)


def field_label(key: str) -> str:
    """A readable Chinese label for a field key: row label · column header."""
    table, row, col = split_key(key)
    return f"{row_label(f'{table}.{row}')}·{COLUMN_LABELS[col][0]}"


# ---------------------------------------------------------------------------------------------
# The arithmetic the template states (勾稽关系). Each rule: id, left-hand keys, right-hand keys;
# the rule holds when sum(left) == sum(right) with null counted as 0. A rule applies when all its
# fields are present in the record.


@dataclass(frozen=True)
class Rule:
    id: str
    left: tuple[str, ...]
    right: tuple[str, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        return self.left + self.right


def rules_for(keys) -> list[Rule]:
    """Every rule whose fields are all in ``keys`` (an iterable of field keys)."""
    present = set(keys)
    req_rows = []
    req_cols = []
    for k in present:
        t, r, c = split_key(k)
        if t == "requests":
            if r not in req_rows:
                req_rows.append(r)
            if c not in req_cols:
                req_cols.append(c)
    order_r = [r for r in request_rows(True) + ("other",) if r in req_rows]
    order_c = [c for c in REQUEST_COLUMNS + ("org_subtotal",) if c in req_cols]
    out: list[Rule] = []
    for col in order_c:
        left = (f"requests.new.{col}", f"requests.carried_over.{col}")
        right = (f"requests.total.{col}", f"requests.carried_forward.{col}")
        out.append(Rule(f"requests.balance.{col}", left, right))
        disp = tuple(f"requests.{r}.{col}" for r in order_r if r not in DISPOSITION_EXCLUDED)
        out.append(Rule(f"requests.dispositions.{col}", (f"requests.total.{col}",), disp))
    for row in order_r:
        out.append(Rule(f"requests.row_total.{row}", (f"requests.{row}.total",),
                        tuple(f"requests.{row}.{c}" for c in REQUEST_APPLICANT_COLUMNS)))
        out.append(Rule(f"requests.org_subtotal.{row}", (f"requests.{row}.org_subtotal",),
                        tuple(f"requests.{row}.{c}" for c in REQUEST_ORG_COLUMNS)))
    for grp in REVIEW_ROWS:
        out.append(Rule(f"review_litigation.row_total.{grp}",
                        (f"review_litigation.{grp}.total",),
                        tuple(f"review_litigation.{grp}.{c}" for c in REVIEW_COLUMNS[:-1])))
    return [r for r in out if all(f in present for f in r.fields)]


def rule_holds(rule: Rule, fields: dict) -> bool:
    def total(keys):
        return sum((fields.get(k) or 0) for k in keys)
    return abs(total(rule.left) - total(rule.right)) < 1e-6


def broken_rules(fields: dict) -> list[str]:
    """Ids of the rules that ``fields`` (key -> value or None) break, in rule order."""
    return [r.id for r in rules_for(fields) if not rule_holds(r, fields)]
