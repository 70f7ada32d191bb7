"""Fixtures for end-to-end tests: the real slattest binary serving HTTPS on a
free port against the real MariaDB that scripts/test.sh started and migrated.

Environment (set by scripts/test.sh):
  SLATTEST_BIN        the binary under test (release or ASan build)
  SLATTEST_PATHS_VAR  the var directory: embedded database and certificates
"""
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("SLATTEST_BIN", os.path.join(ROOT, "build/release/slattest"))
VAR = os.environ.get("SLATTEST_PATHS_VAR", os.path.join(ROOT, "var/test"))
CA = os.path.join(VAR, "certs", "ca.pem")


def cli(*args, env=None, check=True, input=None):
    """Runs the slattest CLI; returns the CompletedProcess."""
    e = dict(os.environ)
    e["SLATTEST_PATHS_VAR"] = VAR
    e.update(env or {})
    p = subprocess.run([BIN, *args], cwd=ROOT, env=e, capture_output=True, text=True,
                       input=input, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"slattest {' '.join(args)} failed ({p.returncode}):\n"
                             f"{p.stdout}\n{p.stderr}")
    return p


def sql(query):
    """Runs SQL through the mariadb client on the embedded server's socket."""
    sock = os.path.join(VAR, "mariadb", "mysqld.sock")
    p = subprocess.run(["mariadb", f"--socket={sock}", "-uroot", "-N", "-B", "slattest",
                        "-e", query], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [line.split("\t") for line in p.stdout.splitlines()]


class Server:
    """A running `slattest serve` on a free port; stopped with SIGTERM."""

    def __init__(self, extra_env=None):
        self.log_path = os.path.join(VAR, f"serve-{uuid.uuid4().hex[:8]}.log")
        env = dict(os.environ)
        env.update({"SLATTEST_PATHS_VAR": VAR, "SLATTEST_SERVER_LISTEN": "127.0.0.1:0"})
        env.update(extra_env or {})
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([BIN, "serve"], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.port = self._wait_port(deadline=time.time() + 60)
        self.url = f"https://localhost:{self.port}"
        self._wait_healthy(deadline=time.time() + 30)

    def _wait_port(self, deadline):
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}: {self.read_log()}")
            m = re.search(r'"msg":"listening".*"port":"(\d+)"', self.read_log())
            if m:
                return int(m.group(1))
            time.sleep(0.05)
        raise AssertionError("server did not report its port: " + self.read_log())

    def _wait_healthy(self, deadline):
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/healthz", verify=CA, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise AssertionError("server never became healthy: " + self.read_log())

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def log_lines(self):
        out = []
        for line in self.read_log().splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def stop(self, timeout=60):
        """SIGTERM, wait, and return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


# Short limits so that slow-client tests finish in seconds.
FAST_LIMITS = {
    "SLATTEST_SERVER_HEADER_TIMEOUT_S": "2",
    "SLATTEST_SERVER_IDLE_TIMEOUT_S": "5",
    "SLATTEST_SERVER_BODY_RATE_WINDOW_S": "2",
    "SLATTEST_SERVER_MIN_BODY_RATE": "100",
    "SLATTEST_SERVER_MAX_JSON_KB": "64",
    # The session's server runs no scheduler: schedule tests drive their own
    # looks (`schedule run-due --now`) or start a server with one.
    "SLATTEST_SCHEDULES_INTERVAL_S": "0",
}


@pytest.fixture(scope="session")
def server():
    s = Server(FAST_LIMITS)
    yield s
    code = s.stop()
    assert code == 0, f"server exit code {code} (sanitizer report?)\n{s.read_log()[-5000:]}"


def issue_token(role, *tenants):
    args = ["token", "issue", "--role", role]
    for t in tenants:
        args += ["--tenant", t]
    return cli(*args).stdout.strip()


@pytest.fixture(scope="session")
def admin_token():
    return issue_token("admin")


class Api:
    """requests with the CA, a base URL and a token."""

    def __init__(self, server, token=None):
        self.server = server
        self.s = requests.Session()
        self.s.verify = CA
        if token:
            self.s.headers["Authorization"] = f"Bearer {token}"

    def __getattr__(self, method):
        def call(path, **kw):
            kw.setdefault("timeout", 30)
            kw.setdefault("verify", CA)  # per call: REQUESTS_CA_BUNDLE would override the session
            return self.s.request(method.upper(), self.server.url + path, **kw)
        return call


@pytest.fixture(scope="session")
def admin(server, admin_token):
    return Api(server, admin_token)


def unique_slug(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_json_error(r, status, code=None):
    """The response has the status and the JSON error shape of INTERFACES.md."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers.get("X-Request-Id"), "every response carries X-Request-Id"
    body = r.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body


def raw_tls(port, payload, read_until_close=True, timeout=10):
    """Sends bytes over a verified TLS connection and returns what comes back."""
    import ssl
    ctx = ssl.create_default_context(cafile=CA)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with ctx.wrap_socket(sock, server_hostname="localhost") as tls:
            try:
                if payload:
                    tls.sendall(payload)
            except (ssl.SSLError, BrokenPipeError, ConnectionResetError):
                pass  # the server may answer and stop reading before we are done
            chunks = []
            try:
                while True:
                    b = tls.recv(65536)
                    if not b:
                        break
                    chunks.append(b)
                    if not read_until_close:
                        break
            except (ssl.SSLError, ConnectionResetError, socket.timeout):
                pass
            return b"".join(chunks)
