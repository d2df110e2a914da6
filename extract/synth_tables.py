"""The printed structure of a generated report: tables as merged-cell grids, and the prose.

``document_blocks(rep)`` gives the report as a list of blocks in reading order: the title, the
headings 一、… 六、, paragraphs (some stating figures of the tables, "共收到政府信息公开申请25件"),
and the three tables. Each ``Table`` is a grid of ``TCell`` with row/column spans, the way the
national template prints it; every renderer (PDF, HTML, text) draws from these, so the documents of
one report carry the same labels and figures.

Each cell says what it is (``role``: ``article``, ``header``, ``note``, ``group``, ``row_label``,
``value``) and which key it stands for (a field key for a value; the row key, column key or group
id for a label), so the generated tables can also serve as labelled training data for the
row/column classifier.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from . import spec
from .synth import SynthReport, rng_for

CN_NUM = "一二三四五六七八九十"


@dataclass
class TCell:
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    role: str = "value"           # article | header | note | group | row_label | value
    key: str | None = None
    align: str = "center"         # left | center
    vertical: bool = False        # one character per line
    shade: bool = False


@dataclass
class Table:
    section: str                  # "二", "三", "四"
    n_rows: int
    n_cols: int
    cells: list[TCell]
    col_weights: list[float]
    header_rows: int = 0          # rows repeated after a page break when the layout says so

    def at(self, row: int, col: int) -> TCell | None:
        for c in self.cells:
            if c.row <= row < c.row + c.rowspan and c.col <= col < c.col + c.colspan:
                return c
        return None


@dataclass
class Block:
    kind: str                     # title | heading | subheading | para | table
    text: str = ""
    table: Table | None = None
    figures: dict = field(default_factory=dict)   # field key -> value stated in this prose


# ---------------------------------------------------------------------------------------------
# Labels

TYPOS = {
    "requests.denied.law_prohibited": "其他法律行政止公开",
    "requests.denied.internal_affairs": "属于三类内部事物信息",
    "requests.denied.process_info": "属于四类过程信息",
    "requests.not_processed.confirmation": "要求行政机关确认或重新出具已获取的信息",
    "requests.new": "本年新收政府信息公开申请数",
    "requests.carried_forward": "结转下年度继续办理",
}
QUOTE_VARIANTS = ("“三安全一稳定”", "\"三安全一稳定\"", "“三安全一稳定\"")


def _paren(n: int, style: str) -> str:
    return f"（{CN_NUM[n - 1]}）" if style == "full" else f"({CN_NUM[n - 1]})"


def _item_number(n: int, style: str) -> str:
    return {"1.": f"{n}.", "1、": f"{n}、", "(1)": f"({n})", "（1）": f"（{n}）"}[style]


_PREFIX = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.)")


def row_text(row_key: str, rep: SynthReport, rng: random.Random) -> str:
    """The printed label of a row key ``table.row`` under this report's layout."""
    lay = rep.layout
    for c in spec.categories():
        if c.key == row_key:
            label = c.label
            break
    else:
        raise KeyError(row_key)
    if " (2019: " in label:
        plain, alt = label.split(" (2019: ")
        label = alt.rstrip(")") if rep.template == "2019" and rng.random() < 0.8 else plain
    label = label.split(" (")[0]
    m = _PREFIX.match(label)
    prefix, body = (m.group(0), label[m.end():]) if m else ("", label)
    if lay.typos and row_key in TYPOS and rng.random() < 0.6:
        body = TYPOS[row_key]
    if "三安全一稳定" in body:
        body = "危及" + rng.choice(QUOTE_VARIANTS)
    if row_key == "requests.partly_granted" and rng.random() < 0.25:
        body = "部分公开"
    if prefix.startswith("（"):
        prefix = _paren(CN_NUM.index(prefix[1]) + 1, lay.paren)
    elif prefix[:1].isdigit():
        prefix = _item_number(int(prefix[:-1]), lay.numbering)
    return prefix + body


def group_text(parent_label: str, rep: SynthReport) -> str:
    m = re.match(r"^（([一二三四五六七八九十])）(.*)$", parent_label)
    if m:
        return _paren(CN_NUM.index(m.group(1)) + 1, rep.layout.paren) + m.group(2)
    return parent_label


def _article(n: str, rep: SynthReport) -> str:
    return f"第二十条第（{n}）项" if rep.layout.paren == "full" else f"第二十条第({n})项"


# ---------------------------------------------------------------------------------------------
# Section 二

def proactive_table(rep: SynthReport, rng: random.Random) -> Table:
    lay = rep.layout
    cells: list[TCell] = []
    r = 0
    shade = lay.shade_headers

    def article(n):
        nonlocal r
        cells.append(TCell(_article(n, rep), r, 0, 1, 4, "article", f"article.{n}",
                           "center", shade=shade))
        r += 1

    def header(cols: list[tuple[str, str, int]]):
        nonlocal r
        cells.append(TCell("信息内容", r, 0, role="header", key="info_content"))
        c = 1
        for key, text, span in cols:
            cells.append(TCell(text, r, c, 1, span, "header", key))
            c += span
        r += 1

    def row(row_id: str, cols: list[tuple[str, int]]):
        nonlocal r
        cells.append(TCell(row_text(f"proactive.{row_id}", rep, rng), r, 0, role="row_label",
                           key=f"proactive.{row_id}", align="left"))
        c = 1
        for col, span in cols:
            k = f"proactive.{row_id}.{col}"
            cells.append(TCell(rep.printed[k], r, c, 1, span, "value", k))
            c += span
        r += 1

    fee_header = rng.choice(["本年收费金额（单位：万元）", "本年收费金额（万元）",
                             "本年收费金额(单位:万元)"])
    if rep.template == "2021":
        article("一")
        header([("issued", "本年制发件数", 1), ("repealed", "本年废止件数", 1),
                ("in_force", "现行有效件数", 1)])
        for rid in ("rules", "normative_docs"):
            row(rid, [("issued", 1), ("repealed", 1), ("in_force", 1)])
        for n, rows in (("五", ["licensing"]), ("六", ["penalty", "enforcement"])):
            article(n)
            header([("decisions", "本年处理决定数量", 3)])
            for rid in rows:
                row(rid, [("decisions", 3)])
        article("八")
        header([("amount", fee_header, 3)])
        row("fees", [("amount", 3)])
    else:
        article("一")
        header([("new_made", "本年新制作数量", 1), ("new_published", "本年新公开数量", 1),
                ("total_published", "对外公开总数量", 1)])
        for rid in ("rules", "normative_docs"):
            row(rid, [("new_made", 1), ("new_published", 1), ("total_published", 1)])
        three = [("prev_year_items", 1), ("change", 1), ("decisions", 1)]
        change = rng.choice(["本年增/减", "本年增/减", "本年增减"])
        for n, rows in (("五", ["licensing", "other_services"]),
                        ("六", ["penalty", "enforcement"])):
            article(n)
            header([("prev_year_items", "上一年项目数量", 1), ("change", change, 1),
                    ("decisions", "处理决定数量", 1)])
            for rid in rows:
                row(rid, three)
        article("八")
        header([("prev_year_items", "上一年项目数量", 1), ("change", change, 2)])
        row("fees", [("prev_year_items", 1), ("change", 2)])
        article("九")
        amount = "采购总金额（元）" if rep.units.get("proactive.procurement.amount") == "元" \
            else rng.choice(["采购总金额", "采购总金额（万元）"])
        header([("items", "采购项目数量", 1), ("amount", amount, 2)])
        row("procurement", [("items", 1), ("amount", 2)])
    lw = lay.label_width * 0.7
    return Table("二", r, 4, cells, [lw] + [(1 - lw) / 3] * 3, header_rows=0)


# ---------------------------------------------------------------------------------------------
# Section 三

NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
ORG_HEADERS = {"business": "商业企业", "research": "科研机构", "nonprofit": "社会公益组织",
               "legal_services": "法律服务机构", "other_org": "其他", "org_subtotal": "小计"}


def requests_table(rep: SynthReport, rng: random.Random) -> Table:
    lay = rep.layout
    merged = lay.group_style == "merged"
    L = 3 if merged else 2                     # label columns
    org_cols = (["org_subtotal"] if rep.org_subtotal else []) + list(spec.REQUEST_ORG_COLUMNS)
    value_cols = ["natural_person"] + org_cols + ["total"]
    V = len(value_cols)
    cells: list[TCell] = []
    shade = lay.shade_headers
    cells.append(TCell(NOTE if lay.note_cell else "", 0, 0, 3, L, "note", "note",
                       "left", shade=shade))
    cells.append(TCell("申请人情况", 0, L, 1, V, "header", "applicant", shade=shade))
    cells.append(TCell("自然人", 1, L, 2, 1, "header", "natural_person", shade=shade))
    cells.append(TCell(rng.choice(["法人或其他组织", "法人或其他组织", "法人或者其他组织"]), 1,
                       L + 1, 1, len(org_cols), "header", "org", shade=shade))
    cells.append(TCell("总计", 1, L + V - 1, 2, 1, "header", "total", shade=shade))
    for i, col in enumerate(org_cols):
        cells.append(TCell(ORG_HEADERS[col], 2, L + 1 + i, 1, 1, "header", col, shade=shade))
    r = 3

    def values(row_id: str):
        for i, col in enumerate(value_cols):
            k = f"requests.{row_id}.{col}"
            cells.append(TCell(rep.printed[k], r, L + i, role="value", key=k))

    def top_row(row_id: str):
        nonlocal r
        cells.append(TCell(row_text(f"requests.{row_id}", rep, rng), r, 0, 1, L, "row_label",
                           f"requests.{row_id}", "left"))
        values(row_id)
        r += 1

    top_row("new")
    top_row("carried_over")
    rows = [x for x in spec.request_rows(rep.other_split)
            if x not in spec.DISPOSITION_EXCLUDED or x == "total"]
    results_start = r
    results_label = group_text("三、本年度办理结果", rep)
    parents = {c.row_id: c.parent_label for c in spec.categories() if c.table == "requests"}
    i = 0
    while i < len(rows):
        rid = rows[i]
        if "." in rid:
            group_id = rid.split(".")[0]
            members = [x for x in rows if x.startswith(group_id + ".")]
            glabel = group_text(parents[rid], rep)
            if merged:
                cells.append(TCell(glabel, r, 1, len(members), 1, "group", group_id, "left"))
                for m in members:
                    cells.append(TCell(row_text(f"requests.{m}", rep, rng), r, 2,
                                       role="row_label", key=f"requests.{m}", align="left"))
                    values(m)
                    r += 1
            else:
                cells.append(TCell(glabel, r, 1, 1, 1 + V, "group", group_id, "left"))
                r += 1
                for m in members:
                    cells.append(TCell(row_text(f"requests.{m}", rep, rng), r, 1,
                                       role="row_label", key=f"requests.{m}", align="left"))
                    values(m)
                    r += 1
            i += len(members)
        else:
            label = row_text(f"requests.{rid}", rep, rng)
            cells.append(TCell(label, r, 1, 1, L - 1, "row_label", f"requests.{rid}", "left"))
            values(rid)
            r += 1
            i += 1
    cells.append(TCell(results_label, results_start, 0, r - results_start, 1, "group",
                       "results", "center", vertical=lay.results_label == "vertical"))
    top_row("carried_forward")
    lw = lay.label_width
    if merged:
        c0 = 0.045 if lay.results_label == "vertical" else 0.09
        weights = [c0, (lw - c0) * 0.3, (lw - c0) * 0.7]
    else:
        c0 = 0.045 if lay.results_label == "vertical" else 0.09
        weights = [c0, lw - c0]
    weights += [(1 - lw) / V] * V
    return Table("三", r, L + V, cells, weights, header_rows=3)


# ---------------------------------------------------------------------------------------------
# Section 四

def review_table(rep: SynthReport, rng: random.Random) -> Table:
    lay = rep.layout
    shade = lay.shade_headers
    total = "总 计" if lay.total_spaced else "总计"
    heads = [("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"),
             ("pending", "尚未审结"), ("total", total)]
    cells = [TCell("行政复议", 0, 0, 1, 5, "header", "reconsideration", shade=shade),
             TCell("行政诉讼", 0, 5, 1, 10, "header", "litigation", shade=shade),
             TCell("未经复议直接起诉", 1, 5, 1, 5, "header", "litigation_direct", shade=shade),
             TCell("复议后起诉", 1, 10, 1, 5, "header", "litigation_after_review", shade=shade)]
    for i, (k, t) in enumerate(heads):
        cells.append(TCell(t, 1, i, 2, 1, "header", k, shade=shade))
        cells.append(TCell(t, 2, 5 + i, 1, 1, "header", k, shade=shade))
        cells.append(TCell(t, 2, 10 + i, 1, 1, "header", k, shade=shade))
    for g, grp in enumerate(spec.REVIEW_ROWS):
        for i, (k, _) in enumerate(heads):
            key = f"review_litigation.{grp}.{k}"
            cells.append(TCell(rep.printed[key], 3, g * 5 + i, role="value", key=key))
    return Table("四", 4, 15, cells, [1 / 15] * 15, header_rows=3)


# ---------------------------------------------------------------------------------------------
# Prose

FILLER = [
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实《中华人民共和国政府信息公开条例》，"
    "持续推进政务公开标准化规范化建设。",
    "进一步健全政府信息公开工作机制，明确专人负责信息的审核、发布和更新，确保公开信息及时、准确、完整。",
    "严格执行信息发布“三审三校”制度，从严从实把好政治关、法律关、政策关、保密关、文字关。",
    "加强政府网站和政务新媒体日常监管，及时关停整合更新不及时、无力运维的新媒体账号。",
    "围绕群众关注关切，聚焦重点领域信息公开，深化政策解读和回应关切工作。",
    "畅通依申请公开渠道，规范受理、登记、办理、答复等环节，均在法定期限内答复。",
    "组织开展政务公开业务培训，不断提升工作人员的业务能力和服务水平。",
    "定期对公开内容进行检查，对发现的问题及时督促整改，确保公开信息规范有序。",
    "加强政府信息公开保密审查，未经审核的信息一律不准发布。",
    "持续推进基层政务公开标准化规范化工作，完善各领域公开目录。",
    "主动接受社会监督，认真听取公众意见建议，不断改进工作方式方法。",
    "健全政府信息管理动态调整机制，对不再适宜公开的信息及时予以调整。",
]
PROBLEMS = [
    "政务公开工作取得一定成效，但对照上级要求，仍存在一定差距：依申请公开办理的规范性有待提高，"
    "政策解读的形式还不够丰富，政务公开队伍建设有待加强。",
    "下一步，将全面梳理工作流程，健全工作机制，强化部门协同配合，全面提升依申请公开规范化水平。",
    "继续加强业务指导培训，实行政府信息公开工作人员跟班学习制度，不断提高业务工作水平。",
    "围绕中心工作进一步梳理明确政务公开的重点领域，持续优化政策解读和回应关切工作。",
]


def _n(v) -> str:
    return "0" if v is None else str(v)


def _filler(rng: random.Random, n: int) -> str:
    return "".join(rng.sample(FILLER, min(n, len(FILLER))))


def document_blocks(rep: SynthReport) -> list[Block]:
    """The report in reading order. Prose figures are the printed ones (None reads as 0)."""
    rng = rng_for(rep.seed, rep.index, "text")
    lay = rep.layout
    f = rep.fields
    y = rep.year
    blocks: list[Block] = []
    if lay.title_lines == 2:
        blocks.append(Block("title", rep.agency))
        blocks.append(Block("title", f"{y}年政府信息公开工作年度报告"))
    else:
        blocks.append(Block("title", rep.title))
    notice = "（国办公开办函〔2021〕30号）" if rep.template == "2021" else "（国办公开办函〔2019〕60号）"
    blocks.append(Block("para", (
        f"本报告由{rep.agency}根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和"
        f"《中华人民共和国政府信息公开工作年度报告格式》{notice}要求编制。报告中所列数据统计期限自"
        f"{y}年1月1日起至{y}年12月31日止。如对本报告有疑问，请与{rep.agency}联系。")))
    blocks.append(Block("heading", "一、总体情况"))
    blocks.append(Block("para", f"{y}年，{rep.agency}" + _filler(rng, 2)))
    # (一) proactive disclosure, with some figures of section 二
    p = _paren(1, lay.paren)
    stated = {}
    if rep.template == "2021":
        k = "proactive.normative_docs"
        text = (f"{p}主动公开情况。" + _filler(rng, 1) + f"全年主动公开政府信息{rng.randint(80, 3000)}条。"
                f"本年度制发行政规范性文件{_n(f[k + '.issued'])}件，废止{_n(f[k + '.repealed'])}件，"
                f"现行有效{_n(f[k + '.in_force'])}件。")
        stated = {k + ".issued": f[k + ".issued"], k + ".repealed": f[k + ".repealed"],
                  k + ".in_force": f[k + ".in_force"]}
    else:
        k = "proactive.normative_docs"
        text = (f"{p}主动公开情况。" + _filler(rng, 1) + f"全年主动公开政府信息{rng.randint(80, 3000)}条，"
                f"其中新制作规范性文件{_n(f[k + '.new_made'])}件。")
        stated = {k + ".new_made": f[k + ".new_made"]}
    blocks.append(Block("para", text, figures=stated))
    # (二) requests, the figures real reports repeat in prose
    new, tot = f["requests.new.total"], f["requests.total.total"]
    fwd = f["requests.carried_forward.total"]
    p = _paren(2, lay.paren)
    style = rng.randrange(3)
    if style == 0:
        text = (f"{p}依申请公开情况。{y}年共收到政府信息公开申请{_n(new)}件，"
                f"办结{_n(tot)}件，结转下年度继续办理{_n(fwd)}件。")
    elif style == 1:
        text = (f"{p}依申请公开情况。本年度新收政府信息公开申请{_n(new)}件，上年结转"
                f"{_n(f['requests.carried_over.total'])}件，均在法定期限内予以答复。")
    else:
        text = f"{p}依申请公开情况。" + _filler(rng, 1) + f"{y}年全年受理政府信息公开申请{_n(new)}件。"
    figs = {"requests.new.total": new}
    if style == 0:
        figs.update({"requests.total.total": tot, "requests.carried_forward.total": fwd})
    if style == 1:
        figs["requests.carried_over.total"] = f["requests.carried_over.total"]
    blocks.append(Block("para", text, figures=figs))
    for n, head in ((3, "政府信息管理情况"), (4, "政府信息公开平台建设情况"), (5, "监督保障情况"))[
            :max(1, lay.narrative_paras)]:
        blocks.append(Block("para", f"{_paren(n, lay.paren)}{head}。" + _filler(rng, 2)))
    blocks.append(Block("heading", "二、主动公开政府信息情况"))
    blocks.append(Block("table", table=proactive_table(rep, rng)))
    blocks.append(Block("heading", "三、收到和处理政府信息公开申请情况"))
    blocks.append(Block("table", table=requests_table(rep, rng)))
    blocks.append(Block("heading", "四、政府信息公开行政复议、行政诉讼情况"))
    blocks.append(Block("table", table=review_table(rep, rng)))
    rec = f["review_litigation.reconsideration.total"]
    lit = [f["review_litigation.litigation_direct.total"],
           f["review_litigation.litigation_after_review.total"]]
    if rng.random() < 0.5:
        blocks.append(Block("para", f"{y}年，因政府信息公开被申请行政复议{_n(rec)}件，"
                            f"被提起行政诉讼{sum(v or 0 for v in lit)}件。",
                            figures={"review_litigation.reconsideration.total": rec}))
    blocks.append(Block("heading", "五、存在的主要问题及改进情况"))
    for _ in range(max(1, lay.narrative_paras - 1)):
        blocks.append(Block("para", "".join(rng.sample(PROBLEMS, 2))))
    blocks.append(Block("heading", "六、其他需要报告的事项"))
    blocks.append(Block("para", rng.choice([
        "本年度未收取信息处理费。", "无其他需要报告的事项。",
        f"依据《政府信息公开信息处理费管理办法》，{y}年未收取信息处理费。"])))
    return blocks


def narrative_figures(blocks: list[Block]) -> dict:
    out = {}
    for b in blocks:
        out.update(b.figures)
    return out
