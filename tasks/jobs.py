"""Background jobs of the tasks domain. Each loads ids and calls a service; nothing is swallowed."""

from celery import shared_task

from tasks import services


@shared_task(name="tasks.plan_import_run")
def plan_import_run_job(run_id: int) -> str | None:
    """Import an uploaded plan text (方案导入). Safe to run twice: the run is claimed first."""
    run = services.plan_import_run_execute(run_id=run_id)
    return run.status if run else None
