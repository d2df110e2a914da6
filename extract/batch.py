"""Bulk conversion: many inputs -> one record per report in OUTDIR, resumable, nothing lost.

Public API (stable: ``gkreport batch`` and the evaluation harness call it)::

    run_batch(inputs: list[str | Path], outdir: Path, *, options: Options, jobs: int = 1,
              engine: str = "local", retry_failed: bool = False, progress: bool = True,
              from_list: str | Path | None = None, page_dirs: bool = False,
              max_memory_mb: int = DEFAULT_MAX_MEMORY_MB,
              ray_address: str | None = None) -> BatchSummary

    jobs=0: one worker per core (local), or per CPU of the Ray cluster (ray).
    BatchSummary.outcomes      one Outcome per input path: path, sha256, status
                               (ok | partial | failed | skipped), record (Path of the JSON
                               record, or None), reason (why it failed or was skipped),
                               new (extracted by this run)
    BatchSummary.by_path()     {path: Outcome}; paths are absolute, archive members
                               "ARCHIVE!inner/path.pdf"
    BatchSummary.exit_code     0 when no input failed, else 1

OUTDIR holds ``records/<sha256>.json`` (one per distinct content) and ``gkreport.duckdb`` (see
``extract.store``). The run, in order:

    inputs -> expand (files, folders, globs, archives, --from-list, --page-dirs)  -> sources, skipped
           -> hash (sha256; unchanged paths reuse the stored hash)               -> one task per content
           -> drop contents already done by this PIPELINE_VERSION (and failed ones, unless
              --retry-failed); adopt records already on disk but not yet in the store
           -> engine (local process pool | Ray actors): process_item(task) in workers
           -> sink (parent only): write the record atomically, then the store in one transaction

Resumability: work is keyed by ``(sha256, extract.PIPELINE_VERSION)``. A record file is written
to a temporary name and renamed; the store is written in transactions after the file. A kill at
any moment leaves either nothing, a complete record file not yet in the store (adopted on the
next run without extracting again), or a committed report: a rerun completes the job with every
report exactly once.

Workers: each builds its classifier and OCR engine once (``worker_setup``); ``Options.threads``
is ``max(1, cores // jobs)`` unless given, so N workers never oversubscribe the cores. A file that
takes more than ``Options.timeout`` seconds, or a worker whose memory passes ``max_memory_mb``,
is killed; the worker is replaced and the file recorded in ``failures`` with the reason.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import sys
import tarfile
import time
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

from . import PIPELINE_VERSION
from .errors import ExitCode, GkError, OptionsError
from .limits import clean_json, clean_str, display_path, proc_memory_mb
from .options import Options

log = logging.getLogger(__name__)

DEFAULT_MAX_MEMORY_MB = 3072
ENGINES = ("local", "ray")
RECORDS_DIR = "records"
STAGING_DIR = ".staging"
ARCHIVE_SEP = "!"
ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
# Files that are never reports and are not worth a line in `skipped`.
JUNK_NAMES = {"thumbs.db", "desktop.ini"}
FLUSH_SECONDS = 1.0
FLUSH_ITEMS = 25


# -- the units of work ----------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One input path as listed. ``input``: ``file``, ``page-dir``, ``archive-member`` or
    ``archive-page-dir``. ``locator`` says how to read it: ``("file", path)``, ``("dir", path)``,
    ``("zip"|"tar", archive, (member, ...))``. ``error`` is a problem found while listing it."""

    path: str
    input: str
    locator: tuple
    size: int = 0
    mtime: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class Task:
    """One distinct content to extract. ``name`` is the path recorded as the record's
    ``source.path``; ``path`` is where a worker reads it (the input itself, or a staged copy of
    an archive member); ``is_dir`` for a folder of page images."""

    sha256: str
    name: str
    path: str
    is_dir: bool = False
    size: int = 0


@dataclass
class Result:
    """What a worker sends back: a record dict, or a failure (``error`` class name, exit code,
    reason)."""

    sha256: str
    name: str
    record: dict | None = None
    error: str | None = None
    exit_code: int = ExitCode.ok
    reason: str | None = None
    seconds: float = 0.0
    peak_rss_mb: float | None = None
    pid: int | None = None

    @property
    def pages(self) -> int:
        return int((self.record or {}).get("source", {}).get("pages") or 0)


@dataclass
class Outcome:
    """What became of one input path."""

    path: str
    sha256: str | None
    status: str                    # ok | partial | failed | skipped
    record: Path | None = None
    reason: str | None = None
    new: bool = False


@dataclass
class BatchSummary:
    outdir: Path
    db: Path
    outcomes: list[Outcome] = field(default_factory=list)
    reports: int = 0        # distinct contents of this run's inputs that have a record
    extracted: int = 0      # ... extracted by this run
    adopted: int = 0        # ... whose record file was on disk but not yet in the store
    already_done: int = 0   # ... done by an earlier run
    failed: int = 0         # distinct contents (or unreadable paths) that failed
    skipped: int = 0        # paths not taken
    duplicates: int = 0     # paths whose content another path of this run also holds
    pages: int = 0          # pages extracted by this run
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        return ExitCode.some_failed if self.failed else ExitCode.ok

    def by_path(self) -> dict[str, Outcome]:
        return {o.path: o for o in self.outcomes}

    def line(self) -> str:
        rate = f", {self.pages / self.seconds:.2f} pages/s" if self.seconds and self.pages else ""
        return (f"{self.reports} reports ({self.extracted} extracted, {self.already_done} already "
                f"done, {self.adopted} adopted), {self.failed} failed, {self.skipped} skipped, "
                f"{self.duplicates} duplicate paths; {self.seconds:.1f} s{rate} -> {self.db}")


# -- inputs ---------------------------------------------------------------------------------


def _kind_of_name(name: str) -> str | None:
    from .pipeline import SUFFIX_KIND

    return SUFFIX_KIND.get(os.path.splitext(name)[1].lower())


def _archive_type(name: str) -> str | None:
    low = name.lower()
    if low.endswith(ZIP_SUFFIXES):
        return "zip"
    if low.endswith(TAR_SUFFIXES):
        return "tar"
    return None


def _sniff(path: Path) -> str | None:
    """The ingester kind of a suffix-less or unknown file from its first bytes, else None."""
    from .pipeline import MAGIC

    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError:
        return None
    for magic, kind in MAGIC:
        if head.lstrip().startswith(magic) and kind != "docx":
            return kind
    low = head.lstrip()[:200].lower()
    if low.startswith(b"<!doctype html") or low.startswith(b"<html"):
        return "html"
    return None


def _unsupported(name: str) -> str:
    suffix = os.path.splitext(name)[1].lower() or "(no suffix)"
    return f"unsupported file type {suffix}"


def _stat(path: Path) -> tuple[int, float]:
    st = path.stat()
    return st.st_size, st.st_mtime


def _dir_stat(path: Path) -> tuple[int, float]:
    """Size and mtime of a folder of pages: total bytes of its files, latest mtime of it and
    them (an edited page changes the file's mtime, not the folder's)."""
    files = [p for p in path.iterdir() if p.is_file()]
    stats = [p.stat() for p in files]
    return (sum(st.st_size for st in stats),
            max([path.stat().st_mtime] + [st.st_mtime for st in stats]))


def _is_glob(s: str) -> bool:
    return any(ch in s for ch in "*?[")


def read_list(path: str | Path) -> list[str]:
    """Paths from a ``--from-list`` file: one per line; blank lines and ``#`` comments ignored."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        raise OptionsError(f"--from-list {path}: cannot read: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise OptionsError(f"--from-list {path}: not UTF-8 text") from e
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def expand_inputs(inputs: Iterable[str | Path], *, page_dirs: bool = False,
                  exclude: Iterable[Path] = ()) -> tuple[list[Source], list[Skipped]]:
    """Every input as sources (one per report) and skipped paths (with the reason).

    Files are taken by suffix (or, without a known suffix, by their first bytes); folders are
    walked recursively in name order; globs are expanded (``**`` too); ``.zip`` and ``.tar*``
    archives contribute their members as ``ARCHIVE!inner/path``. With ``page_dirs``, a folder
    (also inside an archive) whose files are all page images is one report. Hidden files and
    folders (``.name``) are skipped. ``exclude``: folders never entered (the output folder).
    """
    from .pipeline import SUFFIX_KIND

    sources: list[Source] = []
    skipped: list[Skipped] = []
    excluded = {os.path.abspath(p) for p in exclude}
    seen: set[str] = set()

    def add(src: Source):
        # the path as shown (store, records) is valid UTF-8; the locator keeps the real one
        src = replace(src, path=display_path(src.path))
        if src.path not in seen:
            seen.add(src.path)
            sources.append(src)

    def skip(path, reason):
        path = display_path(path)
        if path not in seen:
            seen.add(path)
            skipped.append(Skipped(path, reason))

    def take_file(p: Path):
        ap = os.path.abspath(p)
        name = p.name
        if name.lower() in JUNK_NAMES:
            return
        if name.startswith("."):
            return skip(ap, "hidden file")
        if _archive_type(name):
            return take_archive(Path(ap))
        try:
            size, mtime = _stat(p)
        except OSError as e:
            return add(Source(ap, "file", ("file", ap), error=f"cannot read: {e.strerror or e}"))
        if _kind_of_name(name) or _sniff(p):
            return add(Source(ap, "file", ("file", ap), size, mtime))
        skip(ap, _unsupported(name))

    def take_dir(d: Path):
        for root, dirs, files in os.walk(d, onerror=lambda e: skip(e.filename, f"cannot list: "
                                                                    f"{e.strerror}")):
            root_abs = os.path.abspath(root)
            keep = []
            for sub in sorted(dirs):
                full = os.path.join(root_abs, sub)
                if full in excluded:
                    continue
                if sub.startswith("."):
                    skip(full, "hidden folder")
                    continue
                if os.path.islink(full):   # os.walk does not follow it: say so
                    skip(full, "a link to a folder: not followed (links can loop)")
                    continue
                keep.append(sub)
            dirs[:] = keep
            files = sorted(f for f in files if f.lower() not in JUNK_NAMES)
            visible = [f for f in files if not f.startswith(".")]
            if page_dirs and visible and all(SUFFIX_KIND.get(os.path.splitext(f)[1].lower())
                                             == "image" for f in visible):
                try:
                    size, mtime = _dir_stat(Path(root_abs))
                except OSError as e:
                    add(Source(root_abs, "page-dir", ("dir", root_abs),
                               error=f"cannot read: {e.strerror or e}"))
                    continue
                add(Source(root_abs, "page-dir", ("dir", root_abs), size, mtime))
                for f in files:
                    if f.startswith("."):
                        skip(os.path.join(root_abs, f), "hidden file")
                continue
            for f in files:
                take_file(Path(root_abs) / f)

    def take_archive(a: Path):
        kind = _archive_type(a.name)
        try:
            size, mtime = _stat(a)
            members = list_archive(a, kind)
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError) as e:
            return add(Source(str(a), "file", ("file", str(a)), error=f"cannot open the "
                              f"{kind} archive: {type(e).__name__}: {str(e)[:200]}"))
        groups: dict[str, list[tuple[str, str, int]]] = {}
        for raw, shown, msize in members:
            groups.setdefault(os.path.dirname(shown), []).append((raw, shown, msize))
        for folder, items in sorted(groups.items()):
            names = [os.path.basename(s) for _, s, _ in items]
            parts = [p for p in shown_parts(folder)]
            if ".." in parts:
                for _, s, _ in items:
                    skip(f"{a}{ARCHIVE_SEP}{s}", "the member's path climbs out of the archive "
                         "(..): not taken")
                continue
            hidden_dir = any(p.startswith(".") or p == "__MACOSX" for p in parts)
            visible = [(r, s, n) for r, s, n in items if not os.path.basename(s).startswith(".")]
            if hidden_dir:
                for _, s, _ in items:
                    skip(f"{a}{ARCHIVE_SEP}{s}", "hidden folder in the archive")
                continue
            if page_dirs and visible and all(_kind_of_name(n) == "image" for n in names
                                             if not n.startswith(".")):
                add(Source(f"{a}{ARCHIVE_SEP}{folder or '.'}", "archive-page-dir",
                           (kind, str(a), tuple(r for r, _, _ in visible)),
                           sum(n for _, _, n in visible), mtime))
                continue
            for raw, shown, msize in items:
                base = os.path.basename(shown)
                full = f"{a}{ARCHIVE_SEP}{shown}"
                if base.lower() in JUNK_NAMES:
                    continue
                if base.startswith("."):
                    skip(full, "hidden file")
                elif _archive_type(base):
                    skip(full, "an archive inside an archive: unpack the outer one first")
                elif _kind_of_name(base):
                    add(Source(full, "archive-member", (kind, str(a), (raw,)), msize, mtime))
                else:
                    skip(full, _unsupported(base))

    for item in inputs:
        s = str(item)
        p = Path(s)
        if p.is_dir():
            ap = os.path.abspath(p)
            if page_dirs:
                visible = [f for f in os.listdir(p) if not f.startswith(".")]
                if visible and all(_kind_of_name(f) == "image" and (p / f).is_file()
                                   for f in visible):
                    add(Source(ap, "page-dir", ("dir", ap), *_dir_stat(p)))
                    continue
            take_dir(p)
        elif p.is_file():
            take_file(p)
        elif _is_glob(s):
            matches = safe_glob(s)
            if not matches:
                skip(s, "the pattern matched nothing")
            for m in matches:
                mp = Path(m)
                if mp.is_dir():
                    take_dir(mp)
                else:
                    take_file(mp)
        else:
            ap = os.path.abspath(p)
            add(Source(ap, "file", ("file", ap), error="no such file or directory"))
    return sources, skipped


def safe_glob(pattern: str) -> list[str]:
    """``glob.glob(pattern, recursive=True)``, sorted, except that ``**`` never follows a link
    to a folder: glob's own ``**`` does, and two links back to a folder make it list 2^depth
    paths (it never ends). ``*``, ``?`` and ``[...]`` match within one path component and,
    as in glob, not a leading dot."""
    if "**" not in pattern:
        return sorted(glob.glob(pattern))
    parts = pattern.split(os.sep)
    k = next(i for i, p in enumerate(parts) if _is_glob(p))
    root = os.sep.join(parts[:k]) or ("." if not pattern.startswith(os.sep) else os.sep)
    rx = re.compile("".join(_glob_part_rx(p, last=(i == len(parts) - 1))
                            for i, p in enumerate(parts[k:], k)), re.S)
    out = []
    base = len(root.rstrip(os.sep)) + 1 if root != os.sep else 1
    for dirpath, dirs, files in os.walk(root):          # never follows links to folders
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in dirs + sorted(files):
            if name.startswith("."):
                continue
            full = os.path.join(dirpath, name)
            if rx.fullmatch(full[base:]):
                out.append(full if root != "." or pattern.startswith("./") else
                           os.path.relpath(full))
    return sorted(out)


def _glob_part_rx(part: str, last: bool) -> str:
    sep = "" if last else re.escape(os.sep)
    if part == "**":
        return "(?:[^/]+/)*" if not last else ".*"
    rx, i = "", 0
    while i < len(part):
        ch = part[i]
        if ch == "*":
            rx += "[^/]*"
        elif ch == "?":
            rx += "[^/]"
        elif ch == "[":
            j = part.find("]", i + 2)
            if j < 0:
                rx += re.escape(ch)
            else:
                body = part[i + 1:j]
                rx += "[" + ("^" + body[1:] if body.startswith("!") else body).replace(
                    "\\", "\\\\") + "]"
                i = j
        else:
            rx += re.escape(ch)
        i += 1
    return rx + sep


def shown_parts(folder: str) -> list[str]:
    return [p for p in folder.split("/") if p]


def _zip_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name as its author saw it: Chinese archives made on Windows store GBK
    names without the UTF-8 flag, which zipfile decodes as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def list_archive(path: Path, kind: str) -> list[tuple[str, str, int]]:
    """``(raw member name, shown name, size)`` of every regular file in an archive."""
    out = []
    if kind == "zip":
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if not info.is_dir():
                    # zips made on Windows may separate folders with backslashes
                    out.append((info.filename, _zip_name(info).replace("\\", "/").lstrip("/"),
                                info.file_size))
    else:
        with tarfile.open(path) as t:
            for m in t:
                if m.isfile():
                    out.append((m.name, m.name.lstrip("./") if m.name.startswith("./")
                                else m.name.lstrip("/"), m.size))
    return sorted(out, key=lambda x: x[1])


# -- hashing and staging --------------------------------------------------------------------


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class MemberTooLarge(Exception):
    """An archive member unpacks past ``--max-bytes`` (a zip bomb, or simply too large)."""


class LimitReason(str):
    """A failure reason that a resource bound gave (recorded as ``LimitExceededError``)."""


def _too_large(size: int, max_bytes: int, declared: bool = True) -> LimitReason:
    return LimitReason(f"the member unpacks to {'' if declared else 'more than '}{size:,} bytes"
                       f"{' (as the archive declares)' if declared else ''}, over the limit of "
                       f"{max_bytes:,} (raise it with --max-bytes)")


def _stage_stream(stream, staging: Path, basename: str,
                  max_bytes: int | None = None) -> tuple[str, Path]:
    """Copy a member into ``staging/<sha256[:16]>/<basename>`` while hashing it; stop with
    ``MemberTooLarge`` past ``max_bytes`` (whatever the archive declared)."""
    tmp = staging / f"tmp-{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    target = tmp / _safe_basename(basename)
    h = hashlib.sha256()
    n = 0
    with open(target, "wb") as out:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            n += len(chunk)
            if max_bytes is not None and n > max_bytes:
                out.close()
                shutil.rmtree(tmp, ignore_errors=True)
                raise MemberTooLarge(_too_large(max_bytes, max_bytes, declared=False))
            h.update(chunk)
            out.write(chunk)
    sha = h.hexdigest()
    final = staging / sha[:16]
    if final.exists():
        shutil.rmtree(tmp)
    else:
        tmp.rename(final)
    return sha, final / _safe_basename(basename)


def _safe_basename(name: str) -> str:
    """A member's base name as a file name that stays in its folder: no separators, no ``.``
    or ``..``, no control characters, at most 200 bytes (file systems allow 255) with its suffix
    kept (the suffix tells the ingester's kind)."""
    base = os.path.basename(name.replace("\\", "/"))
    base = "".join("_" if ord(ch) < 32 or ch == "\x7f" else ch for ch in clean_str(base))
    base = base.lstrip(".") or "member"
    stem, suffix = os.path.splitext(base)
    suffix = suffix if len(suffix.encode()) <= 16 else ""
    room = 200 - len(suffix.encode())
    stem = stem.encode()[:room].decode("utf-8", "ignore") or "member"
    return stem + suffix


def hash_sources(sources: list[Source], known: dict[str, tuple[int, float, str]],
                 needed: Callable[[str], bool], staging: Path,
                 max_bytes: int | None = None) -> list[tuple[Source, str | None,
                                                             str | None, str | None]]:
    """``(source, sha256, where a worker reads it, error)`` for every source.

    A path whose size and mtime match the store reuses its stored hash. Archive members whose
    content is ``needed`` are staged (copied out once, in one pass over the archive) so that
    workers read plain files. A member that unpacks past ``max_bytes`` (declared, or found while
    copying it) is not staged: it is a failure naming the limit.
    """
    from .pipeline import sha256_of

    out: list = [None] * len(sources)
    by_archive: dict[str, list[int]] = {}
    for i, src in enumerate(sources):
        if src.error:
            out[i] = (src, None, None, src.error)
            continue
        how = src.locator[0]
        if how in ("zip", "tar"):
            by_archive.setdefault(src.locator[1], []).append(i)
            continue
        cached = known.get(src.path)
        try:
            if cached and cached[0] == src.size and cached[1] == src.mtime:
                sha = cached[2]
            elif how == "dir":
                sha = sha256_of(Path(src.locator[1]))
            else:
                sha = sha256_file(src.locator[1])
        except OSError as e:
            out[i] = (src, None, None, f"cannot read: {e.strerror or e}")
            continue
        out[i] = (src, sha, src.locator[1], None)
    for archive, idxs in by_archive.items():
        try:
            _hash_archive(archive, [sources[i] for i in idxs], idxs, out, known, needed, staging,
                          max_bytes)
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError) as e:
            for i in idxs:
                if out[i] is None:
                    out[i] = (sources[i], None, None, f"cannot read the archive: "
                              f"{type(e).__name__}: {str(e)[:200]}")
    return out


def _hash_archive(archive, srcs, idxs, out, known, needed, staging, max_bytes=None):
    from .pipeline import sha256_of

    kind = srcs[0].locator[0]
    want: dict[str, list[int]] = {}        # raw member -> indexes of sources that use it
    for src, i in zip(srcs, idxs):
        cached = known.get(src.path)
        if (src.input == "archive-member" and cached and cached[0] == src.size
                and cached[1] == src.mtime and not needed(cached[2])):
            out[i] = (src, cached[2], None, None)  # done already: no need to read it
            continue
        for raw in src.locator[2]:
            want.setdefault(raw, []).append(i)
    if not want:
        return
    staged: dict[str, tuple[str, Path] | str] = {}   # raw -> (sha, staged path) | error
    if kind == "zip":
        with zipfile.ZipFile(archive) as z:
            for raw in sorted(want):
                try:
                    info = z.getinfo(raw)
                    if info.flag_bits & 0x1:
                        staged[raw] = "the archive member is encrypted (password-protected)"
                        continue
                    if max_bytes is not None and info.file_size > max_bytes:
                        staged[raw] = _too_large(info.file_size, max_bytes)
                        continue
                    with z.open(info) as stream:
                        staged[raw] = _stage_stream(stream, staging, _zip_name(info), max_bytes)
                except MemberTooLarge as e:
                    staged[raw] = e.args[0]
                except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError,
                        NotImplementedError, RuntimeError, zlib.error) as e:
                    staged[raw] = f"cannot read the archive member: {type(e).__name__}: {e}"
    else:
        with tarfile.open(archive) as t:
            for m in t:      # one sequential pass: compressed tars do not seek
                if m.name in want and m.isfile():
                    if max_bytes is not None and m.size > max_bytes:
                        staged[m.name] = _too_large(m.size, max_bytes)
                        continue
                    try:
                        stream = t.extractfile(m)
                        staged[m.name] = _stage_stream(stream, staging, m.name, max_bytes)
                    except MemberTooLarge as e:
                        staged[m.name] = e.args[0]
                    except (tarfile.TarError, OSError, EOFError, ValueError, zlib.error) as e:
                        staged[m.name] = f"cannot read the archive member: {type(e).__name__}: {e}"
    for src, i in zip(srcs, idxs):
        if out[i] is not None:
            continue
        parts = [staged.get(raw, "the member vanished from the archive") for raw in src.locator[2]]
        errors = [p for p in parts if isinstance(p, str)]
        if errors:
            out[i] = (src, None, None, errors[0])
        elif src.input == "archive-member":
            sha, where = parts[0]
            out[i] = (src, sha, str(where), None)
        else:   # a folder of page images: gather the staged pages into one folder
            folder = staging / f"dir-{uuid.uuid4().hex}"
            folder.mkdir(parents=True)
            for (_, where), raw in zip(parts, src.locator[2]):
                shutil.copyfile(where, folder / where.name)
            sha = sha256_of(folder)
            final = staging / f"dir-{sha[:16]}"
            if final.exists():
                shutil.rmtree(folder)
            else:
                folder.rename(final)
            out[i] = (src, sha, str(final), None)


# -- the worker side (shared by every engine) -----------------------------------------------


THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def worker_setup(options: Options) -> None:
    """Once per worker: cap native threads, then build the classifier and OCR engine.

    A classifier that cannot load is fatal (``ModelError``): every file needs it. An OCR engine
    that cannot be built is only logged: born-digital files do not need it, scanned ones then
    fail one by one with the reason.
    """
    threads = str(options.effective_threads)
    for var in THREAD_ENV:
        os.environ[var] = threads
    from . import classifier, ocr, pipeline

    try:
        import cv2

        cv2.setNumThreads(options.effective_threads)
    except ImportError:
        pass
    for target in set(pipeline.INGESTERS.values()):   # import the ingesters once, up front
        try:
            __import__(target.split(":")[0])
        except ImportError:
            log.debug("ingester %s not importable", target)
    classifier.load_default()
    try:
        ocr.get_engine(options)
    except GkError as e:
        log.warning("OCR engine not available in this worker: %s", e)


def peak_rss_mb() -> float:
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / (1024 * 1024)


def process_item(task: Task, options: Options) -> Result:
    """Extract one task. Never raises for bad input: a failure is a ``Result`` with a reason."""
    from .pipeline import extract_file

    t0 = time.monotonic()
    res = Result(task.sha256, task.name, pid=os.getpid())
    try:
        record = extract_file(Path(task.path), options).to_dict()
        src = record.setdefault("source", {})
        src["path"] = task.name
        src["sha256"] = task.sha256
        src["pipeline_version"] = PIPELINE_VERSION
        res.record = record
    except GkError as e:
        res.error, res.exit_code = type(e).__name__, e.exit_code
        res.reason = str(e).replace(task.path, task.name)
    except MemoryError:
        res.error, res.exit_code = "MemoryError", ExitCode.limit
        res.reason = f"{task.name}: ran out of memory (lower --dpi or --max-pixels)"
    except Exception as e:   # our own bug: recorded, and the batch goes on
        log.debug("internal error on %s", task.name, exc_info=True)
        res.error, res.exit_code = type(e).__name__, ExitCode.internal
        res.reason = (f"{task.name}: internal error (please report it): {type(e).__name__}: "
                      f"{str(e)[:300]}")
    res.seconds = time.monotonic() - t0
    res.peak_rss_mb = round(peak_rss_mb(), 1)
    return res


def failed_result(task: Task, error: str, reason: str, exit_code: int = ExitCode.limit,
                  seconds: float = 0.0) -> Result:
    return Result(task.sha256, task.name, error=error, exit_code=exit_code,
                  reason=f"{task.name}: {reason}", seconds=seconds)


# -- the local engine: a process pool that survives its workers -----------------------------


def _die_with_parent() -> None:
    """Linux: have the kernel kill this worker when the batch process dies (even by kill -9)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker_main(conn, options: Options, parent_pid: int) -> None:
    _die_with_parent()
    if os.getppid() != parent_pid:   # the parent died before prctl took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent handles Ctrl-C
    try:
        worker_setup(options)
    except GkError as e:
        conn.send(("fatal", type(e).__name__, e.exit_code, str(e)))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(("result", process_item(task, options)))


def _rss_mb(pid: int) -> float | None:
    return proc_memory_mb(pid, "VmRSS")


class _Worker:
    def __init__(self, ctx, options: Options):
        parent, child = ctx.Pipe()
        self.conn = parent
        self.proc = ctx.Process(target=_worker_main, args=(child, options, os.getpid()),
                                daemon=True, name="gkreport-worker")
        self.proc.start()
        child.close()
        self.ready = False
        self.task: Task | None = None
        self.started = 0.0

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class LocalEngine:
    """N worker processes (spawned, not forked), each fed one task at a time.

    ``run`` dispatches tasks, calls ``on_result`` in this process for each result, kills a
    worker whose task passes ``options.timeout`` seconds or whose memory passes
    ``max_memory_mb``, and replaces any worker that dies; its task becomes a failed result.
    ``on_start(task, pid)`` is called when a task is handed to a worker.
    """

    POLL = 0.25

    def __init__(self, options: Options, jobs: int, max_memory_mb: int = DEFAULT_MAX_MEMORY_MB):
        import multiprocessing

        self.options = options
        self.jobs = max(1, jobs)
        self.max_memory_mb = max_memory_mb
        self.ctx = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []

    def run(self, tasks: Iterable[Task], on_result: Callable[[Result], None],
            on_start: Callable[[Task, int], None] | None = None) -> None:
        from multiprocessing.connection import wait

        pending = list(tasks)[::-1]
        if not pending:
            return
        self.workers = [_Worker(self.ctx, self.options) for _ in range(min(self.jobs,
                                                                            len(pending)))]
        fatal_starts = 0
        try:
            while pending or any(w.task for w in self.workers):
                for i, w in enumerate(self.workers):
                    if w.ready and w.task is None and pending:
                        task = pending.pop()
                        try:
                            w.conn.send(task)
                        except (OSError, ValueError):   # it died while idle: replace, retry
                            pending.append(task)
                            self._replace(i, None, on_result)
                            continue
                        w.task, w.started = task, time.monotonic()
                        if on_start:
                            on_start(task, w.proc.pid)
                busy_or_starting = [w for w in self.workers if w.task or not w.ready]
                objs = [w.conn for w in busy_or_starting] + [w.proc.sentinel for w in
                                                             busy_or_starting]
                ready = set(wait(objs, timeout=self.POLL)) if objs else set()
                for i, w in enumerate(list(self.workers)):
                    msg = None
                    if w.conn in ready:
                        try:
                            msg = w.conn.recv()
                        except (EOFError, OSError):
                            msg = None
                    if msg and msg[0] == "ready":
                        w.ready = True
                    elif msg and msg[0] == "result":
                        w.task = None
                        on_result(msg[1])
                    elif msg and msg[0] == "fatal":
                        fatal_starts += 1
                        if fatal_starts >= 3 or not any(x.ready for x in self.workers):
                            raise _rebuild_error(msg[1], msg[2], msg[3])
                        self._replace(i, None, on_result)
                    elif not w.proc.is_alive():
                        w.proc.join(1)
                        code = w.proc.exitcode
                        why = (f"signal {-code}" if code is not None and code < 0
                               else f"exit code {code}")
                        if w.task is None and not w.ready:
                            fatal_starts += 1
                            if fatal_starts >= 3:
                                raise GkError(f"batch workers die while starting ({why}); run "
                                              "`gkreport extract` on one file to see why")
                        self._replace(i, ("WorkerDied", f"the worker died ({why}) while "
                                          "extracting it; the file may be too large for the "
                                          "memory available (see --max-memory)"), on_result)
                    else:
                        self._check_limits(i, on_result)
        finally:
            self.shutdown()

    def _check_limits(self, i: int, on_result) -> None:
        w = self.workers[i]
        if w.task is None:
            return
        elapsed = time.monotonic() - w.started
        if elapsed > self.options.timeout:
            self._replace(i, ("Timeout", f"took more than {self.options.timeout:g} s (the "
                              "per-file limit; raise it with --timeout)"), on_result)
            return
        rss = _rss_mb(w.proc.pid)
        if rss is not None and rss > self.max_memory_mb:
            self._replace(i, ("MemoryLimit", f"its worker used {rss:.0f} MB, over the limit of "
                              f"{self.max_memory_mb} MB (raise it with --max-memory, or lower "
                              "--dpi)"), on_result)

    def _replace(self, i: int, failure: tuple[str, str] | None, on_result) -> None:
        w = self.workers[i]
        task, started = w.task, w.started
        w.kill()
        self.workers[i] = _Worker(self.ctx, self.options)
        if task is not None and failure is not None:
            on_result(failed_result(task, failure[0], failure[1],
                                    seconds=time.monotonic() - started))

    def shutdown(self) -> None:
        for w in self.workers:
            try:
                if w.proc.is_alive() and w.task is None and w.ready:
                    w.conn.send(None)
                    w.proc.join(2)
            except (OSError, ValueError):
                pass
            w.kill()
        self.workers = []


def _rebuild_error(name: str, exit_code: int, message: str) -> GkError:
    err = GkError(message)
    err.exit_code = exit_code
    return err


# -- the sink: record files and the store, in the parent only -------------------------------


class Sink:
    """Writes each result: the record file first (temporary name, fsync, rename), then the store
    in one transaction per flush. Keeps the run's counts for the summary and progress."""

    def __init__(self, outdir: Path, store, batch_id: str, engine: str, progress):
        self.outdir = outdir
        self.records = outdir / RECORDS_DIR
        self.records.mkdir(parents=True, exist_ok=True)
        self.store = store
        self.batch_id = batch_id
        self.engine = engine
        self.progress = progress
        self.attempts = store.failure_attempts()
        self.buffer_reports: list = []
        self.buffer_failures: list = []
        self.last_flush = time.monotonic()
        self.results: dict[str, Result] = {}
        self.pages = 0

    def record_path(self, sha: str) -> Path:
        return self.records / f"{sha}.json"

    def __call__(self, res: Result) -> None:
        # valid UTF-8 whatever a worker sent (a record from an older pipeline, a reason quoting
        # a file name that is not UTF-8): the record file and the store must take it
        if res.record is not None:
            res.record = clean_json(res.record)
        if res.reason is not None:
            res.reason = clean_str(res.reason)
        self.results[res.sha256] = res
        if res.record is not None:
            target = self.record_path(res.sha256)
            write_atomic(target, json.dumps(res.record, ensure_ascii=False, indent=1) + "\n")
            self.pages += res.pages
            self.buffer_reports.append((res.record, self._row(res)))
            if res.record.get("status") == "failed":
                self.buffer_failures.append(self._failure(
                    res.sha256, res.name, "NoRecord", ExitCode.not_a_report,
                    failed_record_reason(res.record), res.seconds))
        else:
            stale = self.record_path(res.sha256)
            if stale.exists():  # an older pipeline's record of content that now fails
                stale.unlink()
            self.buffer_failures.append(self._failure(res.sha256, res.name, res.error,
                                                      res.exit_code, res.reason, res.seconds))
        if self.progress:
            self.progress.finished(res)
        if (len(self.buffer_reports) + len(self.buffer_failures) >= FLUSH_ITEMS
                or time.monotonic() - self.last_flush >= FLUSH_SECONDS):
            self.flush()

    def _row(self, res: Result) -> dict:
        from .store import report_row

        return report_row(res.record, record_path=f"{RECORDS_DIR}/{res.sha256}.json",
                          pipeline_version=PIPELINE_VERSION, seconds=round(res.seconds, 3),
                          peak_rss_mb=res.peak_rss_mb, run_engine=self.engine,
                          batch_id=self.batch_id)

    def _failure(self, sha, path, error, exit_code, reason, seconds=0.0) -> dict:
        from .store import now

        key = sha or path
        self.attempts[key] = self.attempts.get(key, 0) + 1
        return {"sha256": sha, "path": path, "pipeline_version": PIPELINE_VERSION,
                "error": error, "exit_code": int(exit_code), "reason": reason,
                "attempts": self.attempts[key], "seconds": round(seconds, 3),
                "batch_id": self.batch_id, "failed_at": now()}

    def fail_path(self, path: str, reason: str) -> None:
        """A path that could not be read at all (no content, so no sha256), or an archive member
        refused by a limit before it was unpacked (``LimitReason``)."""
        error, code = (("LimitExceededError", ExitCode.limit) if isinstance(reason, LimitReason)
                       else ("InputFileError", ExitCode.input_file))
        self.buffer_failures.append(self._failure(None, path, error, code,
                                                  clean_str(f"{path}: {reason}")))

    def adopt(self, record: dict) -> None:
        from .store import report_row

        sha = record["source"]["sha256"]
        row = report_row(record, record_path=f"{RECORDS_DIR}/{sha}.json",
                         pipeline_version=PIPELINE_VERSION, run_engine="adopted",
                         batch_id=self.batch_id)
        self.buffer_reports.append((record, row))
        if record.get("status") == "failed":
            self.buffer_failures.append(self._failure(sha, record["source"].get("path"),
                                                      "NoRecord", ExitCode.not_a_report,
                                                      failed_record_reason(record)))

    def flush(self) -> None:
        if self.buffer_reports or self.buffer_failures:
            self.store.write(reports=self.buffer_reports, failures=self.buffer_failures)
        self.buffer_reports, self.buffer_failures = [], []
        self.last_flush = time.monotonic()


def failed_record_reason(record: dict) -> str:
    msgs = [i.get("message", "") for i in record.get("issues", [])
            if i.get("kind") in ("error", "missing_table")]
    return f"{record['source'].get('path')}: no fields extracted: " + ("; ".join(msgs) or
                                                                     "no table found")


def write_atomic(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` so that a reader (or a crash) never sees half a file."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)


def read_record(path: Path) -> dict | None:
    """A record file written by a batch of this pipeline version, else None."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    src = record.get("source") if isinstance(record, dict) else None
    if not isinstance(src, dict) or src.get("pipeline_version") != PIPELINE_VERSION:
        return None
    if src.get("sha256") != path.stem:
        return None
    return record


# -- progress -------------------------------------------------------------------------------


class Progress:
    """Progress on stderr: a rich bar on a terminal, plain lines (every ``every`` seconds and
    one per failure) otherwise."""

    def __init__(self, total: int, skipped: int, done_before: int, *, rich: bool | None = None,
                 every: float = 10.0, stream=None, sizes: dict[str, int] | None = None):
        self.stream = stream or sys.stderr
        self.total, self.skipped, self.done_before = total, skipped, done_before
        # ETA from bytes when sizes are known: a scan's bytes track its OCR work better than
        # a count of files does (a batch of text PDFs then scans would look nearly done).
        self.sizes = sizes or {}
        self.bytes_total = sum(self.sizes.values())
        self.bytes_done = 0
        self.done = self.failed = self.pages = 0
        self.t0 = time.monotonic()
        self.every, self.last = every, 0.0
        use_rich = self.stream.isatty() if rich is None else rich
        self.bar = None
        if use_rich:
            from rich.console import Console
            from rich.progress import (BarColumn, Progress as RichProgress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self.console = Console(file=self.stream)
            self.bar = RichProgress(
                TextColumn("[bold]batch"), BarColumn(bar_width=16),
                TextColumn("{task.fields[files]}/%d files" % total),
                TextColumn("{task.fields[failed]} failed, {task.fields[skipped]} skipped, "
                           "{task.fields[before]} done before, {task.fields[pps]:.2f} pages/s"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=self.console, transient=False)
            self.bar.start()
            self.task = self.bar.add_task("batch", total=self.bytes_total or total, files=0,
                                          failed=0, skipped=skipped, before=done_before, pps=0.0)
        else:
            self._line(f"{total} to extract, {done_before} done before, {skipped} skipped")

    def _line(self, text: str) -> None:
        print(f"gkreport batch: {text}", file=self.stream, flush=True)

    def eta(self) -> float | None:
        if not self.done:
            return None
        elapsed = time.monotonic() - self.t0
        if self.bytes_total and self.bytes_done:
            return (self.bytes_total - self.bytes_done) * elapsed / self.bytes_done
        return (self.total - self.done) * elapsed / self.done

    def finished(self, res: Result) -> None:
        self.done += 1
        self.pages += res.pages
        self.bytes_done += self.sizes.get(res.sha256, 0)
        ok = res.record is not None and res.record.get("status") != "failed"
        if not ok:
            self.failed += 1
        elapsed = max(time.monotonic() - self.t0, 1e-6)
        if self.bar is not None:
            # rich's ETA follows `completed`: bytes when known, else files
            self.bar.update(self.task, completed=self.bytes_done if self.bytes_total
                            else self.done, files=self.done, failed=self.failed,
                            pps=self.pages / elapsed)
            if not ok:
                self.console.print(f"[red]failed[/red] {res.reason or failed_record_reason(res.record)}",
                                   highlight=False, markup=True)
            return
        if not ok:
            self._line(f"failed: {res.reason or failed_record_reason(res.record)}")
        now = time.monotonic()
        if now - self.last >= self.every or self.done == self.total:
            self.last = now
            eta = self.eta()
            eta_s = time.strftime("%H:%M:%S", time.gmtime(eta)) if eta is not None else "?"
            self._line(f"{self.done}/{self.total} done, {self.failed} failed, {self.skipped} "
                       f"skipped, {self.pages / elapsed:.2f} pages/s, ETA {eta_s}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


# -- the run --------------------------------------------------------------------------------


def batch_options(options: Options, jobs: int, engine: str = "local") -> Options:
    """Threads per worker so that ``jobs`` workers share the cores without oversubscribing."""
    if options.threads:
        return options
    if engine == "ray":
        return options.with_(threads=1)
    return options.with_(threads=max(1, (os.cpu_count() or 1) // (jobs or os.cpu_count() or 1)))


def run_batch(inputs: list[str | Path], outdir: Path, *, options: Options, jobs: int = 1,
              engine: str = "local", retry_failed: bool = False, progress: bool = True,
              from_list: str | Path | None = None, page_dirs: bool = False,
              max_memory_mb: int = DEFAULT_MAX_MEMORY_MB,
              ray_address: str | None = None) -> BatchSummary:
    """Convert every input into ``outdir``; see the module docstring. Raises ``GkError`` only
    for a problem with the run itself (bad options, store in use); bad inputs are failures."""
    from .store import Store, now

    if engine not in ENGINES:
        raise OptionsError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    if jobs < 0:
        raise OptionsError("--jobs must be 0 (all cores, or the Ray cluster's CPUs) or more")
    if max_memory_mb < 1:
        raise OptionsError("--max-memory must be positive")
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise OptionsError(f"{outdir}: -o must be a folder")
    inputs = [str(i) for i in inputs]
    if from_list:
        inputs += read_list(from_list)
    if not inputs:
        raise OptionsError("no inputs: name files, folders, globs or archives, or --from-list")
    options = batch_options(options, jobs, engine)
    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    batch_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    staging = outdir / STAGING_DIR
    shutil.rmtree(staging, ignore_errors=True)
    records_dir = outdir / RECORDS_DIR
    records_dir.mkdir(parents=True, exist_ok=True)
    for tmp in records_dir.glob(".*.tmp"):   # a write cut short by a crash
        tmp.unlink(missing_ok=True)

    sources, skipped = expand_inputs(inputs, page_dirs=page_dirs, exclude=[outdir])
    store = Store(outdir)
    summary = BatchSummary(outdir=outdir, db=store.path)
    engine_obj = None
    prog = None
    sink: Sink | None = None
    tasks: dict[str, Task] = {}
    hashed: list = []
    run_row = {"batch_id": batch_id, "started_at": now(), "pipeline_version": PIPELINE_VERSION,
               "engine": engine, "jobs": jobs, "threads": options.effective_threads,
               "options": json.dumps({k: getattr(options, k) for k in Options.field_names()}),
               "inputs": json.dumps(inputs[:1000], ensure_ascii=False), "state": "running"}
    try:
        store.start_run(run_row)
        done = store.done(PIPELINE_VERSION)
        failed_before = store.failed(PIPELINE_VERSION)
        if retry_failed:
            bad = {sha for sha, in store.query("SELECT sha256 FROM reports WHERE status = "
                                               "'failed' AND pipeline_version = ?",
                                               [PIPELINE_VERSION])}
            done = {k: v for k, v in done.items() if k not in bad}
            failed_before = {}

        def needed(sha: str) -> bool:
            return sha not in done and sha not in failed_before

        hashed = hash_sources(sources, store.known_sources(), needed, staging, options.max_bytes)
        ts = now()
        store.write(
            sources=[{"path": s.path, "sha256": sha, "input": s.input, "size": s.size,
                      "mtime": s.mtime, "first_seen": ts, "last_seen": ts, "batch_id": batch_id}
                     for s, sha, _, _ in hashed if sha],
            skipped=[{"path": k.path, "reason": k.reason, "last_seen": ts, "batch_id": batch_id}
                     for k in skipped])

        # One task per distinct content, named by its first plain path (else its first
        # archive member); it is read from a plain path where there is one.
        paths_of: dict[str, list[str]] = {}
        unreadable: list[tuple[str, str]] = []
        order = sorted(range(len(hashed)),
                       key=lambda i: (hashed[i][0].input.startswith("archive"), i))
        for src, sha, where, err in (hashed[i] for i in order):
            if err:
                unreadable.append((src.path, err))
                continue
            paths_of.setdefault(sha, []).append(src.path)
            if sha in tasks:
                if where and tasks[sha].path is None:
                    tasks[sha] = Task(sha, tasks[sha].name, where, src.input.endswith("dir"),
                                      src.size)
                continue
            tasks[sha] = Task(sha, src.path, where, src.input.endswith("dir"), src.size)
        summary.duplicates = sum(len(v) - 1 for v in paths_of.values())

        sink = Sink(outdir, store, batch_id, engine, None)
        for path, err in unreadable:
            if retry_failed or path not in failed_before:
                sink.fail_path(path, err)
        # Adopt finished record files that never reached the store (a kill between the two).
        adopted: set[str] = set()
        for f in sorted(records_dir.glob("*.json")):
            sha = f.stem
            if sha in done:
                continue
            record = read_record(f)
            if record is None:
                continue
            if sha in tasks and not needed(sha):
                continue
            sink.adopt(record)
            adopted.add(sha)
        sink.flush()
        todo = [t for sha, t in tasks.items() if needed(sha) and sha not in adopted]
        summary.adopted = len([s for s in adopted if s in tasks])
        summary.skipped = len(skipped)

        if progress:
            prog = Progress(len(todo), len(skipped), len(tasks) - len(todo) - summary.adopted,
                            sizes={t.sha256: t.size for t in todo})
        sink.progress = prog

        def on_result(res: Result) -> None:
            sink(res)
            if res.sha256 in tasks:
                _unstage(staging, tasks[res.sha256])

        if todo:
            if engine == "ray":
                from .ray_engine import RayEngine

                engine_obj = RayEngine(options, jobs, max_memory_mb, address=ray_address)
            else:
                engine_obj = LocalEngine(options, jobs or os.cpu_count() or 1, max_memory_mb)
            engine_obj.run(todo, on_result)
        sink.flush()
    except KeyboardInterrupt:
        summary.interrupted = True
        raise
    finally:
        try:
            if engine_obj is not None:
                engine_obj.shutdown()
            if sink is not None:
                sink.flush()
        finally:
            if prog:
                prog.close()
            summary.seconds = time.monotonic() - t0
            if sink is not None:
                summary.extracted = sum(1 for r in sink.results.values() if r.record is not None)
                summary.pages = sink.pages
                _outcomes(summary, store, hashed, skipped, sink.results, outdir)
            run_row.update(finished_at=now(), state="interrupted" if summary.interrupted
                           else "finished", planned=len(tasks), extracted=summary.extracted,
                           adopted=summary.adopted, already_done=summary.already_done,
                           failed=summary.failed, skipped=summary.skipped,
                           duplicates=summary.duplicates)
            store.finish_run(run_row)
            store.close()
            shutil.rmtree(staging, ignore_errors=True)
    return summary


def _unstage(staging: Path, task: Task) -> None:
    if task.path and Path(task.path).is_relative_to(staging):
        p = Path(task.path)
        shutil.rmtree(p if task.is_dir else p.parent, ignore_errors=True)


def _outcomes(summary: BatchSummary, store, hashed, skipped, results, outdir) -> None:
    """One outcome per input path, read back from the store (the truth after this run)."""
    reports = {sha: (status, rp) for sha, status, rp in store.query(
        "SELECT sha256, status, record_path FROM reports WHERE pipeline_version = ?",
        [PIPELINE_VERSION])}
    fails = dict(store.query("SELECT coalesce(sha256, path), reason FROM failures "
                             "WHERE pipeline_version = ?", [PIPELINE_VERSION]))
    failed_keys: set[str] = set()
    report_shas: set[str] = set()
    for src, sha, _, err in hashed:
        if sha and sha in reports:
            status, rp = reports[sha]
            reason = fails.get(sha) if status == "failed" else None
            summary.outcomes.append(Outcome(src.path, sha, status, outdir / rp, reason,
                                            new=sha in results and results[sha].record is not None))
            report_shas.add(sha)
            if status == "failed":
                failed_keys.add(sha)
        else:
            key = sha or src.path
            reason = fails.get(key, err or "not extracted (interrupted)")
            summary.outcomes.append(Outcome(src.path, sha, "failed", None, reason,
                                            new=bool(sha and sha in results)))
            failed_keys.add(key)
    for k in skipped:
        summary.outcomes.append(Outcome(k.path, None, "skipped", None, k.reason))
    summary.reports = len(report_shas)
    summary.failed = len(failed_keys)
    summary.already_done = len(report_shas) - summary.extracted - summary.adopted
