"""Shared fixtures: the seed plan loaded once per test database, and the named personas.

Personas and the seed plan's task 1.1 「加快项目建设前期手续办理」:
- office (营商办), inspector (督查室), leader (领导): see everything;
- lead_user: 新区行政审批与政务服务局, lead unit of 1.1;
- supporting_user: 沣东新城, supporting unit of 1.1 (through 「各新城」);
- outsider: 新区考核办, whose only task is 保障5 — 1.1 is outside its scope.
"""

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.test import override_settings
from pytest_django.fixtures import validate_django_db
from pytest_django.plugin import blocking_manager_key

from tasks.choices import Role
from tasks.models import ActionPlan, Task
from tasks.services import seed_plan_load
from tests.factories import UserFactory

REDIS_DATABASES = 16  # Redis's default `databases`


def xdist_redis_url(url: str, worker: str) -> str:
    """The Redis URL of pytest-xdist worker ``gwN``: database N above the one in ``url``."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    if database >= REDIS_DATABASES:
        raise pytest.UsageError(
            f"xdist worker {worker} needs Redis database {database} above REDIS_URL={url}; "
            f"Redis has {REDIS_DATABASES}: start REDIS_URL lower or run fewer workers (-n)."
        )
    return urlunsplit(parts._replace(path=f"/{database}"))


def _own_redis_database_per_xdist_worker() -> None:
    """Under pytest-xdist every worker process is a session of its own, on a test database of
    its own (pytest-django names it test_<name>_gw0, _gw1 …). Redis is split the same way, one
    database per worker, for the broker, the cache and the Celery workers the tests start (they
    read settings.REDIS_URL): on one shared database the real-worker tests of two sessions would
    purge, take and count each other's messages, ask each other's workers what they run, and a
    cache.clear() would flush the other's queue. Kombu prefixes broadcast channels (ping,
    inspect) with the database number, so those stay apart too.

    Settings are loaded before this conftest is imported (pytest-django), hence an override
    here rather than in the environment; the environment is set as well for child processes.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not settings.REDIS_URL:
        return
    url = xdist_redis_url(settings.REDIS_URL, worker)
    caches = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": url}}
    # Never left: for the whole of this worker's session. Fires setting_changed, which
    # rebuilds Django's cache handler on the new database.
    override_settings(REDIS_URL=url, CELERY_BROKER_URL=url, CACHES=caches).enable()
    os.environ["REDIS_URL"] = url

    from xixian_portal.celery import app

    # A pool opened on the old URL would keep publishing there.
    assert app._pool is None, "the Celery app connected before the conftest split Redis per worker"
    app.conf.broker_url = url


_own_redis_database_per_xdist_worker()


def load_seed_plan() -> ActionPlan:
    """Idempotent: a no-op when the plan is already there (reused test database)."""
    return seed_plan_load()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_seed_plan()


def _flushes_the_database(item: pytest.Item) -> bool:
    """Transactional tests (live server, real workers) commit for real, and Django empties every
    table after each of them: the seed plan too. The same test as pytest-django's ordering."""
    marker = item.get_closest_marker("django_db")
    if marker and any(validate_django_db(marker)[:2]):  # transaction, reset_sequences
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


_seed_plan_flushed = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    """The seed plan is loaded again, committed, before the first test after a transactional one.

    pytest-django runs the transactional tests after all others, but under pytest-xdist
    (--dist loadfile) a process takes whole files in turn, and a file after a browser or worker
    file would find the database empty: fixtures outside the test's transaction (a class's
    demo build) fail, and every ``plan`` would load the seed inside its test's transaction,
    rolled back each time. Before any fixture is set up, so outside any test transaction.
    """
    global _seed_plan_flushed
    if _seed_plan_flushed:
        with item.config.stash[blocking_manager_key].unblock():
            load_seed_plan()
        _seed_plan_flushed = False
    _seed_plan_flushed = _flushes_the_database(item)
    return (yield)


@pytest.fixture
def plan(db) -> ActionPlan:
    existing = ActionPlan.objects.first()
    return existing or load_seed_plan()


@pytest.fixture
def task_1_1(plan) -> Task:
    return Task.objects.get(plan=plan, code="1.1")


@pytest.fixture
def office(plan):
    return UserFactory.in_unit("新区党工委组织部（营商办）", role=Role.OFFICE, username="office")


@pytest.fixture
def inspector(plan):
    return UserFactory.in_unit("新区督查室", role=Role.INSPECTOR, username="inspector")


@pytest.fixture
def leader(plan):
    return UserFactory.in_unit("新区优化营商环境推进重大项目建设工作领导小组", role=Role.LEADER, username="leader")


@pytest.fixture
def lead_user(plan):
    return UserFactory.in_unit("新区行政审批与政务服务局", username="lead")


@pytest.fixture
def supporting_user(plan):
    return UserFactory.in_unit("沣东新城", username="supporting")


@pytest.fixture
def outsider(plan):
    return UserFactory.in_unit("新区考核办", username="outsider")


PERSONAS = ["office", "inspector", "leader", "lead_user", "supporting_user", "outsider"]


@pytest.fixture
def persona(request):
    """Indirect fixture: ``@pytest.mark.parametrize("persona", [...], indirect=True)``."""
    return request.getfixturevalue(request.param)


def pytest_sessionfinish(session, exitstatus):
    """In CI (NO_SKIPS=1) a skipped test fails the run: nothing required may skip silently."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("NO_SKIPS") == "1" and skipped:
        reporter.ensure_newline()
        reporter.write_line(f"NO_SKIPS=1: {len(skipped)} test(s) skipped — failing the run.", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs most of a second per persona; tests do not measure password strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _jobs_run_in_process(settings):
    """Jobs queued by the code under test run in the test process, never on a broker that a
    development worker might later read. Tests of the real worker switch this back."""
    from xixian_portal.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
