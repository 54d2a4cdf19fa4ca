"""The generic ledger writer: layout, typed cells and formula neutralisation, for any rows."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from reports.xlsx import Column, Ledger, ledger_bytes, neutralise

ROWS = [
    {"name": "=HYPERLINK(\"http://example.invalid\",\"点击\")", "amount": -3, "due": date(2026, 3, 2)},
    {"name": "+86 029", "amount": Decimal("1.5"), "due": None},
    {"name": "-1", "amount": 0, "due": None},
    {"name": "@SUM(A1:A2)", "amount": 2.25, "due": None},
    {"name": "\tcmd", "amount": 7, "due": None},
    {"name": "\rcmd", "amount": 7, "due": None},
    {"name": "普通文本\x07", "amount": 7, "due": datetime(2026, 3, 2, 1, 30, tzinfo=ZoneInfo("UTC"))},
]
LEDGER = Ledger(
    title="测试台账",
    subtitle="导出日期：2026年3月2日",
    sheet_name="测试",
    columns=(
        Column.serial(),
        Column("名称", 20, lambda row: row["name"]),
        Column("数量", 8, lambda row: row["amount"], align="right"),
        Column("期限", 12, lambda row: row["due"]),
    ),
)


@pytest.fixture
def sheet():
    return load_workbook(BytesIO(ledger_bytes(ledger=LEDGER, rows=ROWS))).active


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tA1", "'\tA1"),
        ("\rA1", "'\rA1"),
        ("a=1", "a=1"),
        ("新区财政局", "新区财政局"),
        ("\x00=1", "'=1"),
    ],
)
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_layout(sheet):
    assert sheet.title == "测试"
    assert sheet["A1"].value == "测试台账"
    assert sheet["A1"].font.b and sheet["A1"].alignment.horizontal == "center"
    assert sheet["A2"].value == "导出日期：2026年3月2日"
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:D1", "A2:D2"}
    assert [c.value for c in sheet[3]] == ["序号", "名称", "数量", "期限"]
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("D9E1F2") for c in sheet[3])
    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows == "$1:$3"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_options.horizontalCentered
    assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert sheet.column_dimensions["B"].width == 20
    data = sheet["B4"]
    assert data.border.left.style == "thin" and data.alignment.wrap_text
    assert data.alignment.vertical == "center"


def test_cells_are_typed(sheet):
    assert [sheet.cell(row=r, column=1).value for r in range(4, 11)] == [1, 2, 3, 4, 5, 6, 7]
    assert sheet["A4"].data_type == "n"
    assert sheet["C4"].value == -3 and sheet["C4"].data_type == "n"
    assert sheet["C5"].value == 1.5
    assert sheet["D4"].value.isoformat() == "2026-03-02T00:00:00"
    assert sheet["D4"].is_date
    assert sheet["D10"].value.isoformat() == "2026-03-02T09:30:00"  # as read in Asia/Shanghai


def test_no_string_cell_is_a_formula(sheet):
    names = [sheet.cell(row=r, column=2) for r in range(4, 11)]
    assert all(cell.data_type == "s" for cell in names)
    assert [cell.value[0] for cell in names[:6]] == ["'"] * 6
    assert names[0].value == "'=HYPERLINK(\"http://example.invalid\",\"点击\")"
    assert names[6].value == "普通文本"


def test_no_rows_still_gives_a_header():
    sheet = load_workbook(BytesIO(ledger_bytes(ledger=LEDGER, rows=[]))).active
    assert [c.value for c in sheet[3]] == ["序号", "名称", "数量", "期限"]
    assert sheet.max_row == 3
