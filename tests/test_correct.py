"""Correction of OCR misreads proven by the arithmetic (extract/correct.py).

Records are built from the dev-set truth files with OCR provenance (engine "rapidocr"), then one
or more recognised cell strings are changed the way OCR misreads them.
"""

import importlib.util
import random
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devset import DEV, ROOT, load_truth
from extract import checks, correct, spec
from extract.model import Provenance, Record
from extract.numbers import format_number
from extract.options import Options

TRUTHS = {p.name[: -len(".truth.json")]: load_truth(p.name[: -len(".truth.json")])
          for p in DEV.glob("*.truth.json")}
FIELD_KEYS = {n: [k for k in t["fields"] if not isinstance(t["fields"][k], float)]
              for n, t in TRUTHS.items()}


def record_of(fields: dict, engine: str = "rapidocr") -> Record:
    prov = {k: Provenance(format_number(v), 0.998, 0.99, engine) for k, v in fields.items()}
    return Record(report={}, source={}, fields=dict(fields), provenance=prov)


def misread(rec: Record, key: str, text: str, alternatives=(), score=0.7):
    """The OCR read ``text`` for ``key`` with ``score`` (a doubtful reading by default)."""
    rec.fields[key] = int(text) if text else None
    rec.provenance[key].text = text
    rec.provenance[key].read_confidence = score
    if alternatives:
        rec.provenance[key].extra["alternatives"] = [list(a) for a in alternatives]


def kinds(issues):
    return [i.kind for i in issues]


# --- evidence: the digit-confusion table ----------------------------------------------------

def test_evidence_covers_confused_dropped_doubled_and_lookalike_digits():
    ev = correct.evidence_for("13", 13)
    assert ev[18].how == "confused 3->8"
    assert ev[10].how == "confused 3->0"
    assert ev[113].how == "dropped digit"
    assert ev[3].how == "spurious 1"
    assert 13 not in ev                                   # the reading itself is no candidate
    assert correct.evidence_for("77", 77)[7].how == "doubled digit"
    assert correct.evidence_for("1o", None)[10].how == "look-alike character"
    assert correct.evidence_for("B", None)[8].how == "look-alike character"
    assert correct.evidence_for("03", 3)[0].how == "leading zero"
    assert set(correct.evidence_for("", None)) == set(range(1, 10))
    assert 4 not in correct.evidence_for("3", 3)          # 3 and 4 are not confused
    alt = correct.evidence_for("3", 3, [["4", 0.4], ["x", 0.9]])
    assert alt[4].how == "alternative" and alt[4].weight == 0.7


def test_ocr_engine_decides_what_may_change():
    assert correct.is_ocr(Provenance("1", 0.9, 0.9, "rapidocr"))
    assert correct.is_ocr({"engine": "rapidocr"})
    for engine in ("text-layer", "html", "text", "docx", None):
        assert not correct.is_ocr(Provenance("1", 1.0, 0.9, engine))


# --- corrections ----------------------------------------------------------------------------

def test_single_misread_in_section_three_is_corrected_with_proof():
    truth = TRUTHS["fengze_2023"]["fields"]
    rec = record_of(truth)
    misread(rec, "requests.granted.natural_person", "18")          # printed 10, 0 read as 8
    checks.check_record(rec, Options())
    assert rec.fields == truth
    (issue,) = rec.issues
    assert issue.kind == "corrected"
    assert (issue.before, issue.after) == (18, 10)
    assert issue.fields == ["requests.granted.natural_person"]
    assert set(issue.rules) == {"requests.dispositions.natural_person",
                                "requests.row_total.granted"}
    assert 0.9 <= issue.extra["confidence"] < 1
    note = rec.provenance["requests.granted.natural_person"].extra["corrected"]
    assert (note["before"], note["after"]) == (18, 10)
    d = issue.to_dict()
    assert d["before"] == 18 and d["after"] == 10


def test_two_misreads_in_one_row_are_corrected_together():
    truth = TRUTHS["fengze_2023"]["fields"]
    rec = record_of(truth)
    misread(rec, "requests.granted.natural_person", "18")          # 10
    misread(rec, "requests.granted.total", "17")                    # 11
    misread(rec, "requests.new.total", "28")                        # 25, elsewhere
    checks.check_record(rec, Options())
    assert rec.fields == truth
    assert kinds(rec.issues) == ["corrected"] * 3
    together = {i.fields[0]: i.extra["changed_with"] for i in rec.issues}
    assert "requests.granted.natural_person" in together["requests.granted.total"]


def test_confident_reading_is_a_printed_error_not_corrected():
    truth = TRUTHS["fengze_2023"]["fields"]
    rec = record_of(truth)
    misread(rec, "requests.granted.natural_person", "18", score=0.998)
    checks.check_record(rec, Options())
    assert rec.fields["requests.granted.natural_person"] == 18
    (amb,) = [i for i in rec.issues if i.kind == "ambiguous"]
    assert amb.fields == ["requests.granted.natural_person"]
    # ...unless the OCR itself offered the value the arithmetic proves
    rec = record_of(truth)
    misread(rec, "requests.granted.natural_person", "18", [("10", 0.3)], score=0.998)
    checks.check_record(rec, Options())
    assert rec.fields == truth and kinds(rec.issues) == ["corrected"]


def test_alternative_reading_supports_a_value_outside_the_table():
    truth = TRUTHS["hongze_2023"]["fields"]
    rec = record_of(truth)
    # 10 read as 42: no confusion edit reaches 10 from 42, but the OCR listed it
    misread(rec, "requests.unavailable.not_held.natural_person", "42")
    correct.correct_record(rec)
    assert rec.fields["requests.unavailable.not_held.natural_person"] == 42
    misread(rec, "requests.unavailable.not_held.natural_person", "42", [("10", 0.2)])
    issues = [i for i in correct.correct_record(rec) if i.kind == "corrected"]
    assert len(issues) == 1 and issues[0].extra["evidence"] == "alternative"
    assert rec.fields["requests.unavailable.not_held.natural_person"] == 10


def test_unsupported_value_is_pointed_at_but_not_changed():
    truth = TRUTHS["fengze_2023"]["fields"]
    rec = record_of(truth)
    misread(rec, "requests.granted.total", "5")                     # 11 read as 5
    checks.check_record(rec, Options())
    assert rec.fields["requests.granted.total"] == 5
    amb = [i for i in rec.issues if i.kind == "ambiguous"]
    assert amb and amb[0].fields == ["requests.granted.total"]
    assert "no support" in amb[0].message
    assert {i.rule for i in rec.issues if i.kind == "arithmetic"} == {
        "requests.dispositions.total", "requests.row_total.granted"}


def test_section_four_single_rule_is_never_enough_to_correct():
    truth = TRUTHS["fengze_2023"]["fields"]
    rec = record_of(truth)
    misread(rec, "review_litigation.reconsideration.upheld", "3")   # printed 0 (or blank)
    checks.check_record(rec, Options())
    assert rec.fields["review_litigation.reconsideration.upheld"] == 3
    (amb,) = [i for i in rec.issues if i.kind == "ambiguous"]
    # both the cell and the 总计 could be the misread one: both are named
    assert {"review_litigation.reconsideration.upheld",
            "review_litigation.reconsideration.total"} <= set(amb.fields)
    assert [i.rule for i in rec.issues if i.kind == "arithmetic"] == [
        "review_litigation.row_total.reconsideration"]


def test_printed_breaks_of_a_scanned_report_are_not_corrected():
    truth = TRUTHS["hongze_2023"]
    rec = record_of(truth["fields"])
    checks.check_record(rec, Options())
    assert rec.fields == truth["fields"]
    assert checks.arithmetic_rule_ids(rec.issues) == set(truth["checks"])
    assert "corrected" not in kinds(rec.issues)


def test_no_correct_option_turns_correction_off():
    truth = TRUTHS["fengze_2023"]["fields"]
    rec = record_of(truth)
    misread(rec, "requests.granted.natural_person", "18")
    checks.check_record(rec, Options(correct=False))
    assert rec.fields["requests.granted.natural_person"] == 18
    assert set(kinds(rec.issues)) == {"arithmetic", "low_confidence"}


def test_mixed_sources_only_ocr_cells_change():
    truth = TRUTHS["fengze_2023"]["fields"]
    rec = record_of(truth)
    rec.provenance["requests.granted.natural_person"].engine = "text-layer"
    misread(rec, "requests.granted.natural_person", "18")
    checks.check_record(rec, Options())
    assert rec.fields["requests.granted.natural_person"] == 18
    assert "corrected" not in kinds(rec.issues)


def test_fully_garbled_table_is_given_up_quickly():
    rng = random.Random(3)
    fields = {k: rng.randrange(0, 999) for k in TRUTHS["fengze_2023"]["fields"]}
    rec = record_of(fields)
    t0 = time.perf_counter()
    issues = correct.correct_record(rec)
    assert time.perf_counter() - t0 < 5          # generous; typical is a few milliseconds
    assert "corrected" not in kinds(issues)
    assert rec.fields == fields


# --- properties -----------------------------------------------------------------------------

edits = st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(
    ["sub", "drop", "double", "blank", "random"]), st.integers(0, 9)), min_size=1, max_size=3)


def apply_edit(text: str, how: str, d: int, pos: int) -> str:
    if how == "blank" or not text:
        return "" if how == "blank" else str(d)
    i = pos % len(text)
    if how == "sub":
        return text[:i] + str(d) + text[i + 1:]
    if how == "drop":
        return text[:i] + text[i + 1:]
    if how == "double":
        return text[:i] + text[i] + text[i:]
    return str(d * 7 + pos % 13)


def perturbed(name, edit_list, engine="rapidocr", engines_by_key=None):
    truth = TRUTHS[name]["fields"]
    rec = record_of(truth, engine)
    keys = FIELD_KEYS[name]
    for pos, how, d in edit_list:
        key = keys[pos % len(keys)]
        text = apply_edit(rec.provenance[key].text, how, d, pos).lstrip("0") or \
            ("0" if how != "blank" else "")
        rec.fields[key] = int(text) if text else None
        rec.provenance[key].text = text
    if engines_by_key:
        for k, e in engines_by_key.items():
            rec.provenance[k].engine = e
    return rec


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(TRUTHS)), edit_list=edits)
def test_property_a_correction_never_breaks_a_rule_that_held(name, edit_list):
    rec = perturbed(name, edit_list)
    held = {r.id for r in spec.rules_for(rec.fields) if spec.rule_holds(r, rec.fields)}
    correct.correct_record(rec)
    now = {r.id for r in spec.rules_for(rec.fields) if spec.rule_holds(r, rec.fields)}
    assert held <= now


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(TRUTHS)), edit_list=edits,
       engine=st.sampled_from(["text-layer", "html", "text"]), share=st.floats(0, 1))
def test_property_born_digital_values_never_change(name, edit_list, engine, share):
    rec = perturbed(name, edit_list, engine="rapidocr")
    keys = FIELD_KEYS[name]
    born = set(keys[: int(share * len(keys))])
    for k in born:
        rec.provenance[k].engine = engine
    before = dict(rec.fields)
    issues = correct.correct_record(rec)
    assert all(rec.fields[k] == before[k] for k in born)
    assert not any(set(i.fields) & born for i in issues if i.kind == "corrected")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.none(), st.integers(0, 10_000)), min_size=200,
                       max_size=200))
def test_property_search_terminates_quickly_on_garbage(values):
    keys = list(TRUTHS["fengze_2023"]["fields"])
    rec = record_of(dict(zip(keys, values)))
    search = correct.Search(rec.fields, rec.provenance)
    n_components = len(search.components(search.broken()))
    correct.run_search(search, rec)
    # bounded by the node budget, whatever the input (once spent, each component costs 1 step)
    assert search.nodes <= correct.NODE_BUDGET + n_components + 1


# --- injected errors (the benchmark's error model, small) -----------------------------------

def load_bench():
    spec_ = importlib.util.spec_from_file_location(
        "bench_correct", ROOT / "benchmarks" / "bench_correct.py")
    mod = importlib.util.module_from_spec(spec_)
    sys.modules["bench_correct"] = mod
    spec_.loader.exec_module(mod)
    return mod


def test_injected_errors_no_wrong_correction_and_none_silent():
    bench = load_bench()
    truths = [t for t in bench.load_truths([DEV]) if not t.get("checks")]
    tally = bench.run_injected(truths, 300, seed=11)
    assert tally.wrong_corrections == 0
    assert tally.silent == 0
    assert tally.corrected > tally.errors / 5
    assert Path(bench.FONT).name.endswith(".ttc")
