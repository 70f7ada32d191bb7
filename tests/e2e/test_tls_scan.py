"""testssl.sh (Debian package testssl.sh) against the test server: no finding
above LOW, or the test fails naming it.

It scans what the server's TLS configuration decides: protocols, cipher
categories, forward secrecy, the server's cipher preference, the
certificate chain and the HTTP security headers, and the vulnerability
checks that apply to an OpenSSL server (Heartbleed, CCS injection,
renegotiation, CRIME, BREACH, POODLE, the fallback SCSV, SWEET32, FREAK,
DROWN, LOGJAM, BEAST, LUCKY13, RC4, ROBOT).  Left out, to keep it to about
a minute: client simulation (informational only) and Ticketbleed (a bug of
F5 BIG-IP load balancers).  Not --fast: it tests ciphers with the local
openssl, and Debian's OpenSSL 3 cannot offer RC4, EXPORT or NULL ciphers,
so their checks would pass without testing anything.

The scan runs once per `make test` (scripts/test.sh sets TLS_SCAN=1 for
the release build: the ASan build has the same TLS configuration) and
prints how long it took.
"""
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import CA

pytestmark = pytest.mark.skipif(os.environ.get("TLS_SCAN") != "1",
                                reason="TLS_SCAN=1 runs the testssl.sh scan (scripts/test.sh does)")

CHECKS = ["-p", "-s", "-f", "-P", "-S", "-h",  # protocols, ciphers, FS, preference, cert, headers
          "-H", "-I", "-R", "-C", "-B", "-O", "-Z", "-W", "-F", "-D", "-J", "-A", "-L", "-4",
          "-BB"]
FAIL_SEVERITIES = ("MEDIUM", "HIGH", "CRITICAL")

# Findings that concern the development certificate, not the server: each
# with the reason it does not apply.
NOT_APPLICABLE = {
    "cert_revocation": "the development CA of scripts/dev-certs.sh publishes neither a CRL nor "
                       "an OCSP responder; a production certificate comes from the operator's "
                       "CA with its own",
}


def test_testssl_finds_nothing_above_low(server, tmp_path, capsys):
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    assert testssl, "testssl.sh is not installed (scripts/deps.sh installs it)"
    out = tmp_path / "testssl.json"
    t0 = time.monotonic()
    p = subprocess.run([testssl, "--quiet", "--color", "0", "--warnings", "off",
                        *CHECKS, "--add-ca", CA, "--ip", "127.0.0.1", "--nodns", "none",
                        "--connect-timeout", "10", "--openssl-timeout", "10",
                        "--jsonfile", str(out), f"localhost:{server.port}"],
                       capture_output=True, text=True, timeout=900)
    elapsed = time.monotonic() - t0
    assert out.exists() and out.stat().st_size > 0, p.stdout[-3000:] + p.stderr[-3000:]
    findings = json.loads(out.read_text())
    by_id = {f["id"]: f for f in findings}
    # The scan really ran against our server: the protocol lines are there.
    for must in ("SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3", "cert_chain_of_trust", "HSTS_time"):
        assert must in by_id, f"testssl did not report {must}:\n{p.stdout[-3000:]}"
    assert "offered" in by_id["TLS1_3"]["finding"] and "not" in by_id["TLS1"]["finding"]
    bad = [f for f in findings if f["severity"] in FAIL_SEVERITIES and f["id"] not in NOT_APPLICABLE]
    warnings = [f for f in findings if f["severity"] == "WARN"]
    with capsys.disabled():
        print(f"\ntestssl.sh: {len(findings)} findings in {elapsed:.1f} s; "
              f"above LOW: {len(bad)}; not applicable: "
              f"{sorted(k for k in NOT_APPLICABLE if k in by_id)}; scan warnings: "
              f"{[w['id'] + ': ' + w['finding'] for w in warnings]}")
    assert not bad, "testssl.sh findings above LOW:\n" + "\n".join(
        f"  {f['severity']} {f['id']}: {f['finding']}" for f in bad)
