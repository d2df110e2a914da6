"""Hostile and broken inputs (tests/nasty/README.md): every one ends as a record or a precise
refusal naming the file (and, for a bound, the limit and the option raising it); a batch over
them finishes with every path accounted for; records are valid UTF-8 JSON; nothing is written
outside OUTDIR. Regression tests for what the fuzzer and the corpus found are named after it."""

from __future__ import annotations

import glob
import json
import os
import re
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "nasty"))

import make_corpus as mc  # noqa: E402
from extract import digitruns, errors  # noqa: E402
from extract.limits import clean_record, clean_str, display_path  # noqa: E402
from extract.model import Issue, Provenance, Record  # noqa: E402
from extract.options import Options  # noqa: E402
from extract.pipeline import extract_file  # noqa: E402

# The scan path runs with the null OCR engine: these inputs test bounds and parsers, not OCR.
OPTS = Options(ocr_engine="null", threads=1)
BY_NAME = {i.name: i for i in mc.CORPUS}
SINGLE = [i for i in mc.CORPUS if i.expect != "batch" and not i.big]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("nasty")
    mc.build(d)
    return d


@contextmanager
def terminates_within(seconds: int):
    """Fail (instead of hanging the suite) when the block never ends: a termination check for
    inputs that used to run forever, not a speed measurement."""
    def boom(*_):
        raise TimeoutError(f"did not finish within {seconds} s")
    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _utf8_json(record) -> dict:
    return json.loads(json.dumps(record.to_dict(), ensure_ascii=False).encode("utf-8"))


@pytest.mark.parametrize("item", SINGLE, ids=[i.name for i in SINGLE])
def test_every_nasty_file_ends_as_a_record_or_a_precise_refusal(corpus, item):
    path = corpus / item.name
    try:
        record = extract_file(path, OPTS)
    except errors.GkError as e:
        assert isinstance(e, errors.InputFileError), f"{item.name}: {type(e).__name__}: {e}"
        assert str(path) in str(e), f"the message does not name the file: {e}"
        if item.expect not in ("any", "record"):
            assert type(e).__name__ == item.expect, f"{item.name}: {type(e).__name__}: {e}"
        if isinstance(e, errors.LimitExceededError):
            # the limit's value and the option that raises it
            assert re.search(r"limit of [\d,]+", str(e)) and re.search(r"--max-[a-z-]+", str(e))
        return
    assert item.expect in ("any", "record"), f"{item.name}: read, expected {item.expect}"
    assert record.fields, item.name
    _utf8_json(record)


def test_raising_the_option_lifts_the_refusal(corpus):
    with pytest.raises(errors.LimitExceededError, match="--max-pages"):
        extract_file(corpus / "tiff_500_pages.tif", OPTS)
    # past the limit the frames are read (blank frames: no report)
    with pytest.raises(errors.NotAReportError):
        extract_file(corpus / "tiff_500_pages.tif", OPTS.with_(max_pages=500))
    with pytest.raises(errors.LimitExceededError, match="--max-text-bytes"):
        extract_file(corpus / "gbk_meta.html", OPTS.with_(max_text_bytes=10_000))


def test_200_mb_text_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.txt"
    mc.make_big_text(big)
    assert big.stat().st_size >= 200 * 1024 * 1024
    with pytest.raises(errors.LimitExceededError) as e:
        extract_file(big, OPTS)
    assert str(big) in str(e.value) and "--max-text-bytes" in str(e.value)
    assert f"{big.stat().st_size:,} bytes" in str(e.value)


def test_cli_refusal_exit_code_and_message(corpus, capsys):
    from extract.cli import main

    code = main(["extract", str(corpus / "png_bomb.png")])
    err = capsys.readouterr().err
    assert code == errors.ExitCode.limit
    assert "png_bomb.png" in err and "--max-pixels" in err and "Traceback" not in err


# -- lone surrogates and valid JSON ---------------------------------------------------------------

def test_pdf_text_layer_can_hold_lone_surrogates(corpus):
    """Why records are cleaned: pdfium hands out the ToUnicode map's unpaired surrogates."""
    import pypdfium2 as pdfium

    from extract.pdf_text import read_page

    pdf = pdfium.PdfDocument(str(corpus / "lone_surrogates.pdf"))
    chars = "".join(c["text"] for c in read_page(pdf, 0).chars)
    pdf.close()
    assert re.search("[\ud800-\udfff]", chars)


def test_clean_record_leaves_no_lone_surrogate_anywhere():
    rec = Record(report={"agency": "某\ud800局"}, source={"path": "a\udcffb.pdf"},
                 fields={"k\udc80": 1}, units={"k": "万\udfff元"})
    rec.issues.append(Issue("error", "bad \ud83d", extra={"x": ["\udc00"]}))
    rec.provenance["k"] = Provenance("1\ud800", 1.0, 1.0, "text-layer", extra={"t": "\udbff"})
    rec.provenance["j"] = {"text": "\ud83d\ude00"}      # a pair: joined into its character
    d = _utf8_json(clean_record(rec))
    assert d["report"]["agency"] == "某\ufffd局"
    assert d["provenance"]["j"]["text"] == "\U0001f600"
    assert not re.search("[\ud800-\udfff]", json.dumps(d, ensure_ascii=False))


def test_display_path_shows_non_utf8_bytes_as_escapes():
    name = os.fsdecode(b"/x/bad\xff\xfe name.txt")
    assert display_path(name) == "/x/bad\\xff\\xfe name.txt"
    assert display_path("/x/报告.pdf") == "/x/报告.pdf"
    assert clean_str("a\ud800") == "a\ufffd"


# -- regressions found by the corpus and the fuzzer -----------------------------------------------

def test_pdfium_page_load_failure_is_an_input_error(corpus):
    """Fuzzing (pdf target, seed 1, input 55): pdfium's PdfiumError('Failed to load page.')
    escaped extract_file; a page tree whose /Count lies reproduces it."""
    with pytest.raises(errors.InputFileError, match="Failed to load page"):
        extract_file(corpus / "page_count_lies.pdf", OPTS)


def test_html_nested_past_the_parser_depth_keeps_the_report(corpus):
    """libxml2 silently drops everything after depth 256: the report after 100,000 nested
    <div>s used to vanish ('not a report')."""
    rec = extract_file(corpus / "deep_divs.html", OPTS)
    assert len(rec.fields) >= 150
    with pytest.raises(errors.InputFileError, match="nests tables more than 256 levels"):
        extract_file(corpus / "deep_tables.html", OPTS)


def test_glued_run_that_cannot_be_split_costs_one_pass():
    """'1111…1.' has no split; the search used to try all 2^length cuts (5 s at 21 chars)."""
    with terminates_within(30):
        assert digitruns.chunk_splits(digitruns.Piece("1" * 300 + ".", 0)) == []
        assert digitruns.chunk_splits(digitruns.Piece("1" * 22 + ".", 0)) == []
        pieces = [digitruns.Piece("1" * 14, 20 * k) for k in range(3)]
        row = digitruns.RunRow("x", pieces, 2, [None, None], [True] * 2, [True] * 2)
        assert digitruns.run_candidates(row) == []   # 3 runs can never make 2 cells


def test_chunk_splits_with_a_cell_cap_are_the_capped_full_splits():
    p = digitruns.Piece("1020304050", 7)
    full = digitruns.chunk_splits(p)
    for cap in range(1, 8):
        assert digitruns.chunk_splits(p, max_cells=cap) == [s for s in full if len(s) <= cap]


def test_double_star_glob_does_not_follow_folder_links(corpus):
    """Two links back to a folder made glob('**') list 2^depth paths: it never ended."""
    from extract.batch import safe_glob

    with terminates_within(30):
        got = safe_glob(str(corpus / "symlink_loops" / "**" / "*.txt"))
    assert got == [str(corpus / "symlink_loops" / n) for n in ("a.txt", "b.txt", "report.txt")]


def test_safe_glob_agrees_with_glob_on_a_tree_without_links(tmp_path):
    from extract.batch import safe_glob

    for rel in ("a.pdf", "x/b.pdf", "x/y/c.PDF", "x/y/d.txt", "x/.h/e.pdf", "z/f.pdf"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("-")
    for pat in ("**/*.pdf", "x/**/*.[pP][dD][fF]", "**/y/*", "*/*.pdf", "**/?.pdf"):
        full = str(tmp_path / pat)
        assert safe_glob(full) == sorted(glob.glob(full, recursive=True)), pat


def test_staged_member_names_stay_in_their_folder():
    from extract.batch import _safe_basename

    for name in ("../../escape.txt", "..", ".", "/abs/evil.html", "ok\\..\\..\\win.txt",
                 "报" * 150 + ".pdf", "a\nb.txt", os.fsdecode(b"bad\xff.txt")):
        safe = _safe_basename(name)
        assert "/" not in safe and safe not in ("", ".", "..") and not safe.startswith(".")
        assert len(safe.encode("utf-8")) <= 200
        assert not any(ord(c) < 32 for c in safe)
    assert _safe_basename("报" * 150 + ".pdf").endswith(".pdf")


# -- the batch over the corpus --------------------------------------------------------------------

BATCH_INPUTS = ["zip_bomb.zip", "zip_traversal.zip", "symlink_loops", "odd_names",
                "tiff_500_pages.tif", "png_bomb.png", "encrypted_user_password.pdf",
                "deep_tables.html", "page_count_lies.pdf", "docx_bomb.docx", "gbk_meta.html"]


@pytest.mark.slow
def test_batch_over_the_hostile_inputs_accounts_for_every_path(corpus, tmp_path):
    import duckdb

    from extract.batch import run_batch

    out = tmp_path / "out"
    summary = run_batch([str(corpus / n) for n in BATCH_INPUTS], out, options=OPTS, jobs=2,
                        progress=False)
    by = {o.path.replace(str(corpus) + "/", ""): o for o in summary.outcomes}
    # every path is a report, a failure naming it, or a skip with its reason
    for path, o in by.items():
        assert o.status in ("ok", "partial", "failed", "skipped"), path
        if o.status == "failed":
            assert o.reason and o.path in o.reason, (path, o.reason)
            assert "internal error" not in o.reason and "died" not in o.reason, o.reason
        if o.status == "skipped":
            assert o.reason
    bomb = by["zip_bomb.zip!bomb/report.pdf"]
    assert bomb.status == "failed" and "1,073,741,824 bytes" in bomb.reason
    assert "--max-bytes" in bomb.reason
    assert "climbs out of the archive" in by["zip_traversal.zip!../../escape.txt"].reason
    assert by["zip_traversal.zip!abs/evil.html"].status in ("ok", "partial")
    assert "not followed" in by["symlink_loops/loop1"].reason
    assert "Too many levels of symbolic links" in by["symlink_loops/self.pdf"].reason
    assert by["odd_names/bad\\xff\\xfe name.txt"].status in ("ok", "partial")
    assert by["odd_names/$(touch pwned); `id` | & < > * ? [x] 'q' \"dq\".txt"].status \
        in ("ok", "partial")
    assert by["odd_names/line\nbreak.txt"].status in ("ok", "partial")
    assert "--max-pages" in by["tiff_500_pages.tif"].reason
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    # records: valid UTF-8 JSON, named by their sha256, inside OUTDIR/records
    records = list((out / "records").glob("*.json"))
    assert records
    for f in records:
        rec = json.loads(f.read_bytes().decode("utf-8"))
        assert rec["source"]["sha256"] == f.stem
    paths = {json.loads(f.read_bytes())["source"]["path"] for f in records}
    assert str(corpus / "odd_names" / "bad\\xff\\xfe name.txt") in paths
    # nothing written outside OUTDIR; nothing left staged
    assert {p.name for p in tmp_path.iterdir()} == {"out"}
    assert not (out / ".staging").exists()
    assert not list(corpus.parent.glob("**/escape.txt")) and not list(corpus.glob("**/win.txt"))
    con = duckdb.connect(str(out / "gkreport.duckdb"), read_only=True)
    kinds = dict(con.execute("SELECT error, count(*) FROM failures GROUP BY 1").fetchall())
    con.close()
    assert kinds.get("LimitExceededError", 0) >= 5 and "WorkerDied" not in kinds


@pytest.mark.slow
def test_narrative_on_a_text_over_a_million_characters(tmp_path):
    prose = "本机关依法做好政府信息公开工作，主动回应社会关切。\n"   # no table: only its length counts
    p = tmp_path / "long.txt"
    p.write_text(mc.report_text() + prose * (1_050_000 // len(prose)), encoding="utf-8")
    assert p.stat().st_size < OPTS.max_text_bytes
    # the prose is read by spaCy in chunks under its max_length: no ValueError E088
    assert extract_file(p, OPTS).fields


def test_long_run_of_label_text_is_cut_in_linear_steps():
    """Fuzzing (text target): a line of 5,000+ label characters kept split_labels busy for
    minutes (every start tried every end, copying the segment list each time)."""
    from extract import textgrid

    t = "其他情况" * 1500
    with terminates_within(30):
        labels = textgrid.split_labels([textgrid.Tok("label", t, 0, len(t))], glued=True)
    assert "".join(x.text for x in labels) == t


def test_row_of_thousands_of_cells_is_no_template_row():
    """Fuzzing (text target): a row of 23,333 one-digit cells took 3 GB and minutes in the
    split search; a row wider than MAX_ROW_CELLS is not combined at all."""
    per = [[[("1", k, k + 1)]] for k in range(23_333)]
    with terminates_within(30):
        assert list(digitruns.piece_combinations(per, 23_333)) == []
    small = [[[("1", 0, 1)]], [[("2", 2, 3)]]]
    assert list(digitruns.piece_combinations(small, 2)) == [[("1", 0, 1), ("2", 2, 3)]]


FOUND = Path(__file__).parent / "nasty" / "found"


@pytest.mark.parametrize("name", ["tiff-bad-frame-pixel-mode.tif",
                                  "tiff-bad-frame-data-organization.tif"])
def test_tiff_whose_later_frame_is_corrupt_is_an_input_error(name):
    """Fuzzing (image target, seed 1, inputs 775 and 3914): PIL raises SyntaxError ('unknown
    pixel mode', 'unknown data organization') while counting a TIFF's frames; it escaped
    extract_file. raster.image_pages now translates it, naming the file and the frames."""
    with pytest.raises(errors.InputFileError, match=r"tiff-bad-frame.*frames? .*cannot be"):
        extract_file(FOUND / name, OPTS)


def test_raster_image_pages_translates_pil_syntaxerror():
    from extract import raster

    with pytest.raises(errors.InputFileError):
        list(raster.image_pages(FOUND / "tiff-bad-frame-pixel-mode.tif", OPTS))
