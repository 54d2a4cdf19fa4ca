"""Queueing jobs so that a broker outage never fails a request.

A job is sent once the transaction commits. When the broker cannot be reached the request
still succeeds and the outage is logged: the rows the job would have worked on stay as they
are (an e-mail copy not sent, an import still pending), and the scan that looks for such rows
queues them again (``inbox.notification_email_requeue`` daily, ``plans.plan_import_run_requeue``
hourly, ``reports.services.exports.export_job_requeue`` every ten minutes).

Publishing to a dead broker costs up to one connect timeout (about a second, see the Celery
settings). So that a request queueing many jobs (a bulk approval notifies per filing) does not
pay it once per job, a failure pauses sending from this process for ``BROKER_PAUSE_SECONDS``;
every job skipped meanwhile is logged in the same way.
"""

from __future__ import annotations

import logging
import time

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# kombu wraps what it recognises as connection errors in OperationalError; redis-py's own
# errors and bare socket errors are listed for the paths where it does not.
BROKER_ERRORS = (OperationalError, RedisError, OSError)
BROKER_PAUSE_SECONDS = 5.0

_paused_until = 0.0  # time.monotonic() before which this process does not try the broker


def enqueue_on_commit(job: Task, *args, **kwargs) -> None:
    """Send ``job(*args, **kwargs)`` after the current transaction commits (at once outside one).

    Never raises because the broker is down; other errors (a bad argument, say) do raise.
    """
    transaction.on_commit(lambda: _send(job, args, kwargs))


def _send(job: Task, args: tuple, kwargs: dict) -> None:
    global _paused_until
    if job.app.conf.task_always_eager:  # runs right here; no broker involved
        job.apply_async(args, kwargs)
        return
    if time.monotonic() < _paused_until:
        _log_not_queued(job, "the broker was unreachable moments ago")
        return
    try:
        job.apply_async(args, kwargs)
    except BROKER_ERRORS as exc:
        _paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        _log_not_queued(job, f"the broker is unreachable ({exc!r})")


def _log_not_queued(job: Task, reason: str) -> None:
    logger.warning("Job %s was not queued: %s. It will be sent by the next scan.", job.name, reason)
