"""What a dispatch report says: the monthly dispatch report (月调度报告) and the half-year
(半年工作总结会材料) and annual (年度总结报告) packs, section by section.

``report_scope`` fixes what a report covers (plan, months, their reporting periods, the day of
the build); ``report_basis`` reads the plan's tasks, lead units and returns once; each section
then turns them (and what ``supervision`` recorded) into plain JSON — the one ``content`` that the
page, the API and the workbook all show. Every section runs a fixed number of queries whatever
the number of tasks, units, returns or findings (each says how many).

Dates are stored as 「YYYY-MM-DD」 and times as 「YYYY-MM-DD HH:MM」 in Xixian time (Asia/Shanghai).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from reports.choices import DispatchReportKind
from supervision.choices import FindingStatus, Severity
from supervision.models import Escalation, Finding
from supervision.selectors import findings_with_lights
from supervision.services.ladder import Calendar
from tasks.choices import AssignmentRole, FilingStatus, Light
from tasks.models import (
    ActionPlan,
    Indicator,
    IndicatorActual,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    TaskAssignment,
    owes_q,
)
from tasks.selectors.state import PlanStateReader, TaskState, history_as_of
from tasks.workdays import add_working_days


class ReportScopeError(ValueError):
    """The period cannot have a report (no plan runs then, no month of it was opened)."""


# --- what a report covers -------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    kind: DispatchReportKind
    year: int
    number: int
    plan: ActionPlan
    periods: list[ReportingPeriod]  # the opened months of the scope, oldest first
    start: datetime.date
    end: datetime.date
    at: datetime.datetime  # the figures' moment: the end of the scheduled build day, or the build before

    @property
    def today(self) -> datetime.date:
        """The day the figures are as of: lights, 序时进度 and working days overdue."""
        return timezone.localdate(self.at)

    @property
    def label(self) -> str:
        return self.kind.period_label(self.year, self.number)


def plan_running(*, year: int, months: range | list[int] | None = None) -> ActionPlan | None:
    """The plan that owes a month of ``months`` of ``year`` (any month by default; the newest,
    should two overlap)."""
    owing = Q()
    for month in months or range(1, 13):
        owing |= owes_q(year, month)
    plans = ActionPlan.objects.filter(owing)
    return plans.defer("source_text", "preamble", "closing_text").order_by("-starts_on", "-id").first()


def report_scope(*, kind: str, year: int, number: int, now: datetime.datetime | None = None) -> Scope:
    """What the report of the period covers (2 queries); ReportScopeError if it cannot exist."""
    kind = DispatchReportKind(kind)
    if number not in kind.numbers:
        raise ReportScopeError(f"{kind.label}的期次应为 {kind.numbers.start}—{kind.numbers.stop - 1}。")
    months = list(kind.months(number))
    plan = plan_running(year=year, months=months)
    if plan is None:
        raise ReportScopeError(f"{kind.period_label(year, number)}没有行动方案在执行期内，无法生成{kind.label}。")
    months = [m for m in months if plan.owes(year, m)]
    periods = list(ReportingPeriod.objects.filter(year=year, month__in=list(months)).order_by("month"))
    if not periods:
        raise ReportScopeError(f"{kind.period_label(year, number)}还没有打开过填报期，无法生成{kind.label}。")
    start = datetime.date(year, months[0], 1)
    last = months[-1]
    end = datetime.date(year + 1, 1, 1) if last == 12 else datetime.date(year, last + 1, 1)
    end -= datetime.timedelta(days=1)
    return Scope(kind, year, number, plan, periods, start, end, _figures_moment(periods[-1], now))


def _figures_moment(period: ReportingPeriod, now: datetime.datetime | None) -> datetime.datetime:
    """A report is about the returns of its months: its figures are those of the end of the day its
    last month's report falls to be built (``report_build_day``), or of the build, before then.
    Rebuilt later, the same figures."""
    after = datetime.datetime.combine(report_build_day(period=period) + datetime.timedelta(days=1), datetime.time.min)
    return min(timezone.make_aware(after) - datetime.timedelta(microseconds=1), now or timezone.now())


def report_build_day(*, period: ReportingPeriod) -> datetime.date:
    """The day the scheduled build of the month runs: DISPATCH_REPORT_WORKING_DAYS_AFTER_DUE
    working days after its reports were due (1: the next working day)."""
    return add_working_days(period.due_date, settings.DISPATCH_REPORT_WORKING_DAYS_AFTER_DUE).date


# --- what every section reads: tasks, lead units, returns -------------------------------------


@dataclass(frozen=True)
class Lead:
    task: Task
    unit_id: int
    unit_name: str
    unit_sort: int
    progress: int | None  # the latest progress submitted up to the end of the scope


@dataclass
class Basis:
    scope: Scope
    tasks: list[Task]
    leads: list[Lead]
    # (task, unit, period) → the return as submitted (drafts are never read: they are the unit's)
    returns: dict[tuple[int, int, int], dict] = field(default_factory=dict)

    states: dict[int, TaskState] = field(default_factory=dict)  # the tasks' state at the scope's moment

    def expected(self) -> int:
        """序时进度 at the scope's moment (the same for every task)."""
        return next(iter(self.states.values())).expected if self.states else 0

    def lights(self) -> dict[int, TaskState]:
        return self.states


def report_basis(scope: Scope) -> Basis:
    """The plan's active tasks, their lead units with their progress and the tasks' lights at the
    scope's moment (the one as-of state), and the returns of the scope's months (3 queries and
    the state's 7–8)."""
    tasks = list(
        Task.objects.active().filter(plan=scope.plan).select_related("group", "plan")
        .defer("text", "time_node", "plan__source_text", "plan__preamble", "plan__closing_text")
        .order_by("sort_order", "id")
    )
    by_id = {task.pk: task for task in tasks}
    states = PlanStateReader(scope.plan, scope.at).tasks(list(by_id))
    rows = (TaskAssignment.objects.filter(task__in=list(by_id), role=AssignmentRole.LEAD)
            .order_by("task__sort_order", "sort_order")
            .values_list("task_id", "unit_id", "unit__name", "unit__sort_order"))
    leads = []
    for task_id, unit_id, name, sort in rows:
        row = states[task_id].unit(unit_id) if task_id in states else None
        leads.append(Lead(by_id[task_id], unit_id, name, sort, row.progress if row else None))
    # The returns as they stood at the report's moment (a rebuild later says the same).
    reports = ProgressReport.objects if scope.at >= timezone.now() else history_as_of(ProgressReport.history.model, scope.at)
    returns = (reports.filter(period__in=scope.periods, task__in=list(by_id))
               .exclude(status=FilingStatus.DRAFT)
               .values("id", "task_id", "unit_id", "period_id", "status", "submitted_at", "is_late", "progress",
                       "completed", "problems", "next_plan"))
    return Basis(scope, tasks, leads, {(r["task_id"], r["unit_id"], r["period_id"]): r for r in returns}, states)


# --- formatting -------------------------------------------------------------------------------


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _moment(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _average(values: list[int | None]) -> float | None:
    """Average progress; a lead unit that never reported counts as 0 (as for its light)."""
    return round(sum(v or 0 for v in values) / len(values), 1) if values else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


# --- sections ---------------------------------------------------------------------------------


def _tally(basis: Basis, periods: list[ReportingPeriod], leads: list[Lead] | None = None) -> dict[str, int]:
    """Returns owed by the lead units over the periods, and what became of them."""
    counts = Counter(due=0, submitted=0, on_time=0, late=0, missing=0, approved=0, returned=0, awaiting=0)
    for period in periods:
        for lead in basis.leads if leads is None else leads:
            counts["due"] += 1
            found = basis.returns.get((lead.task.pk, lead.unit_id, period.pk))
            if found is None:
                counts["missing"] += 1
                continue
            counts["submitted"] += 1
            counts["late" if found["is_late"] else "on_time"] += 1
            counts[{FilingStatus.APPROVED: "approved", FilingStatus.RETURNED: "returned"}.get(found["status"],
                                                                                               "awaiting")] += 1
    return dict(counts)


def _light_counts(lights: list[Light]) -> dict[str, int]:
    counts = Counter(lights)
    return {light.value: counts.get(light, 0) for light in Light}


def section_summary(basis: Basis) -> dict[str, Any]:
    """总体情况: tasks, returns owed and what became of them, average progress against the
    time-elapsed expected progress at the end of the scope, and today's lights (2–3 queries)."""
    tally = _tally(basis, basis.scope.periods)
    lights = basis.lights()
    return {
        "tasks": len(basis.tasks),
        "lead_units": len({lead.unit_id for lead in basis.leads}),
        **tally,
        "on_time_rate": _rate(tally["on_time"], tally["due"]),
        "average_progress": _average([lead.progress for lead in basis.leads]),
        "expected_progress": basis.expected(),
        "lights": _light_counts([Light(lights[t.pk].light) for t in basis.tasks if t.pk in lights]),
        "lights_as_of": _day(basis.scope.today),
    }


def section_groups(basis: Basis) -> list[dict[str, Any]]:
    """各任务组进展: each group's tasks, average progress at the end of the scope and today's
    lights (no query: the summary's lights)."""
    lights = basis.lights()
    groups: dict[int, dict] = {}
    for task in basis.tasks:
        group = groups.setdefault(task.group_id, {"group": task.group, "tasks": [], "leads": []})
        group["tasks"].append(task)
    for lead in basis.leads:
        groups[lead.task.group_id]["leads"].append(lead.progress)
    expected = basis.expected()
    return [{
        "numeral": g["group"].numeral, "title": g["group"].title, "tasks": len(g["tasks"]),
        "average_progress": _average(g["leads"]), "expected_progress": expected,
        "lights": _light_counts([Light(lights[t.pk].light) for t in g["tasks"] if t.pk in lights]),
    } for g in groups.values()]


def section_returns(basis: Basis) -> list[dict[str, Any]]:
    """各单位报送情况: each lead unit's return for the month — 本月完成, 存在问题, 下月计划, when it
    came, late or not, the review result and the office's return comments (1 query)."""
    period = basis.scope.periods[-1]
    found = [(lead, basis.returns.get((lead.task.pk, lead.unit_id, period.pk))) for lead in basis.leads]
    found = [(lead, r) for lead, r in found if r is not None]
    comments: dict[int, list[str]] = defaultdict(list)
    events = (ReviewEvent.objects.filter(report_id__in=[r["id"] for _, r in found], to_status=FilingStatus.RETURNED,
                                         at__lte=basis.scope.at)
              .order_by("at", "id").values_list("report_id", "comment"))
    for report_id, comment in events:
        comments[report_id].append(comment)
    return [{
        "task_code": lead.task.code, "task_title": lead.task.title, "unit": lead.unit_name,
        "completed": r["completed"], "problems": r["problems"], "next_plan": r["next_plan"],
        "progress": r["progress"], "submitted_at": _moment(r["submitted_at"]), "late": r["is_late"],
        "status": r["status"], "status_label": FilingStatus(r["status"]).label,
        "return_comments": comments.get(r["id"], []),
    } for lead, r in sorted(found, key=lambda pair: (pair[0].task.sort_order, pair[0].unit_sort))]


def section_missing(basis: Basis) -> list[dict[str, Any]]:
    """未报和逾期报送: each return owed and not submitted (with its working days overdue as of
    the build), or submitted after its due date (1 query, the calendar's overrides)."""
    periods = [p for p in basis.scope.periods if p.due_date < basis.scope.today]
    calendar = Calendar(min((p.due_date for p in periods), default=basis.scope.today), basis.scope.today)
    rows = []
    for period in periods:
        # Counted once per month: every return of the month has the same due date.
        overdue = max(calendar.between(period.due_date, basis.scope.today), 0)
        for lead in sorted(basis.leads, key=lambda item: (item.task.sort_order, item.unit_sort)):
            found = basis.returns.get((lead.task.pk, lead.unit_id, period.pk))
            if found is not None and not found["is_late"]:
                continue
            rows.append({
                "period": period.label, "task_code": lead.task.code, "task_title": lead.task.title,
                "unit": lead.unit_name, "due_date": _day(period.due_date),
                "state": "逾期报送" if found else "未报",
                "submitted_at": _moment(found["submitted_at"]) if found else "",
                "overdue_days": 0 if found else overdue,
            })
    return rows


def section_units(basis: Basis) -> list[dict[str, Any]]:
    """各单位报送统计: per lead unit over the scope — returns owed, on time, late, missing,
    returned for revision, on-time rate; the most punctual first (1 query, for the returns)."""
    by_unit: dict[int, list[Lead]] = defaultdict(list)
    for lead in basis.leads:
        by_unit[lead.unit_id].append(lead)
    ids = [r["id"] for r in basis.returns.values()]
    returned = Counter(ReviewEvent.objects.filter(report_id__in=ids, to_status=FilingStatus.RETURNED, at__lte=basis.scope.at)
                       .values_list("report__unit_id", flat=True))
    rows = []
    for unit_id, leads in by_unit.items():
        tally = _tally(basis, basis.scope.periods, leads)
        rows.append({"unit": leads[0].unit_name, "sort": leads[0].unit_sort, "tasks": len(leads),
                     "due": tally["due"], "on_time": tally["on_time"], "late": tally["late"],
                     "missing": tally["missing"], "returned": returned.get(unit_id, 0),
                     "on_time_rate": _rate(tally["on_time"], tally["due"])})
    rows.sort(key=lambda r: (-(r["on_time_rate"] or 0), r["sort"]))
    for row in rows:
        del row["sort"]
    return rows


def section_months(basis: Basis) -> list[dict[str, Any]]:
    """各月报送情况: per month of the scope, returns owed and the on-time rate (no query)."""
    rows = []
    for period in basis.scope.periods:
        tally = _tally(basis, [period])
        rows.append({"period": period.label, "due_date": _day(period.due_date), "due": tally["due"],
                     "on_time": tally["on_time"], "late": tally["late"], "missing": tally["missing"],
                     "on_time_rate": _rate(tally["on_time"], tally["due"])})
    return rows


FINDING_COUNT_KEYS = ("open", "rectifying", "submitted", "closed")


def section_findings(basis: Basis) -> dict[str, Any]:
    """督查发现问题整改情况: the findings open at any time in the scope, with their status and
    working days overdue as of the report's moment, and the counts (3 queries)."""
    scope = basis.scope
    start = timezone.make_aware(datetime.datetime.combine(scope.start, datetime.time.min))
    in_scope = Q(found_on__lte=scope.end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=start))
    findings = _findings_as_of(in_scope, scope.at)
    findings_with_lights(findings, today=scope.today)
    by_status = Counter(f.status for f in findings)
    rows = [{
        "number": f.number, "round": f.round.title, "unit": f.unit.name, "task_code": f.task.code if f.task else "",
        "description": f.description, "severity": Severity(f.severity).label, "found_on": _day(f.found_on),
        "due_date": _day(f.due_date), "status": f.status, "status_label": FindingStatus(f.status).label,
        "overdue_days": f.light.overdue_days, "closed_at": _moment(f.closed_at),
    } for f in findings]
    end = start + datetime.timedelta(days=(scope.end - scope.start).days + 1)
    counts = {
        **{key: by_status.get(key, 0) for key in FINDING_COUNT_KEYS},
        "total": len(findings),
        "overdue": sum(1 for f in findings if f.light.overdue_days > 0),
        "found": sum(1 for f in findings if f.found_on >= scope.start),
        "closed_in_period": sum(1 for f in findings if f.closed_at and start <= f.closed_at < end),
    }
    return {"counts": counts, "rows": rows}


def _findings_as_of(in_scope: Q, at: datetime.datetime) -> list[Finding]:
    """The findings as they stood at ``at`` (their history rows then; today's rows for the present),
    with their unit, task and round loaded: a rebuild later says the same."""
    if at >= timezone.now():
        return list(Finding.objects.filter(in_scope).select_related("unit", "task", "round").order_by("found_on", "pk"))
    rows = history_as_of(Finding.history.model, at).filter(in_scope).select_related("unit", "task", "round")
    findings = []
    for row in rows.order_by("found_on", "id"):
        finding = row.instance
        finding.unit, finding.task, finding.round = row.unit, row.task, row.round
        findings.append(finding)
    return findings


def section_bulletins(basis: Basis) -> list[dict[str, Any]]:
    """通报: the entries of the scope's monthly 通报, month by month and unit by unit (1 query)."""
    months = list(basis.scope.kind.months(basis.scope.number))
    entries = (Escalation.objects.filter(bulletin__year=basis.scope.year, bulletin__month__in=months)
               .select_related("bulletin", "unit", "finding", "task", "period")
               .order_by("bulletin__month", "unit__sort_order", "pk"))
    return [{"month": e.bulletin.label, "unit": e.unit.name, "item": e.item_label, "reason": e.message,
             "due_date": _day(e.due_date), "overdue_days": max(e.overdue_days, 0)} for e in entries]


def _attainment(indicator: Indicator, actual: Decimal | None) -> str:
    if actual is None:
        return "未报"
    return "达标" if indicator.target_met(actual) else "未达标"


def section_indicators(basis: Basis) -> list[dict[str, Any]]:
    """指标完成情况: the plan's indicators for the year against the latest actual reported in the
    year up to the end of the scope (2 queries)."""
    scope = basis.scope
    indicators = list(Indicator.objects.filter(Q(year=scope.year) | Q(year__isnull=True), plan=scope.plan)
                      .select_related("task").order_by("sort_order", "id"))
    actuals: dict[int, Decimal] = {}
    rows = (IndicatorActual.objects.filter(indicator__in=indicators, report__period__in=scope.periods)
            .exclude(report__status=FilingStatus.DRAFT)
            .order_by("report__period__month", "report__submitted_at", "id").values_list("indicator_id", "value"))
    for indicator_id, value in rows:  # later months overwrite earlier ones
        actuals[indicator_id] = value
    return [{
        "name": i.name, "task_code": i.task.code if i.task else "", "target": i.target_display,
        "period": i.period_display, "actual": _number(actuals.get(i.pk)), "unit_of_measure": i.unit_of_measure,
        "attainment": _attainment(i, actuals.get(i.pk)),
    } for i in indicators]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    compute: Callable[[Basis], Any]


SECTIONS = {
    "summary": Section("summary", "总体情况", section_summary),
    "months": Section("months", "各月报送情况", section_months),
    "groups": Section("groups", "各任务组进展", section_groups),
    "returns": Section("returns", "各单位报送情况", section_returns),
    "units": Section("units", "各单位报送统计", section_units),
    "missing": Section("missing", "未报和逾期报送", section_missing),
    "findings": Section("findings", "督查发现问题整改情况", section_findings),
    "bulletins": Section("bulletins", "通报", section_bulletins),
    "indicators": Section("indicators", "指标完成情况", section_indicators),
}

# The sections of each kind, in the order the report shows them.
KIND_SECTIONS: dict[str, tuple[str, ...]] = {
    DispatchReportKind.MONTHLY: ("summary", "groups", "returns", "missing", "findings", "bulletins"),
    DispatchReportKind.HALF_YEAR: ("summary", "months", "groups", "units", "missing", "findings", "bulletins",
                                   "indicators"),
    DispatchReportKind.ANNUAL: ("summary", "months", "groups", "units", "missing", "findings", "bulletins",
                                "indicators"),
}


def report_content(scope: Scope, *, on_section: Callable[[int, str], None] | None = None) -> dict[str, Any]:
    """Every section of the report, as JSON. ``on_section(percent, stage)`` is told as each
    section starts, so that the page can show how far the build is."""
    keys = KIND_SECTIONS[scope.kind]
    step = on_section or (lambda percent, stage: None)
    step(5, "读取任务和填报情况")
    basis = report_basis(scope)
    content: dict[str, Any] = {
        "title": scope.kind.title(scope.year, scope.number), "kind": scope.kind.value, "year": scope.year,
        "number": scope.number, "period": {"label": scope.label, "start": _day(scope.start), "end": _day(scope.end)},
        "plan": {"id": scope.plan.pk, "title": scope.plan.title}, "as_of": _day(scope.today),
        "sections": [{"key": key, "title": SECTIONS[key].title} for key in keys],
    }
    for index, key in enumerate(keys):
        step(10 + 80 * index // len(keys), f"正在汇总：{SECTIONS[key].title}")
        content[key] = SECTIONS[key].compute(basis)
    return content

