"""Inspection rounds (督查轮次) and their findings (督查问题): logged by inspectors, rectified by
the responsible unit, verified and closed out (销号) or rejected by the inspector; extension
requests (延期申请) decided by the office. Parse → ``access`` (404 for what is not yours, 403 for
what you may see but not do) → do, in one transaction with its event and notifications.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from supervision.choices import (
    EvidenceStage,
    ExtensionStatus,
    FindingAction,
    FindingStatus,
    RoundStatus,
)
from supervision.models import (
    Counter,
    ExtensionRequest,
    Finding,
    FindingEvent,
    FindingEvidence,
    InspectionRound,
    Rectification,
)
from tasks.choices import Role
from tasks.models import Task, Unit, User
from tasks.services.dispatch import DispatchError, evidence_store
from tasks.services.inbox import notify, office_users, unit_users
from tasks.workdays import add_working_days, working_days_between

QUARTER_MONTHS = {1: "1—3月", 2: "4—6月", 3: "7—9月", 4: "10—12月"}


class SupervisionError(DispatchError):
    """A rule of supervision refuses the action; the message (and ``fields``) are for the user."""


# --- who may do what -------------------------------------------------------------------------


def is_inspector(user: User) -> bool:
    return user.is_superuser or user.role == Role.INSPECTOR


def _require_inspector(user: User, message: str) -> None:
    if not is_inspector(user):
        raise PermissionDenied(message)


def _require_organiser(user: User) -> None:
    """Rounds are organised jointly by 督查室 and 营商办."""
    if not (is_inspector(user) or user.is_office):
        raise PermissionDenied("只有督查室和新区营商办可以安排督查。")


def _require_office(user: User, message: str) -> None:
    if not user.is_office:
        raise PermissionDenied(message)


def _access_unit_finding(*, user: User, finding: Finding) -> None:
    """The responsible unit's staff act on its findings; others who may read get 403."""
    if finding.unit_id in user.scope_unit_ids() and user.role == Role.UNIT_STAFF:
        return
    if not Finding.objects.visible_to(user).filter(pk=finding.pk).exists():
        raise Http404
    raise PermissionDenied("只有责任单位可以整改和申请延期。")


def inspector_users() -> list[User]:
    return list(User.objects.filter(role=Role.INSPECTOR, is_active=True))


def finding_url(finding: Finding) -> str:
    return reverse("supervision:finding-detail", args=[finding.pk])


def next_number(name: str) -> int:
    """The next value of a named sequence, drawn under a row lock (no two callers share one)."""
    Counter.objects.get_or_create(name=name)
    counter = Counter.objects.select_for_update().get(name=name)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


# --- rounds ----------------------------------------------------------------------------------


@dataclass
class RoundInput:
    year: int
    quarter: int
    title: str
    method: str
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    status: str = RoundStatus.PLANNED
    conclusion: str = ""
    team: list[User] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)


def _round_check(data: RoundInput, exclude_pk: int | None = None) -> None:
    errors = {}
    if not 1 <= data.quarter <= 4:
        errors["quarter"] = "季度应为 1 到 4。"
    if data.start_date and data.end_date and data.end_date < data.start_date:
        errors["end_date"] = "结束日期不能早于开始日期。"
    if data.status == RoundStatus.CONCLUDED and not data.conclusion.strip():
        errors["conclusion"] = "结束督查前请填写督查结论。"
    if any(u.role != Role.INSPECTOR for u in data.team):
        errors["team"] = "督查组成员应为督查室账号。"
    if errors:
        raise SupervisionError("请按提示修改后再保存。", errors)
    duplicate = InspectionRound.objects.filter(year=data.year, quarter=data.quarter, title=data.title.strip())
    if exclude_pk is not None:
        duplicate = duplicate.exclude(pk=exclude_pk)
    if duplicate.exists():
        raise SupervisionError("同一季度已有同名督查轮次。", {"title": "同一季度已有同名督查轮次。"})


def _round_write(round_: InspectionRound, data: RoundInput, user: User | None) -> InspectionRound:
    for name in ("year", "quarter", "method", "start_date", "end_date", "status"):
        setattr(round_, name, getattr(data, name))
    round_.title, round_.conclusion = data.title.strip(), data.conclusion.strip()
    round_._history_user = user
    round_.save()
    round_.team.set(data.team)
    round_.units.set(data.units)
    round_.tasks.set(data.tasks)
    return round_


@transaction.atomic
def round_create(*, user: User, data: RoundInput) -> InspectionRound:
    _require_organiser(user)
    _round_check(data)
    return _round_write(InspectionRound(created_by=user), data, user)


@transaction.atomic
def round_update(*, user: User, round_: InspectionRound, data: RoundInput) -> InspectionRound:
    _require_organiser(user)
    round_ = InspectionRound.objects.select_for_update().get(pk=round_.pk)
    _round_check(data, exclude_pk=round_.pk)
    return _round_write(round_, data, user)


def quarter_of(date: datetime.date) -> int:
    return (date.month - 1) // 3 + 1


@transaction.atomic
def round_open_quarter(*, today: datetime.date | None = None) -> tuple[InspectionRound, bool]:
    """The quarterly job: the quarter's joint special inspection (四不两直) is open for planning
    and the inspectors are told. Idempotent: a quarter that has a round already keeps it."""
    today = today or timezone.localdate()
    year, quarter = today.year, quarter_of(today)
    existing = InspectionRound.objects.filter(year=year, quarter=quarter).order_by("pk").first()
    if existing:
        return existing, False
    round_, created = InspectionRound.objects.get_or_create(
        year=year, quarter=quarter, title=f"{year}年第{quarter}季度优化营商环境联合专项督查",
    )
    if created:
        inspectors = inspector_users()
        round_.team.set(inspectors)
        notify(recipients=inspectors, title=f"{round_.title}已建立，请安排督查计划",
               body=f"督查范围：{year}年{QUARTER_MONTHS[quarter]}行动方案任务落实情况。",
               url=reverse("supervision:round-detail", args=[round_.pk]), key=f"round-opened:{round_.pk}")
    return round_, created


# --- findings --------------------------------------------------------------------------------


@dataclass
class FindingInput:
    unit: Unit
    description: str
    severity: str
    deadline_working_days: int
    task: Task | None = None
    found_on: datetime.date | None = None


def _record(finding: Finding, *, user: User, action: str, to_status: str, comment: str = "") -> None:
    FindingEvent.objects.create(finding=finding, action=action, from_status=finding.status,
                                to_status=to_status, comment=comment, actor=user)
    finding.status = to_status


def _save(finding: Finding, user: User, fields: list[str]) -> None:
    finding._history_user = user
    finding.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def finding_create(*, user: User, round_: InspectionRound, data: FindingInput,
                   files: list[UploadedFile] | None = None) -> Finding:
    """登记问题: the deadline in working days becomes a due date on the working-day calendar."""
    _require_inspector(user, "只有督查室可以登记督查问题。")
    round_ = InspectionRound.objects.select_for_update().get(pk=round_.pk)
    errors = {}
    if round_.status == RoundStatus.CONCLUDED:
        raise SupervisionError("该督查轮次已结束，不能再登记问题。")
    if not data.description.strip():
        errors["description"] = "请填写问题描述。"
    if not 1 <= data.deadline_working_days <= 250:
        errors["deadline_working_days"] = "整改时限应为 1 到 250 个工作日。"
    if data.task is not None and not data.task.is_active:
        errors["task"] = "该任务已不在方案中。"
    if data.found_on and data.found_on > timezone.localdate():
        errors["found_on"] = "发现日期不能晚于今天。"
    if errors:
        raise SupervisionError("请按提示修改后再保存。", errors)
    found_on = data.found_on or timezone.localdate()
    deadline = add_working_days(found_on, data.deadline_working_days)
    seq = next_number(f"finding:{round_.year}Q{round_.quarter}")
    finding = Finding(
        round=round_, number=f"{round_.year}Q{round_.quarter}-{seq:03d}", task=data.task, unit=data.unit,
        description=data.description.strip(), severity=data.severity,
        deadline_working_days=data.deadline_working_days, found_on=found_on,
        due_date=deadline.date, due_provisional=deadline.provisional, created_by=user,
    )
    finding._history_user = user
    finding.save()
    FindingEvent.objects.create(finding=finding, action=FindingAction.CREATE, to_status=FindingStatus.OPEN, actor=user)
    _evidence_save(finding=finding, user=user, files=files or [], stage=EvidenceStage.INSPECTION)
    if round_.status == RoundStatus.PLANNED:
        round_.status = RoundStatus.IN_PROGRESS
        round_._history_user = user
        round_.save(update_fields=["status"])
    notify(recipients=unit_users(unit_id=finding.unit_id),
           title=f"督查发现问题 {finding.number}，请于 {finding.due_date:%Y-%m-%d} 前完成整改",
           body=finding.description, url=finding_url(finding))
    return finding


def _locked(finding: Finding) -> Finding:
    return Finding.objects.select_for_update(of=("self",)).select_related("round", "unit").get(pk=finding.pk)


@transaction.atomic
def finding_rectification_save(*, user: User, finding: Finding, measures: str, result: str,
                               files: list[UploadedFile] | None = None) -> Rectification:
    """整改: the unit writes what it did (kept as typed until it submits)."""
    finding = _locked(finding)
    _access_unit_finding(user=user, finding=finding)
    if not finding.is_pending_unit:
        raise SupervisionError(f"该问题当前为「{finding.get_status_display()}」，不能修改整改情况。")
    rectification = Rectification.objects.filter(finding=finding).first() or Rectification(finding=finding)
    rectification.measures, rectification.result = measures.strip(), result.strip()
    rectification.updated_by, rectification._history_user = user, user
    rectification.save()
    _evidence_save(finding=finding, user=user, files=files or [], stage=EvidenceStage.RECTIFICATION)
    if finding.status == FindingStatus.OPEN:
        _record(finding, user=user, action=FindingAction.START, to_status=FindingStatus.RECTIFYING)
        _save(finding, user, ["status"])
    return rectification


@transaction.atomic
def finding_submit(*, user: User, finding: Finding) -> Finding:
    """提交核验: the rectification goes to the inspectors; the deadline stops running."""
    finding = _locked(finding)
    _access_unit_finding(user=user, finding=finding)
    if not finding.is_pending_unit:
        raise SupervisionError(f"该问题当前为「{finding.get_status_display()}」，不能提交核验。")
    rectification = Rectification.objects.filter(finding=finding).first()
    missing = {name: message for name, message in (("measures", "请填写整改措施。"), ("result", "请填写整改结果。"))
               if not rectification or not getattr(rectification, name)}
    if missing:
        raise SupervisionError("还有必填内容没有填写。", missing)
    rectification.submitted_at = timezone.now()
    rectification.save(update_fields=["submitted_at", "updated_at"])
    late = "（逾期）" if timezone.localdate() > finding.due_date else ""
    _record(finding, user=user, action=FindingAction.SUBMIT, to_status=FindingStatus.SUBMITTED, comment=late)
    _save(finding, user, ["status"])
    team = list(finding.round.team.filter(is_active=True)) or inspector_users()
    notify(recipients=team, title=f"{finding.unit.short_name}提交了整改情况{late}：{finding.number}",
           url=finding_url(finding))
    return finding


@transaction.atomic
def finding_verify(*, user: User, finding: Finding, close: bool, comment: str = "") -> Finding:
    """核验: the inspector closes the finding out (销号) or rejects it back with a reason."""
    _require_inspector(user, "只有督查室可以核验整改和销号。")
    finding = _locked(finding)
    if finding.status != FindingStatus.SUBMITTED:
        raise SupervisionError(f"该问题当前为「{finding.get_status_display()}」，不能核验。")
    if not close and not comment.strip():
        raise SupervisionError("退回整改时请写明原因。", {"comment": "请写明退回原因。"})
    if close:
        _record(finding, user=user, action=FindingAction.CLOSE, to_status=FindingStatus.CLOSED, comment=comment.strip())
        finding.closed_at = timezone.now()
        _save(finding, user, ["status", "closed_at"])
        title = f"督查问题 {finding.number} 已销号"
    else:
        _record(finding, user=user, action=FindingAction.REJECT, to_status=FindingStatus.RECTIFYING,
                comment=comment.strip())
        _save(finding, user, ["status"])
        title = f"督查问题 {finding.number} 整改未通过核验，已退回"
    notify(recipients=unit_users(unit_id=finding.unit_id), title=title, body=comment.strip(), url=finding_url(finding))
    return finding


# --- evidence --------------------------------------------------------------------------------


def _evidence_save(*, finding: Finding, user: User, files: list[UploadedFile], stage: str) -> None:
    """The same rules as 佐证材料 of progress reports (tasks.services.dispatch)."""
    if not files:
        return
    if finding.evidence.count() + len(files) > settings.EVIDENCE_MAX_FILES:
        raise SupervisionError(f"材料最多 {settings.EVIDENCE_MAX_FILES} 个。", {"files": "文件太多。"})
    evidence_store(files=files, row=lambda **fields: FindingEvidence(finding=finding, stage=stage,
                                                                      uploaded_by=user, **fields))


@transaction.atomic
def finding_evidence_delete(*, user: User, evidence: FindingEvidence) -> None:
    """The uploader removes a file while the finding is still in their hands."""
    finding = _locked(evidence.finding)
    if not Finding.objects.visible_to(user).filter(pk=finding.pk).exists():
        raise Http404
    if evidence.uploaded_by_id != user.pk:
        raise PermissionDenied("只能删除自己上传的材料。")
    editable = finding.is_pending_unit if evidence.stage == EvidenceStage.RECTIFICATION else finding.status == FindingStatus.OPEN
    if not editable:
        raise SupervisionError("该问题已进入下一环节，材料不能再删除。")
    name = evidence.file.name
    evidence.delete()
    transaction.on_commit(lambda: None if FindingEvidence.objects.filter(file=name).exists()
                          else FindingEvidence.file.field.storage.delete(name))


# --- extensions ------------------------------------------------------------------------------


@transaction.atomic
def extension_request(*, user: User, finding: Finding, requested_due_date: datetime.date,
                      reason: str) -> ExtensionRequest:
    """延期申请: asked by the responsible unit on or before the due date."""
    finding = _locked(finding)
    _access_unit_finding(user=user, finding=finding)
    today = timezone.localdate()
    if not finding.is_pending_unit:
        raise SupervisionError(f"该问题当前为「{finding.get_status_display()}」，不需要延期。")
    if today > finding.due_date:
        raise SupervisionError(f"整改已于 {finding.due_date:%Y-%m-%d} 到期，逾期后不能再申请延期。")
    errors = {}
    if requested_due_date <= finding.due_date:
        errors["requested_due_date"] = f"申请延至的日期应晚于原截止日期 {finding.due_date:%Y-%m-%d}。"
    if not reason.strip():
        errors["reason"] = "请填写申请理由。"
    if errors:
        raise SupervisionError("请按提示修改后再提交。", errors)
    if finding.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise SupervisionError("该问题已有一份待审批的延期申请。")
    extension = ExtensionRequest(finding=finding, reason=reason.strip(), requested_due_date=requested_due_date,
                                 previous_due_date=finding.due_date, requested_by=user)
    extension._history_user = user
    extension.save()
    notify(recipients=office_users(), title=f"{finding.unit.short_name}申请延期：{finding.number}",
           body=f"申请延至 {requested_due_date:%Y-%m-%d}。理由：{extension.reason}", url=finding_url(finding))
    return extension


@transaction.atomic
def extension_decide(*, user: User, extension: ExtensionRequest, grant: bool,
                     due_date: datetime.date | None = None, comment: str = "") -> ExtensionRequest:
    """The office grants (the due date moves, and with it the ladder) or refuses with a reason."""
    _require_office(user, "只有新区营商办可以审批延期申请。")
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    finding = _locked(extension.finding)
    if extension.status != ExtensionStatus.PENDING:
        raise SupervisionError(f"该延期申请已审批（{extension.get_status_display()}），不能再次审批。")
    if grant:
        new_due = due_date or extension.requested_due_date
        if new_due <= finding.due_date:
            raise SupervisionError("批准的日期应晚于原截止日期。", {"due_date": "批准的日期应晚于原截止日期。"})
        extension.status, extension.granted_due_date = ExtensionStatus.GRANTED, new_due
        _record(finding, user=user, action=FindingAction.EXTEND, to_status=finding.status,
                comment=f"截止日期由 {finding.due_date:%Y-%m-%d} 延至 {new_due:%Y-%m-%d}")
        finding.due_date, finding.due_provisional = new_due, False
        finding.deadline_working_days = max(1, working_days_between(finding.found_on, new_due))
        _save(finding, user, ["due_date", "due_provisional", "deadline_working_days", "status"])
    else:
        if not comment.strip():
            raise SupervisionError("不同意延期时请写明理由。", {"comment": "请写明理由。"})
        extension.status = ExtensionStatus.REFUSED
    extension.decision_comment, extension.decided_by, extension.decided_at = comment.strip(), user, timezone.now()
    extension._history_user = user
    extension.save()
    verdict = f"同意延期至 {extension.granted_due_date:%Y-%m-%d}" if grant else "不同意延期"
    notify(recipients=unit_users(unit_id=finding.unit_id), title=f"延期申请结果：{finding.number} {verdict}",
           body=extension.decision_comment, url=finding_url(finding))
    return extension
