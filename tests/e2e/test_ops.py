"""Operations: readiness follows the database, migrations are checksummed,
configuration is validated, the audit chain detects tampering."""
import os
import shutil
import tempfile
import time

import requests

from conftest import CA, ROOT, VAR, Api, cli, sql


def wait_status(url, want, seconds=30):
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            last = requests.get(url, verify=CA, timeout=5).status_code
        except requests.RequestException:
            last = None
        if last == want:
            return
        time.sleep(0.2)
    raise AssertionError(f"{url}: wanted {want}, last {last}")


def parallel_gets(server, token, n=24):
    """n requests in parallel, so that every worker (and its connection) takes some."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=8) as ex:
        return list(ex.map(lambda _: Api(server, token).get("/v1/tenants").status_code, range(n)))


def test_readyz_follows_the_database_without_a_restart(server, admin_token):
    wait_status(server.url + "/readyz", 200)
    assert parallel_gets(server, admin_token) == [200] * 24  # every worker holds a connection
    cli("db", "stop")
    try:
        wait_status(server.url + "/readyz", 503)
        r = requests.get(server.url + "/readyz", verify=CA)
        assert r.json()["error"]["code"] == "unavailable"
        # The process itself is alive: /healthz does not depend on the database.
        assert requests.get(server.url + "/healthz", verify=CA).status_code == 200
        r = requests.get(server.url + "/v1/tenants", verify=CA,
                         headers={"Authorization": "Bearer slt_" + "C" * 43})
        assert r.status_code == 503
    finally:
        cli("db", "start")
    wait_status(server.url + "/readyz", 200)
    # Ready means ready: the workers' old connections died with the database, and no
    # request may be the one to find out (each of the 4 workers serves some of these).
    time.sleep(1.5)
    statuses = parallel_gets(server, admin_token)
    assert statuses == [200] * 24, statuses
    metrics = requests.get(server.url + "/metrics", verify=CA).text
    errors = [l for l in metrics.splitlines() if l.startswith("slattest_db_errors_total ")]
    assert int(errors[0].split()[1]) > 0


def test_migrate_is_idempotent_and_lists_status():
    out = cli("migrate").stdout
    assert "0 applied" in out
    status = cli("migrate", "--status").stdout.splitlines()
    assert status and all(l.startswith("applied ") for l in status)
    assert any(l.endswith("0001_core.sql") for l in status)


def test_a_changed_applied_migration_is_refused():
    tmp = tempfile.mkdtemp()
    try:
        for f in os.listdir(os.path.join(ROOT, "migrations")):
            shutil.copy(os.path.join(ROOT, "migrations", f), tmp)
        with open(os.path.join(tmp, "0001_core.sql"), "a") as f:
            f.write("\n-- edited after it was applied\n")
        env = {"SLATTEST_PATHS_MIGRATIONS": tmp}
        r = cli("migrate", env=env, check=False)
        assert r.returncode != 0
        assert "0001_core.sql was changed after it was applied" in r.stderr
        r = cli("migrate", "--status", env=env, check=False)
        assert r.returncode != 0 and "CHANGED" in r.stdout
    finally:
        shutil.rmtree(tmp)


def test_unknown_configuration_keys_are_errors_naming_the_key():
    tmp = tempfile.mkdtemp()
    try:
        ini = os.path.join(tmp, "bad.ini")
        with open(ini, "w") as f:
            f.write("[server]\nlisten = 127.0.0.1:0\nlisten_port = 9\n")
        r = cli("--config", ini, "config", check=False)
        assert r.returncode == 2 and "listen_port" in r.stderr and "bad.ini:" in r.stderr
        r = cli("config", env={"SLATTEST_SERVER_LISTN": "x"}, check=False)
        assert r.returncode == 2 and "SLATTEST_SERVER_LISTN" in r.stderr
        r = cli("config", env={"SLATTEST_SERVER_WORKERS": "many"}, check=False)
        assert r.returncode == 2 and "workers" in r.stderr
        r = cli("config", env={"SLATTEST_SERVER_WORKERS": "0"}, check=False)
        assert r.returncode == 2 and "outside" in r.stderr
        r = cli("config", env={"SLATTEST_DATABASE_PASSWORD": "hunter2"})
        assert "hunter2" not in r.stdout and "password = ********" in r.stdout
        assert f"tls_cert = {VAR}/certs/server.pem" in r.stdout
    finally:
        shutil.rmtree(tmp)


def test_audit_chain_detects_an_edited_entry(admin):
    admin.post("/v1/tenants", json={"slug": "audit-" + os.urandom(3).hex(), "name": "A",
                                    "timezone": "UTC"})
    assert "chain intact" in cli("audit", "verify").stdout
    entry_id, detail = sql("SELECT id, detail FROM audit_log ORDER BY id DESC LIMIT 1")[0]
    sql(f"UPDATE audit_log SET detail = '{{\"tampered\":true}}' WHERE id = {int(entry_id)}")
    try:
        r = cli("audit", "verify", check=False)
        assert r.returncode == 1
        assert f"audit entry {entry_id} is broken" in r.stderr
    finally:
        sql("UPDATE audit_log SET detail = '" + detail.replace("'", "''") +
            f"' WHERE id = {int(entry_id)}")
    assert "chain intact" in cli("audit", "verify").stdout


def test_audit_records_tenant_and_token_actions(admin):
    slug = "aud-" + os.urandom(3).hex()
    admin.post("/v1/tenants", json={"slug": slug, "name": "A", "timezone": "UTC"})
    tid = admin.post("/v1/tokens", json={"role": "client", "tenants": [slug]}).json()["id"]
    rows = sql("SELECT action, object, actor FROM audit_log ORDER BY id DESC LIMIT 2")
    assert rows[1][0:2] == ["tenant.create", f"tenant:{slug}"]
    assert rows[0][0:2] == ["token.issue", f"token:{tid}"]
    assert rows[0][2].startswith("token:")
