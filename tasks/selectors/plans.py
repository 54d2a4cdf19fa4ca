"""Reads of the tasks domain. Every read goes through ``visible_to(user)``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import Case, Count, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tasks.choices import AssignmentRole
from tasks.models import (
    ActionPlan,
    Indicator,
    PlanImportRun,
    Task,
    TaskAssignment,
    TaskGroup,
    Unit,
    User,
)


def plan_list(*, user: User):
    return ActionPlan.objects.all() if user.is_authenticated else ActionPlan.objects.none()


def plans_by_choice(*, user: User, today: datetime.date | None = None):
    """The plans in the order a page chooses among them: those in force today first, then the
    others; the newest first in each (the first is the one a page opens on)."""
    today = today or timezone.localdate()
    in_force = Case(When(starts_on__lte=today, ends_on__gte=today, then=Value(0)), default=Value(1))
    return plan_list(user=user).defer("source_text").order_by(in_force, "-starts_on", "-id")


def plan_current(*, user: User, today: datetime.date | None = None) -> ActionPlan | None:
    """The plan a page opens on: the newest plan in force today, or else the newest one (1 query)."""
    return plans_by_choice(user=user, today=today).first()


@dataclass(frozen=True)
class PlanEndChange:
    at: datetime.datetime
    actor: str
    previous: datetime.date
    ends_on: datetime.date
    reason: str


def plan_end_changes(*, plan: ActionPlan) -> list[PlanEndChange]:
    """Every move of the plan's end date, newest first, with who, when and why (1 query)."""
    rows = plan.history.order_by("history_date", "history_id").select_related("history_user")
    changes, previous = [], None
    for row in rows.only("history_date", "history_id", "ends_on", "history_change_reason", "history_user"):
        if previous is not None and row.ends_on != previous:
            changes.append(PlanEndChange(row.history_date, str(row.history_user or "系统"), previous, row.ends_on,
                                         row.history_change_reason or ""))
        previous = row.ends_on
    return changes[::-1]


def plan_get(*, user: User, pk: int) -> ActionPlan:
    return get_object_or_404(plan_list(user=user), pk=pk)


def task_list(*, user: User):
    """Visible, active tasks with their group, plan and units (3 queries in all)."""
    return Task.objects.visible_to(user).active().with_units()


def task_rows(*, user: User):
    """Visible tasks with their group only — for the API, which adds unit names to the rows it
    returns with ``task_unit_names_attach`` (no model per assignment and unit)."""
    return Task.objects.visible_to(user).select_related("group")


def task_unit_names_attach(tasks: list[Task]) -> list[Task]:
    """Set ``task.unit_names = {"lead": [...], "supporting": [...]}``, document order, 1 query."""
    by_task = {task.pk: task for task in tasks}
    for task in tasks:
        task.unit_names = {AssignmentRole.LEAD: [], AssignmentRole.SUPPORTING: []}
    rows = (
        TaskAssignment.objects.filter(task_id__in=list(by_task))
        .order_by("task_id", "sort_order").values_list("task_id", "role", "unit__name")
    )
    for task_id, role, name in rows:
        by_task[task_id].unit_names[role].append(name)
    return tasks


def task_get(*, user: User, pk: int) -> Task:
    """A task the user may see, else 404."""
    return get_object_or_404(
        Task.objects.visible_to(user).with_units().prefetch_related("indicators"), pk=pk
    )


def plan_tree(
    *, user: User, plan: ActionPlan,
) -> tuple[list[tuple[TaskGroup, list[Task]]], list[Indicator]]:
    """Groups of a plan with the user's visible tasks in document order, and the plan-level
    indicators (工作目标). 3 queries: tasks, their units, and every indicator of the plan read
    once and shared out (``task.plan_indicators``)."""
    tasks = list(task_list(user=user).filter(plan=plan))
    indicators = list(indicator_list(user=user).filter(plan=plan).select_related(None).order_by("sort_order"))
    by_task: dict[int | None, list[Indicator]] = {}
    for indicator in indicators:
        by_task.setdefault(indicator.task_id, []).append(indicator)
    tree: dict[int, tuple[TaskGroup, list[Task]]] = {}
    for task in tasks:
        task.plan_indicators = by_task.get(task.pk, [])
        tree.setdefault(task.group_id, (task.group, []))[1].append(task)
    return list(tree.values()), by_task.get(None, [])


def plan_group_counts(*, user: User, plan: ActionPlan) -> list[tuple[TaskGroup, int]]:
    """Groups of the plan with their number of visible active tasks, in document order (1 query)."""
    rows = (
        Task.objects.visible_to(user).active().filter(plan=plan)
        .values("group_id").annotate(n=Count("id"), first=models.Min("sort_order")).order_by("first")
    )
    counts = {row["group_id"]: row["n"] for row in rows}
    groups = TaskGroup.objects.in_bulk(list(counts))
    return [(groups[group_id], n) for group_id, n in counts.items()]


def unit_list(*, user: User):
    """The active units of the directory, with parent and aliases (2 queries)."""
    return Unit.objects.visible_to(user).filter(is_active=True).select_related("parent").prefetch_related("aliases")


def unit_get(*, user: User, pk: int) -> Unit:
    return get_object_or_404(Unit.objects.visible_to(user).select_related("parent"), pk=pk)


def unit_tasks_by_role(*, user: User, unit: Unit) -> dict[str, list[Task]]:
    """The unit's tasks (its offices' included) split into 牵头 and 配合, visible ones only."""
    result: dict[str, list[Task]] = {AssignmentRole.LEAD: [], AssignmentRole.SUPPORTING: []}
    if unit.pk == user.unit_id:
        unit_ids = set(user.scope_unit_ids())  # cached on the user: no second look-up
    else:
        unit_ids = {unit.pk, *unit.children.values_list("pk", flat=True)}
    for task in task_list(user=user).for_unit(unit):
        roles = {a.role for a in task.assignments.all() if a.unit_id in unit_ids}
        role = AssignmentRole.LEAD if AssignmentRole.LEAD in roles else AssignmentRole.SUPPORTING
        result[role].append(task)
    return result


def my_tasks(*, user: User, plan: ActionPlan | None = None) -> dict[str, list[Task]]:
    """Home page: the tasks of the user's own unit, 牵头 and 配合 (of ``plan`` only, if given)."""
    if user.unit_id is None:
        return {AssignmentRole.LEAD: [], AssignmentRole.SUPPORTING: []}
    found = unit_tasks_by_role(user=user, unit=user.unit)
    if plan is not None:
        found = {role: [task for task in tasks if task.plan_id == plan.pk] for role, tasks in found.items()}
    return found


def indicator_list(*, user: User):
    return Indicator.objects.visible_to(user).select_related("task", "plan")


def plan_import_runs(*, user: User):
    """Plan imports: the office's business only."""
    runs = PlanImportRun.objects.select_related("created_by", "plan").defer("text", "plan__source_text")
    return runs if user.is_authenticated and user.is_office else runs.none()


def plan_import_run_get(*, user: User, pk: int) -> PlanImportRun:
    return get_object_or_404(plan_import_runs(user=user), pk=pk)
