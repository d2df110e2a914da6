"""The arithmetic checker and the confidence flags (extract/checks.py).

The oracle is the dev set: each truth file's ``checks`` lists the rules its printed figures
break, and the checker must report exactly those, on the truth fields and on the records that
gkreport extracts from the dev-set files (text layer, HTML and text input).
"""

import json

import pytest

from devset import DEV, load_truth
from extract import checks, spec
from extract.model import Provenance, Record
from extract.numbers import format_number
from extract.options import Options

TRUTHS = sorted(p.name[: -len(".truth.json")] for p in DEV.glob("*.truth.json"))
# Every dev-set input that is not a scan (those are OCR'd: tested in test_correct/test_scan).
BORN_DIGITAL = sorted(p.name for p in DEV.iterdir()
                      if p.suffix in (".txt", ".html", ".pdf") and ".scan." not in p.name)


def record_of(fields: dict, engine: str = "text-layer", read: float = 1.0,
              label: float = 0.99) -> Record:
    prov = {k: Provenance(format_number(v), read, label, engine) for k, v in fields.items()}
    return Record(report={}, source={}, fields=dict(fields), provenance=prov)


@pytest.mark.parametrize("name", TRUTHS)
def test_truth_fields_break_exactly_their_checks(name):
    truth = load_truth(name)
    issues = checks.arithmetic_issues(truth["fields"])
    assert checks.arithmetic_rule_ids(issues) == set(truth.get("checks", []))
    assert len(issues) == len(truth.get("checks", []))


def test_hongze_section_four_totals_name_rule_fields_and_both_sides():
    fields = load_truth("hongze_2023")["fields"]
    by_rule = {i.rule: i for i in checks.arithmetic_issues(fields)}
    rec = by_rule["review_litigation.row_total.reconsideration"]
    assert rec.kind == "arithmetic"
    assert (rec.extra["left"], rec.extra["right"]) == (0, 11)
    assert "review_litigation.reconsideration.total" in rec.fields
    assert "review_litigation.reconsideration.upheld" in rec.fields
    after = by_rule["review_litigation.row_total.litigation_after_review"]
    assert (after.extra["left"], after.extra["right"]) == (0, 5)
    assert "= 0, but" in after.message and "= 5" in after.message


def test_blank_total_column_is_one_not_filled_issue():
    fields = dict(load_truth("fengze_2023")["fields"])
    for k in list(fields):
        if k.startswith("requests.") and k.endswith(".total"):
            fields[k] = None
    broken = spec.broken_rules(fields)
    assert len(broken) > 5                       # every non-zero row breaks its row total
    issues = checks.arithmetic_issues(fields)
    assert len(issues) == 1
    (issue,) = issues
    assert issue.extra["not_filled"] and issue.rule is None
    assert issue.rules == broken
    assert "requests.new.total" in issue.fields
    assert "not filled" in issue.message


def test_not_filled_keeps_other_breaks_separate():
    fields = dict(load_truth("hongze_2023")["fields"])
    for k in list(fields):
        if k.startswith("requests.") and k.endswith(".total"):
            fields[k] = None
    issues = checks.arithmetic_issues(fields)
    kinds = [(bool(i.extra.get("not_filled")), i.rule) for i in issues]
    # section 三's blank 总计 column is one issue; section 四's printed breaks stay two issues
    assert kinds[0] == (True, None)
    assert {r for nf, r in kinds[1:]} == set(load_truth("hongze_2023")["checks"])
    assert checks.arithmetic_rule_ids(issues) == set(spec.broken_rules(fields))


def test_printed_error_in_born_digital_record_is_reported_never_changed():
    fields = dict(load_truth("fengze_2023")["fields"])
    fields["requests.granted.natural_person"] = 13           # printed 13 where 10 adds up
    rec = record_of(fields, "text-layer")
    checks.check_record(rec, Options())
    assert rec.fields["requests.granted.natural_person"] == 13
    assert checks.arithmetic_rule_ids(rec.issues) == {
        "requests.dispositions.natural_person", "requests.row_total.granted"}
    assert not [i for i in rec.issues if i.kind in ("corrected", "ambiguous")]


def test_low_read_and_label_confidence_are_flagged():
    fields = load_truth("fengze_2023")["fields"]
    rec = record_of(fields, "rapidocr", read=0.999)
    rec.provenance["proactive.normative_docs.issued"].read_confidence = 0.58
    rec.provenance["proactive.fees.amount"].label_confidence = 0.31
    checks.check_record(rec, Options())
    low = {i.extra["cause"]: i for i in rec.issues if i.kind == "low_confidence"}
    assert low["read"].fields == ["proactive.normative_docs.issued"]
    assert low["read"].extra["confidence"] == {"proactive.normative_docs.issued": 0.58}
    assert low["label"].fields == ["proactive.fees.amount"]
    assert len(rec.issues) == 2


def test_a_doubtful_reading_that_two_holding_rules_check_is_not_flagged():
    """A row sum and a column sum both check requests.granted.natural_person: a misread there
    would break both. A doubtful reading is flagged again once a rule over it breaks, and a
    doubtful blank is always flagged (a sum cannot tell a blank from 0)."""
    fields = load_truth("fengze_2023")["fields"]
    key = "requests.granted.natural_person"
    assert fields[key] is not None
    assert checks.confirmed_by_arithmetic(fields)[key] >= 2
    rec = record_of(fields, "rapidocr", read=0.999)
    rec.provenance[key].read_confidence = 0.61
    checks.check_record(rec, Options(correct=False))
    assert not [i for i in rec.issues if i.kind == "low_confidence"]
    assert rec.provenance[key].extra["confirmed"].startswith("arithmetic")

    broken = dict(fields, **{key: fields[key] + 1})
    rec = record_of(broken, "rapidocr", read=0.999)
    rec.provenance[key].read_confidence = 0.61
    checks.check_record(rec, Options(correct=False))
    low = [i for i in rec.issues if i.kind == "low_confidence"]
    assert low and low[0].fields == [key]

    blank = next(k for k, v in fields.items() if k.startswith("requests.") and v is None) \
        if any(k.startswith("requests.") and v is None for k, v in fields.items()) else None
    if blank is None:   # make one: a blank read where 0 was printed keeps every sum
        blank = next(k for k, v in fields.items() if k.startswith("requests.") and v == 0)
        fields = dict(fields, **{blank: None})
    assert blank not in checks.confirmed_by_arithmetic(fields)
    rec = record_of(fields, "rapidocr", read=0.999)
    rec.provenance[blank].read_confidence = 0.61
    checks.check_record(rec, Options(correct=False))
    low = [i for i in rec.issues if i.kind == "low_confidence" and i.extra["cause"] == "read"]
    assert low and blank in low[0].fields


def test_confident_clean_record_has_no_issue():
    rec = record_of(load_truth("hebei_jyt_2021")["fields"], "rapidocr", read=0.998)
    checks.check_record(rec, Options())
    assert rec.issues == []


@pytest.mark.parametrize("filename", BORN_DIGITAL)
def test_extracted_dev_set_records_break_exactly_their_checks(filename):
    from extract.pipeline import extract_file
    stem = filename.split(".")[0]
    truth = load_truth(stem)
    record = extract_file(DEV / filename, Options())
    assert checks.arithmetic_rule_ids(record.issues) == set(truth.get("checks", []))
    arithmetic = [i for i in record.issues if i.kind == "arithmetic"]
    assert len(arithmetic) == len(truth.get("checks", []))
    # born-digital input: nothing is corrected, and no field is flagged beyond the printed breaks
    assert not [i for i in record.issues if i.kind in ("corrected", "low_confidence")]
    json.dumps(record.to_dict(), ensure_ascii=False)


def test_generated_printed_errors_are_all_reported_and_none_invented():
    from extract import synth
    n_breaks = 0
    for i in range(120):
        rep = synth.make_report(77, i, error_rate=1.0)
        truth = synth.truth_of(rep)
        rec = record_of(truth["fields"], "text-layer")
        checks.check_record(rec, Options())
        assert checks.arithmetic_rule_ids(rec.issues) == set(truth["checks"]), rep.name
        assert rec.fields == truth["fields"]
        n_breaks += len(truth["checks"])
    assert n_breaks > 120
