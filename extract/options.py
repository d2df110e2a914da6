"""One options object per run, validated once at the public edge."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

from .errors import OptionsError


@dataclass(frozen=True)
class Options:
    """Everything a run can be told. Defaults are what a user gets without flags.

    Limits refuse a job with a ``LimitExceededError`` that names the limit and the option.
    """

    threads: int = 0                 # OCR/BLAS threads; 0 = number of cores
    dpi: int = 150                   # render resolution for scanned pages
    ocr_engine: str = "rapidocr"     # see extract.ocr.ENGINES
    tables_only: bool = False        # skip OCR of prose (disables the narrative cross-check)
    correct: bool = True             # correct OCR misreads proven by the arithmetic
    unknown_threshold: float | None = None  # classifier probability below which a label is unknown
    max_pages: int = 200             # --max-pages
    max_pixels: int = 60_000_000     # --max-pixels, per page image
    max_bytes: int = 500_000_000     # --max-bytes, per input file
    max_text_bytes: int = 10_000_000  # --max-text-bytes, per text/HTML file (docs/hardening.md)
    timeout: float = 600.0           # --timeout, seconds per file (batch workers)

    def __post_init__(self):
        if self.threads < 0:
            raise OptionsError("--threads must be 0 (all cores) or a positive number")
        if not 50 <= self.dpi <= 600:
            raise OptionsError("--dpi must be between 50 and 600")
        for name in ("max_pages", "max_pixels", "max_bytes", "max_text_bytes"):
            if getattr(self, name) <= 0:
                raise OptionsError(f"--{name.replace('_', '-')} must be positive")

    @property
    def effective_threads(self) -> int:
        return self.threads or (os.cpu_count() or 1)

    def with_(self, **kw) -> "Options":
        return replace(self, **kw)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
