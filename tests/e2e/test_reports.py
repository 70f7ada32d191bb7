"""Report jobs end to end: queue, build off the loop, download, read back with
openpyxl, verify the signature with the openssl command line, reproduce byte
for byte, supersede, audiences, failures, two instances, and a job whose
server died."""
import datetime
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time

import openpyxl
import pytest

from conftest import (CA, FAST_LIMITS, VAR, Api, Server, assert_json_error, cli, issue_token, sql,
                      unique_slug)
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
    assert book.sheetnames == ["Cover", "Changes", "Changes - batches", "Scorecard", "Daily",
                               "Intervals", "Queues", "Quality", "QA-CSAT", "Data quality",
                               "Methodology"]
    # QA-CSAT: no contact has both a QA score and a survey: r undefined, marked too few pairs.
    qc = {r[0].value: r[1] for r in book["QA-CSAT"].iter_rows() if len(r) > 1 and r[0].value}
    assert qc["Contacts compared"].value == 0 and qc["Pearson r (contacts)"].value is None
    assert qc["Too few pairs (under 10): r is indicative only"].value == 1
    assert qc["Too few pairs (under 10): r is indicative only"].number_format.startswith('[=1]"yes"')
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
    # Every row adds up: 5 Oct offered 6 = answered m1 m2 m3 (3) + abandoned m5 m6 (2) +
    # overflow m7 (1); m4, abandoned after 3 s, is a short abandon, not offered.
    assert [oct5[col[k]].value for k in ("Answered", "Abandoned", "Overflow",
                                         "Short abandons (not offered)")] == [3, 2, 1, 1]
    assert rows[datetime.datetime(2026, 10, 1)][col["Service level"]].value is None  # undefined: empty
    assert len(rows) == 31 + 1  # every local day of October and the month's totals row
    total = rows["Month"]
    assert total[col["Offered"]].value == "=SUM(B2:B32)"
    assert vrows["Month"][col["Offered"]].value == 7
    # the month: 7 = answered m1 m2 m3 m8 (4) + abandoned m5 m6 (2) + overflow m7 (1)
    assert [vrows["Month"][col[k]].value for k in ("Answered", "Abandoned", "Overflow")] == [4, 2, 1]
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
    sl, ab, qa = rows["Service level"], rows["Abandon rate"], rows["QA score"]
    assert sl[col["Comparator"]].value == ">=" and sl[col["Target"]].value == pytest.approx(0.80)
    assert sl[col["Target"]].number_format == "0.0%" and qa[col["Target"]].number_format == "0.0"
    assert sl[col["Actual"]].value == pytest.approx(3 / 7) and sl[col["Met"]].value == 0
    assert sl[col["Result"]].value == "missed" and sl[col["Note"]].value is None
    assert sl[col["Credit %"]].value == 3 and sl[col["Credit"]].value == pytest.approx(3600.00)
    assert sl[col["Credit after cap"]].value == pytest.approx(3600.00)
    assert ab[col["Comparator"]].value == "<=" and ab[col["Target"]].value == pytest.approx(0.05)
    assert ab[col["Actual"]].value == pytest.approx(2 / 7) and ab[col["Met"]].value == 0
    assert ab[col["Credit"]].value == pytest.approx(2400.00)
    assert qa[col["Actual"]].value is None and qa[col["Met"]].value is None
    assert qa[col["Result"]].value == "not measurable"
    assert qa[col["Credit"]].value == 0 and qa[col["Credit after cap"]].value == 0
    assert rows["Total"][col["Credit"]].value == "=SUM(I2:I4)"
    assert vrows["Total"][col["Credit"]].value == pytest.approx(6000.00)
    assert vrows["Total"][col["Credit after cap"]].value == pytest.approx(6000.00)
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
    # Only the business intervals (Monday 08:00-20:00: 24 half-hours) and those with contacts
    # (all of them within it) are printed, not the empty night.
    assert list(rows) == [f"{h:02d}:{m:02d}" for h in range(8, 20) for m in (0, 30)] + ["All intervals"]
    assert rows["All intervals"][col["Intervals"]].value == 3
    assert rows["All intervals"][col["Intervals met"]].value == 0
    assert rows["All intervals"][col["Interval compliance"]].value == 0

    header, rows = table(values["Queues"])
    col = {name: i for i, name in enumerate(header)}
    assert rows["sales"][col["Offered"]].value == 7
    assert rows["sales"][col["Service level"]].value == pytest.approx(3 / 7)
    assert rows["sales"][col["Longest wait (s)"]].value == 60  # m7, overflow
    # All queues: abandon rate 2/7 (m5 m6 of 7 offered), transfer rate 0 of 4 answered, p90
    # of the answered waits 5 10 20 21 (nearest rank: the 4th) = 21 s, given with no formula.
    every = rows["All queues"]
    assert every[col["Abandon rate"]].value == pytest.approx(2 / 7)
    assert every[col["Transfer rate"]].value == 0
    assert every[col["Wait p90 (s)"]].value == 21 and every[col["Overflow"]].value == 1
    qbook = table(book["Queues"])[1]["All queues"]
    assert qbook[col["Abandon rate"]].value.startswith("=IF(SUM(")

    # Quality: one agent (ag1: m1 m2 m3 m8 answered), pseudonymised, no evaluations.
    header, rows = table(values["Quality"])
    col = {name: i for i, name in enumerate(header)}
    assert [k for k in rows if k != "All agents"] == ["Agent 001"]
    assert rows["Agent 001"][col["Evaluations"]].value == 0
    assert rows["Agent 001"][col["Answered"]].value == 4
    assert rows["Agent 001"][col["QA score"]].value is None
    assert "ag1" not in str([[c.value for c in r] for r in values["Quality"].iter_rows()])

    # Data quality: the one batch of ROWS (10 rows, none rejected, none repeated).  It was
    # received after October ended but before October's first report (this one) was
    # requested: the period had not closed, so none of the month's 8 contacts (m1..m8) is a
    # late arrival.  FCR is final: the report is made after 31 Oct + 72 h.
    facts = {r[0].value: r[1].value for r in values["Data quality"].iter_rows() if r[0].value}
    assert (facts["Rows received"], facts["Rows rejected"], facts["Duplicates"]) == (10, 0, 0)
    assert facts["Late arrivals"] == 0 and facts["FCR provisional"] == 0
    # This report is October's first: the period closed when it was requested.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(report \d+, the period's first\)",
                        facts["Period closed"]), facts["Period closed"]

    # The Cover is the answer, on one page.  From the Scorecard above: service level and
    # abandon rate missed, QA score not measurable: 0 of 3 met; credit 3600.00 + 2400.00 =
    # 6000.00 CNY (under the cap of 14400.00).  The months before: September has no contract,
    # so it is measured with the defaults in the tenant's zone (UTC): m9 (23:59:59 +08:00 on
    # 30 Sep is 15:59:59Z) answered in 10 s: SL 1/1 = 1.0, abandon rate 0/1 = 0; August and
    # July have no contact (empty).  So both rates are worse than the month before.
    rows = [[c.value for c in r] for r in values["Cover"].iter_rows()
            if any(c.value is not None for c in r)]
    cover = {r[0]: r[1] for r in rows}
    assert cover["In one line"] == "0 of 3 targets met, 1 not measurable; credit 6,000.00 CNY"
    labels = [r[0] for r in rows]
    at = labels.index("The contract's targets this month")
    assert rows[at + 1][:10] == ["Contract item", "Comparator", "Target", "Actual", "Result",
                                 "Credit after cap", "3 months before", "2 months before",
                                 "Previous month", "Against the previous month"]
    sl, ab, qa = rows[at + 2:at + 5]
    assert sl[:10] == ["Service level", ">=", pytest.approx(0.8), pytest.approx(3 / 7), "missed",
                       3600, None, None, 1, "worse"]
    assert ab[:10] == ["Abandon rate", "<=", pytest.approx(0.05), pytest.approx(2 / 7), "missed",
                       2400, None, None, 0, "worse"]
    assert qa[:10] == ["QA score", ">=", 90, None, "not measurable", 0, None, None, None, None]
    assert (cover["Credit before the cap"], cover["Cap on the month's credit"],
            cover["Credit after the cap"]) == (6000, 14400, 6000)
    assert cover["Net credit this month (the Scorecard's total)"] == 6000
    assert cover["Earn-back"] == "none: the contract has no earn-back"
    assert cover["QA score"] is None and cover["QA sample"] == "no evaluations this month: no QA score"
    money = next(r for r in book["Cover"].iter_rows() if r[0].value == "Credit after the cap")
    assert money[1].number_format == '#,##0.00 "CNY"' 

    cover = {row[0].value: row[1].value for row in book["Cover"].iter_rows()}
    assert cover["Report id"] == str(rid) and cover["Data digest (SHA-256)"] == meta["data_digest"]
    assert cover["Signing certificate (SHA-256)"] == meta["signer_fingerprint"]
    assert cover["Tenant"] == "Report Tenant" and cover["Period"] == "2026-10"
    assert cover["Time zone"] == "Asia/Shanghai" and cover["Template"] == "client-monthly"
    assert cover["Generated at"] == meta["generated_at"]
    # Made on request, the period not closed by hand: the Cover says so.
    assert cover["Data complete"].startswith("not closed: generated on request")
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
    assert book.sheetnames == ["Cover", "Changes", "Changes - batches", "Scorecard", "Daily",
                               "Intervals", "Queues", "Quality", "QA-CSAT", "Data quality",
                               "Methodology", "Agents", "Cases", "Inspectors", "Calibration",
                               "Appeals", "Staffing", "Service level cost", "Evidence"]
    cover = {row[0].value: row[1].value for row in book["Cover"].iter_rows()}
    assert cover["Template"] == "internal-monthly"
    assert cover["Data digest (SHA-256)"] == meta["data_digest"]

    # Quality: the real agent id, not "Agent 001".
    _, rows = table(values["Quality"])
    assert [k for k in rows if k != "All agents"] == ["ag1"]

    # Agents.  ag1 handled every answered contact of October: m1 (wait 10 s), m2 (20 s),
    # m3 (21 s), m8 (5 s); m9 is September.  offered 4, answered 4, within 20 s m1 m2 m8 = 3,
    # service level 3/4, ASA (10 + 20 + 21 + 5) / 4 = 14.0 s, AHT 100 + 0 + 20 = 120 s each.
    # The abandons m5 m6 and the overflow m7 have no agent: one labelled row last, offered 3
    # = abandoned 2 + overflow 1, with no service level of its own (not an agent at 0 %).
    # No evaluations: QA score, interval and "sample too small" are empty, evaluations 0.
    header, rows = table(book["Agents"])
    _, vrows = table(values["Agents"])
    # 35 columns print three pages wide with the agent column on each, not shrunk to one.
    assert book["Agents"].page_setup.fitToWidth == 3 and book["Agents"].print_title_cols == "$A:$A"
    assert book["Daily"].page_setup.fitToWidth in (1, None)
    col = {name: i for i, name in enumerate(header)}
    unassigned = "unassigned (abandoned or overflowed in queue)"
    assert list(rows) == ["ag1", unassigned, "All agents"]
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
    none = rows[unassigned]
    assert (none[col["Offered"]].value, none[col["Abandoned"]].value) == (3, 2)
    assert none[col["Overflow"]].value == 1
    for label in ("Service level", "ASA (s)", "AHT (s)", "Evaluations", "QA score", "Abandon rate"):
        assert none[col[label]].value is None, label
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

    # Staffing: the business intervals of October (Mondays 08:00-20:00: 5, 12, 19 and 26 Oct x
    # 24 half-hours = 96) and the one other interval with contacts (6 Oct 09:00, m8, a
    # Tuesday), not the empty night: 97 rows and the month.
    # 5 Oct 09:00: offered m1 m2 m3 = 3 in 1800 s, AHT 120 s: A = 3 x 120 / 1800 = 0.2 E;
    #   N = 1: C(1, 0.2) = 0.2, SL = 1 - 0.2 x exp(-(1 - 0.2) x 20 / 120) = 0.825 >= 0.80,
    #   so 1 agent required; ag1 handled them: 1 agent, none short, none above.
    # 5 Oct 09:30: m5 m6 offered, none answered: h = the month's AHT 120 s, A = 2 x 120 /
    #   1800 = 0.133 E; N = 1: SL = 1 - 0.133 x exp(-(0.867) x 20 / 120) = 0.885 -> 1
    #   required; no agent handled a contact: 0 agents, 1 short (a count, not -1).
    header, rows = table(values["Staffing"])
    col = {name: i for i, name in enumerate(header)}
    assert len(rows) == 96 + 1 + 1
    assert "Agents - required" not in col
    at9 = rows[datetime.datetime(2026, 10, 5, 9, 0)]
    assert at9[col["Offered"]].value == 3 and at9[col["Business hours"]].value == 1
    assert at9[col["Required agents (Erlang C)"]].value == 1
    assert at9[col["Agents who handled contacts"]].value == 1
    assert (at9[col["Agents short of required"]].value, at9[col["Agents above required"]].value) == (0, 0)
    at930 = rows[datetime.datetime(2026, 10, 5, 9, 30)]
    assert at930[col["Offered"]].value == 2 and at930[col["Answered"]].value == 0
    assert at930[col["Required agents (Erlang C)"]].value == 1
    assert at930[col["Agents who handled contacts"]].value == 0
    assert at930[col["Agents short of required"]].value == 1
    assert at930[col["Agents above required"]].value == 0
    at6 = rows[datetime.datetime(2026, 10, 6, 9, 0)]  # m8, ag1, outside business hours
    assert at6[col["Agents who handled contacts"]].value == 1 and at6[col["Business hours"]].value == 0
    # 6 Oct 09:30 (a Tuesday, closed, empty) is not printed; 12 Oct 09:00 (Monday) is, empty.
    assert datetime.datetime(2026, 10, 6, 9, 30) not in rows
    assert rows[datetime.datetime(2026, 10, 12, 9, 0)][col["Agents who handled contacts"]].value == 0
    assert rows["Month"][col["Offered"]].value == 7
    # Agent counts are whole numbers: no decimals in their formats.
    staffing_book = table(book["Staffing"])[1]
    at9b = staffing_book[datetime.datetime(2026, 10, 5, 9, 0)]
    for name in ("Required agents (Erlang C)", "Agents who handled contacts",
                 "Agents short of required", "Agents above required"):
        assert at9b[col[name]].number_format == "#,##0", name
    for r in values["Staffing"].iter_rows(min_row=2):
        for name in ("Agents short of required", "Agents above required"):
            assert r[col[name]].value is None or r[col[name]].value >= 0

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
    # In print the wait and the class read apart ("86answered" before): the number is
    # right-aligned under a right-aligned header, the text after it indented.
    ev = book["Evidence"]
    assert ev.cell(1, col["Wait (s)"] + 1).alignment.horizontal == "right"
    assert all(ev.cell(r, col["Class"] + 1).alignment.indent == 1 for r in range(2, 6))
    reason = {k: r[col["Reason it counted"]].value for k, r in rows.items()}
    assert reason["m3"] == "answered after the threshold: 21 s > 20 s"
    assert reason["m5"] == "abandoned (offered, not answered): 15 s"
    assert reason["m6"] == "abandoned after the threshold: 40 s > 20 s"
    assert reason["m7"] == "overflow (offered, not answered): 60 s"


# A second tenant with QA data for the internal sheets Inspectors, Calibration and Appeals.
# No contract: the METRICS.md defaults (pass mark 85, precision 5 points, lag target 72 h,
# calibration tolerance 5 points, composite weights 1 each).  Form "q": one section, four
# pass/fail items of 1 point, so a score is 25 x the items passed.
QA_FORM = {"form_id": "q", "version": 1, "pass_mark": 85, "critical_zeroes": False,
           "sections": [{"id": "s", "name": "All", "weight": 1,
                         "items": [{"id": f"i{k}", "name": f"Item {k}", "max": 1}
                                   for k in range(1, 5)]}]}
# c1 c2 c3: answered by a1 on 5 Oct, each ended 09:05 local (+08:00).
QA_CDRS = "\n".join(f"c{k},sales,2026-10-05T09:00:00+08:00,2026-10-05T09:00:10+08:00,"
                    "2026-10-05T09:05:00+08:00,answered,a1,200,0,20" for k in (1, 2, 3))


def qa_items(passes):
    return [(f"i{k}", "pass" if k <= passes else "fail") for k in range(1, 5)]


def qa_eval(eid, call, insp, at, passes):
    return [f"{eid},{call},a1,{insp},q,1,{at},{k},{v}" for k, v in qa_items(passes)]


def qa_cal(session, insp, ref, at, passes):
    return [f"{session},c1,{insp},{ref},{at},{k},{v},q,1" for k, v in qa_items(passes)]


@pytest.fixture(scope="module")
def qa_setup(server, admin):
    slug = unique_slug("repqa")
    admin.post("/v1/tenants", json={"slug": slug, "name": "QA Report", "timezone": "Asia/Shanghai"})
    manager = Api(server, issue_token("manager", slug))
    ingest = Api(server, issue_token("ingest", slug))
    assert manager.put(f"/v1/tenants/{slug}/qa/forms/q", json=QA_FORM).status_code == 201

    def post(kind, header, rows):
        r = ingest.post(f"/v1/tenants/{slug}/{kind}", data=(header + "\n" + rows + "\n").encode(),
                        headers={"Content-Type": "text/csv"})
        assert r.status_code == 200 and r.json().get("rejected", 0) == 0, r.text

    post("cdrs", H, QA_CDRS)
    post("qa/evaluations", "evaluation_id,call_id,agent_id,inspector_id,form_id,form_version,"
         "evaluated_at,item_id,result", "\n".join(
             qa_eval("E1", "c1", "i1", "2026-10-05T12:00:00+08:00", 4) +   # 100, lag 2.92 h
             qa_eval("E2", "c2", "i1", "2026-10-06T09:05:00+08:00", 3) +   # 75, lag 24 h
             qa_eval("E3", "c3", "i1", "2026-10-10T09:05:00+08:00", 2) +   # 50, lag 120 h
             qa_eval("E4", "c1", "i2", "2026-10-05T10:05:00+08:00", 4)))   # 100, lag 1 h
    post("qa/calibrations", "session_id,call_id,inspector_id,is_reference,evaluated_at,item_id,"
         "result,form_id,form_version", "\n".join(
             qa_cal("S1", "i1", 1, "2026-10-07T09:00:00Z", 4) +   # reference: 100
             qa_cal("S1", "i2", 0, "2026-10-07T09:00:00Z", 3) +   # 75
             qa_cal("S2", "i1", 0, "2026-10-08T09:00:00Z", 3) +   # 75, no reference
             qa_cal("S2", "i2", 0, "2026-10-08T09:00:00Z", 3)))   # 75
    post("qa/appeals", "evaluation_id,appealed_at,decided_at,outcome,new_score",
         "E2,2026-10-11T09:00:00Z,2026-10-12T09:00:00Z,upheld,\n"
         "E3,2026-10-11T09:00:00Z,2026-10-12T09:00:00Z,overturned,70")
    r = manager.put(f"/v1/tenants/{slug}/qa/inspectors", json={"month": "2026-10", "inspectors": [
        {"inspector_id": "i1", "name": "Li Wei", "monthly_quota": 6},
        {"inspector_id": "i2", "name": "Ana", "monthly_quota": 2}]})
    assert r.status_code == 200, r.text
    return slug, manager


def test_internal_workbook_qa_sheets(qa_setup):
    slug, manager = qa_setup
    meta = wait_done(manager, slug, request(manager, slug, template="internal-monthly"))
    assert meta["status"] == "done", meta
    tmp = tempfile.mkdtemp()
    wb_path = os.path.join(tmp, "Q.xlsx")
    with open(wb_path, "wb") as f:
        f.write(manager.get(f"/v1/tenants/{slug}/reports/{meta['id']}/workbook").content)
    values = openpyxl.load_workbook(wb_path, data_only=True)

    # Agents: a1 answered c1 c2 c3 and has E1..E4 with final scores 100, 75, 70 (E3
    # overturned from 50), 100: qa_score 345 / 4 = 86.25; deviations 13.75 -11.25 -16.25
    # 13.75, squares sum 768.75, sd = sqrt(768.75 / 3) = 16.0078; half-width t(0.975, 3)
    # = 3.18245 x 16.0078 / sqrt(4) = 25.472 > 5 points: sample too small.  Pass (>= 85):
    # 2 of 4; coverage: c1 c2 c3 evaluated / 3 answered = 1.
    header, rows = table(values["Agents"])
    col = {name: i for i, name in enumerate(header)}
    a1 = rows["a1"]
    assert a1[col["Answered"]].value == 3 and a1[col["Evaluations"]].value == 4
    assert a1[col["QA score"]].value == pytest.approx(86.25)
    assert a1[col["QA score SD"]].value == pytest.approx(16.0078, abs=1e-4)
    assert a1[col["CI half-width"]].value == pytest.approx(25.472, abs=1e-3)
    assert a1[col["95% CI low"]].value == pytest.approx(86.25 - 25.472, abs=1e-3)
    assert a1[col["Sample too small"]].value == 1
    assert a1[col["Evaluations needed"]].value > 4
    assert a1[col["Pass rate"]].value == pytest.approx(0.5)
    assert a1[col["Coverage"]].value == pytest.approx(1.0)

    # Inspectors.
    # i1: E1 E2 E3; quota 6 -> attainment 0.5.  Lags 2.92, 24, 120 h: median 24, p90
    #   (nearest rank, ceil(0.9 x 3) = 3rd) 120, on time (<= 72 h) 2/3.  Calibration: S1 it
    #   is the reference (no comparison); S2 no reference, the mean of the others is i2's
    #   75: deviation 0, so 1 comparison, MAD 0, within 1.  Appeals E2 E3: rate 2/3,
    #   overturned E3: 1/3.  Mean final score (100 + 75 + 70) / 3 = 81.667; the others
    #   (E4) 100: bias -18.333.  Defects E2 E3: 2/3.  Composite = mean of quota 50,
    #   timeliness 66.667, calibration 100, accuracy (1 - 1/3) x 100 = 66.667 = 70.833.
    # i2: E4; quota 2 -> 0.5; lag 1 h: on time 1.  S1 75 vs reference 100: -25 (outside 5);
    #   S2 75 vs i1's 75: 0 -> 2 comparisons, MAD 12.5, within 0.5.  No appeals: overturn 0.
    #   Bias 100 - 81.667 = 18.333.  Composite = mean of 50, 100, 50, 100 = 75.
    header, rows = table(values["Inspectors"])
    col = {name: i for i, name in enumerate(header)}
    assert list(rows) == ["i1", "i2", "All inspectors"]
    i1, i2 = rows["i1"], rows["i2"]
    assert i1[col["Name"]].value == "Li Wei" and i1[col["Listed"]].value == 1
    assert i1[col["Evaluations"]].value == 3 and i1[col["Monthly quota"]].value == 6
    assert i1[col["Quota attainment"]].value == pytest.approx(0.5)
    assert i1[col["Lag median (h)"]].value == pytest.approx(24)
    assert i1[col["Lag p90 (h)"]].value == pytest.approx(120)
    assert i1[col["On time"]].value == pytest.approx(2 / 3)
    assert i1[col["Calibrations compared"]].value == 1
    assert i1[col["Calibration MAD (pts)"]].value == pytest.approx(0)
    assert i1[col["Calibration within tolerance"]].value == pytest.approx(1)
    assert (i1[col["Appealed"]].value, i1[col["Overturned"]].value) == (2, 1)
    assert i1[col["Appeal rate"]].value == pytest.approx(2 / 3)
    assert i1[col["Overturn rate"]].value == pytest.approx(1 / 3)
    assert i1[col["Mean score"]].value == pytest.approx(245 / 3)
    assert i1[col["Severity bias (pts)"]].value == pytest.approx(245 / 3 - 100)
    assert i1[col["Defect rate"]].value == pytest.approx(2 / 3)
    assert i1[col["Composite"]].value == pytest.approx((50 + 200 / 3 + 100 + 200 / 3) / 4)
    assert i2[col["Calibrations compared"]].value == 2
    assert i2[col["Calibration MAD (pts)"]].value == pytest.approx(12.5)
    assert i2[col["Calibration within tolerance"]].value == pytest.approx(0.5)
    assert i2[col["Severity bias (pts)"]].value == pytest.approx(100 - 245 / 3)
    assert i2[col["Composite"]].value == pytest.approx(75)
    # Item agreement, against a reference inspector only: S1 i2 (pass pass pass fail) vs
    # i1 (pass x 4) agrees on 3 of 4 items; i1 is the reference and S2 has none.
    assert i2[col["Item agreement"]].value == pytest.approx(0.75)
    assert i1[col["Item agreement"]].value is None
    assert rows["All inspectors"][col["Evaluations"]].value == 4

    # Calibration: S1 (7 Oct) then S2 (8 Oct), participants by inspector id.
    header, _ = table(values["Calibration"])
    col = {name: i for i, name in enumerate(header)}
    got = [(r[col["Session"]].value, r[col["Inspector"]].value, r[col["Reference inspector"]].value,
            r[col["Score"]].value, r[col["Reference score"]].value, r[col["Deviation (pts)"]].value,
            r[col["Within tolerance"]].value) for r in values["Calibration"].iter_rows(min_row=2)]
    assert got == [("S1", "i1", 1, 100, None, None, None),   # the reference: no comparison
                   ("S1", "i2", 0, 75, 100, -25, 0),
                   ("S2", "i1", 0, 75, 75, 0, 1),             # no reference: mean of the others
                   ("S2", "i2", 0, 75, 75, 0, 1)]
    first = next(values["Calibration"].iter_rows(min_row=2))
    assert first[col["Evaluated at"]].value == datetime.datetime(2026, 10, 7, 17, 0)  # 09:00Z local

    # Appeals: E2 upheld (75 stays), E3 overturned 50 -> 70; appealed 11 Oct 09:00Z = 17:00 local.
    header, rows = table(values["Appeals"])
    col = {name: i for i, name in enumerate(header)}
    assert list(rows) == ["E2", "E3"]
    e2, e3 = rows["E2"], rows["E3"]
    assert (e2[col["Outcome"]].value, e2[col["Original score"]].value, e2[col["New score"]].value,
            e2[col["Final score"]].value) == ("upheld", 75, None, 75)
    assert (e3[col["Outcome"]].value, e3[col["Original score"]].value, e3[col["New score"]].value,
            e3[col["Final score"]].value, e3[col["Change (pts)"]].value) == ("overturned", 50, 70, 70, 20)
    assert e3[col["Agent"]].value == "a1" and e3[col["Inspector"]].value == "i1"
    assert e3[col["Appealed at"]].value == datetime.datetime(2026, 10, 11, 17, 0)
    assert e3[col["Decided at"]].value == datetime.datetime(2026, 10, 12, 17, 0)


def test_qa_and_inspector_metrics_as_json(qa_setup):
    """GET /metrics serves the QA and inspector numbers of the workbook (the same
    hand-worked values as test_internal_workbook_qa_sheets)."""
    slug, manager = qa_setup
    r = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=agent")
    assert r.status_code == 200, r.text
    body = r.json()
    a1 = {row["key"]: row for row in body["rows"]}["a1"]
    assert a1["answered"] == 3 and a1["evaluations"] == 4
    assert a1["qa_score"] == pytest.approx(86.25)
    assert a1["qa_sd"] == pytest.approx(16.0078, abs=1e-4)
    assert a1["qa_ci_half_width"] == pytest.approx(25.472, abs=1e-3)
    assert a1["qa_ci_low"] == pytest.approx(86.25 - 25.472, abs=1e-3)
    assert a1["sample_too_small"] is True and a1["evaluations_needed"] > 4
    assert a1["qa_pass_rate"] == pytest.approx(0.5) and a1["qa_coverage"] == pytest.approx(1.0)
    # The tenant: the same four evaluations; no survey, so no QA-CSAT pair (null, n 0).
    qa = body["qa"]
    assert qa["evaluations"] == 4 and qa["qa_score"] == pytest.approx(86.25)
    assert qa["fatal_rate"] == 0
    assert qa["qa_csat"] == {"pearson_r": None, "pearson_n": 0, "spearman_rho": None,
                             "spearman_n": 0, "too_few_pairs": True}
    month = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=month").json()
    assert month["qa"]["qa_score"] == pytest.approx(86.25) and month["source"] == "contacts"
    assert "qa" not in manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=day").json()

    r = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=inspector")
    assert r.status_code == 200, r.text
    rows = {row["key"]: row for row in r.json()["rows"]}
    assert list(rows) == ["i1", "i2"]
    i1, i2 = rows["i1"], rows["i2"]
    assert i1["name"] == "Li Wei" and i1["listed"] is True and i1["evaluations"] == 3
    assert i1["quota_attainment"] == pytest.approx(0.5)
    assert (i1["lag_median_h"], i1["lag_p90_h"]) == (pytest.approx(24), pytest.approx(120))
    assert i1["on_time_rate"] == pytest.approx(2 / 3)
    assert (i1["calibration_n"], i1["calibration_mad"]) == (1, pytest.approx(0))
    assert i1["item_agreement"] is None and i1["items_compared"] == 0
    assert i1["appeal_rate"] == pytest.approx(2 / 3)
    assert i1["overturn_rate"] == pytest.approx(1 / 3)
    assert i1["severity_bias"] == pytest.approx(245 / 3 - 100)
    assert i1["defect_rate"] == pytest.approx(2 / 3)
    assert i1["composite"] == pytest.approx((50 + 200 / 3 + 100 + 200 / 3) / 4)
    assert i2["calibration_mad"] == pytest.approx(12.5)
    assert i2["calibration_within"] == pytest.approx(0.5)
    assert (i2["item_agreement"], i2["items_compared"]) == (pytest.approx(0.75), 4)
    assert i2["composite"] == pytest.approx(75)


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


@pytest.mark.parametrize("where", ["same file system", "other file system"])
def test_command_line_moves_the_built_workbook(setup, where):
    """`slattest report -o FILE` puts the workbook it built, signed and stored at FILE (a
    rename; a copy when FILE is on another file system, /dev/shm): FILE holds the stored
    bytes, its .p7s verifies with openssl, and no temporary workbook is left in var/tmp."""
    slug, manager = setup
    if where == "same file system":
        folder = tempfile.mkdtemp(dir=VAR)
    else:
        if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == os.stat(VAR).st_dev:
            pytest.skip("no /dev/shm on another file system than var")
        folder = tempfile.mkdtemp(dir="/dev/shm")
    try:
        path = os.path.join(folder, "C.xlsx")
        out = cli("report", slug, "--period", "2026-10", "--template", "client-monthly", "-o", path)
        rid = re.search(r"report (\d+) \(version", out.stdout).group(1)
        meta = manager.get(f"/v1/tenants/{slug}/reports/{rid}").json()
        with open(path, "rb") as f:
            data = f.read()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"] and len(data) == meta["bytes"]
        # What the database holds, hashed by the database: the same bytes.
        stored = sql(f"SELECT SHA2(content, 256), LENGTH(content) FROM report_artifacts "
                     f"WHERE report_id = {rid} AND kind = 'workbook'")
        assert stored == [[meta["sha256"], str(len(data))]]
        cmd = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
               os.path.join(folder, "C.p7s"), "-content", path, "-CAfile", CA, "-out", "/dev/null"]
        assert subprocess.run(cmd, capture_output=True).returncode == 0
        assert not [n for n in os.listdir(os.path.join(VAR, "tmp")) if n.startswith(f"report-{rid}-")]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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
    # An auditor gets the workbook itself (it already had it inside the bundle).
    assert auditor.get(f"/v1/tenants/{slug}/reports/{internal['id']}/workbook").status_code == 200
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
    # Signed after the month but before the signing certificate existed (the test run made
    # it today): accepted, then refused by the signer, and the reason is kept.
    rid = request(manager, slug, generated_at="2026-11-01T00:00:00Z")
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


def pdf_pages(pdf):
    """The sheet printed on each page of a LibreOffice PDF (the page header's middle), and
    each page's text."""
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    texts = []
    for page in range(1, int(re.search(r"Pages:\s+(\d+)", info).group(1)) + 1):
        texts.append(subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout",
                                     pdf, "-"], capture_output=True, text=True).stdout)
    sheets = [re.split(r"\s{2,}", t.strip().splitlines()[0].strip())[1] for t in texts]
    return sheets, texts


# Pages of a 31-day month with this tenant's data (October 2026, business hours Monday
# 08:00-20:00): each facts sheet and the Cover on one page; Daily's 31 rows on one page and
# each of its two charts on a page of its own (3); Intervals' 24 business half-hours on one
# page; Agents 3 pages wide; Staffing's 97 printed intervals (not 31 x 48 = 1,488) on a few
# pages.  Sensible: the client workbook within 16 pages, the internal within 30.
CLIENT_PAGES = {"Cover": 1, "Changes": 1, "Changes - batches": 1, "Scorecard": 1, "Daily": 3,
                "Intervals": 1, "Queues": 1, "Quality": 1, "QA-CSAT": 1, "Data quality": 1}
INTERNAL_PAGES = dict(CLIENT_PAGES, Agents=3, Calibration=1, Appeals=1, Evidence=1)


@pytest.mark.parametrize("template,max_pages,per_sheet", [("client-monthly", 16, CLIENT_PAGES),
                                                          ("internal-monthly", 30, INTERNAL_PAGES)])
def test_workbook_converts_to_pdf(setup, template, max_pages, per_sheet):
    """LibreOffice opens the workbook without a repair and prints it (REPORTS.md) on a
    sensible number of pages for a 31-day month (see CLIENT_PAGES), the Cover on one, and
    each chart whole on a page of its own (its title, axes, dates and legend together)."""
    slug, manager = setup
    meta = wait_done(manager, slug, request(manager, slug, template=template))
    assert meta["status"] == "done", meta
    tmp = tempfile.mkdtemp()
    wb = os.path.join(tmp, "report.xlsx")
    with open(wb, "wb") as f:
        f.write(manager.get(f"/v1/tenants/{slug}/reports/{meta['id']}/workbook").content)
    run = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                          "--convert-to", "pdf", "--outdir", tmp, wb],
                         capture_output=True, text=True, timeout=300)
    pdf = os.path.join(tmp, "report.pdf")
    assert run.returncode == 0 and os.path.exists(pdf), run.stdout + run.stderr
    if os.environ.get("KEEP_PDF"):  # to look at the pages (pdftoppm -png)
        shutil.copy(pdf, os.path.join(os.environ["KEEP_PDF"], template + ".pdf"))
    sheets, texts = pdf_pages(pdf)
    counts = {name: sheets.count(name) for name in sheets}
    assert len(sheets) <= max_pages, counts
    for name, n in per_sheet.items():
        assert counts.get(name) == n, (name, counts)
    # The Cover's one page has the verdict and the metadata both.
    cover = texts[sheets.index("Cover")]
    assert "0 of 3 targets met" in cover and "Data digest (SHA-256)" in cover
    # Each chart whole on one page: its title with both axes' titles, the first and last day
    # as dates (not 46296 ...) and its legend.
    for title, legend in (("Daily service level against target", ("Service level", "SL target")),
                          ("Daily volume", ("Offered", "Answered", "Abandoned"))):
        [page] = [t for t in texts if title in t]
        assert "2026-10-01" in page and "Day" in page, title
        assert all(word in page for word in legend), title
        assert not re.search(r"\b46[23]\d\d\b", page), title  # no Excel serial days
