"""The dispatch report as one workbook: a sheet per section, in the government's layout of every
ledger (title row, subtitle, bold frozen header, bordered wrapped rows, A4 landscape with the
header repeated on every page) and its fonts, fills and ``typed`` cells from ``reports.xlsx``.

It is written from the report's stored ``content`` only — what the page shows is exactly what
the file holds, and writing it runs no query. Text typed by units (本月完成, 退回意见 …) goes
through ``typed``/``neutralise``: it is never a formula.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from reports.xlsx import (
    BODY_FONT,
    BORDER,
    FOOTER,
    HEADER_FILL,
    HEADER_FONT,
    SUBTITLE_FONT,
    TITLE_FONT,
    CellValue,
    Column,
    neutralise,
    typed,
    workbook_save,
)

Row = dict[str, Any]


def _date(key: str):
    return lambda row: datetime.date.fromisoformat(row[key]) if row.get(key) else None


def _moment(key: str):
    return lambda row: datetime.datetime.fromisoformat(row[key]) if row.get(key) else None


def _field(key: str):
    return lambda row: row.get(key)


def _lights(row: Row) -> str:
    lights = row["lights"]
    return f"绿 {lights['green']} / 黄 {lights['yellow']} / 红 {lights['red']}"


SUMMARY_FIELDS = (
    ("tasks", "任务（项）"), ("lead_units", "牵头单位（个）"), ("due", "应报送（份）"), ("submitted", "已报送（份）"),
    ("on_time", "按时报送（份）"), ("late", "逾期报送（份）"), ("missing", "未报送（份）"),
    ("approved", "审核通过（份）"), ("returned", "退回修改（份）"), ("awaiting", "待审核（份）"),
    ("on_time_rate", "按时报送率（%）"), ("average_progress", "平均完成进度（%）"), ("expected_progress", "序时进度（%）"),
)
LIGHT_FIELDS = (("green", "绿灯任务（项）"), ("yellow", "黄灯任务（项）"), ("red", "红灯任务（项）"))
FINDING_FIELDS = (
    ("total", "期内督查问题（个）"), ("found", "期内新发现（个）"), ("closed_in_period", "期内销号（个）"),
    ("open", "待整改（个）"), ("rectifying", "整改中（个）"), ("submitted", "待核验（个）"), ("closed", "已销号（个）"),
    ("overdue", "逾期未整改（个）"),
)

COLUMNS: dict[str, tuple[Column[Row], ...]] = {
    "summary": (Column("项目", 30, _field("label")), Column("数值", 16, _field("value"), align="right")),
    "months": (
        Column("月份", 14, _field("period")), Column("截止日期", 13, _date("due_date"), align="center"),
        Column("应报", 9, _field("due"), align="right"), Column("按时", 9, _field("on_time"), align="right"),
        Column("逾期", 9, _field("late"), align="right"), Column("未报", 9, _field("missing"), align="right"),
        Column("按时报送率（%）", 14, _field("on_time_rate"), align="right"),
    ),
    "groups": (
        Column.serial(), Column("任务组", 40, lambda r: f"{r['numeral']}{r['title']}"),
        Column("任务数", 9, _field("tasks"), align="right"),
        Column("平均完成进度（%）", 14, _field("average_progress"), align="right"),
        Column("序时进度（%）", 12, _field("expected_progress"), align="right"),
        Column("红黄绿灯", 22, _lights, align="center"),
    ),
    "returns": (
        Column.serial(), Column("任务编号", 9, _field("task_code"), align="center"),
        Column("任务名称", 22, _field("task_title")), Column("牵头单位", 20, _field("unit")),
        Column("本月完成情况", 40, _field("completed")), Column("存在问题", 24, _field("problems")),
        Column("下月计划", 32, _field("next_plan")), Column("完成进度（%）", 10, _field("progress"), align="right"),
        Column("提交时间", 17, _moment("submitted_at"), align="center"),
        Column("是否逾期", 8, lambda r: "逾期" if r["late"] else "按时", align="center"),
        Column("审核结果", 10, _field("status_label"), align="center"),
        Column("退回意见", 30, lambda r: "\n".join(r["return_comments"])),
    ),
    "units": (
        Column.serial(), Column("牵头单位", 30, _field("unit")), Column("任务数", 8, _field("tasks"), align="right"),
        Column("应报", 8, _field("due"), align="right"), Column("按时", 8, _field("on_time"), align="right"),
        Column("逾期", 8, _field("late"), align="right"), Column("未报", 8, _field("missing"), align="right"),
        Column("被退回", 8, _field("returned"), align="right"),
        Column("按时报送率（%）", 14, _field("on_time_rate"), align="right"),
    ),
    "missing": (
        Column.serial(), Column("月份", 12, _field("period")), Column("任务编号", 9, _field("task_code"), align="center"),
        Column("任务名称", 24, _field("task_title")), Column("牵头单位", 24, _field("unit")),
        Column("截止日期", 12, _date("due_date"), align="center"), Column("情况", 10, _field("state"), align="center"),
        Column("提交时间", 17, _moment("submitted_at"), align="center"),
        Column("逾期工作日", 10, _field("overdue_days"), align="right"),
    ),
    "findings": (
        Column.serial(), Column("问题编号", 14, _field("number")), Column("责任单位", 22, _field("unit")),
        Column("相关任务", 9, _field("task_code"), align="center"), Column("问题描述", 40, _field("description")),
        Column("严重程度", 8, _field("severity"), align="center"),
        Column("发现日期", 12, _date("found_on"), align="center"),
        Column("整改截止", 12, _date("due_date"), align="center"),
        Column("状态", 9, _field("status_label"), align="center"),
        Column("逾期工作日", 10, _field("overdue_days"), align="right"),
        Column("销号时间", 17, _moment("closed_at"), align="center"),
    ),
    "bulletins": (
        Column.serial(), Column("通报月份", 12, _field("month")), Column("责任单位", 24, _field("unit")),
        Column("事项", 28, _field("item")), Column("通报原因", 50, _field("reason")),
        Column("原截止日期", 12, _date("due_date"), align="center"),
    ),
    "indicators": (
        Column.serial(), Column("指标", 34, _field("name")), Column("任务编号", 9, _field("task_code"), align="center"),
        Column("目标", 20, _field("target")), Column("目标年度", 10, _field("period"), align="center"),
        Column("实际值", 12, _field("actual"), align="right"), Column("计量单位", 12, _field("unit_of_measure")),
        Column("达成情况", 10, _field("attainment"), align="center"),
    ),
}


def summary_rows(content: dict[str, Any]) -> list[Row]:
    """总体情况 as (项目, 数值) rows: the returns, the lights, and the findings' counts."""
    summary = content["summary"]
    rows = [{"label": label, "value": summary[key]} for key, label in SUMMARY_FIELDS]
    rows += [{"label": label, "value": summary["lights"][key]} for key, label in LIGHT_FIELDS]
    if "findings" in content:
        rows += [{"label": label, "value": content["findings"]["counts"][key]} for key, label in FINDING_FIELDS]
    return rows


def section_rows(content: dict[str, Any], key: str) -> list[Row]:
    if key == "summary":
        return summary_rows(content)
    if key == "findings":
        return content["findings"]["rows"]
    return content[key]


def report_xlsx(content: dict[str, Any]) -> bytes:
    """The whole report: one sheet per section, in the order of the page."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = content["title"]
    workbook.properties.creator = "西咸新区营商环境督查督办平台"
    subtitle = (f"{content['plan']['title']}　统计期间：{content['period']['start']} 至 {content['period']['end']}"
                f"　数据截至：{content['as_of']}（本期进展截止后的调度日）")
    for section in content["sections"]:
        sheet = workbook.create_sheet(section["title"][:31])
        title = f"{content['title']}——{section['title']}"
        _sheet_write(sheet, title=title, subtitle=subtitle, columns=COLUMNS[section["key"]],
                     rows=section_rows(content, section["key"]))
    stream = BytesIO()
    workbook_save(workbook, stream)
    return stream.getvalue()


HEADER_ROW = 3  # title, subtitle, header


def _sheet_write(sheet: Worksheet, *, title: str, subtitle: str, columns: Sequence[Column[Row]],
                 rows: list[Row]) -> None:
    last = len(columns)
    for row, (text, font, horizontal, height) in enumerate(
            [(title, TITLE_FONT, "center", 32.0), (subtitle, SUBTITLE_FONT, "right", 18.0)], start=1):
        cell = sheet.cell(row=row, column=1, value=neutralise(text))
        cell.font, cell.alignment = font, Alignment(horizontal=horizontal, vertical="center")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
        sheet.row_dimensions[row].height = height
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=neutralise(column.header))
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    aligns = {a: Alignment(horizontal=a, vertical="center", wrap_text=True) for a in ("left", "center", "right")}
    for number, item in enumerate(rows, start=1):
        for index, column in enumerate(columns, start=1):
            value: CellValue = typed(column.cell_value(item, number))
            cell = sheet.cell(row=HEADER_ROW + number, column=index, value=value)
            cell.font, cell.border, cell.alignment = BODY_FONT, BORDER, aligns[column.align]
            if isinstance(value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    _print_setup(sheet, last_column=last, last_row=HEADER_ROW + len(rows))


def _print_setup(sheet: Worksheet, *, last_column: int, last_row: int) -> None:
    letter = get_column_letter(last_column)
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"1:{HEADER_ROW}"
    sheet.print_area = f"A1:{letter}{last_row}"
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_options.horizontalCentered = True
    sheet.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    sheet.oddFooter.center.text = FOOTER
    sheet.oddFooter.center.size = 9
