"""Rollups follow the contract's thresholds month by month: a contract PUT
that changes them rebuilds the tenant's rollups in its transaction, a new
batch lands in the thresholds of its slot's month, `slattest check rollups`
agrees, and the counts served (read from rollups) are the hand-worked ones."""
import datetime

import pytest

from conftest import Api, cli, issue_token, sql, unique_slug

H = "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,talk_s,hold_s,acw_s"


def row(cid, when, wait, outcome):
    """A contact offered at `when` (UTC, 'MM-DDTHH:MM:SS' of 2026) that waited `wait` s."""
    t = datetime.datetime.strptime("2026-" + when, "%Y-%m-%dT%H:%M:%S")

    def fmt(dt):
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    w = datetime.timedelta(seconds=wait)
    if outcome == "answered":
        end = t + w + datetime.timedelta(seconds=60)
        return f"{cid},q1,{fmt(t)},{fmt(t + w)},{fmt(end)},answered,ag1,50,0,10"
    return f"{cid},q1,{fmt(t)},,{fmt(t + w)},{outcome},,,,"


OCTOBER = [
    row("r1", "10-05T09:00:00", 10, "answered"),
    row("r2", "10-05T09:01:00", 25, "answered"),
    row("r3", "10-05T09:02:00", 35, "answered"),
    row("r4", "10-05T09:03:00", 3, "abandoned"),
    row("r5", "10-05T09:04:00", 8, "abandoned"),
    row("r6", "10-05T09:05:00", 28, "abandoned"),
]


def contract(effective_from, sl, short):
    return {"effective_from": effective_from, "timezone": "UTC", "sl_threshold_s": sl,
            "short_abandon_s": short, "monthly_fee": 1000, "currency": "USD", "credit_cap_pct": 10,
            "items": [{"metric": "service_level", "comparator": ">=", "target": 0.8,
                       "credit_pct": 2}]}


def month(manager, slug, m):
    """The month's total from rollups (by=queue: by=month adds QA, which reads contacts)."""
    r = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-{m}&by=queue")
    assert r.status_code == 200, r.text
    return r.json()["total"]


def ingest(manager, slug, rows):
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=(H + "\n" + "\n".join(rows) + "\n").encode(),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text


def check_rollups(slug):
    p = cli("check", "rollups", slug)
    assert p.returncode == 0 and "agree" in p.stdout, p.stdout + p.stderr


@pytest.fixture(scope="module")
def tenant(server, admin):
    slug = unique_slug("rol")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Rollups", "timezone": "UTC"})
    manager = Api(server, issue_token("manager", slug))
    ingest(manager, slug, OCTOBER)
    return slug, manager


def test_defaults_before_any_contract(tenant):
    slug, manager = tenant
    t = month(manager, slug, "10")
    # T = 20, short 5: answered within {10}; short {3}; abandoned within {8}.
    assert (t["answered_within"], t["short_abandoned"], t["abandoned_within"]) == (1, 1, 1)
    # offered = 3 answered + 2 abandoned (8, 28) = 5; SL = 1/5.
    assert t["offered"] == 5 and t["service_level"] == pytest.approx(0.2)
    check_rollups(slug)


def test_contract_change_rebuilds_rollups(tenant):
    slug, manager = tenant
    r = manager.put(f"/v1/tenants/{slug}/contract", json=contract("2026-10-01", 30, 10))
    assert r.status_code == 201, r.text
    t = month(manager, slug, "10")
    # T = 30, short 10: answered within {10, 25}; short {3, 8}; abandoned within {28}.
    assert (t["answered_within"], t["short_abandoned"], t["abandoned_within"]) == (2, 2, 1)
    # offered = 3 answered + 1 abandoned (28) = 4; SL = 2/4; ASA = (10+25+35)/3.
    assert t["offered"] == 4 and t["service_level"] == pytest.approx(0.5)
    assert t["asa_s"] == pytest.approx(70 / 3)
    stored = sql(f"SELECT DISTINCT r.sl_threshold_s, r.short_abandon_s FROM contact_rollups r "
                 f"JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = '{slug}'")
    assert stored == [["30", "10"]]
    audit = sql(f"SELECT a.detail FROM audit_log a JOIN tenants t ON t.id = a.tenant_id "
                f"WHERE t.slug = '{slug}' AND a.action = 'contract.put' ORDER BY a.id")
    assert '"rollups_rebuilt":true' in audit[-1][0]
    check_rollups(slug)


def test_next_month_keeps_its_own_thresholds(tenant):
    slug, manager = tenant
    r = manager.put(f"/v1/tenants/{slug}/contract", json=contract("2026-11-01", 15, 5))
    assert r.status_code == 201, r.text
    ingest(manager, slug, [row("n1", "11-02T10:00:00", 18, "answered"),
                           row("n2", "11-02T10:01:00", 15, "answered"),
                           row("n3", "10-31T23:59:59", 18, "answered")])  # still October
    nov = month(manager, slug, "11")
    # November, T = 15: waits 18 and 15 -> within {15} (inclusive).
    assert (nov["answered"], nov["answered_within"]) == (2, 1)
    octo = month(manager, slug, "10")
    # October keeps T = 30: n3 (18 s) is within: {10, 25, 18}.
    assert (octo["answered"], octo["answered_within"]) == (4, 3)
    stored = sql(f"SELECT r.sl_threshold_s, COUNT(*) FROM contact_rollups r JOIN tenants t "
                 f"ON t.id = r.tenant_id WHERE t.slug = '{slug}' GROUP BY 1 ORDER BY 1")
    assert stored == [["15", "1"], ["30", "2"]]
    check_rollups(slug)


def test_a_period_across_contract_versions_is_refused(tenant):
    """October is under version 1 (T = 30), November under version 2 (T = 15): one
    computation cannot measure both by the terms in force, so it is refused."""
    slug, manager = tenant
    r = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10&to=2026-11&by=month")
    assert r.status_code == 400, r.text
    assert "contract versions 1 and 2 (from 2026-11)" in r.json()["error"]["message"]
    assert manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10-05&to=2026-10-31").ok


def test_days_sum_to_the_month_and_rollups_match_contacts(tenant):
    """The property at database level: counts by day (from rollups) add up to
    the month, and equal an independent SQL count over the contacts."""
    slug, manager = tenant
    days = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=day").json()
    total = month(manager, slug, "10")
    assert days["source"] == "rollups+contacts"
    agents = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=agent").json()
    assert agents["source"] == "contacts" and agents["total"]["answered"] == total["answered"]
    for k in ("offered", "answered", "abandoned", "short_abandoned", "answered_within"):
        assert sum(d[k] for d in days["rows"]) == total[k], k
    counted = sql(f"SELECT SUM(c.outcome = 1), SUM(c.outcome = 1 AND c.wait_s <= 30) "
                  f"FROM contacts c JOIN tenants t ON t.id = c.tenant_id WHERE t.slug = '{slug}' "
                  f"AND c.offered_us >= 1790812800000000 AND c.offered_us < 1793491200000000")
    assert counted == [[str(total["answered"]), str(total["answered_within"])]]


def test_rollups_out_of_step_are_detected(tenant):
    slug, manager = tenant
    sql(f"UPDATE contact_rollups r JOIN tenants t ON t.id = r.tenant_id SET "
        f"r.answered_n = r.answered_n + 1 WHERE t.slug = '{slug}' AND r.sl_threshold_s = 15")
    p = cli("check", "rollups", slug, check=False)
    assert p.returncode != 0 and "1 of 3 keys differ" in p.stderr
    r = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-11&by=day")
    assert r.status_code == 500 and "check rollups" in r.text
    sql(f"UPDATE contact_rollups r JOIN tenants t ON t.id = r.tenant_id SET "
        f"r.answered_n = r.answered_n - 1 WHERE t.slug = '{slug}' AND r.sl_threshold_s = 15")
    check_rollups(slug)
