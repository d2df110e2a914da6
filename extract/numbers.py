"""Numbers as printed: full-width digits, thousands separators, decimals, signs, blanks as null.

``parse_number`` returns an ``int`` or ``float`` or ``None`` (a blank, a dash, a slash, 无), and
raises ``ValueError`` for text that is not a number at all. ``format_number`` is its inverse:
``parse_number(format_number(x)) == x``.
"""

from __future__ import annotations

import re
import unicodedata

NULL_TOKENS = frozenset({"", "-", "—", "——", "–", "－", "/", "／", "\\", "无", "空", "——/", "--",
                         "―", "─", "一", "、"})
_NUM_RE = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")
_UNIT_RE = re.compile(r"(万元|元|件|个|条|项|人次|次)$")


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), with spaces and a trailing unit removed."""
    t = unicodedata.normalize("NFKC", text or "")
    t = t.replace("\u3000", "").replace(" ", "").replace("\n", "").replace("\t", "")
    t = t.replace("−", "-").replace("﹣", "-").replace("＋", "+")
    return t


def unit_of(text: str) -> str | None:
    """The unit printed after a number, if any (``75394432.52元`` -> ``元``)."""
    m = _UNIT_RE.search(normalise(text))
    return m.group(1) if m else None


def is_null_text(text: str) -> bool:
    return normalise(text) in NULL_TOKENS or all(ch in "-—–/／\\·." for ch in normalise(text))


def parse_number(text: str):
    """Parse a printed cell value. ``None`` for blanks and dashes; ``ValueError`` for non-numbers."""
    t = normalise(text)
    if t in NULL_TOKENS or (t and all(ch in "-—–/／\\" for ch in t)):
        return None
    t = _UNIT_RE.sub("", t)
    # punctuation run over from a neighbouring label cell (，0) is not part of the number
    t = t.strip(",、;:。").lstrip(".") if not re.match(r"^\.\d", t) else t
    if t.startswith("+-") or t.startswith("-+"):
        t = t[1:]
    m = _NUM_RE.match(t)
    if not m:
        raise ValueError(f"not a number: {text!r}")
    sign, whole, frac = m.groups()
    whole = whole.replace(",", "")
    if frac is not None:
        v = float(f"{sign}{whole}.{frac}")
        return v
    return int(f"{sign}{whole}")


def looks_numeric(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


def format_number(value) -> str:
    """Render a value as a report would print it (``None`` as blank)."""
    if value is None:
        return ""
    if isinstance(value, float):
        s = repr(value)
        if "e" in s or "E" in s:
            s = f"{value:.10f}".rstrip("0")
        return s
    return str(value)
