"""Writes of the tasks domain, one module per concern. Every function is keyword-only, typed,
and runs in one transaction; the names used across the project are re-exported here."""

from tasks.services.plans import (
    PlanDatesError,
    PlanImportError,
    PlanImportReport,
    plan_end_move,
    plan_import,
    plan_import_run_confirm,
    plan_import_run_create,
    plan_import_run_execute,
    plan_import_run_preview,
    seed_plan_load,
    unit_directory_load,
)

__all__ = [
    "PlanDatesError", "PlanImportError", "PlanImportReport", "plan_end_move", "plan_import", "plan_import_run_confirm",
    "plan_import_run_create", "plan_import_run_execute", "plan_import_run_preview", "seed_plan_load",
    "unit_directory_load",
]
