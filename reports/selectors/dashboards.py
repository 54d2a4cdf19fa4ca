"""The dashboards' figures (看板), as the plan stood at the end of a month or as of now.

Every dashboard reads one month of the summary (``reports.models.Standing``, kept equal to the
history by ``reports.services.standings``) plus, for findings and escalations, their own history
at the same moment — a fixed handful of queries however many plans, months and reports there
are. Office, inspectors and leaders see the whole plan; a unit's staff see their own unit's rows
(its card among the units, its tasks, its findings).
"""

from __future__ import annotations

import datetime
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from reports.models import IndicatorStanding, Standing
from reports.selectors.standings import (
    MonthSummary,
    summary_indicator_trend,
    summary_indicators,
    summary_month,
    summary_series,
    summary_standings,
)
from reports.services.standings import plan_months
from supervision.choices import Level
from supervision.selectors import FindingAt, escalations_at, findings_at
from tasks.choices import GroupKind, Light, TaskStatus
from tasks.models import ActionPlan, Indicator, PlanTarget, User
from tasks.selectors.state import Attainment, TaskState, month_end

MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
LIGHTS = (Light.RED, Light.YELLOW, Light.GREEN)
GROUP_KIND_ORDER = {kind: i for i, kind in enumerate(GroupKind.values)}


class DashboardError(ValueError):
    """A dashboard request that cannot be answered; the message is for the user."""


# --- the month shown ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AsOf:
    """The moment a dashboard shows: the end of a past month, or now for the current month."""

    plan: ActionPlan
    year: int
    month: int
    at: datetime.datetime
    is_final: bool
    choices: list[tuple[str, str]]
    summary: MonthSummary = field(compare=False, repr=False)

    @property
    def value(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        if self.is_final and self.at > month_end(self.year, self.month):  # an ended plan's last month
            due = timezone.localdate(self.at) - datetime.timedelta(days=1)
            return (f"{self.year}年{self.month}月（{self.plan.ended_note}，"
                    f"数据截至最后一期填报截止日 {due:%Y-%m-%d}）")
        if self.is_final:
            return f"{self.year}年{self.month}月末"
        return f"截至 {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


def dashboard_as_of(*, plan: ActionPlan, month: str | None, now: datetime.datetime | None = None) -> AsOf:
    """Parse ``?month=YYYY-MM`` (default: the plan's latest month: the current one, or an ended
    plan's last) and read that month's summary (1–2 queries when it is stored and current)."""
    months = plan_months(plan=plan, now=now)
    if not months:
        start = plan.starts_on
        raise DashboardError(f"{plan.title}自{start.year}年{start.month}月{start.day}日起执行，尚无看板数据。")
    wanted = months[-1]
    if month:
        found = MONTH_RE.match(month.strip())
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise DashboardError("月份格式应为“年-月”，例如 2022-06。")
        wanted = (int(found.group(1)), int(found.group(2)))
        if wanted not in months:
            raise DashboardError(f"{wanted[0]}年{wanted[1]}月不在可查看的范围内（{_month_label(months[0])}—{_month_label(months[-1])}）。")
    summary = summary_month(plan=plan, year=wanted[0], month=wanted[1], now=now)
    today = timezone.localdate(now or timezone.now())
    last = "（当前）" if months[-1] == (today.year, today.month) else "（最后一期）"
    choices = [(f"{y:04d}-{m:02d}", _month_label((y, m)) + (last if (y, m) == months[-1] else ""))
               for y, m in reversed(months)]
    return AsOf(plan=plan, year=wanted[0], month=wanted[1], at=summary.as_of, is_final=summary.is_final,
                choices=choices, summary=summary)


def _month_label(year_month: tuple[int, int]) -> str:
    return f"{year_month[0]}年{year_month[1]}月"


def _scoped(queryset: QuerySet, user: User, field_name: str = "unit_id") -> QuerySet:
    """A unit's staff see their own unit's rows (its offices included)."""
    if user.sees_everything:
        return queryset
    return queryset.filter(**{f"{field_name}__in": user.scope_units()})


def _standings(*, user: User, as_of: AsOf) -> list[Standing]:
    return summary_standings(summary=as_of.summary, user=user)


# --- tasks: light, status and progress of each task -----------------------------------------------


@dataclass
class UnitOnTask:
    unit_id: int
    name: str
    light: str
    reason: str
    progress: int | None
    status: str
    days_overdue: int


@dataclass
class TaskRow:
    task_id: int
    code: str
    title: str
    group_id: int
    light: str
    reason: str
    progress: float
    expected: int
    status: str
    units: list[UnitOnTask] = field(default_factory=list)

    @property
    def light_label(self) -> str:
        return Light(self.light).label

    @property
    def status_label(self) -> str:
        return TaskStatus.LABELS[self.status]

    @property
    def url(self) -> str:
        return reverse("task-detail", args=[self.task_id])


def _task_rows(standings: list[Standing]) -> list[TaskRow]:
    by_task: dict[int, list[Standing]] = defaultdict(list)
    for row in standings:
        by_task[row.task_id].append(row)
    tasks = []
    for rows in by_task.values():
        state, task = TaskState(rows[0].task_id, rows), rows[0].task  # the stored rows of the as-of state
        tasks.append(TaskRow(
            task_id=task.pk, code=task.code, title=task.title, group_id=task.group_id,
            light=state.light, reason=state.reason, progress=state.progress, expected=state.expected,
            status=state.status,
            units=[UnitOnTask(r.unit_id, r.unit.short_name or r.unit.name, r.light, r.light_reason, r.progress,
                              TaskStatus.of(r), r.days_overdue) for r in rows],
        ))
    return tasks


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 1) if values else 0.0


def _rate(part: int, whole: int) -> float | None:
    """A share in percent, one decimal; None when nothing was due."""
    return round(100 * part / whole, 1) if whole else None


# --- 1. plan overview ------------------------------------------------------------------------------


@dataclass
class Slice:
    key: str
    label: str
    count: int


@dataclass
class MonthPoint:
    value: str  # 「2022-06」
    label: str
    progress: float
    expected: int


@dataclass
class Overview:
    as_of: AsOf
    tasks: int
    progress: float  # average completion over every lead unit on every task, percent
    expected: int  # 序时进度 at the moment shown
    lights: list[Slice]
    statuses: list[Slice]
    reports_due: int
    reports_on_time: int
    reports_late: int
    reports_missing: int
    on_time_rate: float | None
    returns: int
    series: list[MonthPoint]


def dashboard_overview(*, user: User, plan: ActionPlan, as_of: AsOf) -> Overview:
    """Tasks by light and by status, completion against 序时进度 over the months, on-time rate.
    Two queries: the month's rows and the monthly averages."""
    standings = _standings(user=user, as_of=as_of)
    tasks = _task_rows(standings)
    lights = Counter(t.light for t in tasks)
    statuses = Counter(t.status for t in tasks)
    due = sum(r.reports_due for r in standings)
    on_time = sum(r.reports_on_time for r in standings)
    return Overview(
        as_of=as_of, tasks=len(tasks), progress=_mean([r.progress or 0 for r in standings]),
        expected=standings[0].expected if standings else 0,
        lights=[Slice(light.value, light.label, lights[light.value]) for light in LIGHTS],
        statuses=[Slice(key, TaskStatus.LABELS[key], statuses[key]) for key in TaskStatus.ORDER],
        reports_due=due, reports_on_time=on_time, reports_late=sum(r.reports_late for r in standings),
        reports_missing=sum(r.reports_missing for r in standings), on_time_rate=_rate(on_time, due),
        returns=sum(r.returns for r in standings), series=_series(user=user, as_of=as_of),
    )


def _series(*, user: User, as_of: AsOf) -> list[MonthPoint]:
    """Average completion and 序时进度 at the end of each month up to the one shown."""
    return [
        MonthPoint(f"{p.year:04d}-{p.month:02d}", _month_label((p.year, p.month)), p.progress, p.expected)
        for p in summary_series(summary=as_of.summary, user=user)
    ]


# --- 2. task groups --------------------------------------------------------------------------------


@dataclass
class GroupRow:
    group_id: int
    label: str
    tasks: int
    progress: float
    red: int
    yellow: int
    green: int

    @property
    def url(self) -> str:
        return reverse("dashboard-group", args=[self.group_id])


def dashboard_groups(*, user: User, plan: ActionPlan, as_of: AsOf) -> list[GroupRow]:
    """Each group's progress and lights (one query)."""
    standings = _standings(user=user, as_of=as_of)
    groups = {r.task.group_id: r.task.group for r in standings}
    by_group: dict[int, list[TaskRow]] = defaultdict(list)
    for task in _task_rows(standings):
        by_group[task.group_id].append(task)
    ordered = sorted(groups.values(), key=lambda g: (GROUP_KIND_ORDER.get(g.kind, 9), g.number))
    rows = []
    for group in ordered:
        tasks = by_group[group.pk]
        lights = Counter(t.light for t in tasks)
        rows.append(GroupRow(group.pk, f"{group.numeral}{group.title}", len(tasks), _mean([t.progress for t in tasks]),
                             lights[Light.RED], lights[Light.YELLOW], lights[Light.GREEN]))
    return rows


def dashboard_group_tasks(*, user: User, plan: ActionPlan, as_of: AsOf, group_id: int) -> list[TaskRow]:
    """The tasks of one group with their lights, reasons and each lead unit (one query)."""
    return dashboard_tasks(user=user, plan=plan, as_of=as_of, group_id=group_id)


def dashboard_tasks(
    *, user: User, plan: ActionPlan, as_of: AsOf, light: str = "", status: str = "", group_id: int | None = None,
) -> list[TaskRow]:
    """The tasks the overview counts (each task once, by the worst light of its lead units), of a
    light, a review status or a group: the list behind each of its figures (one query)."""
    if light and light not in Light.values:
        raise DashboardError("灯的取值应为 red、yellow 或 green。")
    if status and status not in TaskStatus.LABELS:
        raise DashboardError(f"审核状态的取值应为 {'、'.join(TaskStatus.LABELS)} 之一。")
    return [t for t in _task_rows(_standings(user=user, as_of=as_of))
            if (not light or t.light == light) and (not status or t.status == status)
            and (group_id is None or t.group_id == group_id)]


# --- 3. units --------------------------------------------------------------------------------------


@dataclass
class UnitRow:
    unit_id: int
    name: str
    tasks: int
    reports_due: int
    reports_on_time: int
    reports_late: int
    reports_missing: int
    on_time_rate: float | None
    returns: int
    red: int
    findings_open: int
    findings_overdue: int
    escalations: dict[str, int]
    rank: int = 0

    @property
    def escalations_total(self) -> int:
        return sum(self.escalations.values())

    @property
    def url(self) -> str:
        return reverse("unit-detail", args=[self.unit_id])


def dashboard_units(*, user: User, plan: ActionPlan, as_of: AsOf) -> list[UnitRow]:
    """Lead units ranked by on-time rate, then fewest missing and returned reports: the basis of
    通报 and 考核. Five queries: the month's rows, findings at that moment, the calendar entries
    for counting their days, the escalations up to then."""
    standings = _standings(user=user, as_of=as_of)
    findings = findings_at(user=user, plan=plan, at=as_of.at)
    escalations = escalations_at(user=user, plan=plan, at=as_of.at)
    by_unit: dict[int, list[Standing]] = defaultdict(list)
    for row in standings:
        by_unit[row.unit_id].append(row)
    findings_by_unit: dict[int, list[FindingAt]] = defaultdict(list)
    for finding in findings:
        findings_by_unit[finding.unit_id].append(finding)
    rows = []
    for unit_id, mine in by_unit.items():
        due, on_time = sum(r.reports_due for r in mine), sum(r.reports_on_time for r in mine)
        owed = findings_by_unit[unit_id]
        rows.append(UnitRow(
            unit_id=unit_id, name=mine[0].unit.name, tasks=len({r.task_id for r in mine}), reports_due=due,
            reports_on_time=on_time, reports_late=sum(r.reports_late for r in mine),
            reports_missing=sum(r.reports_missing for r in mine), on_time_rate=_rate(on_time, due),
            returns=sum(r.returns for r in mine), red=sum(r.light == Light.RED for r in mine),
            findings_open=len(owed), findings_overdue=sum(f.days_overdue > 0 for f in owed),
            escalations={level.value: escalations[(unit_id, level.value)] for level in Level},
        ))
    rows.sort(key=lambda r: (-(r.on_time_rate if r.on_time_rate is not None else 101), r.reports_missing,
                             r.returns, r.findings_overdue, r.name))
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    return rows


# --- 4. indicators ---------------------------------------------------------------------------------


@dataclass
class IndicatorView:
    indicator_id: int
    name: str
    task_code: str
    year: int | None
    target: str
    unit_of_measure: str
    target_value: Decimal
    target_max: Decimal | None
    actual: Decimal | None
    actual_label: str  # the period the actual was reported for
    attainment: str
    trend: list[tuple[str, float]]  # (「2022-06」, actual at that month's end)

    @property
    def attainment_label(self) -> str:
        return Attainment.LABELS[self.attainment]

    @property
    def attainment_badge(self) -> str:
        return Attainment.BADGES[self.attainment]

    @property
    def period(self) -> str:
        return f"{self.year}年" if self.year else "方案期内"


@dataclass
class IndicatorBoard:
    targets: list[PlanTarget]
    indicators: list[IndicatorView]
    attainment: list[Slice]


def dashboard_indicators(*, user: User, plan: ActionPlan, as_of: AsOf) -> IndicatorBoard:
    """The plan's yearly targets first, then each indicator's target against its latest actual,
    with attainment and a monthly trend. Four queries: targets, indicators, the month's actuals,
    the trend."""
    targets = list(PlanTarget.objects.filter(plan=plan).order_by("year"))
    indicators = list(Indicator.objects.visible_to(user).filter(plan=plan).select_related("task"))
    indicators.sort(key=lambda i: (i.task_id is not None, i.sort_order, i.pk))  # plan-level ones first
    month = summary_indicators(summary=as_of.summary)
    trend: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for indicator_id, year, month_number, actual in summary_indicator_trend(summary=as_of.summary):
        trend[indicator_id].append((f"{year:04d}-{month_number:02d}", float(actual)))
    views = [_indicator_view(i, month.get(i.pk), trend[i.pk]) for i in indicators]
    counts = Counter(v.attainment for v in views)
    return IndicatorBoard(targets=targets, indicators=views, attainment=[
        Slice(key, Attainment.LABELS[key], counts[key])
        for key in (Attainment.MET, Attainment.AT_RISK, Attainment.MISSED, Attainment.NO_DATA)
    ])


def _indicator_view(indicator: Indicator, standing: IndicatorStanding | None, trend: list) -> IndicatorView:
    period = standing.actual_period if standing else None
    return IndicatorView(
        indicator_id=indicator.pk, name=indicator.name, task_code=indicator.task.code if indicator.task else "",
        year=indicator.year, target=indicator.target_display, unit_of_measure=indicator.unit_of_measure,
        target_value=indicator.target_value, target_max=indicator.target_max,
        actual=standing.actual if standing else None, actual_label=period.label if period else "",
        attainment=standing.attainment if standing else Attainment.NO_DATA, trend=trend,
    )


# --- 5. risk board ---------------------------------------------------------------------------------


@dataclass
class RiskRow:
    kind: str  # 「进展填报」 or 「督查问题」
    light: str
    title: str
    unit: str
    reason: str
    days_overdue: int
    url: str

    @property
    def light_label(self) -> str:
        return Light(self.light).label


def dashboard_risks(*, user: User, plan: ActionPlan, as_of: AsOf) -> list[RiskRow]:
    """Every red and yellow item at the moment shown — lead units on tasks, and findings — red
    first, the longest overdue first. Four queries."""
    rows = [
        RiskRow("进展填报", r.light, f"{r.task.code} {r.task.title}", r.unit.name, r.light_reason, r.days_overdue,
                reverse("task-detail", args=[r.task_id]))
        for r in _standings(user=user, as_of=as_of) if r.light != Light.GREEN
    ]
    for finding in findings_at(user=user, plan=plan, at=as_of.at):
        if finding.light == Light.GREEN:
            continue
        rows.append(RiskRow("督查问题", finding.light, f"{finding.number} {finding.description[:60]}",
                            finding.unit_name, f"整改{finding.state.reason}", finding.days_overdue,
                            reverse("supervision:finding-detail", args=[finding.finding_id])))
    rows.sort(key=lambda r: (-Light(r.light).rank, -r.days_overdue, r.title))
    return rows

