"""Background jobs of the tasks domain. Each loads ids and calls a service; nothing is swallowed:
a failure raises, is logged by Celery and retried where a retry can help."""

from celery import shared_task

from tasks import services
from tasks.services import dispatch, inbox


@shared_task(name="tasks.plan_import_run")
def plan_import_run_job(run_id: int) -> str | None:
    """Import an uploaded plan text (方案导入). Safe to run twice: the run is claimed first."""
    run = services.plan_import_run_execute(run_id=run_id)
    return run.status if run else None


@shared_task(name="tasks.period_open_current")
def period_open_current_job() -> str:
    """Daily: the current month is open for progress reports (月调度)."""
    return dispatch.period_open_current().label


@shared_task(
    name="tasks.notification_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
)
def notification_email_job(notification_ids: list[int]) -> int:
    """E-mail copies of inbox messages to recipients who have an address; each copy once."""
    return sum(inbox.notification_email_send(notification_id=pk) for pk in notification_ids)
