"""Contact ingestion end to end: every format, idempotent re-sends,
corrections that move the rollups, strict/lenient, bad input named by line
and field, and no partial batch after SIGKILL."""
import json
import os
import signal
import socket
import ssl
import subprocess
import time

import pytest

from conftest import (CA, FAST_LIMITS, Api, Server, assert_json_error, cli, issue_token, sql,
                      unique_slug)

HEADER = "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,talk_s,hold_s,acw_s,csat"
ROWS = [
    # answered 17 s after it was offered (09:14:03 -> 09:14:20, +08:00)
    "c1,sales,2026-10-05T09:14:03+08:00,2026-10-05T09:14:20+08:00,2026-10-05T09:20:00+08:00,answered,a1,300,10,30,5",
    # abandoned after 40 s
    "c2,sales,2026-10-05T09:15:00+08:00,,2026-10-05T09:15:40+08:00,abandoned,,,,,",
    # answered after 5.5 s: wait_s is rounded down to 5
    "c3,support,2026-10-05T10:00:00+08:00,2026-10-05T10:00:05.5+08:00,2026-10-05T10:03:00+08:00,,a2,150,0,20,",
]


def csv_body(rows=ROWS, header=HEADER):
    return (header + "\n" + "\n".join(rows) + "\n").encode()


@pytest.fixture(scope="module")
def tenant(admin):
    slug = unique_slug("ing")
    assert admin.post("/v1/tenants", json={"slug": slug, "name": "Ingest",
                                           "timezone": "Asia/Shanghai"}).status_code == 201
    return slug


@pytest.fixture(scope="module")
def ingest(server, tenant):
    return Api(server, issue_token("ingest", tenant))


def post(api, tenant, body, ctype="text/csv", mode=None):
    q = f"?mode={mode}" if mode else ""
    return api.post(f"/v1/tenants/{tenant}/cdrs{q}", data=body, headers={"Content-Type": ctype})


def tenant_id(slug):
    return int(sql(f"SELECT id FROM tenants WHERE slug = '{slug}'")[0][0])


def contacts(slug):
    rows = sql("SELECT call_id, queue, wait_s, outcome, talk_s, agent_id FROM contacts "
               f"WHERE tenant_id = {tenant_id(slug)} ORDER BY call_id")
    return {r[0]: r[1:] for r in rows}


def test_csv_ingest_reingest_and_correction(ingest, tenant):
    r = post(ingest, tenant, csv_body())
    assert r.status_code == 200, r.text
    rec = r.json()
    assert (rec["rows"], rec["inserted"], rec["updated"], rec["unchanged"], rec["rejected"]) == (3, 3, 0, 0, 0)
    assert rec["errors"] == [] and isinstance(rec["batch_id"], int)
    assert contacts(tenant) == {"c1": ["sales", "17", "1", "300", "a1"],
                                "c2": ["sales", "40", "2", "0", ""],
                                "c3": ["support", "5", "1", "150", "a2"]}
    # The same file again changes nothing.
    rec = post(ingest, tenant, csv_body()).json()
    assert (rec["inserted"], rec["updated"], rec["unchanged"]) == (0, 0, 3)
    # A corrected row (talk 300 -> 301) updates the contact and the rollups.
    fixed = [ROWS[0].replace("a1,300", "a1,301")] + ROWS[1:]
    rec = post(ingest, tenant, csv_body(fixed)).json()
    assert (rec["inserted"], rec["updated"], rec["unchanged"]) == (0, 1, 2)
    assert rec["updated_call_ids"] == ["c1"]
    assert contacts(tenant)["c1"][3] == "301"
    tid = tenant_id(tenant)
    # c1 was offered at 2026-10-05T01:14:03Z: its 15-minute UTC slot starts at 01:00:00Z
    # = 1791162000 s.  It holds only c1: answered, wait 17 <= 20 (default threshold), talk 301.
    assert sql("SELECT answered_n, answered_within_n, answered_wait_sum, talk_sum, abandoned_n "
               f"FROM contact_rollups WHERE tenant_id = {tid} AND slot_us = 1791162000000000 "
               "AND queue = 'sales'") == [["1", "1", "17", "301", "0"]]
    # c2 (01:15:00Z, slot 1791162900 s): abandoned after 40 s, not short (>= 5 s), not
    # within 20 s.
    assert sql("SELECT abandoned_n, abandoned_wait_sum, abandoned_within_n, short_abandoned_n "
               f"FROM contact_rollups WHERE tenant_id = {tid} AND slot_us = 1791162900000000 "
               "AND queue = 'sales'") == [["1", "40", "0", "0"]]
    assert "agree" in cli("check", "rollups", tenant).stdout
    audit = sql("SELECT action, detail FROM audit_log WHERE tenant_id = "
                f"{tid} AND action = 'cdrs.ingest' ORDER BY id")
    assert len(audit) == 3
    last = json.loads(audit[-1][1])
    assert last["updated"] == 1 and last["updated_call_ids"] == ["c1"]
    assert last["sha256"] == rec["sha256"] and len(rec["sha256"]) == 64


def test_json_ndjson_and_cli(ingest, tenant):
    objs = [{"call_id": "j1", "queue": "sales", "offered_at": "2026-10-06T08:00:00Z",
             "answered_at": "2026-10-06T08:00:30Z", "ended_at": "2026-10-06T08:05:00Z",
             "agent_id": "a9", "talk_s": 200, "csat": "4", "transferred": True},
            {"call_id": "j2", "queue": "sales", "offered_at": "2026-10-06T08:01:00Z",
             "ended_at": "2026-10-06T08:01:03Z", "outcome": "abandoned"}]
    rec = post(ingest, tenant, json.dumps(objs).encode(), "application/json").json()
    assert (rec["inserted"], rec["rejected"]) == (2, 0), rec
    nd = "\n".join(json.dumps(o) for o in objs).replace("j1", "n1").replace("j2", "n2")
    rec = post(ingest, tenant, nd.encode(), "application/x-ndjson").json()
    assert (rec["inserted"], rec["rejected"]) == (2, 0), rec
    rec = post(ingest, tenant, json.dumps(objs).encode(), "application/json").json()
    assert rec["unchanged"] == 2
    rec = post(ingest, tenant, nd.encode(), "application/x-ndjson").json()
    assert (rec["inserted"], rec["unchanged"]) == (0, 2)
    assert contacts(tenant)["j1"] == ["sales", "30", "1", "200", "a9"]
    path = os.path.join(os.environ.get("SLATTEST_PATHS_VAR", "/tmp"), "cli-ingest.csv")
    with open(path, "wb") as f:
        f.write(csv_body([ROWS[0].replace("c1,", "k1,")]))
    out = cli("ingest", tenant, path)
    assert json.loads(out.stdout)["inserted"] == 1


def test_queue_log_across_two_uploads(ingest, tenant):
    part1 = ("1791194400|1791194400.1|support|NONE|ENTERQUEUE||5551234|1\n"
             "1791194412|1791194400.1|support|SIP/200|CONNECT|12|1791194412.2|3\n"
             "1791194500|1791194500.7|support|NONE|ENTERQUEUE||5559999|1\n"
             "1791194510|NONE|support|SIP/201|PAUSE|\n")
    part2 = ("1791194530|1791194500.7|support|NONE|ABANDON|1|1|30\n"
             "1791194700|1791194400.1|support|SIP/200|COMPLETEAGENT|12|288|1\n")
    ct = "text/x-asterisk-queue-log"
    rec = post(ingest, tenant, part1.encode(), ct).json()
    assert rec["committed"] and rec["inserted"] == 0
    assert rec["queue_log"]["open"] == 2 and rec["queue_log"]["skipped"] == 1
    rec = post(ingest, tenant, part2.encode(), ct).json()
    assert rec["committed"] and rec["inserted"] == 2 and rec["queue_log"]["open"] == 0, rec
    got = contacts(tenant)
    # answered 12 s after entering, talked 288 s; abandoned after 30 s
    answered = [v for k, v in got.items() if k.startswith("1791194400.1@support")]
    abandoned = [v for k, v in got.items() if k.startswith("1791194500.7@support")]
    assert answered == [["support", "12", "1", "288", "SIP/200"]]
    assert abandoned == [["support", "30", "2", "0", ""]]
    # The whole log again, in one upload: the same contacts, all unchanged.
    rec = post(ingest, tenant, (part1 + part2).encode(), ct).json()
    assert (rec["inserted"], rec["updated"], rec["unchanged"]) == (0, 0, 2), rec
    assert rec["queue_log"]["open"] == 0


def test_strict_rejects_everything_lenient_keeps_good_rows(ingest, tenant):
    before = contacts(tenant)
    bad = ["s1,sales,2026-10-07T09:00:00+08:00,,2026-10-07T09:00:10+08:00,abandoned,,,,,",
           "s2,sales,2026-10-07T09:00:00+08:00,2026-10-07T08:59:00+08:00,2026-10-07T09:10:00+08:00,answered,a1,1,0,0,",
           "s3,sales,2026-10-07T09:00:00+08:00,,2026-10-07T09:00:10+08:00,abandoned,,,,,9"]
    r = post(ingest, tenant, csv_body(bad))
    assert r.status_code == 422
    rec = r.json()
    assert not rec["committed"] and rec["rejected"] == 2 and rec["inserted"] == 0
    assert [(e["line"], e["field"]) for e in rec["errors"]] == [(3, "answered_at"), (4, "csat")]
    assert "before offered_at" in rec["errors"][0]["message"]
    assert contacts(tenant) == before
    rec = post(ingest, tenant, csv_body(bad), mode="lenient").json()
    assert rec["committed"] and rec["inserted"] == 1 and rec["rejected"] == 2
    assert "s1" in contacts(tenant) and "s2" not in contacts(tenant)
    assert_json_error(post(ingest, tenant, csv_body(bad), mode="sloppy"), 400, "invalid")


def test_duplicate_call_ids_in_one_batch(ingest, tenant):
    a = "d1,sales,2026-10-08T09:00:00+08:00,,2026-10-08T09:00:10+08:00,abandoned,,,,,"
    b = "d1,sales,2026-10-08T09:00:00+08:00,,2026-10-08T09:00:20+08:00,abandoned,,,,,"
    r = post(ingest, tenant, csv_body([a, b]))
    assert r.status_code == 422
    assert sorted(e["line"] for e in r.json()["errors"]) == [2, 3]
    assert all(e["field"] == "call_id" for e in r.json()["errors"])
    rec = post(ingest, tenant, csv_body([a, a])).json()
    assert (rec["rows"], rec["inserted"], rec["unchanged"]) == (2, 1, 1)


BAD_BODIES = [
    # (label, body, line, field or None, status)
    ("invalid utf-8", HEADER + "\nu1,sal\xffes,2026-10-05T09:14:03+08:00,,2026-10-05T09:15:00+08:00,,,,,,\n", 2, "queue", 422),
    ("nul byte", HEADER + "\nu1,sa\x00les,2026-10-05T09:14:03+08:00,,2026-10-05T09:15:00+08:00,,,,,,\n", 2, "queue", 422),
    ("quote open at eof", HEADER + "\n\"u1,sales,2026-10-05T09:14:03+08:00,,2026-10-05T09:15:00+08:00,,,,,,\n", 2, None, 422),
    ("10,000 columns", ",".join(f"x_{i}" for i in range(10000)) + "\n", 1, None, 422),
    ("1 MB field", HEADER + ",x_note\nu1,sales,2026-10-05T09:14:03+08:00,,2026-10-05T09:15:00+08:00,,,,,,," + "n" * (1 << 20) + "\n", 2, None, 422),
    ("empty body", "", None, None, 422),
    ("duplicate headers", "call_id,queue,queue,offered_at,ended_at\n", 1, None, 422),
    ("unknown column", "call_id,queue,offered_at,ended_at,colour\n", 1, None, 422),
    ("1e3", HEADER + "\nu1,sales,2026-10-05T09:14:03+08:00,2026-10-05T09:14:04+08:00,2026-10-05T09:15:00+08:00,,a,1e3,,,\n", 2, "talk_s", 422),
    ("-0", HEADER + "\nu1,sales,2026-10-05T09:14:03+08:00,2026-10-05T09:14:04+08:00,2026-10-05T09:15:00+08:00,,a,-0,,,\n", 2, "talk_s", 422),
    ("+5", HEADER + "\nu1,sales,2026-10-05T09:14:03+08:00,2026-10-05T09:14:04+08:00,2026-10-05T09:15:00+08:00,,a,+5,,,\n", 2, "talk_s", 422),
    ("' 5 '", HEADER + "\nu1,sales,2026-10-05T09:14:03+08:00,2026-10-05T09:14:04+08:00,2026-10-05T09:15:00+08:00,,a, 5 ,,,\n", 2, "talk_s", 422),
    ("year 0", HEADER + "\nu1,sales,0000-10-05T09:14:03+08:00,,0000-10-05T09:15:00+08:00,,,,,,\n", 2, "offered_at", 422),
    ("year 9999", HEADER + "\nu1,sales,9999-10-05T09:14:03+08:00,,9999-10-05T09:15:00+08:00,,,,,,\n", 2, "offered_at", 422),
    ("cut off mid-row", HEADER + "\nu1,sales,2026-10-05T09:14:03+08:00,,2026-10-05T09:15:00+08:00,,,,,,\nu2,sales,2026-10", 3, None, 422),
    ("missing offset", HEADER + "\nu1,sales,2026-10-05T09:14:03,,2026-10-05T09:15:00+08:00,,,,,,\n", 2, "offered_at", 422),
    ("outcome contradicts answered_at", HEADER + "\nu1,sales,2026-10-05T09:14:03+08:00,2026-10-05T09:14:04+08:00,2026-10-05T09:15:00+08:00,abandoned,a,,,,\n", 2, "outcome", 422),
]


@pytest.mark.parametrize("label,body,line,field,status", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_input_is_refused_with_line_and_field(ingest, tenant, label, body, line, field, status):
    before = contacts(tenant)
    raw = body.encode("latin-1") if "\xff" in body else body.encode()
    r = post(ingest, tenant, raw)
    assert r.status_code == status, (label, r.status_code, r.text[:300])
    rec = r.json()
    assert not rec["committed"]
    assert rec["errors"], label
    if line is not None:
        assert rec["errors"][0]["line"] == line, (label, rec["errors"][0])
    if field is not None:
        assert rec["errors"][0]["field"] == field, (label, rec["errors"][0])
    assert contacts(tenant) == before


def test_accepted_quirks_crlf_bom_header_only(ingest, tenant):
    body = ("\ufeff" + HEADER + "\r\n" + ROWS[0].replace("c1,", "q1,") + "\n" +
            ROWS[1].replace("c2,", "q2,") + "\r\n").encode()
    rec = post(ingest, tenant, body).json()
    assert rec["committed"] and rec["inserted"] == 2, rec
    rec = post(ingest, tenant, (HEADER + "\n").encode()).json()
    assert rec["committed"] and rec["rows"] == 0


def test_wrong_content_type_is_415(ingest, tenant):
    assert_json_error(post(ingest, tenant, csv_body(), "text/plain"), 415, "unsupported_media_type")


def test_roles_for_ingest(server, admin, tenant):
    client = Api(server, issue_token("client", tenant))
    assert_json_error(post(client, tenant, csv_body()), 404)
    other = unique_slug("other")
    admin.post("/v1/tenants", json={"slug": other, "name": "O", "timezone": "UTC"})
    foreign = Api(server, issue_token("ingest", other))
    assert_json_error(post(foreign, tenant, csv_body()), 404)
    manager = Api(server, issue_token("manager", tenant))
    assert post(manager, tenant, csv_body()).status_code == 200


def test_sigkill_mid_batch_leaves_nothing(admin, tenant):
    """A batch streamed halfway when the server is killed leaves no contact,
    no batch row and no rollup behind."""
    slug = unique_slug("kill")
    admin.post("/v1/tenants", json={"slug": slug, "name": "K", "timezone": "UTC"})
    token = issue_token("ingest", slug)
    rows = [f"k{i},sales,2026-10-05T09:14:03+08:00,,2026-10-05T09:15:00+08:00,abandoned,,,,,"
            for i in range(30000)]
    body = csv_body(rows)
    s = Server()
    ctx = ssl.create_default_context(cafile=CA)
    head = (f"POST /v1/tenants/{slug}/cdrs HTTP/1.1\r\nHost: localhost\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", s.port), timeout=30) as sock:
        with ctx.wrap_socket(sock, server_hostname="localhost") as t:
            t.sendall(head + body[: len(body) * 2 // 3])
            time.sleep(1.5)  # the worker stages what arrived
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait(timeout=30)
    s.log.close()
    tid = tenant_id(slug)
    # The database is still up; the killed connection's transaction is rolled back.
    deadline = time.time() + 30
    while time.time() < deadline:
        if sql(f"SELECT COUNT(*) FROM contacts WHERE tenant_id = {tid}") == [["0"]]:
            break
        time.sleep(0.5)
    assert sql(f"SELECT COUNT(*) FROM contacts WHERE tenant_id = {tid}") == [["0"]]
    assert sql(f"SELECT COUNT(*) FROM contact_rollups WHERE tenant_id = {tid}") == [["0"]]
    assert sql(f"SELECT COUNT(*) FROM ingest_batches WHERE tenant_id = {tid}") == [["0"]]
    # And the same body, sent whole afterwards, is accepted in full.
    s2 = Server()
    try:
        r = Api(s2, token).post(f"/v1/tenants/{slug}/cdrs", data=body,
                                headers={"Content-Type": "text/csv"})
        assert r.status_code == 200 and r.json()["inserted"] == 30000, r.text[:300]
    finally:
        assert s2.stop() == 0
