"""The demo of `make run`: a generated month, a contract and two signed
workbooks that the openssl command line verifies; idempotent."""
import os
import pty
import re
import subprocess

from conftest import ROOT, VAR, sql


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


def test_demo_builds_signed_workbooks_once():
    env = dict(os.environ, SLATTEST_PATHS_VAR=VAR, DEMO_N="3000")
    env.pop("SLATTEST_BIN", None)
    demo = os.path.join(VAR, "demo")
    first = not os.path.exists(os.path.join(demo, ".done"))  # the e2e suite runs twice
    code, out = on_a_terminal(["bash", "scripts/demo.sh"], env)
    assert code == 0, out
    # The tokens are secrets: shown on a terminal on the first run only, and kept in a
    # file only its owner reads.
    assert bool(re.search(r"client\s+slt_[A-Za-z0-9_-]{43}", out)) == first, out
    tokens = os.path.join(demo, "tokens")
    assert os.stat(tokens).st_mode & 0o777 == 0o600
    with open(tokens) as f:
        assert len(TOKEN.findall(f.read())) == 3
    assert tokens in out
    # Not on a terminal (a log): never a token, even on a first run's guide.
    with open(os.path.join(demo, "README.txt")) as f:
        assert not TOKEN.search(f.read())
    run = subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not TOKEN.search(run.stdout + run.stderr)
    for kind in ("client", "internal"):
        wb = os.path.join(demo, f"demo-{kind}-2026-10.xlsx")
        sig = wb[:-5] + ".p7s"
        check = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig,
                                "-content", wb, "-CAfile", os.path.join(VAR, "certs", "ca.pem"),
                                "-out", "/dev/null"], capture_output=True)
        assert check.returncode == 0, check.stderr
    assert sql("SELECT COUNT(*) FROM contacts c JOIN tenants t ON t.id = c.tenant_id "
               "WHERE t.slug = 'demo'") == [["3000"]]
    # A second run changes nothing and prints the same guide.
    again = subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0 and "slattest demo" in again.stdout
    assert sql("SELECT COUNT(*) FROM reports r JOIN tenants t ON t.id = r.tenant_id "
               "WHERE t.slug = 'demo'") == [["2"]]
