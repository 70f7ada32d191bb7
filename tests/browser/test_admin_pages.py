"""The admin, account and audit pages in a real browser, in English and in
Chinese: an admin signs in, creates a tenant and a person, issues a token
(shown once) and sees the signing certificates; the account page draws the
TOTP QR code; an auditor browses the audit log with the chain's verdict.
The tenant named <script>alert(1)</script> is listed and opens no dialog.
Screenshots go to var/test/screenshots (admin-*, account-*, audit-*)."""
import re
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import PASSWORD, e2e
from test_portal_browser import click_and_wait, login, no_dialog, shot, switch


def test_admin_creates_tenant_person_and_token(server, world, browser):
    d = browser
    email = f"admin-{uuid.uuid4().hex[:6]}@example.com"
    e2e.cli("user", "add", email, "--role", "admin", "--password-stdin", input=PASSWORD + "\n")
    login(d, server, email)
    click_and_wait(d, d.find_element(By.ID, "nav-admin"))
    assert d.current_url.endswith("/admin/tenants")
    assert no_dialog(d), "the hostile tenant name ran as script"
    # The list is paged (25 a page): the tenant of that name is on one of them.
    for page in range(1, 200):
        if "<script>alert(1)</script>" in d.find_element(By.ID, "admin-tenants").text:
            break
        d.get(f"{server.url}/admin/tenants?page={page + 1}")
        assert no_dialog(d), "the hostile tenant name ran as script"
        assert d.find_elements(By.ID, "admin-tenants"), "no page lists the hostile tenant"
    assert "<script>alert(1)</script>" in d.find_element(By.ID, "admin-tenants").text
    d.get(f"{server.url}/admin/tenants")
    slug = "ba-" + uuid.uuid4().hex[:8]
    d.find_element(By.ID, "slug").send_keys(slug)
    d.find_element(By.ID, "name").send_keys("Browser Admin Co")
    d.find_element(By.ID, "timezone").send_keys("Europe/Berlin")
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "#tenant-add button"))
    assert slug in d.find_element(By.ID, "notice").text
    assert e2e.sql(f"SELECT name FROM tenants WHERE slug = '{slug}'") == [["Browser Admin Co"]]
    shot(d, "admin-tenants-en")
    # A person: the one-time link is shown on the answer.
    click_and_wait(d, d.find_element(By.ID, "adm-nav-people"))
    person = f"auditor-{uuid.uuid4().hex[:6]}@example.com"
    d.find_element(By.ID, "email").send_keys(person)
    Select(d.find_element(By.ID, "role")).select_by_value("auditor")
    d.find_element(By.ID, "tenants").send_keys(slug)
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "#person-add button"))
    link = d.find_element(By.ID, "link-value").text
    assert re.search(r"/set-password\?token=[A-Za-z0-9_-]{43}$", link), link
    d.find_element(By.ID, "q").send_keys(person)
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "#people-filter button"))
    assert person in d.find_element(By.ID, "admin-people").text
    assert len(d.find_elements(By.CSS_SELECTOR, "#admin-people tr.person")) == 1
    shot(d, "admin-people-en")
    # A token, shown once, that the API accepts.
    click_and_wait(d, d.find_element(By.ID, "adm-nav-tokens"))
    Select(d.find_element(By.ID, "role")).select_by_value("auditor")
    d.find_element(By.ID, "tenants").send_keys(slug)
    d.find_element(By.ID, "label").send_keys("browser test")
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "#token-issue button"))
    token = d.find_element(By.ID, "token-value").text
    assert re.fullmatch(r"slt_[A-Za-z0-9_-]{43}", token), token
    assert e2e.Api(server, token).get(f"/v1/tenants/{slug}/reports").status_code == 200
    shot(d, "admin-tokens-en")
    switch(d, "zh")
    assert "令牌" in d.find_element(By.TAG_NAME, "h1").text
    shot(d, "admin-tokens-zh")
    click_and_wait(d, d.find_element(By.ID, "adm-nav-certs"))
    assert "签名证书" in d.find_element(By.TAG_NAME, "h1").text
    assert len(d.find_elements(By.CSS_SELECTOR, "#admin-certs code.fp")) >= 2
    shot(d, "admin-certs-zh")
    click_and_wait(d, d.find_element(By.ID, "adm-nav-tenants"))
    assert no_dialog(d)
    shot(d, "admin-tenants-zh")
    switch(d, "en")
    # The account page: TOTP set-up draws a QR code (inline SVG from the server).
    click_and_wait(d, d.find_element(By.ID, "nav-account"))
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "#totp-start button"))
    qr = d.find_element(By.CSS_SELECTOR, "svg.qr")
    assert qr.size["width"] >= 150 and qr.size["height"] >= 150
    assert re.fullmatch(r"[A-Z2-7 ]{32,}", d.find_element(By.ID, "totp-secret").text)
    shot(d, "account-totp-en")
    switch(d, "zh")
    assert "两步登录" in d.find_element(By.ID, "totp").text
    shot(d, "account-totp-zh")


def test_auditor_browses_audit_log_in_both_languages(server, world, browser):
    d, slug = browser, world["slug"]
    login(d, server, world["people"]["auditor"])
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, f'a[href="/tenants/{slug}/audit"]'))
    chain = d.find_element(By.ID, "chain")
    assert chain.get_attribute("data-ok") == "true" and "intact" in chain.text
    rows = d.find_elements(By.CSS_SELECTOR, "#audit tr.entry")
    assert rows and any("report" in r.text or "tenant.create" in r.text for r in rows)
    assert "(Asia/Shanghai)" in rows[0].text
    shot(d, "audit-en")
    d.find_element(By.ID, "f-action").send_keys("tenant.create")
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "#audit-filter button"))
    rows = d.find_elements(By.CSS_SELECTOR, "#audit tr.entry")
    assert len(rows) == 1 and "tenant.create" in rows[0].text
    switch(d, "zh")
    assert "审计链完整" in d.find_element(By.ID, "chain").text
    shot(d, "audit-zh")


HOSTILE_QUEUE = '"><img src=x onerror=alert(1)>'
CSV_HEAD = "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,talk_s,hold_s,acw_s"


def contacts(path, rows):
    """A contacts CSV of answered calls on 3 Oct 2026 (Asia/Shanghai) in the hostile queue."""
    queue = '"' + HOSTILE_QUEUE.replace('"', '""') + '"'
    with open(path, "w") as f:
        f.write(CSV_HEAD + "\n")
        for cid, minute, wait in rows:
            t = f"2026-10-03T09:{minute:02d}:00+08:00"
            a = f"2026-10-03T09:{minute:02d}:{wait:02d}+08:00"
            e = f"2026-10-03T09:{minute + 2:02d}:{wait:02d}+08:00"
            f.write(f"{cid},{queue},{t},{a},{e},answered,ag1,100,0,20\n")


def test_hostile_queue_on_the_changes_page_opens_no_dialog(server, world, browser, tmp_path):
    d, slug = browser, world["hostile"]  # the tenant named <script>alert(1)</script>
    e2e.cli("contract", slug, "scripts/demo/contract.json")
    contacts(tmp_path / "a.csv", [("q1", 0, 5), ("q2", 10, 30)])
    e2e.cli("ingest", slug, str(tmp_path / "a.csv"))
    e2e.cli("report", slug, "--period", "2026-10", "--template", "internal-monthly",
            "-o", str(tmp_path / "v1.xlsx"))
    contacts(tmp_path / "b.csv", [("q3", 20, 8)])
    e2e.cli("ingest", slug, str(tmp_path / "b.csv"))
    e2e.cli("report", slug, "--period", "2026-10", "--template", "internal-monthly",
            "-o", str(tmp_path / "v2.xlsx"))
    login(d, server, world["people"]["manager"])
    d.get(f"{server.url}/tenants/{slug}/reports")
    assert no_dialog(d)
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "a.changes-link"))
    assert no_dialog(d), "the hostile queue name ran as script"
    keys = [td.text for td in d.find_elements(By.CSS_SELECTOR, "#changes td.row-key")]
    assert HOSTILE_QUEUE in keys, keys
    assert not d.find_elements(By.CSS_SELECTOR, "#changes img")
    shot(d, "changes-en")
    switch(d, "zh")
    assert no_dialog(d)
    assert "变更" in d.find_element(By.TAG_NAME, "h1").text
    shot(d, "changes-zh")
