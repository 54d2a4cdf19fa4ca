"""The generic Excel writer of every ledger (工作台账), in the government's own layout.

It knows nothing about tasks: a ledger is a title, optional subtitle, and a sequence of
``Column`` definitions applied to a sequence of row objects. The layout is always the same:
a merged title row, an optional subtitle row (export date), a bold filled header row frozen
below, bordered wrapped data rows, and a print setup of A4 landscape, one page wide, title and
header repeated on every page, page numbers in the footer.

Every string cell goes through ``neutralise`` so that no ledger can carry a formula
(「=HYPERLINK(…)」 in a task title stays text).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import IO, Any, Generic, Literal, TypeVar

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

RowT = TypeVar("RowT")
CellValue = str | int | float | Decimal | date | datetime | None

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A spreadsheet reads a cell starting with one of these as a formula (or as the start of one
# when the file is re-saved as CSV); such text is stored with a leading apostrophe.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

FONT_NAME = "宋体"
TITLE_FONT = Font(name=FONT_NAME, size=16, bold=True)
SUBTITLE_FONT = Font(name=FONT_NAME, size=10)
HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True)
BODY_FONT = Font(name=FONT_NAME, size=10)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
# Points per printed line of the body font, used to size wrapped rows (Excel does not
# recompute row heights of a generated file until a cell is edited).
LINE_HEIGHT = 14.0
FOOTER = "第 &P 页，共 &N 页"


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """One column of a ledger: header text, width in characters, and the cell value of a row.

    ``value`` None makes the column the ledger's 序号, the row's number counted from 1.
    """

    header: str
    width: float
    value: Callable[[RowT], CellValue] | None
    align: Literal["left", "center", "right"] = "left"

    @classmethod
    def serial(cls, header: str = "序号", width: float = 6) -> Column[Any]:
        return cls(header=header, width=width, value=None, align="center")

    def cell_value(self, row: RowT, number: int) -> CellValue:
        return number if self.value is None else self.value(row)


@dataclass(frozen=True)
class Ledger(Generic[RowT]):
    """What a ledger looks like: its title, subtitle, sheet name and columns."""

    title: str
    columns: Sequence[Column[RowT]]
    sheet_name: str
    subtitle: str = ""

    @property
    def header_row(self) -> int:
        return 3 if self.subtitle else 2


def neutralise(text: str) -> str:
    """Text that a spreadsheet will show and never evaluate; characters XML forbids dropped."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def typed(value: CellValue) -> CellValue:
    """The value as a typed cell: numbers and dates stay what they are, text is neutralised."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime) and timezone.is_aware(value):
        # Excel has no time zones: show the time as the portal's users read it.
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def ledger_bytes(*, ledger: Ledger[RowT], rows: Iterable[RowT]) -> bytes:
    stream = BytesIO()
    ledger_write(ledger=ledger, rows=rows, stream=stream)
    return stream.getvalue()


def ledger_write(*, ledger: Ledger[RowT], rows: Iterable[RowT], stream: IO[bytes]) -> int:
    """Write the ledger as one worksheet to a binary stream; returns the number of rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = ledger.sheet_name
    workbook.properties.title = ledger.title
    workbook.properties.creator = "西咸新区营商环境督查督办平台"
    _write_title(sheet, ledger)
    _write_header(sheet, ledger)
    count = _write_rows(sheet, ledger, rows)
    _set_print_setup(sheet, ledger, last_row=ledger.header_row + count)
    workbook.save(stream)
    return count


def _write_title(sheet: Worksheet, ledger: Ledger) -> None:
    last_column = len(ledger.columns)
    lines = [(ledger.title, TITLE_FONT, "center", 32.0)]
    if ledger.subtitle:
        lines.append((ledger.subtitle, SUBTITLE_FONT, "right", 18.0))
    for row, (text, font, horizontal, height) in enumerate(lines, start=1):
        cell = sheet.cell(row=row, column=1, value=neutralise(text))
        cell.font = font
        cell.alignment = Alignment(horizontal=horizontal, vertical="center")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
        sheet.row_dimensions[row].height = height


def _write_header(sheet: Worksheet, ledger: Ledger) -> None:
    row = ledger.header_row
    for index, column in enumerate(ledger.columns, start=1):
        cell = sheet.cell(row=row, column=index, value=neutralise(column.header))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[row].height = 24.0


def _write_rows(sheet: Worksheet, ledger: Ledger[RowT], rows: Iterable[RowT]) -> int:
    alignments = {
        align: Alignment(horizontal=align, vertical="center", wrap_text=True)
        for align in ("left", "center", "right")
    }
    count = 0
    for count, item in enumerate(rows, start=1):
        row = ledger.header_row + count
        lines = 1
        for index, column in enumerate(ledger.columns, start=1):
            value = typed(column.cell_value(item, count))
            cell = sheet.cell(row=row, column=index, value=value)
            cell.font = BODY_FONT
            cell.border = BORDER
            cell.alignment = alignments[column.align]
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            lines = max(lines, _printed_lines(value, column.width))
        sheet.row_dimensions[row].height = max(20.0, lines * LINE_HEIGHT + 4)
    return count


def _printed_lines(value: CellValue, width: float) -> int:
    """How many lines a wrapped cell takes; CJK characters count two character widths."""
    if not isinstance(value, str):
        return 1
    usable = max(width - 1.5, 1.0)
    return sum(max(1, math.ceil(_display_width(line) / usable)) for line in value.split("\n"))


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _set_print_setup(sheet: Worksheet, ledger: Ledger, *, last_row: int) -> None:
    header_row = ledger.header_row
    last_letter = get_column_letter(len(ledger.columns))
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.auto_filter.ref = f"A{header_row}:{last_letter}{max(last_row, header_row)}"
    sheet.print_title_rows = f"1:{header_row}"
    sheet.print_area = f"A1:{last_letter}{max(last_row, header_row)}"
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.print_options.horizontalCentered = True
    sheet.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    sheet.oddFooter.center.text = FOOTER
    sheet.oddFooter.center.size = 9
