"""What an auditor needs to trust a workbook (issue 13): the CA's fingerprint on the Cover,
in VERIFY.txt and in GET /v1/certificates, each checked against openssl's own reading of
ca.pem; what a valid check proves; -attime with its date in words; the workbook itself; the
verification audited under the report's tenant; and which version is current."""
import datetime
import io
import os
import re
import subprocess
import tempfile
import zipfile

import openpyxl
import pytest

from conftest import CA, Api, issue_token, unique_slug
from test_metrics import CONTRACT, H, ROWS
from test_reports import request, wait_done


def openssl_fingerprint(pem_path):
    """The SHA-256 fingerprint openssl prints, as 64 lowercase hex digits."""
    out = subprocess.run(["openssl", "x509", "-in", pem_path, "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1].replace(":", "").lower()


@pytest.fixture(scope="module")
def setup(server, admin):
    slug = unique_slug("aud")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Audited", "timezone": "UTC"})
    manager = Api(server, issue_token("manager", slug))
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=(H + "\n" + "\n".join(ROWS) + "\n").encode(),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT).status_code == 201
    meta = wait_done(manager, slug, request(manager, slug))
    assert meta["status"] == "done", meta
    return slug, manager, Api(server, issue_token("auditor", slug)), meta


def test_ca_fingerprint_is_published_and_on_the_cover(setup):
    slug, manager, auditor, meta = setup
    ca_fp = openssl_fingerprint(CA)
    body = auditor.get("/v1/certificates").json()
    assert body["ca"]["fingerprint"] == ca_fp and body["ca"]["status"] == "ca"
    assert body["certificates"][0]["fingerprint"] == meta["signer_fingerprint"]
    r = auditor.get(f"/v1/tenants/{slug}/reports/{meta['id']}/workbook")
    assert r.status_code == 200  # an auditor downloads the workbook itself, not only the bundle
    path = os.path.join(tempfile.mkdtemp(), "A.xlsx")
    with open(path, "wb") as f:
        f.write(r.content)
    cover = {row[0].value: row[1].value
             for row in openpyxl.load_workbook(path)["Cover"].iter_rows() if row[0].value}
    assert cover["CA certificate (SHA-256)"] == ca_fp
    assert cover["Check the CA"].startswith("Before trusting ca.pem, compare the CA fingerprint "
                                            "above with one you obtain yourself "
                                            "(GET /v1/certificates")
    # Methodology says what a valid signature proves, and what it does not.
    rows = {row[0].value: row[1].value
            for row in openpyxl.load_workbook(path)["Methodology"].iter_rows() if row[0].value}
    proves = rows["What the signature proves"]
    assert "integrity and signer" in proves and "signer's own claim" in proves
    assert "slattest report --rebuild" in proves and "superseded_by" in proves


def test_verify_txt_names_the_ca_and_says_what_it_proves(setup):
    slug, manager, auditor, meta = setup
    r = auditor.get(f"/v1/tenants/{slug}/reports/{meta['id']}/bundle")
    assert r.status_code == 200
    z = zipfile.ZipFile(io.BytesIO(r.content))
    text = z.read("VERIFY.txt").decode()
    tmp = tempfile.mkdtemp()
    z.extract("ca.pem", tmp)
    ca_fp = openssl_fingerprint(os.path.join(tmp, "ca.pem"))
    assert f"CA certificate SHA-256:      {ca_fp}\n" in text
    assert "with one you obtain independently, from GET /v1/certificates" in text
    # -attime with the date in words, worked out here from generated_at independently.
    at = datetime.datetime.strptime(meta["generated_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    words = f"{at:%A} {at.day} {at:%B %Y, %H:%M:%S} UTC"
    assert f"  -attime {int(at.timestamp())}     (that is {words})\n" in text
    assert "What a valid check proves:" in text
    assert "The signing time is the signer's own claim" in text
    assert f"slattest report --rebuild {meta['id']} FILE.xlsx" in text
    assert f"GET /v1/tenants/{slug}/reports/{meta['id']}" in text and "superseded_by" in text


def test_a_verification_is_audited_under_the_reports_tenant(setup, server, admin):
    slug, manager, auditor, meta = setup
    wb = manager.get(f"/v1/tenants/{slug}/reports/{meta['id']}/workbook").content
    sig = manager.get(f"/v1/tenants/{slug}/reports/{meta['id']}/signature").content
    # An auditor of another tenant verifies it: valid, not told whose it is, but the entry is
    # this tenant's (it identifies this tenant's report), so this tenant's auditor sees it.
    other = unique_slug("oth")
    admin.post("/v1/tenants", json={"slug": other, "name": "O", "timezone": "UTC"})
    stranger = Api(server, issue_token("auditor", other))
    r = stranger.post("/v1/verify", files={"workbook": ("R.xlsx", wb), "signature": ("R.p7s", sig)})
    assert r.status_code == 200 and r.json()["report_id"] is None
    entries = auditor.get(f"/v1/audit?tenant={slug}&limit=10000").json()["entries"]
    verifies = [e for e in entries if e["action"] == "report.verify"]
    assert verifies and verifies[-1]["object"] == f"report:{meta['id']}/verify"
    assert verifies[-1]["detail"] == {"sha256": meta["sha256"], "valid": True}
    assert verifies[-1]["tenant"] == slug
    # The other tenant's log does not get it.
    theirs = Api(server, issue_token("auditor", other)).get(f"/v1/audit?tenant={other}").json()
    assert not [e for e in theirs["entries"] if e["action"] == "report.verify"]


def test_which_version_is_current(setup):
    slug, manager, auditor, meta = setup
    first = auditor.get(f"/v1/tenants/{slug}/reports/{meta['id']}").json()
    assert first["superseded_by"] is None or first["superseded_by"] > meta["id"]
    second = wait_done(manager, slug, request(manager, slug))
    assert second["supersedes"] == meta["id"] and second["superseded_by"] is None
    first = auditor.get(f"/v1/tenants/{slug}/reports/{meta['id']}").json()
    assert first["superseded_by"] == second["id"] and not first["current"]
