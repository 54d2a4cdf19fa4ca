"""The Celery configuration that guards against the known hazards: one beat schedule in code, in
Xixian time; Redis redelivering a job still running (visibility timeout vs time limit); requests
hanging on a dead Redis; late acknowledgement on jobs that are not idempotent; results stored
for nobody."""

import datetime as dt
import json
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.app.defaults import DEFAULTS
from celery.schedules import crontab
from django.conf import settings
from django.core.management import get_commands
from kombu.transport.redis import Channel as RedisChannel

from xixian_portal.celery import app

SHANGHAI = ZoneInfo("Asia/Shanghai")

BEAT = {
    "open-current-period": ("tasks.period_open_current", crontab(minute=0)),
    "deadline-scan": ("supervision.deadline_scan", crontab(minute=30, hour=8)),
    "open-quarter-round": ("supervision.round_open_quarter",
                           crontab(minute=0, hour=8, day_of_month=1, month_of_year="1,4,7,10")),
    "dispatch-report-schedule": ("reports.dispatch_report_schedule", crontab(minute=0, hour=9)),
    "standings-refresh": ("reports.standings_refresh", crontab(minute="*/5")),
    "files-housekeeping": ("reports.files_housekeeping", crontab(minute="*/10")),
}
# The jobs of the tasks domain, all idempotent by their claims, hence acknowledged late.
TASKS_JOBS = {"tasks.plan_import_run", "tasks.period_open_current", "tasks.notification_email"}


@pytest.fixture(scope="module")
def jobs():
    app.loader.import_default_modules()  # runs autodiscovery of every app's jobs.py
    return app.tasks


# --- beat --------------------------------------------------------------------------------------


def test_beat_schedule_is_exactly_the_expected_entries(jobs):
    schedule = app.conf.beat_schedule
    assert set(schedule) == set(BEAT)
    for name, (job, when) in BEAT.items():
        assert schedule[name]["task"] == job and job in jobs, name
        assert schedule[name]["schedule"] == when, name


def test_beat_schedule_is_in_code_only():
    assert not hasattr(settings, "CELERY_BEAT_SCHEDULE")


def test_beat_runs_on_xixian_time():
    assert app.conf.timezone == "Asia/Shanghai" and str(app.timezone) == "Asia/Shanghai"


def due(entry: str, now: dt.datetime, last_run: dt.datetime) -> bool:
    """Whether beat would send the entry at ``now`` (the crontab reads the app's time zone)."""
    schedule = app.conf.beat_schedule[entry]["schedule"]
    assert schedule.app is app
    with time_machine.travel(now, tick=False):
        return schedule.is_due(last_run).is_due


@pytest.mark.parametrize(("entry", "now", "last_run", "expected"), [
    # 08:30 in Xixian is 00:30 UTC: due then, not at 08:30 UTC.
    ("deadline-scan", dt.datetime(2024, 5, 6, 8, 30, 5, tzinfo=SHANGHAI), dt.datetime(2024, 5, 5, 8, 30, tzinfo=SHANGHAI), True),
    ("deadline-scan", dt.datetime(2024, 5, 6, 8, 29, tzinfo=SHANGHAI), dt.datetime(2024, 5, 5, 8, 30, tzinfo=SHANGHAI), False),
    ("open-quarter-round", dt.datetime(2024, 4, 1, 8, 0, 5, tzinfo=SHANGHAI), dt.datetime(2024, 1, 1, 8, 0, tzinfo=SHANGHAI), True),
    ("open-quarter-round", dt.datetime(2024, 3, 31, 23, 59, tzinfo=SHANGHAI), dt.datetime(2024, 1, 1, 8, 0, tzinfo=SHANGHAI), False),
    ("open-quarter-round", dt.datetime(2024, 5, 1, 8, 0, 5, tzinfo=SHANGHAI), dt.datetime(2024, 4, 1, 8, 0, tzinfo=SHANGHAI), False),
    ("open-current-period", dt.datetime(2024, 5, 6, 14, 0, 5, tzinfo=SHANGHAI), dt.datetime(2024, 5, 6, 13, 0, tzinfo=SHANGHAI), True),
    ("open-current-period", dt.datetime(2024, 5, 6, 13, 59, tzinfo=SHANGHAI), dt.datetime(2024, 5, 6, 13, 0, tzinfo=SHANGHAI), False),
])
def test_crontabs_fall_at_the_local_times(entry, now, last_run, expected):
    assert due(entry, now, last_run) is expected


def test_beat_entries_retry_publishing_for_a_few_minutes():
    for name, entry in app.conf.beat_schedule.items():
        options = entry["options"]
        assert options["retry"] is True, name
        policy = options["retry_policy"]
        assert policy["max_retries"] >= 5 and policy["interval_max"] <= 60, name


# --- acknowledgement, limits, results -------------------------------------------------------------


def test_late_acknowledgement_only_where_declared(jobs):
    assert app.conf.task_acks_late is False
    assert app.conf.task_reject_on_worker_lost is True and app.conf.worker_prefetch_multiplier == 1
    domain = {name for name in jobs if name.startswith("tasks.")}
    assert domain == TASKS_JOBS
    assert {name for name in domain if jobs[name].acks_late} == TASKS_JOBS
    # Celery's own jobs (and any job that does not say otherwise) acknowledge on receipt.
    assert not [name for name, job in jobs.items() if name.startswith("celery.") and job.acks_late]


def test_visibility_timeout_exceeds_the_longest_job():
    options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT == 3600
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert options["visibility_timeout"] > app.conf.task_time_limit


def test_results_are_neither_kept_nor_expected(jobs):
    assert app.conf.task_ignore_result is True and app.conf.result_backend is None
    assert app.conf.result_expires is None  # so beat adds no celery.backend_cleanup entry
    assert all(job.ignore_result for name, job in jobs.items() if not name.startswith("celery."))


def test_a_dead_broker_costs_a_request_about_a_second():
    options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    assert options["socket_connect_timeout"] <= 1 and options["socket_timeout"] <= 1
    assert options["max_retries"] == 0  # no sleep before a second connection attempt
    assert app.conf.broker_connection_timeout <= 1 and app.conf.task_publish_retry is False
    assert app.conf.broker_connection_retry_on_startup is True


def test_every_celery_setting_is_one_celery_knows():
    names = [n for n in dir(settings) if n.startswith("CELERY_") and n != "CELERY_DIR"]
    assert [n for n in names if n.removeprefix("CELERY_").lower() not in DEFAULTS] == []
    known = set(RedisChannel.from_transport_options) | {"max_retries"}  # the last is kombu.Connection's
    assert set(settings.REDIS_BROKER_TRANSPORT_OPTIONS) <= known


def test_production_configuration_as_celery_sees_it():
    """With REDIS_URL set (no server needed: nothing connects), the broker, the cache and the
    app carry the options above."""
    script = (
        "import json, django; django.setup();"
        "from django.conf import settings; from xixian_portal.celery import app;"
        "print(json.dumps({'transport': app.conf.broker_transport_options, 'url': app.conf.broker_url,"
        " 'backend': app.conf.result_backend, 'cache': settings.CACHES['default']}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xixian_portal.settings", "REDIS_URL": "redis://redis.invalid:6379/0"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                            cwd=settings.BASE_DIR, check=False)
    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout.strip().splitlines()[-1])
    assert conf["url"] == "redis://redis.invalid:6379/0" and conf["backend"] is None
    assert conf["transport"] == settings.REDIS_BROKER_TRANSPORT_OPTIONS
    assert conf["cache"]["OPTIONS"] == {"socket_connect_timeout": 1, "socket_timeout": 1}


# --- each job is also a command ---------------------------------------------------------------------


def test_each_tasks_job_has_a_management_command():
    commands = get_commands()
    for name in ["run_plan_import", "open_period", "send_pending_email"]:
        assert commands.get(name) == "tasks", name
