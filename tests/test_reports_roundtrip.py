"""The Excel round-trip's template writer and reader (reports/roundtrip.py), without the
database: templates written and read back with openpyxl, every kind of problem in a cell, and
every kind of file refused whole — each refused with its Chinese message, and cheaply. What a
refusal cost is counted, never timed: whether openpyxl was handed the file, the bytes inflated
from its zip, the rows of the sheet read (``Work``).

The reader is given what the unit may file (``ReadContext``): here it leads 1.1, 1.2 and 1.3
(1.3 already submitted), supports 2.1, and 3.1 is another unit's task of the plan.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO

import pytest
from django.conf import settings
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from reports import roundtrip
from reports.roundtrip import (
    HEADER_ROW,
    MARKER_SHEET,
    ROW_MARGIN,
    SHEET_NAME,
    ReadContext,
    RoundtripError,
    TaskRef,
    TemplateRow,
    TemplateSpec,
    template_bytes,
    template_filename,
    template_read,
)

UNIT_ID, PERIOD_ID = 7, 3
CONTEXT = ReadContext(
    unit_id=UNIT_ID, period_id=PERIOD_ID, period_label="2022年6月",
    lead={
        "1.1": TaskRef(11, "1.1", "加快项目建设前期手续办理"),
        "1.2": TaskRef(12, "1.2", "推行区域评估", report_status="draft", report_status_label="草稿"),
        "1.3": TaskRef(13, "1.3", "推进多图联审", report_status="submitted", report_status_label="待审核", editable=False),
    },
    supporting=frozenset({"2.1"}),
    known=frozenset({"1.1", "1.2", "1.3", "2.1", "3.1"}),
)
ROWS = [
    TemplateRow("1.1", "加快项目建设前期手续办理", "2020年底前"),
    TemplateRow("1.2", "推行区域评估", "", completed="-已完成区域评估（草稿）", next_plan="=继续", progress=30),
]
# The template's first data row, and the columns as Excel names them.
FIRST = 4
CODE, TITLE, COMPLETED, PROBLEMS, NEXT_PLAN, PROGRESS = "A", "B", "D", "E", "F", "G"


def template(rows=ROWS, *, unit_id=UNIT_ID, period_id=PERIOD_ID) -> bytes:
    spec = TemplateSpec(unit_id=unit_id, unit_name="新区行政审批与政务服务局", period_id=period_id,
                        period_label="2022年6月", rows=rows)
    return template_bytes(spec=spec)


def edited(content: bytes, cells: dict[str, object] | None = None, change=None) -> bytes:
    """The workbook with cells set (as a unit would type them) and any other change."""
    workbook = load_workbook(BytesIO(content))
    sheet = workbook[SHEET_NAME]
    for ref, value in (cells or {}).items():
        sheet[ref] = value
    if change:
        change(workbook)
    stream = BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def filled(**extra) -> bytes:
    """1.1 filled completely; 1.2's draft as pre-filled."""
    cells = {f"{COMPLETED}{FIRST}": "完成审批清单梳理", f"{NEXT_PLAN}{FIRST}": "推进并联审批", f"{PROGRESS}{FIRST}": 40}
    return edited(template(), {**cells, **extra})


def read(content: bytes, context: ReadContext = CONTEXT):
    return template_read(content=content, context=context)


def issues_of(content: bytes, context: ReadContext = CONTEXT) -> list[tuple]:
    return [(i.row, i.column, i.message) for i in read(content, context).issues]


@dataclass
class Work:
    """What reading a file cost, in units that do not depend on the machine's speed."""

    opened: int = 0    # files handed to openpyxl
    inflated: int = 0  # bytes inflated from the zip, by the reader's checks and openpyxl alike
    rows: Counter = field(default_factory=Counter)  # rows taken from each sheet, by its title


@contextmanager
def counted() -> Iterator[Work]:
    work = Work()
    load, crc, iter_rows = roundtrip.load_workbook, zipfile.ZipExtFile._update_crc, ReadOnlyWorksheet.iter_rows

    def opening(*args, **kwargs):
        work.opened += 1
        return load(*args, **kwargs)

    def inflating(stream, data):  # zipfile hands every chunk it inflates here, to check its CRC
        work.inflated += len(data)
        return crc(stream, data)

    def reading(sheet, *args, **kwargs):
        for row in iter_rows(sheet, *args, **kwargs):
            work.rows[sheet.title] += 1
            yield row

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(roundtrip, "load_workbook", opening)
        mp.setattr(zipfile.ZipExtFile, "_update_crc", inflating)
        mp.setattr(ReadOnlyWorksheet, "iter_rows", reading)
        yield work


def refused_at(content: bytes, context: ReadContext = CONTEXT) -> tuple[str, Work]:
    """The message a file is refused with, and what refusing it cost. Whatever the file, the
    reader never takes more rows than its cap."""
    with counted() as work, pytest.raises(RoundtripError) as caught:
        read(content, context)
    assert work.rows[SHEET_NAME] <= HEADER_ROW + settings.ROUNDTRIP_MAX_ROWS + 1, work
    return str(caught.value), work


def refused(content: bytes, context: ReadContext = CONTEXT) -> str:
    return refused_at(content, context)[0]


UNREAD = Work()  # refused from its first bytes or its zip's directory: nothing inflated, nothing parsed


# --- the template ----------------------------------------------------------------------------------


def test_template_layout_protection_and_validation():
    workbook = load_workbook(BytesIO(template()))
    sheet = workbook[SHEET_NAME]
    assert sheet["A1"].value == "2022年6月进展填报（新区行政审批与政务服务局）" and "A1:G1" in sheet.merged_cells
    assert [c.value for c in sheet[3]] == ["任务编号", "任务名称", "时间节点", "本月完成情况", "存在问题", "下月计划", "完成进度（%）"]
    assert sheet.freeze_panes == "A4" and sheet.print_title_rows == "$1:$3"
    assert (sheet["A4"].value, sheet["B4"].value, sheet["C4"].value) == ("1.1", "加快项目建设前期手续办理", "2020年底前")
    # Pre-filled draft; text that a spreadsheet would evaluate is stored as text.
    assert (sheet["D5"].value, sheet["F5"].value, sheet["G5"].value) == ("'-已完成区域评估（草稿）", "'=继续", 30)
    assert sheet["F5"].data_type == "s"
    # Protection: on for the sheet, off for the four columns the unit fills.
    assert sheet.protection.sheet is True
    assert [sheet.cell(row=4, column=c).protection.locked for c in range(1, 8)] == [True, True, True, False, False, False, False]
    assert workbook.security.lockStructure is True
    (validation,) = sheet.data_validations.dataValidation
    assert (validation.type, validation.operator, validation.formula1, validation.formula2) == ("whole", "between", "0", "100")
    assert str(validation.sqref) == "G4:G5" and validation.error == "完成进度应为 0–100 的整数。"
    assert validation.showErrorMessage is True


def test_template_marker_is_a_very_hidden_sheet():
    workbook = load_workbook(BytesIO(template()))
    marker = workbook[MARKER_SHEET]
    assert marker.sheet_state == "veryHidden"
    assert dict(marker.iter_rows(values_only=True)) == {"kind": "progress-report", "version": 1, "period": PERIOD_ID, "unit": UNIT_ID}


def test_template_filename():
    assert template_filename(unit_name="审批局", period_label="2026年11月") == "进展填报模板_审批局_2026年11月.xlsx"
    assert template_filename(unit_name='a/b:"c"', period_label="2026年11月") == "进展填报模板_abc_2026年11月.xlsx"


def test_an_untouched_template_reads_back_as_it_was_written():
    parsed = read(template())
    # 1.1 was left blank: not saved; 1.2's draft comes back exactly, apostrophes taken off.
    assert parsed.skipped == ["1.1"]
    (row,) = parsed.rows
    assert (row.row, row.code, row.task_id, row.completed, row.next_plan, row.progress, row.report_status) == (
        5, "1.2", 12, "-已完成区域评估（草稿）", "=继续", 30, "draft")
    assert [(i.row, i.column, i.blocks) for i in parsed.issues] == []


def test_a_filled_template():
    parsed = read(filled())
    assert [(r.code, r.completed, r.problems, r.next_plan, r.progress) for r in parsed.rows] == [
        ("1.1", "完成审批清单梳理", "", "推进并联审批", 40), ("1.2", "-已完成区域评估（草稿）", "", "=继续", 30),
    ]
    assert parsed.issues == []


@pytest.mark.parametrize(("typed", "stored"), [(40, 40), (40.0, 40), ("40", 40), (" 40% ", 40), ("０", 0), (100, 100), (None, None)])
def test_progress_accepted(typed, stored):
    (row, _) = read(filled(**{f"{PROGRESS}{FIRST}": typed})).rows
    assert row.progress == stored


# --- problems by row and column -----------------------------------------------------------------------


@pytest.mark.parametrize("typed", [150, -1, 40.5, "四十", "abc", True])
def test_progress_out_of_range_or_not_a_whole_number(typed):
    content = filled(**{f"{PROGRESS}{FIRST}": typed})
    assert issues_of(content) == [(4, "完成进度", "应为 0–100 的整数")]


def test_progress_of_the_example_message():
    content = filled(**{f"{PROGRESS}5": 150})
    assert issues_of(content) == [(5, "完成进度", "应为 0–100 的整数")]


@pytest.mark.parametrize(("code", "message"), [
    ("9.9", "找不到任务编号「9.9」"),
    ("3.1", "任务 3.1 不是本单位牵头的任务"),
    ("2.1", "本单位是任务 2.1 的配合单位，不填报进展（配合情况请在月度填报页面填写）"),
    ("1.3", "任务 1.3 的进展填报当前为「待审核」，不能修改"),
    (None, "缺少任务编号（请不要删除或改动灰色列）"),
])
def test_task_code_problems(code, message):
    content = filled(**{f"{CODE}{FIRST}": code})
    assert issues_of(content) == [(4, "任务编号", message)]


def test_a_task_twice():
    content = filled(**{f"{CODE}5": "1.1"})
    assert issues_of(content) == [(5, "任务编号", "任务 1.1 在第 4 行已出现，每项任务只填一行")]


def test_a_code_two_plans_share_is_refused():
    context = ReadContext(**{**CONTEXT.__dict__, "ambiguous": frozenset({"1.1"})})
    assert issues_of(filled(), context) == [(4, "任务编号", "任务编号 1.1 在多个行动方案中重复，请在网页上逐项填报")]


def test_missing_required_text_blocks_submission_only():
    content = filled(**{f"{COMPLETED}{FIRST}": "  ", f"{PROGRESS}{FIRST}": None})
    parsed = read(content)
    assert [(i.row, i.column, i.message, i.blocks) for i in parsed.issues] == [
        (4, "本月完成情况", "提交前须填写本月完成情况", "submit"), (4, "完成进度", "提交前须填写完成进度", "submit"),
    ]
    assert [r.code for r in parsed.rows] == ["1.1", "1.2"]  # may still be saved as drafts


def test_formula_in_a_cell_is_refused_by_row_and_column():
    content = filled(**{f"{COMPLETED}{FIRST}": '=HYPERLINK("http://evil","点我")', f"{PROGRESS}5": "=20*2"})
    assert issues_of(content) == [(4, "本月完成情况", "含有公式，请只填写文字或数字"), (5, "完成进度", "含有公式，请只填写文字或数字")]
    assert read(content).rows == []


def test_text_too_long_and_content_outside_the_template():
    content = filled(**{f"{PROBLEMS}{FIRST}": "问" * 5001, f"J{FIRST}": "备注"})
    assert issues_of(content) == [(4, "J 列", "模板外的列不能填写内容"), (4, "存在问题", "不能超过 5000 字")]


def test_blank_rows_are_skipped_and_numbers_read_as_text():
    content = filled(**{f"{COMPLETED}{FIRST}": 12345, f"{NEXT_PLAN}{FIRST}": 3.0})
    (first, _) = read(content).rows
    assert (first.completed, first.next_plan) == ("12345", "3")


# --- files refused whole ------------------------------------------------------------------------------


def zipped(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    stream = BytesIO()
    with zipfile.ZipFile(stream, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return stream.getvalue()


def with_entries(content: bytes, extra: dict[str, bytes]) -> bytes:
    """The template's zip with more parts (what a crafted file adds)."""
    with zipfile.ZipFile(BytesIO(content)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    return zipped({**parts, **extra})


@pytest.mark.parametrize(("content", "message"), [
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "文件不是 Excel 工作簿（.xlsx），可能是其他文件改了扩展名"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "文件不是 Excel 工作簿（.xlsx），可能是其他文件改了扩展名"),
    ("任务编号,本月完成情况\n1.1,完成\n".encode(), "文件不是 Excel 工作簿（.xlsx），可能是其他文件改了扩展名"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "这是旧版 Excel（.xls）文件或加密的工作簿：请在 Excel 中取消密码并「另存为」.xlsx 后再上传"),
    (b"", "文件不是 Excel 工作簿（.xlsx）"),
])
def test_not_an_xlsx(content, message):
    found, work = refused_at(content)
    assert message in found and work == UNREAD


def test_a_word_file_renamed():
    docx = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    found, work = refused_at(docx)
    assert "文件不是 Excel 工作簿（可能是 Word 等其他文件改了扩展名）" in found and work == UNREAD


def test_a_truncated_file():
    content = template()
    found, work = refused_at(content[: len(content) // 2])
    assert "文件已损坏" in found and work == UNREAD


def test_zip_bomb_by_total_size(settings):
    settings.ROUNDTRIP_MAX_UNCOMPRESSED = 4 * 1024 * 1024
    bomb = with_entries(template(), {"xl/media/image1.png": b"\x00" * (5 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024
    found, work = refused_at(bomb)
    assert found == "文件解压后过大（5.0 MB，上限 4.0 MB），可能是压缩炸弹，已拒绝。"
    assert work == UNREAD  # judged by the sizes the zip declares, before a byte is inflated


def test_zip_bomb_by_ratio():
    bomb = with_entries(template(), {"xl/media/image1.png": b"\x00" * (2 * 1024 * 1024)})
    found, work = refused_at(bomb)
    assert found == "文件的压缩比异常，可能是压缩炸弹，已拒绝。请使用平台下载的模板。" and work == UNREAD


def test_zip_with_thousands_of_parts():
    parts = {f"xl/media/p{i}.bin": b"x" for i in range(300)}
    found, work = refused_at(with_entries(template(), parts))
    assert "文件结构异常（包含" in found and work == UNREAD


def test_xml_entity_declarations_are_refused():
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><root>&lol;</root>'
    content = with_entries(template(), {"xl/custom.xml": laughs})
    found, work = refused_at(content)
    assert "DTD" in found
    # Found by scanning the parts' bytes, at most once each: no XML parser ever expands an entity.
    with zipfile.ZipFile(BytesIO(content)) as archive:
        assert work.opened == 0 and 0 < work.inflated <= sum(i.file_size for i in archive.infolist())


def test_macros_are_refused():
    found, work = refused_at(with_entries(template(), {"xl/vbaProject.bin": b"\x00" * 100}))
    assert "文件含有宏" in found and work == UNREAD


def test_oversized_content(settings):
    settings.ROUNDTRIP_MAX_BYTES = 1000
    found, work = refused_at(template())
    assert found.startswith("文件过大") and work == UNREAD


def test_the_counters_see_a_read():
    """The counts above are only as good as the counters: a template read in full is opened by
    openpyxl, inflated and read row by row."""
    with counted() as work:
        read(filled())
    assert work.opened == 1 and work.inflated > 0
    assert work.rows[MARKER_SHEET] > 0 and work.rows[SHEET_NAME] == FIRST + len(ROWS) - 1


def test_a_workbook_that_is_not_a_template():
    workbook = Workbook()
    workbook.active.title = SHEET_NAME
    stream = BytesIO()
    workbook.save(stream)
    assert refused(stream.getvalue()) == "这不是平台的进展填报模板（缺少模板标识）。请先下载本单位的模板，填写后再上传。"


def _marker_set(key, value):
    def change(workbook):
        sheet = workbook[MARKER_SHEET]
        for row in sheet.iter_rows():
            if row[0].value == key:
                row[1].value = value
    return change


@pytest.mark.parametrize(("content", "message"), [
    (lambda: template(unit_id=UNIT_ID + 1), "这是其他单位的模板，不能上传。请下载本单位的模板。"),
    (lambda: template(period_id=PERIOD_ID + 1), "这是其他填报期的模板。请下载2022年6月的模板。"),
    (lambda: edited(template(), change=_marker_set("kind", "finding")), "这不是进展填报模板，或模板版本已过期。请重新下载本单位的模板。"),
    (lambda: edited(template(), change=_marker_set("version", 0)), "这不是进展填报模板，或模板版本已过期。请重新下载本单位的模板。"),
])
def test_another_template(content, message):
    assert refused(content()) == message


def test_too_many_sheets():
    def add(workbook):
        for i in range(3):
            workbook.create_sheet(f"附表{i}")
    assert refused(edited(template(), change=add)) == "工作簿有 5 个工作表，模板只有「进展填报」一个。请使用平台下载的模板。"


def test_a_moved_column():
    assert refused(filled(**{f"{PROGRESS}3": "进度"})) == (
        "表头与模板不符：G 列应为「完成进度（%）」。请使用平台下载的模板，不要增删或移动列。")


def test_too_many_columns():
    def wide(workbook):
        workbook[SHEET_NAME].cell(row=FIRST, column=200, value="x")
    found, work = refused_at(edited(template(), change=wide))
    assert "表格列数过多（200 列）" in found
    assert work.rows[SHEET_NAME] == 0  # refused from the sheet's declared size, before a row is read


def test_thousands_of_rows_stop_the_reading_early():
    def many(workbook):
        sheet = workbook[SHEET_NAME]
        for row in range(FIRST + 2, FIRST + 5000):
            sheet.cell(row=row, column=1, value="1.1")
    found, work = refused_at(edited(template(), change=many))
    assert found == "数据行多于本单位在2022年6月牵头的任务（3 项），已停止读取。请使用平台下载的模板。"
    # Reading stops at the first data row past the unit's tasks and the margin, not at 5000.
    assert work.rows[SHEET_NAME] == HEADER_ROW + len(CONTEXT.lead) + ROW_MARGIN + 1


def test_rows_far_below_the_template_are_refused(settings):
    def far(workbook):
        workbook[SHEET_NAME].cell(row=1_000_000, column=1, value="")
        workbook[SHEET_NAME].cell(row=1_000_000, column=4, value="藏在很远的地方")
    found, work = refused_at(edited(template(), change=far))
    assert found == f"表格超过 {settings.ROUNDTRIP_MAX_ROWS} 行，已停止读取。请使用平台下载的模板。"
    # The million empty rows in between are never walked: reading stops one row past the cap.
    assert work.rows[SHEET_NAME] == HEADER_ROW + settings.ROUNDTRIP_MAX_ROWS + 1
