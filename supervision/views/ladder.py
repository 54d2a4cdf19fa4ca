"""Pages of the escalation ladder (督办): the overdue board, 催办 and 督办单 sent by hand, the
list of steps and the unit's reply, the printable 督办单, extension decisions (延期申请), the
monthly 通报 and the office's messenger robot.

The rules are the services'; these views parse, call a selector or service and render. Reads
go through ``visible_to`` (not yours → 404); a page or action kept for some roles is 403 for
the others.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supervision import selectors, services
from supervision.choices import ItemKind, Level
from supervision.forms_ladder import (
    BulletinCompileForm,
    EscalationFilterForm,
    EscalationForm,
    ExtensionDecisionForm,
    MessengerForm,
    OverdueFilterForm,
    ReplyForm,
)
from supervision.notice import DOCX_CONTENT_TYPE, notice_document, notice_docx
from supervision.services.ladder import Item, item_not_owed
from supervision.services.messenger import WebhookError
from tasks.choices import Role
from tasks.workdays import add_working_days

PER_PAGE = 50


# --- the overdue board ----------------------------------------------------------------------


@login_required
@require_GET
def overdue_board(request):
    """逾期督办: every item past its due date and still owed, with the steps already taken."""
    _require_sees_everything(request.user)
    rows = selectors.overdue_board(user=request.user)
    units = sorted({row.unit.pk: row.unit for row in rows}.values(), key=lambda u: (u.sort_order, u.pk))
    form = OverdueFilterForm(request.GET, units=units)
    kind, unit_id = (form.cleaned_data["kind"], form.cleaned_data["unit"]) if form.is_valid() else ("", None)
    shown = [BoardRow(row) for row in rows if (not kind or row.item.kind == kind)
             and (unit_id is None or row.unit.pk == unit_id)]
    context = {"form": form, "rows": shown, "total": len(rows), "by_unit": _count_by_unit(rows),
               "by_kind": _count_by_kind(rows), "kinds": ItemKind, "lookback_days": settings.LADDER_LOOKBACK_DAYS}
    return render(request, "supervision/overdue_board.html", context)


@dataclass
class BoardRow:
    """A row of the board as the page shows it."""

    row: selectors.OverdueRow

    @property
    def kind(self) -> ItemKind:
        return ItemKind(self.row.item.kind)

    @property
    def steps(self) -> list[Level]:
        return [Level(level) for level in self.row.levels]

    @property
    def query(self) -> str:
        return item_query(self.row.item)


def item_query(item: Item) -> str:
    """The parameters of escalation-new that name the item."""
    if item.kind == ItemKind.FINDING:
        return urlencode({"finding": item.finding_id})
    if item.kind == ItemKind.REPORT:
        return urlencode({"task": item.task_id, "unit": item.unit_id, "period": item.period_id})
    return urlencode({"task": item.task_id, "unit": item.unit_id, "year": item.year})


# --- 催办 and 督办单 by hand ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def escalation_new(request):
    """催办/督办单 by hand about the item the parameters name (from the board or an item page)."""
    _require_office(request.user, "只有新区营商办可以发起催办和督办。")
    target = selectors.ladder_target_get(user=request.user, **_item_params(request.GET))
    form = EscalationForm(request.POST or None, initial=_escalation_initial(request.GET))
    if form.is_bound and form.is_valid():
        try:
            escalation = services.escalation_send(user=request.user, item=target.item, **form.cleaned_data)
        except services.SupervisionError as exc:
            _add_errors(form, exc)
        else:
            label = escalation.notice_code or escalation.get_level_display()
            messages.success(request, f"{label}已发送给{target.unit.short_name}。")
            return redirect("supervision:escalation-detail", pk=escalation.pk)
    context = {"form": form, "target": target, "steps": selectors.item_escalations(target.item)}
    return render(request, "supervision/escalation_new.html", context)


# --- the steps -------------------------------------------------------------------------------


@login_required
@require_GET
def escalation_list(request):
    """督办记录: the steps the user may see (a unit: those addressed to it), filtered."""
    form = EscalationFilterForm(request.GET, sees_everything=request.user.sees_everything)
    filters = form.cleaned_data if form.is_valid() else {}
    unit = filters.get("unit")
    escalations = selectors.escalation_list(user=request.user, level=filters.get("level", ""),
                                            unit_id=unit.pk if unit else None,
                                            awaiting_reply=filters.get("awaiting", False))
    page = Paginator(escalations, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "supervision/escalation_list.html", {"form": form, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def escalation_detail(request, pk: int):
    """One ladder step; the responsible unit replies to a 催办 or 督办单 here, once."""
    escalation = selectors.escalation_get(user=request.user, pk=pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        _require_unit_of(request.user, escalation)
        if form.is_valid():
            try:
                services.escalation_reply(user=request.user, escalation=escalation, text=form.cleaned_data["reply"])
            except services.SupervisionError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, "回复已提交，营商办会收到通知。")
                return redirect("supervision:escalation-detail", pk=pk)
    item = _item(escalation)
    context = {"escalation": escalation, "form": form, "can_reply": _can_reply(request.user, escalation),
               "recipients": list(escalation.recipients.all()), "item_query": item_query(item),
               "can_escalate": request.user.is_office and not item_not_owed(item)}
    return render(request, "supervision/escalation_detail.html", context)


# --- 督办单: print and download ---------------------------------------------------------------


@login_required
@require_GET
def notice_print(request, pk: int):
    """The 督办单 laid out as the printed notice (A4; 「打印」 prints it without the page frame)."""
    escalation = _notice(request.user, pk)
    return render(request, "supervision/notice_print.html",
                  {"escalation": escalation, "notice": notice_document(escalation)})


@login_required
@require_GET
@never_cache
def notice_download(request, pk: int):
    """The 督办单 as a Word document, named after its number."""
    escalation = _notice(request.user, pk)
    notice = notice_document(escalation)
    response = HttpResponse(notice_docx(notice), content_type=DOCX_CONTENT_TYPE)
    fallback = f"notice-{escalation.notice_year}-{escalation.notice_number}.docx"
    response["Content-Disposition"] = attachment_header(notice.filename, fallback)
    return response


def attachment_header(filename: str, fallback: str) -> str:
    """RFC 6266 with the RFC 5987 UTF-8 name, and an ASCII name for clients without it."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# --- 延期申请 ----------------------------------------------------------------------------------


@login_required
@require_GET
def extension_list(request):
    """The office's queue of pending extension requests, and those decided lately."""
    _require_sees_everything(request.user)
    return render(request, "supervision/extension_list.html", _extension_context(request.user))


@login_required
@require_POST
def extension_decide(request, pk: int):
    """Grant (the requested date unless changed) or refuse (with a reason) one request."""
    _require_office(request.user, "只有新区营商办可以审批延期申请。")
    extension = selectors.extension_get(user=request.user, pk=pk)
    form = ExtensionDecisionForm(request.POST, prefix=f"ext{pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.extension_decide(user=request.user, extension=extension, grant=data["decision"] == "grant",
                                      due_date=data["due_date"], comment=data["comment"])
        except services.SupervisionError as exc:
            _add_errors(form, exc)
        else:
            verdict = "已同意延期" if data["decision"] == "grant" else "已不同意延期"
            messages.success(request, f"{extension.finding.number} {verdict}，单位会收到通知。")
            return redirect("supervision:extension-list")
    context = _extension_context(request.user, bound={extension.pk: form})
    return render(request, "supervision/extension_list.html", context)


def _extension_context(user, bound: dict | None = None) -> dict:
    pending = list(selectors.extension_queue(user=user))
    bound = bound or {}
    rows = [(ext, bound.get(ext.pk) or ExtensionDecisionForm(prefix=f"ext{ext.pk}", initial={
        "due_date": ext.requested_due_date})) for ext in pending]
    return {"rows": rows, "decided": selectors.extension_decided(user=user), "can_decide": user.is_office}


# --- 通报 ------------------------------------------------------------------------------------


@login_required
@require_GET
def bulletin_list(request):
    """通报: each month with the number of its entries (a unit counts its own)."""
    bulletins = selectors.bulletin_months(user=request.user)
    form = BulletinCompileForm(initial=_last_month()) if request.user.is_office else None
    return render(request, "supervision/bulletin_list.html", {"bulletins": bulletins, "form": form})


@login_required
@require_GET
def bulletin_detail(request, pk: int):
    """The month's 通报 by unit, each item with its reasons; a unit sees its own entries."""
    bulletin = selectors.bulletin_get(pk=pk)
    form = BulletinCompileForm(initial={"year": bulletin.year, "month": bulletin.month}) if request.user.is_office else None
    context = {"bulletin": bulletin, "units": selectors.bulletin_units(user=request.user, bulletin=bulletin),
               "form": form}
    return render(request, "supervision/bulletin_detail.html", context)


@login_required
@require_POST
def bulletin_compile(request):
    """汇总/更新本月通报: compiles the month (again: new entries are added, none doubled)."""
    _require_office(request.user, "只有新区营商办可以汇总通报。")
    form = BulletinCompileForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写正确的年度和月份（1—12）。")
        return redirect("supervision:bulletin-list")
    try:
        bulletin = services.bulletin_compile(user=request.user, **form.cleaned_data)
    except services.SupervisionError as exc:
        messages.error(request, str(exc))
        return redirect("supervision:bulletin-list")
    messages.success(request, f"{bulletin.label}通报已汇总。")
    return redirect("supervision:bulletin-detail", pk=bulletin.pk)


# --- the messenger robot ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def messenger(request):
    """企业微信机器人: the office sets, switches off or clears the robot's address."""
    _require_office(request.user, "只有新区营商办可以设置企业微信机器人。")
    webhook = selectors.messenger_webhook_get()
    initial = {"url": webhook.url, "is_active": webhook.is_active} if webhook else {"is_active": True}
    form = MessengerForm(request.POST or None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            saved = services.messenger_webhook_save(user=request.user, **form.cleaned_data)
        except WebhookError as exc:
            form.add_error("url", str(exc))
        else:
            messages.success(request, "企业微信机器人已保存。" if saved else "企业微信机器人已清除。")
            return redirect("supervision:messenger")
    return render(request, "supervision/messenger_settings.html", {"form": form, "webhook": webhook})


# View-specific helpers: parsing, role checks and presentation.


def _require_office(user, message: str) -> None:
    if not user.is_office:
        raise PermissionDenied(message)


def _require_sees_everything(user) -> None:
    """Pages across all units: the office, inspectors and leaders (a unit has its own lists)."""
    if not user.sees_everything:
        raise PermissionDenied("只有营商办、督查室和领导可以查看该页面。")


def _require_unit_of(user, escalation) -> None:
    """Only the responsible unit's staff reply (others who may read the step: 403)."""
    if not (user.role == Role.UNIT_STAFF and escalation.unit_id in user.scope_unit_ids()):
        raise PermissionDenied("只有责任单位可以回复。")


def _can_reply(user, escalation) -> bool:
    """Whether to show the reply form (the service decides again when it is posted)."""
    return escalation.awaits_reply and user.role == Role.UNIT_STAFF and escalation.unit_id in user.scope_unit_ids()


def _notice(user, pk: int):
    escalation = selectors.escalation_get(user=user, pk=pk)
    if escalation.level != Level.NOTICE:
        raise Http404("该督办记录不是督办单。")
    return escalation


def _item(escalation) -> Item:
    """The item of a step, with its fields only (no query: what item_query needs)."""
    return Item(escalation.item_kind, escalation.unit_id, escalation.due_date, "", finding_id=escalation.finding_id,
                task_id=escalation.task_id, period_id=escalation.period_id, year=escalation.year)


def _item_params(query) -> dict:
    """finding= | task=&unit=&period= | task=&unit=&year= as integers; anything else is 404."""
    names = {"finding": "finding_id", "task": "task_id", "unit": "unit_id", "period": "period_id", "year": "year"}
    params = {}
    for name, key in names.items():
        if query.get(name):
            try:
                params[key] = int(query[name])
            except ValueError:
                raise Http404("参数格式不正确。") from None
    return params


def _escalation_initial(query) -> dict:
    level = query.get("level") if query.get("level") in (Level.URGE, Level.NOTICE) else Level.URGE
    deadline = add_working_days(timezone.localdate(), settings.LADDER_NOTICE_DEADLINE_WORKING_DAYS).date
    return {"level": level, "new_due_date": deadline}


def _count_by_unit(rows) -> list[tuple]:
    counts: dict[int, list] = {}
    for row in rows:
        counts.setdefault(row.unit.pk, [row.unit, 0])[1] += 1
    return sorted(((unit, n) for unit, n in counts.values()), key=lambda c: (-c[1], c[0].sort_order))


def _count_by_kind(rows) -> list[tuple[ItemKind, int]]:
    return [(kind, sum(1 for r in rows if r.item.kind == kind)) for kind in ItemKind]


def _last_month() -> dict:
    last = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    return {"year": last.year, "month": last.month}


def _add_errors(form, exc) -> None:
    """The service's refusal above the form, and beside the fields it names."""
    form.add_error(None, str(exc))
    for field, message in exc.fields.items():
        form.add_error(field if field in form.fields else None, message)

