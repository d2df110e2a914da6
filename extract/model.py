"""Typed records passed between pipeline stages.

Coordinates: page numbers count from 1; a ``bbox`` is ``(x0, top, x1, bottom)`` measured from the
page's top-left corner, in PDF points for PDF pages (scanned pages included, converted from pixels
at the render dpi) and in pixels for image files. HTML and text inputs have no page or bbox: a cell
carries ``cell`` (``(table, row, column)`` indices in the HTML) or ``span`` (``(start, end)``
character offsets in the text) instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SOURCE_KINDS = ("pdf-text", "pdf-scan", "image", "html", "text", "docx")
STATUSES = ("ok", "partial", "failed")


@dataclass(frozen=True)
class Cell:
    """One table cell as the input printed it.

    ``row``/``col`` index the cell's top-left slot in its grid; ``rowspan``/``colspan`` count the
    slots it covers. ``confidence`` is the reading's confidence (OCR score; 1.0 for a text layer,
    HTML or text). ``alternatives`` holds other readings of an uncertain cell as
    ``(text, score)`` pairs, best first, for the arithmetic corrector.
    """

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    confidence: float = 1.0
    engine: str = "text-layer"
    alternatives: tuple[tuple[str, float], ...] = ()
    span: tuple[int, int] | None = None
    cell: tuple[int, int, int] | None = None

    def __post_init__(self):
        if self.row < 0 or self.col < 0 or self.rowspan < 1 or self.colspan < 1:
            raise ValueError(f"bad cell position {self.row},{self.col} span "
                             f"{self.rowspan}x{self.colspan}")
        if self.bbox is not None:
            x0, top, x1, bottom = self.bbox
            if x1 < x0 or bottom < top:
                raise ValueError(f"inverted bbox {self.bbox}")


@dataclass
class Grid:
    """A table as a grid of cells: the meeting point of every input kind.

    ``section`` is the report section the table belongs to (``"二"``, ``"三"`` or ``"四"``), or
    ``None`` if the finder could not tell; ``pages`` lists the pages it spans.
    ``section_assumed`` says that no heading was read above the table: its section is the one
    in force from an earlier table, which the labels may overrule (a heading garbled by OCR).
    """

    cells: list[Cell]
    section: str | None = None
    source_kind: str = "pdf-text"
    pages: tuple[int, ...] = ()
    section_assumed: bool = False

    @property
    def n_rows(self) -> int:
        return max((c.row + c.rowspan for c in self.cells), default=0)

    @property
    def n_cols(self) -> int:
        return max((c.col + c.colspan for c in self.cells), default=0)

    def dense(self) -> list[list[Cell | None]]:
        """A matrix in which every slot holds the cell that covers it (or None)."""
        n_cols = self.n_cols   # once: it scans every cell
        m: list[list[Cell | None]] = [[None] * n_cols for _ in range(self.n_rows)]
        for c in self.cells:
            for r in range(c.row, c.row + c.rowspan):
                for k in range(c.col, c.col + c.colspan):
                    m[r][k] = c
        return m


@dataclass
class Issue:
    """Something a user must look at: a check that failed, a correction, a doubtful field.

    ``kind`` is one of ``arithmetic``, ``corrected``, ``narrative``, ``low_confidence``,
    ``unknown_label``, ``ambiguous``, ``missing_table``, ``error``.
    """

    kind: str
    message: str
    fields: list[str] = field(default_factory=list)
    rule: str | None = None
    rules: list[str] | None = None
    stage: str | None = None
    page: int | None = None
    before: Any = None
    after: Any = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "message": self.message, "fields": list(self.fields)}
        for k in ("rule", "rules", "stage", "page"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        if self.kind == "corrected" or self.before is not None or self.after is not None:
            d["before"] = self.before
            d["after"] = self.after
        d.update(self.extra)
        return d


@dataclass
class Provenance:
    """Where a field's value came from."""

    text: str
    read_confidence: float
    label_confidence: float
    engine: str
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    span: tuple[int, int] | None = None
    cell: tuple[int, int, int] | None = None
    extra: dict = field(default_factory=dict)

    @property
    def confidence(self) -> float:
        return min(self.read_confidence, self.label_confidence)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {}
        if self.page is not None:
            d["page"] = self.page
        if self.bbox is not None:
            d["bbox"] = [round(v, 1) for v in self.bbox]
        if self.span is not None:
            d["span"] = list(self.span)
        if self.cell is not None:
            d["cell"] = list(self.cell)
        d.update({"text": self.text, "confidence": round(self.confidence, 4),
                  "read_confidence": round(self.read_confidence, 4),
                  "label_confidence": round(self.label_confidence, 4), "engine": self.engine})
        d.update(self.extra)
        return d


@dataclass
class Record:
    """One report's extraction: the ground-truth form plus what a user needs to trust it."""

    report: dict
    source: dict
    fields: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    status: str = "ok"

    def finish(self) -> "Record":
        """Set ``status`` from the issues: failed without fields, partial with issues."""
        if not self.fields and any(i.kind in ("error", "missing_table") for i in self.issues):
            self.status = "failed"
        elif self.issues:
            self.status = "partial"
        else:
            self.status = "ok"
        return self

    def to_dict(self) -> dict:
        return {
            "report": self.report,
            "source": self.source,
            "fields": self.fields,
            "provenance": {k: (v.to_dict() if isinstance(v, Provenance) else v)
                           for k, v in self.provenance.items()},
            "units": self.units,
            "issues": [i.to_dict() if isinstance(i, Issue) else i for i in self.issues],
            "status": self.status,
        }


def as_plain(obj):
    """Dataclass -> dict helper for debugging output."""
    return asdict(obj)


@dataclass
class Document:
    """What an ingester hands to the shared stages: the tables as grids, plus the report's text.

    ``text`` is the report's prose in reading order (for metadata and the narrative cross-check);
    ``page_texts`` the same per page where the input has pages (index 0 is page 1). ``kind`` is the
    record's ``source.kind``.
    """

    path: str
    kind: str
    grids: list[Grid]
    text: str = ""
    pages: int | None = None
    page_texts: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
