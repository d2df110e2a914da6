"""The born-digital path on PDFs the project makes itself: both templates, the hybrid, the 28x8
subtotal layout, tables split across pages, open-sided ruling and inline group rows. Every field
must equal the generated truth exactly (values as printed, blanks and dashes as null)."""

import dataclasses

import pytest

from extract.pipeline import extract_file
from extract.synth import make_report, truth_of
from extract.synth_render import render_pdf


def _report(variant, seed, org_subtotal=None, **layout):
    for i in range(200):
        rep = make_report(seed, i, variant=variant, error_rate=0.3)
        if org_subtotal is None or rep.org_subtotal == org_subtotal:
            break
    return dataclasses.replace(rep, layout=dataclasses.replace(rep.layout, **layout))


CASES = {
    "2021 full grid, vertical results label": ("2021", 1, None, dict(ruling="full")),
    "2019 full grid, split without repeated header": (
        "2019", 2, None, dict(ruling="full", repeat_header=False)),
    "hybrid, repeated header after the break": (
        "hybrid", 3, None, dict(ruling="full", repeat_header=True)),
    "2021 with the 法人或其他组织 subtotal column": ("2021", 4, True, dict(ruling="full")),
    "2019 open sides, horizontal results label": (
        "2019", 5, None, dict(ruling="open_sides", results_label="horizontal")),
    "2021 inline group rows": ("2021", 6, None, dict(group_style="inline", ruling="full")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_generated_pdf_extracts_exactly(case, tmp_path):
    variant, seed, org, layout = CASES[case]
    rep = _report(variant, seed, org, **layout)
    pdf = tmp_path / f"{rep.name}.pdf"
    pdf.write_bytes(render_pdf(rep))
    truth = truth_of(rep)
    record = extract_file(pdf).to_dict()
    assert record["fields"] == truth["fields"], case
    assert record["report"]["template"] == truth["report"]["template"]
    assert record["report"]["year"] == truth["report"]["year"]
    rules = sorted(i["rule"] for i in record["issues"] if i["kind"] == "arithmetic" and "rule"
                   in i)
    rules += sorted(r for i in record["issues"] if i["kind"] == "arithmetic"
                    for r in i.get("rules", []))
    assert sorted(rules) == sorted(truth["checks"]), case
    # section 三 runs across a page break in these layouts
    pages = {record["provenance"][k]["page"] for k in record["fields"]
             if k.startswith("requests.")}
    assert len(pages) >= 2
