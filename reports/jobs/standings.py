"""The dashboards' month summary, refreshed every five minutes: what changed since it was stored,
a new day (lights move with the calendar even when nobody writes), a month just ended (stored as
of its moment). Idempotent: each month is recomputed from history and replaced whole, under
a lock on its row, so a job run twice (or after its worker died) changes nothing more."""

from celery import shared_task
from django.db import OperationalError

from reports.services import standings


@shared_task(name="reports.standings_refresh", autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5, acks_late=True)
def standings_refresh_job() -> int:
    return standings.standings_refresh()
