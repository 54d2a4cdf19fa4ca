"""The generic Excel writer of every ledger (工作台账), in the government's own layout.

It knows nothing about tasks: a ledger is a title, optional subtitle, and a sequence of
``Column`` definitions applied to a sequence of row objects. The layout is always the same:
a merged title row, an optional merged subtitle row (as-of date, period), a bold filled header
row frozen below, bordered wrapped data rows, and a print setup of A4 landscape, one page wide,
title and header repeated on every page, page numbers in the footer. A column may colour its
cells (the traffic light as a fill) and give numbers a format.

The workbook is written in openpyxl's write-only mode: each row goes to a temporary file as
soon as it is appended and is then forgotten, so memory does not grow with the number of rows
(strings are written inline, not collected in a shared-strings table). Whatever write-only
mode needs before the first row — column widths, frozen panes, the merge of the title rows,
page set-up properties — is set first; print titles, print area and the filter range are
workbook-level names or sheet tail elements and are set once the rows are counted.

Every string cell goes through ``neutralise`` so that no ledger can carry a formula
(「=HYPERLINK(…)」 in a task title stays text).

Every workbook the portal writes is saved by ``workbook_save``: deflated with less memory than
zlib's default (``DEFLATE_MEM_LEVEL``), so a large sheet is compressed in blocks small enough
that Python never needs more than its first 32 KiB output buffer per block.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from typing import IO, Any, Generic, Literal, TypeVar
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.writer.excel import ExcelWriter

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
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
BODY_ALIGNMENTS = {
    align: Alignment(horizontal=align, vertical="center", wrap_text=True) for align in ("left", "center", "right")
}
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Points per printed line of the body font, used to size wrapped rows (Excel does not
# recompute row heights of a generated file until a cell is edited).
LINE_HEIGHT = 14.0
FOOTER = "第 &P 页，共 &N 页"
# zlib's memory level for the parts of a workbook (its default is 8). At 8, deflate collects up to
# 16 K symbols per block and hands a block over at once: a large sheet's blocks pass the 32 KiB
# of Python's first output buffer, which then adds 64 KiB more and joins the two (about 0.1 MiB
# more at the peak of a ledger of 570 rows and up than of one of 57). At 6, blocks of 4 K symbols
# stay under it and deflate's own tables are smaller; the file is about 0.5 % larger.
DEFLATE_MEM_LEVEL = 6

# 红黄绿灯 as cell fills: Excel's own "good / neutral / bad" pastels, on which black text
# stays readable when printed in grey.
LIGHT_FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE"}


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """One column of a ledger: header text, width in characters, and the cell value of a row.

    ``value`` None makes the column the ledger's 序号, the row's number counted from 1.
    ``fill`` gives the cell's background colour (hex RGB, or None for none) — the traffic light;
    ``number_format`` how Excel shows a number (dates get theirs without asking).
    """

    header: str
    width: float
    value: Callable[[RowT], CellValue] | None
    align: Literal["left", "center", "right"] = "left"
    fill: Callable[[RowT], str | None] | None = None
    number_format: str | None = None

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


ProgressCallback = Callable[[int], None]


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


@cache
def fill_of(rgb: str) -> PatternFill:
    return PatternFill("solid", fgColor=rgb)


def ledger_bytes(*, ledger: Ledger[RowT], rows: Iterable[RowT]) -> bytes:
    stream = BytesIO()
    ledger_write(ledger=ledger, rows=rows, stream=stream)
    return stream.getvalue()


def ledger_write(
    *, ledger: Ledger[RowT], rows: Iterable[RowT], stream: IO[bytes] | str,
    progress: ProgressCallback | None = None, progress_every: int = 500,
) -> int:
    """Write the ledger as one worksheet to a binary stream (or a path); returns the number of
    rows. ``progress(rows_written)`` is called every ``progress_every`` rows."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = ledger.title
    workbook.properties.creator = "西咸新区营商环境督查督办平台"
    sheet = workbook.create_sheet(ledger.sheet_name)
    _cells_as_appended(sheet)
    _set_layout(sheet, ledger)
    _write_title(sheet, ledger)
    _write_header(sheet, ledger)
    count = _write_rows(sheet, ledger, rows, progress, progress_every)
    _set_ranges(sheet, ledger, last_row=ledger.header_row + count)
    workbook_save(workbook, stream)
    return count


class _WorkbookArchive(ZipFile):
    """The zip of a workbook, its parts deflated at ``DEFLATE_MEM_LEVEL``. (``zipfile`` takes a
    compression level but no memory level: each part's compressor is replaced as the part is
    opened, before anything is written to it.)"""

    def _open_to_write(self, zinfo: ZipInfo, force_zip64: bool = False) -> IO[bytes]:
        part = super()._open_to_write(zinfo, force_zip64)
        if zinfo.compress_type == ZIP_DEFLATED:
            part._compressor = None  # zipfile's own tables let go before the next are made
            part._compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15, DEFLATE_MEM_LEVEL)
        return part


def workbook_save(workbook: Workbook, stream: IO[bytes] | str) -> None:
    """``workbook.save(stream)``, with the workbook's parts deflated at ``DEFLATE_MEM_LEVEL``."""
    if workbook.write_only and not workbook.worksheets:
        workbook.create_sheet()  # as Workbook.save: a workbook has at least one sheet
    workbook.properties.modified = datetime.now(tz=UTC).replace(tzinfo=None)
    with _WorkbookArchive(stream, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()


def _set_layout(sheet: WriteOnlyWorksheet, ledger: Ledger) -> None:
    """Everything written at the top of the sheet, before its first row: widths, frozen
    header, merged title rows, page set-up."""
    for index, column in enumerate(ledger.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = f"A{ledger.header_row + 1}"
    last_letter = get_column_letter(len(ledger.columns))
    for row in range(1, ledger.header_row):
        sheet.merged_cells.add(f"A{row}:{last_letter}{row}")
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4; not on the write-only class)
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.print_options.horizontalCentered = True
    sheet.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    sheet.oddFooter.center.text = FOOTER
    sheet.oddFooter.center.size = 9


def _cells_as_appended(sheet: WriteOnlyWorksheet) -> None:
    """Let the sheet write appended cells as they are.

    openpyxl's write-only ``append`` first tries every item of a row as a plain value on a
    fresh cell and takes the item as a cell only when that fails: an exception and a thrown-away
    cell for every styled cell, a third of the time a ledger takes. Everything a ledger appends
    is a cell already, so here a row's cells are only given their coordinates. (``_values_to_row``
    is the hook ``append`` calls; tests read every ledger back with openpyxl.)"""

    def cells_to_row(cells: list[WriteOnlyCell], row: int) -> Iterator[WriteOnlyCell]:
        for column, cell in enumerate(cells, start=1):
            cell.row, cell.column = row, column
            yield cell

    sheet._values_to_row = cells_to_row


def _append(sheet: WriteOnlyWorksheet, row: int, cells: list, height: float) -> None:
    # Write-only mode reads a row's height as the row is appended; dropping the entry
    # afterwards keeps the dimension table from growing with the rows.
    sheet.row_dimensions[row].height = height
    sheet.append(cells)
    del sheet.row_dimensions[row]


def _cell(sheet: WriteOnlyWorksheet, value: CellValue, font: Font, alignment: Alignment) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    cell.alignment = alignment
    return cell


def _write_title(sheet: WriteOnlyWorksheet, ledger: Ledger) -> None:
    lines = [(ledger.title, TITLE_FONT, "center", 32.0)]
    if ledger.subtitle:
        lines.append((ledger.subtitle, SUBTITLE_FONT, "right", 18.0))
    for row, (text, font, horizontal, height) in enumerate(lines, start=1):
        cell = _cell(sheet, neutralise(text), font, Alignment(horizontal=horizontal, vertical="center"))
        _append(sheet, row, [cell], height)


def _write_header(sheet: WriteOnlyWorksheet, ledger: Ledger) -> None:
    cells = []
    for column in ledger.columns:
        cell = _cell(sheet, neutralise(column.header), HEADER_FONT, HEADER_ALIGNMENT)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cells.append(cell)
    _append(sheet, ledger.header_row, cells, 24.0)


def _write_rows(
    sheet: WriteOnlyWorksheet, ledger: Ledger[RowT], rows: Iterable[RowT],
    progress: ProgressCallback | None, progress_every: int,
) -> int:
    styles = _BodyStyles(sheet)
    count = 0
    for count, item in enumerate(rows, start=1):
        cells, lines = [], 1
        for column in ledger.columns:
            value = typed(column.cell_value(item, count))
            cell = WriteOnlyCell(sheet, value=value)
            rgb = column.fill(item) if column.fill is not None else None
            if isinstance(value, datetime):
                number_format = DATETIME_FORMAT
            elif isinstance(value, date):
                number_format = DATE_FORMAT
            else:
                number_format = column.number_format if value is not None else None
            cell._style = styles.of(column.align, rgb or None, number_format)
            cells.append(cell)
            lines = max(lines, printed_lines(value, column.width))
        _append(sheet, ledger.header_row + count, cells, row_height(lines))
        if progress is not None and count % progress_every == 0:
            progress(count)
    return count


class _BodyStyles:
    """The few styles of a ledger's body cells, each registered with the workbook once.

    Setting font, border, alignment, fill and format on a cell hashes each style object to find
    it in the workbook's tables — most of the time a ledger takes. A body cell's style only
    depends on its column's alignment, its lamp fill and its number format, so the ids found for
    the first such cell serve the next ones: the same array, since a written cell is forgotten
    and nothing changes the style of a cell once it is appended."""

    def __init__(self, sheet: WriteOnlyWorksheet):
        self.sheet = sheet
        self.found: dict[tuple, StyleArray] = {}

    def of(self, align: str, rgb: str | None, number_format: str | None) -> StyleArray:
        key = (align, rgb, number_format)
        if key not in self.found:
            cell = _cell(self.sheet, None, BODY_FONT, BODY_ALIGNMENTS[align])
            cell.border = BORDER
            if rgb:
                cell.fill = fill_of(rgb)
            if number_format:
                cell.number_format = number_format
            self.found[key] = cell._style
        return self.found[key]


def row_height(lines: int) -> float:
    return max(20.0, lines * LINE_HEIGHT + 4)


def printed_lines(value: CellValue, width: float) -> int:
    """How many lines a wrapped cell takes; CJK characters count two character widths."""
    if not isinstance(value, str):
        return 1
    usable = max(width - 1.5, 1.0)
    if len(value) * 2 <= usable and "\n" not in value:
        return 1  # fits on one line even if every character is wide
    return sum(max(1, math.ceil(_display_width(line) / usable)) for line in value.split("\n"))


def _display_width(text: str) -> int:
    """Character widths, CJK counting two: a CJK character takes three bytes in UTF-8, ASCII one,
    so (bytes + characters) / 2 — the count of a Chinese text, without a lookup per character."""
    return (len(text.encode("utf-8")) + len(text)) // 2


def _set_ranges(sheet: WriteOnlyWorksheet, ledger: Ledger, *, last_row: int) -> None:
    """Print titles, print area and the filter range: known once the rows are counted."""
    header_row = ledger.header_row
    last_letter = get_column_letter(len(ledger.columns))
    bottom = max(last_row, header_row)
    sheet.auto_filter.ref = f"A{header_row}:{last_letter}{bottom}"
    sheet.print_title_rows = f"1:{header_row}"
    sheet.print_area = f"A1:{last_letter}{bottom}"
