"""Writes of the Excel round-trip (Excel 批量填报): a checked upload is stored for its owner,
then, on confirmation, all its rows are saved in one transaction through the monthly-dispatch
services (``report_save``, and ``filing_submit`` when the unit submits) — so that a row saved
from Excel obeys exactly the rules of a row saved from the page, and one refused row leaves
nothing saved.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from reports.models import RoundtripUpload
from reports.roundtrip import Issue, RoundtripError, template_read
from reports.selectors.roundtrip import roundtrip_files, roundtrip_read_context
from tasks.models import ProgressReport, ReportingPeriod, Task, User
from tasks.services.dispatch import DispatchError, ReportInput, filing_submit, report_save

Status = RoundtripUpload.Status


def roundtrip_access(*, user: User) -> None:
    """Only unit staff upload (403 for the office, inspectors and leaders, who may look)."""
    if not roundtrip_files(user):
        raise PermissionDenied("只有牵头单位的填报员可以上传进展填报模板。")


def roundtrip_upload_create(*, user: User, period: ReportingPeriod, filename: str, content: bytes) -> RoundtripUpload:
    """Check every cell of the file and keep what was found for the preview; nothing of the
    unit's reports changes here. RoundtripError for a file refused whole."""
    roundtrip_access(user=user)
    if not period.is_open:
        raise RoundtripError(f"{period.label}填报期已关闭，不能上传。")
    parsed = template_read(content=content, context=roundtrip_read_context(user=user, period=period))
    issues = parsed.issues
    if not parsed.rows and not issues:
        issues = [Issue(None, "", "模板中没有填写任何任务的进展")]
    blocked = any(issue.blocks == "all" for issue in issues)
    return RoundtripUpload.objects.create(
        owner=user, unit_id=user.unit_id, period=period, filename=filename[:200], size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        rows=[] if blocked else [row.as_dict() for row in parsed.rows],
        issues=[issue.as_dict() for issue in issues],
        status=Status.INVALID if blocked or not parsed.rows else Status.PREVIEW,
    )


def roundtrip_upload_purge(*, older_than_days: int | None = None) -> int:
    """Delete the uploads never saved (previews left to expire, files with errors) older than
    ``ROUNDTRIP_UNSAVED_KEEP_DAYS``: they changed nothing and hold the unit's typed text.
    Returns how many."""
    days = settings.ROUNDTRIP_UNSAVED_KEEP_DAYS if older_than_days is None else older_than_days
    unsaved = RoundtripUpload.objects.exclude(status=Status.SAVED).filter(
        created_at__lt=timezone.now() - timedelta(days=days),
    )
    deleted, _ = unsaved.delete()
    return deleted


@transaction.atomic
def roundtrip_upload_confirm(*, user: User, pk: int, submit: bool) -> list[ProgressReport]:
    """Save every row of the owner's checked upload — as drafts, or submitted — or none.

    The upload is locked and leaves ``preview`` in the same transaction, so it is used once
    even when confirmed twice at the same moment; a row the services refuse (the period was
    closed meanwhile, the report was submitted from the page) rolls everything back and the
    upload stays to be seen.
    """
    upload = _upload_for_update(user=user, pk=pk)
    if upload.status == Status.SAVED:
        raise RoundtripError("这份文件已经保存过了，不能重复保存。")
    if upload.is_expired:
        raise RoundtripError("这份上传已过期，请重新上传文件。")
    if not upload.can_save_draft:
        raise RoundtripError("文件中还有错误，不能保存。请修改后重新上传。")
    if submit and not upload.can_submit:
        raise RoundtripError("还有任务缺少提交所需的内容，只能保存为草稿。")
    period = ReportingPeriod.objects.get(pk=upload.period_id)  # read again: it may have closed
    tasks = Task.objects.in_bulk([row["task_id"] for row in upload.rows])
    reports = [_row_save(user=user, row=row, task=tasks.get(row["task_id"]), period=period, submit=submit)
               for row in upload.rows]
    upload.status, upload.confirmed_at = Status.SAVED, timezone.now()
    upload.saved_as = RoundtripUpload.SavedAs.SUBMIT if submit else RoundtripUpload.SavedAs.DRAFT
    upload.save(update_fields=["status", "confirmed_at", "saved_as"])
    return reports


def _upload_for_update(*, user: User, pk: int) -> RoundtripUpload:
    """The owner's upload under a row lock; anyone else's is 404."""
    upload = RoundtripUpload.objects.select_for_update().filter(pk=pk, owner=user).first()
    if upload is None:
        raise Http404
    return upload


def _row_save(*, user: User, row: dict, task: Task | None, period: ReportingPeriod, submit: bool) -> ProgressReport:
    where = f"第 {row['row']} 行（任务 {row['code']}）"
    if task is None:
        raise RoundtripError(f"{where}：任务已不存在，未保存任何内容。")
    data = ReportInput(completed=row["completed"], problems=row["problems"], next_plan=row["next_plan"],
                       progress=row["progress"])
    try:
        report = report_save(user=user, task=task, period=period, data=data)
        return filing_submit(user=user, filing=report) if submit else report
    except DispatchError as exc:
        raise RoundtripError(f"{where}：{exc}{_fields(exc)}未保存任何内容。") from None
    except (PermissionDenied, Http404):
        raise RoundtripError(f"{where}：本单位已不是该任务的牵头单位，未保存任何内容。") from None


def _fields(exc: DispatchError) -> str:
    return "".join(exc.fields.values())
