"""The portal's security (docs/portal.md): the session cookie's flags, CSRF
and Origin checks, the one tenancy gate for pages (a foreign tenant's page
is 404 like a missing one, as in the API), login throttling and its audit
entries, a disabled person's sessions, hostile names rendered as text, the
one-time password link, and the catalogues."""
import glob
import json
import os
import re
import time
import uuid

import pytest
import requests

from conftest import CA, ROOT, Server, cli, sql, unique_slug

PASSWORD = "portal test password 1"


@pytest.fixture(scope="module")
def portal():
    # Throttling reachable within a test: delays from 3 failures, a lock at 5.
    s = Server({"SLATTEST_PORTAL_LOGIN_DELAY_AFTER": "3", "SLATTEST_PORTAL_LOGIN_LOCK_AFTER": "5",
                "SLATTEST_PORTAL_LOGIN_LOCK_S": "60"})
    yield s
    # Every test logs in from 127.0.0.1: leave no failures that would throttle
    # that address for the tests after these.
    sql("DELETE FROM login_failures")
    code = s.stop()
    assert code == 0, f"server exit code {code}\n{s.read_log()[-5000:]}"


def new_tenant(name=None):
    slug = unique_slug("p")
    cli("tenant", "add", slug, "--name", name or f"Tenant {slug}", "--tz", "Asia/Shanghai")
    return slug


def new_person(role, *tenants, password=PASSWORD):
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    args = ["user", "add", email, "--role", role, "--password-stdin"]
    for t in tenants:
        args += ["--tenant", t]
    cli(*args, input=password + "\n")
    return email


class Browser:
    """A cookie-keeping client that fills forms like a browser does (Origin, csrf)."""

    def __init__(self, server):
        self.server = server
        self.s = requests.Session()
        self.s.verify = CA

    def get(self, path, **kw):
        kw.setdefault("allow_redirects", False)
        return self.s.get(self.server.url + path, verify=CA, timeout=30, **kw)

    def post(self, path, data=None, origin=True, **kw):
        kw.setdefault("allow_redirects", False)
        headers = kw.pop("headers", {})
        if origin:
            headers["Origin"] = self.server.url
        return self.s.post(self.server.url + path, data=data, headers=headers, verify=CA,
                           timeout=60, **kw)

    def csrf(self, path="/login"):
        m = re.search(r'name="csrf" value="([^"]+)"', self.get(path).text)
        assert m, "the page has a form token"
        return m.group(1)

    def login(self, email, password=PASSWORD):
        return self.post("/login", {"email": email, "password": password,
                                    "csrf": self.csrf("/login")})


def logged_in(server, email):
    b = Browser(server)
    r = b.login(email)
    assert r.status_code == 303, (r.status_code, r.text[:500])
    return b


def test_session_cookie_flags_and_page_headers(portal):
    slug = new_tenant()
    email = new_person("client", slug)
    b = Browser(portal)
    r = b.login(email)
    assert r.status_code == 303 and r.headers["Location"] == "/"
    cookie = [c for c in r.raw.headers.getlist("Set-Cookie") if c.startswith("slattest_session=")]
    assert len(cookie) == 1
    parts = [p.strip() for p in cookie[0].split(";")]
    assert re.fullmatch(r"slattest_session=[A-Za-z0-9_-]{43}", parts[0])
    assert set(parts[1:]) == {"HttpOnly", "Secure", "SameSite=Strict", "Path=/"}
    # Only the hash of the id is stored.
    sid = parts[0].split("=", 1)[1]
    assert sql(f"SELECT COUNT(*) FROM sessions WHERE id_hash = UNHEX(SHA2('{sid}', 256))") == [["1"]]
    assert sql(f"SELECT COUNT(*) FROM sessions WHERE id_hash = '{sid}'") == [["0"]]
    page = b.get("/")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "<script" not in page.text and " style=" not in page.text
    css = b.get("/static/portal.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")


def test_csrf_and_origin_are_checked(portal):
    slug = new_tenant()
    email = new_person("manager", slug)
    anon = Browser(portal)
    token = anon.csrf("/login")
    form = {"email": email, "password": PASSWORD}
    # Without the token, with a wrong one, or from another site: refused, no session.
    for data, origin in ((form, True), (dict(form, csrf="x" * 43), True),
                         (dict(form, csrf=token), False)):
        r = anon.post("/login", data, origin=origin)
        assert r.status_code == 403, r.status_code
        assert "slattest_session" not in r.headers.get("Set-Cookie", "")
    r = anon.post("/login", dict(form, csrf=token), headers={"Origin": "https://evil.example"},
                  origin=False)
    assert r.status_code == 403
    # A Referer of this site stands in for a missing Origin.
    r = anon.post("/login", dict(form, csrf=token), origin=False,
                  headers={"Referer": portal.url + "/login"})
    assert r.status_code == 303
    # Signed in: logout needs the session's own token, not the anonymous one.
    assert anon.post("/logout", {"csrf": token}).status_code == 403
    assert anon.get("/").status_code == 200, "a refused logout left the session alone"
    session_token = anon.csrf("/")
    assert session_token != token
    r = anon.post("/logout", {"csrf": session_token})
    assert r.status_code == 303 and r.headers["Location"] == "/login"
    assert anon.get("/").status_code == 303
    # The API never takes the cookie for a change.
    b = logged_in(portal, email)
    assert b.get(f"/v1/tenants/{slug}/reports").status_code == 200
    r = b.post(f"/v1/tenants/{slug}/reports", json={"period": "2026-10",
                                                     "template": "client-monthly"})
    assert r.status_code == 401


def test_foreign_tenant_page_is_404_like_a_missing_one(portal, admin):
    a, b_slug = new_tenant(), new_tenant()
    people = [new_person("manager", a), new_person("client", a), new_person("auditor", a)]
    missing = "no-such-" + uuid.uuid4().hex[:6]
    for email in people:
        b = logged_in(portal, email)
        for path in ("/tenants/{}", "/tenants/{}/reports"):
            foreign, absent = b.get(path.format(b_slug)), b.get(path.format(missing))
            assert foreign.status_code == absent.status_code == 404
            assert foreign.text == absent.text, "nothing tells a foreign tenant from none"
            assert b_slug not in foreign.text
        # The same gate as the API's, through the same cookie.
        api_foreign = b.get(f"/v1/tenants/{b_slug}/reports")
        api_absent = b.get(f"/v1/tenants/{missing}/reports")
        assert api_foreign.status_code == api_absent.status_code == 404
        assert api_foreign.json() == api_absent.json()
        assert b.get("/tenants/" + a + "/reports").status_code == 200
    # A role that may not use a tenant page sees 404 there too (auditor: no overview).
    auditor = logged_in(portal, people[2])
    assert auditor.get(f"/tenants/{a}").status_code == 404


def test_login_throttling_delays_then_locks(portal):
    slug = new_tenant()
    email = new_person("client", slug)
    b = Browser(portal)
    bad = {"email": email, "password": "wrong password 123"}
    for _ in range(3):
        r = b.post("/login", dict(bad, csrf=b.csrf()))
        assert r.status_code == 401
    # Three failures: the next attempt must wait a second, even with the right password.
    r = b.post("/login", {"email": email, "password": PASSWORD, "csrf": b.csrf()})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    time.sleep(1.2)
    assert b.post("/login", dict(bad, csrf=b.csrf())).status_code == 401
    time.sleep(2.2)
    assert b.post("/login", dict(bad, csrf=b.csrf())).status_code == 401
    # Five failures within the window: locked, whatever the password.
    r = b.post("/login", {"email": email, "password": PASSWORD, "csrf": b.csrf()})
    assert r.status_code == 429
    assert "locked" in r.text
    actions = sql("SELECT action FROM audit_log WHERE detail LIKE '%" + email + "%' ORDER BY id")
    actions = [a[0] for a in actions]
    assert actions.count("person.login_failed") == 5
    assert actions.count("person.locked") == 1
    # Another account from elsewhere is not affected by this one's lock.
    other = new_person("client", slug)
    assert logged_in(portal, other).get("/").status_code == 200


def test_login_throttling_per_address():
    """Failures with many emails from one address throttle that address."""
    s = Server({"SLATTEST_PORTAL_ADDRESS_LOCK_AFTER": "10", "SLATTEST_PORTAL_LOGIN_LOCK_S": "60"})
    try:
        sql("DELETE FROM login_failures")
        slug = new_tenant()
        email = new_person("client", slug)
        b = Browser(s)
        # Delays start at a fifth of the lock: two failures, each with another email.
        for i in range(2):
            r = b.post("/login", {"email": f"guess{i}-{uuid.uuid4().hex[:4]}@example.com",
                                  "password": "guessing 12345", "csrf": b.csrf()})
            assert r.status_code == 401
        r = b.post("/login", {"email": email, "password": PASSWORD, "csrf": b.csrf()})
        assert r.status_code == 429, "the right password waits too, from this address"
        time.sleep(1.2)
        assert b.post("/login", {"email": email, "password": PASSWORD,
                                 "csrf": b.csrf()}).status_code == 303
    finally:
        sql("DELETE FROM login_failures")
        assert s.stop() == 0


def test_unknown_email_and_wrong_password_read_the_same(portal):
    slug = new_tenant()
    email = new_person("client", slug)
    b = Browser(portal)
    r1 = b.post("/login", {"email": email, "password": "not the password!", "csrf": b.csrf()})
    r2 = b.post("/login", {"email": "nobody-" + uuid.uuid4().hex[:6] + "@example.com",
                           "password": "not the password!", "csrf": b.csrf()})
    m1 = re.search(r'id="login-message">([^<]*)<', r1.text).group(1)
    m2 = re.search(r'id="login-message">([^<]*)<', r2.text).group(1)
    assert r1.status_code == r2.status_code == 401
    assert m1 == m2 == "The email or the password is wrong."
    ok = sql("SELECT COUNT(*) FROM audit_log WHERE action = 'person.login' AND object = "
             "CONCAT('person:', (SELECT id FROM people WHERE email = '" + email + "'))")
    assert ok == [["0"]]


def test_disabled_person_loses_their_sessions(portal):
    slug = new_tenant()
    email = new_person("manager", slug)
    b1, b2 = logged_in(portal, email), logged_in(portal, email)
    assert b1.get(f"/tenants/{slug}").status_code == 200
    cli("user", "disable", email)
    for b in (b1, b2):
        r = b.get(f"/tenants/{slug}")
        assert r.status_code == 303 and r.headers["Location"].startswith("/login")
        assert b.get(f"/v1/tenants/{slug}/reports").status_code == 401
    assert Browser(portal).login(email).status_code == 401
    assert sql("SELECT COUNT(*) FROM sessions s JOIN people p ON p.id = s.person_id "
               f"WHERE p.email = '{email}'") == [["0"]]


def test_sign_out_everywhere(portal):
    slug = new_tenant()
    email = new_person("client", slug)
    b1, b2 = logged_in(portal, email), logged_in(portal, email)
    r = b1.post("/logout", {"csrf": b1.csrf("/"), "everywhere": "1"})
    assert r.status_code == 303
    assert b2.get("/").status_code == 303, "the other session ended too"
    assert "person.logout_everywhere" in [a[0] for a in sql(
        "SELECT action FROM audit_log ORDER BY id DESC LIMIT 5")]


def test_hostile_tenant_name_renders_as_text(portal):
    hostile = "<script>alert(1)</script>"
    slug = new_tenant(hostile)
    email = new_person("manager", slug)
    b = logged_in(portal, email)
    for path in ("/", f"/tenants/{slug}", f"/tenants/{slug}/reports"):
        page = b.get(path).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert hostile not in page


def test_one_time_password_link(portal):
    slug = new_tenant()
    email = f"invited-{uuid.uuid4().hex[:6]}@example.com"
    out = cli("user", "add", email, "--role", "auditor", "--tenant", slug)
    link = out.stdout.strip()
    token = re.fullmatch(r"https://[^/]+/set-password\?token=([A-Za-z0-9_-]{43})", link).group(1)
    assert Browser(portal).login(email).status_code == 401, "no password yet"
    b = Browser(portal)
    page = b.get("/set-password?token=" + token)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = b.post("/set-password", {"csrf": csrf, "token": token, "password": "short",
                                 "again": "short"})
    assert r.status_code == 400 and "at least 12 characters" in r.text
    r = b.post("/set-password", {"csrf": csrf, "token": token, "password": "Password1234",
                                 "again": "Password1234"})
    assert r.status_code == 400 and "most common" in r.text
    r = b.post("/set-password", {"csrf": csrf, "token": token, "password": PASSWORD,
                                 "again": PASSWORD})
    assert r.status_code == 303 and r.headers["Location"] == "/login?set=1"
    # Used once: the same link no longer works.
    r = b.post("/set-password", {"csrf": csrf, "token": token, "password": PASSWORD + "x",
                                 "again": PASSWORD + "x"})
    assert r.status_code == 404
    assert logged_in(portal, email).get(f"/tenants/{slug}/reports").status_code == 200
    # Links expire after 24 hours.
    out = cli("user", "add", "late-" + email, "--role", "auditor", "--tenant", slug)
    late = out.stdout.strip().rsplit("=", 1)[1]
    sql("UPDATE password_links SET expires_at = CURRENT_TIMESTAMP(6) - INTERVAL 1 SECOND "
        f"WHERE token_hash = UNHEX(SHA2('{late}', 256))")
    r = b.post("/set-password", {"csrf": csrf, "token": late, "password": PASSWORD,
                                 "again": PASSWORD})
    assert r.status_code == 404


def test_user_cli_rules():
    slug = new_tenant()
    bad = cli("user", "add", "x@example.com", "--role", "client", "--password-stdin",
              input=PASSWORD + "\n", check=False)
    assert bad.returncode == 1 and "exactly one tenant" in bad.stderr
    email = new_person("client", slug)
    dup = cli("user", "add", email.upper(), "--role", "client", "--tenant", slug, "--password-stdin",
              input=PASSWORD + "\n", check=False)
    assert dup.returncode == 1 and "exists" in dup.stderr
    listed = [json.loads(line) for line in cli("user", "list").stdout.splitlines()]
    me = [p for p in listed if p["email"] == email][0]
    assert me["role"] == "client" and me["tenants"] == [slug] and me["password_set"]
    stored = sql(f"SELECT password_hash FROM people WHERE email = '{email}'")[0][0]
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and PASSWORD not in stored


def test_catalogues_cover_every_page_string():
    en = json.load(open(os.path.join(ROOT, "templates/i18n/en.json")))
    zh = json.load(open(os.path.join(ROOT, "templates/i18n/zh.json")))
    assert set(en) == set(zh)
    used = set()
    for f in glob.glob(os.path.join(ROOT, "templates/pages/*.html")):
        text = open(f).read()
        used |= set(re.findall(r"\{\{t ([A-Za-z0-9_.@-]+)", text))
        # Text a person reads between tags comes from the catalogue, not the
        # template: what is left outside tags and {{...}} is punctuation, the
        # openssl command line, and each language's own name on its switch.
        text = re.sub(r"<pre>.*?</pre>", "", text, flags=re.S)
        text = re.sub(r"\{\{.*?\}\}|<[^>]*>", "\n", text)
        words = [w for w in re.split(r"\s+", text)
                 if w and not re.fullmatch(r"[›·✓✗|:()v&;-]+", w)]
        assert words in ([], ["English", "中文"]), (f, words)
    assert used <= set(en), used - set(en)
