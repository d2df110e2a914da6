"""`gkreport batch INPUT... -o OUTDIR [--jobs N] [--engine local|ray]`: bulk conversion.

Thin: parse, build options, call ``extract.batch.run_batch``, print the summary on stderr.
Exit 0 when every input gave a record, 1 when some failed (see the store's ``failures``).
"""

from __future__ import annotations

import sys

from .cmd_extract import add_option_arguments, options_from_args


def add_arguments(p):
    from .batch import DEFAULT_MAX_MEMORY_MB, ENGINES
    from .options import Options

    p.add_argument("inputs", nargs="*", metavar="INPUT", help="files, folders (recursive), "
                   "globs, .zip/.tar archives")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder: "
                   "records/ and gkreport.duckdb (created; reused to resume)")
    p.add_argument("--from-list", metavar="FILE", help="also read input paths from FILE, one "
                   "per line")
    p.add_argument("--page-dirs", action="store_true", help="a folder holding only page images "
                   "is one report")
    p.add_argument("-j", "--jobs", type=int, default=0,
                   help="workers (default 0: one per core; with Ray, one per cluster CPU)")
    p.add_argument("--engine", choices=ENGINES, default="local", help="local process pool "
                   "(default) or a Ray cluster (pip install gkreport[ray])")
    p.add_argument("--ray-address", metavar="ADDR", help="Ray cluster to join (e.g. auto, "
                   "ray://head:10001); default: start a local Ray")
    p.add_argument("--retry-failed", action="store_true", help="extract again the inputs that "
                   "failed in an earlier run")
    p.add_argument("--timeout", type=float, default=Options().timeout,
                   help=f"seconds per file before its worker is killed ({Options().timeout:g})")
    p.add_argument("--max-memory", type=int, default=DEFAULT_MAX_MEMORY_MB, metavar="MB",
                   help=f"memory per worker before it is killed ({DEFAULT_MAX_MEMORY_MB})")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress output")
    add_option_arguments(p)


def run(args) -> int:
    from .batch import run_batch
    from .errors import OptionsError

    if not args.inputs and not args.from_list:
        raise OptionsError("no inputs: name files, folders, globs or archives, or --from-list")
    if args.timeout <= 0:
        raise OptionsError("--timeout must be positive")
    summary = run_batch(args.inputs, args.output, options=options_from_args(args),
                        jobs=args.jobs, engine=args.engine, retry_failed=args.retry_failed,
                        progress=args.progress, from_list=args.from_list,
                        page_dirs=args.page_dirs, max_memory_mb=args.max_memory,
                        ray_address=args.ray_address)
    print(f"gkreport batch: {summary.line()}", file=sys.stderr)
    skipped = [o for o in summary.outcomes if o.status == "skipped"]
    for o in skipped[:20]:
        print(f"gkreport batch: skipped {o.path}: {o.reason}", file=sys.stderr)
    if len(skipped) > 20:
        print(f"gkreport batch: ... and {len(skipped) - 20} more skipped (table `skipped`)",
              file=sys.stderr)
    return summary.exit_code
