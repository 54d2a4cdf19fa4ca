"""Pages of monthly dispatch (月调度) for the units: the reporting inbox, the report, contribution
and annual-plan forms, evidence downloads and the notification inbox.

Each view parses, reaches the task through ``task_get`` (404 outside the user's scope) and the
unit's role through ``access_filing_unit`` (403 when the unit files nothing in that role), then
calls a service and renders. What the services refuse comes back as ``DispatchError`` and is
shown beside the fields, with everything typed kept in the bound form.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from tasks import selectors
from tasks.choices import AssignmentRole, FilingStatus, PlanStatus, Role
from tasks.forms_filing import AnnualPlanForm, ContributionForm, ReportForm
from tasks.models import Filing, ProgressReport, ReportingPeriod, Task, User
from tasks.selectors import dispatch as dispatch_selectors
from tasks.selectors import inbox as inbox_selectors
from tasks.selectors.state import task_states
from tasks.services import dispatch as services
from tasks.services.inbox import notifications_mark_read

NOTIFICATIONS_PER_PAGE = 30


# --- the reporting inbox --------------------------------------------------------------------


@login_required
def reporting_inbox(request):
    """填报任务: what the user's unit files for the period, returned ones first."""
    user = request.user
    period = _period_from(request)
    periods = list(dispatch_selectors.recent_periods())
    context = {
        "period": period,
        "periods": periods,
        "open_periods": [p for p in periods if p.is_open],
        "closed_periods": [p for p in periods if not p.is_open],
        "files": _files(user),
        **inbox_context(user=user, period=period),
    }
    context["unowed_note"] = _unowed_note(user=user, period=period, rows=context["rows"])
    year = period.year if period else timezone.localdate().year
    context["annual_year"], context["annual_due_date"] = year, services.annual_plan_due_date(year)
    context["annual_due"] = dispatch_selectors.annual_plans_due(user=user, year=year) if context["files"] else []
    return render(request, "tasks/filing/inbox.html", context)


def inbox_context(*, user: User, period: ReportingPeriod | None) -> dict:
    """The inbox rows with the office's return comments, and the returned filings of any period
    (also shown on the home page)."""
    if not _files(user):
        return {"rows": [], "returned": []}
    returned = dispatch_selectors.filings_returned(user=user)
    comments = {(r.kind, r.filing.pk): r.comment for r in returned}
    rows = dispatch_selectors.reporting_inbox(user=user, period=period)
    for row in rows:
        kind = "report" if row.role == AssignmentRole.LEAD else "contribution"
        row.return_comment = comments.get((kind, row.filing.pk)) if row.filing else None
        # Why the row can only be read (a begun filing of a month its plan no longer owes).
        row.owed_note = services.filing_owed(task=row.task, period=period)
    return {"rows": rows, "returned": returned, "inbox_counts": _status_counts(rows)}


# --- the three filing forms -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request, period_id: int, task_id: int):
    """进展填报: the lead unit's report for the period, with its previous report beside it."""
    period, task, unit_id = _reach(request, task_id, AssignmentRole.LEAD, period_id=period_id)
    report = dispatch_selectors.report_find(task=task, unit_id=unit_id, period=period)
    indicators = services.report_indicators(task=task, year=period.year)
    form = ReportForm(*_bound(request), indicators=indicators, initial=ReportForm.initial_from(report))
    owed_note = services.filing_owed(task=task, period=period)
    if request.method == "POST":
        def save():
            data = services.ReportInput(**{f: form.cleaned_data[f] for f in ("completed", "problems", "next_plan", "progress")})
            return services.report_save(user=request.user, task=task, period=period, data=data,
                                        actuals=form.actuals(), files=form.cleaned_data["files"])
        done = _post(request, form=form, filing=report, save=save, refused=owed_note)
        if done:
            return done
        report = dispatch_selectors.report_find(task=task, unit_id=unit_id, period=period)
    context = {
        "form": form, "period": period, "task": task, "filing": report, "owed_note": owed_note,
        "editable": not owed_note and (report is None or report.is_editable),
        "previous": dispatch_selectors.report_previous(report_or_task=task, unit_id=unit_id, period=period),
        "actuals": _actual_rows(indicators, report),
    }
    return render(request, "tasks/filing/report_edit.html", _filing_context(context))


@login_required
@require_http_methods(["GET", "POST"])
def contribution_edit(request, period_id: int, task_id: int):
    """配合情况: the supporting unit's part, beside the lead unit's submitted report."""
    period, task, unit_id = _reach(request, task_id, AssignmentRole.SUPPORTING, period_id=period_id)
    contribution = dispatch_selectors.contribution_find(task=task, unit_id=unit_id, period=period)
    initial = {"text": contribution.text} if contribution else {}
    form = ContributionForm(request.POST or None, initial=initial)
    owed_note = services.filing_owed(task=task, period=period)
    if request.method == "POST":
        def save():
            return services.contribution_save(user=request.user, task=task, period=period, text=form.cleaned_data["text"])
        done = _post(request, form=form, filing=contribution, save=save, refused=owed_note)
        if done:
            return done
        contribution = dispatch_selectors.contribution_find(task=task, unit_id=unit_id, period=period)
    context = {
        "form": form, "period": period, "task": task, "filing": contribution, "owed_note": owed_note,
        "editable": not owed_note and (contribution is None or contribution.is_editable),
        "lead_reports": dispatch_selectors.period_lead_reports(user=request.user, task=task, period=period),
    }
    return render(request, "tasks/filing/contribution_edit.html", _filing_context(context))


@login_required
@require_http_methods(["GET", "POST"])
def annual_plan_edit(request, year: int, task_id: int):
    """年度工作方案: the lead unit's plan for the task's year, due before February."""
    _, task, unit_id = _reach(request, task_id, AssignmentRole.LEAD)
    if year not in task.plan.years:
        raise Http404
    plan = dispatch_selectors.annual_plan_find(task=task, unit_id=unit_id, year=year)
    form = AnnualPlanForm(*_bound(request), initial={"content": plan.content} if plan else {})
    if request.method == "POST":
        def save():
            return services.annual_plan_save(user=request.user, task=task, year=year,
                                             content=form.cleaned_data["content"], files=form.cleaned_data["files"])
        done = _post(request, form=form, filing=plan, save=save)
        if done:
            return done
        plan = dispatch_selectors.annual_plan_find(task=task, unit_id=unit_id, year=year)
    context = {
        "form": form, "year": year, "task": task, "filing": plan,
        "editable": plan is None or plan.is_editable,
        "due_date": plan.due_date if plan else services.annual_plan_due_date(year),
    }
    return render(request, "tasks/filing/annual_plan_edit.html", _filing_context(context))


# --- evidence and notifications ---------------------------------------------------------------


@login_required
def evidence_download(request, pk: int):
    """A 佐证材料 file, always as a download under its original name (RFC 6266 filename*)."""
    return evidence_file_response(dispatch_selectors.evidence_get(user=request.user, pk=pk))


def evidence_file_response(evidence) -> FileResponse:
    """An uploaded file (佐证材料, a finding's material) as a private download under its original
    name, never rendered inline."""
    try:
        stored = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件已不在存储中。") from None
    response = FileResponse(
        stored, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def notification_list(request):
    """站内消息: unread first; each opens its page and is marked read on the way."""
    notifications = inbox_selectors.notification_list(user=request.user)
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "tasks/filing/notifications.html", {"page": page})


@login_required
@require_POST
def notification_mark_read(request):
    """Mark one message (``id``) or all of them read."""
    ids = [_int_or_404(request.POST["id"])] if request.POST.get("id") else None
    count = notifications_mark_read(user=request.user, ids=ids)
    if ids is None:
        messages.success(request, f"已将 {count} 条消息标为已读。" if count else "没有未读消息。")
    return redirect(_safe_next(request, reverse("notification-list")))


@login_required
@require_POST
def notification_open(request, pk: int):
    """Open a message: mark it read, then go to the page it is about."""
    notification = inbox_selectors.notification_list(user=request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    notifications_mark_read(user=request.user, ids=[notification.pk])
    target = notification.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notification-list")
    return redirect(target or reverse("notification-list"))


# --- what other pages show of monthly dispatch --------------------------------------------------


def home_context(*, user: User) -> dict:
    """The home page: for units, the returned filings and the current period's inbox; for the
    office, the years whose holidays nobody has entered yet."""
    if user.is_office:
        return {"calendar_warnings": dispatch_selectors.calendar_warning_years()}
    if not _files(user):
        return {}
    period = dispatch_selectors.period_current()
    return {"period": period, **inbox_context(user=user, period=period)}


def task_dispatch_context(*, user: User, task: Task, leads: list) -> dict:
    """The task page: each lead unit's light, the reports, contributions, annual plans and the
    timeline — what the user may read of them (other units' drafts never) — and, for a unit that
    files on the task, a button per open month the task's plan owes (or why there is none)."""
    state = task_states(tasks=[task]).get(task.pk)
    open_periods = [p for p in dispatch_selectors.period_list() if p.is_open]  # newest first
    mine = {a.role for a in task.assignments.all() if a.unit_id in user.scope_unit_ids()} if _files(user) else set()
    reports = dispatch_selectors.task_reports(user=user, task=task)
    contributions = dispatch_selectors.task_contributions(user=user, task=task)
    actions = _filing_actions(user=user, task=task, roles=mine, periods=open_periods, filings=[*reports, *contributions])
    newest = actions[0].period if actions else None
    return {
        "light": state.light_result if state else None,
        "lead_lights": [(a, state.unit_light(a.unit_id) if state else None) for a in leads],
        "reports": reports,
        "contributions": contributions,
        "annual_plans": dispatch_selectors.task_annual_plans(user=user, task=task),
        "timeline": dispatch_selectors.task_timeline(user=user, task=task),
        "my_roles": mine,
        # The newest open month as buttons, the other open months in a list beside them.
        "filing_actions": [a for a in actions if a.period == newest],
        "filing_actions_more": [a for a in actions if a.period != newest],
        "filing_note": _filing_note(task, open_periods) if mine and not actions else "",
    }


@dataclass(frozen=True)
class FilingAction:
    """A button of the task page: the unit's report or 配合情况 of one open month."""

    label: str  # 「填报2022年6月进展」, 「继续填报…」, 「查看…」
    url: str
    period: ReportingPeriod
    done: bool  # submitted or approved: only to read


_ACTION_VERBS = {  # role → (nothing begun, begun and editable, submitted or approved), what
    AssignmentRole.LEAD: ("填报", "继续填报", "查看", "进展"),
    AssignmentRole.SUPPORTING: ("填写", "继续填写", "查看", "配合情况"),
}


def _filing_actions(*, user: User, task: Task, roles: set, periods: list[ReportingPeriod], filings: list) -> list[FilingAction]:
    """The unit's filings on the task it may open now, newest month first (lead report before
    配合情况): one per open period the task's plan owes and role the unit holds. ``filings`` are
    the task's reports and contributions already read for the page (the unit's own among them)."""
    if not roles or not task.is_active:
        return []
    scope = set(user.scope_unit_ids())
    own = {(AssignmentRole.LEAD if isinstance(f, ProgressReport) else AssignmentRole.SUPPORTING, f.period_id): f
           for f in filings if f.unit_id in scope}
    actions = []
    for period in periods:
        if services.filing_owed(task=task, period=period):
            continue
        for role in (AssignmentRole.LEAD, AssignmentRole.SUPPORTING):
            if role not in roles:
                continue
            filing = own.get((role, period.pk))
            start, edit, view, what = _ACTION_VERBS[role]
            verb = start if filing is None else edit if filing.is_editable else view
            name = "report-edit" if role == AssignmentRole.LEAD else "contribution-edit"
            actions.append(FilingAction(f"{verb}{period.label}{what}", reverse(name, args=[period.pk, task.pk]),
                                        period, verb == view))
    return actions


def _filing_note(task: Task, open_periods: list[ReportingPeriod]) -> str:
    """Why a unit of the task has nothing to file on it now (one line of the task page)."""
    plan = task.plan
    if not task.is_active:
        return "任务已停用，无需填报。"
    if plan.status == PlanStatus.ENDED:
        return f"{plan.ended_note}，没有可填报的月份。"
    if plan.status == PlanStatus.UPCOMING:
        return f"方案将于{plan.starts_on.year}年{plan.starts_on.month}月{plan.starts_on.day}日开始执行，届时按月填报。"
    if open_periods:
        return "打开的填报期均不在方案执行期内，暂无可填报的月份。"
    return "新区营商办尚未打开填报期，打开后即可在这里填报。"


def lights_attach(tasks: list[Task], *, own_unit_ids: list[int] | None = None) -> list[Task]:
    """Set ``task.light`` (a LightResult, or None where nothing is owed) on each task, from the
    tasks' state now (6–7 queries per plan): the task's light, or with ``own_unit_ids`` the light
    of those lead units on it (a unit's own slice). The tasks need their plan loaded."""
    states = task_states(tasks=tasks)
    for task in tasks:
        found = states.get(task.pk)
        if found is not None and own_unit_ids:
            found = found.of_units(own_unit_ids) or found
        task.light = found.light_result if found else None
    return tasks


# --- helpers ---------------------------------------------------------------------------------


def _files(user: User) -> bool:
    """Unit staff file reports; the office, inspectors and leaders only read them."""
    return user.role == Role.UNIT_STAFF and user.unit_id is not None


def _int_or_404(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def _period_from(request) -> ReportingPeriod | None:
    """?period=<id>, else the current period."""
    if request.GET.get("period"):
        return dispatch_selectors.period_get(pk=_int_or_404(request.GET["period"]))
    return dispatch_selectors.period_current()


def _unowed_note(*, user: User, period: ReportingPeriod | None, rows: list) -> str:
    """「2023年1月不在任何行动方案的执行期内…」 when no plan owes the period's month (read only
    when none of the unit's rows is owed: 1 query then)."""
    if period is None or not _files(user) or any(not row.owed_note for row in rows):
        return ""
    plans = list(selectors.plan_list(user=user).defer("source_text"))
    if any(plan.owes(period.year, period.month) for plan in plans):
        return ""
    spans = "；".join(f"《{p.title}》{p.starts_on:%Y-%m-%d} 至 {p.ends_on:%Y-%m-%d}" for p in plans)
    return f"{period.label}不在任何行动方案的执行期内{f'（{spans}）' if spans else ''}，无需填报。"


def _reach(request, task_id: int, role: str, *, period_id: int | None = None):
    """(period, task, the user's unit id in ``role``): 404 for a period or task out of reach,
    403 for a unit that files nothing in that role on the task."""
    period = dispatch_selectors.period_get(pk=period_id) if period_id is not None else None
    task = selectors.task_get(user=request.user, pk=task_id)
    unit_id = services.access_filing_unit(user=request.user, task=task, role=role)
    return period, task, unit_id


def _bound(request) -> tuple:
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _post(request, *, form, filing: Filing | None, save, refused: str = ""):
    """One of the form's buttons: 保存草稿 (save), 提交 (save, then submit), 删除草稿 (discard),
    or a file's 删除 (save what was typed, then delete the file).

    ``refused`` says why nothing may change at all (``filing_owed``): then no button does anything.
    Returns the redirect on success; None to show the form again with the messages.
    """
    action = "delete_evidence" if request.POST.get("delete_evidence") else request.POST.get("action", "save")
    try:
        if refused:
            raise services.DispatchError(refused)
        if action == "discard":
            return _discard(request, filing)
        if not form.is_valid():
            raise services.DispatchError("请按提示修改标出的内容。")
        filing = save()
        note = _after_save(request, action, filing)
    except services.DispatchError as exc:
        _show_errors(form, exc)
        return None
    messages.success(request, note)
    return redirect(request.path)


def _after_save(request, action: str, filing: Filing) -> str:
    """The second step of a button, once what was typed is saved; the message to show."""
    if action == "submit":
        filing = services.filing_submit(user=request.user, filing=filing)
        return "已提交，等待新区营商办审核。" + ("本次为逾期提交。" if filing.is_late else "")
    if action == "delete_evidence":
        evidence = filing.evidence.filter(pk=_int_or_404(request.POST["delete_evidence"])).first()
        if evidence is None:
            raise services.DispatchError("该佐证材料已不存在。")
        services.evidence_delete(user=request.user, evidence=evidence)
        return f"已删除佐证材料「{evidence.original_name}」，填写的内容已保存。"
    if filing.status == FilingStatus.RETURNED:
        return "修改已保存，尚未重新提交。"
    return "草稿已保存，尚未提交。"


def _discard(request, filing: Filing | None):
    if filing is None:
        raise services.DispatchError("还没有可删除的草稿。")
    services.filing_discard(user=request.user, filing=filing)
    messages.success(request, "草稿已删除。")
    return redirect("reporting-inbox")


def _show_errors(form, exc: services.DispatchError) -> None:
    """The service's messages beside their fields, and its summary on top of the form."""
    if not hasattr(form, "cleaned_data"):
        form.full_clean()
    for field, message in exc.fields.items():
        if field in form.fields and message not in form.errors.get(field, []):
            form.add_error(field, message)
    form.summary = str(exc)


def _filing_context(context: dict) -> dict:
    """What every filing page shows above its form: the office's last return comment."""
    filing = context["filing"]
    events = list(filing.events.all()) if filing else []  # prefetched with their actors
    returned = [e for e in events if e.to_status == FilingStatus.RETURNED]
    context.update(events=events, return_event=returned[-1] if filing and filing.status == FilingStatus.RETURNED and returned else None)
    return context


@dataclass(frozen=True)
class ActualRow:
    indicator: object
    value: object


def _actual_rows(indicators, report) -> list[ActualRow]:
    """The indicators of the year with the report's actuals, for the read-only view."""
    values = {a.indicator_id: a.value for a in report.actuals.all()} if report else {}
    return [ActualRow(i, values.get(i.pk)) for i in indicators]


def _status_counts(rows) -> dict[str, int]:
    """How many inbox rows are still to file, returned, awaiting review and approved (a draft of
    a month no longer owed is none of these)."""
    counts = {"todo": 0, "returned": 0, "submitted": 0, "approved": 0}
    for row in rows:
        status = row.filing.status if row.filing else FilingStatus.DRAFT
        if row.owed_note and status == FilingStatus.DRAFT:
            continue
        key = {"draft": "todo", "returned": "returned", "submitted": "submitted", "approved": "approved"}[status]
        counts[key] += 1
    return counts


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    return target if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else default
