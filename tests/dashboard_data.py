"""History for the dashboard tests, made through the monthly-dispatch services with the clock set
to when each step happened, then summarised month by month as the dashboards read it.

On the seed plan (2020–2022), lead_user's unit (新区行政审批与政务服务局) reports on its tasks:
- October 2020 (due Friday 6 November): submitted on Tuesday 3 November, 30 %;
- November 2020 (due Monday 7 December): submitted on Wednesday 2 December, 70 %.
So at the end of November 2020 its tasks stand at 30 % and at the end of December 2020 at 70 %:
the two months differ in every figure that reads progress.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from reports.services.standings import standings_month_store
from tasks.choices import AssignmentRole
from tasks.models import ActionPlan, Task, User
from tasks.services import dispatch

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEAD_UNIT = "新区行政审批与政务服务局"  # lead_user's unit
MONTHS = ("2020-11", "2020-12")  # the months the tests switch between


def frozen(*args: int):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


def lead_tasks(plan: ActionPlan, count: int | None = None) -> list[Task]:
    """The tasks on which 审批局 itself is lead unit, in plan order (task 1.1 first)."""
    tasks = Task.objects.filter(
        plan=plan, is_active=True, assignments__unit__name=LEAD_UNIT, assignments__role=AssignmentRole.LEAD,
    ).order_by("group__kind", "group__number", "number").distinct()
    return list(tasks[:count] if count else tasks)


def reports_filed(user: User, tasks: list[Task], *, year: int, month: int, progress: int, on: tuple) -> None:
    """The unit's reports of a month on ``tasks``, saved and submitted at ``on``."""
    with frozen(*on):
        period = dispatch.period_open(year=year, month=month)
        for task in tasks:
            report = dispatch.report_save(user=user, task=task, period=period, data=dispatch.ReportInput(
                completed="审批时限压缩，推行容缺受理。", problems="部分事项仍需跑动。", next_plan="推进一网通办。",
                progress=progress,
            ))
            dispatch.filing_submit(user=user, filing=report)


def history(plan: ActionPlan, user: User, tasks: list[Task]) -> None:
    """October and November 2020 reported on ``tasks``; the months the tests read summarised."""
    reports_filed(user, tasks, year=2020, month=10, progress=30, on=(2020, 11, 3, 10))
    reports_filed(user, tasks, year=2020, month=11, progress=70, on=(2020, 12, 2, 10))
    # Every month up to them stored, as the refresh job would (a trend reads them all; a month not
    # stored would be computed on the read, with the same figures but more queries).
    for month in range(1, 13):
        standings_month_store(plan=plan, year=2020, month=month)


def indicator_reported(plan: ActionPlan, user: User, value: int = 5):
    """An indicator of one of the unit's tasks gets an actual in its October 2020 report
    (submitted on 3 November, so it shows from the end of November 2020)."""
    indicator = plan.indicators.filter(
        task__assignments__unit__name=LEAD_UNIT, task__assignments__role=AssignmentRole.LEAD, year__in=[2020, None],
    ).select_related("task").first()
    with frozen(2020, 11, 3, 10):
        period = dispatch.period_open(year=2020, month=10)
        report = dispatch.report_save(user=user, task=indicator.task, period=period, actuals={indicator.pk: value},
                                      data=dispatch.ReportInput(completed="完成。", problems="无", next_plan="继续。",
                                                                progress=40))
        dispatch.filing_submit(user=user, filing=report)
    return indicator
