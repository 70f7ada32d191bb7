"""The portal's pages join the route-by-role matrix (issue 18), generated
from the page table itself (`slattest routes --pages`), so a page is covered
the day it is added.

Each page is asked by a signed-in person of every role (admin, manager,
ingest, client, auditor) on the person's own tenant, on a foreign tenant and
on one that does not exist, and by a caller with no session.  A state-
changing form (POST) carries the session's form token and this site's
Origin, as a browser would, so what is tested is the gate, not the CSRF
check (test_portal.py tests that).  Expected, as docs/portal.md says:

- a page without sign-in (login, verify, set-password, the style sheet,
  unsubscribe): anyone gets an answer that is not a refusal of the gate;
- no session on a page that needs one: 303 to /login;
- a tenant page of a foreign tenant and of a nonexistent one: the same 404,
  byte for byte (nothing tells a tenant that exists from one that does not);
- a role the page does not list, on its own tenant: refused (404 like the
  API's tenant routes, or 403 for a global page), never the page;
- a role it lists, on its own tenant: past the gate (not 401, 403, nor the
  gate's 404: a 404 then is about a thing, such as a report id that does
  not exist, and reads unlike the tenant's 404)."""
import json
import re
import uuid

import pytest

from conftest import cli, sql
from test_portal import Browser, new_person, new_tenant

ROLES = ("admin", "manager", "ingest", "client", "auditor")
ROLE_TENANTS = {"admin": 0, "manager": 1, "ingest": 1, "client": 1, "auditor": 1}
PLACEHOLDERS = {"{id}": "999999999"}
MISSING = "no-such-" + uuid.uuid4().hex[:6]


def _pages():
    return [json.loads(line) for line in cli("routes", "--pages").stdout.splitlines() if line]


PAGES = _pages()


def page_id(p):
    return f"{p['method']} {p['pattern']}"


@pytest.fixture(scope="module")
def people(server):
    """One signed-in browser per role, all on tenant `own`; and `foreign`."""
    own, foreign = new_tenant(), new_tenant()
    out = {}
    for role in ROLES:
        email = new_person(role, *([own] if ROLE_TENANTS[role] else []))
        b = Browser(server)
        r = b.login(email)
        assert r.status_code == 303, (role, r.status_code, r.text[:300])
        out[role] = b
    yield own, foreign, out
    # Forms posted without credentials may count as failed logins of this address.
    sql("DELETE FROM login_failures")


def path_for(pattern, slug):
    path = pattern.replace("{t}", slug)
    for k, v in PLACEHOLDERS.items():
        path = path.replace(k, v)
    return path


def form_token(b):
    """The session's form token, from the sign-out form every signed-in page carries."""
    m = re.search(r'name="csrf" value="([^"]+)"', b.get("/").text)
    assert m, "a signed-in page carries the session's form token"
    return m.group(1)


def call(b, page, slug):
    path = path_for(page["pattern"], slug)
    if page["method"] == "GET":
        return b.get(path)
    return b.post(path, {"csrf": form_token(b)} if b.s.cookies else {})


def test_the_page_table_is_listed():
    patterns = {page_id(p) for p in PAGES}
    assert {"GET /login", "POST /login", "GET /tenants/{t}", "GET /verify"} <= patterns
    assert all(p["method"] in ("GET", "POST") for p in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_without_a_session(server, page):
    b = Browser(server)
    r = call(b, page, MISSING)
    assert r.status_code < 500, (r.status_code, r.text[:300])
    if not page["authenticated"]:
        # A form without its cookie's token is refused (403): only a page read is
        # checked (a link page without its token, /unsubscribe, may say 404: no such link).
        if page["method"] == "GET":
            assert r.status_code not in (401, 403), (r.status_code, r.text[:300])
        return
    if page["method"] == "POST" and r.status_code == 403:
        return  # refused as a form without a token, before the sign-in is asked for
    assert r.status_code == 303 and r.headers["Location"].startswith("/login"), \
        (r.status_code, r.headers.get("Location"))


# Signing out is every signed-in person's; calling it here would end the
# session the other calls use (test_portal.py signs out on purpose).
SIGNED_IN = [p for p in PAGES if p["authenticated"] and page_id(p) != "POST /logout"]


@pytest.mark.parametrize("page", SIGNED_IN, ids=page_id)
@pytest.mark.parametrize("role", ROLES)
def test_every_role(people, page, role):
    own, foreign, browsers = people
    b = browsers[role]
    listed = role in page["roles"]
    if page["tenant_scoped"]:
        m = call(b, page, MISSING)
        assert m.status_code == 404, (m.status_code, m.text[:300])
        if role != "admin":  # an admin sees every tenant: none is foreign to it
            f = call(b, page, foreign)
            assert f.status_code == 404, (f.status_code, f.text[:300])
            assert f.text.replace(foreign, "T") == m.text.replace(MISSING, "T"), \
                "a foreign tenant reads exactly like a missing one"
            assert foreign not in f.text
        gate_404 = m.text.replace(MISSING, own)
        r = call(b, page, own)
        if not listed:
            assert r.status_code in (403, 404), (r.status_code, r.text[:300])
        else:
            assert r.status_code < 500 and r.status_code not in (401, 403), \
                (r.status_code, r.text[:300])
            # A placeholder id names nothing: its page's 404 is the thing's, which reads
            # like any 404 page; without one, a 404 would be the gate's.
            if "{id}" not in page["pattern"]:
                assert r.status_code != 404 or r.text != gate_404, "the gate refused a listed role"
        return
    r = call(b, page, own)
    if listed:
        # The gate refuses a global page with 403; a 404 here is the form's thing
        # (an empty form names no person or token).
        assert r.status_code < 500 and r.status_code not in (401, 403), \
            (r.status_code, r.text[:300])
    else:
        assert r.status_code in (403, 404), (r.status_code, r.text[:300])
