"""The Ray engine on a real local Ray instance (``ray.init(num_cpus=2)``), compared with the local
engine on the same inputs: the record files are byte-identical and the store's tables are equal
apart from the columns that describe the run (``store.RUN_COLUMNS``)."""

from __future__ import annotations

import pytest

ray = pytest.importorskip("ray")

from extract.batch import run_batch  # noqa: E402
from extract.options import Options  # noqa: E402
from extract.store import REPORT_COLUMNS, RUN_COLUMNS  # noqa: E402

from test_batch import FENGZE, HONGZE, db, non_report_pdf, pdf_variant  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_engine_outputs_equal_the_local_engine(tmp_path, local_ray):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.pdf").write_bytes(HONGZE.read_bytes())
    pdf_variant(inputs / "b.pdf", 1)
    (inputs / "copy_of_a.pdf").write_bytes(HONGZE.read_bytes())
    (inputs / "fengze.txt").write_bytes(FENGZE.read_bytes())
    (inputs / "broken.pdf").write_bytes(b"%PDF-1.5\nnot really")
    non_report_pdf(inputs / "memo.pdf")
    (inputs / "skip.me").write_text("x")

    summaries = {}
    for engine in ("local", "ray"):
        summaries[engine] = run_batch([inputs], tmp_path / engine, options=Options(), jobs=2,
                                      engine=engine, progress=False)
    lo, ra = summaries["local"], summaries["ray"]
    assert (ra.reports, ra.extracted, ra.failed, ra.skipped, ra.duplicates) == \
        (lo.reports, lo.extracted, lo.failed, lo.skipped, lo.duplicates) == (3, 3, 2, 1, 1)

    rec_lo = {p.name: p.read_bytes() for p in (tmp_path / "local" / "records").iterdir()}
    rec_ra = {p.name: p.read_bytes() for p in (tmp_path / "ray" / "records").iterdir()}
    assert rec_lo == rec_ra and len(rec_lo) == 3

    report_cols = ", ".join(c for c in REPORT_COLUMNS if c not in RUN_COLUMNS)
    queries = [
        f"SELECT {report_cols} FROM reports ORDER BY sha256",
        "SELECT * FROM fields ORDER BY sha256, key",
        "SELECT * FROM issues ORDER BY sha256, seq",
        "SELECT sha256, path, error, exit_code, reason FROM failures ORDER BY path",
        "SELECT path, sha256, input FROM sources ORDER BY path",
        "SELECT path, reason FROM skipped ORDER BY path",
    ]
    for q in queries:
        a = db(tmp_path / "local").execute(q).fetchall()
        b = db(tmp_path / "ray").execute(q).fetchall()
        assert a == b, q
    assert db(tmp_path / "ray").execute("SELECT DISTINCT run_engine FROM reports")\
        .fetchall() == [("ray",)]
