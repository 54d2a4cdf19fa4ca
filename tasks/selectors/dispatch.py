"""Reads of monthly dispatch: periods, the unit's reporting inbox, the review queue,
a task's reports and its timeline. Query counts do not grow with the number of tasks or the
length of the history (each function says how many it runs)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tasks.choices import AssignmentRole, FilingStatus, PeriodStatus
from tasks.lights import LightResult
from tasks.models import (
    ActionPlan,
    AnnualWorkPlan,
    Contribution,
    Evidence,
    Indicator,
    IndicatorActual,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    TaskAssignment,
    TaskGroup,
    Unit,
    User,
    owes_q,
)
from tasks.selectors.state import task_states
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
    returned ones first, then by due state (4 queries, and the tasks' state: 7 per plan)."""
    if period is None or not user.scope_unit_ids():
        return []
    today = today or timezone.localdate()
    scope = user.scope_unit_ids()
    # The tasks of plans that owe the period, begun or not, and any task the unit has already
    # started a filing on for the period (what was begun must stay in sight).
    begun = Q(Exists(ProgressReport.objects.filter(task=OuterRef("pk"), period=period, unit_id__in=scope))) | Q(
        Exists(Contribution.objects.filter(task=OuterRef("pk"), period=period, unit_id__in=scope))
    )
    tasks = list(
        Task.objects.visible_to(user).active().filter(owes_q(period.year, period.month, prefix="plan__") | begun)
        .for_unit(user.unit_id).select_related("group", "plan")
        .prefetch_related(Prefetch("assignments", TaskAssignment.objects.filter(unit_id__in=scope)))
    )
    reports = {r.task_id: r for r in ProgressReport.objects.filter(period=period, unit_id__in=scope, task__in=tasks)}
    contributions = {c.task_id: c for c in Contribution.objects.filter(period=period, unit_id__in=scope, task__in=tasks)}
    states = task_states(tasks=tasks)
    days_left = working_days_between(today, period.due_date)
    rows = []
    for task in tasks:
        lead = any(a.role == AssignmentRole.LEAD for a in task.assignments.all())
        filing = reports.get(task.pk) if lead else contributions.get(task.pk)
        state = states.get(task.pk)
        # A lead unit sees its own light; a supporting unit the task's (its lead units' worst).
        light = next((state.unit_light(a.unit_id) for a in task.assignments.all()
                      if state and state.unit(a.unit_id)), state.light_result if state else None)
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
    url: str = ""  # the page of what happened, when it has one


def task_timeline(*, user: User, task: Task, limit: int = 200) -> list[TimelineEntry]:
    """Changes to the task, its units, its reports, their actuals and their review, newest
    first, from the recorded history (8 queries whatever the length of the history). What the
    higher layers recorded about the task is added by the page that composes them
    (``timeline_merge``)."""
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
    return timeline_merge(entries, limit=limit)


def timeline_merge(*entries: list[TimelineEntry], limit: int = 200) -> list[TimelineEntry]:
    """Timelines of one task from several sources as one, newest first."""
    merged = [entry for part in entries for entry in part]
    merged.sort(key=lambda e: e.at, reverse=True)
    return merged[:limit]


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


# --- the office's review pages ------------------------------------------------------------------


def contribution_review_queue(*, user: User):
    """Supporting units' contributions for the office's review, oldest submission first."""
    if not user.is_office:
        return Contribution.objects.none()
    return (
        Contribution.objects.visible_to(user).exclude(status=FilingStatus.DRAFT)
        .select_related("task__group", "task__plan", "unit", "period")
        .order_by("submitted_at", "id")
    )


def annual_plan_review_queue(*, user: User):
    """Annual work plans for the office's review, oldest submission first."""
    if not user.is_office:
        return AnnualWorkPlan.objects.none()
    return (
        AnnualWorkPlan.objects.visible_to(user).exclude(status=FilingStatus.DRAFT)
        .select_related("task__group", "task__plan", "unit")
        .order_by("submitted_at", "id")
    )


def review_neighbours(*, queue, filing) -> tuple[int | None, int | None]:
    """Ids of the awaiting filings just before and after ``filing`` in the queue's order
    (oldest submission first), for 上一项 / 下一项 (2 queries)."""
    waiting = queue.filter(status=FilingStatus.SUBMITTED).exclude(pk=filing.pk)
    if filing.submitted_at is None:
        return None, waiting.values_list("pk", flat=True).first()
    at = filing.submitted_at
    before = waiting.filter(Q(submitted_at__lt=at) | Q(submitted_at=at, pk__lt=filing.pk))
    after = waiting.filter(Q(submitted_at__gt=at) | Q(submitted_at=at, pk__gt=filing.pk))
    return (
        before.order_by("-submitted_at", "-pk").values_list("pk", flat=True).first(),
        after.order_by("submitted_at", "pk").values_list("pk", flat=True).first(),
    )


@dataclass(frozen=True)
class ActualRow:
    indicator: Indicator
    value: Decimal | None
    previous: Decimal | None  # the same indicator in the unit's previous report


def report_actual_rows(*, report: ProgressReport, previous: ProgressReport | None) -> list[ActualRow]:
    """The report's indicators for its year with the reported and the previous actuals
    (2 queries, 3 with a previous report)."""
    indicators = report.task.indicators.filter(Q(year=report.period.year) | Q(year__isnull=True)).order_by("sort_order")
    values = dict(report.actuals.values_list("indicator_id", "value"))
    before = dict(previous.actuals.values_list("indicator_id", "value")) if previous else {}
    return [ActualRow(i, values.get(i.pk), before.get(i.pk)) for i in indicators]


def period_list_with_counts() -> list[ReportingPeriod]:
    """Periods, newest first, each with the lead returns it expects and how many were
    submitted, late, awaiting review and approved (one query).

    ``expected`` counts the lead assignments of active tasks whose plan owes the period's month
    (months compared as year × 12 + month); the other counts read the period's reports on active
    tasks.
    """
    month = OuterRef("year") * 12 + OuterRef("month")
    expected = (
        TaskAssignment.objects.annotate(
            first=ExtractYear("task__plan__starts_on") * 12 + ExtractMonth("task__plan__starts_on"),
            last=ExtractYear("task__plan__ends_on") * 12 + ExtractMonth("task__plan__ends_on"),
        ).filter(role=AssignmentRole.LEAD, task__is_active=True, first__lte=month, last__gte=month)
        .order_by().values("role").annotate(n=Count("pk")).values("n")
    )
    active = Q(reports__task__is_active=True)
    return list(
        ReportingPeriod.objects.annotate(
            expected=Coalesce(Subquery(expected), 0),
            submitted=Count("reports", filter=active & Q(reports__submitted_at__isnull=False)),
            late=Count("reports", filter=active & Q(reports__is_late=True)),
            awaiting=Count("reports", filter=active & Q(reports__status=FilingStatus.SUBMITTED)),
            approved=Count("reports", filter=active & Q(reports__status=FilingStatus.APPROVED)),
        ).order_by("-year", "-month")
    )


def annual_plan_years() -> list[int]:
    """The years that have annual work plans, newest first (the queue's year filter)."""
    return list(AnnualWorkPlan.objects.order_by("-year").values_list("year", flat=True).distinct())


def review_record(*, filing) -> list[ReviewEvent]:
    """A filing's review record (提交、通过、退回、重新打开), oldest first, with who (1 query)."""
    return list(filing.events.select_related("actor").order_by("at", "id"))


def review_waiting_counts(*, user: User) -> dict[str, int]:
    """How many filings of each kind await the office's review (1 query: the three counts joined
    by UNION ALL; none for others, who review nothing)."""
    queues = {
        "report": review_queue(user=user),
        "contribution": contribution_review_queue(user=user),
        "annual": annual_plan_review_queue(user=user),
    }
    found = dict.fromkeys(queues, 0)
    if not user.is_office:
        return found
    first, *rest = (
        queue.filter(status=FilingStatus.SUBMITTED).order_by().values(kind=Value(kind)).annotate(n=Count("pk"))
        .values_list("kind", "n")
        for kind, queue in queues.items()
    )
    found.update(first.union(*rest, all=True))
    return found


# --- the unit's filing pages ----------------------------------------------------------------------


def _filing_detail(queryset):
    """A filing with its review record and, where it has them, its actuals and evidence."""
    return queryset.prefetch_related(_events())


def report_find(*, task: Task, unit_id: int, period: ReportingPeriod) -> ProgressReport | None:
    """The unit's report on the task for the period, if it has begun one (4 queries: the report,
    its review record, its actuals, its evidence). Callers have checked the unit's role."""
    return (
        _filing_detail(ProgressReport.objects.filter(task=task, unit_id=unit_id, period=period))
        .prefetch_related("actuals", "evidence").first()
    )


def contribution_find(*, task: Task, unit_id: int, period: ReportingPeriod) -> Contribution | None:
    """The unit's contribution to the task for the period (2 queries)."""
    return _filing_detail(Contribution.objects.filter(task=task, unit_id=unit_id, period=period)).first()


def annual_plan_find(*, task: Task, unit_id: int, year: int) -> AnnualWorkPlan | None:
    """The unit's annual work plan of the task for the year (3 queries)."""
    return (
        _filing_detail(AnnualWorkPlan.objects.filter(task=task, unit_id=unit_id, year=year))
        .prefetch_related("evidence").first()
    )


def period_lead_reports(*, user: User, task: Task, period: ReportingPeriod) -> list[ProgressReport]:
    """The lead units' submitted reports on the task for the period, as a supporting unit sees
    them beside its contribution (drafts never; 4 queries)."""
    return list(
        ProgressReport.objects.visible_to(user).filter(task=task, period=period)
        .exclude(status=FilingStatus.DRAFT).select_related("unit")
        .prefetch_related("actuals__indicator", "evidence").order_by("unit__sort_order")
        .prefetch_related(_events())
    )


@dataclass
class ReturnedFiling:
    """A filing the office returned to the unit, with the comment it was returned with."""

    kind: str  # "report" | "contribution" | "annual_plan"
    filing: ProgressReport | Contribution | AnnualWorkPlan
    comment: str
    returned_at: datetime.datetime | None


def filings_returned(*, user: User) -> list[ReturnedFiling]:
    """What the office sent back to the user's unit and the unit can still fix (reports and
    contributions of open periods, annual plans of any year), newest return first (3 queries:
    one per kind, the last return comment read in the same query)."""
    scope = user.scope_unit_ids()
    if not scope:
        return []
    open_period = Q(period__status=PeriodStatus.OPEN)
    kinds = [
        ("report", ProgressReport.objects.filter(open_period).select_related("task", "period"), "report"),
        ("contribution", Contribution.objects.filter(open_period).select_related("task", "period"), "contribution"),
        ("annual_plan", AnnualWorkPlan.objects.select_related("task"), "annual_plan"),
    ]
    rows = []
    for kind, queryset, event_field in kinds:
        last_return = ReviewEvent.objects.filter(
            **{event_field: OuterRef("pk")}, to_status=FilingStatus.RETURNED,
        ).order_by("-at", "-id")
        filings = queryset.filter(unit_id__in=scope, status=FilingStatus.RETURNED).annotate(
            return_comment=Subquery(last_return.values("comment")[:1]),
            returned_at=Subquery(last_return.values("at")[:1]),
        )
        rows += [ReturnedFiling(kind, f, f.return_comment or "", f.returned_at) for f in filings]
    far_past = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return sorted(rows, key=lambda r: r.returned_at or far_past, reverse=True)


@dataclass
class AnnualPlanRow:
    task: Task
    plan: AnnualWorkPlan | None


def annual_plans_due(*, user: User, year: int) -> list[AnnualPlanRow]:
    """The year's annual work plans the user's unit, as lead unit, has not yet submitted
    (3 queries: the scope, the tasks, their plans)."""
    scope = user.scope_unit_ids()
    if not scope:
        return []
    tasks = list(
        Task.objects.visible_to(user).active().filter(plan__starts_on__year__lte=year, plan__ends_on__year__gte=year)
        .for_unit(user.unit_id, role=AssignmentRole.LEAD).select_related("plan").defer("plan__source_text")
    )
    plans = {p.task_id: p for p in AnnualWorkPlan.objects.filter(task__in=tasks, unit_id__in=scope, year=year)}
    open_statuses = FilingStatus.editable()
    return [AnnualPlanRow(t, plans.get(t.pk)) for t in tasks
            if t.pk not in plans or plans[t.pk].status in open_statuses]



def task_period_reports(*, user: User, task: Task, period: ReportingPeriod) -> list[ProgressReport]:
    """The lead units' reports on the task for the period that the user may read — what a
    supporting unit's contribution adds to (1 query)."""
    return list(
        ProgressReport.objects.visible_to(user).filter(task=task, period=period)
        .exclude(status=FilingStatus.DRAFT).select_related("unit").order_by("unit__sort_order")
    )


# --- choices for filters: the recent plans only, so lists stay short as years pass ------------


def recent_plans(limit: int = 2):
    """The newest plans (the current one and the one before), as a subquery."""
    return ActionPlan.objects.order_by("-ends_on", "-id").values("pk")[:limit]


def recent_periods():
    """Periods from the start of the recent plans on, and any newer month (e.g. the current one)."""
    start = ActionPlan.objects.filter(pk__in=recent_plans()).order_by("starts_on").values("starts_on__year")[:1]
    return ReportingPeriod.objects.filter(year__gte=Subquery(start)).order_by("-year", "-month")


def recent_groups():
    return TaskGroup.objects.filter(plan__in=recent_plans()).select_related("plan").order_by("plan", "kind", "number")


def recent_units():
    """Units holding a task of the recent plans."""
    on_recent = TaskAssignment.objects.filter(unit=OuterRef("pk"), task__plan__in=recent_plans())
    return Unit.objects.assignable().filter(Exists(on_recent))
