"""Real services for tests that need them: PostgreSQL shared with a Celery worker, and Redis.

Without them the tests skip locally; CI sets REQUIRE_SERVICES=1 and then they fail instead.
"""

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@contextmanager
def celery_worker():
    """A real worker process on the test database and the configured broker: under pytest-xdist
    the worker session's own test database (test_<name>_gw0 …) and Redis database."""
    require(connection.vendor == "postgresql", "the worker test needs DATABASE_URL on PostgreSQL")
    require(bool(settings.REDIS_URL), "the worker test needs REDIS_URL")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "xixian_portal", "worker", "--pool=solo",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        env=env, cwd=settings.BASE_DIR,
    )
    try:
        from xixian_portal.celery import app

        # The worker consumes settings.REDIS_URL; under pytest-xdist that is this session's own
        # Redis database (tests/conftest.py), and the jobs must be published there too.
        assert app.conf.broker_url == settings.REDIS_URL, (app.conf.broker_url, settings.REDIS_URL)
        app.control.purge()
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1):
            if time.monotonic() > deadline or worker.poll() is not None:
                pytest.fail("the Celery worker did not start")
        yield app
    finally:
        worker.terminate()
        worker.wait(timeout=30)
