"""Reads of monthly dispatch: periods, the unit's reporting inbox, lights, the review queue,
a task's reports and its timeline. Query counts do not grow with the number of tasks or the
length of the history (each function says how many it runs)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tasks.choices import AssignmentRole, FilingStatus, PeriodStatus
from tasks.lights import DueReport, LightResult, expected_progress, unit_light, worst
from tasks.models import (
    AnnualWorkPlan,
    Contribution,
    Evidence,
    IndicatorActual,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    TaskAssignment,
    Unit,
    User,
)
from tasks.workdays import provisional_years, working_days_between

# --- periods ---------------------------------------------------------------------------------


def period_list() -> list[ReportingPeriod]:
    return list(ReportingPeriod.objects.order_by("-year", "-month"))


def period_current() -> ReportingPeriod | None:
    """The newest open period: the month units are reporting on now."""
    return ReportingPeriod.objects.filter(status=PeriodStatus.OPEN).order_by("-year", "-month").first()


def period_get(*, pk: int) -> ReportingPeriod:
    return get_object_or_404(ReportingPeriod, pk=pk)


def calendar_warning_years(*, today: datetime.date | None = None) -> list[int]:
    """Years (this and next) whose holidays nobody has entered: deadlines there are guesses."""
    year = (today or timezone.localdate()).year
    return provisional_years([year, year + 1])


# --- lights ----------------------------------------------------------------------------------


@dataclass
class TaskLights:
    task: LightResult
    units: dict[int, LightResult] = field(default_factory=dict)  # lead unit id → light


def _due_periods(today: datetime.date) -> tuple[ReportingPeriod | None, ReportingPeriod | None]:
    """The last period that fell due before today, and the next open one still to fall due."""
    periods = list(ReportingPeriod.objects.order_by("due_date"))
    last_due = next((p for p in reversed(periods) if p.due_date < today), None)
    next_due = next((p for p in periods if p.due_date >= today and p.is_open), None)
    return last_due, next_due


def task_lights(*, tasks: list[Task], today: datetime.date | None = None) -> dict[int, TaskLights]:
    """Lights of the tasks and of each of their lead units (2 queries, whatever the count).

    Needs ``task.plan`` loaded (select_related) for the time-elapsed expected progress.
    """
    today = today or timezone.localdate()
    last_due, next_due = _due_periods(today)
    reports = ProgressReport.objects.filter(task_id=OuterRef("task_id"), unit_id=OuterRef("unit_id"))
    submitted = reports.filter(submitted_at__isnull=False)
    rows = TaskAssignment.objects.filter(task__in=[t.pk for t in tasks], role=AssignmentRole.LEAD).annotate(
        progress=Subquery(submitted.order_by("-period__year", "-period__month").values("progress")[:1]),
        last_submitted=Exists(submitted.filter(period=last_due)) if last_due else Q(pk__in=[]),
        next_submitted=Exists(submitted.filter(period=next_due)) if next_due else Q(pk__in=[]),
    ).values_list("task_id", "unit_id", "progress", "last_submitted", "next_submitted")
    by_task: dict[int, TaskLights] = {}
    plans = {t.pk: t.plan for t in tasks}
    for task_id, unit_id, progress, last_submitted, next_submitted in rows:
        plan = plans[task_id]
        light = unit_light(
            today=today, progress=progress,
            expected=expected_progress(start_year=plan.start_year, end_year=plan.end_year, today=today),
            last_due=_due(last_due, last_submitted, plan), next_due=_due(next_due, next_submitted, plan),
        )
        by_task.setdefault(task_id, TaskLights(task=light)).units[unit_id] = light
    for lights in by_task.values():
        lights.task = worst(list(lights.units.values()))
    return by_task


def _due(period: ReportingPeriod | None, submitted: bool, plan) -> DueReport | None:
    """A period counts for a task only inside its plan's years."""
    if period is None or period.year not in plan.years:
        return None
    return DueReport(period.label, period.due_date, bool(submitted))


# --- the unit's reporting inbox --------------------------------------------------------------


@dataclass
class InboxRow:
    task: Task
    role: str
    filing: ProgressReport | Contribution | None
    light: LightResult | None
    days_left: int | None  # working days to the due date; negative when overdue

    @property
    def returned(self) -> bool:
        return self.filing is not None and self.filing.status == FilingStatus.RETURNED


def reporting_inbox(*, user: User, period: ReportingPeriod | None, today: datetime.date | None = None) -> list[InboxRow]:
    """What the user's unit must file for the period: its lead reports and its contributions,
    returned ones first, then by due state (5 queries)."""
    if period is None or not user.scope_unit_ids():
        return []
    today = today or timezone.localdate()
    scope = user.scope_unit_ids()
    tasks = list(
        Task.objects.visible_to(user).active().filter(plan__start_year__lte=period.year, plan__end_year__gte=period.year)
        .for_unit(user.unit_id).select_related("group", "plan")
        .prefetch_related(Prefetch("assignments", TaskAssignment.objects.filter(unit_id__in=scope)))
    )
    reports = {r.task_id: r for r in ProgressReport.objects.filter(period=period, unit_id__in=scope, task__in=tasks)}
    contributions = {c.task_id: c for c in Contribution.objects.filter(period=period, unit_id__in=scope, task__in=tasks)}
    lights = task_lights(tasks=tasks, today=today)
    days_left = working_days_between(today, period.due_date)
    rows = []
    for task in tasks:
        lead = any(a.role == AssignmentRole.LEAD for a in task.assignments.all())
        filing = reports.get(task.pk) if lead else contributions.get(task.pk)
        own = lights.get(task.pk)
        light = next((own.units[a.unit_id] for a in task.assignments.all() if own and a.unit_id in own.units), None)
        rows.append(InboxRow(task, AssignmentRole.LEAD if lead else AssignmentRole.SUPPORTING, filing, light, days_left))
    done = {FilingStatus.SUBMITTED, FilingStatus.APPROVED}
    return sorted(rows, key=lambda r: (not r.returned, r.filing is not None and r.filing.status in done,
                                       r.role != AssignmentRole.LEAD, r.task.sort_order))


# --- one task's reports and contributions ----------------------------------------------------


def report_get(*, user: User, pk: int) -> ProgressReport:
    """A report the user may read (drafts: its own unit only), else 404."""
    return get_object_or_404(
        ProgressReport.objects.visible_to(user).select_related("task__plan", "task__group", "unit", "period", "created_by"),
        pk=pk,
    )


def contribution_get(*, user: User, pk: int) -> Contribution:
    return get_object_or_404(
        Contribution.objects.visible_to(user).select_related("task", "unit", "period"), pk=pk,
    )


def annual_plan_get(*, user: User, pk: int) -> AnnualWorkPlan:
    return get_object_or_404(AnnualWorkPlan.objects.visible_to(user).select_related("task", "unit"), pk=pk)


def evidence_get(*, user: User, pk: int) -> Evidence:
    """A file the user may download: that of a filing the user may read."""
    visible = Q(report__in=ProgressReport.objects.visible_to(user)) | Q(
        annual_plan__in=AnnualWorkPlan.objects.visible_to(user)
    )
    return get_object_or_404(Evidence.objects.filter(visible), pk=pk)


def _events() -> Prefetch:
    return Prefetch("events", ReviewEvent.objects.select_related("actor").order_by("at", "id"))


def task_reports(*, user: User, task: Task) -> list[ProgressReport]:
    """The task's reports the user may read, newest period first, with their review record,
    actuals and evidence (5 queries)."""
    return list(
        ProgressReport.objects.visible_to(user).filter(task=task)
        .select_related("unit", "period", "created_by")
        .prefetch_related(_events(), "actuals__indicator", "evidence")
        .order_by("-period__year", "-period__month", "unit__sort_order")
    )


def task_contributions(*, user: User, task: Task) -> list[Contribution]:
    return list(
        Contribution.objects.visible_to(user).filter(task=task).select_related("unit", "period")
        .prefetch_related(_events()).order_by("-period__year", "-period__month", "unit__sort_order")
    )


def task_annual_plans(*, user: User, task: Task) -> list[AnnualWorkPlan]:
    return list(
        AnnualWorkPlan.objects.visible_to(user).filter(task=task).select_related("unit")
        .prefetch_related(_events(), "evidence").order_by("-year", "unit__sort_order")
    )


def report_previous(*, report_or_task: Task, unit_id: int, period: ReportingPeriod) -> ProgressReport | None:
    """有对比: the unit's last submitted report before this period (its 下月计划 is this month's plan)."""
    return (
        ProgressReport.objects.filter(task=report_or_task, unit_id=unit_id, submitted_at__isnull=False)
        .filter(Q(period__year__lt=period.year) | Q(period__year=period.year, period__month__lt=period.month))
        .select_related("period").order_by("-period__year", "-period__month").first()
    )


# --- the office's review queue ------------------------------------------------------------------


def review_queue(*, user: User):
    """Filings awaiting review, oldest submission first (for the office; empty for others)."""
    if not user.is_office:
        return ProgressReport.objects.none()
    return (
        ProgressReport.objects.visible_to(user)
        .select_related("task__group", "task__plan", "unit", "period")
        .order_by("submitted_at", "id")
    )


# --- the task's timeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    actor: str
    what: str
    detail: str = ""


def task_timeline(*, user: User, task: Task, limit: int = 200) -> list[TimelineEntry]:
    """Changes to the task, its units, its reports, their actuals and their review, newest
    first, from the recorded history (8 queries whatever the length of the history)."""
    reports = {r.pk: f"{r.period.label} {r.unit.short_name}" for r in
               ProgressReport.objects.visible_to(user).filter(task=task).select_related("period", "unit")}
    assignments = list(TaskAssignment.history.filter(task_id=task.pk).select_related("history_user"))
    units = dict(Unit.objects.filter(pk__in={a.unit_id for a in assignments}).values_list("pk", "name"))
    indicators = dict(task.indicators.values_list("pk", "name"))
    entries = [
        *_history_entries(Task.history.filter(id=task.pk).select_related("history_user"), "任务",
                          lambda row: f"{row.code} {row.title}"),
        *_history_entries(assignments, "责任单位", lambda row: (
            f"{'牵头' if row.role == AssignmentRole.LEAD else '配合'}单位 {units.get(row.unit_id, '')}")),
        *_history_entries(ProgressReport.history.filter(id__in=list(reports)).select_related("history_user"),
                          "进展填报", lambda row: f"{reports[row.id]}（{row.get_status_display()}）"),
        *_history_entries(IndicatorActual.history.filter(report_id__in=list(reports)).select_related("history_user"),
                          "指标实际值", lambda row: f"{reports[row.report_id]} {indicators.get(row.indicator_id, '')} = {row.value}"),
    ]
    events = ReviewEvent.objects.filter(report_id__in=list(reports)).select_related("actor")
    entries += [TimelineEntry(e.at, str(e.actor), f"{e.get_action_display()}：{reports[e.report_id]}", e.comment)
                for e in events]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _history_entries(records, label: str, describe) -> list[TimelineEntry]:
    """Each historical row compared with the previous one of the same object."""
    rows = sorted(records, key=lambda r: (r.id, r.history_date, r.history_id))
    entries, previous = [], {}
    for row in rows:
        before = previous.get(row.id)
        changed = _changed_fields(before, row) if row.history_type == "~" else []
        if row.history_type != "~" or changed:
            who = str(row.history_user) if row.history_user else "系统"
            verb = {"+": "新增", "-": "删除", "~": "修改"}[row.history_type]
            entries.append(TimelineEntry(row.history_date, who, f"{verb}{label}：{describe(row)}", "、".join(changed)))
        previous[row.id] = row
    return entries


# Timestamps, and review states that the review record already tells.
_NOT_SHOWN = {"updated_at", "created_at", "status", "submitted_at", "is_late"}


def _changed_fields(before, row) -> list[str]:
    """Verbose names of the tracked fields that differ (compared by column, no related loads)."""
    if before is None:
        return []
    fields = [f for f in row.instance_type._meta.concrete_fields if f.name not in _NOT_SHOWN]
    return [str(f.verbose_name) for f in fields if getattr(before, f.attname) != getattr(row, f.attname)]
