"""The label classifier on real label variants, the unknown path, and artifact safety."""

import io
import json
import shutil
import sys

import pytest

from extract import labeldata
from extract.classifier import LabelClassifier, LabelInput, load_default
from extract.cli import main
from extract.errors import ExitCode, ModelError


@pytest.fixture(scope="module")
def model():
    return load_default()


@pytest.mark.parametrize("text,context,section,kind,key", [
    # the real typo in hongze_2023.pdf
    ("2.其他法律行政止公开", "（三）不予公开", "三", "row", "requests.denied.law_prohibited"),
    # 2019 vs 2021 wording
    ("规范性文件", "第二十条第（一）项", "二", "row", "proactive.normative_docs"),
    ("行政规范性文件", "第二十条第（一）项", "二", "row", "proactive.normative_docs"),
    ("本年新制作数量", "", "二", "column", "col.new_made"),
    ("本年制发件数", "", "二", "column", "col.issued"),
    ("上一年项目数量", "", "二", "column", "col.prev_year_items"),
    # wrapped labels and labels broken by spaces
    ("5.要求行政机关确认或重 新出具\n已获取信息", "（五）不予处理", "三", "row",
     "requests.not_processed.confirmation"),
    ("三\n、\n本\n年\n度\n办\n理\n结\n果", "", "三", "row", "group.results"),
    ("本年度办 理结果", "", "三", None, "group.results"),
    ("社会\n公益\n组织", "法人或其他组织", "三", "column", "col.nonprofit"),
    # OCR confusions (己/已, 未/末, 人/入)
    ("1.本机关不掌捤相关政府信息", "（四）无法提供", "三", "row", "requests.unavailable.not_held"),
    ("2.没有现成信息需要另行制做", "（四）无法提供", "三", "row",
     "requests.unavailable.needs_creation"),
    ("自然入", "", "三", "column", "col.natural_person"),
    ("5.要求行政机关确认或重新出具己获取信息", "（五）不予处理", "三", "row",
     "requests.not_processed.confirmation"),
    ("未经复议直接起诉", "行政诉讼", "四", "column", "review_litigation.litigation_direct"),
    ("末经复议直接起诉", "行政诉讼", "四", "column", "review_litigation.litigation_direct"),
    # numbering styles
    ("（1）属于国家秘密", "（三）不予公开", "三", "row", "requests.denied.state_secret"),
    ("1、属于国家秘密", "", "三", "row", "requests.denied.state_secret"),
    ("(三)不予公开", "", "三", None, "group.denied"),
    # group label inline before the first sub-row
    ("（三）不予公开1.属于国家秘密", "", "三", "row", "requests.denied.state_secret"),
    # same words, different meaning by context and kind
    ("3.其他", "（六）其他处理", "三", "row", "requests.other.other"),
    ("其他", "法人或其他组织", "三", "column", "col.other_org"),
    ("其他结果", "行政复议", "四", "column", "col.other"),
    ("总计", "", "三", "column", "col.total"),
    ("（七）总计", "", "三", "row", "requests.total"),
    ("（六）其他处理", "", "三", "row", "requests.other"),
    # the 28x8 variant's subtotal column, never confused with a real column
    ("小计", "法人或其他组织", "三", "column", "col.org_subtotal"),
    ("法人或其他组织", "申请人情况", "三", "column", "group.org"),
    # negatives
    ("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "", "三", None, "none"),
    ("- 4 -", "", None, None, "none"),
])
def test_real_label_variants(model, text, context, section, kind, key):
    pred = model.predict([LabelInput(text, context, section, kind)])[0]
    assert pred.key == key, (text, pred)


def test_garbage_is_unknown_not_guessed(model):
    preds = model.predict([LabelInput("甲乙丙丁戊", "", "三", "row"),
                           LabelInput("xq7", "", "三", "row")])
    assert all(p.key == "unknown" for p in preds), preds
    assert all(p.prob < model.threshold for p in preds)


def test_section_narrows_the_classes(model):
    # without context '总计' could be a row or a column; as a section 四 column it is col.total
    pred = model.predict([LabelInput("总计", "", "四", "column")])[0]
    assert pred.key == "col.total"
    assert not pred.runner_up.startswith("requests.")


def _small_model():
    ex = labeldata.generate(seed=3, per_example=1)
    return LabelClassifier(max_iter=100).fit([x for x, _ in ex], [y for _, y in ex])


def test_fit_save_load_roundtrip(tmp_path):
    m = _small_model()
    assert m.fit is not None and hasattr(m, "coef_")
    m.save(tmp_path)
    m2 = LabelClassifier.load(tmp_path)
    X = [LabelInput("1.属于国家秘密", "（三）不予公开", "三", "row"),
         LabelInput("结果维持", "行政复议", "四", "column")]
    assert [p.key for p in m.predict(X)] == [p.key for p in m2.predict(X)]
    assert m2.predict(X)[0].prob == pytest.approx(m.predict(X)[0].prob, rel=1e-4)


def test_refuses_mismatched_artifact(tmp_path):
    from extract.classifier import default_model_dir

    for field, value, msg in [("sklearn_version", "0.1.0", "scikit-learn"),
                              ("format", 99, "format")]:
        d = tmp_path / field
        shutil.copytree(default_model_dir(), d)
        meta = json.loads((d / "labels.json").read_text("utf-8"))
        meta[field] = value
        (d / "labels.json").write_text(json.dumps(meta), "utf-8")
        with pytest.raises(ModelError, match=msg):
            LabelClassifier.load(d)
    with pytest.raises(ModelError, match="gkreport train"):
        LabelClassifier.load(tmp_path / "nowhere")


def test_artifact_is_not_pickle():
    from extract.classifier import default_model_dir

    import numpy as np
    with np.load(default_model_dir() / "labels.npz", allow_pickle=False) as z:
        assert set(z.files) == {"coef", "intercept", "text_idf", "ctx_idf"}


def test_labels_command(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(
        "1.属于国家秘密\n自然人\n（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\n"
        "甲乙丙丁戊\n"))
    assert main(["labels", "--section", "三"]) == ExitCode.ok
    lines = [ln.split("\t") for ln in capsys.readouterr().out.splitlines()]
    assert [ln[0] for ln in lines] == ["requests.denied.state_secret", "col.natural_person",
                                       "none", "unknown"]
    assert all(len(ln) == 3 and 0 <= float(ln[1]) <= 1 for ln in lines)


def test_model_card_states_the_figures():
    from extract.classifier import default_model_dir

    card = (default_model_dir() / "README.md").read_text("utf-8")
    meta = json.loads((default_model_dir() / "labels.json").read_text("utf-8"))["metadata"]
    assert meta["heldout"]["accuracy"] >= 0.995
    assert meta["heldout"]["unknown_rate"] <= 0.01
    assert f"{meta['heldout']['accuracy']:.4%}" in card
    assert "gkreport train" in card


def test_every_dev_set_label_as_extracted(model):
    """training_data/dev_labels.tsv: every label cell the extractors see in the dev-set reports,
    checked by hand. Real labels are all classified right and none is unknown."""
    from pathlib import Path

    gold = labeldata.read_curated(Path(__file__).parent.parent / "training_data" /
                                  "dev_labels.tsv")
    labels = [(x, y) for x, y in gold if y != "none"]
    assert len(labels) >= 100   # every distinct label the extractors see in the dev set
    preds = model.predict([x for x, _ in labels])
    wrong = [(x.text, y, p.key) for (x, y), p in zip(labels, preds) if p.key != y]
    assert wrong == []


def test_dev_labels_still_what_the_extractors_see(model):
    from extract.train import collect_dev_labels
    from devset import DEV

    seen = {(x.text, x.context, x.section, x.kind) for x, _ in collect_dev_labels(DEV, model)}
    gold = labeldata.read_curated(DEV.parent.parent / "training_data" / "dev_labels.tsv")
    assert {(x.text, x.context, x.section or None, x.kind or None) for x, _ in gold} == seen


def test_generator_wordings_feed_the_training_data(model):
    """The report generator's label wordings are base examples of the training data, and the
    shipped model reads them all."""
    ex = labeldata.synth_examples()
    assert ex and all(y in set(model.classes_) for _, y in ex)
    base = {(x.text, y) for x, y in labeldata.base_and_synth_examples()}
    assert all((x.text, y) in base for x, y in ex)
    preds = model.predict([x for x, _ in ex])
    assert [p.key for p in preds] == [y for _, y in ex]
