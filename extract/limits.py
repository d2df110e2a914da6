"""Shared helpers for hostile input: size bounds with precise refusals, and text that stays valid
UTF-8 (so that records are always valid JSON), whatever a file name or a text layer holds.

Bounds (defaults in ``extract.options.Options``; docs/hardening.md lists them all):

    max_bytes        any input file, and any archive member unpacked      --max-bytes
    max_text_bytes   a text or HTML file, a .docx's unpacked XML          --max-text-bytes
    max_pages        pages of a PDF, frames of a TIFF, images of a folder --max-pages
    max_pixels       one page image (checked from the header, before decoding) --max-pixels
    timeout          seconds per file in batch workers                    --timeout
    max_memory_mb    memory of a batch worker                             --max-memory

Every refusal is a ``LimitExceededError`` whose message names the file, the measured size, the
limit and the option that raises it.

Text: Python strings can hold lone UTF-16 surrogates (file names that are not UTF-8 decode with
``surrogateescape``; a PDF's ToUnicode map can point at U+D800). They cannot be encoded as UTF-8,
so one of them in a record would make ``json.dumps(...).encode()`` fail. ``clean_str`` turns a
surrogate pair into its character and any other surrogate into U+FFFD; ``display_path`` shows
the undecodable bytes of a path as ``\\xNN`` (unambiguous, and still valid UTF-8).
"""

from __future__ import annotations

import dataclasses
import os
import re

from .errors import LimitExceededError

_SURROGATE = re.compile("[\ud800-\udfff]")


def check_size(path, size: int, limit: int, option: str, what: str = "file") -> None:
    """Refuse ``size`` bytes over ``limit`` with a message naming the file, both numbers and the
    option that raises the limit."""
    if size > limit:
        raise LimitExceededError(path, f"{what} is {size:,} bytes, over the limit of {limit:,} "
                                 f"(raise it with {option})")


def clean_str(s: str) -> str:
    """``s`` with every lone surrogate replaced by U+FFFD and every surrogate pair joined."""
    if not _SURROGATE.search(s):
        return s
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def display_path(p) -> str:
    """A path as text that is always valid UTF-8: bytes that are not UTF-8 (held by Python as
    ``surrogateescape`` surrogates) are shown as ``\\xNN``."""
    s = os.fspath(p)
    if isinstance(s, bytes):
        return s.decode("utf-8", "backslashreplace")
    if not _SURROGATE.search(s):
        return s
    try:
        return os.fsencode(s).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:       # surrogates that surrogateescape did not make
        return clean_str(s)


def clean_json(obj):
    """A copy of a JSON-like value (dicts, lists, tuples, strings, numbers) with every string,
    keys included, passed through ``clean_str``."""
    if isinstance(obj, str):
        return clean_str(obj)
    if isinstance(obj, dict):
        return {clean_json(k): clean_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean_json(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(clean_json(v) for v in obj)
    return obj


def clean_record(record):
    """Clean a ``Record`` in place (its dicts, issues and provenance; see ``clean_str``), and
    return it."""
    record.report = clean_json(record.report)
    record.source = clean_json(record.source)
    record.fields = clean_json(record.fields)
    record.units = clean_json(record.units)
    for obj in list(record.issues) + list(record.provenance.values()):
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            for f in dataclasses.fields(obj):
                v = getattr(obj, f.name)
                c = clean_json(v)
                if c != v:
                    setattr(obj, f.name, c)
    record.provenance = {clean_str(k): v if dataclasses.is_dataclass(v) else clean_json(v)
                         for k, v in record.provenance.items()}
    return record


def proc_memory_mb(pid: int | str = "self", field: str = "VmRSS") -> float | None:
    """A process's memory figure from ``/proc/PID/status`` in MB (``VmRSS`` resident now,
    ``VmHWM`` its peak); None where the process or /proc is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
