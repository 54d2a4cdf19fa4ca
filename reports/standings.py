"""The plan as it stood at a moment, computed from the recorded history (月末状态).

``standings_compute(plan=…, at=…)`` reads the history rows django-simple-history keeps for every
progress report, indicator actual, task and task assignment, and the review record, as they were
at ``at`` — never today's rows — and derives for each lead unit on each task: its progress, the time-elapsed
expected progress (序时进度), its traffic light and reason, the status of the report that last
fell due, how many reports fell due and how many came on time, late or not at all, how many
were returned; and for each indicator its latest actual and whether the target is met.

This is the one definition of those figures. The summary tables (``reports.models.Standing``)
store its result per month, the services keep the current month up to date as reports change,
and tests prove the stored rows equal a fresh computation. Eight queries whatever the history
(seven for the month still running).

The division of tasks (which units lead which tasks in force) is read as it stood at ``at``. A
plan is often loaded once it has started, and history is then entered for the months before: for
an ``at`` before the plan's import, the division is taken as first imported — as it stood before
the plan's next recorded change (each re-import records one), or as it is now if there was none.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from tasks.choices import AssignmentRole, Comparator, ReviewAction
from tasks.lights import DueReport, expected_progress, unit_light
from tasks.models import (
    ActionPlan,
    Indicator,
    IndicatorActual,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    TaskAssignment,
    WorkingDayOverride,
)
from tasks.workdays import working_days_between

YearMonth = tuple[int, int]


class Attainment:
    """达成情况 of an indicator, with the labels and badges the pages show."""

    MET = "met"
    AT_RISK = "at_risk"
    MISSED = "missed"
    NO_DATA = "no_data"
    LABELS = {MET: "已达成", AT_RISK: "有风险", MISSED: "未达成", NO_DATA: "暂无数据"}
    BADGES = {MET: "badge-green", AT_RISK: "badge-yellow", MISSED: "badge-red", NO_DATA: "badge-muted"}


@dataclass(frozen=True)
class StandingRow:
    """One lead unit on one task at ``at``: the fields of ``reports.models.Standing``."""

    task_id: int
    unit_id: int
    progress: int | None
    expected: int
    light: str
    light_reason: str
    last_period_id: int | None
    last_status: str
    days_overdue: int
    reports_due: int
    reports_on_time: int
    reports_late: int
    reports_missing: int
    returns: int


@dataclass(frozen=True)
class IndicatorRow:
    """An indicator at ``at``: the fields of ``reports.models.IndicatorStanding``."""

    indicator_id: int
    actual: Decimal | None
    actual_period_id: int | None
    attainment: str


@dataclass(frozen=True)
class _Snapshot:
    """A progress report as its history row stood at ``at``."""

    report_id: int
    task_id: int
    unit_id: int
    period_id: int
    status: str
    submitted: bool
    is_late: bool
    progress: int | None


def month_end(year: int, month: int) -> datetime.datetime:
    """The last instant of a month in Xixian time."""
    first_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    return timezone.make_aware(datetime.datetime.combine(first_next, datetime.time.min)) - datetime.timedelta(
        microseconds=1,
    )


def standings_compute(*, plan: ActionPlan, at: datetime.datetime) -> tuple[list[StandingRow], list[IndicatorRow]]:
    """Every lead unit on every active task of the plan, and every indicator of the plan, as the
    history records them at ``at``."""
    day = timezone.localdate(at)
    assignments = _lead_pairs(plan, _division_moment(plan, at))
    task_ids = sorted({task_id for task_id, _ in assignments})
    periods = list(ReportingPeriod.objects.filter(year__in=plan.years).order_by("year", "month"))
    snapshots = _report_snapshots(task_ids=task_ids, period_ids=[p.pk for p in periods], at=at)
    returns = _returns(task_ids=task_ids, at=at)
    overrides = _overrides(periods, day)
    context = _Context(plan=plan, day=day, periods=periods, snapshots=snapshots, overrides=overrides)
    rows = [context.standing(task_id, unit_id, returns[(task_id, unit_id)]) for task_id, unit_id in assignments]
    indicators = _indicator_rows(plan=plan, at=at, day=day, context=context)
    return rows, indicators


def _division_moment(plan: ActionPlan, at: datetime.datetime) -> datetime.datetime | None:
    """The moment whose division of tasks counts at ``at`` (None: as it is now): ``at`` once the
    plan had been imported; before that, the moment before the plan's next recorded change."""
    if at >= timezone.now():
        return None  # the month still running: today's rows are its division
    recorded = list(plan.history.order_by("history_date", "history_id").values_list("history_date", flat=True)[:2])
    if not recorded:
        return None  # a plan written without history: only today's rows know its division
    if at >= recorded[0]:
        return at
    return recorded[1] - datetime.timedelta(microseconds=1) if len(recorded) > 1 else None


def _lead_pairs(plan: ActionPlan, moment: datetime.datetime | None) -> list[tuple[int, int]]:
    """(task, lead unit) of every task in force at ``moment``, each task and assignment as its
    latest history row then (None: today's rows)."""
    if moment is None:
        rows = TaskAssignment.objects.filter(task__plan=plan, task__is_active=True)
    else:
        tasks = _as_of(Task.history.model, moment).filter(plan_id=plan.pk, is_active=True)
        rows = _as_of(TaskAssignment.history.model, moment).filter(task_id__in=tasks.values("id"))
    return sorted(set(rows.filter(role=AssignmentRole.LEAD).values_list("task_id", "unit_id")))


def _as_of(history, moment: datetime.datetime):
    """The rows of a history table current at ``moment``: each record's latest row by then,
    deleted records left out."""
    latest = history.objects.filter(id=OuterRef("id"), history_date__lte=moment).order_by("-history_date", "-history_id")
    return history.objects.filter(history_date__lte=moment, history_id=Subquery(latest.values("history_id")[:1])).exclude(
        history_type="-",
    )


def _report_snapshots(*, task_ids: list[int], period_ids: list[int], at: datetime.datetime) -> dict:
    """(task, unit) → period id → the report's history row current at ``at`` (deleted ones left
    out)."""
    rows = _as_of(ProgressReport.history.model, at).filter(task_id__in=task_ids, period_id__in=period_ids).values_list(
        "id", "task_id", "unit_id", "period_id", "status", "submitted_at", "is_late", "progress",
    )
    by_pair: dict[tuple[int, int], dict[int, _Snapshot]] = {}
    for pk, task_id, unit_id, period_id, status, submitted_at, is_late, progress in rows:
        snap = _Snapshot(pk, task_id, unit_id, period_id, status, submitted_at is not None, is_late, progress)
        by_pair.setdefault((task_id, unit_id), {})[period_id] = snap
    return by_pair


def _returns(*, task_ids: list[int], at: datetime.datetime) -> Counter:
    """(task, unit) → how many times the office returned its reports up to ``at``."""
    rows = ReviewEvent.objects.filter(
        report__task_id__in=task_ids, action=ReviewAction.RETURN, at__lte=at,
    ).values_list("report__task_id", "report__unit_id").annotate(n=Count("id"))
    return Counter({(task_id, unit_id): n for task_id, unit_id, n in rows})


def _overrides(periods: list[ReportingPeriod], day: datetime.date) -> dict:
    """The office's calendar entries over every span counted here, read once."""
    if not periods:
        return {}
    start, end = min(periods[0].due_date, day), max(periods[-1].due_date, day)
    return dict(WorkingDayOverride.objects.filter(date__range=(start, end)).values_list("date", "is_working"))


@dataclass
class _Context:
    plan: ActionPlan
    day: datetime.date
    periods: list[ReportingPeriod]
    snapshots: dict
    overrides: dict

    def __post_init__(self) -> None:
        self.spans: dict[tuple[datetime.date, datetime.date], int] = {}
        self.order = {p.pk: i for i, p in enumerate(self.periods)}
        self.expected = expected_progress(start_year=self.plan.start_year, end_year=self.plan.end_year, today=self.day)
        fell_due = [p for p in self.periods if p.due_date < self.day]
        self.due_periods = fell_due
        self.last_due = fell_due[-1] if fell_due else None
        self.next_due = next(
            (p for p in self.periods
             if p.due_date >= self.day and (p.year, p.month) <= (self.day.year, self.day.month)), None,
        )

    def standing(self, task_id: int, unit_id: int, returns: int) -> StandingRow:
        mine = self.snapshots.get((task_id, unit_id), {})
        submitted = [snap for snap in mine.values() if snap.submitted]
        progress = max(submitted, key=lambda s: self.order[s.period_id]).progress if submitted else None
        last = mine.get(self.last_due.pk) if self.last_due else None
        light = unit_light(
            today=self.day, expected=self.expected, progress=progress,
            last_due=self._due(self.last_due, last),
            next_due=self._due(self.next_due, mine.get(self.next_due.pk) if self.next_due else None),
        )
        counts = Counter(self._fate(mine.get(p.pk)) for p in self.due_periods)
        missing_last = self.last_due is not None and not (last and last.submitted)
        return StandingRow(
            task_id=task_id, unit_id=unit_id, progress=progress, expected=self.expected,
            light=light.light.value, light_reason=light.reason[:200],
            last_period_id=self.last_due.pk if self.last_due else None,
            last_status=last.status if last else "",
            days_overdue=self._working_days(self.last_due.due_date, self.day) if missing_last else 0,
            reports_due=len(self.due_periods), reports_on_time=counts["on_time"],
            reports_late=counts["late"], reports_missing=counts["missing"], returns=returns,
        )

    def _due(self, period: ReportingPeriod | None, snap: _Snapshot | None) -> DueReport | None:
        if period is None:
            return None
        days_left = self._working_days(self.day, period.due_date)
        return DueReport(period.label, period.due_date, bool(snap and snap.submitted), days_left)

    def _working_days(self, start: datetime.date, end: datetime.date) -> int:
        """Counted once per span: every unit shares the same few due dates."""
        key = (start, end)
        if key not in self.spans:
            self.spans[key] = working_days_between(start, end, overrides=self.overrides)
        return self.spans[key]

    @staticmethod
    def _fate(snap: _Snapshot | None) -> str:
        if snap is None or not snap.submitted:
            return "missing"
        return "late" if snap.is_late else "on_time"


# --- indicators ----------------------------------------------------------------------------------


def _indicator_rows(*, plan: ActionPlan, at: datetime.datetime, day: datetime.date, context: _Context) -> list[IndicatorRow]:
    """Each indicator's actual from the latest submitted report (of the indicator's year, when it
    has one) that gave one."""
    indicators = list(Indicator.objects.filter(plan=plan).order_by("sort_order", "id"))
    periods = {p.pk: p for p in context.periods}
    actuals = _actual_snapshots(indicator_ids=[i.pk for i in indicators], at=at)
    submitted_reports = {
        snap.report_id: snap.period_id
        for mine in context.snapshots.values() for snap in mine.values() if snap.submitted
    }
    years = {i.pk: i.year for i in indicators}
    best: dict[int, tuple[ReportingPeriod, Decimal]] = {}
    for indicator_id, report_id, value in actuals:
        period = periods.get(submitted_reports.get(report_id))
        if period is None or years[indicator_id] not in (None, period.year):
            continue
        current = best.get(indicator_id)
        if current is None or (period.year, period.month) > (current[0].year, current[0].month):
            best[indicator_id] = (period, value)
    rows = []
    for indicator in indicators:
        period, value = best.get(indicator.pk, (None, None))
        rows.append(IndicatorRow(
            indicator_id=indicator.pk, actual=value, actual_period_id=period.pk if period else None,
            attainment=attainment(indicator, value, day=day, plan=plan),
        ))
    return rows


def _actual_snapshots(*, indicator_ids: list[int], at: datetime.datetime) -> list[tuple[int, int, Decimal]]:
    rows = _as_of(IndicatorActual.history.model, at).filter(indicator_id__in=indicator_ids)
    return list(rows.values_list("indicator_id", "report_id", "value"))


def attainment(indicator: Indicator, actual: Decimal | None, *, day: datetime.date, plan: ActionPlan) -> str:
    """Met when the actual satisfies the target; missed when the target's year is over and it
    does not; at risk while there is still time."""
    if actual is None:
        return Attainment.NO_DATA
    if target_met(indicator, actual):
        return Attainment.MET
    last_day = datetime.date(indicator.year or plan.end_year, 12, 31)
    return Attainment.MISSED if day > last_day else Attainment.AT_RISK


def target_met(indicator: Indicator, actual: Decimal) -> bool:
    target = indicator.target_value
    return {
        Comparator.LE: actual <= target,
        Comparator.GE: actual >= target,
        Comparator.EQ: actual == target,
        Comparator.RANGE: indicator.target_max is not None and target <= actual <= indicator.target_max,
    }[Comparator(indicator.comparator)]
