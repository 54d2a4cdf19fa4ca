"""Working days (工作日) on the Chinese statutory calendar — the one calendar every deadline uses.

Sources, in order: the office's override table (``WorkingDayOverride``) → the
``chinese-calendar`` package (statutory holidays and 调休 make-up working days) → for a year
neither knows, Monday to Friday, marked *provisional* so that pages can say so.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar

from tasks.models import WorkingDayOverride

# How far one lookup may run before we assume a wrong input (about 10 years of working days).
_MAX_SPAN = 2500


@lru_cache(maxsize=64)
def library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(datetime.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def statutory_workday(date: datetime.date) -> bool:
    """The library's answer for a year it knows, remembered: it takes ~60 µs a day, and counting
    the working days of a deadline or of months of history asks for thousands of days."""
    return chinese_calendar.is_workday(date)


@dataclass(frozen=True)
class Day:
    date: datetime.date
    is_working: bool
    provisional: bool  # neither the office nor the library knows this year: Monday–Friday


class WorkingCalendar:
    """Answers for a span of dates with one query for the overrides of that span."""

    def __init__(self, start: datetime.date, end: datetime.date, *, overrides: dict | None = None):
        """``overrides``: the office's rows of the span when the caller already knows them (no
        query then; the provisional flag is not worked out — for counting days only)."""
        self.start, self.end = min(start, end), max(start, end)
        if overrides is not None:
            self._overrides, self._entered_years = overrides, set()
            return
        rows = WorkingDayOverride.objects.filter(date__range=(self.start, self.end))
        self._overrides = dict(rows.values_list("date", "is_working"))
        unknown = [y for y in range(self.start.year, self.end.year + 1) if not library_knows(y)]
        # A year the office has entered holidays for is no longer a guess.
        self._entered_years = {
            d.year for d in WorkingDayOverride.objects.filter(date__year__in=unknown).dates("date", "year")
        } if unknown else set()

    def day(self, date: datetime.date) -> Day:
        if not self.start <= date <= self.end:
            raise ValueError(f"{date} 不在日历范围 {self.start}—{self.end} 内")
        if date in self._overrides:
            return Day(date, self._overrides[date], provisional=False)
        if library_knows(date.year):
            return Day(date, statutory_workday(date), provisional=False)
        return Day(date, date.weekday() < 5, provisional=date.year not in self._entered_years)

    def days(self, start: datetime.date, end: datetime.date) -> Iterable[Day]:
        current = start
        while current <= end:
            yield self.day(current)
            current += datetime.timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    date: datetime.date
    provisional: bool  # some day counted was a Monday–Friday guess


def is_working_day(date: datetime.date) -> bool:
    return WorkingCalendar(date, date).day(date).is_working


def add_working_days(start: datetime.date, count: int) -> Deadline:
    """The date ``count`` working days after ``start`` (``start`` itself not counted).

    ``count=0`` gives ``start`` if it is a working day, else the next working day.
    """
    if count < 0:
        raise ValueError("工作日数不能为负数")
    calendar = WorkingCalendar(start, start + datetime.timedelta(days=2 * count + 60))
    provisional, current, remaining = False, start, count
    day = calendar.day(current)
    if count == 0:
        while not day.is_working:
            provisional |= day.provisional
            current += datetime.timedelta(days=1)
            day = calendar.day(current)
        return Deadline(current, provisional | day.provisional)
    for _ in range(_MAX_SPAN):
        current += datetime.timedelta(days=1)
        day = calendar.day(current)
        provisional |= day.provisional
        remaining -= day.is_working
        if remaining == 0:
            return Deadline(current, provisional)
    raise ValueError("工作日数过大")


def working_days_between(start: datetime.date, end: datetime.date, *, overrides: dict | None = None) -> int:
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is earlier.

    ``overrides`` as for WorkingCalendar: pass ``{}`` when the span is known to have none.
    """
    if end < start:
        return -working_days_between(end, start, overrides=overrides)
    calendar = WorkingCalendar(start, end, overrides=overrides)
    return sum(day.is_working for day in calendar.days(start + datetime.timedelta(days=1), end))


def nth_working_day_of_month(year: int, month: int, n: int) -> Deadline:
    """The n-th working day of a month: the default due date of a monthly report is the 5th."""
    first = datetime.date(year, month, 1)
    return add_working_days(first - datetime.timedelta(days=1), n)


def provisional_years(years: Iterable[int]) -> list[int]:
    """Years among ``years`` for which neither the office nor the library has holidays.

    A year counts as entered by the office as soon as it has at least one override row.
    """
    unknown = [year for year in years if not library_knows(year)]
    entered = set(
        WorkingDayOverride.objects.filter(date__year__in=unknown).values_list("date__year", flat=True)
    )
    return [year for year in unknown if year not in entered]
