"""The route-by-role matrix, generated from the route table itself.

`slattest routes` prints every route of server/api/router.c (method,
pattern, roles, tenant_scoped, authenticated), so a route is covered the day
it is added.  Each route is called by every role (admin, manager, ingest,
client, auditor) on the caller's own tenant, on a foreign tenant and on a
tenant that does not exist, and with no token and a bad token.  The status
expected is the README's "Status rules" (and router.h's order of checks):

- unknown path 404, other method 405 (not exercised here: every call uses a
  route's own method);
- a route without authentication (health, readiness, loopback metrics):
  200 for anyone;
- no token or a bad token: 401 with WWW-Authenticate;
- a global route the role may not use: 403 (it reveals no tenant);
- a tenant-scoped route: a tenant the token may not see, or one that does
  not exist, 404; a role the route does not list, on a tenant it may see,
  the same 404 (refused_role_on_tenant_route: the one expectation another
  change of the rules would switch);
- otherwise the handler answers: anything but 401 and 403, and a 404 then
  is about the thing (a placeholder id) with a body unlike the tenant's.

And a foreign tenant and a nonexistent one give byte-identical answers:
the same status, headers (apart from Date, X-Request-Id and Connection) and
body.
"""
import json

import pytest

from conftest import Api, cli, issue_token, unique_slug

ROLES = ("admin", "manager", "ingest", "client", "auditor")
WHERE = ("own", "foreign", "missing")
MISSING_SLUG = "no-such-tenant-matrix"
PLACEHOLDERS = {"{id}": "999999999", "{form}": "matrix-form"}
BAD_TOKEN = "slt_" + "M" * 43

# When the admin-on-tenant-routes rule changes (an admin token on a tenant
# data route its role may not use gets 403 naming the roles that may, other
# roles keep 404), set this to True: refused_role_on_tenant_route() is the
# only expectation it touches.
ADMIN_GETS_403_ON_TENANT_ROUTES = True


def _routes():
    return [json.loads(line) for line in cli("routes").stdout.splitlines() if line.strip()]


ROUTES = _routes()


def route_id(r):
    return f"{r['method']} {r['pattern']}"


class Expect:
    """What one call should get: a status (or 'past the gate') and a description."""

    def __init__(self, status, why, code=None, same_as_missing=False, gate_passed=False):
        self.status, self.why, self.code = status, why, code
        self.same_as_missing, self.gate_passed = same_as_missing, gate_passed


def refused_role_on_tenant_route(role, route, where):
    """A role the route does not list, on a tenant it may see (or, for an admin, any
    tenant that exists).  With ADMIN_GETS_403_ON_TENANT_ROUTES (the rule of the
    README): an admin gets 403 naming the roles that may use the route, since it
    sees every tenant and learns nothing; a tenant that does not exist is 404
    for everyone.  Other roles: 404, exactly like a tenant that does not exist."""
    if role == "admin" and ADMIN_GETS_403_ON_TENANT_ROUTES:
        return Expect(403, "admin on a tenant route it may not use: 403 naming the roles",
                      code="forbidden")
    return Expect(404, "role not listed: 404 like a missing tenant", code="not_found",
                  same_as_missing=True)


def expected(route, role, where):
    """The README's status rules for one call.  role None: no token; 'bad': a bad token."""
    if not route["authenticated"]:
        return Expect(200, "no authentication on this route")
    if role in (None, "bad"):
        return Expect(401, "no valid token", code="unauthorized")
    allowed = role in route["roles"]
    if not route["tenant_scoped"]:
        if allowed:
            return Expect(None, "allowed: the handler answers", gate_passed=True)
        return Expect(403, "global route the role may not use", code="forbidden")
    if role == "admin" and not allowed and where != "missing":
        return refused_role_on_tenant_route(role, route, where)
    visible = where == "own" or (role == "admin" and where == "foreign")  # admin sees all
    if not visible:
        return Expect(404, "tenant not visible: 404", code="not_found", same_as_missing=True)
    if allowed:
        return Expect(None, "allowed: the handler answers", gate_passed=True)
    return refused_role_on_tenant_route(role, route, where)


@pytest.fixture(scope="module")
def world(server, admin):
    mine, theirs = unique_slug("mx"), unique_slug("mx")
    for slug in (mine, theirs):
        r = admin.post("/v1/tenants", json={"slug": slug, "name": "Matrix", "timezone": "UTC"})
        assert r.status_code == 201, r.text
    apis = {"admin": Api(server, issue_token("admin"))}
    for role in ROLES[1:]:
        apis[role] = Api(server, issue_token(role, mine))
    apis[None] = Api(server)
    apis["bad"] = Api(server, BAD_TOKEN)
    return {"own": mine, "foreign": theirs, "missing": MISSING_SLUG}, apis


def call(api, route, slug):
    path = route["pattern"].replace("{t}", slug)
    for k, v in PLACEHOLDERS.items():
        path = path.replace(k, v)
    kw = {}
    if route["method"] in ("POST", "PUT"):
        kw["json"] = {}  # an empty object: never a valid body, so nothing is created
    return getattr(api, route["method"].lower())(path, **kw)


def comparable(r):
    """Status, headers and body bytes, without Date, X-Request-Id and Connection: an
    upload refused at the gate closes the connection when its body was still
    arriving, which depends on timing, not on the tenant."""
    headers = {k.lower(): v for k, v in r.headers.items()
               if k.lower() not in ("date", "x-request-id", "connection")}
    return r.status_code, headers, r.content


def check(route, role, where, r, missing_r):
    """Mismatches of one answer against the rules (a list of strings)."""
    e = expected(route, role, where)
    label = f"{role or 'no token'} on {where}: {r.status_code} {r.text[:160]!r} ({e.why})"
    out = []
    if e.gate_passed:
        if r.status_code in (401, 403):
            out.append(label)
        elif r.status_code == 404 and missing_r is not None and r.content == missing_r.content:
            out.append(label + " [the handler's 404 looks like the tenant's]")
        return out
    if r.status_code != e.status:
        return [label]
    if e.code:
        try:
            code = r.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        if code != e.code:
            out.append(label + f" [code {code}, want {e.code}]")
    if e.status == 401 and not r.headers.get("WWW-Authenticate", "").startswith("Bearer"):
        out.append(label + " [no WWW-Authenticate: Bearer]")
    if e.status == 403 and role == "admin" and route["tenant_scoped"]:
        msg = r.json()["error"]["message"]
        if not all(x in msg for x in route["roles"]):
            out.append(label + " [403 does not name the roles that may]")
    if e.same_as_missing and missing_r is not None and comparable(r) != comparable(missing_r):
        out.append(label + " [differs from a tenant that does not exist]")
    return out


def test_the_route_table_is_listed():
    assert ROUTES, "slattest routes printed nothing"
    for r in ROUTES:
        assert set(r) >= {"method", "pattern", "roles", "tenant_scoped", "authenticated"}, r
        assert set(r["roles"]) <= set(ROLES), r
        assert r["authenticated"] == bool(r["roles"]), r
    assert len({route_id(r) for r in ROUTES}) == len(ROUTES), "a route is listed twice"


@pytest.mark.parametrize("route", ROUTES, ids=[route_id(r) for r in ROUTES])
def test_route_by_role(world, route):
    slugs, apis = world
    problems = []
    callers = list(ROLES) + [None, "bad"]
    for role in callers:
        api = apis[role]
        wheres = WHERE if route["tenant_scoped"] else ("own",)
        answers = {w: call(api, route, slugs[w]) for w in wheres}
        missing_r = answers.get("missing")
        for where, r in answers.items():
            if not r.headers.get("X-Request-Id"):
                problems.append(f"{role} on {where}: no X-Request-Id")
            problems += check(route, role, where, r, missing_r)
        if route["tenant_scoped"] and role != "admin":
            # A foreign tenant and a nonexistent one are indistinguishable.
            if comparable(answers["foreign"]) != comparable(answers["missing"]):
                problems.append(f"{role}: foreign {answers['foreign'].status_code} "
                                f"{answers['foreign'].text[:120]!r} differs from missing "
                                f"{answers['missing'].status_code} {answers['missing'].text[:120]!r}")
    assert not problems, f"{route_id(route)}:\n  " + "\n  ".join(problems)
