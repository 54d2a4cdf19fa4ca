"""The dispatch report built on real Celery workers (PostgreSQL shared with them, Redis as the
broker; CI sets REQUIRE_SERVICES=1): two workers, the build asked for twice at the same moment,
its job queued twice more by hand, and the same build run in this process meanwhile — exactly
one report, built once, with a valid workbook, and the office told once.
"""

from __future__ import annotations

import threading
from io import BytesIO

import pytest
from django.db import connection
from openpyxl import load_workbook

from reports.choices import DispatchReportStatus as Status
from reports.jobs.dispatch_reports import dispatch_report_build_job
from reports.models import DispatchReport
from reports.services.dispatch_reports import dispatch_report_build, dispatch_report_request
from tasks.models import Notification
from tests.conftest import load_seed_plan
from tests.supervision_worker import broker_idle, celery_workers, wait_until
from tests.test_reports_dispatch import october


@pytest.fixture(scope="module", autouse=True)
def _seed_plan_back(django_db_blocker):
    """The worker test commits for real and its database is emptied afterwards; the seed plan
    the other tests expect is loaded again once it is done."""
    yield
    with django_db_blocker.unblock():
        load_seed_plan()


def at_once(count: int, action) -> list:
    """Run ``action`` in ``count`` threads released together; their results, in thread order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = action()
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.service
@pytest.mark.django_db(transaction=True)
def test_racing_builds_on_real_workers_make_one_report(tmp_path, monkeypatch, settings, office, inspector,
                                                         lead_user, supporting_user):
    # The workers write the workbook under VAR_DIR/media; this process reads it from there.
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    settings.MEDIA_ROOT = tmp_path / "media"
    october(office, inspector, lead_user, supporting_user)
    with celery_workers("dispatch-a", "dispatch-b", mail_dir=tmp_path) as (app, _workers):
        # Two office members press 「生成」 at the same moment: one build is queued …
        asked = at_once(2, lambda: dispatch_report_request(kind="monthly", year=2025, number=10, user=office))
        report_id = asked[0][0].pk
        assert asked[1][0].pk == report_id and sorted(q for _, q in asked) == [False, True]
        # … its job is queued twice more, as a beat and a retry might, and the same build runs
        # here too, all at once.
        at_once(2, lambda: dispatch_report_build_job.apply_async(args=[report_id]))
        here = dispatch_report_build(report_id=report_id)
        wait_until(lambda: DispatchReport.objects.get(pk=report_id).status == Status.READY and broker_idle(app),
                   timeout=120, what="the report to be built")
    report = DispatchReport.objects.get()
    assert (report.status, report.generation, report.progress, report.error) == (Status.READY, 1, 100, "")
    assert here is None or here.generation == 1  # this process built it, or found it claimed
    with report.file.open("rb") as stream:
        book = load_workbook(BytesIO(stream.read()))
    assert book.sheetnames == ["总体情况", "各任务组进展", "各单位报送情况", "未报和逾期报送", "督查发现问题整改情况", "通报"]
    assert report.content["summary"]["due"] == 4
    told = Notification.objects.filter(title="2025年10月调度报告已生成")
    assert list(told.values_list("recipient", flat=True)) == [office.pk]
