"""The benchmark's task ledger and dashboards: the ledger measured against a bare openpyxl
workbook of the same cells, its peak memory, and the verdicts in the table. No timing
assertions: figures below are made up, and the helpers are checked for what they write."""

import json
from io import BytesIO

import pytest
from openpyxl import load_workbook

from reports.bench import ledger as bench_ledger
from reports.bench.figures import Measured, ScaleRun, Timing
from reports.bench.ledger import LedgerFigures, bare_rows, ledger_measure, peak_extra_bytes
from reports.bench.report import DASHBOARDS, FAIL, PASS, render_json, render_text, table_rows
from tasks.models import Task
from tests.test_bench_harness import run

MIB = 1024 * 1024


def with_ledger(scale_run: ScaleRun, *, rows, ledger_ms, bare_ms, peak_mib, first_peak_mib=None) -> ScaleRun:
    first = int(first_peak_mib * MIB) if first_peak_mib is not None else None
    scale_run.ledger = LedgerFigures(rows=rows, ledger_seconds=[ledger_ms / 1000] * 3, bare_seconds=[bare_ms / 1000] * 3,
                                     peak_bytes=int(peak_mib * MIB), first_peak_bytes=first)
    return scale_run


def verdicts(runs) -> dict[str, str]:
    return {row.label: row.verdict for row in table_rows(runs) if row.verdict.startswith(("✓", "✗"))
            and ("台账" in row.label or "看板" in row.label)}


def test_ledger_goals_met():
    runs = [with_ledger(run(1, page_ms=20, api_ms=10, floor_ms=4), rows=57, ledger_ms=110, bare_ms=100, peak_mib=4),
            with_ledger(run(10, page_ms=20, api_ms=10, floor_ms=4), rows=570, ledger_ms=1100, bare_ms=1000, peak_mib=4.4),
            with_ledger(run(100, page_ms=20, api_ms=10, floor_ms=4), rows=5700, ledger_ms=12000, bare_ms=10000,
                        peak_mib=4.5)]
    assert verdicts(runs) == {"任务台账 ÷ 裸 openpyxl": PASS, "任务台账 峰值内存 MiB": PASS,
                              "任务台账 内存 ÷ 上一规模": PASS}


def test_the_first_export_is_shown_for_reference_not_judged():
    runs = [with_ledger(run(1, page_ms=20, api_ms=10, floor_ms=4), rows=57, ledger_ms=110, bare_ms=100,
                        peak_mib=0.35, first_peak_mib=0.45),
            with_ledger(run(10, page_ms=20, api_ms=10, floor_ms=4), rows=570, ledger_ms=1100, bare_ms=1000,
                        peak_mib=0.37, first_peak_mib=0.6)]
    table = {row.label: row for row in table_rows(runs)}
    assert table["任务台账 内存 ÷ 上一规模"].verdict == PASS
    assert table["（参考）首次导出 峰值内存 MiB"].values == ["0.45", "0.60"]
    reference = table["（参考）首次导出 内存 ÷ 上一规模"]
    assert reference.values == ["—", "1.33"] and reference.verdict == ""
    data = json.loads(render_json({"benchmark": "test"}, runs, table_rows(runs)))
    assert data["ledger"][1]["first_peak_mib"] == pytest.approx(0.6)
    assert data["ratios"]["ledger_first_memory_growth"][1] == pytest.approx(0.6 / 0.45, rel=1e-3)


def test_ledger_goals_missed():
    runs = [with_ledger(run(1, page_ms=20, api_ms=10, floor_ms=4), rows=57, ledger_ms=110, bare_ms=100, peak_mib=4),
            with_ledger(run(10, page_ms=20, api_ms=10, floor_ms=4), rows=570, ledger_ms=1300, bare_ms=1000,
                        peak_mib=40)]
    assert verdicts(runs) == {"任务台账 ÷ 裸 openpyxl": FAIL, "任务台账 峰值内存 MiB": FAIL,
                              "任务台账 内存 ÷ 上一规模": FAIL}
    data = json.loads(render_json({"benchmark": "test"}, runs, table_rows(runs)))
    assert data["ratios"]["ledger_bare"] == [1.1, 1.3]
    assert data["ledger"][1]["rows"] == 570


def test_a_failed_ledger_is_reported_not_raised():
    broken = run(1, page_ms=20, api_ms=10, floor_ms=4)
    broken.ledger = LedgerFigures(error="RuntimeError: boom")
    text = render_text("t", [], [broken], table_rows([broken]))
    assert "1× 任务台账：RuntimeError: boom" in text


def test_dashboards_are_judged_like_pages_and_missing_ones_are_named():
    runs = [run(1, page_ms=20, api_ms=10, floor_ms=4), run(100, page_ms=20, api_ms=10, floor_ms=4)]
    for scale_run in runs:
        scale_run.results["dashboard_overview"] = Measured(queries=6, timing=Timing([0.03] * 3))
        scale_run.results["dashboard_risks"] = Measured(error="URL 名称 dashboard-risks 不存在")
    found = {row.label: row.verdict for row in table_rows(runs) if row.label.startswith("看板")}
    assert found["看板 总览 查询数/请求"] == PASS and found["看板 总览 时间比 ÷1×"] == PASS
    assert found["看板 风险 查询数/请求"] == FAIL
    assert "看板 单位 查询数/请求" not in found  # not tried: not in the table
    assert "100× 看板 风险：URL 名称 dashboard-risks 不存在" in render_text("t", [], runs, table_rows(runs))
    assert set(DASHBOARDS.values()) == {"dashboard-overview", "dashboard-groups", "dashboard-units",
                                        "dashboard-indicators", "dashboard-risks"}


@pytest.mark.django_db
def test_the_bare_rows_are_the_ledgers_cells(plan, office, monkeypatch):
    monkeypatch.setattr(bench_ledger, "office_user", lambda: office)
    data = bare_rows()
    assert len(data.rows) == Task.objects.filter(is_active=True).count()
    assert data.headers[:3] == ["序号", "任务组", "任务"]
    assert data.rows[0][0] == (1, None, None)
    written = BytesIO()
    monkeypatch.setattr(bench_ledger.tempfile, "TemporaryFile", lambda **kwargs: _Keep(written))
    bench_ledger.bare_write(data)
    sheet = load_workbook(BytesIO(written.getvalue())).active
    assert sheet.max_row == 2 + len(data.rows)
    assert sheet["L3"].fill.fgColor.rgb.endswith(data.rows[0][11][1])  # the light's fill


class _Keep:
    """A stand-in temporary file that keeps what was written."""

    def __init__(self, buffer):
        self.buffer = buffer

    def __enter__(self):
        return self.buffer

    def __exit__(self, *exc):
        return False


@pytest.mark.django_db
def test_ledger_measure_small_scale(plan, office, monkeypatch):
    monkeypatch.setattr(bench_ledger, "office_user", lambda: office)
    figures = ledger_measure(repeat=2)
    assert figures.error == ""
    assert figures.rows == 57 and len(figures.ledger_seconds) == len(figures.bare_seconds) == 2
    assert 0 < figures.peak_mib < 32 and 0 < figures.first_peak_mib < 32


def test_peak_extra_bytes_after_counts_what_was_left_as_already_there():
    kept = []
    assert peak_extra_bytes(lambda: None, after=lambda: kept.append(bytearray(8 * MIB))) < MIB
    assert peak_extra_bytes(lambda: kept.append(bytearray(8 * MIB)), after=lambda: None) >= 8 * MIB


def test_peak_extra_bytes_sees_what_a_call_holds():
    assert peak_extra_bytes(lambda: bytearray(8 * MIB)) >= 8 * MIB
    assert peak_extra_bytes(lambda: None) < MIB
