"""The event loop's lag on /metrics (issue 18: /healthz p99 under load): a
100 ms timer on the loop counts how late it fires, so an operator sees the
wait of everything the loop answers without a client of their own."""
import re
import time

import requests

from conftest import CA


def lag(server):
    text = requests.get(server.url + "/metrics", verify=CA, timeout=10).text
    count = re.search(r"^slattest_event_loop_lag_seconds_count (\d+)$", text, re.M)
    inf = re.search(r'^slattest_event_loop_lag_seconds_bucket\{le="\+Inf"\} (\d+)$', text, re.M)
    mx = re.search(r"^slattest_event_loop_lag_max_seconds (\S+)$", text, re.M)
    assert count and inf and mx, text[-2000:]
    assert count.group(1) == inf.group(1)
    return int(count.group(1)), float(mx.group(1))


def test_event_loop_lag_is_measured(server):
    n0, _ = lag(server)
    time.sleep(1.0)
    n1, mx = lag(server)
    # A tick every 100 ms: about 10 in a second (fewer only on a starved machine).
    assert 5 <= n1 - n0 <= 12, (n0, n1)
    assert 0 <= mx < 60, mx
