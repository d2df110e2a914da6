"""`gkreport eval`: field accuracy of extracted records against hand-labelled truth.

    gkreport eval --truth DIR --pred RECORDS_DIR [--out REPORT_DIR]
    gkreport eval --truth DIR --run DOCS_DIR     [--out REPORT_DIR] [--jobs N]
    gkreport eval --write-template DOC [--truth DIR | --out FILE]

Exit 0 when the thresholds hold (``--min-accuracy``, ``--max-silent``), 1 when one does not, so
that CI can gate on it. See eval/README.md.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from .errors import ExitCode, GkError, InputFileError, OptionsError

DEFAULT_OUT = "eval-report"
RUN_DIR = "run"          # with --run: the batch output folder inside REPORT_DIR
# Exit code when a threshold is not met.
THRESHOLD_FAILED = ExitCode.some_failed
# Files of a documents folder that are never documents.
NOT_DOCUMENTS = (".json", ".md", ".csv", ".tsv", ".tmp")


def add_arguments(p):
    from .cmd_extract import add_option_arguments

    p.add_argument("--truth", metavar="DIR", help="folder of NAME.truth.json files")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--pred", metavar="DIR", help="folder of extracted records (NAME.json, or "
                     "a batch output folder with records/)")
    src.add_argument("--run", metavar="DOCS_DIR", help="extract the documents of this folder "
                     "first (through the batch machinery), then evaluate")
    p.add_argument("--out", metavar="REPORT_DIR", help=f"report folder (default {DEFAULT_OUT}); "
                   "with --write-template, the template file")
    p.add_argument("--manifest", metavar="FILE", help="CSV (document,truth[,kind]) or JSON list "
                   "mapping documents to truth files, instead of pairing by name")
    p.add_argument("--min-accuracy", metavar="X", help="exit 1 if field accuracy is below X "
                   "(0.95 or 95%%)")
    p.add_argument("--max-silent", metavar="N", type=int, help="exit 1 if more than N errors "
                   "are silent (named by no issue)")
    p.add_argument("--write-template", metavar="DOC", help="write a truth template for DOC (a "
                   "document, or a record .json) for a person to correct, and stop")
    p.add_argument("--title", default=None, help="report title")
    p.add_argument("--no-plots", dest="plots", action="store_false", help="skip the plots "
                   "(faster; for CI gates)")
    p.add_argument("--full", action="store_true", help="print every table, not just the "
                   "scoreboard")
    p.add_argument("--jobs", type=int, default=None, help="parallel extractions with --run")
    p.add_argument("--resume", action="store_true", help="with --run: keep the records an "
                   "earlier run into the same --out made (same pipeline version) instead of "
                   "extracting again")
    add_option_arguments(p)


def parse_fraction(text: str | None) -> float | None:
    if text is None:
        return None
    t = text.strip()
    try:
        v = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise OptionsError(f"--min-accuracy {text!r}: give a fraction (0.95) or a percentage "
                           "(95%)") from None
    if not 0 <= v <= 1:
        raise OptionsError(f"--min-accuracy {text!r} is outside 0..1 (or 0%..100%)")
    return v


def run(args) -> int:
    from .cmd_extract import options_from_args

    if args.write_template:
        return _write_template(args, options_from_args(args))
    if not args.truth:
        raise OptionsError("--truth DIR is required (the folder of NAME.truth.json files)")
    if not (args.pred or args.run):
        raise OptionsError("give --pred RECORDS_DIR or --run DOCS_DIR")
    if args.max_silent is not None and args.max_silent < 0:
        raise OptionsError("--max-silent must be 0 or more")
    min_acc = parse_fraction(args.min_accuracy)
    out = Path(args.out or DEFAULT_OUT)
    if out.exists() and not out.is_dir():
        raise OptionsError(f"--out {out}: exists and is not a folder")

    from . import eval_report
    from . import evaluate as E

    manifest = E.read_manifest(args.manifest) if args.manifest else None
    t0 = time.monotonic()
    if args.pred:
        preds = E.load_predictions(args.pred, manifest)
        secs = store_seconds(Path(args.pred))   # a batch output folder keeps its timings
        for p in preds:
            if p.seconds is None and p.sha256 in secs:
                p.seconds = secs[p.sha256]
        preds += _manifest_gaps(preds, manifest)
        mode, source = "pred", str(args.pred)
    else:
        preds = run_documents(Path(args.run), out, manifest, options_from_args(args), args.jobs,
                              args.resume)
        mode, source = "run", str(args.run)
    truths = E.truths_for(args.truth, [m.truth for m in manifest or []])
    ev = E.evaluate(preds, truths, all_truths_expected=manifest is None)
    ev.provenance = E.run_provenance(ev, truth=str(args.truth), mode=mode,
                                     **({"predictions": source} if mode == "pred"
                                        else {"documents": source}),
                                     manifest=args.manifest,
                                     wall_seconds=round(time.monotonic() - t0, 2))
    title = args.title or f"gkreport evaluation: {source}"
    written = eval_report.write_reports(ev, out, title, plots=args.plots)
    eval_report.print_terminal(ev, title, full=args.full)
    print(f"reports: {', '.join(str(p) for p in written.values())}", file=sys.stderr)

    code = ExitCode.ok
    c = ev.counts
    if min_acc is not None and (c.accuracy is None or c.accuracy < min_acc):
        print(f"gkreport: field accuracy {eval_report.pct(c.correct, c.fields)} is below "
              f"--min-accuracy {min_acc:.2%}", file=sys.stderr)
        code = THRESHOLD_FAILED
    if args.max_silent is not None and c.silent_errors > args.max_silent:
        print(f"gkreport: {c.silent_errors} silent errors, more than --max-silent "
              f"{args.max_silent}", file=sys.stderr)
        code = THRESHOLD_FAILED
    return code


def _manifest_gaps(preds, manifest):
    """Manifest documents that have no record: failed documents (all their fields missing)."""
    from . import evaluate as E

    if not manifest:
        return []
    have = {p.document for p in preds}
    out = []
    for m in manifest:
        name = Path(m.document).name
        if name not in have:
            out.append(E.failed_prediction(name, m.truth, m.kind or E.guess_kind(m.document),
                                           "no record for this document"))
    return out


def list_documents(docs_dir: Path, manifest) -> list[Path]:
    """The documents to extract: the manifest's, or every file of the folder that is not a
    truth file, record, or note."""
    if not docs_dir.is_dir():
        raise InputFileError(docs_dir, "documents folder not found")
    if manifest:
        docs = []
        for m in manifest:
            p = Path(m.document)
            docs.append(p if p.is_absolute() else docs_dir / p)
        return docs
    return [p for p in sorted(docs_dir.iterdir()) if p.is_file()
            and not p.name.startswith(".") and not p.name.lower().startswith("readme")
            and p.suffix.lower() not in NOT_DOCUMENTS]


def run_documents(docs_dir: Path, out: Path, manifest, options, jobs, resume: bool = False) -> list:
    """Extract every document through the batch machinery (into ``out/run``) and turn each
    outcome into a ``Prediction``; a document that yields no record is a failed prediction.

    The batch store skips contents it has already done for this pipeline version; an
    evaluation measures the code as it is, so ``out/run`` is emptied first unless ``resume``.
    """
    from . import batch

    docs = list_documents(docs_dir, manifest)
    if not docs:
        raise InputFileError(docs_dir, "no documents in this folder")
    missing = [d for d in docs if not d.exists()]
    if missing:
        raise InputFileError(missing[0], "listed in the manifest but not found")
    by_doc = {Path(m.document).name: m for m in manifest or []}
    run_dir = out / RUN_DIR
    if not resume and (run_dir / "gkreport.duckdb").exists():
        shutil.rmtree(run_dir)
    summary = batch.run_batch(docs, run_dir, options=options, jobs=jobs or 1,
                              progress=sys.stderr.isatty())
    return predictions_from_batch(docs, run_dir, summary, by_doc)


def predictions_from_batch(docs, run_dir: Path, summary, by_doc) -> list:
    """Pair each document with its batch outcome: the record (``run_dir/records/SHA.json``) and
    the extraction seconds the store kept; no record makes a failed prediction."""
    from . import evaluate as E

    outcomes = summary.by_path()
    seconds = store_seconds(run_dir)
    preds = []
    for doc in docs:
        m = by_doc.get(doc.name)
        truth = m.truth if m else E.doc_name(doc)
        o = outcomes.get(str(doc.absolute())) or outcomes.get(str(doc.resolve())) \
            or outcomes.get(str(doc))
        record = None
        if o is not None and o.record is not None and Path(o.record).is_file():
            try:
                record = json.loads(Path(o.record).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                record = None
        secs = seconds.get(o.sha256) if o is not None and o.sha256 else None
        if record is not None and isinstance(record.get("fields"), dict):
            p = E.prediction_from_record(record, doc.name, truth, kind=m.kind if m else None,
                                         seconds=secs)
            p.document = doc.name
            if p.error is None and record.get("status") == "failed":
                p.error = o.reason
            preds.append(p)
        else:
            kind = (m.kind if m else None) or E.guess_kind(doc)
            reason = (o.reason if o is not None else None) or "extraction gave no record"
            preds.append(E.failed_prediction(doc.name, truth, kind, reason, secs,
                                             o.sha256 if o is not None else None))
    return preds


def store_seconds(run_dir: Path) -> dict[str, float]:
    """sha256 -> extraction seconds, from a batch output folder's store ({} if it has none)."""
    from .store import DB_NAME, Store

    if not (Path(run_dir) / DB_NAME).exists():
        return {}
    seconds: dict[str, float] = {}
    with Store(run_dir, read_only=True) as store:
        for table in ("failures", "reports"):   # a report's time wins over an earlier failure's
            for sha, secs in store.query(f"SELECT sha256, seconds FROM {table} "
                                         "WHERE sha256 IS NOT NULL"):
                if secs is not None:
                    seconds[sha] = float(secs)
    return seconds


def _write_template(args, options) -> int:
    from . import evaluate as E

    doc = Path(args.write_template)
    record = None
    if doc.suffix.lower() == ".json" and doc.is_file():
        try:
            data = json.loads(doc.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputFileError(doc, f"not a readable record: {e}") from e
        if isinstance(data, dict) and "fields" in data:
            record = data
    if record is None:
        from .pipeline import extract_file
        try:
            record = extract_file(doc, options).to_dict()
        except GkError:
            raise
        except ImportError as e:
            raise InputFileError(doc, f"this kind of input is not supported yet ({e})") from e
    name = E.doc_name((record.get("source") or {}).get("path") or doc)
    if args.out:
        target = Path(args.out)
    else:
        target = (Path(args.truth) if args.truth else doc.parent) / f"{name}.truth.template.json"
    E.write_template(record, target)
    t = E.truth_template(record)
    print(f"{target}: {len(t['fields'])} fields, {len(t['doubtful'])} doubtful; check them "
          f"against the document, then save as {name}{E.TRUTH_SUFFIX}", file=sys.stderr)
    return ExitCode.ok
