"""Fixtures for the cluster tests: three MariaDB Galera nodes, two slattest
instances (instance i talks to node i) and HAProxy in front of them, all on
loopback, started by scripts/cluster.sh (fresh for the session, destroyed
after).  Run by `make test-cluster` (scripts/test-cluster.sh)."""
import os
import subprocess
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("SLATTEST_BIN", os.path.join(ROOT, "build/release/slattest"))
DIR = os.path.join(ROOT, "var", "cluster")
CA = os.path.join(DIR, "certs", "ca.pem")
INI = os.path.join(DIR, "slattest.ini")
BASE = int(os.environ.get("CLUSTER_BASE", "36000"))
ENV = dict(os.environ, CLUSTER_BASE=str(BASE), SLATTEST_BIN=BIN, INSTANCES="2", STALE_S="4")


def cluster(*args, check=True, timeout=400):
    """Runs scripts/cluster.sh with the test settings."""
    p = subprocess.run([os.path.join(ROOT, "scripts", "cluster.sh"), *args], cwd=ROOT, env=ENV,
                       capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"cluster.sh {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}")
    return p


def cli(*args, check=True):
    """slattest --config var/cluster/slattest.ini ARGS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLATTEST_")}
    p = subprocess.run([BIN, "--config", INI, *args], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError(f"slattest {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}")
    return p


def node_sql(n, query):
    """A query on node n through its socket, as rows of strings."""
    # Causal: the node first applies what the cluster committed before.
    p = subprocess.run(["mariadb", f"--socket={DIR}/node{n}/mysqld.sock", "-uroot", "-N", "-B",
                        "slattest", "-e", "SET SESSION wsrep_sync_wait = 1; " + query],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return [line.split("\t") for line in p.stdout.splitlines()]


def instance_url(i):
    return f"https://localhost:{BASE + 100 + i}"


BALANCER = f"https://localhost:{BASE + 100}"


class Api:
    """requests against one base URL with a bearer token."""

    def __init__(self, url, token):
        self.url, self.token = url, token

    def call(self, method, path, **kw):
        headers = kw.pop("headers", {})
        headers["Authorization"] = f"Bearer {self.token}"
        return requests.request(method, self.url + path, headers=headers, verify=CA,
                                timeout=kw.pop("timeout", 600), **kw)


def wait_until(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session")
def up():
    cluster("destroy", check=False)
    cluster("up")
    yield
    cluster("destroy", check=False)


@pytest.fixture(scope="session")
def admin(up):
    token = cli("token", "issue", "--role", "admin").stdout.strip().split()[-1]
    return token
