"""Independent read-back of the workbook writer (reports/xl_writer.c) with openpyxl.

The C unit test binary test_xl_writer writes its hand-built client-monthly
model to $XL_OUT (see tests/unit/test_xl_writer.c); these tests run it and
check the file as a reader would.  Expected numbers are the hand-worked ones
of that model.  Run from the repository root:
    /usr/bin/python3 -m pytest -q tests/xl
XL_BUILD selects the build (default build/release).
"""
import datetime
import os
import subprocess

import openpyxl
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DRIVER = os.path.join(ROOT, os.environ.get("XL_BUILD", "build/release"), "tests", "test_xl_writer")


def write(path, **env):
    e = dict(os.environ, XL_OUT=str(path), **env)
    r = subprocess.run([DRIVER], cwd=ROOT, env=e, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.path.getsize(path) > 0
    return path


@pytest.fixture(scope="module")
def book_path(tmp_path_factory):
    return write(tmp_path_factory.mktemp("xl") / "en.xlsx")


@pytest.fixture(scope="module")
def wb(book_path):
    return openpyxl.load_workbook(book_path)


@pytest.fixture(scope="module")
def wbv(book_path):
    return openpyxl.load_workbook(book_path, data_only=True)


SHEETS_EN = ["Cover", "Changes", "Changes - batches", "Scorecard", "Daily", "Intervals", "Queues",
             "Quality", "QA-CSAT", "Data quality", "Methodology"]


def test_sheet_names_and_order(wb):
    assert wb.sheetnames == SHEETS_EN


def test_cover_facts(wb, book_path):
    ws = wb["Cover"]
    facts = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, 12)}
    assert facts["Tenant"] == "Acme & Co"
    assert facts["Period"] == "2026-11"
    digest = facts["Data digest (SHA-256)"]
    assert len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    r = subprocess.run([DRIVER], cwd=ROOT, env=dict(os.environ, XL_OUT=str(book_path) + ".2"),
                       capture_output=True, text=True, timeout=30)
    assert "digest " + digest in r.stdout
    assert wb.properties.created.isoformat() == "2026-12-01T00:00:00"
    assert wb.properties.creator == "slattest"


def test_daily_header_numbers_and_blanks(wb):
    ws = wb["Daily"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Day", "Offered", "Answered", "Abandoned"]
    assert "Service level" in header and "CSAT" in header
    sl = header.index("Service level") + 1
    assert ws.freeze_panes == "B2"
    # Day 1: a date serial shown as a date; numbers are numbers with their formats.
    day = ws.cell(2, 1)  # a number in the file; openpyxl turns date-formatted numbers to dates
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert day.value == datetime.datetime(2026, 11, 1)
    assert ws.cell(2, 2).value == 100 and ws.cell(2, 2).data_type == "n"
    assert ws.cell(2, 2).number_format == "#,##0"
    assert ws.cell(2, sl).value == pytest.approx(0.8) and ws.cell(2, sl).data_type == "n"
    assert ws.cell(2, sl).number_format == "0.0%"
    # Day 2 had no contacts: service level undefined -> empty cell, not 0 or text.
    assert ws.cell(3, sl).value is None
    assert ws.cell(3, 2).value == 0
    # Hidden helper columns (numerator / denominator) exist but are hidden.
    assert ws.column_dimensions["E"].hidden


def test_daily_totals_are_formulas_with_values(wb, wbv):
    ws, wv = wb["Daily"], wbv["Daily"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    assert ws.cell(5, 1).value == "Month"
    assert ws.cell(5, col["Offered"]).value == "=SUM(B2:B4)"
    expect = {"Offered": 150, "Answered": 135, "Abandoned": 15, "Service level": 115 / 150,
              "ASA (s)": 15.0, "AHT (s)": 280.0, "FCR": 0.75, "CSAT": 11 / 15}
    for name, value in expect.items():
        c = ws.cell(5, col[name])
        assert isinstance(c.value, str) and c.value.startswith("="), (name, c.value)
        assert wv.cell(5, col[name]).value == pytest.approx(value), name
        assert c.number_format == ws.cell(2, col[name]).number_format


def test_scorecard_met_and_cap(wb, wbv):
    ws, wv = wb["Scorecard"], wbv["Scorecard"]
    assert [c.value for c in ws[1]][:4] == ["Contract item", "Comparator", "Target", "Actual"]
    assert ws.cell(2, 5).value == 0 and ws.cell(3, 5).value == 1
    assert ws.cell(4, 4).value is None and ws.cell(4, 5).value is None  # not measurable
    assert '"met"' in ws.cell(2, 5).number_format
    assert ws.cell(5, 8).value == "=SUM(H2:H4)" and wv.cell(5, 8).value == 300
    assert wv.cell(5, 7).value == 500
    assert len(ws.conditional_formatting) >= 2


def test_intervals_heat_map(wb):
    ws = wb["Intervals"]
    assert [c.value for c in ws[1]][:8] == ["Interval", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
                                            "Sun"]
    ranges = [str(r.sqref) for r in ws.conditional_formatting]
    assert "B2:H3" in ranges  # one colour scale over the seven weekdays
    rules = [rule for r in ws.conditional_formatting for rule in r.rules]
    assert any(rule.type == "colorScale" for rule in rules)
    assert ws.cell(2, 8).value is None  # Sunday undefined
    assert ws.cell(3, 2).value == pytest.approx(0.6)


def test_facts_sheets_and_methodology(wb):
    ws = wb["Data quality"]
    facts = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(3, 8)}
    assert facts["Rows received"].value == 1000 and facts["Rows received"].data_type == "n"
    assert facts["FCR provisional"].value == 1
    ws = wb["QA-CSAT"]
    assert ws.cell(3, 2).value is None  # Pearson r undefined
    assert ws.cell(4, 2).value == 4
    ws = wb["Methodology"]
    assert ws.cell(2, 1).value == "service_level"
    assert ws.cell(3, 3).value in ("", None)


def test_print_setup(wb):
    ws = wb["Daily"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToHeight == 0  # one page wide (fitToWidth 1 is the default), any height
    assert ws.page_setup.paperSize == 9  # A4
    assert "Acme && Co" in ws.oddHeader.left.text
    assert ws.oddHeader.right.text == "2026-11"


def test_chinese_workbook(tmp_path):
    wb = openpyxl.load_workbook(write(tmp_path / "zh.xlsx", XL_LANG="zh"))
    assert wb.sheetnames[:5] == ["封面", "变更", "变更 - 数据批次", "考核结果", "每日"]
    assert wb["每日"].cell(1, 2).value == "进线量"
    assert wb["考核结果"].cell(2, 5).number_format.startswith('[=1]"达标"')


def test_constant_memory_reads_the_same(tmp_path, wbv):
    wv = openpyxl.load_workbook(write(tmp_path / "cm.xlsx", XL_CONST="1"), data_only=True)
    for name in SHEETS_EN:
        a = [[c.value for c in row] for row in wv[name].iter_rows()]
        b = [[c.value for c in row] for row in wbv[name].iter_rows()]
        assert a == b, name


def test_rewrite_is_byte_identical(tmp_path):
    a = write(tmp_path / "a.xlsx")
    b = write(tmp_path / "b.xlsx")
    assert open(a, "rb").read() == open(b, "rb").read()


def test_template_edit_adds_a_column(tmp_path):
    src = open(os.path.join(ROOT, "templates", "client-monthly.json"), encoding="utf-8").read()
    anchor = '"key": "csat_good"'
    i = src.rfind("{", 0, src.index(anchor))
    col = ('{"key": "max_wait_s", "label": {"en": "Longest wait (s)", "zh": "最长等待 (秒)"},'
           ' "format": "0", "total": {"fn": "max"}},')
    tpl = tmp_path / "edited.json"
    tpl.write_text(src[:i] + col + src[i:], encoding="utf-8")
    path = write(tmp_path / "edited.xlsx", XL_TEMPLATE=str(tpl))
    ws = openpyxl.load_workbook(path)["Daily"]
    wv = openpyxl.load_workbook(path, data_only=True)["Daily"]
    header = [c.value for c in ws[1]]
    c = header.index("Longest wait (s)") + 1
    assert [ws.cell(r, c).value for r in (2, 3, 4)] == [100, 101, 102]
    assert wv.cell(5, c).value == 102
