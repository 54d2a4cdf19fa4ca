"""The dashboards' month summary: figures checked by hand on a small history, the stored rows
proved equal to the full computation from history, and past months unchanged by later edits.

The history (seed plan, 审批局 = lead_user's unit, the only lead unit of 1.1 and one of two on 7.2):
- October 2020 (due Friday 6 November): 1.1 submitted Tuesday 3 November at 30 %, returned on
  20 November, resubmitted on 23 November at 35 % (still on time: lateness is kept from the first
  submission); 7.2 submitted on 3 November at 20 % with the indicator 「六个100%」 at 80.
- November 2020 (due Monday 7 December): 1.1 submitted late on Wednesday 9 December at 50 %.
- January 2021: the office approves the October report and returns the November one.
"""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from reports.models import IndicatorStanding, Standing, StandingMonth
from reports.selectors.standings import summary_month, summary_standings
from reports.services.standings import (
    plan_months,
    standings_month_store,
    standings_rebuild,
    standings_refresh,
)
from tasks.choices import AssignmentRole, FilingStatus, Light, ReviewAction
from tasks.lights import expected_progress
from tasks.models import ActionPlan, Indicator, ProgressReport, Task, TaskAssignment, Unit
from tasks.selectors.state import Attainment, month_end, standings_compute
from tasks.services.dispatch import (
    ReportInput,
    filing_review,
    filing_submit,
    period_open,
    report_save,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIELDS = [f.name for f in Standing._meta.fields if f.name not in ("id", "plan", "year", "month")]


def frozen(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def as_dict(rows) -> dict:
    return {(r.task_id, r.unit_id): {f: getattr(r, f"{f}_id" if f in ("task", "unit", "last_period") else f)
                                     for f in FIELDS} for r in rows}


def stored(plan, year, month) -> dict:
    return as_dict(Standing.objects.filter(plan=plan, year=year, month=month))


def read(plan, year, month, user) -> dict:
    """What a dashboard reads of the month: stored if current, else computed in memory."""
    return as_dict(summary_standings(summary=summary_month(plan=plan, year=year, month=month), user=user))


def computed(plan, when) -> dict:
    return as_dict(standings_compute(plan=plan, at=when)[0])


def stored_indicators(plan, year, month) -> set:
    return set(IndicatorStanding.objects.filter(plan=plan, year=year, month=month).values_list(
        "indicator_id", "actual", "actual_period_id", "attainment"))


def computed_indicators(plan, when) -> set:
    _, rows = standings_compute(plan=plan, at=when)
    return {(r.indicator_id, r.actual, r.actual_period_id, r.attainment) for r in rows}


def one(plan, year, month, task, unit_id) -> Standing:
    return Standing.objects.get(plan=plan, year=year, month=month, task=task, unit_id=unit_id)


@pytest.fixture
def history(plan, lead_user, office, task_1_1):
    """Play the history above; after each step what a dashboard reads of the current month (the
    stored month is stale then) equals a fresh computation from history at that moment, the
    refresh job stores exactly that, and no write happened on the read."""
    task_7_2 = Task.objects.get(plan=plan, code="7.2")
    indicator = Indicator.objects.get(plan=plan, key="six-100-online")
    steps = []

    def check():
        now = dt.datetime.now(tz=SHANGHAI)
        fresh = computed(plan, now)
        stored_before = stored(plan, now.year, now.month)
        assert read(plan, now.year, now.month, office) == fresh
        assert stored(plan, now.year, now.month) == stored_before  # the read wrote nothing
        standings_refresh()
        assert stored(plan, now.year, now.month) == fresh
        assert stored_indicators(plan, now.year, now.month) == computed_indicators(plan, now)
        assert read(plan, now.year, now.month, office) == fresh
        steps.append(now)

    with frozen(2020, 10, 5, 9):
        october = period_open(year=2020, month=10)
    with frozen(2020, 11, 3, 10):
        november = period_open(year=2020, month=11)
        report = report_save(user=lead_user, task=task_1_1, period=october,
                             data=ReportInput(completed="已开通绿色通道。", next_plan="推行容缺受理。", progress=30))
        filing_submit(user=lead_user, filing=report)
        check()
        other = report_save(user=lead_user, task=task_7_2, period=october,
                            data=ReportInput(completed="八办改革推进。", next_plan="继续推进。", progress=20),
                            actuals={indicator.pk: Decimal("80")})
        filing_submit(user=lead_user, filing=other)
        check()
    with frozen(2020, 11, 20, 15):
        filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="请补充办理时限数据。")
        check()
    with frozen(2020, 11, 23, 9):
        report = report_save(user=lead_user, task=task_1_1, period=october,
                             data=ReportInput(completed="已开通绿色通道，时限压缩至 40 日。", next_plan="推行容缺受理。",
                                              progress=35))
        check()
        filing_submit(user=lead_user, filing=report)
        check()
    with frozen(2020, 12, 9, 11):
        late = report_save(user=lead_user, task=task_1_1, period=november,
                           data=ReportInput(completed="容缺受理上线。", next_plan="推进一网通办。", progress=50))
        filing_submit(user=lead_user, filing=late)
        check()
    # The end of October, November and December as they were, summarised in January.
    with frozen(2021, 1, 4, 8):
        standings_refresh()
    with frozen(2021, 1, 8, 10):
        filing_review(user=office, filing=ProgressReport.objects.get(pk=report.pk), action=ReviewAction.APPROVE)
        filing_review(user=office, filing=ProgressReport.objects.get(pk=late.pk), action=ReviewAction.RETURN,
                      comment="请补充数据。")
        check()
    return {"task_7_2": task_7_2, "indicator": indicator, "october": october, "november": november, "steps": steps}


def test_figures_by_hand_at_the_end_of_november(plan, lead_user, task_1_1, history):
    row = one(plan, 2020, 11, task_1_1, lead_user.unit_id)
    expected = expected_progress(start=dt.date(2020, 1, 1), end=dt.date(2022, 12, 31), today=dt.date(2020, 11, 30))
    assert (row.progress, row.expected) == (35, expected)
    assert row.light == Light.GREEN and row.light_reason == f"按时推进：完成进度 35%，序时进度 {expected}%"
    assert row.last_period_id == history["october"].pk and row.last_status == FilingStatus.SUBMITTED
    assert (row.reports_due, row.reports_on_time, row.reports_late, row.reports_missing) == (1, 1, 0, 0)
    assert (row.returns, row.days_overdue) == (1, 0)
    assert StandingMonth.objects.get(plan=plan, year=2020, month=11).is_final


def test_figures_by_hand_at_the_end_of_december(plan, lead_user, task_1_1, history):
    row = one(plan, 2020, 12, task_1_1, lead_user.unit_id)
    assert row.progress == 50 and row.last_period_id == history["november"].pk
    assert (row.reports_due, row.reports_on_time, row.reports_late, row.reports_missing) == (2, 1, 1, 0)
    assert row.returns == 1 and row.last_status == FilingStatus.SUBMITTED


def test_a_unit_that_never_reported_is_red_with_its_working_days_overdue(plan, history):
    # 1.3's other lead units never reported: at the end of November the October report (due Friday
    # 6 November) is 16 working days overdue (the weekdays 9 November … 30 November).
    task_1_3 = Task.objects.get(plan=plan, code="1.3")
    rows = Standing.objects.filter(plan=plan, year=2020, month=11, task=task_1_3).exclude(
        unit__name="新区行政审批与政务服务局")
    assert rows.count() == 2
    for row in rows:
        assert row.light == Light.RED and row.light_reason == "2020年10月进展逾期未报（截止 2020-11-06）"
        assert (row.days_overdue, row.reports_due, row.reports_missing, row.progress) == (16, 1, 1, None)


def test_the_end_of_october_knows_nothing_of_november(plan, lead_user, task_1_1, history):
    row = one(plan, 2020, 10, task_1_1, lead_user.unit_id)
    # Nothing had fallen due by 31 October; October's report (due 6 November) was not yet written.
    assert (row.progress, row.last_period_id, row.reports_due, row.returns) == (None, None, 0, 0)


def test_indicator_actual_and_attainment_by_month(plan, history):
    indicator = history["indicator"]
    november = IndicatorStanding.objects.get(plan=plan, indicator=indicator, year=2020, month=11)
    assert (november.actual, november.actual_period_id, november.attainment) == (
        Decimal("80.00"), history["october"].pk, Attainment.AT_RISK)
    # In January 2021 the 2020 target can no longer be met.
    january = IndicatorStanding.objects.get(plan=plan, indicator=indicator, year=2021, month=1)
    assert january.attainment == Attainment.MISSED
    october = IndicatorStanding.objects.get(plan=plan, indicator=indicator, year=2020, month=10)
    assert (october.actual, october.attainment) == (None, Attainment.NO_DATA)


def test_later_changes_leave_ended_months_as_they_were(plan, lead_user, task_1_1, history):
    # January's approval and return changed today's rows, not how November and December ended.
    assert ProgressReport.objects.get(task=task_1_1, period=history["november"]).status == FilingStatus.RETURNED
    december = one(plan, 2020, 12, task_1_1, lead_user.unit_id)
    assert december.last_status == FilingStatus.SUBMITTED and december.returns == 1
    january = one(plan, 2021, 1, task_1_1, lead_user.unit_id)
    assert january.last_status == FilingStatus.RETURNED and january.returns == 2
    # And the stored months equal a fresh computation from history, made now.
    with frozen(2021, 2, 1, 9):
        for month in (10, 11, 12):
            assert stored(plan, 2020, month) == computed(plan, month_end(2020, month))
            assert stored_indicators(plan, 2020, month) == computed_indicators(plan, month_end(2020, month))


def test_summary_equals_full_computation_after_every_step(history):
    # The fixture checked the current month after each of its seven steps that change reports.
    assert len(history["steps"]) == 7


def test_rebuild_and_hourly_refresh_equal_the_incremental_rows(plan, history):
    ended = [(2020, 10), (2020, 11), (2020, 12)]
    with frozen(2021, 1, 20, 9):
        before = {m: stored(plan, *m) for m in ended}
        assert standings_refresh() >= 1
        standings_rebuild(plan=plan)
        after = {m: stored(plan, *m) for m in ended}
        months = plan_months(plan=plan)
        # The current month moves with the clock (序时进度, days overdue): as of now.
        assert stored(plan, 2021, 1) == computed(plan, at(2021, 1, 20, 9))
    assert after == before
    assert months[0] == (2020, 1) and months[-1] == (2021, 1)
    assert StandingMonth.objects.filter(plan=plan, is_final=True).count() == 12
    assert not StandingMonth.objects.get(plan=plan, year=2021, month=1).is_final


def test_a_stored_month_is_read_while_current_and_finalised_once_ended(plan, lead_user, task_1_1):
    with frozen(2020, 10, 12, 9):
        period_open(year=2020, month=10)
        # Stored right after a change, the month is not trusted yet: the change may not have been seen.
        standings_month_store(plan=plan, year=2020, month=10)
        assert summary_month(plan=plan, year=2020, month=10).computed is not None
    with frozen(2020, 10, 12, 9, 10):
        live = standings_month_store(plan=plan, year=2020, month=10)
        assert not live.is_final and live.as_of == at(2020, 10, 12, 9, 10)
        assert summary_month(plan=plan, year=2020, month=10).computed is None  # current: read as stored
    with frozen(2020, 10, 20, 9):
        # Another day: the lights may have moved, so the month is computed, as of now.
        summary = summary_month(plan=plan, year=2020, month=10)
        assert summary.computed is not None and summary.as_of == at(2020, 10, 20, 9)
    with frozen(2020, 11, 2, 9):
        summary = summary_month(plan=plan, year=2020, month=10)
        assert summary.is_final and summary.as_of == month_end(2020, 10)
        assert standings_refresh() == 11  # January–September never stored, October final, November now
        final = StandingMonth.objects.get(plan=plan, year=2020, month=10)
        assert summary_month(plan=plan, year=2020, month=10).computed is None
    assert final.is_final and final.as_of == month_end(2020, 10)


def test_a_changed_calendar_makes_the_running_month_stale(plan):
    from tasks.models import WorkingDayOverride

    with frozen(2020, 10, 12, 9):
        period_open(year=2020, month=10)
    with frozen(2020, 10, 12, 9, 10):
        standings_refresh()
        assert summary_month(plan=plan, year=2020, month=10).computed is None
    with frozen(2020, 10, 12, 10):
        WorkingDayOverride.objects.create(date=dt.date(2020, 11, 4), is_working=False, note="测试")
        assert summary_month(plan=plan, year=2020, month=10).computed is not None


def test_a_plan_not_started_has_no_months(plan):
    with frozen(2019, 6, 1, 9):
        assert plan_months(plan=plan) == []


def test_after_the_plan_its_months_end_with_its_last(plan):
    # An ended plan is browsed as of the months it owed: no month after it (the selector once
    # jumped from 2022年12月 to 2026年11月（当前）).
    with frozen(2026, 11, 29, 9):
        months = plan_months(plan=plan)
    assert len(months) == 36 and months[-1] == (2022, 12)


def test_an_ended_plans_last_month_is_computed_as_of_its_final_moment(plan):
    # December 2022's returns fell due on Monday 9 January 2023 (the 5th working day after the New
    # Year holiday): the plan's figures are those of the
    # next day's start, and a moment after that gives the same figures, saying the plan ended.
    assert plan.final_moment == at(2023, 1, 10)
    with frozen(2026, 11, 29, 9):
        standings_refresh()
        month = StandingMonth.objects.get(plan=plan, year=2022, month=12)
        now = standings_compute(plan=plan, at=timezone.now())[0]
    assert month.is_final and month.as_of == at(2023, 1, 10)
    final = standings_compute(plan=plan, at=at(2023, 1, 10))[0]
    assert [(r.task_id, r.unit_id, r.light, r.progress, r.days_overdue) for r in now] == [
        (r.task_id, r.unit_id, r.light, r.progress, r.days_overdue) for r in final]
    assert all(r.light_reason.endswith("（方案已于2022年12月31日结束）") for r in now)


def running_to_2030(plan):
    """The plan as if it ran to 2030 (in force then, so its figures do not freeze in 2023)."""
    ActionPlan.objects.filter(pk=plan.pk).update(ends_on=dt.date(2030, 12, 31))
    plan.history.update(ends_on=dt.date(2030, 12, 31))
    plan.refresh_from_db()


def test_the_division_of_tasks_is_read_as_it_stood(plan, task_1_1):
    # The seed plan is loaded now, after the months its history covers: those months count its
    # division as first imported. A re-import in 2030 (the plan is recorded first, then its
    # assignments) hands 1.1 to another unit: from that month on, not before.
    assert plan.history.earliest("history_date").history_date > month_end(2020, 12)
    running_to_2030(plan)
    before = set(computed(plan, month_end(2020, 12)))
    lead = TaskAssignment.objects.get(task=task_1_1, role=AssignmentRole.LEAD)
    other = Unit.objects.exclude(assignments__task=task_1_1).first()
    with frozen(2030, 1, 10, 9):
        plan.imported_at = timezone.now()
        plan.save()
        lead.delete()
        TaskAssignment.objects.create(task=task_1_1, unit=other, role=AssignmentRole.LEAD, sort_order=9)
    old_pair, new_pair = (task_1_1.pk, lead.unit_id), (task_1_1.pk, other.pk)
    assert old_pair in before and new_pair not in before
    with frozen(2030, 3, 1, 9):  # those months have ended
        assert set(computed(plan, month_end(2020, 12))) == before  # before the import: as first imported
        assert set(computed(plan, month_end(2029, 12))) == before  # after it, before the change
        assert set(computed(plan, month_end(2030, 1))) == before - {old_pair} | {new_pair}


def test_a_task_retired_later_still_counts_in_the_months_before(plan, task_1_1):
    running_to_2030(plan)
    pairs = set(computed(plan, month_end(2020, 12)))
    with frozen(2030, 1, 10, 9):
        task_1_1.is_active = False
        task_1_1.save()
    with frozen(2030, 3, 1, 9):
        assert set(computed(plan, month_end(2029, 12))) == pairs
        assert {task for task, _ in computed(plan, month_end(2030, 1))} == {task for task, _ in pairs} - {task_1_1.pk}


def test_compute_reads_a_fixed_number_of_queries(plan, lead_user, task_1_1, django_assert_num_queries, history):
    # The calendar of its last due date (is the plan over?), whether a report or an actual was
    # recorded since (yes: the history is read), the plan's history (its dates and its division of
    # tasks then), periods, calendar entries, lead assignments, report history, returns,
    # indicators, actuals: 10 — 9 here, where no period was ever opened (no report read).
    with django_assert_num_queries(9):
        standings_compute(plan=plan, at=month_end(2020, 12))


def test_the_hourly_job_and_the_command_refresh_the_current_month(plan):
    from django.core.management import call_command

    from reports.jobs.standings import standings_refresh_job

    with frozen(2020, 3, 10, 9):
        assert standings_refresh_job.delay().get() == 3  # January and February final, March as of now
        assert StandingMonth.objects.filter(plan=plan, is_final=True).count() == 2
        call_command("refresh_standings", "--rebuild", stdout=io.StringIO())
    assert StandingMonth.objects.filter(plan=plan).count() == 3
    assert Standing.objects.filter(plan=plan, year=2020, month=3).count() == len(computed(plan, at(2020, 3, 10, 9)))


def test_a_dashboard_reads_months_nobody_stored_without_writing_them(plan, office):
    from reports.selectors.dashboards import dashboard_as_of, dashboard_overview

    with frozen(2020, 5, 10, 9):
        as_of = dashboard_as_of(plan=plan, month="2020-03")
        overview = dashboard_overview(user=office, plan=plan, as_of=as_of)
        assert as_of.is_final and as_of.label == "2020年3月末"
        assert [p.value for p in overview.series] == ["2020-01", "2020-02", "2020-03"]
        assert not StandingMonth.objects.exists()  # computed from history in memory: a GET never writes
        standings_refresh()  # the job stores them; the same figures are then read from the store
        stored_overview = dashboard_overview(user=office, plan=plan, as_of=dashboard_as_of(plan=plan, month="2020-03"))
    assert set(StandingMonth.objects.filter(plan=plan).values_list("month", "is_final")) == {
        (1, True), (2, True), (3, True), (4, True), (5, False)}
    assert stored_overview == overview


def test_a_moment_with_nothing_recorded_since_reads_todays_rows_with_the_same_figures(plan, history, monkeypatch):
    """After the history's last change (January 2021), a later moment reads today's reports
    instead of their history — the same figures, far cheaper at scale."""
    from tasks.selectors import state

    when = at(2021, 3, 31, 23)
    with frozen(2021, 6, 1, 9):
        assert not state.reports_changed_since(plan=plan, since=when, until=timezone.now())
        shortcut = computed(plan, when), computed_indicators(plan, when)
        monkeypatch.setattr(state, "reports_changed_since", lambda **kwargs: True)  # the history path
        assert (computed(plan, when), computed_indicators(plan, when)) == shortcut


def test_one_attainment_rule_for_the_dashboards_and_the_indicator_ledger(plan):
    """Nothing reported by the end of the target's year is 未达成 on the dashboards and in the
    indicator ledger alike; while the year runs it is 暂无数据 (the ledger says nothing)."""
    from reports.selectors.ledgers import _attainment as ledger_attainment
    from tasks.selectors.state import attainment

    indicator = Indicator.objects.filter(plan=plan, year=2020).first()
    assert attainment(indicator, None, day=dt.date(2020, 6, 1), ends_on=plan.ends_on) == Attainment.NO_DATA
    assert ledger_attainment(indicator, 2020, None, dt.date(2020, 6, 1)) is None
    assert attainment(indicator, None, day=dt.date(2021, 1, 5), ends_on=plan.ends_on) == Attainment.MISSED
    assert ledger_attainment(indicator, 2020, None, dt.date(2021, 1, 5)) == Attainment.MISSED
