"""Earn-back across months on the Scorecard (METRICS.md "Earn-back"), worked by hand.

Contract from 2026-09 (UTC): fee 10,000.00 USD, cap 10 %, one item service_level >= 0.80
with credit 5 %, earn_back_months 1.
  September: answered at 10 s and 30 s -> SL 1/2 = 0.5, missed: credit 5 % = 500.00,
    at risk of earn-back until 2026-10.
  October: answered at 5 s -> SL 1, met: no credit; September's credit is earned back in
    October's report (a row of its own, -500.00 after the cap column), so October's
    total after the cap is -500.00.
"""
import os
import tempfile

import openpyxl
import pytest

from conftest import Api, issue_token, unique_slug
from test_reports import table, wait_done

H = "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,talk_s,hold_s,acw_s"
ROWS = [
    "s1,q,2026-09-10T09:00:00Z,2026-09-10T09:00:10Z,2026-09-10T09:05:00Z,answered,a,100,0,10",
    "s2,q,2026-09-10T10:00:00Z,2026-09-10T10:00:30Z,2026-09-10T10:05:00Z,answered,a,100,0,10",
    "o1,q,2026-10-10T09:00:00Z,2026-10-10T09:00:05Z,2026-10-10T09:05:00Z,answered,a,100,0,10",
]
CONTRACT = {"effective_from": "2026-09-01", "timezone": "UTC", "monthly_fee": 10000,
            "currency": "USD", "credit_cap_pct": 10, "earn_back_months": 1,
            "items": [{"metric": "service_level", "comparator": ">=", "target": 0.8,
                       "credit_pct": 5}]}


@pytest.fixture(scope="module")
def tenant(server, admin):
    slug = unique_slug("earn")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Earn back", "timezone": "UTC"})
    manager = Api(server, issue_token("manager", slug))
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=(H + "\n" + "\n".join(ROWS) + "\n").encode(),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT).status_code == 201
    return slug, manager


def scorecard(manager, slug, period):
    r = manager.post(f"/v1/tenants/{slug}/reports",
                     json={"period": period, "template": "client-monthly"})
    assert r.status_code == 202, r.text
    meta = wait_done(manager, slug, r.json()["id"])
    assert meta["status"] == "done", meta
    path = os.path.join(tempfile.mkdtemp(), "r.xlsx")
    with open(path, "wb") as f:
        f.write(manager.get(f"/v1/tenants/{slug}/reports/{meta['id']}/workbook").content)
    header, _ = table(openpyxl.load_workbook(path)["Scorecard"])
    col = {name: i for i, name in enumerate(header)}
    rows = list(openpyxl.load_workbook(path, data_only=True)["Scorecard"].iter_rows(min_row=2))
    return col, [[c.value for c in r] for r in rows]


def test_september_credit_is_at_risk(tenant):
    slug, manager = tenant
    col, rows = scorecard(manager, slug, "2026-09")
    sl, total = rows
    assert sl[col["Contract item"]] == "Service level" and sl[col["Result"]] == "missed"
    assert sl[col["Actual"]] == pytest.approx(0.5)
    assert sl[col["Credit"]] == pytest.approx(500) and sl[col["Credit after cap"]] == pytest.approx(500)
    assert sl[col["Note"]] == "at risk of earn-back until 2026-10"
    assert total[0] == "Total" and total[col["Credit after cap"]] == pytest.approx(500)


def test_october_earns_it_back(tenant):
    slug, manager = tenant
    col, rows = scorecard(manager, slug, "2026-10")
    item, back, total = rows
    assert item[col["Result"]] == "met" and item[col["Credit"]] == 0
    assert back[col["Contract item"]] == "Service level" and back[col["Result"]] == "earned back"
    assert back[col["Note"]] == "credit of 2026-09 earned back"
    assert back[col["Actual"]] is None and back[col["Target"]] is None
    assert back[col["Credit after cap"]] == pytest.approx(-500)
    assert total[col["Credit after cap"]] == pytest.approx(-500)
