"""Reads of the ledgers (工作台账). Everything goes through the selectors of ``tasks`` and
``supervision``, so that a ledger shows exactly the rows its reader may see, filtered as the
list page it is exported from.

Rows are produced chunk by chunk (``settings.LEDGER_CHUNK_ROWS``): each chunk is read with a
fixed number of queries (each function says how many), written, and forgotten, so that neither
memory nor the query count per row grows with the size of the ledger.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import NamedTuple, TypeVar

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from reports.models import ExportJob
from supervision.choices import FindingStatus, Severity
from supervision.models import Finding
from supervision.selectors import finding_light, finding_list
from supervision.services.ladder import Calendar
from tasks.choices import AssignmentRole, FilingStatus, Role
from tasks.filters import TaskFilter, task_filter_params
from tasks.models import (
    ActionPlan,
    Indicator,
    IndicatorActual,
    ProgressReport,
    ReportingPeriod,
    Task,
    TaskAssignment,
    User,
)
from tasks.selectors import indicator_list, plan_current, task_list
from tasks.selectors.state import (
    Attainment,
    PlanStateReader,
    TaskState,
    YearMonth,
    attainment,
    month_at,
    month_parse,
)

T = TypeVar("T")


class LedgerParamsError(ValueError):
    """A filter of the export is not valid; the message says which, in Chinese."""


def office_scope_user() -> User:
    """An unsaved account with the office's role, for commands run by the operator.

    A command has no signed-in user but must read what the office reads; going through the
    same ``visible_to`` keeps one definition of scope instead of a bypass.
    """
    return User(username="manage.py", full_name="系统导出", role=Role.OFFICE)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` items; a list is let go before the next one is read, so that a reader
    which also lets go of its chunk holds one chunk at a time, never two."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
        del chunk


def _chunk_rows() -> int:
    return settings.LEDGER_CHUNK_ROWS


# --- 任务分工表 ---------------------------------------------------------------------------------


def plan_ledger_tasks(*, user: User, plan: ActionPlan) -> list[Task]:
    """The plan's active tasks the user may see, in document order, ready for the ledger.

    Three queries whatever the number of tasks: tasks with group and plan, assignments with
    their units, indicators; plus one for a unit user's scope (its unit and offices).
    """
    indicators = Prefetch("indicators", queryset=Indicator.objects.order_by("sort_order", "id"))
    tasks = task_list(user=user).filter(plan=plan).prefetch_related(indicators)
    return list(tasks.order_by("sort_order", "id"))


# --- 任务台账 -----------------------------------------------------------------------------------


class LedgerUnit(NamedTuple):
    """A unit as the ledger names it."""

    pk: int
    name: str
    short_name: str


class LedgerReport(NamedTuple):
    """What the ledger shows of a unit's report of the period."""

    unit_id: int
    status: str
    completed: str
    problems: str
    next_plan: str
    progress: int | None


@dataclass
class TaskLedgerRow:
    task: Task
    reports: list[LedgerReport]  # the lead units' reports of the period, in the task's lead order
    state: TaskState | None  # the task's light and progress (tasks.selectors.state), None where nothing is owed
    lead_units: list[LedgerUnit]  # in the document's order
    supporting_units: list[LedgerUnit]
    indicators: list[Indicator]  # of the period's year and of the whole plan period


def task_ledger_tasks(*, user: User, params: Mapping[str, str]) -> QuerySet[Task]:
    """The visible active tasks filtered exactly as on the task search page (TaskFilter)."""
    filterset = TaskFilter(task_filter_params(params, user=user), queryset=task_list(user=user))
    if filterset.is_bound and not filterset.is_valid():
        raise LedgerParamsError(_form_errors(filterset.form))
    return filterset.qs.order_by("plan_id", "sort_order", "id")


def ledger_period(*, params: Mapping[str, str]) -> ReportingPeriod | None:
    """The period named by ``?period=``, or the newest period whose reports are in: the newest
    with a submitted report (1 query)."""
    raw = params.get("period", "")
    if raw:
        if not raw.isdigit():
            raise LedgerParamsError("填报期：请选择有效的填报期。")
        period = ReportingPeriod.objects.filter(pk=int(raw)).first()
        if period is None:
            raise LedgerParamsError("填报期：所选填报期不存在。")
        return period
    reported = ProgressReport.objects.filter(period=OuterRef("pk"), submitted_at__isnull=False)
    return ReportingPeriod.objects.filter(Exists(reported)).order_by("-year", "-month").first()


def ledger_month(*, params: Mapping[str, str]) -> YearMonth | None:
    """``?month=YYYY-MM``: the lights as of that month, as the task API and the dashboards give
    them (None: as of now)."""
    try:
        return month_parse(params.get("month", ""))
    except ValueError as exc:
        raise LedgerParamsError(f"月份：{exc}") from None


def ledger_plan_titles(*, tasks: QuerySet[Task]) -> list[str]:
    """The titles of the plans the exported tasks belong to, newest first (1 query): the
    ledger's title."""
    plans = ActionPlan.objects.filter(pk__in=tasks.order_by().values("plan_id"))
    return list(plans.order_by("-ends_on", "-id").values_list("title", flat=True))


def task_ledger_rows(
    *, user: User, tasks: QuerySet[Task], period: ReportingPeriod | None, today: datetime.date | None = None,
    month: YearMonth | None = None,
) -> Iterator[TaskLedgerRow]:
    """Ledger rows, chunk by chunk. Once: the periods the lights read. Per chunk: tasks (with
    group and plan), their units, their indicators, the period's reports, and the lights' lead
    assignments; one more for a unit user's scope the first time.

    Units, reports and indicators are read as plain rows grouped by task, not prefetched onto
    the tasks: a ledger is read once, and building a model and a related manager per row is
    most of what reading it would cost."""
    today = today or timezone.localdate()
    year = period.year if period else today.year
    size = _chunk_rows()
    readers: dict[int, PlanStateReader] = {}  # per plan: what its tasks share is read once for every chunk
    rows = tasks.prefetch_related(None).only(
        "code", "title", "time_node", "group__kind", "group__number", "group__title", "plan__title",
        "plan__start_year", "plan__end_year", "plan__starts_on", "plan__ends_on",
    )
    for chunk in chunked(rows.iterator(chunk_size=size), size):
        ids = [task.pk for task in chunk]
        units = _task_units(ids)
        indicators = _task_indicators(ids, year)
        reports = _period_reports(user=user, task_ids=ids, period=period)
        lights = _chunk_states(readers, chunk, month)
        for task in chunk:
            leads, supporting = units.get(task.pk, ([], []))
            by_unit = reports.get(task.pk, {})
            yield TaskLedgerRow(
                task, [by_unit[unit.pk] for unit in leads if unit.pk in by_unit], lights.get(task.pk),
                leads, supporting, indicators.get(task.pk, []),
            )
        del chunk, units, indicators, reports, lights  # written: gone before the next chunk is read


def _chunk_states(
    readers: dict[int, PlanStateReader], chunk: list[Task], month: YearMonth | None,
) -> dict[int, TaskState]:
    """The chunk's tasks' state as of ``month`` (``month_at``; now without one): 3 queries per plan."""
    found: dict[int, TaskState] = {}
    for plan_id in {task.plan_id for task in chunk}:
        if plan_id not in readers:
            plan = next(task.plan for task in chunk if task.plan_id == plan_id)
            at = month_at(plan, *month) if month else None
            readers[plan_id] = PlanStateReader(plan, at)
        found.update(readers[plan_id].tasks([task.pk for task in chunk if task.plan_id == plan_id]))
    return found


def _task_units(task_ids: list[int]) -> dict[int, tuple[list[LedgerUnit], list[LedgerUnit]]]:
    """task → (lead units, supporting units), each in the document's order (1 query)."""
    found: dict[int, tuple[list[LedgerUnit], list[LedgerUnit]]] = {}
    rows = TaskAssignment.objects.filter(task_id__in=task_ids).order_by("task_id", "sort_order").values_list(
        "task_id", "role", "unit_id", "unit__name", "unit__short_name",
    )
    for task_id, role, *unit in rows:
        leads, supporting = found.setdefault(task_id, ([], []))
        (leads if role == AssignmentRole.LEAD else supporting).append(LedgerUnit(*unit))
    return found


def _task_indicators(task_ids: list[int], year: int) -> dict[int, list[Indicator]]:
    """task → its indicators of ``year`` and of the whole plan period, in order (1 query)."""
    found: dict[int, list[Indicator]] = {}
    indicators = Indicator.objects.filter(Q(year=year) | Q(year__isnull=True), task_id__in=task_ids).only(
        "task_id", "name", "year", "comparator", "target_value", "target_max", "unit_of_measure",
    )
    for indicator in indicators.order_by("sort_order", "id"):
        found.setdefault(indicator.task_id, []).append(indicator)
    return found


def _period_reports(
    *, user: User, task_ids: list[int], period: ReportingPeriod | None,
) -> dict[int, dict[int, LedgerReport]]:
    """task → unit → the period's report, of those the user may read (drafts: its own unit's
    only) (1 query)."""
    if period is None:
        return {}
    reports = ProgressReport.objects.visible_to(user).filter(period=period, task__in=task_ids).values_list(
        "task_id", *LedgerReport._fields,
    )
    found: dict[int, dict[int, LedgerReport]] = {}
    for task_id, *fields in reports:
        report = LedgerReport(*fields)
        found.setdefault(task_id, {})[report.unit_id] = report
    return found


# --- 督查问题整改台账 ---------------------------------------------------------------------------


def finding_ledger_findings(*, user: User, params: Mapping[str, str], today: datetime.date | None = None):
    """The findings the user may see, filtered as on the findings page (状态、严重程度、责任单位、
    督查轮次、逾期), with round, unit, task and rectification in the same query."""
    status, severity = params.get("status", ""), params.get("severity", "")
    if status and status not in FindingStatus.values:
        raise LedgerParamsError("状态：请选择有效的状态。")
    if severity and severity not in Severity.values:
        raise LedgerParamsError("严重程度：请选择有效的严重程度。")
    findings = finding_list(
        user=user, status=status, severity=severity, unit_id=_id_param(params, "unit", "责任单位"),
        round_id=_id_param(params, "round", "督查轮次"), overdue=params.get("overdue") == "1", today=today,
    )
    return findings.select_related("rectification")


def finding_ledger_rows(*, findings: QuerySet[Finding], today: datetime.date | None = None) -> Iterator[Finding]:
    """Findings with their light (``finding.light``) and their working days overdue
    (``finding.overdue_days``: up to today while the unit owes its rectification, up to the day
    it handed it in once it has), chunk by chunk: the findings, and the calendar's overrides for
    the chunk's dates."""
    today = today or timezone.localdate()
    size = _chunk_rows()
    for chunk in chunked(findings.iterator(chunk_size=size), size):
        handed_in = {finding.pk: day for finding in chunk if (day := _handed_in(finding))}
        dates = [today, *(finding.due_date for finding in chunk), *handed_in.values()]
        calendar = Calendar(min(dates), max(dates))
        for finding in chunk:
            finding.light = finding_light(finding, today=today, calendar=calendar)
            day = handed_in.get(finding.pk)
            late = day is not None and day > finding.due_date
            finding.overdue_days = calendar.between(finding.due_date, day) if late else finding.light.overdue_days
            yield finding


def _handed_in(finding: Finding) -> datetime.date | None:
    """The day the unit last handed in its rectification, once the finding no longer waits on it."""
    if finding.is_pending_unit:
        return None
    rectification = getattr(finding, "rectification", None)  # selected with the finding
    submitted = rectification.submitted_at if rectification else None
    return timezone.localdate(submitted) if submitted else None


# --- 指标台账 -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorYear:
    applies: bool  # the indicator has a target in this year
    actual: Decimal | None = None
    attainment: str | None = None


@dataclass
class IndicatorLedgerRow:
    indicator: Indicator
    years: dict[int, IndicatorYear] = field(default_factory=dict)


def indicator_ledger_plan(*, user: User, params: Mapping[str, str]) -> ActionPlan | None:
    """The plan named by ``?plan=``, or the current one (1 query)."""
    plan_id = _id_param(params, "plan", "行动方案")
    if plan_id is None:
        return plan_current(user=user)
    plan = ActionPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise LedgerParamsError("行动方案：所选行动方案不存在。")
    return plan


def indicator_ledger_indicators(*, user: User, plan: ActionPlan | None) -> QuerySet[Indicator]:
    """The plan's indicators the user may see: the plan-level targets first, then by task."""
    if plan is None:
        return Indicator.objects.none()
    return indicator_list(user=user).filter(plan=plan).defer(
        "plan__source_text", "plan__preamble", "plan__closing_text",
    ).order_by("sort_order", "id")


def indicator_ledger_rows(
    *, indicators: QuerySet[Indicator], plan: ActionPlan, today: datetime.date | None = None,
) -> Iterator[IndicatorLedgerRow]:
    """Each indicator with, per year of the plan, its latest actual from submitted or approved
    reports and the attainment. Per chunk: the indicators (with task and plan), their actuals."""
    today = today or timezone.localdate()
    size = _chunk_rows()
    for chunk in chunked(indicators.iterator(chunk_size=size), size):
        latest = _latest_actuals([i.pk for i in chunk])
        for indicator in chunk:
            row = IndicatorLedgerRow(indicator)
            for year in plan.years:
                applies = indicator.year in (None, year)
                actual = latest.get((indicator.pk, year)) if applies else None
                row.years[year] = IndicatorYear(applies, actual, _attainment(indicator, year, actual, today)
                                                if applies else None)
            yield row


def _latest_actuals(indicator_ids: list[int]) -> dict[tuple[int, int], Decimal]:
    """(indicator, year) → the value of the latest period's report that was handed in (1 query)."""
    rows = (
        IndicatorActual.objects.filter(
            indicator_id__in=indicator_ids, report__status__in=[FilingStatus.SUBMITTED, FilingStatus.APPROVED],
        ).order_by("indicator_id", "report__period__year", "report__period__month", "report__submitted_at", "id")
        .values_list("indicator_id", "report__period__year", "value")
    )
    # Ordered oldest first: the last value of each (indicator, year) is the latest.
    return {(indicator_id, year): value for indicator_id, year, value in rows}


def _attainment(indicator: Indicator, year: int, actual: Decimal | None, today: datetime.date) -> str | None:
    """The year's attainment by the one rule (``tasks.selectors.state.attainment``, the year's last
    day its end); nothing to say while the year runs without data."""
    found = attainment(indicator, actual, day=today, ends_on=datetime.date(year, 12, 31))
    return None if found == Attainment.NO_DATA else found


# --- parameters --------------------------------------------------------------------------------


def _id_param(params: Mapping[str, str], name: str, label: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise LedgerParamsError(f"{label}：请选择有效的{label}。")
    return int(raw)


def _form_errors(form) -> str:
    return "；".join(f"{form.fields[name].label if name in form.fields else name}：{'、'.join(errors)}"
                     for name, errors in form.errors.items())


# --- exports -----------------------------------------------------------------------------------


def export_job_get(*, user: User, pk: int) -> ExportJob:
    """An export of the user's own, else 404: nobody else may see or download it (1 query)."""
    return get_object_or_404(ExportJob.objects.filter(requested_by_id=user.pk), pk=pk)
