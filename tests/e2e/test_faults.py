"""Fault injection: the database SIGKILLed in the middle of an ingest, of a
report build and of a contract PUT.  Each time the request fails clearly
(a JSON error, or a report job that ends failed with its reason or is
taken over), nothing half-written is visible after the database restarts
(InnoDB crash recovery), /readyz recovers without restarting slattest, and
sending the same thing again gives exactly the result it would have given.

Slow (each kill means a database restart): run with `make test-faults`
(scripts/test-faults.sh sets FAULT_TESTS=1).
"""
import errno
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest
import requests

from conftest import CA, FAST_LIMITS, VAR, Api, Server, cli, issue_token, sql, unique_slug
from test_hardening import contact_rows, read_rest
from test_metrics import CONTRACT

pytestmark = pytest.mark.skipif(os.environ.get("FAULT_TESTS") != "1",
                                reason="FAULT_TESTS=1 runs them (make test-faults)")

SOCK = os.path.join(VAR, "mariadb", "mysqld.sock")
# scripts/test-faults.sh mounts a tmpfs of its own on each (or says why it could not).
DB_DISK = os.environ.get("FAULT_DB_DISK", "")
SPOOL_DISK = os.environ.get("FAULT_SPOOL_DISK", "")
DISK_SKIP = os.environ.get("FAULT_DISK_SKIP") or "no small filesystem mounted (make test-faults)"


def mariadbd_pid():
    with open(os.path.join(VAR, "mariadb", "mysqld.pid")) as f:
        return int(f.read().strip())


def kill_database():
    """SIGKILLs the embedded MariaDB and waits until it is gone."""
    pid = mariadbd_pid()
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("mariadbd survived SIGKILL")


def restart_database(server):
    cli("db", "start")  # InnoDB recovers what was committed, and only that
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if requests.get(server.url + "/readyz", verify=CA, timeout=5).status_code == 200:
                time.sleep(1.5)  # the probe's last check, and the workers' reconnects
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError("/readyz did not recover after the database restarted")


@pytest.fixture(scope="module")
def fserver(server):
    """A server of its own with a short report takeover (stale_s 3)."""
    s = Server(dict(FAST_LIMITS, SLATTEST_REPORTS_STALE_S="3", SLATTEST_SERVER_MAX_BODY_MB="64"))
    yield s
    assert s.stop() == 0, s.read_log()[-3000:]


def tenant_id(slug):
    return int(sql(f"SELECT id FROM tenants WHERE slug = '{slug}'")[0][0])


def new_tenant(admin_api):
    slug = unique_slug("fault")
    r = admin_api.post("/v1/tenants", json={"slug": slug, "name": "Faults", "timezone": "Asia/Shanghai"})
    assert r.status_code == 201, r.text
    return slug


def batch_absent(tid):
    """Nothing of a tenant's lost batch is visible: no contact, no batch, no rollup."""
    assert sql(f"SELECT COUNT(*) FROM contacts WHERE tenant_id = {tid}") == [["0"]]
    assert sql(f"SELECT COUNT(*) FROM ingest_batches WHERE tenant_id = {tid}") == [["0"]]
    assert sql(f"SELECT COUNT(*) FROM contact_rollups WHERE tenant_id = {tid}") == [["0"]]


def resend_exact(server, slug, token, body, n):
    """Sending the lost upload again gives the exact receipt of a first upload of
    n rows, the rows are there and the rollups agree with them."""
    r = Api(server, token).post(f"/v1/tenants/{slug}/cdrs", data=body,
                                headers={"Content-Type": "text/csv"}, timeout=300)
    assert r.status_code == 200, r.text[:500]
    rec = r.json()
    assert (rec["committed"], rec["rows"], rec["inserted"], rec["updated"], rec["rejected"]) == \
        (True, n, n, 0, 0), rec
    assert sql(f"SELECT COUNT(*) FROM contacts WHERE tenant_id = {tenant_id(slug)}") == [[str(n)]]
    out = cli("check", "rollups", slug, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_database_killed_during_an_ingest(fserver, admin):
    slug = new_tenant(Api(fserver, admin.s.headers["Authorization"].split()[1]))
    token = issue_token("ingest", slug)
    body = contact_rows(60000)
    half = len(body) // 2
    head = (f"POST /v1/tenants/{slug}/cdrs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: text/csv\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
    ctx = ssl.create_default_context(cafile=CA)
    with socket.create_connection(("127.0.0.1", fserver.port), timeout=60) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as tls:
            tls.sendall(head + body[:half])
            time.sleep(1.0)  # the batch is open and half the rows are staged in it
            kill_database()
            try:
                tls.sendall(body[half:])
            except (ssl.SSLError, BrokenPipeError, ConnectionResetError):
                pass
            resp = read_rest(tls)
    status = resp.split(b"\r\n", 1)[0]
    assert status.startswith((b"HTTP/1.1 503 ", b"HTTP/1.1 500 ")), resp[:400]
    err = json.loads(resp.split(b"\r\n\r\n", 1)[1])["error"]
    assert err["code"] in ("unavailable", "internal") and err["message"], err
    restart_database(fserver)
    tid = tenant_id(slug)
    batch_absent(tid)
    resend_exact(fserver, slug, token, body, 60000)


def wait_report(api, slug, rid, want=("done", "failed"), seconds=120):
    deadline = time.time() + seconds
    meta = None
    while time.time() < deadline:
        r = api.get(f"/v1/tenants/{slug}/reports/{rid}")
        if r.status_code == 200:
            meta = r.json()
            if meta["status"] in want:
                return meta
        time.sleep(0.05)
    raise AssertionError(f"report {rid}: {meta}")


def test_database_killed_during_a_report_build(fserver, admin):
    slug = new_tenant(Api(fserver, admin.s.headers["Authorization"].split()[1]))
    manager = Api(fserver, issue_token("manager", slug))
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=contact_rows(120000, "r"),
                     headers={"Content-Type": "text/csv"}, timeout=300)
    assert r.status_code == 200, r.text[:300]
    assert manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT).status_code == 201
    body = {"period": "2026-10", "template": "internal-monthly"}
    first = manager.post(f"/v1/tenants/{slug}/reports", json=body).json()["id"]
    ref = wait_report(manager, slug, first)
    assert ref["status"] == "done", ref
    # Version 2: kill the database while it is being built.
    rid = manager.post(f"/v1/tenants/{slug}/reports", json=body).json()["id"]
    wait_report(manager, slug, rid, want=("running",), seconds=60)
    kill_database()
    restart_database(fserver)
    meta = wait_report(manager, slug, rid, seconds=180)  # taken over (stale_s 3) or failed
    if meta["status"] == "failed":
        assert meta["error"], meta
        assert manager.get(f"/v1/tenants/{slug}/reports/{rid}/workbook").status_code == 409
    else:
        wb = manager.get(f"/v1/tenants/{slug}/reports/{rid}/workbook")
        assert wb.status_code == 200
        import hashlib
        assert hashlib.sha256(wb.content).hexdigest() == meta["sha256"]
        assert meta["data_digest"] == ref["data_digest"]
    # The build that lost its database says so: "lost the connection to MariaDB
    # (MariaDB error 2013: ...)", never "MariaDB error 0" (Connector/C leaves a
    # statement's error empty when the connection breaks while it reads rows).
    failures = [line["error"] for line in fserver.log_lines()
                if line.get("msg") == "report failed" and line.get("report") == str(rid)]
    attempts = int(sql(f"SELECT attempts FROM reports WHERE id = {rid}")[0][0])
    if meta["status"] == "failed" or attempts > 1:  # the kill hit the build (not after it)
        assert failures, "the build that lost its database logged no failure"
    for e in failures:
        assert "MariaDB error 0" not in e and "lost the connection to MariaDB" in e, e
    if meta["status"] == "failed":
        assert "MariaDB error 0" not in meta["error"], meta
    # Nothing half-written: every done report has both artifacts, nothing else has any.
    tid = tenant_id(slug)
    rows = sql("SELECT r.id, r.status, COUNT(a.kind) FROM reports r LEFT JOIN report_artifacts a "
               f"ON a.tenant_id = r.tenant_id AND a.report_id = r.id WHERE r.tenant_id = {tid} "
               "GROUP BY r.id, r.status")
    for rep_id, status, n in rows:
        assert (status == "done") == (n == "2"), (rep_id, status, n)
        assert status in ("done", "failed"), (rep_id, status)
    # Asking again gives the same numbers as before the fault.
    again = wait_report(manager, slug, manager.post(f"/v1/tenants/{slug}/reports",
                                                    json=body).json()["id"])
    assert again["status"] == "done" and again["data_digest"] == ref["data_digest"], again
    out = cli("audit", "verify", check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_database_killed_during_a_contract_put(fserver, admin):
    slug = new_tenant(Api(fserver, admin.s.headers["Authorization"].split()[1]))
    manager = Api(fserver, issue_token("manager", slug))
    tid = tenant_id(slug)
    # Another session holds the tenant row, so the PUT waits inside its transaction.
    holder = subprocess.Popen(["mariadb", f"--socket={SOCK}", "-uroot", "slattest", "-e",
                               f"BEGIN; SELECT id FROM tenants WHERE id = {tid} FOR UPDATE; "
                               "SELECT SLEEP(60);"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    result = {}

    def put():
        result["r"] = manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT, timeout=120)

    t = threading.Thread(target=put)
    t.start()
    time.sleep(1.0)
    assert "r" not in result, "the PUT did not wait for the lock"
    kill_database()
    t.join(timeout=120)
    holder.wait(timeout=30)
    r = result["r"]
    assert r.status_code in (500, 503), r.text
    assert r.json()["error"]["code"] in ("unavailable", "internal")
    restart_database(fserver)
    assert sql(f"SELECT COUNT(*) FROM contracts WHERE tenant_id = {tid}") == [["0"]]
    again = manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT)
    assert again.status_code == 201 and again.json()["version"] == 1, again.text
    versions = manager.get(f"/v1/tenants/{slug}/contract").json()
    assert len(versions["versions"]) == 1, versions
    out = cli("audit", "verify", check=False)
    assert out.returncode == 0, out.stdout + out.stderr


# --- disk full --------------------------------------------------------------


def fill_disk(mount):
    """Writes a filler file into the filesystem at mount until it refuses one
    more byte (ENOSPC); returns the filler's path (unlink it to free the space)."""
    path = os.path.join(mount, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        size = 1 << 20
        zeros = b"\0" * size
        while size:
            try:
                os.write(fd, zeros[:size])
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                size //= 2
    finally:
        os.close(fd)
    assert os.statvfs(mount).f_bavail == 0
    return path


def post_raw(server, path, token, body):
    """POSTs a CSV on a raw TLS connection, sending the whole body even when the
    server answers early; returns (status line, parsed JSON body)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: text/csv\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    ctx = ssl.create_default_context(cafile=CA)
    with socket.create_connection(("127.0.0.1", server.port), timeout=120) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as tls:
            try:
                tls.sendall(head + body)
            except (ssl.SSLError, BrokenPipeError, ConnectionResetError):
                pass
            resp = read_rest(tls)
    status = resp.split(b"\r\n", 1)[0].decode()
    return status, json.loads(resp.split(b"\r\n\r\n", 1)[1])


@pytest.mark.skipif(not DB_DISK, reason=DISK_SKIP)
def test_database_disk_full_during_an_ingest(fserver, admin):
    """The database's filesystem (a tmpfs of 1 GiB) is filled to the last byte:
    an upload that needs new pages gets 503 disk_full naming the database's
    error (InnoDB cannot extend its tablespace: 1114 "table is full"), nothing
    of the batch is visible, the server keeps answering; once the filler is
    deleted the same upload commits with the exact counts."""
    slug = new_tenant(Api(fserver, admin.s.headers["Authorization"].split()[1]))
    token = issue_token("ingest", slug)
    tid = tenant_id(slug)
    body = contact_rows(40000, "d")  # about 20 MB of new InnoDB pages
    filler = fill_disk(DB_DISK)
    try:
        status, doc = post_raw(fserver, f"/v1/tenants/{slug}/cdrs", token, body)
        assert status.startswith("HTTP/1.1 503 "), (status, doc)
        err = doc["error"]
        assert err["code"] == "disk_full", err
        assert "disk is full" in err["message"] and "MariaDB error 1" in err["message"], err
        assert requests.get(fserver.url + "/healthz", verify=CA, timeout=5).status_code == 200
        assert fserver.proc.poll() is None
    finally:
        os.unlink(filler)
    batch_absent(tid)
    resend_exact(fserver, slug, token, body, 40000)


@pytest.mark.skipif(not SPOOL_DISK, reason=DISK_SKIP)
def test_spool_disk_full_during_an_ingest(fserver, admin):
    """The server's own spool directory (var/tmp, a tmpfs of 64 MiB) is full:
    the upload gets 503 disk_full naming the directory and ENOSPC, nothing of
    it is kept, the server keeps answering; freed, the same upload commits."""
    slug = new_tenant(Api(fserver, admin.s.headers["Authorization"].split()[1]))
    token = issue_token("ingest", slug)
    tid = tenant_id(slug)
    body = contact_rows(5000, "s")
    filler = fill_disk(SPOOL_DISK)
    try:
        status, doc = post_raw(fserver, f"/v1/tenants/{slug}/cdrs", token, body)
        assert status.startswith("HTTP/1.1 503 "), (status, doc)
        err = doc["error"]
        assert err["code"] == "disk_full", err
        assert SPOOL_DISK in err["message"] and "No space left on device" in err["message"], err
        assert requests.get(fserver.url + "/healthz", verify=CA, timeout=5).status_code == 200
    finally:
        os.unlink(filler)
    batch_absent(tid)
    resend_exact(fserver, slug, token, body, 5000)


# --- the server killed under load ---------------------------------------------


def test_server_killed_under_load(server, admin):
    """Four clients upload batches into two tenants (each remembers which
    batches got 200 and with which batch id) and a report is being built when
    the server is SIGKILLed; a new server on the same database then shows
    every acknowledged batch with exactly its rows, every other batch wholly
    present or wholly absent, clean rollups and audit chain, and the report
    taken over and done."""
    env = dict(FAST_LIMITS, SLATTEST_REPORTS_STALE_S="3")
    victim = Server(env)
    admin_api = Api(victim, admin.s.headers["Authorization"].split()[1])
    slugs = [new_tenant(admin_api) for _ in range(2)]
    tokens = {s: issue_token("manager", s) for s in slugs}
    manager = Api(victim, tokens[slugs[0]])
    r = manager.post(f"/v1/tenants/{slugs[0]}/cdrs", data=contact_rows(100000, "base"),
                     headers={"Content-Type": "text/csv"}, timeout=300)
    assert r.status_code == 200, r.text[:300]
    assert manager.put(f"/v1/tenants/{slugs[0]}/contract", json=CONTRACT).status_code == 201
    rows = 2000
    acked, unacked, lock = {}, set(), threading.Lock()
    stop = threading.Event()

    def client(n):
        slug = slugs[n % 2]
        api = Api(victim, tokens[slug])
        seq = 0
        while not stop.is_set():
            prefix = f"k{n}x{seq}y"
            seq += 1
            try:
                r = api.post(f"/v1/tenants/{slug}/cdrs", data=contact_rows(rows, prefix),
                             headers={"Content-Type": "text/csv"}, timeout=60)
            except requests.RequestException:
                with lock:
                    unacked.add((slug, prefix))
                return  # the server is gone
            with lock:
                if r.status_code == 200:
                    rec = r.json()
                    assert rec["committed"] and rec["rows"] == rows, rec
                    acked[(slug, prefix)] = rec["batch_id"]
                else:
                    unacked.add((slug, prefix))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.time() + 20
    while time.time() < deadline and len(acked) < 8:
        time.sleep(0.05)
    rid = manager.post(f"/v1/tenants/{slugs[0]}/reports",
                       json={"period": "2026-10", "template": "internal-monthly"}).json()["id"]
    wait_report(manager, slugs[0], rid, want=("running",), seconds=30)  # being built
    victim.proc.kill()
    victim.proc.wait()
    victim.log.close()
    # The report was being built (the server's own clock says nothing here: the
    # row's status is the database's).
    assert sql(f"SELECT status FROM reports WHERE id = {rid}") == [["running"]]
    stop.set()
    for t in threads:
        t.join(timeout=120)
    assert len(acked) >= 8, acked
    assert unacked, "no upload was in flight when the server was killed"

    again = Server(env)
    try:
        for (slug, prefix), batch_id in acked.items():
            tid = tenant_id(slug)
            assert sql(f"SELECT rows_total, status FROM ingest_batches WHERE tenant_id = {tid} "
                       f"AND id = {batch_id}") == [[str(rows), "committed"]], (prefix, batch_id)
            assert sql(f"SELECT COUNT(*) FROM contacts WHERE tenant_id = {tid} "
                       f"AND batch_id = {batch_id}") == [[str(rows)]], (prefix, batch_id)
        for slug, prefix in unacked:
            n = sql(f"SELECT COUNT(*) FROM contacts WHERE tenant_id = {tenant_id(slug)} "
                    f"AND call_id LIKE '{prefix}%'")[0][0]
            assert n in ("0", str(rows)), (prefix, n)  # wholly there or wholly absent
        for slug in slugs:
            out = cli("check", "rollups", slug, check=False)
            assert out.returncode == 0, out.stdout + out.stderr
        out = cli("audit", "verify", check=False)
        assert out.returncode == 0, out.stdout + out.stderr
        meta = wait_report(Api(again, tokens[slugs[0]]), slugs[0], rid, seconds=120)
        assert meta["status"] == "done", meta
    finally:
        assert again.stop() == 0, again.read_log()[-3000:]


# --- the clock stepped back an hour -------------------------------------------

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


class FakeClock:
    """The wall clock of one server process, through libfaketime: the control
    file holds the offset from the real clock in seconds, re-read on every
    call (FAKETIME_NO_CACHE).  Only CLOCK_REALTIME (time(), gettimeofday(),
    clock_gettime(CLOCK_REALTIME)) is faked: the monotonic clock is left
    alone, as a real step of the wall clock leaves it alone.  MariaDB is not
    faked: UTC_TIMESTAMP() in SQL keeps the database's real time."""

    def __init__(self, offset_s):
        self.path = os.path.join(VAR, "faketime")
        self.set(offset_s)

    def set(self, offset_s):
        self.offset = int(offset_s)
        tmp = self.path + ".new"
        with open(tmp, "w") as f:
            f.write("%+ds\n" % self.offset)
        os.replace(tmp, self.path)

    def env(self):
        return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME_TIMESTAMP_FILE": self.path,
                "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


@pytest.mark.skipif(not os.path.exists(FAKETIME_LIB), reason="libfaketime is not installed")
def test_clock_stepped_back_an_hour_while_jobs_run(server, admin):
    """A server whose wall clock says 2027-06-03 08:59:58Z (libfaketime) has
    four report jobs queued and a schedule due at 09:00Z.  Once the
    scheduler has started its run and the first job is being built, the
    clock steps back an hour; later it steps forward again, so 09:00Z comes
    round a second time.

    Which clock each part reads: claiming a job, its heartbeat and the
    staleness test of a takeover compare `heartbeat_at` with the database's
    UTC_TIMESTAMP() (the real clock, never faked); the server's time(NULL)
    (faked) dates `generated_at` and drives the scheduler's look ("what is
    due now"); its waits between heartbeats and polls are timed on the
    monotonic clock (not faked).  So: every job built exactly once
    (attempts 1, never taken over: the heartbeat went on beating), and the
    schedule's run started once although its instant came twice."""
    from test_schedules import Smtp, env_for, put, runs

    smtp = Smtp()
    smtp.up()
    due = 1812013200  # 2027-06-03T09:00:00Z (date -u -d @1812013200)
    clock = FakeClock(due - 600 - time.time())  # 08:50Z while the tenant is set up
    env = dict(FAST_LIMITS, **env_for(smtp), **clock.env(), SLATTEST_REPORTS_STALE_S="3",
               SLATTEST_SCHEDULES_INTERVAL_S="1")
    srv = Server(env)
    try:
        admin_api = Api(srv, admin.s.headers["Authorization"].split()[1])
        slug = unique_slug("clock")
        r = admin_api.post("/v1/tenants", json={"slug": slug, "name": "Clock", "timezone": "UTC"})
        assert r.status_code == 201, r.text
        manager = Api(srv, issue_token("manager", slug))
        assert manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT).status_code == 201
        r = manager.post(f"/v1/tenants/{slug}/cdrs", data=contact_rows(60000, "c"),
                         headers={"Content-Type": "text/csv"}, timeout=300)
        assert r.status_code == 200, r.text[:300]
        assert put(manager, slug, day=3, first_period="2027-05").status_code == 201
        assert r.headers["Date"].startswith("Thu, 03 Jun 2027 08:5"), r.headers["Date"]
        assert not runs(manager, slug)
        # The scheduler starts the run at 09:00Z by the faked clock.
        clock.set(due - 2 - time.time())
        deadline = time.time() + 30
        while time.time() < deadline and not runs(manager, slug):
            time.sleep(0.2)
        assert len(runs(manager, slug)) == 1, runs(manager, slug)
        ids = [manager.post(f"/v1/tenants/{slug}/reports",
                            json={"period": "2026-10", "template": "internal-monthly"}).json()["id"]
               for _ in range(4)]
        wait_report(manager, slug, ids[0], want=("running", "done"), seconds=60)
        clock.set(clock.offset - 3600)  # back to 08:00Z, while jobs run
        metas = [wait_report(manager, slug, i, seconds=120) for i in ids]
        assert [m["status"] for m in metas] == ["done"] * 4, metas
        time.sleep(3)  # the scheduler looks at 08:00Z: nothing due
        clock.set(clock.offset + 3600)  # 09:00Z comes round again
        time.sleep(3)  # and it looks at it again
        got = sql("SELECT id, status, attempts FROM reports WHERE id IN (%s) ORDER BY id"
                  % ",".join(str(i) for i in ids))
        assert [(g[1], g[2]) for g in got] == [("done", "1")] * 4, got
        # (The session's server builds jobs too: each job has the worker that
        # claimed it, once.)
        assert sorted(m["version"] for m in metas) == [1, 2, 3, 4], metas
        (run,) = runs(manager, slug)  # started once
        assert run["due_at"] == "2027-06-03T09:00:00Z", run
        tid = tenant_id(slug)
        # The run's report(s): one per template of the schedule, never two.
        n = sql(f"SELECT COUNT(*) FROM reports WHERE tenant_id = {tid} AND period = '2027-05'")
        assert n == [["1"]], n
    finally:
        code = srv.stop()
        smtp.down()
    assert code == 0, srv.read_log()[-3000:]
