"""Large ledger exports as a job (ExportJob): the download above LEDGER_INLINE_MAX_ROWS queues a
job and sends the user to a status page that polls; the job claims its row, writes the file,
and only the requester may read it. Run in-process here; on a real worker in
test_reports_export_worker.py."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from reports.jobs.exports import ledger_export_job
from reports.models import ExportJob
from reports.services import exports
from reports.services.exports import FAILED_MESSAGE, export_job_create, export_job_run
from tasks.models import Task
from tests.matrix import assert_login_redirect, signed_in


@pytest.fixture(autouse=True)
def _small_threshold(settings, tmp_path):
    settings.LEDGER_INLINE_MAX_ROWS = 10
    settings.MEDIA_ROOT = tmp_path / "media"


def request_export(client, user, django_capture_on_commit_callbacks, **params):
    """The download, with the job queued on commit run right away (jobs run in-process)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, user).get(reverse("task-ledger"), params)
    return response


def codes_in(content: bytes) -> list[str]:
    sheet = load_workbook(BytesIO(content)).active
    return [row[2].split(" ")[0] for row in sheet.iter_rows(min_row=4, values_only=True)]


def test_a_large_export_becomes_a_job_with_a_download(client, office, plan, django_capture_on_commit_callbacks):
    response = request_export(client, office, django_capture_on_commit_callbacks, plan=plan.pk, page="3")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ledger-export", args=[job.pk])
    assert (job.kind, job.params, job.requested_by, job.status) == ("tasks", {"plan": str(plan.pk)}, office, "done")
    assert (job.rows_done, job.rows_total, job.error) == (57, 57, "")
    assert job.filename.endswith(".xlsx") and "任务台账" in job.filename
    page = client.get(response["Location"])
    assert page.status_code == 200
    download = reverse("ledger-export-download", args=[job.pk])
    assert download in page.content.decode() and "hx-trigger" not in page.content.decode()
    kept = timezone.localtime(job.created_at + timedelta(days=7))
    assert f"文件保留至 {kept:%Y-%m-%d %H:%M}，之后自动删除" in page.content.decode()
    file = client.get(download)
    assert file.status_code == 200 and file["Content-Disposition"].startswith("attachment;")
    assert len(codes_in(b"".join(file.streaming_content))) == 57


def test_under_the_threshold_the_download_is_direct(client, office, plan, django_capture_on_commit_callbacks):
    response = request_export(client, office, django_capture_on_commit_callbacks, q="八办")
    assert response.status_code == 200 and not ExportJob.objects.exists()


def test_the_status_page_polls_while_the_job_waits(client, office, plan):
    job = ExportJob.objects.create(kind="tasks", requested_by=office, rows_total=57)
    fragment = signed_in(client, office).get(reverse("ledger-export", args=[job.pk]), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert 'hx-trigger="every 2s"' in html and "<html" not in html and "已排队" in html
    ExportJob.objects.filter(pk=job.pk).update(status="running", rows_done=20)
    html = client.get(reverse("ledger-export", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "已写入 20 / 57 行" in html and 'value="35"' in html
    assert client.get(reverse("ledger-export-download", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("name", ["ledger-export", "ledger-export-download"])
@pytest.mark.parametrize(("persona", "status"), [
    (None, 302), ("office", 200), ("inspector", 404), ("leader", 404), ("lead_user", 404), ("outsider", 404),
])
def test_only_the_requester_sees_the_export(client, request, plan, office, persona, status, name,
                                            django_capture_on_commit_callbacks):
    request_export(client, office, django_capture_on_commit_callbacks, plan=plan.pk)
    client.logout()
    job = ExportJob.objects.get()
    url = reverse(name, args=[job.pk])
    user = None if persona is None else office if persona == "office" else request.getfixturevalue(persona)
    response = signed_in(client, user).get(url)
    if persona is None:
        assert_login_redirect(response, url)
    else:
        assert response.status_code == status


def test_the_job_exports_what_the_requester_sees(client, lead_user, plan, django_capture_on_commit_callbacks):
    request_export(client, lead_user, django_capture_on_commit_callbacks, plan=plan.pk)
    job = ExportJob.objects.get()
    visible = Task.objects.visible_to(lead_user).active().filter(plan=plan).order_by("sort_order")
    assert len(visible) > 10
    with job.file.open("rb") as file:
        assert codes_in(file.read()) == list(visible.values_list("code", flat=True))


def test_a_failed_export_keeps_nothing_and_says_why(client, office, plan, monkeypatch, settings,
                                                    django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "ledger_write", broken)
    request_export(client, office, django_capture_on_commit_callbacks, plan=plan.pk)
    job = ExportJob.objects.get()
    assert (job.status, job.error, job.file.name) == ("failed", FAILED_MESSAGE, "")
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.xlsx"))  # nothing half-written kept
    html = client.get(reverse("ledger-export", args=[job.pk])).content.decode()
    assert FAILED_MESSAGE in html and "hx-trigger" not in html


def test_the_job_raises_for_the_worker_log(office, plan, monkeypatch):
    monkeypatch.setattr(exports, "ledger_write", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("boom")))
    job = ExportJob.objects.create(kind="tasks", requested_by=office)
    with pytest.raises(RuntimeError):
        export_job_run(export_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed"


def test_the_job_claims_its_row_once(office, plan):
    job = ExportJob.objects.create(kind="tasks", params={"plan": str(plan.pk)}, requested_by=office)
    assert ledger_export_job.apply(args=[job.pk]).get().startswith("任务台账：已完成")
    assert export_job_run(export_id=job.pk) is None  # a second delivery does nothing
    assert ledger_export_job.apply(args=[job.pk]).get() == "未生成：已由其他进程生成"


def test_a_run_whose_worker_died_is_claimed_again(office, plan, settings):
    job = ExportJob.objects.create(kind="tasks", params={"plan": str(plan.pk)}, requested_by=office)
    ExportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now() - timedelta(minutes=5))
    assert export_job_run(export_id=job.pk) is None  # may still be running
    died = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    ExportJob.objects.filter(pk=job.pk).update(started_at=died)
    assert export_job_run(export_id=job.pk).status == "done"


def test_bad_filters_stored_with_a_job_fail_in_chinese(office, plan):
    job = ExportJob.objects.create(kind="tasks", params={"unit": "999999"}, requested_by=office)
    export_job_run(export_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.error.startswith("筛选条件无效：单位")


def test_create_queues_on_commit(office, plan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = export_job_create(user=office, kind="findings", params={})
    assert len(callbacks) == 1 and ExportJob.objects.get(pk=job.pk).status == "pending"


def test_exports_nobody_writes_are_queued_again(office, plan, settings, django_capture_on_commit_callbacks):
    now = timezone.now()
    jobs = {name: ExportJob.objects.create(kind="tasks", params={"plan": str(plan.pk)}, requested_by=office)
            for name in ["waiting", "just_asked", "running", "worker_died", "done"]}
    ages = {"waiting": timedelta(minutes=6), "just_asked": timedelta(minutes=1)}
    for name, age in ages.items():
        ExportJob.objects.filter(pk=jobs[name].pk).update(created_at=now - age)
    ExportJob.objects.filter(pk=jobs["running"].pk).update(status="running", started_at=now - timedelta(minutes=5))
    died = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    ExportJob.objects.filter(pk=jobs["worker_died"].pk).update(status="running", started_at=died,
                                                               created_at=died)
    ExportJob.objects.filter(pk=jobs["done"].pk).update(status="failed", created_at=now - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert exports.export_job_requeue() == 2
    assert len(callbacks) == 2  # each queued once, once the transaction commits
    statuses = dict(ExportJob.objects.values_list("pk", "status"))
    assert statuses[jobs["waiting"].pk] == statuses[jobs["worker_died"].pk] == "done"  # run in-process
    assert statuses[jobs["just_asked"].pk] == "pending" and statuses[jobs["running"].pk] == "running"


def test_finished_exports_are_deleted_with_their_files_after_the_keep_days(office, plan, settings,
                                                                            django_capture_on_commit_callbacks):
    settings.EXPORT_KEEP_DAYS = 7
    old, recent = (ExportJob.objects.create(kind="tasks", params={"plan": str(plan.pk)}, requested_by=office)
                   for _ in range(2))
    for job in (old, recent):
        export_job_run(export_id=job.pk)
    waiting = ExportJob.objects.create(kind="tasks", params={}, requested_by=office)
    failed = ExportJob.objects.create(kind="tasks", params={"unit": "999999"}, requested_by=office)
    export_job_run(export_id=failed.pk)
    eight_days = timezone.now() - timedelta(days=8)
    ExportJob.objects.filter(pk__in=[old.pk, waiting.pk, failed.pk]).update(created_at=eight_days)
    old.refresh_from_db()
    old_file = Path(old.file.path)
    assert old_file.exists()
    assert exports.export_job_purge() == 2
    assert not old_file.exists()
    assert set(ExportJob.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    recent.refresh_from_db()
    assert Path(recent.file.path).exists()
    assert exports.export_job_purge() == 0


def test_the_housekeeping_job_reports_what_it_did(office, plan, django_capture_on_commit_callbacks):
    from reports.jobs.housekeeping import files_housekeeping_job

    job = ExportJob.objects.create(kind="tasks", params={"plan": str(plan.pk)}, requested_by=office)
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        result = files_housekeeping_job.apply().get()
    assert result == "重新排队 1 个导出，删除 0 个过期导出、0 份未保存的上传"
    assert ExportJob.objects.get(pk=job.pk).status == "done"


def test_the_housekeeping_command_is_the_job(office, plan, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("tidy_report_files", stdout=out)
    assert out.getvalue().strip() == "重新排队 0 个导出，删除 0 个过期导出、0 份未保存的上传"
