"""Shared fixtures: the seed plan loaded once per test database, and the named personas.

Personas and the seed plan's task 1.1 「加快项目建设前期手续办理」:
- office (营商办), inspector (督查室), leader (领导): see everything;
- lead_user: 新区行政审批与政务服务局, lead unit of 1.1;
- supporting_user: 沣东新城, supporting unit of 1.1 (through 「各新城」);
- outsider: 新区考核办, whose only task is 保障5 — 1.1 is outside its scope.
"""

import pytest

from tasks.choices import Role
from tasks.models import ActionPlan, Task
from tasks.services import seed_plan_load
from tests.factories import UserFactory


def load_seed_plan() -> ActionPlan:
    """Idempotent: a no-op when the plan is already there (reused test database)."""
    return seed_plan_load()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_seed_plan()


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
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("NO_SKIPS") == "1" and skipped:
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
