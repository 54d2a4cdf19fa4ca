"""Storing the dashboards' month summary (``Standing``): the cache of the one as-of state.

- A month that is over is stored once, as of its moment (its last instant; for a plan's last month,
  the plan's final moment), and is final: what happens later cannot change how the month ended.
- The running month is stored as of the refresh, and again whenever it is no longer current
  (``reports.selectors.standings.stored_is_current``: something recorded since, or another day).
- The refresh job runs every few minutes and stores exactly what is missing or no longer
  current; until it has, the dashboards compute the month from the history in memory and show
  the same figures. Nothing here runs inside a report's transaction, and a GET never writes.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from reports.models import IndicatorStanding, Standing, StandingMonth
from reports.selectors.standings import stored_is_current
from tasks.models import ActionPlan
from tasks.selectors.state import YearMonth, month_moment, standings_compute


def plan_months(*, plan: ActionPlan, now: datetime.datetime | None = None) -> list[YearMonth]:
    """The months a dashboard of the plan can be shown for: the months it owes, up to the current
    one (an ended plan's last is its final month)."""
    today = timezone.localdate(now or timezone.now())
    return [ym for ym in plan.months if ym <= (today.year, today.month)]


@transaction.atomic
def standings_month_store(*, plan: ActionPlan, year: int, month: int, now: datetime.datetime | None = None) -> StandingMonth:
    """Compute the plan's month from history and replace its stored rows.

    The month's row is locked first, so two refreshes of the same month run one after the other
    and the last one's rows are the ones kept."""
    now = now or timezone.now()
    end = month_moment(plan, year, month)
    final = end < now
    at = end if final else now
    standing_month, _ = StandingMonth.objects.select_for_update().get_or_create(
        plan=plan, year=year, month=month, defaults={"as_of": at, "computed_at": now, "is_final": final},
    )
    rows, indicators = standings_compute(plan=plan, at=at)
    Standing.objects.filter(plan=plan, year=year, month=month).delete()
    IndicatorStanding.objects.filter(plan=plan, year=year, month=month).delete()
    Standing.objects.bulk_create(Standing(plan=plan, year=year, month=month, **vars(row)) for row in rows)
    IndicatorStanding.objects.bulk_create(
        IndicatorStanding(plan=plan, year=year, month=month, **vars(row)) for row in indicators
    )
    standing_month.as_of, standing_month.is_final, standing_month.computed_at = at, final, now
    standing_month.save(update_fields=["as_of", "is_final", "computed_at"])
    return standing_month


def standings_rebuild(*, plan: ActionPlan, now: datetime.datetime | None = None) -> int:
    """Recompute every month of the plan from history (after bulk loads, or to check). Returns the
    number of months."""
    months = plan_months(plan=plan, now=now)
    for year, month in months:
        standings_month_store(plan=plan, year=year, month=month, now=now)
    return len(months)


def standings_refresh(*, now: datetime.datetime | None = None) -> int:
    """Every few minutes: store each plan's months that are missing or no longer current (the
    running month after a change or on a new day, a month that has just ended). Returns the
    number of months stored; 1–2 queries per plan when nothing changed."""
    now = now or timezone.now()
    computed = 0
    for plan in ActionPlan.objects.defer("source_text", "preamble", "closing_text"):
        stored = {(m.year, m.month): m for m in StandingMonth.objects.filter(plan=plan)}
        for year, month in plan_months(plan=plan, now=now):
            found = stored.get((year, month))
            if found is None or not stored_is_current(plan=plan, stored=found, now=now):
                standings_month_store(plan=plan, year=year, month=month, now=now)
                computed += 1
    return computed
