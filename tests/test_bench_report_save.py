"""The benchmark's writes: a progress report's save (and its submission and return) at every
scale, the verdicts in the table, and that every measured call really writes.

No timing assertions: the figures below are made up, and the writes are checked for what they
change, never for how fast.
"""

import datetime
import json

import pytest

from reports.bench import runner
from reports.bench.figures import Measured, Timing
from reports.bench.measure import (
    RETURN_COMMENT,
    DraftWrites,
    EndpointUnavailable,
    queries_captured,
    rolled_back,
    timed_write,
)
from reports.bench.report import (
    FAIL,
    PASS,
    REPORT_SAVE,
    REPORT_SUBMIT_RETURN,
    WRITE_SCALE_RATIO_GOAL,
    render_json,
    render_text,
    table_rows,
)
from reports.bench.synthetic import synthetic_grow
from tasks.choices import FilingStatus, ReviewAction
from tasks.models import ProgressReport, ReviewEvent
from tasks.services.dispatch import DispatchError
from tests.test_bench_harness import run

TODAY = datetime.date(2026, 11, 18)


def with_writes(scale: int, *, save_ms: float, save_queries: int = 12, cycle_ms: float = 20, cycle_queries: int = 18):
    scale_run = run(scale, page_ms=20, api_ms=10, floor_ms=4)
    scale_run.results[REPORT_SAVE] = Measured(queries=save_queries, timing=Timing([save_ms / 1000] * 3))
    scale_run.results[REPORT_SUBMIT_RETURN] = Measured(queries=cycle_queries, timing=Timing([cycle_ms / 1000] * 3))
    return scale_run


def verdicts(runs) -> dict[str, str]:
    return {row.label: row.verdict for row in table_rows(runs) if row.label.startswith("填报") and row.verdict}


def test_a_save_that_does_not_grow_meets_both_goals():
    runs = [with_writes(1, save_ms=10), with_writes(10, save_ms=10.4), with_writes(100, save_ms=11)]
    assert verdicts(runs) == {
        "填报任务页 查询数/请求": PASS, "填报任务页 时间比 ÷1×": PASS,
        "填报保存 查询数/次": PASS, "填报保存 时间比 ÷1×": PASS,  # 11 / 10 = 1.1
        "填报提交+退回 查询数/次": PASS, "填报提交+退回 时间比 ÷1×": PASS,
    }
    table = {row.label: row for row in table_rows(runs)}
    assert table["填报保存 时间比 ÷1×"].values == ["1.00", "1.04", "1.10"]
    assert table["填报保存 时间比 ÷1×"].goal == f"100× ≤{WRITE_SCALE_RATIO_GOAL}"
    assert table["填报保存 查询数/次"].values == ["12", "12", "12"]
    assert table["填报保存 查询数/次"].goal == "各规模相同"


def test_a_save_that_grows_or_changes_its_queries_fails():
    runs = [with_writes(1, save_ms=10, cycle_ms=20), with_writes(100, save_ms=15, save_queries=13, cycle_ms=23)]
    found = verdicts(runs)
    assert found["填报保存 时间比 ÷1×"] == FAIL  # 15 / 10 = 1.5 > 1.2
    assert found["填报保存 查询数/次"] == FAIL  # 12 at 1×, 13 at 100×
    assert found["填报提交+退回 时间比 ÷1×"] == PASS  # 23 / 20 = 1.15
    assert found["填报提交+退回 查询数/次"] == PASS


def test_a_write_is_held_to_its_own_goal_not_the_pages():
    # 1.3 would pass a page (≤ 1.5) but not a save; more than 10 queries fail a page, not a save.
    runs = [with_writes(1, save_ms=10, save_queries=14), with_writes(10, save_ms=13, save_queries=14)]
    found = verdicts(runs)
    assert found["填报保存 时间比 ÷1×"] == FAIL and found["填报保存 查询数/次"] == PASS


def test_an_unmeasured_write_fails_and_is_explained():
    runs = [with_writes(1, save_ms=10), with_writes(10, save_ms=10)]
    for scale_run in runs:
        scale_run.results[REPORT_SAVE] = Measured(error="新区行政审批与政务服务局在 2022年12月 没有进展填报草稿")
    found = verdicts(runs)
    assert found["填报保存 查询数/次"] == FAIL and found["填报保存 时间比 ÷1×"] == FAIL
    assert "10× 填报保存：新区行政审批与政务服务局在 2022年12月 没有进展填报草稿" in render_text("t", [], runs, table_rows(runs))


def test_writes_are_in_the_json_and_absent_from_runs_without_them():
    runs = [with_writes(1, save_ms=10), with_writes(100, save_ms=11)]
    data = json.loads(render_json({"benchmark": "test"}, runs, table_rows(runs)))
    assert data["goals"]["write_scale_ratio"] == WRITE_SCALE_RATIO_GOAL
    assert data["ratios"]["report_save_scale"] == pytest.approx([1.0, 1.1])
    assert data["ratios"]["report_submit_return_scale"] == pytest.approx([1.0, 1.0])
    assert data["scales"][1]["results"][REPORT_SAVE]["queries"] == 12
    assert {r["label"]: r["verdict"] for r in data["table"]}["填报保存 时间比 ÷1×"] == PASS
    older = [run(1, page_ms=20, api_ms=10, floor_ms=4), run(10, page_ms=20, api_ms=10, floor_ms=4)]
    assert not [row for row in table_rows(older) if row.label.startswith(("填报保存", "填报提交"))]


# --- the measured calls, on the synthetic filings at scale 1 -----------------------------------


@pytest.fixture
def writes(plan) -> DraftWrites:
    synthetic_grow(scale=1, today=TODAY)
    return DraftWrites.of(plan)


def history(report: ProgressReport) -> int:
    return ProgressReport.history.filter(id=report.pk).count()


def fresh(report: ProgressReport) -> ProgressReport:
    return ProgressReport.objects.get(pk=report.pk)


@pytest.mark.django_db
def test_the_draft_is_the_measured_units_in_the_seed_plans_last_month(plan, writes):
    draft = writes.draft
    assert (draft.status, draft.unit.name, draft.task.plan_id) == (FilingStatus.DRAFT, "新区行政审批与政务服务局", plan.pk)
    assert (draft.period.year, draft.period.month, draft.period.is_open) == (plan.end_year, 12, True)
    assert writes.unit.unit_id == draft.unit_id
    assert DraftWrites.of(plan).draft.pk == draft.pk  # picked the same way every time


@pytest.mark.django_db
def test_each_save_writes_new_text_and_one_history_row(writes):
    draft, rows = writes.draft, history(writes.draft)
    first = writes.save()
    assert first.pk == draft.pk and history(draft) == rows + 1
    text = fresh(draft).completed
    assert text != draft.completed
    writes.save()
    assert history(draft) == rows + 2 and fresh(draft).completed not in (text, draft.completed)
    assert fresh(draft).status == FilingStatus.DRAFT


@pytest.mark.django_db
def test_the_measured_save_writes_then_rolls_back(writes):
    draft, rows = writes.draft, history(writes.draft)
    call = timed_write("report_save", writes.save, draft)
    sql = queries_captured(call)
    assert any(q.startswith('UPDATE "tasks_progressreport"') for q in sql)
    assert any(q.startswith('INSERT INTO "tasks_historicalprogressreport"') for q in sql)
    assert (history(draft), fresh(draft).completed) == (rows, draft.completed)  # each call starts afresh


@pytest.mark.django_db
def test_submit_and_return_write_two_review_events(writes):
    draft = writes.draft
    returned = writes.submit_return()
    assert (returned.pk, fresh(draft).status) == (draft.pk, FilingStatus.RETURNED)
    events = ReviewEvent.objects.filter(report=draft).order_by("id")
    assert list(events.values_list("action", "comment")) == [(ReviewAction.SUBMIT, ""), (ReviewAction.RETURN, RETURN_COMMENT)]


@pytest.mark.django_db
def test_the_measured_cycle_writes_then_rolls_back(writes):
    draft = writes.draft
    call = rolled_back(writes.submit_return)
    sql = queries_captured(call)
    assert sum(q.startswith('INSERT INTO "tasks_reviewevent"') for q in sql) == 2
    assert fresh(draft).status == FilingStatus.DRAFT and not ReviewEvent.objects.filter(report=draft).exists()


@pytest.mark.django_db
def test_writes_are_measured_when_there_is_a_draft(plan, writes):
    results = {}
    calls = runner._writes(plan, results)
    assert set(calls) == {REPORT_SAVE, REPORT_SUBMIT_RETURN} and results == {}


@pytest.mark.django_db
def test_without_synthetic_filings_the_writes_are_reported_not_measured(plan):
    results = {}
    assert runner._writes(plan, results) == {}
    assert set(results) == {REPORT_SAVE, REPORT_SUBMIT_RETURN}
    assert "2022年12月 填报期" in results[REPORT_SAVE].error


@pytest.mark.django_db
def test_a_write_that_fails_or_misses_the_draft_is_unavailable(plan, writes):
    def refused():
        raise DispatchError("该进展填报当前为「已通过」，不能修改。")

    with pytest.raises(EndpointUnavailable, match="report_save 出错：DispatchError: 该进展填报当前为「已通过」"):
        timed_write("report_save", refused, writes.draft)
    other = ProgressReport.objects.exclude(pk=writes.draft.pk).first()
    with pytest.raises(EndpointUnavailable, match="写入了另一份进展填报"):
        timed_write("report_save", lambda: other, writes.draft)
