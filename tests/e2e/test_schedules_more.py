"""Scheduled reports, the rest of issue 15: opt-out links (the page and the
one-click POST of RFC 8058), recipients who are portal people, stale
reports made again (reissue_stale) with a notice to the managers, and the
issue's "Done when" scenario in one test.

Instants are in 2027 or later, as in test_schedules.py (whose helpers this
module reuses).  Expected instants are worked by hand: New York falls back
on Sunday 2027-11-07 at 02:00 EDT, so Monday 2027-11-08 09:00 is EST =
14:00Z (13:00Z would be 09:00 EDT, the hour a scheduler ignoring the change
would pick)."""
import email
import email.policy
import io
import json
import os
import re
import subprocess
import urllib.parse
import uuid

import openpyxl
import requests

from conftest import BIN, CA, ROOT, VAR, Api, assert_json_error, cli, sql
from test_schedules import (FROM, LINK_BASE, SECRET, Smtp, check_signature, deliveries,
                            env_for, hooks, mails_to, put, run_due, runs, smtp, tenant)

assert hooks and smtp  # module fixtures of test_schedules, used here too

H = "call_id,queue,offered_at,answered_at,ended_at,agent_id,talk_s"


def ingest(manager, slug, rows):
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=(H + "\n" + "\n".join(rows) + "\n").encode(),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    return r.json()


def new_person(role, slug):
    addr = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    cli("user", "add", addr, "--role", role, "--password-stdin", "--tenant", slug,
        input="correct horse battery staple 42\n")
    return addr


def body_of(raw):
    return email.message_from_bytes(raw, policy=email.policy.default).get_content()


def test_optout_page_one_click_and_resubscribe(server, admin, smtp):
    slug, manager = tenant(server, admin, "UTC")
    assert put(manager, slug, day=2, first_period="2027-03",
               recipients=[{"email": "ops@client.example"},
                           {"email": "cfo@client.example"}]).status_code == 201
    env = env_for(smtp)
    run_due(slug, "2027-04-02T09:00:00Z", env)
    mails = {rcpts[0]: (raw, msg) for _, rcpts, raw, msg in mails_to(smtp, slug)}
    assert sorted(mails) == ["cfo@client.example", "ops@client.example"]
    raw, msg = mails["ops@client.example"]
    # The header carries the one-click URL (RFC 8058), the body the page.
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    post_url = re.fullmatch(r"<(.+)>", msg["List-Unsubscribe"]).group(1)
    assert post_url.startswith(LINK_BASE + "/v1/unsubscribe?token=u1.")
    page_url = re.search(r"(https://\S+/unsubscribe\?token=\S+)", body_of(raw)).group(1)
    assert page_url.startswith(LINK_BASE + "/unsubscribe?token=u1.")
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(post_url).query)["token"][0]
    assert page_url.endswith(token)
    cfo_body = body_of(mails["cfo@client.example"][0])
    cfo_token = re.search(r"/unsubscribe\?token=(\S+)", cfo_body).group(1)
    assert cfo_token != token  # per recipient

    # A changed token is refused (200 for a mail client, nothing recorded).
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    r = requests.post(f"{server.url}/v1/unsubscribe?token={forged}", verify=CA, timeout=30,
                      data="List-Unsubscribe=One-Click")
    assert r.status_code == 200 and r.json()["opted_out"] is False
    # The one-click POST, as a mail client makes it: no login, no cookie.
    r = requests.post(f"{server.url}/v1/unsubscribe?token={token}", verify=CA, timeout=30,
                      data="List-Unsubscribe=One-Click",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.text
    assert r.json() == {"opted_out": True, "tenant": slug, "schedule": "monthly",
                        "email": "ops@client.example", "already": False}

    # The page: GET asks to confirm, POST (form token of the cookie, like the login) records.
    s = requests.Session()
    s.verify = CA
    page = s.get(f"{server.url}/unsubscribe?token={cfo_token}", timeout=30, verify=CA)
    assert page.status_code == 200 and "cfo@client.example" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = s.post(f"{server.url}/unsubscribe", data={"token": cfo_token, "csrf": "x" * len(csrf)},
               headers={"Origin": server.url}, timeout=30, allow_redirects=False, verify=CA)
    assert r.status_code == 403  # a wrong form token
    r = s.post(f"{server.url}/unsubscribe", data={"token": cfo_token, "csrf": csrf},
               headers={"Origin": server.url}, timeout=30, allow_redirects=False, verify=CA)
    assert r.status_code == 200 and 'id="optout-message"' in r.text, r.text[:2000]
    assert s.get(f"{server.url}/unsubscribe?token=u1.00.11", timeout=30,
                 verify=CA).status_code == 404

    sched = manager.get(f"/v1/tenants/{slug}/schedules/monthly").json()
    assert sorted((o["email"], o["via"]) for o in sched["opted_out"]) == [
        ("cfo@client.example", "page"), ("ops@client.example", "one-click")]
    # The next month: both skipped, recorded so.
    before = len(mails_to(smtp, slug))
    run_due(slug, "2027-05-03T09:00:00Z", env)
    assert len(mails_to(smtp, slug)) == before
    may = [r for r in runs(manager, slug) if r["period"] == "2027-04"][0]
    assert sorted(s["to"] for s in may["skipped"]) == ["cfo@client.example", "ops@client.example"]
    assert all(s["reason"] == "skipped: opted out" for s in may["skipped"])
    assert may["status"] == "done"
    audit = sql("SELECT actor, action FROM audit_log WHERE tenant_id = "
                f"(SELECT id FROM tenants WHERE slug = '{slug}') AND action = 'schedule.optout'")
    assert sorted(a[0] for a in audit) == ["recipient:cfo@client.example",
                                           "recipient:ops@client.example"]
    # The manager adds one back.
    r = put(manager, slug, day=2, first_period="2027-03",
            recipients=[{"email": "ops@client.example", "resubscribe": True},
                        {"email": "cfo@client.example"}])
    assert r.status_code == 200, r.text
    assert [o["email"] for o in r.json()["opted_out"]] == ["cfo@client.example"]
    run_due(slug, "2027-06-02T09:00:00Z", env)
    assert [m[1][0] for m in mails_to(smtp, slug)][before:] == ["ops@client.example"]


def test_person_recipients(server, admin):
    slug, manager = tenant(server, admin, "UTC")
    other, _ = tenant(server, admin, "UTC")
    client = new_person("client", slug)
    stranger = new_person("client", other)
    auditor = new_person("auditor", slug)
    # A client of this tenant may get the client report, not the internal one.
    r = put(manager, slug, recipients=[{"person": client.upper()}])
    assert r.status_code == 201, r.text
    assert r.json()["recipients"] == [{"email": client, "lang": "en", "internal": False,
                                       "person": client}]
    r = put(manager, slug, templates=["internal-monthly"], recipients=[{"person": client}])
    assert_json_error(r, 400, "invalid")
    err = r.json()["error"]
    assert err["details"][0]["field"] == "recipients[0].person"
    assert "role client" in err["message"] and "internal-monthly" in err["message"]
    # Named by address, a portal person is still checked as that person.
    r = put(manager, slug, recipients=[{"email": stranger}])
    assert_json_error(r, 400, "invalid")
    assert r.json()["error"]["details"][0]["field"] == "recipients[0].email"
    assert "not granted this tenant" in r.json()["error"]["message"]
    r = put(manager, slug, recipients=[{"person": "nobody@nowhere.example"}])
    assert_json_error(r, 400, "invalid")
    assert "not a person of the portal" in r.json()["error"]["message"]
    r = put(manager, slug, recipients=[{"person": client, "email": client}])
    assert r.json()["error"]["details"][0]["field"] == "recipients[0]"
    # An auditor granted the tenant may get the internal report.
    r = put(manager, slug, templates=["internal-monthly"], recipients=[{"person": auditor}])
    assert r.status_code == 200, r.text
    assert r.json()["recipients"][0]["internal"] is True


def test_done_when(server, admin, hooks):
    """A schedule set in October (for October 2027) delivers on day 8 of
    November at 09:00 New York, after the clocks went back, to SMTP and a
    webhook, once with two instances, through an SMTP outage; a late batch
    marks the report stale, the manager is told, and version 2 goes out
    with its Changes sheet."""
    s = Smtp()  # down at first
    slug, manager = tenant(server, admin, "America/New_York")
    boss = new_person("manager", slug)
    first = ingest(manager, slug, [
        "c1,sales,2027-10-05T14:00:00Z,2027-10-05T14:00:10Z,2027-10-05T14:05:00Z,a1,290",
        "c2,sales,2027-10-06T14:00:00Z,2027-10-06T14:00:40Z,2027-10-06T14:05:00Z,a1,260"])
    r = put(manager, slug, day=8, time="09:00", first_period="2027-10",
            channels=["email", "webhook"], webhook={"url": hooks.url, "secret": SECRET},
            reissue_stale=True)
    assert r.status_code == 201, r.text
    assert r.json()["next_run"] == {"period": "2027-10", "due_at": "2027-11-08T14:00:00Z"}
    env = env_for(s)
    n_hooks = len(hooks.received)
    assert [e["event"] for e in run_due(slug, "2027-11-08T13:00:00Z", env)] == ["look"]

    # Two instances look at the same instant: one run.
    penv = dict(os.environ, SLATTEST_PATHS_VAR=VAR, **env)
    args = [BIN, "schedule", "run-due", "--now", "2027-11-08T14:00:00Z", "--tenant", slug]
    procs = [subprocess.Popen(args, cwd=ROOT, env=penv, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert sum(o[0].count('"event":"run"') for o in outs) == 1, outs
    run_due(slug, "2027-11-08T14:00:00Z", env)  # whichever lost returned early
    (run,) = runs(manager, slug)
    assert run["due_at"] == "2027-11-08T14:00:00Z" and run["late"] is False
    assert run["close"]["kind"] == "grace"
    v1 = run["reports"][0]["report_id"]
    (mail_d,) = [d for d in deliveries(manager, slug) if d["channel"] == "email"]
    assert mail_d["status"] == "pending" and "SMTP" in mail_d["last_error"]
    # The relay comes back: delivered once, on the retry.
    s.up()
    try:
        run_due(slug, "2027-11-08T14:01:00Z", env)
        run_due(slug, "2027-11-08T15:00:00Z", env)
        assert len(mails_to(s, slug)) == 1
        assert len(hooks.received) == n_hooks + 1
        check_signature(hooks.received[-1][1], hooks.received[-1][2])
        assert json.loads(hooks.received[-1][2])["version"] == 1
        (mail_d,) = [d for d in deliveries(manager, slug) if d["channel"] == "email"]
        assert mail_d["status"] == "sent" and [h["outcome"] for h in mail_d["history"]] == [
            "failed", "sent"]
        meta = manager.get(f"/v1/tenants/{slug}/reports/{v1}").json()
        assert meta["stale"] is False and meta["stale_batches"] == []

        # A late batch touches October: the report is stale, naming it.
        late = ingest(manager, slug, [
            "c3,sales,2027-10-20T14:00:00Z,,2027-10-20T14:02:00Z,,0"])
        meta = manager.get(f"/v1/tenants/{slug}/reports/{v1}").json()
        assert meta["stale"] is True
        assert [b["id"] for b in meta["stale_batches"]] == [late["batch_id"]]
        assert first["batch_id"] < late["batch_id"]
        listed = manager.get(f"/v1/tenants/{slug}/reports").json()["reports"]
        assert [x["stale"] for x in listed if x["id"] == v1] == [True]

        # The grace (6 h after the late batch, received now) has passed by
        # 2027: the next look makes version 2, sends it, and tells the manager.
        ev = run_due(slug, "2027-11-09T00:00:00Z", env)
        (again,) = [e for e in ev if e["event"] == "run"]
        assert again["reissue_of"] == late["batch_id"] and again["period"] == "2027-10"
        assert [e["status"] for e in ev if e["event"] == "run_end"] == ["done"]
        reissue = [r for r in runs(manager, slug) if r["reissue_of"]][0]
        v2 = reissue["reports"][0]["report_id"]
        meta2 = manager.get(f"/v1/tenants/{slug}/reports/{v2}").json()
        assert meta2["version"] == 2 and meta2["supersedes"] == v1 and meta2["stale"] is False
        assert manager.get(f"/v1/tenants/{slug}/reports/{v1}").json()["stale"] is False
        wb = manager.get(f"/v1/tenants/{slug}/reports/{v2}/workbook").content
        book = openpyxl.load_workbook(io.BytesIO(wb), data_only=True)
        assert "Changes" in book.sheetnames
        # The Cover says how the data counted as complete: the grace after the late batch.
        cover = {row[0].value: row[1].value for row in book["Cover"].iter_rows()}
        assert "by the schedule's grace" in cover["Data complete"]
        assert f"batch {late['batch_id']}" in cover["Data complete"], cover["Data complete"]
        listed_batches = [row[0].value for row in book["Changes - batches"].iter_rows(min_row=2)]
        assert late["batch_id"] in listed_batches

        to_client = [m for m in mails_to(s, slug) if m[1] == ["ops@client.example"]]
        assert len(to_client) == 2
        body2 = body_of(to_client[-1][2])
        assert "(version 2)" in body2 and "Changes sheet" in body2 and f"/reports/{v2}" in body2
        assert len(hooks.received) == n_hooks + 2
        assert json.loads(hooks.received[-1][2])["version"] == 2
        notices = [m for m in mails_to(s, slug) if m[1] == [boss]]
        assert len(notices) == 1
        assert notices[0][3]["Subject"].startswith("Report out of date:")
        assert str(late["batch_id"]) in body_of(notices[0][2])

        # Nothing more, however often a scheduler looks.
        ev = run_due(slug, "2027-11-10T00:00:00Z", env)
        assert [e["event"] for e in ev] == ["look"]
        assert len(mails_to(s, slug)) == 3 and len(hooks.received) == n_hooks + 2
    finally:
        s.down()
    assert FROM
