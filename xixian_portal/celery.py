"""The Celery app. Background work is called a *job* here ("task" is a task of the plan)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xixian_portal.settings")

app = Celery("xixian_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
