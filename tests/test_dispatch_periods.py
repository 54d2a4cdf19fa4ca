"""Reporting periods (填报期): due dates on the working-day calendar, opening and closing, the
daily job and the ``open_period`` command."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from tasks.choices import PeriodStatus
from tasks.jobs import period_open_current_job
from tasks.models import ReportingPeriod, WorkingDayOverride
from tasks.services.dispatch import (
    DispatchError,
    period_close,
    period_due_date,
    period_open,
    period_open_current,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def frozen(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


# --- due dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(("year", "month", "due"), [
    # 1 November 2020 is a Sunday: 2, 3, 4, 5, 6 November.
    (2020, 10, dt.date(2020, 11, 6)),
    # National Day and Mid-Autumn 2020: 1–8 October off, Saturday 10 October a make-up day:
    # 9, 10, 12, 13, 14 October.
    (2020, 9, dt.date(2020, 10, 14)),
    # December: due in January of the next year (1 January 2021 is New Year's Day).
    (2020, 12, dt.date(2021, 1, 8)),
    # Spring Festival 2026 (15–23 February off): the January report is due before it.
    (2026, 1, dt.date(2026, 2, 6)),
])
def test_due_on_the_fifth_working_day_of_the_following_month(year, month, due):
    assert period_due_date(year=year, month=month) == (due, False)


def test_december_2026_is_due_in_january_2027_provisionally():
    # The calendar library stops at 2026: January 2027 is counted Monday–Friday, New Year's Day
    # included (1, 4, 5, 6, 7 January), and the date says it is a guess.
    assert period_due_date(year=2026, month=12) == (dt.date(2027, 1, 7), True)
    period = period_open(year=2026, month=12)
    assert (period.due_date, period.due_provisional) == (dt.date(2027, 1, 7), True)


def test_office_holidays_for_2027_end_the_guess():
    WorkingDayOverride.objects.create(date=dt.date(2027, 1, 1), is_working=False, note="元旦")
    assert period_due_date(year=2026, month=12) == (dt.date(2027, 1, 8), False)


def test_a_provisional_due_date_is_recounted_once_the_holidays_are_in(office):
    period = period_open(year=2026, month=12)
    WorkingDayOverride.objects.create(date=dt.date(2027, 1, 1), is_working=False, note="元旦")
    # The job recounts it (without reopening anything)…
    recounted = period_open_current(today=dt.date(2026, 12, 15))
    assert recounted.pk == period.pk
    period.refresh_from_db()
    assert (period.due_date, period.due_provisional, period.is_open) == (dt.date(2027, 1, 8), False, True)
    # …and so does opening it again.
    period_close(period=period, user=office)
    ReportingPeriod.objects.filter(pk=period.pk).update(due_date=dt.date(2027, 1, 7), due_provisional=True)
    assert period_open(year=2026, month=12, user=office).due_date == dt.date(2027, 1, 8)


def test_a_due_date_once_exact_does_not_move():
    period = period_open(year=2020, month=10)
    WorkingDayOverride.objects.create(date=dt.date(2020, 11, 2), is_working=False, note="临时调整")
    assert period_open_current(today=dt.date(2020, 10, 30)).due_date == dt.date(2020, 11, 6)
    assert period_open(year=2020, month=10).due_date == dt.date(2020, 11, 6)
    assert ReportingPeriod.objects.get(pk=period.pk).due_date == dt.date(2020, 11, 6)


def test_due_working_day_is_a_setting(settings):
    settings.REPORT_DUE_WORKING_DAY = 3
    assert period_due_date(year=2020, month=10) == (dt.date(2020, 11, 4), False)


# --- opening and closing ---------------------------------------------------------------------


def test_period_open_creates_the_month_with_its_due_date():
    period = period_open(year=2020, month=10)
    assert (period.year, period.month, period.status) == (2020, 10, PeriodStatus.OPEN)
    assert period.due_date == dt.date(2020, 11, 6) and not period.due_provisional
    assert period.label == "2020年10月" and period.is_open


def test_period_open_is_idempotent():
    first = period_open(year=2020, month=10)
    again = period_open(year=2020, month=10)
    assert again.pk == first.pk
    assert ReportingPeriod.objects.filter(year=2020, month=10).count() == 1


def test_period_open_reopens_a_closed_period(office):
    period = period_close(period=period_open(year=2020, month=10), user=office)
    assert ReportingPeriod.objects.get(pk=period.pk).status == PeriodStatus.CLOSED
    reopened = period_open(year=2020, month=10, user=office)
    assert reopened.pk == period.pk and reopened.is_open
    assert ReportingPeriod.objects.get(pk=period.pk).status == PeriodStatus.OPEN


def test_period_open_and_close_record_who_did_it(office):
    period = period_open(year=2020, month=10, user=office)
    period_close(period=period, user=office)
    history = list(period.history.order_by("history_id"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert [h.status for h in history] == [PeriodStatus.OPEN, PeriodStatus.CLOSED]
    assert all(h.history_user == office for h in history)


@pytest.mark.parametrize("persona", ["inspector", "leader", "lead_user", "supporting_user", "outsider"], indirect=True)
def test_only_the_office_opens_and_closes_periods(persona):
    period = period_open(year=2020, month=10)
    with pytest.raises(PermissionDenied):
        period_close(period=period, user=persona)
    with pytest.raises(PermissionDenied):
        period_open(year=2020, month=11, user=persona)
    assert ReportingPeriod.objects.get(pk=period.pk).is_open
    assert not ReportingPeriod.objects.filter(year=2020, month=11).exists()


@pytest.mark.parametrize("month", [0, 13])
def test_period_open_refuses_a_month_that_does_not_exist(month):
    with pytest.raises(DispatchError, match="月份"):
        period_open(year=2020, month=month)


# --- the current period: daily job and command ------------------------------------------------


def test_period_open_current_opens_this_month():
    period = period_open_current(today=dt.date(2020, 10, 20))
    assert (period.year, period.month, period.is_open) == (2020, 10, True)
    assert period_open_current(today=dt.date(2020, 10, 21)).pk == period.pk


def test_period_open_current_never_reopens_a_closed_period(office):
    period = period_close(period=period_open(year=2020, month=10), user=office)
    again = period_open_current(today=dt.date(2020, 10, 25))
    assert again.pk == period.pk and again.status == PeriodStatus.CLOSED
    assert ReportingPeriod.objects.get(pk=period.pk).status == PeriodStatus.CLOSED


def test_period_open_current_uses_the_date_in_shanghai():
    # 00:30 on 1 November in Shanghai is still 31 October in UTC.
    with frozen(2020, 11, 1, 0, 30):
        period = period_open_current()
    assert (period.year, period.month) == (2020, 11)


def test_period_open_current_job_returns_the_label():
    with frozen(2020, 11, 3, 10):
        assert period_open_current_job() == "2020年11月"
        assert period_open_current_job.delay().get() == "2020年11月"
    assert ReportingPeriod.objects.filter(year=2020, month=11).count() == 1


def test_open_period_command_opens_a_given_month():
    out = StringIO()
    call_command("open_period", year=2020, month=10, stdout=out)
    assert out.getvalue().strip() == "2020年10月填报期：填报中，截止 2020-11-06"
    assert ReportingPeriod.objects.get(year=2020, month=10).is_open


def test_open_period_command_says_when_the_due_date_is_provisional():
    out = StringIO()
    call_command("open_period", "--year", "2026", "--month", "12", stdout=out)
    assert out.getvalue().strip() == "2026年12月填报期：填报中，截止 2027-01-07（暂定，当年节假日尚未录入）"


def test_open_period_command_without_arguments_opens_the_current_month(office):
    out = StringIO()
    with frozen(2020, 10, 20, 9):
        call_command("open_period", stdout=out)
    assert "2020年10月填报期：填报中" in out.getvalue()
    # …and, like the job, leaves a closed month closed.
    period_close(period=ReportingPeriod.objects.get(year=2020, month=10), user=office)
    out = StringIO()
    with frozen(2020, 10, 21, 9):
        call_command("open_period", stdout=out)
    assert "2020年10月填报期：已关闭" in out.getvalue()


@pytest.mark.parametrize(("args", "message"), [
    (["--year", "2020"], "同时给出"),
    (["--month", "10"], "同时给出"),
    (["--year", "2020", "--month", "13"], "1 到 12"),
])
def test_open_period_command_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("open_period", *args, stdout=StringIO())
    assert not ReportingPeriod.objects.exists()
