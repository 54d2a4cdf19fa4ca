"""The writer streams: memory does not grow with the number of rows (openpyxl write-only mode,
rows appended and forgotten, inline strings, row heights dropped once written)."""

import gc
import tracemalloc
import zlib
from io import BytesIO
from types import SimpleNamespace
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import load_workbook

from reports import xlsx
from reports.xlsx import (
    DEFLATE_MEM_LEVEL,
    LIGHT_FILLS,
    Column,
    Ledger,
    _WorkbookArchive,
    ledger_write,
)

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


def test_every_part_is_deflated_at_the_lean_memory_level(monkeypatch):
    made = []

    def compressobj(*args):
        made.append(args)
        return zlib.compressobj(*args)

    monkeypatch.setattr(xlsx, "zlib", SimpleNamespace(
        compressobj=compressobj, Z_DEFAULT_COMPRESSION=zlib.Z_DEFAULT_COMPRESSION, DEFLATED=zlib.DEFLATED))
    out = BytesIO()
    ledger_write(ledger=LEDGER, rows=range(100), stream=out)
    with ZipFile(out) as archive:
        parts = archive.infolist()
        assert archive.testzip() is None
    assert all(part.compress_type == ZIP_DEFLATED for part in parts)
    assert len(made) == len(parts) and {args[3] for args in made} == {DEFLATE_MEM_LEVEL}
    assert load_workbook(out).active.max_row == 3 + 100


def _zip_peak(archive_class, payload: bytes) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        with archive_class(BytesIO(), "w", ZIP_DEFLATED) as archive, archive.open("sheet.xml", "w") as part:
            for start in range(0, len(payload), 8192):  # as zipfile copies a sheet's temporary file
                part.write(payload[start:start + 8192])
        _, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return top


def test_the_lean_archive_deflates_a_large_sheet_in_less_memory():
    # Sheet XML of 3000 varied rows: zlib's default level hands Python blocks over 32 KiB, which
    # cost a second output buffer of 64 KiB and a join; the workbook archive's blocks do not.
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="n"><v>{n * 7919 % 100003}</v></c>'
                   f'<c r="B{n}" t="inlineStr"><is><t>第{n}项任务 {n * 104729 % 999983}</t></is></c></row>'
                   for n in range(3000))
    payload = rows.encode()
    assert _zip_peak(_WorkbookArchive, payload) < _zip_peak(ZipFile, payload) - 64 * 1024
