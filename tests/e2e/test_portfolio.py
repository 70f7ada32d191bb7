"""The portfolio workbook end to end: three tenants with small hand-worked
months (two contracts in different currencies and formulas, one tenant
without a contract), generated through the template writer, read back with
openpyxl, rebuilt byte for byte, printed by LibreOffice; and who may see it:
only a token that may see every tenant it covers."""
import os
import re
import subprocess
import tempfile

import openpyxl
import pytest

from conftest import CA, Api, assert_json_error, cli, issue_token, sql, unique_slug
from test_metrics import CONTRACT
from test_reports import QA_FORM, qa_eval, request, table, wait_done

H = "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,talk_s,hold_s,acw_s,customer_id,csat"


def contact(cid, day, hms, off, wait, outcome="answered", talk=0, hold=0, acw=0, customer="",
            csat=""):
    """A contact of October 2026 offered at local day/hms (UTC offset `off`)."""
    h, m, s = map(int, hms.split(":"))
    t = h * 3600 + m * 60 + s

    def fmt(x):
        return f"2026-10-{day:02d}T{x // 3600:02d}:{x % 3600 // 60:02d}:{x % 60:02d}{off}"
    if outcome == "answered":
        return (f"{cid},q,{fmt(t)},{fmt(t + wait)},{fmt(t + wait + talk + hold)},answered,ag1,"
                f"{talk},{hold},{acw},{customer},{csat}")
    return f"{cid},q,{fmt(t)},,{fmt(t + wait)},{outcome},,,,,,"


# Tenant A: Asia/Shanghai, sl_formula offered, T = 20 s, 10000.00 CNY, cap 4 %.
#   a1 wait 5, handle 100+0+20 = 120, customer k1, survey 5
#   a2 wait 10, handle 200+10+30 = 240, customer k2, survey 3
#   a3 wait 20 (within: inclusive), handle 60, customer k1 (a repeat of a1 within 72 h), survey 4
#   a4 wait 30 (not within), handle 100+0+20 = 120, no customer
#   a5 abandoned after 40 s
#   offered 5, answered 4, abandoned 1, within 3: SL 3/5 = 0.6 (missed, target 0.80)
#   ASA (5 + 10 + 20 + 30) / 4 = 16.25; AHT (120 + 240 + 60 + 120) / 4 = 135
#   abandon rate 1/5 = 0.2 (missed, target 0.05)
#   FCR (repeat): a1 has k1's a3 after it -> not resolved; a2, a3 resolved: 2/3
#   CSAT: surveys 5, 3, 4, good (>= 4) 5 and 4: 2/3
#   QA: E1 (a1) 100, E2 (a2) 75, E3 (a3) 100: 275/3 = 91.67 >= 90 met
#   credits: SL 3 % x 10000.00 = 300.00, abandon 2 % = 200.00, sum 500.00 over the cap
#   4 % x 10000.00 = 400.00: the month credits 400.00 CNY; items 3, met 1, missed 2.
A_ROWS = [
    contact("a1", 5, "09:00:00", "+08:00", 5, talk=100, acw=20, customer="k1", csat=5),
    contact("a2", 5, "09:10:00", "+08:00", 10, talk=200, hold=10, acw=30, customer="k2", csat=3),
    contact("a3", 6, "09:00:00", "+08:00", 20, talk=60, customer="k1", csat=4),
    contact("a4", 6, "10:00:00", "+08:00", 30, talk=100, acw=20),
    contact("a5", 7, "09:00:00", "+08:00", 40, outcome="abandoned"),
]
A_CONTRACT = dict(CONTRACT, monthly_fee=10000.00, currency="CNY", credit_cap_pct=4)

# Tenant B: America/New_York (-04:00 in October), sl_formula answered, T = 30 s,
# 5000.00 USD, cap 10 %, one item service_level >= 0.90 at 5 %.
#   b1 wait 10, handle 100+0+20 = 120; b2 wait 25 (within), handle 50+10 = 60;
#   b3 wait 35, handle 200+0+40 = 240; b4 abandoned after 3 s: a short abandon, not offered
#   offered 3, answered 3, abandoned 0, within 2: SL 2/3 by answered (num 2, den 3), missed
#   ASA (10 + 25 + 35) / 3 = 23.33; AHT (120 + 60 + 240) / 3 = 140; abandon rate 0
#   no customer ids, no surveys, no evaluations: FCR, CSAT and QA score empty
#   credit 5 % x 5000.00 = 250.00 USD, under the cap 500.00; items 1, met 0, missed 1.
B_ROWS = [
    contact("b1", 12, "10:00:00", "-04:00", 10, talk=100, acw=20),
    contact("b2", 12, "10:05:00", "-04:00", 25, talk=50, hold=10),
    contact("b3", 12, "10:10:00", "-04:00", 35, talk=200, acw=40),
    contact("b4", 12, "10:15:00", "-04:00", 3, outcome="abandoned"),
]
B_CONTRACT = dict(CONTRACT, timezone="America/New_York", sl_formula="answered", sl_threshold_s=30,
                  monthly_fee=5000.00, currency="USD", credit_cap_pct=10,
                  items=[{"metric": "service_level", "comparator": ">=", "target": 0.90,
                          "credit_pct": 5}])

# Tenant C: no contract, Europe/London (+01:00 until 25 October): the METRICS.md defaults,
# T = 20 s, sl_formula offered.  c1 answered at 20 s (within), handle 100; c2 overflow after
# 60 s.  offered 2, answered 1, within 1: SL 1/2 = 0.5, no target; ASA 20, AHT 100.
C_ROWS = [
    contact("c1", 10, "11:00:00", "+01:00", 20, talk=100),
    contact("c2", 10, "11:05:00", "+01:00", 60, outcome="overflow"),
]


@pytest.fixture(scope="module")
def tenants(server, admin):
    slugs = [unique_slug("pfa"), unique_slug("pfb"), unique_slug("pfc")]  # sorted by slug
    for slug, name, tz in zip(slugs, ["Alpha Insurance", "Beta Bank", "Gamma Retail"],
                              ["UTC", "UTC", "Europe/London"]):
        assert admin.post("/v1/tenants", json={"slug": slug, "name": name,
                                               "timezone": tz}).status_code == 201
    manager = Api(server, issue_token("manager", *slugs))
    for slug, rows in zip(slugs, [A_ROWS, B_ROWS, C_ROWS]):
        r = manager.post(f"/v1/tenants/{slug}/cdrs", data=(H + "\n" + "\n".join(rows) + "\n").encode(),
                         headers={"Content-Type": "text/csv"})
        assert r.status_code == 200 and r.json()["rejected"] == 0, r.text
    assert manager.put(f"/v1/tenants/{slugs[0]}/contract", json=A_CONTRACT).status_code == 201
    r = manager.put(f"/v1/tenants/{slugs[1]}/contract", json=B_CONTRACT)
    assert r.status_code == 201, r.text
    a = slugs[0]
    assert manager.put(f"/v1/tenants/{a}/qa/forms/q", json=QA_FORM).status_code == 201
    evals = (qa_eval("E1", "a1", "i1", "2026-10-08T09:00:00+08:00", 4) +   # 100
             qa_eval("E2", "a2", "i1", "2026-10-08T10:00:00+08:00", 3) +   # 75
             qa_eval("E3", "a3", "i1", "2026-10-08T11:00:00+08:00", 4))    # 100
    r = manager.post(f"/v1/tenants/{a}/qa/evaluations",
                     data=("evaluation_id,call_id,agent_id,inspector_id,form_id,form_version,"
                           "evaluated_at,item_id,result\n" + "\n".join(evals) + "\n").encode(),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json().get("rejected", 0) == 0, r.text
    return slugs, manager


@pytest.fixture(scope="module")
def portfolio(tenants):
    """The portfolio of all three, requested under A; its metadata and workbook path."""
    slugs, manager = tenants
    meta = wait_done(manager, slugs[0], request(manager, slugs[0], template="portfolio-monthly"))
    assert meta["status"] == "done", meta
    path = os.path.join(tempfile.mkdtemp(), "P.xlsx")
    r = manager.get(f"/v1/tenants/{slugs[0]}/reports/{meta['id']}/workbook")
    assert r.status_code == 200
    with open(path, "wb") as f:
        f.write(r.content)
    return meta, path


def test_portfolio_rows_and_totals(tenants, portfolio):
    slugs, _ = tenants
    meta, path = portfolio
    assert meta["audience"] == "portfolio" and meta["tenants"] == slugs
    book = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)
    assert book.sheetnames == ["Cover", "Portfolio", "Credits", "Contracts", "Methodology"]

    cover = {row[0].value: row[1].value for row in book["Cover"].iter_rows() if row[0].value}
    assert cover["Period"] == "2026-10" and cover["Tenants"] == 3
    assert cover["Report id"] == str(meta["id"]) and cover["Template"] == "portfolio-monthly"
    assert cover["Data digest (SHA-256)"] == meta["data_digest"]
    assert cover["Signing certificate (SHA-256)"] == meta["signer_fingerprint"]
    assert cover["Generated at"] == meta["generated_at"]
    assert "openssl cms -verify" in cover["How to verify"]

    header, rows = table(book["Portfolio"])
    _, vrows = table(values["Portfolio"])
    col = {name: i for i, name in enumerate(header)}
    assert list(rows) == slugs + ["All tenants"]
    a, b, c = (rows[s] for s in slugs)

    def cells(row, *names):
        return tuple(row[col[n]].value for n in names)

    assert cells(a, "Name", "Time zone", "Contract version") == ("Alpha Insurance", "Asia/Shanghai", 1)
    assert cells(a, "Offered", "Answered", "Abandoned", "SL numerator", "SL denominator") == (5, 4, 1, 3, 5)
    assert a[col["Offered"]].data_type == "n"
    assert a[col["Service level"]].value == pytest.approx(0.6)
    assert a[col["Service level"]].number_format == "0.0%"
    assert a[col["SL target"]].value == pytest.approx(0.80)
    assert a[col["ASA (s)"]].value == pytest.approx(16.25)
    assert a[col["Abandon rate"]].value == pytest.approx(0.2)
    assert a[col["AHT (s)"]].value == pytest.approx(135)
    assert cells(a, "FCR resolved", "FCR base") == (2, 3) and a[col["FCR"]].value == pytest.approx(2 / 3)
    assert a[col["FCR status"]].value == 0  # final: made after 31 Oct + 72 h
    assert cells(a, "Good surveys", "Surveys") == (2, 3) and a[col["CSAT"]].value == pytest.approx(2 / 3)
    assert a[col["Evaluations"]].value == 3 and a[col["QA score"]].value == pytest.approx(275 / 3)
    assert cells(a, "Items in contract", "Items met", "Items missed") == (3, 1, 2)
    assert a[col["Credit owed"]].value == pytest.approx(400.00) and a[col["Currency"]].value == "CNY"
    assert a[col["Credit owed"]].number_format == "#,##0.00"

    assert cells(b, "Time zone", "Contract version") == ("America/New_York", 1)
    assert cells(b, "Offered", "Answered", "Abandoned", "SL numerator", "SL denominator") == (3, 3, 0, 2, 3)
    assert b[col["Service level"]].value == pytest.approx(2 / 3)
    assert b[col["SL target"]].value == pytest.approx(0.90)
    assert b[col["ASA (s)"]].value == pytest.approx(70 / 3) and b[col["AHT (s)"]].value == pytest.approx(140)
    assert b[col["Abandon rate"]].value == 0
    assert cells(b, "FCR", "CSAT", "QA score") == (None, None, None)  # undefined: empty, not 0
    assert cells(b, "Items in contract", "Items met", "Items missed") == (1, 0, 1)
    assert b[col["Credit owed"]].value == pytest.approx(250.00) and b[col["Currency"]].value == "USD"

    # No contract: version 0 shown as "none", the defaults, nothing owed in no currency.
    assert cells(c, "Time zone", "Contract version") == ("Europe/London", 0)
    assert c[col["Contract version"]].number_format == '[=0]"none";0'
    assert cells(c, "Offered", "Answered", "SL numerator", "SL denominator") == (2, 1, 1, 2)
    assert c[col["Service level"]].value == pytest.approx(0.5) and c[col["SL target"]].value is None
    assert c[col["ASA (s)"]].value == 20 and c[col["AHT (s)"]].value == 100
    assert cells(c, "Items in contract", "Items met", "Items missed") == (0, 0, 0)
    assert c[col["Credit owed"]].value is None and c[col["Currency"]].value in (None, "")

    # Totals: formulas over the three rows, written with their values.
    total, vtotal = rows["All tenants"], vrows["All tenants"]
    assert total[col["Offered"]].value == "=SUM(E2:E4)"
    assert cells(vtotal, "Offered", "Answered", "Abandoned") == (10, 8, 1)
    # SL: (3 + 2 + 1) / (5 + 3 + 2) = 0.6, the ratio of the hidden sums
    assert total[col["Service level"]].value == "=IF(SUM(I2:I4)=0,\"\",SUM(H2:H4)/SUM(I2:I4))"
    assert vtotal[col["Service level"]].value == pytest.approx(0.6)
    # ASA by answered: (65 + 70 + 20) / 8 = 19.375; AHT (540 + 420 + 100) / 8 = 132.5
    assert vtotal[col["ASA (s)"]].value == pytest.approx(19.375)
    assert vtotal[col["AHT (s)"]].value == pytest.approx(132.5)
    assert vtotal[col["Abandon rate"]].value == pytest.approx(0.1)   # 1 / 10
    assert vtotal[col["FCR"]].value == pytest.approx(2 / 3)          # (2 + 0 + 0) / (3 + 0 + 0)
    assert vtotal[col["CSAT"]].value == pytest.approx(2 / 3)
    assert vtotal[col["Evaluations"]].value == 3
    assert vtotal[col["QA score"]].value == pytest.approx(275 / 3)    # A's only, by evaluations
    assert cells(vtotal, "Items in contract", "Items met", "Items missed") == (4, 1, 3)
    assert vtotal[col["Credit owed"]].value is None  # CNY and USD are never added
    for hidden in ("SL numerator", "SL denominator", "FCR base", "Surveys"):
        letter = openpyxl.utils.get_column_letter(col[hidden] + 1)
        assert book["Portfolio"].column_dimensions[letter].hidden
    assert book["Portfolio"].freeze_panes == "B2"
    assert book["Portfolio"].page_setup.orientation == "landscape"
    assert book["Portfolio"].sheet_properties.pageSetUpPr.fitToPage
    assert len(book["Portfolio"]._charts) == 1

    # Credits by currency: one row each, never one sum.
    header, rows = table(values["Credits"])
    col = {name: i for i, name in enumerate(header)}
    assert list(rows) == ["CNY", "USD"]
    assert cells(rows["CNY"], "Tenants with a contract", "Tenants owing a credit") == (1, 1)
    assert rows["CNY"][col["Monthly fees"]].value == pytest.approx(10000.00)
    assert rows["CNY"][col["Credit owed"]].value == pytest.approx(400.00)
    assert rows["CNY"][col["Credit / fees"]].value == pytest.approx(0.04)
    assert rows["USD"][col["Credit owed"]].value == pytest.approx(250.00)
    assert rows["USD"][col["Credit / fees"]].value == pytest.approx(0.05)

    # Contracts: the terms each month was measured with; C the METRICS.md defaults.
    header, rows = table(values["Contracts"])
    col = {name: i for i, name in enumerate(header)}
    assert list(rows) == slugs
    a, b, c = (rows[s] for s in slugs)
    assert cells(a, "SL formula", "SL threshold (s)", "Short abandon under (s)", "Monthly fee",
                 "Currency", "Credit cap %", "Items in contract") == ("offered", 20, 5, 10000, "CNY", 4, 3)
    assert a[col["Effective from"]].value.date().isoformat() == "2026-10-01"
    assert cells(b, "SL formula", "SL threshold (s)", "Time zone", "Currency") == \
        ("answered", 30, "America/New_York", "USD")
    assert cells(c, "Contract version", "Effective from", "SL formula", "SL threshold (s)",
                 "Short abandon under (s)", "FCR method", "FCR window (h)", "Good survey from",
                 "QA pass mark", "Interval (min)", "Monthly fee", "Credit cap %") == \
        (0, None, "offered", 20, 5, "repeat", 72, 4, 85, 30, None, None)
    assert c[col["Time zone"]].value == "Europe/London"


def test_rebuild_and_regenerate_are_byte_identical(tenants, portfolio):
    slugs, manager = tenants
    meta, _ = portfolio
    tmp = tempfile.mkdtemp()
    out = cli("report", "--rebuild", str(meta["id"]), os.path.join(tmp, "again.xlsx"))
    assert "byte-identical" in out.stdout
    again = wait_done(manager, slugs[0], request(manager, slugs[0], template="portfolio-monthly",
                                                 generated_at=meta["generated_at"]))
    # Another report id on its Cover, the same numbers: the same data digest.
    assert again["data_digest"] == meta["data_digest"]
    assert again["version"] == meta["version"] + 1 and again["supersedes"] == meta["id"]


def test_only_tokens_that_see_every_covered_tenant_see_it(server, tenants, portfolio):
    slugs, manager = tenants
    meta, _ = portfolio
    a = slugs[0]
    # A manager of A and B only: its own portfolio covers A and B, is its own version 1,
    # and the portfolio of all three is invisible to it (404, not in the list).
    ab = Api(server, issue_token("manager", slugs[0], slugs[1]))
    mine = wait_done(ab, a, request(ab, a, template="portfolio-monthly"))
    assert mine["status"] == "done" and mine["tenants"] == slugs[:2]
    assert mine["version"] == 1 and mine["supersedes"] is None and mine["current"]
    assert_json_error(ab.get(f"/v1/tenants/{a}/reports/{meta['id']}"), 404)
    assert_json_error(ab.get(f"/v1/tenants/{a}/reports/{meta['id']}/workbook"), 404)
    assert_json_error(ab.get(f"/v1/tenants/{a}/reports/{meta['id']}/bundle"), 404)
    ids = [r["id"] for r in ab.get(f"/v1/tenants/{a}/reports").json()["reports"]]
    assert mine["id"] in ids and meta["id"] not in ids
    book = openpyxl.load_workbook(
        _save(ab.get(f"/v1/tenants/{a}/reports/{mine['id']}/workbook").content), data_only=True)
    assert list(table(book["Portfolio"])[1]) == slugs[:2] + ["All tenants"]
    # The manager of all three sees both.
    ids = [r["id"] for r in manager.get(f"/v1/tenants/{a}/reports").json()["reports"]]
    assert meta["id"] in ids and mine["id"] in ids
    # A client never sees a portfolio; an auditor only of one it may see entirely.
    client = Api(server, issue_token("client", a))
    assert all(r["audience"] == "client" for r in client.get(f"/v1/tenants/{a}/reports").json()["reports"])
    assert_json_error(client.get(f"/v1/tenants/{a}/reports/{meta['id']}"), 404)
    assert_json_error(client.get(f"/v1/tenants/{a}/reports/{mine['id']}/workbook"), 404)
    auditor_a = Api(server, issue_token("auditor", a))
    assert_json_error(auditor_a.get(f"/v1/tenants/{a}/reports/{meta['id']}/signature"), 404)
    auditor_all = Api(server, issue_token("auditor", *slugs))
    assert auditor_all.get(f"/v1/tenants/{a}/reports/{meta['id']}/signature").status_code == 200
    # ... and its workbook too (it has it in the bundle anyway); auditor_a still not.
    assert auditor_all.get(f"/v1/tenants/{a}/reports/{meta['id']}/workbook").status_code == 200
    assert_json_error(auditor_a.get(f"/v1/tenants/{a}/reports/{meta['id']}/workbook"), 404)
    # The request's audit entry names the covered tenants.
    detail = sql(f"SELECT detail FROM audit_log WHERE action = 'report.request' "
                 f"AND object = 'report:{meta['id']}'")[0][0]
    assert all(s in detail for s in slugs), detail


def test_command_line_portfolio_covers_every_tenant(tenants):
    """The command line holds the database: its portfolio is the admin's view, every tenant."""
    slugs, manager = tenants
    path = os.path.join(tempfile.mkdtemp(), "all.xlsx")
    cli("report", slugs[0], "--period", "2026-10", "--template", "portfolio-monthly", "-o", path)
    _, rows = table(openpyxl.load_workbook(path, data_only=True)["Portfolio"])
    every = [r[0] for r in sql("SELECT slug FROM tenants")]
    assert sorted(k for k in rows if k != "All tenants") == sorted(every)
    assert list(rows)[-1] == "All tenants"


def _save(content):
    path = os.path.join(tempfile.mkdtemp(), "W.xlsx")
    with open(path, "wb") as f:
        f.write(content)
    return path


def test_portfolio_converts_to_pdf(portfolio):
    """LibreOffice opens the workbook without a repair and prints it."""
    _, path = portfolio
    tmp = tempfile.mkdtemp()
    run = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                          "--convert-to", "pdf", "--outdir", tmp, path],
                         capture_output=True, text=True, timeout=300)
    pdf = os.path.join(tmp, "P.pdf")
    assert run.returncode == 0 and os.path.exists(pdf), run.stdout + run.stderr
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 5  # a page per sheet at least
    if os.environ.get("PORTFOLIO_PDF_DIR"):  # to look at the pages by hand
        subprocess.run(["cp", pdf, path, os.environ["PORTFOLIO_PDF_DIR"]], check=True)
