"""The evaluation harness: extracted records against hand-labelled truth, field by field.

Comparison is exact and per field (``docs/fields.md`` defines both forms):

- a number equals a number of the same value (``3 == 3.0``); ``null`` only equals ``null``;
- a truth field absent from the prediction is ``missing`` (an error);
- a predicted field absent from the truth is ``extra``, unless the truth lists the key under
  ``ambiguous`` (a person could not read it), in which case the key is ``ambiguous`` and not scored.

Every result is one ``FieldRow`` per (document, field). Scores are raw counts (``Counts``) summed
over rows; every percentage is derived from the counts at the end, never averaged from other
percentages (the way spaCy's ``Scorer`` keeps its tallies).

Where errors hide. An error (a ``wrong`` or ``missing`` field) is *flagged* when some issue of the
record names the key in its ``fields``, or when the whole document failed (no record, or status
``failed``): a failed document is announced, not silent. Any other error is *silent*: a user who
trusts the record's issues would never look at it. *Flag precision* is the share of named fields
that were in fact wrong or missing; flags on values that are read correctly but break a rule the
truth's ``checks`` lists (the report's own misprint) are counted apart, as justified.

Documents and truth pair by the document's file name up to its first dot
(``hongze_2023.scan.pdf`` -> ``hongze_2023.truth.json``), or through a manifest (``read_manifest``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import platform
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields as dc_fields
from pathlib import Path
from typing import Callable, Iterable

from . import spec
from .errors import InputFileError, OptionsError

TRUTH_SUFFIX = ".truth.json"
FIELD_STATUSES = ("correct", "wrong", "missing", "extra", "ambiguous")
# Confidence buckets for calibration: [lo, hi) except the last, which includes 1.0.
CONFIDENCE_EDGES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0)
# The kind reported for a document whose kind nothing could tell.
UNKNOWN_KIND = "unknown"
# Suffix -> input kind, for documents that produced no record (so no ``source.kind``).
SUFFIX_KINDS = {".html": "html", ".htm": "html", ".shtml": "html", ".txt": "text",
                ".docx": "docx", ".png": "image", ".jpg": "image", ".jpeg": "image",
                ".tif": "image", ".tiff": "image", ".bmp": "image", ".webp": "image"}


# ---------------------------------------------------------------------------------------------
# Inputs: truth files, predictions, pairing


@dataclass(frozen=True)
class Truth:
    """One hand-labelled truth file. ``name`` is the document name it labels."""

    name: str
    path: str
    report: dict
    fields: dict
    checks: tuple[str, ...] = ()
    ambiguous: frozenset[str] = frozenset()


@dataclass
class Prediction:
    """One document's extraction (``record`` is ``None`` when extraction gave no record).

    ``document`` is the input's file name (``hongze_2023.scan.pdf``) or, lacking one, the record's
    file stem; ``truth`` names the truth it is compared with; ``kind`` the input kind it is scored
    under; ``seconds`` the wall time of its extraction, when known.
    """

    document: str
    truth: str
    record: dict | None
    kind: str
    error: str | None = None
    seconds: float | None = None
    sha256: str | None = None


def doc_name(path) -> str:
    """The name a document pairs with truth by: its file name up to the first dot."""
    return Path(str(path)).name.split(".", 1)[0]


def load_truth(path) -> Truth:
    """Read and validate one truth file; a malformed one is an ``InputFileError`` naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise InputFileError(path, f"cannot read truth file: {e.strerror or e}") from e
    except (UnicodeError, json.JSONDecodeError) as e:
        raise InputFileError(path, f"truth file is not valid UTF-8 JSON: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise InputFileError(path, "truth file has no \"fields\" object (see docs/fields.md, "
                             "\"The ground-truth file\")")
    for key, value in data["fields"].items():
        _check_key(path, key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise InputFileError(path, f"truth value of {key} is {value!r}; a value is a number "
                                 "or null")
    ambiguous = data.get("ambiguous") or []
    checks = data.get("checks") or []
    if not isinstance(ambiguous, list) or not isinstance(checks, list):
        raise InputFileError(path, "\"ambiguous\" and \"checks\" must be lists")
    for key in ambiguous:
        _check_key(path, key)
    both = set(ambiguous) & set(data["fields"])
    if both:
        raise InputFileError(path, f"{sorted(both)[0]} is both in \"fields\" and in "
                             "\"ambiguous\"; an ambiguous key is left out of \"fields\"")
    name = path.name[:-len(TRUTH_SUFFIX)] if path.name.endswith(TRUTH_SUFFIX) else doc_name(path)
    return Truth(name, str(path), dict(data.get("report") or {}), dict(data["fields"]),
                 tuple(checks), frozenset(ambiguous))


def _check_key(path, key):
    if not isinstance(key, str) or key.count(".") < 2 or key.split(".", 1)[0] not in spec.TABLES:
        raise InputFileError(path, f"{key!r} is not a field key (table.row.column with table "
                             f"one of {', '.join(spec.TABLES)})")


def load_truth_dir(directory) -> dict[str, Truth]:
    """Every ``*.truth.json`` of a folder, by document name."""
    d = Path(directory)
    if not d.is_dir():
        raise InputFileError(d, "truth folder not found")
    out = {}
    for p in sorted(d.glob(f"*{TRUTH_SUFFIX}")):
        t = load_truth(p)
        out[t.name] = t
    if not out:
        raise InputFileError(d, f"no truth files (*{TRUTH_SUFFIX}) in this folder")
    return out


@dataclass(frozen=True)
class ManifestEntry:
    document: str          # document file name (or path) as the manifest gives it
    truth: str             # truth file path (absolute, resolved against the manifest's folder)
    kind: str | None = None


def read_manifest(path) -> list[ManifestEntry]:
    """A manifest maps documents to truth files: CSV with a header ``document,truth[,kind]``, or
    JSON, a list of ``{"document": ..., "truth": ..., "kind": ...}``. Relative truth paths are
    relative to the manifest's folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeError) as e:
        raise InputFileError(path, f"cannot read manifest: {e}") from e
    if path.suffix.lower() == ".json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputFileError(path, f"manifest is not valid JSON: {e}") from e
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputFileError(path, "a JSON manifest is a list of objects")
    else:
        rows = list(csv.DictReader(text.splitlines()))
    out = []
    for i, r in enumerate(rows, 1):
        doc, truth = (r.get("document") or "").strip(), (r.get("truth") or "").strip()
        if not doc or not truth:
            raise InputFileError(path, f"entry {i} lacks \"document\" or \"truth\" (header "
                                 "document,truth[,kind])")
        tp = Path(truth)
        if not tp.is_absolute():
            tp = path.parent / tp
        out.append(ManifestEntry(doc, str(tp), (r.get("kind") or "").strip() or None))
    return out


def guess_kind(path) -> str:
    """The input kind of a document that yielded no record: a PDF is ``pdf-text`` when any page
    has a text layer, else ``pdf-scan``; other files by suffix."""
    p = Path(path)
    if p.is_dir():
        return "image"
    if p.suffix.lower() == ".pdf":
        try:
            import pypdfium2 as pdfium
            pdf = pdfium.PdfDocument(str(p))
            try:
                for i in range(min(len(pdf), 10)):
                    page = pdf[i]
                    tp = page.get_textpage()
                    if tp.count_chars() > 20:
                        return "pdf-text"
                return "pdf-scan"
            finally:
                pdf.close()
        except Exception:  # noqa: BLE001 - an unreadable PDF still needs a kind to be scored under
            return "pdf"
    return SUFFIX_KINDS.get(p.suffix.lower(), UNKNOWN_KIND)


def prediction_from_record(record: dict, fallback_name: str, truth_name: str | None = None,
                           kind: str | None = None, seconds: float | None = None) -> Prediction:
    src = record.get("source") or {}
    document = Path(src["path"]).name if src.get("path") else fallback_name
    failed = record.get("status") == "failed"
    error = None
    if failed:
        msgs = [i.get("message", "") for i in record.get("issues", [])
                if i.get("kind") in ("error", "missing_table")]
        error = "; ".join(msgs) or "extraction failed"
    if seconds is None:
        seconds = _record_seconds(record)
    return Prediction(document, truth_name or doc_name(document), record,
                      kind or src.get("kind") or UNKNOWN_KIND, error, seconds, src.get("sha256"))


def _record_seconds(record: dict) -> float | None:
    for holder in (record.get("timings") or {}, record.get("source") or {}):
        for k in ("seconds", "total", "wall"):
            v = holder.get(k)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return float(v)
    return None


def failed_prediction(document: str, truth_name: str, kind: str, error: str,
                      seconds: float | None = None, sha256: str | None = None) -> Prediction:
    return Prediction(document, truth_name, None, kind, error, seconds, sha256)


def record_files(pred_dir) -> list[Path]:
    """The record files of a prediction folder: ``*.json`` in it, or in its ``records/`` (the
    batch machinery's layout), truth files excepted."""
    d = Path(pred_dir)
    if not d.is_dir():
        raise InputFileError(d, "prediction folder not found")
    files = [p for p in sorted(d.glob("*.json")) if not p.name.endswith(TRUTH_SUFFIX)]
    if (d / "records").is_dir():
        files += [p for p in sorted((d / "records").glob("*.json"))]
    return [p for p in files if p.name not in ("summary.json", "manifest.json")]


def load_predictions(pred_dir, manifest: list[ManifestEntry] | None = None) -> list[Prediction]:
    """Read every record of ``pred_dir``. A file that is not a record is skipped with a warning
    in the result (it is not a document)."""
    by_doc = {Path(m.document).name: m for m in manifest or []}
    out = []
    for p in record_files(pred_dir):
        try:
            record = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeError, json.JSONDecodeError) as e:
            raise InputFileError(p, f"not a readable record: {e}") from e
        if not isinstance(record, dict) or "fields" not in record:
            raise InputFileError(p, "not a record (no \"fields\"; see docs/fields.md)")
        pred = prediction_from_record(record, p.stem)
        m = by_doc.get(pred.document) or by_doc.get(p.stem)
        if m is not None:
            pred.truth = m.truth
            pred.kind = m.kind or pred.kind
        out.append(pred)
    return out


# ---------------------------------------------------------------------------------------------
# Comparison: one row per (document, field)


@dataclass(frozen=True)
class FieldRow:
    """One (document, field) comparison. ``truth``/``predicted`` hold the values (``None`` also
    when absent: see ``status``). ``flagged``: an issue names the key; ``doc_failed``: the
    document gave no usable record; ``printed_error``: the key is in a rule the truth's ``checks``
    lists and an issue reporting that rule names it."""

    document: str
    kind: str
    key: str
    table: str
    row: str
    column: str
    status: str
    truth: float | int | None
    predicted: float | int | None
    flagged: bool
    doc_failed: bool
    printed_error: bool
    confidence: float | None
    corrected: bool

    @property
    def scored(self) -> bool:
        return self.status in ("correct", "wrong", "missing")

    @property
    def error(self) -> bool:
        return self.status in ("wrong", "missing")

    @property
    def silent(self) -> bool:
        return self.error and not (self.flagged or self.doc_failed)

    @property
    def row_key(self) -> str:
        return f"{self.table}.{self.row}"


def values_equal(truth, predicted) -> bool:
    """Exact equality of field values: numbers by value, null only equals null."""
    if truth is None or predicted is None:
        return truth is None and predicted is None
    if isinstance(truth, bool) or isinstance(predicted, bool):
        return False
    if isinstance(truth, (int, float)) and isinstance(predicted, (int, float)):
        return truth == predicted
    return False


def named_fields(record: dict) -> set[str]:
    out: set[str] = set()
    for issue in record.get("issues") or []:
        out.update(issue.get("fields") or [])
    return out


def _issue_rules(issue: dict) -> set[str]:
    rules = set(issue.get("rules") or [])
    if issue.get("rule"):
        rules.add(issue["rule"])
    return rules


@dataclass(frozen=True)
class Correction:
    """One ``corrected`` issue, judged: ``right`` (after == truth), ``wrong`` (after != truth;
    ``harmful`` when the value before was right), or ``ambiguous`` (the truth leaves the key
    ambiguous or absent, so nobody can say)."""

    document: str
    kind: str
    key: str
    before: object
    after: object
    truth: object
    outcome: str
    harmful: bool


@dataclass(frozen=True)
class DocResult:
    document: str
    truth: str
    kind: str
    failed: bool
    error: str | None
    seconds: float | None
    sha256: str | None
    status: str | None
    counts: "Counts"
    checks_truth: tuple[str, ...]
    checks_found: tuple[str, ...]
    checks_spurious: tuple[str, ...]
    meta: dict          # report metadata field -> True/False (agency, year, template)
    undecided: int      # ``ambiguous`` issues of the corrector (several corrections fit)
    undecided_with_truth: int  # of them, those where one candidate equals the truth

    @property
    def exact(self) -> bool:
        c = self.counts
        return not self.failed and c.fields > 0 and c.correct == c.fields and c.extra == 0


def compare(pred: Prediction, truth: Truth) -> tuple[list[FieldRow], DocResult, list[Correction]]:
    """Compare one prediction with its truth: the field rows, the document's result, and the
    judged corrections."""
    record = pred.record or {}
    failed = pred.record is None or record.get("status") == "failed"
    pfields = record.get("fields") or {}
    prov = record.get("provenance") or {}
    issues = record.get("issues") or []
    named = named_fields(record)
    checked_rules = set(truth.checks)
    printed_named: set[str] = set()
    found_rules: set[str] = set()
    for issue in issues:
        if issue.get("kind") != "arithmetic":
            continue
        rules = _issue_rules(issue)
        found_rules |= rules
        if rules & checked_rules:
            printed_named.update(issue.get("fields") or [])
    corrected_keys = {k for i in issues if i.get("kind") == "corrected" for k in i.get("fields") or []}

    rows: list[FieldRow] = []
    keys = list(truth.fields) + [k for k in pfields if k not in truth.fields]
    keys += [k for k in sorted(truth.ambiguous) if k not in pfields]
    for key in keys:
        in_t, in_p = key in truth.fields, key in pfields
        if key in truth.ambiguous:
            status = "ambiguous"
        elif in_t and not in_p:
            status = "missing"
        elif in_p and not in_t:
            status = "extra"
        else:
            status = "correct" if values_equal(truth.fields[key], pfields[key]) else "wrong"
        try:
            table, row, col = spec.split_key(key)
        except ValueError:
            table, row, col = key, "", ""
        conf = (prov.get(key) or {}).get("confidence") if in_p else None
        rows.append(FieldRow(
            pred.document, pred.kind, key, table, row, col, status,
            truth.fields.get(key), pfields.get(key), key in named, failed,
            key in printed_named and key in truth.fields, conf if _is_num(conf) else None,
            key in corrected_keys))

    corrections = []
    undecided = undecided_hit = 0
    for issue in issues:
        if issue.get("kind") == "corrected":
            for key in issue.get("fields") or []:
                before, after = issue.get("before"), issue.get("after")
                if key in truth.fields:
                    t = truth.fields[key]
                    outcome = "right" if values_equal(t, after) else "wrong"
                    harmful = outcome == "wrong" and values_equal(t, before)
                else:
                    t, outcome, harmful = None, "ambiguous", False
                corrections.append(Correction(pred.document, pred.kind, key, before, after, t,
                                              outcome, harmful))
        elif issue.get("kind") == "ambiguous" and issue.get("stage") == "correct":
            undecided += 1
            for cand in (issue.get("candidates") or []):
                if all(k in truth.fields and values_equal(truth.fields[k], v.get("after"))
                       for k, v in cand.items()):
                    undecided_hit += 1
                    break

    meta = {}
    rep = record.get("report") or {}
    for k in ("agency", "year", "template"):
        if k in truth.report:
            meta[k] = (not failed) and str(rep.get(k)) == str(truth.report[k])
    counts = Counts.of(rows)
    doc = DocResult(
        pred.document, truth.path, pred.kind, failed, pred.error, pred.seconds,
        pred.sha256 or (record.get("source") or {}).get("sha256"), record.get("status"), counts,
        tuple(sorted(checked_rules)), tuple(sorted(found_rules & checked_rules)),
        tuple(sorted(found_rules - checked_rules)), meta, undecided, undecided_hit)
    return rows, doc, corrections


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# ---------------------------------------------------------------------------------------------
# Counts and the percentages derived from them


@dataclass(frozen=True)
class Counts:
    """Raw tallies over a set of field rows. ``fields`` counts scored fields (truth present and
    not ambiguous): ``fields == correct + wrong + missing``."""

    fields: int = 0
    correct: int = 0
    wrong: int = 0
    missing: int = 0
    extra: int = 0
    ambiguous: int = 0
    flagged_errors: int = 0     # wrong or missing, and named by an issue or in a failed document
    silent_errors: int = 0      # wrong or missing, named by no issue, in a document that did not fail
    flagged_fields: int = 0     # scored fields some issue names
    flagged_wrong: int = 0      # ... that were wrong or missing
    flagged_printed: int = 0    # ... correct, but named for a misprint the truth's checks list

    @classmethod
    def of(cls, rows: Iterable[FieldRow]) -> "Counts":
        t = defaultdict(int)
        for r in rows:
            t[r.status] += 1
            if r.scored:
                t["fields"] += 1
                if r.flagged:
                    t["flagged_fields"] += 1
                    if r.error:
                        t["flagged_wrong"] += 1
                    elif r.printed_error:
                        t["flagged_printed"] += 1
            if r.error:
                t["silent_errors" if r.silent else "flagged_errors"] += 1
        return cls(**{f.name: t[f.name] for f in dc_fields(cls)})

    @property
    def errors(self) -> int:
        return self.wrong + self.missing

    @property
    def accuracy(self) -> float | None:
        return ratio(self.correct, self.fields)

    @property
    def flag_precision(self) -> float | None:
        return ratio(self.flagged_wrong, self.flagged_fields)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["errors"] = self.errors
        d["accuracy"] = self.accuracy
        d["flag_precision"] = self.flag_precision
        d["flag_justified"] = ratio(self.flagged_wrong + self.flagged_printed, self.flagged_fields)
        d["silent_share"] = ratio(self.silent_errors, self.errors)
        return d


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def group_counts(rows: Iterable[FieldRow], key: Callable[[FieldRow], object]) -> dict:
    groups: dict = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return {k: Counts.of(v) for k, v in groups.items()}


def confidence_bucket(conf: float | None) -> str:
    if conf is None:
        return "none"
    edges = CONFIDENCE_EDGES
    for lo, hi in zip(edges, edges[1:]):
        if conf < hi or hi == edges[-1]:
            if conf >= lo:
                return f"{lo:.2f}-{hi:.2f}"
    return "none"


def calibration(rows: Iterable[FieldRow]) -> list[dict]:
    """Accuracy per confidence bucket, over predicted fields that have a truth (correct or wrong).
    Each bucket: n, correct, mean confidence, accuracy."""
    acc: dict[str, list] = {}
    for r in rows:
        if r.status not in ("correct", "wrong"):
            continue
        b = confidence_bucket(r.confidence)
        a = acc.setdefault(b, [0, 0, 0.0])
        a[0] += 1
        a[1] += r.status == "correct"
        a[2] += r.confidence or 0.0
    order = [confidence_bucket(lo + 1e-9) for lo in CONFIDENCE_EDGES[:-1]] + ["none"]
    out = []
    for b in order:
        if b in acc:
            n, c, s = acc[b]
            out.append({"bucket": b, "n": n, "correct": c,
                        "mean_confidence": s / n if b != "none" else None,
                        "accuracy": ratio(c, n)})
    return out


# ---------------------------------------------------------------------------------------------
# The whole evaluation


@dataclass
class Evaluation:
    rows: list[FieldRow] = field(default_factory=list)
    docs: list[DocResult] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    unpaired_predictions: list[str] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)

    @property
    def counts(self) -> Counts:
        return Counts.of(self.rows)

    def by(self, what: str) -> dict[str, Counts]:
        keyf = {"kind": lambda r: r.kind, "table": lambda r: r.table,
                "row": lambda r: r.row_key, "column": lambda r: r.column,
                "document": lambda r: r.document}[what]
        return dict(sorted(group_counts(self.rows, keyf).items(), key=lambda kv: _order(what, kv[0])))

    def by_row_and_kind(self) -> dict[tuple[str, str], Counts]:
        return group_counts(self.rows, lambda r: (r.row_key, r.kind))

    def by_cell(self, table: str = "requests") -> dict[tuple[str, str], Counts]:
        return group_counts((r for r in self.rows if r.table == table),
                            lambda r: (r.row, r.column))

    def kinds(self) -> list[str]:
        return sorted({d.kind for d in self.docs}, key=lambda k: _order("kind", k))

    def doc_stats(self, docs: list[DocResult] | None = None) -> dict:
        docs = self.docs if docs is None else docs
        secs = [d.seconds for d in docs if d.seconds is not None]
        return {
            "documents": len(docs), "failed": sum(d.failed for d in docs),
            "exact": sum(d.exact for d in docs),
            "exact_rate": ratio(sum(d.exact for d in docs), len(docs)),
            "timed": len(secs), "seconds_total": sum(secs) if secs else None,
            "seconds_per_document": (sum(secs) / len(secs)) if secs else None,
            "seconds_max": max(secs) if secs else None,
            "checks_truth": sum(len(d.checks_truth) for d in docs),
            "checks_found": sum(len(d.checks_found) for d in docs),
            "checks_spurious": sum(len(d.checks_spurious) for d in docs),
        }

    def correction_stats(self, kind: str | None = None) -> dict:
        cs = [c for c in self.corrections if kind is None or c.kind == kind]
        docs = [d for d in self.docs if kind is None or d.kind == kind]
        return {"made": len(cs), "right": sum(c.outcome == "right" for c in cs),
                "wrong": sum(c.outcome == "wrong" for c in cs),
                "harmful": sum(c.harmful for c in cs),
                "ambiguous": sum(c.outcome == "ambiguous" for c in cs),
                "precision": ratio(sum(c.outcome == "right" for c in cs),
                                   sum(c.outcome in ("right", "wrong") for c in cs)),
                "undecided": sum(d.undecided for d in docs),
                "undecided_with_truth": sum(d.undecided_with_truth for d in docs)}

    def summary(self) -> dict:
        """Everything ``summary.json`` holds: counts, and percentages derived from them."""
        def table(groups):
            return {str(k): v.to_dict() for k, v in groups.items()}

        per_kind = {}
        for kind in self.kinds():
            kd = [d for d in self.docs if d.kind == kind]
            per_kind[kind] = {"fields": Counts.of(r for r in self.rows if r.kind == kind).to_dict(),
                              "documents": self.doc_stats(kd),
                              "corrections": self.correction_stats(kind),
                              "calibration": calibration(r for r in self.rows if r.kind == kind)}
        return {
            "overall": self.counts.to_dict(),
            "documents": self.doc_stats(),
            "corrections": self.correction_stats(),
            "calibration": calibration(self.rows),
            "by_kind": per_kind,
            "by_table": table(self.by("table")),
            "by_row": table(self.by("row")),
            "by_column": table(self.by("column")),
            "per_document": [{
                "document": d.document, "truth": d.truth, "kind": d.kind, "failed": d.failed,
                "error": d.error, "status": d.status, "exact": d.exact, "seconds": d.seconds,
                "sha256": d.sha256, "checks_truth": list(d.checks_truth),
                "checks_found": list(d.checks_found), "checks_spurious": list(d.checks_spurious),
                "meta": d.meta, **d.counts.to_dict()} for d in self.docs],
            "corrections_made": [asdict(c) for c in self.corrections],
            "unpaired_predictions": self.unpaired_predictions,
            "provenance": self.provenance,
        }


KIND_ORDER = ("pdf-text", "pdf-scan", "image", "html", "text", "docx")


def _order(what: str, value) -> tuple:
    if what == "kind":
        return (KIND_ORDER.index(value) if value in KIND_ORDER else len(KIND_ORDER), str(value))
    if what == "table":
        return (spec.TABLES.index(value) if value in spec.TABLES else 9, str(value))
    if what == "row":
        keys = list(spec.row_keys())
        return (keys.index(value) if value in keys else len(keys), str(value))
    if what == "column":
        cols = list(spec.COLUMN_LABELS)
        return (cols.index(value) if value in cols else len(cols), str(value))
    return (0, str(value))


def evaluate(predictions: list[Prediction], truths: dict[str, Truth],
             all_truths_expected: bool = False) -> Evaluation:
    """Compare every prediction with its truth.

    ``truths`` maps a document name (or a truth file path, for manifest pairings) to a ``Truth``.
    A prediction without a truth is listed in ``unpaired_predictions`` and not scored. With
    ``all_truths_expected``, a truth that no prediction pairs with counts as a failed document
    of kind ``unknown`` (nothing was extracted for it).
    """
    ev = Evaluation()
    used = set()
    for pred in sorted(predictions, key=lambda p: (p.truth, p.document)):
        truth = truths.get(pred.truth)
        if truth is None:
            ev.unpaired_predictions.append(pred.document)
            continue
        used.add(pred.truth)
        rows, doc, corr = compare(pred, truth)
        ev.rows += rows
        ev.docs.append(doc)
        ev.corrections += corr
    if all_truths_expected:
        for name, truth in sorted(truths.items()):
            if name not in used:
                rows, doc, corr = compare(failed_prediction(
                    truth.name, name, UNKNOWN_KIND, "no prediction for this truth"), truth)
                ev.rows += rows
                ev.docs.append(doc)
    return ev


def truths_for(truth_dir, manifest_truth_paths=()) -> dict:
    """The truth table ``evaluate`` needs: the folder's truths by name, plus each manifest truth
    path by its path."""
    truths = dict(load_truth_dir(truth_dir)) if truth_dir else {}
    for tp in manifest_truth_paths:
        if tp not in truths:
            truths[tp] = load_truth(tp)
    return truths


# ---------------------------------------------------------------------------------------------
# Provenance of a run


def model_identity() -> dict:
    """The versions a run's predictions came from: package, pipeline, and the label model's
    artifact hash."""
    from . import PIPELINE_VERSION, __version__
    out = {"gkreport": __version__, "pipeline": PIPELINE_VERSION, "python": platform.python_version()}
    try:
        from .classifier import MODEL_NAME, default_model_dir
        d = default_model_dir()
        h = hashlib.sha256()
        for suffix in (".json", ".npz"):
            h.update((Path(d) / f"{MODEL_NAME}{suffix}").read_bytes())
        out["label_model_sha256"] = h.hexdigest()[:16]
        meta = json.loads((Path(d) / f"{MODEL_NAME}.json").read_text(encoding="utf-8"))
        out["label_model_sklearn"] = meta.get("sklearn_version")
    except (ImportError, OSError, ValueError):
        out["label_model_sha256"] = None
    return out


def run_provenance(ev: Evaluation, **context) -> dict:
    """Where the numbers came from: model versions, inputs with their hashes, timings."""
    return {"evaluated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **context,
            "model": model_identity(),
            "inputs": [{"document": d.document, "kind": d.kind, "sha256": d.sha256,
                        "seconds": d.seconds, "truth": d.truth} for d in ev.docs]}


# ---------------------------------------------------------------------------------------------
# The hand-labelling path: a truth template from a prediction


DOUBT_CONFIDENCE = 0.9


def truth_template(record: dict, doubt_below: float = DOUBT_CONFIDENCE) -> dict:
    """A truth file for a person to correct: the prediction in truth form.

    ``doubtful`` lists, in this order, the keys some issue names, the keys read with confidence
    below ``doubt_below``, and the keys the template expects but the prediction lacks (they
    appear in ``fields`` as null so that a person fills them in). ``checks`` holds the rules the
    prediction found broken, for the person to confirm against the printed page.
    """
    rep = record.get("report") or {}
    pfields = dict(record.get("fields") or {})
    prov = record.get("provenance") or {}
    doubtful: list[str] = []

    def add(k):
        if k not in doubtful:
            doubtful.append(k)

    for issue in record.get("issues") or []:
        for k in issue.get("fields") or []:
            add(k)
    for k in pfields:
        c = (prov.get(k) or {}).get("confidence")
        if _is_num(c) and c < doubt_below:
            add(k)
    template = rep.get("template")
    if template in spec.TEMPLATES and pfields:
        rows = {spec.split_key(k)[1] for k in pfields if k.startswith("requests.")}
        if any(r.startswith("other.") for r in rows):
            split = True
        elif "other" in rows:
            split = False
        else:
            split = template == "2021"
        org = any(k.endswith(".org_subtotal") for k in pfields)
        for k in spec.expected_keys(template, split, org):
            if k not in pfields:
                pfields[k] = None
                add(k)
    order = {k: i for i, k in enumerate(spec.expected_keys(template))} \
        if template in spec.TEMPLATES else {}
    fields_sorted = dict(sorted(pfields.items(), key=lambda kv: (order.get(kv[0], 10_000), kv[0])))
    checks = sorted({r for i in record.get("issues") or [] if i.get("kind") == "arithmetic"
                     for r in _issue_rules(i)})
    return {"report": {k: rep.get(k) for k in ("agency", "year", "template", "published")},
            "fields": fields_sorted, "checks": checks, "ambiguous": [],
            "doubtful": doubtful}


def write_template(record: dict, target) -> Path:
    target = Path(target)
    if target.exists():
        raise OptionsError(f"{target} exists; a truth template never overwrites a file (move it "
                           "away or name another with --out)")
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(truth_template(record), ensure_ascii=False, indent=1) + "\n"
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
