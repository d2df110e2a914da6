"""Grids to fields: label rows and columns with the classifier, parse numbers, keep provenance.

Shared by every input kind (see ``docs/grid.md``). For each grid:

1. ``grid_to_slots``: the dense matrix; every cell is *numeric* (a number, or a printed dash),
   *blank* or *text*.
2. ``value_columns``: the columns in which some cell holds a number.
3. ``classify_cells``: every text cell is classified once, with the grid's section, its kind
   guessed from its place (in a row with numbers: a row label; above numbers in a value column: a
   column header) and its context (the label left of it, or the header above it).
4. ``cells_to_fields``: for every value slot of a data row, the row key comes from the row's label
   chain (rightmost row label), or, for section 四, from the column chain; the column key from the
   nearest header block above (deepest column header). Header blocks may recur mid-table.
5. Values are parsed; unreadable values, unknown labels, duplicates and missing tables become
   issues. Nothing is dropped or guessed silently.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from dataclasses import dataclass

from . import digitruns, numbers, spec
from .classifier import LabelInput, Prediction, load_default
from .model import Cell, Document, Grid, Issue, Provenance, Record
from .options import Options

log = logging.getLogger(__name__)

ROW_TABLES = ("proactive", "requests", "review_litigation")
GROUP_ROW_KEYS = ("requests.other",)   # a row in 2019, a group heading where sub-rows follow


@dataclass(eq=False)
class Labelled:
    cell: Cell
    pred: Prediction
    kind: str | None
    input: LabelInput | None = None

    @property
    def key(self) -> str:
        return self.pred.key

    @property
    def is_row(self) -> bool:
        return self.key.split(".", 1)[0] in ROW_TABLES

    @property
    def is_col(self) -> bool:
        return self.key.startswith("col.")

    @property
    def is_group(self) -> bool:
        return self.key.startswith("group.")


def cell_kind(cell: Cell) -> str:
    """``numeric`` (a number, a printed dash, or a short run of symbols where a value stands,
    which the number parser then reports as unreadable), ``blank`` or ``text``."""
    t = numbers.normalise(cell.text)
    if not t:
        return "blank"
    if cell.rowspan > 1 and cell.colspan > 1 and not any(ch.isdigit() for ch in t):
        # the corner over the row labels and under the column headers: a diagonal rule drawn
        # across it, or a speck on a poor scan, reads as a mark, but no value spans a block
        return "blank" if len(t) <= 3 and not any(ch.isalnum() for ch in t) else "text"
    if numbers.looks_numeric(cell.text):
        return "numeric"
    if len(t) <= 3 and not any(ch.isalnum() for ch in t):
        return "numeric"
    return "text"


def value_columns(dense, kinds) -> set[int]:
    cols: set[int] = set()
    for row in dense:
        for k, c in enumerate(row):
            # a number or a printed dash (a report may print every value of a table as ／)
            if c is not None and kinds[id(c)] == "numeric":
                cols.add(k)
        # (web/text ingesters) a row of values with no label at all, as section 四 prints it:
        # its blank cells are value slots too, even in a column left blank in every row
        present = [c for c in row if c is not None]
        if present and all(kinds[id(c)] != "text" for c in present) and \
                any(kinds[id(c)] == "numeric" for c in present):
            cols.update(k for k, c in enumerate(row) if c is not None)
    return cols


def classify_cells(grid: Grid, dense, kinds, vcols, model,
                   contexts: dict[int, str] | None = None) -> dict[int, Labelled]:
    """Classify every text cell once; returns id(cell) -> Labelled. ``contexts`` gives the group
    label of row-label cells whose group is not printed right beside them."""
    numeric_rows = {r for r, row in enumerate(dense)
                    if any(c is not None and kinds[id(c)] == "numeric" for c in row)}
    # a row whose value slots are all blank (a row of the template the report left empty) has
    # its labels in row-label place too: 3、其他 under （六）其他处理 with nothing in it
    blank_rows = {r for r, row in enumerate(dense)
                  if vcols and r not in numeric_rows
                  and all(row[k] is None or kinds[id(row[k])] == "blank" for k in vcols
                          if k < len(row))
                  and any(row[k] is not None and kinds[id(row[k])] == "text"
                          for k in range(min(vcols)))}
    inputs, cells, guessed = [], [], []
    seen: set[int] = set()
    for r, row in enumerate(dense):
        for k, c in enumerate(row):
            if c is None or id(c) in seen or kinds[id(c)] != "text":
                continue
            seen.add(id(c))
            span = set(range(c.col, c.col + c.colspan))
            in_vcols = bool(span & vcols) and not (span - vcols and c.col < min(vcols or {0}))
            # label columns stand left of the values: text right of the first value column is a
            # header even over a column whose values are all blank
            in_vcols = in_vcols or (bool(vcols) and c.col > min(vcols))
            rows = set(range(c.row, c.row + c.rowspan))
            if rows & (numeric_rows | blank_rows) and not in_vcols:
                kind = "row"
            elif in_vcols and not rows & numeric_rows:
                kind = "column"
            else:
                kind = None
            context = ""
            if kind == "column" and c.row > 0:
                above = dense[c.row - 1][c.col]
                if above is not None and kinds[id(above)] == "text":
                    context = above.text
            elif kind == "row" and c.col > 0:
                left = dense[c.row][c.col - 1]
                if left is not None and kinds[id(left)] == "text":
                    context = left.text
            if contexts and id(c) in contexts:
                context = contexts[id(c)]
            inputs.append(LabelInput(c.text, context, grid.section, kind))
            cells.append(c)
            guessed.append(kind)
    preds = model.predict(inputs) if inputs else []
    return {id(c): Labelled(c, p, g, x) for c, p, g, x in zip(cells, preds, guessed, inputs)}


def header_columns(dense, kinds, labels, vcols) -> set[int]:
    """Columns under a column header that hold no label text: value columns even when every value
    in them is blank (a column of blanks prints no number to find it by)."""
    text_cols: set[int] = set()
    numeric_rows = {r for r, row in enumerate(dense)
                    if any(c is not None and kinds[id(c)] == "numeric" for c in row)}
    for r in numeric_rows:
        for k, c in enumerate(dense[r]):
            if c is not None and kinds[id(c)] == "text" and c.colspan == 1:
                text_cols.add(k)
    out: set[int] = set()
    for lb in labels.values():
        if lb.is_col and lb.cell.colspan == 1 and lb.cell.col not in vcols \
                and lb.cell.col not in text_cols:
            out.add(lb.cell.col)
    return out


def group_contexts(dense, kinds, labels, vcols) -> dict[int, str]:
    """The group label of row-label cells whose group is not printed right beside them.

    Two printings: the group label in a row of its own above its sub-rows (inline), and a group
    label in a merged cell drawn without ruling lines, so that it stands in one row of its group
    only. Sub-rows then take the nearest group label above (inline) or the group label in a column
    to their left found over blank slots, up or down.
    """
    def lab(c):
        return labels.get(id(c)) if c is not None else None

    def is_group(lb):
        return lb is not None and (lb.is_group or lb.key in GROUP_ROW_KEYS) and \
            lb.key not in HEADER_GROUPS

    out: dict[int, str] = {}
    inline: Labelled | None = None
    for r, row in enumerate(dense):
        cells = [c for c in dict.fromkeys(row) if c is not None]
        labs = [lab(c) for c in cells if lab(c) is not None]
        numeric = any(kinds[id(c)] == "numeric" for c in cells)
        if not numeric and labs and all(is_group(lb) or lb.key == "none" for lb in labs) and \
                any(is_group(lb) for lb in labs):
            inline = [lb for lb in labs if is_group(lb)][-1]
            continue
        # row labels, including those too doubtful without their group to be placed yet
        row_labels = [lb for lb in labs if lb.kind != "column" and
                      lb.pred.best.split(".", 1)[0] in ROW_TABLES]
        if not row_labels:
            continue
        first = row_labels[0].cell
        left = dense[r][first.col - 1] if first.col > 0 else None
        if left is not None and kinds[id(left)] == "text" and not (
                inline is not None and lab(left) is not None and lab(left).key == "group.results"):
            continue  # its group is printed beside it (not just the outer 三、本年度办理结果)
        found = None
        # an inline group row above is nearer than a merged group cell found in a column
        if inline is not None and len(row_labels) == 1 and \
                row_labels[0].pred.best.split(".", 1)[-1] not in TOP_LEVEL_ROWS:
            found = inline
        for k in range(first.col - 1, -1, -1):
            if found is not None or k in vcols:
                break
            found = _scan_group(dense, kinds, labels, r, k, is_group)
        if found is None:
            if row_labels[0].pred.best.split(".", 1)[-1] in TOP_LEVEL_ROWS:
                inline = None
            continue
        out[id(first)] = found.cell.text
    return out


# rows that end a group (an inline group's context does not reach past them); the single
# （六）其他处理 row is not one: a doubtful "3.其他" under it reads like it
TOP_LEVEL_ROWS = ("new", "carried_over", "granted", "partly_granted", "total", "carried_forward")


def _scan_group(dense, kinds, labels, r, k, is_group):
    """Nearest text cell up or down column ``k`` from row ``r`` over blank slots, if a group."""
    best = None
    for step in (-1, 1):
        rr = r + step
        dist = 1
        while 0 <= rr < len(dense):
            c = dense[rr][k]
            if c is not None and kinds[id(c)] == "text":
                lb = labels.get(id(c))
                if is_group(lb) and (best is None or dist < best[0]):
                    best = (dist, lb)
                break
            rr += step
            dist += 1
    return best[1] if best else None


def infer_section(labels: dict[int, Labelled]) -> str | None:
    votes = Counter(lab.key.split(".", 1)[0] for lab in labels.values() if lab.is_row)
    if not votes:
        cols = Counter(lab.key[4:] for lab in labels.values() if lab.is_col)
        for section, names in (("三", {"natural_person", "business"}),
                               ("四", {"upheld", "pending"})):
            if any(cols[n] for n in names):
                return section
        return None
    return spec.SECTION_OF_TABLE[votes.most_common(1)[0][0]]


@dataclass
class Slot:
    """A value cell with the keys found for it."""

    key: str
    cell: Cell
    label_conf: float


def cells_to_fields(grid: Grid, dense, kinds, labels: dict[int, Labelled], vcols,
                    issues: list[Issue]) -> list[Slot]:
    table = spec.TABLE_OF_SECTION.get(grid.section or "")
    if table is None:
        return []

    def lab(c):
        return labels.get(id(c)) if c is not None else None

    # data rows: a number in a value column, or a row label of this table with blank values
    data_rows = []
    for r, row in enumerate(dense):
        has_num = any(c is not None and k in vcols and kinds[id(c)] == "numeric"
                      for k, c in enumerate(row))
        has_row_label = any((lb := lab(c)) is not None and lb.is_row and lb.key.startswith(table)
                            and lb.kind != "column" for c in row)
        # a row of blanks right under the column headers, with no label (section 四 printed
        # as column groups, every value blank)
        blank_values = bool(vcols) and r > 0 and all(
            c is None or kinds[id(c)] == "blank" for c in row) and any(
            (lb := lab(c)) is not None and lb.is_col for c in dense[r - 1])
        if has_num or blank_values or (has_row_label and any(
                c is None or kinds[id(c)] == "blank" for k, c in enumerate(row) if k in vcols)):
            data_rows.append(r)
    data_set = set(data_rows)

    out: list[Slot] = []
    reported_unknown: set[int] = set()
    for r, row in enumerate(dense):
        if r not in data_set:
            continue   # headers, notes and inline group rows (their context: group_contexts)
        # the row's label chain, left to right, outside the value columns
        chain = [lab(c) for k, c in enumerate(row)
                 if k not in vcols and c is not None and kinds[id(c)] == "text"]
        chain = list(dict.fromkeys(x for x in chain if x is not None))
        unknown = [x for x in chain if x.key == "unknown"]
        row_keys = [x for x in chain if x.is_row and x.key.startswith(table)]
        # value cells of this row, each once
        seen: set[int] = set()
        for k, c in enumerate(row):
            if k not in vcols or (c is not None and id(c) in seen):
                continue
            if c is not None:
                seen.add(id(c))
                if kinds[id(c)] == "text":
                    continue
                ks = range(c.col, c.col + c.colspan)
            else:
                ks = range(k, k + 1)
            colchain = header_chain(dense, kinds, labels, data_set, r, ks)
            row_key, row_conf = None, 1.0
            if row_keys:
                row_key, row_conf = row_keys[-1].key, row_keys[-1].pred.prob
            else:
                cands = [x for x in colchain if x.is_row and x.key.startswith(table)]
                if cands:
                    row_key, row_conf = cands[-1].key, cands[-1].pred.prob
            cols = [x for x in colchain if x.is_col]
            col_key, col_conf = None, 1.0
            if cols:
                col_key, col_conf = cols[-1].key[4:], cols[-1].pred.prob
            elif colchain and colchain[-1].key == "group.org":
                col_key, col_conf = "org_subtotal", colchain[-1].pred.prob
            if row_key is None or col_key is None:
                if c is not None and kinds[id(c)] == "numeric" and id(c) not in reported_unknown:
                    reported_unknown.add(id(c))
                    what = []
                    if row_key is None:
                        what.append("row " + (" / ".join(repr(x.cell.text) for x in unknown or
                                                         chain) or "(no label)"))
                    if col_key is None:
                        what.append("column " + (" / ".join(repr(x.cell.text) for x in colchain)
                                                 or "(no header)"))
                    issues.append(Issue(
                        "unknown_label", f"value {c.text!r} not placed: cannot label "
                        f"{' and '.join(what)}", page=c.page, stage="assemble",
                        extra={"text": c.text, "section": grid.section,
                               "labels": [[x.cell.text, x.pred.best, round(x.pred.prob, 3)]
                                          for x in chain + colchain]}))
                continue
            if c is None:
                continue
            out.append(Slot(f"{row_key}.{col_key}", c, min(row_conf, col_conf)))
    return out


HEADER_GROUPS = ("group.org", "group.applicant", "group.litigation", "group.info_content")


def is_header_label(lb: Labelled) -> bool:
    """A column header: a column key, a heading over columns, or (section 四) a row group printed
    over its columns."""
    return lb.is_col or lb.key in HEADER_GROUPS or (
        lb.kind == "column" and lb.key.startswith("review_litigation."))


def header_chain(dense, kinds, labels, data_set, r, ks) -> list[Labelled]:
    """The labels of the nearest header block above row ``r`` over columns ``ks``, top first.

    Header rows are rows holding a column header; data rows, inline group rows (（三）不予公开
    printed across the table) and notes between the header block and the row are passed over.
    """
    chain: list[Labelled] = []
    started = False
    rr = r - 1
    while rr >= 0:
        row_labels = [labels[id(c)] for c in dense[rr] if c is not None and id(c) in labels]
        if rr in data_set or not any(is_header_label(lb) for lb in row_labels):
            if started:
                break
            rr -= 1
            continue
        started = True
        for k in ks:
            c = dense[rr][k]
            if c is not None and id(c) in labels:
                lb = labels[id(c)]
                if lb not in chain:
                    chain.append(lb)
        rr -= 1
    chain.reverse()
    return chain


def assemble(doc: Document, record: Record, options: Options) -> None:
    """Fill ``record.fields``, ``provenance``, ``units`` and issues from ``doc.grids``."""
    model = load_default()
    if options.unknown_threshold is not None:
        model.threshold = options.unknown_threshold
    slots: list[Slot] = []
    for grid in doc.grids:
        dense, kinds, vcols, labels = label_grid(grid, model)
        slots += cells_to_fields(grid, dense, kinds, labels, vcols, record.issues)
    slots_to_record(slots, record)
    # (text ingester) glued digit runs: fields from a run the arithmetic could not split uniquely
    # leave the record with an "ambiguous" issue; resolved runs get the raw run in provenance
    digitruns.finish_record(doc, record)
    check_layout(record)


def label_grid(grid: Grid, model):
    """Classify a grid's text cells: (dense matrix, cell kinds, value columns, labels)."""
    dense = grid.dense()
    kinds = {id(c): cell_kind(c) for c in grid.cells}
    vcols = value_columns(dense, kinds)
    if grid.section_assumed:
        # no heading was read above it: its own labels, read with no section in mind, overrule
        # the section in force when they point to another (a garbled 四、… heading)
        assumed, grid.section = grid.section, None
        try:
            own = infer_section(classify_cells(grid, dense, kinds, vcols, model))
        finally:
            grid.section = assumed
        grid.section = own or assumed
    labels = classify_cells(grid, dense, kinds, vcols, model)
    if grid.section is None:
        grid.section = infer_section(labels)
        if grid.section is not None:
            labels = classify_cells(grid, dense, kinds, vcols, model)
    more = header_columns(dense, kinds, labels, vcols)
    if more:
        vcols |= more
        labels = classify_cells(grid, dense, kinds, vcols, model)
    contexts = group_contexts(dense, kinds, labels, vcols)
    if contexts:
        labels = classify_cells(grid, dense, kinds, vcols, model, contexts)
    resolve_by_order(grid, dense, kinds, vcols, labels)
    return dense, kinds, vcols, labels


def template_orders(table: str) -> list[tuple[str, ...]]:
    """The row keys of ``table`` in printed order, one tuple per way the templates print it
    (2019, 2021; for section 三, 其他处理 as one row or as three)."""
    if table == "requests":
        return [tuple(f"requests.{r}" for r in spec.request_rows(split)) for split in (False, True)]
    cats = [c for c in spec.categories() if c.table == table]
    return [tuple(c.key for c in cats if t in c.templates) for t in spec.TEMPLATES]


CONFLICT = "conflict"


def resolve_by_order(grid: Grid, dense, kinds, vcols, labels: dict[int, Labelled]) -> None:
    """Labels the classifier was unsure of, settled where the template's order agrees.

    A poor scan garbles a label ("7、馬于行政抗注案", "批食套益姐织") so that the classifier's best
    guess falls under its threshold. The template prints its rows, and section 三 its columns,
    in a fixed order: when the labels read with certainty before and after such a label leave
    exactly one template row (column) for its place, and that is the classifier's best guess,
    the two agree and the guess is taken (its probability stays what the classifier gave, so a
    weak label is still flagged). A guess the position does not confirm stays unknown.
    """
    table = spec.TABLE_OF_SECTION.get(grid.section or "")
    if table in ("requests", "proactive"):
        leaves: list[Labelled] = []   # the row label of each data row, top to bottom
        seen: set[int] = set()
        for row in dense:
            chain = [labels.get(id(c)) for k, c in enumerate(row)
                     if k not in vcols and c is not None and kinds[id(c)] == "text"]
            chain = [x for x in chain if x is not None and x.kind == "row"]
            # rows of the template only: a row of values (or of blanks) under its label; a
            # group heading printed in a row of its own is not one of the template's rows
            if chain and id(chain[-1].cell) not in seen and (
                    chain[-1].key == "unknown" or chain[-1].key.startswith(table + ".")):
                seen.add(id(chain[-1].cell))
                leaves.append(chain[-1])
        settle_in_order(leaves, template_orders(table), table + ".")
    if table == "requests":
        settle_in_order(column_leaves(dense, kinds, vcols, labels), request_column_orders(),
                        "col.")


def request_column_orders() -> list[tuple[str, ...]]:
    """Section 三's columns in printed order, without and with a 法人或其他组织 subtotal."""
    cols = [f"col.{c}" for c in spec.REQUEST_COLUMNS]
    return [tuple(cols), tuple(cols[:1] + ["col.org_subtotal"] + cols[1:]),
            tuple(cols[:-1] + ["col.org_subtotal"] + cols[-1:])]


def column_leaves(dense, kinds, vcols, labels) -> list[Labelled]:
    """The deepest column header over each value column, left to right (one per header cell):
    the lowest single-column header cell above the first row of values."""
    first = next((r for r, row in enumerate(dense)
                  if any(c is not None and k in vcols and kinds[id(c)] == "numeric"
                         for k, c in enumerate(row))), None)
    if first is None:
        return []
    out: list[Labelled] = []
    for k in sorted(vcols):
        for r in range(first - 1, -1, -1):
            c = dense[r][k] if k < len(dense[r]) else None
            lb = labels.get(id(c)) if c is not None else None
            if lb is not None and c.colspan == 1 and lb.kind == "column":
                if lb.key == "unknown" or lb.is_col:
                    if not out or out[-1] is not lb:
                        out.append(lb)
                break
    return out


def settle_in_order(leaves: list[Labelled], template: list[tuple[str, ...]], prefix: str) -> None:
    """Take the best guess of each unknown label in ``leaves`` (in printed order) where every
    order of ``template`` that fits the certain labels leaves exactly that key for its place."""
    if not any(lb.key == "unknown" for lb in leaves):
        return
    known = [lb.key if lb.key.startswith(prefix) else None for lb in leaves]

    def fits(order):
        idx = [order.index(k) for k in known if k is not None and k in order]
        return len(idx) == sum(k is not None for k in known) and idx == sorted(set(idx))

    orders = [o for o in template if fits(o)]
    if not orders:
        return

    def place(order, i):
        """The template key that the certain labels around leaf ``i`` leave for it, or None."""
        places = set()
        for step in (-1, 1):   # the nearest certain label each way, and how far it is
            j = i + step
            while 0 <= j < len(leaves) and known[j] is None:
                j += step
            if 0 <= j < len(leaves):
                places.add(order.index(known[j]) - step * abs(j - i))
        if len(places) > 1:
            return CONFLICT   # this order has another number of keys between them
        t = places.pop() if places else -1
        return order[t] if 0 <= t < len(order) else None

    for i, lb in enumerate(leaves):
        if lb.key != "unknown" or not lb.pred.best.startswith(prefix):
            continue
        # every template order that fits the certain labels must leave the same key here
        found = {place(order, i) for order in orders} - {CONFLICT}
        key = found.pop() if len(found) == 1 else None
        if key is not None and key == lb.pred.best and key not in known:
            lb.pred = dataclasses.replace(lb.pred, key=key)
            known[i] = key


def slots_to_record(slots: list[Slot], record: Record) -> None:
    keys = [s.key for s in slots]
    # a 2019-style single 其他处理 row printed blank beside real sub-rows is a heading
    if any(k.startswith("requests.other.") and k.count(".") == 3 for k in keys):
        slots = [s for s in slots if not (s.key.startswith("requests.other.")
                                          and s.key.count(".") == 2
                                          and numbers.normalise(s.cell.text) == "")]
    for s in slots:
        try:
            value = numbers.parse_number(s.cell.text)
        except ValueError:
            record.issues.append(Issue("unreadable", f"{s.key}: cannot read {s.cell.text!r} "
                                       "as a number", fields=[s.key], page=s.cell.page,
                                       stage="assemble"))
            continue
        if s.key in record.fields:
            if record.fields[s.key] != value:
                record.issues.append(Issue(
                    "duplicate", f"{s.key} printed twice with different values: "
                    f"{record.fields[s.key]!r} and {value!r}; the first is kept",
                    fields=[s.key], page=s.cell.page, stage="assemble"))
            continue
        if isinstance(value, float) and s.key not in spec.DECIMAL_FIELDS:
            record.issues.append(Issue("unexpected_value", f"{s.key}: a decimal {value!r} where "
                                       "the template counts items", fields=[s.key],
                                       page=s.cell.page, stage="assemble"))
        if isinstance(value, int) and value < 0 and spec.split_key(s.key)[2] not in \
                spec.SIGNED_COLUMNS:
            record.issues.append(Issue("unexpected_value", f"{s.key}: a negative count "
                                       f"{value!r}", fields=[s.key], page=s.cell.page,
                                       stage="assemble"))
        record.fields[s.key] = value
        unit = numbers.unit_of(s.cell.text)
        if unit and s.key in spec.TEMPLATE_UNITS and unit != spec.TEMPLATE_UNITS[s.key]:
            record.units[s.key] = unit
        extra = {}
        if s.cell.alternatives:
            extra["alternatives"] = [list(a) for a in s.cell.alternatives]
        record.provenance[s.key] = Provenance(
            text=s.cell.text, read_confidence=s.cell.confidence, label_confidence=s.label_conf,
            engine=s.cell.engine, page=s.cell.page, bbox=s.cell.bbox, span=s.cell.span,
            cell=s.cell.cell, extra=extra)


def detect_layout(fields: dict) -> tuple[str, bool, bool]:
    """(template, other_split, org_subtotal) from the keys found."""
    cols = {spec.split_key(k)[2] for k in fields if k.startswith("proactive.")}
    rows = {spec.split_key(k)[1] for k in fields if k.startswith("proactive.")}
    t2019 = {"new_made", "new_published", "total_published", "prev_year_items", "change",
             "items"}
    template = "2019" if (cols & t2019 or rows & {"other_services", "procurement"}) else "2021"
    if not cols:
        template = "2021" if any(k.startswith("requests.other.") and k.count(".") == 3
                                 for k in fields) else "2019" if fields else "2021"
    other_split = any(k.startswith("requests.other.") and k.count(".") == 3 for k in fields)
    if not any(k.startswith("requests.other") for k in fields):
        other_split = template == "2021"
    org_subtotal = any(k.endswith(".org_subtotal") for k in fields)
    return template, other_split, org_subtotal


def check_layout(record: Record) -> None:
    """Issues for tables not found, fields the layout needs but the tables lacked, and keys that
    belong to no layout of the template."""
    if not record.fields:
        return
    template, other_split, org_subtotal = detect_layout(record.fields)
    record.report["template"] = template
    expected = spec.expected_keys(template, other_split, org_subtotal)
    exp_set = set(expected)
    present_tables = {k.split(".", 1)[0] for k in record.fields}
    for table in spec.TABLES:
        if table not in present_tables:
            lost = [k for k in expected if k.startswith(table + ".")]
            record.issues.append(Issue(
                "missing_table", f"section {spec.SECTION_OF_TABLE[table]} ({table}) was not "
                f"found: its {len(lost)} fields are missing", fields=lost, stage="assemble"))
    missing = [k for k in expected if k not in record.fields
               and k.split(".", 1)[0] in present_tables
               and not any(i.fields and k in i.fields for i in record.issues)]
    if missing:
        record.issues.append(Issue(
            "missing", f"{len(missing)} field(s) of the {template} template not found in the "
            "tables", fields=missing, stage="assemble"))
    extra = [k for k in record.fields if k not in exp_set]
    if extra:
        record.issues.append(Issue(
            "unexpected_field", f"{len(extra)} field(s) do not belong to the {template} "
            "template's layout", fields=extra, stage="assemble"))
