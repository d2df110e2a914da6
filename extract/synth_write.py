"""Write the documents and the truth of generated reports (the library side of ``gkreport synth``).

Per report ``NAME`` (``synth_<seed>_<index>``): ``NAME.truth.json`` always, and by kind
``NAME.pdf`` (born-digital), ``NAME.scan.pdf`` (image-only), ``NAME.p1.png`` ... (page images in
the layout's format: ``.png``, ``.jpg`` or ``.tif``), ``NAME.html`` and ``NAME.txt``.
"""

from __future__ import annotations

import json
from pathlib import Path

from .synth import SynthReport, make_report, truth_of
from .synth_tables import document_blocks, narrative_figures

KINDS = ("pdf", "scan", "image", "html", "text")


def truth_json(rep: SynthReport, blocks=None) -> str:
    t = truth_of(rep)
    t["synth"]["narrative"] = narrative_figures(blocks if blocks is not None
                                                else document_blocks(rep))
    return json.dumps(t, ensure_ascii=False, indent=1) + "\n"


def report_files(rep: SynthReport, kinds, scan_dpi: int | None = None) -> dict[str, bytes]:
    """File name -> content for one report and the requested kinds (plus the truth).
    ``scan_dpi`` overrides the resolution of the report's scan severity."""
    from .synth_render import render_pdf
    blocks = document_blocks(rep)
    files: dict[str, bytes] = {f"{rep.name}.truth.json": truth_json(rep, blocks).encode()}
    pdf = None
    if "pdf" in kinds or "scan" in kinds or "image" in kinds:
        pdf = render_pdf(rep, blocks)
    if "pdf" in kinds:
        files[f"{rep.name}.pdf"] = pdf
    if "scan" in kinds or "image" in kinds:
        from .synth_scan import degraded_pages, page_images, scan_pdf
        pages, d = degraded_pages(rep, pdf, dpi=scan_dpi)
        if "scan" in kinds:
            files[f"{rep.name}.scan.pdf"] = scan_pdf(pages, d)
        if "image" in kinds:
            fmt = rep.layout.image_format
            for i, data in enumerate(page_images(pages, d, fmt), 1):
                files[f"{rep.name}.p{i}.{fmt}"] = data
    if "html" in kinds:
        from .synth_web import render_html
        files[f"{rep.name}.html"] = render_html(rep, blocks).encode()
    if "text" in kinds:
        from .synth_web import render_text
        files[f"{rep.name}.txt"] = render_text(rep, blocks).encode()
    return files


def write_reports(out: Path, n: int, seed: int, kinds=KINDS, *, start: int = 0,
                  severity: int | None = None, variant: str | None = None,
                  error_rate: float = 0.15, scan_dpi: int | None = None,
                  progress=None) -> list[Path]:
    """Generate reports ``start .. start+n-1`` of run ``seed`` into ``out``; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(start, start + n):
        rep = make_report(seed, i, variant=variant, error_rate=error_rate, severity=severity)
        for name, data in report_files(rep, kinds, scan_dpi).items():
            p = out / name
            p.write_bytes(data)
            written.append(p)
        if progress:
            progress(i - start + 1, n, rep)
    return written
