"""`gkreport export OUTDIR --format csv|parquet|xlsx [--wide|--long] [-o FILE] [--latest]`.

Thin: parse, call ``extract.export.export``, print the files written on stderr.
"""

from __future__ import annotations

import sys


def add_arguments(p):
    from .export import FORMATS

    p.add_argument("outdir", metavar="OUTDIR", help="a `gkreport batch` output folder")
    p.add_argument("--format", choices=FORMATS, default="csv", help="csv (default), parquet or "
                   "xlsx")
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--wide", dest="wide", action="store_true", default=None,
                       help="one row per report, one column per field key (default for xlsx)")
    shape.add_argument("--long", dest="wide", action="store_false",
                       help="one row per field (default for csv and parquet)")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (default "
                   "OUTDIR/export/gkreport_<long|wide>.<format>); the dictionary goes beside it")
    p.add_argument("--latest", action="store_true", help="only the best report per agency and "
                   "year (view report_latest)")
    p.add_argument("--raw", action="store_true", help="the raw extraction, without the "
                   "corrections made in `gkreport review` (default: corrected values)")


def run(args) -> int:
    from .export import export

    for path in export(args.outdir, args.format, wide=args.wide, output=args.output,
                       latest=args.latest, corrected=not args.raw):
        print(f"gkreport export: wrote {path}", file=sys.stderr)
    return 0
