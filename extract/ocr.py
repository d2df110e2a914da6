"""OCR engines behind one small interface, registered by name.

An engine does two things:

- ``recognize(crops)``: read a batch of single-line image crops (BGR or grey ``uint8`` arrays) and
  return one ``Reading`` per crop: text, mean character confidence, and alternatives for uncertain
  digits (best first) for the arithmetic corrector;
- ``read_page(image)``: detect text lines on a page region and read them (``TextLine`` boxes in the
  image's pixel coordinates).

``get_engine(options)`` builds an engine once per process and per (name, threads): building the
RapidOCR sessions costs ~0.5 s and ~150 MB, so it is never done per page. ``ENGINES`` maps a name
to a factory; an unknown name raises ``OptionsError`` listing the known ones. The ``null`` engine
reads nothing and is the cheap test double for geometry tests.

RapidOCR is built with explicit ``Det/Rec/Cls.model_path`` pointing at the ONNX files its wheel
ships (PP-OCRv6 small det/rec, v2.0 angle classifier), so its downloader is never consulted and no
network is touched. The thread count comes from ``Options.effective_threads``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import cv2
import numpy as np

from .errors import ModelError, OptionsError
from .options import Options

log = logging.getLogger(__name__)

DIGITS = "0123456789"
# Characters a recogniser may print for a digit on a faint or blurred scan.
DIGIT_LOOKALIKES = {"o": "0", "O": "0", "〇": "0", "D": "0", "Q": "0", "l": "1", "I": "1",
                    "|": "1", "i": "1", "丨": "1", "Z": "2", "z": "2", "S": "5", "s": "5",
                    "b": "6", "G": "6", "B": "8", "g": "9", "q": "9"}
NUMERIC_CHARS = set(DIGITS + ".,-")
# A character read with less confidence than this is "uncertain": its alternatives are kept.
UNCERTAIN = 0.90
# Packed recognition: crops laid side by side into lines about this wide (pixels at the model's
# height, 48), this many white pixels apart (6 output time steps of 8 px).
PACK_WIDTH = 960
PACK_GAP = 16
# Packed crops may be left below the model's height (not enlarged past their own height) down
# to this share of it. 1.0: always scaled to 48 px. At 0.75 (a 150 dpi line is ~35 px high) the
# recogniser's input is ~20 % narrower, but on the dev scan 39 of 186 values then read with a
# confidence under 0.9 instead of 3, and every one of them is flagged.
MIN_SCALE = 1.0
# Crops whose ink differs by at most this (``signature_distance``) are read once.
SAME_CROP = 0.12


@dataclass(frozen=True)
class Reading:
    """One crop's reading. ``alternatives`` are other ``(text, score)`` readings, best first."""

    text: str
    score: float
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class TextLine:
    """A detected and read text line; ``bbox`` is ``(x0, top, x1, bottom)`` in image pixels."""

    text: str
    score: float
    bbox: tuple[float, float, float, float]


class OcrEngine(Protocol):
    name: str

    def recognize(self, crops: list[np.ndarray]) -> list[Reading]: ...

    def detect(self, image: np.ndarray) -> list[np.ndarray]: ...

    def upside_down(self, crops: list[np.ndarray]) -> float: ...

    def recognize_alone(self, crops: list[np.ndarray]) -> list[Reading]: ...

    def read_page(self, image: np.ndarray) -> list[TextLine]: ...


class NullEngine:
    """Reads nothing: every crop is empty text with score 0. For geometry tests."""

    name = "null"

    def __init__(self, options: Options | None = None):
        self.calls = 0

    def recognize(self, crops):
        self.calls += len(crops)
        return [Reading("", 0.0) for _ in crops]

    recognize_alone = recognize

    def detect(self, image):
        return []

    def upside_down(self, crops):
        return 0.0

    def read_page(self, image):
        return []


def rapidocr_model_paths() -> dict[str, Path]:
    """The det/rec/cls ONNX files shipped inside the rapidocr wheel; ``ModelError`` if absent."""
    try:
        import rapidocr
    except ImportError as e:
        raise ModelError("the rapidocr package is not installed (pip install rapidocr "
                         "onnxruntime)") from e
    root = Path(rapidocr.__file__).resolve().parent / "models"
    paths = {"det": root / "PP-OCRv6_det_small.onnx", "rec": root / "PP-OCRv6_rec_small.onnx",
             "cls": root / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise ModelError(f"the OCR model files shipped with rapidocr are missing: "
                         f"{', '.join(missing)}; reinstall rapidocr==3.10.0")
    return paths


class RapidOcrEngine:
    """PP-OCRv6 small through rapidocr + onnxruntime, offline.

    Recognition runs the rec session directly on our own batches so that per-character
    probabilities are available: the CTC decode keeps, for each uncertain character, the next
    best candidates, and for a short numeric-looking reading a digits-only decode, as
    alternatives.
    """

    name = "rapidocr"

    def __init__(self, options: Options):
        from rapidocr import RapidOCR

        paths = rapidocr_model_paths()
        threads = options.effective_threads
        params = {
            "Global.log_level": "error",
            "Global.max_side_len": 4000,
            "Det.model_path": str(paths["det"]),
            "Rec.model_path": str(paths["rec"]),
            "Cls.model_path": str(paths["cls"]),
            "Det.limit_type": "max",
            "Det.limit_side_len": 1280,
            "Global.use_cls": False,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        try:
            self._ocr = RapidOCR(params=params)
            self._rec = self._ocr._load_rec_model()
            # our own sessions: exact thread count, and no spin-waiting (on a shared or
            # oversubscribed machine spinning threads burn the cores other workers need)
            import onnxruntime as ort

            so = ort.SessionOptions()
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
            so.log_severity_level = 4
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
            for model, key in ((self._rec, "rec"), (self._ocr._load_det_model(), "det"),
                               (self._ocr._load_cls_model(), "cls")):
                model.session.session = ort.InferenceSession(
                    str(paths[key]), sess_options=so, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime/omegaconf errors: translate at the seam
            raise ModelError(f"cannot load the OCR models: {type(e).__name__}: {e}") from e
        self.threads = threads
        chars = list(self._rec.postprocess_op.character)
        self._chars = chars
        self._digit_ids = np.array([i for i, ch in enumerate(chars) if ch in NUMERIC_CHARS])
        self._lock = threading.Lock()
        self.batch_size = 8
        self.pack_width = PACK_WIDTH
        self.min_scale = MIN_SCALE
        self.dedupe = True

    # -- recognition ---------------------------------------------------------------------------
    def recognize(self, crops: list[np.ndarray]) -> list[Reading]:
        """Read line crops. With ``pack_width`` (the default) the crops are scaled to the model's
        height and laid side by side, ``PACK_GAP`` white pixels apart, into lines about
        ``pack_width`` wide; each crop's reading is decoded from the output time steps over its
        own span. The recogniser's cost grows with the total input width, and a lone digit
        recognised alone must be padded to a line of its own (see ``_widen``): packing reads a
        table row of digits for about the width of its ink."""
        if not crops:
            return []
        if self.dedupe:
            reps, of = same_crops(crops)
            if len(reps) < len(crops):
                read = self.recognize_distinct([crops[i] for i in reps])
                return [read[k] for k in of]
        return self.recognize_distinct(crops)

    def recognize_distinct(self, crops: list[np.ndarray]) -> list[Reading]:
        if not crops:
            return []
        if self.pack_width:
            return self._recognize_packed(crops)
        return self.recognize_alone(crops)

    def recognize_alone(self, crops: list[np.ndarray]) -> list[Reading]:
        """Read each crop on its own line (padded as ``_widen`` does), batched by width: the
        second look at a crop that the packed reading left empty."""
        if not crops:
            return []
        imgs = [_widen(_to_bgr(c)) for c in crops]
        ratios = np.array([im.shape[1] / max(1, im.shape[0]) for im in imgs])
        order = np.argsort(ratios)
        out: list[Reading | None] = [None] * len(imgs)
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            # no floor at the model's nominal 320 px: a lone digit is not padded to a line
            max_ratio = max(1.0, max(ratios[i] for i in idx))
            batch = np.stack([self._rec.resize_norm_img(imgs[i], max_ratio) for i in idx])
            with self._lock:
                probs = self._rec.session(batch.astype(np.float32))
            for j, i in enumerate(idx):
                out[i] = self._decode(probs[j])
        return out  # type: ignore[return-value]

    def _recognize_packed(self, crops: list[np.ndarray]) -> list[Reading]:
        _, height, _ = self._rec.rec_image_shape
        gap, limit = PACK_GAP, self.pack_width
        strips = [_to_height(_to_grey(c), height, self.min_scale) for c in crops]
        # lines of (crop index, x0, x1) in reading order, first fit
        lines: list[list[tuple[int, int, int]]] = []
        widths: list[int] = []
        for i, s in enumerate(strips):
            w = s.shape[1]
            if not lines or widths[-1] + w + gap > limit:
                lines.append([])
                widths.append(gap // 2)
            x0 = widths[-1]
            lines[-1].append((i, x0, x0 + w))
            widths[-1] = x0 + w + gap
        out: list[Reading | None] = [None] * len(crops)
        order = np.argsort(widths)
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            width = int(max(widths[k] for k in idx))
            canvas = np.full((len(idx), height, width), 255, np.uint8)
            for j, k in enumerate(idx):
                for i, x0, x1 in lines[k]:
                    canvas[j, :, x0:x1] = strips[i]
            batch = (canvas.astype(np.float32) / 127.5 - 1.0)[:, None]
            batch = np.ascontiguousarray(np.repeat(batch, 3, axis=1))
            with self._lock:
                probs = self._rec.session(batch)
            step = width / probs.shape[1]
            for j, k in enumerate(idx):
                for i, x0, x1 in lines[k]:
                    t0 = max(0, int(round((x0 - gap / 2) / step)))
                    t1 = min(probs.shape[1], int(round((x1 + gap / 2) / step)))
                    out[i] = _strip(self._decode(probs[j, t0:t1]))
        return out  # type: ignore[return-value]

    def _decode(self, prob: np.ndarray) -> Reading:
        """Greedy CTC decode of one (T, C) probability matrix, with digit alternatives."""
        best = prob.argmax(axis=1)
        keep = np.ones(len(best), dtype=bool)
        keep[1:] = best[1:] != best[:-1]
        keep &= best != 0
        steps = np.nonzero(keep)[0]
        chars = self._chars
        text_chars = [chars[best[t]] for t in steps]
        confs = [float(prob[t, best[t]]) for t in steps]
        text = "".join(text_chars)
        score = float(np.mean(confs)) if confs else 0.0
        alts: dict[str, float] = {}
        # Per-character alternatives where a character, or its runner-up, is a digit.
        for k, t in enumerate(steps):
            if confs[k] >= UNCERTAIN:
                continue
            ranked = np.argsort(prob[t])[::-1][:4]
            for cid in ranked:
                if cid == best[t]:
                    continue
                cand = "" if cid == 0 else chars[cid]
                if not (cand in NUMERIC_CHARS or cand == "" or text_chars[k] in DIGITS):
                    continue
                alt = "".join(text_chars[:k]) + cand + "".join(text_chars[k + 1:])
                if alt != text and alt.strip():
                    s = score - (confs[k] - float(prob[t, cid])) / max(1, len(confs))
                    alts[alt] = max(alts.get(alt, 0.0), s)
        # A short reading that looks like a number apart from a lookalike: a digits-only decode.
        if text and len(text) <= 12 and any(ch in DIGIT_LOOKALIKES or ch in DIGITS for ch in text) \
                and not all(ch in NUMERIC_CHARS for ch in text) \
                and sum(ch in DIGITS or ch in DIGIT_LOOKALIKES or ch in ".," for ch in text) \
                >= len(text) - 0:
            sub = prob[:, self._digit_ids]
            blank = prob[:, 0]
            dbest = np.where(blank >= sub.max(axis=1), 0, self._digit_ids[sub.argmax(axis=1)])
            dkeep = np.ones(len(dbest), dtype=bool)
            dkeep[1:] = dbest[1:] != dbest[:-1]
            dkeep &= dbest != 0
            dsteps = np.nonzero(dkeep)[0]
            dtext = "".join(chars[dbest[t]] for t in dsteps)
            if dtext and dtext != text:
                dscore = float(np.mean([prob[t, dbest[t]] for t in dsteps]))
                alts[dtext] = max(alts.get(dtext, 0.0), dscore)
        ranked_alts = tuple(sorted(alts.items(), key=lambda kv: -kv[1])[:4])
        return Reading(text, score, tuple((a, round(s, 4)) for a, s in ranked_alts))

    # -- detection + recognition ---------------------------------------------------------------
    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Text-line quadrilaterals (4×2 float arrays, image pixels), top to bottom."""
        img = _to_bgr(image)
        with self._lock:
            det = self._ocr(img, use_det=True, use_cls=False, use_rec=False)
        boxes = getattr(det, "boxes", None)
        if boxes is None or len(boxes) == 0:
            return []
        return [np.asarray(q, dtype=np.float32) for q in boxes]

    def upside_down(self, crops: list[np.ndarray]) -> float:
        """The probability that the text of the line crops is upside down.

        The 0/180 angle classifier decides when it is sure (mean probability outside 0.3–0.7).
        On faint or fax-grade pages it often is not, and a wrong turn loses the whole page: then
        the recogniser reads the crops both ways up, and the way that reads with the higher mean
        confidence wins (0.5 when they tie).
        """
        if not crops:
            return 0.0
        with self._lock:
            cls = self._ocr._load_cls_model()
            res = cls([_to_bgr(c) for c in crops])
        probs = [(s if "180" in lab else 1.0 - s) for lab, s in res.cls_res]
        p = float(np.mean(probs))
        if not 0.3 < p < 0.7:
            return p
        upright = np.mean([r.score for r in self.recognize(crops)])
        turned = np.mean([r.score for r in self.recognize([cv2.rotate(c, cv2.ROTATE_180)
                                                            for c in crops])])
        if abs(turned - upright) < 0.05:
            return 0.5
        return 0.9 if turned > upright else 0.1

    def read_page(self, image: np.ndarray) -> list[TextLine]:
        img = _to_bgr(image)
        quads = self.detect(img)
        crops = [quad_crop(img, q) for q in quads]
        readings = self.recognize(crops)
        return [TextLine(r.text, r.score, quad_box(q)) for r, q in zip(readings, quads)
                if r.text.strip()]


def _strip(r: Reading) -> Reading:
    """A packed crop's reading without the spaces its white margins can decode to."""
    alts = tuple((a.strip(), sc) for a, sc in r.alternatives if a.strip() and a.strip() != r.text.strip())
    return Reading(r.text.strip(), r.score, alts)


def crop_signature(img: np.ndarray) -> np.ndarray | None:
    """The ink of a crop (grey < 128), cut to its bounding box; None for a crop with too little
    ink or a flat mark (a dash or dot: cheap to read, and the lookalikes differ by little ink)."""
    ink = _to_grey(img) < 128
    ys = np.nonzero(ink.any(axis=1))[0]
    if len(ys) == 0:
        return None
    xs = np.nonzero(ink.any(axis=0))[0]
    sig = ink[ys[0]:ys[-1] + 1, xs[0]:xs[-1] + 1]
    if sig.sum() < 12 or sig.shape[0] < 0.3 * img.shape[0]:
        return None
    return sig


def signature_distance(a: np.ndarray, b: np.ndarray) -> float:
    """How differently two ink signatures print, 0 (same) .. 1: the worst glyph-wide window of
    their XOR over their union, at the best of 3×3 one-pixel shifts. A window, not the whole
    crop, so that 第二十条第(六)项 and 第二十条第(八)项 are far apart. Sizes more than a pixel
    apart are 1."""
    if abs(a.shape[0] - b.shape[0]) > 1 or abs(a.shape[1] - b.shape[1]) > 1:
        return 1.0
    h, w = max(a.shape[0], b.shape[0]) + 2, max(a.shape[1], b.shape[1]) + 2
    big = np.zeros((h, w), bool)
    big[1:1 + a.shape[0], 1:1 + a.shape[1]] = a
    win = np.ones(max(3, min(h, w)))
    best = 1.0
    for dy in range(3):
        for dx in range(3):
            other = np.zeros((h, w), bool)
            other[dy:dy + b.shape[0], dx:dx + b.shape[1]] = b
            xor = np.convolve((big ^ other).sum(axis=0), win, "valid")
            union = np.convolve((big | other).sum(axis=0), win, "valid")
            best = min(best, float((xor / np.maximum(1, union)).max()))
    return best


def same_crops(crops: list[np.ndarray], limit: float = None) -> tuple[list[int], list[int]]:
    """Crops that print the same thing (a column of "0"s, a header row repeated over column
    groups): ``(representatives, of)``, ``of[i]`` the position in ``representatives`` of the
    crop read for crop ``i``. The measured signature distance of two prints of one text is
    0.02–0.3 (median 0.14); of different texts, at least 0.17 (dev scan and generated scans at
    severities 2–4, benchmarks/bench_scan.py), so ``SAME_CROP`` (0.12) merges only close prints."""
    limit = SAME_CROP if limit is None else limit
    reps: list[int] = []
    rep_sigs: dict[tuple[int, int], list[tuple[int, np.ndarray]]] = {}
    of: list[int] = []
    for i, c in enumerate(crops):
        sig = crop_signature(c)
        found = None
        if sig is not None:
            h, w = sig.shape
            for dh in (-1, 0, 1):
                for dw in (-1, 0, 1):
                    for k, other in rep_sigs.get((h + dh, w + dw), ()):
                        if signature_distance(sig, other) <= limit:
                            found = k
                            break
                    if found is not None:
                        break
                if found is not None:
                    break
        if found is None:
            found = len(reps)
            reps.append(i)
            if sig is not None:
                rep_sigs.setdefault(sig.shape, []).append((found, sig))
        of.append(found)
    return reps, of


def quad_crop(img: np.ndarray, quad: np.ndarray) -> np.ndarray:
    from rapidocr.utils.process_img import get_rotate_crop_image

    return get_rotate_crop_image(img, np.asarray(quad, dtype=np.float32).copy())


def quad_box(quad: np.ndarray) -> tuple[float, float, float, float]:
    q = np.asarray(quad)
    return (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))


def _to_grey(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return img
    return cv2.cvtColor(img[:, :, :3], cv2.COLOR_BGR2GRAY)


def _to_height(img: np.ndarray, height: int, min_scale: float = 1.0) -> np.ndarray:
    """The crop scaled to the model's ``height``, or, when that would enlarge it, to its own
    height but not below ``min_scale * height``, centred in ``height`` white rows: enlarging
    a 150 dpi line adds no detail, only width for the recogniser to pay for."""
    h, w = img.shape[:2]
    inner = min(height, max(int(round(height * min_scale)), h))
    width = max(1, int(np.ceil(w * inner / max(1, h))))
    out = cv2.resize(img, (width, inner), interpolation=cv2.INTER_AREA if inner < h else
                     cv2.INTER_LINEAR)
    if inner < height:
        top = (height - inner) // 2
        out = cv2.copyMakeBorder(out, top, height - inner - top, 0, 0, cv2.BORDER_CONSTANT,
                                 value=255)
    return out


def _widen(img: np.ndarray) -> np.ndarray:
    """A crop recognised on its own, widened with white to at least 2:1: a lone "0" in a square
    crop reads at 0.92 as "0", at 0.98 in a 2:1 one (dev scan); wider margins make it worse."""
    h, w = img.shape[:2]
    if w >= 2 * h:
        return img
    pad = (2 * h - w + 1) // 2
    return cv2.copyMakeBorder(img, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=(255, 255, 255))


def _to_bgr(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return np.ascontiguousarray(np.repeat(img[:, :, None], 3, axis=2))
    if img.shape[2] == 4:
        return np.ascontiguousarray(img[:, :, :3])
    return img


ENGINES: dict[str, Callable[[Options], OcrEngine]] = {
    "rapidocr": RapidOcrEngine,
    "null": NullEngine,
}

_CACHE: dict[tuple[str, int], OcrEngine] = {}
_CACHE_LOCK = threading.Lock()


def get_engine(options: Options) -> OcrEngine:
    """The process-wide engine for ``options.ocr_engine`` and its thread count."""
    name = options.ocr_engine
    if name not in ENGINES:
        raise OptionsError(f"unknown OCR engine {name!r}; known: {', '.join(ENGINES)}")
    key = (name, options.effective_threads)
    with _CACHE_LOCK:
        engine = _CACHE.get(key)
        if engine is None:
            log.info("building OCR engine %s with %d threads", name, options.effective_threads)
            engine = ENGINES[name](options)
            _CACHE[key] = engine
    return engine


def register_engine(name: str, factory: Callable[[Options], OcrEngine]) -> None:
    """Register another engine (e.g. a local-weights paddleocr) under ``name``."""
    ENGINES[name] = factory
