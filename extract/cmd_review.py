"""`gkreport review OUTDIR [--port P] [--host H] [--training-data DIR]`: the review page.

Thin: check the folder, start ``extract.review.serve``, print the address on stderr.
"""

from __future__ import annotations

import sys

from .errors import OptionsError


def add_arguments(p):
    p.add_argument("outdir", metavar="OUTDIR", help="a `gkreport batch` output folder")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765; 0 "
                   "takes a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                   "127.0.0.1: this machine only; anyone who can reach another address can "
                   "read and correct the batch)")
    p.add_argument("--training-data", metavar="DIR", default="training_data",
                   help="where corrected labels are appended (DIR/curated.tsv, for the next "
                   "`gkreport train`; default training_data)")


def run(args) -> int:
    from pathlib import Path

    from .review import LOOPBACK, serve

    if not 0 <= args.port <= 65535:
        raise OptionsError(f"--port {args.port}: a port is 0-65535")
    if args.host not in LOOPBACK:
        print(f"gkreport review: warning: listening on {args.host}: anyone who can reach it can "
              "read and correct this batch", file=sys.stderr)
    data = Path(args.training_data)
    if not data.is_dir():
        print(f"gkreport review: note: no folder {data}; label corrections stay in the store "
              "until you pass --training-data", file=sys.stderr)
        data = None

    def ready(url):
        print(f"gkreport review: serving {args.outdir} at {url} (Ctrl-C stops)", file=sys.stderr,
              flush=True)

    serve(args.outdir, host=args.host, port=args.port, training_data=data, ready=ready)
    return 0
