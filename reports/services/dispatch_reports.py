"""Writes of the dispatch reports (月调度报告, 半年/年度材料): ask for a build, run it, schedule it.

Two builds at once produce one report:
- the row is unique per (kind, year, number), so asking twice finds the same row;
- asking queues a build only by moving the row to ``pending`` with a conditional UPDATE (from
  ready or failed, or from a queued or running build that has gone silent for
  DISPATCH_REPORT_STALE_MINUTES): of two requests at once exactly one changes the row and
  queues; the other is told 「正在生成」;
- the build claims the row (pending → building with a new token) with another conditional
  UPDATE: a job queued twice, or run by hand at the same time, builds once;
- progress is written in small committed UPDATEs under the token, and the new content and file
  are swapped in one transaction that re-checks the token: a build that lost its claim (it went
  silent and another took over) changes nothing;
- a failure marks the row failed with a message for the office and keeps the previous content
  and file.
"""

from __future__ import annotations

import datetime
import logging
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from reports.choices import DispatchReportKind, DispatchReportStatus
from reports.dispatch_report import ReportScopeError, report_build_day, report_content, report_scope
from reports.dispatch_report_xlsx import report_xlsx
from reports.models import DispatchReport
from tasks.models import ReportingPeriod, User
from tasks.queueing import enqueue_on_commit
from tasks.services.inbox import notify, office_users

logger = logging.getLogger(__name__)

Status = DispatchReportStatus


class DispatchReportError(ValueError):
    """The report cannot be asked for (a period without plan or reporting); the message is for the user."""


def _stale_before() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.DISPATCH_REPORT_STALE_MINUTES)


def _free() -> Q:
    """No build is queued or running — or the one that was has gone silent (its worker died,
    or the broker lost its job)."""
    return Q(status__in=[Status.READY, Status.FAILED]) | Q(
        status__in=Status.in_progress(), heartbeat_at__lt=_stale_before(),
    )


def dispatch_report_request(*, kind: str, year: int, number: int, user: User | None,
                            queue: bool = True) -> tuple[DispatchReport, bool]:
    """生成 / 重新生成: queue a build of the period's report unless one is queued or running.

    Returns the report and whether this call queued a build (False: 「正在生成」). ``user`` is the
    office member asking; the schedule and commands pass None. ``queue=False`` leaves running the
    build to the caller (the management command builds in its own process).
    """
    if user is not None and not user.is_office:
        raise PermissionDenied("只有新区营商办可以生成调度报告。")
    try:
        scope = report_scope(kind=kind, year=year, number=number)
    except ReportScopeError as exc:
        raise DispatchReportError(str(exc)) from None
    now = timezone.now()
    with transaction.atomic():
        report, created = DispatchReport.objects.get_or_create(
            kind=kind, year=year, number=number,
            defaults={"plan": scope.plan, "requested_by": user, "requested_at": now, "heartbeat_at": now,
                      "stage": "排队等待生成"},
        )
        queued = created or DispatchReport.objects.filter(_free(), pk=report.pk).update(
            status=Status.PENDING, plan=scope.plan, requested_by=user, requested_at=now, heartbeat_at=now,
            progress=0, stage="排队等待生成", error="",
        ) == 1
        if queued and queue:
            from reports.jobs.dispatch_reports import (
                dispatch_report_build_job,  # jobs import services
            )

            enqueue_on_commit(dispatch_report_build_job, report.pk)
    report.refresh_from_db()
    return report, queued


def dispatch_report_build(*, report_id: int, notify_office: bool = True) -> DispatchReport | None:
    """Build the report if this call can claim it; None when another build holds it or there
    is nothing to build (already built, or not asked for). The office hears of the result in its
    inbox (``notify_office=False``: the demo's seed, which builds dozens at once)."""
    token = uuid.uuid4()
    now = timezone.now()
    claimable = Q(status=Status.PENDING) | Q(status=Status.BUILDING, heartbeat_at__lt=_stale_before())
    claimed = DispatchReport.objects.filter(claimable, pk=report_id).update(
        status=Status.BUILDING, token=token, started_at=now, heartbeat_at=now, progress=1, stage="开始生成", error="",
    )
    if claimed != 1:
        return None
    report = DispatchReport.objects.get(pk=report_id)
    progress = _progress_writer(report_id, token)
    try:
        scope = report_scope(kind=report.kind, year=report.year, number=report.number)
        content = report_content(scope, on_section=progress)
        progress(92, "正在生成 Excel 文件")
        data = report_xlsx(content)
    except ReportScopeError as exc:
        _fail(report, token, str(exc), notify_office=notify_office)
        return None
    except Exception:
        # Marked failed for the page and the office, and raised for the worker's log.
        _fail(report, token, "生成时出现内部错误，已保留上一次生成的报告；请稍后重新生成，或联系系统管理员。",
              notify_office=notify_office)
        raise
    return _finish(report_id, token, content=content, data=data, notify_office=notify_office)


def _progress_writer(report_id: int, token: uuid.UUID):
    """Each step commits on its own (the build runs outside a transaction): the page polls it."""
    def write(percent: int, stage: str) -> None:
        DispatchReport.objects.filter(pk=report_id, token=token, status=Status.BUILDING).update(
            progress=min(max(percent, 0), 99), stage=stage[:100], heartbeat_at=timezone.now(),
        )
    return write


@transaction.atomic
def _finish(report_id: int, token: uuid.UUID, *, content: dict, data: bytes,
            notify_office: bool = True) -> DispatchReport | None:
    """Swap in the new content and file at once, if the claim still holds."""
    report = DispatchReport.objects.select_for_update().get(pk=report_id)
    if report.token != token or report.status != Status.BUILDING:
        logger.warning("Dispatch report %s: the build lost its claim; its result is dropped.", report_id)
        return None
    previous = report.file.name
    report.generation += 1
    report.file.save(f"{report.kind}.xlsx", ContentFile(data), save=False)  # named by upload_to
    report.content, report.status, report.progress = content, Status.READY, 100
    report.stage, report.error, report.token, report.built_at = "生成完成", "", None, timezone.now()
    report.save(update_fields=["generation", "file", "content", "status", "progress", "stage", "error", "token",
                               "built_at"])
    if previous and previous != report.file.name:
        storage = report.file.storage
        transaction.on_commit(lambda: storage.delete(previous))
    if not notify_office:
        return report
    notify(recipients=office_users(), title=f"{report.title}已生成",
           body=f"第 {report.generation} 次生成，统计截至{content['period']['end']}。",
           url=reverse("dispatch-report-detail", args=[report.pk]), key=f"dispatch-report:{report.pk}:{report.generation}")
    return report


def _fail(report: DispatchReport, token: uuid.UUID, message: str, *, notify_office: bool = True) -> None:
    failed = DispatchReport.objects.filter(pk=report.pk, token=token, status=Status.BUILDING).update(
        status=Status.FAILED, error=message, token=None, stage="生成失败", heartbeat_at=timezone.now(),
    )
    if failed and notify_office:
        notify(recipients=office_users(), title=f"{report.title}生成失败", body=message,
               url=reverse("dispatch-report-detail", args=[report.pk]), key=f"dispatch-report-failed:{token}")


# --- the schedule -----------------------------------------------------------------------------


def _previous_month(day: datetime.date) -> tuple[int, int]:
    return (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)


def scheduled_reports(*, year: int, month: int) -> list[tuple[str, int, int]]:
    """The reports due once the month's returns are in: its own, and after June the first
    half-year pack, after December the second and the annual report."""
    reports = [(DispatchReportKind.MONTHLY.value, year, month)]
    if month == 6:
        reports.append((DispatchReportKind.HALF_YEAR.value, year, 1))
    if month == 12:
        reports += [(DispatchReportKind.HALF_YEAR.value, year, 2), (DispatchReportKind.ANNUAL.value, year, 0)]
    return reports


def dispatch_report_schedule(*, today: datetime.date | None = None) -> list[str]:
    """Daily: from the build day of last month on, its reports are queued once — a report
    already there is left alone (built, failed: the office rebuilds by hand; building), unless
    its build went silent. Returns a line per report for the job's log."""
    today = today or timezone.localdate()
    year, month = _previous_month(today)
    period = ReportingPeriod.objects.filter(year=year, month=month).first()
    if period is None:
        return [f"{year}年{month}月没有填报期"]
    build_day = report_build_day(period=period)
    if today < build_day:
        return [f"{year}年{month}月调度报告将于 {build_day:%Y-%m-%d} 生成"]
    existing = {(r.kind, r.year, r.number): r for r in DispatchReport.objects.filter(year=year)}
    lines = []
    for kind, report_year, number in scheduled_reports(year=year, month=month):
        label = DispatchReportKind(kind).title(report_year, number)
        found = existing.get((kind, report_year, number))
        if found is not None and not _went_silent(found):
            lines.append(f"{label}：已有（{found.get_status_display()}）")
            continue
        try:
            _, queued = dispatch_report_request(kind=kind, year=report_year, number=number, user=None)
        except DispatchReportError as exc:
            lines.append(f"{label}：{exc}")
            continue
        lines.append(f"{label}：{'已排队生成' if queued else '正在生成'}")
    return lines


def _went_silent(report: DispatchReport) -> bool:
    return report.is_building and report.heartbeat_at is not None and report.heartbeat_at < _stale_before()
