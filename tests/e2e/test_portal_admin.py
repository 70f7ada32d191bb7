"""The portal's admin, people, account, audit and changes pages (docs/portal.md):
each page for each role (allowed, refused, 404 for a foreign tenant); a token
issued on the page works against the API until it is revoked there; a manager
invites only client contacts and auditors, to their own tenant; a password
change ends the other sessions; TOTP enrolment and login with codes computed
here by an independent RFC 6238 implementation (hmac + struct), replay and
wrong codes refused and throttled, a required role sent to enrol first; the
audit page's chain verdict, intact and after a row is tampered with; what
changed between two versions; hostile names rendered as text."""
import base64
import hashlib
import hmac
import re
import struct
import time
import uuid

import pytest

from conftest import Api, Server, cli, issue_token, sql, unique_slug
from test_portal import PASSWORD, Browser, logged_in, new_person, new_tenant

NEW_PASSWORD = "another portal password 2"


@pytest.fixture(scope="module")
def srv():
    # Throttling reachable within a test (as test_portal), and people of role ingest must use TOTP.
    s = Server({"SLATTEST_PORTAL_LOGIN_DELAY_AFTER": "3", "SLATTEST_PORTAL_LOGIN_LOCK_AFTER": "5",
                "SLATTEST_PORTAL_LOGIN_LOCK_S": "60",
                "SLATTEST_PORTAL_TOTP_REQUIRED_ROLES": "ingest"})
    sql("DELETE FROM login_failures")
    yield s
    sql("DELETE FROM login_failures")
    code = s.stop()
    assert code == 0, f"server exit code {code}\n{s.read_log()[-5000:]}"


def totp_code(secret, step):
    """RFC 6238 / RFC 4226 with HMAC-SHA1, 6 digits, written here from the RFCs."""
    text = secret.replace(" ", "").upper()
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return f"{value:06d}"


def test_totp_code_matches_rfc6238_vector():
    # The helper itself against RFC 6238 appendix B (SHA-1, T = 59 s: 94287082, last 6 digits).
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(secret, 59 // 30) == "287082"


def form_post(b, path, data, page=None):
    """Posts a form with the page's token (read from `page`, else from `path`)."""
    data = dict(data)
    data["csrf"] = b.csrf(page or path)
    return b.post(path, data)


def secret_of(html):
    m = re.search(r'id="(?:token|link)-value">([^<]+)<', html)
    assert m, html[:2000]
    return m.group(1).replace("&amp;", "&")


# --- Each page for each role --------------------------------------------------------

ADMIN_PAGES = ["/admin/tenants", "/admin/people", "/admin/tokens", "/admin/certs"]


def test_admin_pages_only_for_admins(srv):
    slug = new_tenant()
    admin = logged_in(srv, new_person("admin"))
    for path in ADMIN_PAGES:
        r = admin.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert 'id="nav-admin"' in r.text
    for role in ("manager", "client", "auditor"):
        b = logged_in(srv, new_person(role, slug))
        for path in ADMIN_PAGES:
            assert b.get(path).status_code == 403, (role, path)
        # Nor can they post to them.
        r = form_post(b, "/admin/tenants", {"slug": unique_slug("x"), "name": "X",
                                            "timezone": "UTC"}, page="/")
        assert r.status_code == 403
    anon = Browser(srv)
    r = anon.get("/admin/people")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login?next=")


def test_tenant_pages_by_role_and_foreign_tenant(srv):
    a, other = new_tenant(), new_tenant()
    missing = "no-such-" + uuid.uuid4().hex[:6]
    expect = {  # page -> role -> status on one's own tenant
        "/tenants/{}/people": {"manager": 200, "client": 404, "auditor": 404, "admin": 403},
        "/tenants/{}/audit": {"manager": 200, "client": 404, "auditor": 200, "admin": 200},
        "/tenants/{}/audit.csv": {"manager": 200, "client": 404, "auditor": 200, "admin": 200},
    }
    for role in ("manager", "client", "auditor", "admin"):
        b = logged_in(srv, new_person(role, a) if role != "admin" else new_person("admin"))
        for page, by_role in expect.items():
            assert b.get(page.format(a)).status_code == by_role[role], (role, page)
            if role != "admin":  # admin sees every tenant
                foreign, absent = b.get(page.format(other)), b.get(page.format(missing))
                assert foreign.status_code == absent.status_code == 404, (role, page)
                assert foreign.text == absent.text
    assert logged_in(srv, new_person("client", a)).get("/account").status_code == 200


# --- Admin: tenants, people, tokens, certificates -----------------------------------

def test_admin_creates_tenant_and_person(srv):
    admin = logged_in(srv, new_person("admin"))
    slug = unique_slug("adm")
    r = form_post(admin, "/admin/tenants", {"slug": slug, "name": "Made on the page",
                                            "timezone": "Europe/Paris"})
    assert r.status_code == 303 and r.headers["Location"] == f"/admin/tenants?created={slug}"
    assert sql(f"SELECT name, timezone FROM tenants WHERE slug = '{slug}'") == [
        ["Made on the page", "Europe/Paris"]]
    assert sql(f"SELECT COUNT(*) FROM audit_log WHERE action = 'tenant.create' AND object LIKE "
               f"'%{slug}%'")[0][0] != "0"
    dup = form_post(admin, "/admin/tenants", {"slug": slug, "name": "Again", "timezone": "UTC"})
    assert dup.status_code == 409 and 'id="notice"' in dup.text
    bad = form_post(admin, "/admin/tenants", {"slug": "Bad Slug", "name": "x", "timezone": "UTC"})
    assert bad.status_code == 400
    # A person with a one-time link, shown once.
    email = f"paged-{uuid.uuid4().hex[:8]}@example.com"
    r = form_post(admin, "/admin/people", {"email": email, "role": "auditor", "tenants": slug})
    assert r.status_code == 201, r.text[:500]
    link = secret_of(r.text)
    assert re.search(r"/set-password\?token=[A-Za-z0-9_-]{43}$", link)
    listed = admin.get(f"/admin/people?q={email}").text
    assert email in listed and link not in listed, "the link is shown once"
    assert sql(f"SELECT p.role, t.slug FROM people p JOIN person_grants g ON g.person_id = p.id "
               f"JOIN tenants t ON t.id = g.tenant_id WHERE p.email = '{email}'") == [
        ["auditor", slug]]
    # The link sets the password; then the person can sign in.
    token = link.rsplit("=", 1)[1]
    anon = Browser(srv)
    r = anon.post("/set-password", {"token": token, "password": PASSWORD, "again": PASSWORD,
                                    "csrf": anon.csrf(f"/set-password?token={token}")})
    assert r.status_code == 303
    assert Browser(srv).login(email).status_code == 303
    # A client must have exactly one tenant: the store's rule, through the page.
    r = form_post(admin, "/admin/people", {"email": f"x-{uuid.uuid4().hex[:6]}@example.com",
                                           "role": "client", "tenants": ""})
    assert r.status_code == 400
    # Disable: their sessions end.
    b = logged_in(srv, email)
    assert b.get("/").status_code == 200
    r = form_post(admin, "/admin/people/disable", {"email": email}, page="/admin/people")
    assert r.status_code == 200
    assert b.get("/").status_code == 303


def test_token_issued_on_page_works_until_revoked(srv):
    slug = new_tenant()
    admin = logged_in(srv, new_person("admin"))
    r = form_post(admin, "/admin/tokens", {"role": "manager", "tenants": slug,
                                           "label": "from the page"})
    assert r.status_code == 201, r.text[:500]
    token = secret_of(r.text)
    assert re.fullmatch(r"slt_[A-Za-z0-9_-]{43}", token)
    listing = admin.get(f"/admin/tokens?tenant={slug}").text
    assert token not in listing and "from the page" in listing
    tid = re.search(r'id="token-(\d+)"', listing).group(1)
    api = Api(srv, token)
    assert api.get(f"/v1/tenants/{slug}/reports").status_code == 200
    assert sql(f"SELECT role, label FROM tokens WHERE id = {tid}") == [["manager", "from the page"]]
    r = form_post(admin, "/admin/tokens/revoke", {"id": tid}, page="/admin/tokens")
    assert r.status_code == 200
    assert api.get(f"/v1/tenants/{slug}/reports").status_code == 401
    # The filter by role: a manager token is not among auditor tokens.
    assert f'id="token-{tid}"' not in admin.get(f"/admin/tokens?role=auditor&tenant={slug}").text
    assert f'id="token-{tid}"' in admin.get(f"/admin/tokens?role=manager&tenant={slug}").text


def test_certificates_page_shows_current_and_ca(srv):
    admin = logged_in(srv, new_person("admin"))
    page = admin.get("/admin/certs").text
    certs = Api(srv, issue_token("admin")).get("/v1/certificates").json()
    for c in certs["certificates"] + [certs["ca"]]:
        assert c["fingerprint"] in page
    assert "cert-current" in page and "cert-ca" in page


# --- Managers invite clients and auditors to their own tenant -----------------------

def test_manager_invites_only_clients_and_auditors_to_own_tenant(srv):
    a, other = new_tenant(), new_tenant()
    manager_email = new_person("manager", a)
    manager = logged_in(srv, manager_email)
    base = f"/tenants/{a}/people"
    for role in ("manager", "admin", "ingest"):
        email = f"no-{uuid.uuid4().hex[:6]}@example.com"
        r = form_post(manager, base, {"email": email, "role": role})
        assert r.status_code == 400, role
        assert sql(f"SELECT COUNT(*) FROM people WHERE email = '{email}'") == [["0"]]
    # A grant of another tenant in the form is ignored: this tenant only.
    email = f"inv-{uuid.uuid4().hex[:6]}@example.com"
    r = form_post(manager, base, {"email": email, "role": "auditor", "tenants": other})
    assert r.status_code == 201
    assert "/set-password?token=" in secret_of(r.text)
    assert sql(f"SELECT t.slug FROM people p JOIN person_grants g ON g.person_id = p.id JOIN "
               f"tenants t ON t.id = g.tenant_id WHERE p.email = '{email}'") == [[a]]
    assert email in manager.get(base).text
    # The tenant's audit log names the manager (by email) as who added them.
    audit = manager.get(f"/tenants/{a}/audit?action=person.add").text
    entry = re.findall(r'<tr class="entry"[^>]*>(.*?)</tr>', audit, flags=re.S)[0]
    assert manager_email in entry and "person.add" in entry
    # Inviting to a foreign tenant: 404 like a missing one.
    assert form_post(manager, f"/tenants/{other}/people", {"email": "z@example.com",
                                                          "role": "client"},
                     page=base).status_code == 404
    # Disable: the invited auditor yes; a manager of the tenant, no (looks like nobody).
    other_manager = new_person("manager", a)
    r = form_post(manager, f"{base}/disable", {"email": other_manager}, page=base)
    assert r.status_code == 404
    assert sql(f"SELECT disabled_at IS NULL FROM people WHERE email = '{other_manager}'") == [["1"]]
    r = form_post(manager, f"{base}/disable", {"email": email}, page=base)
    assert r.status_code == 200
    assert sql(f"SELECT disabled_at IS NOT NULL FROM people WHERE email = '{email}'") == [["1"]]


# --- Account: password change -------------------------------------------------------

def test_password_change_ends_other_sessions(srv):
    email = new_person("client", new_tenant())
    here, there = logged_in(srv, email), logged_in(srv, email)
    wrong = form_post(here, "/account/password", {"current": "not it at all", "password":
                                                  NEW_PASSWORD, "again": NEW_PASSWORD},
                      page="/account")
    assert wrong.status_code == 400
    weak = form_post(here, "/account/password", {"current": PASSWORD, "password": "password123",
                                                 "again": "password123"}, page="/account")
    assert weak.status_code == 400
    assert there.get("/").status_code == 200, "refused changes end nothing"
    r = form_post(here, "/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                              "again": NEW_PASSWORD}, page="/account")
    assert r.status_code == 200 and 'class="notice ok"' in r.text
    assert here.get("/").status_code == 200, "this session stays"
    assert there.get("/").status_code == 303, "the other one ended"
    assert Browser(srv).login(email).status_code == 401
    assert Browser(srv).login(email, NEW_PASSWORD).status_code == 303


# --- TOTP ---------------------------------------------------------------------------

def enrol(b):
    """Enrols the signed-in person; returns (secret, step used by the confirmation)."""
    r = form_post(b, "/account/totp/start", {}, page="/account")
    assert r.status_code == 303 and r.headers["Location"] == "/account"
    page = b.get("/account").text
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert "<svg" in page and 'class="qr"' in page  # the QR code, drawn by the server
    uri = re.search(r'id="totp-uri">([^<]+)<', page).group(1).replace("&amp;", "&")
    assert uri.startswith("otpauth://totp/slattest:") and secret.replace(" ", "") in uri
    step = int(time.time()) // 30
    wrong = form_post(b, "/account/totp/confirm", {"code": "000000" if totp_code(secret, step)
                                                   != "000000" else "111111"}, page="/account")
    assert wrong.status_code == 400
    r = form_post(b, "/account/totp/confirm", {"code": totp_code(secret, step)}, page="/account")
    assert r.status_code == 200 and 'id="totp-state"' in r.text, r.text[:1000]
    return secret, step


def totp_login(srv, email, password=PASSWORD):
    b = Browser(srv)
    r = b.login(email, password)
    assert r.status_code == 303 and r.headers["Location"].startswith("/login/totp"), r.headers
    assert b.get("/").status_code == 303, "a session waiting for its code authenticates nothing"
    return b


def post_code(b, code):
    return b.post("/login/totp", {"code": code, "next": "/", "csrf": b.csrf("/login/totp")})


def test_totp_enrol_and_login_with_codes(srv):
    sql("DELETE FROM login_failures")
    email = new_person("manager", new_tenant())
    b = logged_in(srv, email)
    secret, step = enrol(b)
    actions = [a[0] for a in sql("SELECT action FROM audit_log ORDER BY id DESC LIMIT 3")]
    assert "person.totp_enrol" in actions and "person.totp_failed" in actions
    assert secret.replace(" ", "") not in srv.read_log()
    assert sql("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%" + secret.replace(" ", "")[:16]
               + "%'") == [["0"]]
    b2 = totp_login(srv, email)
    # The code of the step the enrolment used is spent: replay refused.
    r = post_code(b2, totp_code(secret, step))
    assert r.status_code == 401
    r = post_code(b2, totp_code(secret, step + 1))
    assert r.status_code == 303 and r.headers["Location"] == "/", r.text[:500]
    assert b2.get("/").status_code == 200
    # The code just used cannot sign in again.
    b3 = totp_login(srv, email)
    assert post_code(b3, totp_code(secret, step + 1)).status_code == 401
    sql("DELETE FROM login_failures")


def test_totp_wrong_codes_are_refused_and_throttled(srv):
    sql("DELETE FROM login_failures")
    email = new_person("auditor", new_tenant())
    secret, step = enrol(logged_in(srv, email))
    b = totp_login(srv, email)
    now = int(time.time()) // 30
    good = {totp_code(secret, s) for s in range(now - 1, now + 2)}
    wrong = next(c for c in ("123456", "654321", "111111", "222222") if c not in good)
    statuses = [post_code(b, wrong).status_code for _ in range(4)]
    # Delays from 3 failures (this module's server): the 4th attempt must wait.
    assert statuses[:3] == [401, 401, 401] and statuses[3] == 429, statuses
    r = post_code(b, totp_code(secret, now + 1))
    assert r.status_code == 429, "even the right code waits while throttled"
    assert "Retry-After" in r.headers
    failed = sql(f"SELECT COUNT(*) FROM audit_log WHERE action = 'person.totp_failed' AND "
                 f"detail LIKE '%{email}%'")
    assert int(failed[0][0]) == 3
    sql("DELETE FROM login_failures")


def test_required_role_is_sent_to_enrol_first(srv):
    sql("DELETE FROM login_failures")
    slug = new_tenant()
    email = new_person("ingest", slug)
    b = logged_in(srv, email)
    for path in ("/", f"/tenants/{slug}/reports", "/verify"):
        r = b.get(path)
        assert r.status_code == 303 and r.headers["Location"] == "/account?enrol=1", path
    # The API's downloads, which take the session cookie, refuse it too until enrolment.
    assert b.get("/v1/tenants").status_code == 401
    page = b.get("/account?enrol=1")
    assert page.status_code == 200 and 'class="notice bad"' in page.text
    secret, step = enrol(b)
    assert b.get("/").status_code == 200
    assert b.get("/v1/tenants").status_code == 200
    # Required: it cannot be turned off.
    r = form_post(b, "/account/totp/disable", {"password": PASSWORD}, page="/account")
    assert r.status_code == 409
    # A person of another role may turn it off with their password.
    other = new_person("client", slug)
    ob = logged_in(srv, other)
    enrol(ob)
    assert form_post(ob, "/account/totp/disable", {"password": "wrong password here"},
                     page="/account").status_code == 400
    assert form_post(ob, "/account/totp/disable", {"password": PASSWORD},
                     page="/account").status_code == 200
    assert Browser(srv).login(other).headers["Location"] == "/"
    sql("DELETE FROM login_failures")


def test_admin_resets_a_lost_second_factor(srv):
    sql("DELETE FROM login_failures")
    email = new_person("auditor", new_tenant())
    enrol(logged_in(srv, email))
    totp_login(srv, email)  # the code is asked for
    admin = logged_in(srv, new_person("admin"))
    listed = admin.get(f"/admin/people?q={email}").text
    assert "Reset two-step sign-in" in listed and email in listed
    assert listed.count('<tr class="person">') == 1, "the filter keeps only that email"
    r = form_post(admin, "/admin/people/totp-reset", {"email": email}, page="/admin/people")
    assert r.status_code == 200
    assert sql("SELECT a.action FROM audit_log a ORDER BY a.id DESC LIMIT 1") == [
        ["person.totp_reset"]]
    r = Browser(srv).login(email)
    assert r.status_code == 303 and r.headers["Location"] == "/", "the password alone again"
    again = form_post(admin, "/admin/people/totp-reset", {"email": email}, page="/admin/people")
    assert again.status_code == 404
    sql("DELETE FROM login_failures")


# --- Audit log ----------------------------------------------------------------------

def test_audit_page_shows_chain_and_detects_tampering(srv):
    slug = new_tenant()
    auditor = logged_in(srv, new_person("auditor", slug))
    page = auditor.get(f"/tenants/{slug}/audit")
    assert page.status_code == 200
    assert 'id="chain" data-ok="true"' in page.text
    # The tenant's own entries (its creation), with the time in its zone (Asia/Shanghai).
    assert "tenant.create" in page.text and "Asia/Shanghai" in page.text
    filtered = auditor.get(f"/tenants/{slug}/audit?action=no.such.action").text
    assert "tenant.create" not in filtered
    assert "tenant.create" not in auditor.get(f"/tenants/{slug}/audit?from=2999-01-01").text
    assert "tenant.create" not in auditor.get(f"/tenants/{slug}/audit?to=2000-01-01").text
    assert "tenant.create" in auditor.get(f"/tenants/{slug}/audit?from=2000-01-01&to=2999-12-31"
                                          "&action=tenant.create").text
    csv = auditor.get(f"/tenants/{slug}/audit.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert csv.text.startswith("id,at_utc,at_local,actor,email,action,object,detail\r\n")
    assert "tenant.create" in csv.text
    # Tamper with this throwaway tenant's row; the page says where the chain breaks.
    row_id, obj = sql(f"SELECT a.id, a.object FROM audit_log a JOIN tenants t ON t.id = "
                      f"a.tenant_id WHERE t.slug = '{slug}' ORDER BY a.id LIMIT 1")[0]
    try:
        sql(f"UPDATE audit_log SET object = CONCAT(object, '-tampered') WHERE id = {row_id}")
        page = auditor.get(f"/tenants/{slug}/audit").text
        assert 'id="chain" data-ok="false"' in page
        assert re.search(rf"\b{row_id}\b", page.split('id="chain"')[1].split("</p>")[0])
        code = cli("audit", "verify", check=False).returncode
        assert code != 0, "the CLI agrees"
    finally:
        sql(f"UPDATE audit_log SET object = '{obj}' WHERE id = {row_id}")
    assert 'data-ok="true"' in auditor.get(f"/tenants/{slug}/audit").text


# --- What changed, and hostile names ------------------------------------------------

HOSTILE_TENANT = "<script>alert(1)</script>"
HOSTILE_QUEUE = '"><img src=x onerror=alert(1)>'


def csv_cell(text):
    return '"' + text.replace('"', '""') + '"'


def test_what_changed_and_hostile_names_render_as_text(srv, admin):
    from test_changes import generate, ingest
    from test_metrics import CONTRACT, answered
    slug = unique_slug("hn")
    assert admin.post("/v1/tenants", json={"slug": slug, "name": HOSTILE_TENANT,
                                           "timezone": "UTC"}).status_code == 201
    manager_api = Api(srv, issue_token("manager", slug))
    assert manager_api.put(f"/v1/tenants/{slug}/contract", json=CONTRACT).status_code == 201
    # Two contacts of queue "sales" (test_metrics.answered) and one of the hostile queue.
    first = [answered("h1", 3, "09:00:00", 10), answered("h2", 3, "09:10:00", 30)]
    hostile = answered("h3", 3, "09:20:00", 5).replace(",sales,", "," + csv_cell(HOSTILE_QUEUE) + ",")
    assert ingest(manager_api, slug, first + [hostile])["inserted"] == 3
    v1 = generate(manager_api, slug, "internal-monthly")
    # A late contact of the hostile queue: its row in the Queues sheet moves in version 2.
    late = answered("h4", 4, "10:00:00", 50).replace(",sales,", "," + csv_cell(HOSTILE_QUEUE) + ",")
    assert ingest(manager_api, slug, [late])["inserted"] == 1
    v2 = generate(manager_api, slug, "internal-monthly")
    assert v2["version"] == 2 and v2["supersedes"] == v1["id"]
    for role in ("manager", "auditor"):
        b = logged_in(srv, new_person(role, slug))
        reports = b.get(f"/tenants/{slug}/reports").text
        assert f'/tenants/{slug}/reports/{v2["id"]}/changes' in reports
        assert f'/tenants/{slug}/reports/{v1["id"]}/changes' not in reports, "v1 has no predecessor"
        page = b.get(f"/tenants/{slug}/reports/{v2['id']}/changes")
        assert page.status_code == 200
        rows = re.findall(r'<tr class="change" data-sheet="([^"]*)" data-column="([^"]*)">(.*?)</tr>',
                          page.text, flags=re.S)
        assert rows, page.text[:3000]
        # The hostile queue's row is listed, escaped, with the template's names for sheet and
        # column.  h3 waited 5 s (within 20 s), h4 50 s: offered 1 -> 2, SL 100% -> 50%,
        # ASA 5 -> 55/2 s.
        esc = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        cells = {(sh, col): re.findall(r"<td[^>]*>(.*?)</td>", body)
                 for sh, col, body in rows if f'<td class="row-key">{esc}</td>' in body}
        for column, old, new in (("offered", "1", "2"), ("service_level", "100.0%", "50.0%"),
                                 ("asa_s", "5", "27.5")):
            got = cells[("queues", column)]
            assert (got[4], got[5]) == (old, new), (column, got)
        assert cells[("queues", "offered")][1] == "Queues", "the sheet's name, not its id"
        first_page = b.get(f"/tenants/{slug}/reports/{v1['id']}/changes").text
        assert 'id="changes-none"' in first_page
        # Every page this person reaches shows both names as text, never as markup.
        paths = ["/", f"/tenants/{slug}/reports", f"/tenants/{slug}/reports/{v2['id']}/changes",
                 f"/tenants/{slug}/audit", "/account"]
        if role == "manager":
            paths += [f"/tenants/{slug}", f"/tenants/{slug}/people"]
        for path in paths:
            text = b.get(path).text
            assert HOSTILE_TENANT not in text and "<img" not in text, path
            if path != "/account":
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
        zh = b.get(f"/tenants/{slug}/reports/{v2['id']}/changes?lang=zh").text
        assert 'data-sheet="queues"' in zh and "<td>队列</td>" in zh and "<td>Queues</td>" not in zh
    # A client sees the changes of reports it may see only (internal ones: 404).
    client = logged_in(srv, new_person("client", slug))
    assert client.get(f"/tenants/{slug}/reports/{v2['id']}/changes").status_code == 404
    admin_person = logged_in(srv, new_person("admin"))
    for path in ("/admin/tenants", "/admin/tokens", f"/tenants/{slug}/audit"):
        text = admin_person.get(path).text
        assert HOSTILE_TENANT not in text, path


def test_unknown_required_role_stops_the_server():
    import os
    import subprocess
    from conftest import BIN, ROOT, VAR
    env = dict(os.environ, SLATTEST_PATHS_VAR=VAR, SLATTEST_SERVER_LISTEN="127.0.0.1:0",
               SLATTEST_PORTAL_TOTP_REQUIRED_ROLES="admin, wizard")
    p = subprocess.run([BIN, "serve"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode != 0
    assert "totp_required_roles" in p.stdout + p.stderr and "wizard" in p.stdout + p.stderr


def parsed_csv(b, path, filename):
    """A list page's CSV download, parsed by the csv module, with its file name checked."""
    import csv
    import io
    r = b.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    return list(csv.reader(io.StringIO(r.text)))


def test_admin_lists_page_and_download_as_csv(srv):
    """Every admin list (and a manager's people list) takes ?page=N and ?format=csv like the
    manager's lists (page_list: 25 rows a page); a formula-like cell is written as text."""
    admin = logged_in(srv, new_person("admin"))
    hostile = "=HYPERLINK(\"http://x\")"
    slug = new_tenant(hostile)
    client_email = new_person("client", slug)
    manager_email = new_person("manager", slug)
    # Tenants: every tenant, the hostile name guarded.
    rows = parsed_csv(admin, "/admin/tenants?format=csv", "slattest-tenants.csv")
    assert rows[0] == ["slug", "name", "timezone", "created_at"]
    mine = [r for r in rows[1:] if r[0] == slug]
    assert len(mine) == 1 and mine[0][1:3] == ["'" + hostile, "Asia/Shanghai"]
    total = int(sql("SELECT COUNT(*) FROM tenants")[0][0])
    assert len(rows) - 1 == total
    # Paging: 25 a page; a page's CSV is that page's rows; the page links to its CSV.
    page = admin.get("/admin/tenants").text
    assert 'class="paging"' in page and "format=csv&amp;list=tenants" in page
    assert page.count('class="tenant-name"') == min(total, 25)
    if total > 25:
        assert len(parsed_csv(admin, "/admin/tenants?format=csv&page=2", "slattest-tenants.csv")) - 1 \
            == min(total - 25, 25)
    # People: email, role, the grants as one cell, states.
    rows = parsed_csv(admin, f"/admin/people?format=csv&q={client_email}", "slattest-people.csv")
    assert rows == [["email", "role", "tenants", "disabled", "password_set", "totp", "created_at"],
                    rows[1]]
    assert rows[1][:6] == [client_email, "client", slug, "false", "true", "false"]
    # Tokens: filtered by tenant as the page is.
    tok = issue_token("auditor", slug)
    assert tok
    rows = parsed_csv(admin, f"/admin/tokens?tenant={slug}&format=csv", "slattest-tokens.csv")
    assert rows[0] == ["id", "role", "tenants", "label", "created_at", "revoked"]
    assert [r[1:3] + [r[5]] for r in rows[1:]] == [["auditor", slug, "false"]]
    # A manager's people of their tenant: no grants column (other tenants stay unseen).
    manager = logged_in(srv, manager_email)
    rows = parsed_csv(manager, f"/tenants/{slug}/people?format=csv", f"{slug}-people.csv")
    assert rows[0] == ["email", "role", "disabled", "password_set"]
    assert sorted(r[:2] for r in rows[1:]) == sorted([[client_email, "client"], [manager_email, "manager"]])
    # Not for a client.
    client = logged_in(srv, client_email)
    assert client.get(f"/tenants/{slug}/people?format=csv").status_code in (403, 404)
    assert client.get("/admin/tenants?format=csv").status_code == 403
