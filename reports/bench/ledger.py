"""The task ledger (任务台账) in the benchmark: the export as the portal writes it, against a bare
openpyxl write-only workbook of the same rows and styles, and its peak memory.

- ledger: ``task_ledger_export`` for an office user with no filter (every task of every plan),
  written to a temporary file — selectors, chunked reads, column functions, writer: all of it;
- bare: the same cell values, fills, number formats and row heights, computed beforehand and
  held in memory, written with nothing but ``Workbook(write_only=True)`` and ``WriteOnlyCell``
  as openpyxl's documentation styles cells: what the rows and styles cost with openpyxl alone,
  without reading anything. (The portal's writer is cheaper than that per cell — it registers
  each style once and hands the sheet ready cells — which pays for part of its reads.)
- memory: the peak of memory allocated during an export (tracemalloc), above what was allocated
  when it started, for the second of two exports traced back to back (a worker that exports
  ledger after ledger); and, for reference, for the first export after a full collection.

  The two differ by what the interpreter keeps from one export to the next: its free lists of
  small objects, which a full collection empties and which the first export fills again up to
  the interpreter's bounds (2000 tuples of each length; the ones Django's query compiler makes
  are most of it) — up to about 0.1 MiB more, filling over the first few thousand rows. That is
  memory of the interpreter, not rows the export holds, so the goals are judged on the second.
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from reports.bench.dispatch_history import office_user
from reports.ledgers import LedgerExport, task_ledger_export
from reports.xlsx import (
    BODY_ALIGNMENTS,
    BODY_FONT,
    BORDER,
    DATE_FORMAT,
    HEADER_ALIGNMENT,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    fill_of,
    ledger_write,
    printed_lines,
    row_height,
    typed,
)

MIB = 1024 * 1024


@dataclass
class LedgerFigures:
    """The task ledger at one scale: rows, times in seconds, peak extra memory in bytes."""

    rows: int = 0
    ledger_seconds: list[float] = field(default_factory=list)
    bare_seconds: list[float] = field(default_factory=list)
    peak_bytes: int | None = None  # the second of two exports back to back: the goals
    first_peak_bytes: int | None = None  # the first export after a full collection: for reference
    error: str = ""

    @property
    def ledger_ms(self) -> float | None:
        return statistics.median(self.ledger_seconds) * 1000 if self.ledger_seconds else None

    @property
    def bare_ms(self) -> float | None:
        return statistics.median(self.bare_seconds) * 1000 if self.bare_seconds else None

    @property
    def peak_mib(self) -> float | None:
        return self.peak_bytes / MIB if self.peak_bytes is not None else None

    @property
    def first_peak_mib(self) -> float | None:
        return self.first_peak_bytes / MIB if self.first_peak_bytes is not None else None


def _export() -> LedgerExport:
    return task_ledger_export(user=office_user(), params={}, today=timezone.localdate())


def ledger_write_once() -> int:
    """One whole export, as the download view writes it (to a temporary file)."""
    export = _export()
    with tempfile.TemporaryFile(suffix=".xlsx") as stream:
        return ledger_write(ledger=export.ledger, rows=export.rows, stream=stream)


@dataclass
class BareRows:
    """The cells of the ledger, computed once: what the bare writer writes."""

    title: str
    headers: list[str]
    widths: list[float]
    aligns: list[str]
    rows: list[list[tuple]]  # (value, fill rgb or None, number format or None)
    heights: list[float]


def bare_rows() -> BareRows:
    export = _export()
    columns = export.ledger.columns
    rows, heights = [], []
    for number, item in enumerate(export.rows, start=1):
        cells, lines = [], 1
        for column in columns:
            value = typed(column.cell_value(item, number))
            rgb = column.fill(item) if column.fill else None
            fmt = DATE_FORMAT if hasattr(value, "isoformat") else (column.number_format if value is not None else None)
            cells.append((value, rgb, fmt))
            lines = max(lines, printed_lines(value, column.width))
        rows.append(cells)
        heights.append(row_height(lines))
    return BareRows(export.ledger.title, [c.header for c in columns], [c.width for c in columns],
                    [c.align for c in columns], rows, heights)


def bare_write(data: BareRows) -> None:
    """The same rows and styles with openpyxl alone."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("任务台账")
    for index, width in enumerate(data.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    sheet.merged_cells.add(f"A1:{get_column_letter(len(data.widths))}1")
    title = WriteOnlyCell(sheet, value=data.title)
    title.font = TITLE_FONT
    sheet.append([title])
    header = []
    for text in data.headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, HEADER_ALIGNMENT
        header.append(cell)
    sheet.append(header)
    alignments = [BODY_ALIGNMENTS[a] for a in data.aligns]
    for row_number, (cells, height) in enumerate(zip(data.rows, data.heights, strict=True), start=3):
        out = []
        for (value, rgb, fmt), alignment in zip(cells, alignments, strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            cell.font, cell.border, cell.alignment = BODY_FONT, BORDER, alignment
            if rgb:
                cell.fill = fill_of(rgb)
            if fmt:
                cell.number_format = fmt
            out.append(cell)
        sheet.row_dimensions[row_number].height = height
        sheet.append(out)
        del sheet.row_dimensions[row_number]
    sheet.print_title_rows = "1:2"
    with tempfile.TemporaryFile(suffix=".xlsx") as stream:
        workbook.save(stream)


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def peak_extra_bytes(call: Callable[[], object], *, after: Callable[[], object] | None = None) -> int:
    """Peak memory allocated while ``call`` runs, above what was allocated when it started; traced
    from a full collection, and from before ``after`` runs if given (what ``after`` leaves behind
    counts as already there)."""
    gc.collect()
    tracemalloc.start()
    try:
        if after is not None:
            after()
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base


def ledger_measure(*, repeat: int) -> LedgerFigures:
    """The ledger and the bare workbook timed in turns, ``repeat`` times each; then the memory."""
    figures = LedgerFigures()
    try:
        data = bare_rows()
        figures.rows = len(data.rows)
        ledger_write_once()  # warm-up: imports, query plans, style tables
        for _ in range(repeat):
            figures.ledger_seconds.append(_timed(ledger_write_once))
            figures.bare_seconds.append(_timed(lambda: bare_write(data)))
        data.rows.clear()  # the bare rows are not the ledger's memory
        figures.first_peak_bytes = peak_extra_bytes(ledger_write_once)
        figures.peak_bytes = peak_extra_bytes(ledger_write_once, after=ledger_write_once)
    except Exception as exc:  # reported in the table, like an unavailable endpoint
        figures.error = f"{type(exc).__name__}: {exc}"
    return figures
