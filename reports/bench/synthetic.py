"""Synthetic data at a scale factor k of the real plan: k× its tasks, units and history.

Scale 1 is the seed plan alone (imported from ``settings.SEED_PLAN_PATH`` if absent). Scale k
adds plans 2…k, 「合成方案 0002」…, each shaped like the seed plan:

- its own copy of the seed's unit directory (「新区督查室（合成0002）」, with parents, members
  and aliases), so the directory grows k× as well;
- the seed's targets, task groups, tasks and indicators, three years earlier than the previous
  plan, so the seed plan stays the current one at every scale;
- the seed's assignments, each one on the real unit or on the plan's copy of it (a real
  department collects tasks from every plan, as it would over the years);
- history as the portal writes it: a creation row for every record, then ``EDIT_ROUNDS``
  rounds of edits to every task (several history rows per task);
- monthly dispatch (dispatch_history.py): 36 months of progress reports, their review record,
  indicator actuals and contributions for every plan, the seed plan included (its last month
  open, with the measured unit's drafts), and the current month, open, with reports awaiting
  review.

The seed plan's own rows are never written; its filings are written once (at the first growth)
and never touched again. Growth is incremental (scale 10 after scale 1 adds plans 2…10) and
deterministic: plan n draws from its own seeded random generators, so the data of plan n is the
same whichever path led to it. Bulk writes only (a few queries per table and plan): growing to
100× takes about two minutes of CPU, Python and PostgreSQL together, most of it the filings.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from reports.bench.dispatch_history import (
    MEASURED_UNIT,
    current_period_fill,
    history_rng,
    office_user,
    plan_history_create,
    plans_without_history,
)
from tasks.models import (
    ActionPlan,
    Contribution,
    Indicator,
    IndicatorActual,
    PlanTarget,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    TaskAssignment,
    TaskGroup,
    Unit,
    UnitAlias,
)
from tasks.services import seed_plan_load

TITLE_PREFIX = "合成方案 "
DEFAULT_SEED = 2020
EDIT_ROUNDS = 3
CHANGE_REASON = "合成数据"
HISTORY_MODELS = (
    Unit, ActionPlan, PlanTarget, TaskGroup, Task, TaskAssignment, Indicator,
    ReportingPeriod, ProgressReport, Contribution, IndicatorActual,
)


def synthetic_title(number: int) -> str:
    return f"{TITLE_PREFIX}{number:04d}"


@dataclass
class SeedShape:
    """The seed plan and unit directory, read once and copied into every synthetic plan."""

    plan: ActionPlan
    units: list[Unit]
    aliases: list[UnitAlias]
    members: list[tuple[int, int]]
    targets: list[PlanTarget]
    groups: list[TaskGroup]
    tasks: list[Task]
    assignments: list[TaskAssignment]
    indicators: list[Indicator]

    @classmethod
    def read(cls, plan: ActionPlan) -> SeedShape:
        """Eight queries, whatever the scale."""
        rows = json.loads(settings.UNIT_DIRECTORY_PATH.read_text(encoding="utf-8"))["units"]
        units = list(Unit.objects.filter(name__in=[row["name"] for row in rows]).order_by("sort_order", "id"))
        unit_ids = [u.pk for u in units]
        through = Unit.members.through.objects.filter(from_unit_id__in=unit_ids, to_unit_id__in=unit_ids)
        return cls(
            plan=plan,
            units=units,
            aliases=list(UnitAlias.objects.filter(unit_id__in=unit_ids).order_by("alias")),
            members=list(through.order_by("id").values_list("from_unit_id", "to_unit_id")),
            targets=list(plan.targets.order_by("year")),
            groups=list(plan.groups.order_by("kind", "number")),
            tasks=list(plan.tasks.order_by("sort_order", "id")),
            assignments=list(TaskAssignment.objects.filter(task__plan=plan).order_by("task__sort_order", "sort_order", "id")),
            indicators=list(plan.indicators.order_by("sort_order", "id")),
        )

    @cached_property
    def unit_by_id(self) -> dict[int, Unit]:
        return {u.pk: u for u in self.units}

    @property
    def year_span(self) -> int:
        return self.plan.end_year - self.plan.start_year + 1


@dataclass
class GrowthReport:
    scale: int
    seed_plan: ActionPlan
    plans_added: list[int] = field(default_factory=list)
    histories_added: list[int] = field(default_factory=list)  # plans given their 36 months of filings
    current_filled: bool = False  # the current month's filings were written by this call


def synthetic_grow(*, scale: int, seed: int = DEFAULT_SEED, today: date | None = None) -> GrowthReport:
    """Grow the database to ``scale``× the seed plan; plans already there are kept as they are.

    ``today`` (default: the real date) names the current month, open for reporting.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    shape = SeedShape.read(seed_plan_load())
    if shape.plan.start_year - shape.year_span * (scale - 1) < 1:
        raise ValueError(f"scale {scale} would date the oldest synthetic plan before year 1")
    existing = set(ActionPlan.objects.filter(title__startswith=TITLE_PREFIX).values_list("title", flat=True))
    report = GrowthReport(scale=scale, seed_plan=shape.plan)
    for number in range(2, scale + 1):
        if synthetic_title(number) not in existing:
            _plan_create(shape, number, random.Random(seed * 100_000 + number))
            report.plans_added.append(number)
    _dispatch_fill(report, seed=seed, today=today or timezone.localdate())
    return report


def _dispatch_fill(report: GrowthReport, *, seed: int, today: date) -> None:
    """Filings for every plan up to the scale that has none in its years, then the current month."""
    titles = {synthetic_title(number): number for number in range(2, report.scale + 1)}
    numbers = {report.seed_plan.pk: 1} | {
        pk: titles[title] for pk, title in ActionPlan.objects.filter(title__in=titles).values_list("pk", "title")
    }
    plans = sorted(ActionPlan.objects.filter(pk__in=numbers), key=lambda plan: numbers[plan.pk])
    reviewer, measured = office_user(), Unit.objects.get(name=MEASURED_UNIT).pk
    for plan in plans_without_history(plans):
        number = numbers[plan.pk]
        plan_history_create(plan, history_rng(seed, number), reviewer, measured_unit_id=measured if number == 1 else None)
        report.histories_added.append(number)
    report.current_filled = current_period_fill(
        report.seed_plan, today=today, rng=history_rng(seed, 0), reviewer=reviewer,
    )


@transaction.atomic
def _plan_create(shape: SeedShape, number: int, rng: random.Random) -> ActionPlan:
    """One synthetic plan and its unit directory copy, about 25 queries."""
    offset = -shape.year_span * (number - 1)
    created_at = datetime(shape.plan.start_year + offset, 1, 1, tzinfo=UTC)
    units = _units_copy(shape, number, created_at)
    plan = _create(ActionPlan, [_plan_row(shape, number, offset, created_at)], created_at)[0]
    _create(PlanTarget, [
        PlanTarget(plan=plan, year=t.year + offset, text=t.text) for t in shape.targets
    ], created_at)
    groups = _copy_map(TaskGroup, shape.groups, created_at, lambda g: TaskGroup(
        plan=plan, kind=g.kind, number=g.number, title=g.title))
    tasks = _copy_map(Task, shape.tasks, created_at, lambda t: Task(
        plan=plan, group=groups[t.group_id], number=t.number, code=t.code, title=t.title, text=t.text,
        time_node=t.time_node, sort_order=t.sort_order, is_active=t.is_active))
    _create(TaskAssignment, [
        TaskAssignment(task=tasks[a.task_id], unit=_pick_unit(a.unit_id, shape, units, rng), role=a.role,
                       sort_order=a.sort_order, source_name=a.source_name)
        for a in shape.assignments
    ], created_at)
    _create(Indicator, [_indicator_row(i, plan, tasks, offset) for i in shape.indicators], created_at)
    _tasks_edit(list(tasks.values()), plan, created_at, rng)
    return plan


def _create(model: type[Model], objs: list[Model], when: datetime) -> list[Model]:
    """Rows and their creation history, in two queries; returns the rows with their ids."""
    return bulk_create_with_history(
        objs, model, batch_size=1000, default_date=when, default_change_reason=CHANGE_REASON,
    )


def _copy_map(model, originals, when, make) -> dict[int, Model]:
    """Copy rows with ``make``; returns seed id → copy."""
    copies = _create(model, [make(o) for o in originals], when)
    return {o.pk: c for o, c in zip(originals, copies, strict=True)}


def _pick_unit(seed_unit_id: int, shape: SeedShape, copies: dict[int, Unit], rng: random.Random) -> Unit:
    """Half the assignments stay on the real unit, half go to the plan's copy of it. Distinct
    seed units map to distinct units either way, so one unit per task still holds."""
    return copies[seed_unit_id] if rng.random() < 0.5 else shape.unit_by_id[seed_unit_id]


def _units_copy(shape: SeedShape, number: int, when: datetime) -> dict[int, Unit]:
    """The plan's copy of the seed unit directory, parents before children; seed id → copy."""
    copies: dict[int, Unit] = {}
    pending = list(shape.units)
    while pending:
        ready = [u for u in pending if u.parent_id is None or u.parent_id in copies]
        if not ready:
            raise ValueError("the seed unit directory has a parent outside it or a cycle")
        copies.update(_copy_map(Unit, ready, when, lambda u: Unit(
            name=f"{u.name}（合成{number:04d}）", short_name=f"{u.short_name}{number:04d}",
            kind=u.kind, parent=copies.get(u.parent_id), sort_order=number * 1000 + u.sort_order,
            is_active=u.is_active, note=u.note)))
        pending = [u for u in pending if u.pk not in copies]
    UnitAlias.objects.bulk_create([
        UnitAlias(unit=copies[a.unit_id], alias=f"{a.alias}（合成{number:04d}）", note=a.note)
        for a in shape.aliases
    ])
    Unit.members.through.objects.bulk_create([
        Unit.members.through(from_unit_id=copies[a].pk, to_unit_id=copies[b].pk) for a, b in shape.members
    ])
    return copies


def _plan_row(shape: SeedShape, number: int, offset: int, created_at: datetime) -> ActionPlan:
    seed = shape.plan
    title = synthetic_title(number)
    text = seed.source_text.replace(seed.title, title, 1)
    start_year, end_year = seed.start_year + offset, seed.end_year + offset
    starts_on, ends_on = ActionPlan.default_dates(start_year, end_year)
    return ActionPlan(
        title=title, start_year=start_year, end_year=end_year, starts_on=starts_on, ends_on=ends_on,
        preamble=seed.preamble, closing_text=seed.closing_text, source_text=text,
        source_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), imported_at=created_at,
    )


def _indicator_row(seed: Indicator, plan: ActionPlan, tasks: dict[int, Task], offset: int) -> Indicator:
    return Indicator(
        plan=plan, task=tasks[seed.task_id] if seed.task_id else None, key=seed.key, name=seed.name,
        year=seed.year + offset if seed.year else None, comparator=seed.comparator,
        target_value=seed.target_value, target_max=seed.target_max,
        unit_of_measure=seed.unit_of_measure, source_excerpt=seed.source_excerpt,
        sort_order=seed.sort_order,
    )


def _tasks_edit(tasks: list[Task], plan: ActionPlan, created_at: datetime, rng: random.Random) -> None:
    """``EDIT_ROUNDS`` rounds of edits to every task, a few weeks apart, one history row each:
    the office moves the time node, and now and then rewords the task."""
    for round_number in range(1, EDIT_ROUNDS + 1):
        when = created_at + timedelta(days=60 * round_number)
        for task in tasks:
            year = rng.randint(plan.start_year, plan.end_year)
            task.time_node = f"{year}年{rng.randint(1, 12)}月底前"
            if rng.random() < 0.3:
                task.text = f"{task.text}（第{round_number}次调整）"
            task._history_date = when + timedelta(minutes=rng.randint(0, 24 * 60))
        bulk_update_with_history(
            tasks, Task, ["time_node", "text"], batch_size=1000, default_change_reason=CHANGE_REASON,
        )


def synthetic_counts() -> dict[str, int]:
    """Rows per table, and history rows across the plan's and dispatch tables (20 queries)."""
    return {
        "plans": ActionPlan.objects.count(),
        "tasks": Task.objects.count(),
        "units": Unit.objects.count(),
        "assignments": TaskAssignment.objects.count(),
        "indicators": Indicator.objects.count(),
        "periods": ReportingPeriod.objects.count(),
        "reports": ProgressReport.objects.count(),
        "contributions": Contribution.objects.count(),
        "review_events": ReviewEvent.objects.count(),
        "actuals": IndicatorActual.objects.count(),
        "history": sum(model.history.count() for model in HISTORY_MODELS),
    }
