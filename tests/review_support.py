"""A real batch output for the review tests, made once per test session by ``gkreport batch``'s
library entry (``run_batch``) on the dev set's born-digital PDF ``hongze_2023.pdf``, whose two
section 四 totals are printed as 0 and flagged by arithmetic issues. Each test works on its own
copy of the folder; ``Server`` runs the real ``gkreport review`` process on a free port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from devset import DEV, ROOT

HONGZE = DEV / "hongze_2023.pdf"
RECON_TOTAL = "review_litigation.reconsideration.total"
AFTER_TOTAL = "review_litigation.litigation_after_review.total"
_PRISTINE: dict[str, Path] = {}


def pristine_batch(tmp_path_factory) -> Path:
    if "out" not in _PRISTINE:
        from extract.batch import run_batch
        from extract.options import Options

        out = tmp_path_factory.mktemp("review_batch") / "out"
        summary = run_batch([HONGZE], out, options=Options(), jobs=1, progress=False)
        assert summary.exit_code == 0
        _PRISTINE["out"] = out
    return _PRISTINE["out"]


def fresh_batch(tmp_path_factory, tmp_path: Path) -> Path:
    """A copy of the pristine batch output that a test may change."""
    out = tmp_path / "out"
    shutil.copytree(pristine_batch(tmp_path_factory), out)
    return out


def training_dir(tmp_path: Path) -> Path:
    """A training data folder holding a copy of the project's curated.tsv."""
    d = tmp_path / "training_data"
    d.mkdir()
    shutil.copy(ROOT / "training_data" / "curated.tsv", d / "curated.tsv")
    return d


class Server:
    """``gkreport review OUTDIR --port 0`` as a real process; ``url`` once it listens."""

    def __init__(self, outdir: Path, training: Path | None = None, *extra: str):
        args = [sys.executable, "-m", "extract", "review", str(outdir), "--port", "0", *extra]
        if training is not None:
            args += ["--training-data", str(training)]
        self.proc = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        self.url = None
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if " at http://" in line:
                self.url = line.split(" at ", 1)[1].split()[0]
                break
        if self.url is None:
            self.stop()
            raise AssertionError("gkreport review did not start: " + "".join(lines))
        host, port = self.url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
        self.host, self.port = host, int(port)

    def raw(self, request: bytes) -> bytes:
        """Send raw bytes (paths exactly as written: clients would normalise ``..``)."""
        with socket.create_connection((self.host, self.port), timeout=10) as s:
            s.sendall(request)
            out = b""
            while chunk := s.recv(65536):
                out += chunk
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
