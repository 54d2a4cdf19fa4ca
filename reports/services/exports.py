"""Writes of ledger exports (台账导出): the request that queues a large export, and the job's
work — claim, write to a temporary file, store, or fail with a message and keep nothing.

Scope is resolved when the job runs, for the user who asked, through the same selectors as a
direct download: an export never shows more than its requester could see at that moment.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from reports.ledgers import ledger_export
from reports.models import ExportJob
from reports.selectors.ledgers import LedgerParamsError
from reports.services.roundtrip import roundtrip_upload_purge
from reports.xlsx import ledger_write
from tasks.models import User
from tasks.queueing import enqueue_on_commit

logger = logging.getLogger(__name__)

PROGRESS_EVERY_ROWS = 500
FAILED_MESSAGE = "生成台账时出错，请稍后重新导出；如仍失败请联系系统管理员。"


@transaction.atomic
def export_job_create(*, user: User, kind: str, params: Mapping[str, str], rows_total: int | None = None) -> ExportJob:
    """Record the export and queue its job once the transaction commits."""
    from reports.jobs.exports import ledger_export_job

    job = ExportJob.objects.create(kind=kind, params=dict(params), requested_by=user, rows_total=rows_total)
    enqueue_on_commit(ledger_export_job, job.pk)
    return job


def export_job_run(*, export_id: int) -> ExportJob | None:
    """Write the export. Claims the row first (pending → running in one conditional UPDATE), so
    that a second delivery of the job does nothing; returns None then. A run whose worker died
    (running for longer than any job may) is claimed again."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(Q(status=ExportJob.Status.PENDING) | _worker_died(now), pk=export_id).update(
        status=ExportJob.Status.RUNNING, started_at=now, rows_done=0,
    )
    if claimed != 1:
        return None
    job = ExportJob.objects.select_related("requested_by").get(pk=export_id)
    try:
        _write(job)
    except LedgerParamsError as exc:
        _fail(job, f"筛选条件无效：{exc}")
    except Exception:
        # Recorded for the requester, then raised for the worker's log: never swallowed.
        _fail(job, FAILED_MESSAGE)
        raise
    return job


def _worker_died(now: datetime) -> Q:
    """A run started longer ago than the hard time limit of any job has lost its worker."""
    return Q(status=ExportJob.Status.RUNNING, started_at__lt=now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT))


def export_job_requeue(*, older_than_minutes: int = 5) -> int:
    """Queue again the exports nobody is writing: pending for longer than ``older_than_minutes``
    (the broker was down when they were asked for, or the job was lost) or running longer than
    any job may; returns how many. Queued twice, an export is still written once (the claim)."""
    from reports.jobs.exports import ledger_export_job

    now = timezone.now()
    waiting = Q(status=ExportJob.Status.PENDING, created_at__lt=now - timedelta(minutes=older_than_minutes))
    # The partial index export_job_pending serves the first half; running rows are few.
    ids = list(ExportJob.objects.filter(waiting | _worker_died(now)).order_by("pk").values_list("pk", flat=True))
    for export_id in ids:
        enqueue_on_commit(ledger_export_job, export_id)
    return len(ids)


def export_job_purge(*, older_than_days: int | None = None) -> int:
    """Delete the finished exports (done or failed) older than ``EXPORT_KEEP_DAYS`` and their
    files; returns how many. A file is deleted after its row, so a failure leaves at worst a
    file nobody links to, never a link to no file."""
    days = settings.EXPORT_KEEP_DAYS if older_than_days is None else older_than_days
    finished = ExportJob.objects.filter(
        status__in=[ExportJob.Status.DONE, ExportJob.Status.FAILED], created_at__lt=timezone.now() - timedelta(days=days),
    )
    purged = 0
    for job in finished.only("pk", "file").iterator():
        name, storage = job.file.name, job.file.storage
        job.delete()
        if name:
            storage.delete(name)
        purged += 1
    return purged


def files_housekeeping() -> str:
    """The job every ten minutes: exports nobody is writing queued again, finished exports past
    ``EXPORT_KEEP_DAYS`` and round-trip uploads never saved deleted; says how many of each."""
    requeued, purged, uploads = export_job_requeue(), export_job_purge(), roundtrip_upload_purge()
    return f"重新排队 {requeued} 个导出，删除 {purged} 个过期导出、{uploads} 份未保存的上传"


def _write(job: ExportJob) -> None:
    export = ledger_export(kind=job.kind, user=job.requested_by, params=job.params)
    job.rows_total, job.filename = export.total, export.filename
    job.save(update_fields=["rows_total", "filename"])

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=rows)

    # The file is complete before it is stored: a failure midway leaves no file behind.
    with tempfile.TemporaryFile(suffix=".xlsx") as temporary:
        rows = ledger_write(ledger=export.ledger, rows=export.rows, stream=temporary,
                            progress=progress, progress_every=PROGRESS_EVERY_ROWS)
        temporary.seek(0)
        job.file.save(f"export-{job.pk}.xlsx", File(temporary), save=False)
    job.status, job.rows_done, job.rows_total = ExportJob.Status.DONE, rows, rows
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "rows_done", "rows_total", "file", "finished_at"])


def _fail(job: ExportJob, message: str) -> None:
    logger.warning("Ledger export %s failed: %s", job.pk, message)
    if job.file:
        job.file.delete(save=False)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.FAILED, error=message, file="", finished_at=timezone.now(),
    )
    job.status, job.error = ExportJob.Status.FAILED, message
