"""The client Cover as a one-page summary and the honest small samples (issue 13), on a
tenant whose QA target is judged on four evaluations, worked by hand.

Contract from 2026-10-01 (Asia/Shanghai): fee 1,000.00 USD, cap 10 %, precision 5 points;
service_level >= 0.80 (credit 3 %) and qa_score >= 80 (credit 2 %).
Contacts c1 c2 c3 (test_reports.QA_CDRS): answered by a1 in 10 s on 5 Oct: SL 3/3 = 1, met.
Evaluations (form q: 4 pass/fail items, 25 points each): E1 c1 100, E2 c2 75, E3 c3 50,
E4 c1 100 (no appeal): QA score (100 + 75 + 50 + 100) / 4 = 81.25 >= 80, met.
  deviations 18.75 -6.25 -31.25 18.75, squares 351.5625 + 39.0625 + 976.5625 + 351.5625 =
  1718.75, sd = sqrt(1718.75 / 3) = 23.936; half-width t(0.975, 3) 3.18245 x 23.936 / 2 =
  38.09 > 5 points: the sample is too small, and the Scorecard and the Cover say so.
Verdict: 2 of 2 targets met; no credit.
"""
import os
import tempfile

import openpyxl
import pytest

from conftest import Api, issue_token, unique_slug
from test_metrics import H
from test_reports import QA_CDRS, QA_FORM, qa_cal, qa_eval, request, table, wait_done

CONTRACT = {"effective_from": "2026-10-01", "timezone": "Asia/Shanghai", "monthly_fee": 1000,
            "currency": "USD", "credit_cap_pct": 10, "qa_precision_pts": 5,
            "items": [{"metric": "service_level", "comparator": ">=", "target": 0.8,
                       "credit_pct": 3},
                      {"metric": "qa_score", "comparator": ">=", "target": 80, "credit_pct": 2}]}


@pytest.fixture(scope="module")
def tenant(server, admin):
    slug = unique_slug("cov")
    admin.post("/v1/tenants", json={"slug": slug, "name": "Cover Tenant", "timezone": "UTC"})
    manager = Api(server, issue_token("manager", slug))
    assert manager.put(f"/v1/tenants/{slug}/contract", json=CONTRACT).status_code == 201
    assert manager.put(f"/v1/tenants/{slug}/qa/forms/q", json=QA_FORM).status_code == 201

    def post(kind, header, rows):
        r = manager.post(f"/v1/tenants/{slug}/{kind}", data=(header + "\n" + rows + "\n").encode(),
                         headers={"Content-Type": "text/csv"})
        assert r.status_code == 200 and r.json().get("rejected", 0) == 0, r.text

    post("cdrs", H, QA_CDRS)
    post("qa/evaluations", "evaluation_id,call_id,agent_id,inspector_id,form_id,form_version,"
         "evaluated_at,item_id,result", "\n".join(
             qa_eval("E1", "c1", "i1", "2026-10-05T12:00:00+08:00", 4) +
             qa_eval("E2", "c2", "i1", "2026-10-06T09:05:00+08:00", 3) +
             qa_eval("E3", "c3", "i1", "2026-10-10T09:05:00+08:00", 2) +
             qa_eval("E4", "c1", "i2", "2026-10-05T10:05:00+08:00", 4)))
    return slug, manager


def generate(manager, slug, template):
    """A new report of October: the workbook with its formulas, and with their values."""
    meta = wait_done(manager, slug, request(manager, slug, template=template))
    assert meta["status"] == "done", meta
    path = os.path.join(tempfile.mkdtemp(), "W.xlsx")
    with open(path, "wb") as f:
        f.write(manager.get(f"/v1/tenants/{slug}/reports/{meta['id']}/workbook").content)
    return openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)


@pytest.fixture(scope="module")
def workbook(tenant):
    slug, manager = tenant
    return generate(manager, slug, "client-monthly")


def facts_of(ws):
    return {r[0].value: r[1].value for r in ws.iter_rows() if r[0].value}


def test_cover_verdict_items_and_qa_caution(workbook):
    book, values = workbook
    cover = facts_of(values["Cover"])
    assert cover["In one line"] == "2 of 2 targets met; no credit"
    assert cover["Credit after the cap"] == 0 and cover["Cap on the month's credit"] == 100
    assert cover["QA score"] == pytest.approx(81.25)
    assert cover["QA score, 95% interval from"] == pytest.approx(81.25 - 38.09, abs=0.01)
    assert cover["QA score, 95% interval to"] == pytest.approx(81.25 + 38.09, abs=0.01)
    assert cover["QA sample"].startswith(
        "4 evaluations: sample too small: the interval is +/-38.1 points, wider than the "
        "contract's +/-5 (")
    rows = [[c.value for c in r] for r in values["Cover"].iter_rows()
            if any(c.value is not None for c in r)]
    at = [r[0] for r in rows].index("The contract's targets this month")
    assert [r[0] for r in rows[at + 2:at + 4]] == ["Service level", "QA score"]
    assert rows[at + 3][3] == pytest.approx(81.25) and rows[at + 3][4] == "met"


def test_scorecard_says_a_qa_target_rests_on_too_small_a_sample(workbook):
    book, values = workbook
    header, rows = table(values["Scorecard"])
    col = {name: i for i, name in enumerate(header)}
    qa = rows["QA score"]
    assert qa[col["Result"]].value == "met"
    note = qa[col["Note"]].value
    assert note.startswith("sample too small: judged on 4 evaluations, short of the contract's "
                           "+/-5 points; ") and note.endswith(" needed")
    # The service level is not judged on a sample: no caution.
    assert rows["Service level"][col["Note"]].value is None


def test_qa_csat_explains_pearson_and_spearman(workbook):
    book, values = workbook
    ws = values["QA-CSAT"]
    facts = facts_of(ws)
    # No survey in these contacts: no pair, no agent with 5 of each: both marked.
    assert facts["Too few pairs (under 10): r is indicative only"] == 1
    assert facts["Too few agents (under 10): rho is indicative only"] == 1
    reading = facts["How to read them"]
    assert reading.startswith("Pearson compares contacts (a contact's QA score with its own "
                              "survey), Spearman compares agents")
    assert "Pearson rests on 0 contacts, fewer than 10: indicative only." in reading
    assert "Spearman rests on 0 agents, fewer than 10: indicative only." in reading


@pytest.fixture(scope="module")
def internal(tenant):
    """The internal workbook after a calibration session S9 on c1 (8 Oct) whose reference is
    "ref9", who is not on October's inspector list (only i1 is) and evaluated nothing."""
    slug, manager = tenant
    r = manager.post(f"/v1/tenants/{slug}/qa/calibrations",
                     data=("session_id,call_id,inspector_id,is_reference,evaluated_at,item_id,"
                           "result,form_id,form_version\n" + "\n".join(
                               qa_cal("S9", "ref9", 1, "2026-10-08T09:00:00Z", 4) +
                               qa_cal("S9", "i1", 0, "2026-10-08T09:00:00Z", 3)) + "\n").encode(),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json().get("rejected", 0) == 0, r.text
    r = manager.put(f"/v1/tenants/{slug}/qa/inspectors", json={"month": "2026-10", "inspectors": [
        {"inspector_id": "i1", "name": "Li Wei", "monthly_quota": 6}]})
    assert r.status_code == 200, r.text
    return generate(manager, slug, "internal-monthly")


def test_a_calibration_reference_only_is_shown_as_the_reference(internal):
    """ref9 is only S9's reference: shown as such, with no metric, not as an inspector with no
    evaluations; i1 (E1 E2 E3, quota 6) is an inspector as usual: 3 evaluations, attainment
    0.5, and S9 compared with ref9's 100: 75 - 100 = -25 points."""
    book, values = internal
    header, rows = table(values["Inspectors"])
    col = {name: i for i, name in enumerate(header)}
    ref = rows["ref9"]
    assert ref[col["Name"]].value == "calibration reference only (not on the month's list)"
    assert ref[col["Listed"]].value == 0
    for label in ("Evaluations", "Quota attainment", "Calibrations compared", "Composite"):
        assert ref[col[label]].value is None, label
    i1 = rows["i1"]
    assert i1[col["Name"]].value == "Li Wei" and i1[col["Evaluations"]].value == 3
    assert i1[col["Quota attainment"]].value == pytest.approx(0.5)
    assert i1[col["Calibration MAD (pts)"]].value == pytest.approx(25)
    # i2 evaluated E4 but is not on the list: an inspector with an evaluation, not a reference.
    assert rows["i2"][col["Name"]].value in (None, "") and rows["i2"][col["Evaluations"]].value == 1

