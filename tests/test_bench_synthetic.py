"""The synthetic data generator of the benchmark (reports/bench/synthetic.py).

No timing here: speed is measured by `make bench` as ratios within one run.
"""

import hashlib

import pytest
from django.db import transaction

from reports.bench.synthetic import EDIT_ROUNDS, synthetic_counts, synthetic_grow, synthetic_title
from tasks.models import ActionPlan, Task, TaskAssignment, Unit, UnitAlias

pytestmark = pytest.mark.django_db


def fingerprint() -> str:
    """Every synthetic row by its natural keys (ids differ between runs), hashed."""
    plans = ActionPlan.objects.exclude(title__startswith="合成方案 ").values_list("pk", flat=True)
    rows = [
        *ActionPlan.objects.order_by("title").values_list("title", "start_year", "end_year", "source_sha256"),
        *Unit.objects.order_by("name").values_list("name", "short_name", "kind", "parent__name", "sort_order"),
        *UnitAlias.objects.order_by("alias").values_list("alias", "unit__name"),
        *Task.objects.exclude(plan__in=plans).order_by("plan__title", "code").values_list(
            "plan__title", "code", "group__title", "title", "text", "time_node"),
        *TaskAssignment.objects.exclude(task__plan__in=plans).order_by("task__plan__title", "task__code", "unit__name")
        .values_list("task__plan__title", "task__code", "unit__name", "role", "sort_order"),
        *Task.history.exclude(plan_id__in=plans).order_by("history_date", "code").values_list(
            "history_date", "history_type", "code", "time_node", "text"),
    ]
    return hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()


def seed_state(plan) -> list:
    tasks = Task.objects.filter(plan=plan).order_by("pk").values_list()
    assignments = TaskAssignment.objects.filter(task__plan=plan).order_by("pk").values_list()
    history = Task.history.filter(plan_id=plan.pk).order_by("history_id").values_list()
    return [list(tasks), list(assignments), list(history)]


def test_scale_2_doubles_plans_tasks_units_and_assignments(plan):
    before = synthetic_counts()
    report = synthetic_grow(scale=2)
    after = synthetic_counts()
    assert report.plans_added == [2]
    for key in ("plans", "tasks", "units", "assignments", "indicators"):
        assert after[key] == 2 * before[key], key
    assert UnitAlias.objects.filter(alias__endswith="（合成0002）").count() == UnitAlias.objects.count() // 2
    synthetic = ActionPlan.objects.get(title=synthetic_title(2))
    assert synthetic.end_year < plan.start_year  # the seed plan stays the current one
    assert list(synthetic.tasks.values_list("code", flat=True)) == list(plan.tasks.values_list("code", flat=True))


def test_every_synthetic_task_has_a_creation_row_and_one_per_edit_round(plan):
    synthetic_grow(scale=2)
    synthetic = ActionPlan.objects.get(title=synthetic_title(2))
    history = Task.history.filter(plan_id=synthetic.pk)
    assert history.filter(history_type="+").count() == plan.tasks.count()
    assert history.filter(history_type="~").count() == EDIT_ROUNDS * plan.tasks.count()
    assignments = TaskAssignment.objects.filter(task__plan=plan).count()
    assert TaskAssignment.history.filter(task__plan=synthetic).count() == assignments


def test_seed_plan_rows_and_history_are_untouched(plan):
    before = seed_state(plan)
    synthetic_grow(scale=3)
    assert seed_state(plan) == before


def test_growth_is_deterministic_and_path_independent(plan):
    """Scale 3 built directly equals scale 3 built after scale 2, and a rebuild equals both."""
    savepoint = transaction.savepoint()
    synthetic_grow(scale=3)
    direct = fingerprint()
    transaction.savepoint_rollback(savepoint)
    assert synthetic_counts()["plans"] == 1

    synthetic_grow(scale=2)
    assert synthetic_grow(scale=3).plans_added == [3]
    assert fingerprint() == direct


def test_growing_to_the_same_scale_again_adds_nothing(plan):
    synthetic_grow(scale=2)
    counts = synthetic_counts()
    assert synthetic_grow(scale=2).plans_added == []
    assert synthetic_grow(scale=1).plans_added == []
    assert synthetic_counts() == counts


def test_real_units_share_the_synthetic_plans_tasks(plan):
    """Assignments go to the real unit or to the plan's copy of it, never twice to a task."""
    synthetic_grow(scale=2)
    synthetic = ActionPlan.objects.get(title=synthetic_title(2))
    units = TaskAssignment.objects.filter(task__plan=synthetic).values_list("unit__name", flat=True)
    copies = [name for name in units if name.endswith("（合成0002）")]
    assert 0 < len(copies) < len(units)
