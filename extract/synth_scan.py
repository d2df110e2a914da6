"""Scans and page images of a generated report: rasterise the born-digital PDF, then degrade it.

The severity scale (``--severity``, 0..4; a report draws one when none is given):

| severity | what it looks like | dpi | rotation | blur σ | noise σ | lighting | perspective | output |
|---|---|---|---|---|---|---|---|---|
| 0 | clean export | 200 | 0° | 0 | 0 | none | none | JPEG q95 / PNG |
| 1 | good office scanner | 200 | ±0.5° | 0.4 px | 3 | 4 % | none | JPEG q90 |
| 2 | ordinary scan (like ``hongze_2023.scan.pdf``) | 150 | ±1.5° | 0.7 px | 6 | 10 % | 0.4 % | JPEG q75 |
| 3 | poor copy of a copy | 150 | ±2.5° | 1.0 px | 10 | 18 % | 0.8 % | JPEG q50 |
| 4 | fax-grade: binarised, speckled | 120 | ±4° | 0.8 px | 12 | 25 % | 1.2 % | 1-bit |

Rotation and perspective are drawn per page within the bound; lighting is a linear shading in a
random direction plus a darker corner (the share is the darkest point's loss of brightness);
perspective moves each page corner by up to the share of the page size. Everything is drawn from
the report's "scan" random source, so a seed gives the same images.
"""

from __future__ import annotations

import dataclasses
import io
import random
from dataclasses import dataclass

import numpy as np

from .synth import SynthReport, rng_for


@dataclass(frozen=True)
class Degradation:
    dpi: int
    rotation: float        # max |degrees|
    blur: float            # Gaussian sigma in pixels
    noise: float           # Gaussian sigma in grey levels
    lighting: float        # darkest loss of brightness, 0..1
    perspective: float     # max corner shift as a share of the page size
    jpeg: int | None       # JPEG quality of the scan (None: lossless)
    binarise: bool = False
    speckle: float = 0.0   # share of pixels flipped to black (fax dirt)


SEVERITY = {
    0: Degradation(200, 0.0, 0.0, 0.0, 0.0, 0.0, 95),
    1: Degradation(200, 0.5, 0.4, 3.0, 0.04, 0.0, 90),
    2: Degradation(150, 1.5, 0.7, 6.0, 0.10, 0.004, 75),
    3: Degradation(150, 2.5, 1.0, 10.0, 0.18, 0.008, 50),
    4: Degradation(120, 4.0, 0.8, 12.0, 0.25, 0.012, None, binarise=True, speckle=0.0006),
}


def rasterise(pdf: bytes, dpi: int) -> list[np.ndarray]:
    """Grey page images (uint8, white = 255) of a PDF at ``dpi``."""
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for i in range(len(doc)):
            page = doc[i]
            img = page.render(scale=dpi / 72, grayscale=True).to_numpy()
            if img.ndim == 3:
                img = img[..., 0]
            pages.append(np.ascontiguousarray(img))
            page.close()
    finally:
        doc.close()
    return pages


def degrade(img: np.ndarray, d: Degradation, rng: random.Random) -> np.ndarray:
    """One page degraded by ``d``: uint8 grey image, or a 0/255 image when binarised."""
    import cv2
    h, w = img.shape
    out = img.astype(np.float32)
    angle = rng.uniform(-d.rotation, d.rotation)
    if angle or d.perspective:
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        s = d.perspective * max(w, h)
        dst = np.float32([[x + rng.uniform(-s, s), y + rng.uniform(-s, s)] for x, y in src])
        P = cv2.getPerspectiveTransform(src, dst)
        R = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), [0, 0, 1]])
        out = cv2.warpPerspective(out, R @ P, (w, h), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    if d.lighting:
        # computed on a coarse grid and scaled up: the shading is smooth
        gh, gw = max(2, h // 16), max(2, w // 16)
        theta = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
        lin = ((xx / gw - 0.5) * np.cos(theta) + (yy / gh - 0.5) * np.sin(theta)) + 0.5
        cx, cy = rng.choice([(0, 0), (gw, 0), (0, gh), (gw, gh)])
        rad = 1 - np.clip(np.hypot(xx - cx, yy - cy) / (0.6 * np.hypot(gw, gh)), 0, 1)
        shade = 1 - d.lighting * np.clip(0.6 * lin + 0.4 * rad, 0, 1)
        out = out * cv2.resize(shade, (w, h), interpolation=cv2.INTER_LINEAR)
    seed = rng.getrandbits(32)
    nrng = np.random.default_rng(seed)
    if d.noise:
        out += nrng.standard_normal(out.shape, dtype=np.float32) * np.float32(d.noise)
    if d.blur:
        out = cv2.GaussianBlur(out, (0, 0), d.blur)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if d.binarise:
        # a fax thresholds against the local paper level, not a fixed grey
        paper = cv2.GaussianBlur(cv2.dilate(out, np.ones((15, 15), np.uint8)), (0, 0), 8)
        delta = rng.uniform(30, 55)
        out = np.where(out.astype(np.int16) < paper.astype(np.int16) - delta, 0,
                       255).astype(np.uint8)
        if d.speckle:
            mask = nrng.random(out.shape) < d.speckle
            out[mask] = 0
    return out


def encode(img: np.ndarray, fmt: str, quality: int = 85, binary: bool = False) -> bytes:
    """Encode a page image as ``jpg`` (at ``quality``), ``png`` or ``tif``; 1-bit if ``binary``."""
    from PIL import Image
    im = Image.fromarray(img)
    if binary and fmt != "jpg":
        im = im.convert("1")
    buf = io.BytesIO()
    if fmt == "jpg":
        im.save(buf, "JPEG", quality=quality)
    elif fmt == "tif":
        im.save(buf, "TIFF", compression="group4" if binary else "tiff_lzw")
    elif fmt == "png":
        im.save(buf, "PNG", compress_level=3)
    else:
        raise ValueError(f"unknown image format {fmt!r}; known: jpg, png, tif")
    return buf.getvalue()


def jpeg_roundtrip(img: np.ndarray, quality: int) -> np.ndarray:
    """The image after a trip through JPEG: the artefacts of a scanner that saves JPEG."""
    from PIL import Image
    data = encode(img, "jpg", quality)
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def degraded_pages(rep: SynthReport, pdf: bytes, severity: int | None = None,
                   dpi: int | None = None):
    """The report's pages as scanned: a list of uint8 images, and the degradation used
    (``dpi`` in place of the severity's resolution when given)."""
    d = SEVERITY[rep.layout.severity if severity is None else severity]
    if dpi:
        d = dataclasses.replace(d, dpi=dpi)
    rng = rng_for(rep.seed, rep.index, "scan")
    pages = []
    for img in rasterise(pdf, d.dpi):
        pages.append(degrade(img, d, rng))
    return pages, d


def scan_pdf(pages: list[np.ndarray], d: Degradation) -> bytes:
    """An image-only PDF: one scanned image per A4 page, JPEG (or 1-bit PNG when binarised)."""
    from reportlab.lib.utils import ImageReader
    from reportlab import rl_config
    from reportlab.pdfgen import canvas
    from .synth_render import PAGE_H, PAGE_W
    buf = io.BytesIO()
    # reportlab ASCII85-encodes images in pure Python by default (0.4 s a page): embed raw
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        c = canvas.Canvas(buf, pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1)
        c.setCreator("gkreport synth (scan)")
        for img in pages:
            if d.binarise:
                data = encode(img, "png", binary=True)
            else:
                data = encode(img, "jpg", d.jpeg or 95)
            c.drawImage(ImageReader(io.BytesIO(data)), 0, 0, PAGE_W, PAGE_H)
            c.showPage()
        c.save()
    finally:
        rl_config.useA85 = saved
    return buf.getvalue()


def page_images(pages: list[np.ndarray], d: Degradation, fmt: str) -> list[bytes]:
    """Page image files in ``fmt`` (``png``, ``jpg`` or ``tif``), with the scan's artefacts."""
    out = []
    for img in pages:
        if d.binarise:
            out.append(encode(img, fmt, 85, binary=True))
        elif fmt == "jpg":
            out.append(encode(img, "jpg", d.jpeg or 95))
        else:
            if d.jpeg and d.jpeg < 95:
                img = jpeg_roundtrip(img, d.jpeg)
            out.append(encode(img, fmt))
    return out
