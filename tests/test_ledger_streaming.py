"""The writer streams: memory does not grow with the number of rows (openpyxl write-only mode,
rows appended and forgotten, inline strings, row heights dropped once written)."""

import gc
import tracemalloc
from io import BytesIO

from openpyxl import load_workbook

from reports.xlsx import LIGHT_FILLS, Column, Ledger, ledger_write

LEDGER = Ledger(
    title="流式台账", subtitle="截至2026年1月1日", sheet_name="流式",
    columns=(
        Column.serial(),
        Column("任务", 30, lambda n: f"第{n}项任务：推进工程建设项目审批制度改革，压缩审批时间"),
        Column("完成进度（%）", 9, lambda n: n % 101, align="right", number_format="0"),
        Column("灯", 6, lambda n: "红灯", fill=lambda n: LIGHT_FILLS["red"] if n % 3 == 0 else None),
    ),
)


def peak(rows: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        ledger_write(ledger=LEDGER, rows=range(rows), stream=BytesIO())
        _, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return top


def test_peak_memory_does_not_grow_with_rows():
    small, large = peak(300), peak(3000)
    # The output file itself grows (kept in a BytesIO here), so allow its size on top: what
    # must not grow is the workbook held in memory.
    out = BytesIO()
    ledger_write(ledger=LEDGER, rows=range(3000), stream=out)
    assert large <= 1.2 * small + out.getbuffer().nbytes


def test_progress_is_reported_and_the_file_is_whole():
    seen = []
    out = BytesIO()
    assert ledger_write(ledger=LEDGER, rows=range(1, 1201), stream=out, progress=seen.append, progress_every=500) == 1200
    assert seen == [500, 1000]
    sheet = load_workbook(out).active
    assert sheet.max_row == 3 + 1200
    assert sheet["D6"].fill.fgColor.rgb == "00FFC7CE" and sheet["D7"].fill.fill_type is None
    assert sheet.row_dimensions[4].height >= 20
