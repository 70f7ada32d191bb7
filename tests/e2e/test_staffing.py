"""The cost of service level (GET /v1/tenants/{t}/staffing): a month of two
half-hour intervals worked on paper (tests/unit/test_sl_cost.c has the same
Erlang C values), its defaults, explicit targets and threshold, refusals
naming the parameter, and the manager role.

The month (UTC, 30-minute intervals, T = 20 s):
  09:00-09:30  10 contacts answered, AHT 180 s (1 erlang), agents a1 a2 a3,
               every wait 10 s;
  09:30-10:00  20 contacts answered, AHT 90 s (1 erlang), agents a1 a2,
               14 waits of 5 s and 6 of 30 s.
Service level reached: 24 / 30 = 0.80; agent hours that handled contacts:
3 x 0.5 + 2 x 0.5 = 2.5.
Erlang C with A = 1: C(2) = 1/3, C(3) = 1/11, C(4) = 1/49, so with T = 20:
  interval 1 (h 180): SL(2) 0.7017, SL(3) 0.9272, SL(4) 0.9854
  interval 2 (h 90):  SL(2) 0.7331, SL(3) 0.9417, SL(4) 0.9895
and with T = 0 (SL = 1 - C) both: SL(2) 0.667, SL(3) 0.909, SL(4) 0.980.
"""
import os
import re
import tempfile
import time
import zipfile

import openpyxl
import pytest

from conftest import Api, assert_json_error, issue_token, unique_slug

CONTRACT = {
    "effective_from": "2026-01-01", "timezone": "UTC", "interval_min": 30,
    "sl_threshold_s": 20, "monthly_fee": 10000, "currency": "EUR", "credit_cap_pct": 10,
    "agent_hour_cost": 25, "shrinkage_pct": 20,
    "items": [{"metric": "service_level", "comparator": ">=", "target": 0.92,
               "credit_pct": 5}],
}
H = "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,talk_s,hold_s,acw_s"


def call(cid, minute, second, wait, agent, talk, acw):
    t = minute * 60 + second

    def at(x):
        return f"2026-03-05T09:{x // 60:02d}:{x % 60:02d}Z" if x < 3600 else \
            f"2026-03-05T10:{(x - 3600) // 60:02d}:{x % 60:02d}Z"
    return f"{cid},q,{at(t)},{at(t + wait)},{at(t + wait + talk)},answered,{agent},{talk},0,{acw}"


def month_rows():
    rows = []
    for i in range(10):  # 09:00-09:30, AHT 150 + 30 = 180
        rows.append(call(f"a{i}", i * 2, 0, 10, f"a{i % 3 + 1}", 150, 30))
    for i in range(20):  # 09:30-10:00, AHT 70 + 20 = 90
        rows.append(call(f"b{i}", 30 + i, 0, 5 if i < 14 else 30, f"a{i % 2 + 1}", 70, 20))
    return rows


@pytest.fixture(scope="module")
def tenant(server, admin):
    slug = unique_slug("slc")
    admin.post("/v1/tenants", json={"slug": slug, "name": "SL cost", "timezone": "UTC"})
    manager = Api(server, issue_token("manager", slug))
    r = manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT)
    assert r.status_code == 201, r.text
    body = (H + "\n" + "\n".join(month_rows()) + "\n").encode()
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=body, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["inserted"] == 30, r.text
    return slug, manager


def test_contract_keeps_the_cost_keys(tenant):
    slug, manager = tenant
    got = manager.get(f"/v1/tenants/{slug}/contract").json()["versions"][-1]["contract"]
    assert got["agent_hour_cost"] == 25 and got["shrinkage_pct"] == 20


def test_default_curve(tenant):
    slug, manager = tenant
    r = manager.get(f"/v1/tenants/{slug}/staffing?period=2026-03")
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["currency"] == "EUR" and j["agent_hour_cost"] == 25 and j["shrinkage_pct"] == 20
    assert j["threshold_s"] == 20 and j["contract_target"] == pytest.approx(0.92)
    assert j["intervals_with_contacts"] == 2
    # 0.70..0.95 by 0.05, the target 0.92 and 0.93.
    targets = [row["target"] for row in j["rows"]]
    assert targets == pytest.approx([0.70, 0.75, 0.80, 0.85, 0.90, 0.92, 0.93, 0.95])
    # Agents (interval 1 + interval 2) x 0.5 h, from the SL values above.
    hours = [2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.5, 4.0]
    assert [row["agent_hours"] for row in j["rows"]] == pytest.approx(hours)
    assert [row["paid_hours"] for row in j["rows"]] == pytest.approx([h / 0.8 for h in hours])
    assert [row["cost"] for row in j["rows"]] == pytest.approx([h * 25 for h in hours])
    marg = [row["marginal_agent_hours_per_point"] for row in j["rows"]]
    assert marg[0] is None
    assert marg[1:] == pytest.approx([0.2, 0, 0, 0, 0, 0.5, 0.25])
    assert j["rows"][6]["marginal_cost_per_point"] == pytest.approx(12.5)
    assert [row["contract_target"] for row in j["rows"]] == [False] * 5 + [True, False, False]
    # One more point above 0.92: interval 1 needs a fourth agent.
    assert j["next_point"]["from"] == pytest.approx(0.92)
    assert j["next_point"]["to"] == pytest.approx(0.93)
    assert j["next_point"]["agent_hours"] == pytest.approx(0.5)
    assert j["next_point"]["paid_hours"] == pytest.approx(0.625)
    assert j["next_point"]["cost"] == pytest.approx(12.5)
    a = j["achieved"]
    assert a["service_level"] == pytest.approx(0.80)
    assert a["agent_hours_handled"] == pytest.approx(2.5)
    assert a["agent_hours_required"] == pytest.approx(3.0)
    assert a["cost_required"] == pytest.approx(75.0)


def test_targets_and_threshold(tenant):
    slug, manager = tenant
    r = manager.get(f"/v1/tenants/{slug}/staffing?period=2026-03&targets=0.95,0.70&threshold_s=0")
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["threshold_s"] == 0
    # T = 0: 0.70 needs 3 + 3 agents, 0.95 needs 4 + 4.
    assert [row["target"] for row in j["rows"]] == pytest.approx([0.70, 0.95])
    assert [row["agent_hours"] for row in j["rows"]] == pytest.approx([3.0, 4.0])
    assert j["rows"][1]["marginal_agent_hours_per_point"] == pytest.approx(1 / 25)
    assert j["rows"][1]["marginal_cost_per_point"] == pytest.approx(1.0)


@pytest.mark.parametrize("query,field", [
    ("period=2026-03&targets=1.2", "targets"),
    ("period=2026-03&targets=0", "targets"),
    ("period=2026-03&targets=0.8,,0.9", "targets"),
    ("period=2026-13", "period"),
    ("period=2026-03-01", "period"),
    ("", "period"),
    ("period=2026-03&threshold_s=-1", "threshold_s"),
    ("period=2026-03&threshold_s=70000", "threshold_s"),
])
def test_bad_input_names_the_parameter(tenant, query, field):
    slug, manager = tenant
    r = manager.get(f"/v1/tenants/{slug}/staffing?{query}")
    assert_json_error(r, 400, "invalid")
    assert r.json()["error"]["message"].startswith(field + ":"), r.text
    assert r.json()["error"]["details"]["field"] == field


def test_managers_only(server, tenant):
    """A client of the tenant is told nothing: the route is hidden (404) as for a
    tenant it may not see."""
    slug, _ = tenant
    client = Api(server, issue_token("client", slug))
    assert_json_error(client.get(f"/v1/tenants/{slug}/staffing?period=2026-03"), 404)


def build(manager, slug, template):
    r = manager.post(f"/v1/tenants/{slug}/reports", json={"period": "2026-03", "template": template})
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    deadline = time.time() + 120
    while time.time() < deadline:
        meta = manager.get(f"/v1/tenants/{slug}/reports/{rid}").json()
        if meta["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert meta["status"] == "done", meta
    path = os.path.join(tempfile.mkdtemp(), f"{template}.xlsx")
    with open(path, "wb") as f:
        f.write(manager.get(f"/v1/tenants/{slug}/reports/{rid}/workbook").content)
    return path


def test_service_level_cost_sheet(tenant):
    """The internal workbook's Service level cost sheet: the default curve with the level reached
    (0.80, right after the 0.80 target) as a row of its own, read back with openpyxl; the chart
    of cost against level marks the contract's target and the level reached with points."""
    slug, manager = tenant
    path = build(manager, slug, "internal-monthly")
    book = openpyxl.load_workbook(path, data_only=True)
    assert "Service level cost" in book.sheetnames
    ws = book["Service level cost"]
    header = [c.value for c in ws[1]]
    col = {name: i for i, name in enumerate(header)}
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    levels = [r[col["Service level"]] for r in rows]
    assert levels == pytest.approx([0.70, 0.75, 0.80, 0.80, 0.85, 0.90, 0.92, 0.93, 0.95])
    marked = [r[col["Marked"]] for r in rows]
    assert marked == [None, None, None, "Reached", None, None, "Contract target", None, None]
    hours = [2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.5, 4.0]
    assert [r[col["Agent hours needed"]] for r in rows] == pytest.approx(hours)
    assert [r[col["Paid hours (after shrinkage)"]] for r in rows] == pytest.approx(
        [h / 0.8 for h in hours])
    assert [r[col["Cost"]] for r in rows] == pytest.approx([h * 25 for h in hours])
    assert rows[7][col["Extra cost per point"]] == pytest.approx(12.5)   # 0.92 -> 0.93
    assert rows[3][col["Extra cost per point"]] is None                  # the level reached
    assert rows[3][col["Agent hours that handled contacts"]] == pytest.approx(2.5)
    assert ws.cell(2, col["Cost"] + 1).number_format.endswith('"EUR"')
    with zipfile.ZipFile(path) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    cost_chart = [x for x in charts if "Cost against target service level" in x]
    assert len(cost_chart) == 1
    # Three series: the curve, then the two marked points (no line, diamond markers).
    series = re.findall(r"<c:ser>.*?</c:ser>", cost_chart[0], re.S)
    assert len(series) == 3
    for ser in series[1:]:
        assert '<c:symbol val="diamond"/>' in ser and "<a:noFill/>" in ser


def test_client_workbook_leaves_it_out(tenant):
    slug, manager = tenant
    book = openpyxl.load_workbook(build(manager, slug, "client-monthly"))
    assert "Service level cost" not in book.sheetnames
