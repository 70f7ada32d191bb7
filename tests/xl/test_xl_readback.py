"""Independent read-back of the workbook writer (reports/xl_writer.c) with openpyxl.

The C unit test binary test_xl_writer writes its hand-built client-monthly
model to $XL_OUT (see tests/unit/test_xl_writer.c); these tests run it and
check the file as a reader would.  Expected numbers are the hand-worked ones
of that model.  With XL_SPLIT the driver writes its split model instead: a
streamed table continued over several sheets (max_rows_per_sheet).  Run from the repository root:
    /usr/bin/python3 -m pytest -q tests/xl
XL_BUILD selects the build (default build/release).
"""
import datetime
import os
import re
import shutil
import subprocess
import zipfile

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
    facts = {r[0].value: r[1].value for r in ws.iter_rows() if r[0].value}
    assert facts["Tenant"] == "Acme & Co"
    assert facts["Period"] == "2026-11"
    digest = facts["Data digest (SHA-256)"]
    assert len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    r = subprocess.run([DRIVER], cwd=ROOT, env=dict(os.environ, XL_OUT=str(book_path) + ".2"),
                       capture_output=True, text=True, timeout=30)
    assert "digest " + digest in r.stdout
    assert wb.properties.created.isoformat() == "2026-12-01T00:00:00"
    assert wb.properties.creator == "slattest"


def cover_rows(ws):
    """The Cover's rows as lists of values (empty rows left out)."""
    return [[c.value for c in r] for r in ws.iter_rows() if any(c.value is not None for c in r)]


def test_cover_is_a_one_page_summary(wb, wbv):
    """The first page is the answer: the verdict, each contract item with target, actual,
    result, credit and its values in the three months before, the credits with the cap and
    earn-back, the QA score with its interval; then the metadata.  One printed page."""
    ws, wv = wb["Cover"], wbv["Cover"]
    # Fit to one page wide and one tall (1 is the default, which the file leaves out).
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToHeight in (1, None) and ws.page_setup.fitToWidth in (1, None)
    rows = cover_rows(wv)
    labels = [r[0] for r in rows]
    facts = {r[0]: r[1] for r in rows}
    assert labels[:4] == ["Monthly service report", "Tenant", "Period", "In one line"]
    assert facts["In one line"] == "1 of 3 targets met, 1 not measurable; credit 300.00 EUR"
    # The items: a table under the verdict, its header right-aligned over numbers.
    at = labels.index("The contract's targets this month")
    header = rows[at + 1]
    assert header[:10] == ["Contract item", "Comparator", "Target", "Actual", "Result",
                           "Credit after cap", "3 months before", "2 months before",
                           "Previous month", "Against the previous month"]
    sl, asa, fcr = rows[at + 2:at + 5]
    assert sl[:10] == ["Service level", ">=", 0.8, pytest.approx(115 / 150), "missed", 300, 0.7,
                       None, 0.75, "better"]
    assert asa[:10] == ["Average speed of answer (s)", "<=", 20, 15, "met", 0, 25, 19, 18, "better"]
    assert fcr[:10] == ["First contact resolution", ">=", 0.7, None, "not measurable", 0, None,
                        None, None, None]
    item_row = next(i for i, row in enumerate(ws.iter_rows(), 1) if row[0].value == "Service level")
    assert ws.cell(item_row, 3).number_format == "0.0%"
    assert ws.cell(item_row, 6).number_format == '#,##0.00 "EUR"'
    assert ws.cell(item_row + 1, 3).number_format == "0.0"  # seconds
    assert ws.cell(item_row - 1, 3).alignment.horizontal == "right"  # "Target" over numbers
    # The credits and QA facts: numbers with formats, the money in its currency.
    assert facts["Credit before the cap"] == 500 and facts["Credit after the cap"] == 300
    assert facts["Cap on the month's credit"] == 300
    assert facts["Net credit this month (the Scorecard's total)"] == 300
    assert facts["Earn-back"].startswith("300.00 EUR of this month's credit at risk")
    assert facts["QA score"] == 85 and facts["QA score, 95% interval from"] == pytest.approx(80.3)
    money = next(i for i, row in enumerate(ws.iter_rows(), 1)
                 if row[0].value == "Credit after the cap")
    assert ws.cell(money, 2).number_format == '#,##0.00 "EUR"' and ws.cell(money, 2).data_type == "n"
    # A value spans the items' columns (merged), so a long one reads on one line.
    assert any(str(m).startswith(f"B{money}:") for m in ws.merged_cells.ranges)
    # Then the metadata, below its own heading.
    assert labels.index("This report, its signature and how to verify it") > labels.index("QA sample")
    assert labels.index("Report id") > labels.index("This report, its signature and how to verify it")
    # The result is coloured by met (conditional formats over the block's rows only).
    ranges = [str(c.sqref) for c in ws.conditional_formatting]
    assert f"E{item_row}:E{item_row + 2}" in ranges


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
    assert header[6:8] == ["SL numerator", "SL denominator"]
    assert ws.column_dimensions["G"].hidden and ws.column_dimensions["H"].hidden


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


def test_daily_rows_add_up(wb, wbv):
    """Offered = Answered + Abandoned + Overflow on every row, visibly: the columns side by
    side, and the short abandons (not offered) next to them.  The model's days: 100 = 90 + 10
    + 0 with 2 short abandons; 0; 50 = 45 + 5 + 0 with 2; the month 150 = 135 + 15 + 0, 4."""
    ws = wbv["Daily"]
    header = [c.value for c in ws[1]]
    assert header[1:6] == ["Offered", "Answered", "Abandoned", "Overflow",
                           "Short abandons (not offered)"]
    rows = [[c.value for c in r[1:6]] for r in ws.iter_rows(min_row=2, max_row=5)]
    assert rows == [[100, 90, 10, 0, 2], [0, 0, 0, 0, None], [50, 45, 5, 0, 2],
                    [150, 135, 15, 0, 4]]
    for offered, answered, abandoned, overflow, _ in rows:
        assert offered == answered + abandoned + overflow
    assert wb["Daily"].cell(5, 5).value == "=SUM(E2:E4)"


def test_queue_totals_fill_every_rate(wb, wbv):
    """The "All queues" row: abandon rate = abandoned / offered (15 / 150), transfer rate =
    transferred / answered ((4 + 2) / 135), each a formula with its value; p90 is the
    engine's over both queues' waits (33, given: no formula gives a percentile)."""
    ws, wv = wb["Queues"], wbv["Queues"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    assert ws.cell(4, 1).value == "All queues"
    assert ws.cell(4, col["Abandon rate"]).value.startswith("=IF(SUM(")
    assert wv.cell(4, col["Abandon rate"]).value == pytest.approx(15 / 150)
    assert wv.cell(4, col["Transfer rate"]).value == pytest.approx(6 / 135)
    assert ws.cell(4, col["Wait p90 (s)"]).value == 33
    assert wv.cell(4, col["Overflow"]).value == 0


def test_scorecard_met_and_cap(wb, wbv):
    ws, wv = wb["Scorecard"], wbv["Scorecard"]
    assert [c.value for c in ws[1]][:6] == ["Contract item", "Comparator", "Unit", "Target",
                                            "Actual", "Result"]
    # Codes in the model, labels in the sheet (templates' "labels").
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == [
        "Service level", "Average speed of answer (s)", "First contact resolution"]
    assert [ws.cell(r, 6).value for r in (2, 3, 4)] == ["missed", "met", "not measurable"]
    # A number format per row by its unit (templates' "formats"): a rate as a percentage,
    # seconds as a number; the unit and met helper columns are hidden.
    assert ws.cell(2, 4).number_format == "0.0%" and ws.cell(2, 5).number_format == "0.0%"
    assert ws.cell(3, 4).number_format == "0.0" and ws.cell(3, 5).value == 15
    assert ws.column_dimensions["C"].hidden and ws.column_dimensions["G"].hidden
    assert ws.cell(2, 7).value == 0 and ws.cell(3, 7).value == 1
    assert ws.cell(4, 5).value is None and ws.cell(4, 7).value is None  # not measurable
    assert ws.cell(5, 1).value == "Total"
    assert ws.cell(5, 10).value == "=SUM(J2:J4)" and wv.cell(5, 10).value == 300
    assert wv.cell(5, 9).value == 500
    assert ws.cell(2, 11).value == "at risk of earn-back until 2026-12"
    assert len(ws.conditional_formatting) >= 2


def test_numbers_right_text_indented_money_with_currency(wb):
    """Numbers are right-aligned under right-aligned headers; a text is indented one step so
    a result never runs into the number before it ("76.7% missed"); every money column shows
    its currency (the Cover's, EUR in the model)."""
    ws = wb["Scorecard"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    for name in ("Target", "Actual", "Credit", "Credit after cap"):
        assert ws.cell(1, col[name]).alignment.horizontal == "right", name
    assert ws.cell(1, col["Result"]).alignment.horizontal in (None, "general", "left")
    assert ws.cell(1, col["Result"]).alignment.indent == 1
    actual, result = ws.cell(2, col["Actual"]), ws.cell(2, col["Result"])
    assert actual.data_type == "n" and actual.alignment.horizontal in (None, "general")
    assert result.value == "missed" and result.alignment.indent == 1
    for name in ("Credit", "Credit after cap"):
        assert ws.cell(2, col[name]).number_format == '#,##0.00 "EUR"', name
        assert ws.cell(5, col[name]).number_format == '#,##0.00 "EUR"', name  # the total too
    ev = wb["Daily"]
    assert ev.cell(1, 2).alignment.horizontal == "right"  # Offered


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
    facts = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(3, 9)}
    assert facts["Rows received"].value == 1000 and facts["Rows received"].data_type == "n"
    assert facts["FCR provisional"].value == 1
    assert facts["Period closed"].value == "2026-12-01T00:00:00Z (report 7)"
    # Every count says what it counts and where it comes from, in the column beside it.
    notes = {ws.cell(r, 1).value: ws.cell(r, 3).value for r in range(3, 9)}
    assert notes["Late arrivals"].startswith("The month's contacts last written by a batch "
                                             "received after the period closed")
    assert "refused by validation" in notes["Rows rejected"]
    assert all(notes[k] for k in ("Rows received", "Duplicates", "FCR provisional"))
    ws = wb["QA-CSAT"]
    assert ws.cell(3, 2).value is None  # Pearson r undefined
    assert ws.cell(4, 2).value == 4
    qc = {ws.cell(r, 1).value: (ws.cell(r, 2).value, ws.cell(r, 3).value) for r in range(3, 10)}
    assert qc["Pearson r (contacts)"][1].startswith("Contact by contact")
    assert qc["Spearman rho (agents)"][1].startswith("Agent by agent")
    assert qc["Too few agents (under 10): rho is indicative only"][0] == 1
    assert qc["How to read them"][0] == "Pearson compares contacts."
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


def chart_xml(book_path):
    """The chart parts of the workbook, in order (chart1.xml, chart2.xml ...)."""
    with zipfile.ZipFile(book_path) as z:
        names = sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        return [z.read(n).decode() for n in names]


def test_daily_charts_read_as_dates_with_axis_titles(book_path):
    """The category axis of the daily charts is a date (its number format, not Excel's serial
    46327 ...), and every axis has a title."""
    charts = chart_xml(book_path)
    assert len(charts) == 2  # service level against target, volume
    for xml, y_title in zip(charts, ("Service level", "Contacts")):
        cat = re.search(r"<c:catAx>.*?</c:catAx>", xml, re.S).group(0)
        assert '<c:numFmt formatCode="yyyy-mm-dd" sourceLinked="0"/>' in cat
        assert "<a:t>Day</a:t>" in cat
        val = re.search(r"<c:valAx>.*?</c:valAx>", xml, re.S).group(0)
        assert f"<a:t>{y_title}</a:t>" in val


def test_each_chart_starts_a_printed_page(wb):
    """No chart is cut by a page end: a manual page break before each chart, which starts on
    the row after the break (the daily table: header, 3 days, totals, then a gap)."""
    ws = wb["Daily"]
    breaks = [b.id for b in ws.row_breaks.brk]
    anchors = sorted(c.anchor._from.row for c in ws._charts)
    assert breaks == [6, 6 + 22] and anchors == [7, 7 + 22]
    assert ws.page_setup.fitToHeight == 0  # fit to the width only: the breaks stay


def test_chinese_workbook(tmp_path):
    wb = openpyxl.load_workbook(write(tmp_path / "zh.xlsx", XL_LANG="zh"))
    assert wb.sheetnames[:5] == ["封面", "变更", "变更 - 数据批次", "考核结果", "每日"]
    assert wb["每日"].cell(1, 2).value == "进线量"
    assert wb["考核结果"].cell(2, 6).value == "未达标"      # the status label in Chinese
    assert wb["考核结果"].cell(2, 1).value == "服务水平"


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


# ---------------------------------------------------------------- a table over several sheets
# The driver's split model (tests/unit/test_xl_writer.c split_row): row i is contact c<i> with
# wait i s, within 1 for i <= 6 (else 0), n 1 (hidden), SL = within, ASA = i; streamed into the
# writer.  Totals of 12 rows by hand: wait 1 + .. + 12 = 78, within 6, SL 6/12 = 0.5, ASA
# weighted by within (1 + .. + 6) / 6 = 3.5.
SPLIT_HEADER = ["Contact", "Wait", "Within", "N", "SL", "ASA"]


def split(path, max_rows, rows=12, **env):
    """Writes the split model; returns (openpyxl book, values book, digest)."""
    e = dict(os.environ, XL_OUT=str(path), XL_SPLIT=str(max_rows), XL_ROWS=str(rows), **env)
    r = subprocess.run([DRIVER], cwd=ROOT, env=e, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    digest = r.stdout.split("digest ")[1].split()[0]
    return (openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True), digest)


def expected_row(i):
    return ["c%03d" % i, i, 1 if i <= 6 else 0, 1, 1 if i <= 6 else 0, i]


def test_split_sheets_rows_and_totals(tmp_path):
    # 6 rows a sheet: header + 5 rows, 5 + 5 + 2 rows, the totals row under the last 2.
    wb, wv, digest = split(tmp_path / "s6.xlsx", 6)
    assert wb.sheetnames == ["Cover", "Evidence", "Evidence (2)", "Evidence (3)", "After"]
    rows = []
    for name, n in (("Evidence", 5), ("Evidence (2)", 5), ("Evidence (3)", 2)):
        ws = wb[name]
        assert [c.value for c in ws[1]] == SPLIT_HEADER, name
        assert ws.freeze_panes == "A2", name
        assert ws.column_dimensions["D"].hidden, name
        assert ws.print_title_rows == "$1:$1", name
        data = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=n + 1)]
        rows += data
        # The rule "wait > 10 is bad" on each sheet, over its own rows.
        assert [str(r.sqref) for r in ws.conditional_formatting] == ["B2:B%d" % (n + 1)], name
    assert rows == [expected_row(i) for i in range(1, 13)]  # every row once, in order
    assert wb["Evidence"].max_row == 6 and wb["Evidence (2)"].max_row == 6
    last, lastv = wb["Evidence (3)"], wv["Evidence (3)"]
    assert last.max_row == 4
    assert last.cell(4, 1).value == "Month"
    assert last.cell(4, 2).value == "=SUM('Evidence'!B2:B6,'Evidence (2)'!B2:B6,B2:B3)"
    assert last.cell(4, 5).value == ("=IF(SUM('Evidence'!D2:D6,'Evidence (2)'!D2:D6,D2:D3)=0,\"\","
                                     "SUM('Evidence'!C2:C6,'Evidence (2)'!C2:C6,C2:C3)/"
                                     "SUM('Evidence'!D2:D6,'Evidence (2)'!D2:D6,D2:D3))")
    sumif = ("SUMIF('Evidence'!F2:F6,\"<>\",'Evidence'!C2:C6)+"
             "SUMIF('Evidence (2)'!F2:F6,\"<>\",'Evidence (2)'!C2:C6)+SUMIF(F2:F3,\"<>\",C2:C3)")
    assert last.cell(4, 6).value == ("=IF(%s=0,\"\",(SUMPRODUCT('Evidence'!F2:F6,'Evidence'!C2:C6)"
                                     "+SUMPRODUCT('Evidence (2)'!F2:F6,'Evidence (2)'!C2:C6)"
                                     "+SUMPRODUCT(F2:F3,C2:C3))/(%s))" % (sumif, sumif))
    assert [lastv.cell(4, c).value for c in (2, 3, 5, 6)] == [78, 6, pytest.approx(0.5),
                                                               pytest.approx(3.5)]
    cover = {r[0].value: r[1].value for r in wb["Cover"].iter_rows()}
    assert cover["Data digest"] == digest
    # One sheet (the default 1,048,576 rows) or 5 a sheet: the same digest.
    _, _, whole = split(tmp_path / "all.xlsx", 0)
    _, _, five = split(tmp_path / "s5.xlsx", 5)
    assert digest == whole == five


def test_split_totals_alone_on_a_last_sheet(tmp_path):
    # 5 rows a sheet: 4 + 4 + 4 rows fill three sheets; the totals row needs a fourth.
    wb, wv, _ = split(tmp_path / "s5.xlsx", 5)
    assert wb.sheetnames == ["Cover", "Evidence", "Evidence (2)", "Evidence (3)", "Evidence (4)",
                             "After"]
    ws = wb["Evidence (4)"]
    assert [c.value for c in ws[1]] == SPLIT_HEADER and ws.max_row == 2
    assert ws.cell(2, 2).value == ("=SUM('Evidence'!B2:B5,'Evidence (2)'!B2:B5,"
                                   "'Evidence (3)'!B2:B5)")
    assert wv["Evidence (4)"].cell(2, 2).value == 78
    assert list(ws.conditional_formatting) == []  # no rows to format


def test_split_unsplit_is_one_plain_sheet(tmp_path):
    wb, wv, _ = split(tmp_path / "all.xlsx", 0)
    assert wb.sheetnames == ["Cover", "Evidence", "After"]
    ws = wb["Evidence"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=13)] == \
        [expected_row(i) for i in range(1, 13)]
    assert ws.cell(14, 2).value == "=SUM(B2:B13)" and wv["Evidence"].cell(14, 2).value == 78


def test_split_names_keep_to_31_characters(tmp_path):
    # 31 characters: the continuation keeps 27 and " (2)"; a quote is doubled in formulas.
    name = "Agent's evidence of the month.."
    assert len(name) == 31
    wb, wv, _ = split(tmp_path / "n.xlsx", 8, rows=9, XL_SPLIT_NAME=name)
    cont = name[:27] + " (2)"
    assert wb.sheetnames == ["Cover", name, cont, "After"]
    assert len(cont) == 31
    ws = wb[cont]
    assert ws.cell(4, 2).value == "=SUM('Agent''s evidence of the month..'!B2:B8,B2:B3)"
    assert wv[cont].cell(4, 2).value == 45  # 1 + .. + 9
    # Chinese tabs continue the same way.
    wb, _, _ = split(tmp_path / "zh.xlsx", 8, rows=9, XL_LANG="zh")
    assert wb.sheetnames == ["封面", "证据", "证据 (2)", "之后"]


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_split_totals_recalculate_in_libreoffice(tmp_path):
    """LibreOffice computes the cross-sheet totals itself: openpyxl saves the formulas
    without their values, the last part moved first so the CSV export shows it."""
    wb, _, _ = split(tmp_path / "s6.xlsx", 6)
    wb.move_sheet("Evidence (3)", offset=-3)
    wb.active = 0
    wb.save(tmp_path / "nocache.xlsx")
    r = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile",
                        "--headless", "--convert-to", "csv", "--outdir", str(tmp_path),
                        str(tmp_path / "nocache.xlsx")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = (tmp_path / "nocache.csv").read_text().splitlines()
    assert lines == ["Contact,Wait,Within,N,SL,ASA", "c011,11,0,1,0%,11", "c012,12,0,1,0%,12",
                     "Month,78,6,,50%,3.5"]


RISKY = ['=HYPERLINK("http://x.invalid","y")', "+1+2", "-3", "@SUM(1)", "\tTab", "\rCR"]


@pytest.mark.parametrize("const", ["0", "1"])
def test_text_that_looks_like_a_formula_is_guarded(tmp_path, const):
    """Data text starting with = + - @ TAB CR is written with a leading apostrophe, so
    that a copy of the sheet to CSV does not turn it into a formula (issue 18)."""
    path = write(tmp_path / "f.xlsx", XL_FORMULA_TEXT="1", XL_CONST=const)
    wb = openpyxl.load_workbook(path)
    queues = [r[0].value for r in wb["Queues"].iter_rows(min_row=2)]
    for text in RISKY:
        # A CR is stored as Excel's escape _x000D_, which openpyxl leaves as it is.
        assert ("'" + text).replace("\r", "_x000D_") in queues, (text, queues)
    assert "a=b" in queues  # only the first character matters
    assert "billing" in queues  # ordinary text untouched
    for row in wb["Queues"].iter_rows(min_row=2):
        assert row[0].data_type == "s"
    facts = {r[0].value: r[1].value for r in wb["Cover"].iter_rows(min_row=3) if r[0].value}
    assert facts["Tenant"] == "'=1+2"


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_csv_export_has_no_formula(tmp_path):
    path = write(tmp_path / "f.xlsx", XL_FORMULA_TEXT="1")
    wb = openpyxl.load_workbook(path)
    for name in wb.sheetnames:  # the CSV export writes the first sheet: keep Queues only
        if name != "Queues":
            del wb[name]
    wb.save(tmp_path / "q.xlsx")
    r = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile",
                        "--headless", "--convert-to", "csv", "--outdir", str(tmp_path),
                        str(tmp_path / "q.xlsx")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    import csv
    with open(tmp_path / "q.csv", newline="") as f:
        cells = [row[0] for row in csv.reader(f) if row]
    for text in RISKY[:4]:
        assert "'" + text in cells, (text, cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells


# Streamed rows spliced into the sheet (reports/xl_splice.h) against the same rows written
# cell by cell through libxlsxwriter (XL_SPLICE=0): an independent writer as the reference.
def cell_facts(ws):
    """Every cell of a sheet as a reader sees it: value, type, number format, indent, wrap,
    bold; with the row heights, the dimension, panes and conditional formats."""
    cells = [[(c.value, c.data_type, c.number_format, c.alignment.indent, c.alignment.wrap_text,
               c.font.b) for c in row] for row in ws.iter_rows()]
    heights = {r: d.height for r, d in ws.row_dimensions.items() if d.height}
    return (cells, heights, ws.dimensions, ws.freeze_panes,
            [str(r.sqref) for r in ws.conditional_formatting], ws.print_title_rows)


@pytest.mark.parametrize("max_rows,lang", [(0, "en"), (6, "en"), (5, "zh")])
@pytest.mark.parametrize("tricky", [False, True])
def test_spliced_rows_read_as_libxlsxwriter_cells(tmp_path, max_rows, lang, tricky):
    env = {"XL_LANG": lang, **({"XL_TRICKY": "1"} if tricky else {})}
    ref, _, ref_digest = split(tmp_path / "ref.xlsx", max_rows, rows=23, XL_SPLICE="0", **env)
    ours, _, digest = split(tmp_path / "ours.xlsx", max_rows, rows=23, **env)
    assert ours.sheetnames == ref.sheetnames and digest == ref_digest
    for name in ref.sheetnames:
        got, want = cell_facts(ours[name]), cell_facts(ref[name])
        if tricky:
            # libxlsxwriter leaves a literal "_x0041_" as it is, which Excel then reads as
            # "A"; the spliced rows escape its underscore (_x005F_), so Excel shows the text.
            # openpyxl shows both raw: put the reference's right before comparing.
            want = ([[(v.replace("_x0041_", "_x005F_x0041_") if isinstance(v, str) else v,) +
                      tuple(rest) for v, *rest in row] for row in want[0]],) + want[1:]
        assert got == want, name


def test_spliced_rows_are_one_valid_zip_entry(tmp_path):
    """The joined DEFLATE parts read back as one entry with the right CRC (zipfile checks
    it), and the sheet XML holds every row once."""
    split(tmp_path / "s.xlsx", 0, rows=5000)
    with zipfile.ZipFile(tmp_path / "s.xlsx") as z:
        assert z.testzip() is None
        xml = z.read("xl/worksheets/sheet2.xml").decode()
    assert xml.count("<row ") == 5002  # header, 5,000 rows, totals
    assert '<dimension ref="A1:F5002"/>' in xml


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_spliced_text_escapes_read_in_libreoffice(tmp_path):
    """LibreOffice decodes Excel's _xHHHH_ escapes as Excel does: the literal "_x0041_"
    stays text, a control byte comes back as itself."""
    split(tmp_path / "t.xlsx", 0, rows=10, XL_TRICKY="1")
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    wb.move_sheet("Evidence", offset=-1)
    wb.active = 0
    wb.save(tmp_path / "t2.xlsx")
    r = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile",
                        "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                        "--outdir", str(tmp_path), str(tmp_path / "t2.xlsx")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    text = (tmp_path / "t2.csv").read_text()
    assert "_x0041_ and _x00," in text and "ctl\x01\x1f," in text
    assert "a&b<c>d\"\"e'f" in text and "通话-甲" in text
