"""A report job survives the death of the process building it (REPORTS.md, issue #6):
`slattest report` claims a job and is killed with SIGKILL mid-build; its heartbeat
stops, and a server instance with `[reports] stale_s = 3` takes the job over, builds
it and signs it (attempt 2).  While the builder lives, its heartbeat thread keeps the
job its own even when a step of the build outlasts stale_s."""
import os
import random
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BIN, CA, FAST_LIMITS, ROOT, VAR, Api, Server, issue_token, sql, unique_slug

H = "call_id,queue,offered_at,answered_at,ended_at,outcome,agent_id,talk_s,hold_s,acw_s"
N = 60000
STALE = {"SLATTEST_REPORTS_STALE_S": "3"}


def month_csv():
    rnd = random.Random(7)
    lines = [H]
    for i in range(N):
        t = rnd.randrange(31 * 86400)
        d, s = divmod(t, 86400)
        wait = rnd.randrange(60)
        stamp = lambda x: f"2026-10-{d + 1:02d}T{x // 3600:02d}:{x % 3600 // 60:02d}:{x % 60:02d}Z"
        if s + wait + 300 >= 86400:
            s = 86400 - wait - 301
        lines.append(f"k{i},q{i % 3},{stamp(s)},{stamp(s + wait)},{stamp(s + wait + 300)},"
                     f"answered,a{i % 40},250,10,40")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def tenant(server, admin):
    slug = unique_slug("kill")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Kill", "timezone": "UTC"})
    manager = Api(server, issue_token("manager", slug))
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=month_csv(),
                     headers={"Content-Type": "text/csv"}, timeout=300)
    assert r.status_code == 200 and r.json()["inserted"] == N, r.text[:500]
    return slug, manager


def job_row(rid):
    rows = sql(f"SELECT status, worker, attempts, progress FROM reports WHERE id = {rid}")
    return rows[0] if rows else None


def test_killed_builder_job_is_taken_over(tenant):
    slug, manager = tenant
    env = dict(os.environ, SLATTEST_PATHS_VAR=VAR, **STALE)
    out = os.path.join(tempfile.mkdtemp(), "killed.xlsx")
    cli = subprocess.Popen([BIN, "report", slug, "--period", "2026-10", "--template",
                            "internal-monthly", "-o", out], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Wait until the command line has claimed its job and is building it, then kill it.
    rid = claimed_job(slug, cli, 60)
    cli.send_signal(signal.SIGKILL)
    cli.wait(timeout=30)
    status, worker, attempts, _ = job_row(rid)
    assert (status, worker, attempts) == ("running", f"cli:{cli.pid}", "1")

    # Another instance with a 3 s staleness takes it over once the heartbeat is old.
    other = Server(dict(FAST_LIMITS, **STALE))
    try:
        deadline = time.time() + 90
        while time.time() < deadline and job_row(rid)[0] != "done":
            time.sleep(0.2)
        status, worker, attempts, progress = job_row(rid)
        assert status == "done", (status, worker, attempts)
        assert attempts == "2" and worker != f"cli:{cli.pid}" and progress == "100"
    finally:
        assert other.stop() == 0
    tmp = tempfile.mkdtemp()
    wb, sig = os.path.join(tmp, "R.xlsx"), os.path.join(tmp, "R.p7s")
    with open(wb, "wb") as f:
        f.write(manager.get(f"/v1/tenants/{slug}/reports/{rid}/workbook").content)
    with open(sig, "wb") as f:
        f.write(manager.get(f"/v1/tenants/{slug}/reports/{rid}/signature").content)
    v = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig,
                        "-content", wb, "-CAfile", CA, "-out", "/dev/null"],
                       capture_output=True, text=True)
    assert v.returncode == 0, v.stderr



def claimed_job(slug, cli, timeout_s):
    """The id of the job the command line process cli has claimed and is building."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        got = sql(f"SELECT r.id FROM reports r JOIN tenants t ON t.id = r.tenant_id WHERE "
                  f"t.slug = '{slug}' AND r.status = 'running' AND r.worker = 'cli:{cli.pid}'")
        if got:
            return int(got[0][0])
        time.sleep(0.02)
    raise AssertionError("the command line never claimed a job")

def locked_build(slug, name, seconds):
    """Starts `slattest report` (internal-monthly, 2026-10) while another session
    holds the contacts table locked for `seconds`: the build claims its job and
    then waits on the Evidence sheet's read, as on a slow database step.
    Returns (the locking session, the command line, the output path)."""
    env = dict(os.environ, SLATTEST_PATHS_VAR=VAR, **STALE)
    out = os.path.join(tempfile.mkdtemp(), name)
    sock = os.path.join(VAR, "mariadb", "mysqld.sock")
    locker = subprocess.Popen(["mariadb", f"--socket={sock}", "-uroot", "slattest", "-e",
                               f"LOCK TABLES contacts WRITE; DO SLEEP({seconds}); UNLOCK TABLES;"])
    deadline = time.time() + 30
    while time.time() < deadline and not sql(
            f"SELECT 1 FROM information_schema.processlist WHERE info LIKE 'DO SLEEP({seconds})%'"):
        time.sleep(0.05)
    cli = subprocess.Popen([BIN, "report", slug, "--period", "2026-10", "--template",
                            "internal-monthly", "-o", out], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return locker, cli, out


def test_a_live_builder_keeps_its_heartbeat_fresh(tenant):
    """The heartbeat, not the progress updates, keeps a long build its own: while the
    builder waits between two progress updates (here on a table another session holds
    locked, as a slow database step would), heartbeat_at still moves (every
    stale_s / 6 = 0.5 s here), so no instance mistakes a slow build for a dead one."""
    slug, manager = tenant
    # Contacts locked for 3 s keep the build at one progress value that long.
    locker, cli, _ = locked_build(slug, "live.xlsx", 3)
    samples = []
    while cli.poll() is None:
        got = sql(f"SELECT r.progress, r.heartbeat_at FROM reports r JOIN tenants t ON "
                  f"t.id = r.tenant_id WHERE t.slug = '{slug}' AND r.worker = 'cli:{cli.pid}' "
                  f"AND r.status = 'running'")
        if got:
            samples.append(tuple(got[0]))
        time.sleep(0.1)
    assert cli.returncode == 0, cli.stderr.read()
    assert locker.wait(timeout=30) == 0
    # Two samples with the same progress and different heartbeats: a beat that is not a
    # progress update.
    by_progress = {}
    for progress, beat in samples:
        by_progress.setdefault(progress, set()).add(beat)
    assert any(len(beats) >= 2 for beats in by_progress.values()), samples


def test_a_builder_taken_over_stores_nothing(tenant):
    """A builder whose job was taken over while it worked (its heartbeat late on
    a starved machine: here the takeover is written by hand while the builder
    waits on a locked table) must not store its result when it finishes, nor
    fail the job: the job is the other worker's.  Before the claim was checked
    at the finish, the late builder marked the job done, and the other's
    finish, finding the artifacts stored, then marked that done report failed."""
    slug, manager = tenant
    locker, cli, out = locked_build(slug, "late.xlsx", 4)
    rid = claimed_job(slug, cli, 30)
    # Another worker takes the job over, as a claim of a stale job does.
    sql(f"UPDATE reports SET worker = 'other:1', attempts = attempts + 1 WHERE id = {rid}")
    assert cli.wait(timeout=120) != 0
    assert "another worker took the job over" in cli.stderr.read()
    assert locker.wait(timeout=30) == 0
    status, worker, attempts, _ = job_row(rid)
    assert (status, worker, attempts) == ("running", "other:1", "2")
    assert sql(f"SELECT COUNT(*) FROM report_artifacts WHERE report_id = {rid}") == [["0"]]
    assert not os.path.exists(out)
    # Left to the next claim of a stale job (the fixture's other tests use their own jobs).
    sql(f"UPDATE reports SET status = 'failed', error = 'test: taken over by hand' WHERE id = {rid}")
