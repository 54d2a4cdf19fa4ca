"""Real Celery workers for the supervision tests, which must be started without purging the queue,
several at once, and killed like a crashed machine (SIGKILL to the worker's own process group).
The checks for the services are those of tests/services.py.

The workers write e-mail through ``MailFiles``: one file per message in the directory named by
SUPERVISION_MAIL_DIR, so that a test counts exactly the messages the workers sent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

from tests.services import require

MAIL_BACKEND = "tests.supervision_worker.MailFiles"


class MailFiles(BaseEmailBackend):
    """An e-mail backend that stores each message as its own file (.eml) in SUPERVISION_MAIL_DIR."""

    def send_messages(self, email_messages) -> int:
        folder = Path(os.environ["SUPERVISION_MAIL_DIR"])
        for message in email_messages:
            (folder / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)


class Worker:
    def __init__(self, name: str, env: dict[str, str]):
        self.name = f"{name}@supervision-test"
        # Its own session, so that killing its process group leaves pytest alone.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "xixian_portal", "worker", "--pool=solo", "-n", self.name,
             "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
            env=env, cwd=settings.BASE_DIR, start_new_session=True,
        )

    def wait_ready(self, app, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not app.control.ping(destination=[self.name], timeout=0.5):
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"the Celery worker {self.name} did not start")

    def kill(self) -> None:
        """As if the machine died: no warm shutdown, no acknowledgement, no cleanup."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def worker_env(mail_dir: Path) -> dict[str, str]:
    require(connection.vendor == "postgresql", "the worker test needs DATABASE_URL on PostgreSQL")
    require(bool(settings.REDIS_URL), "the worker test needs REDIS_URL")
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_BACKEND": MAIL_BACKEND,
        "SUPERVISION_MAIL_DIR": str(mail_dir),
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }


@contextmanager
def celery_workers(*names: str, mail_dir: Path, purge: bool = True):
    """Workers on the test database and the configured broker, ready when the block starts;
    stopped (warm shutdown) when it ends unless killed before."""
    from xixian_portal.celery import app

    env = worker_env(mail_dir)
    app.conf.task_always_eager = False
    if purge:
        app.control.purge()
    with ExitStack() as stack:
        workers = []
        for name in names:
            worker = Worker(name, env)
            stack.callback(worker.stop)
            workers.append(worker)
        for worker in workers:
            worker.wait_ready(app)
        yield app, workers


def broker_idle(app) -> bool:
    """Nothing queued, and nothing running or reserved on any live worker."""
    with app.connection_for_write() as conn:
        queued = conn.default_channel.client.llen(app.conf.task_default_queue)
    inspect = app.control.inspect(timeout=0.5)
    busy = [*(inspect.active() or {}).values(), *(inspect.reserved() or {}).values()]
    return queued == 0 and not any(busy)


def wait_until(condition, *, timeout: float, interval: float = 0.2, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or condition.__name__}")
        time.sleep(interval)


def forget_unacked(app, job_name: str) -> int:
    """Drop a killed worker's unacknowledged messages of ``job_name`` from Redis.

    Redis hands them out again only after the visibility timeout (hours): by then the test
    database is gone and a development worker on the same Redis would run them. The tests queue
    the job again themselves, as the next beat would.
    """
    dropped = 0
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        for tag, raw in client.hgetall("unacked").items():
            payload = json.loads(raw)[0]
            if payload.get("headers", {}).get("task") == job_name:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
                dropped += 1
    return dropped
