"""The evaluation harness on crafted predictions with known errors: every count is asserted.

The truths are the dev set's real ones (eval/dev_set); the predictions are those truths with
deliberate, listed damage, written as records the way `gkreport extract` writes them. One test
extracts a real dev-set PDF and checks the harness against a count made here by hand.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
from pathlib import Path

import pytest

from extract import cli
from extract import evaluate as E
from extract.errors import ExitCode, InputFileError

DEV = Path(__file__).resolve().parent.parent / "eval" / "dev_set"


def truth_fields(name):
    return json.loads((DEV / f"{name}.truth.json").read_text("utf-8"))["fields"]


def record(path, kind, fields, issues=(), confidence=None, status=None, report=None):
    """A record as `gkreport extract` writes it; every field gets provenance confidence 1.0
    unless ``confidence`` says otherwise."""
    confidence = confidence or {}
    rec = {"report": report or {}, "source": {"path": path, "sha256": "0" * 64, "kind": kind},
           "fields": fields,
           "provenance": {k: {"text": str(v), "confidence": confidence.get(k, 1.0)}
                          for k, v in fields.items()},
           "units": {}, "issues": list(issues), "status": status or ("partial" if issues else "ok")}
    return rec


# --- Document A: fengze_2023.txt (real truth, 200 fields) with these errors ---------------------
A_WRONG_FLAGGED = "requests.new.natural_person"      # 24 -> 25, named by an arithmetic issue
A_WRONG_SILENT = "requests.granted.total"            # 11 -> 16, named by nothing
A_ZERO_AS_NULL = "proactive.rules.issued"            # 0 -> null, silent
A_NULL_AS_ZERO = "review_litigation.reconsideration.pending"  # null -> 0, silent
A_HARMFUL = "requests.new.research"                  # 0 -> 2 by a correction (harmful)
A_RIGHT_CORR = "requests.new.business"               # 8 -> 1 by a correction (right)
A_MISSING_FLAGGED = "proactive.fees.amount"          # absent, named by a "missing" issue
A_MISSING_SILENT = "review_litigation.reconsideration.total"  # absent, named by nothing
A_EXTRA = "requests.other.total"                     # not in the truth (a 2019-style row)
A_FLOAT = "requests.new.total"                       # 25 -> 25.0: still correct
A_LOWCONF_OK = "requests.carried_over.total"         # correct, named by a low_confidence issue


def doc_a():
    t = truth_fields("fengze_2023")
    f = copy.deepcopy(t)
    f[A_WRONG_FLAGGED] = t[A_WRONG_FLAGGED] + 1
    f[A_WRONG_SILENT] = t[A_WRONG_SILENT] + 5
    assert t[A_ZERO_AS_NULL] == 0 and t[A_NULL_AS_ZERO] is None and t[A_HARMFUL] == 0
    f[A_ZERO_AS_NULL] = None
    f[A_NULL_AS_ZERO] = 0
    f[A_HARMFUL] = 2
    del f[A_MISSING_FLAGGED], f[A_MISSING_SILENT]
    f[A_EXTRA] = 3
    f[A_FLOAT] = float(t[A_FLOAT])
    issues = [
        {"kind": "arithmetic", "rule": "requests.row_total.new", "message": "x",
         "fields": [A_WRONG_FLAGGED, A_FLOAT]},
        {"kind": "low_confidence", "message": "x", "fields": [A_LOWCONF_OK]},
        {"kind": "missing", "message": "x", "fields": [A_MISSING_FLAGGED]},
        {"kind": "corrected", "message": "x", "fields": [A_RIGHT_CORR], "before": 8,
         "after": t[A_RIGHT_CORR], "stage": "correct"},
        {"kind": "corrected", "message": "x", "fields": [A_HARMFUL], "before": 0, "after": 2,
         "stage": "correct"},
        {"kind": "unexpected_field", "message": "x", "fields": [A_EXTRA]},
    ]
    conf = {A_WRONG_FLAGGED: 0.6, A_WRONG_SILENT: 0.85, A_LOWCONF_OK: 0.6}
    return record("/data/fengze_2023.txt", "text", f, issues, conf,
                  report={"agency": "泉州市丰泽区人民政府办公室", "year": 2023, "template": "2021"})


# --- Document B: hongze_2023.scan.pdf (real truth, 186 fields, 2 printed misprints) -------------
B_CHECKED = ["review_litigation.row_total.reconsideration",
             "review_litigation.row_total.litigation_after_review"]


def doc_b():
    t = truth_fields("hongze_2023")
    issues = []
    for rule in B_CHECKED:
        grp = rule.rsplit(".", 1)[1]
        issues.append({"kind": "arithmetic", "rule": rule, "message": "x",
                       "fields": [f"review_litigation.{grp}.{c}" for c in
                                  ("total", "upheld", "corrected", "other", "pending")]})
    # A rule reported that the truth does not list, naming 4 correct fields (needless flags).
    issues.append({"kind": "arithmetic", "rule": "requests.balance.total", "message": "x",
                   "fields": ["requests.new.total", "requests.carried_over.total",
                              "requests.total.total", "requests.carried_forward.total"]})
    # The corrector could not decide; one candidate is the truth.
    issues.append({"kind": "ambiguous", "stage": "correct", "message": "x",
                   "fields": ["requests.new.natural_person"], "rules": ["x"],
                   "candidates": [{"requests.new.natural_person": {"before": 27, "after": 28}},
                                  {"requests.new.natural_person": {
                                      "before": 27, "after": t["requests.new.natural_person"]}}]})
    return record("/data/hongze_2023.scan.pdf", "pdf-scan", dict(t), issues,
                  {k: 0.97 for k in t},
                  report={"agency": "淮安市洪泽区人民政府", "year": 2023, "template": "2021"})


# --- Document C: pingtan_2019.html failed (198 truth fields) ------------------------------------
def doc_c():
    return record("/data/pingtan_2019.html", "html", {}, [
        {"kind": "error", "message": "no module extract.web", "fields": []}], status="failed")


# --- Document D: a small crafted truth with an ambiguous key ------------------------------------
TINY_TRUTH = {"report": {"agency": "x", "year": 2022, "template": "2021"},
              "fields": {"requests.new.natural_person": 3, "requests.new.total": 3,
                         "review_litigation.reconsideration.total": None},
              "ambiguous": ["requests.new.business"], "checks": []}


def doc_d():
    f = dict(TINY_TRUTH["fields"])
    f["requests.new.business"] = 4
    return record("/data/tiny.txt", "text", f, [
        {"kind": "corrected", "message": "x", "fields": ["requests.new.business"], "before": 1,
         "after": 4}])


@pytest.fixture()
def dirs(tmp_path):
    truth = tmp_path / "truth"
    truth.mkdir()
    for name in ("fengze_2023", "hongze_2023", "pingtan_2019"):
        shutil.copy(DEV / f"{name}.truth.json", truth)
    (truth / "tiny.truth.json").write_text(json.dumps(TINY_TRUTH), "utf-8")
    pred = tmp_path / "pred"
    pred.mkdir()
    for name, rec in (("fengze_2023", doc_a()), ("hongze_2023.scan", doc_b()),
                      ("pingtan_2019", doc_c()), ("tiny", doc_d()),
                      ("nobody_2020", record("/data/nobody_2020.pdf", "pdf-text",
                                             {"requests.new.total": 1}))):
        (pred / f"{name}.json").write_text(json.dumps(rec, ensure_ascii=False), "utf-8")
    return truth, pred


def run_eval(dirs):
    truth, pred = dirs
    preds = E.load_predictions(pred)
    return E.evaluate(preds, E.truths_for(truth), all_truths_expected=True)


def test_pairing_by_name_up_to_first_dot():
    assert E.doc_name("eval/dev_set/hongze_2023.scan.pdf") == "hongze_2023"
    assert E.doc_name("hongze_2023.truth.json") == "hongze_2023"
    assert E.doc_name("a/b/report") == "report"


def test_values_compare_exactly():
    assert E.values_equal(3, 3.0)
    assert E.values_equal(None, None)
    assert not E.values_equal(0, None) and not E.values_equal(None, 0)
    assert not E.values_equal(7730.28, 7730.3)
    assert not E.values_equal(1, True)
    assert not E.values_equal(1, "1")


def test_document_a_counts(dirs):
    ev = run_eval(dirs)
    doc = next(d for d in ev.docs if d.document == "fengze_2023.txt")
    c = doc.counts
    assert doc.kind == "text" and not doc.failed and not doc.exact
    assert (c.fields, c.correct, c.wrong, c.missing, c.extra, c.ambiguous) == (200, 193, 5, 2, 1, 0)
    assert (c.flagged_errors, c.silent_errors) == (3, 4)
    # named scored fields: natural_person (wrong), new.total (ok), carried_over.total (ok),
    # fees.amount (missing), business (ok, corrected), research (wrong, corrected)
    assert (c.flagged_fields, c.flagged_wrong, c.flagged_printed) == (6, 3, 0)
    rows = {r.key: r for r in ev.rows if r.document == "fengze_2023.txt"}
    assert {k for k, r in rows.items() if r.silent} == {
        A_WRONG_SILENT, A_ZERO_AS_NULL, A_NULL_AS_ZERO, A_MISSING_SILENT}
    assert rows[A_FLOAT].status == "correct"
    assert rows[A_EXTRA].status == "extra" and rows[A_EXTRA].flagged
    assert rows[A_MISSING_FLAGGED].status == "missing" and rows[A_MISSING_FLAGGED].flagged
    assert doc.meta == {"agency": True, "year": True, "template": True}
    corr = {c.key: c for c in ev.corrections if c.document == "fengze_2023.txt"}
    assert corr[A_RIGHT_CORR].outcome == "right" and not corr[A_RIGHT_CORR].harmful
    assert corr[A_HARMFUL].outcome == "wrong" and corr[A_HARMFUL].harmful


def test_document_b_flags_for_printed_misprints(dirs):
    ev = run_eval(dirs)
    doc = next(d for d in ev.docs if d.document == "hongze_2023.scan.pdf")
    c = doc.counts
    assert (c.fields, c.correct, c.wrong, c.missing, c.extra) == (186, 186, 0, 0, 0)
    assert doc.exact and doc.kind == "pdf-scan"
    # named: 10 fields of the two misprinted rows, 4 of the spurious rule, 1 undecided
    assert (c.flagged_fields, c.flagged_wrong, c.flagged_printed) == (15, 0, 10)
    assert c.flag_precision == 0.0
    assert c.to_dict()["flag_justified"] == pytest.approx(10 / 15)
    assert doc.checks_found == tuple(sorted(B_CHECKED))
    assert doc.checks_spurious == ("requests.balance.total",)
    assert (doc.undecided, doc.undecided_with_truth) == (1, 1)


def test_failed_document_and_truth_without_prediction(dirs):
    ev = run_eval(dirs)
    failed = next(d for d in ev.docs if d.document == "pingtan_2019.html")
    c = failed.counts
    assert failed.failed and failed.kind == "html"
    assert (c.fields, c.correct, c.missing, c.flagged_errors, c.silent_errors) == (198, 0, 198,
                                                                                   198, 0)
    assert "extract.web" in failed.error
    assert ev.unpaired_predictions == ["nobody_2020.pdf"]
    # every truth was paired, so no 'unknown' document
    assert {d.kind for d in ev.docs} == {"text", "pdf-scan", "html"}


def test_ambiguous_truth_key_is_neither_scored_nor_extra(dirs):
    ev = run_eval(dirs)
    doc = next(d for d in ev.docs if d.document == "tiny.txt")
    c = doc.counts
    assert (c.fields, c.correct, c.extra, c.ambiguous) == (3, 3, 0, 1)
    assert doc.exact
    (corr,) = [x for x in ev.corrections if x.document == "tiny.txt"]
    assert corr.outcome == "ambiguous"


def test_totals_by_kind_table_column_and_bucket(dirs):
    ev = run_eval(dirs)
    c = ev.counts
    assert (c.fields, c.correct, c.wrong, c.missing, c.extra, c.ambiguous) == (
        200 + 186 + 198 + 3, 193 + 186 + 3, 5, 2 + 198, 1, 1)
    assert (c.silent_errors, c.flagged_errors) == (4, 3 + 198)
    kinds = ev.by("kind")
    assert list(kinds) == ["pdf-scan", "html", "text"]
    assert (kinds["text"].fields, kinds["text"].correct) == (203, 196)
    assert (kinds["html"].fields, kinds["html"].correct) == (198, 0)
    # by table: every error of A is placed
    a_rows = [r for r in ev.rows if r.document == "fengze_2023.txt"]
    tables = E.group_counts(a_rows, lambda r: r.table)
    assert (tables["proactive"].wrong, tables["proactive"].missing) == (1, 1)
    assert (tables["requests"].wrong, tables["requests"].extra) == (3, 1)
    assert (tables["review_litigation"].wrong, tables["review_litigation"].missing) == (1, 1)
    cols = ev.by("column")
    assert cols["natural_person"].wrong == 1 and cols["pending"].wrong == 1
    rows_ = ev.by("row")
    assert rows_["requests.new"].wrong == 2
    # calibration: A has 198 predicted-with-truth fields, 3 of them below 1.0
    cal = {b["bucket"]: b for b in E.calibration(a_rows)}
    assert cal["0.50-0.80"]["n"] == 2 and cal["0.50-0.80"]["correct"] == 1  # 1 wrong, 1 ok
    assert cal["0.80-0.90"]["n"] == 1 and cal["0.80-0.90"]["correct"] == 0
    assert cal["0.99-1.00"]["n"] == 195 and cal["0.99-1.00"]["correct"] == 192
    assert sum(b["n"] for b in cal.values()) == 193 + 5
    s = ev.correction_stats()
    assert (s["made"], s["right"], s["wrong"], s["harmful"], s["ambiguous"]) == (3, 1, 1, 1, 1)
    d = ev.doc_stats()
    assert (d["documents"], d["failed"], d["exact"]) == (4, 1, 2)
    assert (d["checks_truth"], d["checks_found"], d["checks_spurious"]) == (2, 2, 2)


def test_percentages_are_derived_from_counts(dirs):
    summary = run_eval(dirs).summary()
    o = summary["overall"]
    assert o["accuracy"] == o["correct"] / o["fields"]
    assert o["errors"] == o["wrong"] + o["missing"] == o["silent_errors"] + o["flagged_errors"]
    for k in summary["by_kind"].values():
        f = k["fields"]
        assert f["fields"] == f["correct"] + f["wrong"] + f["missing"]


def test_truth_without_any_prediction_is_a_failed_unknown_document(dirs):
    truth, pred = dirs
    (pred / "pingtan_2019.json").unlink()
    ev = run_eval((truth, pred))
    d = next(d for d in ev.docs if d.document == "pingtan_2019")
    assert d.failed and d.kind == E.UNKNOWN_KIND and d.counts.missing == 198


def test_manifest_pairs_and_kinds(tmp_path, dirs):
    truth, pred = dirs
    man = tmp_path / "m.csv"
    man.write_text("document,truth,kind\n"
                   f"fengze_2023.txt,{truth}/fengze_2023.truth.json,web-text\n"
                   f"tiny.txt,{truth}/tiny.truth.json,\n", "utf-8")
    entries = E.read_manifest(man)
    preds = E.load_predictions(pred, entries)
    ev = E.evaluate(preds, E.truths_for(None, [m.truth for m in entries]))
    assert sorted(d.document for d in ev.docs) == ["fengze_2023.txt", "tiny.txt"]
    assert {d.document: d.kind for d in ev.docs} == {"fengze_2023.txt": "web-text",
                                                     "tiny.txt": "text"}
    assert len(ev.unpaired_predictions) == 3


def test_bad_truth_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.truth.json"
    bad.write_text('{"fields": {"requests.new.total": "3"}}', "utf-8")
    with pytest.raises(InputFileError, match="x.truth.json.*number or null"):
        E.load_truth(bad)
    bad.write_text('{"fields": {"nonsense": 3}}', "utf-8")
    with pytest.raises(InputFileError, match="not a field key"):
        E.load_truth(bad)
    bad.write_text("{", "utf-8")
    assert cli.main(["eval", "--truth", str(tmp_path), "--pred", str(tmp_path),
                     "--out", str(tmp_path / "r")]) == ExitCode.input_file


def test_cli_writes_reports_and_gates_on_thresholds(dirs, tmp_path, capsys):
    truth, pred = dirs
    out = tmp_path / "report"
    assert cli.main(["eval", "--truth", str(truth), "--pred", str(pred), "--out", str(out)]) == 0
    for name in ("summary.json", "fields.csv", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["overall"]["silent_errors"] == 4
    assert summary["provenance"]["model"]["gkreport"]
    with open(out / "fields.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 200 + 1 + 186 + 198 + 4   # A (+1 extra), B, C, D (+1 ambiguous)
    assert sum(r["silent"] == "1" for r in rows) == 4
    html = (out / "report.html").read_text("utf-8")
    assert html.count("data:image/png;base64,") == 4
    assert "requests.granted.total" in (out / "report.md").read_text("utf-8")
    printed = capsys.readouterr().out
    assert "Scoreboard by input kind" in printed and "pdf-scan" in printed
    args = ["eval", "--truth", str(truth), "--pred", str(pred), "--out", str(out), "--no-plots"]
    assert cli.main(args + ["--max-silent", "4"]) == 0
    assert cli.main(args + ["--max-silent", "3"]) == ExitCode.some_failed
    # overall accuracy is 382/587 = 65.1%
    assert cli.main(args + ["--min-accuracy", "65%"]) == 0
    assert cli.main(args + ["--min-accuracy", "0.66"]) == ExitCode.some_failed
    assert cli.main(args + ["--min-accuracy", "2"]) == ExitCode.bad_args


def test_truth_template_from_record(tmp_path):
    rec = doc_a()
    target = E.write_template(rec, tmp_path / "fengze_2023.truth.template.json")
    t = json.loads(target.read_text("utf-8"))
    assert set(t) == {"report", "fields", "checks", "ambiguous", "doubtful"}
    assert t["checks"] == ["requests.row_total.new"]
    # named by issues first, in issue order, then the 0.85 confidence one, then expected-but-absent
    assert t["doubtful"][:7] == [A_WRONG_FLAGGED, A_FLOAT, A_LOWCONF_OK, A_MISSING_FLAGGED,
                                 A_RIGHT_CORR, A_HARMFUL, A_EXTRA]
    assert t["doubtful"][7:] == [A_WRONG_SILENT, A_MISSING_SILENT]
    assert t["fields"][A_MISSING_SILENT] is None and A_MISSING_SILENT in t["fields"]
    assert len(t["fields"]) == 201  # the 2021 template's 200 keys + the extra one
    # the template is a valid truth once renamed, and never overwrites
    shutil.copy(target, tmp_path / "fengze_2023.truth.json")
    assert E.load_truth(tmp_path / "fengze_2023.truth.json").fields[A_WRONG_FLAGGED] == 25
    with pytest.raises(Exception, match="never overwrites"):
        E.write_template(rec, target)


def test_real_dev_document_against_hand_count(tmp_path):
    """hongze_2023.pdf extracted for real; the harness's counts equal a plain count made here."""
    pred = tmp_path / "pred"
    assert cli.main(["extract", str(DEV / "hongze_2023.pdf"), "-o",
                     str(pred / "hongze_2023.json")]) == 0
    rec = json.loads((pred / "hongze_2023.json").read_text("utf-8"))
    truth = truth_fields("hongze_2023")
    named = {k for i in rec["issues"] for k in i["fields"]}
    hand = {"correct": 0, "wrong": 0, "missing": 0, "silent": 0}
    for k, v in truth.items():
        if k not in rec["fields"]:
            hand["missing"] += 1
            hand["silent"] += k not in named
        elif rec["fields"][k] == v and (v is None) == (rec["fields"][k] is None):
            hand["correct"] += 1
        else:
            hand["wrong"] += 1
            hand["silent"] += k not in named
    extra = len(set(rec["fields"]) - set(truth))
    out = tmp_path / "rep"
    assert cli.main(["eval", "--truth", str(DEV), "--pred", str(pred), "--out", str(out),
                     "--manifest", str(_manifest(tmp_path, "hongze_2023.pdf",
                                                 DEV / "hongze_2023.truth.json"))]) == 0
    s = json.loads((out / "summary.json").read_text("utf-8"))["per_document"][0]
    assert s["document"] == "hongze_2023.pdf" and s["kind"] == "pdf-text"
    assert (s["fields"], s["correct"], s["wrong"], s["missing"], s["extra"], s["silent_errors"]) \
        == (186, hand["correct"], hand["wrong"], hand["missing"], extra, hand["silent"])
    # the truth's two misprinted section 四 rows are found by the checker
    assert set(s["checks_found"]) == set(s["checks_truth"])
    # and the template written from this document puts their fields first among the doubtful
    assert cli.main(["eval", "--write-template", str(pred / "hongze_2023.json"), "--out",
                     str(tmp_path / "t.json")]) == 0
    t = json.loads((tmp_path / "t.json").read_text("utf-8"))
    assert "review_litigation.reconsideration.total" in t["doubtful"]


def _manifest(tmp_path, doc, truth):
    p = tmp_path / "manifest.json"
    p.write_text(json.dumps([{"document": doc, "truth": str(truth)}]), "utf-8")
    return p


def test_run_goes_through_batch_and_scores_failed_documents(tmp_path):
    """--run: a real text report and a corrupt PDF; the PDF fails extraction and is scored as a
    failed document (every truth field missing), not a crash."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DEV / "fengze_2023.txt", docs)
    shutil.copy(DEV / "fengze_2023.truth.json", docs)
    (docs / "broken_2020.pdf").write_bytes(b"%PDF-1.4\n garbage, no objects\n")
    (docs / "broken_2020.truth.json").write_text(json.dumps(TINY_TRUTH), "utf-8")
    (docs / "README.md").write_text("not a document", "utf-8")
    out = tmp_path / "rep"
    assert cli.main(["eval", "--truth", str(docs), "--run", str(docs), "--out", str(out),
                     "--no-plots"]) == 0
    assert any((out / "run" / "records").glob("*.json"))
    s = json.loads((out / "summary.json").read_text("utf-8"))
    docs_ = {d["document"]: d for d in s["per_document"]}
    assert set(docs_) == {"fengze_2023.txt", "broken_2020.pdf"}
    broken = docs_["broken_2020.pdf"]
    assert broken["failed"] and broken["kind"] == "pdf"
    assert (broken["fields"], broken["missing"], broken["silent_errors"]) == (3, 3, 0)
    assert "broken_2020.pdf" in broken["error"]
    fz = docs_["fengze_2023.txt"]
    assert fz["kind"] == "text" and not fz["failed"] and fz["fields"] == 200
    assert fz["seconds"] is not None and fz["seconds"] > 0
    assert s["provenance"]["inputs"][0]["sha256"]
