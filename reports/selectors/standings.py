"""Reading the dashboards' month summary (``Standing``, ``IndicatorStanding``): a cache of the one
as-of state (``tasks.selectors.state.plan_state``) that answers exactly what its source would.

A stored month is used when it is current: a final month whose moment is still the month's
moment (moving a plan's end changes its last month's), or the running month computed today with
nothing recorded since (reports, actuals, tasks, assignments, the plan, periods, the calendar).
Otherwise — missing or stale — the month is computed from the history in memory, and the same
figures are shown; nothing is written here (a GET never writes). The refresh job
(``reports.services.standings.standings_refresh``, every few minutes) stores what is stale.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Avg, Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from reports.models import IndicatorStanding, Standing, StandingMonth
from tasks.models import (
    ActionPlan,
    ReportingPeriod,
    Task,
    Unit,
    User,
)
from tasks.selectors.state import (
    PlanState,
    YearMonth,
    month_at,
    month_moment,
    plan_changed_since,
    plan_expected,
    plan_state,
)


@dataclass
class MonthSummary:
    """One month of one plan as a dashboard shows it: stored, or computed now (``computed``)."""

    plan: ActionPlan
    year: int
    month: int
    as_of: datetime.datetime
    is_final: bool
    computed: PlanState | None = None
    # Earlier months of the plan that had to be computed (missing or stale), by (year, month).
    earlier: dict[YearMonth, PlanState] = field(default_factory=dict)
    # The rows read for each user, kept for the page's other figures (序时进度).
    read: dict[int, list[Standing]] = field(default_factory=dict)
    # The stored months of the plan up to this one, by (year, month).
    stored: dict[YearMonth, StandingMonth] = field(default_factory=dict)
    indicators: dict[int, IndicatorStanding] | None = None  # once read

    def expected(self, *, user: User) -> int:
        """序时进度 at the summary's moment, as its rows have it (no query once they were read)."""
        rows = self.read.get(user.pk) or summary_standings(summary=self, user=user)
        return rows[0].expected if rows else plan_expected(plan=self.plan, at=self.as_of)


def summary_month(*, plan: ActionPlan, year: int, month: int, now: datetime.datetime | None = None) -> MonthSummary:
    """The month's summary: the stored one when it is current (1 query — the stored months up to
    it, which the trend reads too — 2 for the running month), else computed from the history."""
    now = now or timezone.now()
    months = {(m.year, m.month): m for m in StandingMonth.objects.filter(
        Q(year__lt=year) | Q(year=year, month__lte=month), plan=plan)}
    stored = months.get((year, month))
    if stored is not None and stored_is_current(plan=plan, stored=stored, now=now):
        return MonthSummary(plan, year, month, stored.as_of, stored.is_final, stored=months)
    at = month_at(plan, year, month, now=now)
    return MonthSummary(plan, year, month, at, month_moment(plan, year, month) < now, plan_state(plan=plan, at=at),
                        stored=months)


def stored_is_current(*, plan: ActionPlan, stored: StandingMonth, now: datetime.datetime) -> bool:
    """Whether the stored month answers what a computation now would."""
    moment = month_moment(plan, stored.year, stored.month)
    if stored.is_final:
        return stored.as_of == moment and moment < now
    if moment < now:
        return False  # the month has ended since: its final figures are still to be taken
    if timezone.localdate(stored.computed_at) != timezone.localdate(now):
        return False  # lights and 序时进度 move with the day
    return not changed_since(plan=plan, since=stored.computed_at, until=now)


# A change is stamped when it is made and seen by others when its transaction commits: a refresh
# that began in between did not see it, though it is older. Changes this close before a refresh
# still count as after it (longer than any request's transaction).
COMMIT_MARGIN = datetime.timedelta(minutes=5)


def changed_since(*, plan: ActionPlan, since: datetime.datetime, until: datetime.datetime) -> bool:
    """Whether anything the plan's state is computed from was recorded between ``since`` (or so
    shortly before it that the computation may not have seen it) and ``until`` (1 query)."""
    return plan_changed_since(plan=plan, since=since - COMMIT_MARGIN, until=until)


# --- what the dashboards read of a summary ------------------------------------------------------


def summary_standings(*, summary: MonthSummary, user: User) -> list[Standing]:
    """The month's rows the user sees (a unit: its own and its offices'), with task (and group)
    and unit loaded, in task order (1 query stored; 3 computed; none the second time)."""
    if user.pk not in summary.read:
        summary.read[user.pk] = _standings_read(summary, user)
    return summary.read[user.pk]


def _standings_read(summary: MonthSummary, user: User) -> list[Standing]:
    if summary.computed is None:
        rows = Standing.objects.filter(plan=summary.plan, year=summary.year, month=summary.month)
        if not user.sees_everything:
            rows = rows.filter(unit_id__in=user.scope_units())
        return list(rows.select_related("task__group", "unit").order_by("task__sort_order", "task_id", "unit_id"))
    scope = None if user.sees_everything else set(user.scope_unit_ids())
    found = [row for row in summary.computed.rows if scope is None or row.unit_id in scope]
    tasks = Task.objects.select_related("group").in_bulk({row.task_id for row in found})
    units = Unit.objects.in_bulk({row.unit_id for row in found})
    standings = []
    for row in found:
        standing = Standing(plan=summary.plan, year=summary.year, month=summary.month, **vars(row))
        standing.task, standing.unit = tasks[row.task_id], units[row.unit_id]
        standings.append(standing)
    standings.sort(key=lambda s: (s.task.sort_order, s.task_id, s.unit_id))
    return standings


def summary_indicators(*, summary: MonthSummary) -> dict[int, IndicatorStanding]:
    """Indicator id → its row for the month, with the period of its actual loaded (1 query; none
    the second time)."""
    if summary.indicators is None:
        summary.indicators = _indicators_read(summary)
    return summary.indicators


def _indicators_read(summary: MonthSummary) -> dict[int, IndicatorStanding]:
    if summary.computed is None:
        rows = IndicatorStanding.objects.filter(plan=summary.plan, year=summary.year, month=summary.month)
        return {row.indicator_id: row for row in rows.select_related("actual_period")}
    periods = ReportingPeriod.objects.in_bulk({r.actual_period_id for r in summary.computed.indicators} - {None})
    found = {}
    for row in summary.computed.indicators:
        standing = IndicatorStanding(plan=summary.plan, year=summary.year, month=summary.month, **vars(row))
        standing.actual_period = periods.get(row.actual_period_id)
        found[row.indicator_id] = standing
    return found


@dataclass(frozen=True)
class SeriesPoint:
    year: int
    month: int
    progress: float  # average completion over the lead units the user sees, percent
    expected: int


def summary_series(*, summary: MonthSummary, user: User) -> list[SeriesPoint]:
    """Average completion and 序时进度 at the end of each month of the plan up to the summary's
    (2 queries when every earlier month is stored and current, plus its rows if computed)."""
    fresh, stale = _earlier_months(summary)
    rows = Standing.objects.filter(_months_q(fresh), plan=summary.plan)
    if not user.sees_everything:
        rows = rows.filter(unit_id__in=user.scope_units())
    points = {
        (r["year"], r["month"]): SeriesPoint(r["year"], r["month"], round(float(r["progress"]), 1), r["expected"])
        for r in rows.values("year", "month").annotate(progress=Avg(Coalesce("progress", 0)), expected=Max("expected"))
    } if fresh else {}
    for key, state in [*stale.items(), ((summary.year, summary.month), None)]:
        standings = (summary_standings(summary=summary, user=user) if state is None
                     else [r for r in state.rows if user.sees_everything or r.unit_id in user.scope_unit_ids()])
        if standings:
            progress = round(sum(r.progress or 0 for r in standings) / len(standings), 1)
            points[key] = SeriesPoint(*key, progress, max(r.expected for r in standings))
    return [points[key] for key in sorted(points)]


def summary_indicator_trend(*, summary: MonthSummary) -> list[tuple[int, int, int, float]]:
    """(indicator id, year, month, actual) of every month up to the summary's with an actual, oldest
    first (1 query when every earlier month is stored and current)."""
    fresh, stale = _earlier_months(summary)
    found = []
    if fresh:
        found += list(IndicatorStanding.objects.filter(_months_q(fresh), plan=summary.plan, actual__isnull=False)
                      .values_list("indicator_id", "year", "month", "actual"))
    for (year, month), state in stale.items():
        found += [(r.indicator_id, year, month, r.actual) for r in state.indicators if r.actual is not None]
    found += [(r.indicator_id, summary.year, summary.month, r.actual)
              for r in summary_indicators(summary=summary).values() if r.actual is not None]
    return sorted(found, key=lambda row: (row[1], row[2]))


def _earlier_months(summary: MonthSummary) -> tuple[list[YearMonth], dict[YearMonth, PlanState]]:
    """The plan's months before the summary's: those stored and final at their moment, and the
    others computed now (kept on the summary, so that the series and the trend compute them
    once)."""
    wanted = [ym for ym in summary.plan.months if ym < (summary.year, summary.month)]
    stored = summary.stored
    fresh = [ym for ym in wanted if ym in stored and stored[ym].is_final
             and stored[ym].as_of == month_moment(summary.plan, *ym)]
    for ym in wanted:
        if ym not in fresh and ym not in summary.earlier:
            summary.earlier[ym] = plan_state(plan=summary.plan, at=month_moment(summary.plan, *ym))
    return fresh, summary.earlier


def _months_q(months: list[YearMonth]) -> Q:
    """Rows of the given months (by year, then the months of each year)."""
    by_year: dict[int, list[int]] = {}
    for year, month in months:
        by_year.setdefault(year, []).append(month)
    return reduce(or_, [Q(year=year, month__in=ms) for year, ms in by_year.items()], Q(pk__in=[]))
