"""Key rotation: a new signing key signs new reports, the old certificate is
retired but stays published, and a report signed before the rotation still
verifies — with slattest, over HTTP, and with the openssl command line."""
import os
import shutil
import subprocess
import tempfile
import time

from conftest import CA, FAST_LIMITS, VAR, Api, Server, cli, issue_token, unique_slug

CERTS = os.path.join(VAR, "certs")


def new_signing_cert(dirname):
    """A second signing key and certificate from the same development CA."""
    key, csr, pem, ext = (os.path.join(dirname, n) for n in ("new.key", "new.csr", "new.pem", "new.ext"))
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:3072", "-nodes", "-subj",
                    "/O=slattest development/CN=slattest report signing 2", "-keyout", key,
                    "-out", csr], check=True, capture_output=True)
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"
                "extendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", CA, "-CAkey",
                    os.path.join(CERTS, "ca.key"), "-CAcreateserial", "-days", "30", "-sha256",
                    "-extfile", ext, "-out", pem], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return key, pem


def build_report(api, slug):
    r = api.post(f"/v1/tenants/{slug}/reports", json={"period": "2026-10", "template": "client-monthly"})
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    deadline = time.time() + 60
    while time.time() < deadline:
        meta = api.get(f"/v1/tenants/{slug}/reports/{rid}").json()
        if meta["status"] in ("done", "failed"):
            assert meta["status"] == "done", meta
            return meta
        time.sleep(0.2)
    raise AssertionError("report not done")


def test_rotation_keeps_old_reports_verifiable(server, admin):
    slug = unique_slug("rot")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Rotation", "timezone": "UTC"})
    manager_token = issue_token("manager", slug)
    old = build_report(Api(server, manager_token), slug)
    tmp = tempfile.mkdtemp()
    try:
        key, pem = new_signing_cert(tmp)
        retired = os.path.join(tmp, "retired")
        os.mkdir(retired)
        shutil.copy(os.path.join(CERTS, "signing.pem"), os.path.join(retired, "2026-signing.pem"))
        rotated = Server(dict(FAST_LIMITS, SLATTEST_SIGNING_KEY=key, SLATTEST_SIGNING_CERT=pem,
                              SLATTEST_SIGNING_RETIRED=retired))
        try:
            api = Api(rotated, manager_token)
            certs = api.get("/v1/certificates").json()["certificates"]
            assert [c["status"] for c in certs] == ["current", "retired"]
            assert certs[1]["fingerprint"] == old["signer_fingerprint"]
            new = build_report(api, slug)
            assert new["signer_fingerprint"] == certs[0]["fingerprint"] != old["signer_fingerprint"]
            # The old report still verifies, everywhere.
            wb = api.get(f"/v1/tenants/{slug}/reports/{old['id']}/workbook").content
            sig = api.get(f"/v1/tenants/{slug}/reports/{old['id']}/signature").content
            auditor = Api(rotated, issue_token("auditor", slug))
            r = auditor.post("/v1/verify", files={"workbook": ("R.xlsx", wb), "signature": ("R.p7s", sig)})
            assert r.status_code == 200 and r.json()["valid"] and r.json()["report_id"] == old["id"]
            wb_path, sig_path = os.path.join(tmp, "old.xlsx"), os.path.join(tmp, "old.p7s")
            with open(wb_path, "wb") as f:
                f.write(wb)
            with open(sig_path, "wb") as f:
                f.write(sig)
            assert "VALID" in cli("verify", wb_path, sig_path, "--ca", CA).stdout
            assert subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
                                   sig_path, "-content", wb_path, "-CAfile", CA, "-out", "/dev/null"],
                                  capture_output=True).returncode == 0
        finally:
            assert rotated.stop() == 0
    finally:
        shutil.rmtree(tmp)


def test_auditor_bundle(server, admin):
    """The bundle verifies on its own: unzip, then the openssl command from VERIFY.txt."""
    import io
    import re
    import zipfile
    slug = unique_slug("bun")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Bundle", "timezone": "UTC"})
    meta = build_report(Api(server, issue_token("manager", slug)), slug)
    auditor = Api(server, issue_token("auditor", slug))
    r = auditor.get(f"/v1/tenants/{slug}/reports/{meta['id']}/bundle")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    names = sorted(z.namelist())
    base = f"{slug}-2026-10-client-monthly-v1"
    assert names == sorted([f"{base}.xlsx", f"{base}.p7s", "signer.pem", "ca.pem", "VERIFY.txt"])
    assert hashlib_sha256(z.read(f"{base}.xlsx")) == meta["sha256"]
    text = z.read("VERIFY.txt").decode()
    assert meta["sha256"] in text and meta["signer_fingerprint"] in text
    tmp = tempfile.mkdtemp()
    try:
        z.extractall(tmp)
        cmd = re.search(r"(openssl cms -verify[^\n]*\\\n[^\n]*)", text).group(1).replace("\\\n", " ")
        assert subprocess.run(cmd, shell=True, cwd=tmp, capture_output=True).returncode == 0
    finally:
        shutil.rmtree(tmp)
    # The same report bundled twice gives the same bytes (entries dated generated_at).
    assert auditor.get(f"/v1/tenants/{slug}/reports/{meta['id']}/bundle").content == r.content


def hashlib_sha256(data):
    import hashlib
    return hashlib.sha256(data).hexdigest()


def test_signature_from_another_ca_is_invalid_with_that_reason(server, admin):
    tmp = tempfile.mkdtemp()
    try:
        key, crt = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
        ext = os.path.join(tmp, "e.cnf")
        with open(ext, "w") as f:
            f.write("[req]\ndistinguished_name=dn\n[dn]\n[x]\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=emailProtection\n")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                        "/CN=someone else", "-days", "2", "-keyout", key, "-out", crt,
                        "-config", ext, "-extensions", "x"], check=True, capture_output=True)
        wb = os.path.join(tmp, "w.xlsx")
        with open(wb, "wb") as f:
            f.write(os.urandom(2048))
        sig = os.path.join(tmp, "w.p7s")
        subprocess.run(["openssl", "cms", "-sign", "-binary", "-md", "sha256", "-in", wb, "-signer",
                        crt, "-inkey", key, "-outform", "DER", "-out", sig], check=True,
                       capture_output=True)
        slug = unique_slug("ca")
        admin.post("/v1/tenants", json={"slug": slug, "name": "CA", "timezone": "UTC"})
        auditor = Api(server, issue_token("auditor", slug))
        with open(wb, "rb") as f1, open(sig, "rb") as f2:
            r = auditor.post("/v1/verify", files={"workbook": ("w.xlsx", f1.read()),
                                                  "signature": ("w.p7s", f2.read())})
        assert r.status_code == 422 and r.json()["verdict"] == "untrusted", r.text
        out = cli("verify", wb, sig, "--ca", CA, check=False)
        assert out.returncode == 1 and "untrusted" in out.stdout
    finally:
        shutil.rmtree(tmp)
