"""Rollups with their detail (migrations 0013 and 0016) give every metric exactly as the
contacts do, at database level: random contacts of a New York tenant around the
November 2026 DST change, uploaded in shuffled batches (late arrivals), then
corrected (instants moved across month ends, customers, outcomes and surveys
changed, case types moved) and re-sent.  After every batch `slattest check rollups`
must agree (counts by SQL, detailed, agent and reason rows by a recomputation), and at
the end
`slattest metrics --source rollups` (no contact read) must equal `--source
contacts` (the engine over every contact) for every grouping of October,
November and December, row by row and number by number; again after a
contract change rebuilds the rollups, and after an upgraded database's
rebuild by `slattest migrate`.  The reference is the contact path, which the
hand-worked tests in test_metrics.py and tests/unit/test_sla.c pin."""
import datetime
import json
import random

import pytest

from conftest import Api, cli, issue_token, sql, unique_slug

H = ("call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,talk_s,hold_s,acw_s,"
     "channel,customer_id,transferred,resolved,csat,reason")
NOV = datetime.datetime(2026, 11, 1, 4, 0, tzinfo=datetime.timezone.utc)  # New York midnight
GROUPINGS = ("month", "day", "interval", "queue", "agent", "reason")
REASONS = ("", "", "billing", "outage", "move house", "rare")


def contract(window_h, sl, short):
    return {"effective_from": "2026-10-01", "timezone": "America/New_York",
            "interval_min": 30, "sl_threshold_s": sl, "short_abandon_s": short,
            "fcr_method": "repeat", "fcr_window_h": window_h, "csat_good_min": 4,
            "business_hours": {d: ["08:00", "20:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "monthly_fee": 1000, "currency": "USD", "credit_cap_pct": 10,
            "items": [{"metric": "service_level", "comparator": ">=", "target": 0.8,
                       "credit_pct": 2}]}


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def contact(rng, cid):
    """A random contact between 2026-10-26 and 2026-12-05 (UTC), as a dict of fields."""
    t = NOV - datetime.timedelta(days=6) + datetime.timedelta(minutes=rng.randrange(40 * 1440))
    t += datetime.timedelta(seconds=rng.choice((0, 0, 17, 42)))
    outcome = rng.choice(("answered", "answered", "answered", "abandoned", "overflow"))
    wait = rng.randrange(4000) if rng.random() < 0.1 else rng.randrange(45)
    customer = "" if rng.random() < 0.2 else "k%02d" % rng.randrange(25)
    return {"call_id": cid, "queue": rng.choice(("q1", "q2", "q3")), "t": t, "wait": wait,
            "outcome": outcome,
            "agent": "a%d" % rng.randrange(5) if outcome == "answered" or rng.random() < 0.2
            else "",
            "talk": rng.randrange(600), "hold": rng.randrange(30), "acw": rng.randrange(60),
            "customer": customer, "transferred": rng.randrange(2),
            "resolved": rng.choice(("", "0", "1")),
            "csat": str(rng.randrange(1, 6)) if rng.random() < 0.35 else "",
            "reason": rng.choice(REASONS)}


def line(c):
    t = c["t"]
    w = datetime.timedelta(seconds=c["wait"])
    if c["outcome"] == "answered":
        ans, end = stamp(t + w), stamp(t + w + datetime.timedelta(seconds=c["talk"] + 30))
        talk = "%d,%d,%d" % (c["talk"], c["hold"], c["acw"])
        tr = c["transferred"]
    else:
        ans, end, talk, tr = "", stamp(t + w), "0,0,0", 0
    return ",".join([c["call_id"], c["queue"], stamp(t), ans, end, c["outcome"], c["agent"], talk,
                     "voice", c["customer"], str(tr), c["resolved"], c["csat"], c["reason"]])


def upload(manager, slug, rows):
    body = (H + "\n" + "\n".join(line(c) for c in rows) + "\n").encode()
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=body, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json()["rejected"] == 0, r.text
    return r.json()


def check(slug):
    p = cli("check", "rollups", slug, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "agent rollups:" in p.stdout and "rows agree" in p.stdout, p.stdout
    assert "reason rollups:" in p.stdout, p.stdout
    return p.stdout


def metrics(slug, month, by, source):
    p = cli("metrics", slug, "--from", month, "--by", by, "--source", source, "--rows")
    return json.loads(p.stdout)


def assert_paths_agree(slug):
    for month in ("2026-10", "2026-11", "2026-12"):
        for by in GROUPINGS:
            a = metrics(slug, month, by, "rollups")
            b = metrics(slug, month, by, "contacts")
            assert a["source"] == "rollups" and a["contacts"] == 0 and a["rollup_rows"] > 0, a
            assert b["source"] == "contacts" and b["contacts"] > 0, b
            assert a["rows"] == b["rows"], (month, by)
            assert a["total"] == b["total"], (month, by, a["total"], b["total"])
    return a, b


@pytest.fixture(scope="module")
def tenant(server, admin):
    slug = unique_slug("det")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Detail", "timezone": "America/New_York"})
    manager = Api(server, issue_token("manager", slug))
    assert manager.put(f"/v1/tenants/{slug}/contract", json=contract(72, 20, 5)).status_code == 201
    return slug, manager


def test_batches_late_corrected_and_resent(tenant):
    slug, manager = tenant
    rng = random.Random(17)
    rows = [contact(rng, "c%04d" % i) for i in range(900)]
    rng.shuffle(rows)
    current = {}
    for at in range(0, len(rows), 150):  # late and out of order
        batch = rows[at:at + 150]
        upload(manager, slug, batch)
        current.update({c["call_id"]: c for c in batch})
        check(slug)
    for round_ in range(4):  # corrections, and rows sent again unchanged
        ids = rng.sample(sorted(current), 80)
        batch = []
        for cid in ids:
            c = dict(current[cid])
            k = rng.randrange(6)
            if k == 0:  # moved, also across a month end
                c["t"] += datetime.timedelta(hours=rng.randrange(-100, 100))
            elif k == 1:
                c["customer"] = "k%02d" % rng.randrange(25)
            elif k == 2:
                c = contact(rng, cid)
            elif k == 3:
                c["csat"], c["wait"] = str(rng.randrange(1, 6)), c["wait"] + 7
            elif k == 4:  # the case type changes
                c["reason"] = rng.choice(REASONS[:-1])
            batch.append(c)
        receipt = upload(manager, slug, batch)
        assert receipt["updated"] > 0 and receipt["unchanged"] > 0, receipt
        current.update({c["call_id"]: c for c in batch})
        check(slug)
    # A correction that empties a case type: every "rare" contact becomes "billing".
    rare = [dict(c, reason="billing") for c in current.values() if c["reason"] == "rare"]
    assert rare
    receipt = upload(manager, slug, rare)
    assert receipt["updated"] == len(rare), receipt
    current.update({c["call_id"]: c for c in rare})
    check(slug)
    a, b = assert_paths_agree(slug)
    # Not a trivial month: repeats, surveys, long waits, several agents.
    total = a["total"]
    assert 0 < total["fcr_resolved"] < total["fcr_base"]
    assert total["csat_n"] > 20 and total["max_wait_s"] > 1000
    by_reason = metrics(slug, "2026-11", "reason", "rollups")
    assert [r["key"] for r in by_reason["rows"]] == ["", "billing", "move house", "outage"]


def test_by_reason_counts_by_hand(server, admin):
    """Four contacts worked out on paper (UTC tenant, defaults: T = 20 s,
    short abandons under 5 s, FCR by repeat within 72 h, CSAT good >= 4):
      b1 billing answered after 10 s, customer x, csat 5
      b2 billing answered after 30 s, customer x again 1 h later (b1 repeats), csat 2
      b3 billing abandoned after 40 s
      n1 no reason, answered after 5 s
    billing: offered 3, answered 2, within 1, SL 1/3, p90 30, max 40,
    FCR 1/2 (b1 repeats, b2 does not), CSAT 1/2; "": offered 1, SL 1.
    GET /metrics?by=reason serves it from the reason rollups alone; then n1
    is corrected to billing and the "" case type is gone."""
    slug = unique_slug("rsn")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Reasons", "timezone": "UTC"})
    manager = Api(server, issue_token("manager", slug))
    t0 = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=datetime.timezone.utc)

    def c(cid, minutes, wait, outcome, customer, csat, reason):
        return {"call_id": cid, "queue": "q", "t": t0 + datetime.timedelta(minutes=minutes),
                "wait": wait, "outcome": outcome, "agent": "a1" if outcome == "answered" else "",
                "talk": 100, "hold": 0, "acw": 0, "customer": customer, "transferred": 0,
                "resolved": "", "csat": csat, "reason": reason}

    rows = [c("b1", 0, 10, "answered", "x", "5", "billing"),
            c("b2", 60, 30, "answered", "x", "2", "billing"),
            c("b3", 90, 40, "abandoned", "", "", "billing"),
            c("n1", 120, 5, "answered", "", "", "")]
    upload(manager, slug, rows)
    j = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-03&by=reason").json()
    assert j["source"] == "rollups", j
    got = {r["key"]: r for r in j["rows"]}
    assert sorted(got) == ["", "billing"]
    b = got["billing"]
    assert (b["offered"], b["answered"], b["abandoned"], b["answered_within"]) == (3, 2, 1, 1)
    assert b["service_level"] == pytest.approx(1 / 3)
    assert (b["wait_p90_s"], b["max_wait_s"]) == (30, 40)
    assert (b["fcr"], b["csat"]) == (0.5, 0.5)
    assert (got[""]["offered"], got[""]["service_level"]) == (1, 1.0)
    check(slug)
    upload(manager, slug, [dict(rows[3], reason="billing")])
    j = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-03&by=reason").json()
    assert [r["key"] for r in j["rows"]] == ["billing"] and j["rows"][0]["offered"] == 4, j
    check(slug)


def test_a_contract_change_rebuilds_the_detail(tenant):
    """A new FCR window and thresholds: the PUT rebuilds every row with them."""
    slug, manager = tenant
    r = manager.put(f"/v1/tenants/{slug}/contract", json=contract(24, 30, 8))
    assert r.status_code == 201, r.text
    stored = sql(f"SELECT DISTINCT r.fcr_window_h, r.sl_threshold_s FROM agent_rollups r "
                 f"JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = '{slug}'")
    assert stored == [["24", "30"]]
    check(slug)
    assert_paths_agree(slug)


def test_an_upgraded_database_is_rebuilt_by_migrate(tenant):
    """Rows without their detail (as written before migration 0013) and the
    tenant queued for a rebuild: metrics read contacts meanwhile, and
    `slattest migrate` rebuilds the rows."""
    slug, manager = tenant
    sql(f"UPDATE contact_rollups r JOIN tenants t ON t.id = r.tenant_id SET r.waits_answered = "
        f"NULL, r.waits_abandoned = NULL, r.waits_overflow = NULL WHERE t.slug = '{slug}'")
    sql(f"DELETE r FROM agent_rollups r JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = '{slug}'")
    sql(f"DELETE r FROM reason_rollups r JOIN tenants t ON t.id = r.tenant_id "
        f"WHERE t.slug = '{slug}'")
    sql(f"INSERT INTO rollup_rebuilds (tenant_id) SELECT id FROM tenants WHERE slug = '{slug}'")
    p = cli("check", "rollups", slug, check=False)
    assert p.returncode != 0 and "awaiting a rebuild" in p.stderr, p.stdout + p.stderr
    assert metrics(slug, "2026-11", "day", "rollups")["source"] != "rollups"
    # A batch meanwhile keeps the counts; the detail waits for the rebuild.
    upload(manager, slug, [contact(random.Random(5), "late1")])
    out = cli("migrate").stdout
    assert "rollups rebuilt for 1 tenant(s)" in out, out
    check(slug)
    assert_paths_agree(slug)


def test_a_corrupted_histogram_is_refused(tenant):
    """A row whose histogram disagrees with its counts: no number is served."""
    slug, manager = tenant
    sql(f"UPDATE contact_rollups SET answered_wait_sum = answered_wait_sum + 1 WHERE "
        f"tenant_id = (SELECT id FROM tenants WHERE slug = '{slug}') AND answered_n > 0 AND "
        f"slot_us >= 1793505600000000 ORDER BY slot_us, queue LIMIT 1")
    p = cli("metrics", slug, "--from", "2026-11", "--by", "day", check=False)
    assert p.returncode != 0 and "check rollups" in p.stderr, p.stdout + p.stderr
    p = cli("check", "rollups", slug, check=False)
    assert p.returncode != 0 and "1 of" in p.stderr, p.stderr
    sql(f"UPDATE contact_rollups SET answered_wait_sum = answered_wait_sum - 1 WHERE "
        f"tenant_id = (SELECT id FROM tenants WHERE slug = '{slug}') AND answered_n > 0 AND "
        f"slot_us >= 1793505600000000 ORDER BY slot_us, queue LIMIT 1")
    check(slug)


def test_a_first_upload_in_offered_order(server, admin):
    """A new tenant's first batch in offered order (as an ACD exports it)
    takes the way without a sort (FCR decided as the rows come); the rows
    are the same as the contacts give, and a later batch out of order still
    agrees."""
    slug = unique_slug("ord")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Ordered", "timezone": "America/New_York"})
    manager = Api(server, issue_token("manager", slug))
    assert manager.put(f"/v1/tenants/{slug}/contract", json=contract(72, 20, 5)).status_code == 201
    rng = random.Random(23)
    rows = sorted((contact(rng, "o%04d" % i) for i in range(700)), key=lambda c: c["t"])
    upload(manager, slug, rows)
    check(slug)
    assert_paths_agree(slug)
    later = [contact(rng, "p%04d" % i) for i in range(200)]
    upload(manager, slug, later)
    check(slug)
    assert_paths_agree(slug)
