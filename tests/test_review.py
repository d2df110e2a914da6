"""``gkreport review`` and ``extract.corrections`` over a real batch output (``review_support``):
security (path traversal, bad values, cross-site writes: all refused), corrections surviving a
re-extraction with the conflict listed, label corrections reaching the training data, the report
list's filters and the page images. The browser test is ``test_review_browser.py``."""

from __future__ import annotations

import copy
import csv
import json

import duckdb
import pytest
from starlette.testclient import TestClient

from extract import corrections as C
from extract.cli import main
from extract.classifier import LabelInput
from extract.labeldata import read_curated
from extract.review import PAGE_DPI, create_app
from extract.store import Store, report_row

from review_support import AFTER_TOTAL, RECON_TOTAL, Server, fresh_batch, training_dir

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
TOKEN = "test-token"
FEES = "proactive.fees.amount"


@pytest.fixture()
def out(tmp_path_factory, tmp_path):
    return fresh_batch(tmp_path_factory, tmp_path)


@pytest.fixture()
def client(out, tmp_path):
    app = create_app(out, token=TOKEN, training_data=training_dir(tmp_path),
                     allowed_hosts=("testserver",))
    return TestClient(app)


def sha_of(out) -> str:
    return next((out / "records").glob("*.json")).stem


def write(client, sha, body, **headers):
    h = {"X-GK-Token": TOKEN, **headers}
    return client.post(f"/api/report/{sha}/field", json=body, headers=h)


def n_corrections(out) -> int:
    con = duckdb.connect(str(out / "gkreport.duckdb"), read_only=True)
    try:
        return 0 if not C.has_table(con) else \
            con.execute("SELECT count(*) FROM corrections").fetchone()[0]
    finally:
        con.close()


# -- security ----------------------------------------------------------------------------------

def test_path_traversal_refused(out, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-OUTSIDE")
    (out / "export").mkdir()
    (out / "export" / "link.txt").symlink_to(secret)
    sha = sha_of(out)
    server = Server(out)
    try:
        def get(path, host=None):
            host = host or f"127.0.0.1:{server.port}"
            return server.raw(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                              .encode())
        attempts = [
            f"/files/../secret.txt", "/files/../../../../etc/passwd",
            "/files/%2e%2e/secret.txt", "/files/%2e%2e%2fsecret.txt",
            "/files/records/../../secret.txt", f"/files/{secret}", f"/files//{secret}",
            "/files/export/link.txt", "/files/..%5csecret.txt",
            "/static/../review.py", "/static/%2e%2e/review.py", "/static/..%2freview.py",
            f"/api/report/{sha}/page/..%2f..%2fsecret.png", "/api/report/../../etc/passwd",
            f"/api/report/{'0' * 64}/page/1.png", f"/api/report/{sha}/page/99.png",
        ]
        for path in attempts:
            resp = get(path)
            status = int(resp.split(b" ", 2)[1])
            assert status in (400, 404), (path, resp[:200])
            assert b"TOP-SECRET" not in resp and b"root:" not in resp and b"import" not in resp
        # what is allowed: files inside OUTDIR, and the page images of the record's source
        ok = get(f"/files/records/{sha}.json")
        assert ok.startswith(b"HTTP/1.1 200") and sha.encode() in ok
        assert get(f"/api/report/{sha}/page/4.png").startswith(b"HTTP/1.1 200")
        # a request naming another host (DNS rebinding) is refused
        assert get("/api/reports", host="evil.example").startswith(b"HTTP/1.1 400")
    finally:
        server.stop()


@pytest.mark.parametrize("value, message", [
    ("1O", "is not a number"), ("abc", "is not a number"), ("-1", "cannot be negative"),
    ("2.5", "whole number"), ("1e3", "is not a number"), ("9999999999999", "too large"),
    (True, "not a number"), ([1], "typed as text"), ("1 2", "is not a number"),
])
def test_bad_values_refused(out, client, value, message):
    sha = sha_of(out)
    r = write(client, sha, {"field": RECON_TOTAL, "action": "set", "value": value})
    assert r.status_code == 400
    assert message in r.json()["error"]
    assert n_corrections(out) == 0


def test_good_values_and_fields(out, client):
    sha = sha_of(out)
    assert write(client, sha, {"field": "requests.bogus.total", "action": "set",
                               "value": "1"}).status_code == 400
    assert write(client, sha, {"field": RECON_TOTAL, "action": "erase"}).status_code == 400
    r = write(client, sha, {"field": FEES, "action": "set", "value": "７７３０.5"})
    assert r.status_code == 200 and r.json()["values"][FEES] == 7730.5
    r = write(client, sha, {"field": RECON_TOTAL, "action": "set", "value": " 11 "})
    assert r.json()["values"][RECON_TOTAL] == 11
    r = write(client, sha, {"field": AFTER_TOTAL, "action": "set", "value": ""})
    assert r.json()["values"][AFTER_TOTAL] is None          # empty: the printed cell is blank
    assert n_corrections(out) == 3


def test_cross_site_writes_refused(out, client):
    sha = sha_of(out)
    body = {"field": RECON_TOTAL, "action": "set", "value": "11"}
    url = f"/api/report/{sha}/field"
    refused = [
        client.post(url, json=body),                                          # no token
        client.post(url, json=body, headers={"X-GK-Token": "guess"}),        # wrong token
        write(client, sha, body, Origin="http://evil.example"),              # another site
        write(client, sha, body, Origin="http://127.0.0.1:9"),               # another port
        write(client, sha, body, **{"Sec-Fetch-Site": "cross-site"}),
        client.post(url, content=json.dumps(body),                           # a form's body
                    headers={"X-GK-Token": TOKEN, "Content-Type": "text/plain"}),
        client.post(f"/api/report/{sha}/truth", json={}),
        client.post(f"/api/report/{sha}/label", json={"text": "x", "key": "none"}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403, 403, 415, 403, 403]
    assert "token" in refused[0].json()["error"]
    assert n_corrections(out) == 0
    assert not (out / "truth").exists()
    # the page's own write (same origin, with its token) goes through
    page = client.get("/").text
    assert f'content="{TOKEN}"' in page
    ok = write(client, sha, body, Origin="http://testserver", **{"Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 200 and n_corrections(out) == 1


# -- corrections as data -----------------------------------------------------------------------

def test_reextraction_keeps_corrections_and_lists_conflicts(out, client):
    sha = sha_of(out)
    write(client, sha, {"field": RECON_TOTAL, "action": "set", "value": "11"})
    write(client, sha, {"field": AFTER_TOTAL, "action": "confirm"})
    # a re-extraction (e.g. a new pipeline version) now reads the totals as 12 and 5: the batch
    # sink writes the record file and replaces the report's rows in one transaction
    record_path = out / "records" / f"{sha}.json"
    record = json.loads(record_path.read_text("utf-8"))
    new = copy.deepcopy(record)
    new["fields"][RECON_TOTAL] = 12
    new["fields"][AFTER_TOTAL] = 5
    record_path.write_text(json.dumps(new, ensure_ascii=False), "utf-8")
    with Store(out) as store:
        store.write(reports=[(new, report_row(new, record_path=f"records/{sha}.json",
                                              pipeline_version="next"))])
    assert n_corrections(out) == 2
    view = client.get(f"/api/report/{sha}").json()
    assert view["values"][RECON_TOTAL] == 11 and view["values"][AFTER_TOTAL] == 0
    conflicts = {c["field"]: c for c in view["conflicts"]}
    assert conflicts[RECON_TOTAL]["extracted_now"] == 12
    assert conflicts[RECON_TOTAL]["corrected_against"] == 0
    assert conflicts[AFTER_TOTAL]["extracted_now"] == 5
    assert any(i["kind"] == "review_conflict" for i in view["issues_reviewed"])
    # exports keep the person's values
    assert main(["export", str(out), "--format", "csv"]) == 0
    rows = {r["key"]: r for r in csv.DictReader(open(out / "export" / "gkreport_long.csv",
                                                     encoding="utf-8"))}
    assert rows[RECON_TOTAL]["value"] == "11" and rows[RECON_TOTAL]["engine"] == "human"
    # keeping the correction against the new extraction ends the conflict; undo takes the
    # extraction's value
    view = write(client, sha, {"field": RECON_TOTAL, "action": "set", "value": "11"}).json()
    assert [c["field"] for c in view["conflicts"]] == [AFTER_TOTAL]
    view = write(client, sha, {"field": AFTER_TOTAL, "action": "revert"}).json()
    assert view["conflicts"] == [] and view["values"][AFTER_TOTAL] == 5
    assert AFTER_TOTAL not in view["corrections"]


def test_rerun_of_the_batch_keeps_corrections(out, client):
    from extract.batch import run_batch
    from extract.options import Options

    from review_support import HONGZE

    sha = sha_of(out)
    write(client, sha, {"field": RECON_TOTAL, "action": "set", "value": "11"})
    summary = run_batch([HONGZE], out, options=Options(), jobs=1, progress=False)
    assert summary.exit_code == 0
    assert n_corrections(out) == 1
    assert client.get(f"/api/report/{sha}").json()["values"][RECON_TOTAL] == 11


def test_apply_rechecks_arithmetic(out):
    sha = sha_of(out)
    record = json.loads((out / "records" / f"{sha}.json").read_text("utf-8"))
    assert {i.get("rule") for i in record["issues"]} == {
        "review_litigation.row_total.reconsideration",
        "review_litigation.row_total.litigation_after_review"}
    con = duckdb.connect(str(out / "gkreport.duckdb"))
    try:
        C.add(con, record, RECON_TOTAL, "set", 11)
        C.add(con, record, AFTER_TOTAL, "set", 5)
        applied = C.apply(record, C.for_report(C.load(con, sha), sha))
        assert applied["status"] == "ok" and applied["issues"] == []
        assert applied["provenance"][RECON_TOTAL]["engine"] == "human"
        assert applied["provenance"][RECON_TOTAL]["extracted"]["value"] == 0
        assert applied["provenance"][RECON_TOTAL]["page"] == 4       # the box stays on its page
        C.add(con, record, AFTER_TOTAL, "revert")
        applied = C.apply(record, C.for_report(C.load(con, sha), sha))
        assert [i.get("rule") for i in applied["issues"]] == [
            "review_litigation.row_total.litigation_after_review"]
        assert record["fields"][RECON_TOTAL] == 0                      # the record is unchanged
    finally:
        con.close()


def test_truth_file_round_trip(out, client):
    from extract.evaluate import load_truth

    sha = sha_of(out)
    write(client, sha, {"field": RECON_TOTAL, "action": "set", "value": "11"})
    r = client.post(f"/api/report/{sha}/truth", json={}, headers={"X-GK-Token": TOKEN})
    assert r.status_code == 200
    assert r.json()["file"] == "truth/hongze_2023.truth.json"
    truth = load_truth(out / "truth" / "hongze_2023.truth.json")
    assert truth.fields[RECON_TOTAL] == 11
    assert truth.report["agency"] == "淮安市洪泽区人民政府"
    # gkreport eval pairs it with the batch's record by name and scores the one changed value
    assert main(["eval", "--truth", str(out / "truth"), "--pred", str(out), "--out",
                 str(out / "eval")]) in (0, 1)
    summary = json.loads((out / "eval" / "summary.json").read_text("utf-8"))
    assert "wrong" in json.dumps(summary)
    fields = list(csv.DictReader(open(out / "eval" / "fields.csv", encoding="utf-8")))
    wrong = [f["key"] for f in fields if f["status"] == "wrong"]
    assert wrong == [RECON_TOTAL]
    # a truth of another report under the same name is never overwritten
    other = json.loads((out / "truth" / "hongze_2023.truth.json").read_text("utf-8"))
    other["source"]["sha256"] = "f" * 64
    (out / "truth" / "hongze_2023.truth.json").write_text(json.dumps(other), "utf-8")
    r = client.post(f"/api/report/{sha}/truth", json={}, headers={"X-GK-Token": TOKEN})
    assert r.status_code == 409 and "another report" in r.json()["error"]


def test_label_correction_goes_to_training_data(out, client, tmp_path):
    sha = sha_of(out)
    curated = tmp_path / "training_data" / "curated.tsv"
    before = read_curated(curated)
    body = {"text": "2.其他法律行政法规禁止公开\n（含保密）", "context": "（三）不予公开",
            "section": "三", "kind": "row", "key": "requests.denied.law_prohibited"}
    r = client.post(f"/api/report/{sha}/label", json=body, headers={"X-GK-Token": TOKEN})
    assert r.status_code == 200, r.text
    after = read_curated(curated)
    assert after[:len(before)] == before and len(after) == len(before) + 1
    assert after[-1] == (LabelInput(body["text"], body["context"], "三", "row"),
                         "requests.denied.law_prohibited")
    con = duckdb.connect(str(out / "gkreport.duckdb"), read_only=True)
    assert con.execute("SELECT text, after, report FROM label_corrections").fetchall() == [
        (body["text"], "requests.denied.law_prohibited", sha)]
    con.close()
    bad = client.post(f"/api/report/{sha}/label", json={**body, "key": "requests.nonsense"},
                      headers={"X-GK-Token": TOKEN})
    assert bad.status_code == 400 and "not a label key" in bad.json()["error"]
    assert len(read_curated(curated)) == len(after)


# -- reading -----------------------------------------------------------------------------------

def test_report_list_filters(out, client):
    sha = sha_of(out)

    def shas(**q):
        return [r["sha256"] for r in client.get("/api/reports", params=q).json()["reports"]]

    assert shas() == [sha]
    assert shas(status="partial") == [sha] and shas(status="ok") == []
    assert shas(kind="arithmetic") == [sha] and shas(kind="narrative") == []
    assert shas(review="to review") == [sha]
    data = client.get("/api/reports").json()
    assert data["facets"] == {"status": {"partial": 1}, "kind": {"arithmetic": 1}}
    assert data["reports"][0]["doubtful_left"] == 10
    write(client, sha, {"field": RECON_TOTAL, "action": "set", "value": "11"})
    assert shas(review="in review") == [sha]


def test_report_view_and_page(out, client):
    from PIL import Image
    import io

    sha = sha_of(out)
    view = client.get(f"/api/report/{sha}").json()
    assert [g["section"] for g in view["grids"]] == ["二", "三", "四"]
    four = view["grids"][2]
    assert [c["label"] for c in four["columns"]] == ["结果维持", "结果纠正", "其他结果", "尚未审结",
                                                     "总计"]
    assert [r["label"] for r in four["rows"]][0] == "行政复议"
    assert view["labels"][RECON_TOTAL] == {"row_label": "行政复议", "col_label": "总计"}
    assert RECON_TOTAL in view["doubtful"] and len(view["doubtful"]) == 10
    assert any(r["id"] == "review_litigation.row_total.reconsideration" for r in view["rules"])
    assert {r["section"] for r in view["regions"]} == {"二", "三", "四"}
    assert len(view["pages"]) == 5 and view["pages"][3]["width"] == pytest.approx(595, abs=1)
    png = client.get(f"/api/report/{sha}/page/4.png")
    assert png.headers["content-type"] == "image/png"
    im = Image.open(io.BytesIO(png.content))
    assert abs(im.width - 595 * PAGE_DPI / 72) < 2
    assert client.get(f"/api/report/{sha}/page/0.png").status_code == 404
    assert client.get("/api/report/not-a-sha").status_code == 404


def test_cli_refuses_a_folder_without_a_batch(tmp_path, capsys):
    assert main(["review", str(tmp_path), "--port", "0"]) == 3
    assert "no gkreport.duckdb" in capsys.readouterr().err
