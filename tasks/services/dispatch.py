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
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from tasks.choices import AssignmentRole, FilingStatus, PeriodStatus, ReviewAction, Role
from tasks.evidence import CheckedFile, EvidenceError, evidence_check
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
    """Open the month for reporting (idempotent; reopens a closed one).

    ``user`` is the office member who opens it; jobs and commands pass none.
    """
    if user is not None:
        _require_office(user, "只有新区营商办可以打开填报期。")
    if not 1 <= month <= 12:
        raise DispatchError("月份应为 1 到 12。")
    period = ReportingPeriod.objects.select_for_update().filter(year=year, month=month).first()
    if period is None or period.due_provisional:
        period = period or ReportingPeriod(year=year, month=month)
        period.due_date, period.due_provisional = period_due_date(year=year, month=month)
    period.status = PeriodStatus.OPEN
    period._history_user = user
    period.save()
    return period


@transaction.atomic
def period_close(*, period: ReportingPeriod, user: User) -> ReportingPeriod:
    _require_office(user, "只有新区营商办可以关闭填报期。")
    period.status = PeriodStatus.CLOSED
    period._history_user = user
    period.save(update_fields=["status"])
    return period


def period_open_current(*, today: datetime.date | None = None) -> ReportingPeriod:
    """The periodic job: the current month is open for reporting (never reopens a closed one).

    A due date first counted Monday–Friday (a year without holidays yet) is counted again, so
    that it becomes exact once the office has entered that year's holidays.
    """
    today = today or timezone.localdate()
    existing = ReportingPeriod.objects.filter(year=today.year, month=today.month).first()
    if existing is None:
        return period_open(year=today.year, month=today.month)
    if existing.due_provisional:
        _period_due_recount(existing)
    return existing


def _period_due_recount(period: ReportingPeriod) -> None:
    due, provisional = period_due_date(year=period.year, month=period.month)
    if (due, provisional) != (period.due_date, period.due_provisional):
        period.due_date, period.due_provisional = due, provisional
        period.save(update_fields=["due_date", "due_provisional"])


# --- who may do what -------------------------------------------------------------------------


def _require_office(user: User, message: str = "只有新区营商办可以审核。") -> None:
    if not user.is_office:
        raise PermissionDenied(message)


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
    if unit_id is None or user.role != Role.UNIT_STAFF:
        label = "牵头" if role == AssignmentRole.LEAD else "配合"
        raise PermissionDenied(f"本单位不是该任务的{label}单位，不能填报。")
    return unit_id


def filing_owed(*, task: Task, period: ReportingPeriod) -> str:
    """Why nothing can be filed on the task for the period ("" when it can): the period is closed,
    the task is retired, or the task's plan does not owe that month."""
    if not period.is_open:
        return f"{period.label}填报期已关闭。"
    if not task.is_active:
        return "该任务已停用，无需填报。"
    if not task.plan.owes(period.year, period.month):
        plan = task.plan
        return (f"{period.label}不在《{plan.title}》的执行期内"
                f"（{plan.starts_on:%Y-%m-%d} 至 {plan.ends_on:%Y-%m-%d}），无需填报。")
    return ""


def _require_owed(task: Task, period: ReportingPeriod) -> None:
    if message := filing_owed(task=task, period=period):
        raise DispatchError(message)


def _access_own_filing(*, user: User, filing: Filing) -> None:
    """404 for a filing the user may not read (another unit's draft), 403 for one it may read
    but is not its unit's to change."""
    if filing.unit_id in user.scope_unit_ids() and user.role == Role.UNIT_STAFF:
        return
    if not type(filing).objects.visible_to(user).filter(pk=filing.pk).exists():
        raise Http404
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
    """Save what changed; a new filing is inserted whole, so its first history row has the user."""
    filing._history_user = user
    if filing.pk is not None:
        filing.save(update_fields=[*fields, "updated_at"])
        return
    try:
        with transaction.atomic():
            filing.save()
    except IntegrityError:
        # The unit's filing for this task and period was just created by a colleague.
        raise DispatchError("本单位的这份填报刚刚由他人创建，请刷新后再保存。") from None


def _filing_for_update(model: type[Filing], *, user: User, defaults: dict | None = None, **lookup) -> Filing:
    """The unit's filing under a row lock, or a new unsaved one (``_save`` inserts it)."""
    filing = model.objects.select_for_update(of=("self",)).filter(**lookup).order_by("pk").first()
    return filing or model(**lookup, **(defaults or {}), created_by=user)


def _locked(model: type[Filing], filing: Filing) -> Filing:
    """Re-read the filing under a row lock: two reviewers at once see one outcome.

    Only the filing's row is locked (``of``): on PostgreSQL a plain FOR UPDATE would also lock
    the joined task and unit rows and serialize unrelated filings.
    """
    return model.objects.select_for_update(of=("self",)).select_related("task", "unit").get(pk=filing.pk)


@transaction.atomic
def filing_submit(*, user: User, filing: Filing) -> Filing:
    """提交: draft or returned → submitted. Late if after the due date (kept once set)."""
    filing = _locked(type(filing), filing)
    _access_own_filing(user=user, filing=filing)
    kind = KINDS[type(filing)]
    if not filing.is_editable:
        raise DispatchError(f"该{kind.label}当前为「{filing.get_status_display()}」，不能再次提交。")
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


# The office's review actions: the status each one leaves from and the one it leads to.
REVIEW_TRANSITIONS: dict[str, tuple[str, str]] = {
    ReviewAction.APPROVE: (FilingStatus.SUBMITTED, FilingStatus.APPROVED),
    ReviewAction.RETURN: (FilingStatus.SUBMITTED, FilingStatus.RETURNED),
    ReviewAction.REOPEN: (FilingStatus.APPROVED, FilingStatus.RETURNED),
}


@transaction.atomic
def filing_review(*, user: User, filing: Filing, action: str, comment: str = "") -> Filing:
    """审核 by the office: approve or return a submitted filing; reopen an approved one."""
    _require_office(user)
    if action not in REVIEW_TRANSITIONS:
        raise DispatchError(f"未知的审核操作「{action}」。")
    filing = _locked(type(filing), filing)
    kind = KINDS[type(filing)]
    source, target = REVIEW_TRANSITIONS[action]
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
    if isinstance(filing, ProgressReport):
        # Deleted one by one so that their history rows name the user (a cascade would not).
        for actual in filing.actuals.all():
            actual._history_user = user
            actual.delete()
    if isinstance(filing, ProgressReport | AnnualWorkPlan):
        _evidence_files_delete_on_commit(list(filing.evidence.all()))
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
    _require_owed(task, period)
    if data.progress is not None and not 0 <= data.progress <= 100:
        raise DispatchError("完成进度应在 0 到 100 之间。", {"progress": "完成进度应在 0 到 100 之间。"})
    report = _filing_for_update(ProgressReport, user=user, task=task, unit_id=unit_id, period=period)
    if not report.is_editable:
        raise DispatchError(f"该进展填报当前为「{report.get_status_display()}」，不能修改。")
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
    evidence_store(files=files, row=lambda **fields: Evidence(report=report, annual_plan=annual_plan,
                                                               uploaded_by=user, **fields))


def evidence_store(*, files: list[UploadedFile], row) -> list:
    """Check every file first, then store them: one bad file leaves nothing behind, not even on
    disk (the transaction rolls back the rows, but stored files would stay). ``row(**fields)``
    makes the unsaved row of one file from its name, type, size and digest."""
    checked = [evidence_read(upload) for upload in files]
    stored = []
    try:
        for upload, (content, kind) in zip(files, checked, strict=True):
            evidence = row(original_name=upload.name[:200], extension=kind.extension,
                           content_type=kind.content_type, size=len(content),
                           sha256=hashlib.sha256(content).hexdigest())
            evidence.file.save("upload", ContentFile(content), save=False)
            stored.append(evidence)
            evidence.save()
    except BaseException:
        for evidence in stored:
            evidence.file.delete(save=False)
        raise
    return stored


def evidence_read(upload: UploadedFile) -> tuple[bytes, CheckedFile]:
    """The upload's content and checked type, or DispatchError with the reason."""
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size > limit:
        size = size_label(limit)
        raise DispatchError(f"「{upload.name}」超过 {size}。", {"files": f"单个文件不能超过 {size}。"})
    upload.seek(0)  # a form may have looked at the file already
    content = upload.read()
    try:
        return content, evidence_check(filename=upload.name, head=content[:16], content=content)
    except EvidenceError as exc:
        raise DispatchError(str(exc), {"files": str(exc)}) from None


def size_label(size: int) -> str:
    """「20 MB」, 「500 KB」: a size limit as a person reads it."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} 字节"


@transaction.atomic
def evidence_delete(*, user: User, evidence: Evidence) -> None:
    model = ProgressReport if evidence.report_id else AnnualWorkPlan
    owner = model.objects.select_for_update(of=("self",)).get(pk=evidence.report_id or evidence.annual_plan_id)
    _access_own_filing(user=user, filing=owner)
    if not owner.is_editable:
        raise DispatchError("已提交的填报不能删除佐证材料。")
    if isinstance(owner, ProgressReport) and not owner.period.is_open:
        raise DispatchError(f"{owner.period.label}填报期已关闭。")
    _evidence_files_delete_on_commit([evidence])
    evidence.delete()


def _evidence_files_delete_on_commit(rows: list[Evidence]) -> None:
    """Remove the stored files of deleted evidence once the deletion is committed (a file still
    named by another row stays)."""
    names = {row.file.name for row in rows if row.file}
    if not names:
        return

    def delete_files() -> None:
        shared = set(Evidence.objects.filter(file__in=names).values_list("file", flat=True))
        for name in names - shared:
            Evidence.file.field.storage.delete(name)

    transaction.on_commit(delete_files)


@transaction.atomic
def contribution_save(*, user: User, task: Task, period: ReportingPeriod, text: str) -> Contribution:
    """A supporting unit's 配合情况 for the period (draft)."""
    unit_id = access_filing_unit(user=user, task=task, role=AssignmentRole.SUPPORTING)
    _require_owed(task, period)
    contribution = _filing_for_update(Contribution, user=user, task=task, unit_id=unit_id, period=period)
    if not contribution.is_editable:
        raise DispatchError(f"该配合情况当前为「{contribution.get_status_display()}」，不能修改。")
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
        raise DispatchError(f"{year} 年不在方案执行期内。")
    plan = _filing_for_update(
        AnnualWorkPlan, user=user, task=task, unit_id=unit_id, year=year,
        defaults={"due_date": annual_plan_due_date(year)},
    )
    if not plan.is_editable:
        raise DispatchError(f"该年度工作方案当前为「{plan.get_status_display()}」，不能修改。")
    plan.content = content.strip()
    _save(plan, user, ["content"])
    _save_evidence(user=user, files=files or [], annual_plan=plan)
    return plan
