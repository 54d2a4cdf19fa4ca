"""Reads of the tasks domain, one module per concern. Every read goes through
``visible_to(user)``; the names used across the project are re-exported here."""

from tasks.selectors.plans import (
    indicator_list,
    my_tasks,
    plan_current,
    plan_end_changes,
    plan_get,
    plan_group_counts,
    plan_import_run_get,
    plan_import_runs,
    plan_list,
    plan_tree,
    plans_by_choice,
    task_get,
    task_list,
    task_rows,
    task_unit_names_attach,
    unit_get,
    unit_list,
    unit_tasks_by_role,
)

__all__ = [
    "indicator_list",
    "my_tasks",
    "plan_current",
    "plan_end_changes",
    "plan_get",
    "plan_group_counts",
    "plan_import_run_get",
    "plan_import_runs",
    "plan_list",
    "plans_by_choice",
    "plan_tree",
    "task_get",
    "task_list",
    "task_rows",
    "task_unit_names_attach",
    "unit_get",
    "unit_list",
    "unit_tasks_by_role",
]
