"""The working-day calendar on real cases of the statutory calendar."""

import datetime as dt

import pytest

from tasks.models import WorkingDayOverride
from tasks.workdays import (
    add_working_days,
    is_working_day,
    nth_working_day_of_month,
    provisional_years,
    working_days_between,
)

pytestmark = pytest.mark.django_db


def test_2020_national_day_and_mid_autumn_week():
    # 1–8 October 2020 off; Sunday 27 September and Saturday 10 October are make-up working days.
    assert is_working_day(dt.date(2020, 9, 27)) and is_working_day(dt.date(2020, 10, 10))
    assert not any(is_working_day(dt.date(2020, 10, d)) for d in range(1, 9))
    assert add_working_days(dt.date(2020, 9, 30), 1).date == dt.date(2020, 10, 9)
    assert add_working_days(dt.date(2020, 9, 30), 2).date == dt.date(2020, 10, 10)
    # After Friday 25 September: 27 (make-up Sunday), 28, 29, 30 September, 9, 10 (make-up), 12 October.
    assert working_days_between(dt.date(2020, 9, 25), dt.date(2020, 10, 12)) == 7


def test_spring_festival_2026():
    # 15–23 February 2026 off; Saturdays 14 and 28 February are make-up working days.
    assert is_working_day(dt.date(2026, 2, 14)) and is_working_day(dt.date(2026, 2, 28))
    assert not is_working_day(dt.date(2026, 2, 16))
    # After Friday 13 February: 14 (make-up Saturday), then 24 and 25 February.
    deadline = add_working_days(dt.date(2026, 2, 13), 3)
    assert deadline.date == dt.date(2026, 2, 25) and not deadline.provisional


def test_deadline_across_the_year_end_into_2027_is_provisional():
    # 31 December 2026 (Thursday) is a working day; the library stops at 2026, so 2027 falls back
    # to Monday–Friday: 1 January (Friday, New Year's Day, unknown) and 4 January (Monday).
    deadline = add_working_days(dt.date(2026, 12, 30), 3)
    assert deadline.date == dt.date(2027, 1, 4)
    assert deadline.provisional
    assert provisional_years([2026, 2027]) == [2027]


def test_office_override_wins_and_ends_the_guess():
    WorkingDayOverride.objects.create(date=dt.date(2027, 1, 1), is_working=False, note="元旦")
    deadline = add_working_days(dt.date(2026, 12, 30), 3)  # 31 Dec, 4 Jan, 5 Jan
    assert deadline.date == dt.date(2027, 1, 5) and not deadline.provisional
    assert provisional_years([2027]) == []
    WorkingDayOverride.objects.create(date=dt.date(2026, 10, 1), is_working=True, note="更正")
    assert is_working_day(dt.date(2026, 10, 1))


def test_zero_days_moves_to_the_next_working_day_and_negative_is_refused():
    assert add_working_days(dt.date(2020, 10, 1), 0).date == dt.date(2020, 10, 9)
    assert add_working_days(dt.date(2020, 10, 9), 0).date == dt.date(2020, 10, 9)
    with pytest.raises(ValueError, match="负数"):
        add_working_days(dt.date(2020, 10, 9), -1)


def test_between_is_antisymmetric():
    a, b = dt.date(2020, 9, 25), dt.date(2020, 10, 12)
    assert working_days_between(b, a) == -working_days_between(a, b)
    assert working_days_between(a, a) == 0


def test_fifth_working_day_of_the_month():
    assert nth_working_day_of_month(2020, 10, 5).date == dt.date(2020, 10, 14)  # 9,10,12,13,14
    assert nth_working_day_of_month(2026, 3, 5).date == dt.date(2026, 3, 6)
