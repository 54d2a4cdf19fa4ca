"""红黄绿灯 at their boundaries: more than 30 points behind the time-elapsed expected progress
(序时进度) is red, 10–30 behind is yellow; a report due within 3 working days and not submitted
is yellow; the last report that fell due and was not submitted is red."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tasks.choices import Light
from tasks.lights import DueReport, LightResult, expected_progress, unit_light, worst
from tasks.models import Task
from tasks.selectors.state import task_states
from tasks.services.dispatch import ReportInput, filing_submit, period_open, report_save

pytestmark = pytest.mark.django_db  # working days come from the calendar (office overrides)

# Monday 2 November 2026: no holiday in the fortnight around it.
MONDAY = dt.date(2026, 11, 2)


# --- 序时进度 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("today", "expected"), [
    (dt.date(2019, 6, 1), 0),  # before the plan
    (dt.date(2020, 1, 1), 0),  # its first day
    (dt.date(2020, 1, 12), 1),  # 11 of 1095 days: 1.0 %
    (dt.date(2021, 7, 2), 50),  # 548 of 1095 days
    (dt.date(2022, 12, 30), 100),  # 1094 of 1095 days: 99.9 % rounds up
    (dt.date(2022, 12, 31), 100),  # its last day
    (dt.date(2023, 3, 1), 100),  # after it
])
def test_expected_progress_over_a_three_year_plan(today, expected):
    assert expected_progress(start=dt.date(2020, 1, 1), end=dt.date(2022, 12, 31), today=today) == expected


def test_expected_progress_over_a_one_year_plan():
    assert expected_progress(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), today=dt.date(2026, 7, 2)) == 50


# --- behind the expected progress -------------------------------------------------------------------


def light(*, expected=50, progress=None, today=MONDAY, last_due=None, next_due=None) -> LightResult:
    return unit_light(today=today, expected=expected, progress=progress, last_due=last_due, next_due=next_due)


@pytest.mark.parametrize(("progress", "colour"), [
    (50, Light.GREEN),  # on track
    (70, Light.GREEN),  # ahead
    (41, Light.GREEN),  # 9 behind
    (40, Light.YELLOW),  # exactly 10 behind
    (21, Light.YELLOW),  # 29 behind
    (20, Light.YELLOW),  # exactly 30 behind: not yet "more than 30"
    (19, Light.RED),  # 31 behind
    (0, Light.RED),
])
def test_light_by_points_behind(progress, colour):
    assert light(progress=progress).light == colour


def test_reasons_are_in_chinese():
    assert light(progress=50).reason == "按时推进：完成进度 50%，序时进度 50%"
    assert light(progress=40).reason == "完成进度 40%，落后序时进度 50% 10 个百分点"
    assert light(progress=19).reason == "完成进度 19%，落后序时进度 50% 达 31 个百分点"


def test_no_progress_reported_counts_as_zero():
    assert light(expected=0).light == Light.GREEN
    result = light(expected=35)
    assert (result.light, result.reason) == (Light.RED, "完成进度 0%，落后序时进度 35% 达 35 个百分点")


def test_thresholds_are_settings(settings):
    settings.LIGHT_YELLOW_BEHIND, settings.LIGHT_RED_BEHIND = 5, 20
    assert [light(progress=p).light for p in (46, 45, 30, 29)] == [Light.GREEN, Light.YELLOW, Light.YELLOW, Light.RED]


# --- reports falling due -------------------------------------------------------------------------


def due(date: dt.date, submitted=False, label="2026年10月") -> DueReport:
    return DueReport(label=label, due_date=date, submitted=submitted)


@pytest.mark.parametrize(("due_date", "colour", "reason"), [
    (MONDAY, Light.YELLOW, "2026年10月进展今天到期，尚未提交"),
    (dt.date(2026, 11, 3), Light.YELLOW, "2026年10月进展还有 1 个工作日到期，尚未提交"),
    (dt.date(2026, 11, 5), Light.YELLOW, "2026年10月进展还有 3 个工作日到期，尚未提交"),  # Thursday
    (dt.date(2026, 11, 6), Light.GREEN, "按时推进：完成进度 50%，序时进度 50%"),  # Friday: 4 days
])
def test_next_report_due_within_three_working_days(due_date, colour, reason):
    result = light(progress=50, next_due=due(due_date))
    assert (result.light, result.reason) == (colour, reason)


def test_working_days_not_calendar_days_count():
    friday = dt.date(2026, 11, 6)
    # Monday, Tuesday, Wednesday: 3 working days though 5 calendar days away.
    assert light(progress=50, today=friday, next_due=due(dt.date(2026, 11, 11))).light == Light.YELLOW
    assert light(progress=50, today=friday, next_due=due(dt.date(2026, 11, 12))).light == Light.GREEN


def test_working_days_follow_the_statutory_calendar():
    # After Tuesday 29 September 2020 come 30 September, then the National Day holiday (1–8
    # October), then 9 October, 10 October (make-up Saturday) and 12 October: the 2nd and 4th.
    today = dt.date(2020, 9, 29)
    assert light(progress=50, today=today, next_due=due(dt.date(2020, 10, 9))).light == Light.YELLOW
    assert light(progress=50, today=today, next_due=due(dt.date(2020, 10, 12))).light == Light.GREEN


def test_due_soon_window_is_a_setting(settings):
    settings.LIGHT_DUE_SOON_WORKING_DAYS = 4
    assert light(progress=50, next_due=due(dt.date(2026, 11, 6))).light == Light.YELLOW


def test_working_days_counted_once_by_the_caller_are_used(django_assert_num_queries):
    # A page counts the days to the due date once for all its lights: no calendar query here.
    with django_assert_num_queries(0):
        counted = DueReport(label="2026年10月", due_date=dt.date(2026, 11, 6), submitted=False, days_left=3)
        assert light(progress=50, next_due=counted).reason == "2026年10月进展还有 3 个工作日到期，尚未提交"
        counted = DueReport(label="2026年10月", due_date=dt.date(2026, 11, 5), submitted=False, days_left=4)
        assert light(progress=50, next_due=counted).light == Light.GREEN


def test_a_submitted_next_report_is_not_a_warning():
    assert light(progress=50, next_due=due(MONDAY, submitted=True)).light == Light.GREEN


def test_last_due_report_not_submitted_is_red():
    result = light(progress=50, last_due=due(dt.date(2026, 10, 15), label="2026年9月"))
    assert (result.light, result.reason) == (Light.RED, "2026年9月进展逾期未报（截止 2026-10-15）")


def test_last_due_report_submitted_is_not_red():
    assert light(progress=50, last_due=due(dt.date(2026, 10, 15), submitted=True)).light == Light.GREEN


def test_overdue_comes_before_far_behind_and_far_behind_before_due_soon():
    overdue = due(dt.date(2026, 10, 15), label="2026年9月")
    assert "逾期未报" in light(progress=0, last_due=overdue).reason
    result = light(progress=10, next_due=due(MONDAY))
    assert (result.light, "落后序时进度" in result.reason) == (Light.RED, True)
    # A report due today outranks being 10–30 points behind (both yellow; the deadline is the reason).
    assert light(progress=30, next_due=due(MONDAY)).reason == "2026年10月进展今天到期，尚未提交"


# --- a task's light: the worst of its lead units' -------------------------------------------------------


def test_worst():
    green = LightResult(Light.GREEN, "按时推进")
    yellow = LightResult(Light.YELLOW, "落后")
    red = LightResult(Light.RED, "逾期")
    assert worst([green, yellow, red, green]) is red
    assert worst([green, yellow]) is yellow
    assert worst([green]) is green
    other_yellow = LightResult(Light.YELLOW, "另一个")
    assert worst([yellow, other_yellow]) is yellow  # the first of equals
    assert worst([]) == LightResult(Light.GREEN, "无牵头单位填报要求")


def test_badges():
    assert [LightResult(c, "").badge for c in (Light.GREEN, Light.YELLOW, Light.RED)] == [
        "badge-green", "badge-yellow", "badge-red",
    ]


# --- with reports in the database and the clock frozen ----------------------------------------------


def frozen(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def test_lights_from_reports_around_the_october_2020_due_date(lead_user, task_1_1):
    # October 2020 is due on Friday 6 November; on Tuesday 3 November 序时进度 is 28 %.
    period = period_open(year=2020, month=10)
    task_1_3 = Task.objects.get(code="1.3")
    tasks = list(Task.objects.filter(pk__in=[task_1_1.pk, task_1_3.pk]).select_related("plan"))
    unit = lead_user.unit_id
    with frozen(2020, 11, 3, 10):
        before = task_states(tasks=tasks)
        assert before[task_1_1.pk].unit_light(unit) == LightResult(Light.YELLOW, "2020年10月进展还有 3 个工作日到期，尚未提交")
        data = ReportInput(completed="已开通绿色通道。", next_plan="推行容缺受理。", progress=30)
        filing_submit(user=lead_user, filing=report_save(user=lead_user, task=task_1_1, period=period, data=data))
        after = task_states(tasks=tasks)
    assert after[task_1_1.pk].light_result == LightResult(Light.GREEN, "按时推进：完成进度 30%，序时进度 28%")
    with frozen(2020, 11, 9, 10):
        late = task_states(tasks=tasks)
    assert late[task_1_1.pk].light_result.light == Light.GREEN
    # 1.3 has three lead units, none of which reported: the task is red, as each of them.
    assert late[task_1_3.pk].light_result == LightResult(Light.RED, "2020年10月进展逾期未报（截止 2020-11-06）")
    assert {r.light for r in late[task_1_3.pk].units} == {Light.RED}


def test_office_calendar_days_before_the_due_date_are_counted(lead_user, task_1_1):
    # On Monday 2 November 2020 the October report (due Friday 6 November) is 4 working days
    # away: green. The office declares Wednesday 4 November a day off: now 3, and yellow.
    from tasks.models import WorkingDayOverride

    period_open(year=2020, month=10)
    tasks = list(Task.objects.filter(pk=task_1_1.pk).select_related("plan"))
    # Progress thresholds out of the way: only the due date can colour the light.
    with frozen(2020, 11, 2, 10), override_light(red=101, yellow=101):
        assert task_states(tasks=tasks)[task_1_1.pk].light_result.light == Light.GREEN
    WorkingDayOverride.objects.create(date=dt.date(2020, 11, 4), is_working=False, note="测试")
    with frozen(2020, 11, 2, 10), override_light(red=101, yellow=101):
        assert task_states(tasks=tasks)[task_1_1.pk].light_result == LightResult(
            Light.YELLOW, "2020年10月进展还有 3 个工作日到期，尚未提交",
        )
    WorkingDayOverride.objects.all().delete()
    with frozen(2020, 11, 2, 10), override_light(red=101, yellow=101):
        assert task_states(tasks=tasks)[task_1_1.pk].light_result.light == Light.GREEN


def override_light(*, red: int, yellow: int):
    from django.test import override_settings

    return override_settings(LIGHT_RED_BEHIND=red, LIGHT_YELLOW_BEHIND=yellow)
