"""Keeping the dashboards' month summary (``Standing``) equal to the history.

- A past month is computed once as of its last instant (``is_final``) and never changes: what
  happens later cannot change how the month ended.
- The current month is computed as of now, again whenever a progress report changes (the
  services of ``tasks`` call ``standings_refresh_report`` inside their transaction, through
  ``settings.PROGRESS_REPORT_OBSERVERS``) and every hour by a job (lights move with the calendar
  even when nobody writes).
- A month nobody has computed yet is computed when first asked for.

Each computation is ``tasks.selectors.state.plan_state`` for the whole plan: a handful of
queries over that plan's rows, whatever the number of other plans and years.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from reports.models import IndicatorStanding, Standing, StandingMonth
from tasks.models import ActionPlan, ProgressReport
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


def standings_month_ensure(*, plan: ActionPlan, year: int, month: int, now: datetime.datetime | None = None) -> StandingMonth:
    """The month's summary, and that of every month of the plan before it (a trend reads them
    all): computed now if missing or if the month has ended since it was last computed; a live
    current month is taken as it is (kept fresh by reports and the job). One query when all
    are there."""
    now = now or timezone.now()
    wanted = [ym for ym in plan_months(plan=plan, now=now) if ym <= (year, month)] or [(year, month)]
    known = {(m.year, m.month): m for m in StandingMonth.objects.filter(plan=plan).filter(
        Q(year__lt=year) | Q(year=year, month__lte=month))}
    for key in wanted:
        found = known.get(key)
        if found is None or not (found.is_final or month_moment(plan, *key) >= now):
            known[key] = standings_month_store(plan=plan, year=key[0], month=key[1], now=now)
    return known[(year, month)]


def standings_rebuild(*, plan: ActionPlan, now: datetime.datetime | None = None) -> int:
    """Recompute every month of the plan from history (after bulk loads, or to check). Returns the
    number of months."""
    months = plan_months(plan=plan, now=now)
    for year, month in months:
        standings_month_store(plan=plan, year=year, month=month, now=now)
    return len(months)


def standings_refresh(*, now: datetime.datetime | None = None) -> int:
    """Hourly: each plan's current month as of now, and any ended month not yet final. Returns
    the number of months computed."""
    now = now or timezone.now()
    computed = 0
    for plan in ActionPlan.objects.defer("source_text", "preamble", "closing_text"):
        months = plan_months(plan=plan, now=now)
        if not months:
            continue
        final = set(StandingMonth.objects.filter(plan=plan, is_final=True).values_list("year", "month"))
        for year, month in months:
            if (year, month) not in final:  # the current month is never final
                standings_month_store(plan=plan, year=year, month=month, now=now)
                computed += 1
    return computed


def standings_refresh_report(*, report: ProgressReport) -> None:
    """A progress report changed (saved, submitted, reviewed, discarded): the current month of its
    plan is recomputed in the same transaction, so the dashboards never lag behind the reports."""
    plan = ActionPlan.objects.defer("source_text", "preamble", "closing_text").get(tasks__id=report.task_id)
    now = timezone.now()
    months = plan_months(plan=plan, now=now)
    if months:  # the last one is the current month
        standings_month_store(plan=plan, year=months[-1][0], month=months[-1][1], now=now)
