"""Response times of the review server (extract/review.py) over a real batch output.

    python benchmarks/bench_review.py [OUTDIR]

Without OUTDIR, runs `gkreport batch` on eval/dev_set/hongze_2023.pdf into a temporary folder
first. Prints the median milliseconds of: the report list, one report's view, an uncached page
image, and a correction written (each a full request through the app, in process). Works on a
copy of OUTDIR, so the corrections it writes do not stay.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")


def median_ms(f, n: int = 10) -> float:
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        xs.append(time.perf_counter() - t)
    return statistics.median(xs) * 1000


def main() -> None:
    from starlette.testclient import TestClient

    from extract.review import create_app

    tmp = Path(tempfile.mkdtemp(prefix="bench_review_"))
    try:
        if len(sys.argv) > 1:
            out = tmp / "out"
            shutil.copytree(sys.argv[1], out)
        else:
            from extract.batch import run_batch
            from extract.options import Options
            out = tmp / "out"
            run_batch([ROOT / "eval/dev_set/hongze_2023.pdf"], out, options=Options(), jobs=1,
                      progress=False)
        client = TestClient(create_app(out, token="t", allowed_hosts=("testserver",)))
        reports = client.get("/api/reports").json()["reports"]
        sha = reports[0]["sha256"]
        view = client.get(f"/api/report/{sha}").json()
        key = (view["doubtful"] or list(view["values"]))[0]
        page = next((p["page"] for p in view["provenance"].values() if p.get("page")), None)
        batch = client.app.state.batch
        print(f"reports: {len(reports)}; report {sha[:12]}, {len(view['values'])} fields")
        print(f"report list        {median_ms(lambda: client.get('/api/reports')):7.1f} ms")
        print(f"report view        {median_ms(lambda: client.get(f'/api/report/{sha}')):7.1f} ms")
        if page:
            def render():
                batch._pages.clear()
                client.get(f"/api/report/{sha}/page/{page}.png")
            print(f"page image (new)   {median_ms(render, 5):7.1f} ms")
        value = str(view["values"].get(key) or 0)
        write = lambda: client.post(f"/api/report/{sha}/field",  # noqa: E731
                                    json={"field": key, "action": "set", "value": value},
                                    headers={"X-GK-Token": "t"})
        print(f"correction write   {median_ms(write):7.1f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
