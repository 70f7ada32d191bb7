"""Every example file of docs/examples/ loads whole through the real API into a fresh tenant
(so the documentation cannot drift from the code), the month they make up gives the metrics
that docs/metrics.md works out by hand, and a broken twin of each example is refused with an
error that names the line (or JSON path) and the field, and lists the valid values where
the value or name must be one of a set.
"""
import csv
import io
import json
import os
import re

import pytest

from conftest import ROOT, Api, issue_token, sql, unique_slug

EX = os.path.join(ROOT, "docs", "examples")

CT = {"csv": "text/csv", "json": "application/json", "ndjson": "application/x-ndjson",
      "queue_log": "text/x-asterisk-queue-log"}


def example(name):
    with open(os.path.join(EX, name), encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def tenant(server, admin):
    slug = unique_slug("docs")
    r = admin.post("/v1/tenants", json={"slug": slug, "name": "Docs example",
                                        "timezone": "Asia/Shanghai"})
    assert r.status_code == 201, r.text
    return slug, Api(server, issue_token("manager", slug))


def put_json(api, path, text):
    return api.put(path, data=text.encode(), headers={"Content-Type": "application/json"})


def upload(api, path, fmt, text, mode="strict"):
    return api.post(f"{path}?mode={mode}", data=text.encode(),
                    headers={"Content-Type": CT[fmt]})


# Each example: its route, format, and the records it holds (counted by hand).
UPLOADS = [
    ("contacts.csv", "cdrs", "csv", 6),
    ("contacts.json", "cdrs", "json", 3),
    ("contacts.ndjson", "cdrs", "ndjson", 3),
    ("queue_log", "cdrs", "queue_log", 5),
    ("evaluations.csv", "qa/evaluations", "csv", 2),
    ("evaluations.json", "qa/evaluations", "json", 2),
    ("calibrations.csv", "qa/calibrations", "csv", 1),
    ("calibrations.json", "qa/calibrations", "json", 1),
    ("appeals.csv", "qa/appeals", "csv", 2),
    ("appeals.json", "qa/appeals", "json", 1),
]


@pytest.fixture(scope="module")
def loaded(tenant):
    """Loads every example in the documented order; returns the answers by file name."""
    slug, api = tenant
    out = {}
    r = put_json(api, f"/v1/tenants/{slug}/contract", example("contract.json"))
    assert r.status_code == 201, r.text
    out["contract.json"] = r
    r = put_json(api, f"/v1/tenants/{slug}/qa/forms/calls", example("scorecard.json"))
    assert r.status_code == 201, r.text
    out["scorecard.json"] = r
    for name, route, fmt, _ in UPLOADS:
        out[name] = upload(api, f"/v1/tenants/{slug}/{route}", fmt, example(name))
    r = put_json(api, f"/v1/tenants/{slug}/qa/inspectors", example("inspectors.json"))
    out["inspectors.json"] = r
    return out


def test_contract_and_scorecard_are_accepted(loaded):
    c = loaded["contract.json"].json()
    assert c["version"] == 1
    # Every key of the example comes back as given (the example gives every key).
    given = json.loads(example("contract.json"))
    assert set(c["contract"]) == set(given)
    assert c["contract"]["items"][3] == {"metric": "qa_score", "comparator": ">=",
                                         "target": 90, "credit_pct": 2.5}
    assert loaded["scorecard.json"].json() == {"form_id": "calls", "version": 1, "created": True}


@pytest.mark.parametrize("name,route,fmt,records", UPLOADS)
def test_upload_example_is_accepted_whole(loaded, name, route, fmt, records):
    r = loaded[name]
    assert r.status_code == 200, r.text
    rec = r.json()
    assert rec["committed"] is True and rec["errors"] == [] and rec["rejected"] == 0, rec
    assert rec["format"] == fmt
    assert rec["rows"] == records and rec["inserted"] == records, rec


def test_inspectors_example_is_accepted(loaded):
    r = loaded["inspectors.json"]
    assert r.status_code == 200, r.text
    assert r.json() == {"month": "2026-10", "inspectors": 3}


def test_queue_log_example_reads_as_documented(tenant, loaded):
    """docs/formats/queue_log.md: ids, the open contact, skipped events, transfers."""
    slug, _ = tenant
    q = loaded["queue_log"].json()["queue_log"]
    assert q == {"lines": 17, "contacts": 5, "skipped": 3, "unmatched": 0, "duplicates": 0,
                 "orphaned": 0, "open": 1, "damaged": 0, "damaged_lines": []}
    rows = sql("SELECT c.call_id, c.outcome, c.wait_s, c.talk_s, c.transferred, c.agent_id "
               "FROM contacts c JOIN tenants t ON t.id = c.tenant_id "
               f"WHERE t.slug = '{slug}' AND c.call_id LIKE '%@%' ORDER BY c.call_id")
    assert rows == [
        ["1791770400.101@support@1791770400", "1", "12", "288", "0", "SIP/a-22"],
        ["1791770460.102@support@1791770460", "2", "40", "0", "0", ""],
        ["1791770520.103@sales@1791770520", "3", "120", "0", "0", ""],
        ["1791770580.104@support@1791770580", "1", "8", "192", "1", "SIP/a-21"],
        ["1791770640.105@support@1791770640", "1", "5", "95", "1", "SIP/a-23"],
    ]
    still_open = sql("SELECT o.callid, o.queue, o.entered FROM qlog_open o JOIN tenants t "
                     f"ON t.id = o.tenant_id WHERE t.slug = '{slug}'")
    assert still_open == [["1791770700.106", "support", "1791770700"]]


def test_the_worked_month_of_docs_metrics(tenant, loaded):
    """The numbers docs/metrics.md works out by hand for the examples' October 2026."""
    slug, api = tenant
    r = api.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=month")
    assert r.status_code == 200, r.text
    m = r.json()
    t = m["total"]
    assert (t["offered"], t["answered"], t["abandoned"], t["short_abandoned"],
            t["overflow"]) == (16, 10, 3, 1, 3)
    assert (t["answered_within"], t["abandoned_within"]) == (8, 1)
    assert t["service_level"] == pytest.approx(0.5)
    assert t["abandon_rate"] == pytest.approx(0.1875)
    assert t["answer_rate"] == pytest.approx(0.625)
    # ASA: (18 + 40 + 4 + 10 + 25 + 5 + 20 + 12 + 8 + 5) / 10
    assert t["asa_s"] == pytest.approx(14.7)
    qa = m["qa"]
    assert qa["evaluations"] == 4
    # (88.75 + 95 [ev-2 overturned] + 0 [ev-3 fatal] + 98.125) / 4
    assert qa["qa_score"] == pytest.approx(70.46875)
    assert qa["fatal_rate"] == pytest.approx(0.25)
    assert qa["qa_pass_rate"] == pytest.approx(0.75)
    assert qa["qa_coverage"] == pytest.approx(0.4)
    items = {i["metric"]: i for i in m["compliance"]["items"]}
    assert items["service_level"]["status"] == "missed"
    assert items["asa_s"]["status"] == "met"


def test_the_examples_dimensions_and_case_types(tenant, loaded):
    """docs/metrics.md "Quality by dimension" and "Case types" worked out for the examples.

    scorecard.json: opening (reliability, inherited by greet and verify_id); resolve accuracy;
    empathy empathy.  ev-1: reliability 2/2 = 100, accuracy 4/5 = 80, empathy 4.5/5 = 90;
    ev-2: reliability 1/2 = 50, accuracy 100, empathy na (none); ev-3 (fatal, score 0):
    reliability 50, accuracy 60, empathy 60; ev-4: 100, 100, 95.  Month: reliability
    (100 + 50 + 50 + 100) / 4 = 75, accuracy 340 / 4 = 85, empathy 245 / 3.
    Reasons: billing dispute c-1001 c-1002 c-1006 (3 offered; ev-1 88.75 and ev-2 95 after its
    overturned appeal: 91.875), new order c-1004 c-1005 (ev-3: 0), refund c-2001 (ev-4), password
    reset c-3001; the other 9 offered contacts have none (c-1003 is a short abandon: not
    offered)."""
    slug, api = tenant
    m = api.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=month").json()
    got = {k: (v["score"], v["n"]) for k, v in m["qa"]["by_dimension"].items()}
    assert got == {"reliability": (pytest.approx(75), 4), "accuracy": (pytest.approx(85), 4),
                   "empathy": (pytest.approx(245 / 3), 3)}
    rows = {r["key"]: r for r in
            api.get(f"/v1/tenants/{slug}/metrics?from=2026-10&by=reason").json()["rows"]}
    assert {k: r["offered"] for k, r in rows.items()} == {
        "": 9, "billing dispute": 3, "new order": 2, "refund": 1, "password reset": 1}
    assert rows["billing dispute"]["qa_score"] == pytest.approx(91.875)
    assert rows["new order"]["qa_score"] == 0 and rows["refund"]["qa_score"] == 98.125
    assert rows["billing dispute"]["by_dimension"]["reliability"] == {"score": 75, "n": 2}


# ---- broken twins ----

def csv_drop(text, column):
    rows = list(csv.reader(io.StringIO(text)))
    k = rows[0].index(column)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for row in rows:
        w.writerow(row[:k] + row[k + 1:])
    return out.getvalue()


def csv_set(text, line, column, value):
    """The CSV with `column` of the row on (1-based) `line` set to value."""
    rows = list(csv.reader(io.StringIO(text)))
    rows[line - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def replace_once(text, old, new):
    assert text.count(old) == 1, old
    return text.replace(old, new)


def refused(r, line, field):
    """The batch was refused and its first error names the line and the field."""
    assert r.status_code == 422, r.text
    rec = r.json()
    assert rec["committed"] is False
    e = rec["errors"][0]
    assert (e["line"], e["field"]) == (line, field), rec["errors"]
    return e["message"]


def invalid(r, path):
    """A PUT refused with 400, its message starting with the JSON path."""
    assert r.status_code == 400, r.text
    msg = r.json()["error"]["message"]
    assert msg.startswith(path), msg
    return msg


CONTACTS_CSV = [
    # (what, mutate, line, field, words the message must hold)
    ("missing column", lambda t: csv_drop(t, "queue"), 1, "queue", ["queue", "missing"]),
    ("wrong enum", lambda t: csv_set(t, 5, "outcome", "overfow"), 5, "outcome",
     ["answered", "abandoned", "overflow"]),
    ("bad date", lambda t: csv_set(t, 3, "offered_at", "2026-10-05 09:15:10"), 3, "offered_at",
     ["RFC 3339"]),
]
CONTACTS_JSON = [
    ("missing member", lambda t: replace_once(t, ' "ended_at": "2026-10-07T11:05:15+08:00",', ""),
     7, "ended_at", ["ended_at", "required"]),
    ("wrong enum", lambda t: replace_once(t, '"channel": "email"', '"channel": "phone"'), 2,
     "channel", ["voice", "chat", "email", "callback"]),
    ("bad date", lambda t: replace_once(t, "03:30:25Z", "03:30:25"), 10, "answered_at",
     ["offset"]),
]
CONTACTS_NDJSON = [
    ("missing member", lambda t: replace_once(t, '"queue": "support", "offered_at": '
                                                 '"2026-10-08T08:01:00+08:00", ',
                                              '"offered_at": "2026-10-08T08:01:00+08:00", '),
     2, "queue", ["queue", "required"]),
    ("wrong enum", lambda t: replace_once(t, '"outcome": "overflow"', '"outcome": "transferred"'),
     2, "outcome", ["answered", "abandoned", "overflow"]),
    ("bad date", lambda t: replace_once(t, "08:10:00+08:00", "08:10:00+0800"), 3, "ended_at",
     ["offset"]),
]
QUEUE_LOG = [
    ("missing field", lambda t: replace_once(t, "COMPLETECALLER|12|288|1", "COMPLETECALLER|12"),
     14, "data2", ["calltime"]),
    ("wrong event name (case matters)",
     lambda t: replace_once(t, "SIP/a-22|CONNECT|", "SIP/a-22|Connect|"), 14, "event",
     ["never connected"]),
    ("bad date", lambda t: replace_once(t, "1791770460|1791770460.102|support|NONE|ENTERQUEUE",
                                        "2026-10-12|1791770460.102|support|NONE|ENTERQUEUE"),
     6, "epoch", ["seconds since 1970"]),
]
EVALUATIONS_CSV = [
    ("missing column", lambda t: csv_drop(t, "item_id"), 1, "item_id", ["item_id", "missing"]),
    ("wrong enum", lambda t: csv_set(t, 3, "result", "maybe"), 3, "result",
     ["verify_id", "pass|fail|na|0..1"]),
    ("bad date", lambda t: csv_set(t, 6, "evaluated_at", "07/10/2026 15:20"), 6, "evaluated_at",
     ["evaluated_at"]),
]
EVALUATIONS_JSON = [
    ("missing member", lambda t: replace_once(t, '"agent_id": "a-12", "inspector_id": "qa-li",',
                                              '"inspector_id": "qa-li",'),
     2, "agent_id", ["agent_id", "required"]),
    ("wrong enum", lambda t: replace_once(t, '"empathy": 4.75', '"empathy": "good"'), 5, "items",
     ["empathy", "pass|fail|na|0..5"]),
    ("bad date", lambda t: replace_once(t, '"2026-10-08T09:30:00+08:00"', '"2026-10-08"'), 2,
     "evaluated_at", ["evaluated_at"]),
]
CALIBRATIONS_CSV = [
    ("missing column", lambda t: csv_drop(t, "form_version"), 1, "form_version",
     ["form_version", "missing"]),
    ("wrong enum", lambda t: csv_set(t, 2, "is_reference", "yes"), 2, "is_reference",
     ["0 or 1"]),
    ("bad date", lambda t: csv_set(t, 6, "evaluated_at", "yesterday"), 6, "evaluated_at",
     ["evaluated_at"]),
]
CALIBRATIONS_JSON = [
    ("missing member", lambda t: replace_once(t, '"call_id": "c-2003", ', ""), 2, "call_id",
     ["call_id", "required"]),
    ("wrong enum", lambda t: replace_once(t, '"is_reference": 0', '"is_reference": 2'), 2,
     "is_reference", ["0 or 1"]),
    ("bad date", lambda t: replace_once(t, "10:20:00+08:00", "10:20:00"), 2, "evaluated_at",
     ["offset"]),
]
APPEALS_CSV = [
    ("missing column", lambda t: csv_drop(t, "decided_at"), 1, "decided_at",
     ["decided_at", "missing"]),
    ("wrong enum", lambda t: csv_set(t, 2, "outcome", "won"), 2, "outcome",
     ["upheld", "overturned"]),
    ("bad date", lambda t: csv_set(t, 3, "appealed_at", "2026-10-08"), 3, "appealed_at",
     ["appealed_at"]),
]
APPEALS_JSON = [
    ("missing member", lambda t: replace_once(t, '"outcome": "upheld", ', ""), 2, "outcome",
     ["upheld", "overturned"]),
    ("wrong enum", lambda t: replace_once(t, '"outcome": "upheld"', '"outcome": "reversed"'), 2,
     "outcome", ["upheld", "overturned"]),
    ("bad date", lambda t: replace_once(t, "2026-10-12T16:00:00+08:00", "2026-10-12T16:00"), 2,
     "decided_at", ["decided_at"]),
]

TWINS = [("contacts.csv", "cdrs", "csv", c) for c in CONTACTS_CSV] + \
        [("contacts.json", "cdrs", "json", c) for c in CONTACTS_JSON] + \
        [("contacts.ndjson", "cdrs", "ndjson", c) for c in CONTACTS_NDJSON] + \
        [("queue_log", "cdrs", "queue_log", c) for c in QUEUE_LOG] + \
        [("evaluations.csv", "qa/evaluations", "csv", c) for c in EVALUATIONS_CSV] + \
        [("evaluations.json", "qa/evaluations", "json", c) for c in EVALUATIONS_JSON] + \
        [("calibrations.csv", "qa/calibrations", "csv", c) for c in CALIBRATIONS_CSV] + \
        [("calibrations.json", "qa/calibrations", "json", c) for c in CALIBRATIONS_JSON] + \
        [("appeals.csv", "qa/appeals", "csv", c) for c in APPEALS_CSV] + \
        [("appeals.json", "qa/appeals", "json", c) for c in APPEALS_JSON]


@pytest.mark.parametrize("name,route,fmt,case", TWINS,
                         ids=[f"{t[0]}: {t[3][0]}" for t in TWINS])
def test_broken_twin_names_line_and_field(tenant, loaded, name, route, fmt, case):
    slug, api = tenant
    _, mutate, line, field, words = case
    broken = mutate(example(name))
    assert broken != example(name)
    msg = refused(upload(api, f"/v1/tenants/{slug}/{route}", fmt, broken), line, field)
    for w in words:
        assert w in msg, msg


# The twins whose wrong value is one of a fixed set: the error carries the set in `valid`.
ENUM_TWINS = [
    ("contacts.csv", "cdrs", "csv", CONTACTS_CSV[1], ["answered", "abandoned", "overflow"]),
    ("contacts.json", "cdrs", "json", CONTACTS_JSON[1], ["voice", "chat", "email", "callback"]),
    ("contacts.ndjson", "cdrs", "ndjson", CONTACTS_NDJSON[1],
     ["answered", "abandoned", "overflow"]),
    ("appeals.csv", "qa/appeals", "csv", APPEALS_CSV[1], ["upheld", "overturned"]),
    ("appeals.json", "qa/appeals", "json", APPEALS_JSON[1], ["upheld", "overturned"]),
]


@pytest.mark.parametrize("name,route,fmt,case,valid", ENUM_TWINS,
                         ids=[f"{t[0]}: {t[3][3]}" for t in ENUM_TWINS])
def test_broken_twin_lists_the_valid_values(tenant, loaded, name, route, fmt, case, valid):
    slug, api = tenant
    _, mutate, line, field, _ = case
    r = upload(api, f"/v1/tenants/{slug}/{route}", fmt, mutate(example(name)))
    refused(r, line, field)
    assert r.json()["errors"][0]["valid"] == valid, r.json()["errors"]


PUT_TWINS = [
    # (example, route, mutate, JSON path the message starts with, words it must hold)
    ("contract.json", "contract", lambda t: replace_once(t, '"currency": "CNY",\n', ""),
     "currency", ["required"]),
    ("contract.json", "contract",
     lambda t: replace_once(t, '"sl_formula": "offered"', '"sl_formula": "offered_calls"'),
     "sl_formula", ["offered", "answered", "abandon_neutral", "abandon_positive"]),
    ("contract.json", "contract", lambda t: replace_once(t, '"2026-10-01"', '"2026-10-32"'),
     "effective_from", ["YYYY-MM-DD"]),
    ("scorecard.json", "qa/forms/calls", lambda t: replace_once(t, '"pass_mark": 90,\n', ""),
     "pass_mark", ["required"]),
    ("scorecard.json", "qa/forms/calls",
     lambda t: replace_once(t, '"critical": true', '"critical": "yes"'),
     "sections[0].items[1].critical", ["true or false"]),
    ("inspectors.json", "qa/inspectors",
     lambda t: replace_once(t, ', "monthly_quota": 120', ""), "inspectors[1].monthly_quota",
     ["0..1000000"]),
    ("inspectors.json", "qa/inspectors",
     lambda t: replace_once(t, '"2026-10"', '"2026-13"'), "month", ["YYYY-MM"]),
]


@pytest.mark.parametrize("name,route,mutate,path,words", PUT_TWINS,
                         ids=[f"{t[0]}: {t[3]}" for t in PUT_TWINS])
def test_broken_put_names_the_json_path(tenant, loaded, name, route, mutate, path, words):
    slug, api = tenant
    msg = invalid(put_json(api, f"/v1/tenants/{slug}/{route}", mutate(example(name))), path)
    for w in words:
        assert w in msg, msg


# ---- unknown names list the valid ones; missing columns are named at once ----

CONTACT_COLUMNS = ["call_id", "queue", "offered_at", "answered_at", "ended_at", "outcome",
                   "agent_id", "talk_s", "hold_s", "acw_s", "channel", "customer_id",
                   "transferred", "resolved", "csat", "reason"]


def test_unknown_contacts_column_is_refused(tenant, loaded):
    """Refused naming the column and the line (the list of valid names: below)."""
    slug, api = tenant
    text = replace_once(example("contacts.csv"), "call_id,queue,", "call_id,Queue,")
    msg = refused(upload(api, f"/v1/tenants/{slug}/cdrs", "csv", text), 1, "Queue")
    assert "unknown column" in msg


def test_unknown_contacts_column_lists_the_valid_names(tenant, loaded):
    slug, api = tenant
    text = replace_once(example("contacts.csv"), "call_id,queue,", "call_id,Queue,")
    msg = refused(upload(api, f"/v1/tenants/{slug}/cdrs", "csv", text), 1, "Queue")
    for c in CONTACT_COLUMNS:
        assert re.search(rf"\b{c}\b", msg), msg


def test_three_missing_columns_are_named_at_once(tenant, loaded):
    slug, api = tenant
    text = example("contacts.csv")
    for c in ("queue", "offered_at", "ended_at"):
        text = csv_drop(text, c)
    r = upload(api, f"/v1/tenants/{slug}/cdrs", "csv", text)
    assert r.status_code == 422
    said = " ".join(e["field"] + " " + e["message"] for e in r.json()["errors"])
    for c in ("queue", "offered_at", "ended_at"):
        assert c in said, said


def test_unknown_evaluation_member_lists_the_valid_names(tenant, loaded):
    slug, api = tenant
    text = replace_once(example("evaluations.json"), '"form_version": "1"', '"version": "1"')
    r = upload(api, f"/v1/tenants/{slug}/qa/evaluations", "json", text)
    msg = refused(r, 5, "version")
    assert "form_version" in msg and "evaluated_at" in msg, msg


def test_unknown_contract_metric_lists_the_metrics(tenant, loaded):
    slug, api = tenant
    text = replace_once(example("contract.json"), '"asa_s"', '"asa"')
    msg = invalid(put_json(api, f"/v1/tenants/{slug}/contract", text), "items[2].metric")
    for m in ("service_level", "abandon_rate", "asa_s", "qa_score", "interval_compliance"):
        assert m in msg, msg


def test_unknown_contract_key_lists_the_keys(tenant, loaded):
    slug, api = tenant
    text = replace_once(example("contract.json"), '"sl_threshold_s"', '"sl_threshold"')
    msg = invalid(put_json(api, f"/v1/tenants/{slug}/contract", text), "sl_threshold")
    assert "sl_threshold_s" in msg and "short_abandon_s" in msg, msg


def test_unknown_scorecard_key_lists_the_keys(tenant, loaded):
    slug, api = tenant
    text = replace_once(example("scorecard.json"), '"pass_mark"', '"passmark"')
    msg = invalid(put_json(api, f"/v1/tenants/{slug}/qa/forms/calls", text), "passmark")
    assert "pass_mark" in msg and "critical_zeroes" in msg, msg


def test_unknown_inspector_member_lists_the_members(tenant, loaded):
    slug, api = tenant
    text = replace_once(example("inspectors.json"), '"monthly_quota": 120', '"quota": 120')
    msg = invalid(put_json(api, f"/v1/tenants/{slug}/qa/inspectors", text), "inspectors[1]")
    assert "monthly_quota" in msg and "inspector_id" in msg, msg


# ---- the documents written out in the pages themselves ----

def json_blocks(page):
    """The ```json blocks of a docs page that are whole JSON objects."""
    with open(os.path.join(ROOT, "docs", page), encoding="utf-8") as f:
        text = f.read()
    out = []
    for block in re.findall(r"```json\n(.*?)```", text, re.S):
        try:
            doc = json.loads(block)
        except ValueError:
            continue  # a fragment ("errors": [...]) or an abridged answer
        if isinstance(doc, dict):
            out.append(doc)
    return out


@pytest.mark.parametrize("page,key,route", [
    ("contract.md", "effective_from", "contract"),
    ("scorecard.md", "form_id", "qa/forms/calls"),
    ("formats/inspectors.md", "inspectors", "qa/inspectors"),
])
def test_documents_in_the_pages_are_accepted(tenant, page, key, route):
    """Every contract, scorecard and inspector list written out in the docs (the minimal
    contract too) is accepted as it stands, by a dry run that keeps nothing."""
    slug, api = tenant
    docs = [d for d in json_blocks(page) if key in d]
    assert docs, page
    for doc in docs:
        r = api.put(f"/v1/tenants/{slug}/{route}?dry_run=true", json=doc)
        assert r.status_code == 200 and r.json()["dry_run"] is True, (page, doc, r.text)


# ---- the documentation's own references ----

def test_help_points_at_the_documentation():
    """`slattest ingest --help` and `slattest contract --help` name docs that exist."""
    from conftest import cli
    for command, must in (("ingest", ["docs/formats/", "contacts.md", "queue_log.md",
                                      "evaluations.md", "calibrations.md", "appeals.md"]),
                          ("contract", ["docs/contract.md", "docs/examples/contract.json"])):
        text = cli(command, "--help").stdout
        for m in must:
            assert m in text, (command, text)
        for path in re.findall(r"docs/[\w/.-]+\.(?:md|json)", text):
            assert os.path.exists(os.path.join(ROOT, path)), path
        for name in re.findall(r"\b(\w+\.md)\b", text):
            assert os.path.exists(os.path.join(ROOT, "docs", "formats", name)) or \
                os.path.exists(os.path.join(ROOT, "docs", name)), name


def test_every_link_of_the_docs_resolves():
    pages = [os.path.join(ROOT, "README.md")]
    for d, _, files in os.walk(os.path.join(ROOT, "docs")):
        pages += [os.path.join(d, f) for f in files if f.endswith(".md")]
    checked = 0
    for page in pages:
        with open(page, encoding="utf-8") as f:
            text = f.read()
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            file, _, anchor = target.partition("#")
            path = os.path.normpath(os.path.join(os.path.dirname(page), file))
            checked += 1
            assert os.path.exists(path), f"{page}: {target}"
            if anchor:
                assert anchor in anchors(path), f"{page}: {target}: no such heading"
    assert checked > 50


def anchors(path):
    """The anchors GitHub makes of a page's headings."""
    with open(path, encoding="utf-8") as f:
        heads = re.findall(r"^#+ (.+)$", f.read(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}
