"""Rebuild the statistical tables' grids from scraped text (a stream of cells).

A scraped page keeps the table cells in reading order but loses the table: every cell on a line of
its own (blank lines standing for separators, or for blank cells), several cells on a line
separated by spaces, or a whole row glued into one run of digits ("规范性文件898989"). This module
turns such a text back into ``Grid``s that the shared ``extract.assemble`` stage reads like any
other table. It never maps labels to field keys for the record; it uses the label classifier only
to tell column headers from row labels and the template's column structure (``extract.spec``) to
lay the headers out and to know how many cells a glued row holds.

Stages (each a small function):

    text_to_sections     the regions after 二、/三、/四、 headings
    region_to_tokens     lines -> labels, value runs, blank cells (blank-line periods decoded)
    split_labels         wrapped header lines joined, glued labels cut (template lexicon)
    tokens_to_rows       label runs -> header blocks and rows (label chain + values)
    rows_to_grid         header layout from the template's column tree, label chain levels from
                         the numbering (一、 / （一） / 1.), glued runs split by the arithmetic
                         (``extract.digitruns``)

``debug_rows(text)`` prints the intermediate rows, for looking at a new scrape.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from . import digitruns, numbers, spec
from .classifier import LabelInput, load_default
from .model import Cell, Grid, Issue

# ---------------------------------------------------------------------------------------------
# Sections

SECTION_HEADINGS = {
    "二": re.compile(r"二\s*[、.．,，]\s*主动公开(?:政府)?信息(?:情况)?"),
    "三": re.compile(r"三\s*[、.．,，]\s*收到和处理(?:政府)?信息公开申请(?:情况)?"),
    # (no digits or 、 before 行政复议: in glued text the row 四、结转下年度继续办理11 runs into the
    # heading 四、政府信息公开行政复议…)
    "四": re.compile(r"四\s*[、.．,，]\s*[^。\n、\d]{0,20}?行政复议[^。\n]{0,12}?行政诉讼(?:的)?"
                    r"(?:情况)?"),
}
END_HEADING = re.compile(r"五\s*[、.．,，]\s*[^\d\s]{0,4}(?:存在的?主要问题|存在问题|主要问题|问题)")


def text_to_sections(text: str) -> list[tuple[str, int, int]]:
    """(section, start, end) of each table region: from the end of its heading to the next."""
    found = []
    pos = 0
    for sec in ("二", "三", "四"):
        m = SECTION_HEADINGS[sec].search(text, pos)
        if m is None:
            continue
        found.append((sec, m.start(), m.end()))
        pos = m.end()
    out = []
    for i, (sec, _, end) in enumerate(found):
        if i + 1 < len(found):
            stop = found[i + 1][1]
        else:
            m = END_HEADING.search(text, end)
            stop = m.start() if m else len(text)
        # the indentation of the next heading's line belongs to the heading
        while stop > end and text[stop - 1] in " \t\u3000\xa0":
            stop -= 1
        out.append((sec, end, stop))
    return out


# ---------------------------------------------------------------------------------------------
# Tokens


@dataclass
class Tok:
    """``kind``: ``label``, ``value`` (a run of digits, maybe several cells), ``blank`` (a blank
    cell), or ``break`` (an end of row marked by the layout). ``start``/``end`` are offsets in the
    document text; ``cut_after`` says a label may end here (a line or cell boundary)."""

    kind: str
    text: str
    start: int
    end: int


NUM = r"[+-]?\d+(?:[.,]\d+)*(?:万元|元)?"
BLANK_MARKS = r"(?:[/／—–]|-(?!\d))+"     # printed blanks run into the values: 136/141, 10 / / 1
RUN_RE = re.compile(rf"(?:{NUM}|{BLANK_MARKS})(?:[ \t\u3000\xa0]*(?:{NUM}|{BLANK_MARKS}))*")
NUMBERING_TAIL = re.compile(r"(\d{1,2})[.．、]$")


@lru_cache(maxsize=1)
def _marks_in_labels() -> re.Pattern | None:
    """The template's labels that print a blank mark themselves (本年增/减)."""
    words = [w for w in lexicon() if any(ch in w for ch in digitruns.NULL_CHARS)]
    if not words:
        return None
    alts = ["".join("[/／]" if ch == "/" else re.escape(ch) for ch in w) for w in words]
    return re.compile("|".join(alts))


def line_to_tokens(line: str, base: int) -> list[Tok]:
    """One line -> label and value tokens. Digits followed by ``.``/``、`` and a label are the
    label's numbering (``00000002.其他…`` is ``0000000`` then ``2.其他…``). Blank marks (``/``,
    ``—``) are values, except inside a label of the template that prints one (本年增/减)."""
    toks: list[Tok] = []
    i = 0
    masked = line
    pat = _marks_in_labels()
    if pat is not None and any(ch in line for ch in digitruns.NULL_CHARS):
        masked = pat.sub(lambda m: "字" * len(m.group(0)), line)
    for m in RUN_RE.finditer(masked):
        s, e = m.start(), m.end()
        run = m.group(0)
        after = line[e:e + 1]
        # numbering: "2." or "2、" followed by a non-digit label character
        nm = re.match(r"[.．、]", after)
        if nm and e + 1 < len(line) and not line[e + 1].isdigit():
            # the run's last digit(s) number the next label
            digits = re.search(r"\d+$", run)
            if digits:
                cut = e - min(len(digits.group(0)), 1 if len(run) > 1 else 2)
                if run[:cut - s].strip():
                    if s > i:
                        toks.append(Tok("label", line[i:s], base + i, base + s))
                    toks.append(Tok("value", line[s:cut].rstrip(), base + s,
                                    base + s + len(line[s:cut].rstrip())))
                    i = cut
                continue
        # a number inside a label (第1项, 2019年) is part of the label
        before = line[s - 1:s] if s > 0 else ""
        if before and re.match(r"[第至年月日期号—\-~～]", before) and not after.strip() == "":
            if re.match(r"[年月日项条号期次]", after or " "):
                continue
        if after == "年":
            # a glued row's digits run into the year of the prose after the table
            # ("0001100000000002023年，因…"): the last four digits are the year
            y = re.search(r"(?:19|20)\d\d$", run)
            if y and run[:y.start()].strip():
                cut = s + y.start()
                if s > i:
                    toks.append(Tok("label", line[i:s], base + i, base + s))
                value = line[s:cut].rstrip()
                toks.append(Tok("value", value, base + s, base + s + len(value)))
                i = cut
                continue
        if re.match(r"[年月日号项条%％]", after):
            continue
        # numbering in brackets, （1）属于国家秘密, is part of the label
        if before and before in "（(" and after and after in "）)":
            continue
        if s > i:
            toks.append(Tok("label", line[i:s], base + i, base + s))
        toks.append(Tok("value", run, base + s, base + e))
        i = e
    if i < len(line):
        toks.append(Tok("label", line[i:], base + i, base + len(line)))
    # strip labels; drop empty ones
    out = []
    for t in toks:
        if t.kind == "label":
            stripped = t.text.strip()
            if not stripped:
                continue
            lead = len(t.text) - len(t.text.lstrip())
            t = Tok("label", stripped, t.start + lead, t.start + lead + len(stripped))
        out.append(t)
    return out


def region_to_tokens(text: str, start: int, end: int) -> list[Tok]:
    """The tokens of a table region. Blank lines are decoded by their period: the most common gap
    ``g`` between cells, ``g + 1`` lines more per blank cell, and a fixed extra gap at ends of
    rows (``break``). When separators are empty lines, a line of only spaces is a blank cell."""
    region = text[start:end]
    lines = []
    pos = start
    for raw in region.split("\n"):
        lines.append((pos, raw))
        pos += len(raw) + 1
    has_empty = any(raw == "" for _, raw in lines)

    def is_content(raw):
        return raw.strip() != "" or (has_empty and raw != "" and raw.strip("\r") != "")

    content = [i for i, (_, raw) in enumerate(lines) if is_content(raw)]
    if not content:
        return []
    gaps = [content[k + 1] - content[k] - 1 for k in range(len(content) - 1)]
    g = Counter(gaps).most_common(1)[0][0] if len(gaps) >= 4 else 0
    residues = Counter((n - g) % (g + 1) for n in gaps if n > g and (n - g) % (g + 1))
    r = residues.most_common(1)[0][0] if residues else None

    toks: list[Tok] = []
    prev_label_line = None
    for idx, li in enumerate(content):
        off, raw = lines[li]
        if idx > 0:
            n = gaps[idx - 1]
            if g and n < g and prev_label_line is not None and raw.strip() and \
                    toks and toks[-1].kind == "label" and not RUN_RE.fullmatch(raw.strip()):
                # a wrapped line of the same cell (no separator between them)
                lt = toks[-1]
                add = raw.strip()
                lead = len(raw) - len(raw.lstrip())
                toks[-1] = Tok("label", lt.text + add, lt.start, off + lead + len(add))
                continue
            if g and n > g:
                k, brk = _decode_gap(n, g, r)
                # blank cells after a label open the next row; after a value they end this one
                after_label = bool(toks) and toks[-1].kind == "label"
                if brk and after_label:
                    toks.append(Tok("break", "", off, off))
                for _ in range(k):
                    toks.append(Tok("blank", "", off, off))
                if brk and not after_label:
                    toks.append(Tok("break", "", off, off))
        if raw.strip() == "":
            toks.append(Tok("blank", "", off, off))
            prev_label_line = None
            continue
        if numbers.is_null_text(raw.strip()) and not glued_line(raw):
            # a printed dash or slash (—, ／, 无): a value cell that reads as null
            lead = len(raw) - len(raw.lstrip())
            toks.append(Tok("value", raw.strip(), off + lead, off + lead + len(raw.strip())))
            prev_label_line = None
            continue
        line_toks = line_to_tokens(raw, off)
        toks.extend(line_toks)
        prev_label_line = li if line_toks and line_toks[-1].kind == "label" else None
    # blank cells at the very end of the region (before the next heading's line), after a value
    # or after a row label whose cells are all blank (the table's last row: 政府集中采购 with its
    # two blank cells), decoded by the same period as the gaps between cells
    n_tail = (len(lines) - 1) - content[-1] - 1
    if g and n_tail > g and toks:
        k, _ = _decode_gap(n_tail, g, r)
        off = lines[-1][0]
        toks.extend(Tok("blank", "", off, off) for _ in range(k))
    return drop_prose(toks)


_COUNTER = re.compile(r"[件条个项次人家篇期场份批宗]")


def _depth0(text: str, chars: str) -> list[int]:
    """Positions of ``chars`` in ``text`` outside brackets."""
    out, depth = [], 0
    for k, ch in enumerate(text):
        if ch in "（(【[":
            depth += 1
        elif ch in "）)】]":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in chars:
            out.append(k)
    return out


def _known_label(text: str) -> bool:
    """The text is one of the template's labels (numbering allowed in front)."""
    n, _ = _norm(text)
    m = _NUMBERING.match(n)
    if m:
        n = n[m.end():]
    return n in _lexicon_set() or bool(_ARTICLE.fullmatch(n) or _NOTE.fullmatch(n))


@lru_cache(maxsize=1)
def _lexicon_set() -> frozenset:
    return frozenset(lexicon())


def drop_prose(toks: list[Tok]) -> list[Tok]:
    """Remove the sentences of prose that a table region holds (the sentence after section 四's
    table: "2023年，因政府信息公开被申请行政复议1件，被提起行政诉讼0件。"). A sentence ends with a
    full stop outside brackets; going back from it, a value and the label before it belong to
    the sentence while the value is followed by a counter (1件) or the label reads as a clause
    (a comma outside brackets). No table cell holds a full stop; a label after one is kept."""
    out: list[Tok] = []
    for t in toks:
        stops = _depth0(t.text, "。") if t.kind == "label" else []
        if not stops:
            out.append(t)
            continue
        p = stops[-1]
        after = t.text[:p + 1]
        k = len(out)
        while k >= 2 and out[k - 1].kind == "value" and out[k - 2].kind == "label" and (
                _COUNTER.match(after) or _depth0(out[k - 2].text, "，；")):
            after = out[k - 2].text
            k -= 2
        if k < len(out):
            # the sentence's first label may start with the table's own labels (glued text:
            # "…尚未审结总计2023年，因…"): those stay, up to the first text the template lacks
            first = out[k]
            segs = split_labels([first], glued=True)
            known = 0
            while known < len(segs) and _known_label(segs[known].text):
                known += 1
            del out[k:]
            if known:
                out.append(Tok("label", first.text[:segs[known - 1].end - first.start],
                               first.start, segs[known - 1].end))
        rest = t.text[p + 1:]
        if rest.strip():
            lead = len(rest) - len(rest.lstrip())
            r = rest.strip()
            start = t.start + p + 1 + lead
            out.append(Tok("label", r, start, start + len(r)))
    return out


def glued_line(raw: str) -> bool:
    return len(raw.strip()) > 3


def _decode_gap(n: int, g: int, r: int | None) -> tuple[int, bool]:
    """(blank cells, end of row) for ``n`` empty lines between two cells."""
    if (n - g) % (g + 1) == 0:
        return (n - g) // (g + 1), False
    if r is not None and n - g - r >= 0 and (n - g - r) % (g + 1) == 0:
        return (n - g - r) // (g + 1), True
    return max(0, (n - g) // (g + 1)), True


# ---------------------------------------------------------------------------------------------
# Labels: wrapped header lines joined, glued labels cut, with the template's printed wording.

_NUMBERING = re.compile(r"[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\d{1,2}[.、]|\(\d{1,2}\)")
_ARTICLE = re.compile(r"第[一二三四五六七八九十]+条第\([一二三四五六七八九十\d]+\)项")
_NOTE = re.compile(r"\(本[列行]数据的?勾稽关系[^)]*\)")


def _norm(text: str) -> tuple[str, list[int]]:
    """NFKC without white space, with the index in ``text`` of each output character."""
    out, idx = [], []
    for i, ch in enumerate(text):
        n = unicodedata.normalize("NFKC", ch)
        for c in n:
            if c.isspace():
                continue
            out.append(c.lower())
            idx.append(i)
    return "".join(out), idx


@lru_cache(maxsize=1)
def lexicon() -> tuple[str, ...]:
    """The template's printed wording of every label, numbering stripped, longest first."""
    words: set[str] = set()

    def add(w):
        w, _ = _norm(w)
        w = re.sub(rf"^(?:{_NUMBERING.pattern})", "", w)
        if len(w) >= 2:
            words.add(w)

    for labels in list(spec.COLUMN_LABELS.values()) + list(spec.GROUP_LABELS.values()):
        for w in labels:
            add(w)
    for c in spec.categories():
        label = c.label
        m = re.search(r"\((\d{4}):\s*([^)]*)\)", label)
        if m:
            add(m.group(2))
        label = label.split(" (")[0]
        for part in re.split(r"[：:]", label):
            add(part)
        add(label.replace("：", "").replace(":", ""))
        if c.parent_label:
            add(c.parent_label)
    for w in ("信息内容", "申请人情况", "行政复议", "行政诉讼", "本年增减", "本年增/减",
              "法人或其他组织", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"):
        add(w)
    words |= {w.replace("或", "或者") for w in words if "或" in w and "或者" not in w}
    return tuple(sorted(words, key=len, reverse=True))


def split_labels(toks: list[Tok], glued: bool) -> list[Tok]:
    """Cut a run of label tokens into labels. Across line tokens, consecutive lines are joined
    only where together they spell a label of the template (商业 / 企业); inside a glued token,
    labels of the template are cut apart (规章 / 第二十条第（五）项 / 信息内容 ...). Text matching no
    label stays whole."""
    if not toks:
        return []
    text = ""
    starts = []
    cuts = {0}
    for t in toks:
        starts.append(len(text))
        text += t.text
        cuts.add(len(text))
    norm, idx = _norm(text)
    if not norm:
        return []
    n = len(norm)
    # map norm positions to text positions; cut positions in norm space
    pos_of = idx + [len(text)]
    ncuts = {j for j in range(n + 1) if j == n or pos_of[j] in cuts and (j == 0 or pos_of[j - 1]
                                                                             != pos_of[j])}
    if glued:
        ncuts = set(range(n + 1))
    words = lexicon()
    # best[i] = (score, segments, end of the first segment) for norm[i:]: back-pointers, not
    # copied lists, and the best "unknown stretch" kept as a running maximum, so that a long run
    # of label text costs O(n) steps per start instead of O(n^2) (a 5,000-character line took
    # minutes)
    best: list[tuple[int, int, int] | None] = [None] * (n + 1)
    best[n] = (0, 0, n)
    sorted_cuts = sorted(ncuts)
    unknown = (-1, -1, n)   # (score, -segments, j) of the best unknown stretch i..j, j > i
    for i in range(n - 1, -1, -1):
        if i not in ncuts:
            continue
        options = []
        # numbering prefix
        heads = [i]
        m = _NUMBERING.match(norm, i)
        if m:
            heads.append(m.end())
        for h in heads:
            for pat in (_ARTICLE, _NOTE):
                m2 = pat.match(norm, h)
                if m2 and m2.end() in ncuts and best[m2.end()] is not None:
                    options.append((m2.end() - i, m2.end()))
            for w in words:
                if norm.startswith(w, h) and h + len(w) in ncuts and best[h + len(w)] is not None:
                    options.append((h + len(w) - i, h + len(w)))
        cand = []
        for matched, j in options:
            sc, segs, _ = best[j]
            cand.append((sc + matched * 10 - 1, -(segs + 1), j))
        # unknown text: one line token (cells), or any stretch up to the next match (glued;
        # the best such stretch, the nearest end among equals, as max() over them in order)
        if glued:
            cand.append(unknown)
        else:
            j = sorted_cuts[bisect.bisect_right(sorted_cuts, i)]
            sc, segs, _ = best[j]
            cand.append((sc - 1, -(segs + 1), j))
        sc, negsegs, j = max(cand, key=lambda c: (c[0], c[1]))
        best[i] = (sc, -negsegs, j)
        if glued:
            mine = (sc - 1, -(-negsegs + 1), i)
            if (mine[0], mine[1]) >= (unknown[0], unknown[1]):
                unknown = mine
    out = []
    a = sorted_cuts[0]      # 0, unless the first token starts with white space
    while a < n:
        b = best[a][2]
        ta, tb = pos_of[a], (pos_of[b - 1] + 1)
        # offsets back into the document
        out.append(_slice_tok(toks, starts, ta, tb))
        a = b
    return out


def _slice_tok(toks, starts, a, b) -> Tok:
    pieces = []
    doc_start = doc_end = None
    # from the token holding ``a`` (starts are sorted): a long run of tokens is not rescanned
    # from its first token for every label cut out of it
    k = max(0, bisect.bisect_right(starts, a) - 1)
    for t, s in zip(toks[k:], starts[k:]):
        if s >= b:
            break
        e = s + len(t.text)
        lo, hi = max(a, s), min(b, e)
        if lo >= hi:
            continue
        pieces.append(t.text[lo - s:hi - s])
        if doc_start is None:
            doc_start = t.start + (lo - s)
        doc_end = t.start + (hi - s)
    return Tok("label", "".join(pieces), doc_start, doc_end)


# ---------------------------------------------------------------------------------------------
# Rows

HEADER_GROUPS = {"group.applicant", "group.org", "group.litigation", "group.article",
                 "group.info_content"}


@dataclass
class Label:
    tok: Tok
    key: str          # the classifier's best class (for layout only)
    prob: float

    @property
    def text(self):
        return self.tok.text


@dataclass
class Row:
    chain: list[Label]
    values: list[Tok]
    header: list[Label] | None = None   # a header block printed just before this row


def is_header(lab: Label, section: str) -> bool:
    if lab.key.startswith("col.") or lab.key in HEADER_GROUPS:
        return True
    return section == "四" and lab.key.startswith("review_litigation.")


def tokens_to_rows(toks: list[Tok], section: str, glued: bool, model=None) -> list[Row]:
    """Group tokens into rows: a run of labels, then its values. The leading labels of a run that
    the classifier calls column headers (or group headings over columns) form a header block."""
    model = model or load_default()
    runs: list[tuple[list[Tok], list[Tok]]] = []
    labels: list[Tok] = []
    values: list[Tok] = []
    for t in toks:
        if t.kind == "label":
            if values:
                runs.append((labels, values))
                labels, values = [], []
            labels.append(t)
        elif t.kind in ("value", "blank"):
            values.append(t)
        elif t.kind == "break" and values and not glued:
            # an end of row marked by the layout ends the row's values
            runs.append((labels, values))
            labels, values = [], []
    if values or (glued and labels):
        runs.append((labels, values))
    # classify every label once
    split_runs = [(split_labels(ls, glued), vs) for ls, vs in runs]
    all_labels = [lt for ls, _ in split_runs for lt in ls]
    preds = model.predict([LabelInput(lt.text, "", section, None) for lt in all_labels]) \
        if all_labels else []
    pred_of = {id(lt): p for lt, p in zip(all_labels, preds)}
    lab_runs = [([Label(lt, pred_of[id(lt)].best, pred_of[id(lt)].prob) for lt in ls], vs)
                for ls, vs in split_runs]
    if glued:
        lab_runs = [seg for labs, vs in lab_runs for seg in split_empty_rows(labs, vs, section)]
    rows: list[Row] = []
    have_header = False
    for i, (labs, vs) in enumerate(lab_runs):
        if not vs and not any(_is_row_label(lab, section) for lab in labs):
            # glued section 四 (rows without labels): a header ending the region with no digits
            # after it is a row of blank cells
            if not (section == "四" and i == len(lab_runs) - 1
                    and any(lab.key.startswith("col.") for lab in labs)):
                continue
        k = len(labs)
        while k > 0 and not is_header(labs[k - 1], section):
            k -= 1
        header, chain = labs[:k], labs[k:]
        if header and len(header) == 1 and have_header and section != "四" and not chain:
            # a lone label like 总计 right before values is a row label, not a new header
            header, chain = [], header
        if header and not any(h.key.startswith("col.") for h in header) and have_header:
            chain = header + chain
            header = []
        if header:
            have_header = True
        rows.append(Row(chain, vs, header or None))
    return rows


def _is_row_label(lab: Label, section: str) -> bool:
    """A label of a row that holds cells: not a header or a group heading, and classified as a
    row of the section's table or numbered like one (（3）其他 the classifier may not know)."""
    return (not is_header(lab, section) and not lab.key.startswith("group.")
            and (lab.key.startswith(spec.TABLE_OF_SECTION[section] + ".")
                 or label_level(lab.text) is not None))


def split_empty_rows(labs: list[Label], values: list[Tok], section: str
                     ) -> list[tuple[list[Label], list[Tok]]]:
    """Glued text: a row whose cells were all blank leaves its label right before the next
    label (规章行政规范性文件656: 规章 printed no digits). A row label followed by a header, or by
    a row label that is not its own sub-row (（六）其他处理 before 1.申请人…), is a row with no
    values; so is a row label at the end of a region. The last row label keeps the values."""
    out = []
    start = 0
    for i, lab in enumerate(labs):
        if not _is_row_label(lab, section):
            continue
        nxt = labs[i + 1] if i + 1 < len(labs) else None
        lv = label_level(lab.text)
        nlv = label_level(nxt.text) if nxt is not None else None
        if nxt is None:
            if values:
                break      # the last row label keeps the values
        elif lv is not None and nlv is not None:
            if nlv > lv:
                continue   # numbered sub-rows follow: a group
        elif nxt.key.startswith(lab.key + "."):
            continue       # a group over its sub-rows
        elif not (is_header(nxt, section) or nxt.key.startswith("group.")
                  or _is_row_label(nxt, section)):
            continue       # unknown text after the label: part of it, not a new row
        out.append((labs[start:i + 1], []))
        start = i + 1
    if start < len(labs) or values:
        out.append((labs[start:], values))
    return out


# ---------------------------------------------------------------------------------------------
# Header layout from the template's column tree


def _review_tree():
    leaves = [(f"col.{c}", []) for c in spec.REVIEW_COLUMNS]
    return [("review_litigation.reconsideration", list(leaves)),
            ("group.litigation", [("review_litigation.litigation_direct", list(leaves)),
                                  ("review_litigation.litigation_after_review", list(leaves))])]


def _request_tree():
    org = [("col.org_subtotal", [])] + [(f"col.{c}", []) for c in spec.REQUEST_ORG_COLUMNS]
    return [("group.applicant", [("col.natural_person", []), ("group.org", org),
                                 ("col.total", [])])]


TREES = {"三": _request_tree, "四": _review_tree}


@dataclass
class Node:
    cls: str
    children: list["Node"]
    parent: "Node | None" = None
    label: Label | None = None


def _build(tree, parent=None) -> list[Node]:
    out = []
    for cls, kids in tree:
        node = Node(cls, [], parent)
        node.children = _build(kids, node)
        out.append(node)
    return out


@dataclass
class HeaderLayout:
    """Header rows as (label, row, col, rowspan, colspan) relative to the value columns, and the
    value columns: per column, the leaf label and its group classes (for provisional keys)."""

    cells: list[tuple[Label, int, int, int, int]]
    height: int
    leaves: list[tuple[Label, list[str]]]
    notes: list[Label]
    top: list[Label] = field(default_factory=list)     # section 二: 第二十条第（X）项
    corner: list[Label] = field(default_factory=list)  # section 二: 信息内容


def layout_header(header: list[Label], section: str) -> HeaderLayout:
    if section not in TREES:
        top = [h for h in header if h.key == "group.article"]
        corner = [h for h in header if h.key == "group.info_content"]
        leaves = [h for h in header if h.key.startswith("col.")]
        notes = [h for h in header if h not in top and h not in corner and h not in leaves]
        cells = [(lf, 0, i, 1, 1) for i, lf in enumerate(leaves)]
        return HeaderLayout(cells, 1, [(lf, []) for lf in leaves], notes, top, corner)
    roots = _build(TREES[section]())
    bfs: list[Node] = []
    queue = list(roots)
    while queue:
        nd = queue.pop(0)
        bfs.append(nd)
        queue.extend(nd.children)
    notes, extra = [], []
    for h in header:
        node = next((nd for nd in bfs if nd.label is None and nd.cls == h.key), None)
        if node is None:
            (notes if not is_header(h, section) or h.key == "none" else extra).append(h)
        else:
            node.label = h

    def printed_leaves(nd) -> list[Node]:
        if not nd.children:
            return [nd] if nd.label is not None else []
        return [x for c in nd.children for x in printed_leaves(c)]

    cells: list[tuple[Label, int, int, int, int]] = []
    leaves: list[tuple[Label, list[str]]] = []

    def depth_of(nd) -> int:
        d, p = 0, nd.parent
        while p is not None:
            if p.label is not None and printed_leaves(p):
                d += 1
            p = p.parent
        return d

    all_leaves = [x for r in roots for x in printed_leaves(r)]
    height = max((depth_of(x) for x in all_leaves), default=0) + 1
    col = 0

    def place(nd):
        nonlocal col
        if not nd.children:
            if nd.label is None:
                return
            d = depth_of(nd)
            cells.append((nd.label, d, col, height - d, 1))
            groups, p = [], nd.parent
            while p is not None:
                groups.insert(0, p.cls)
                p = p.parent
            leaves.append((nd.label, groups))
            col += 1
            return
        n = len(printed_leaves(nd))
        if n == 0:
            return
        if nd.label is not None:
            cells.append((nd.label, depth_of(nd), col, 1, n))
        for c in nd.children:
            place(c)

    for r in roots:
        place(r)
    # a header label with no place in the template's columns (a second 其他, a stray fragment)
    # must not add a value column: it is kept as a note above the header
    return HeaderLayout(cells, height, leaves, notes + extra)


# ---------------------------------------------------------------------------------------------
# Grid

_LEVELS = [re.compile(r"^[一二三四五六七八九十]+[、.．]"),
           re.compile(r"^[（(][一二三四五六七八九十]+[)）]"),
           re.compile(r"^(?:\d{1,2}[.．、]|[（(]\d{1,2}[)）])")]


def label_level(text: str) -> int | None:
    for lvl, pat in enumerate(_LEVELS):
        if pat.match(text.strip()):
            return lvl
    return None


def chain_levels(chain: list[Label]) -> list[int]:
    out = []
    for i, lab in enumerate(chain):
        lvl = label_level(lab.text)
        prev = out[-1] if out else -1
        if lvl is None:
            lvl = prev + 1 if i > 0 else 0
        out.append(max(lvl, prev + 1))
    return out


@dataclass
class _B:
    """A cell being built (cells are frozen)."""

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    span: tuple[int, int] | None = None
    alternatives: tuple = ()

    def cell(self) -> Cell:
        return Cell(self.text, self.row, self.col, self.rowspan, self.colspan, engine="text",
                    confidence=1.0, span=self.span, alternatives=self.alternatives)


def rows_to_grid(rows: list[Row], section: str, text: str, glued: bool, model=None,
                 evidence=None) -> tuple[Grid, list[Issue], list[dict]]:
    """Lay the rows out as a grid; split value runs; returns (grid, issues, digit runs).
    ``evidence(keys)`` gives the figures the report's prose states for some of the provisional
    field keys (key -> (value, words)), used only where the arithmetic leaves several splits."""
    model = model or load_default()
    issues: list[Issue] = []
    table = spec.TABLE_OF_SECTION[section]
    levels = [chain_levels(r.chain) for r in rows]
    n_label = max((lv[-1] + 1 for lv in levels if lv), default=0)
    layouts = [layout_header(r.header, section) if r.header else None for r in rows]

    # provisional row keys, for the arithmetic only
    chain_inputs = []
    for r in rows:
        if r.chain:
            ctx = r.chain[-2].text if len(r.chain) > 1 else ""
            chain_inputs.append(LabelInput(r.chain[-1].text, ctx, section, "row"))
    chain_preds = iter(model.predict(chain_inputs) if chain_inputs else [])
    row_keys = [next(chain_preds).best if r.chain else None for r in rows]

    # runs: every row's values, split into the header's number of cells
    current = None
    run_rows: list[digitruns.RunRow] = []
    row_layout = []
    for r, lay, rk in zip(rows, layouts, row_keys):
        if lay is not None:
            current = lay
        row_layout.append(current)
        leaves = current.leaves if current else []
        n_chunks = sum(len(v.text.split()) if v.kind == "value" else 1 for v in r.values)
        n = len(leaves) if leaves else n_chunks
        if not glued and n_chunks != n:
            n = n_chunks            # a line per cell: the row prints its own cells
        keys, dec, sig = [], [], []
        for i in range(n):
            key = None
            if i < len(leaves):
                leaf, groups = leaves[i]
                col = leaf.key[4:] if leaf.key.startswith("col.") else None
                if col and table == "review_litigation":
                    grp = [g for g in groups if g.startswith("review_litigation.")]
                    key = f"{grp[-1]}.{col}" if grp else None
                elif col and rk and rk.startswith(table + "."):
                    key = f"{rk}.{col}"
            keys.append(key)
            colname = key.rsplit(".", 1)[1] if key else None
            dec.append(key is None or key in spec.DECIMAL_FIELDS)
            sig.append(colname is None or colname in spec.SIGNED_COLUMNS)
        pieces = []
        for v in r.values:
            if v.kind == "blank":
                pieces.append(digitruns.Piece("", v.start, splittable=False))
            else:
                pieces.extend(digitruns.run_to_chunks(v.text, v.start))
        label = r.chain[-1].text if r.chain else ""
        rr = digitruns.RunRow(label, pieces, n, keys, dec, sig)
        run_rows.append(rr)
    # a glued stream drops blank cells without a trace: if some row holds fewer digits than
    # cells, any row may have lost blanks, and a split must consider them
    blanks_dropped = glued and any(
        sum(digitruns.most_cells(p.text) for p in rr.pieces) < rr.n for rr in run_rows)
    if blanks_dropped:
        issues.append(Issue("low_confidence", f"section {section}: the glued text dropped blank "
                            "cells (a row has fewer digits than cells), so each row's digits may "
                            "sit in any of its cells; only splits the arithmetic proves are taken",
                            stage="ingest"))
    budget = [digitruns.MAX_TABLE_TRIES]     # shared by the table's rows
    for rr in run_rows:
        rr.candidates = _candidates(rr, blanks_dropped, budget)

    alive, relaxed = digitruns.solve_rows(run_rows, {})
    if relaxed:
        issues.append(Issue("arithmetic", f"section {section}: no split of the glued digit runs "
                            "satisfies every rule of the template; only each row's own total was "
                            "used to split them", stage="ingest"))
    # the prose's figures, where the arithmetic leaves several splits (then the arithmetic again,
    # with the narrowed rows)
    said: dict[int, list[str]] = {}
    if evidence is not None and any(len(a) > 1 for a in alive):
        stated = evidence({k for rr in run_rows for k in rr.keys if k})
        narrowed, said = digitruns.apply_evidence(run_rows, alive, stated)
        if said:
            before = [(rr.candidates, a) for rr, a in zip(run_rows, alive)]
            for ri, keep in enumerate(narrowed):
                run_rows[ri].candidates = [run_rows[ri].candidates[i] for i in keep]
            alive, narrowed_relaxed = digitruns.solve_rows(run_rows, {})
            if narrowed_relaxed and not relaxed:
                # rows narrowed one by one that no longer fit the rules together: the prose
                # figures are not used
                for rr, (cands, a) in zip(run_rows, before):
                    rr.candidates = cands
                alive = [a for _, a in before]
                said = {}

    # build the cells
    b: list[_B] = []
    digit_runs: list[dict] = []
    r_at = 0
    open_groups: dict[int, _B] = {}
    n_cols_total = n_label + max((len(x.leaves) for x in layouts if x), default=0)
    n_cols_total = max([n_cols_total] + [n_label + rr.n for rr in run_rows])
    for i, (row, lay, lv, rr) in enumerate(zip(rows, layouts, levels, run_rows)):
        if lay is not None:
            open_groups.clear()
            width = max(len(lay.leaves), 1)
            if lay.top:
                for t in lay.top:
                    b.append(_B(t.text, r_at, 0, 1, n_label + width, t.tok.start and
                                (t.tok.start, t.tok.end)))
                    r_at += 1
            for nt in lay.notes:
                b.append(_B(nt.text, r_at, 0, 1, max(n_label + width, 1),
                            (nt.tok.start, nt.tok.end)))
                r_at += 1
            if lay.corner and n_label:
                c0 = lay.corner[0]
                b.append(_B(c0.text, r_at, 0, lay.height, n_label, (c0.tok.start, c0.tok.end)))
            for lab, hr, hc, rs, cs in lay.cells:
                b.append(_B(lab.text, r_at + hr, n_label + hc, rs, cs,
                            (lab.tok.start, lab.tok.end)))
            r_at += lay.height
        # the label chain
        if lv:
            first = lv[0]
            for lvl in list(open_groups):
                if lvl >= first:
                    del open_groups[lvl]
            for lvl in range(first):
                g = open_groups.get(lvl)
                if g is not None and g.row + g.rowspan == r_at:
                    g.rowspan += 1
            for k, (lab, lvl) in enumerate(zip(row.chain, lv)):
                nxt = lv[k + 1] if k + 1 < len(lv) else n_label
                cell = _B(lab.text, r_at, lvl, 1, max(1, nxt - lvl), (lab.tok.start, lab.tok.end))
                b.append(cell)
                if k + 1 < len(lv):
                    open_groups[lvl] = cell
        # the values
        cands = [rr.candidates[j] for j in alive[i]]
        width = len(lay.leaves) if lay else 0
        cur = row_layout[i]
        width = len(cur.leaves) if cur and cur.leaves else rr.n
        run_span = (min(p.start for p in rr.pieces), max(p.start + len(p.text)
                                                          for p in rr.pieces)) \
            if rr.pieces else None
        if not cands:
            issues.append(Issue("unreadable", f"section {section}, row {rr.label!r}: the values "
                                f"{' '.join(p.text for p in rr.pieces)!r} cannot be read as "
                                f"{rr.n} numbers", stage="ingest"))
            r_at += 1
            continue
        chosen = cands[0] if len(cands) == 1 else None
        is_run = any(len(p.text) > 1 for p in rr.pieces) and (
            len(rr.candidates) > 1 or len(rr.pieces) < rr.n)
        # a row whose candidate splits disagree is ambiguous even without a long digit run
        # (single digits with blank cells dropped): its undecided cells must not read as blanks
        if (is_run and glued) or chosen is None:
            digit_runs.append({"span": list(run_span), "text": text[run_span[0]:run_span[1]],
                               "label": rr.label, "n": rr.n,
                               "candidates": [[c[0] for c in cand] for cand in cands],
                               "chosen": [c[0] for c in chosen] if chosen else None})
            if i in said:
                digit_runs[-1]["evidence"] = said[i]
        for j in range(rr.n):
            vals = {cand[j][0] for cand in cands}
            colspan = 1
            if j == rr.n - 1 and rr.n < width:
                colspan = width - rr.n + 1
            if len(vals) == 1:
                t, s, e = cands[0][j]
                b.append(_B(t, r_at, n_label + j, 1, colspan, (s, e) if e > s else None))
            else:
                share = Counter(cand[j][0] for cand in cands)
                alts = tuple((v, round(c / len(cands), 4)) for v, c in share.most_common())
                b.append(_B(digitruns.UNDECIDED, r_at, n_label + j, 1, colspan, run_span,
                            alts))
        if rr.n < width and not glued:
            issues.append(Issue("low_confidence", f"section {section}, row {rr.label!r}: "
                                f"{rr.n} value(s) where the header has {width} columns; the "
                                "missing cells at the end are left out", stage="ingest"))
        r_at += 1
    grid = Grid([x.cell() for x in b], section=section, source_kind="text")
    return grid, issues, digit_runs


def _candidates(rr: digitruns.RunRow, blanks: bool = False, budget: list[int] | None = None):
    """The row's splits into ``rr.n`` cells (blank cells placed anywhere when ``blanks``);
    at most ``MAX_TRIES`` combinations looked at, and at most what is left of ``budget[0]``
    (the table's; a text with thousands of glued rows would otherwise run for minutes)."""
    out = []
    per = []
    for p in rr.pieces:
        if p.text == "":
            per.append([[("", p.start, p.start)]])
        else:
            per.append(digitruns.chunk_splits(p, max_cells=rr.n))
    import itertools
    def spread(cells):
        """``cells`` with blank cells inserted to make ``rr.n`` (all placements)."""
        if len(cells) == rr.n or not blanks:
            yield cells
            return
        if len(cells) > rr.n:
            return
        for where in itertools.combinations(range(rr.n), rr.n - len(cells)):
            it = iter(cells)
            out_cells = []
            where = set(where)
            for k in range(rr.n):
                if k in where:
                    anchor = cells[0][1] if cells else 0
                    out_cells.append(("", anchor, anchor))
                else:
                    out_cells.append(next(it))
            yield out_cells

    # only splits whose cell counts can add up are combined (pieces with thousands of splits
    # each would otherwise multiply into a search that finds nothing), and a bounded number
    combos = (c for cells in digitruns.piece_combinations(per, rr.n, blanks)
              for c in spread(cells))
    limit = digitruns.MAX_TRIES if budget is None else min(digitruns.MAX_TRIES, budget[0])
    tries = 0
    for tries, cells in enumerate(combos, 1):
        if tries > limit:
            break
        if len(cells) != rr.n:
            continue
        ok = True
        for i, (t, _, _) in enumerate(cells):
            if digitruns.sign_or_decimal_misplaced(t, rr.decimal_ok[i], rr.signed_ok[i]):
                ok = False
                break
        if ok:
            out.append(tuple(cells))
        if len(out) >= digitruns.MAX_CANDIDATES:
            break
    if budget is not None:
        budget[0] = max(0, budget[0] - tries)
    return out


# ---------------------------------------------------------------------------------------------
# Whole text


def is_glued(text: str, start: int, end: int) -> bool:
    """A region whose table cells are run together: few lines, labels glued to digits."""
    region = text[start:end]
    lines = [ln for ln in region.split("\n") if ln.strip()]
    if not lines:
        return False
    glued = sum(1 for ln in lines if re.search(r"[\u4e00-\u9fff]\d|\d[\u4e00-\u9fff]", ln))
    return len(lines) <= 3 or glued / len(lines) > 0.5


def text_to_grids(text: str, model=None, evidence=None
                  ) -> tuple[list[Grid], list[Issue], list[dict]]:
    """Every statistical table of a scraped text as a grid; plus issues and the digit runs.
    ``evidence``: see ``rows_to_grid`` (the web ingester passes the prose's figures)."""
    model = model or load_default()
    grids, issues, runs = [], [], []
    for section, start, end in text_to_sections(text):
        glued = is_glued(text, start, end)
        toks = region_to_tokens(text, start, end)
        rows = tokens_to_rows(toks, section, glued, model)
        if not rows:
            continue
        grid, iss, dr = rows_to_grid(rows, section, text, glued, model, evidence)
        if grid.cells:
            grids.append(grid)
        issues += iss
        runs += dr
    return grids, issues, runs


def debug_rows(text: str) -> str:
    """The rows found in each section, one per line (for looking at a new scrape)."""
    out = []
    model = load_default()
    for section, start, end in text_to_sections(text):
        glued = is_glued(text, start, end)
        out.append(f"== section {section} ({'glued' if glued else 'cells'}) {start}-{end}")
        for r in tokens_to_rows(region_to_tokens(text, start, end), section, glued, model):
            if r.header:
                out.append("  header: " + " | ".join(f"{h.text}<{h.key}>" for h in r.header))
            out.append("  " + " / ".join(c.text for c in r.chain) + " :: " +
                       " ".join(v.text or "_" for v in r.values))
    return "\n".join(out)
