"""Excel round-trip (Excel 批量填报): the progress template a lead unit downloads, and the reader
that checks the file it uploads back.

Pure of HTTP and of the database: the writer takes the rows to pre-fill (``TemplateSpec``), the
reader takes what the unit may file (``ReadContext``) and returns the rows it would save and
the problems by row and column (``ParsedUpload``). A file that cannot be a filled template at
all raises ``RoundtripError`` with the reason in Chinese.

The reader bounds memory and time before openpyxl sees the file: the upload's size is checked
by the caller, then the zip directory is read (declared sizes, compression ratio, entry count —
Python's zipfile never inflates an entry past its declared size, so the declared sizes bound
the work), then every XML part is scanned for DTDs (entity expansion), and only then is the
workbook opened read-only, cell values only as stored (``data_only=False``, so that a formula
is seen as one), and read row by row up to a cap.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any, Literal

from django.conf import settings
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from reports.xlsx import (
    BODY_FONT,
    BORDER,
    FOOTER,
    FORMULA_TRIGGERS,
    HEADER_FILL,
    HEADER_FONT,
    SUBTITLE_FONT,
    TITLE_FONT,
    Column,
    neutralise,
    workbook_save,
)

# The hidden marker: which kind of template this is, its layout version, its period and unit.
KIND = "progress-report"
VERSION = 1
SHEET_NAME = "进展填报"
MARKER_SHEET = "_portal"
HEADER_ROW = 3
FIRST_DATA_ROW = HEADER_ROW + 1

# Limits of the file's structure (the byte and row limits are settings).
MAX_SHEETS = 4            # the template has two; a user's copy may gain a sheet or two
MAX_COLUMNS = 50          # columns the sheet may claim at all
EXTRA_COLUMNS_READ = 10   # columns past the template's that are read to report stray content
MAX_ZIP_ENTRIES = 200
MAX_RATIO = 100           # uncompressed / compressed of one large entry
RATIO_CHECKED_FROM = 1024 * 1024
ROW_MARGIN = 20           # data rows allowed beyond the unit's tasks (duplicates, stray lines)
MAX_TEXT = 5000           # characters of one text cell
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"

READONLY_FILL = PatternFill("solid", fgColor="F2F2F2")
UNLOCKED = Protection(locked=False)


class RoundtripError(ValueError):
    """The file as a whole is refused; the message is for the user."""


# --- the template's columns ----------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRow:
    code: str
    title: str
    time_node: str
    completed: str = ""
    problems: str = ""
    next_plan: str = ""
    progress: int | None = None


@dataclass(frozen=True)
class Field:
    """One column of the template: the report field it carries and whether the unit edits it."""

    name: str
    label: str  # how problems name the column: 第 5 行「完成进度」
    column: Column[TemplateRow]
    editable: bool


def _field(name: str, label: str, header: str, width: float, editable: bool, align="left") -> Field:
    return Field(name, label, Column(header, width, lambda row: getattr(row, name), align=align), editable)


FIELDS: tuple[Field, ...] = (
    _field("code", "任务编号", "任务编号", 10, False, align="center"),
    _field("title", "任务名称", "任务名称", 26, False),
    _field("time_node", "时间节点", "时间节点", 18, False),
    _field("completed", "本月完成情况", "本月完成情况", 40, True),
    _field("problems", "存在问题", "存在问题", 30, True),
    _field("next_plan", "下月计划", "下月计划", 40, True),
    _field("progress", "完成进度", "完成进度（%）", 12, True, align="center"),
)
TEXT_FIELDS = ("completed", "problems", "next_plan")
# What a submission needs (tasks.services.dispatch.KINDS[ProgressReport].required).
REQUIRED_FOR_SUBMIT = ("completed", "next_plan", "progress")
PROGRESS_MESSAGE = "应为 0–100 的整数"


# --- writing the template ------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateSpec:
    unit_id: int
    unit_name: str
    period_id: int
    period_label: str  # 「2026年11月」
    rows: Sequence[TemplateRow]


def template_filename(*, unit_name: str, period_label: str) -> str:
    """「进展填报模板_审批局_2026年11月.xlsx」, safe on every file system."""
    stem = f"进展填报模板_{unit_name}_{period_label}"
    return "".join(c for c in stem if c.isprintable() and c not in '\\/:*?"<>|') + ".xlsx"


def template_bytes(*, spec: TemplateSpec) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    workbook.properties.title = f"{spec.period_label}进展填报模板"
    workbook.properties.creator = "西咸新区营商环境督查督办平台"
    _write_head(sheet, spec)
    last_row = _write_rows(sheet, spec.rows)
    _write_validation(sheet, last_row)
    _write_setup(sheet, last_row)
    _write_marker(workbook, spec)
    # Sheets can be neither added nor unhidden, so the marker stays where the reader looks.
    workbook.security = WorkbookProtection(lockStructure=True)
    stream = BytesIO()
    workbook_save(workbook, stream)
    return stream.getvalue()


def _write_head(sheet: Worksheet, spec: TemplateSpec) -> None:
    last = len(FIELDS)
    lines = (
        (f"{spec.period_label}进展填报（{spec.unit_name}）", TITLE_FONT, "center", 32.0),
        ("灰色列由平台填写，请勿改动；白色列填写后上传。完成进度填 0–100 的整数；未填写的任务不会保存。",
         SUBTITLE_FONT, "left", 18.0),
    )
    for row, (text, font, horizontal, height) in enumerate(lines, start=1):
        cell = sheet.cell(row=row, column=1, value=neutralise(text))
        cell.font, cell.alignment = font, Alignment(horizontal=horizontal, vertical="center")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
        sheet.row_dimensions[row].height = height
    for index, item in enumerate(FIELDS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=item.column.header)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = item.column.width
    sheet.row_dimensions[HEADER_ROW].height = 24.0


def _write_rows(sheet: Worksheet, rows: Sequence[TemplateRow]) -> int:
    alignments = {a: Alignment(horizontal=a, vertical="top", wrap_text=True) for a in ("left", "center")}
    row_number = HEADER_ROW
    for row_number, item in enumerate(rows, start=FIRST_DATA_ROW):
        for index, definition in enumerate(FIELDS, start=1):
            value = definition.column.cell_value(item, row_number)
            cell = sheet.cell(row=row_number, column=index, value=neutralise(value) if isinstance(value, str) else value)
            cell.font, cell.border = BODY_FONT, BORDER
            cell.alignment = alignments[definition.column.align]
            if definition.editable:
                cell.protection = UNLOCKED
            else:
                cell.fill = READONLY_FILL
        sheet.row_dimensions[row_number].height = 60.0
    return row_number


def _write_validation(sheet: Worksheet, last_row: int) -> None:
    """完成进度: Excel itself refuses anything but a whole number from 0 to 100."""
    validation = DataValidation(
        type="whole", operator="between", formula1="0", formula2="100", allow_blank=True,
        showErrorMessage=True, errorStyle="stop", errorTitle="完成进度",
        error="完成进度应为 0–100 的整数。", showInputMessage=True, promptTitle="完成进度",
        prompt="填写 0–100 的整数，表示截至本月底任务整体完成的百分比。",
    )
    letter = get_column_letter(_column_of("progress"))
    validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{max(last_row, FIRST_DATA_ROW)}")
    sheet.add_data_validation(validation)


def _write_setup(sheet: Worksheet, last_row: int) -> None:
    last_letter = get_column_letter(len(FIELDS))
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    sheet.print_title_rows = f"1:{HEADER_ROW}"
    sheet.print_area = f"A1:{last_letter}{max(last_row, HEADER_ROW)}"
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.oddFooter.center.text = FOOTER
    # Protection guides the hand (only the white cells take input); it is no security — the
    # portal checks every cell of the upload whatever the file says. Without a password, so
    # that a unit that needs to can still unprotect its copy.
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _write_marker(workbook: Workbook, spec: TemplateSpec) -> None:
    marker = workbook.create_sheet(MARKER_SHEET)
    for pair in (("kind", KIND), ("version", VERSION), ("period", spec.period_id), ("unit", spec.unit_id)):
        marker.append(pair)
    marker.sheet_state = "veryHidden"  # not even listed by Excel's 取消隐藏
    marker.protection.sheet = True


def _column_of(name: str) -> int:
    return next(i for i, f in enumerate(FIELDS, start=1) if f.name == name)


# --- reading an upload ------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRef:
    """A task the unit leads in the period, and its report there if it has begun one."""

    task_id: int
    code: str
    title: str
    report_status: str | None = None  # FilingStatus value
    report_status_label: str = ""
    editable: bool = True


@dataclass(frozen=True)
class ReadContext:
    unit_id: int
    period_id: int
    period_label: str
    lead: dict[str, TaskRef]            # task code → the unit's lead task
    supporting: frozenset[str] = frozenset()  # codes of tasks the unit only supports
    known: frozenset[str] = frozenset()       # codes of every task of the plans in force
    ambiguous: frozenset[str] = frozenset()   # lead codes that two plans share


@dataclass(frozen=True)
class Issue:
    row: int | None  # the sheet's row number as Excel shows it
    column: str
    message: str
    blocks: Literal["all", "submit"] = "all"  # "submit": a draft may still be saved

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ParsedRow:
    row: int
    task_id: int
    code: str
    title: str
    completed: str
    problems: str
    next_plan: str
    progress: int | None
    report_status: str | None  # the report this row updates, None for a new one

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ParsedUpload:
    rows: list[ParsedRow] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # codes of task rows left blank


def template_read(*, content: bytes, context: ReadContext) -> ParsedUpload:
    """Every cell of an uploaded template checked; RoundtripError for a file refused whole."""
    if len(content) > settings.ROUNDTRIP_MAX_BYTES:
        raise RoundtripError(too_large_message(len(content)))
    archive_check(content)
    try:
        workbook = load_workbook(BytesIO(content), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises a dozen types for a damaged file; all mean the same here
        raise RoundtripError("文件已损坏或不是 Excel 工作簿，无法读取。请使用平台下载的模板。") from None
    try:
        _marker_check(workbook, context)
        return _rows_read(workbook[SHEET_NAME], context)
    except RoundtripError:
        raise
    except Exception:  # the sheet's XML is parsed lazily, while its rows are read
        raise RoundtripError("文件已损坏，无法读取其中的表格。请使用平台下载的模板。") from None
    finally:
        workbook.close()


def archive_check(content: bytes) -> None:
    """The file is an .xlsx zip that is safe to open, or RoundtripError."""
    if content.startswith(OLE2):
        raise RoundtripError("这是旧版 Excel（.xls）文件或加密的工作簿：请在 Excel 中取消密码并「另存为」.xlsx 后再上传。")
    if not content.startswith(ZIP):
        raise RoundtripError("文件不是 Excel 工作簿（.xlsx），可能是其他文件改了扩展名。请上传平台下载的模板。")
    try:
        archive = zipfile.ZipFile(BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        raise RoundtripError("文件已损坏或不是 Excel 工作簿（.xlsx），无法读取。") from None
    with archive:
        entries = archive.infolist()
        _sizes_check(entries)
        names = {entry.filename for entry in entries}
        if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
            raise RoundtripError("文件不是 Excel 工作簿（可能是 Word 等其他文件改了扩展名）。请上传平台下载的模板。")
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise RoundtripError("文件含有宏，不能上传。请另存为不含宏的 .xlsx 工作簿。")
        _declarations_check(archive, entries)


def _sizes_check(entries: list[zipfile.ZipInfo]) -> None:
    limit = settings.ROUNDTRIP_MAX_UNCOMPRESSED
    if len(entries) > MAX_ZIP_ENTRIES:
        raise RoundtripError(f"文件结构异常（包含 {len(entries)} 个部件），已拒绝。请使用平台下载的模板。")
    total = sum(entry.file_size for entry in entries)
    if total > limit:
        raise RoundtripError(
            f"文件解压后过大（{_megabytes(total)}，上限 {_megabytes(limit)}），可能是压缩炸弹，已拒绝。"
        )
    for entry in entries:
        if entry.file_size > RATIO_CHECKED_FROM and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise RoundtripError("文件的压缩比异常，可能是压缩炸弹，已拒绝。请使用平台下载的模板。")


def _declarations_check(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """No DTD in any XML part: an .xlsx never has one, and entities are how XML bombs grow."""
    for entry in entries:
        if not entry.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        tail = b""
        try:
            with archive.open(entry) as stream:
                while chunk := stream.read(64 * 1024):
                    window = tail + chunk
                    if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                        raise RoundtripError("文件含有不允许的 XML 声明（DTD），已拒绝。请使用平台下载的模板。")
                    tail = window[-16:]
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, RuntimeError):
            # CRC mismatch, unknown compression, encrypted entry, truncated data.
            raise RoundtripError("文件已损坏，无法读取。请使用平台下载的模板。") from None


def _marker_check(workbook, context: ReadContext) -> None:
    names = workbook.sheetnames
    if len(names) > MAX_SHEETS:
        raise RoundtripError(f"工作簿有 {len(names)} 个工作表，模板只有「{SHEET_NAME}」一个。请使用平台下载的模板。")
    if MARKER_SHEET not in names or SHEET_NAME not in names:
        raise RoundtripError("这不是平台的进展填报模板（缺少模板标识）。请先下载本单位的模板，填写后再上传。")
    marker = {
        key: value for key, value, *_ in workbook[MARKER_SHEET].iter_rows(max_row=10, max_col=2, values_only=True)
        if key is not None
    }
    if marker.get("kind") != KIND or marker.get("version") != VERSION:
        raise RoundtripError("这不是进展填报模板，或模板版本已过期。请重新下载本单位的模板。")
    if marker.get("unit") != context.unit_id:
        raise RoundtripError("这是其他单位的模板，不能上传。请下载本单位的模板。")
    if marker.get("period") != context.period_id:
        raise RoundtripError(f"这是其他填报期的模板。请下载{context.period_label}的模板。")


def _rows_read(sheet, context: ReadContext) -> ParsedUpload:
    if (sheet.max_column or 0) > MAX_COLUMNS:
        raise RoundtripError(f"表格列数过多（{sheet.max_column} 列），模板只有 {len(FIELDS)} 列。请使用平台下载的模板。")
    last_row = HEADER_ROW + settings.ROUNDTRIP_MAX_ROWS
    data_limit = len(context.lead) + ROW_MARGIN
    parsed, seen, data_rows = ParsedUpload(), {}, 0
    rows = sheet.iter_rows(min_row=1, max_row=last_row + 1, max_col=len(FIELDS) + EXTRA_COLUMNS_READ)
    for number, cells in enumerate(rows, start=1):
        if number > last_row:
            raise RoundtripError(f"表格超过 {settings.ROUNDTRIP_MAX_ROWS} 行，已停止读取。请使用平台下载的模板。")
        parsed.issues += _formula_issues(number, cells)
        if number == HEADER_ROW:
            _header_check(cells)
        if number <= HEADER_ROW or all(_is_blank(cell.value) for cell in cells):
            continue
        data_rows += 1
        if data_rows > data_limit:
            raise RoundtripError(
                f"数据行多于本单位在{context.period_label}牵头的任务（{len(context.lead)} 项），已停止读取。请使用平台下载的模板。"
            )
        _row_read(number, cells, context, seen, parsed)
    return parsed


def _header_check(cells) -> None:
    for index, definition in enumerate(FIELDS):
        found = cells[index].value if index < len(cells) else None
        if not (isinstance(found, str) and found.strip() == definition.column.header):
            raise RoundtripError(
                f"表头与模板不符：{get_column_letter(index + 1)} 列应为「{definition.column.header}」。"
                "请使用平台下载的模板，不要增删或移动列。"
            )


def _formula_issues(number: int, cells) -> list[Issue]:
    return [
        Issue(number, _label_of(index), "含有公式，请只填写文字或数字")
        for index, cell in enumerate(cells) if cell.data_type == "f"
    ]


def _label_of(index: int) -> str:
    return FIELDS[index].label if index < len(FIELDS) else f"{get_column_letter(index + 1)} 列"


def _row_read(number: int, cells, context: ReadContext, seen: dict[str, int], parsed: ParsedUpload) -> None:
    if any(cell.data_type == "f" for cell in cells):
        return  # already reported; a formula's text is not what the unit meant to save
    values = {definition.name: cells[index].value for index, definition in enumerate(FIELDS)}
    issues = [Issue(number, _label_of(index), "模板外的列不能填写内容")
              for index in range(len(FIELDS), len(cells)) if not _is_blank(cells[index].value)]
    task = _task_of(number, values["code"], context, seen, issues)
    texts = {name: _text(values[name]) for name in TEXT_FIELDS}
    issues += [Issue(number, _label(name), f"不能超过 {MAX_TEXT} 字") for name, text in texts.items() if len(text) > MAX_TEXT]
    progress, progress_issue = _progress(values["progress"])
    if progress_issue:
        issues.append(Issue(number, _label("progress"), progress_issue))
    parsed.issues += issues
    if task is None or issues:
        return
    if not any(texts.values()) and progress is None:
        parsed.skipped.append(task.code)
        return
    filled = {**texts, "progress": progress}
    parsed.issues += [Issue(number, _label(name), f"提交前须填写{_label(name)}", blocks="submit")
                      for name in REQUIRED_FOR_SUBMIT if filled[name] in (None, "")]
    parsed.rows.append(ParsedRow(number, task.task_id, task.code, task.title, progress=progress,
                                 report_status=task.report_status, **texts))


def _task_of(number: int, value, context: ReadContext, seen: dict[str, int], issues: list[Issue]) -> TaskRef | None:
    """The lead task the row's 任务编号 names, or None with the reason among the issues."""
    code = _text(value)
    column = _label("code")
    if not code:
        issues.append(Issue(number, column, "缺少任务编号（请不要删除或改动灰色列）"))
        return None
    if code in seen:
        issues.append(Issue(number, column, f"任务 {code} 在第 {seen[code]} 行已出现，每项任务只填一行"))
        return None
    seen[code] = number
    task = context.lead.get(code)
    if task is None:
        if code in context.supporting:
            reason = f"本单位是任务 {code} 的配合单位，不填报进展（配合情况请在月度填报页面填写）"
        elif code in context.known:
            reason = f"任务 {code} 不是本单位牵头的任务"
        else:
            reason = f"找不到任务编号「{code}」"
        issues.append(Issue(number, column, reason))
        return None
    if code in context.ambiguous:
        issues.append(Issue(number, column, f"任务编号 {code} 在多个行动方案中重复，请在网页上逐项填报"))
        return None
    if not task.editable:
        issues.append(Issue(number, column, f"任务 {code} 的进展填报当前为「{task.report_status_label}」，不能修改"))
        return None
    return task


def _label(name: str) -> str:
    return next(f.label for f in FIELDS if f.name == name)


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    """A cell as the text a report keeps; the apostrophe the template put before text that
    looks like a formula (``neutralise``) is taken off again."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        text = text[1:]
    return text


def _progress(value) -> tuple[int | None, str | None]:
    """完成进度 as a whole number from 0 to 100 (40, 40.0, 「40」 and 「40%」 all read as 40)."""
    if _is_blank(value):
        return None, None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip().removesuffix("%").removesuffix("％").strip())
        except ValueError:
            number = None
    if number is None or not 0 <= number <= 100:
        return None, PROGRESS_MESSAGE
    return number, None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def too_large_message(size: int) -> str:
    """The message of an upload refused by its size alone (checked before it is read)."""
    return f"文件过大（{_megabytes(size)}），上限为 {_megabytes(settings.ROUNDTRIP_MAX_BYTES)}。"
