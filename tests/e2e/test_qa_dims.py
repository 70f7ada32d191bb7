"""Quality by dimension and inspection by case (issue 19), end to end: a scorecard
with dimensions (a section's inherited, an item's own), evaluations, contacts with
reasons; GET /metrics qa.by_dimension (by=month, agent, inspector) and by=reason, the
workbooks' Cases, Quality and Agents sheets read back with openpyxl; refusals.

Contract: UTC, T = 20 s, SL over offered, FCR by repeat (72 h), CSAT good >= 4.

Contacts (2026-03-05, UTC):
  b1 billing       answered wait 10  a1 customer k1 csat 5   09:00
  b2 billing       answered wait 30  a2 customer k1 csat 2   10:00
  b3 billing       abandoned wait 40                         11:00
  t1 tech support  answered wait 5   a1 customer k2 csat 4   09:30
  n1 (none)        answered wait 25  a2                      12:00
billing: offered 3, answered 2, within 1 -> SL 1/3, abandon rate 1/3; FCR: k1's b1 is
  repeated by b2 within 72 h -> 1 repeat of 2 -> 0.5; CSAT 1 good of 2 -> 0.5.
tech support: offered 1, SL 1, FCR 1, CSAT 1.   (none): offered 1, SL 0, FCR and CSAT null.

Scorecard svc v1: open (dimension empathy, weight 1): greet max 1, verify max 1 critical
with its own dimension reliability; talk (weight 2): resolve max 5 accuracy, speed max 5
responsiveness, notes max 1 (no dimension).
  E1 b1 a1 i1: greet pass, verify pass, resolve 4, speed 3, notes pass
     score 100 (1 + 2 x 8/11) / 3 = 81.8181..; empathy 100, reliability 100, accuracy 80,
     responsiveness 60
  E2 b2 a2 i1: greet fail, verify fail (critical), resolve 5, speed na, notes pass
     score 0 (fatal); empathy 0, reliability 0, accuracy 100 (NOT zeroed), no
     responsiveness (na)
  E3 t1 a1 i2: greet pass, verify pass, resolve 2, speed 5
     score 100 (1 + 2 x 0.7) / 3 = 80; empathy 100, reliability 100, accuracy 40, resp. 100
  E4 n1 a2 i2: greet na, verify pass, resolve 3, speed 4, notes fail
     score 100 (1 + 2 x 7/11) / 3 = 75.7575..; no empathy, reliability 100, accuracy 60,
     responsiveness 80
  E5 zz (contact unknown) a1 i1: greet pass, resolve 5: score 100; empathy 100, accuracy 100
Month: empathy (100+0+100+100)/4 = 75 n 4; reliability (100+0+100+100)/4 = 75 n 4;
  accuracy (80+100+40+60+100)/5 = 76 n 5; responsiveness (60+100+80)/3 = 80 n 3.
a1 (E1 E3 E5): empathy 100 n 3, reliability 100 n 2, accuracy 220/3 n 3, resp. 80 n 2.
a2 (E2 E4): empathy 0 n 1, reliability 50 n 2, accuracy 80 n 2, resp. 80 n 1.
i1 (E1 E2 E5): empathy 200/3 n 3, reliability 50 n 2, accuracy 280/3 n 3, resp. 60 n 1.
i2 (E3 E4): empathy 100 n 1, reliability 100 n 2, accuracy 50 n 2, resp. 90 n 2.
By reason (E5's contact is unknown: in no reason): billing E1 E2: QA 40.9090.., n 2,
  empathy 50, reliability 50, accuracy 90, responsiveness 60 (n 1); tech support E3: 80;
  (none) E4: 75.7575.., no empathy.
"""
import json

import openpyxl
import pytest

from conftest import Api, assert_json_error, issue_token, sql, unique_slug
from test_staffing import build as build_path

CONTRACT = {
    "effective_from": "2026-01-01", "timezone": "UTC", "sl_threshold_s": 20,
    "monthly_fee": 1000, "currency": "EUR", "credit_cap_pct": 10,
    "items": [{"metric": "service_level", "comparator": ">=", "target": 0.8, "credit_pct": 5}],
}
FORM = {"form_id": "svc", "version": 1, "pass_mark": 80, "sections": [
    {"id": "open", "name": "Opening", "dimension": "empathy", "weight": 1, "items": [
        {"id": "greet", "name": "Greets", "max": 1},
        {"id": "verify", "name": "Verifies", "max": 1, "critical": True,
         "dimension": "reliability"}]},
    {"id": "talk", "name": "Talk", "weight": 2, "items": [
        {"id": "resolve", "name": "Resolves", "max": 5, "dimension": "accuracy"},
        {"id": "speed", "name": "Keeps it moving", "max": 5, "dimension": "responsiveness"},
        {"id": "notes", "name": "Notes", "max": 1}]}]}

H = "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,customer_id,csat,reason"


def contact(cid, hh, mm, wait, agent, customer, csat, reason, answered=True):
    t0 = f"2026-03-05T{hh:02d}:{mm:02d}:00Z"
    t1 = f"2026-03-05T{hh:02d}:{mm:02d}:{wait:02d}Z"
    t2 = f"2026-03-05T{hh:02d}:{mm + 5:02d}:00Z"
    if answered:
        return f"{cid},q,{t0},{t1},{t2},answered,{agent},{customer},{csat},{reason}"
    return f"{cid},q,{t0},,{t1},abandoned,,,,{reason}"


CONTACTS = [contact("b1", 9, 0, 10, "a1", "k1", 5, "billing"),
            contact("b2", 10, 0, 30, "a2", "k1", 2, "billing"),
            contact("b3", 11, 0, 40, "", "", "", "billing", answered=False),
            contact("t1", 9, 30, 5, "a1", "k2", 4, "tech support"),
            contact("n1", 12, 0, 25, "a2", "", "", "")]

EH = "evaluation_id,call_id,agent_id,inspector_id,form_id,form_version,evaluated_at,item_id,result"


def ev(eid, call, agent, insp, items):
    return [f"{eid},{call},{agent},{insp},svc,1,2026-03-10T12:00:00Z,{k},{v}" for k, v in items]


EVALS = (ev("E1", "b1", "a1", "i1", [("greet", "pass"), ("verify", "pass"), ("resolve", "4"),
                                     ("speed", "3"), ("notes", "pass")])
         + ev("E2", "b2", "a2", "i1", [("greet", "fail"), ("verify", "fail"), ("resolve", "5"),
                                       ("speed", "na"), ("notes", "pass")])
         + ev("E3", "t1", "a1", "i2", [("greet", "pass"), ("verify", "pass"), ("resolve", "2"),
                                       ("speed", "5")])
         + ev("E4", "n1", "a2", "i2", [("greet", "na"), ("verify", "pass"), ("resolve", "3"),
                                       ("speed", "4"), ("notes", "fail")])
         + ev("E5", "zz", "a1", "i1", [("greet", "pass"), ("resolve", "5")]))


def body(header, rows):
    return (header + "\n" + "\n".join(rows) + "\n").encode()


@pytest.fixture(scope="module")
def tenant(server, admin):
    slug = unique_slug("qdim")
    assert admin.post("/v1/tenants", json={"slug": slug, "name": "Dimensions",
                                           "timezone": "UTC"}).status_code == 201
    manager = Api(server, issue_token("manager", slug))
    ingest = Api(server, issue_token("ingest", slug))
    assert manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT).status_code == 201
    r = manager.put(f"/v1/tenants/{slug}/qa/forms/svc", json=FORM)
    assert r.status_code == 201, r.text
    r = ingest.post(f"/v1/tenants/{slug}/cdrs", data=body(H, CONTACTS),
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["inserted"] == 5, r.text
    r = ingest.post(f"/v1/tenants/{slug}/qa/evaluations", data=body(EH, EVALS),
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["inserted"] == 5, r.text
    return slug, manager, ingest


def metrics(manager, slug, by):
    r = manager.get(f"/v1/tenants/{slug}/metrics?from=2026-03&to=2026-03&by={by}")
    assert r.status_code == 200, r.text
    return r.json()


def dims(obj):
    return {k: (pytest.approx(v["score"]), v["n"]) for k, v in obj.items()}


def want(**kw):
    return {k: (pytest.approx(v[0]), v[1]) for k, v in kw.items()}


MONTH = want(empathy=(75, 4), reliability=(75, 4), accuracy=(76, 5), responsiveness=(80, 3))


def test_month_by_dimension(tenant):
    slug, manager, _ = tenant
    j = metrics(manager, slug, "month")
    assert dims(j["qa"]["by_dimension"]) == MONTH
    assert j["qa"]["evaluations"] == 5


def test_agent_and_inspector_by_dimension(tenant):
    slug, manager, _ = tenant
    j = metrics(manager, slug, "agent")
    assert dims(j["qa"]["by_dimension"]) == MONTH
    rows = {r["key"]: r for r in j["rows"]}
    assert dims(rows["a1"]["by_dimension"]) == want(
        empathy=(100, 3), reliability=(100, 2), accuracy=(220 / 3, 3), responsiveness=(80, 2))
    assert dims(rows["a2"]["by_dimension"]) == want(
        empathy=(0, 1), reliability=(50, 2), accuracy=(80, 2), responsiveness=(80, 1))
    j = metrics(manager, slug, "inspector")
    assert dims(j["qa"]["by_dimension"]) == MONTH
    rows = {r["key"]: r for r in j["rows"]}
    assert dims(rows["i1"]["by_dimension"]) == want(
        empathy=(200 / 3, 3), reliability=(50, 2), accuracy=(280 / 3, 3), responsiveness=(60, 1))
    assert dims(rows["i2"]["by_dimension"]) == want(
        empathy=(100, 1), reliability=(100, 2), accuracy=(50, 2), responsiveness=(90, 2))


def test_by_reason(tenant):
    slug, manager, _ = tenant
    j = metrics(manager, slug, "reason")
    assert [r["key"] for r in j["rows"]] == ["", "billing", "tech support"]
    rows = {r["key"]: r for r in j["rows"]}
    b = rows["billing"]
    assert (b["offered"], b["answered"], b["abandoned"], b["answered_within"]) == (3, 2, 1, 1)
    assert b["service_level"] == pytest.approx(1 / 3)
    assert b["abandon_rate"] == pytest.approx(1 / 3)
    assert b["fcr"] == pytest.approx(0.5) and b["csat"] == pytest.approx(0.5)
    assert b["evaluations"] == 2 and b["qa_score"] == pytest.approx(900 / 22)
    assert dims(b["by_dimension"]) == want(empathy=(50, 2), reliability=(50, 2),
                                           accuracy=(90, 2), responsiveness=(60, 1))
    t = rows["tech support"]
    assert (t["offered"], t["service_level"], t["fcr"], t["csat"]) == (1, 1.0, 1.0, 1.0)
    assert t["evaluations"] == 1 and t["qa_score"] == pytest.approx(80)
    assert dims(t["by_dimension"]) == want(empathy=(100, 1), reliability=(100, 1),
                                           accuracy=(40, 1), responsiveness=(100, 1))
    n = rows[""]
    assert (n["offered"], n["service_level"], n["fcr"], n["csat"]) == (1, 0.0, None, None)
    assert n["evaluations"] == 1 and n["qa_score"] == pytest.approx(2500 / 33)
    assert "empathy" not in n["by_dimension"]
    assert j["total"]["offered"] == 5 and j["total"]["service_level"] == pytest.approx(0.4)
    assert dims(j["qa"]["by_dimension"]) == MONTH


def test_form_without_dimensions_has_none(server, admin):
    """A scorecard without dimensions: by_dimension is {} and the workbook has no
    dimension column."""
    slug = unique_slug("qdim0")
    admin.post("/v1/tenants", json={"slug": slug, "name": "No dims", "timezone": "UTC"})
    manager = Api(server, issue_token("manager", slug))
    plain = json.loads(json.dumps(FORM))
    for s in plain["sections"]:
        s.pop("dimension", None)
        for it in s["items"]:
            it.pop("dimension", None)
    assert manager.put(f"/v1/tenants/{slug}/qa/forms/svc", json=plain).status_code == 201
    r = manager.post(f"/v1/tenants/{slug}/qa/evaluations", data=body(EH, EVALS[:5]),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    j = metrics(manager, slug, "month")
    assert j["qa"]["by_dimension"] == {} and j["qa"]["evaluations"] == 1
    head = [c.value for c in build(manager, slug, "client-monthly")["Quality"][1]]
    assert not set(head) & set(DIM_LABELS) and head[0] == "Agent"


def test_bad_dimension_is_refused_naming_the_path(tenant):
    slug, manager, _ = tenant
    bad = json.loads(json.dumps(FORM))
    bad["version"] = 2
    bad["sections"][0]["items"][1]["dimension"] = "on time!"
    bad["sections"][1]["dimension"] = "x" * 33
    r = manager.put(f"/v1/tenants/{slug}/qa/forms/svc", json=bad)
    assert_json_error(r, 400, "invalid")
    paths = [e["path"] for e in r.json()["error"]["details"]["errors"]]
    assert paths == ["sections[0].items[1].dimension", "sections[1].dimension"]
    assert "letters, digits" in r.json()["error"]["message"]


def test_bad_reason_is_refused_naming_line_and_field(tenant):
    slug, _, ingest = tenant
    rows = [contact("r1", 13, 0, 5, "a1", "", "", "x" * 65),
            contact("r2", 13, 10, 5, "a1", "", "", "bill\x01ing"),
            contact("r3", 13, 20, 5, "a1", "", "", "bill\u202eing")]
    r = ingest.post(f"/v1/tenants/{slug}/cdrs", data=body(H, rows),
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 422, r.text
    errs = r.json()["errors"]
    assert [(e["line"], e["field"]) for e in errs] == [(2, "reason"), (3, "reason"), (4, "reason")]
    assert "longer than 64 bytes" in errs[0]["message"]
    assert "control character" in errs[1]["message"]
    assert "U+202E" in errs[2]["message"]
    nd = json.dumps({"call_id": "r4", "queue": "q", "offered_at": "2026-03-05T13:30:00Z",
                     "ended_at": "2026-03-05T13:31:00Z", "reason": "tab\there"}) + "\n"
    r = ingest.post(f"/v1/tenants/{slug}/cdrs", data=nd.encode(),
                    headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason", r.text


def build(manager, slug, template):
    """Builds the month's report (test_staffing's helper) and opens it with its values."""
    return openpyxl.load_workbook(build_path(manager, slug, template), data_only=True)


def table(ws):
    """The sheet's rows (header in row 1) as dicts by column label, the totals row included."""
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    return [dict(zip(rows[0], x)) for x in rows[1:] if any(v is not None for v in x)]


DIM_LABELS = ["accuracy", "empathy", "reliability", "responsiveness"]


def dim_cells(row):
    return [row[k] for k in DIM_LABELS]


def test_internal_workbook_cases_and_agents(tenant):
    """Cases ranked by offered (billing 3, then the ties (none) and tech support by name),
    with SL, abandonment, FCR, CSAT, QA and a column per dimension (sorted by name, each
    with a hidden count); Agents gets the same dimension columns per agent."""
    slug, manager, _ = tenant
    book = build(manager, slug, "internal-monthly")
    names = book.sheetnames
    assert "Cases" in names and names.index("Cases") == names.index("Agents") + 1
    ws = book["Cases"]
    head = [c.value for c in ws[1]]
    assert head[:2] == ["Case type", "Offered"]
    assert [h for h in head if h in DIM_LABELS] == DIM_LABELS
    assert "empathy (n)" in head
    assert ws.column_dimensions[ws.cell(1, head.index("empathy (n)") + 1).column_letter].hidden
    rows = table(ws)
    assert [r["Case type"] for r in rows] == ["billing", "(none)", "tech support", "All contacts"]
    b, n, t = rows[0], rows[1], rows[2]
    assert (b["Offered"], b["Answered"], b["Evaluations"]) == (3, 2, 2)
    assert b["Service level"] == pytest.approx(1 / 3) and b["Abandon rate"] == pytest.approx(1 / 3)
    assert b["FCR"] == pytest.approx(0.5) and b["CSAT"] == pytest.approx(0.5)
    assert b["QA score"] == pytest.approx(900 / 22)
    assert dim_cells(b) == pytest.approx([90, 50, 50, 60])
    assert b["responsiveness (n)"] == 1 and b["empathy (n)"] == 2
    assert (n["Offered"], n["Service level"], n["FCR"], n["CSAT"]) == (1, 0, None, None)
    assert n["QA score"] == pytest.approx(2500 / 33)
    assert n["empathy"] is None and n["reliability"] == pytest.approx(100)
    assert (t["Offered"], t["Service level"], t["QA score"]) == (1, 1, pytest.approx(80))
    assert dim_cells(t) == pytest.approx([40, 100, 100, 100])
    ag = {r["Agent"]: r for r in table(book["Agents"])}
    assert dim_cells(ag["a1"]) == pytest.approx([220 / 3, 100, 100, 80])
    assert dim_cells(ag["a2"]) == pytest.approx([80, 0, 50, 80])


def test_client_workbook_quality_dimensions(tenant):
    """The client's Quality sheet: agents pseudonymised in id order (a1 = Agent 001), each
    with its dimension scores; no Cases sheet."""
    slug, manager, _ = tenant
    book = build(manager, slug, "client-monthly")
    assert "Cases" not in book.sheetnames
    q = {r["Agent"]: r for r in table(book["Quality"])}
    assert dim_cells(q["Agent 001"]) == pytest.approx([220 / 3, 100, 100, 80])
    assert dim_cells(q["Agent 002"]) == pytest.approx([80, 0, 50, 80])


def test_z_reason_survives_resend_and_correction(tenant):
    """Last (the file's order): re-sent contacts are unchanged, a corrected reason moves
    n1 from (none) to billing."""
    slug, manager, ingest = tenant
    r = ingest.post(f"/v1/tenants/{slug}/cdrs", data=body(H, CONTACTS),
                    headers={"Content-Type": "text/csv"})
    rec = r.json()
    assert (rec["inserted"], rec["updated"], rec["unchanged"]) == (0, 0, 5), rec
    fixed = CONTACTS[:4] + [contact("n1", 12, 0, 25, "a2", "", "", "billing")]
    rec = ingest.post(f"/v1/tenants/{slug}/cdrs", data=body(H, fixed),
                      headers={"Content-Type": "text/csv"}).json()
    assert (rec["updated"], rec["unchanged"]) == (1, 4), rec
    tid = sql(f"SELECT id FROM tenants WHERE slug = '{slug}'")[0][0]
    assert sql(f"SELECT reason FROM contacts WHERE tenant_id = {tid} AND call_id = 'n1'") == \
        [["billing"]]
    rows = {r["key"]: r for r in metrics(manager, slug, "reason")["rows"]}
    assert "" not in rows and rows["billing"]["offered"] == 4
    assert rows["billing"]["evaluations"] == 3
