"""Fixtures for the browser tests: a real headless Chromium driven by
Selenium against a real `slattest serve` (the end-to-end fixtures of
tests/e2e/conftest.py), and a tenant with an issued month.

Run by scripts/test.sh for the release build after the end-to-end tests (the
database is running and migrated).  Screenshots go to var/test/screenshots.
"""
import importlib.util
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

_spec = importlib.util.spec_from_file_location(
    "e2e_conftest", os.path.join(os.path.dirname(__file__), "..", "e2e", "conftest.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

PASSWORD = "browser test password 1"
SHOTS = os.path.join(e2e.VAR, "screenshots")


@pytest.fixture(scope="session")
def server():
    # Throttling by address would count the end-to-end tests' failed logins from 127.0.0.1.
    s = e2e.Server({"SLATTEST_PORTAL_ADDRESS_LOCK_AFTER": "100000"})
    yield s
    code = s.stop()
    assert code == 0, f"server exit code {code}\n{s.read_log()[-5000:]}"


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    """A tenant with October 2026 issued, a tenant with a hostile name, and
    a manager, a client and an auditor of the first (the manager sees both)."""
    work = tmp_path_factory.mktemp("browser")
    slug = "br-" + uuid.uuid4().hex[:8]
    hostile = "hx-" + uuid.uuid4().hex[:8]
    e2e.cli("tenant", "add", slug, "--name", "Browser Insurance", "--tz", "Asia/Shanghai")
    e2e.cli("tenant", "add", hostile, "--name", "<script>alert(1)</script>", "--tz", "UTC")
    csv = str(work / "contacts.csv")
    subprocess.run(["/usr/bin/python3", "bench/ingest", "--csv-only", csv], cwd=e2e.ROOT,
                   env=dict(os.environ, N="800", SEED="5"), check=True, capture_output=True)
    e2e.cli("contract", slug, "scripts/demo/contract.json")
    e2e.cli("ingest", slug, csv)
    xlsx = str(work / "client-2026-10.xlsx")
    e2e.cli("report", slug, "--period", "2026-10", "--template", "client-monthly", "-o", xlsx)
    people = {}
    for role, tenants in (("manager", [slug, hostile]), ("client", [slug]), ("auditor", [slug])):
        email = f"{role}-{uuid.uuid4().hex[:6]}@example.com"
        args = ["user", "add", email, "--role", role, "--password-stdin"]
        for t in tenants:
            args += ["--tenant", t]
        e2e.cli(*args, input=PASSWORD + "\n")
        people[role] = email
    os.makedirs(SHOTS, exist_ok=True)
    return {"slug": slug, "hostile": hostile, "people": people, "xlsx": xlsx,
            "p7s": xlsx[:-5] + ".p7s"}


@pytest.fixture
def browser():
    """A fresh headless Chromium (its own profile) that trusts nothing but
    is told to accept the private CA's certificate."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="slattest-chromium-")
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--user-data-dir={profile}", "--ignore-certificate-errors",
              "--window-size=1280,1100", "--lang=en-GB"):
        opts.add_argument(a)
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or
                                              "/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
