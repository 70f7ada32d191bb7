"""QA data end to end: scorecard versions, evaluations scored by the server
(hand-worked expected scores), calibrations, appeals, inspectors, re-sends,
every bad input named by line and field, roles and tenancy."""
import json
import os

import pytest

from conftest import Api, assert_json_error, cli, issue_token, sql, unique_slug

# Form "std" version 1: section "open" (weight 1): greet (max 1), verify_id (max 1,
# critical); section "talk" (weight 2): empathy (max 5), accuracy (max 5), hold (max 1).
FORM = {"form_id": "std", "version": 1, "pass_mark": 80, "critical_zeroes": True,
        "sections": [
            {"id": "open", "name": "Opening", "weight": 1,
             "items": [{"id": "greet", "name": "Greeting", "max": 1},
                       {"id": "verify_id", "name": "Verify identity", "max": 1, "critical": True}]},
            {"id": "talk", "name": "Conversation", "weight": 2,
             "items": [{"id": "empathy", "name": "Empathy", "max": 5},
                       {"id": "accuracy", "name": "Accuracy", "max": 5},
                       {"id": "hold", "name": "Hold etiquette", "max": 1}]}]}

EV_HEADER = "evaluation_id,call_id,agent_id,inspector_id,form_id,form_version,evaluated_at,item_id,result"


def ev_rows(eid, call, items, at="2026-10-05T12:00:00+08:00", insp="i1", version=1):
    return [f"{eid},{call},a1,{insp},std,{version},{at},{k},{v}" for k, v in items]


# E1: open = (1 + 1) / 2 = 1; talk = (4 + 3.5) / (5 + 5) = 0.75 (hold na drops out);
#     score = 100 x (1 x 1 + 2 x 0.75) / (1 + 2) = 100 x 2.5 / 3 = 83.333333...
E1 = ev_rows("E1", "c1", [("greet", "pass"), ("verify_id", "pass"), ("empathy", "4"),
                          ("accuracy", "3.5"), ("hold", "na")])
# E2: open = (0 + 1) / 2 = 0.5; talk = (5 + 5 + 0) / 11 = 10/11;
#     score = 100 x (0.5 + 2 x 10/11) / 3 = 100 x (51/22) / 3 = 100 x 17/22 = 77.272727...
#     not fatal (greet is not critical), defect (greet and hold failed).
E2 = ev_rows("E2", "c-later", [("greet", "fail"), ("verify_id", "pass"), ("empathy", "5"),
                               ("accuracy", "5"), ("hold", "fail")])
# E3: verify_id (critical) fails: fatal; critical_zeroes -> score 0; the raw score is
#     open = 1/2, talk = 10/10 -> 100 x (0.5 + 2) / 3 = 83.333333...
E3 = ev_rows("E3", "c1", [("greet", "pass"), ("verify_id", "fail"), ("empathy", "5"),
                          ("accuracy", "5")])


def csv(header, rows):
    return (header + "\n" + "\n".join(rows) + "\n").encode()


@pytest.fixture(scope="module")
def tenant(admin):
    slug = unique_slug("qa")
    assert admin.post("/v1/tenants", json={"slug": slug, "name": "QA",
                                           "timezone": "Asia/Shanghai"}).status_code == 201
    return slug


@pytest.fixture(scope="module")
def manager(server, tenant):
    api = Api(server, issue_token("manager", tenant))
    r = api.put(f"/v1/tenants/{tenant}/qa/forms/std", json=FORM)
    assert r.status_code == 201, r.text
    return api


@pytest.fixture(scope="module")
def ingest(server, tenant, manager):
    return Api(server, issue_token("ingest", tenant))


def post(api, tenant, kind, body, ctype="text/csv", mode=None):
    q = f"?mode={mode}" if mode else ""
    return api.post(f"/v1/tenants/{tenant}/qa/{kind}{q}", data=body,
                    headers={"Content-Type": ctype})


def tid(slug):
    return int(sql(f"SELECT id FROM tenants WHERE slug = '{slug}'")[0][0])


def evaluations(slug):
    rows = sql("SELECT evaluation_id, score, raw_score, fatal, defect "
               f"FROM evaluations WHERE tenant_id = {tid(slug)} ORDER BY evaluation_id")
    return {r[0]: [num(r[1]), num(r[2]), r[3], r[4]] for r in rows}


def num(text):
    """A DOUBLE from the database, to 6 decimals."""
    return None if text == "NULL" else round(float(text), 6)


def test_forms_versions_conflicts_and_refusals(manager, tenant):
    base = f"/v1/tenants/{tenant}/qa/forms"
    r = manager.put(f"{base}/std", json=FORM)
    assert r.status_code == 200 and r.json()["created"] is False, r.text
    changed = json.loads(json.dumps(FORM))
    changed["pass_mark"] = 70
    assert_json_error(manager.put(f"{base}/std", json=changed), 409, "conflict")
    changed["version"] = 2
    assert manager.put(f"{base}/std", json=changed).status_code == 201
    got = manager.get(f"{base}/std").json()
    assert [v["version"] for v in got["versions"]] == [1, 2]
    assert got["versions"][0]["form"]["pass_mark"] == 80
    assert manager.get(f"{base}/nothing").json() == {"form_id": "nothing", "versions": []}
    assert_json_error(manager.put(f"{base}/other", json=FORM), 400, "invalid")
    empty = json.loads(json.dumps(FORM))
    empty["version"] = 3
    empty["sections"][0]["items"] = []
    r = manager.put(f"{base}/std", json=empty)
    assert_json_error(r, 400, "invalid")
    assert "sections[0].items" in r.json()["error"]["message"]
    assert sql(f"SELECT COUNT(*) FROM qa_forms WHERE tenant_id = {tid(tenant)}") == [["2"]]


def test_evaluations_scored_reloaded_and_corrected(ingest, manager, tenant):
    # The contact c1 is known; c-later arrives after its evaluation.
    contact = ("call_id,queue,offered_at,answered_at,ended_at,agent_id\n"
               "{id},sales,2026-10-05T09:00:00+08:00,2026-10-05T09:00:10+08:00,"
               "2026-10-05T09:05:00+08:00,a1\n")
    assert ingest.post(f"/v1/tenants/{tenant}/cdrs", data=contact.format(id="c1").encode(),
                       headers={"Content-Type": "text/csv"}).status_code == 200
    r = post(ingest, tenant, "evaluations", csv(EV_HEADER, E1 + E2 + E3))
    assert r.status_code == 200, r.text
    rec = r.json()
    assert (rec["rows"], rec["inserted"], rec["updated"], rec["unchanged"], rec["rejected"]) == \
        (3, 3, 0, 0, 0)
    assert rec["unknown_contacts"] == 1 and rec["kind"] == "evaluations"
    assert evaluations(tenant) == {"E1": [83.333333, 83.333333, "0", "0"],
                                   "E2": [77.272727, 77.272727, "0", "1"],
                                   "E3": [0, 83.333333, "1", "1"]}
    t = tid(tenant)
    assert sql("SELECT item_id, result, earned, possible FROM evaluation_items WHERE "
               f"tenant_id = {t} AND evaluation_id = 'E1' ORDER BY item_id") == [
        ["accuracy", "3.5", "3.50", "5.00"], ["empathy", "4", "4.00", "5.00"],
        ["greet", "pass", "1.00", "1.00"], ["hold", "na", "0.00", "0.00"],
        ["verify_id", "pass", "1.00", "1.00"]]
    # 2026-10-05T12:00:00+08:00 = 2026-10-05T04:00:00Z = 1791172800 s
    assert sql(f"SELECT DISTINCT evaluated_us FROM evaluations WHERE tenant_id = {t}") == \
        [["1791172800000000"]]
    # Re-sent unchanged, then E1 corrected (empathy 4 -> 5: talk 8.5/10 = 0.85,
    # 100 x (1 + 1.7) / 3 = 90).
    rec = post(ingest, tenant, "evaluations", csv(EV_HEADER, E1 + E2 + E3)).json()
    assert (rec["inserted"], rec["updated"], rec["unchanged"]) == (0, 0, 3)
    fixed = [row.replace("empathy,4", "empathy,5") for row in E1]
    rec = post(ingest, tenant, "evaluations", csv(EV_HEADER, fixed + E2 + E3)).json()
    assert (rec["inserted"], rec["updated"], rec["unchanged"]) == (0, 1, 2)
    assert rec["updated_ids"] == ["E1"]
    assert evaluations(tenant)["E1"][0] == 90
    assert sql(f"SELECT result FROM evaluation_items WHERE tenant_id = {t} AND "
               "evaluation_id = 'E1' AND item_id = 'empathy'") == [["5"]]
    # The late contact links by a join at read time.
    assert sql("SELECT evaluation_id, contact_known FROM qa_evaluations_final WHERE "
               f"tenant_id = {t} ORDER BY evaluation_id") == [["E1", "1"], ["E2", "0"], ["E3", "1"]]
    assert ingest.post(f"/v1/tenants/{tenant}/cdrs", data=contact.format(id="c-later").encode(),
                       headers={"Content-Type": "text/csv"}).status_code == 200
    assert sql("SELECT contact_known FROM qa_evaluations_final WHERE "
               f"tenant_id = {t} AND evaluation_id = 'E2'") == [["1"]]
    audit = sql(f"SELECT action FROM audit_log WHERE tenant_id = {t} AND "
                "action = 'evaluations.ingest'")
    assert len(audit) == 3


def test_evaluations_json_with_supplied_total_and_cli(ingest, tenant):
    # J1 as E1: 83.333333...; the supplied 83.33 agrees (within 0.005).
    obj = {"evaluation_id": "J1", "call_id": "c1", "agent_id": "a2", "inspector_id": "i2",
           "form_id": "std", "form_version": 1, "evaluated_at": "2026-10-06T10:00:00Z",
           "items": {"greet": "pass", "verify_id": "pass", "empathy": 4, "accuracy": 3.5,
                     "hold": "na"}, "score": 83.33}
    r = post(ingest, tenant, "evaluations", json.dumps([obj]).encode(), "application/json")
    assert r.status_code == 200 and r.json()["inserted"] == 1, r.text
    assert evaluations(tenant)["J1"][:2] == [83.333333, 83.333333]
    nd = json.dumps(dict(obj, evaluation_id="J2", score=None)) + "\n"
    rec = post(ingest, tenant, "evaluations", nd.encode(), "application/x-ndjson").json()
    assert rec["inserted"] == 1, rec
    path = os.path.join(os.environ.get("SLATTEST_PATHS_VAR", "/tmp"), "cli-qa.csv")
    with open(path, "wb") as f:
        f.write(csv(EV_HEADER, [row.replace("E1,", "K1,") for row in E1]))
    out = cli("ingest", tenant, path, "--kind", "evaluations")
    assert json.loads(out.stdout)["inserted"] == 1
    assert evaluations(tenant)["K1"][0] == 83.333333


CAL_HEADER = ("session_id,call_id,inspector_id,is_reference,evaluated_at,item_id,result,"
              "form_id,form_version")


def cal_rows(session, insp, ref, items, call="c1"):
    return [f"{session},{call},{insp},{ref},2026-10-07T09:00:00Z,{k},{v},std,1" for k, v in items]


def test_calibrations_and_appeals(ingest, tenant):
    # S1: i1 (reference) scores as E1: 83.333333...; i2: all pass, empathy 5, accuracy 5:
    # open 1, talk 10/10 -> 100.
    s1 = (cal_rows("S1", "i1", 1, [("greet", "pass"), ("verify_id", "pass"), ("empathy", "4"),
                                   ("accuracy", "3.5")]) +
          cal_rows("S1", "i2", 0, [("greet", "pass"), ("verify_id", "pass"), ("empathy", "5"),
                                   ("accuracy", "5")]))
    r = post(ingest, tenant, "calibrations", csv(CAL_HEADER, s1))
    assert r.status_code == 200, r.text
    assert (r.json()["rows"], r.json()["inserted"]) == (1, 1)
    t = tid(tenant)
    got = sql(f"SELECT inspector_id, is_reference, score FROM calibrations WHERE tenant_id = {t} "
              "ORDER BY inspector_id")
    assert [[r[0], r[1], num(r[2])] for r in got] == [["i1", "1", 83.333333], ["i2", "0", 100]]
    assert post(ingest, tenant, "calibrations", csv(CAL_HEADER, s1)).json()["unchanged"] == 1
    # JSON: the session again with i2 dropped replaces it whole.
    sess = {"session_id": "S1", "call_id": "c1", "form_id": "std", "form_version": 1,
            "participants": [{"inspector_id": "i1", "is_reference": True,
                              "evaluated_at": "2026-10-07T09:00:00Z",
                              "items": {"greet": "pass", "verify_id": "pass", "empathy": 4,
                                        "accuracy": 3.5}}]}
    rec = post(ingest, tenant, "calibrations", json.dumps([sess]).encode(), "application/json").json()
    assert rec["updated"] == 1, rec
    assert sql(f"SELECT inspector_id FROM calibrations WHERE tenant_id = {t}") == [["i1"]]
    # Appeals: E2 overturned to 90 (the original 77.272727 stays), E3 upheld.
    ap = ("evaluation_id,appealed_at,decided_at,outcome,new_score\n"
          "E2,2026-10-08T09:00:00Z,2026-10-09T09:00:00Z,overturned,90\n"
          "E3,2026-10-08T09:00:00Z,2026-10-08T09:00:00Z,upheld,\n").encode()
    rec = post(ingest, tenant, "appeals", ap).json()
    assert (rec["inserted"], rec["rejected"]) == (2, 0), rec
    assert post(ingest, tenant, "appeals", ap).json()["unchanged"] == 2
    got = sql("SELECT evaluation_id, original_score, final_score, appeal_outcome FROM "
              f"qa_evaluations_final WHERE tenant_id = {t} AND evaluation_id IN ('E2', 'E3') "
              "ORDER BY 1")
    assert [[r[0], num(r[1]), num(r[2]), r[3]] for r in got] == [
        ["E2", 77.272727, 90, "overturned"], ["E3", 0, 0, "upheld"]]
    out = cli("ingest", tenant, "/dev/stdin", "--kind", "appeals", input=ap.decode())
    assert json.loads(out.stdout)["unchanged"] == 2


def test_inspectors_by_month(manager, tenant):
    url = f"/v1/tenants/{tenant}/qa/inspectors"
    body = {"month": "2026-10", "inspectors": [
        {"inspector_id": "i1", "name": "Li Wei", "monthly_quota": 120},
        {"inspector_id": "i2", "name": "Ana", "monthly_quota": 80}]}
    r = manager.put(url, json=body)
    assert r.status_code == 200 and r.json() == {"month": "2026-10", "inspectors": 2}, r.text
    body["inspectors"] = body["inspectors"][:1]
    assert manager.put(url, json=body).status_code == 200
    assert manager.put(url, json={"month": "2026-11", "inspectors": []}).status_code == 200
    t = tid(tenant)
    assert sql("SELECT effective_month, inspector_id, monthly_quota FROM inspectors WHERE "
               f"tenant_id = {t} ORDER BY 1, 2") == [["2026-10", "i1", "120"]]
    bad = {"month": "2026-10", "inspectors": [{"inspector_id": "i1", "name": "x",
                                                "monthly_quota": -1}]}
    assert_json_error(manager.put(url, json=bad), 400, "invalid")
    assert_json_error(manager.put(url, json={"month": "2026-13", "inspectors": []}), 400)
    r = manager.put(url, json={"inspectors": []})  # the current month
    assert r.status_code == 200 and len(r.json()["month"]) == 7
    assert sql(f"SELECT COUNT(*) FROM audit_log WHERE tenant_id = {t} AND "
               "action = 'qa.inspectors'") == [["4"]]


JS = "application/json"
BAD = [
    # (label, kind, content type, body, line, field, words in the message)
    ("item not in the form", "evaluations", "text/csv",
     csv(EV_HEADER, ev_rows("B1", "c1", [("greet", "pass"), ("smile", "pass")])),
     3, "item_id", ["smile", "not in form"]),
    ("result outside pass|fail|na|0..max", "evaluations", "text/csv",
     csv(EV_HEADER, ev_rows("B2", "c1", [("empathy", "6")])), 2, "result", ["outside"]),
    ("evaluation with no items (JSON)", "evaluations", JS,
     json.dumps([{"evaluation_id": "B3", "call_id": "c1", "agent_id": "a1", "inspector_id": "i1",
                  "form_id": "std", "form_version": 1, "evaluated_at": "2026-10-05T12:00:00Z",
                  "items": {}}]).encode(), 1, "items", ["no item"]),
    ("evaluation with no items (CSV)", "evaluations", "text/csv",
     csv(EV_HEADER, ["B4,c1,a1,i1,std,1,2026-10-05T12:00:00Z,,"]), 2, "item_id", ["no item"]),
    ("same evaluation twice with different items", "evaluations", "text/csv",
     csv(EV_HEADER, ev_rows("B5", "c1", [("greet", "pass")]) + ev_rows("B6", "c1", [("greet", "pass")]) +
         ev_rows("B5", "c1", [("greet", "fail")])), 2, "evaluation_id", ["lines 2, 4"]),
    ("unknown form version", "evaluations", "text/csv",
     csv(EV_HEADER, ev_rows("B7", "c1", [("greet", "pass")], version=9)), 2, "form_version",
     ["no version 9"]),
    ("supplied total disagrees", "evaluations", "text/csv",
     csv(EV_HEADER + ",score", [r + ",90" for r in E1]), 2, "score", ["90", "83.333333"]),
    ("calibration session without any participant", "calibrations", JS,
     json.dumps([{"session_id": "S9", "call_id": "c1", "form_id": "std", "form_version": 1,
                  "participants": []}]).encode(), 1, "participants", ["at least one participant"]),
    ("reference marked twice in one session", "calibrations", "text/csv",
     csv(CAL_HEADER, cal_rows("S8", "i1", 1, [("greet", "pass")]) +
         cal_rows("S8", "i2", 1, [("greet", "pass")])), 3, "is_reference", ["marked twice"]),
    ("appeal decided before it was made", "appeals", "text/csv",
     b"evaluation_id,appealed_at,decided_at,outcome,new_score\n"
     b"E1,2026-10-08T09:00:00Z,2026-10-07T09:00:00Z,upheld,\n", 2, "decided_at", ["before"]),
    ("new_score outside 0-100", "appeals", "text/csv",
     b"evaluation_id,appealed_at,decided_at,outcome,new_score\n"
     b"E1,2026-10-08T09:00:00Z,2026-10-09T09:00:00Z,overturned,101\n", 2, "new_score", ["0..100"]),
    ("appeal of an unknown evaluation", "appeals", "text/csv",
     b"evaluation_id,appealed_at,decided_at,outcome,new_score\n"
     b"NOPE,2026-10-08T09:00:00Z,2026-10-09T09:00:00Z,upheld,\n", 2, "evaluation_id", ["NOPE"]),
]


@pytest.mark.parametrize("label,kind,ctype,body,line,field,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_line_and_field(ingest, tenant, label, kind, ctype, body, line,
                                                  field, words):
    t = tid(tenant)
    before = sql(f"SELECT COUNT(*) FROM evaluations WHERE tenant_id = {t} UNION ALL "
                 f"SELECT COUNT(*) FROM calibrations WHERE tenant_id = {t} UNION ALL "
                 f"SELECT COUNT(*) FROM appeals WHERE tenant_id = {t}")
    r = post(ingest, tenant, kind, body, ctype)
    assert r.status_code == 422, (label, r.status_code, r.text[:300])
    rec = r.json()
    assert not rec["committed"] and rec["rejected"] >= 1 and rec["inserted"] == 0, rec
    err = rec["errors"][0]
    assert (err["line"], err["field"]) == (line, field), (label, rec["errors"])
    for w in words:
        assert w in err["message"], (label, err)
    after = sql(f"SELECT COUNT(*) FROM evaluations WHERE tenant_id = {t} UNION ALL "
                f"SELECT COUNT(*) FROM calibrations WHERE tenant_id = {t} UNION ALL "
                f"SELECT COUNT(*) FROM appeals WHERE tenant_id = {t}")
    assert after == before
    assert sql(f"SELECT status, kind FROM ingest_batches WHERE tenant_id = {t} AND "
               f"id = {rec['batch_id']}") == [["rejected", kind]]


def test_lenient_keeps_good_evaluations(ingest, tenant):
    rows = ev_rows("L1", "c1", [("greet", "pass")]) + ev_rows("L2", "c1", [("smile", "pass")])
    r = post(ingest, tenant, "evaluations", csv(EV_HEADER, rows), mode="lenient")
    rec = r.json()
    assert r.status_code == 200 and (rec["inserted"], rec["rejected"]) == (1, 1), rec
    # L1: only greet given (pass): open 1/1, talk has no scored item and drops out -> 100.
    assert evaluations(tenant)["L1"][0] == 100


def test_roles_and_tenancy(server, admin, tenant, manager):
    paths = [("post", f"/v1/tenants/{tenant}/qa/evaluations"),
             ("post", f"/v1/tenants/{tenant}/qa/calibrations"),
             ("post", f"/v1/tenants/{tenant}/qa/appeals"),
             ("put", f"/v1/tenants/{tenant}/qa/forms/std"),
             ("get", f"/v1/tenants/{tenant}/qa/forms/std"),
             ("put", f"/v1/tenants/{tenant}/qa/inspectors")]
    other = unique_slug("qaother")
    admin.post("/v1/tenants", json={"slug": other, "name": "O", "timezone": "UTC"})
    for role in ("client", "auditor"):
        api = Api(server, issue_token(role, tenant))
        for method, path in paths:
            kw = {} if method == "get" else {"data": b"x", "headers": {"Content-Type": "text/csv"}}
            assert_json_error(getattr(api, method)(path, **kw), 404)
    # A manager of this tenant gets 404 on the other tenant's routes; the other's own does not.
    mine, theirs = manager, Api(server, issue_token("manager", other))
    for method, path in paths:
        path = path.replace(tenant, other)
        kw = {} if method == "get" else {"json": {}}
        assert_json_error(getattr(mine, method)(path, **kw), 404)
        assert getattr(theirs, method)(path, **kw).status_code != 404
    ing = Api(server, issue_token("ingest", tenant))
    assert_json_error(ing.put(f"/v1/tenants/{tenant}/qa/forms/std", json=FORM), 404)
    assert_json_error(post(ing, tenant, "evaluations", b"x", "text/plain"), 415)


def test_records_repeated_within_one_batch(ingest, tenant):
    """Every kind resolves its repeats the same way (server/ingest/batch.c batch_dedupe)."""
    # A session sent twice in one batch, identically (another session between the two copies,
    # since consecutive rows of one session_id form one session): kept once, the repeat unchanged.
    s9 = cal_rows("S9", "i1", 1, [("greet", "pass")]) + cal_rows("S9", "i2", 0, [("greet", "fail")])
    s10 = cal_rows("S10", "i1", 1, [("greet", "pass")])
    rec = post(ingest, tenant, "calibrations", csv(CAL_HEADER, s9 + s10 + s9)).json()
    assert (rec["rows"], rec["inserted"], rec["unchanged"], rec["rejected"]) == (3, 2, 1, 0), rec
    # The same appeal twice with different outcomes: refused on both lines (2 and 3).
    ap = ("evaluation_id,appealed_at,decided_at,outcome,new_score\n"
          "E1,2026-10-08T09:00:00Z,2026-10-09T09:00:00Z,overturned,95\n"
          "E1,2026-10-08T09:00:00Z,2026-10-09T09:00:00Z,upheld,\n").encode()
    r = post(ingest, tenant, "appeals", ap)
    assert r.status_code == 422
    errs = r.json()["errors"]
    assert [(e["line"], e["field"]) for e in errs] == [(2, "evaluation_id"), (3, "evaluation_id")]
    assert "lines 2, 3" in errs[0]["message"]
