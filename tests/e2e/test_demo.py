"""The demo of `make run`: a generated month, a contract and two signed
workbooks that the openssl command line verifies; idempotent."""
import os
import pty
import re
import subprocess

import openpyxl
import requests

from conftest import CA, ROOT, VAR, sql


def on_a_terminal(argv, env):
    """Runs argv with standard output on a pseudo-terminal; returns (exit code, output)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=slave, stderr=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:  # EIO once the child has closed the terminal
            break
        if not b:
            break
        out += b
    os.close(master)
    return p.wait(timeout=600), out.decode()


TOKEN = re.compile(r"slt_[A-Za-z0-9_-]{43}")


def test_demo_builds_signed_workbooks_once(server):
    env = dict(os.environ, SLATTEST_PATHS_VAR=VAR, DEMO_N="3000")
    env.pop("SLATTEST_BIN", None)
    demo = os.path.join(VAR, "demo")
    first = not os.path.exists(os.path.join(demo, ".done"))  # the e2e suite runs twice
    code, out = on_a_terminal(["bash", "scripts/demo.sh"], env)
    assert code == 0, out[-4000:]  # the end says what failed
    # Tokens and passwords are secrets: shown on a terminal on the first run only, and
    # kept in files only their owner reads.
    assert bool(re.search(r"client\s+slt_[A-Za-z0-9_-]{43}", out)) == first, out
    tokens, people = os.path.join(demo, "tokens"), os.path.join(demo, "people")
    for path in (tokens, people):
        assert os.stat(path).st_mode & 0o777 == 0o600
        assert path in out
    with open(tokens) as f:
        assert len(TOKEN.findall(f.read())) == 3
    with open(people) as f:
        passwords = dict(line.split() for line in f if line.strip())
    # Not on a terminal (a log): never a token or a password, even in the guide.
    with open(os.path.join(demo, "README.txt")) as f:
        guide = f.read()
    assert not TOKEN.search(guide) and passwords["client@demo.example"] not in guide
    run = subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not TOKEN.search(run.stdout + run.stderr)
    assert passwords["client@demo.example"] not in run.stdout
    for kind in ("client", "internal"):
        wb = os.path.join(demo, f"demo-{kind}-2026-10.xlsx")
        sig = wb[:-5] + ".p7s"
        check = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig,
                                "-content", wb, "-CAfile", os.path.join(VAR, "certs", "ca.pem"),
                                "-out", "/dev/null"], capture_output=True)
        assert check.returncode == 0, check.stderr
    # The portal's demo people, with passwords that log in.
    assert sql("SELECT role FROM people WHERE email = 'client@demo.example'") == [["client"]]
    assert sql("SELECT role FROM people WHERE email = 'admin@demo.example'") == [["admin"]]
    assert set(passwords) == {f"{r}@demo.example" for r in ("manager", "client", "auditor", "admin")}
    s = requests.Session()
    page = s.get(server.url + "/login", verify=CA, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = s.post(server.url + "/login",
               data={"email": "client@demo.example", "password": passwords["client@demo.example"],
                     "csrf": csrf}, headers={"Origin": server.url},
               verify=CA, timeout=30, allow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    assert s.get(server.url + "/tenants/demo", verify=CA, timeout=30).status_code == 200
    assert sql("SELECT COUNT(*) FROM contacts c JOIN tenants t ON t.id = c.tenant_id "
               "WHERE t.slug = 'demo' AND c.call_id LIKE 'c%'") == [["3000"]]
    # The earlier months (July to September) are the rows of history.csv.
    with open(os.path.join(demo, "history.csv")) as f:
        history = sum(1 for _ in f) - 1
    assert history > 0 and sql(
        "SELECT COUNT(*) FROM contacts c JOIN tenants t ON t.id = c.tenant_id "
        "WHERE t.slug = 'demo' AND c.call_id LIKE 'h%'") == [[str(history)]]
    # Every sheet of the internal workbook has content, QA included (issue 13).
    book = openpyxl.load_workbook(os.path.join(demo, "demo-internal-2026-10.xlsx"), data_only=True)
    for ws in book.worksheets:
        data_rows = [r for r in ws.iter_rows(min_row=2) if any(c.value is not None for c in r)]
        assert data_rows, ws.title
    insp = [[c.value for c in r] for r in book["Inspectors"].iter_rows(min_row=2)]
    assert {r[0] for r in insp} >= {"qa-chen", "qa-garcia", "qa-okafor", "qa-lead"}
    appeals = [r[6].value for r in book["Appeals"].iter_rows(min_row=2)]
    assert appeals.count("overturned") == 1 and appeals.count("upheld") == 2
    sessions = {r[0].value for r in book["Calibration"].iter_rows(min_row=2)}
    assert sessions == {"CAL-1", "CAL-2"}
    qa = {r[0].value: r[1].value for r in book["QA-CSAT"].iter_rows() if r[0].value}
    assert qa["Contacts compared"] > 0 and qa["Agents compared"] > 0
    # The Cover answers the month: its verdict names the four targets and the credit.
    cover = {r[0].value: r[1].value for r in book["Cover"].iter_rows() if r[0].value}
    assert re.fullmatch(r"\d of 4 targets met.*; (credit [\d,.]+ CNY|no credit)", cover["In one line"])
    assert cover["QA score"] is not None
    # A second run changes nothing and prints the same guide.
    again = subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0 and "slattest demo" in again.stdout
    assert sql("SELECT COUNT(*) FROM reports r JOIN tenants t ON t.id = r.tenant_id "
               "WHERE t.slug = 'demo'") == [["2"]]
