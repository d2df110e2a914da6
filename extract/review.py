"""``gkreport review OUTDIR``: a local web page to check and correct a batch's doubtful values.

The page (``extract/review_static/``: plain HTML, CSS and JS, no build step) shows a report list
filterable by status and issue kind; for one report, the source page as an image with the table
regions and the selected field's box drawn from provenance, the section 二/三/四 grids with their
printed labels, the doubtful fields (named by issues) highlighted and listed, and the arithmetic
rules that fail as equations, rechecked live as values are typed. Corrections are stored by
``extract.corrections`` (table ``corrections`` in ``OUTDIR/gkreport.duckdb``); a reviewed report
can be saved as a truth file (``OUTDIR/truth/``); corrected labels go to the classifier's
``training_data/curated.tsv``.

HTTP API (JSON; every write is a POST with the page's token in ``X-GK-Token``):

=========================================  ==================================================
``GET  /``                                  the page
``GET  /api/reports?status=&kind=&review=`` report list with facets
``GET  /api/report/{sha}``                  one report: grids, issues, rules, corrections
``GET  /api/report/{sha}/page/{n}.png``     page n of its source, rendered
``GET  /api/report/{sha}/text``             the source text (text inputs)
``POST /api/report/{sha}/field``            ``{field, action: set|confirm|revert, value, note}``
``POST /api/report/{sha}/truth``            save ``OUTDIR/truth/<name>.truth.json``
``POST /api/report/{sha}/label``            ``{text, key, context, section, kind}``
``GET  /files/{path}``                      a file inside OUTDIR (exports, truth files)
=========================================  ==================================================

Security. It binds 127.0.0.1 unless told otherwise. Only files inside OUTDIR, and the source files
the records name, are ever read for a response: pages and texts are addressed by report hash and
page number, never by path, and ``/files`` resolves the path (symlinks included) and refuses
anything outside OUTDIR. Requests must name an allowed host (DNS rebinding). Writes need the
random per-server token that the page carries, a JSON body, and, when the browser sends them, an
``Origin`` equal to the server's own and ``Sec-Fetch-Site: same-origin``: a page on another site
can neither read the token nor send the header, so its writes are refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import secrets
import tarfile
import threading
import zipfile
from collections import OrderedDict
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from . import corrections as C
from . import spec
from .errors import GkError, InputFileError, OptionsError
from .store import DB_NAME, StoreError

log = logging.getLogger(__name__)

PAGE_DPI = 110               # page images: enough to read a table cell, small enough to be quick
MAX_IMAGE_WIDTH = 1600       # image inputs are scaled down to this width for display
MAX_MEMBER_BYTES = 200 << 20  # an archive member read for display
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
TOKEN_HEADER = "x-gk-token"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ReviewError(GkError):
    """A request the review server refuses; ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


# -- reading the batch -------------------------------------------------------------------------

class Batch:
    """A batch output folder, opened per request (the store stays free for ``gkreport batch``
    and ``export`` between requests). One lock serialises the store and the PDF renderer."""

    def __init__(self, outdir, training_data: Path | None = None):
        self.root = Path(outdir).resolve()
        if not (self.root / DB_NAME).is_file():
            raise StoreError(f"{outdir}: no {DB_NAME} here; run `gkreport batch ... -o {outdir}` "
                             "first")
        self.training_data = Path(training_data).resolve() if training_data else None
        self.lock = threading.RLock()
        self._pages: OrderedDict = OrderedDict()
        self._source_ok: dict[str, bool] = {}

    @contextmanager
    def db(self, write: bool = False):
        import duckdb

        with self.lock:
            try:
                con = duckdb.connect(str(self.root / DB_NAME), read_only=not write)
            except duckdb.Error as e:
                first = str(e).splitlines()[0]
                if "lock" in first.lower():
                    raise ReviewError(503, "the store is in use by another process (a gkreport "
                                      "batch running on this folder?); try again when it "
                                      f"ends ({first})") from e
                raise ReviewError(500, f"cannot open the store: {first}") from e
            try:
                yield con
            finally:
                con.close()

    # reports ---------------------------------------------------------------------------------

    def report_list(self, status: str | None = None, kind: str | None = None,
                    review: str | None = None) -> dict:
        with self.db() as con:
            has_corr = C.has_table(con)
            rows = con.execute(
                "SELECT sha256, path, agency, year, template, status, input_kind, n_issues, "
                "n_arithmetic, pages FROM reports ORDER BY path, sha256").fetchall()
            named = con.execute(
                "SELECT sha256, list(DISTINCT kind), list(DISTINCT f) FROM "
                "(SELECT sha256, kind, unnest(CASE WHEN len(fields) = 0 THEN [NULL] ELSE fields "
                "END) AS f FROM issues) GROUP BY sha256").fetchall()
            acts = C.load(con) if has_corr else []
        in_force = C.effective(acts)
        kinds_of = {s: sorted(k for k in ks if k) for s, ks, _ in named}
        fields_of = {s: {f for f in fs if f} for s, _, fs in named}
        out, facet_status, facet_kind = [], {}, {}
        for sha, path, agency, year, template, st, ikind, n_issues, n_arith, pages in rows:
            corrected = {f for (r, f) in in_force if r == sha}
            left = len(fields_of.get(sha, set()) - corrected)
            item = {"sha256": sha, "name": _display_name(path), "path": path, "agency": agency,
                    "year": year, "template": template, "status": st, "input_kind": ikind,
                    "n_issues": n_issues, "n_arithmetic": n_arith, "pages": pages,
                    "issue_kinds": kinds_of.get(sha, []), "reviewed_fields": len(corrected),
                    "doubtful_left": left,
                    "review": "reviewed" if corrected and not left else
                    "in review" if corrected else "to review" if left else "nothing doubtful"}
            facet_status[st] = facet_status.get(st, 0) + 1
            for k in item["issue_kinds"]:
                facet_kind[k] = facet_kind.get(k, 0) + 1
            if status and st != status:
                continue
            if kind and kind not in item["issue_kinds"]:
                continue
            if review and item["review"] != review:
                continue
            out.append(item)
        return {"reports": out, "total": len(rows),
                "facets": {"status": facet_status, "kind": facet_kind}}

    def record(self, con, sha: str) -> tuple[dict, str]:
        if not SHA_RE.match(sha or ""):
            raise ReviewError(404, "not a report id (a sha256 of 64 hex digits)")
        row = con.execute("SELECT record_path FROM reports WHERE sha256 = ?", [sha]).fetchone()
        if row is None or not row[0]:
            raise ReviewError(404, f"no report {sha[:12]}… in this batch")
        try:
            return C.read_record(self.root, row[0]), row[0]
        except InputFileError as e:
            raise ReviewError(500, str(e)) from e

    def report_view(self, sha: str) -> dict:
        with self.db() as con:
            record, record_path = self.record(con, sha)
            in_force = C.for_report(C.load(con, sha), sha)
        return build_view(record, in_force, record_path, self.source_status(record))

    # source files ----------------------------------------------------------------------------

    def source_status(self, record: dict) -> dict:
        """Whether the source can be shown, and whether it is still the content extracted."""
        src = record.get("source") or {}
        kind = src.get("kind")
        shows = kind in ("pdf-text", "pdf-scan", "image") and bool(src.get("path"))
        out = {"pages": shows, "text": kind == "text", "changed": False, "missing": False}
        if not src.get("path"):
            out["missing"] = True
            return out
        sha = src.get("sha256")
        if sha in self._source_ok:
            out["changed"] = not self._source_ok[sha]
            return out
        try:
            data = self.source_bytes(record) if "!" in src["path"] else None
            path = Path(src["path"])
            if data is not None:
                digest = hashlib.sha256(data).hexdigest()
            elif path.is_dir():
                from .pipeline import sha256_of
                digest = sha256_of(path)
            else:
                from .batch import sha256_file
                digest = sha256_file(path)
        except (OSError, ReviewError):
            out["missing"] = True
            out["pages"] = out["text"] = False
            return out
        self._source_ok[sha] = digest == sha
        out["changed"] = digest != sha
        return out

    def source_bytes(self, record: dict) -> bytes:
        """The bytes of the report's source file: the path its record names (an archive member
        ``archive.zip!inner/name.pdf`` is read from the archive). Nothing else is ever read."""
        path = (record.get("source") or {}).get("path") or ""
        if "!" in path:
            archive, member = path.split("!", 1)
            return _archive_member(Path(archive), member)
        try:
            return Path(path).read_bytes()
        except OSError as e:
            raise ReviewError(404, f"the source {path} cannot be read: {e.strerror or e}") from e

    def page_png(self, sha: str, page: int) -> bytes:
        key = (sha, page)
        with self.lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        with self.db() as con:
            record, _ = self.record(con, sha)
        kind = (record.get("source") or {}).get("kind")
        n = _int((record.get("source") or {}).get("pages")) or 0
        if kind not in ("pdf-text", "pdf-scan", "image"):
            raise ReviewError(404, f"a {kind} input has no page images")
        if page < 1 or (n and page > n):
            raise ReviewError(404, f"no page {page} (the report has {n})")
        with self.lock:
            png = self._render(record, kind, page)
            self._pages[key] = png
            while len(self._pages) > 24:
                self._pages.popitem(last=False)
        return png

    def page_sizes(self, record: dict) -> list[dict]:
        """Each page's size in the units of the record's boxes (points for PDFs, pixels for
        images): the page draws boxes by scaling these to the image."""
        kind = (record.get("source") or {}).get("kind")
        try:
            with self.lock:
                if kind in ("pdf-text", "pdf-scan"):
                    pdf = self._pdf(record)
                    try:
                        return [{"page": i + 1, "width": pdf[i].get_size()[0],
                                 "height": pdf[i].get_size()[1]} for i in range(len(pdf))]
                    finally:
                        pdf.close()
                if kind == "image":
                    return [{"page": i + 1, "width": im.size[0], "height": im.size[1]}
                            for i, im in enumerate(self._frames(record))]
        except (ReviewError, OSError, ValueError) as e:
            log.info("no page sizes: %s", e)
        return []

    def _pdf(self, record: dict):
        import pypdfium2 as pdfium

        src = record["source"]["path"]
        try:
            if "!" in src:
                return pdfium.PdfDocument(self.source_bytes(record))
            return pdfium.PdfDocument(src)
        except pdfium.PdfiumError as e:
            raise ReviewError(404, f"the source {src} cannot be opened as a PDF: {e}") from e

    def _frames(self, record: dict):
        """The page images of an image input (a file, frames of a TIFF, or a folder of pages in
        natural order), as PIL images."""
        from PIL import Image, ImageSequence

        src = record["source"]["path"]
        if "!" not in src and Path(src).is_dir():
            from .scan import IMAGE_SUFFIXES, _natural_key
            files = sorted((p for p in Path(src).iterdir() if p.is_file()
                            and p.suffix.lower() in IMAGE_SUFFIXES
                            and not p.name.startswith(".")), key=_natural_key)
            sources = [p.read_bytes() for p in files]
        else:
            sources = [self.source_bytes(record)]
        for data in sources:
            with Image.open(io.BytesIO(data)) as im:
                for frame in ImageSequence.Iterator(im):
                    yield frame.copy()

    def _render(self, record: dict, kind: str, page: int) -> bytes:
        if kind in ("pdf-text", "pdf-scan"):
            pdf = self._pdf(record)
            try:
                if page > len(pdf):
                    raise ReviewError(404, f"no page {page} (the PDF has {len(pdf)})")
                im = pdf[page - 1].render(scale=PAGE_DPI / 72).to_pil()
            finally:
                pdf.close()
        else:
            for i, frame in enumerate(self._frames(record), 1):
                if i == page:
                    im = frame
                    break
            else:
                raise ReviewError(404, f"no page {page}")
            if im.mode not in ("RGB", "L"):
                im = im.convert("RGB")
            if im.width > MAX_IMAGE_WIDTH:
                im = im.resize((MAX_IMAGE_WIDTH, round(im.height * MAX_IMAGE_WIDTH / im.width)))
        buf = io.BytesIO()
        im.save(buf, "PNG", optimize=False)
        return buf.getvalue()

    def source_text(self, sha: str) -> str:
        with self.db() as con:
            record, _ = self.record(con, sha)
        if (record.get("source") or {}).get("kind") != "text":
            raise ReviewError(404, "only text inputs are shown as text")
        from .web import decode_bytes
        text, _, _ = decode_bytes(self.source_bytes(record), record["source"]["path"])
        return text.replace("\r\n", "\n").replace("\r", "\n")

    # files of OUTDIR ---------------------------------------------------------------------------

    def outdir_file(self, rel: str) -> Path:
        """A file inside OUTDIR, by a relative path. Refused: absolute paths, ``..``, hidden
        names, anything that resolves (through symlinks too) outside OUTDIR."""
        parts = Path(rel).parts
        if (not rel or Path(rel).is_absolute() or "\\" in rel or "\x00" in rel
                or any(p in ("..", ".") or p.startswith(".") for p in parts)):
            raise ReviewError(404, "not a file of this batch")
        target = (self.root / rel).resolve()
        if not target.is_relative_to(self.root) or not target.is_file():
            raise ReviewError(404, "not a file of this batch")
        return target

    # writes ----------------------------------------------------------------------------------

    def correct(self, sha: str, body: dict) -> dict:
        field = body.get("field")
        action = body.get("action", "set")
        note = body.get("note")
        if action not in C.ACTIONS:
            raise ReviewError(400, f"action must be one of {', '.join(C.ACTIONS)}")
        if note is not None and (not isinstance(note, str) or len(note) > 2000):
            raise ReviewError(400, "a note is text of at most 2000 characters")
        with self.db(write=True) as con:
            record, record_path = self.record(con, sha)
            if not isinstance(field, str) or field not in allowed_fields(record):
                raise ReviewError(400, f"{str(field)[:80]!r} is not a field of this report's "
                                  "template")
            value = None
            if action == "set":
                try:
                    value = C.parse_value(field, body.get("value"))
                except C.ValueProblem as e:
                    raise ReviewError(400, str(e)) from e
            C.add(con, record, field, action, value, note)
            in_force = C.for_report(C.load(con, sha), sha)
        return build_view(record, in_force, record_path, self.source_status(record))

    def save_truth(self, sha: str) -> dict:
        with self.db() as con:
            record, _ = self.record(con, sha)
            in_force = C.for_report(C.load(con, sha), sha)
        if not record.get("fields"):
            raise ReviewError(400, "this report has no fields to save as truth")
        try:
            path = C.save_truth(self.root, record, in_force)
        except GkError as e:
            raise ReviewError(409, str(e)) from e
        saved = json.loads(path.read_text("utf-8"))
        return {"path": str(path), "file": str(path.relative_to(self.root)),
                "fields": len(saved["fields"]), "checks": saved["checks"],
                "unreviewed_doubtful": saved["review"]["unreviewed_doubtful"]}

    def add_label(self, sha: str, body: dict) -> dict:
        # without a training data folder the correction stays in the store (label_corrections)
        curated = self.training_data / "curated.tsv" \
            if self.training_data and self.training_data.is_dir() else None
        strs = {k: body.get(k) for k in ("text", "key", "context", "section", "kind", "before",
                                         "note")}
        if any(v is not None and not isinstance(v, str) for v in strs.values()):
            raise ReviewError(400, "label fields are text")
        with self.db(write=True) as con:
            self.record(con, sha)
            try:
                return C.add_label(con, text=strs["text"] or "", key=strs["key"] or "",
                                   context=strs["context"] or "", section=strs["section"],
                                   kind=strs["kind"], before=strs["before"], report=sha,
                                   note=strs["note"], curated=curated)
            except C.ValueProblem as e:
                raise ReviewError(400, str(e)) from e


def _archive_member(archive: Path, member: str) -> bytes:
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                for info in z.infolist():
                    name = info.filename
                    if not info.flag_bits & 0x800:     # GBK names of zips made on Windows
                        try:
                            name = name.encode("cp437").decode("gbk")
                        except (UnicodeError, LookupError):
                            pass
                    if member in (name, info.filename):
                        if info.file_size > MAX_MEMBER_BYTES:
                            raise ReviewError(413, f"{member} is too large to show")
                        return z.read(info)
        else:
            with tarfile.open(archive) as t:
                m = t.getmember(member)
                if not m.isfile() or m.size > MAX_MEMBER_BYTES:
                    raise ReviewError(404, f"{member} cannot be shown")
                return t.extractfile(m).read()
    except (OSError, KeyError, zipfile.BadZipFile, tarfile.TarError) as e:
        raise ReviewError(404, f"{archive}!{member} cannot be read: {e}") from e
    raise ReviewError(404, f"{archive} holds no {member}")


def _display_name(path) -> str:
    p = str(path or "")
    return p.split("!")[-1].rsplit("/", 1)[-1] or p


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


# -- the view of one report --------------------------------------------------------------------

def layout_of(record: dict) -> tuple[str, bool, bool]:
    """(template, other_split, org_subtotal) of the extraction."""
    from .assemble import detect_layout

    fields = record.get("fields") or {}
    if fields:
        return detect_layout(fields)
    template = str((record.get("report") or {}).get("template") or "2021")
    return (template if template in spec.TEMPLATES else "2021"), template != "2019", False


def allowed_fields(record: dict) -> set[str]:
    """Keys a person may set: the layout's expected keys and any key the extraction holds."""
    template, split, org = layout_of(record)
    return set(spec.expected_keys(template, split, org)) | set(record.get("fields") or {})


def _key_labels(key: str) -> dict:
    table, row, col = spec.split_key(key)
    try:
        rl = spec.row_label(f"{table}.{row}")
    except KeyError:
        rl = row
    return {"row_label": rl, "col_label": spec.COLUMN_LABELS.get(col, (col,))[0]}


def build_grids(record: dict) -> list[dict]:
    """The three sections as grids of printed labels and field keys, in the template's order."""
    template, split, org = layout_of(record)
    keys = spec.expected_keys(template, split, org)
    present = set(record.get("fields") or {})
    cats = {c.key: c for c in spec.categories()}
    grids = []
    for table in spec.TABLES:
        tkeys = [k for k in keys if k.startswith(table + ".")]
        tkeys += [k for k in sorted(present) if k.startswith(table + ".") and k not in keys]
        rows: dict[str, list[str]] = {}
        for k in tkeys:
            rows.setdefault(spec.split_key(k)[1], []).append(k)
        cols = list(dict.fromkeys(spec.split_key(k)[2] for k in tkeys))
        out_rows, last_parent = [], None
        for row, rkeys in rows.items():
            cat = cats.get(f"{table}.{row}")
            parent = cat.parent_label if cat else ""
            if table == "requests" and parent and parent != last_parent and \
                    parent != "三、本年度办理结果":
                out_rows.append({"group": parent})
            if table == "requests" and parent == "三、本年度办理结果" and \
                    last_parent != parent and row in ("granted",):
                out_rows.append({"group": parent})
            last_parent = parent
            label = spec.row_label(f"{table}.{row}") if cat else row
            out_rows.append({"row": row, "label": label, "parent": parent,
                             "cells": {spec.split_key(k)[2]: k for k in rkeys}})
        grids.append({"table": table, "section": spec.SECTION_OF_TABLE[table],
                      "title": SECTION_TITLES[table],
                      "columns": [{"key": c, "label": spec.COLUMN_LABELS.get(c, (c,))[0]}
                                  for c in cols],
                      "per_row_columns": table == "proactive", "rows": out_rows})
    return grids


SECTION_TITLES = {"proactive": "二、主动公开政府信息情况",
                  "requests": "三、收到和处理政府信息公开申请情况",
                  "review_litigation": "四、政府信息公开行政复议、行政诉讼情况"}


def table_regions(provenance: dict) -> list[dict]:
    """Per page and table, the box around every field's box: where the tables are printed."""
    boxes: dict[tuple[int, str], list] = {}
    for key, p in provenance.items():
        if isinstance(p, dict) and p.get("page") and p.get("bbox"):
            boxes.setdefault((p["page"], key.split(".", 1)[0]), []).append(p["bbox"])
    return [{"page": page, "table": table, "section": spec.SECTION_OF_TABLE.get(table, ""),
             "bbox": [min(b[0] for b in bs), min(b[1] for b in bs),
                      max(b[2] for b in bs), max(b[3] for b in bs)]}
            for (page, table), bs in sorted(boxes.items())]


def build_view(record: dict, in_force: dict, record_path: str, source: dict) -> dict:
    """Everything the page shows for one report (JSON-ready)."""
    applied = C.apply(record, in_force)
    keys = allowed_fields(record)
    rules = [{"id": r.id, "left": list(r.left), "right": list(r.right)}
             for r in spec.rules_for(keys)]
    doubtful = C.doubtful_fields(record)
    issues = []
    for i, issue in enumerate(record.get("issues") or []):
        issues.append({"n": i, "kind": issue.get("kind"), "message": issue.get("message"),
                       "fields": issue.get("fields") or [], "rule": issue.get("rule"),
                       "rules": issue.get("rules"), "page": issue.get("page")})
    return {
        "sha256": record["source"]["sha256"],
        "name": _display_name((record.get("source") or {}).get("path")),
        "report": record.get("report") or {},
        "source": {**(record.get("source") or {}), **{"status": source}},
        "record_path": record_path,
        "status": record.get("status"),
        "status_reviewed": applied.get("status"),
        "layout": dict(zip(("template", "other_split", "org_subtotal"), layout_of(record))),
        "grids": build_grids(record),
        "labels": {k: _key_labels(k) for k in keys},
        "decimal": sorted(k for k in keys if k in spec.DECIMAL_FIELDS),
        "signed": sorted(k for k in keys if spec.split_key(k)[2] in spec.SIGNED_COLUMNS),
        "extracted": record.get("fields") or {},
        "values": applied.get("fields") or {},
        "provenance": applied.get("provenance") or {},
        "issues": issues,
        "issues_reviewed": applied.get("issues") or [],
        "doubtful": doubtful,
        "rules": rules,
        "corrections": {k: c.to_dict() for k, c in in_force.items()},
        "conflicts": C.conflicts(record, in_force),
        "unknown_labels": C.unknown_labels(record),
        "label_keys": {s: C.label_keys(s) for s in spec.TABLE_OF_SECTION},
        "regions": table_regions(record.get("provenance") or {}),
    }


# -- the HTTP app ------------------------------------------------------------------------------

def static_dir() -> Path:
    return Path(str(resources.files("extract").joinpath("review_static")))


def create_app(outdir, *, token: str | None = None, training_data=None,
               allowed_hosts=LOOPBACK):
    """The Starlette app over a batch output folder. ``allowed_hosts``: host names the requests
    may name (``"*"`` for any, when bound to a public address on purpose)."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    batch = Batch(outdir, training_data)
    token = token or secrets.token_urlsafe(32)
    index = (static_dir() / "index.html").read_text("utf-8")

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def guarded(fn):
        async def endpoint(request: Request):
            try:
                return await fn(request)
            except ReviewError as e:
                return error(e.status, e.message)
            except GkError as e:
                return error(500, str(e))
        return endpoint

    def check_write(request: Request) -> None:
        """Refuse writes that do not come from the page itself (cross-site request forgery)."""
        sent = request.headers.get(TOKEN_HEADER, "")
        if not secrets.compare_digest(sent.encode(), token.encode()):
            raise ReviewError(403, "refused: a write needs the token of the review page "
                              "(reload the page)")
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host')}":
            raise ReviewError(403, f"refused: a write from another site ({origin[:80]})")
        if request.headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
            raise ReviewError(403, "refused: a cross-site write")
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise ReviewError(415, "a write sends JSON (Content-Type: application/json)")

    async def body_of(request: Request) -> dict:
        check_write(request)
        raw = await request.body()
        if len(raw) > 64 * 1024:
            raise ReviewError(413, "request too large")
        try:
            body = json.loads(raw or b"{}")
        except ValueError as e:
            raise ReviewError(400, f"the body is not JSON: {e}") from e
        if not isinstance(body, dict):
            raise ReviewError(400, "the body is a JSON object")
        return body

    async def page(request: Request):
        html = index.replace("{{TOKEN}}", token).replace("{{OUTDIR}}", _html(str(batch.root)))
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    @guarded
    async def reports(request: Request):
        q = request.query_params
        return JSONResponse(batch.report_list(q.get("status") or None, q.get("kind") or None,
                                              q.get("review") or None))

    @guarded
    async def report(request: Request):
        view = batch.report_view(request.path_params["sha"])
        with batch.db() as con:
            record, _ = batch.record(con, request.path_params["sha"])
        view["pages"] = batch.page_sizes(record) if view["source"]["status"]["pages"] else []
        return JSONResponse(view)

    @guarded
    async def page_image(request: Request):
        try:
            n = int(request.path_params["n"])
        except ValueError:
            raise ReviewError(404, "a page number is a whole number") from None
        png = batch.page_png(request.path_params["sha"], n)
        return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=300"})

    @guarded
    async def text(request: Request):
        return JSONResponse({"text": batch.source_text(request.path_params["sha"])})

    @guarded
    async def field(request: Request):
        body = await body_of(request)
        view = batch.correct(request.path_params["sha"], body)
        return JSONResponse(view)

    @guarded
    async def truth(request: Request):
        await body_of(request)
        return JSONResponse(batch.save_truth(request.path_params["sha"]))

    @guarded
    async def label(request: Request):
        body = await body_of(request)
        return JSONResponse(batch.add_label(request.path_params["sha"], body))

    @guarded
    async def files(request: Request):
        return FileResponse(batch.outdir_file(request.path_params["path"]))

    routes = [
        Route("/", page),
        Route("/api/reports", reports),
        Route("/api/report/{sha}", report),
        Route("/api/report/{sha}/page/{n}.png", page_image),
        Route("/api/report/{sha}/text", text),
        Route("/api/report/{sha}/field", field, methods=["POST"]),
        Route("/api/report/{sha}/truth", truth, methods=["POST"]),
        Route("/api/report/{sha}/label", label, methods=["POST"]),
        Route("/files/{path:path}", files),
        Mount("/static", StaticFiles(directory=str(static_dir())), name="static"),
    ]
    hosts = ["*"] if "*" in allowed_hosts else list(allowed_hosts)
    app = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware,
                                                          allowed_hosts=hosts)])
    app.state.token = token
    app.state.batch = batch
    return app


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'none'",
    "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _html(s: str) -> str:
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def serve(outdir, *, host: str = "127.0.0.1", port: int = 8765, training_data=None,
          ready=None) -> None:
    """Run the server until interrupted. ``port`` 0 takes a free port; ``ready(url)`` is called
    once the socket is bound."""
    import socket

    import uvicorn

    hosts = LOOPBACK + (host,) if host not in ("0.0.0.0", "::") else ("*",)
    app = create_app(outdir, training_data=training_data, allowed_hosts=hosts)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise OptionsError(f"cannot listen on {host}:{port}: {e.strerror or e} (pick another "
                           "--port)") from e
    sock.listen(128)        # connections wait in the backlog until uvicorn accepts them
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    if ready:
        ready(f"http://{shown}:{bound}/")
    server.run(sockets=[sock])
