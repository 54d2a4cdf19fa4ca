"""Pages of inspections (督查): rounds, logging findings one after another, the findings lists,
a finding's detail with rectification (整改), verification (核验/销号) and extension requests
(延期申请), and the verification queue.

Each view reaches its object through a selector (``visible_to``: 404 for what is not yours),
checks that the user's role may open the page at all (403), then calls a service; what a
service refuses comes back as ``SupervisionError`` and is shown beside the fields, with what
was typed kept in the bound form.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from supervision import selectors
from supervision.choices import ExtensionStatus, FindingStatus, RoundStatus, Severity
from supervision.forms import (
    ExtensionForm,
    FindingForm,
    RectificationForm,
    RoundForm,
    VerifyForm,
    unit_queryset,
)
from supervision.models import Finding, InspectionRound
from supervision.services import inspections as services
from supervision.services.inspections import SupervisionError, is_inspector
from tasks.choices import Role
from tasks.models import User
from tasks.services.dispatch import DispatchError
from tasks.views.filing import evidence_file_response

FINDINGS_PER_PAGE = 50
ROUNDS_PER_PAGE = 30


# --- who may open which page -----------------------------------------------------------------


def can_organise(user: User) -> bool:
    """Rounds are organised jointly by 督查室 and 营商办 (the services say the same)."""
    return is_inspector(user) or user.is_office


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def rectifies(user: User, finding: Finding) -> bool:
    """The responsible unit's staff rectify and ask for extensions."""
    return user.role == Role.UNIT_STAFF and finding.unit_id in user.scope_unit_ids()


# --- rounds ----------------------------------------------------------------------------------


@login_required
@require_safe
def round_list(request):
    """督查轮次: each with its method, status, dates and finding counts."""
    page = Paginator(selectors.round_list(user=request.user), ROUNDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "supervision/round_list.html", {"page": page, "can_organise": can_organise(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def round_new(request):
    _require(can_organise(request.user), "只有督查室和新区营商办可以安排督查。")
    form = RoundForm(_bound(request)[0], initial=_round_defaults())
    if request.method == "POST":
        round_ = _save_round(request, form, lambda data: services.round_create(user=request.user, data=data))
        if round_:
            messages.success(request, f"已建立督查轮次「{round_.title}」。")
            return redirect("supervision:round-detail", round_.pk)
    return render(request, "supervision/round_form.html", {"form": form, "round": None})


@login_required
@require_http_methods(["GET", "POST"])
def round_edit(request, pk: int):
    round_ = selectors.round_get(user=request.user, pk=pk)
    _require(can_organise(request.user), "只有督查室和新区营商办可以修改督查轮次。")
    form = RoundForm(_bound(request)[0], initial=RoundForm.initial_from(round_))
    if request.method == "POST":
        saved = _save_round(request, form,
                            lambda data: services.round_update(user=request.user, round_=round_, data=data))
        if saved:
            messages.success(request, "督查轮次已保存。")
            return redirect("supervision:round-detail", saved.pk)
    return render(request, "supervision/round_form.html", {"form": form, "round": round_})


@login_required
@require_safe
def round_detail(request, pk: int):
    """The round's scope and team, its findings with lights, and (for inspectors) the quick log form."""
    round_ = selectors.round_get(user=request.user, pk=pk)
    form = _finding_form(request, round_) if _logs(request.user, round_) else None
    return render(request, "supervision/round_detail.html", _round_context(request, round_, form))


def _round_defaults() -> dict:
    today = timezone.localdate()
    quarter = services.quarter_of(today)
    return {"year": today.year, "quarter": quarter, "status": RoundStatus.PLANNED,
            "title": f"{today.year}年第{quarter}季度优化营商环境联合专项督查"}


def _save_round(request, form: RoundForm, save) -> InspectionRound | None:
    try:
        if not form.is_valid():
            raise SupervisionError("请按提示修改标出的内容。")
        return save(form.to_input())
    except DispatchError as exc:
        _show_errors(form, exc)
        return None


# --- logging findings ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def finding_new(request, pk: int):
    """登记问题, several in a row: after each one the form comes back empty but for the unit,
    severity and deadline, with the finding just logged listed below."""
    round_ = selectors.round_get(user=request.user, pk=pk)
    _require(is_inspector(request.user), "只有督查室可以登记督查问题。")
    form = FindingForm(*_bound(request), round_=round_, initial=FindingForm.initial_from(request.GET))
    if request.method == "POST":
        done = _log_finding(request, round_, form)
        if done:
            return done
    if round_.status == RoundStatus.CONCLUDED:
        form = None
    return render(request, "supervision/finding_new.html", _round_context(request, round_, form))


def _log_finding(request, round_: InspectionRound, form: FindingForm):
    try:
        if not form.is_valid():
            raise SupervisionError("请按提示修改标出的内容。")
        finding = services.finding_create(user=request.user, round_=round_, data=form.to_input(),
                                          files=form.cleaned_data["files"])
    except DispatchError as exc:
        _show_errors(form, exc)
        return None
    messages.success(request, f"已登记 {finding.number}，可继续登记下一条。")
    target = "supervision:round-detail" if request.POST.get("back") == "detail" else "supervision:finding-new"
    return redirect(f"{reverse(target, args=[round_.pk])}?{urlencode({**form.kept(), 'last': finding.pk})}#log")


def _logs(user: User, round_: InspectionRound) -> bool:
    return is_inspector(user) and round_.status != RoundStatus.CONCLUDED


def _finding_form(request, round_: InspectionRound) -> FindingForm:
    return FindingForm(round_=round_, initial=FindingForm.initial_from(request.GET))


def _round_context(request, round_: InspectionRound, form: FindingForm | None) -> dict:
    findings = selectors.findings_with_lights(list(selectors.finding_list(user=request.user, round_id=round_.pk)))
    last = _int_or_none(request.GET.get("last"))
    return {"round": round_, "findings": findings, "form": form, "last_id": last,
            "can_organise": can_organise(request.user), "can_log": _logs(request.user, round_)}


# --- findings --------------------------------------------------------------------------------


@login_required
@require_safe
def finding_list(request):
    """我的督查问题 for a unit; all findings with filters for the office, inspectors and leaders."""
    user = request.user
    filters = _finding_filters(request) if user.sees_everything else {}
    findings = selectors.finding_list(user=user, **filters)
    page = Paginator(findings, FINDINGS_PER_PAGE).get_page(request.GET.get("page"))
    selectors.findings_with_lights(page.object_list)
    mine = not user.sees_everything
    context = {"page": page, "filters": filters, "mine": mine, "show_unit": not mine,
               "empty": "本单位没有督查问题。" if mine else "没有符合条件的督查问题。"}
    if user.sees_everything:
        context |= {"statuses": FindingStatus.choices, "severities": Severity.choices, "units": unit_queryset(),
                    "rounds": selectors.round_list(user=user)}
    return render(request, "supervision/finding_list.html", context)


def _finding_filters(request) -> dict:
    query = request.GET
    return {
        "status": query.get("status", "") if query.get("status") in FindingStatus.values else "",
        "severity": query.get("severity", "") if query.get("severity") in Severity.values else "",
        "unit_id": _int_or_none(query.get("unit")),
        "round_id": _int_or_none(query.get("round")),
        "overdue": query.get("overdue") == "1",
    }


@login_required
@require_safe
def finding_detail(request, pk: int):
    finding = selectors.finding_get(user=request.user, pk=pk)
    return render(request, "supervision/finding_detail.html", _detail_context(request, finding))


@login_required
@require_POST
def finding_rectify(request, pk: int):
    """整改: 保存 (draft), 提交核验 (save, then submit), or a file's 删除 (save, then delete it)."""
    finding = selectors.finding_get(user=request.user, pk=pk)
    form = RectificationForm(request.POST, request.FILES)
    action = "delete_evidence" if request.POST.get("delete_evidence") else request.POST.get("action", "save")
    try:
        if not form.is_valid():
            raise SupervisionError("请按提示修改标出的内容。")
        services.finding_rectification_save(user=request.user, finding=finding, measures=form.cleaned_data["measures"],
                                            result=form.cleaned_data["result"], files=form.cleaned_data["files"])
        note = _after_rectify(request, finding, action)
    except DispatchError as exc:
        _show_errors(form, exc)
        return _detail_again(request, finding, rectify_form=form)
    messages.success(request, note)
    return redirect("supervision:finding-detail", finding.pk)


def _after_rectify(request, finding: Finding, action: str) -> str:
    if action == "submit":
        services.finding_submit(user=request.user, finding=finding)
        return "已提交核验，等待督查室核验。"
    if action == "delete_evidence":
        evidence = finding.evidence.filter(pk=_int_or_none(request.POST["delete_evidence"])).first()
        if evidence is None:
            raise SupervisionError("该材料已不存在。")
        services.finding_evidence_delete(user=request.user, evidence=evidence)
        return f"已删除材料「{evidence.original_name}」，填写的整改情况已保存。"
    return "整改情况已保存，尚未提交核验。"


@login_required
@require_POST
def finding_verify(request, pk: int):
    """核验: 销号 or 退回整改 (a comment is required to reject)."""
    finding = selectors.finding_get(user=request.user, pk=pk)
    form = VerifyForm(request.POST)
    form.is_valid()
    close = request.POST.get("action") == "close"
    try:
        services.finding_verify(user=request.user, finding=finding, close=close,
                                comment=form.cleaned_data.get("comment", ""))
    except DispatchError as exc:
        _show_errors(form, exc)
        return _detail_again(request, finding, verify_form=form)
    messages.success(request, f"{finding.number} 已销号。" if close else f"{finding.number} 已退回整改。")
    return redirect("supervision:finding-detail", finding.pk)


@login_required
@require_POST
def finding_extension(request, pk: int):
    """延期申请 by the responsible unit, before the due date."""
    finding = selectors.finding_get(user=request.user, pk=pk)
    form = ExtensionForm(request.POST)
    try:
        if not form.is_valid():
            _require(rectifies(request.user, finding), "只有责任单位可以整改和申请延期。")
            raise SupervisionError("请按提示修改标出的内容。")
        services.extension_request(user=request.user, finding=finding, reason=form.cleaned_data["reason"],
                                   requested_due_date=form.cleaned_data["requested_due_date"])
    except DispatchError as exc:
        _show_errors(form, exc)
        return _detail_again(request, finding, extension_form=form)
    messages.success(request, "延期申请已提交，等待新区营商办审批。")
    return redirect("supervision:finding-detail", finding.pk)


@login_required
@require_safe
def finding_evidence(request, pk: int):
    """A finding's file, always as a download under its original name."""
    return evidence_file_response(selectors.finding_evidence_get(user=request.user, pk=pk))


def _detail_again(request, finding: Finding, **forms):
    """The detail page after a refused action: the finding as it now stands, the form as typed."""
    finding = selectors.finding_get(user=request.user, pk=finding.pk)
    return render(request, "supervision/finding_detail.html", _detail_context(request, finding, **forms))


def _detail_context(request, finding: Finding, *, rectify_form=None, verify_form=None, extension_form=None) -> dict:
    user = request.user
    selectors.findings_with_lights([finding])
    rectification = selectors.finding_rectification(finding)
    evidence = selectors.finding_evidence(finding)
    extensions = selectors.finding_extensions(finding)
    unit_acts = rectifies(user, finding) and finding.is_pending_unit
    if unit_acts and rectify_form is None:
        rectify_form = RectificationForm(initial={"measures": rectification.measures, "result": rectification.result}
                                         if rectification else {})
    can_extend = (unit_acts and not finding.is_overdue(_today())
                  and not any(e.status == ExtensionStatus.PENDING for e in extensions))
    can_verify = is_inspector(user) and finding.status == FindingStatus.SUBMITTED
    shown = {"rectify_form": rectify_form if unit_acts else None,
             "extension_form": (extension_form or ExtensionForm()) if can_extend else None,
             "verify_form": (verify_form or VerifyForm()) if can_verify else None}
    # A refused form that the finding's new state no longer offers: its reason goes on top.
    refusals = [form.summary for form in (rectify_form, verify_form, extension_form)
                if form is not None and form not in shown.values() and getattr(form, "summary", "")]
    return {
        "finding": finding, "rectification": rectification,
        "inspection_evidence": [e for e in evidence if e.stage == "inspection"],
        "rectification_evidence": [e for e in evidence if e.stage == "rectification"],
        "extensions": extensions, "timeline": selectors.finding_timeline(finding=finding, extensions=extensions),
        "is_office": user.is_office, "refusals": refusals, "rejection": selectors.finding_rejection(finding), **shown,
    }


# --- verification ----------------------------------------------------------------------------


@login_required
@require_safe
def verification_queue(request):
    """待核验: rectifications handed in, oldest first (inspectors act; office and leaders read)."""
    _require(request.user.sees_everything, "核验队列仅供督查室、新区营商办和领导查看。")
    findings = list(selectors.verification_queue(user=request.user))
    today = _today()
    for finding in findings:
        submitted = finding.rectification.submitted_at  # selected with the finding: no query
        finding.waiting_days = (today - timezone.localdate(submitted)).days if submitted else 0
    return render(request, "supervision/verification_queue.html",
                  {"findings": findings, "can_verify": is_inspector(request.user)})


# --- helpers ---------------------------------------------------------------------------------


def _today():
    return timezone.localdate()


def _bound(request) -> tuple:
    """(data, files) to bind a form to on POST, even an empty one; (None, None) on GET."""
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _show_errors(form, exc: DispatchError) -> None:
    """The service's messages beside their fields, and its summary on top of the form."""
    if not hasattr(form, "cleaned_data"):
        form.full_clean()
    for field, message in exc.fields.items():
        if field in form.fields and message not in form.errors.get(field, []):
            form.add_error(field, message)
    form.summary = str(exc)
