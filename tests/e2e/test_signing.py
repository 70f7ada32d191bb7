"""Signing identity and auditor reads: published certificates, the audit log
over HTTP, offline verification, and a signing key that others may read."""
import hashlib
import os
import shutil
import subprocess
import tempfile

from conftest import (CA, VAR, Api, Server, assert_json_error, cli, issue_token, sql,
                      unique_slug)

CERTS = os.path.join(VAR, "certs")


def openssl_sign(content_path, sig_path):
    """Signs with the openssl command line: an implementation independent of ours."""
    subprocess.run(["openssl", "cms", "-sign", "-binary", "-md", "sha256", "-in", content_path,
                    "-signer", os.path.join(CERTS, "signing.pem"),
                    "-inkey", os.path.join(CERTS, "signing.key"),
                    "-outform", "DER", "-out", sig_path], check=True, capture_output=True)


def test_certificates_are_published(server, admin):
    r = admin.get("/v1/certificates")
    assert r.status_code == 200
    certs = r.json()["certificates"]
    assert certs[0]["status"] == "current"
    pem = certs[0]["pem"]
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    with open(os.path.join(CERTS, "signing.pem")) as f:
        assert f.read().strip() == pem.strip()
    # The fingerprint is the SHA-256 of the DER certificate (as `openssl x509 -fingerprint`).
    out = subprocess.run(["openssl", "x509", "-in", os.path.join(CERTS, "signing.pem"),
                          "-noout", "-fingerprint", "-sha256"], capture_output=True, text=True)
    assert certs[0]["fingerprint"] == out.stdout.strip().split("=")[1].replace(":", "").lower()
    assert "slattest report signing" in certs[0]["subject"]


def test_offline_verify_accepts_openssl_signatures_and_catches_tampering():
    tmp = tempfile.mkdtemp()
    try:
        wb, sig = os.path.join(tmp, "r.xlsx"), os.path.join(tmp, "r.p7s")
        with open(wb, "wb") as f:
            f.write(os.urandom(4096))
        openssl_sign(wb, sig)
        r = cli("verify", wb, "--ca", CA, check=False)
        assert r.returncode == 0 and "VALID" in r.stdout, r.stdout + r.stderr
        with open(wb, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        assert f"workbook sha256: {digest}" in r.stdout
        with open(wb, "r+b") as f:
            f.seek(100)
            b = f.read(1)
            f.seek(100)
            f.write(bytes([b[0] ^ 1]))
        r = cli("verify", wb, sig, "--ca", CA, check=False)
        assert r.returncode == 1 and "INVALID" in r.stdout and "content_changed" in r.stdout
        with open(sig, "wb") as f:
            f.write(b"not a signature")
        r = cli("verify", wb, sig, "--ca", CA, check=False)
        assert r.returncode == 1 and "INVALID" in r.stdout
    finally:
        shutil.rmtree(tmp)


def test_audit_log_over_http(server, admin):
    mine, theirs = unique_slug("aud"), unique_slug("aud")
    for s in (mine, theirs):
        admin.post("/v1/tenants", json={"slug": s, "name": s, "timezone": "UTC"})
    auditor = Api(server, issue_token("auditor", mine))
    r = auditor.get(f"/v1/audit?tenant={mine}")
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    assert entries and all(e["tenant"] == mine for e in entries)
    assert entries[0]["action"] == "tenant.create" and entries[0]["object"] == f"tenant:{mine}"
    assert len(entries[0]["hash"]) == 64 and len(entries[0]["prev_hash"]) == 64
    # hash = SHA-256(prev_hash || entry): the stored chain matches what the API shows.
    row = sql(f"SELECT LOWER(HEX(hash)), LOWER(HEX(prev_hash)) FROM audit_log WHERE id = {entries[0]['id']}")
    assert row == [[entries[0]["hash"], entries[0]["prev_hash"]]]
    assert_json_error(auditor.get(f"/v1/audit?tenant={theirs}"), 404)
    assert_json_error(auditor.get("/v1/audit"), 400, "invalid")
    assert_json_error(auditor.get(f"/v1/audit?tenant={mine}&limit=abc"), 400, "invalid")
    manager = Api(server, issue_token("manager", mine))
    assert_json_error(manager.get(f"/v1/audit?tenant={mine}"), 403, "forbidden")
    everything = admin.get("/v1/audit?limit=5").json()
    assert len(everything["entries"]) == 5
    page2 = admin.get(f"/v1/audit?limit=5&after={everything['next_after']}").json()
    assert page2["entries"][0]["id"] == everything["next_after"] + 1


def test_server_refuses_a_signing_key_others_can_read():
    key = os.path.join(CERTS, "signing.key")
    os.chmod(key, 0o644)
    try:
        try:
            s = Server()
        except AssertionError as e:
            assert "signing" in str(e) and "signing.key" in str(e)
        else:
            s.stop()
            raise AssertionError("the server started with a world-readable signing key")
    finally:
        os.chmod(key, 0o600)
