"""gkreport batch: inputs, dedup, failures, resumability (a real SIGKILL), the local engine's
limits, all on a real DuckDB file.

Inputs are fast to extract: the born-digital dev-set PDF and text report, copies of them under
other names, distinct variants of the PDF (bytes appended after %%EOF change the sha256, not the
content), corrupt files written here, and a non-report PDF made with reportlab.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from extract import PIPELINE_VERSION
from extract.batch import (LocalEngine, Task, batch_options, expand_inputs, hash_sources,
                           read_list, run_batch, sha256_file)
from extract.options import Options
from extract.pipeline import sha256_of

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "eval" / "dev_set"
HONGZE = DEV / "hongze_2023.pdf"
FENGZE = DEV / "fengze_2023.txt"
GKREPORT = [sys.executable, "-m", "extract"]


def non_report_pdf(path: Path) -> Path:
    """A readable PDF that is not a disclosure report (English memo)."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for i in range(20):
        c.drawString(72, 760 - 20 * i, f"Line {i}: minutes of the canteen committee meeting.")
    c.save()
    return path


def pdf_variant(path: Path, i: int) -> Path:
    """The dev-set PDF with a comment appended after %%EOF: same report, another sha256."""
    path.write_bytes(HONGZE.read_bytes() + f"\n% variant {i}\n".encode())
    return path


def png(path: Path) -> Path:
    import numpy as np
    from PIL import Image

    Image.fromarray(np.full((40, 60), 255, dtype=np.uint8)).save(path)
    return path


def mixed_inputs(d: Path) -> Path:
    """A folder mixing good reports, duplicates, corrupt files, a non-report and junk."""
    d.mkdir()
    (d / "sub").mkdir()
    (d / "a.pdf").write_bytes(HONGZE.read_bytes())
    (d / "sub" / "same_as_a.pdf").write_bytes(HONGZE.read_bytes())
    (d / "fengze.txt").write_bytes(FENGZE.read_bytes())
    (d / "garbage.pdf").write_bytes(os.urandom(3000))
    (d / "truncated.pdf").write_bytes(HONGZE.read_bytes()[:5000])
    (d / "empty.pdf").write_bytes(b"")
    non_report_pdf(d / "memo.pdf")
    (d / "notes.xyz").write_text("not a report")
    (d / ".hidden.pdf").write_bytes(HONGZE.read_bytes())
    with zipfile.ZipFile(d / "archive.zip", "w") as z:
        z.write(HONGZE, "inner/copy_of_a.pdf")
        z.writestr("inner/readme.md", "hello")
        z.writestr("nested.zip", b"PK\x05\x06" + b"\0" * 18)
    with tarfile.open(d / "more.tar.gz", "w:gz") as t:
        t.add(FENGZE, "reports/fengze_copy.txt")
    return d


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("batch")
    inputs = mixed_inputs(base / "in")
    out = base / "out"
    summary = run_batch([inputs], out, options=Options(), jobs=2, progress=False)
    return inputs, out, summary


def db(out: Path):
    return duckdb.connect(str(out / "gkreport.duckdb"), read_only=True)


def test_first_run_counts(first_run):
    inputs, out, s = first_run
    assert s.reports == 2 and s.extracted == 2 and s.adopted == 0 and s.already_done == 0
    # garbage, truncated, empty, memo
    assert s.failed == 4
    # a.pdf == sub/same_as_a.pdf == archive.zip!inner/copy_of_a.pdf; fengze == its tar copy
    assert s.duplicates == 3
    skipped = {Path(o.path).name if "!" not in o.path else o.path.split("!")[1]: o.reason
               for o in s.outcomes if o.status == "skipped"}
    assert set(skipped) == {"notes.xyz", ".hidden.pdf", "inner/readme.md", "nested.zip"}
    assert "unsupported file type .xyz" in skipped["notes.xyz"]
    assert "hidden" in skipped[".hidden.pdf"]
    assert "archive inside an archive" in skipped["nested.zip"]
    assert s.exit_code == 1


def test_store_holds_each_report_once_with_all_its_sources(first_run):
    inputs, out, s = first_run
    con = db(out)
    hongze = sha256_file(HONGZE)
    assert con.execute("SELECT count(*), count(DISTINCT sha256) FROM reports").fetchone() == (2, 2)
    paths = {p for p, in con.execute("SELECT path FROM sources WHERE sha256 = ?", [hongze])
             .fetchall()}
    assert paths == {str(inputs / "a.pdf"), str(inputs / "sub" / "same_as_a.pdf"),
                     f"{inputs / 'archive.zip'}!inner/copy_of_a.pdf"}
    fengze_paths = {p for p, in con.execute(
        "SELECT s.path FROM sources s JOIN reports r USING (sha256) WHERE r.input_kind = 'text'")
        .fetchall()}
    assert fengze_paths == {str(inputs / "fengze.txt"),
                            f"{inputs / 'more.tar.gz'}!reports/fengze_copy.txt"}
    # the report is named by a plain path, not the archive member
    assert con.execute("SELECT path FROM reports WHERE sha256 = ?", [hongze]).fetchone()[0] == \
        str(inputs / "a.pdf")
    # every field of every record is in the long table, once
    n_fields = sum(len(json.loads((out / rp).read_text())["fields"])
                   for rp, in con.execute("SELECT record_path FROM reports").fetchall())
    assert con.execute("SELECT count(*) FROM fields").fetchone()[0] == n_fields
    assert con.execute("SELECT count(*) FROM (SELECT sha256, key FROM fields GROUP BY ALL "
                       "HAVING count(*) > 1)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM skipped").fetchone()[0] == 4


def test_failures_carry_the_reason(first_run):
    inputs, out, s = first_run
    con = db(out)
    rows = {Path(p).name: (err, code, reason) for p, err, code, reason in con.execute(
        "SELECT path, error, exit_code, reason FROM failures").fetchall()}
    assert set(rows) == {"garbage.pdf", "truncated.pdf", "empty.pdf", "memo.pdf"}
    assert "not a valid PDF" in rows["garbage.pdf"][2]
    assert "empty" in rows["empty.pdf"][2]
    assert rows["memo.pdf"][0] == "NotAReportError" and rows["memo.pdf"][1] == 5
    assert rows["truncated.pdf"][1] == 3
    for name, (_, _, reason) in rows.items():
        assert reason.startswith(str(inputs / name))     # the message names the input


def test_records_are_written_one_per_report(first_run):
    inputs, out, s = first_run
    files = sorted((out / "records").iterdir())
    assert len(files) == 2
    for f in files:
        rec = json.loads(f.read_text())
        assert f.stem == rec["source"]["sha256"]
        assert rec["source"]["pipeline_version"] == PIPELINE_VERSION
    hongze = json.loads((out / "records" / f"{sha256_file(HONGZE)}.json").read_text())
    assert hongze["source"]["path"] == str(inputs / "a.pdf")
    assert len(hongze["fields"]) == 186
    by_path = s.by_path()
    assert by_path[str(inputs / "sub" / "same_as_a.pdf")].record == \
        out / "records" / f"{sha256_file(HONGZE)}.json"
    assert not list((out / "records").glob(".*.tmp"))
    assert not (out / ".staging").exists()


def test_rerun_skips_done_and_failed_then_retries_when_asked(first_run):
    inputs, out, _ = first_run
    s = run_batch([inputs], out, options=Options(), jobs=1, progress=False)
    assert (s.extracted, s.already_done, s.failed, s.reports) == (0, 2, 4, 2)
    con = db(out)
    assert con.execute("SELECT max(attempts) FROM failures").fetchone()[0] == 1
    con.close()
    s = run_batch([inputs / "garbage.pdf", inputs / "a.pdf"], out, options=Options(), jobs=1,
                  progress=False, retry_failed=True)
    assert (s.extracted, s.already_done, s.failed) == (0, 1, 1)
    con = db(out)
    assert con.execute("SELECT attempts FROM failures WHERE path LIKE '%garbage.pdf'")\
        .fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM failures").fetchone()[0] == 4
    assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == 2


def test_records_on_disk_are_adopted_without_extracting_again(first_run, tmp_path):
    """A kill between the record's rename and the store's commit leaves a record file the store
    does not know: the next run takes it as it is."""
    inputs, out, _ = first_run
    import shutil

    out2 = tmp_path / "out"
    shutil.copytree(out / "records", out2 / "records")
    s = run_batch([inputs / "a.pdf", inputs / "fengze.txt"], out2, options=Options(), jobs=1,
                  progress=False)
    assert (s.adopted, s.extracted, s.reports, s.failed) == (2, 0, 2, 0)
    con = db(out2)
    assert con.execute("SELECT count(*) FROM reports WHERE run_engine = 'adopted'")\
        .fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM fields").fetchone()[0] == \
        db(out).execute("SELECT count(*) FROM fields").fetchone()[0]


def test_globs_lists_and_page_dirs(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "r1.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "x" / "r2.PDF").write_bytes(b"%PDF-1.4")
    (tmp_path / "x" / "r3.txt").write_text("t")
    pages = tmp_path / "scan"
    pages.mkdir()
    png(pages / "p1.png")
    png(pages / "p2.png")
    lst = tmp_path / "list.txt"
    lst.write_text(f"# a comment\n{tmp_path / 'x' / 'r3.txt'}\n\n{tmp_path / 'missing.pdf'}\n")
    srcs, skipped = expand_inputs([str(tmp_path / "x" / "*.pdf")] + read_list(lst))
    assert [Path(s.path).name for s in srcs] == ["r1.pdf", "r3.txt", "missing.pdf"]
    assert srcs[-1].error == "no such file or directory"
    srcs, skipped = expand_inputs([str(tmp_path / "nothing*.pdf")])
    assert srcs == [] and skipped[0].reason == "the pattern matched nothing"
    # r2.PDF: suffixes are matched case-insensitively
    assert len(expand_inputs([tmp_path / "x"])[0]) == 3
    assert [s.input for s in expand_inputs([tmp_path], page_dirs=True)[0]
            if "scan" in s.path] == ["page-dir"]
    assert [Path(s.path).name for s in expand_inputs([tmp_path])[0]
            if "scan" in s.path] == ["p1.png", "p2.png"]


def test_archive_page_dir_hash_equals_the_folder_hash(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    png(pages / "p1.png")
    (pages / "p2.png").write_bytes(png(tmp_path / "other.png").read_bytes() + b"x")
    with zipfile.ZipFile(tmp_path / "scans.zip", "w") as z:
        z.write(pages / "p1.png", "county/p1.png")
        z.write(pages / "p2.png", "county/p2.png")
    srcs, _ = expand_inputs([tmp_path / "scans.zip"], page_dirs=True)
    assert [(s.path.split("!")[1], s.input) for s in srcs] == [("county", "archive-page-dir")]
    [(src, sha, where, err)] = hash_sources(srcs, {}, lambda s: True, tmp_path / "staging")
    assert err is None and sha == sha256_of(pages)
    assert sorted(os.listdir(where)) == ["p1.png", "p2.png"]


def test_gbk_zip_member_names_are_decoded(tmp_path):
    """Zips made on Chinese Windows store GBK names without the UTF-8 flag."""
    name = "洪泽区/2023年报.pdf"

    class GbkInfo(zipfile.ZipInfo):
        def _encodeFilenameFlags(self):
            return name.encode("gbk"), self.flag_bits

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = GbkInfo(name)
        z.writestr(info, HONGZE.read_bytes()[:100])
    (tmp_path / "gbk.zip").write_bytes(buf.getvalue())
    srcs, _ = expand_inputs([tmp_path / "gbk.zip"])
    assert [s.path.split("!")[1] for s in srcs] == [name]


def test_corrupt_archive_is_a_failure_not_a_crash(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "broken.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    (tmp_path / "in" / "fengze.txt").write_bytes(FENGZE.read_bytes())
    s = run_batch([tmp_path / "in"], tmp_path / "out", options=Options(), jobs=1,
                  progress=False)
    assert (s.reports, s.failed) == (1, 1)
    [(path, reason)] = db(tmp_path / "out").execute("SELECT path, reason FROM failures").fetchall()
    assert path.endswith("broken.zip") and "cannot open the zip archive" in reason


def test_threads_never_oversubscribe_the_cores():
    cores = os.cpu_count() or 1
    for jobs in (1, 2, 3, 8):
        t = batch_options(Options(), jobs).threads
        assert t >= 1 and (jobs * t <= cores or t == 1)
    assert batch_options(Options(threads=3), 2).threads == 3


@pytest.mark.slow
def test_local_engine_replaces_a_killed_worker_and_a_slow_one(tmp_path):
    """A worker killed mid-file, and a file over the timeout: each is a failed result with the
    reason, the worker is replaced, and the next file is extracted."""
    scan = DEV / "hongze_2023.scan.pdf"
    tasks = [Task("killed", "killed.txt", str(FENGZE)),
             Task("slow", "slow.pdf", str(scan)),
             Task("fine", "fine.txt", str(FENGZE))]
    results = {}
    killed = []

    def on_start(task, pid):
        if task.sha256 == "killed":
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    opts = batch_options(Options(timeout=6.0, dpi=150), 1)
    LocalEngine(opts, jobs=1).run(tasks, lambda r: results.setdefault(r.sha256, r),
                                  on_start=on_start)
    assert killed
    assert results["killed"].error == "WorkerDied" and "signal 9" in results["killed"].reason
    assert results["slow"].error == "Timeout" and "more than 6 s" in results["slow"].reason
    assert results["fine"].record is not None and results["fine"].record["fields"]


def test_local_engine_memory_bound(tmp_path):
    results = []
    LocalEngine(batch_options(Options(), 1), jobs=1, max_memory_mb=60).run(
        [Task("m", "m.pdf", str(HONGZE))], results.append)
    [r] = results
    assert r.error == "MemoryLimit" and "over the limit of 60 MB" in r.reason


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_gives_every_report_exactly_once(tmp_path):
    n = 6
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(n):
        pdf_variant(inputs / f"report_{i:02d}.pdf", i)
    (inputs / "dup_of_0.pdf").write_bytes((inputs / "report_00.pdf").read_bytes())
    (inputs / "broken.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    out = tmp_path / "out"
    cmd = GKREPORT + ["batch", str(inputs), "-o", str(out), "--jobs", "2", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    records = out / "records"
    while time.monotonic() < deadline and proc.poll() is None:
        if records.exists() and len(list(records.glob("*.json"))) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the batch finished before it could be killed"
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = len(list(records.glob("*.json")))
    assert 2 <= before < n
    # the workers die with their parent
    t = time.monotonic()
    while any(_alive(w) for w in workers) and time.monotonic() - t < 10:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)

    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr          # broken.pdf failed
    con = db(out)
    assert con.execute("SELECT count(*), count(DISTINCT sha256) FROM reports").fetchone() == (n, n)
    assert con.execute("SELECT count(*) FROM fields").fetchone()[0] == n * 186
    assert con.execute("SELECT count(*) FROM (SELECT sha256, key FROM fields GROUP BY ALL "
                       "HAVING count(*) > 1)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM failures").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == n + 2
    assert len(list(records.glob("*.json"))) == n
    assert not list(records.glob(".*"))
    assert [s for s, in con.execute("SELECT state FROM runs ORDER BY started_at").fetchall()] \
        == ["running", "finished"]
    # a third run has nothing left to do
    con.close()
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert f"{n} reports (0 extracted, {n} already done, 0 adopted), 1 failed" in again.stderr


def test_progress_plain_lines_and_rich_bar():
    from extract.batch import Progress, Result

    rec = {"source": {"pages": 5}, "status": "ok"}
    for rich in (False, True):
        buf = io.StringIO()
        p = Progress(3, 1, 2, rich=rich, every=0.0, stream=buf, sizes={"a": 100, "b": 300,
                                                                        "c": 100})
        p.finished(Result("a", "a.pdf", record=rec))
        p.finished(Result("b", "b.pdf", error="InputFileError", reason="b.pdf: corrupt"))
        assert p.eta() is not None and p.pages == 5
        p.finished(Result("c", "c.pdf", record=rec))
        p.close()
        text = buf.getvalue()
        assert "b.pdf: corrupt" in text
        if not rich:
            assert "3 to extract, 2 done before, 1 skipped" in text
            assert "3/3 done, 1 failed, 1 skipped" in text and "ETA" in text
        else:
            assert "3/3 files" in text and "1 failed" in text
