"""The ``gkreport`` command line. Thin: parse, build options, call the library, map errors to exit
codes. Each subcommand lives in ``extract/cmd_<name>.py`` with ``add_arguments(parser)`` and
``run(args) -> int``; they are imported only when called, so ``gkreport --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .errors import ExitCode, GkError

# name -> (module, one-line help). Add a subcommand by adding its module here.
COMMANDS: dict[str, tuple[str, str]] = {
    "extract": ("extract.cmd_extract", "extract records from report files"),
    "train": ("extract.cmd_train", "rebuild the row/column label classifier from training_data/"),
    "labels": ("extract.cmd_labels", "classify label strings read from stdin, one per line"),
    "batch": ("extract.cmd_batch", "bulk-convert files, folders and archives into OUTDIR (resumable)"),
    "export": ("extract.cmd_export", "write a batch's store as CSV, Parquet or xlsx tables"),
    "eval": ("extract.cmd_eval", "score extracted records against hand-labelled truth"),
    "synth": ("extract.cmd_synth", "generate realistic reports (PDF, scan, image, HTML, text) with exact truth"),
    "review": ("extract.cmd_review", "check and correct a batch's doubtful values in the browser"),
}

EPILOG = """exit codes: 0 ok; 1 some inputs failed; 2 bad arguments; 3 unreadable input;
4 encrypted input; 5 not a report; 6 a resource limit refused the job; 7 model missing or
mismatched; 10 internal error (please report it)"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gkreport", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Turn government information-disclosure annual reports into checked data.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (modname, help_) in COMMANDS.items():
        try:
            mod = _module(modname)
        except ImportError as e:  # an optional dependency is missing: say so when it is used
            p = sub.add_parser(name, help=f"{help_} (unavailable: {e})")
            p.set_defaults(_module=modname, _unavailable=str(e))
            continue
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(_module=modname)
        mod.add_arguments(p)
    return parser


def _module(name):
    return importlib.import_module(name)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits on --help and on errors
        return int(e.code or 0) and ExitCode.bad_args
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2),
                        format="gkreport: %(levelname)s: %(message)s")
    if getattr(args, "_unavailable", None):
        print(f"gkreport: error: `{args.command}` is unavailable here: {args._unavailable}",
              file=sys.stderr)
        return ExitCode.bad_args
    try:
        return _module(args._module).run(args)
    except GkError as e:
        print(f"gkreport: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("gkreport: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return ExitCode.ok


if __name__ == "__main__":
    sys.exit(main())
