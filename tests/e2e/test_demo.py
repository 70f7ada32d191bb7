"""The demo of `make run`: a generated month, a contract and two signed
workbooks that the openssl command line verifies; idempotent."""
import os
import re
import subprocess

import requests

from conftest import CA, ROOT, VAR, sql


def test_demo_builds_signed_workbooks_once(server):
    env = dict(os.environ, SLATTEST_PATHS_VAR=VAR, DEMO_N="3000")
    env.pop("SLATTEST_BIN", None)
    run = subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    demo = os.path.join(VAR, "demo")
    for kind in ("client", "internal"):
        wb = os.path.join(demo, f"demo-{kind}-2026-10.xlsx")
        sig = wb[:-5] + ".p7s"
        check = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig,
                                "-content", wb, "-CAfile", os.path.join(VAR, "certs", "ca.pem"),
                                "-out", "/dev/null"], capture_output=True)
        assert check.returncode == 0, check.stderr
    assert re.search(r"client\s+slt_[A-Za-z0-9_-]{43}", run.stdout)
    # The portal's demo people, with passwords that log in.
    m = re.search(r"client@demo\.example\s+(\S{12,})", run.stdout)
    assert m, run.stdout
    assert sql("SELECT role FROM people WHERE email = 'client@demo.example'") == [["client"]]
    s = requests.Session()
    page = s.get(server.url + "/login", verify=CA, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = s.post(server.url + "/login", data={"email": "client@demo.example", "password": m.group(1),
                                            "csrf": csrf}, headers={"Origin": server.url},
               verify=CA, timeout=30, allow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    assert s.get(server.url + "/tenants/demo", verify=CA, timeout=30).status_code == 200
    assert sql("SELECT COUNT(*) FROM contacts c JOIN tenants t ON t.id = c.tenant_id "
               "WHERE t.slug = 'demo'") == [["3000"]]
    # A second run changes nothing and prints the same guide.
    again = subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0 and "slattest demo" in again.stdout
    assert sql("SELECT COUNT(*) FROM reports r JOIN tenants t ON t.id = r.tenant_id "
               "WHERE t.slug = 'demo'") == [["2"]]
