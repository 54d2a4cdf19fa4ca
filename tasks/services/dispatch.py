"""Monthly dispatch (月调度): periods, progress reports, contributions, annual work plans and
their review. Parse → ``access_*`` (404 for what is not yours, 403 for what you may see but not
do) → ``do``. Every write is one transaction with its review event and notifications.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from tasks.choices import AssignmentRole, FilingStatus, PeriodStatus, ReviewAction
from tasks.evidence import EvidenceError, evidence_check
from tasks.models import (
    AnnualWorkPlan,
    Contribution,
    Evidence,
    Filing,
    Indicator,
    IndicatorActual,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    TaskAssignment,
    User,
)
from tasks.services.inbox import notify, office_users, unit_users
from tasks.workdays import nth_working_day_of_month


class DispatchError(ValueError):
    """A rule of the review flow refuses the action; the message is for the user.

    ``fields`` maps form fields to their messages when the problem is in the input.
    """

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


# --- periods -------------------------------------------------------------------------------


def period_due_date(*, year: int, month: int) -> tuple[datetime.date, bool]:
    """The N-th working day (REPORT_DUE_WORKING_DAY) of the month after; provisional flag."""
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    deadline = nth_working_day_of_month(next_year, next_month, settings.REPORT_DUE_WORKING_DAY)
    return deadline.date, deadline.provisional


@transaction.atomic
def period_open(*, year: int, month: int, user: User | None = None) -> ReportingPeriod:
    """Open the month for reporting (idempotent; reopens a closed one)."""
    period = ReportingPeriod.objects.select_for_update().filter(year=year, month=month).first()
    if period is None:
        due, provisional = period_due_date(year=year, month=month)
        period = ReportingPeriod(year=year, month=month, due_date=due, due_provisional=provisional)
    period.status = PeriodStatus.OPEN
    period._history_user = user
    period.save()
    return period


@transaction.atomic
def period_close(*, period: ReportingPeriod, user: User) -> ReportingPeriod:
    _require_office(user)
    period.status = PeriodStatus.CLOSED
    period._history_user = user
    period.save(update_fields=["status"])
    return period


def period_open_current(*, today: datetime.date | None = None) -> ReportingPeriod:
    """The daily job: the current month is open for reporting (never reopens a closed one)."""
    today = today or timezone.localdate()
    existing = ReportingPeriod.objects.filter(year=today.year, month=today.month).first()
    return existing or period_open(year=today.year, month=today.month)


# --- who may do what -------------------------------------------------------------------------


def _require_office(user: User) -> None:
    if not user.is_office:
        raise PermissionDenied("只有新区营商办可以审核。")


def access_filing_unit(*, user: User, task: Task, role: str) -> int:
    """The id of the user's unit (or office inside it) that holds ``role`` on the task.

    404 when the task is outside the user's scope; 403 when the user may see it but files
    nothing in that role (a supporting unit cannot file the lead report, leaders only read).
    """
    if not Task.objects.visible_to(user).filter(pk=task.pk).exists():
        raise Http404
    unit_id = (
        TaskAssignment.objects.filter(task=task, role=role, unit_id__in=user.scope_unit_ids())
        .order_by("sort_order").values_list("unit_id", flat=True).first()
    )
    if unit_id is None or user.role != "unit_staff":
        label = "牵头" if role == AssignmentRole.LEAD else "配合"
        raise PermissionDenied(f"本单位不是该任务的{label}单位，不能填报。")
    return unit_id


def _access_own_filing(*, user: User, filing: Filing) -> None:
    if filing.unit_id not in user.scope_unit_ids() or user.role != "unit_staff":
        raise PermissionDenied("只能修改本单位的填报。")


# --- the review flow, shared by the three kinds of filing --------------------------------------


@dataclass(frozen=True)
class FilingKind:
    role: str
    event_field: str
    label: str
    required: dict[str, str]  # field → message when it is empty at submission


KINDS: dict[type[Filing], FilingKind] = {
    ProgressReport: FilingKind(AssignmentRole.LEAD, "report", "进展填报", {
        "completed": "请填写本月完成情况。", "next_plan": "请填写下月计划。", "progress": "请填写完成进度。",
    }),
    Contribution: FilingKind(AssignmentRole.SUPPORTING, "contribution", "配合情况", {"text": "请填写配合情况。"}),
    AnnualWorkPlan: FilingKind(AssignmentRole.LEAD, "annual_plan", "年度工作方案", {"content": "请填写年度工作方案。"}),
}


def filing_due_date(filing: Filing) -> datetime.date:
    return filing.due_date if isinstance(filing, AnnualWorkPlan) else filing.period.due_date


def filing_url(filing: Filing) -> str:
    return reverse("task-detail", args=[filing.task_id])


def _record(filing: Filing, *, user: User, action: str, to_status: str, comment: str = "") -> ReviewEvent:
    event = ReviewEvent.objects.create(
        **{KINDS[type(filing)].event_field: filing}, action=action, from_status=filing.status,
        to_status=to_status, comment=comment, actor=user, is_late=filing.is_late,
    )
    filing.status = to_status
    return event


def _save(filing: Filing, user: User, fields: list[str]) -> None:
    filing._history_user = user
    filing.save(update_fields=[*fields, "updated_at"])


def _locked(model: type[Filing], filing: Filing) -> Filing:
    """Re-read the filing under a row lock: two reviewers at once see one outcome."""
    return model.objects.select_for_update().select_related("task", "unit").get(pk=filing.pk)


@transaction.atomic
def filing_submit(*, user: User, filing: Filing) -> Filing:
    """提交: draft or returned → submitted. Late if after the due date (kept once set)."""
    filing = _locked(type(filing), filing)
    _access_own_filing(user=user, filing=filing)
    kind = KINDS[type(filing)]
    if not filing.is_editable:
        raise DispatchError(f"该{kind.label}已{filing.get_status_display()}，不能再次提交。")
    missing = {f: msg for f, msg in kind.required.items() if getattr(filing, f) in (None, "")}
    if missing:
        raise DispatchError("还有必填内容没有填写。", missing)
    if isinstance(filing, ProgressReport | Contribution) and not filing.period.is_open:
        raise DispatchError(f"{filing.period.label}填报期已关闭，不能提交。")
    now = timezone.now()
    if filing.submitted_at is None:
        filing.is_late = timezone.localdate(now) > filing_due_date(filing)
    filing.submitted_at = now
    _record(filing, user=user, action=ReviewAction.SUBMIT, to_status=FilingStatus.SUBMITTED)
    _save(filing, user, ["status", "submitted_at", "is_late"])
    late = "（逾期）" if filing.is_late else ""
    notify(recipients=office_users(), title=f"{filing.unit.short_name}提交了{kind.label}{late}：{filing.task.code}",
           url=filing_url(filing))
    return filing


@transaction.atomic
def filing_review(*, user: User, filing: Filing, action: str, comment: str = "") -> Filing:
    """审核 by the office: approve or return a submitted filing; reopen an approved one."""
    _require_office(user)
    filing = _locked(type(filing), filing)
    kind = KINDS[type(filing)]
    allowed = {
        ReviewAction.APPROVE: (FilingStatus.SUBMITTED, FilingStatus.APPROVED),
        ReviewAction.RETURN: (FilingStatus.SUBMITTED, FilingStatus.RETURNED),
        ReviewAction.REOPEN: (FilingStatus.APPROVED, FilingStatus.RETURNED),
    }
    source, target = allowed[ReviewAction(action)]
    if filing.status != source:
        raise DispatchError(f"该{kind.label}当前为「{filing.get_status_display()}」，不能{ReviewAction(action).label}。")
    if action != ReviewAction.APPROVE and not comment.strip():
        raise DispatchError("请填写退回或重新打开的理由。", {"comment": "请填写理由。"})
    _record(filing, user=user, action=action, to_status=target, comment=comment.strip())
    _save(filing, user, ["status"])
    verb = {"approve": "已审核通过", "return": "被退回修改", "reopen": "被重新打开"}[action]
    notify(recipients=unit_users(unit_id=filing.unit_id), title=f"{kind.label}{verb}：{filing.task.code}",
           body=comment.strip(), url=filing_url(filing))
    return filing


def filings_approve(*, user: User, filings: list[Filing]) -> int:
    """Approve several submitted filings at once; all or nothing."""
    with transaction.atomic():
        for filing in filings:
            filing_review(user=user, filing=filing, action=ReviewAction.APPROVE)
    return len(filings)


@transaction.atomic
def filing_discard(*, user: User, filing: Filing) -> None:
    """A draft that was never submitted may be discarded; anything ever submitted stays."""
    filing = _locked(type(filing), filing)
    _access_own_filing(user=user, filing=filing)
    if filing.status != FilingStatus.DRAFT or filing.submitted_at is not None:
        raise DispatchError("提交过的填报不能删除。")
    filing._history_user = user
    filing.delete()


# --- writing a filing's content -----------------------------------------------------------------


@dataclass
class ReportInput:
    completed: str = ""
    problems: str = ""
    next_plan: str = ""
    progress: int | None = None


def report_indicators(*, task: Task, year: int) -> list[Indicator]:
    """The task's indicators that a report of ``year`` gives actuals for."""
    return list(task.indicators.filter(Q(year=year) | Q(year__isnull=True)).order_by("sort_order"))


@transaction.atomic
def report_save(
    *, user: User, task: Task, period: ReportingPeriod, data: ReportInput,
    actuals: dict[int, Decimal | None] | None = None, files: list[UploadedFile] | None = None,
) -> ProgressReport:
    """Save the lead unit's report as it stands (a draft keeps whatever was typed)."""
    unit_id = access_filing_unit(user=user, task=task, role=AssignmentRole.LEAD)
    if not period.is_open:
        raise DispatchError(f"{period.label}填报期已关闭。")
    if data.progress is not None and not 0 <= data.progress <= 100:
        raise DispatchError("完成进度应在 0 到 100 之间。", {"progress": "完成进度应在 0 到 100 之间。"})
    report, _ = ProgressReport.objects.select_for_update().get_or_create(
        task=task, unit_id=unit_id, period=period, defaults={"created_by": user},
    )
    if not report.is_editable:
        raise DispatchError(f"该进展填报已{report.get_status_display()}，不能修改。")
    for name, value in vars(data).items():
        setattr(report, name, value.strip() if isinstance(value, str) else value)
    _save(report, user, list(vars(data)))
    _save_actuals(report, user, actuals or {})
    _save_evidence(user=user, files=files or [], report=report)
    return report


def _save_actuals(report: ProgressReport, user: User, actuals: dict[int, Decimal | None]) -> None:
    allowed = {i.pk for i in report_indicators(task=report.task, year=report.period.year)}
    unknown = set(actuals) - allowed
    if unknown:
        raise DispatchError("指标不属于该任务或该年度。")
    existing = {a.indicator_id: a for a in report.actuals.all()}
    for indicator_id, value in actuals.items():
        row = existing.get(indicator_id)
        if value is None:
            if row:
                row._history_user = user
                row.delete()
        elif row is None:
            actual = IndicatorActual(report=report, indicator_id=indicator_id, value=value)
            actual._history_user = user
            actual.save()
        elif row.value != value:
            row.value, row._history_user = value, user
            row.save(update_fields=["value"])


def _save_evidence(*, user: User, files: list[UploadedFile], report=None, annual_plan=None) -> None:
    owner = report or annual_plan
    if owner.evidence.count() + len(files) > settings.EVIDENCE_MAX_FILES:
        raise DispatchError(f"佐证材料最多 {settings.EVIDENCE_MAX_FILES} 个。", {"files": "文件太多。"})
    for upload in files:
        if upload.size > settings.EVIDENCE_MAX_BYTES:
            limit = settings.EVIDENCE_MAX_BYTES // (1024 * 1024)
            raise DispatchError(f"「{upload.name}」超过 {limit} MB。", {"files": f"单个文件不能超过 {limit} MB。"})
        content = upload.read()
        try:
            checked = evidence_check(filename=upload.name, head=content[:16], content=content)
        except EvidenceError as exc:
            raise DispatchError(str(exc), {"files": str(exc)}) from None
        digest = hashlib.sha256(content).hexdigest()
        evidence = Evidence(
            report=report, annual_plan=annual_plan, original_name=upload.name[:200],
            extension=checked.extension, content_type=checked.content_type, size=len(content),
            sha256=digest, uploaded_by=user,
        )
        evidence.file.save("upload", ContentFile(content), save=False)
        evidence.save()


@transaction.atomic
def evidence_delete(*, user: User, evidence: Evidence) -> None:
    owner = evidence.report or evidence.annual_plan
    _access_own_filing(user=user, filing=owner)
    if not owner.is_editable:
        raise DispatchError("已提交的填报不能删除佐证材料。")
    evidence.delete()


@transaction.atomic
def contribution_save(*, user: User, task: Task, period: ReportingPeriod, text: str) -> Contribution:
    """A supporting unit's 配合情况 for the period (draft)."""
    unit_id = access_filing_unit(user=user, task=task, role=AssignmentRole.SUPPORTING)
    if not period.is_open:
        raise DispatchError(f"{period.label}填报期已关闭。")
    contribution, _ = Contribution.objects.select_for_update().get_or_create(
        task=task, unit_id=unit_id, period=period, defaults={"created_by": user},
    )
    if not contribution.is_editable:
        raise DispatchError(f"该配合情况已{contribution.get_status_display()}，不能修改。")
    contribution.text = text.strip()
    _save(contribution, user, ["text"])
    return contribution


def annual_plan_due_date(year: int) -> datetime.date:
    """「在2月份前制定出台年度工作方案」: due on a day of January (ANNUAL_PLAN_DUE_DAY_OF_JANUARY)."""
    return datetime.date(year, 1, settings.ANNUAL_PLAN_DUE_DAY_OF_JANUARY)


@transaction.atomic
def annual_plan_save(
    *, user: User, task: Task, year: int, content: str, files: list[UploadedFile] | None = None,
) -> AnnualWorkPlan:
    """A lead unit's 年度工作方案 for the year (draft)."""
    unit_id = access_filing_unit(user=user, task=task, role=AssignmentRole.LEAD)
    if year not in task.plan.years:
        raise DispatchError(f"{year} 年不在方案期内。")
    plan, _ = AnnualWorkPlan.objects.select_for_update().get_or_create(
        task=task, unit_id=unit_id, year=year,
        defaults={"created_by": user, "due_date": annual_plan_due_date(year)},
    )
    if not plan.is_editable:
        raise DispatchError(f"该年度工作方案已{plan.get_status_display()}，不能修改。")
    plan.content = content.strip()
    _save(plan, user, ["content"])
    _save_evidence(user=user, files=files or [], annual_plan=plan)
    return plan
