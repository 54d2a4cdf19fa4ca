"""Background jobs of supervision. Each is thin: it calls one service and lets failures raise
(logged by Celery, retried with backoff where a retry can help). All are idempotent — steps
are recorded under unique keys and deliveries are claimed — so late acknowledgement is safe:
a job whose worker died is run again, and nothing is doubled."""

import datetime

from celery import shared_task
from django.db import OperationalError

from supervision import services
from supervision.services.messenger import WebhookError

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5, "acks_late": True}


@shared_task(name="supervision.deadline_scan", **RETRY)
def deadline_scan_job(date: str | None = None) -> str:
    """Every morning: 提醒, 催办 and 督办单 that fall due, last month's 通报; nothing on a day off."""
    today = datetime.date.fromisoformat(date) if date else None
    return str(services.deadline_scan(today=today))


@shared_task(name="supervision.round_open_quarter", **RETRY)
def round_open_quarter_job() -> str:
    """First day of each quarter: the quarter's inspection round is open for planning."""
    round_, created = services.round_open_quarter()
    return f"{round_.title}（{'新建' if created else '已存在'}）"


@shared_task(
    name="supervision.webhook_post", autoretry_for=(WebhookError, OSError), retry_backoff=True,
    retry_backoff_max=3600, max_retries=8, acks_late=True,
)
def webhook_post_job(escalation_id: int) -> bool:
    """Post one ladder step to the office's messenger robot, once."""
    return services.escalation_webhook_post(escalation_id=escalation_id)
