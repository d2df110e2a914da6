"""The OCR engine runs offline: with every socket connect refused, it builds and reads a page.

Also: the engine registry (unknown names are refused with the known ones listed), and the thread
count reaching the onnxruntime sessions.
"""

import socket

import cv2
import numpy as np
import pytest

from extract import ocr
from extract.errors import OptionsError
from extract.options import Options


def _digits_page() -> np.ndarray:
    img = np.full((120, 480), 255, np.uint8)
    cv2.putText(img, "2023 7730.28", (20, 75), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3)
    return img


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(self, *a, **k):
        attempts.append(a)
        raise OSError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, *a))
    return attempts


def test_engine_builds_and_reads_with_network_blocked(no_network):
    engine = ocr.RapidOcrEngine(Options(threads=1))   # a fresh build, not the cached one
    lines = engine.read_page(_digits_page())
    assert "".join(line.text for line in lines).replace(" ", "") == "20237730.28"
    crop = _digits_page()[30:95, 10:130]
    (reading,) = engine.recognize([crop])
    assert reading.text == "2023" and reading.score > 0.9
    assert no_network == []   # nothing even tried


def test_models_are_the_wheels_own_files():
    paths = ocr.rapidocr_model_paths()
    assert {p.name for p in paths.values()} == {
        "PP-OCRv6_det_small.onnx", "PP-OCRv6_rec_small.onnx", "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}


def test_thread_count_reaches_the_sessions():
    engine = ocr.get_engine(Options(threads=1))
    assert engine is ocr.get_engine(Options(threads=1))   # one engine per process and setting
    opts = engine._rec.session.session.get_session_options()
    assert opts.intra_op_num_threads == 1


def test_unknown_engine_lists_the_known_ones():
    with pytest.raises(OptionsError, match="rapidocr.*null"):
        ocr.get_engine(Options(ocr_engine="tesseract"))


def test_null_engine_reads_nothing():
    engine = ocr.get_engine(Options(ocr_engine="null"))
    assert [r.text for r in engine.recognize([_digits_page()])] == [""]
    assert engine.detect(_digits_page()) == []


def _number_crop(text: str, rng=None) -> np.ndarray:
    """A table-cell line crop: ``text`` in a Hershey font, 1.6 text heights tall."""
    h = 34
    w = 14 + 17 * len(text)
    img = np.full((h, w), 255, np.uint8)
    cv2.putText(img, text, (7, 27), cv2.FONT_HERSHEY_SIMPLEX, 0.75, 0, 2)
    if rng is not None:   # a second print of the same text: noise, not another glyph
        img = np.clip(img.astype(int) + rng.integers(-40, 40, img.shape), 0, 255).astype(np.uint8)
    return img


NUMBERS = ["0", "7", "12", "305", "4119", "7730.28", "1", "86", "0", "59", "2023", "8", "60",
           "913", "0.00", "4", "16", "28"]


def test_packed_recognition_reads_each_crop_in_its_place():
    engine = ocr.get_engine(Options(threads=1))
    crops = [_number_crop(t) for t in NUMBERS]
    assert engine.pack_width > 0
    packed = [r.text for r in engine.recognize_distinct(crops)]
    assert packed == NUMBERS              # 18 crops in a few lines: each reading in its place
    engine.pack_width, saved = 0, engine.pack_width
    try:
        alone = [r.text for r in engine.recognize_distinct(crops)]
    finally:
        engine.pack_width = saved
    assert alone == NUMBERS


def test_prints_of_one_text_are_read_once_and_different_digits_never_merge():
    rng = np.random.default_rng(3)
    crops = [_number_crop(t, rng) for t in ["0", "0", "6", "8", "0", "9", "3", "8", "12", "17"]]
    reps, of = ocr.same_crops(crops)
    texts = ["0", "0", "6", "8", "0", "9", "3", "8", "12", "17"]
    # crops read for one representative all print the same text
    for i, k in enumerate(of):
        assert texts[reps[k]] == texts[i]
    assert len(reps) < len(crops)         # the noisy "0"s and "8"s were merged
    assert len({texts[r] for r in reps}) == 7
    engine = ocr.get_engine(Options(threads=1))
    assert [r.text for r in engine.recognize(crops)] == texts
