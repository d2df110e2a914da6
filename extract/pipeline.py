"""The pipeline, as a list you can read.

    file -> ingest (by kind) -> Document(grids, text)
         -> label rows and columns (classifier) and parse numbers   [extract.assemble]
         -> report metadata from the text                           [extract.meta]
         -> arithmetic checks and OCR corrections                   [extract.checks]
         -> narrative cross-check                                   [extract.narrative]
         -> Record with status

Ingesters are registered by kind in ``INGESTERS`` ("module:function" strings, imported when first
used). Each takes ``(path, options)`` and returns a ``Document``.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from pathlib import Path

from .errors import GkError, InputFileError, LimitExceededError, NotAReportError
from .limits import clean_record, display_path
from .model import Document, Record
from .options import Options

log = logging.getLogger(__name__)

# kind -> "module:function"
INGESTERS: dict[str, str] = {
    "pdf": "extract.pdf_text:ingest_pdf",
    "image": "extract.scan:ingest_image",
    "image-dir": "extract.scan:ingest_image_dir",
    "html": "extract.web:ingest_html",
    "text": "extract.web:ingest_text",
    "docx": "extract.web:ingest_docx",
    "doc": "extract.web:ingest_doc",
}

SUFFIX_KIND = {
    ".pdf": "pdf", ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image",
    ".tiff": "image", ".bmp": "image", ".webp": "image", ".html": "html", ".htm": "html",
    ".shtml": "html", ".xhtml": "html", ".txt": "text", ".docx": "docx", ".doc": "doc",
}

MAGIC = [(b"%PDF", "pdf"), (b"\x89PNG", "image"), (b"\xff\xd8\xff", "image"),
         (b"II*\x00", "image"), (b"MM\x00*", "image"), (b"PK\x03\x04", "docx")]


def detect_kind(path: Path) -> str:
    """The ingester kind for a path, from its content's magic bytes, else its suffix."""
    if path.is_dir():
        return "image-dir"
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError as e:
        raise InputFileError(path, f"cannot read: {e.strerror or e}") from e
    if not head:
        raise InputFileError(path, "the file is empty (0 bytes)")
    stripped = head.lstrip()
    for magic, kind in MAGIC:
        if stripped.startswith(magic) or (magic == b"%PDF" and magic in head):
            return kind
    kind = SUFFIX_KIND.get(path.suffix.lower())
    if kind in ("pdf", "image", "docx"):
        raise InputFileError(path, f"not a valid {path.suffix.lower()[1:].upper()} file "
                             "(its content does not start like one)")
    if kind:
        return kind
    low = stripped[:200].lower()
    if low.startswith(b"<!doctype html") or low.startswith(b"<html") or b"<table" in head.lower():
        return "html"
    raise InputFileError(path, f"unsupported file type {path.suffix or '(no suffix)'}; "
                         f"gkreport reads {', '.join(sorted(set(SUFFIX_KIND)))} and folders of "
                         "page images")


def ingester(kind: str):
    try:
        target = INGESTERS[kind]
    except KeyError:
        raise InputFileError("-", f"no ingester for kind {kind!r}; known: "
                             f"{', '.join(INGESTERS)}") from None
    mod, func = target.split(":")
    return getattr(importlib.import_module(mod), func)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_dir():
        for p in sorted(path.iterdir()):
            if p.is_file():
                h.update(p.name.encode("utf-8", "surrogateescape"))
                h.update(sha256_of(p).encode())
        return h.hexdigest()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ingest(path: Path, options: Options) -> Document:
    """Read a file into a ``Document``; every failure is a ``GkError`` naming the file."""
    if not path.exists():
        raise InputFileError(path, "no such file or directory")
    if path.is_file():
        size = path.stat().st_size
        if size > options.max_bytes:
            raise LimitExceededError(path, f"file is {size:,} bytes, over the limit of "
                                     f"{options.max_bytes:,} (raise it with --max-bytes)")
    kind = detect_kind(path)
    from pypdfium2 import PdfiumError   # pdfium's own error for a page it cannot load

    try:
        return ingester(kind)(path, options)
    except GkError:
        raise
    except MemoryError as e:
        raise LimitExceededError(path, "ran out of memory reading it (lower --max-pixels or "
                                 "--dpi)") from e
    except (OSError, ValueError, KeyError, IndexError, TypeError, RecursionError,
            AssertionError, EOFError, UnicodeError, ZeroDivisionError, OverflowError,
            PdfiumError, SyntaxError) as e:   # PIL reports a corrupt image as SyntaxError
        log.debug("ingest failed", exc_info=True)
        raise InputFileError(path, f"cannot be read as {kind}: {type(e).__name__}: "
                             f"{str(e)[:200]}") from e


def extract_file(path, options: Options | None = None) -> Record:
    """Extract one report. Raises ``GkError`` for input that yields no record at all."""
    from . import assemble, checks, meta

    options = options or Options()
    path = Path(path)
    doc = ingest(path, options)
    record = Record(report={}, source={
        "path": display_path(path), "sha256": sha256_of(path), "kind": doc.kind,
        "pages": doc.pages})
    record.issues.extend(doc.issues)

    # Stage: label rows/columns and parse numbers (shared by every input kind).
    assemble.assemble(doc, record, options)
    # Stage: report metadata (agency, year, template, published, title).
    record.report = meta.report_metadata(doc, record)
    # Stage: arithmetic checks, and corrections of OCR misreads where the arithmetic proves them.
    checks.check_record(record, options)
    # Stage: the prose's figures against the tables.
    _narrative(doc, record, options)

    if not record.fields:
        unplaced = [i for i in record.issues if i.kind == "unknown_label"]
        why = (f"{len(unplaced)} values were found but no row or column label could be read"
               if unplaced else "no statistical table of an annual report (sections 二, 三, 四) "
               "was found")
        raise NotAReportError(path, f"not a disclosure annual report: {why}")
    # Records are valid UTF-8 JSON whatever the input: no lone surrogates (extract.limits).
    return clean_record(record.finish())


def _narrative(doc: Document, record: Record, options: Options) -> None:
    try:
        narrative = importlib.import_module("extract.narrative")
    except ImportError:
        return
    narrative.cross_check(doc, record, options)


def output_name(path: Path) -> str:
    """A safe record file name for an input: its stem, sanitised, never leaving the folder."""
    stem = path.name if path.is_dir() else path.stem
    safe = "".join(ch if (ch.isalnum() or ch in "-_.") else "_" for ch in stem).strip("._")
    return (safe or "report")[:120] + ".json"


def cpu_count() -> int:
    return os.cpu_count() or 1
