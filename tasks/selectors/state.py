"""The one as-of state: each task of a plan, and each lead unit on it, at a moment (任务状态).

``plan_state(plan=…, at=…)`` answers, for every lead unit on every task in force: its progress,
the time-elapsed expected progress (序时进度), its traffic light and the reason, the status of the
report that last fell due, the working days that report is overdue, how many reports fell due and
how many came on time, late or not at all, how many were returned; and for each indicator its
latest actual and whether the target is met. ``task_states`` gives the same per task (the worst
light of its lead units, their mean progress, the least advanced review status). No other code
computes a light: every page, ledger, report and API reads these, and the dashboards' month
summary (``reports.models.Standing``) is a cache of ``plan_state``.

Lifecycle. A plan owes the months that fall within its dates (``ActionPlan.months``); nothing
else falls due for it. Once it has ended its figures are those of its final moment (the day after
its last month's returns were due): ``at`` later than that is taken as that moment, overdue
working days stop counting there, and every reason says the plan has ended. Before its start
nothing is owed and no task has a light. 序时进度 uses the plan's dates as they were in force at
the moment, so a later extension never changes an earlier month.

History. A moment in the past reads the history rows django-simple-history keeps for every
progress report, indicator actual, task, task assignment and plan, and the review record, as they
were then — never today's rows; the present reads today's rows (the same thing, cheaper). The
division of tasks (which units lead which tasks in force) is read as it stood at the moment. A
plan is often loaded once it has started, and history is then entered for the months before: for
a moment before the plan's import, the division is taken as first imported — as it stood before
the plan's next recorded change (each re-import records one), or as it is now if there was none.

Queries: a fixed handful per plan whatever the history or the number of tasks — the calendar of
the plan's last due date, its history (a past moment only), its owed periods and the calendar
over them, then per batch of tasks their lead units, reports and returns, and for the whole
plan its indicators and their actuals.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.functional import cached_property

from tasks.choices import AssignmentRole, Light, ReviewAction, TaskStatus
from tasks.lights import DueReport, LightResult, expected_progress, unit_light, worst
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
    LIGHTS = {MET: Light.GREEN, AT_RISK: Light.YELLOW, MISSED: Light.RED}  # the ledgers' fills


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


def month_moment(plan: ActionPlan, year: int, month: int) -> datetime.datetime:
    """The moment whose figures are the plan's month once it is over: its last instant — for the
    plan's last month, the plan's final moment, when that month's returns have fallen due."""
    return plan.final_moment if plan.months and (year, month) == plan.months[-1] else month_end(year, month)


def month_at(plan: ActionPlan, year: int, month: int, *, now: datetime.datetime | None = None) -> datetime.datetime:
    """The moment a figure of the plan's month is as of: the month's moment once it is over, the
    present while it runs. The dashboards, the task API and the task ledger asked for a month
    read this."""
    return min(month_moment(plan, year, month), now or timezone.now())


@dataclass
class TaskState:
    """One task at a moment: its lead units' rows and what the task shows of them."""

    task_id: int
    units: list[StandingRow]

    @cached_property
    def light_result(self) -> LightResult:
        """The worst light of the lead units, with that unit's reason."""
        return worst([LightResult(Light(r.light), r.light_reason) for r in self.units])

    @property
    def light(self) -> str:
        return self.light_result.light.value

    @property
    def reason(self) -> str:
        return self.light_result.reason

    @property
    def progress(self) -> float:
        """The mean completion of the lead units, percent (a unit that reported nothing counts 0)."""
        return round(sum(r.progress or 0 for r in self.units) / len(self.units), 1)

    @property
    def expected(self) -> int:
        return self.units[0].expected

    @property
    def status(self) -> str:
        """审核状态: the least advanced of the lead units' last due reports."""
        return min((TaskStatus.of(r) for r in self.units), key=TaskStatus.ORDER.index)

    @property
    def days_overdue(self) -> int:
        return max(r.days_overdue for r in self.units)

    def unit(self, unit_id: int) -> StandingRow | None:
        return next((r for r in self.units if r.unit_id == unit_id), None)

    def of_units(self, unit_ids) -> TaskState | None:
        """The task as those lead units stand on it (a unit's own slice), None if none of them leads it."""
        wanted = set(unit_ids)
        rows = [r for r in self.units if r.unit_id in wanted]
        return TaskState(self.task_id, rows) if rows else None

    def unit_light(self, unit_id: int) -> LightResult | None:
        row = self.unit(unit_id)
        return LightResult(Light(row.light), row.light_reason) if row else None


@dataclass
class PlanState:
    plan: ActionPlan
    at: datetime.datetime  # the moment asked for
    moment: datetime.datetime  # the moment the figures are of (the final moment of an ended plan)
    rows: list[StandingRow]
    indicators: list[IndicatorRow]

    def tasks(self) -> dict[int, TaskState]:
        by_task: dict[int, list[StandingRow]] = {}
        for row in self.rows:
            by_task.setdefault(row.task_id, []).append(row)
        return {task_id: TaskState(task_id, rows) for task_id, rows in by_task.items()}


class PlanStateReader:
    """The plan's state at ``at`` (now by default), read for a few tasks at a time: what every
    task shares — the moment, the dates then in force, the owed periods, the calendar — is read
    once, when the reader is made (3 queries, 5 in the past); then 3 queries per call of ``rows``
    (the lead units in force, their reports, their returns), whatever the number of tasks. A
    ledger reads its tasks chunk by chunk with one reader."""

    def __init__(self, plan: ActionPlan, at: datetime.datetime | None = None):
        self.plan, self.at = plan, at or timezone.now()
        self.moment = plan.moment(self.at)
        now = timezone.now()
        self.live = self.moment >= now
        # Reports and actuals of a past moment after which none of them was recorded (an ended plan
        # at rest) are today's rows: they are the rows as they stood then, and far cheaper to read
        # than the history (1 query to know).
        self.current = self.live or not reports_changed_since(plan=plan, since=self.moment, until=now)
        day = timezone.localdate(self.moment)
        record = [] if self.live else _plan_record(plan)
        self.starts_on, self.ends_on = _dates_at(plan, record, self.moment)
        self.owes = day >= self.starts_on  # before its start a plan owes nothing
        self.division = None if self.live else _division_at(record, self.moment)
        periods = _owed_periods(self.starts_on, self.ends_on) if self.owes else []
        self.context = _Context(
            day=day, expected=expected_progress(start=self.starts_on, end=self.ends_on, today=day),
            periods=periods, overrides=_overrides(periods, day) if self.owes else {},
            ended_note=plan.ended_note if self.moment < self.at else "",
        )

    def rows(self, task_ids: list[int] | None = None) -> list[StandingRow]:
        """Each lead unit on each task in force (of ``task_ids`` only, if given)."""
        return self._read(task_ids)[0]

    def _read(self, task_ids: list[int] | None) -> tuple[list[StandingRow], dict]:
        """The rows, and the reports they were derived from ((task, unit) → period id → snapshot)."""
        if not self.owes:
            return [], {}
        assignments = _lead_pairs(self.plan, self.division, task_ids)
        pair_tasks = sorted({task_id for task_id, _ in assignments})
        snapshots = _report_snapshots(
            task_ids=pair_tasks, period_ids=[p.pk for p in self.context.periods], at=None if self.current else self.moment,
        )
        returns = _returns(task_ids=pair_tasks, at=self.moment)
        rows = [self.context.standing(task_id, unit_id, snapshots.get((task_id, unit_id), {}), returns[(task_id, unit_id)])
                for task_id, unit_id in assignments]
        return rows, snapshots

    def tasks(self, task_ids: list[int]) -> dict[int, TaskState]:
        return PlanState(self.plan, self.at, self.moment, self.rows(task_ids), []).tasks()

    def state(self) -> PlanState:
        """Every task, and every indicator (2 more queries)."""
        rows, snapshots = self._read(None)
        indicators = _indicator_rows(plan=self.plan, at=None if self.current else self.moment, ends_on=self.ends_on,
                                     context=self.context, snapshots=snapshots)
        return PlanState(self.plan, self.at, self.moment, rows, indicators)


def plan_expected(*, plan: ActionPlan, at: datetime.datetime) -> int:
    """序时进度 of the plan at ``at``, as every row of its state has it (1 query in the past)."""
    moment = plan.moment(at)
    record = [] if moment >= timezone.now() else _plan_record(plan)
    starts_on, ends_on = _dates_at(plan, record, moment)
    return expected_progress(start=starts_on, end=ends_on, today=timezone.localdate(moment))


PlanRecord = list[tuple[datetime.datetime, datetime.date, datetime.date]]


def _plan_record(plan: ActionPlan) -> PlanRecord:
    """The plan's history: (when, starts_on, ends_on) of each recorded change, oldest first (1
    query; a plan has a row per import, re-import and move of its end)."""
    return list(plan.history.order_by("history_date", "history_id").values_list("history_date", "starts_on", "ends_on"))


def _dates_at(plan: ActionPlan, record: PlanRecord, moment: datetime.datetime) -> tuple[datetime.date, datetime.date]:
    """(starts_on, ends_on) in force at ``moment``: a later extension or early close never changes
    an earlier month's 序时进度. Before the plan's import, the dates it was first imported with;
    without a record (the present), today's."""
    then = [row for row in record if row[0] <= moment] or record[:1]
    return then[-1][1:] if then else (plan.starts_on, plan.ends_on)


def _division_at(record: PlanRecord, moment: datetime.datetime) -> datetime.datetime | None:
    """The moment whose division of tasks counts at ``moment`` (None: as it is now): ``moment`` once
    the plan had been imported; before that, the moment before the plan's next recorded change
    (each re-import records one), or now if there was none."""
    if not record:
        return None  # a plan written without history: only today's rows know its division
    if moment >= record[0][0]:
        return moment
    return record[1][0] - datetime.timedelta(microseconds=1) if len(record) > 1 else None


def plan_state(*, plan: ActionPlan, at: datetime.datetime | None = None) -> PlanState:
    """Every lead unit on every task in force, and every indicator of the plan, at ``at`` (now by
    default), as the module docstring says (8 queries, 10 in the past)."""
    return PlanStateReader(plan, at).state()


def task_states(
    *, tasks: list[Task], at: datetime.datetime | None = None, month: YearMonth | None = None,
) -> dict[int, TaskState]:
    """The state of each task at ``at`` (now by default), or as of ``month`` of its plan
    (``month_at``), by task id; a task with no lead unit, or of a plan not started yet, has none.
    The tasks need ``task.plan`` loaded. Six queries per plan among the tasks (eight in the past)."""
    by_plan: dict[int, list[Task]] = {}
    for task in tasks:
        by_plan.setdefault(task.plan_id, []).append(task)
    found: dict[int, TaskState] = {}
    for plan_tasks in by_plan.values():
        plan = plan_tasks[0].plan
        moment = month_at(plan, *month) if month else at
        found.update(PlanStateReader(plan, moment).tasks([t.pk for t in plan_tasks]))
    return found


MONTH_FORMAT_ERROR = "月份格式应为“年-月”，例如 2022-06。"


def month_parse(value: str) -> YearMonth | None:
    """``YYYY-MM`` (``?month=``) as (year, month); None when empty; ValueError with the message
    for the user otherwise."""
    value = (value or "").strip()
    if not value:
        return None
    found = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValueError(MONTH_FORMAT_ERROR)
    return int(found.group(1)), int(found.group(2))


def standings_compute(*, plan: ActionPlan, at: datetime.datetime) -> tuple[list[StandingRow], list[IndicatorRow]]:
    """What the dashboards' month summary keeps: every row of ``plan_state``."""
    state = plan_state(plan=plan, at=at)
    return state.rows, state.indicators


def _owed_periods(starts_on: datetime.date, ends_on: datetime.date) -> list[ReportingPeriod]:
    """The opened periods of the months within the dates, oldest first (1 query)."""
    periods = ReportingPeriod.objects.filter(year__gte=starts_on.year, year__lte=ends_on.year).order_by("year", "month")
    first, last = (starts_on.year, starts_on.month), (ends_on.year, ends_on.month)
    return [p for p in periods if first <= (p.year, p.month) <= last]


def _lead_pairs(
    plan: ActionPlan, moment: datetime.datetime | None, task_ids: list[int] | None = None,
) -> list[tuple[int, int]]:
    """(task, lead unit) of every task in force at ``moment`` (of ``task_ids`` only, if given),
    each task and assignment as its latest history row then (None: today's rows)."""
    if moment is None:
        rows = TaskAssignment.objects.filter(task__plan=plan, task__is_active=True)
    else:
        tasks = history_as_of(Task.history.model, moment).filter(plan_id=plan.pk, is_active=True)
        rows = history_as_of(TaskAssignment.history.model, moment).filter(task_id__in=tasks.values("id"))
    if task_ids is not None:
        rows = rows.filter(task_id__in=task_ids)
    return sorted(set(rows.filter(role=AssignmentRole.LEAD).values_list("task_id", "unit_id")))


def _recorded(model, since: datetime.datetime, until: datetime.datetime):
    return model.history.model.objects.filter(history_date__gt=since, history_date__lte=until)


def reports_changed_since(*, plan: ActionPlan, since: datetime.datetime, until: datetime.datetime) -> bool:
    """Whether a report of the plan, or an actual, was recorded in (since, until] (1 query)."""
    return _any_recorded([_recorded(ProgressReport, since, until).filter(task__plan=plan),
                          _recorded(IndicatorActual, since, until).filter(report__task__plan=plan)])


def plan_changed_since(*, plan: ActionPlan, since: datetime.datetime, until: datetime.datetime) -> bool:
    """Whether anything the plan's state is computed from was recorded in (since, until]: its
    reports, their actuals, its tasks and their units, the plan itself, the periods, the calendar
    (1 query)."""
    return _any_recorded([
        _recorded(ProgressReport, since, until).filter(task__plan=plan),
        _recorded(IndicatorActual, since, until).filter(report__task__plan=plan),
        _recorded(Task, since, until).filter(plan=plan),
        _recorded(TaskAssignment, since, until).filter(task__plan=plan),
        _recorded(ActionPlan, since, until).filter(id=plan.pk),
        _recorded(ReportingPeriod, since, until),
        _recorded(WorkingDayOverride, since, until),
    ])


def _any_recorded(sources: list) -> bool:
    return ActionPlan.objects.filter(reduce(or_, [Q(Exists(source)) for source in sources])).exists()


def history_as_of(history, moment: datetime.datetime):
    """The rows of a history table current at ``moment``: each record's latest row by then,
    deleted records left out."""
    latest = history.objects.filter(id=OuterRef("id"), history_date__lte=moment).order_by("-history_date", "-history_id")
    return history.objects.filter(history_date__lte=moment, history_id=Subquery(latest.values("history_id")[:1])).exclude(
        history_type="-",
    )


def _report_snapshots(*, task_ids: list[int], period_ids: list[int], at: datetime.datetime | None) -> dict:
    """(task, unit) → period id → the report's history row current at ``at`` (deleted ones left
    out); at None (the present), the report itself."""
    reports = ProgressReport.objects if at is None else history_as_of(ProgressReport.history.model, at)
    rows = reports.filter(task_id__in=task_ids, period_id__in=period_ids).values_list(
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
    day: datetime.date
    expected: int
    periods: list[ReportingPeriod]
    overrides: dict
    ended_note: str  # said in every reason once the plan has ended

    def __post_init__(self) -> None:
        self.spans: dict[tuple[datetime.date, datetime.date], int] = {}
        self.order = {p.pk: i for i, p in enumerate(self.periods)}
        fell_due = [p for p in self.periods if p.due_date < self.day]
        self.due_periods = fell_due
        self.last_due = fell_due[-1] if fell_due else None
        self.next_due = next(
            (p for p in self.periods
             if p.due_date >= self.day and (p.year, p.month) <= (self.day.year, self.day.month)), None,
        )

    def standing(self, task_id: int, unit_id: int, mine: dict[int, _Snapshot], returns: int) -> StandingRow:
        """One lead unit on one task, from its reports (period id → snapshot)."""
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
            light=light.light.value, light_reason=self._reason(light.reason),
            last_period_id=self.last_due.pk if self.last_due else None,
            last_status=last.status if last else "",
            days_overdue=self._working_days(self.last_due.due_date, self.day) if missing_last else 0,
            reports_due=len(self.due_periods), reports_on_time=counts["on_time"],
            reports_late=counts["late"], reports_missing=counts["missing"], returns=returns,
        )

    def _reason(self, reason: str) -> str:
        return (f"{reason}（{self.ended_note}）" if self.ended_note else reason)[:200]

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


def _indicator_rows(
    *, plan: ActionPlan, at: datetime.datetime | None, ends_on: datetime.date, context: _Context, snapshots: dict,
) -> list[IndicatorRow]:
    """Each indicator's actual from the latest submitted report (of the indicator's year, when it
    has one) that gave one."""
    indicators = list(Indicator.objects.filter(plan=plan).order_by("sort_order", "id"))
    periods = {p.pk: p for p in context.periods}
    actuals = _actual_snapshots(indicator_ids=[i.pk for i in indicators], at=at)
    submitted_reports = {
        snap.report_id: snap.period_id
        for mine in snapshots.values() for snap in mine.values() if snap.submitted
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
            attainment=attainment(indicator, value, day=context.day, ends_on=ends_on),
        ))
    return rows


def _actual_snapshots(*, indicator_ids: list[int], at: datetime.datetime | None) -> list[tuple[int, int, Decimal]]:
    """(indicator, report, value) as they stood at ``at`` (None: today's rows)."""
    actuals = IndicatorActual.objects if at is None else history_as_of(IndicatorActual.history.model, at)
    rows = actuals.filter(indicator_id__in=indicator_ids)
    return list(rows.values_list("indicator_id", "report_id", "value"))


def attainment(indicator: Indicator, actual: Decimal | None, *, day: datetime.date, ends_on: datetime.date) -> str:
    """Met when the actual satisfies the target; missed when the target's year (or, for a target of
    the whole plan, ``ends_on``) is over and it does not — or nothing was reported by then; at risk
    while there is still time; no data while nothing is reported and time remains. The one rule:
    the dashboards and the indicator ledger (per year: ``ends_on`` its last day) read it."""
    last_day = datetime.date(indicator.year, 12, 31) if indicator.year else ends_on
    if actual is None:
        return Attainment.MISSED if day > last_day else Attainment.NO_DATA
    if indicator.target_met(actual):
        return Attainment.MET
    return Attainment.MISSED if day > last_day else Attainment.AT_RISK
