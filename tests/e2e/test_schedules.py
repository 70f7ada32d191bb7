"""Scheduled reports end to end (issue 15): the schedules API and its
refusals, runs driven with `slattest schedule run-due --now` at month ends
and across daylight-saving changes in America/New_York and Europe/Berlin,
e-mail to a real SMTP server on loopback (aiosmtpd) and a webhook receiver
on loopback that checks the signature, exactly once with two run-due
processes at once, catch-up after downtime, data close, retries through an
SMTP outage and a webhook answering 500, dead letters and pausing.

Every instant is in 2027 or later: the session's server runs its own
scheduler by the clock (December 2026 here), which must never find these
runs due.  Expected instants are worked by hand and checked with
`date -u -d`, e.g. Berlin springs forward on 2027-03-28 at 02:00 CET, so
02:30 does not exist and runs at 03:00 CEST = 01:00Z."""
import email
import email.policy
import importlib.util
import io
import json
import os
import re
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openpyxl
import pytest
from aiosmtpd.controller import Controller

from conftest import BIN, CA, ROOT, VAR, Api, Server, assert_json_error, cli, issue_token, sql, unique_slug
from test_metrics import CONTRACT

SECRET = "whsec-test-0123456789abcdef"
_spec = importlib.util.spec_from_file_location(
    "verify_webhook", os.path.join(ROOT, "docs", "examples", "verify_webhook.py"))
VERIFY = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(VERIFY)
FROM = "reports@outsourcer.example"
LINK_BASE = "https://reports.example"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: keeps every message as received (raw bytes)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.original_content))
        return "250 OK"


class Smtp:
    """An SMTP server on a fixed loopback port that can go down and come back."""

    def __init__(self):
        self.port = free_port()
        self.box = Mailbox()
        self.ctl = None

    def up(self):
        self.ctl = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self.ctl.start()

    def down(self):
        if self.ctl:
            self.ctl.stop()
            self.ctl = None


class Hooks:
    """A webhook receiver on loopback: answers the queued statuses, then 200."""

    def __init__(self):
        self.received = []
        self.answers = []
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.received.append((self.path, dict(self.headers), body))
                status = hooks.answers.pop(0) if hooks.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def check_signature(headers, body, secret=SECRET):
    """The receiver's check, as docs/examples/verify_webhook.py (loaded from the docs) does it."""
    assert VERIFY.verify(secret.encode(), headers["X-Slattest-Signature"], body), \
        "signature does not match"


@pytest.fixture(scope="module")
def smtp():
    s = Smtp()
    s.up()
    yield s
    s.down()


@pytest.fixture(scope="module")
def hooks():
    h = Hooks()
    yield h
    h.httpd.shutdown()


def env_for(smtp, **extra):
    e = {"SLATTEST_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
         "SLATTEST_SMTP_REQUIRE_TLS": "false", "SLATTEST_SMTP_FROM": FROM,
         "SLATTEST_SMTP_TIMEOUT_S": "5", "SLATTEST_WEBHOOK_TIMEOUT_S": "5",
         "SLATTEST_SERVER_PUBLIC_URL": LINK_BASE, "SLATTEST_SCHEDULES_RETRY_BASE_S": "60"}
    e.update({k: str(v) for k, v in extra.items()})
    return e


def run_due(slug, now, env, check=True):
    """One `schedule run-due` look; returns its events (JSON lines).

    The session's server builds queued reports too, so it may take a run's
    report from under the look ("taken by another worker"), or still be
    building one another look started; the look then cannot deliver it yet.
    As an operator would, wait for the tenant's builds to end and look again
    at the same instant, so each call sees the whole look."""
    events = []
    for _ in range(3):
        p = cli("schedule", "run-due", "--now", now, "--tenant", slug, env=env, check=check)
        got = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
        assert got and got[-1]["event"] == "look", p.stdout + p.stderr
        events += got
        if not building(slug):
            break
        events.pop()  # the look that could not finish; the next one ends the list
        wait_built(slug)
    return events


def building(slug):
    """The tenant's reports still queued or being built (by anyone)."""
    return sql("SELECT r.id FROM reports r JOIN tenants t ON t.id = r.tenant_id "
               f"WHERE t.slug = '{slug}' AND r.status IN ('queued', 'running')")


def wait_built(slug, timeout=120):
    """Waits until no report of the tenant is queued or being built."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not building(slug):
            return
        time.sleep(0.2)
    raise AssertionError(f"reports of {slug} still building after {timeout} s")


def tenant(server, admin, tz):
    slug = unique_slug("sch")
    r = admin.post("/v1/tenants", json={"slug": slug, "name": "Globex Assurance", "timezone": tz})
    assert r.status_code == 201, r.text
    manager = Api(server, issue_token("manager", slug))
    assert manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT).status_code == 201
    return slug, manager


def put(manager, slug, name="monthly", **spec):
    body = {"templates": ["client-monthly"], "day": 3, "business_days": False, "time": "09:00",
            "recipients": [{"email": "ops@client.example"}], "channels": ["email"],
            "enabled": True}
    body.update(spec)
    return manager.put(f"/v1/tenants/{slug}/schedules/{name}", json=body)


def runs(manager, slug, name="monthly"):
    r = manager.get(f"/v1/tenants/{slug}/schedules/{name}/runs")
    assert r.status_code == 200, r.text
    return r.json()["runs"]


def deliveries(manager, slug, name="monthly"):
    r = manager.get(f"/v1/tenants/{slug}/schedules/{name}/deliveries")
    assert r.status_code == 200, r.text
    return r.json()["deliveries"]


def mails_to(smtp, slug):
    """Messages whose body links to this tenant's reports."""
    out = []
    for sender, rcpts, raw in smtp.box.messages:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if f"/v1/tenants/{slug}/reports/" in msg.get_content():
            out.append((sender, rcpts, raw, msg))
    return out


def ca_fingerprint():
    out = subprocess.run(["openssl", "x509", "-in", CA, "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1].replace(":", "").lower()


# --- the API ---------------------------------------------------------------

def test_put_get_delete_and_refusals(server, admin):
    slug, manager = tenant(server, admin, "America/New_York")
    base = f"/v1/tenants/{slug}/schedules"
    bad = [
        ({"templates": ["client-yearly"]}, "templates[0]", "client-monthly, internal-monthly"),
        ({"time": "25:00"}, "time", "25:00"),
        ({"time": "9:00"}, "time", "HH:MM"),
        ({"day": 32}, "day", "1 to 31"),
        ({"day": 24, "business_days": True}, "day", "1 to 23"),
        ({"recipients": [{"email": "not-an-address"}]}, "recipients[0].email", "e-mail"),
        ({"recipients": [{"email": "a@b.example", "lang": "fr"}]}, "recipients[0].lang", "en, zh"),
        ({"templates": ["internal-monthly"]}, "recipients[0]", "may not see internal-monthly"),
        ({"templates": ["portfolio-monthly"]}, "templates[0]", "cannot be scheduled yet"),
        ({"channels": ["webhook"]}, "webhook", "url"),
        ({"channels": ["webhook"], "webhook": {"url": "https://h.example/x"}}, "webhook.secret",
         "required"),
        ({"channels": ["webhook"], "webhook": {"url": "http://h.example/x", "secret": SECRET}},
         "webhook.url", "https"),
        ({"channels": ["fax"]}, "channels", "email"),
        ({"colour": "blue"}, "colour", "unknown member"),
        ({"first_period": "2027-13"}, "first_period", "YYYY-MM"),
    ]
    for spec, field, words in bad:
        r = put(manager, slug, **spec)
        assert_json_error(r, 400, "invalid")
        err = r.json()["error"]
        assert err["details"][0]["field"] == field, (spec, err)
        assert err["message"].startswith(field + ":") and words in err["message"], (spec, err)
    assert_json_error(manager.put(f"{base}/Bad%20Name", json={}), 400, "invalid")

    spec = {"channels": ["email", "webhook"], "webhook": {"url": "https://h.example/x",
                                                          "secret": SECRET},
            "recipients": [{"email": "ops@client.example"},
                           {"email": "jing@client.example", "lang": "zh"}],
            "first_period": "2027-10"}
    r = put(manager, slug, **spec)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert SECRET not in r.text and doc["webhook"] == {"url": "https://h.example/x",
                                                       "secret_set": True}
    # October 2027's run: Wed 2027-11-03 09:00 EDT = 13:00Z
    assert doc["next_run"] == {"period": "2027-10", "due_at": "2027-11-03T13:00:00Z"}
    assert doc["recipients"][1] == {"email": "jing@client.example", "lang": "zh",
                                    "internal": False}
    # Replacing without the secret keeps it (it is never sent back to be resent).
    del spec["webhook"]["secret"]
    r = put(manager, slug, **spec)
    assert r.status_code == 200, r.text
    assert r.json()["webhook"]["secret_set"] is True
    assert SECRET not in manager.get(f"{base}/monthly").text
    assert SECRET not in manager.get(base).text
    stored = sql(f"SELECT webhook_secret FROM schedules s JOIN tenants t ON t.id = s.tenant_id "
                 f"WHERE t.slug = '{slug}'")
    assert stored == [[SECRET]]
    # Roles: a client sees nothing there; an auditor reads history only.
    client = Api(server, issue_token("client", slug))
    assert_json_error(client.get(f"{base}/monthly"), 404)
    auditor = Api(server, issue_token("auditor", slug))
    assert auditor.get(f"{base}/monthly/runs").status_code == 200
    assert_json_error(auditor.put(f"{base}/monthly", json={}), 404)
    audit = sql("SELECT action FROM audit_log WHERE object = 'schedule:monthly' AND tenant_id = "
                f"(SELECT id FROM tenants WHERE slug = '{slug}') ORDER BY id")
    assert [a[0] for a in audit] == ["schedule.create", "schedule.update"]
    assert manager.delete(f"{base}/monthly").status_code == 200
    assert_json_error(manager.get(f"{base}/monthly"), 404)
    assert_json_error(manager.delete(f"{base}/monthly"), 404)
    r = manager.post(f"/v1/tenants/{slug}/periods/2027-1/close")
    assert_json_error(r, 400, "invalid")


def test_serve_refuses_now():
    p = subprocess.run([BIN, "serve", "--now", "2027-01-01T00:00:00Z"], cwd=ROOT,
                       env=dict(os.environ, SLATTEST_PATHS_VAR=VAR), capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2 and "clock" in p.stderr


def test_metrics_families(server):
    text = Api(server).get("/metrics").text
    assert 'slattest_schedule_runs_total{outcome="done"}' in text
    assert 'slattest_deliveries_total{channel="email",outcome="dead"}' in text
    assert "slattest_schedule_runs_overdue " in text


# --- runs and deliveries -----------------------------------------------------

def test_month_end_email_and_webhook(server, admin, smtp, hooks):
    """Day 31 in September (30 days) at 09:00 New York (EDT): 2027-09-30T13:00Z,
    one e-mail per recipient in its language, one signed webhook, once."""
    slug, manager = tenant(server, admin, "America/New_York")
    r = put(manager, slug, day=31, first_period="2027-08", channels=["email", "webhook"],
            recipients=[{"email": "ops@client.example"},
                        {"email": "jing@client.example", "lang": "zh"}],
            webhook={"url": hooks.url, "secret": SECRET})
    assert r.status_code == 201, r.text
    assert r.json()["next_run"]["due_at"] == "2027-09-30T13:00:00Z"
    env = env_for(smtp)
    events = run_due(slug, "2027-09-30T12:59:59Z", env)
    assert [e for e in events if e["event"] == "run"] == []
    before = len(hooks.received)
    events = run_due(slug, "2027-09-30T09:00:00-04:00", env)
    started = [e for e in events if e["event"] == "run"]
    assert len(started) == 1 and started[0]["period"] == "2027-08"
    assert started[0]["due_at"] == "2027-09-30T13:00:00Z" and started[0]["late"] is False
    sent = [e for e in events if e["event"] == "delivery"]
    assert sorted((e["channel"], e["to"], e["status"]) for e in sent) == [
        ("email", "jing@client.example", "sent"), ("email", "ops@client.example", "sent"),
        ("webhook", hooks.url, "sent")]
    assert [e["status"] for e in events if e["event"] == "run_end"] == ["done"]

    (run,) = runs(manager, slug)
    assert run["status"] == "done" and run["close"]["kind"] == "grace"
    report_id = run["reports"][0]["report_id"]
    meta = manager.get(f"/v1/tenants/{slug}/reports/{report_id}").json()
    assert meta["status"] == "done" and meta["period"] == "2027-08"
    link = f"{LINK_BASE}/v1/tenants/{slug}/reports/{report_id}"

    mails = mails_to(smtp, slug)
    assert len(mails) == 2
    by_rcpt = {rcpts[0]: (sender, raw, msg) for sender, rcpts, raw, msg in mails}
    for rcpt, lang in (("ops@client.example", "en"), ("jing@client.example", "zh")):
        sender, raw, msg = by_rcpt[rcpt]
        assert sender == FROM
        assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF in the message"
        assert f"\r\nTo: <{rcpt}>\r\n".encode() in raw
        assert f"\r\nFrom: <{FROM}>\r\n".encode() in raw
        assert msg["Content-Language"] == lang and msg["Date"] and msg["Message-ID"]
        body = msg.get_content()
        assert link in body and meta["sha256"] in body and ca_fingerprint() in body
        if lang == "en":
            assert msg["Subject"] == "SLA report Globex Assurance 2027-08 (client-monthly)"
            assert "(version 1)" in body
        else:
            assert msg["Subject"] == "SLA 报告 Globex Assurance 2027-08（client-monthly）"
            assert "您好" in body and "第 1 版" in body
            assert raw.decode("ascii")  # headers and body are 7-bit (encoded words, base64)

    assert len(hooks.received) == before + 1
    path, headers, body = hooks.received[-1]
    check_signature(headers, body)
    with pytest.raises(AssertionError):
        check_signature(headers, body, secret="another-secret-entirely")
    doc = json.loads(body)
    assert doc["report_id"] == report_id and doc["tenant"] == slug
    assert doc["period"] == "2027-08" and doc["version"] == 1 and doc["sha256"] == meta["sha256"]
    assert doc["links"]["report"] == link and doc["links"]["workbook"] == link + "/workbook"

    # Looking again, even much later, starts nothing and sends nothing more.
    events = run_due(slug, "2027-10-01T00:00:00Z", env)
    assert [e["event"] for e in events] == ["look"]
    assert len(mails_to(smtp, slug)) == 2 and len(hooks.received) == before + 1
    audit = sql("SELECT action FROM audit_log WHERE tenant_id = "
                f"(SELECT id FROM tenants WHERE slug = '{slug}') AND action LIKE '%.%' "
                "AND (action LIKE 'schedule.%' OR action LIKE 'delivery.%') ORDER BY id")
    actions = [a[0] for a in audit]
    assert actions.count("schedule.run") == 1 and actions.count("delivery.attempt") == 3
    assert actions[-1] == "schedule.run.done"


def test_berlin_spring_forward(server, admin, smtp):
    """2027-03-28 02:30 does not exist in Berlin: the run is at 03:00 CEST = 01:00Z."""
    slug, manager = tenant(server, admin, "Europe/Berlin")
    assert put(manager, slug, day=28, time="02:30", first_period="2027-02").status_code == 201
    env = env_for(smtp)
    assert [e["event"] for e in run_due(slug, "2027-03-28T00:59:59Z", env)] == ["look"]
    events = run_due(slug, "2027-03-28T03:00:00+02:00", env)
    (run,) = [e for e in events if e["event"] == "run"]
    assert run["due_at"] == "2027-03-28T01:00:00Z" and run["late"] is False
    assert len(mails_to(smtp, slug)) == 1


def test_new_york_fall_back_runs_once(server, admin, smtp):
    """2027-11-07 01:30 happens twice in New York (EDT, then EST): it runs at
    the first, 05:30Z, and not again at the second, 06:30Z."""
    slug, manager = tenant(server, admin, "America/New_York")
    assert put(manager, slug, day=7, time="01:30", first_period="2027-10").status_code == 201
    env = env_for(smtp)
    assert [e["event"] for e in run_due(slug, "2027-11-07T05:29:59Z", env)] == ["look"]
    events = run_due(slug, "2027-11-07T01:30:00-04:00", env)
    (run,) = [e for e in events if e["event"] == "run"]
    assert run["due_at"] == "2027-11-07T05:30:00Z"
    assert [e["event"] for e in run_due(slug, "2027-11-07T01:30:00-05:00", env)] == ["look"]
    assert len(runs(manager, slug)) == 1 and len(mails_to(smtp, slug)) == 1


def test_berlin_business_day_and_february(server, admin, smtp):
    """The 1st business day of May 2027 (May 1 is a Saturday): Monday May 3,
    09:00 CEST = 07:00Z; day 30 in February 2028 (29 days): Feb 29 09:00 CET = 08:00Z."""
    slug, manager = tenant(server, admin, "Europe/Berlin")
    assert put(manager, slug, day=1, business_days=True, first_period="2027-04").status_code == 201
    assert put(manager, slug, name="feb", day=30, first_period="2028-01").status_code == 201
    env = env_for(smtp)
    events = run_due(slug, "2027-05-03T07:00:00Z", env)
    assert [(e["schedule"], e["period"], e["due_at"]) for e in events if e["event"] == "run"] == [
        ("monthly", "2027-04", "2027-05-03T07:00:00Z")]
    # Later looks catch up every month in order, one run each.
    events = run_due(slug, "2028-02-29T07:59:59Z", env)
    assert [e["period"] for e in events if e["event"] == "run" and e["schedule"] == "feb"] == []
    events = run_due(slug, "2028-02-29T08:00:00Z", env)
    feb = [e for e in events if e["event"] == "run" and e["schedule"] == "feb"]
    assert [(e["period"], e["due_at"]) for e in feb] == [("2028-01", "2028-02-29T08:00:00Z")]


def test_two_run_due_at_once(server, admin, smtp):
    slug, manager = tenant(server, admin, "UTC")
    assert put(manager, slug, day=5, first_period="2027-07").status_code == 201
    env = dict(os.environ, SLATTEST_PATHS_VAR=VAR, **env_for(smtp))
    args = [BIN, "schedule", "run-due", "--now", "2027-08-05T09:00:00Z", "--tenant", slug]
    procs = [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    started = sum(o[0].count('"event":"run"') for o in outs)
    assert started == 1, outs
    # Whichever lost may have returned before the report was built: a later look finishes.
    run_due(slug, "2027-08-05T09:01:00Z", env_for(smtp))
    # The session's server may still be building the report it took from both:
    # once it is built, a look at the same instant delivers it.
    (run,) = runs(manager, slug)
    wait_built([r["report_id"] for r in run["reports"]])
    run_due(slug, "2027-08-05T09:01:00Z", env_for(smtp))
    assert len(runs(manager, slug)) == 1
    (d,) = deliveries(manager, slug)
    assert d["status"] == "sent" and d["attempts"] == 1
    assert len(mails_to(smtp, slug)) == 1


def test_catch_up_after_downtime_is_late(server, admin, smtp):
    slug, manager = tenant(server, admin, "UTC")
    assert put(manager, slug, day=3, first_period="2027-05").status_code == 201
    events = run_due(slug, "2027-06-10T00:00:00Z", env_for(smtp))
    (run,) = [e for e in events if e["event"] == "run"]
    assert run["late"] is True and run["due_at"] == "2027-06-03T09:00:00Z"
    assert "every instance was down" in run["late_reason"]
    (stored,) = runs(manager, slug)
    assert stored["late"] is True and stored["late_reason"] == run["late_reason"]


def test_data_close_waits_for_grace_or_close(server, admin, smtp):
    """A batch touching December 2026 arrives now (December 2026): with a grace
    of 720 h the period closes 30 days later, after the run falls due on
    2027-01-04 09:00Z; the run waits, shows as overdue, and starts at once
    when the manager closes the period."""
    slug, manager = tenant(server, admin, "UTC")
    csv = ("call_id,queue,offered_at,answered_at,ended_at,agent_id,talk_s\n"
           "c1,sales,2026-12-01T10:00:00Z,2026-12-01T10:00:10Z,2026-12-01T10:05:00Z,a1,290\n")
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=csv.encode(),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert put(manager, slug, day=4, first_period="2026-12").status_code == 201
    env = env_for(smtp, SLATTEST_SCHEDULES_GRACE_H=720)
    events = run_due(slug, "2027-01-04T10:00:00Z", env)
    assert [e["event"] for e in events] == ["look"] and events[0]["overdue"] == 1
    r = manager.post(f"/v1/tenants/{slug}/periods/2026-12/close")
    assert r.status_code == 200 and r.json()["period"] == "2026-12", r.text
    events = run_due(slug, "2027-01-04T10:00:00Z", env)
    (run,) = [e for e in events if e["event"] == "run"]
    assert run["close"].startswith("closed by")
    (stored,) = runs(manager, slug)
    assert stored["close"]["kind"] == "explicit"
    # Its report's Cover says the manager closed the period.
    rid = stored["reports"][0]["report_id"]
    book = openpyxl.load_workbook(io.BytesIO(
        manager.get(f"/v1/tenants/{slug}/reports/{rid}/workbook").content), data_only=True)
    cover = {row[0].value: row[1].value for row in book["Cover"].iter_rows()}
    assert "by hand (closed by " in cover["Data complete"], cover["Data complete"]
    # Without a close, the grace after the batch decides.
    slug2, manager2 = tenant(server, admin, "UTC")
    assert manager2.post(f"/v1/tenants/{slug2}/cdrs", data=csv.encode(),
                         headers={"Content-Type": "text/csv"}).status_code == 200
    assert put(manager2, slug2, day=4, first_period="2026-12").status_code == 201
    env = env_for(smtp, SLATTEST_SCHEDULES_GRACE_H=6)
    (run,) = [e for e in run_due(slug2, "2027-01-04T09:00:00Z", env) if e["event"] == "run"]
    assert run["close"].startswith("grace of 6 h after batch")
    assert runs(manager2, slug2)[0]["close"]["kind"] == "grace"


def test_smtp_down_then_up_delivered_once(server, admin):
    """Attempts at T (fails), T+60 s (fails), then the server is up: sent at
    T+180 s, exactly one message, three attempts recorded."""
    s = Smtp()  # not started: connection refused
    slug, manager = tenant(server, admin, "UTC")
    assert put(manager, slug, day=2, first_period="2027-03").status_code == 201
    env = env_for(s)
    ev = run_due(slug, "2027-04-02T09:00:00Z", env)
    (d,) = [e for e in ev if e["event"] == "delivery"]
    assert d["status"] == "pending" and d["next_attempt_at"] == "2027-04-02T09:01:00Z"
    assert [e["event"] for e in run_due(slug, "2027-04-02T09:00:30Z", env)] == ["look"]
    ev = run_due(slug, "2027-04-02T09:01:00Z", env)
    (d,) = [e for e in ev if e["event"] == "delivery"]
    assert d["attempt"] == 2 and d["next_attempt_at"] == "2027-04-02T09:03:00Z"  # 2 x 60 s
    s.up()
    try:
        ev = run_due(slug, "2027-04-02T09:03:00Z", env)
        (d,) = [e for e in ev if e["event"] == "delivery"]
        assert d["status"] == "sent" and d["attempt"] == 3
        assert [e["status"] for e in ev if e["event"] == "run_end"] == ["done"]
        run_due(slug, "2027-04-03T00:00:00Z", env)
        assert len(mails_to(s, slug)) == 1
    finally:
        s.down()
    (d,) = deliveries(manager, slug)
    assert d["status"] == "sent" and [h["outcome"] for h in d["history"]] == [
        "failed", "failed", "sent"]
    assert "SMTP" in d["history"][0]["detail"]


def test_webhook_500_then_200(server, admin, smtp, hooks):
    slug, manager = tenant(server, admin, "UTC")
    assert put(manager, slug, day=2, first_period="2027-03", channels=["webhook"], recipients=[],
               webhook={"url": hooks.url, "secret": SECRET}).status_code == 201
    hooks.answers = [500]
    env = env_for(smtp)
    n = len(hooks.received)
    ev = run_due(slug, "2027-04-02T09:00:00Z", env)
    (d,) = [e for e in ev if e["event"] == "delivery"]
    assert d["status"] == "pending" and "500" in d["error"]
    ev = run_due(slug, "2027-04-02T09:01:00Z", env)
    (d,) = [e for e in ev if e["event"] == "delivery"]
    assert d["status"] == "sent" and d["attempt"] == 2
    assert len(hooks.received) == n + 2
    for _, headers, body in hooks.received[-2:]:
        check_signature(headers, body)


def test_dead_letter_pause_and_retry_by_hand(server, admin):
    s = Smtp()
    slug, manager = tenant(server, admin, "UTC")
    assert put(manager, slug, day=2, first_period="2027-03").status_code == 201
    env = env_for(s, SLATTEST_SCHEDULES_MAX_ATTEMPTS=2, SLATTEST_SCHEDULES_PAUSE_AFTER=1)
    run_due(slug, "2027-04-02T09:00:00Z", env)
    ev = run_due(slug, "2027-04-02T09:01:00Z", env)
    (d,) = [e for e in ev if e["event"] == "delivery"]
    assert d["status"] == "dead" and d["next_attempt_at"] is None
    sched = manager.get(f"/v1/tenants/{slug}/schedules/monthly").json()
    assert sched["enabled"] is False and "dead-lettered" in sched["paused_reason"]
    (dl,) = manager.get(f"/v1/tenants/{slug}/deliveries").json()["deliveries"]
    assert dl["status"] == "dead" and dl["attempts"] == 2
    # Paused: a later month does not run.
    assert [e["event"] for e in run_due(slug, "2027-05-02T09:00:00Z", env)] == ["look"]
    # Retried by hand, the delivery goes out through a server's own scheduler
    # (by the clock, every second here) once the relay is back.
    s.up()
    srv = Server(dict(env, SLATTEST_SCHEDULES_INTERVAL_S="1"))
    try:
        r = manager.post(f"/v1/tenants/{slug}/deliveries/{dl['id']}/retry")
        assert r.status_code == 202, r.text
        deadline = time.time() + 60
        while time.time() < deadline and not mails_to(s, slug):
            time.sleep(0.2)
        assert len(mails_to(s, slug)) == 1
        while time.time() < deadline and deliveries(manager, slug)[0]["status"] != "sent":
            time.sleep(0.2)
        (dl,) = deliveries(manager, slug)
        assert dl["status"] == "sent" and dl["history"][-1]["runner"].endswith(
            f":{srv.proc.pid}")
        # The counter moves just after the delivery's row is marked sent; the
        # relay's mailbox (one message, checked again below) says exactly once.
        sent = re.compile(r'slattest_deliveries_total\{channel="email",outcome="sent"\} [1-9]')
        while time.time() < deadline and not sent.search(Api(srv).get("/metrics").text):
            time.sleep(0.2)
        text = Api(srv).get("/metrics").text
        assert sent.search(text), [line for line in text.splitlines() if "deliveries" in line]
        assert len(mails_to(s, slug)) == 1
    finally:
        assert srv.stop() == 0, srv.read_log()[-3000:]
        s.down()
    assert_json_error(manager.post(f"/v1/tenants/{slug}/deliveries/{dl['id']}/retry"), 409)
    assert_json_error(manager.post(f"/v1/tenants/{slug}/deliveries/999999999/retry"), 404)
    audit = sql("SELECT action FROM audit_log WHERE tenant_id = "
                f"(SELECT id FROM tenants WHERE slug = '{slug}') ORDER BY id")
    assert ["schedule.pause"] == [a[0] for a in audit if a[0] == "schedule.pause"]
    assert "delivery.retry" in [a[0] for a in audit]
