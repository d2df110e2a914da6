"""``gkreport synth``: generate realistic reports with exact truth (see docs/synth.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import OptionsError


def add_arguments(p):
    p.add_argument("--n", type=int, default=10, help="number of reports (default 10)")
    p.add_argument("--seed", type=int, default=0, help="run seed: same seed, same reports")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--kinds", default="pdf,html,text",
                   help="comma list of pdf,scan,image,html,text (default pdf,html,text)")
    p.add_argument("--severity", type=int, default=None,
                   help="scan degradation 0 (clean) .. 4 (fax-grade); default: drawn per report")
    p.add_argument("--scan-dpi", type=int, default=None,
                   help="resolution of scans and page images (default: the severity's, "
                        "200 for 0-1, 150 for 2-3, 120 for 4)")
    p.add_argument("--template", choices=["2019", "2021", "hybrid"], default=None,
                   help="force one template variant (default: a realistic mix)")
    p.add_argument("--error-rate", type=float, default=0.15,
                   help="share of reports printing a deliberate arithmetic error (default 0.15)")
    p.add_argument("--start", type=int, default=0, help="index of the first report (default 0)")


def run(args) -> int:
    from .synth_write import KINDS, write_reports
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise OptionsError(f"--kinds: unknown kind(s) {', '.join(bad) or '(none)'}; "
                           f"known: {', '.join(KINDS)}")
    if args.n < 0 or args.start < 0:
        raise OptionsError("--n and --start must not be negative")
    if args.severity is not None and not 0 <= args.severity <= 4:
        raise OptionsError("--severity must be 0, 1, 2, 3 or 4")
    if args.scan_dpi is not None and not 50 <= args.scan_dpi <= 600:
        raise OptionsError("--scan-dpi must be between 50 and 600")
    if not 0 <= args.error_rate <= 1:
        raise OptionsError("--error-rate must be between 0 and 1")
    if args.out.exists() and not args.out.is_dir():
        raise OptionsError(f"--out {args.out} exists and is not a folder")

    def progress(done, total, rep):
        print(f"\r{done}/{total} {rep.name}", end="", file=sys.stderr, flush=True)

    paths = write_reports(args.out, args.n, args.seed, kinds, start=args.start,
                          severity=args.severity, variant=args.template,
                          error_rate=args.error_rate, scan_dpi=args.scan_dpi,
                          progress=progress if sys.stderr.isatty() else None)
    print(f"gkreport synth: {args.n} reports, {len(paths)} files in {args.out}",
          file=sys.stderr)
    return 0
