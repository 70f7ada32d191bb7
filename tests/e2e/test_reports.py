"""Report jobs end to end: queue, build off the loop, download, read back with
openpyxl, verify the signature with the openssl command line, reproduce byte
for byte, supersede, audiences, failures, two instances, and a job whose
server died."""
import datetime
import hashlib
import os
import re
import subprocess
import tempfile
import time

import openpyxl
import pytest

from conftest import CA, FAST_LIMITS, Api, Server, assert_json_error, cli, issue_token, sql, unique_slug
from test_metrics import CONTRACT, H, ROWS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def setup(server, admin):
    slug = unique_slug("rep")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Report Tenant", "timezone": "UTC"})
    manager = Api(server, issue_token("manager", slug))
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=(H + "\n" + "\n".join(ROWS) + "\n").encode(),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT).status_code == 201
    return slug, manager


def table(sheet):
    """A table sheet's header labels and its rows keyed by the first column's value."""
    header = [c.value for c in sheet[1]]
    return header, {row[0].value: row for row in sheet.iter_rows(min_row=2)}


def wait_done(api, slug, rid, seconds=90):
    deadline = time.time() + seconds
    while time.time() < deadline:
        meta = api.get(f"/v1/tenants/{slug}/reports/{rid}").json()
        if meta["status"] in ("done", "failed"):
            return meta
        time.sleep(0.2)
    raise AssertionError(f"report {rid} not finished: {meta}")


def request(api, slug, template="client-monthly", **extra):
    r = api.post(f"/v1/tenants/{slug}/reports", json=dict(period="2026-10", template=template, **extra))
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and body["status_url"].endswith(f"/reports/{body['id']}")
    return body["id"]


def test_generate_download_read_back_and_verify(server, setup):
    slug, manager = setup
    rid = request(manager, slug)
    meta = wait_done(manager, slug, rid)
    assert meta["status"] == "done", meta
    assert meta["version"] == 1 and meta["supersedes"] is None and meta["current"]
    certs = manager.get("/v1/certificates").json()["certificates"]
    assert meta["signer_fingerprint"] == certs[0]["fingerprint"]
    r = manager.get(f"/v1/tenants/{slug}/reports/{rid}/workbook")
    assert r.status_code == 200 and r.headers["Content-Type"] == XLSX
    assert r.headers["ETag"] == f'"{meta["sha256"]}"'
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(r.content).hexdigest() == meta["sha256"] and len(r.content) == meta["bytes"]
    again = manager.get(f"/v1/tenants/{slug}/reports/{rid}/workbook",
                        headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    sig = manager.get(f"/v1/tenants/{slug}/reports/{rid}/signature")
    assert sig.status_code == 200 and sig.headers["Content-Type"] == "application/pkcs7-signature"

    tmp = tempfile.mkdtemp()
    wb_path, sig_path = os.path.join(tmp, "R.xlsx"), os.path.join(tmp, "R.p7s")
    with open(wb_path, "wb") as f:
        f.write(r.content)
    with open(sig_path, "wb") as f:
        f.write(sig.content)
    # The auditor's own check, with nothing but openssl.
    cmd = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig_path,
           "-content", wb_path, "-CAfile", CA, "-out", "/dev/null"]
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    out = cli("verify", wb_path, sig_path, "--ca", CA)
    assert "VALID" in out.stdout and f"report: {rid} (tenant {slug}, period 2026-10" in out.stdout

    # Read back with an independent reader: the numbers of test_metrics, worked by hand.
    book = openpyxl.load_workbook(wb_path)
    values = openpyxl.load_workbook(wb_path, data_only=True)
    assert book.sheetnames == ["Cover", "Scorecard", "Daily", "Intervals", "Queues", "Quality",
                               "QA-CSAT", "Data quality", "Methodology"]
    header, rows = table(book["Daily"])
    _, vrows = table(values["Daily"])
    col = {name: i for i, name in enumerate(header)}
    oct5 = rows[datetime.datetime(2026, 10, 5)]
    assert oct5[col["Offered"]].value == 6 and oct5[col["Offered"]].data_type == "n"
    # 5 Oct: offered m1 m2 m3 m5 m6 m7 = 6, answered within 20 s m1 m2 = 2
    assert oct5[col["Service level"]].value == pytest.approx(2 / 6)
    assert oct5[col["Service level"]].number_format == "0.0%"
    # offered formula: the hidden numerator and denominator are within and offered
    assert (oct5[col["SL numerator"]].value, oct5[col["SL denominator"]].value) == (2, 6)
    assert oct5[col["SL target"]].value == pytest.approx(0.80)
    assert rows[datetime.datetime(2026, 10, 1)][col["Service level"]].value is None  # undefined: empty
    assert len(rows) == 31 + 1  # every local day of October and the month's totals row
    total = rows["Month"]
    assert total[col["Offered"]].value == "=SUM(B2:B32)"
    assert vrows["Month"][col["Offered"]].value == 7
    # month: within 3 (m1 m2 m8) / offered 7, the ratio of the hidden column sums
    assert vrows["Month"][col["Service level"]].value == pytest.approx(3 / 7)
    assert vrows["Month"][col["ASA (s)"]].value == pytest.approx((10 + 20 + 21 + 5) / 4)

    # Scorecard, worked by hand from CONTRACT (fee 120000.00 CNY, cap 12 %):
    #   service_level >= 0.80: 3/7 = 0.43 -> missed, credit 3 % x 120000.00 = 3600.00
    #   abandon_rate <= 0.05: abandoned m5 m6 = 2 / offered 7 = 0.29 -> missed,
    #     credit 2 % x 120000.00 = 2400.00
    #   qa_score >= 90: no evaluations -> not measurable (empty), credit 0
    #   total 3600.00 + 2400.00 = 6000.00, under the cap 12 % x 120000.00 = 14400.00,
    #   so the credit after the cap is the same 6000.00.
    header, rows = table(book["Scorecard"])
    _, vrows = table(values["Scorecard"])
    col = {name: i for i, name in enumerate(header)}
    sl, ab, qa = rows["service_level"], rows["abandon_rate"], rows["qa_score"]
    assert sl[col["Comparator"]].value == ">=" and sl[col["Target"]].value == pytest.approx(0.80)
    assert sl[col["Actual"]].value == pytest.approx(3 / 7) and sl[col["Met"]].value == 0
    assert sl[col["Credit %"]].value == 3 and sl[col["Credit"]].value == pytest.approx(3600.00)
    assert sl[col["Credit after cap"]].value == pytest.approx(3600.00)
    assert ab[col["Comparator"]].value == "<=" and ab[col["Target"]].value == pytest.approx(0.05)
    assert ab[col["Actual"]].value == pytest.approx(2 / 7) and ab[col["Met"]].value == 0
    assert ab[col["Credit"]].value == pytest.approx(2400.00)
    assert qa[col["Actual"]].value is None and qa[col["Met"]].value is None
    assert qa[col["Credit"]].value == 0 and qa[col["Credit after cap"]].value == 0
    assert rows["Total (cap applied)"][col["Credit"]].value == "=SUM(G2:G4)"
    assert vrows["Total (cap applied)"][col["Credit"]].value == pytest.approx(6000.00)
    assert vrows["Total (cap applied)"][col["Credit after cap"]].value == pytest.approx(6000.00)
    header, rows = table(book["Methodology"])
    credits = rows["Service credits"][header.index("Contract parameters")].value
    assert "monthly fee 120000.00 CNY; credit cap 12.00% = 14400.00 CNY" in credits

    # Intervals: 5 Oct is a Monday (1 Oct 2026 is a Thursday).  09:00-09:30: m1 m2 within,
    # m3 not: 2/3; 09:30: m5 m6 abandoned (m4 short, not offered): 0/2; 6 Oct (Tuesday)
    # 09:00: m8 within: 1/1.  Business hours are Monday 08:00-20:00 only, so 09:00, 09:30
    # and 10:00 (m7) on 5 Oct are the 3 intervals with offered > 0, none at 0.80.
    header, rows = table(values["Intervals"])
    col = {name: i for i, name in enumerate(header)}
    assert rows["09:00"][col["Mon"]].value == pytest.approx(2 / 3)
    assert rows["09:00"][col["Tue"]].value == pytest.approx(1.0)
    assert rows["09:30"][col["Mon"]].value == 0 and rows["09:30"][col["Tue"]].value is None
    assert rows["All intervals"][col["Intervals"]].value == 3
    assert rows["All intervals"][col["Intervals met"]].value == 0
    assert rows["All intervals"][col["Interval compliance"]].value == 0

    header, rows = table(values["Queues"])
    col = {name: i for i, name in enumerate(header)}
    assert rows["sales"][col["Offered"]].value == 7
    assert rows["sales"][col["Service level"]].value == pytest.approx(3 / 7)
    assert rows["sales"][col["Longest wait (s)"]].value == 60  # m7, overflow

    # Quality: one agent (ag1: m1 m2 m3 m8 answered), pseudonymised, no evaluations.
    header, rows = table(values["Quality"])
    col = {name: i for i, name in enumerate(header)}
    assert [k for k in rows if k != "All agents"] == ["Agent 001"]
    assert rows["Agent 001"][col["Evaluations"]].value == 0
    assert rows["Agent 001"][col["Answered"]].value == 4
    assert rows["Agent 001"][col["QA score"]].value is None
    assert "ag1" not in str([[c.value for c in r] for r in values["Quality"].iter_rows()])

    # Data quality: the one batch of ROWS (10 rows, none rejected, none repeated); it was
    # received after October ended, so the month's 8 contacts (m1..m8) arrived late.  FCR is
    # final: the report is made after 31 Oct + 72 h.
    facts = {r[0].value: r[1].value for r in values["Data quality"].iter_rows() if r[0].value}
    assert (facts["Rows received"], facts["Rows rejected"], facts["Duplicates"]) == (10, 0, 0)
    assert facts["Late arrivals"] == 8 and facts["FCR provisional"] == 0

    cover = {row[0].value: row[1].value for row in book["Cover"].iter_rows()}
    assert cover["Report id"] == str(rid) and cover["Data digest (SHA-256)"] == meta["data_digest"]
    assert cover["Signing certificate (SHA-256)"] == meta["signer_fingerprint"]
    assert cover["Tenant"] == "Report Tenant" and cover["Period"] == "2026-10"
    assert cover["Time zone"] == "Asia/Shanghai" and cover["Template"] == "client-monthly"
    assert cover["Generated at"] == meta["generated_at"]
    assert "openssl cms -verify" in cover["How to verify"]

    # One byte changed: openssl and slattest both refuse it.
    with open(wb_path, "r+b") as f:
        f.seek(200)
        b = f.read(1)
        f.seek(200)
        f.write(bytes([b[0] ^ 0xFF]))
    assert subprocess.run(cmd, capture_output=True).returncode != 0
    assert cli("verify", wb_path, sig_path, "--ca", CA, check=False).returncode == 1


def test_internal_workbook_read_back(setup):
    """internal-monthly: the client sheets with real agent ids, then Agents, Inspectors,
    Calibration, Appeals, Staffing and Evidence, read back on the hand-worked ROWS."""
    slug, manager = setup
    meta = wait_done(manager, slug, request(manager, slug, template="internal-monthly"))
    assert meta["status"] == "done", meta
    tmp = tempfile.mkdtemp()
    wb_path = os.path.join(tmp, "I.xlsx")
    with open(wb_path, "wb") as f:
        f.write(manager.get(f"/v1/tenants/{slug}/reports/{meta['id']}/workbook").content)
    book = openpyxl.load_workbook(wb_path)
    values = openpyxl.load_workbook(wb_path, data_only=True)
    assert book.sheetnames == ["Cover", "Scorecard", "Daily", "Intervals", "Queues", "Quality",
                               "QA-CSAT", "Data quality", "Methodology", "Agents", "Inspectors",
                               "Calibration", "Appeals", "Staffing", "Evidence"]
    cover = {row[0].value: row[1].value for row in book["Cover"].iter_rows()}
    assert cover["Template"] == "internal-monthly"
    assert cover["Data digest (SHA-256)"] == meta["data_digest"]

    # Quality: the real agent id, not "Agent 001".
    _, rows = table(values["Quality"])
    assert [k for k in rows if k != "All agents"] == ["ag1"]

    # Agents.  ag1 handled every answered contact of October: m1 (wait 10 s), m2 (20 s),
    # m3 (21 s), m8 (5 s); m9 is September.  offered 4, answered 4, within 20 s m1 m2 m8 = 3,
    # service level 3/4, ASA (10 + 20 + 21 + 5) / 4 = 14.0 s, AHT 100 + 0 + 20 = 120 s each.
    # The abandons m5 m6 and the overflow m7 have no agent: offered 3, abandoned 2, SL 0/3.
    # No evaluations: QA score, interval and "sample too small" are empty, evaluations 0.
    header, rows = table(book["Agents"])
    _, vrows = table(values["Agents"])
    col = {name: i for i, name in enumerate(header)}
    assert list(rows) == ["(no agent)", "ag1", "All agents"]
    ag1 = rows["ag1"]
    assert (ag1[col["Offered"]].value, ag1[col["Answered"]].value, ag1[col["Abandoned"]].value) == (4, 4, 0)
    assert ag1[col["Offered"]].data_type == "n"
    assert ag1[col["Answered within threshold"]].value == 3
    assert ag1[col["Service level"]].value == pytest.approx(0.75)
    assert ag1[col["ASA (s)"]].value == pytest.approx(14.0)
    assert ag1[col["AHT (s)"]].value == pytest.approx(120.0)
    assert ag1[col["Longest wait (s)"]].value == 21
    assert ag1[col["Evaluations"]].value == 0 and ag1[col["QA score"]].value is None
    assert ag1[col["Sample too small"]].value is None and ag1[col["95% CI low"]].value is None
    none = rows["(no agent)"]
    assert (none[col["Offered"]].value, none[col["Abandoned"]].value) == (3, 2)
    assert none[col["Service level"]].value == 0
    # Totals: the month again, 7 offered, SL 3/7 as the ratio of the hidden sums.
    assert rows["All agents"][col["Offered"]].value == "=SUM(B2:B3)"
    assert vrows["All agents"][col["Offered"]].value == 7
    assert vrows["All agents"][col["Service level"]].value == pytest.approx(3 / 7)
    for label in ("95% CI low", "95% CI high", "CI half-width", "Evaluations needed", "Pass rate",
                  "Fatal rate", "Coverage", "FCR", "CSAT"):
        assert label in col

    # No QA data in this tenant: no inspector, session or appeal rows, but the sheets and
    # their headers are there.
    header, rows = table(book["Inspectors"])
    assert list(rows) == ["All inspectors"]  # the totals row only
    assert "Composite" in header and "Quota attainment" in header
    assert table(book["Calibration"])[1] == {} and table(book["Appeals"])[1] == {}

    # Staffing: every local interval of October (31 days x 48 half-hours in Asia/Shanghai).
    # 5 Oct 09:00: offered m1 m2 m3 = 3 in 1800 s, AHT 120 s: A = 3 x 120 / 1800 = 0.2 E;
    #   N = 1: C(1, 0.2) = 0.2, SL = 1 - 0.2 x exp(-(1 - 0.2) x 20 / 120) = 0.825 >= 0.80,
    #   so 1 agent required; ag1 handled them: 1 agent, gap 0.
    # 5 Oct 09:30: m5 m6 offered, none answered: h = the month's AHT 120 s, A = 2 x 120 /
    #   1800 = 0.133 E; N = 1: SL = 1 - 0.133 x exp(-(0.867) x 20 / 120) = 0.885 -> 1
    #   required; no agent handled a contact: 0 agents, gap -1.
    header, rows = table(values["Staffing"])
    col = {name: i for i, name in enumerate(header)}
    assert len(rows) == 31 * 48 + 1
    at9 = rows[datetime.datetime(2026, 10, 5, 9, 0)]
    assert at9[col["Offered"]].value == 3 and at9[col["Business hours"]].value == 1
    assert at9[col["Required agents (Erlang C)"]].value == 1
    assert at9[col["Agents who handled contacts"]].value == 1
    assert at9[col["Agents - required"]].value == 0
    at930 = rows[datetime.datetime(2026, 10, 5, 9, 30)]
    assert at930[col["Offered"]].value == 2 and at930[col["Answered"]].value == 0
    assert at930[col["Required agents (Erlang C)"]].value == 1
    assert at930[col["Agents who handled contacts"]].value == 0
    assert at930[col["Agents - required"]].value == -1
    at6 = rows[datetime.datetime(2026, 10, 6, 9, 0)]  # m8, ag1
    assert at6[col["Agents who handled contacts"]].value == 1
    assert rows[datetime.datetime(2026, 10, 7, 9, 0)][col["Agents who handled contacts"]].value == 0
    assert rows["Month"][col["Offered"]].value == 7

    # Evidence: exactly the contacts that counted against the service level (offered
    # formula, T = 20 s): m3 answered at 21 s > 20, m5 and m6 abandoned (offered, never
    # answered; m5 at 15 s is within T but the offered formula still counts it), m7 overflow:
    # 4 rows.  m1 m2 m8 were answered within T; m4 abandoned after 3 s, under the 5 s short
    # abandon, is not offered and so is no evidence; m9 and m10 are not in October.
    header, rows = table(values["Evidence"])
    col = {name: i for i, name in enumerate(header)}
    assert list(rows) == ["m3", "m5", "m6", "m7"]
    got = {k: (r[col["Queue"]].value, r[col["Offered at (local)"]].value, r[col["Wait (s)"]].value,
               r[col["Class"]].value) for k, r in rows.items()}
    assert got == {"m3": ("sales", datetime.datetime(2026, 10, 5, 9, 20), 21, "answered"),
                   "m5": ("sales", datetime.datetime(2026, 10, 5, 9, 40), 15, "abandoned"),
                   "m6": ("sales", datetime.datetime(2026, 10, 5, 9, 50), 40, "abandoned"),
                   "m7": ("sales", datetime.datetime(2026, 10, 5, 10, 0), 60, "overflow")}
    reason = {k: r[col["Reason it counted"]].value for k, r in rows.items()}
    assert reason["m3"] == "answered after the threshold: 21 s > 20 s"
    assert reason["m5"] == "abandoned (offered, not answered): 15 s"
    assert reason["m6"] == "abandoned after the threshold: 40 s > 20 s"
    assert reason["m7"] == "overflow (offered, not answered): 60 s"


def test_regenerating_makes_a_byte_identical_superseding_version(setup):
    slug, manager = setup
    first = wait_done(manager, slug, request(manager, slug, template="internal-monthly"))
    rid = request(manager, slug, template="internal-monthly", generated_at=first["generated_at"])
    second = wait_done(manager, slug, rid)
    assert second["version"] == first["version"] + 1 and second["supersedes"] == first["id"]
    # Same data: the same metric values, so the same data digest.
    assert second["data_digest"] == first["data_digest"]
    # Anyone holding the data can rebuild a report byte for byte.
    tmp = tempfile.mkdtemp()
    out = cli("report", "--rebuild", str(first["id"]), os.path.join(tmp, "again.xlsx"))
    assert "byte-identical" in out.stdout
    with open(os.path.join(tmp, "again.xlsx"), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == first["sha256"]
    listing = {r["id"]: r for r in manager.get(f"/v1/tenants/{slug}/reports").json()["reports"]}
    assert listing[second["id"]]["current"] and not listing[first["id"]]["current"]


def test_client_workbook_rebuilds_byte_identical(setup):
    slug, manager = setup
    first = wait_done(manager, slug, request(manager, slug))
    assert first["status"] == "done", first
    second = wait_done(manager, slug, request(manager, slug, generated_at=first["generated_at"]))
    assert second["data_digest"] == first["data_digest"]
    tmp = tempfile.mkdtemp()
    out = cli("report", "--rebuild", str(first["id"]), os.path.join(tmp, "again.xlsx"))
    assert "byte-identical" in out.stdout
    with open(os.path.join(tmp, "again.xlsx"), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == first["sha256"]


def test_audiences(server, setup):
    slug, manager = setup
    internal = wait_done(manager, slug, request(manager, slug, template="internal-monthly"))
    client_report = wait_done(manager, slug, request(manager, slug))
    client = Api(server, issue_token("client", slug))
    ids = [r["id"] for r in client.get(f"/v1/tenants/{slug}/reports").json()["reports"]]
    assert client_report["id"] in ids and internal["id"] not in ids
    assert_json_error(client.get(f"/v1/tenants/{slug}/reports/{internal['id']}"), 404)
    assert_json_error(client.get(f"/v1/tenants/{slug}/reports/{internal['id']}/workbook"), 404)
    assert client.get(f"/v1/tenants/{slug}/reports/{client_report['id']}/workbook").status_code == 200
    auditor = Api(server, issue_token("auditor", slug))
    assert auditor.get(f"/v1/tenants/{slug}/reports/{internal['id']}/signature").status_code == 200
    assert_json_error(auditor.get(f"/v1/tenants/{slug}/reports/{internal['id']}/workbook"), 404)
    assert_json_error(client.post(f"/v1/tenants/{slug}/reports",
                                  json={"period": "2026-10", "template": "client-monthly"}), 404)


def test_bad_requests_and_a_recorded_failure(setup):
    slug, manager = setup
    for body in ({"period": "2026-13", "template": "client-monthly"},
                 {"period": "2026-10", "template": "weekly"},
                 {"period": "2026-10"},
                 {"period": "2026-10", "template": "client-monthly", "colour": 1},
                 {"period": "2026-10", "template": "client-monthly", "generated_at": "yesterday"}):
        assert_json_error(manager.post(f"/v1/tenants/{slug}/reports", json=body), 400, "invalid")
    # Signed before the signing certificate existed: refused, and the reason is kept.
    rid = request(manager, slug, generated_at="2001-01-01T00:00:00Z")
    meta = wait_done(manager, slug, rid)
    assert meta["status"] == "failed" and "validity" in meta["error"]
    assert_json_error(manager.get(f"/v1/tenants/{slug}/reports/{rid}/workbook"), 409, "not_ready")


def test_two_instances_never_build_the_same_job(server, setup):
    slug, manager = setup
    other = Server(FAST_LIMITS)
    try:
        ids = [request(manager, slug) for _ in range(6)]
        metas = [wait_done(manager, slug, i) for i in ids]
        assert all(m["status"] == "done" for m in metas)
        rows = sql("SELECT attempts, worker FROM reports WHERE id IN (%s)" % ",".join(map(str, ids)))
        assert all(r[0] == "1" for r in rows), rows  # each claimed exactly once
    finally:
        assert other.stop() == 0


def test_a_job_whose_server_died_is_picked_up(setup):
    slug, manager = setup
    tid = sql(f"SELECT id FROM tenants WHERE slug = '{slug}'")[0][0]
    sql("INSERT INTO reports (tenant_id, period, template, audience, version, status, progress, "
        "generated_at, requested_by, worker, heartbeat_at, attempts) VALUES "
        f"({tid}, '2026-10', 'client-monthly', 'client', 99, 'running', 40, UNIX_TIMESTAMP(), "
        "'test', 'dead-host:1', UTC_TIMESTAMP(6) - INTERVAL 300 SECOND, 1)")
    rid = int(sql("SELECT MAX(id) FROM reports")[0][0])
    meta = wait_done(manager, slug, rid, seconds=60)
    assert meta["status"] == "done", meta
    assert sql(f"SELECT attempts FROM reports WHERE id = {rid}") == [["2"]]


def test_verify_endpoint(server, admin, setup):
    slug, manager = setup
    meta = wait_done(manager, slug, request(manager, slug))
    wb = manager.get(f"/v1/tenants/{slug}/reports/{meta['id']}/workbook").content
    sig = manager.get(f"/v1/tenants/{slug}/reports/{meta['id']}/signature").content
    auditor = Api(server, issue_token("auditor", slug))

    def verify(api, workbook, signature):
        return api.post("/v1/verify", files={"workbook": ("R.xlsx", workbook),
                                             "signature": ("R.p7s", signature)})

    r = verify(auditor, wb, sig)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] and body["report_id"] == meta["id"] and body["tenant"] == slug
    assert body["period"] == "2026-10" and body["sha256"] == meta["sha256"]
    assert body["signer_fingerprint"] == meta["signer_fingerprint"] and body["signature_format"] == "der"
    # PEM is accepted too, and said so.
    pem = subprocess.run(["openssl", "cms", "-cmsout", "-inform", "DER", "-outform", "PEM"],
                         input=sig, capture_output=True).stdout
    r = verify(auditor, wb, pem)
    assert r.status_code == 200 and r.json()["signature_format"] == "pem"
    tampered = bytearray(wb)
    tampered[100] ^= 1
    r = verify(auditor, bytes(tampered), sig)
    assert r.status_code == 422 and not r.json()["valid"]
    assert r.json()["verdict"] == "content_changed"
    r = verify(auditor, wb, b"garbage" * 10)
    assert r.status_code == 422 and r.json()["verdict"] == "malformed"
    assert_json_error(verify(auditor, wb, b""), 400, "invalid")
    assert_json_error(auditor.post("/v1/verify", data=b"{}", headers={"Content-Type": "application/json"}),
                      400, "bad_multipart")
    # An auditor of another tenant learns the signature is valid, not whose report it is.
    other = unique_slug("oth")
    admin.post("/v1/tenants", json={"slug": other, "name": "O", "timezone": "UTC"})
    r = verify(Api(server, issue_token("auditor", other)), wb, sig)
    assert r.status_code == 200 and r.json()["valid"] and r.json()["report_id"] is None
    assert sql("SELECT COUNT(*) FROM audit_log WHERE action = 'report.verify'")[0][0] != "0"


def test_verify_refuses_a_2gb_upload_before_reading_it(server, setup):
    from conftest import raw_tls
    import json as _json
    token = issue_token("auditor", setup[0])
    head = (b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() +
            b"\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 2147483648\r\n\r\n")
    t0 = time.time()
    resp = raw_tls(server.port, head, timeout=10)
    assert resp.startswith(b"HTTP/1.1 413 "), resp[:200]
    assert _json.loads(resp.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "body_too_large"
    assert time.time() - t0 < 5


def test_client_workbook_converts_to_pdf(setup):
    """LibreOffice opens the workbook without a repair and prints it (REPORTS.md)."""
    slug, manager = setup
    meta = wait_done(manager, slug, request(manager, slug))
    tmp = tempfile.mkdtemp()
    wb = os.path.join(tmp, "client.xlsx")
    with open(wb, "wb") as f:
        f.write(manager.get(f"/v1/tenants/{slug}/reports/{meta['id']}/workbook").content)
    run = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                          "--convert-to", "pdf", "--outdir", tmp, wb],
                         capture_output=True, text=True, timeout=300)
    pdf = os.path.join(tmp, "client.pdf")
    assert run.returncode == 0 and os.path.exists(pdf), run.stdout + run.stderr
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 5  # Cover, Scorecard, Daily, Intervals, Queues at least
