"""Inputs a new user gets right the first time (issue 12): errors that name every
fault and the valid names, dry runs that keep nothing, receipts that say which
months their records fall in and warn about unlisted inspectors, Asterisk's own
waits, damaged queue logs, numbers written as people wrote them, and roles that
say what they cannot do.  Expected values are worked out by hand in comments."""
import json
import os
import tempfile

import pytest

from conftest import Api, assert_json_error, cli, issue_token, sql, unique_slug

ZONE = "Asia/Shanghai"  # UTC+8, no daylight saving

CONTRACT = {
    "effective_from": "2026-10-01", "timezone": ZONE, "monthly_fee": 1000, "currency": "CNY",
    "credit_cap_pct": 10, "sl_threshold_s": 20,
    "items": [{"metric": "service_level", "comparator": ">=", "target": 0.8, "credit_pct": 3}],
}

FORM = {"form_id": "f1", "version": 1, "pass_mark": 80,
        "sections": [{"id": "s1", "name": "Opening",
                      "items": [{"id": "greet", "name": "Greeting", "max": 1}]}]}

CONTACT_COLUMNS = ["call_id", "queue", "offered_at", "answered_at", "ended_at", "outcome",
                   "agent_id", "talk_s", "hold_s", "acw_s", "channel", "customer_id",
                   "transferred", "resolved", "csat", "reason"]


@pytest.fixture(scope="module")
def tenant(admin):
    slug = unique_slug("inp")
    r = admin.post("/v1/tenants", json={"slug": slug, "name": "Inputs", "timezone": ZONE})
    assert r.status_code == 201, r.text
    return slug


@pytest.fixture(scope="module")
def manager(server, tenant):
    return Api(server, issue_token("manager", tenant))


def tid(slug):
    return int(sql(f"SELECT id FROM tenants WHERE slug = '{slug}'")[0][0])


def counts(slug):
    """Rows of every table an ingest, contract or QA change writes, and the audit log."""
    t = tid(slug)
    tables = ["contacts", "contact_rollups", "ingest_batches", "qlog_open", "contracts",
              "rollup_segments", "qa_forms", "evaluations", "evaluation_items", "calibrations",
              "calibration_items", "appeals", "inspectors", "audit_log"]
    return {name: int(sql(f"SELECT COUNT(*) FROM {name} WHERE tenant_id = {t}")[0][0])
            for name in tables}


def upload(api, slug, body, ctype="text/csv", path="cdrs", query=""):
    return api.post(f"/v1/tenants/{slug}/{path}{query}", data=body,
                    headers={"Content-Type": ctype})


# ---------------------------------------------------------------- errors that teach

def test_three_missing_columns_are_named_in_one_response(manager, tenant):
    r = upload(manager, tenant, b"call_id,agent_id\nc1,a1\n")
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["queue", "offered_at", "ended_at"]
    for e in errors:
        assert e["line"] == 1
        assert f'required column "{e["field"]}" is missing' in e["message"]
        assert e["valid"] == ["call_id", "queue", "offered_at", "ended_at"]


def test_unknown_column_and_key_list_the_known_names(manager, tenant):
    r = upload(manager, tenant, b"callid,queue,offered_at,ended_at\n")
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    # The misspelt column and the required column it stands for, in one answer.
    assert [e["field"] for e in errors] == ["callid", "call_id"]
    assert errors[0]["valid"] == CONTACT_COLUMNS
    assert "known columns: call_id, queue, offered_at" in errors[0]["message"]
    body = json.dumps([{"call_id": "k1", "queue": "q", "offered_at": "2026-10-05T09:00:00+08:00",
                        "ended_at": "2026-10-05T09:01:00+08:00", "Outcome": "abandoned"}])
    r = upload(manager, tenant, body.encode(), "application/json", query="?dry_run=true")
    assert r.status_code == 422, r.text
    err = r.json()["errors"][0]
    assert (err["line"], err["field"], err["valid"]) == (1, "Outcome", CONTACT_COLUMNS)
    # A wrong value of a fixed set names the set.
    r = upload(manager, tenant, b"call_id,queue,offered_at,ended_at,outcome\n"
               b"k2,q,2026-10-05T09:00:00+08:00,2026-10-05T09:01:00+08:00,hung_up\n",
               query="?dry_run=true")
    err = r.json()["errors"][0]
    assert (err["line"], err["field"], err["valid"]) == (2, "outcome",
                                                         ["answered", "abandoned", "overflow"])


def test_qa_header_names_every_fault(manager, tenant):
    r = upload(manager, tenant, b"evaluation_id,call,agent_id,inspector_id,form_id,evaluated_at,"
               b"item_id,result\n", path="qa/evaluations")
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["call", "call_id", "form_version"]
    assert "call_id" in errors[0]["valid"] and "known columns:" in errors[0]["message"]


def test_unknown_parameters_list_the_valid_values(manager, admin, tenant):
    r = manager.get(f"/v1/tenants/{tenant}/metrics?from=2026-10&by=week")
    assert_json_error(r, 400, "invalid")
    d = r.json()["error"]["details"]
    assert d == {"field": "by", "valid": ["month", "day", "interval", "queue", "agent", "reason",
                                          "inspector"]}
    assert "week" in r.json()["error"]["message"]
    # A value too long to be any grouping is refused too, not read as the default.
    r = manager.get(f"/v1/tenants/{tenant}/metrics?from=2026-10&by=interval_of_fifteen_minutes")
    assert_json_error(r, 400, "invalid")
    r = upload(manager, tenant, b"x", query="?mode=relaxed")
    assert_json_error(r, 400, "invalid")
    assert r.json()["error"]["details"]["valid"] == ["strict", "lenient"]
    r = upload(manager, tenant, b"x", query="?dry_run=maybe")
    assert_json_error(r, 400, "invalid")
    assert r.json()["error"]["details"]["valid"] == ["true", "false", "1", "0"]
    r = admin.post("/v1/tokens", json={"role": "wizard", "tenants": []})
    assert_json_error(r, 400, "invalid")
    assert r.json()["error"]["details"]["valid"] == ["admin", "manager", "ingest", "client",
                                                     "auditor"]
    r = manager.post(f"/v1/tenants/{tenant}/reports",
                     json={"period": "2026-10", "template": "client-montly"})
    assert_json_error(r, 400, "invalid")
    assert r.json()["error"]["details"]["valid"] == ["client-monthly", "internal-monthly",
                                                     "portfolio-monthly"]
    r = manager.put(f"/v1/tenants/{tenant}/qa/inspectors", json={"month": "2026-10", "list": []})
    assert_json_error(r, 400, "invalid")
    assert r.json()["error"]["details"]["valid"] == ["month", "inspectors"]


def test_a_contract_wrong_in_several_places_gets_every_fault(manager, tenant):
    bad = dict(CONTRACT, currency="yuan", colour="red",
               items=[{"metric": "servce_level", "comparator": ">=", "target": 0.8,
                       "credit_pct": 3},
                      {"metric": "abandon_rate", "comparator": "=<", "target": 0.05,
                       "credit_pct": 2}])
    r = manager.put(f"/v1/tenants/{tenant}/contract", json=bad)
    assert_json_error(r, 400, "invalid")
    err = r.json()["error"]
    paths = [e["path"] for e in err["details"]["errors"]]
    assert paths == ["colour", "currency", "items[0].metric", "items[1].comparator"]
    assert err["details"]["count"] == 4
    # The first fault stays the message, so clients reading only it keep working.
    assert err["message"].startswith("colour: unknown key (one of: effective_from, timezone")
    metric = err["details"]["errors"][2]
    assert "service_level" in metric["valid"] and "service_level" in metric["message"]
    # No items: refused, the path named.
    r = manager.put(f"/v1/tenants/{tenant}/contract", json=dict(CONTRACT, items=[]))
    assert_json_error(r, 400, "invalid")
    assert [e["path"] for e in r.json()["error"]["details"]["errors"]] == ["items"]
    assert r.json()["error"]["message"].startswith("items: a contract needs at least one item")


def test_a_scorecard_wrong_in_several_places_gets_every_fault(manager, tenant):
    bad = json.loads(json.dumps(FORM))
    bad["pass_mark"] = 180
    bad["sections"][0]["items"][0]["max"] = 0
    bad["sections"].append({"id": "s1", "name": "Again",
                            "items": [{"id": "greet", "name": "Greeting", "max": 1}]})
    r = manager.put(f"/v1/tenants/{tenant}/qa/forms/f1", json=bad)
    assert_json_error(r, 400, "invalid")
    err = r.json()["error"]
    assert [e["path"] for e in err["details"]["errors"]] == [
        "pass_mark", "sections[0].items[0].max", "sections[1].id", "sections[1].items[0].id"]
    assert err["message"] == "pass_mark: must be a number 0..100"


# ---------------------------------------------------------------- dry runs

ROWS = ("call_id,queue,offered_at,answered_at,ended_at,agent_id\n"
        # 23:50 and 23:59 local on 31 October, and 00:10 local on 1 November
        # (= 2026-10-31T16:10:00Z, still October in UTC): periods 2 + 1.
        "d1,sales,2026-10-31T23:50:00+08:00,2026-10-31T23:50:10+08:00,"
        "2026-10-31T23:55:00+08:00,a1\n"
        "d2,sales,2026-10-31T23:59:00+08:00,,2026-10-31T23:59:30+08:00,\n"
        "d3,sales,2026-11-01T00:10:00+08:00,2026-11-01T00:10:30+08:00,"
        "2026-11-01T00:15:00+08:00,a2\n")


def test_dry_run_commits_nothing_and_says_what_would_happen(manager, tenant):
    before = counts(tenant)
    r = upload(manager, tenant, ROWS.encode(), query="?dry_run=true")
    assert r.status_code == 200, r.text
    rec = r.json()
    assert (rec["dry_run"], rec["committed"], rec["would_commit"], rec["batch_id"]) == \
        (True, False, True, None)
    assert (rec["rows"], rec["inserted"], rec["updated"], rec["rejected"]) == (3, 3, 0, 0)
    assert rec["periods"] == {"2026-10": 2, "2026-11": 1}
    assert counts(tenant) == before, "a dry run keeps no row, batch or audit entry"
    # The real run gives the same receipt, committed.
    r = upload(manager, tenant, ROWS.encode())
    real = r.json()
    assert r.status_code == 200 and real["committed"] is True and real["dry_run"] is False
    assert "would_commit" not in real and isinstance(real["batch_id"], int)
    for k in ("rows", "inserted", "updated", "unchanged", "rejected", "periods", "sha256"):
        assert real[k] == rec[k], k
    after = counts(tenant)
    assert after["contacts"] == before["contacts"] + 3
    assert after["ingest_batches"] == before["ingest_batches"] + 1
    assert after["audit_log"] == before["audit_log"] + 1
    # A refused dry run (strict, one bad row) records no refusal either.
    bad = ROWS + "d4,sales,not-a-time,,2026-11-01T00:15:00+08:00,\n"
    r = upload(manager, tenant, bad.encode(), query="?dry_run=1")
    assert r.status_code == 422, r.text
    assert (r.json()["would_commit"], r.json()["rejected"]) == (False, 1)
    assert counts(tenant) == after


def test_dry_run_of_qa_uploads_and_puts(manager, tenant):
    base = f"/v1/tenants/{tenant}"
    before = counts(tenant)
    r = manager.put(f"{base}/qa/forms/f1?dry_run=true", json=FORM)
    assert r.status_code == 200 and r.json() == {"form_id": "f1", "version": 1, "created": False,
                                                 "dry_run": True}, r.text
    r = manager.put(f"{base}/qa/inspectors?dry_run=true",
                    json={"month": "2026-10", "inspectors": [
                        {"inspector_id": "i1", "name": "Ida", "monthly_quota": 10}]})
    assert r.status_code == 200 and r.json() == {"month": "2026-10", "inspectors": 1,
                                                 "dry_run": True}, r.text
    r = manager.put(f"{base}/contract?dry_run=true", json=CONTRACT)
    assert r.status_code == 200, r.text
    assert r.json()["dry_run"] is True and r.json()["version"] == 1
    assert r.json()["contract"]["items"][0]["target"] == 0.8
    assert counts(tenant) == before, "dry PUTs keep nothing"
    # Now for real, then QA uploads dry.
    assert manager.put(f"{base}/qa/forms/f1", json=FORM).status_code == 201
    ev = ("evaluation_id,call_id,agent_id,inspector_id,form_id,form_version,evaluated_at,"
          "item_id,result\nE1,d1,a1,i1,f1,1,2026-10-31T23:58:00+08:00,greet,pass\n")
    cal = ("session_id,call_id,inspector_id,is_reference,evaluated_at,item_id,result,form_id,"
           "form_version\nS1,d1,i1,1,2026-10-20T10:00:00+08:00,greet,pass,f1,1\n"
           "S1,d1,i2,0,2026-10-20T11:00:00+08:00,greet,fail,f1,1\n")
    mid = counts(tenant)
    for kind, body in (("evaluations", ev), ("calibrations", cal)):
        r = upload(manager, tenant, body.encode(), path=f"qa/{kind}", query="?dry_run=true")
        assert r.status_code == 200, r.text
        assert (r.json()["dry_run"], r.json()["would_commit"], r.json()["inserted"]) == \
            (True, True, 1)
    assert counts(tenant) == mid
    assert upload(manager, tenant, ev.encode(), path="qa/evaluations").status_code == 200
    appeal = ("evaluation_id,appealed_at,decided_at,outcome,new_score\n"
              "E1,2026-11-02T10:00:00+08:00,2026-11-03T10:00:00+08:00,upheld,\n")
    mid = counts(tenant)
    r = upload(manager, tenant, appeal.encode(), path="qa/appeals", query="?dry_run=true")
    assert r.status_code == 200, r.text
    # An appeal counts in the month of the evaluation it changes (31 October local).
    assert r.json()["periods"] == {"2026-10": 1} and r.json()["inserted"] == 1
    assert counts(tenant) == mid


def test_cli_dry_runs(manager, tenant):
    before = counts(tenant)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "rows.csv")
        with open(path, "w") as f:
            f.write(ROWS.replace("d1,", "e1,").replace("d2,", "e2,").replace("d3,", "e3,"))
        out = cli("ingest", tenant, path, "--dry-run")
        rec = json.loads(out.stdout)
        assert (rec["dry_run"], rec["would_commit"], rec["inserted"]) == (True, True, 3)
        cpath = os.path.join(d, "contract.json")
        with open(cpath, "w") as f:
            json.dump(dict(CONTRACT, effective_from="2026-12-01"), f)
        out = cli("contract", tenant, cpath, "--dry-run")
        assert "would be stored" in out.stdout and "nothing was stored" in out.stdout
        with open(cpath, "w") as f:
            json.dump(dict(CONTRACT, currency="yuan", items=[]), f)
        out = cli("contract", tenant, cpath, "--dry-run", check=False)
        assert out.returncode == 1
        assert "currency:" in out.stderr and "items: a contract needs" in out.stderr
    assert counts(tenant) == before


# ---------------------------------------------------------------- receipts that warn

def test_evaluations_by_unlisted_inspectors_are_kept_with_a_warning(manager, tenant):
    base = f"/v1/tenants/{tenant}"
    r = manager.put(f"{base}/qa/forms/f1", json=FORM)
    assert r.status_code in (200, 201), r.text
    r = manager.put(f"{base}/qa/inspectors", json={"month": "2026-10", "inspectors": [
        {"inspector_id": "i1", "name": "Ida", "monthly_quota": 10}]})
    assert r.status_code == 200, r.text
    # W1, W2 by i1 (listed) in October; W3 by i9 (not listed) in October; W4 by i9 on
    # 1 November local (the October list is still in force: the latest <= 2026-11).
    body = ("evaluation_id,call_id,agent_id,inspector_id,form_id,form_version,evaluated_at,"
            "item_id,result\n"
            "W1,d1,a1,i1,f1,1,2026-10-10T10:00:00+08:00,greet,pass\n"
            "W2,d1,a1,i1,f1,1,2026-10-11T10:00:00+08:00,greet,fail\n"
            "W3,d1,a1,i9,f1,1,2026-10-12T10:00:00+08:00,greet,pass\n"
            "W4,d3,a2,i9,f1,1,2026-11-01T00:30:00+08:00,greet,pass\n")
    r = upload(manager, tenant, body.encode(), path="qa/evaluations")
    assert r.status_code == 200, r.text
    rec = r.json()
    assert rec["committed"] is True and rec["inserted"] == 4
    assert rec["periods"] == {"2026-10": 3, "2026-11": 1}
    w = rec["warnings"]
    assert [(x["code"], x["inspector_id"], x["month"], x["records"], x["line"]) for x in w] == [
        ("inspector_not_listed", "i9", "2026-10", 1, 4),
        ("inspector_not_listed", "i9", "2026-11", 1, 5)]
    assert "i9" in w[0]["message"] and "qa/inspectors" in w[0]["message"]
    # Listed, the warning goes.
    r = manager.put(f"{base}/qa/inspectors", json={"month": "2026-10", "inspectors": [
        {"inspector_id": "i1", "name": "Ida", "monthly_quota": 10},
        {"inspector_id": "i9", "name": "Ivo", "monthly_quota": 5}]})
    r = upload(manager, tenant, body.encode(), path="qa/evaluations")
    assert r.status_code == 200 and r.json()["warnings"] == [], r.text


# ---------------------------------------------------------------- Asterisk's own waits

def test_queue_log_waits_are_the_ones_asterisk_logged(manager, tenant):
    # q1: ENTERQUEUE 1792000000, CONNECT line 21 s later but hold logged 20: answered at
    #     +20, wait 20 (within a 20 s threshold; the epochs would say 21, outside).
    # q2: ABANDON line 6 s after entering, wait logged 5: ended at +5, wait 5.
    log = ("1792000000|q1|support|NONE|ENTERQUEUE||5551|1\n"
           "1792000021|q1|support|SIP/1|CONNECT|20|q1.2|3\n"
           "1792000081|q1|support|SIP/1|COMPLETECALLER|20|60|1\n"
           "1792000100|q2|support|NONE|ENTERQUEUE||5552|1\n"
           "1792000106|q2|support|NONE|ABANDON|1|1|5\n")
    r = upload(manager, tenant, log.encode(), "text/x-asterisk-queue-log")
    assert r.status_code == 200, r.text
    rows = sql("SELECT call_id, wait_s, answered_us, ended_us FROM contacts WHERE tenant_id = "
               f"{tid(tenant)} AND call_id LIKE 'q_@support@%' ORDER BY call_id")
    assert rows == [["q1@support@1792000000", "20", "1792000020000000", "1792000081000000"],
                    ["q2@support@1792000100", "5", "NULL", "1792000105000000"]]


def test_a_damaged_queue_log_is_refused_naming_the_lines(manager, tenant):
    log = (b"1792001000|n1|support|NONE|ENTERQUEUE||5561|1\n"
           b"\0\0\0\0\0\0\0\01792001005|n1|support|SIP/1|CONNECT|5|n1.2|1\n"
           b"1792001100|n2|support|NONE|ENTERQUEUE||5562|1\n"
           b"1792001104|n2|support|NONE|ABANDON|1|1|4\n"
           b"\0\0\0\0")
    before = counts(tenant)
    r = upload(manager, tenant, log, "text/x-asterisk-queue-log")
    assert r.status_code == 422, r.text
    rec = r.json()
    assert rec["queue_log"]["damaged"] == 2 and rec["queue_log"]["damaged_lines"] == [2, 5]
    assert [e["line"] for e in rec["errors"]] == [2, 5]
    for e in rec["errors"]:
        assert "NUL bytes" in e["message"] and "lenient mode" in e["message"]
    assert counts(tenant)["contacts"] == before["contacts"]
    r = upload(manager, tenant, log, "text/x-asterisk-queue-log", query="?mode=lenient")
    assert r.status_code == 200, r.text
    assert (r.json()["inserted"], r.json()["rejected"]) == (1, 2)


# ---------------------------------------------------------------- numbers as people wrote them

def test_json_echoes_numbers_as_written(manager, tenant):
    doc = dict(CONTRACT, effective_from="2027-01-01",
               items=[{"metric": "service_level", "comparator": ">=", "target": 0.8,
                       "credit_pct": 3},
                      {"metric": "abandon_rate", "comparator": "<=", "target": 0.1,
                       "credit_pct": 2.5}])
    r = manager.put(f"/v1/tenants/{tenant}/contract", json=doc)
    assert r.status_code == 201, r.text
    assert '"target":0.8,' in r.text and "0.80000000000000004" not in r.text
    assert '"target":0.1,' in r.text and '"credit_pct":2.5' in r.text
    got = manager.get(f"/v1/tenants/{tenant}/contract").text
    assert "0.80000000000000004" not in got and '"target":0.8' in got
    stored = sql("SELECT body FROM contracts WHERE tenant_id = "
                 f"{tid(tenant)} ORDER BY version DESC LIMIT 1")[0][0]
    assert '"target":0.8' in stored


# ---------------------------------------------------------------- the reference keeps up

def test_every_error_code_in_the_source_is_in_docs_errors():
    """docs/errors.md documents every code the server can answer with: a new code
    without its entry fails here."""
    import glob
    import re
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    codes = set()
    pattern = re.compile(r'(?:api_error|conn_fail|httpd_respond_error)\([^,]+,\s*\d+,\s*"([a-z_]+)"')
    for path in glob.glob(os.path.join(root, "server", "*", "*.c")):
        with open(path) as f:
            codes.update(pattern.findall(f.read()))
    codes.add("method_not_allowed")  # built by the router with its Allow list
    assert {"invalid", "not_found", "forbidden", "unavailable"} <= codes, codes
    with open(os.path.join(root, "docs", "errors.md")) as f:
        doc = f.read()
    missing = sorted(c for c in codes if f"`{c}`" not in doc)
    assert not missing, f"error codes missing from docs/errors.md: {missing}"
