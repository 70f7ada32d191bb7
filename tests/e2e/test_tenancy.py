"""Tenants, tokens and roles; tenancy enforced for every tenant-scoped route."""
import json

import pytest

from conftest import (Api, assert_json_error, cli, issue_token, sql, unique_slug)


def make_tenant(admin, tz="Asia/Shanghai"):
    slug = unique_slug()
    r = admin.post("/v1/tenants", json={"slug": slug, "name": "Tenant " + slug, "timezone": tz})
    assert r.status_code == 201, r.text
    return slug


def test_admin_creates_and_lists_tenants(admin):
    slug = unique_slug()
    r = admin.post("/v1/tenants", json={"slug": slug, "name": "ACME 保险", "timezone": "Asia/Shanghai"})
    assert r.status_code == 201, r.text
    assert r.json()["slug"] == slug and r.json()["name"] == "ACME 保险"
    slugs = [t["slug"] for t in admin.get("/v1/tenants").json()["tenants"]]
    assert slug in slugs
    assert_json_error(admin.post("/v1/tenants", json={"slug": slug, "name": "x",
                                                       "timezone": "UTC"}), 409, "conflict")


@pytest.mark.parametrize("body,field", [
    ({"slug": "Bad Slug", "name": "x", "timezone": "UTC"}, "slug"),
    ({"slug": "ok-slug-x", "name": "x", "timezone": "Mars/Olympus"}, "timezone"),
    ({"slug": "ok-slug-y", "name": "x", "timezone": "../../etc/passwd"}, "timezone"),
    ({"slug": "ok-slug-z", "name": "", "timezone": "UTC"}, "name"),
    ({"slug": "ok-slug-w", "timezone": "UTC"}, "name"),
    ({"slug": "ok-slug-v", "name": "x", "timezone": "UTC", "colour": "red"}, "colour"),
])
def test_invalid_tenants_are_refused_naming_the_field(admin, body, field):
    r = admin.post("/v1/tenants", json=body)
    assert_json_error(r, 400, "invalid")
    assert field in r.json()["error"]["message"]


def test_bad_json_and_wrong_content_type(admin):
    r = admin.post("/v1/tenants", data=b'{"slug": ', headers={"Content-Type": "application/json"})
    assert_json_error(r, 400, "bad_json")
    r = admin.post("/v1/tenants", data=b'{"slug":"a","slug":"b"}',
                   headers={"Content-Type": "application/json"})
    assert_json_error(r, 400, "bad_json")
    r = admin.post("/v1/tenants", data=b'slug=a', headers={"Content-Type": "text/plain"})
    assert_json_error(r, 415, "unsupported_media_type")


def test_tokens_are_random_shown_once_and_stored_hashed(admin):
    slug = make_tenant(admin)
    r = admin.post("/v1/tokens", json={"role": "client", "tenants": [slug], "label": "client"})
    assert r.status_code == 201, r.text
    tok, tid = r.json()["token"], r.json()["id"]
    assert tok.startswith("slt_") and len(tok) == 47  # 256 random bits, base64url
    rows = sql(f"SELECT LOWER(HEX(token_hash)), role FROM tokens WHERE id = {int(tid)}")
    import hashlib
    assert rows == [[hashlib.sha256(tok.encode()).hexdigest(), "client"]]
    dump = sql("SELECT CONCAT_WS('|', id, HEX(token_hash), role, label) FROM tokens")
    assert not any(tok in "|".join(r) or tok[4:] in "|".join(r) for r in dump)
    client = Api(admin.server, tok)
    assert client.get(f"/v1/tenants/{slug}").status_code == 200
    assert admin.delete(f"/v1/tokens/{tid}").status_code == 200
    assert_json_error(client.get(f"/v1/tenants/{slug}"), 401, "unauthorized")
    assert_json_error(admin.delete(f"/v1/tokens/{tid}"), 404)


@pytest.mark.parametrize("body", [
    {"role": "wizard", "tenants": []},
    {"role": "client", "tenants": []},
    {"role": "ingest", "tenants": ["a", "b"]},
    {"role": "manager"},
    {"role": "admin", "tenants": ["x"]},
    {"role": "manager", "tenants": ["no-such-tenant-here"]},
    {"role": "manager", "tenants": "acme"},
])
def test_invalid_token_requests(admin, body):
    assert_json_error(admin.post("/v1/tokens", json=body), 400, "invalid")


def test_roles_on_global_routes(admin):
    slug = make_tenant(admin)
    manager = Api(admin.server, issue_token("manager", slug))
    r = manager.post("/v1/tenants", json={"slug": unique_slug(), "name": "x", "timezone": "UTC"})
    assert_json_error(r, 403, "forbidden")
    # A global route reveals no tenant: the answer names the roles that may.
    assert r.json()["error"]["details"] == {"roles": ["admin"]}
    assert r.json()["error"]["message"].startswith(
        "a manager token may not POST /v1/tenants; this route is for an admin token")
    assert_json_error(manager.post("/v1/tokens", json={"role": "admin"}), 403, "forbidden")
    # A manager sees exactly its granted tenants.
    assert [t["slug"] for t in manager.get("/v1/tenants").json()["tenants"]] == [slug]


def test_missing_malformed_and_unknown_tokens_get_401(server):
    for header in (None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz",
                   "Bearer slt_" + "A" * 43, "Bearer slt_" + "A" * 42 + "!"):
        headers = {"Authorization": header} if header else {}
        r = Api(server).get("/v1/tenants", headers=headers)
        assert_json_error(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def _routes():
    out = cli("routes").stdout
    return [json.loads(l) for l in out.splitlines()]


def _call(api, route, slug):
    path = route["pattern"].replace("{t}", slug)
    for p in ("{id}", "{form}"):
        path = path.replace(p, "1")
    kw = {}
    if route["method"] in ("POST", "PUT"):
        kw["json"] = {}
    return getattr(api, route["method"].lower())(path, **kw)


def test_every_tenant_scoped_route_hides_foreign_tenants(admin):
    """401 without a valid token; 404 for a tenant the token may not see, for a
    tenant that does not exist, and for a role the route does not allow."""
    mine, theirs = make_tenant(admin), make_tenant(admin)
    routes = [r for r in _routes() if r["tenant_scoped"]]
    assert routes, "routes must list the tenant-scoped routes"
    tokens = {role: issue_token(role, mine) for role in ("manager", "ingest", "client", "auditor")}
    anonymous = Api(admin.server)
    bogus = Api(admin.server, "slt_" + "B" * 43)
    for route in routes:
        label = f"{route['method']} {route['pattern']}"
        assert _call(anonymous, route, mine).status_code == 401, label
        assert _call(bogus, route, mine).status_code == 401, label
        for role, tok in tokens.items():
            api = Api(admin.server, tok)
            r = _call(api, route, theirs)
            assert_json_error(r, 404)
            r_missing = _call(api, route, "no-such-tenant")
            assert_json_error(r_missing, 404)
            assert r.json() == r_missing.json(), "a foreign tenant looks exactly like a missing one"
            r_own = _call(api, route, mine)
            if role in route["roles"]:
                # Past the gate: the handler answers (a placeholder id may well be missing,
                # but then it says so about the thing, not about the tenant).
                assert r_own.status_code not in (401, 403), (label, role, r_own.text)
                if r_own.status_code == 404:
                    assert r_own.json() != r_missing.json(), (label, role, r_own.text)
            else:
                assert_json_error(r_own, 404)
                assert r_own.json() == r_missing.json()


def test_admin_on_tenant_data_routes_gets_403_naming_the_roles(admin):
    """Admin sees every tenant, so a tenant data route it may not use says why
    (403 and the roles that may) instead of pretending the tenant is missing;
    a tenant that does not exist is still 404."""
    slug = make_tenant(admin)
    routes = [r for r in _routes() if r["tenant_scoped"]]
    data_routes = [r for r in routes if "admin" not in r["roles"]]
    assert {"/v1/tenants/{t}/cdrs", "/v1/tenants/{t}/contract", "/v1/tenants/{t}/metrics",
            "/v1/tenants/{t}/reports"} <= {r["pattern"] for r in data_routes}
    for route in data_routes:
        label = f"{route['method']} {route['pattern']}"
        r = _call(admin, route, slug)
        assert_json_error(r, 403, "forbidden")
        err = r.json()["error"]
        assert err["details"]["roles"] == route["roles"], label
        for role in route["roles"]:
            assert role in err["message"], (label, err["message"])
        assert "admin" in err["message"], label
        assert_json_error(_call(admin, route, "no-such-tenant"), 404, "not_found")
    # The routes admin may use still answer it.
    assert admin.get(f"/v1/tenants/{slug}").status_code == 200


def test_cli_tenant_and_token(admin):
    slug = unique_slug("cli")
    out = cli("tenant", "add", slug, "--name", "CLI tenant", "--tz", "America/New_York")
    assert slug in out.stdout
    bad = cli("tenant", "add", unique_slug(), "--name", "x", "--tz", "Nowhere/Land", check=False)
    assert bad.returncode != 0 and "timezone" in bad.stderr
    dup = cli("tenant", "add", slug, "--name", "x", "--tz", "UTC", check=False)
    assert dup.returncode != 0 and "exists" in dup.stderr
    tok = issue_token("auditor", slug)
    assert [t["slug"] for t in Api(admin.server, tok).get("/v1/tenants").json()["tenants"]] == [slug]
    bad = cli("token", "issue", "--role", "client", check=False)
    assert bad.returncode != 0 and "exactly one tenant" in bad.stderr
