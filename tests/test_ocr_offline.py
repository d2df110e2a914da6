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
