"""The manager's portal pages (docs/portal.md "Manager pages"): upload with the
receipt's row errors, batch history, the contract editor, quality, generating a
report and following its progress without JavaScript, the portfolio, paging and
CSV on lists; who may see each page (a client is refused, another tenant's
manager gets 404 as in the API) and the form token on every POST."""
import csv
import io
import re
import time
import uuid

import openpyxl
import pytest

from conftest import Api, cli, issue_token, sql, unique_slug
from test_metrics import CONTRACT, H, ROWS
from test_portal import Browser, logged_in, new_person
from test_quality import E1, E2, EV_HEADER, FORM

PAGES = ["upload", "batches", "contract", "quality?period=2026-10", "reports/new"]


def new_tenant(name=None, tz="Asia/Shanghai"):
    slug = unique_slug("pm")
    cli("tenant", "add", slug, "--name", name or f"Tenant {slug}", "--tz", tz)
    return slug


def form_token(page):
    m = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert m, page.text[:300]
    return m.group(1)


def upload(b, slug, content, name="contacts.csv", kind="cdrs", mode="strict", fmt="auto"):
    token = form_token(b.get(f"/tenants/{slug}/upload"))
    return b.post(f"/tenants/{slug}/upload", data={"csrf": token, "kind": kind, "mode": mode,
                                                   "format": fmt},
                  files={"file": (name, content, "application/octet-stream")})


def cells(html, table_id):
    """The text of each body row's cells of the table with this id."""
    m = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert m, f"no table {table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", m.group(1), re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
            for r in rows]


@pytest.fixture(scope="module")
def tenants():
    a, b = new_tenant("Alpha Care"), new_tenant("Beta Care")
    return a, b


@pytest.fixture(scope="module")
def manager(server, tenants):
    return logged_in(server, new_person("manager", tenants[0]))


def test_pages_roles_and_tenancy(server, tenants, manager):
    a, b = tenants
    for p in PAGES:
        r = manager.get(f"/tenants/{a}/{p}")
        assert r.status_code == 200, (p, r.status_code, r.text[:300])
        assert "<caption>" in r.text or "<form" in r.text
        # Another tenant's page answers as a missing one: 404.
        assert manager.get(f"/tenants/{b}/{p}").status_code == 404, p
        assert manager.get(f"/tenants/no-such-{uuid.uuid4().hex[:6]}/{p}").status_code == 404
    client = logged_in(server, new_person("client", a))
    for p in PAGES:
        assert client.get(f"/tenants/{a}/{p}").status_code == 404, p
    assert client.get("/portfolio").status_code == 403
    assert manager.get("/portfolio").status_code == 200
    # Not signed in: to the login, back here afterwards.
    anon = Browser(server)
    r = anon.get(f"/tenants/{a}/upload")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login?next=")


def test_post_without_form_token_is_refused(tenants, manager):
    a = tenants[0]
    r = manager.post(f"/tenants/{a}/upload", data={"kind": "cdrs"},
                     files={"file": ("x.csv", b"x", "text/csv")})
    assert r.status_code == 403
    token = form_token(manager.get(f"/tenants/{a}/contract"))
    assert manager.post(f"/tenants/{a}/contract", data={"contract": "{}"}).status_code == 403
    assert manager.post(f"/tenants/{a}/contract", data={"contract": "{}", "csrf": token},
                        origin=False, headers={"Origin": "https://evil.example"}).status_code == 403
    assert manager.post(f"/tenants/{a}/reports", data={"period": "2026-10",
                                                       "template": "client-monthly"}).status_code == 403
    assert sql("SELECT COUNT(*) FROM ingest_batches b JOIN tenants t ON t.id = b.tenant_id "
               f"WHERE t.slug = '{a}'") == [["0"]]


def test_upload_shows_row_errors_and_batches(server, tenants, manager):
    a = tenants[0]
    # Row 3 (file line 3) has an outcome that does not exist.
    bad = ROWS[0].replace("m1,", "u1,"), ROWS[1].replace("m2,", "u2,").replace("answered,ag1", "maybe,ag1")
    body = (H + "\n" + "\n".join(bad) + "\n").encode()
    r = upload(manager, a, body)
    assert r.status_code == 422, r.text[:500]
    assert 'id="receipt-verdict"' in r.text
    errors = cells(r.text, "row-errors")
    assert len(errors) == 1 and errors[0][0] == "3" and errors[0][1] == "outcome", errors
    # Strict: nothing kept; the refusal is a batch of its own.
    r = upload(manager, a, body, mode="lenient")
    assert r.status_code == 200, r.text[:500]
    counts = cells(r.text, "receipt-counts")[0]
    assert counts[3:8] == ["2", "1", "0", "0", "1"], counts  # rows, new, changed, unchanged, rejected
    batch = re.search(r'/tenants/[^/]+/batches/(\d+)"', r.text).group(1)
    page = manager.get(f"/tenants/{a}/batches/{batch}")
    assert page.status_code == 200 and "lenient" in page.text
    listing = cells(manager.get(f"/tenants/{a}/batches").text, "batches")
    assert [row[0] for row in listing][:2] == [batch, str(int(batch) - 1)]
    assert manager.get(f"/tenants/{a}/batches/999999999").status_code == 404
    # No file, or a name that tells no format: the form says so.
    r = upload(manager, a, body, name="contacts.bin")
    assert r.status_code == 400 and 'id="upload-message"' in r.text


def test_lists_page_and_download_as_csv(server, tenants, manager):
    a = tenants[0]
    before = int(sql("SELECT COUNT(*) FROM ingest_batches b JOIN tenants t ON t.id = b.tenant_id "
                     f"WHERE t.slug = '{a}'")[0][0])
    api = Api(server, issue_token("manager", a))
    for i in range(26 - before):
        row = ROWS[0].replace("m1,", f"p{i},")
        assert api.post(f"/v1/tenants/{a}/cdrs", data=(H + "\n" + row + "\n").encode(),
                        headers={"Content-Type": "text/csv"}).status_code == 200
    first = manager.get(f"/tenants/{a}/batches")
    assert len(cells(first.text, "batches")) == 25
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = manager.get(f"/tenants/{a}/batches?page=2")
    assert len(cells(second.text, "batches")) == 1 and 'rel="prev"' in second.text
    r = manager.get(f"/tenants/{a}/batches?format=csv")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert r.headers["Content-Disposition"] == f'attachment; filename="{a}-batches.csv"'
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["id", "received_at", "kind", "format", "mode", "status", "actor", "rows",
                       "inserted", "updated", "unchanged", "rejected", "bytes", "sha256"]
    assert len(rows) == 27 and all(row[2] == "cdrs" for row in rows[1:])
    page2 = list(csv.reader(io.StringIO(manager.get(f"/tenants/{a}/batches?format=csv&page=2").text)))
    assert len(page2) == 2


def test_contract_editor_points_at_the_field(server, tenants, manager):
    a = tenants[0]
    page = manager.get(f"/tenants/{a}/contract")
    assert 'id="contract-form"' in page.text
    bad = dict(CONTRACT, sl_threshold_s=-3)
    import json
    r = manager.post(f"/tenants/{a}/contract", data={"contract": json.dumps(bad),
                                                     "csrf": form_token(page)})
    assert r.status_code == 400, r.text[:500]
    faults = cells(r.text, "fault-list")
    assert any(f[0] == "sl_threshold_s" for f in faults), faults
    assert 'aria-invalid="true"' in r.text and "&quot;sl_threshold_s&quot;: -3" in r.text
    r = manager.post(f"/tenants/{a}/contract", data={"contract": json.dumps(CONTRACT),
                                                     "csrf": form_token(page)})
    assert r.status_code == 303 and r.headers["Location"] == f"/tenants/{a}/contract?saved=1"
    page = manager.get(r.headers["Location"])
    assert 'id="contract-saved"' in page.text and cells(page.text, "versions")[0][0].startswith("v1")
    # The same audit entry as PUT /v1/tenants/{t}/contract.
    assert sql("SELECT COUNT(*) FROM audit_log l JOIN tenants t ON t.id = l.tenant_id "
               f"WHERE t.slug = '{a}' AND l.action = 'contract.put'") == [["1"]]
    # An auditor sees the versions, without the editor.
    auditor = logged_in(server, new_person("auditor", a))
    page = auditor.get(f"/tenants/{a}/contract")
    assert page.status_code == 200 and 'id="contract-form"' not in page.text


def test_generate_follow_progress_and_download(server, tenants, manager):
    a = tenants[0]
    if sql(f"SELECT COUNT(*) FROM contracts c JOIN tenants t ON t.id = c.tenant_id WHERE t.slug = '{a}'") == [["0"]]:
        Api(server, issue_token("manager", a)).put(f"/v1/tenants/{a}/contract", json=CONTRACT)
    form = manager.get(f"/tenants/{a}/reports/new")
    assert 'id="generate-form"' in form.text
    r = manager.post(f"/tenants/{a}/reports", data={"period": "2026-10", "template": "client-monthly",
                                                    "csrf": form_token(form)})
    assert r.status_code == 303, r.text[:300]
    progress = r.headers["Location"]
    assert re.fullmatch(rf"/tenants/{a}/reports/\d+/progress", progress)
    deadline, seen = time.time() + 120, []
    while time.time() < deadline:
        page = manager.get(progress)
        status = re.search(r'data-status="(\w+)"', page.text).group(1)
        seen.append(status)
        refresh = '<meta http-equiv="refresh" content="2">' in page.text
        assert refresh == (status in ("queued", "running")), (status, refresh)
        if status in ("done", "failed"):
            break
        time.sleep(0.5)
    assert status == "done", (seen, page.text[-1500:])
    link = re.search(r'href="([^"]+/workbook)"', page.text).group(1)
    wb = manager.get(link)
    assert wb.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(wb.content))
    assert len(book.sheetnames) > 1
    # The reports list offers to regenerate it as a new version.
    reports = manager.get(f"/tenants/{a}/reports")
    assert 'class="regen"' in reports.text
    # The portfolio shows the issued month for this tenant.
    port = manager.get("/portfolio")
    row = re.search(rf'<tr id="portfolio-{a}">(.*?)</tr>', port.text, re.S).group(1)
    assert "2026" in row and "v1" in row
    # A foreign tenant's report page: 404.
    other = logged_in(server, new_person("manager", tenants[1]))
    assert other.get(progress).status_code == 404


def test_quality_page_shows_the_apis_numbers(server):
    slug = new_tenant("QA Tenant")
    api = Api(server, issue_token("manager", slug))
    assert api.put(f"/v1/tenants/{slug}/qa/forms/std", json=FORM).status_code == 201
    assert api.put(f"/v1/tenants/{slug}/qa/inspectors", json={"month": "2026-10", "inspectors": [
        {"inspector_id": "i1", "name": "Li Wei", "monthly_quota": 4}]}).status_code == 200
    b = logged_in(server, new_person("manager", slug))
    r = upload(b, slug, (EV_HEADER + "\n" + "\n".join(E1 + E2) + "\n").encode(), name="ev.csv",
               kind="evaluations")
    assert r.status_code == 200, r.text[:800]
    ap = ("evaluation_id,appealed_at,decided_at,outcome,new_score\n"
          "E2,2026-10-08T09:00:00Z,2026-10-09T09:00:00Z,overturned,90\n").encode()
    assert upload(b, slug, ap, name="appeals.csv", kind="appeals").status_code == 200
    page = b.get(f"/tenants/{slug}/quality?period=2026-10")
    assert page.status_code == 200
    rows = cells(page.text, "inspectors")
    # i1: 2 evaluations of a quota of 4 = 50.0%; 1 of its 2 evaluations overturned = 50.0%.
    assert len(rows) == 1 and rows[0][1] == "2" and rows[0][2] == "4", rows
    assert rows[0][3] == "50.0%" and rows[0][6] == "50.0%", rows
    appeals = cells(page.text, "appeals")
    assert len(appeals) == 1 and appeals[0][0] == "E2" and appeals[0][6] == "90.0", appeals
    r = b.get(f"/tenants/{slug}/quality?period=2026-10&format=csv&list=appeals")
    got = list(csv.reader(io.StringIO(r.text)))
    assert got[0] == ["evaluation_id", "inspector_id", "agent_id", "outcome", "score", "new_score"]
    assert got[1][0] == "E2" and got[1][3] == "overturned" and float(got[1][5]) == 90
    zh = b.get(f"/tenants/{slug}/quality?period=2026-10&lang=zh")
    assert "质检员" in zh.text


def test_portfolio_csv_guards_formulas(server):
    slug = new_tenant("=HYPERLINK(\"http://x\")")
    b = logged_in(server, new_person("manager", slug))
    r = b.get("/portfolio?format=csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["slug", "name", "period", "version", "met", "missed", "credit_value", "currency"]
    assert rows[1][:2] == [slug, "'=HYPERLINK(\"http://x\")"]
    assert len(rows) == 2


def test_clients_see_live_setting(server):
    import datetime
    slug = new_tenant("Live Tenant", tz="UTC")
    # Three contacts a minute ago (this UTC month, no contract: a 20 s threshold):
    # waits 5 s and 20 s are within, 21 s is not -> service level 2 / 3 = 66.7%.
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start = max(now - datetime.timedelta(seconds=90), now.replace(day=1, hour=0, minute=0, second=0))

    def at(s):
        return (start + datetime.timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [f"L{i},sales,{at(0)},{at(w)},{at(w + 1)},answered,ag1,1,0,0" for i, w in enumerate((5, 20, 21))]
    api = Api(server, issue_token("manager", slug))
    assert api.post(f"/v1/tenants/{slug}/cdrs", data=(H + "\n" + "\n".join(rows) + "\n").encode(),
                    headers={"Content-Type": "text/csv"}).status_code == 200
    manager = logged_in(server, new_person("manager", slug))
    client = logged_in(server, new_person("client", slug))
    page = manager.get(f"/tenants/{slug}")
    live = cells(page.text, "live-figures")[0]
    assert live[:4] == ["3", "3", "0", "66.7%"], live
    # From the rollups, never the contacts.
    assert 'id="live" data-source="rollups"' in page.text
    assert 'id="clients-see-live"' in page.text and "checked" not in page.text.split('id="clients-see-live"')[1][:20]
    # Off by default: a client sees only what was issued, and no setting.
    page = client.get(f"/tenants/{slug}")
    assert page.status_code == 200 and 'id="live"' not in page.text and 'id="live-setting"' not in page.text
    assert Api(server, issue_token("client", slug)).get(f"/v1/tenants/{slug}").json()["clients_see_live"] is False
    # Through the API: PATCH, manager (or admin) only, one boolean member.
    assert api.patch(f"/v1/tenants/{slug}", json={"clients_see_live": "yes"}).status_code == 400
    assert api.patch(f"/v1/tenants/{slug}", json={"other": True}).status_code == 400
    assert Api(server, issue_token("client", slug)).patch(
        f"/v1/tenants/{slug}", json={"clients_see_live": True}).status_code == 404
    r = api.patch(f"/v1/tenants/{slug}", json={"clients_see_live": True})
    assert r.status_code == 200 and r.json()["clients_see_live"] is True
    assert cells(client.get(f"/tenants/{slug}").text, "live-figures")[0][3] == "66.7%"
    # On the overview: the manager's form turns it off again (an unticked box).
    page = manager.get(f"/tenants/{slug}")
    r = manager.post(f"/tenants/{slug}/settings", data={"csrf": form_token(page)})
    assert r.status_code == 303
    assert 'id="live"' not in client.get(f"/tenants/{slug}").text
    assert client.post(f"/tenants/{slug}/settings", data={"csrf": form_token(page),
                                                           "clients_see_live": "1"}).status_code in (403, 404)
    assert sql("SELECT COUNT(*) FROM audit_log l JOIN tenants t ON t.id = l.tenant_id "
               f"WHERE t.slug = '{slug}' AND l.action = 'tenant.settings'") == [["2"]]


def chart_table(html, chart_id):
    """A chart's text alternative: its table's header and body rows."""
    m = re.search(rf'<table[^>]*id="{chart_id}-table".*?<thead>(.*?)</thead>', html, re.S)
    assert m, f"no table for {chart_id}"
    head = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<th[^>]*>(.*?)</th>", m.group(1), re.S)]
    return head, cells(html, f"{chart_id}-table")


def test_overview_trend_charts(server):
    """The overview's charts (docs/portal.md "Trend charts") read the issued report's stored
    numbers.  October 2026 in Shanghai (test_metrics.ROWS): on the 5th m1, m2, m3 answered
    (waits 10, 20, 21 s), m4 a short abandon (3 s: not offered), m5 and m6 abandoned, m7
    overflowed: offered 3 + 2 + 1 = 6, answered 3, abandoned 2 -> abandonment 2 / 6 = 33.3%
    against the contract's 5.0%; service level 2 / 6 = 33.3%.  On the 6th m8 answered in 5 s:
    offered 1, answered 1, abandonment 0.0%.  m9 is September and m10 November.  Every other
    day has nothing offered: no rate (a dash).  QA: one evaluation, E1, scored 83.3 (2.5 / 3 x
    100) against the contract's 90."""
    slug = new_tenant("Trend Care")
    api = Api(server, issue_token("manager", slug))
    assert api.put(f"/v1/tenants/{slug}/contract", json=CONTRACT).status_code == 201
    assert api.post(f"/v1/tenants/{slug}/cdrs", data=(H + "\n" + "\n".join(ROWS) + "\n").encode(),
                    headers={"Content-Type": "text/csv"}).status_code == 200
    assert api.put(f"/v1/tenants/{slug}/qa/forms/std", json=FORM).status_code == 201
    r = Api(server, issue_token("ingest", slug)).post(
        f"/v1/tenants/{slug}/qa/evaluations", data=(EV_HEADER + "\n" + "\n".join(E1) + "\n").encode(),
        headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    r = api.post(f"/v1/tenants/{slug}/reports", json={"period": "2026-10", "template": "client-monthly"})
    assert r.status_code == 202, r.text
    rid, deadline = r.json()["id"], time.time() + 90
    while api.get(f"/v1/tenants/{slug}/reports/{rid}").json()["status"] not in ("done", "failed"):
        assert time.time() < deadline
        time.sleep(0.2)
    assert api.get(f"/v1/tenants/{slug}/reports/{rid}").json()["status"] == "done"
    client = logged_in(server, new_person("client", slug))
    html = client.get(f"/tenants/{slug}").text
    # Four SVGs, each with its title, a text alternative and (but volume) a dashed target line.
    for cid, title in (("chart-sl", "Daily service level — October 2026"),
                       ("chart-volume", "Daily volume — October 2026"),
                       ("chart-abandon", "Daily abandonment — October 2026"),
                       ("chart-qa", "QA score by issued month")):
        m = re.search(rf'<svg class="chart" id="{cid}".*?</svg>', html, re.S)
        assert m, cid
        svg = m.group(0)
        assert f'<title id="{cid}-title">{title}</title>' in svg, cid
        assert f'<desc id="{cid}-desc">' in svg
        assert ('class="target"' in svg) == (cid != "chart-volume"), cid
    head, rows = chart_table(html, "chart-volume")
    assert head == ["Day", "Offered", "Answered"]
    assert len(rows) == 31
    assert rows[4] == ["5 Oct 2026", "6", "3"] and rows[5] == ["6 Oct 2026", "1", "1"]
    assert rows[0] == ["1 Oct 2026", "0", "0"]
    head, rows = chart_table(html, "chart-abandon")
    assert head == ["Day", "Abandonment", "Target"]
    assert rows[4] == ["5 Oct 2026", "33.3%", "5.0%"] and rows[5] == ["6 Oct 2026", "0.0%", "5.0%"]
    assert rows[0][1] == "\u2013"  # no contact offered: no rate (l10n_number's dash)
    head, rows = chart_table(html, "chart-sl")
    assert rows[4][:2] == ["5 Oct 2026", "33.3%"] and rows[5][:2] == ["6 Oct 2026", "100.0%"]
    head, rows = chart_table(html, "chart-qa")
    assert head == ["Month", "QA score", "Target"]
    assert rows == [["October 2026", "83.3", "90.0"]]
    # In Chinese: the same numbers, the catalogue's titles.
    zh = client.get(f"/tenants/{slug}?lang=zh").text
    assert "每日话务量" in zh and "各已发布月份的质检得分" in zh
