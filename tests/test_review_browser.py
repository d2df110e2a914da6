"""The review page in a real browser: Debian's chromium driven by Playwright, against the real
``gkreport review`` process over a real batch output (``review_support``).

The reviewer opens the dev-set report whose section 四 totals are flagged, accepts one doubtful
value with one key, corrects a total with the keyboard (a bad value first: refused with a clear
message), sees the arithmetic recheck live, saves a truth file; the test then checks the DuckDB
``corrections`` table, the exported CSV (corrected and ``--raw``) and the truth file, and that a
page on another site cannot write. A screenshot is kept in ``tests/artifacts/review.png``.
"""

from __future__ import annotations

import csv
import http.server
import json
import shutil
import threading
from pathlib import Path

import duckdb
import pytest

from extract.cli import main
from extract.evaluate import load_truth

from review_support import AFTER_TOTAL, RECON_TOTAL, Server, fresh_batch, training_dir

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).parent / "artifacts"
RECON_UPHELD = "review_litigation.reconsideration.upheld"
RECON_CORRECTED = "review_litigation.reconsideration.corrected"
AFTER_UPHELD = "review_litigation.litigation_after_review.upheld"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not "
                                "installed (make system-deps)")


@pytest.fixture()
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def corrections(outdir) -> list[tuple]:
    con = duckdb.connect(str(outdir / "gkreport.duckdb"), read_only=True)
    try:
        return con.execute('SELECT field, before, after, action, note FROM corrections '
                           "ORDER BY id").fetchall()
    finally:
        con.close()


def focused(page) -> str | None:
    return page.evaluate("() => document.activeElement && document.activeElement.dataset.key")


def test_review_in_the_browser(browser, tmp_path_factory, tmp_path):
    out = fresh_batch(tmp_path_factory, tmp_path)
    server = Server(out, training_dir(tmp_path))
    errors = []
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 950})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url)
        page.wait_for_selector("input.cell.doubtful")
        # the list shows the report, to review; the page image is drawn with the table regions
        assert "hongze_2023.pdf" in page.inner_text("#list")
        assert "to review" in page.inner_text("#list")
        page.wait_for_function("() => document.getElementById('pageimg').naturalWidth > 0")
        assert page.locator("#overlay rect.region").count() >= 1
        # two section 四 rules fail, shown as equations; the first doubtful field has the focus
        # and its box is drawn on its page (4)
        assert page.locator("#equations li").count() == 2
        assert "≠" in page.inner_text("#equations")
        assert focused(page) == RECON_UPHELD
        assert page.locator("#overlay rect.field").count() == 1
        assert "page 4 of 5" in page.inner_text("#pageno")

        # one key accepts a value as correct, and moves on
        page.keyboard.press("a")
        page.wait_for_function(f"() => document.activeElement.dataset.key === '{RECON_CORRECTED}'")
        # n moves to the next doubtful field (no write)
        for _ in range(3):
            page.keyboard.press("n")
        assert focused(page) == RECON_TOTAL

        # a bad value: letters are refused as they are typed, a bad number when Enter is pressed
        page.keyboard.press("Control+a")
        page.keyboard.type("1.5")
        page.keyboard.press("Enter")
        page.wait_for_selector("#message.error")
        assert "whole number" in page.inner_text("#message")
        assert len(corrections(out)) == 1
        page.keyboard.press("Escape")
        page.keyboard.press("x")
        assert "numbers only" in page.inner_text("#message")
        assert page.input_value(f'input[data-key="{RECON_TOTAL}"]') == "0"

        # type the total: the arithmetic is rechecked live, before anything is saved
        page.keyboard.press("Control+a")
        page.keyboard.type("11")
        assert page.locator("#equations li").count() == 1
        assert "复议后起诉" in page.inner_text("#equations")
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => document.activeElement.dataset.key === '{AFTER_UPHELD}'")
        assert "corrected to 11" in page.inner_text("#message")
        cls = page.get_attribute(f'input[data-key="{RECON_TOTAL}"]', "class")
        assert "corrected" in cls and "doubtful" not in cls
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "review.png"))

        # T saves the reviewed report as a truth file
        page.keyboard.press("T")
        page.wait_for_function(
            "() => document.getElementById('message').textContent.includes('saved')")
        assert "truth/hongze_2023.truth.json" in page.inner_text("#message")

        # a page on another site tries to write: a form post and fetches, all refused
        evil = tmp_path / "evil"
        evil.mkdir()
        target = f"{server.url}api/report/{_sha(out)}/field"
        body = json.dumps({"field": AFTER_TOTAL, "action": "set", "value": "99"})
        (evil / "index.html").write_text(f"""<!doctype html><body>
<form id="f" method="post" action="{target}" enctype="text/plain">
<input name='{body[:-1]}, "x": "' value='"}}'></form>
<script>
fetch("{target}", {{method: "POST", mode: "no-cors", body: {json.dumps(body)}}});
fetch("{target}", {{method: "POST", headers: {{"Content-Type": "application/json",
  "X-GK-Token": "guess"}}, body: {json.dumps(body)}}}).catch(() => {{}});
document.getElementById("f").submit();
</script></body>""", "utf-8")
        with _static_server(evil) as evil_url:
            other = browser.new_page()
            seen = []
            other.on("response", lambda r: seen.append((r.request.method, r.status))
                     if r.url == target else None)
            other.goto(evil_url)
            other.wait_for_timeout(1500)
            other.close()
        # the form post and the no-cors fetch reached the server and were refused; the fetch
        # with a header needs a preflight, which the server never grants, so it is never sent
        assert ("POST", 403) in seen and all(st >= 400 for _, st in seen), seen
        assert [r[0] for r in corrections(out)] == [RECON_UPHELD, RECON_TOTAL]
    finally:
        server.stop()
    assert not errors

    # the corrections table
    rows = corrections(out)
    assert rows == [(RECON_UPHELD, 10.0, 10.0, "confirm", None),
                    (RECON_TOTAL, 0.0, 11.0, "set", None)]

    # export: corrected values by default (engine human), --raw for the extraction
    assert main(["export", str(out), "--format", "csv"]) == 0
    assert main(["export", str(out), "--format", "csv", "--raw", "-o",
                 str(out / "raw.csv")]) == 0
    long = {r["key"]: r for r in csv.DictReader(open(out / "export" / "gkreport_long.csv",
                                                     encoding="utf-8"))}
    raw = {r["key"]: r for r in csv.DictReader(open(out / "raw.csv", encoding="utf-8"))}
    assert (long[RECON_TOTAL]["value"], long[RECON_TOTAL]["engine"]) == ("11", "human")
    assert long[RECON_TOTAL]["flagged"] == "False"
    assert (raw[RECON_TOTAL]["value"], raw[RECON_TOTAL]["engine"]) == ("0", "text-layer")
    assert long[AFTER_TOTAL]["value"] == raw[AFTER_TOTAL]["value"] == "0"

    # the truth file: the reviewed values, the rule still broken as printed, readable by eval
    truth_path = out / "truth" / "hongze_2023.truth.json"
    truth = load_truth(truth_path)
    assert truth.fields[RECON_TOTAL] == 11 and truth.fields[RECON_UPHELD] == 10
    assert truth.checks == ("review_litigation.row_total.litigation_after_review",)
    saved = json.loads(truth_path.read_text("utf-8"))
    assert saved["review"]["corrected"] == [RECON_TOTAL]
    assert AFTER_TOTAL in saved["review"]["unreviewed_doubtful"]
    shutil.copy(ARTIFACTS / "review.png", tmp_path / "review.png")   # still there after the run


def _sha(out) -> str:
    return next((out / "records").glob("*.json")).stem


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


class _static_server:
    """A second site on another loopback port, serving a folder."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        handler = lambda *a, **k: _Quiet(*a, directory=str(self.folder), **k)  # noqa: E731
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://localhost:{self.httpd.server_address[1]}/index.html"

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
