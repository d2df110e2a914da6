"""`gkreport extract FILE... [-o OUT]`: one record per report.

One FILE: OUT is the record's file (stdout without -o). Several: OUT is a folder holding one
record per input (JSON Lines on stdout without -o). Exit 0 when every file succeeded; otherwise
the exit code of the failure (one file) or 1 (several files, some failed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .errors import ExitCode, GkError, OptionsError
from .options import Options


def add_arguments(p):
    p.add_argument("files", nargs="+", metavar="FILE", help="PDF, image, HTML, text or DOCX "
                   "report, or a folder of page images")
    p.add_argument("-o", "--output", metavar="OUT", help="record file (one FILE) or folder "
                   "(several); default stdout")
    p.add_argument("--format", choices=["json", "csv"], default="json",
                   help="json: the record (default); csv: one row per field")
    add_option_arguments(p)


def add_option_arguments(p):
    """Flags shared by every command that runs extraction."""
    d = Options()
    p.add_argument("--threads", type=int, default=d.threads, help="OCR threads (0 = all cores)")
    p.add_argument("--dpi", type=int, default=d.dpi, help=f"render dpi for scans ({d.dpi})")
    p.add_argument("--tables-only", action="store_true", help="OCR only the tables of scans "
                   "(skips the narrative cross-check)")
    p.add_argument("--no-correct", dest="correct", action="store_false",
                   help="never correct OCR misreads, only report them")
    p.add_argument("--max-pages", type=int, default=d.max_pages, help=f"({d.max_pages})")
    p.add_argument("--max-pixels", type=int, default=d.max_pixels, help=f"per page image "
                   f"({d.max_pixels:,})")
    p.add_argument("--max-bytes", type=int, default=d.max_bytes, help=f"per input file "
                   f"({d.max_bytes:,})")
    p.add_argument("--max-text-bytes", type=int, default=d.max_text_bytes, help="per text or "
                   f"HTML file, and a .docx's unpacked text ({d.max_text_bytes:,})")


def options_from_args(args) -> Options:
    names = set(Options.field_names())
    return Options(**{k: v for k, v in vars(args).items() if k in names})


def run(args) -> int:
    from .output import record_to_csv_rows, summary_line, write_csv
    from .pipeline import extract_file, output_name

    options = options_from_args(args)
    files = [Path(f) for f in args.files]
    out = Path(args.output) if args.output else None
    many = len(files) > 1
    if out and many:
        if out.exists() and not out.is_dir():
            raise OptionsError(f"{out}: with several inputs, -o must be a folder")
        out.mkdir(parents=True, exist_ok=True)
    codes = []
    used_names: set[str] = set()
    for f in files:
        try:
            record = extract_file(f, options)
        except GkError as e:
            print(f"gkreport: error: {e}", file=sys.stderr)
            codes.append(e.exit_code)
            continue
        d = record.to_dict()
        if args.format == "csv":
            text = write_csv(record_to_csv_rows(d))
        else:
            text = json.dumps(d, ensure_ascii=False, indent=None if (many and not out) else 1)
        if out is None:
            sys.stdout.write(text if args.format == "csv" else text + "\n")
        else:
            target = out
            if many:
                name = output_name(f)
                if args.format == "csv":
                    name = name[:-5] + ".csv"
                while name in used_names:
                    name = "_" + name
                used_names.add(name)
                target = out / name
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
            print(summary_line(d, target), file=sys.stderr)
        codes.append(ExitCode.ok)
    failed = [c for c in codes if c != ExitCode.ok]
    if not failed:
        return ExitCode.ok
    return failed[0] if not many else ExitCode.some_failed
