"""Synthetic reports: a seeded model of one report's figures and layout, its truth, a validator.

``make_report(seed, index)`` draws one report: agency, year, template (2019, 2021, or the hybrid
2021 section 二 with a single 其他处理 row), the figures as printed (mostly small counts with many
zeros, sometimes thousands; decimal fees; signed changes in 2019), blanks or dashes in place of
zeros in some reports, and in a share of reports a deliberate printed error whose broken rules go
to ``checks``. It also draws the presentation (``Layout``): fonts, sizes, margins, ruling, label
variants, page numbering, the severity of a scan. The renderers (``synth_tables``,
``synth_render``, ``synth_web``, ``synth_scan``) turn a ``SynthReport`` into documents; nothing
they do changes the figures.

Determinism: every random draw comes from ``random.Random`` seeded with a string made of the run
seed, the report index and a purpose ("figures", "layout", "scan"), so the same seed gives the
same report whatever kinds are written, and a change of layout code does not move the figures.

Key sets and rules come from ``extract.spec`` (``expected_keys``, ``broken_rules``); this module
keeps no list of its own.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import asdict, dataclass, field

from . import spec
from .numbers import parse_number

GENERATOR = "gkreport synth 1"

# Template variants: (section 二 template, print the three 其他处理 sub-rows?)
VARIANTS = {"2019": ("2019", False), "2021": ("2021", True), "hybrid": ("2021", False)}
VARIANT_WEIGHTS = {"2019": 0.3, "2021": 0.55, "hybrid": 0.15}

BLANK_STYLES = ("zero", "blank_some", "blank_all", "dash")
SEVERITIES = (0, 1, 2, 3, 4)

FONTS = ("wqy", "uming", "ukai")
DIGIT_FONTS = ("same", "Times-Roman", "Helvetica")
RULINGS = ("full", "open_sides", "horizontal")
RESULTS_LABELS = ("vertical", "horizontal")
GROUP_STYLES = ("merged", "inline")
NUMBERINGS = ("1.", "1、", "(1)", "（1）")
PARENS = ("full", "half")
PAGE_NUMBERS = ("dash", "emdash", "page", "none")
TEXT_STYLES = ("cells", "glued")
HTML_STYLES = ("word", "plain")
IMAGE_FORMATS = ("png", "jpg", "tif")


@dataclass(frozen=True)
class Layout:
    """How one report is printed. Every field is a choice the renderers honour.

    Sizes in PDF points. ``ruling``: ``full`` grid, ``open_sides`` (no outer left/right border),
    ``horizontal`` (horizontal rules only). ``results_label``: the merged 三、本年度办理结果 cell
    printed ``vertical`` (one character per line) or ``horizontal`` (wrapped). ``group_style``:
    group labels (（三）不予公开 ...) in ``merged`` cells beside their items, or ``inline`` as a row
    of their own above them. ``severity`` is the scan degradation, 0 (clean) to 4 (fax-grade).
    """

    body_font: str = "uming"
    heading_font: str = "wqy"
    table_font: str = "uming"
    digit_font: str = "Times-Roman"
    body_size: float = 15.0
    table_size: float = 9.5
    value_size: float = 12.0
    margin_x: float = 80.0
    margin_top: float = 72.0
    margin_bottom: float = 72.0
    line_spacing: float = 1.75
    label_width: float = 0.42        # share of the table width taken by the label columns
    ruling: str = "full"
    shade_headers: bool = True
    shade_color: tuple[float, float, float] = (0.86, 0.9, 0.95)
    results_label: str = "vertical"
    group_style: str = "merged"
    numbering: str = "1."
    paren: str = "full"
    typos: bool = False
    note_cell: bool = True           # print （本列数据的勾稽关系为…） in the header corner
    total_spaced: bool = False       # print 总 计 with a space in section 四
    repeat_header: bool = False      # repeat section 三's header rows after a page break
    page_numbers: str = "dash"
    thousands: bool = False          # print 4,119 rather than 4119
    plus_sign: bool = False          # print +5 for a positive change (2019)
    decimals_fixed: bool = False     # print fees as 0.00 / 12.50
    narrative_paras: int = 3         # paragraphs of prose per narrative section
    title_lines: int = 2             # title on one line or agency / title on two
    text_style: str = "cells"
    text_indent: bool = True
    html_style: str = "word"
    image_format: str = "png"
    severity: int = 2


@dataclass
class SynthReport:
    """One generated report: what it prints (``fields``, ``printed``) and how (``layout``)."""

    name: str
    seed: int
    index: int
    agency: str
    year: int
    variant: str                      # "2019", "2021" or "hybrid"
    template: str                     # template of section 二: "2019" or "2021"
    other_split: bool                 # section 三 prints the three 其他处理 sub-rows
    org_subtotal: bool                # section 三 prints a 法人或其他组织 小计 column
    published: str | None
    scale: str                        # "small", "medium", "large": the agency's request volume
    blank_style: str
    fields: dict = field(default_factory=dict)    # key -> int | float | None, as printed
    printed: dict = field(default_factory=dict)   # key -> the cell text printed
    errors: list = field(default_factory=list)    # keys altered on purpose (printed errors)
    checks: list = field(default_factory=list)    # rule ids the printed figures break
    units: dict = field(default_factory=dict)     # key -> unit where it is not the template's
    layout: Layout = field(default_factory=Layout)

    @property
    def keys(self) -> list[str]:
        return spec.expected_keys(self.template, self.other_split, self.org_subtotal)

    @property
    def title(self) -> str:
        return f"{self.agency}{self.year}年政府信息公开工作年度报告"

    def value_text(self, key: str) -> str:
        return self.printed[key]


def rng_for(seed: int, index: int, purpose: str) -> random.Random:
    """The random source of one report and one purpose (string seeds hash with SHA-512)."""
    return random.Random(f"gkreport-synth:{seed}:{index}:{purpose}")


# ---------------------------------------------------------------------------------------------
# Agencies

PROVINCES = ["河北省", "江苏省", "浙江省", "福建省", "山东省", "河南省", "湖南省", "广东省",
             "四川省", "安徽省", "江西省", "湖北省", "陕西省", "云南省", "广西壮族自治区"]
CITIES = ["淮安市", "泉州市", "石家庄市", "南通市", "温州市", "漳州市", "潍坊市", "洛阳市",
          "株洲市", "佛山市", "绵阳市", "芜湖市", "赣州市", "宜昌市", "宝鸡市", "曲靖市",
          "桂林市", "扬州市", "台州市", "莆田市"]
DISTRICTS = ["洪泽区", "丰泽区", "清江浦区", "鹿城区", "芗城区", "奎文区", "涧西区", "荷塘区",
             "南海区", "涪城区", "镜湖区", "章贡区", "西陵区", "渭滨区", "麒麟区", "秀峰区",
             "邗江区", "椒江区", "城厢区", "永安县", "东山县", "平阳县", "桐城市", "安溪县"]
DEPARTMENTS = ["教育局", "财政局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局",
               "卫生健康委员会", "市场监督管理局", "人力资源和社会保障局", "民政局", "公安局",
               "农业农村局", "应急管理局", "司法局", "水利局", "商务局", "文化和旅游局"]
PROVINCE_DEPTS = ["教育厅", "财政厅", "自然资源厅", "生态环境厅", "住房和城乡建设厅",
                  "交通运输厅", "卫生健康委员会", "民政厅", "水利厅", "商务厅"]
TOWNS = ["城关镇", "新城街道", "东湖街道", "高良涧街道", "黄集街道", "三河镇", "岔河镇",
         "西湖街道", "蒋坝镇", "老子山镇"]


def draw_agency(rng: random.Random) -> tuple[str, str]:
    """An agency name and its scale of request volume."""
    kind = rng.choices(["city_gov", "district_gov", "city_dept", "district_dept",
                        "province_dept", "town", "gov_office"],
                       [0.08, 0.22, 0.22, 0.2, 0.08, 0.1, 0.1])[0]
    city, district = rng.choice(CITIES), rng.choice(DISTRICTS)
    if kind == "city_gov":
        return f"{city}人民政府", "large"
    if kind == "district_gov":
        return rng.choice([f"{city}{district}人民政府", f"{district}人民政府"]), "medium"
    if kind == "city_dept":
        return f"{city}{rng.choice(DEPARTMENTS)}", rng.choice(["medium", "small", "large"])
    if kind == "district_dept":
        return f"{city}{district}{rng.choice(DEPARTMENTS)}", "small"
    if kind == "province_dept":
        return f"{rng.choice(PROVINCES)}{rng.choice(PROVINCE_DEPTS)}", "medium"
    if kind == "town":
        return f"{district}{rng.choice(TOWNS)}", "small"
    return f"{city}{district}人民政府办公室", "medium"


# ---------------------------------------------------------------------------------------------
# Figures

def _count(rng: random.Random, mean: float, p_zero: float) -> int:
    """A skewed count: zero with probability ``p_zero``, else lognormal around ``mean``."""
    if mean <= 0 or rng.random() < p_zero:
        return 0
    return max(1, int(round(math.exp(rng.gauss(math.log(mean), 0.8)))))


def _split(rng: random.Random, n: int, weights: dict[str, float]) -> Counter:
    """Distribute ``n`` items over the keys of ``weights`` at random."""
    if n <= 0:
        return Counter()
    keys = list(weights)
    return Counter(rng.choices(keys, [weights[k] for k in keys], k=n))


REQUEST_MEAN = {"small": 3, "medium": 25, "large": 400}
REVIEW_MEAN = {"small": 0.6, "medium": 3, "large": 25}

DISPOSITION_WEIGHTS = {
    "granted": 35, "partly_granted": 8,
    "denied.state_secret": 0.3, "denied.law_prohibited": 0.5, "denied.security_stability": 0.3,
    "denied.third_party": 1.5, "denied.internal_affairs": 1.5, "denied.process_info": 2,
    "denied.enforcement_file": 1, "denied.admin_query": 1,
    "unavailable.not_held": 25, "unavailable.needs_creation": 4, "unavailable.unclear": 3,
    "not_processed.petition": 4, "not_processed.duplicate": 3, "not_processed.publication": 0.8,
    "not_processed.mass_repeat": 0.8, "not_processed.confirmation": 0.8,
    "other.no_correction": 3, "other.no_fee": 0.2, "other.other": 3,
}


def _requests(rng: random.Random, scale: str, other_split: bool) -> dict:
    mean = REQUEST_MEAN[scale]
    col_mean = {"natural_person": mean, "business": mean * 0.12, "research": mean * 0.01,
                "nonprofit": mean * 0.01, "legal_services": mean * 0.03,
                "other_org": mean * 0.04}
    col_zero = {"natural_person": 0.08 if scale != "small" else 0.3, "business": 0.55,
                "research": 0.92, "nonprofit": 0.9, "legal_services": 0.8, "other_org": 0.75}
    # one agency's style: jitter the disposition weights
    weights = {k: w * rng.uniform(0.3, 1.8) for k, w in DISPOSITION_WEIGHTS.items()}
    if not other_split:
        weights["other"] = weights.pop("other.no_correction") + weights.pop(
            "other.no_fee") + weights.pop("other.other")
    rows = spec.request_rows(other_split)
    f: dict[str, int] = {}
    for col in spec.REQUEST_APPLICANT_COLUMNS:
        new = _count(rng, col_mean[col], col_zero[col])
        carried_over = _count(rng, max(new * 0.08, 0.3), 0.6) if new or rng.random() < 0.1 else 0
        avail = new + carried_over
        carried_forward = min(avail, _count(rng, max(avail * 0.06, 0.5), 0.65))
        total = avail - carried_forward
        disp = _split(rng, total, {r: weights[r] for r in rows
                                   if r not in spec.DISPOSITION_EXCLUDED})
        for r in rows:
            if r == "new":
                v = new
            elif r == "carried_over":
                v = carried_over
            elif r == "total":
                v = total
            elif r == "carried_forward":
                v = carried_forward
            else:
                v = disp.get(r, 0)
            f[f"requests.{r}.{col}"] = v
    for r in rows:
        f[f"requests.{r}.total"] = sum(f[f"requests.{r}.{c}"] for c in
                                       spec.REQUEST_APPLICANT_COLUMNS)
        f[f"requests.{r}.org_subtotal"] = sum(f[f"requests.{r}.{c}"] for c in
                                              spec.REQUEST_ORG_COLUMNS)
    return f


def _review(rng: random.Random, scale: str) -> dict:
    f = {}
    mean = REVIEW_MEAN[scale]
    for grp, share, p0 in (("reconsideration", 1.0, 0.5), ("litigation_direct", 0.5, 0.7),
                           ("litigation_after_review", 0.4, 0.75)):
        n = _count(rng, max(mean * share, 0.5), p0)
        parts = _split(rng, n, {"upheld": 6, "corrected": 1.2, "other": 1.0, "pending": 1.5})
        for c in spec.REVIEW_COLUMNS[:-1]:
            f[f"review_litigation.{grp}.{c}"] = parts.get(c, 0)
        f[f"review_litigation.{grp}.total"] = n
    return f


def _amount(rng: random.Random, mean: float, p_zero: float) -> float:
    if rng.random() < p_zero:
        return 0
    v = math.exp(rng.gauss(math.log(mean), 1.3))
    return round(v, rng.choice([2, 2, 2, 1, 4]))


def _proactive(rng: random.Random, template: str, scale: str) -> dict:
    big = {"small": 0.3, "medium": 1.0, "large": 6.0}[scale]
    f: dict = {}
    if template == "2021":
        rules_in_force = _count(rng, 12 * big, 0.75 if scale != "large" else 0.2)
        f["proactive.rules.issued"] = min(rules_in_force, _count(rng, 1.5, 0.7))
        f["proactive.rules.repealed"] = _count(rng, 1, 0.8)
        f["proactive.rules.in_force"] = rules_in_force
        docs = _count(rng, 40 * big, 0.25)
        f["proactive.normative_docs.issued"] = min(docs, _count(rng, 6 * big, 0.35))
        f["proactive.normative_docs.repealed"] = _count(rng, 3 * big, 0.5)
        f["proactive.normative_docs.in_force"] = docs
        f["proactive.licensing.decisions"] = _count(rng, 400 * big, 0.3)
        f["proactive.penalty.decisions"] = _count(rng, 300 * big, 0.3)
        f["proactive.enforcement.decisions"] = _count(rng, 30 * big, 0.45)
        f["proactive.fees.amount"] = _amount(rng, 300 * big, 0.45)
        return f
    for row, mean, p0 in (("rules", 4 * big, 0.7), ("normative_docs", 20 * big, 0.25)):
        made = _count(rng, mean, p0)
        f[f"proactive.{row}.new_made"] = made
        f[f"proactive.{row}.new_published"] = made if rng.random() < 0.85 else max(
            0, made - rng.randint(0, 3))
        f[f"proactive.{row}.total_published"] = made + _count(rng, mean * 3, 0.4)
    for row, mean, p0 in (("licensing", 150 * big, 0.3), ("other_services", 40 * big, 0.5),
                          ("penalty", 200 * big, 0.3), ("enforcement", 20 * big, 0.5)):
        prev = _count(rng, mean * 0.5, p0)
        f[f"proactive.{row}.prev_year_items"] = prev
        ch = 0 if rng.random() < 0.55 else rng.randint(-min(prev, 12), 12)
        f[f"proactive.{row}.change"] = ch
        f[f"proactive.{row}.decisions"] = _count(rng, mean * 2, p0)
    f["proactive.fees.prev_year_items"] = _count(rng, 8 * big, 0.5)
    f["proactive.fees.change"] = 0 if rng.random() < 0.65 else rng.randint(-3, 3)
    items = _count(rng, 30 * big, 0.35)
    f["proactive.procurement.items"] = items
    f["proactive.procurement.amount"] = _amount(rng, 500 * big, 0.0) if items else 0
    return f


ERROR_KINDS = ("request_total", "request_cell", "request_balance", "review_total")


def _add_errors(rng: random.Random, f: dict, keys: list[str]) -> list[str]:
    """Alter one or two printed figures the way real reports get them wrong; the keys altered."""
    altered = []
    for _ in range(rng.choice([1, 1, 1, 2])):
        kind = rng.choice(ERROR_KINDS)
        if kind == "review_total":
            grp = rng.choice(spec.REVIEW_ROWS)
            key = f"review_litigation.{grp}.total"
            old = f[key]
            parts = sum(f[f"review_litigation.{grp}.{c}"] for c in spec.REVIEW_COLUMNS[:-1])
            # a total left at 0 beside non-zero parts (as printed in hongze_2023), or off by one
            f[key] = 0 if parts and rng.random() < 0.6 else parts + rng.choice([1, 2])
        elif kind == "request_total":
            row = rng.choice(["new", "total", "granted", "unavailable.not_held"])
            key = f"requests.{row}.total"
            old = f[key]
            f[key] = max(0, f[key] + rng.choice([-2, -1, 1, 1, 2, 10]))
        elif kind == "request_cell":
            cands = [k for k in keys if k.startswith("requests.") and k.endswith(
                ".natural_person")]
            key = rng.choice(cands)
            old = f[key]
            f[key] = max(0, f[key] + rng.choice([-1, 1, 1, 3]))
        else:
            key = f"requests.carried_forward.{rng.choice(['natural_person', 'total'])}"
            old = f[key]
            f[key] = f[key] + rng.choice([1, 2])
        if f[key] == old:
            f[key] = old + 1                 # an error must change what is printed
        if key not in altered:
            altered.append(key)
    if not spec.broken_rules(f):             # two errors that cancel out: make one stick
        f[altered[0]] += 1
    return altered


def _apply_blanks(rng: random.Random, f: dict, style: str) -> None:
    """Print blanks (None) in place of some zeros, by the report's blank style."""
    if style == "zero":
        return
    for k, v in f.items():
        if v != 0:
            continue
        table, row, col = spec.split_key(k)
        if style in ("blank_all", "dash"):
            f[k] = None
        elif style == "blank_some":
            # sections 二 and 四 and the rarely used organisation columns left empty
            if table != "requests" or col in ("research", "nonprofit", "legal_services"):
                f[k] = None


def _format_value(rng: random.Random, key: str, v, layout: Layout, dash: str) -> str:
    if v is None:
        return dash
    col = spec.split_key(key)[2]
    if isinstance(v, float) or key in spec.DECIMAL_FIELDS:
        if layout.decimals_fixed or isinstance(v, float):
            s = f"{float(v):.{max(2, _decimals(v))}f}" if layout.decimals_fixed else repr(float(v))
            if s.endswith(".0") and not layout.decimals_fixed:
                s = s[:-2]
            if layout.thousands:
                whole, _, frac = s.partition(".")
                s = f"{int(whole):,}" + (f".{frac}" if frac else "")
            return s
    if layout.thousands and abs(v) >= 1000:
        return f"{v:,}"
    if col in spec.SIGNED_COLUMNS and v > 0 and layout.plus_sign:
        return f"+{v}"
    return str(v)


def _decimals(v) -> int:
    s = repr(float(v))
    return len(s.split(".")[1].rstrip("0")) if "." in s else 0


def draw_layout(rng: random.Random, severity: int | None = None) -> Layout:
    body = rng.choices(FONTS, [0.25, 0.5, 0.25])[0]
    table_font = rng.choices(FONTS, [0.3, 0.55, 0.15])[0]
    table_size = rng.choice([8.5, 9.0, 9.5, 10.0, 10.5])
    return Layout(
        body_font=body,
        heading_font=rng.choices(FONTS, [0.7, 0.15, 0.15])[0],
        table_font=table_font,
        digit_font=rng.choices(DIGIT_FONTS, [0.35, 0.45, 0.2])[0],
        body_size=rng.choice([12.0, 13.0, 14.0, 15.0, 16.0]),
        table_size=table_size,
        value_size=table_size + rng.choice([0, 0, 1, 2.5]),
        margin_x=float(rng.randint(56, 95)),
        margin_top=float(rng.randint(56, 90)),
        margin_bottom=float(rng.randint(56, 85)),
        line_spacing=rng.choice([1.5, 1.65, 1.75, 1.9]),
        label_width=rng.uniform(0.44, 0.58),
        ruling=rng.choices(RULINGS, [0.75, 0.15, 0.1])[0],
        shade_headers=rng.random() < 0.45,
        shade_color=rng.choice([(0.86, 0.9, 0.95), (0.85, 0.85, 0.85), (0.93, 0.93, 0.93)]),
        results_label=rng.choices(RESULTS_LABELS, [0.7, 0.3])[0],
        group_style=rng.choices(GROUP_STYLES, [0.8, 0.2])[0],
        numbering=rng.choices(NUMBERINGS, [0.65, 0.15, 0.1, 0.1])[0],
        paren=rng.choices(PARENS, [0.8, 0.2])[0],
        typos=rng.random() < 0.3,
        note_cell=rng.random() < 0.8,
        total_spaced=rng.random() < 0.25,
        repeat_header=rng.random() < 0.35,
        page_numbers=rng.choices(PAGE_NUMBERS, [0.6, 0.15, 0.15, 0.1])[0],
        thousands=rng.random() < 0.08,
        plus_sign=rng.random() < 0.3,
        decimals_fixed=rng.random() < 0.3,
        narrative_paras=rng.randint(1, 4),
        title_lines=rng.choice([1, 2]),
        text_style=rng.choices(TEXT_STYLES, [0.6, 0.4])[0],
        text_indent=rng.random() < 0.6,
        html_style=rng.choices(HTML_STYLES, [0.6, 0.4])[0],
        image_format=rng.choices(IMAGE_FORMATS, [0.5, 0.3, 0.2])[0],
        severity=rng.choices(SEVERITIES, [0.15, 0.3, 0.3, 0.15, 0.1])[0]
        if severity is None else severity,
    )


def make_report(seed: int, index: int = 0, *, variant: str | None = None,
                error_rate: float = 0.15, severity: int | None = None) -> SynthReport:
    """Draw report ``index`` of the run ``seed``. ``variant`` forces 2019/2021/hybrid."""
    if variant is not None and variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    if severity is not None and severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}")
    rng = rng_for(seed, index, "figures")
    variant = variant or rng.choices(list(VARIANT_WEIGHTS), list(VARIANT_WEIGHTS.values()))[0]
    template, other_split = VARIANTS[variant]
    agency, scale = draw_agency(rng)
    if template == "2019":
        year = rng.choice([2019, 2020])
    elif variant == "hybrid":
        year = rng.choice([2021, 2022, 2023])
    else:
        year = rng.choice([2021, 2022, 2023, 2024])
    published = f"{year + 1}-01-{rng.randint(5, 31):02d}" if rng.random() < 0.7 else None
    org_subtotal = rng.random() < 0.15
    keys = spec.expected_keys(template, other_split, org_subtotal)
    full = {}
    full.update(_proactive(rng, template, scale))
    full.update(_requests(rng, scale, other_split))
    full.update(_review(rng, scale))
    f = {k: full[k] for k in keys}
    errors = _add_errors(rng, f, keys) if rng.random() < error_rate else []
    blank_style = rng.choices(BLANK_STYLES, [0.7, 0.12, 0.08, 0.1])[0]
    _apply_blanks(rng, f, blank_style)
    units = {}
    if template == "2019" and rng.random() < 0.3:
        units["proactive.procurement.amount"] = "元"
        v = f["proactive.procurement.amount"]
        if v:
            f["proactive.procurement.amount"] = round(v * 10000, 2)
            if f["proactive.procurement.amount"] == int(f["proactive.procurement.amount"]):
                f["proactive.procurement.amount"] = int(f["proactive.procurement.amount"])
    layout = draw_layout(rng_for(seed, index, "layout"), severity)
    dash = {"dash": rng.choice(["-", "—", "/", "／"]), "blank_all": "",
            "blank_some": ""}.get(blank_style, "")
    fmt_rng = rng_for(seed, index, "format")
    printed = {k: _format_value(fmt_rng, k, v, layout, dash) for k, v in f.items()}
    rep = SynthReport(
        name=f"synth_{seed}_{index:04d}", seed=seed, index=index, agency=agency, year=year,
        variant=variant, template=template, other_split=other_split, org_subtotal=org_subtotal,
        published=published, scale=scale, blank_style=blank_style, fields=f, printed=printed,
        errors=errors, checks=spec.broken_rules(f), units=units, layout=layout)
    return rep


# ---------------------------------------------------------------------------------------------
# Truth

def truth_of(rep: SynthReport) -> dict:
    """The ground-truth record of a generated report (the form of docs/fields.md).

    Beside ``report``, ``fields`` and ``checks`` it carries ``units`` where an amount is printed
    in another unit than the template's, and ``synth``: how it was made (seed, variant, layout),
    which the validator and the tests read and the evaluation ignores.
    """
    t = {
        "report": {"agency": rep.agency, "year": rep.year, "template": rep.template,
                   "published": rep.published},
        "fields": dict(rep.fields),
        "checks": list(rep.checks),
        "ambiguous": [],
    }
    if rep.units:
        t["units"] = dict(rep.units)
    t["synth"] = {
        "generator": GENERATOR, "seed": rep.seed, "index": rep.index, "variant": rep.variant,
        "other_split": rep.other_split, "org_subtotal": rep.org_subtotal, "scale": rep.scale,
        "blank_style": rep.blank_style, "errors": list(rep.errors),
        "layout": asdict(rep.layout),
    }
    return t


def validate_truth(truth: dict) -> list[str]:
    """Problems with a truth record (empty when it is sound).

    Checks the report block, that the key set is exactly the one the template and layout print
    (``extract.spec.expected_keys``; the layout is read from ``synth`` or, failing that, inferred
    from the keys), that values are numbers or null with decimals and signs only where the
    template allows them, and that ``checks`` equals the recomputed rule breaks.
    """
    problems: list[str] = []
    rep = truth.get("report")
    if not isinstance(rep, dict):
        return ["no 'report' object"]
    template = rep.get("template")
    if template not in spec.TEMPLATES:
        problems.append(f"report.template {template!r} is not one of {spec.TEMPLATES}")
        return problems
    if not isinstance(rep.get("agency"), str) or not rep["agency"]:
        problems.append("report.agency missing")
    if not isinstance(rep.get("year"), int) or not 2008 <= rep["year"] <= 2100:
        problems.append(f"report.year {rep.get('year')!r} is not a year")
    fields = truth.get("fields")
    if not isinstance(fields, dict):
        return problems + ["no 'fields' object"]
    meta = truth.get("synth") or {}
    other_split = meta.get("other_split")
    if other_split is None:
        other_split = "requests.other.no_correction.total" in fields
    org_subtotal = meta.get("org_subtotal")
    if org_subtotal is None:
        org_subtotal = "requests.total.org_subtotal" in fields
    expected = spec.expected_keys(template, other_split, org_subtotal)
    missing = [k for k in expected if k not in fields]
    extra = [k for k in fields if k not in set(expected)]
    if missing:
        problems.append(f"{len(missing)} keys missing, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} unexpected keys, e.g. {extra[:3]}")
    for k, v in fields.items():
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            problems.append(f"{k}: value {v!r} is not a number or null")
            continue
        if isinstance(v, float) and k not in spec.DECIMAL_FIELDS and v != int(v):
            problems.append(f"{k}: decimal {v} where the template prints whole numbers")
        if v < 0 and spec.split_key(k)[2] not in spec.SIGNED_COLUMNS:
            problems.append(f"{k}: negative {v} where the template prints no sign")
    checks = truth.get("checks", [])
    recomputed = spec.broken_rules(fields)
    if sorted(checks) != sorted(recomputed):
        problems.append(f"checks {checks} differ from the recomputed rule breaks {recomputed}")
    return problems


def printed_matches(rep: SynthReport) -> list[str]:
    """Keys whose printed text does not parse back to the truth value (should be none)."""
    bad = []
    for k, v in rep.fields.items():
        try:
            got = parse_number(rep.printed[k])
        except ValueError:
            bad.append(k)
            continue
        if (got is None) != (v is None) or (got is not None and abs(got - v) > 1e-9):
            bad.append(k)
    return bad
