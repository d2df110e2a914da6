"""Corrections made in review: data of their own, applied on top of the extraction.

A person reviewing a batch (``gkreport review``, ``extract/review.py``) fixes values and confirms
others. Each act is one row of the table ``corrections`` in the batch's store
(``OUTDIR/gkreport.duckdb``), apart from the extraction's tables:

=================  ==========================================================================
column             meaning
=================  ==========================================================================
``id``             order of the acts (the latest act on a field is the one in force)
``report``         the report's ``sha256``
``field``          the field key (``requests.new.natural_person``)
``before``         the extraction's value when the act was made (``NULL``: blank or absent)
``after``          the value the person gave (``NULL``: the printed cell is blank)
``"when"``         UTC timestamp (quote it in SQL, like ``"table"``)
``note``           free text
``action``         ``set`` (a new value), ``confirm`` (the extracted value is right) or
                   ``revert`` (withdraw the earlier acts: the extraction stands again)
``in_extraction``  whether the extraction had the field at all when the act was made
=================  ==========================================================================

Applied (``apply``): the value is the person's, its provenance says ``engine: "human"`` (the page
and box are kept, so the page still shows where it was printed; the extraction's reading is kept
under ``extracted``), the arithmetic is checked again on the corrected values, and issues no
longer name reviewed fields. Nothing in the extraction is changed: ``gkreport batch`` replaces a
report's ``reports``/``fields``/``issues`` rows and record file when it extracts it again, never
this table. When a new extraction no longer gives the value a correction was made against
(``before``), the correction still applies and the disagreement is a *conflict*
(``conflicts``), listed in review and as an issue of kind ``review_conflict``.

Label corrections (the printed text of a row or column label and the key it means) go to the
table ``label_corrections`` and are appended to the classifier's ``training_data/curated.tsv``
(``labeldata.append_curated``) for the next ``gkreport train``.
"""

from __future__ import annotations

import copy
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import spec
from .errors import ExitCode, GkError, InputFileError, OptionsError

ACTIONS = ("set", "confirm", "revert")
# Largest magnitude a reviewed value may have: no report counts a trillion of anything.
MAX_VALUE = 10 ** 12
TRUTH_DIR = "truth"

DDL = [
    """CREATE TABLE IF NOT EXISTS corrections (
        id BIGINT PRIMARY KEY, report VARCHAR NOT NULL, field VARCHAR NOT NULL, before DOUBLE,
        after DOUBLE, "when" TIMESTAMP NOT NULL, note VARCHAR, action VARCHAR NOT NULL,
        in_extraction BOOLEAN NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS label_corrections (
        id BIGINT PRIMARY KEY, report VARCHAR, text VARCHAR NOT NULL, context VARCHAR,
        section VARCHAR, kind VARCHAR, before VARCHAR, after VARCHAR NOT NULL,
        "when" TIMESTAMP NOT NULL, note VARCHAR, curated VARCHAR)""",
]


class ValueProblem(GkError):
    """A value typed in review that is not a number the field can hold. The message says why."""

    exit_code = ExitCode.bad_args


@dataclass(frozen=True)
class Correction:
    id: int
    report: str
    field: str
    before: int | float | None
    after: int | float | None
    when: datetime
    note: str | None
    action: str
    in_extraction: bool

    def to_dict(self) -> dict:
        return {"id": self.id, "report": self.report, "field": self.field,
                "before": self.before, "after": self.after,
                "when": self.when.isoformat(timespec="seconds") + "Z", "note": self.note,
                "action": self.action, "in_extraction": self.in_extraction}


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# -- values ------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^([+-]?)(\d+)(?:\.(\d+))?$")


def parse_value(key: str, text) -> int | float | None:
    """A value typed by a person for field ``key``: digits only, a decimal point for amounts, a
    sign only for the 2019 本年增/减 column; blank means the printed cell is blank (null).

    Full-width digits are accepted (NFKC). Raises ``ValueProblem`` with a message a person can act
    on.
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueProblem(f"{key}: {text!r} is not a number")
    if isinstance(text, (int, float)):
        text = repr(text) if isinstance(text, float) else str(text)
    if not isinstance(text, str):
        raise ValueProblem(f"{key}: a value must be typed as text of digits")
    t = unicodedata.normalize("NFKC", text).strip().replace("−", "-")
    if t == "":
        return None
    shown = text.strip()[:20]
    m = _NUMBER.match(t)
    decimal = key in spec.DECIMAL_FIELDS
    if not m:
        what = "digits with an optional decimal point" if decimal else "whole numbers (digits only)"
        raise ValueProblem(f"「{shown}」 is not a number: type {what}, or leave it empty for a "
                           "blank cell")
    sign, whole, frac = m.groups()
    try:
        column = spec.split_key(key)[2]
    except ValueError:
        column = ""
    if sign == "-" and column not in spec.SIGNED_COLUMNS:
        raise ValueProblem(f"「{shown}」: a count cannot be negative")
    if frac is not None and not decimal:
        raise ValueProblem(f"「{shown}」: this field counts items, so it takes a whole number")
    if len(whole) > 13 or int(whole) >= MAX_VALUE:
        raise ValueProblem(f"「{shown}」 is too large for a report's figure")
    if frac is not None:
        return float(f"{sign}{whole}.{frac}")
    return int(f"{sign}{whole}")


def _typed(key: str, v):
    """A DOUBLE from the store as the record's type: whole numbers as int outside amounts."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if key not in spec.DECIMAL_FIELDS and float(v).is_integer():
        return int(v)
    return float(v)


def same_value(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-9


def fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return f"{v:g}" if abs(v) < 1e15 else str(int(v))
    return str(v)


# -- the tables --------------------------------------------------------------------------------

def ensure_tables(con) -> None:
    for stmt in DDL:
        con.execute(stmt)


def has_table(con, name: str = "corrections") -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                            "AND table_schema = 'main'", [name]).fetchone()[0])


def _next_id(con, table: str) -> int:
    return int(con.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0])


def load(con, report: str | None = None) -> list[Correction]:
    """Every act (all reports, or one), oldest first."""
    if not has_table(con):
        return []
    sql = ('SELECT id, report, field, before, after, "when", note, action, in_extraction '
           "FROM corrections")
    params = []
    if report is not None:
        sql += " WHERE report = ?"
        params.append(report)
    rows = con.execute(sql + " ORDER BY id", params).fetchall()
    return [Correction(i, r, f, _typed(f, b), _typed(f, a), w, n, act, bool(ie))
            for i, r, f, b, a, w, n, act, ie in rows]


def effective(acts: list[Correction]) -> dict[tuple[str, str], Correction]:
    """(report, field) -> the act in force: the latest, unless it is a revert."""
    out: dict[tuple[str, str], Correction] = {}
    for c in sorted(acts, key=lambda c: c.id):
        if c.action == "revert":
            out.pop((c.report, c.field), None)
        else:
            out[(c.report, c.field)] = c
    return out


def for_report(acts: list[Correction], report: str) -> dict[str, Correction]:
    """field -> the act in force, for one report."""
    return {f: c for (r, f), c in effective(acts).items() if r == report}


def add(con, record: dict, field: str, action: str, after=None, note: str | None = None
        ) -> Correction:
    """Record one act on ``field`` of ``record`` (the extraction as it stands). ``after`` is a
    parsed value (``parse_value``) for ``set``; ``confirm`` takes the extraction's value (or the
    value in force, when a correction already stands: confirming a corrected value keeps it)."""
    if action not in ACTIONS:
        raise OptionsError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    report = record["source"]["sha256"]
    fields = record.get("fields") or {}
    in_extraction = field in fields
    before = fields.get(field)
    if action == "confirm":
        current = for_report(load(con, report), report).get(field)
        after = current.after if current is not None else before
    if action == "revert":
        after = None
    ensure_tables(con)
    con.execute("BEGIN TRANSACTION")
    try:
        cid = _next_id(con, "corrections")
        when = now()
        con.execute('INSERT INTO corrections (id, report, field, before, after, "when", note, '
                    "action, in_extraction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [cid, report, field, before, after, when, note, action, in_extraction])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Correction(cid, report, field, before, after, when, note, action, in_extraction)


# -- applying them -----------------------------------------------------------------------------

def conflicts(record: dict, in_force: dict[str, Correction]) -> list[dict]:
    """Corrections made against an extraction that has changed since: the field's extracted value
    (or its presence) is no longer what the person saw. The correction still applies."""
    fields = record.get("fields") or {}
    out = []
    for key, c in in_force.items():
        present = key in fields
        now_value = fields.get(key)
        if present != c.in_extraction or (present and not same_value(now_value, c.before)):
            out.append({"field": key, "corrected_against": c.before if c.in_extraction else
                        "absent", "extracted_now": now_value if present else "absent",
                        "after": c.after, "action": c.action, "id": c.id})
    return out


def apply(record: dict, in_force: dict[str, Correction]) -> dict:
    """The record with the corrections in force applied (a new dict; ``record`` is unchanged).

    Values are the person's; provenance ``engine`` is ``"human"``; arithmetic issues are
    recomputed on the corrected values; other issues drop the fields a person reviewed (an issue
    left naming no field is dropped); a ``review_conflict`` issue lists conflicts; ``status`` is
    recomputed; ``review`` summarises the review.
    """
    from .checks import arithmetic_issues

    out = copy.deepcopy(record)
    if not in_force:
        return out
    fields = out.setdefault("fields", {})
    prov = out.setdefault("provenance", {})
    for key, c in in_force.items():
        old = prov.get(key) or {}
        new = {k: old[k] for k in ("page", "bbox", "span", "cell") if k in old}
        new.update({"text": fmt(c.after), "confidence": 1.0, "read_confidence": 1.0,
                    "label_confidence": 1.0, "engine": "human",
                    "reviewed": "confirmed" if c.action == "confirm" else "corrected",
                    "when": c.to_dict()["when"], "correction_id": c.id})
        if c.note:
            new["note"] = c.note
        if key in record.get("fields", {}):
            new["extracted"] = {"value": record["fields"][key],
                                **{k: old[k] for k in ("text", "engine", "confidence")
                                   if k in old}}
        prov[key] = new
        fields[key] = c.after
    reviewed = set(in_force)
    issues = []
    for issue in out.get("issues") or []:
        if issue.get("kind") == "arithmetic":
            continue                      # recomputed below on the corrected values
        named = issue.get("fields") or []
        if named:
            left = [k for k in named if k not in reviewed]
            if not left:
                continue
            issue = {**issue, "fields": left}
        issues.append(issue)
    # ordered as the extraction's own: corrections and confidence issues keep their place
    arith = [i.to_dict() for i in arithmetic_issues(fields)]
    for i in arith:
        i["stage"] = "review"
    issues += arith
    clash = conflicts(record, in_force)
    if clash:
        issues.append({"kind": "review_conflict", "stage": "review",
                       "fields": [c["field"] for c in clash],
                       "message": f"{len(clash)} correction(s) were made against values a new "
                       "extraction no longer gives; the corrections stand: check them",
                       "conflicts": clash})
    out["issues"] = issues
    if out.get("status") != "failed" or fields:
        out["status"] = "partial" if issues else "ok"
    out["review"] = {"corrected": sum(1 for c in in_force.values() if c.action == "set"),
                     "confirmed": sum(1 for c in in_force.values() if c.action == "confirm"),
                     "conflicts": len(clash)}
    return out


def doubtful_fields(record: dict) -> list[str]:
    """The keys a person must look at (named by an issue), in the template's order."""
    from .export import key_sort

    named = {k for i in record.get("issues") or [] for k in i.get("fields") or []}
    return key_sort(named)


# -- truth files -------------------------------------------------------------------------------

def truth_name(record: dict) -> str:
    """The document name ``gkreport eval`` pairs the record with (its file name up to the first
    dot, ``evaluate.doc_name``)."""
    from .evaluate import doc_name

    src = record.get("source") or {}
    path = src.get("path") or src.get("sha256") or "report"
    name = doc_name(str(path).split("!")[-1])
    safe = "".join(ch if (ch.isalnum() or ch in "-_") else "_" for ch in name).strip("_")
    return safe or src.get("sha256", "report")[:16]


def truth_dict(record: dict, in_force: dict[str, Correction]) -> dict:
    """A truth file (docs/fields.md, "The ground-truth file") from a reviewed record: the values in
    force (extracted, corrected or confirmed), ``checks`` = the rules the reviewed figures still
    break (the report's own misprints). ``review`` (ignored by ``gkreport eval``) says which
    fields a person looked at and which doubtful ones nobody did."""
    applied = apply(record, in_force)
    rep = applied.get("report") or {}
    from .export import key_sort

    fields = {k: applied["fields"][k] for k in key_sort(applied.get("fields") or {})}
    checks = sorted(spec.broken_rules(fields))
    unreviewed = [k for k in doubtful_fields(record) if k not in in_force]
    return {
        "report": {k: rep.get(k) for k in ("agency", "year", "template", "published")},
        "fields": fields, "checks": checks, "ambiguous": [],
        "source": {k: (applied.get("source") or {}).get(k) for k in ("path", "sha256", "kind")},
        "review": {"saved": now().isoformat(timespec="seconds") + "Z", "tool": "gkreport review",
                   "corrected": sorted(k for k, c in in_force.items() if c.action == "set"),
                   "confirmed": sorted(k for k, c in in_force.items() if c.action == "confirm"),
                   "unreviewed_doubtful": unreviewed},
    }


def save_truth(outdir, record: dict, in_force: dict[str, Correction]) -> Path:
    """Write ``OUTDIR/truth/<name>.truth.json`` for ``gkreport eval --truth OUTDIR/truth``.

    Saving again overwrites the same report's truth; a file of that name holding another
    report's truth is never overwritten (two inputs with the same file name)."""
    from .evaluate import TRUTH_SUFFIX

    target = Path(outdir) / TRUTH_DIR / f"{truth_name(record)}{TRUTH_SUFFIX}"
    sha = record["source"]["sha256"]
    if target.exists():
        try:
            held = (json.loads(target.read_text("utf-8")).get("source") or {}).get("sha256")
        except (OSError, ValueError) as e:
            raise InputFileError(target, f"exists and is not a readable truth file: {e}") from e
        if held and held != sha:
            raise OptionsError(f"{target} already holds the truth of another report "
                               f"({held[:12]}…) with the same file name; move it away first")
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(truth_dict(record, in_force), ensure_ascii=False, indent=1) + "\n"
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


# -- label corrections (training data) ---------------------------------------------------------

def label_keys(section: str | None = None) -> list[str]:
    """The keys a printed label may mean (``training_data/README.md``): rows ``table.row``,
    columns ``col.<column>``, groups ``group.<name>``, and ``none``; for one section, only its
    rows and columns."""
    from .classifier import SECTION_COLUMNS

    table = spec.TABLE_OF_SECTION.get(section or "")
    rows = [c.key for c in spec.categories() if table is None or c.table == table]
    cols = sorted({c for s, cs in SECTION_COLUMNS.items() if section in (None, s) for c in cs})
    return rows + [f"col.{c}" for c in cols] + [f"group.{g}" for g in spec.GROUP_LABELS] + ["none"]


def add_label(con, *, text: str, key: str, context: str = "", section: str | None = None,
              kind: str | None = None, before: str | None = None, report: str | None = None,
              note: str | None = None, curated: Path | None = None) -> dict:
    """Record that the printed label ``text`` means ``key``, and append it to ``curated``
    (``training_data/curated.tsv``) when given."""
    from .classifier import LabelInput
    from .labeldata import append_curated

    text = (text or "").strip()
    if not text or len(text) > 200:
        raise ValueProblem("a label is the printed text of a row or column header (1-200 "
                           "characters)")
    if section not in (None, "", *spec.TABLE_OF_SECTION):
        raise ValueProblem(f"section must be one of {'/'.join(spec.TABLE_OF_SECTION)}")
    if kind not in (None, "", "row", "column"):
        raise ValueProblem("kind must be row or column")
    if key not in label_keys():
        raise ValueProblem(f"{key!r} is not a label key (rows table.row, col.<column>, "
                           "group.<name> or none)")
    if any(ch in text + (context or "") for ch in "\t\r"):
        raise ValueProblem("a label cannot hold tabs")
    ensure_tables(con)
    con.execute("BEGIN TRANSACTION")
    try:
        lid = _next_id(con, "label_corrections")
        con.execute('INSERT INTO label_corrections (id, report, text, context, section, kind, '
                    'before, after, "when", note, curated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                    [lid, report, text, context or "", section or None, kind or None, before, key,
                     now(), note, str(curated) if curated else None])
        if curated is not None:
            append_curated(curated, [(LabelInput(text, context or "", section or None,
                                                 kind or None), key)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"id": lid, "text": text, "context": context or "", "section": section or "",
            "kind": kind or "", "key": key, "curated": str(curated) if curated else None}


def unknown_labels(record: dict) -> list[dict]:
    """Label readings the extraction could not place (``unknown_label`` issues): the printed text,
    the classifier's best guess and its probability, the section."""
    out = []
    for n, issue in enumerate(record.get("issues") or []):
        if issue.get("kind") != "unknown_label":
            continue
        for text, best, prob in issue.get("labels") or []:
            out.append({"issue": n, "text": text, "guess": best, "probability": prob,
                        "section": issue.get("section"),
                        "kind": "column" if str(best).startswith("col.") else "row"})
    return out


# -- export: corrected values in place of the extracted ones -----------------------------------

def shadow_corrected(con, outdir) -> int:
    """Make ``fields`` and ``reports`` on the (read-only) connection ``con`` mean the corrected
    tables, as temporary views over the store's own: reports with corrections in force get their
    applied record's rows (``engine = 'human'``, arithmetic rechecked, status recomputed).
    Returns how many reports changed. Used by ``gkreport export`` unless ``--raw``."""
    import pyarrow as pa

    from .store import REPORT_COLUMNS, _arrow_type, field_rows, report_row

    if not has_table(con):
        return 0
    in_force = effective(load(con))
    if not in_force:
        return 0
    shas = sorted({r for r, _ in in_force})
    db = con.execute("SELECT current_database()").fetchone()[0]
    meta = {sha: (rp, pv) for sha, rp, pv in con.execute(
        f'SELECT sha256, record_path, pipeline_version FROM "{db}".main.reports '
        "WHERE sha256 IN (SELECT unnest(?))", [shas]).fetchall()}
    frows, rrows = [], []
    keep = ("seconds", "peak_rss_mb", "run_engine", "batch_id", "extracted_at")
    for sha in shas:
        if sha not in meta:
            continue                      # corrections of a report no longer in the store
        record_path, version = meta[sha]
        record = read_record(outdir, record_path)
        applied = apply(record, {f: c for (r, f), c in in_force.items() if r == sha})
        frows += field_rows(applied)
        row = report_row(applied, record_path=record_path, pipeline_version=version)
        run = con.execute(f'SELECT {", ".join(keep)} FROM "{db}".main.reports WHERE sha256 = ?',
                          [sha]).fetchone()
        row.update(dict(zip(keep, run)))
        rrows.append(row)
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'fields' AND table_schema = 'main'").fetchall())
    rtypes = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_name = 'reports' AND table_schema = 'main'").fetchall())
    ftab = pa.table({c: pa.array([r.get(c) for r in frows], type=_arrow_type(t))
                     for c, t in types.items()})
    rtab = pa.table({c: pa.array([r.get(c) for r in rrows], type=_arrow_type(rtypes[c]))
                     for c in REPORT_COLUMNS})
    con.register("_gk_corrected_fields", ftab)
    con.register("_gk_corrected_reports", rtab)
    done = [r["sha256"] for r in rrows]
    con.execute("CREATE OR REPLACE TEMP TABLE _gk_corrected_shas AS SELECT unnest(?) AS sha256",
                [done or [""]])
    fcols = ", ".join(f'"{c}"' for c in types)
    rcols = ", ".join(REPORT_COLUMNS)
    con.execute(f'CREATE OR REPLACE TEMP VIEW fields AS SELECT {fcols} FROM "{db}".main.fields '
                "WHERE sha256 NOT IN (SELECT sha256 FROM _gk_corrected_shas) "
                f"UNION ALL SELECT {fcols} FROM _gk_corrected_fields")
    con.execute(f'CREATE OR REPLACE TEMP VIEW reports AS SELECT {rcols} FROM "{db}".main.reports '
                "WHERE sha256 NOT IN (SELECT sha256 FROM _gk_corrected_shas) "
                f"UNION ALL SELECT {rcols} FROM _gk_corrected_reports")
    return len(done)


def read_record(outdir, record_path: str) -> dict:
    """A record file named by the store (relative to OUTDIR; never outside it)."""
    root = Path(outdir).resolve()
    path = (root / record_path).resolve()
    if not path.is_relative_to(root):
        raise InputFileError(path, "a record path in the store points outside the output folder")
    try:
        return json.loads(path.read_text("utf-8"))
    except OSError as e:
        raise InputFileError(path, f"cannot read the record: {e.strerror or e}") from e
    except (UnicodeError, ValueError) as e:
        raise InputFileError(path, f"not a readable record: {e}") from e
