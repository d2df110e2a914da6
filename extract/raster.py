"""Page images: rasterise PDF pages, load image files, and prepare a page for table finding.

Preparation, in order (each a small function that can be tested on its own):

    grey page -> flatten_lighting -> page_orientation (0/90/180/270) -> skew_angle (±5°)
              -> rotate (one affine warp) -> PreparedPage(image, ink, matrix)

``PreparedPage.matrix`` is the 2×3 affine map from the original page pixels to the prepared image;
``to_original_box`` maps a box back, so that provenance boxes refer to the page as the file holds
it (in PDF points once divided by ``dpi / 72``).

Limits: a page's pixel count is checked against ``Options.max_pixels`` *before* decoding (PIL reads
only the header on open; pypdfium2 pages are sized from their point size and the dpi).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from .errors import InputFileError, LimitExceededError
from .options import Options
from .tablegrid import text_height

log = logging.getLogger(__name__)

MAX_SKEW = 5.0
STRETCH_FLOOR = 100.0   # flatten_lighting maps at most this grey level (not paper grain) to black


@dataclass
class PreparedPage:
    """A page ready for the grid finder. ``image`` is grey uint8 (white paper, dark ink),
    ``ink`` the binary ink mask (255 = ink); ``matrix`` maps original pixels to prepared pixels.
    ``scale`` converts prepared pixels to output units (72/dpi for PDF pages, 1 for images)."""

    number: int
    image: np.ndarray
    ink: np.ndarray
    matrix: np.ndarray
    orientation: int = 0
    skew: float = 0.0
    scale: float = 1.0
    original_size: tuple[int, int] = (0, 0)   # (width, height) in original pixels

    def to_original_box(self, box) -> tuple[float, float, float, float]:
        """A prepared-pixel box as an output-unit box on the original page (clamped)."""
        x0, y0, x1, y1 = box
        inv = cv2.invertAffineTransform(self.matrix)
        pts = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float64)
        orig = pts @ inv[:, :2].T + inv[:, 2]
        w, h = self.original_size
        xs = np.clip(orig[:, 0], 0, w)
        ys = np.clip(orig[:, 1], 0, h)
        s = self.scale
        return (round(float(xs.min()) * s, 2), round(float(ys.min()) * s, 2),
                round(float(xs.max()) * s, 2), round(float(ys.max()) * s, 2))


# -- loading ------------------------------------------------------------------------------------

def check_pixels(path, width: int, height: int, options: Options, what: str = "page") -> None:
    if width <= 0 or height <= 0:
        raise InputFileError(path, f"{what} has no pixels ({width}×{height})")
    if width * height > options.max_pixels:
        raise LimitExceededError(path, f"{what} is {width:,}×{height:,} = {width * height:,} "
                                 f"pixels, over the limit of {options.max_pixels:,} (raise it "
                                 "with --max-pixels, or lower --dpi for PDFs)")


def image_pages(path: Path, options: Options) -> Iterator[np.ndarray]:
    """Yield each frame of an image file (multi-page TIFF included) as grey uint8.

    The size of every frame is checked against ``max_pixels`` from the header, before decoding.
    """
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # our own limit below replaces PIL's warning/bomb check
    try:
        im = Image.open(path)
    except UnidentifiedImageError as e:
        raise InputFileError(path, "not a readable image (unknown or corrupt format)") from e
    except (OSError, ValueError) as e:
        raise InputFileError(path, f"cannot open the image: {e}") from e
    with im:
        # PIL raises SyntaxError for a corrupt frame header while counting or seeking frames
        bad = (OSError, ValueError, SyntaxError, EOFError)
        try:
            n = getattr(im, "n_frames", 1)
        except bad as e:
            raise InputFileError(path, f"the image's frames cannot be counted: {e}") from e
        if n > options.max_pages:
            raise LimitExceededError(path, f"the image has {n} frames, over the limit of "
                                     f"{options.max_pages} (raise it with --max-pages)")
        for k in range(n):
            try:
                im.seek(k)
            except bad as e:
                raise InputFileError(path, f"frame {k + 1} of the image cannot be read: "
                                     f"{e}") from e
            frame = im
            w, h = frame.size
            check_pixels(path, w, h, options, what=f"frame {k + 1}" if n > 1 else "image")
            try:
                frame.load()
                grey = np.asarray(_to_grey(frame))
            except (OSError, ValueError, SyntaxError) as e:
                raise InputFileError(path, f"the image data is corrupt or truncated "
                                     f"(frame {k + 1}): {e}") from e
            yield np.ascontiguousarray(grey)


def _to_grey(frame):
    if frame.mode in ("RGBA", "LA", "P"):
        frame = frame.convert("RGBA")
        from PIL import Image
        bg = Image.new("RGBA", frame.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(bg, frame)
    if frame.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(frame, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) / max(1.0, hi - lo) * 255
        from PIL import Image
        return Image.fromarray(arr.astype(np.uint8))
    return frame.convert("L")


def open_pdf(path: Path):
    """The PDF opened with pdfium; errors as the born-digital reader reports them (one place)."""
    from .pdf_text import open_pdfium

    return open_pdfium(path)


def render_pdf_page(pdf, index: int, options: Options, path="-") -> np.ndarray:
    """Page ``index`` (from 0) as grey uint8 at ``options.dpi``; pixel limit checked first."""
    page = pdf[index]
    w_pt, h_pt = page.get_size()
    scale = options.dpi / 72.0
    check_pixels(path, int(w_pt * scale), int(h_pt * scale), options, what=f"page {index + 1}")
    bitmap = page.render(scale=scale, grayscale=True)
    arr = bitmap.to_numpy()
    if arr.ndim == 3:
        arr = cv2.cvtColor(arr, cv2.COLOR_BGR2GRAY if arr.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
    return np.ascontiguousarray(arr)


# -- preparation ------------------------------------------------------------------------------

def flatten_lighting(grey: np.ndarray) -> np.ndarray:
    """Divide by a smooth background estimate: uneven lighting and shadows become white paper.

    The background is a dilation (removes dark ink) then a blur of a downscaled copy, so the cost
    does not grow with the page's size.
    """
    h, w = grey.shape
    f = max(1, int(round(max(h, w) / 600)))
    small = cv2.resize(grey, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    k = max(3, (min(small.shape) // 25) | 1)
    bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.GaussianBlur(bg, (0, 0), k)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    out = grey.astype(np.float32) / np.maximum(bg, 1.0) * 255.0
    # stretch: the darkest ink to 0 (on a nearly blank page the darkest 0.5 % is paper grain,
    # which a full stretch would turn into ink)
    lo = min(float(np.percentile(out, 0.5)), STRETCH_FLOOR)
    out = (out - lo) / max(1.0, 255.0 - lo) * 255.0
    return np.clip(out, 0, 255).astype(np.uint8)


def ink_mask(grey: np.ndarray) -> np.ndarray:
    """Binary ink (255) on a flattened page: Otsu, but never calling pale paper noise ink."""
    t, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t = min(t, 200)
    _, ink = cv2.threshold(grey, t, 255, cv2.THRESH_BINARY_INV)
    return ink


def _profile_score(ink_small: np.ndarray, angle: float) -> float:
    h, w = ink_small.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rot = cv2.warpAffine(ink_small, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    rows = rot.sum(axis=1, dtype=np.float64)
    d = np.diff(rows)
    return float((d * d).sum())


def skew_angle(ink: np.ndarray, max_angle: float = MAX_SKEW) -> float:
    """The rotation (degrees, counter-clockwise positive as in OpenCV) that levels the text lines
    and rulings: maximises the sharpness of the row profile, coarse then fine."""
    h, w = ink.shape
    f = max(1.0, max(h, w) / 1000)
    small = cv2.resize(ink, (int(w / f), int(h / f)), interpolation=cv2.INTER_AREA)
    if small.sum() == 0:
        return 0.0
    best = max(np.arange(-max_angle, max_angle + 1e-9, 0.5), key=lambda a: _profile_score(small, a))
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.05)
    best = max(fine, key=lambda a: _profile_score(small, a))
    return float(round(best, 2))


def remove_rulings(ink: np.ndarray, n: int | None = None) -> np.ndarray:
    """The ink with horizontal and vertical lines of ``n`` pixels or more (table rulings, frames)
    taken out; by default lines of a 25th of the page."""
    n = n or max(15, min(ink.shape) // 25)
    h = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (n, 1)))
    v = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, n)))
    return cv2.subtract(ink, cv2.bitwise_or(h, v))


def line_direction_votes(ink: np.ndarray) -> list[bool]:
    """Whether text lines run horizontally, voted three ways (``orientation_candidates`` takes
    the majority).

    1-2. Characters sit closer to their neighbours along a line than to the next line: closing
       the text ink along the line direction merges more components than across it. Rulings are
       taken out first, once as lines of a 25th of the page and once as lines of two glyphs'
       length: a poor scan's broken rulings leave stubs that closing joins along their own
       direction, but on some fax-grade pages the short removal takes glyph strokes too.
    3. Glyphs joined across less than half a glyph make runs one glyph high and several long
       along the lines (labels), and few across them.
    Each vote alone was wrong on 2-4 of 634 generated and dev-set pages turned 0° and 90°
    (severities 0-4, fax-grade at 120 and 150 dpi); the majority on none.
    """
    h, w = ink.shape
    f = max(1.0, max(h, w) / 1200)
    small = cv2.resize(ink, (int(w / f), int(h / f)), interpolation=cv2.INTER_AREA)
    _, small = cv2.threshold(small, 100, 255, cv2.THRESH_BINARY)
    th = text_height(small)
    short = remove_rulings(small, max(8, int(2 * th)))
    votes = []
    for text in (remove_rulings(small), short):
        count, labels, stats, _ = cv2.connectedComponentsWithStats(text, connectivity=8)
        sizes = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
        # specks (a fax-grade scan's noise) would be joined in either direction alike
        keep = np.zeros(count, bool)
        keep[1:] = (sizes >= 4) & (stats[1:, cv2.CC_STAT_AREA] >= 6)
        text = np.where(keep[labels], 255, 0).astype(np.uint8)
        sizes = sizes[sizes >= 4]
        if len(sizes) < 10:
            votes.append(True)
            continue
        k = max(2, int(np.percentile(sizes, 75) * 0.6))
        votes.append(_components_after(text, (k, 1)) <= _components_after(text, (1, k)))
    if votes[0] == votes[1]:
        return votes + [votes[0]]   # the third cannot change the majority
    text = cv2.morphologyEx(short, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    k = max(2, int(0.4 * th))
    return votes + [_run_length(text, (k, 1), th) >= _run_length(text, (1, k), th)]


def _run_length(text: np.ndarray, kernel: tuple[int, int], th: float) -> int:
    """The total length of the runs one glyph thick (and at least 2.5 glyphs long) that closing
    with ``kernel`` makes along its direction."""
    closed = cv2.morphologyEx(text, cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
    _, _, st, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    along, across = (st[1:, 2], st[1:, 3]) if kernel[1] == 1 else (st[1:, 3], st[1:, 2])
    good = (along >= 2.5 * across) & (across >= 0.5 * th) & (across <= 1.6 * th)
    return int(along[good].sum())


def _components_after(text: np.ndarray, kernel: tuple[int, int]) -> int:
    closed = cv2.morphologyEx(text, cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
    return cv2.connectedComponents(closed, connectivity=8)[0]


def orientation_candidates(ink: np.ndarray) -> tuple[int, int]:
    """(0, 180) when text lines run horizontally, else (90, 270): the majority of
    ``line_direction_votes``."""
    return (0, 180) if sum(line_direction_votes(ink)) >= 2 else (90, 270)


def rotate_quadrant(img: np.ndarray, angle: int) -> np.ndarray:
    """Rotate by 0/90/180/270 degrees clockwise."""
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return img if angle % 360 == 0 else cv2.rotate(img, codes[angle % 360])


def text_line_bands(ink: np.ndarray, min_height: int = 6) -> list[tuple[int, int]]:
    """Row bands (top, bottom) that hold ink, for sampling text lines."""
    rows = (ink > 0).sum(axis=1)
    on = rows > max(2, ink.shape[1] * 0.004)
    bands, start = [], None
    for y, v in enumerate(on):
        if v and start is None:
            start = y
        elif not v and start is not None:
            if y - start >= min_height:
                bands.append((start, y))
            start = None
    if start is not None and len(on) - start >= min_height:
        bands.append((start, len(on)))
    return bands


def sample_line_crops(grey: np.ndarray, ink: np.ndarray, n: int = 8) -> list[np.ndarray]:
    """Up to ``n`` pieces of printed text (about 4:1, the angle classifier's shape), the longest
    and densest runs of glyphs on the page, rulings removed.

    Glyphs are joined along the line (across less than half a glyph: the space between table
    cells stays open) and the joined runs one glyph high and at least two glyphs long are the
    candidates. A stub of a broken ruling, a lone digit or a speck tells the classifier nothing
    about up and down, and a page of such pieces (a table of zeros) would be decided by chance.
    """
    th = text_height(ink)
    # broken rulings of a poor scan leave pieces shorter than a 25th of the page: take out
    # every straight line of two glyphs' length, which no glyph stroke reaches
    text = remove_rulings(ink, max(8, int(2 * th)))
    text = cv2.morphologyEx(text, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))   # specks
    joined = cv2.morphologyEx(text, cv2.MORPH_CLOSE, cv2.getStructuringElement(
        cv2.MORPH_RECT, (max(2, int(0.5 * th)), max(2, int(0.4 * th)))))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    cands = []
    for x, y, w, h, _ in stats[1:]:
        if not 0.6 * th <= h <= 1.8 * th or w < 2 * th:
            continue
        piece = int(min(w, 4 * h))
        fill = float((text[y:y + h, x:x + piece] > 0).mean())
        if fill >= 0.08:   # glyphs, not a thin stroke stretched out
            cands.append((piece * fill, int(x), int(y), piece, int(h)))
    cands.sort(reverse=True)
    crops = []
    for _, x, y, piece, h in cands[:n]:
        pad = max(2, h // 4)
        crop = grey[max(0, y - pad):y + h + pad, max(0, x - pad):x + piece + pad]
        if crop.size:
            crops.append(crop)
    return crops


def prepare_page(grey: np.ndarray, number: int, scale: float,
                 upside_down: Callable | None = None) -> PreparedPage:
    """Flatten, orient, deskew. ``upside_down`` (an engine's 0/180 classifier) decides between
    an orientation and its opposite; the line direction decides between 0/180 and 90/270."""
    h0, w0 = grey.shape
    flat = flatten_lighting(grey)
    ink = ink_mask(flat)
    orientation, flipped = orientation_candidates(ink)
    base = rotate_quadrant(flat, orientation)
    skew = skew_angle(rotate_quadrant(ink, orientation))
    image, m_skew = _rotate_small(base, skew)
    image_ink = ink_mask(image)
    if upside_down is not None:
        crops = sample_line_crops(image, image_ink)
        if crops and upside_down(crops) > 0.5:
            orientation = flipped
            base = rotate_quadrant(flat, orientation)
            skew = skew_angle(rotate_quadrant(ink, orientation))
            image, m_skew = _rotate_small(base, skew)
            image_ink = ink_mask(image)
    m_quad = _quadrant_matrix(orientation, w0, h0)
    m = _compose(m_skew, m_quad)
    return PreparedPage(number=number, image=image, ink=image_ink, matrix=m,
                        orientation=orientation, skew=skew, scale=scale, original_size=(w0, h0))


def _rotate_small(img: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    if abs(angle) < 0.01:
        return img, m
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    return out, m


def _quadrant_matrix(angle: int, w: int, h: int) -> np.ndarray:
    a = angle % 360
    if a == 0:
        return np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float64)
    if a == 90:   # clockwise: (x, y) -> (h-1-y, x)
        return np.array([[0, -1, h - 1], [1, 0, 0]], dtype=np.float64)
    if a == 180:
        return np.array([[-1, 0, w - 1], [0, -1, h - 1]], dtype=np.float64)
    return np.array([[0, 1, 0], [-1, 0, w - 1]], dtype=np.float64)  # 270


def _compose(m2: np.ndarray, m1: np.ndarray) -> np.ndarray:
    """The affine map x -> m2(m1(x))."""
    a = np.vstack([m2, [0, 0, 1]]) @ np.vstack([m1, [0, 0, 1]])
    return a[:2]
