"""Report metadata from the document's text: title, agency, year covered, publication date.

An ingester may put hints in ``Document.meta`` (``title``, ``published``, ``agency``, ``year``),
read from a web page's own fields; they win over what is found in the text.
"""

from __future__ import annotations

import re

from .model import Document, Record

TITLE_RE = re.compile(
    r"(?P<agency>[\u4e00-\u9fa5（）()·]{2,40}?)\s*(?P<year>(?:19|20)\d{2})\s*年\s*度?\s*"
    r"(?:政府)?信息公开(?:工作)?年度?报告")
LEAD_WORDS = re.compile(r"^(?:标题|发布|关于|现将|印发|公布|转发|的)+")
PERIOD_RE = re.compile(r"统计期限自\s*((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
DATE_LABELS = ("成文日期", "公文生成日期", "生成日期", "发文日期", "发布日期", "发布时间",
               "时间", "日期")
DATE_RE = r"[:：]?\s*((?:19|20)\d{2})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})"
PREFIX_RE = re.compile(r"([\u4e00-\u9fa5]{1,8}?(?:省|市|自治区|自治州|州|盟|地区))$")


def report_metadata(doc: Document, record: Record) -> dict:
    text = doc.text or ""
    hints = doc.meta or {}
    head = _squash(text[:3000])
    title = hints.get("title")
    agency = hints.get("agency")
    year = hints.get("year")
    m = TITLE_RE.search(_squash(title)) if title else None
    if m is None:
        m = TITLE_RE.search(head)
    if m:
        agency = agency or LEAD_WORDS.sub("", m.group("agency"))
        year = year or int(m.group("year"))
        title = title or m.group(0)
    if agency:
        agency = _full_agency_name(agency, _squash(text))
    if year is None:
        p = PERIOD_RE.search(_squash(text))
        if p:
            year = int(p.group(1))
    published = hints.get("published") or find_published(text)
    report = {"agency": agency, "year": year, "template": record.report.get("template"),
              "published": published, "title": title}
    return report


def _squash(text: str | None) -> str:
    return re.sub(r"[ \t\u3000\r\n]+", "", text or "")


def _full_agency_name(agency: str, text: str) -> str:
    """Prefix the city or province printed before the agency's own place name elsewhere in the
    text (洪泽区人民政府 -> 淮安市洪泽区人民政府)."""
    unit = re.match(r"^[\u4e00-\u9fa5]{2,6}?(?:区|县|旗|市)", agency)
    if not unit or agency.startswith(tuple(PROVINCES)):
        return agency
    befores = [text[max(0, m.start() - 8):m.start()]
               for m in re.finditer(re.escape(unit.group(0)), text)]
    befores = [b for b in befores if b.endswith(("市", "省", "州", "盟"))]
    # the most frequent name of 2-3 characters + 市/省/州/盟 printed before it, at least twice
    # (OCR may misread one occurrence: 准安市 beside 淮安市 twice)
    best = ""
    for n in (4, 3):
        counts: dict[str, int] = {}
        for b in befores:
            if len(b) >= n:
                counts[b[-n:]] = counts.get(b[-n:], 0) + 1
        if counts:
            cand, k = max(counts.items(), key=lambda kv: kv[1])
            if k >= 2 and k * 2 > len(befores) and not best:
                best = cand
    return best + agency if best else agency


PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏",
             "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南",
             "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏",
             "宁夏", "新疆", "香港", "澳门")


def find_published(text: str) -> str | None:
    for label in DATE_LABELS:
        m = re.search(re.escape(label) + DATE_RE, text[:5000])
        if m:
            y, mo, d = m.groups()
            return f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
    return None
