"""Figures stated in the prose, cross-checked against the tables (extract/narrative.py).

The sentences below are quoted from the dev-set reports (eval/dev_set/); each test names the
sentence the figure must be found in.
"""

import pytest

from devset import DEV, load_truth
from extract import narrative
from extract.model import Document, Record
from extract.options import Options
from extract.pipeline import extract_file, ingest


@pytest.fixture(scope="module")
def figures():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = narrative.extract_figures(ingest(DEV / name, Options()))
        return cache[name]
    return get


def found(figs, kind):
    return [(f.value, f.sentence) for f in figs if f.kind == kind]


def record_with(fields: dict, template="2021") -> Record:
    return Record(report={"template": template}, source={}, fields=dict(fields))


def test_blank_chinese_pipeline_without_model():
    nlp, matcher = narrative._pipeline()
    assert nlp.lang == "zh" and nlp.pipe_names == []
    assert [t.text for t in nlp("共收到政府信息公开申请25件")] == [
        "共", "收到", "政府信息公开", "申请", "25", "件"]
    assert len(matcher) == len(narrative.PATTERNS)


def test_fengze_sentence_received_with_channels(figures):
    figs = figures("fengze_2023.txt")
    # (the web page prints ASCII commas)
    sentence = "2023年度,共收到政府信息公开申请25件,其中网络申请7件,信函申请19件,均在法定时限内办结。"
    assert found(figs, "received") == [(25, sentence)]
    assert sorted(v for v, s in found(figs, "channel")) == [7, 19]


def test_fengze_sentence_normative_documents(figures):
    figs = figures("fengze_2023.txt")
    sentence = ("开展规范性文件年度例行清理工作,经清理,2023年新增规范性文件10件,废止8件,"
                "现行有效51件。")
    assert found(figs, "docs_issued") == [(10, sentence)]
    assert found(figs, "docs_repealed") == [(8, sentence)]
    assert found(figs, "docs_in_force") == [(51, sentence)]


def test_fengze_prose_contradicts_itself_7_plus_19_is_not_25():
    record = extract_file(DEV / "fengze_2023.txt", Options())
    (issue,) = [i for i in record.issues if i.kind == "narrative"]
    assert issue.extra["stated"] == 25 and issue.extra["parts"] == 26
    assert "其中网络申请7件,信函申请19件" in issue.extra["sentence"]
    assert issue.fields == []            # the table itself agrees (25): no table field is doubted
    assert issue.page is None            # text input has no pages


def test_hongze_sentence_on_page_one(figures):
    figs = figures("hongze_2023.pdf")
    (fig,) = [f for f in figs if f.kind == "received"]
    assert (fig.value, fig.page) == (21, 1)
    # the PDF wraps the line and prints "2023 年" and "21 件" with spaces
    assert fig.sentence == "2023年全区受理政府信息公开申请21件，均在法定期限答复。"


def test_hebei_2019_handled_issued_and_no_review(figures):
    figs = figures("hebei_jyt_2019.txt")
    s1 = "2019年印发的16个规范性文件全部在厅门户网站主动公开，并配发政策解读说明。"
    s2 = ("2019年我厅共办理依申请政府信息公开16件，均在法定期限内按照规范要求及时答复，"
          "未发生因信息公开引起的行政复议和行政诉讼。")
    assert found(figs, "docs_issued") == [(16, s1)]
    assert found(figs, "handled") == [(16, s2)]
    assert found(figs, "reconsideration") == [(0, s2)]
    assert found(figs, "litigation") == [(0, s2)]


def test_hebei_2021_retained_and_repealed_not_the_existing_or_the_rounds(figures):
    figs = figures("hebei_jyt_2021.txt")
    values = {(f.kind, f.value) for f in figs}
    assert ("docs_in_force", 181) in values and ("docs_repealed", 25) in values
    assert not {v for k, v in values if v in (206, 7)}     # 现有206件, 7次清理 are not stated figures


def test_pingtan_states_no_table_figure(figures):
    kinds = {f.kind for f in figures("pingtan_2019.html")}
    assert not kinds & {"received", "handled", "docs_issued", "reconsideration", "litigation"}


@pytest.mark.parametrize("name", ["hongze_2023.pdf", "hebei_jyt_2019.txt", "hebei_jyt_2021.txt",
                                  "pingtan_2019.html"])
def test_dev_set_prose_agrees_with_truth(name):
    doc = ingest(DEV / name, Options())
    truth = load_truth(name.split(".")[0])
    record = Record(report=truth["report"], source={}, fields=dict(truth["fields"]))
    assert narrative.cross_check_figures(narrative.extract_figures(doc), record) == []


def test_disagreement_with_table_names_field_sentence_and_page():
    doc = Document("x.pdf", "pdf-text", [], page_texts=[
        "一、总体情况\n本年度因政府信息公开工作被申请行政复议2件，提起行政诉讼两起。",
        "- 2 -\n全年共受理政府信息公开申请\n30 件，其中自然人申请28件，法人或其他组织申请2件。"])
    fields = {"review_litigation.reconsideration.total": 1,
              "review_litigation.litigation_direct.total": 1,
              "review_litigation.litigation_after_review.total": 1,
              "requests.new.total": 30, "requests.new.natural_person": 27}
    for c in ("business", "research", "nonprofit", "legal_services", "other_org"):
        fields[f"requests.new.{c}"] = 3 if c == "business" else 0
    issues = narrative.cross_check_figures(narrative.extract_figures(doc), record_with(fields))
    by_figure = {i.extra["figure"]: i for i in issues}
    assert set(by_figure) == {"reconsideration", "natural_person", "organisation"}
    rec = by_figure["reconsideration"]
    assert rec.kind == "narrative" and rec.page == 1
    assert rec.fields == ["review_litigation.reconsideration.total"]
    assert (rec.extra["stated"], rec.extra["table"]) == (2, 1)
    assert rec.extra["sentence"] == "本年度因政府信息公开工作被申请行政复议2件，提起行政诉讼两起。"
    # 两起 = 2 = 1 + 1: litigation agrees; the applicant split is on page 2
    assert by_figure["natural_person"].page == 2
    assert by_figure["natural_person"].extra["table"] == 27


def test_sentence_across_a_page_break_gets_its_first_page():
    doc = Document("x.pdf", "pdf-text", [], page_texts=[
        "（二）依申请公开情况。2023年，共收到政府信息公开申请", "- 2 -\n12件，上年结转3件。"])
    figs = narrative.extract_figures(doc)
    assert [(f.kind, f.value, f.page) for f in figs] == [("received", 12, 1),
                                                         ("carried_over", 3, 2)]


def test_approximate_and_unitless_numbers_are_not_figures():
    doc = Document("x.txt", "text", [], text=(
        "全年受理政府信息公开申请约30件。网站发布信息1000多条。"
        "一、本年新收政府信息公开申请数量\n24\n1\n0\n25"))
    assert narrative.extract_figures(doc) == []


def test_tables_only_skips_the_cross_check():
    doc = Document("x.txt", "text", [], text="共收到政府信息公开申请9件。")
    record = record_with({"requests.new.total": 4})
    narrative.cross_check(doc, record, Options(tables_only=True))
    assert record.issues == []
    narrative.cross_check(doc, record, Options())
    assert [i.extra["stated"] for i in record.issues] == [9]


def test_chinese_numerals():
    assert [narrative.cn_to_int(t) for t in ("25", "二十五", "十二", "两", "一百零三")] == [
        25, 25, 12, 2, 103]
