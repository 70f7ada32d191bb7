"""Findings of the outside probe (issue 18), one test each: the signing time
of a report, header parsing by RFC 9112, routing on the raw path, 100
Continue after the token, 304 without a body length, strict ids."""
import datetime
import json

import pytest

from conftest import Api, assert_json_error, cli, issue_token, sql, unique_slug


def _utc(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def shanghai(server, admin):
    """A tenant whose October 2026 ends at 2026-10-31T16:00:00Z (UTC+8)."""
    slug = unique_slug("hard")
    r = admin.post("/v1/tenants", json={"slug": slug, "name": "Hardening", "timezone": "Asia/Shanghai"})
    assert r.status_code == 201, r.text
    return slug, Api(server, issue_token("manager", slug))


def _report(manager, slug, **extra):
    return manager.post(f"/v1/tenants/{slug}/reports",
                        json=dict(period="2026-10", template="client-monthly", **extra))


def test_generated_at_lies_between_the_end_of_the_period_and_now(shanghai):
    slug, manager = shanghai
    now = datetime.datetime.now(datetime.timezone.utc)
    refused = [
        "2029-01-01T00:00:00Z",                         # the future: a manager picks the time
        _utc(now + datetime.timedelta(minutes=10)),     # beyond the clock-skew tolerance
        "2026-10-31T15:59:59Z",                         # one second before October ends in Shanghai
        "2026-10-31T23:59:59+08:00",                    # the same instant, written locally
        "2001-01-01T00:00:00Z",                         # long before the period
    ]
    for gen in refused:
        r = _report(manager, slug, generated_at=gen)
        assert_json_error(r, 400, "invalid")
        assert "generated_at" in r.json()["error"]["message"], (gen, r.text)
    # The first instant after the month (local midnight in Shanghai) is allowed ...
    ok = _report(manager, slug, generated_at="2026-11-01T00:00:00+08:00")
    assert ok.status_code == 202, ok.text
    # ... and so is a clock a little ahead of the server's.
    ahead = _report(manager, slug, generated_at=_utc(now + datetime.timedelta(minutes=2)))
    assert ahead.status_code == 202, ahead.text
    # The audit entry of the request records the signing time asked for.
    rows = sql(f"SELECT detail FROM audit_log WHERE action = 'report.request' "
               f"AND object = 'report:{ok.json()['id']}'")
    assert json.loads(rows[0][0])["generated_at"] == "2026-10-31T16:00:00Z"
    # A month that has not ended cannot be reported on, even without generated_at.
    r = manager.post(f"/v1/tenants/{slug}/reports",
                     json={"period": f"{now.year + 1}-01", "template": "client-monthly"})
    assert_json_error(r, 400, "invalid")
    assert "generated_at" in r.json()["error"]["message"]


def test_cli_generated_at_is_bounded_the_same_way(shanghai):
    slug, _ = shanghai
    p = cli("report", slug, "--period", "2026-10", "--template", "client-monthly",
            "--generated-at", "2029-01-01T00:00:00Z", check=False)
    assert p.returncode != 0 and "generated_at" in p.stderr, p.stderr
