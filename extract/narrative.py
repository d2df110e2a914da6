"""The figures the prose states, cross-checked against the tables: a second, independent witness.

Reports repeat some table figures in their prose ("2023年度，共收到政府信息公开申请25件，其中网络
申请7件，信函申请19件"). This stage finds them with spaCy rule matchers over a blank Chinese
pipeline (``spacy.blank("zh")``, no downloaded model) and reports every disagreement as an issue of
kind ``narrative`` with the sentence and its page:

- with the table (the prose says 25 applications were received, the table's 本年新收 总计 says 26);
- inside the prose (25 received, "其中" parts 7 + 19 = 26).

Figures found (``FIGURES``): applications received, handled, carried over and carried forward,
applicants by type, parts by channel; normative documents issued, repealed and in force;
administrative reconsideration and litigation cases, including "未发生…行政复议和行政诉讼" (0).

The text is tokenised by ``ReportTokenizer``: digit runs and Chinese numerals stay whole, the
words of ``LEXICON`` are single tokens, every other character is a token of its own. The
``Matcher`` patterns (``PATTERNS``) then read like the sentences they match. A figure must carry a
count unit (件, 个, 起, 宗, 份, 项); approximate figures (1000多条, 约…) are skipped, and so are
digit runs inside tables printed in the text (they carry no unit).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .model import Document, Issue, Record
from .options import Options

UNITS = ["件", "个", "起", "宗", "份", "项", "例", "次"]
CASE_UNITS = ["件", "起", "宗", "例", "个", "次"]
NUM = r"^(\d{1,7}|[零〇一二两三四五六七八九十百千]{1,6})$"

RECEIVE = ["收到", "受理", "新收", "接收", "接到", "收悉", "新增"]
HANDLE = ["办理", "办结", "答复", "处理", "完成"]
CHANNELS = ["网络", "网上", "在线", "网站", "政府网站", "信函", "邮寄", "当面", "现场", "传真",
            "电子邮件", "电子邮箱", "邮件", "电话", "来信", "来访", "窗口"]
NATURAL = ["自然人"]
ORGS = ["法人或其他组织", "法人和其他组织", "法人", "其他组织"]
ISSUE_VERBS = ["新增", "制发", "印发", "出台", "制定", "新制定", "新出台", "新制发", "新制作"]
REPEAL = ["废止", "宣布失效", "失效"]
IN_FORCE = ["现行有效", "保留", "继续有效"]
RECON = ["行政复议"]
LITIG = ["行政诉讼"]
NEGATION = ["未发生", "没有发生", "未出现", "未收到", "未有", "没有", "无", "未"]
CARRIED_OVER = ["上年结转", "上年度结转", "上一年度结转", "上年转入"]
CARRIED_FORWARD = ["结转下年度", "结转下一年度", "结转至下年度", "结转至下一年度", "结转到下年度",
                   "结转至下年", "结转下年", "转入下年度"]
DOC_WORDS = ["行政规范性文件", "规范性文件"]
APPLY = ["申请", "依申请", "依申请公开"]
APPROX_AFTER = ("多", "余", "以上", "左右")
APPROX_BEFORE = ("约", "近", "逾", "超过", "将近", "大约")

LEXICON = sorted(set(
    RECEIVE + HANDLE + CHANNELS + NATURAL + ORGS + ISSUE_VERBS + REPEAL + IN_FORCE + RECON
    + LITIG + NEGATION + CARRIED_OVER + CARRIED_FORWARD + DOC_WORDS + APPLY
    + ["政府信息公开", "信息公开", "其中", "共计", "合计", "累计", "共", "规章", "继续办理",
       "被申请", "提起", "发生", "引起", "涉及"] + list(APPROX_AFTER) + list(APPROX_BEFORE)),
    key=len, reverse=True)

_FILL = {"TEXT": {"REGEX": r"^[^，,。；;：:！？!?\d零〇一二两三四五六七八九十百千]+$"}}


def _filler(n: int) -> dict:
    return dict(_FILL, OP=f"{{0,{n}}}")


def _num() -> dict:
    return {"TEXT": {"REGEX": NUM}}


def _in(words) -> dict:
    return {"TEXT": {"IN": list(words)}}


# figure kind -> Matcher patterns. The number token is found in the match by position (the
# first number token after the last keyword), see ``_value_in``.
PATTERNS: dict[str, list[list[dict]]] = {
    "received": [
        [_in(RECEIVE), _filler(8), _in(APPLY), _filler(3), _num(), _in(UNITS)],
        [_in(RECEIVE), _num(), _in(UNITS), _filler(8), _in(APPLY)],
    ],
    "handled": [
        [_in(HANDLE), _filler(8), _in(APPLY), _filler(3), _num(), _in(UNITS)],
        [_in(HANDLE), _filler(2), _in(APPLY + ["政府信息公开", "信息公开"]), _filler(8), _num(),
         _in(UNITS)],
    ],
    "carried_over": [[_in(CARRIED_OVER), _filler(8), _num(), _in(UNITS)]],
    "carried_forward": [[_in(CARRIED_FORWARD), _filler(6), _num(), _in(UNITS)]],
    "channel": [[_in(CHANNELS), _filler(4), _num(), _in(UNITS)]],
    "natural_person": [[_in(NATURAL), _filler(4), _num(), _in(UNITS)]],
    "organisation": [[_in(ORGS), _filler(4), _num(), _in(UNITS)]],
    "docs_issued": [
        [_in(ISSUE_VERBS), _filler(6), _in(DOC_WORDS), _filler(2), _num(), _in(UNITS)],
        [_in(ISSUE_VERBS), _filler(3), _num(), _in(UNITS), _filler(2), _in(DOC_WORDS)],
    ],
    "docs_repealed": [[_in(REPEAL), _filler(6), _num(), _in(UNITS)]],
    "docs_in_force": [[_in(IN_FORCE), _filler(8), _num(), _in(UNITS)]],
    "reconsideration": [
        [_in(RECON), _filler(4), _num(), _in(CASE_UNITS)],
        [_num(), _in(CASE_UNITS), _filler(4), _in(RECON)],
    ],
    "litigation": [
        [_in(LITIG), _filler(4), _num(), _in(CASE_UNITS)],
        [_num(), _in(CASE_UNITS), _filler(4), _in(LITIG)],
    ],
    "no_review": [[_in(NEGATION), _filler(12), _in(RECON + LITIG)]],
}

FIGURES = {
    "received": "applications received",
    "handled": "applications handled",
    "carried_over": "applications carried over from last year",
    "carried_forward": "applications carried forward to next year",
    "natural_person": "applications from natural persons",
    "organisation": "applications from legal persons and other organisations",
    "channel": "applications by channel",
    "docs_issued": "normative documents issued",
    "docs_repealed": "normative documents repealed",
    "docs_in_force": "normative documents in force",
    "reconsideration": "administrative reconsideration cases",
    "litigation": "administrative litigation cases",
}

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def cn_to_int(text: str) -> int | None:
    """``25`` -> 25, ``二十五`` -> 25, ``十二`` -> 12, ``两`` -> 2; None if not a number."""
    if text.isdigit():
        return int(text)
    total, cur = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            cur = cur * 10 + _CN_DIGITS[ch] if cur else _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (cur or 1) * _CN_UNITS[ch]
            cur = 0
        else:
            return None
    return total + cur


@dataclass(frozen=True)
class Figure:
    """One figure the prose states. ``start``/``end`` are offsets into the prose text."""

    kind: str
    value: int
    sentence: str
    page: int | None
    start: int
    end: int
    text: str               # the words matched, e.g. 共收到政府信息公开申请25件
    word: str = ""          # the keyword (channel name, verb)


class ReportTokenizer:
    """A tokenizer for ``spacy.blank("zh")``: digit runs and Chinese numerals whole, words of
    ``LEXICON`` whole (longest first), every other character alone."""

    _run = re.compile(r"\d+|[零〇一二两三四五六七八九十百千]+|\s+|[A-Za-z]+")

    def __init__(self, vocab, lexicon=LEXICON):
        self.vocab = vocab
        self.lexicon = set(lexicon)
        self.maxlen = max(map(len, lexicon))

    def __call__(self, text: str):
        from spacy.tokens import Doc

        words: list[str] = []
        i, n = 0, len(text)
        while i < n:
            hit = next((text[i:i + k] for k in range(min(self.maxlen, n - i), 1, -1)
                        if text[i:i + k] in self.lexicon), None)
            if hit is None:
                m = self._run.match(text, i)
                hit = m.group(0) if m else text[i]
            words.append(hit)
            i += len(hit)
        return Doc(self.vocab, words=words, spaces=[False] * len(words))


@lru_cache(maxsize=1)
def _pipeline():
    import spacy
    from spacy.matcher import Matcher

    nlp = spacy.blank("zh")
    nlp.tokenizer = ReportTokenizer(nlp.vocab)
    matcher = Matcher(nlp.vocab)
    for kind, pats in PATTERNS.items():
        matcher.add(kind, pats)
    return nlp, matcher


# --- the prose: one string with page offsets ---------------------------------------------------

# Full-width digits, letters and the ideographic space to ASCII; punctuation is kept as printed.
_HALF_WIDTH = {c: unicodedata.normalize("NFKC", chr(c)) for c in range(0xFF10, 0xFF5B)
               if unicodedata.normalize("NFKC", chr(c)).isalnum()}
_HALF_WIDTH[0x3000] = " "
_FOOTER = re.compile(r"^\s*[-－—–]?\s*\d{1,3}\s*[-－—–]?\s*$")
_SENTENCE_END = "。！？；!?;"


def prose_of(doc: Document) -> tuple[str, list[tuple[int, int]]]:
    """The document's prose as one string, wrapped lines joined, spaces between CJK removed;
    with (offset, page) marks where each page starts (page None for unpaged input)."""
    pages = [(i + 1, t) for i, t in enumerate(doc.page_texts)] if doc.page_texts \
        else [(None, doc.text or "")]
    out: list[str] = []
    marks: list[tuple[int, int]] = []
    length = 0
    for page, text in pages:
        marks.append((length, page))
        for line in text.translate(_HALF_WIDTH).splitlines():
            if _FOOTER.match(line):
                continue
            line = _squeeze(line.strip())
            if not line:
                continue
            prev = out[-1][-1:] if out else ""
            sep = " " if prev.isascii() and prev.isalnum() and line[0].isascii() \
                and line[0].isalnum() else ""
            if prev and prev not in _SENTENCE_END and _looks_like_heading(out[-1]):
                sep = "。"            # a heading line ends a sentence
            out.append(sep + line)
            length += len(sep) + len(line)
    return "".join(out), marks


def _looks_like_heading(line: str) -> bool:
    """``一、总体情况``, ``（二）依申请公开情况``: a short numbered line without punctuation."""
    return bool(re.match(r"^[。]?[（(]?[一二三四五六七八九十]+[）)、.]", line)) and \
        len(line) < 30 and not re.search(r"[，,。；;：:]", line[1:])


def _squeeze(line: str) -> str:
    """Drop spaces except between two ASCII letters/digits (``2023 年`` -> ``2023年``)."""
    return re.sub(r"(?<![A-Za-z0-9])\s+|\s+(?![A-Za-z0-9])", "", line)


def _page_at(marks, offset):
    page = None
    for start, p in marks:
        if start <= offset:
            page = p
    return page


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    s = max(text.rfind(ch, 0, start) for ch in "。！？!?") + 1
    e = min([i for i in (text.find(ch, end) for ch in "。！？!?") if i >= 0] or [len(text)])
    if e - s > 240:                                   # a run-on (a table printed as text)
        s, e = max(s, start - 80), min(e, end + 80)
    return s, min(e + 1, len(text))


def extract_figures(doc: Document) -> list[Figure]:
    """Every figure the prose states, in reading order."""
    text, marks = prose_of(doc)
    if not text:
        return []
    nlp, matcher = _pipeline()
    claims: dict[int, tuple[int, Figure]] = {}       # number token -> (rank, figure)
    zeros: dict[tuple[str, int], Figure] = {}
    # spaCy refuses texts over nlp.max_length (and its memory grows with the text): the prose is
    # read in chunks that end at a sentence end
    for base, chunk in _chunks(text, CHUNK_CHARS):
        sdoc = nlp(chunk)
        for match_id, s, e in matcher(sdoc):
            kind = nlp.vocab.strings[match_id]
            span = sdoc[s:e]
            start, end = base + span.start_char, base + span.end_char
            if kind == "no_review":
                for tok in span:
                    if tok.text in RECON + LITIG:
                        k = "reconsideration" if tok.text in RECON else "litigation"
                        zeros.setdefault((k, base + tok.idx), _figure(
                            k, 0, text, marks, start, base + tok.idx + len(tok), span[0].text))
                continue
            num = _value_token(span, kind)
            if num is None or _approximate(sdoc, num):
                continue
            value = cn_to_int(num.text)
            if value is None:
                continue
            fig = _figure(kind, value, text, marks, start, end, span[0].text)
            rank = _RANK.index(kind)
            old = claims.get(base + num.idx)
            # the same number claimed twice: the more specific kind wins, then the shorter match
            if old is None or (rank, len(fig.text)) < (old[0], len(old[1].text)):
                claims[base + num.idx] = (rank, fig)
    # documents: only in a sentence about normative documents (废止 alone may be about 规章)
    figs = [f for _, f in claims.values()
            if not (f.kind.startswith("docs_") and "规范性文件" not in f.sentence)]
    # a zero ("未发生…行政复议") only where no number is stated for the same sentence and kind
    stated = {(f.kind, f.sentence) for f in figs}
    figs += [f for f in zeros.values() if (f.kind, f.sentence) not in stated]
    return sorted(figs, key=lambda f: (f.start, f.kind))


CHUNK_CHARS = 100_000


def _chunks(text: str, size: int):
    """(offset, piece) of ``text`` in pieces of at most ``size`` characters, cut after a sentence
    end (。！？ or a line break) where there is one."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max(text.rfind(ch, start, end) for ch in "。！？\n")
            if cut > start:
                end = cut + 1
        yield start, text[start:end]
        start = end


# Most specific first: a number matched as a channel part and as "received" is a channel part.
_RANK = ["carried_over", "carried_forward", "channel", "natural_person", "organisation",
         "docs_repealed", "docs_in_force", "docs_issued", "reconsideration", "litigation",
         "received", "handled"]


def _value_token(span, kind):
    nums = [t for t in span if re.match(NUM, t.text)]
    if not nums:
        return None
    return nums[0] if re.match(NUM, span[0].text) else nums[-1]


def _approximate(sdoc, tok) -> bool:
    after = sdoc[tok.i + 1:tok.i + 3].text
    before = sdoc[tok.i - 1].text if tok.i else ""
    return any(after[1:].startswith(a) or after.startswith(a) for a in APPROX_AFTER) or \
        before in APPROX_BEFORE


def _figure(kind, value, text, marks, start, end, word) -> Figure:
    s, e = _sentence_bounds(text, start, end)
    return Figure(kind, value, text[s:e].strip(), _page_at(marks, start), start, end,
                  text[start:end], word)


# --- cross-check ---------------------------------------------------------------------------------

def table_fields(kind: str, record: Record) -> list[list[str]]:
    """The table fields a figure kind states, as alternatives (each a list summed)."""
    template = (record.report or {}).get("template") or (
        "2019" if "proactive.normative_docs.new_made" in record.fields else "2021")
    orgs = [f"requests.new.{c}" for c in ("business", "research", "nonprofit", "legal_services",
                                          "other_org")]
    table = {
        "received": [["requests.new.total"]],
        "handled": [["requests.total.total"], ["requests.new.total"]],
        "carried_over": [["requests.carried_over.total"]],
        "carried_forward": [["requests.carried_forward.total"]],
        "natural_person": [["requests.new.natural_person"]],
        "organisation": [orgs],
        "docs_issued": [["proactive.normative_docs.issued" if template == "2021"
                         else "proactive.normative_docs.new_made"]],
        "docs_repealed": [["proactive.normative_docs.repealed"]] if template == "2021" else [],
        "docs_in_force": [["proactive.normative_docs.in_force"]] if template == "2021" else [],
        "reconsideration": [["review_litigation.reconsideration.total"]],
        "litigation": [["review_litigation.litigation_direct.total",
                        "review_litigation.litigation_after_review.total"]],
    }.get(kind, [])
    return [alt for alt in table if all(k in record.fields for k in alt)]


def cross_check_figures(figures: list[Figure], record: Record) -> list[Issue]:
    issues: list[Issue] = []
    seen: set[tuple] = set()
    for f in figures:
        alts = table_fields(f.kind, record)
        if not alts:
            continue
        sums = [sum(record.fields[k] or 0 for k in alt) for alt in alts]
        if f.value in sums or (f.kind, f.value, f.sentence) in seen:
            continue
        seen.add((f.kind, f.value, f.sentence))
        keys, table_value = alts[0], sums[0]
        where = " + ".join(keys)
        issues.append(Issue(
            "narrative", f"the prose states {FIGURES[f.kind]} = {f.value} ({f.text}); the table "
            f"says {where} = {table_value}", fields=list(keys), page=f.page, stage="narrative",
            extra={"figure": f.kind, "stated": f.value, "table": table_value,
                   "sentence": f.sentence}))
    issues += internal_issues(figures)
    return issues


def internal_issues(figures: list[Figure]) -> list[Issue]:
    """A total stated with "其中" parts that do not add up to it (inside one sentence)."""
    out = []
    by_sentence: dict[tuple, list[Figure]] = {}
    for f in figures:
        by_sentence.setdefault((f.page, f.sentence), []).append(f)
    for (page, sentence), figs in by_sentence.items():
        totals = [f for f in figs if f.kind in ("received", "handled")]
        if not totals or "其中" not in sentence:
            continue
        total = totals[0]
        after = sentence.find("其中")
        for group in (("channel",), ("natural_person", "organisation")):
            parts = [f for f in figs if f.kind in group and f.start > total.end
                     and sentence.find(f.text) >= after]
            if len(parts) < 2:
                continue
            s = sum(p.value for p in parts)
            if s != total.value:
                terms = " + ".join(f"{p.text} ({p.value})" for p in parts)
                out.append(Issue(
                    "narrative", f"the prose contradicts itself: {FIGURES[total.kind]} = "
                    f"{total.value} ({total.text}), but its parts {terms} = {s}", fields=[],
                    page=page, stage="narrative",
                    extra={"figure": total.kind, "stated": total.value, "parts": s,
                           "sentence": sentence}))
    return out


def cross_check(doc: Document, record: Record, options: Options) -> None:
    """The pipeline stage: add ``narrative`` issues to ``record``."""
    if options.tables_only or not record.fields:
        return
    record.issues.extend(cross_check_figures(extract_figures(doc), record))
