"""The Celery app. Background work is called a *job* here ("task" is a task of the plan).

Settings come from Django's settings (``CELERY_*``); the beat schedule is here, in code, so that
worker and beat read the same one and no schedule file or database row can drift from it.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xixian_portal.settings")

app = Celery("xixian_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")

# The crontabs below are in Xixian local time.
app.conf.timezone = "Asia/Shanghai"

# A request publishes once and gives up (settings), but beat is not a request: if Redis is
# restarting at 08:30, the day's scan must still be queued. Each entry retries for about three
# minutes (1 s, 6 s, 11 s … then every 30 s) before beat logs the failure and moves on.
BEAT_PUBLISH = {
    "retry": True,
    "retry_policy": {"max_retries": 10, "interval_start": 1, "interval_step": 5, "interval_max": 30},
}

# One beat process only (docker-compose.yml): two would queue every entry twice.
app.conf.beat_schedule = {
    # Idempotent; hourly so that a beat down at midnight still opens the month, and so that
    # imports stuck in the queue are queued again within the hour.
    "open-current-period": {
        "task": "tasks.period_open_current",
        "schedule": crontab(minute=0),
        "options": BEAT_PUBLISH,
    },
    # Every day: the scan itself checks the working-day calendar (调休 and holidays) and does
    # nothing on a day off; the crontab does not try to know which days those are.
    "deadline-scan": {
        "task": "supervision.deadline_scan",
        "schedule": crontab(minute=30, hour=8),
        "options": BEAT_PUBLISH,
    },
    # The quarter's inspection round (专项督查), on the first day of each quarter.
    "open-quarter-round": {
        "task": "supervision.round_open_quarter",
        "schedule": crontab(minute=0, hour=8, day_of_month=1, month_of_year="1,4,7,10"),
        "options": BEAT_PUBLISH,
    },
    # Every day: the job knows the build day of last month's dispatch report (working days
    # after its reports were due) and queues it, and the half-year and annual packs, once.
    "dispatch-report-schedule": {
        "task": "reports.dispatch_report_schedule",
        "schedule": crontab(minute=0, hour=9),
        "options": BEAT_PUBLISH,
    },
    # Ledger exports stuck in the queue are queued again; old exports and unsaved uploads go.
    "files-housekeeping": {
        "task": "reports.files_housekeeping",
        "schedule": crontab(minute="*/10"),
        "options": BEAT_PUBLISH,
    },
    # The dashboards' summary: what is missing or no longer current is stored (the running month
    # after a change or on a new day, a month just ended as of its moment). Until then the
    # dashboards compute it in memory: this keeps them fast, not right.
    "standings-refresh": {
        "task": "reports.standings_refresh",
        "schedule": crontab(minute="*/5"),
        "options": BEAT_PUBLISH,
    },
}
