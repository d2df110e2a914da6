"""The batch store: one DuckDB file per output folder, ``OUTDIR/gkreport.duckdb``.

Tables (one row per ...):

- ``reports``  -- report (a distinct content, keyed by ``sha256``): metadata, status, input kind,
  first source path, the record file, the pipeline version that made it, run figures;
- ``fields``   -- field of a report, long form. Its columns are ``extract.output.LONG_COLUMNS``
  exactly (the same rows ``gkreport extract --format csv`` prints); ``"table"``, ``"row"`` and
  ``"column"`` are SQL keywords, so quote them in queries;
- ``issues``   -- issue of a report (arithmetic, corrected, narrative, low_confidence, ...);
- ``failures`` -- input that gave no record: the ``GkError`` message as ``reason``, its class and
  exit code. Keyed by ``sha256`` (``NULL`` when the file could not even be read, then by path);
- ``sources``  -- input path: which content it holds. Two paths with the same content are two
  ``sources`` rows and one report;
- ``skipped``  -- path that was not taken, with the reason (unsupported type, hidden file ...);
- ``runs``     -- run of ``gkreport batch``: when, options, engine, counts, final state.

View ``report_latest``: one report per (agency, year) -- the best by status (ok, partial,
failed), then input kind (``KIND_RANK``), then fewer issues -- with ``candidates`` (how many
reports share the agency and year), ``others`` (their sha256) and ``chosen_because``. Reports
without an agency or year are not grouped: each is its own row.

Only the batch's parent process writes the file; every write is one transaction
(``Store.write``): a record's report, fields and issues, and the removal of any earlier row for
the same content, commit together or not at all.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from .errors import ExitCode, GkError
from .limits import clean_json
from .output import LONG_COLUMNS, record_to_csv_rows

DB_NAME = "gkreport.duckdb"
SCHEMA_VERSION = 1

STATUS_RANK = {"ok": 0, "partial": 1, "failed": 2}
# Input kinds, most trustworthy first: a text layer or markup is read exactly, a scan by OCR.
KIND_RANK = {"pdf-text": 0, "html": 1, "docx": 2, "text": 3, "pdf-scan": 4, "image": 5}

# SQL type of each long-table column; must name every column of output.LONG_COLUMNS.
FIELD_TYPES = {
    "sha256": "VARCHAR", "path": "VARCHAR", "agency": "VARCHAR", "year": "INTEGER",
    "template": "VARCHAR", "key": "VARCHAR", "table": "VARCHAR", "row": "VARCHAR",
    "column": "VARCHAR", "label": "VARCHAR", "value": "DOUBLE", "unit": "VARCHAR",
    "confidence": "DOUBLE", "page": "INTEGER", "bbox": "VARCHAR", "engine": "VARCHAR",
    "flagged": "BOOLEAN",
}
if set(FIELD_TYPES) != set(LONG_COLUMNS):  # a change to output.py must be mirrored here
    raise ImportError(f"store.FIELD_TYPES does not match output.LONG_COLUMNS: "
                      f"{sorted(set(FIELD_TYPES) ^ set(LONG_COLUMNS))}")

REPORT_COLUMNS = {
    "sha256": "VARCHAR PRIMARY KEY",
    "pipeline_version": "VARCHAR NOT NULL",
    "path": "VARCHAR",             # first source path (sources has them all)
    "input_kind": "VARCHAR",       # record source.kind: pdf-text, pdf-scan, image, html, text, docx
    "pages": "INTEGER",
    "agency": "VARCHAR",
    "year": "INTEGER",
    "template": "VARCHAR",
    "published": "VARCHAR",
    "title": "VARCHAR",
    "status": "VARCHAR",           # ok | partial | failed (the record's status)
    "n_fields": "INTEGER",
    "n_issues": "INTEGER",
    "n_arithmetic": "INTEGER",     # issues of kind arithmetic: template rules the figures break
    "n_corrected": "INTEGER",      # OCR misreads corrected by the arithmetic
    "arithmetic_ok": "BOOLEAN",    # fields present and no arithmetic issue
    "record_path": "VARCHAR",      # the JSON record, relative to OUTDIR
    "seconds": "DOUBLE",           # extraction time (run figure)
    "peak_rss_mb": "DOUBLE",       # peak memory of the worker so far (run figure)
    "run_engine": "VARCHAR",       # local | ray | adopted (run figure)
    "batch_id": "VARCHAR",         # (run figure)
    "extracted_at": "TIMESTAMP",   # (run figure)
}
# Columns that describe the run rather than the report: they differ between two runs.
RUN_COLUMNS = ("seconds", "peak_rss_mb", "run_engine", "batch_id", "extracted_at")

DDL = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS reports ("
    + ", ".join(f"{k} {t}" for k, t in REPORT_COLUMNS.items()) + ")",
    "CREATE TABLE IF NOT EXISTS fields ("
    + ", ".join(f'"{k}" {FIELD_TYPES[k]}' for k in LONG_COLUMNS) + ")",
    """CREATE TABLE IF NOT EXISTS issues (
        sha256 VARCHAR, seq INTEGER, kind VARCHAR, rule VARCHAR, rules VARCHAR[], stage VARCHAR,
        page INTEGER, fields VARCHAR[], message VARCHAR, before VARCHAR, after VARCHAR,
        extra VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS failures (
        sha256 VARCHAR, path VARCHAR, pipeline_version VARCHAR, error VARCHAR,
        exit_code INTEGER, reason VARCHAR, attempts INTEGER, seconds DOUBLE, batch_id VARCHAR,
        failed_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS sources (
        path VARCHAR PRIMARY KEY, sha256 VARCHAR, input VARCHAR, size BIGINT, mtime DOUBLE,
        first_seen TIMESTAMP, last_seen TIMESTAMP, batch_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS skipped (
        path VARCHAR PRIMARY KEY, reason VARCHAR, last_seen TIMESTAMP, batch_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS runs (
        batch_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP,
        pipeline_version VARCHAR, engine VARCHAR, jobs INTEGER, threads INTEGER,
        options VARCHAR, inputs VARCHAR, planned INTEGER, extracted INTEGER, adopted INTEGER,
        already_done INTEGER, failed INTEGER, skipped INTEGER, duplicates INTEGER,
        state VARCHAR)""",
]


def _case(column: str, ranks: dict[str, int]) -> str:
    whens = " ".join(f"WHEN '{k}' THEN {v}" for k, v in ranks.items())
    return f"CASE {column} {whens} ELSE {len(ranks)} END"


VIEW = f"""
CREATE OR REPLACE VIEW report_latest AS
WITH ranked AS (
    SELECT r.*, {_case('status', STATUS_RANK)} AS _status_rank,
           {_case('input_kind', KIND_RANK)} AS _kind_rank
    FROM reports r
), picked AS (
    SELECT *,
        count(*) OVER g AS candidates,
        list(sha256) OVER g AS _group,
        row_number() OVER (g ORDER BY _status_rank, _kind_rank, n_issues, n_fields DESC,
                           extracted_at DESC, sha256) AS _pick
    FROM ranked
    WINDOW g AS (PARTITION BY coalesce(agency, sha256), coalesce(year, -1))
)
SELECT * EXCLUDE (_status_rank, _kind_rank, _group, _pick),
    list_sort(list_filter(_group, lambda s: s <> sha256)) AS others,
    CASE WHEN candidates = 1 THEN 'only report'
         ELSE 'best of ' || candidates || ' by status (' || status || ') then input kind ('
              || coalesce(input_kind, '?') || ')' END AS chosen_because
FROM picked WHERE _pick = 1
"""


class StoreError(GkError):
    """The batch store cannot be opened (in use by another run, or not a gkreport store)."""

    exit_code = ExitCode.input_file


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _json(v):
    return None if v is None else json.dumps(v, ensure_ascii=False)


def _int(v):
    try:
        return None if v is None or v == "" else int(v)
    except (TypeError, ValueError):
        return None


def report_row(record: dict, *, record_path: str, pipeline_version: str, seconds=None,
               peak_rss_mb=None, run_engine=None, batch_id=None) -> dict:
    """The ``reports`` row of a record dict (``Record.to_dict()``)."""
    rep, src = record.get("report", {}), record.get("source", {})
    issues = record.get("issues", [])
    n_arith = sum(1 for i in issues if i.get("kind") == "arithmetic")
    n_fields = len(record.get("fields", {}))
    return {
        "sha256": src["sha256"], "pipeline_version": pipeline_version, "path": src.get("path"),
        "input_kind": src.get("kind"), "pages": _int(src.get("pages")),
        "agency": rep.get("agency"), "year": _int(rep.get("year")),
        "template": None if rep.get("template") is None else str(rep.get("template")),
        "published": None if rep.get("published") is None else str(rep.get("published")),
        "title": rep.get("title"), "status": record.get("status"), "n_fields": n_fields,
        "n_issues": len(issues), "n_arithmetic": n_arith,
        "n_corrected": sum(1 for i in issues if i.get("kind") == "corrected"),
        "arithmetic_ok": n_fields > 0 and n_arith == 0, "record_path": record_path,
        "seconds": seconds, "peak_rss_mb": peak_rss_mb, "run_engine": run_engine,
        "batch_id": batch_id, "extracted_at": now(),
    }


def field_rows(record: dict) -> list[dict]:
    """The ``fields`` rows of a record: ``output.record_to_csv_rows``, typed for the database."""
    rows = record_to_csv_rows(record)
    for r in rows:
        r["year"] = _int(r["year"])
        r["template"] = None if r["template"] is None else str(r["template"])
        r["bbox"] = r["bbox"] or None
        v = r["value"]
        r["value"] = None if v is None else float(v)
    return rows


def issue_rows(record: dict) -> list[dict]:
    sha = record["source"]["sha256"]
    rows = []
    base = {"kind", "message", "fields", "rule", "rules", "stage", "page", "before", "after"}
    for seq, i in enumerate(record.get("issues", []), 1):
        extra = {k: v for k, v in i.items() if k not in base}
        rows.append({
            "sha256": sha, "seq": seq, "kind": i.get("kind"), "rule": i.get("rule"),
            "rules": i.get("rules"), "stage": i.get("stage"), "page": _int(i.get("page")),
            "fields": list(i.get("fields") or []), "message": i.get("message"),
            "before": _json(i.get("before")) if "before" in i else None,
            "after": _json(i.get("after")) if "after" in i else None,
            "extra": _json(extra) if extra else None,
        })
    return rows


class Store:
    """The DuckDB file of one output folder. Open it with ``Store(outdir)``; close it after."""

    def __init__(self, outdir: Path, *, read_only: bool = False):
        import duckdb

        self.path = Path(outdir) / DB_NAME
        self._types: dict[str, dict[str, str]] = {}
        if read_only and not self.path.exists():
            raise StoreError(f"{outdir}: no {DB_NAME} here; run `gkreport batch ... -o {outdir}` "
                             "first")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as e:
            msg = str(e)
            if "lock" in msg.lower():
                raise StoreError(f"{self.path}: in use by another process (another gkreport "
                                 f"batch on the same OUTDIR?): {msg.splitlines()[0]}") from e
            raise StoreError(f"{self.path}: cannot open the store: {msg.splitlines()[0]}") from e
        except duckdb.Error as e:
            raise StoreError(f"{self.path}: not a readable gkreport store: "
                             f"{str(e).splitlines()[0]}") from e
        if not read_only:
            self._create()

    def _create(self) -> None:
        self.con.execute("BEGIN TRANSACTION")
        for stmt in DDL:
            self.con.execute(stmt)
        self.con.execute(VIEW)
        self.con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                         [str(SCHEMA_VERSION)])
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- reads --------------------------------------------------------------------------------

    def query(self, sql: str, params=None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def done(self, pipeline_version: str) -> dict[str, str]:
        """sha256 -> record_path of the reports made by this pipeline version."""
        return dict(self.query("SELECT sha256, record_path FROM reports "
                               "WHERE pipeline_version = ?", [pipeline_version]))

    def failed(self, pipeline_version: str) -> dict[str, str]:
        """Failure key (sha256, else path) -> reason, for this pipeline version's failures."""
        return dict(self.query("SELECT coalesce(sha256, path), reason FROM failures "
                               "WHERE pipeline_version = ?", [pipeline_version]))

    def failure_attempts(self) -> dict[str, int]:
        return dict(self.query("SELECT coalesce(sha256, path), attempts FROM failures"))

    def known_sources(self) -> dict[str, tuple[int, float, str]]:
        """path -> (size, mtime, sha256): lets a rerun skip hashing unchanged files."""
        return {p: (s, m, h) for p, s, m, h in
                self.query("SELECT path, size, mtime, sha256 FROM sources "
                           "WHERE sha256 IS NOT NULL")}

    # -- writes -------------------------------------------------------------------------------

    def write(self, *, reports=(), failures=(), sources=(), skipped=()) -> None:
        """One transaction: put reports (each ``(record, report_row)``), failures, sources and
        skipped paths, replacing any earlier row for the same content or path."""
        reports, failures = list(reports), list(failures)
        sources, skipped = list(sources), list(skipped)
        if not (reports or failures or sources or skipped):
            return
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            shas = [row["sha256"] for _, row in reports]
            fail_shas = [f["sha256"] for f in failures if f.get("sha256")]
            fail_paths = [f["path"] for f in failures if not f.get("sha256")]
            gone = shas + fail_shas
            if gone:
                for table in ("reports", "fields", "issues", "failures"):
                    con.execute(f"DELETE FROM {table} WHERE sha256 IN (SELECT unnest(?))", [gone])
            if fail_paths:
                con.execute("DELETE FROM failures WHERE sha256 IS NULL AND path IN "
                            "(SELECT unnest(?))", [fail_paths])
            if reports:
                self._insert("reports", list(REPORT_COLUMNS), [row for _, row in reports])
                self._insert("fields", LONG_COLUMNS,
                             [r for rec, _ in reports for r in field_rows(rec)])
                self._insert("issues", ["sha256", "seq", "kind", "rule", "rules", "stage",
                                        "page", "fields", "message", "before", "after", "extra"],
                             [r for rec, _ in reports for r in issue_rows(rec)])
            if failures:
                self._insert("failures", ["sha256", "path", "pipeline_version", "error",
                                          "exit_code", "reason", "attempts", "seconds",
                                          "batch_id", "failed_at"], failures)
            if sources:
                con.execute("CREATE TEMP TABLE IF NOT EXISTS _src AS SELECT * FROM sources "
                            "LIMIT 0")
                con.execute("DELETE FROM _src")
                self._insert("_src", ["path", "sha256", "input", "size", "mtime", "first_seen",
                                      "last_seen", "batch_id"], sources)
                con.execute("""INSERT INTO sources SELECT * FROM _src ON CONFLICT (path) DO UPDATE
                    SET sha256 = excluded.sha256, input = excluded.input, size = excluded.size,
                        mtime = excluded.mtime, last_seen = excluded.last_seen,
                        batch_id = excluded.batch_id""")
            if skipped:
                self._insert("skipped", ["path", "reason", "last_seen", "batch_id"], skipped,
                             replace=True)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _insert(self, table: str, columns, rows: list[dict], replace: bool = False) -> None:
        if not rows:
            return
        import pyarrow as pa

        types = self._types.get(table)
        if types is None:
            types = self._types[table] = dict(self.con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ?", [table]).fetchall())
        # no lone surrogates reach Arrow (it would refuse the whole transaction)
        arrays = {c: [clean_json(r.get(c)) for r in rows] for c in columns}
        arrow = pa.table({c: pa.array(v, type=_arrow_type(types.get(c, "VARCHAR")))
                          for c, v in arrays.items()})
        cols = ", ".join(f'"{c}"' for c in columns)
        verb = "INSERT OR REPLACE INTO" if replace else "INSERT INTO"
        self.con.register("_rows", arrow)
        try:
            self.con.execute(f"{verb} {table} ({cols}) SELECT {cols} FROM _rows")
        finally:
            self.con.unregister("_rows")

    def start_run(self, row: dict) -> None:
        self._run_row(row)

    def finish_run(self, row: dict) -> None:
        self._run_row(row)

    def _run_row(self, row: dict) -> None:
        self.con.execute("BEGIN TRANSACTION")
        self._insert("runs", list(row), [row], replace=True)
        self.con.execute("COMMIT")


def _arrow_type(sql_type: str):
    import pyarrow as pa

    t = sql_type.upper()
    if t.endswith("[]"):
        return pa.list_(_arrow_type(t[:-2]))
    return {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(),
            "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(),
            "TIMESTAMP": pa.timestamp("us")}.get(t, pa.string())
