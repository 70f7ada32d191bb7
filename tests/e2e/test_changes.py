"""The Changes sheets of a report's version 2 (REPORTS.md "Issued reports never
change"): a month is reported, a late contact and a corrected contact arrive in
two new batches, the report is generated again; version 2 supersedes version 1
and lists which values moved (read back with openpyxl and checked against
hand-worked numbers) and the two batches; version 1 stays downloadable,
verifiable and says it is the first version."""
import datetime
import hashlib
import os
import subprocess
import tempfile
import time

import openpyxl
import pytest

from conftest import CA, Api, cli, issue_token, unique_slug
from test_metrics import CONTRACT, H, answered

# October 2026 in Asia/Shanghai (CONTRACT: offered formula, threshold 20 s inclusive,
# target 0.80; answered() gives agent ag1 and AHT 100 + 0 + 20 = 120 s).
# 3 Oct (a Saturday): c1 10 s, c2 15 s, c3 30 s, c4 5 s -> offered 4, within 3 (c1 c2 c4),
#   SL 3/4 = 0.75, ASA (10 + 15 + 30 + 5) / 4 = 15.
# 4 Oct (a Sunday): c5 50 s -> offered 1, within 0, SL 0, ASA 50.
# Month: offered 5, within 3, SL 3/5 = 0.6, ASA 110 / 5 = 22.
FIRST = [answered("c1", 3, "09:00:00", 10), answered("c2", 3, "09:10:00", 15),
         answered("c3", 3, "09:20:00", 30), answered("c4", 3, "09:30:00", 5),
         answered("c5", 4, "10:00:00", 50)]
# A late contact: 3 Oct c6 8 s -> offered 5, within 4, SL 4/5 = 0.8, ASA 68 / 5 = 13.6.
LATE = [answered("c6", 3, "09:40:00", 8)]
# A correction: c5 answered after 12 s, not 50 -> 4 Oct within 1, SL 1/1 = 1, ASA 12.
# Month after both: offered 6, within 5, SL 5/6, ASA (68 + 12) / 6 = 13.333.
CORRECTION = [answered("c5", 4, "10:00:00", 12)]
XLSX_OPENSSL = ["openssl", "cms", "-verify", "-binary", "-inform", "DER"]


@pytest.fixture(scope="module")
def tenant(server, admin):
    slug = unique_slug("chg")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Changes", "timezone": "UTC"})
    manager = Api(server, issue_token("manager", slug))
    assert manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT).status_code == 201
    return slug, manager


def ingest(manager, slug, rows):
    r = manager.post(f"/v1/tenants/{slug}/cdrs", data=(H + "\n" + "\n".join(rows) + "\n").encode(),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    return r.json()


def generate(manager, slug, template):
    r = manager.post(f"/v1/tenants/{slug}/reports", json={"period": "2026-10", "template": template})
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    deadline = time.time() + 90
    while time.time() < deadline:
        meta = manager.get(f"/v1/tenants/{slug}/reports/{rid}").json()
        if meta["status"] in ("done", "failed"):
            assert meta["status"] == "done", meta
            return meta
        time.sleep(0.2)
    raise AssertionError(f"report {rid} not finished")


def download(manager, slug, meta, tmp):
    """The workbook and signature of a report as files; returns their paths."""
    wb = os.path.join(tmp, f"R{meta['id']}.xlsx")
    sig = os.path.join(tmp, f"R{meta['id']}.p7s")
    for path, what in ((wb, "workbook"), (sig, "signature")):
        r = manager.get(f"/v1/tenants/{slug}/reports/{meta['id']}/{what}")
        assert r.status_code == 200, r.text
        with open(path, "wb") as f:
            f.write(r.content)
    return wb, sig


def changes(path):
    """The Changes sheet: its first row's note, and {(sheet, row, metric): (prev, new, diff,
    note)} for the rest."""
    ws = openpyxl.load_workbook(path, data_only=True)["Changes"]
    header = [c.value for c in ws[1]]
    assert header == ["Sheet", "Row", "Metric", "Previous value", "New value", "Difference",
                      "Note"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    listed = {}
    for sheet, row, metric, prev, new, diff, note in rows[1:]:
        key = (sheet, row, metric)
        assert key not in listed, key
        listed[key] = (prev, new, diff, note)
    return rows[0][6], listed


def batches(path):
    ws = openpyxl.load_workbook(path, data_only=True)["Changes - batches"]
    header = [c.value for c in ws[1]]
    assert header == ["Batch", "Kind", "Received at (UTC)", "Rows", "Inserted", "Updated",
                      "Unchanged", "Rejected", "Rows now in the period"]
    return [dict(zip(header, [c.value for c in r])) for r in ws.iter_rows(min_row=2)]


@pytest.fixture(scope="module")
def versions(tenant):
    """Client and internal version 1, the two batches, then version 2 of both."""
    slug, manager = tenant
    assert ingest(manager, slug, FIRST)["inserted"] == 5
    v1 = generate(manager, slug, "client-monthly")
    i1 = generate(manager, slug, "internal-monthly")
    late = ingest(manager, slug, LATE)
    fix = ingest(manager, slug, CORRECTION)
    assert (late["inserted"], late["updated"]) == (1, 0)
    assert (fix["inserted"], fix["updated"]) == (0, 1)
    v2 = generate(manager, slug, "client-monthly")
    i2 = generate(manager, slug, "internal-monthly")
    return {"v1": v1, "v2": v2, "i1": i1, "i2": i2, "late": late, "fix": fix}


def test_version_2_lists_the_values_that_moved(tenant, versions):
    slug, manager = tenant
    v1, v2 = versions["v1"], versions["v2"]
    assert (v1["version"], v1["supersedes"]) == (1, None)
    assert (v2["version"], v2["supersedes"]) == (2, v1["id"])
    assert v2["data_digest"] != v1["data_digest"]
    tmp = tempfile.mkdtemp()
    wb, _ = download(manager, slug, v2, tmp)
    assert openpyxl.load_workbook(wb).sheetnames[:4] == ["Cover", "Changes", "Changes - batches",
                                                         "Scorecard"]
    first, listed = changes(wb)
    assert first.startswith(f"Compared with version 1 (report {v1['id']}, generated at "
                            f"{v1['generated_at']}): {len(listed)} values changed.")

    def moved(sheet, row, metric, prev, new):
        got = listed[(sheet, row, metric)]
        assert got[0] == pytest.approx(prev) and got[1] == pytest.approx(new), (sheet, row, got)
        assert got[2] == pytest.approx(new - prev), (sheet, row, got)

    # Daily, worked at the top of this file: 3 Oct offered 4 -> 5, SL 0.75 -> 0.8,
    # ASA 15 -> 13.6; 4 Oct SL 0 -> 1, ASA 50 -> 12; the month 5 -> 6, 0.6 -> 5/6.
    moved("Daily", "2026-10-03", "Offered", 4, 5)
    moved("Daily", "2026-10-03", "Answered", 4, 5)
    moved("Daily", "2026-10-03", "Service level", 0.75, 0.8)
    assert listed[("Daily", "2026-10-03", "Service level")][2] == 0.05  # to 15 digits
    moved("Daily", "2026-10-03", "SL numerator", 3, 4)  # hidden columns are values too
    moved("Daily", "2026-10-03", "ASA (s)", 15, 13.6)
    moved("Daily", "2026-10-04", "Service level", 0, 1)
    moved("Daily", "2026-10-04", "ASA (s)", 50, 12)
    moved("Daily", "Month", "Offered", 5, 6)
    moved("Daily", "Month", "Service level", 0.6, 5 / 6)
    moved("Daily", "Month", "ASA (s)", 22, 80 / 6)
    # Scorecard: service_level >= 0.80 was missed at 0.6 (credit 3 % of 120000.00 =
    # 3600.00) and is met at 5/6 (credit 0); abandon_rate is 0 in both: not listed.
    moved("Scorecard", "service_level", "Actual", 0.6, 5 / 6)
    moved("Scorecard", "service_level", "Met", 0, 1)
    moved("Scorecard", "service_level", "Credit", 3600, 0)
    moved("Scorecard", "Total", "Credit after cap", 3600, 0)
    # Intervals: Sunday 10:00 is 4 Oct's c5, 0/1 -> 1/1.  Saturday 09:30 had c4 within (1/1)
    # and gains c6 within (2/2): the same 1, not listed.
    moved("Intervals", "10:00", "Sun", 0, 1)
    assert ("Intervals", "09:30", "Sat") not in listed
    moved("Queues", "sales", "Offered", 5, 6)
    moved("Queues", "sales", "Longest wait (s)", 50, 30)  # c3's 30 s is the longest now
    moved("Quality", "Agent 001", "Answered", 5, 6)
    # Data quality (a facts sheet: no row): the batches that last wrote an October
    # contact: 5 rows, then 5 + 1 + 1 = 7.  Version 1 was the period's first report: nothing
    # late.  Version 2: the period closed when version 1 was requested, and the late batch
    # (c6) and the correction (c5, last written by it) came after: 0 -> 2.
    moved("Data quality", None, "Rows received", 5, 7)
    moved("Data quality", None, "Late arrivals", 0, 2)
    # Unchanged values are not listed: AHT 120 s, abandons 0, the target, the method.
    for key in (("Daily", "2026-10-03", "AHT (s)"), ("Daily", "2026-10-03", "Abandoned"),
                ("Daily", "2026-10-03", "SL target"), ("Daily", "2026-10-05", "Offered"),
                ("Scorecard", "abandon_rate", "Actual"), ("Queues", "sales", "AHT (s)")):
        assert key not in listed, key
    assert {k[0] for k in listed} <= {"Scorecard", "Daily", "Intervals", "Queues", "Quality",
                                      "Data quality"}
    # A text that changed is worded in the note: the item's result went from missed to met.
    status = listed[("Scorecard", "service_level", "Result")]
    assert "missed" in status[3] and "met" in status[3], status
    # When the period closed did not move: every version names its first report (version 1),
    # so two versions of unchanged data have one data digest.
    assert ("Data quality", None, "Period closed") not in listed
    # Every listed number moved.
    texts = ("Result",)
    assert all(p != n for key, (p, n, _, _) in listed.items() if key[2] not in texts)

    # Why: the two batches after version 1, in order, with their receipts' counts; each
    # wrote one October contact that stands now (c6; c5 again).
    got = batches(wb)
    assert [b["Batch"] for b in got] == [versions["late"]["batch_id"], versions["fix"]["batch_id"]]
    assert [(b["Kind"], b["Rows"], b["Inserted"], b["Updated"], b["Unchanged"], b["Rejected"],
             b["Rows now in the period"]) for b in got] == [("cdrs", 1, 1, 0, 0, 0, 1),
                                                           ("cdrs", 1, 0, 1, 0, 0, 1)]
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    for b in got:
        assert isinstance(b["Received at (UTC)"], datetime.datetime)
        assert abs((now - b["Received at (UTC)"]).total_seconds()) < 600


def test_version_1_stays_verifiable_and_says_first_version(tenant, versions):
    slug, manager = tenant
    v1 = versions["v1"]
    tmp = tempfile.mkdtemp()
    wb, sig = download(manager, slug, v1, tmp)
    with open(wb, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == v1["sha256"]
    cmd = XLSX_OPENSSL + ["-in", sig, "-content", wb, "-CAfile", CA, "-out", "/dev/null"]
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert cli("verify", wb, sig, "--ca", CA).returncode == 0
    first, listed = changes(wb)
    assert first == "First version: nothing changed (no earlier version)." and listed == {}
    # Not an empty table: the batch list says so too.
    [only] = batches(wb)
    assert only["Kind"] == "First version: nothing changed" and only["Batch"] is None
    assert only["Rows"] is None
    listing = {r["id"]: r for r in manager.get(f"/v1/tenants/{slug}/reports").json()["reports"]}
    assert not listing[v1["id"]]["current"] and listing[versions["v2"]["id"]]["current"]


def test_version_2_rebuilds_byte_identical(versions):
    """The stored batch marks make the batch list reproducible."""
    v2 = versions["v2"]
    tmp = tempfile.mkdtemp()
    out = cli("report", "--rebuild", str(v2["id"]), os.path.join(tmp, "again.xlsx"))
    assert "byte-identical" in out.stdout


def test_internal_version_2_lists_metric_values_not_evidence_rows(tenant, versions):
    slug, manager = tenant
    i1, i2 = versions["i1"], versions["i2"]
    assert (i2["version"], i2["supersedes"]) == (2, i1["id"])
    tmp = tempfile.mkdtemp()
    wb, _ = download(manager, slug, i2, tmp)
    first, listed = changes(wb)
    assert first.startswith(f"Compared with version 1 (report {i1['id']},")
    # Agents, with the real id: ag1 answered 5 -> 6.
    assert listed[("Agents", "ag1", "Answered")][:2] == (5, 6)
    # The correction puts c5 (4 Oct 10:00 local) at 12 s, within T = 20 s: its interval's
    # service level goes 0 -> 1; the Staffing row is keyed by its start, worded as the
    # sheet shows it.
    assert listed[("Staffing", "2026-10-04 10:00", "Service level")][:2] == (0, 1)
    assert ("Staffing", "2026-10-04 10:00", "Answered") not in listed  # 1 answered in both
    # Evidence lists contacts, not metric values (REPORTS.md: the Changes sheet lists
    # which metric values moved): c5 left it, but no Evidence row is listed; a version
    # keeps no copy of its per-contact rows.
    assert not any(k[0] == "Evidence" for k in listed)
    assert len(batches(wb)) == 2
