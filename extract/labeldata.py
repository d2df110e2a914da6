"""Training examples for the label classifier: printed labels, their real-world variants, negatives.

Sources (see ``training_data/README.md``):

- the printed label of every category (``extract/data/categories.csv``), the column headers and
  group headings of ``extract.spec``, and the wording variants below;
- ``training_data/curated.tsv``: real labels seen in reports (typos, wrapped labels), extended by
  corrections made in review;
- generated variants: each base example is perturbed by a seeded ``random.Random`` with the
  perturbation kinds in ``PERTURBATIONS``.

An example is ``(LabelInput, key)``.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from pathlib import Path

from . import spec
from .classifier import LabelInput

# -- base examples -----------------------------------------------------------------------------

# Extra wordings seen in reports, per key (the first printed label comes from categories.csv).
ROW_VARIANTS: dict[str, list[str]] = {
    "proactive.normative_docs": ["行政规范性文件", "规范性文件"],
    "proactive.fees": ["行政事业性收费", "行政事业收费"],
    "proactive.procurement": ["政府集中采购"],
    "proactive.other_services": ["其他对外管理服务事项"],
    "requests.new": ["一、本年新收政府信息公开申请数量", "本年新收政府信息公开申请数量"],
    "requests.carried_over": ["二、上年结转政府信息公开申请数量", "上年结转政府信息公开申请数量"],
    "requests.partly_granted": ["（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
                                "（二）部分公开"],
    "requests.denied.security_stability": ["3.危及“三安全一稳定”", "3.危及三安全一稳定"],
    "requests.unavailable.not_held": ["1.本机关不掌握相关政府信息"],
    "requests.total": ["（七）总计", "总计"],
    "requests.carried_forward": ["四、结转下年度继续办理", "结转下年度继续办理"],
    "review_litigation.reconsideration": ["行政复议"],
    "review_litigation.litigation_direct": ["未经复议直接起诉", "行政诉讼未经复议直接起诉"],
    "review_litigation.litigation_after_review": ["复议后起诉", "行政诉讼复议后起诉"],
    "requests.other": ["（六）其他处理"],
}

# Context a row label is printed beside (its group), per key prefix.
ROW_CONTEXT = {
    "requests.denied.": "（三）不予公开",
    "requests.unavailable.": "（四）无法提供",
    "requests.not_processed.": "（五）不予处理",
    "requests.other.": "（六）其他处理",
    "requests.granted": "三、本年度办理结果",
    "requests.partly_granted": "三、本年度办理结果",
    "requests.total": "三、本年度办理结果",
    "requests.other": "三、本年度办理结果",
    "review_litigation.litigation_": "行政诉讼",
}

PROACTIVE_CONTEXT = {
    "rules": "第二十条第（一）项", "normative_docs": "第二十条第（一）项",
    "licensing": "第二十条第（五）项", "other_services": "第二十条第（五）项",
    "penalty": "第二十条第（六）项", "enforcement": "第二十条第（六）项",
    "fees": "第二十条第（八）项", "procurement": "第二十条第（九）项",
}

COLUMN_VARIANTS: dict[str, list[str]] = {
    "business": ["商业企业", "商业\n企业"],
    "research": ["科研机构", "科研\n机构"],
    "nonprofit": ["社会公益组织", "社会\n公益\n组织"],
    "legal_services": ["法律服务机构", "法律\n服务\n机构"],
    "total": ["总计", "总 计", "合计"],
    "upheld": ["结果维持", "结果\n维持"],
    "corrected": ["结果纠正", "结果\n纠正"],
    "other": ["其他结果", "其他\n结果"],
    "pending": ["尚未审结", "尚未\n审结"],
    "amount": ["本年收费金额（单位：万元）", "本年收费金额(单位:万元)", "采购总金额",
               "本年收费金额（万元）", "采购总金额（万元）"],
    "org_subtotal": ["小计", "法人或其他组织小计", "法人或其他组织合计"],
}
COLUMN_CONTEXT = {
    "business": "法人或其他组织", "research": "法人或其他组织", "nonprofit": "法人或其他组织",
    "legal_services": "法人或其他组织", "other_org": "法人或其他组织",
    "org_subtotal": "法人或其他组织", "natural_person": "申请人情况",
}

GROUP_VARIANTS: dict[str, list[str]] = {
    "results": ["三、本年度办理结果", "三\n、\n本\n年\n度\n办\n理\n结\n果", "本年度办理结果"],
    "applicant": ["申请人情况"],
    "org": ["法人或其他组织"],
    "info_content": ["信息内容"],
}

NEGATIVES = [
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)",
    "本列数据的勾稽关系为第一项加第二项之和等于第三项加第四项之和",
    "- 1 -", "- 2 -", "- 3 -", "- 4 -", "- 12 -", "第 3 页", "第3页 共5页", "— 5 —", "3",
    "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项", "一、总体情况", "单位：件", "单位：万元", "注：", "备注",
    "序号", "项目", "说明", "（一）主动公开情况", "（二）依申请公开情况",
    "本报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。",
    "如对本报告有疑问，请与区人民政府办公室联系。",
    "2023年，我区在政府网站平台主动公开政府信息1136条。",
    "共收到政府信息公开申请25件，其中网络申请7件，信函申请19件。",
    "加强区政府门户网站及政务新媒体日常管理，运用第三方检测平台实行常态化监测。",
    "严格执行“分级审核、先审后发”程序，落实“三审三校”制度。",
    "进一步细化分解政府门户网站和政务新媒体内容保障责任单位，形成工作清单。",
    "政府信息公开工作年度报告", "附件", "发布日期：2024-01-12", "索引号", "发布机构",
    "收到和处理政府信息公开申请情况", "主动公开政府信息情况",
]

# -- perturbations -----------------------------------------------------------------------------

# OCR-style character confusions: each character maps to look-alikes PP-OCR and Tesseract are
# known to produce on Song-style fonts at 150-200 dpi. Documented in training_data/README.md.
CONFUSIONS = {
    "己": "已巳", "已": "己巳", "未": "末", "末": "未", "人": "入八", "入": "人", "日": "曰目",
    "于": "千干", "土": "士", "士": "土", "处": "外", "开": "并", "予": "子于", "申": "甲由",
    "理": "里", "复": "夏", "议": "仪", "诉": "诈", "讼": "松", "维": "准", "纠": "叫",
    "审": "宙", "结": "洁", "转": "传", "办": "力", "公": "么", "政": "攻", "请": "清",
    "信": "言", "息": "急", "数": "教", "量": "星", "年": "午", "本": "木", "新": "薪",
    "收": "牧", "上": "土", "制": "刺", "件": "仵", "废": "度", "现": "观", "效": "校",
    "许": "计", "可": "司", "罚": "罪", "强": "张", "费": "贵", "商": "滴", "企": "全",
    "科": "料", "研": "矸", "构": "购", "法": "去", "律": "津", "务": "各", "其": "甚",
    "他": "她", "总": "忌", "计": "汁", "果": "呆", "尚": "向", "经": "轻", "后": "居",
    "起": "赴", "全": "金", "保": "堡", "护": "沪", "第": "笫", "三": "二", "二": "三",
    "一": "-", "、": ",", "（": "(", "）": ")", "：": ":", "“": "\"", "”": "\"",
}

NUMBER_STYLES = [
    lambda n, cn: f"{n}.", lambda n, cn: f"{n}、", lambda n, cn: f"（{n}）",
    lambda n, cn: f"({n})", lambda n, cn: f"{n}．", lambda n, cn: "", lambda n, cn: f"{n}",
]
GROUP_STYLES = [
    lambda n, cn: f"（{cn}）", lambda n, cn: f"({cn})", lambda n, cn: f"{cn}、",
    lambda n, cn: f"（{n}）", lambda n, cn: "", lambda n, cn: f"{n}.",
]
CN = "一二三四五六七八九十"


def _split_numbering(label: str):
    """('1.', '属于国家秘密', 1, 'arabic') or ('（三）', '不予公开', 3, 'cn') or ('', label, 0, '')."""
    import re

    m = re.match(r"^(\d+)[.、．]", label)
    if m:
        return m.group(0), label[m.end():], int(m.group(1)), "arabic"
    m = re.match(r"^[（(]([一二三四五六七八九十])[)）]", label)
    if m:
        return m.group(0), label[m.end():], CN.index(m.group(1)) + 1, "cn_paren"
    m = re.match(r"^([一二三四五六七八九十])、", label)
    if m:
        return m.group(0), label[m.end():], CN.index(m.group(1)) + 1, "cn_top"
    return "", label, 0, ""


def renumber(label: str, rng: random.Random) -> str:
    prefix, body, n, style = _split_numbering(label)
    if not prefix or not 1 <= n <= len(CN):
        return label
    styles = NUMBER_STYLES if style == "arabic" else GROUP_STYLES
    return rng.choice(styles)(n, CN[n - 1]) + body


def to_width(label: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return unicodedata.normalize("NFKC", label)
    out = []
    for ch in label:
        if "!" <= ch <= "~" and rng.random() < 0.7:
            out.append(chr(ord(ch) + 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def add_spaces(label: str, rng: random.Random) -> str:
    chars = list(label)
    for _ in range(rng.randint(1, 3)):
        i = rng.randint(1, max(1, len(chars) - 1))
        chars.insert(i, rng.choice([" ", "\n", "  ", "\u3000"]))
    return "".join(chars)


def truncate(label: str, rng: random.Random) -> str:
    import re

    if len(re.sub(r"\s", "", label)) < 10:
        return label
    return label[:rng.randint(int(len(label) * 0.75), len(label) - 1)]


def ocr_confuse(label: str, rng: random.Random) -> str:
    chars = list(label)
    idx = [i for i, c in enumerate(chars) if c in CONFUSIONS]
    rng.shuffle(idx)
    for i in idx[:rng.randint(1, 2)]:
        chars[i] = rng.choice(CONFUSIONS[chars[i]])
    return "".join(chars)


def drop_or_repeat(label: str, rng: random.Random) -> str:
    if len(_plain(label)) < 4:   # a short label with a character dropped is no label any more
        return label
    i = rng.randrange(len(label))
    if rng.random() < 0.5:
        return label[:i] + label[i + 1:]
    return label[:i] + label[i] + label[i:]


PERTURBATIONS = {
    "numbering": renumber, "width": to_width, "spaces": add_spaces, "truncate": truncate,
    "ocr": ocr_confuse, "drop_repeat": drop_or_repeat,
}


# -- building the example set ------------------------------------------------------------------

def base_examples() -> list[tuple[LabelInput, str]]:
    """Every printed label once per plausible context, without perturbation."""
    out: list[tuple[LabelInput, str]] = []
    sec = spec.SECTION_OF_TABLE
    for cat in spec.categories():
        labels = [cat.label.split(" (")[0]] + ROW_VARIANTS.get(cat.key, [])
        if cat.table == "review_litigation":
            labels = ROW_VARIANTS[cat.key]
        context = ""
        for prefix, ctx in ROW_CONTEXT.items():
            if cat.key.startswith(prefix):
                context = ctx
                break
        if cat.table == "proactive":
            context = PROACTIVE_CONTEXT.get(cat.row_id, "")
        kind = "column" if cat.table == "review_litigation" else "row"
        for label in dict.fromkeys(labels):
            out.append((LabelInput(label, context, sec[cat.table], kind), cat.key))
            out.append((LabelInput(label, "", sec[cat.table], kind), cat.key))
            if cat.table == "review_litigation":
                out.append((LabelInput(label, context, sec[cat.table], "row"), cat.key))
    for col, labels in spec.COLUMN_LABELS.items():
        labels = list(dict.fromkeys(list(labels) + COLUMN_VARIANTS.get(col, [])))
        sections = [s for s, cols in _section_columns().items() if col in cols]
        for label in labels:
            for s in sections:
                ctx = COLUMN_CONTEXT.get(col, "") if s == "三" else ""
                if s == "四":
                    ctx = "行政复议"
                out.append((LabelInput(label, ctx, s, "column"), f"col.{col}"))
                out.append((LabelInput(label, "", s, "column"), f"col.{col}"))
    for grp, labels in spec.GROUP_LABELS.items():
        labels = list(dict.fromkeys(list(labels) + GROUP_VARIANTS.get(grp, [])))
        s = {"results": "三", "denied": "三", "unavailable": "三", "not_processed": "三",
             "org": "三", "applicant": "三", "litigation": "四", "info_content": "二",
             "article": "二"}[grp]
        kind = "column" if grp in ("org", "applicant", "litigation", "info_content") else "row"
        for label in labels:
            out.append((LabelInput(label, "", s, kind), f"group.{grp}"))
            out.append((LabelInput(label, "", s, None), f"group.{grp}"))
    for text in NEGATIVES:
        for s in (None, "二", "三", "四"):
            out.append((LabelInput(text, "", s, None), "none"))
    return out


def base_and_synth_examples() -> list[tuple[LabelInput, str]]:
    """The base examples plus the wording variants the report generator prints."""
    return base_examples() + synth_examples()


def _section_columns():
    from .classifier import SECTION_COLUMNS
    return SECTION_COLUMNS


def generate(seed: int = 0, per_example: int = 20,
             kinds: tuple[str, ...] = tuple(PERTURBATIONS)) -> list[tuple[LabelInput, str]]:
    """Perturbed variants of every base example: 1-3 perturbation kinds each, seeded."""
    rng = random.Random(seed)
    out = []
    base = base_and_synth_examples()
    # a perturbed label that reads exactly as another class's printed label is dropped: it is no
    # longer a variant of its own class
    printed = {}
    for x, y in base:
        printed.setdefault(_plain(x.text), set()).add(y)
    ambiguous = {t for t, ys in printed.items()
                 if len({y.split(".", 1)[0] == "col" for y in ys}) > 1}
    for x, y in base:
        out.append((x, y))
        for _ in range(per_example):
            text, ctx = x.text, x.context
            # the group label printed inline before the first sub-row; the sub-row then keeps
            # its own numbering (（六）其他处理3.其他 is not （六）其他处理)
            inline = y.startswith(("requests.", "review_litigation.")) and bool(ctx) and \
                rng.random() < 0.3
            usable = tuple(k for k in kinds if not (inline and k == "numbering")) or kinds
            for kind in rng.sample(usable, k=min(len(usable), rng.randint(1, 3))):
                text = PERTURBATIONS[kind](text, rng)
            if ctx and rng.random() < 0.3:
                ctx = PERTURBATIONS[rng.choice(kinds)](ctx, rng)
            if inline:
                text = ctx + text
            if ctx and rng.random() < 0.15:
                ctx = ""
            section = x.section if rng.random() < 0.85 else None
            # the kind is withheld only where the printed label does not also name a class of
            # the other kind (总计 is a row in section 三 and a column everywhere)
            kind = x.kind if (rng.random() < 0.85 or _plain(x.text) in ambiguous) else None
            if not text.strip() or printed.get(_plain(text), {y}) != {y}:
                continue
            out.append((LabelInput(text, ctx, section, kind), y))
    return out


def _plain(text: str) -> str:
    import re
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"\s+", "", t)
    return re.sub(r"^[(（]?[一二三四五六七八九十\d]{1,2}[)）]?[、.．]?", "", t)


def read_curated(path) -> list[tuple[LabelInput, str]]:
    """Curated real examples: a TSV with columns text, context, section, kind, label.

    ``\\n`` in a cell stands for a line break inside the printed label.
    """
    out = []
    p = Path(path)
    if not p.exists():
        return out
    with open(p, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            def cell(name):
                return (row.get(name) or "").replace("\\n", "\n")
            out.append((LabelInput(cell("text"), cell("context"), cell("section") or None,
                                   cell("kind") or None), cell("label")))
    return out


def append_curated(path, examples: list[tuple[LabelInput, str]]) -> None:
    """Add examples (e.g. corrections from review) to the curated file."""
    p = Path(path)
    new = not p.exists()
    with open(p, "a", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        if new:
            w.writerow(["text", "context", "section", "kind", "label"])
        for x, y in examples:
            w.writerow([x.text.replace("\n", "\\n"), x.context.replace("\n", "\\n"),
                        x.section or "", x.kind or "", y])


def write_tsv(path, examples) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["text", "context", "section", "kind", "label"])
        for x, y in examples:
            w.writerow([x.text.replace("\n", "\\n"), x.context.replace("\n", "\\n"),
                        x.section or "", x.kind or "", y])


# -- labels as the synthetic generator prints them ---------------------------------------------

_HEADER_GROUPS = {"applicant": "group.applicant", "org": "group.org",
                  "info_content": "group.info_content", "litigation": "group.litigation"}


def synth_examples(n: int = 150, seed: int = 7) -> list[tuple[LabelInput, str]]:
    """The printed labels of ``n`` generated reports (``gkreport synth``), with the context the
    extractors give them: wording and numbering variants, typos, 或者 for 或, group labels
    merged or inline, 2019/2021/hybrid layouts."""
    from .synth import make_report
    from .synth_tables import document_blocks

    out: list[tuple[LabelInput, str]] = []
    # only the variants the base examples do not already hold (typos, 或者, numbering styles):
    # repeats of the template's own wording would tilt the classes' balance
    seen: set = {_plain(x.text) for x, _ in base_examples()}
    for i in range(n):
        rep = make_report(seed, i)
        for block in document_blocks(rep):
            if block.kind != "table" or block.table is None:
                continue
            t = block.table
            for c in t.cells:
                key = _synth_key(c)
                if key is None or not c.text.strip():
                    continue
                kind = "column" if (c.role == "header" or t.section == "四") else \
                    "row" if c.role == "row_label" else None
                context = _synth_context(t, c)
                x = LabelInput(c.text, context, t.section, kind)
                if _plain(x.text) not in seen:
                    seen.add(_plain(x.text))
                    out.append((x, key))
    return out


def _synth_key(c) -> str | None:
    if c.role == "row_label":
        return c.key
    if c.role == "group":
        return "requests.other" if c.key == "other" else f"group.{c.key}"
    if c.role == "article":
        return "group.article"
    if c.role == "note":
        return "none"
    if c.role == "header":
        if c.key in _HEADER_GROUPS:
            return _HEADER_GROUPS[c.key]
        if c.key in ("reconsideration", "litigation_direct", "litigation_after_review"):
            return f"review_litigation.{c.key}"
        if c.key in spec.COLUMN_LABELS:
            return f"col.{c.key}"
    return None


def _synth_context(t, c) -> str:
    """The group label left of a row label, or the header above a column header."""
    if c.role == "row_label":
        left = [g for g in t.cells if g.role == "group" and g.col < c.col and g.key != "results"
                and g.row <= c.row < g.row + g.rowspan]
        if not left:
            left = [g for g in t.cells if g.role == "group" and g.col < c.col
                    and g.row <= c.row < g.row + g.rowspan]
        return left[-1].text if left else ""
    if c.role == "header" and c.row > 0:
        above = [h for h in t.cells if h.role == "header" and h.row + h.rowspan == c.row
                 and h.col <= c.col < h.col + h.colspan]
        return above[0].text if above else ""
    return ""
