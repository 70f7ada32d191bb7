"""GET /v1/openapi.json: an OpenAPI 3.1 document of every route of `slattest routes`,
served without a token, and valid for a real OpenAPI validator (Redocly CLI from npm,
installed by this test into build/npm, never globally)."""
import copy
import json
import os
import shutil
import subprocess

import pytest
import requests

from conftest import CA, ROOT, Api, cli, issue_token, unique_slug

REDOCLY_VERSION = "1.34.20"  # the last 1.x: runs on Debian 12's node 18
NPM_DIR = os.path.join(ROOT, "build", "npm")
REDOCLY = os.path.join(NPM_DIR, "node_modules", ".bin", "redocly")
QUIET = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
         "NO_UPDATE_NOTIFIER": "1"}


@pytest.fixture(scope="module")
def redocly():
    """The redocly binary, installed into build/npm on first use."""
    if not os.path.exists(REDOCLY):
        npm = shutil.which("npm")
        if not npm:
            why = "npm is not installed (scripts/deps.sh installs it)"
            print(f"test_openapi: SKIP: {why}")
            pytest.skip(why)
        os.makedirs(NPM_DIR, exist_ok=True)
        p = subprocess.run([npm, "install", "--prefix", NPM_DIR, "--no-audit", "--no-fund",
                            "--loglevel=error", f"@redocly/cli@{REDOCLY_VERSION}"],
                           capture_output=True, text=True, timeout=600,
                           env={**os.environ, **QUIET})
        if p.returncode != 0 or not os.path.exists(REDOCLY):
            why = f"npm could not install @redocly/cli: {p.stderr.strip()[-800:]}"
            print(f"test_openapi: SKIP: {why}")
            pytest.skip(why)
    return REDOCLY


def lint(redocly, doc, tmp_path, name):
    """Runs `redocly lint` on doc; returns the CompletedProcess."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc))
    # The recommended rules, minus one that cannot hold here: /healthz, /readyz and this
    # document answer no 4xx by design.
    cfg = tmp_path / "redocly.yaml"
    cfg.write_text("extends:\n  - recommended\nrules:\n  operation-4xx-response: off\n")
    return subprocess.run([redocly, "lint", "--config", str(cfg), "--format", "stylish",
                           str(path)], capture_output=True, text=True, timeout=300,
                          cwd=str(tmp_path), env={**os.environ, **QUIET})


@pytest.fixture(scope="module")
def document(server):
    r = requests.get(server.url + "/v1/openapi.json", verify=CA, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def routes():
    return [json.loads(line) for line in cli("routes").stdout.splitlines() if line.strip()]


def test_served_without_a_token(server, document):
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer",
        "description": "A token issued by POST /v1/tokens or `slattest token issue`."}
    # A bad token changes nothing either: the route does not authenticate.
    r = requests.get(server.url + "/v1/openapi.json", verify=CA, timeout=30,
                     headers={"Authorization": "Bearer slt_nonsense"})
    assert r.status_code == 200
    assert r.json() == document


def test_every_route_of_slattest_routes_is_documented(document):
    table = routes()
    assert {"method": "GET", "pattern": "/v1/openapi.json", "roles": [],
            "tenant_scoped": False, "authenticated": False} in table
    n = 0
    for route in table:
        op = document["paths"].get(route["pattern"], {}).get(route["method"].lower())
        assert op, f"{route['method']} {route['pattern']} is missing from /v1/openapi.json"
        n += 1
        assert op["x-roles"] == route["roles"], route
        assert bool(op["security"]) == route["authenticated"], route
        assert op["summary"] and op["description"], route
        # Roles are written out for people too.
        if route["roles"]:
            assert "Roles: " + ", ".join(route["roles"]) + "." in op["description"]
        # The path template's parameters are declared.
        names = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert names == {seg[1:-1] for seg in route["pattern"].split("/")
                         if seg.startswith("{")}, route
        # Tenant routes say 404 for what a token may not see; 403 only for an admin token on
        # a tenant route of other roles (admin sees every tenant: saying so reveals nothing).
        if route["tenant_scoped"]:
            assert "404" in op["responses"], route
            assert ("403" in op["responses"]) == ("admin" not in route["roles"]), route
    # ... and nothing that is not a route.
    assert sum(len(item) for item in document["paths"].values()) == n


def test_a_real_validator_accepts_it(redocly, document, tmp_path):
    p = lint(redocly, document, tmp_path, "openapi")
    print(p.stdout[-3000:], p.stderr[-3000:])
    assert p.returncode == 0, p.stdout + p.stderr
    assert "warning" not in (p.stdout + p.stderr).lower(), p.stdout + p.stderr


def test_the_validator_can_fail(redocly, document, tmp_path):
    """The same validator refuses a document with a fault, so the test above can fail."""
    broken = copy.deepcopy(document)
    op = broken["paths"]["/v1/tenants/{t}/contract"]["put"]
    del op["responses"]
    op["parameters"] = [p for p in op["parameters"] if p["name"] != "t"]
    p = lint(redocly, broken, tmp_path, "broken")
    assert p.returncode != 0, p.stdout + p.stderr


def concrete(pattern, slug):
    """A path of the pattern: the tenant, report 1, scorecard "calls"."""
    return pattern.replace("{t}", slug).replace("{id}", "1").replace("{form}", "calls")


@pytest.fixture(scope="module")
def tenant(admin):
    slug = unique_slug("oapi")
    r = admin.post("/v1/tenants", json={"slug": slug, "name": "OpenAPI", "timezone": "UTC"})
    assert r.status_code == 201, r.text
    return slug


def call(api, method, path):
    """The route called with a body of the right type (the gate answers before reading it)."""
    if method not in ("POST", "PUT"):
        return getattr(api, method.lower())(path)
    ctype = "text/csv" if method == "POST" and "/reports" not in path else "application/json"
    return getattr(api, method.lower())(path, data=b"{}" if ctype == "application/json" else b"x",
                                        headers={"Content-Type": ctype})


def test_the_403_of_the_document_is_what_an_admin_token_gets(document, admin, server, tenant):
    """Every tenant route that lists 403 answers an admin token 403 naming its x-roles; the
    ones that do not list it let admin through; a client token still gets 404."""
    listed = 0
    for pattern, item in document["paths"].items():
        if not pattern.startswith("/v1/tenants/{t}"):
            continue
        for method, op in item.items():
            r = call(admin, method.upper(), concrete(pattern, tenant))
            if "403" in op["responses"]:
                listed += 1
                assert r.status_code == 403, (method, pattern, r.text)
                err = r.json()["error"]
                assert err["code"] == "forbidden" and err["details"] == {"roles": op["x-roles"]}
                assert "may not " + method.upper() + " " + pattern in err["message"], err
            else:
                assert r.status_code != 403, (method, pattern, r.text)
    assert listed >= 15, listed
    client = Api(server, issue_token("client", tenant))
    r = client.get(f"/v1/tenants/{tenant}/metrics?from=2026-10")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
    assert "details" not in r.json()["error"]


def test_dry_run_is_declared_where_the_server_reads_it(document, server, tenant):
    """Each operation declaring ?dry_run= refuses a value outside the declared enum, naming
    the enum; the seven routes of docs/errors.md#dry-runs declare it."""
    manager = Api(server, issue_token("manager", tenant))
    declared = []
    for pattern, item in document["paths"].items():
        for method, op in item.items():
            params = [p for p in op.get("parameters", []) if p["name"] == "dry_run"]
            if not params:
                continue
            declared.append(f"{method.upper()} {pattern}")
            assert params[0]["in"] == "query"
            r = call(manager, method.upper(), concrete(pattern, tenant) + "?dry_run=maybe")
            assert r.status_code == 400, (method, pattern, r.text)
            assert r.json()["error"]["details"] == {"field": "dry_run",
                                                    "valid": params[0]["schema"]["enum"]}
    assert sorted(declared) == sorted([
        "POST /v1/tenants/{t}/cdrs", "POST /v1/tenants/{t}/qa/evaluations",
        "POST /v1/tenants/{t}/qa/calibrations", "POST /v1/tenants/{t}/qa/appeals",
        "PUT /v1/tenants/{t}/contract", "PUT /v1/tenants/{t}/qa/forms/{form}",
        "PUT /v1/tenants/{t}/qa/inspectors"])


def test_error_details_are_an_object(document):
    schemas = document["components"]["schemas"]
    details = schemas["Error"]["properties"]["error"]["properties"]["details"]
    assert details == {"$ref": "#/components/schemas/ErrorDetails"}
    assert schemas["ErrorDetails"]["type"] == "object"
    assert set(schemas["ErrorDetails"]["properties"]) == {"field", "valid", "errors", "count",
                                                          "truncated", "roles"}
    assert set(schemas["Fault"]["properties"]) == {"path", "message", "valid"}
