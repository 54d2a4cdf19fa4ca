"""A ledger export on a real Celery worker (PostgreSQL shared with the worker, Redis as the
broker; CI sets REQUIRE_SERVICES=1): the download queues the job after its transaction commits,
the worker writes the file, and the requester downloads it."""

import time
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from reports.models import ExportJob
from tasks.choices import Role
from tests.conftest import load_seed_plan
from tests.factories import UserFactory
from tests.services import celery_worker


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_the_export(settings):
    with celery_worker():
        plan = load_seed_plan()  # transactional tests flush the database afterwards
        settings.LEDGER_INLINE_MAX_ROWS = 10
        office = UserFactory.in_unit("新区党工委组织部（营商办）", role=Role.OFFICE, username="office")
        client = Client()
        client.force_login(office)
        from xixian_portal.celery import app

        app.conf.task_always_eager = False  # this test is about the real worker
        response = client.get(reverse("task-ledger"), {"plan": plan.pk})
        job = ExportJob.objects.get()
        assert response.status_code == 302
        deadline = time.monotonic() + 60
        while ExportJob.objects.get(pk=job.pk).status not in ("done", "failed"):
            assert time.monotonic() < deadline, "the worker did not finish the export"
            time.sleep(0.2)
        job.refresh_from_db()
        assert (job.status, job.rows_done, job.error) == ("done", 57, "")
        try:
            download = client.get(reverse("ledger-export-download", args=[job.pk]))
            sheet = load_workbook(BytesIO(b"".join(download.streaming_content))).active
            assert sheet.max_row == 3 + 57
        finally:
            job.file.delete(save=False)
