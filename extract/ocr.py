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

    def read_page(self, image: np.ndarray) -> list[TextLine]: ...


class NullEngine:
    """Reads nothing: every crop is empty text with score 0. For geometry tests."""

    name = "null"

    def __init__(self, options: Options | None = None):
        self.calls = 0

    def recognize(self, crops):
        self.calls += len(crops)
        return [Reading("", 0.0) for _ in crops]

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

    # -- recognition ---------------------------------------------------------------------------
    def recognize(self, crops: list[np.ndarray]) -> list[Reading]:
        if not crops:
            return []
        imgs = [_to_bgr(c) for c in crops]
        ratios = np.array([im.shape[1] / max(1, im.shape[0]) for im in imgs])
        order = np.argsort(ratios)
        out: list[Reading | None] = [None] * len(imgs)
        _, img_h, img_w = self._rec.rec_image_shape
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
        """The probability (mean over line crops) that the text is upside down, from the
        0/180 angle classifier."""
        if not crops:
            return 0.0
        with self._lock:
            cls = self._ocr._load_cls_model()
            res = cls([_to_bgr(c) for c in crops])
        probs = [(s if "180" in lab else 1.0 - s) for lab, s in res.cls_res]
        return float(np.mean(probs))

    def read_page(self, image: np.ndarray) -> list[TextLine]:
        img = _to_bgr(image)
        quads = self.detect(img)
        crops = [quad_crop(img, q) for q in quads]
        readings = self.recognize(crops)
        return [TextLine(r.text, r.score, quad_box(q)) for r, q in zip(readings, quads)
                if r.text.strip()]


def quad_crop(img: np.ndarray, quad: np.ndarray) -> np.ndarray:
    from rapidocr.utils.process_img import get_rotate_crop_image

    return get_rotate_crop_image(img, np.asarray(quad, dtype=np.float32).copy())


def quad_box(quad: np.ndarray) -> tuple[float, float, float, float]:
    q = np.asarray(quad)
    return (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))


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
