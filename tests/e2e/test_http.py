"""The HTTPS layer: TLS only, limits, protocol errors, request ids, logs,
metrics, graceful shutdown.  Each bad input gets the right status and a JSON
error, and the server keeps serving afterwards."""
import json
import os
import socket
import ssl
import subprocess
import time

import requests

from conftest import CA, FAST_LIMITS, Server, assert_json_error, raw_tls


def still_serving(server):
    assert requests.get(server.url + "/healthz", verify=CA, timeout=5).status_code == 200


def test_health_and_request_ids(server):
    r1 = requests.get(server.url + "/healthz", verify=CA)
    r2 = requests.get(server.url + "/healthz", verify=CA)
    assert r1.status_code == 200 and r1.json() == {"status": "ok"}
    id1, id2 = r1.headers["X-Request-Id"], r2.headers["X-Request-Id"]
    assert len(id1) == 16 and id1 != id2


def test_curl_verifies_with_the_dev_ca_without_k(server):
    out = subprocess.run(["curl", "-sS", "--cacert", CA, server.url + "/readyz"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["status"] == "ready"


def test_plain_http_on_the_tls_port_is_never_answered_in_plain_text(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = b""
        try:
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
        except (ConnectionResetError, socket.timeout):
            pass
    assert b"HTTP/" not in data and b"status" not in data
    still_serving(server)


def test_garbage_tls_bytes_are_dropped(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"\x16\x03\x01\x00\x05garbage-and-more-garbage" * 10)
        try:
            while s.recv(4096):
                pass
        except (ConnectionResetError, socket.timeout):
            pass
    still_serving(server)


def _handshake(port, version):
    ctx = ssl.create_default_context(cafile=CA)
    ctx.minimum_version = version
    ctx.maximum_version = version
    if version < ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            return t.version()


def test_tls_12_and_13_only(server):
    assert _handshake(server.port, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    assert _handshake(server.port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        try:
            _handshake(server.port, old)
        except (ssl.SSLError, ConnectionResetError, OSError):
            continue
        raise AssertionError(f"{old} was accepted")
    still_serving(server)


def test_unknown_route_is_404_json(server):
    assert_json_error(requests.get(server.url + "/nope", verify=CA), 404, "not_found")
    assert_json_error(requests.get(server.url + "/v1/tenants/", verify=CA), 404, "not_found")


def test_wrong_method_is_405_with_allow(server):
    r = requests.put(server.url + "/v1/tenants", verify=CA)
    assert_json_error(r, 405, "method_not_allowed")
    assert set(x.strip() for x in r.headers["Allow"].split(",")) == {"GET", "POST"}


def test_malformed_percent_encoding_and_nul(server):
    for path in (b"/v1/tenants/%zz", b"/v1/tenants/%4", b"/v1/tenants/a%00b", b"/v1/%ff%fe"):
        resp = raw_tls(server.port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert resp.startswith(b"HTTP/1.1 400 "), (path, resp[:200])
        body = json.loads(resp.split(b"\r\n\r\n", 1)[1])
        assert body["error"]["code"] == "bad_url"
    still_serving(server)


def test_malformed_request_line_is_400_json(server):
    resp = raw_tls(server.port, b"GET /healthz HTTP/9.9\r\n\r\n")
    assert resp.startswith(b"HTTP/1.1 505 "), resp[:200]
    assert json.loads(resp.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "http_version"
    resp = raw_tls(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
    assert resp.startswith(b"HTTP/1.1 400 "), resp[:200]
    assert json.loads(resp.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "bad_request"
    resp = raw_tls(server.port, b"BREW /coffee HTTP/1.1\r\n\r\n")
    assert resp.startswith(b"HTTP/1.1 400 "), resp[:200]
    still_serving(server)


def test_oversized_headers_get_431(server):
    big = b"X-Big: " + b"a" * (20 * 1024) + b"\r\n"
    resp = raw_tls(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
    assert resp.startswith(b"HTTP/1.1 431 "), resp[:200]
    assert json.loads(resp.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "headers_too_large"
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(200))
    resp = raw_tls(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert resp.startswith(b"HTTP/1.1 431 "), resp[:200]
    still_serving(server)


def test_body_over_the_limit_gets_413_before_it_is_sent(server, admin_token):
    # A 2 GB Content-Length: the answer must come without sending any of the body.
    head = (b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
            admin_token.encode() + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2147483648\r\n\r\n")
    t0 = time.time()
    resp = raw_tls(server.port, head, timeout=10)
    assert resp.startswith(b"HTTP/1.1 413 "), resp[:200]
    assert json.loads(resp.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "body_too_large"
    assert time.time() - t0 < 5
    # Chunked bodies are counted as they arrive (limit is 64 KiB in these tests).
    chunk = b"%x\r\n" % 40000 + b"x" * 40000 + b"\r\n"
    resp = raw_tls(server.port, b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\n"
                   b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n" +
                   chunk * 3 + b"0\r\n\r\n")
    assert resp.startswith(b"HTTP/1.1 413 "), resp[:200]
    still_serving(server)


def test_a_body_on_a_route_that_takes_none_is_413(server):
    r = requests.get(server.url + "/v1/tenants", data=b"x" * 10, verify=CA)
    assert_json_error(r, 413, "body_too_large")


def test_slow_headers_are_dropped(server):
    # One byte every 0.5 s: the 2 s header deadline ends it with 408 long before it is done.
    ctx = ssl.create_default_context(cafile=CA)
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            got = b""
            try:
                for ch in request:
                    t.sendall(bytes([ch]))
                    time.sleep(0.5)
                    if time.time() - t0 > 12:
                        break
                got = t.recv(4096)
            except (ssl.SSLError, BrokenPipeError, ConnectionResetError, socket.timeout):
                pass
    assert time.time() - t0 < 12, "the slow client was never dropped"
    assert got == b"" or got.startswith(b"HTTP/1.1 408 "), got[:100]
    still_serving(server)


def test_slow_body_is_dropped(server, admin_token):
    ctx = ssl.create_default_context(cafile=CA)
    head = (b"POST /v1/tenants HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
            admin_token.encode() + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n")
    t0 = time.time()
    got = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            t.sendall(head)
            try:
                for _ in range(40):
                    t.sendall(b"{")
                    time.sleep(0.5)
                    t.settimeout(0.01)
                    try:
                        got += t.recv(4096)
                    except (socket.timeout, ssl.SSLWantReadError):
                        pass
                    t.settimeout(15)
                    if got:
                        break
            except (ssl.SSLError, BrokenPipeError, ConnectionResetError):
                pass
    assert time.time() - t0 < 15
    assert got.startswith(b"HTTP/1.1 408 "), got[:100]
    assert b'"too_slow"' in got
    still_serving(server)


def test_keep_alive_and_pipelining(server):
    two = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    resp = raw_tls(server.port, two)
    assert resp.count(b"HTTP/1.1 200 OK") == 2, resp


def test_every_request_is_one_json_log_line(server):
    r = requests.get(server.url + "/healthz", verify=CA)
    rid = r.headers["X-Request-Id"]
    time.sleep(0.2)
    lines = [l for l in server.log_lines() if l.get("request_id") == rid]
    assert len(lines) == 1
    line = lines[0]
    assert line["msg"] == "request" and line["status"] == 200 and line["path"] == "/healthz"
    assert line["method"] == "GET" and "duration_ms" in line and line["ts"].endswith("Z")


def test_metrics_exposition(server, admin):
    admin.get("/v1/tenants")
    requests.get(server.url + "/nope", verify=CA)
    text = requests.get(server.url + "/metrics", verify=CA).text
    assert 'slattest_http_requests_total{route="/v1/tenants",method="GET",status="200"}' in text
    assert 'slattest_http_requests_total{route="unmatched",method="GET",status="404"}' in text
    assert 'slattest_http_request_duration_seconds_bucket{route="/v1/tenants",le="+Inf"}' in text
    assert "slattest_db_errors_total " in text
    # Cumulative buckets never decrease.
    counts = [int(l.rsplit(" ", 1)[1]) for l in text.splitlines()
              if l.startswith('slattest_http_request_duration_seconds_bucket{route="/healthz"')]
    assert counts == sorted(counts) and counts[-1] >= 1


def test_sigterm_finishes_the_request_in_flight_then_exits_0(admin_token):
    s = Server(FAST_LIMITS)
    ctx = ssl.create_default_context(cafile=CA)
    body = json.dumps({"slug": "inflight-" + os.urandom(4).hex(), "name": "In flight",
                       "timezone": "Europe/Berlin"}).encode()
    head = (b"POST /v1/tenants HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
            admin_token.encode() + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    with socket.create_connection(("127.0.0.1", s.port), timeout=20) as sock:
        with ctx.wrap_socket(sock, server_hostname="localhost") as t:
            t.sendall(head + body[:10])
            time.sleep(0.3)
            s.proc.send_signal(15)
            time.sleep(0.3)
            # New connections are refused while the old request finishes.
            try:
                socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
                refused = False
            except OSError:
                refused = True
            t.sendall(body[10:])
            resp = b""
            while True:
                b = t.recv(4096)
                if not b:
                    break
                resp += b
    assert refused
    assert resp.startswith(b"HTTP/1.1 201 "), resp[:300]
    assert b"Connection: close" in resp
    assert s.proc.wait(timeout=30) == 0  # exits by itself once the request is done
    assert s.stop() == 0
