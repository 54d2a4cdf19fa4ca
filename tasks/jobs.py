"""Background jobs of the tasks domain. Each loads ids and calls a service; nothing is swallowed:
a failure raises, is logged by Celery and retried where a retry can help.

Late acknowledgement (``acks_late``) is off by default (settings) and on for each job below:
all three are idempotent because their services claim the rows first, so a job run again
after its worker died does nothing twice. Queue them with ``tasks.queueing.enqueue_on_commit``.
"""

from celery import shared_task

from tasks import services
from tasks.services import dispatch, inbox, plans


# Claimed: the run goes from pending to running in one conditional UPDATE; a second delivery
# finds it running or finished and returns None.
@shared_task(name="tasks.plan_import_run", acks_late=True)
def plan_import_run_job(run_id: int) -> str | None:
    """Import an uploaded plan text (方案导入). Safe to run twice: the run is claimed first."""
    run = services.plan_import_run_execute(run_id=run_id)
    return run.status if run else None


# Idempotent: opening a month that is open changes nothing, and re-queueing a pending import
# is harmless because the import job claims it.
@shared_task(name="tasks.period_open_current", acks_late=True)
def period_open_current_job() -> str:
    """Hourly: the current month is open for progress reports (月调度), and imports stuck in
    the queue (the broker was down when they were confirmed) are queued again."""
    plans.plan_import_run_requeue()
    return dispatch.period_open_current().label


# Claimed: each message's e-mail copy is marked sent before it is sent, and a copy already
# marked is skipped.
@shared_task(
    name="tasks.notification_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
    acks_late=True,
)
def notification_email_job(notification_ids: list[int]) -> int:
    """E-mail copies of inbox messages to recipients who have an address and want them; each once."""
    return sum(inbox.notification_email_send(notification_id=pk) for pk in notification_ids)
