"""Contracts and live metrics: versions, validation, and metrics computed on
hand-worked contacts (local month boundaries, inclusive threshold, short
abandons, undefined shown as null)."""
import json

import pytest

from conftest import Api, assert_json_error, issue_token, unique_slug

CONTRACT = {
    "effective_from": "2026-10-01", "timezone": "Asia/Shanghai",
    "interval_min": 30, "sl_threshold_s": 20, "sl_formula": "offered",
    "short_abandon_s": 5, "fcr_method": "repeat", "fcr_window_h": 72,
    "csat_good_min": 4, "qa_pass_mark": 85, "qa_precision_pts": 5,
    "qa_lag_target_h": 72, "calibration_tolerance_pts": 5,
    "business_hours": {"mon": ["08:00", "20:00"]},
    "monthly_fee": 120000.00, "currency": "CNY", "credit_cap_pct": 12,
    "inspector_weights": {"quota": 1, "timeliness": 1, "calibration": 1, "accuracy": 1},
    "items": [
        {"metric": "service_level", "comparator": ">=", "target": 0.80, "credit_pct": 3},
        {"metric": "abandon_rate", "comparator": "<=", "target": 0.05, "credit_pct": 2},
        {"metric": "qa_score", "comparator": ">=", "target": 90, "credit_pct": 2},
    ],
}

H = "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,talk_s,hold_s,acw_s"


def answered(cid, day, hms, wait):
    h, m, s = map(int, hms.split(":"))
    t = h * 3600 + m * 60 + s
    a = t + wait

    def fmt(x):
        return f"2026-10-{day:02d}T{x // 3600:02d}:{x % 3600 // 60:02d}:{x % 60:02d}+08:00"
    return f"{cid},sales,{fmt(t)},{fmt(a)},{fmt(a + 120)},answered,ag1,100,0,20"


def unanswered(cid, day, hms, wait, outcome):
    h, m, s = map(int, hms.split(":"))
    t = h * 3600 + m * 60 + s

    def fmt(x):
        return f"2026-10-{day:02d}T{x // 3600:02d}:{x % 3600 // 60:02d}:{x % 60:02d}+08:00"
    return f"{cid},sales,{fmt(t)},,{fmt(t + wait)},{outcome},,,,"


ROWS = [
    answered("m1", 5, "09:00:00", 10),              # within 20 s
    answered("m2", 5, "09:10:00", 20),              # exactly 20 s: within (inclusive)
    answered("m3", 5, "09:20:00", 21),              # not within
    unanswered("m4", 5, "09:30:00", 3, "abandoned"),   # short abandon (< 5 s): not offered
    unanswered("m5", 5, "09:40:00", 15, "abandoned"),  # abandoned within 20 s
    unanswered("m6", 5, "09:50:00", 40, "abandoned"),  # abandoned after 20 s
    unanswered("m7", 5, "10:00:00", 60, "overflow"),   # overflow
    answered("m8", 6, "09:00:00", 5),               # next day, within
    # 2026-09-30 23:59:59 local: September, outside the October month
    "m9,sales,2026-09-30T23:59:59+08:00,2026-10-01T00:00:09+08:00,2026-10-01T00:05:00+08:00,answered,ag1,100,0,20",
    # 2026-10-31T16:30:00Z is 2026-11-01 00:30 local: November
    "m10,sales,2026-10-31T16:30:00Z,,2026-10-31T16:31:00Z,abandoned,,,,",
]


@pytest.fixture(scope="module")
def setup(server, admin):
    slug = unique_slug("met")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Metrics", "timezone": "UTC"})
    manager = Api(server, issue_token("manager", slug))
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=(H + "\n" + "\n".join(ROWS) + "\n").encode(),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["inserted"] == 10, r.text
    r = manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1
    return slug, manager


def test_contract_versions_and_validation(server, setup):
    slug, manager = setup
    got = manager.get(f"/v1/tenants/{slug}/contract").json()
    assert [v["version"] for v in got["versions"]] == [1]
    assert got["versions"][0]["effective_from"] == "2026-10-01"
    assert got["versions"][0]["contract"]["sl_threshold_s"] == 20
    bad = dict(CONTRACT, items=[{"metric": "servce_level", "comparator": ">=", "target": 0.8,
                                 "credit_pct": 3}])
    r = manager.put(f"/v1/tenants/{slug}/contract", json=bad)
    assert_json_error(r, 400, "invalid")
    assert "items[0].metric" in r.json()["error"]["message"]
    r = manager.put(f"/v1/tenants/{slug}/contract", json=dict(CONTRACT, timezone="Mars/Base"))
    assert_json_error(r, 400, "invalid")
    assert "timezone" in r.json()["error"]["message"]
    r = manager.put(f"/v1/tenants/{slug}/contract", json=dict(CONTRACT, colour="red"))
    assert_json_error(r, 400, "invalid")
    auditor = Api(server, issue_token("auditor", slug))
    assert auditor.get(f"/v1/tenants/{slug}/contract").status_code == 200
    assert_json_error(auditor.put(f"/v1/tenants/{slug}/contract", json=CONTRACT), 404)
    assert_json_error(auditor.get(f"/v1/tenants/{slug}/metrics?from=2026-10"), 404)


def test_month_metrics_hand_worked(setup):
    slug, manager = setup
    r = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=month")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["contract_version"] == 1 and doc["timezone"] == "Asia/Shanghai"
    t = doc["total"]
    # October (local): m1..m8.  offered = answered 4 + abandoned 2 (m5, m6) + overflow 1 = 7;
    # m4 is a short abandon (3 s < 5 s), counted but not offered.
    assert (t["offered"], t["answered"], t["abandoned"], t["short_abandoned"], t["overflow"]) == (7, 4, 2, 1, 1)
    # answered within 20 s: m1 (10), m2 (20, inclusive), m8 (5) = 3; abandoned within: m5 = 1
    assert (t["answered_within"], t["abandoned_within"]) == (3, 1)
    assert t["service_level"] == pytest.approx(3 / 7)           # offered formula
    assert t["asa_s"] == pytest.approx((10 + 20 + 21 + 5) / 4)  # 14.0
    assert t["avg_abandon_s"] == pytest.approx((15 + 40) / 2)   # 27.5
    assert t["abandon_rate"] == pytest.approx(2 / 7)
    assert t["answer_rate"] == pytest.approx(4 / 7)
    assert t["max_wait_s"] == 60                                 # m7, overflow
    assert t["wait_p90_s"] == 21          # answered waits 5, 10, 20, 21: rank ceil(0.9*4) = 4
    assert t["aht_s"] == pytest.approx(120)                      # 100 + 0 + 20
    assert t["csat"] is None and t["fcr"] is None                # no surveys, no customer ids


def test_month_compliance_and_credits(setup):
    """The contract's items for October, worked by hand: fee 120,000.00 CNY, cap 12 %."""
    slug, manager = setup
    doc = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=month").json()
    c = doc["compliance"]
    assert c["currency"] == "CNY" and c["monthly_fee"] == pytest.approx(120000)
    items = {i["metric"]: i for i in c["items"]}
    # service_level 3/7 < 0.80: missed, 3 % = 3,600.00
    sl = items["service_level"]
    assert (sl["status"], sl["value"], sl["credit"]) == ("missed", pytest.approx(3 / 7), 3600)
    # abandon_rate 2/7 > 0.05: missed, 2 % = 2,400.00
    assert (items["abandon_rate"]["status"], items["abandon_rate"]["credit"]) == ("missed", 2400)
    # qa_score: no evaluations, undefined: not measurable, no credit (not a miss)
    qa = items["qa_score"]
    assert (qa["status"], qa["value"], qa["credit"]) == ("not measurable", None, 0)
    # 6,000.00 uncapped, under the cap of 12 % = 14,400.00
    assert (c["uncapped"], c["cap"], c["credited"], c["cap_applied"]) == (6000, 14400, 6000, False)
    # Not a whole month, or not by month: no compliance.
    part = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10-01&to=2026-10-15&by=month")
    assert "compliance" not in part.json()
    assert "compliance" not in manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=day").json()


def test_day_metrics_and_undefined_is_null(setup):
    slug, manager = setup
    doc = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-10-01&to=2026-10-06&by=day").json()
    rows = {row["key"]: row for row in doc["rows"]}
    assert sorted(rows) == [f"2026-10-0{d}" for d in range(1, 7)]
    # 5 Oct: offered m1 m2 m3 m5 m6 m7 = 6, within m1 m2 = 2
    assert rows["2026-10-05"]["offered"] == 6
    assert rows["2026-10-05"]["service_level"] == pytest.approx(2 / 6)
    assert rows["2026-10-06"]["service_level"] == pytest.approx(1.0)
    # 1 Oct has no contact in October (m9 was offered in September): undefined, not 0.
    assert rows["2026-10-01"]["offered"] == 0
    assert rows["2026-10-01"]["service_level"] is None and rows["2026-10-01"]["asa_s"] is None


def test_bad_metric_queries(setup):
    slug, manager = setup
    for q in ("", "?from=2026-13", "?from=2026-10&by=week", "?from=2026-10-05&to=2026-10-01",
              "?from=yesterday"):
        assert_json_error(manager.get(f"/v1/tenants/{slug}/metrics{q}"), 400, "invalid")
