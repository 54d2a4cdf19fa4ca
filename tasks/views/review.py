"""The office's side of monthly dispatch (月调度): the review queue with bulk approval, the review
page of each kind of filing (进展填报, 配合情况, 年度工作方案) and the reporting periods.

Every page is the office's (营商办): 403 for anyone else. The review rules are the services';
these views parse, call a selector or service and render.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tasks.choices import FilingStatus, ReviewAction
from tasks.forms_review import (
    AnnualPlanReviewFilter,
    BulkApproveForm,
    ContributionReviewFilter,
    PeriodOpenForm,
    ReportReviewFilter,
    ReviewForm,
)
from tasks.selectors import dispatch as selectors
from tasks.services import dispatch as services

PER_PAGE = 50


@dataclass(frozen=True)
class ReviewKind:
    """One kind of filing the office reviews: its queue, filters and review page."""

    key: str
    label: str
    queue: Any  # (user) → queryset of the kind, for the office
    filter: type[ReportReviewFilter]
    get: Any  # (user, pk) → the filing, or 404
    url_name: str

    def filterset(self, request):
        kwargs = {"years": selectors.annual_plan_years()} if self.key == "annual" else {}
        return self.filter(request.GET, queryset=self.queue(user=request.user), request=request, **kwargs)


KINDS = {
    "report": ReviewKind("report", "进展填报", selectors.review_queue, ReportReviewFilter,
                         selectors.report_get, "report-review"),
    "contribution": ReviewKind("contribution", "配合情况", selectors.contribution_review_queue,
                               ContributionReviewFilter, selectors.contribution_get, "contribution-review"),
    "annual": ReviewKind("annual", "年度工作方案", selectors.annual_plan_review_queue, AnnualPlanReviewFilter,
                         selectors.annual_plan_get, "annual-plan-review"),
}

# Which review actions a filing in each status offers, in the order the page shows them.
ACTIONS_BY_STATUS = {
    FilingStatus.SUBMITTED: [ReviewAction.APPROVE, ReviewAction.RETURN],
    FilingStatus.APPROVED: [ReviewAction.REOPEN],
}
DONE = {"approve": "已审核通过", "return": "已退回修改", "reopen": "已重新打开，退回单位修改"}


# --- the queue --------------------------------------------------------------------------------


@login_required
@require_GET
def review_queue(request):
    """审核队列: filings of one kind (tabs), filtered; 待审核 first by default."""
    _require_office(request.user)
    kind = KINDS.get(request.GET.get("kind"), KINDS["report"])
    filterset = kind.filterset(request)
    page = Paginator(filterset.qs, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "kind": kind, "filter": filterset, "page": page, "here": request.get_full_path(),
        **_tabs(request.user), **_calendar(),
    }
    return render(request, "tasks/review/queue.html", context)


@login_required
@require_POST
def review_approve_bulk(request):
    """批量通过: all the ticked filings, or none of them."""
    _require_office(request.user)
    kind = KINDS.get(request.POST.get("kind"), KINDS["report"])
    form = BulkApproveForm(request.POST, queue=kind.queue(user=request.user))
    if not form.is_valid():
        messages.error(request, form.errors["ids"][0])
        return redirect(_back(request, kind))
    filings = list(form.cleaned_data["ids"])
    try:
        count = services.filings_approve(user=request.user, filings=filings)
    except services.DispatchError as exc:
        messages.error(request, _bulk_refusal(kind, filings, exc))
    else:
        messages.success(request, f"已批量通过 {count} 份{kind.label}。")
    return redirect(_back(request, kind))


# --- the review pages -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report_review(request, pk: int):
    return _review(request, KINDS["report"], pk)


@login_required
@require_http_methods(["GET", "POST"])
def contribution_review(request, pk: int):
    return _review(request, KINDS["contribution"], pk)


@login_required
@require_http_methods(["GET", "POST"])
def annual_plan_review(request, pk: int):
    return _review(request, KINDS["annual"], pk)


def _review(request, kind: ReviewKind, pk: int):
    """The filing in full with its review record; POST runs one review action."""
    user = request.user
    _require_office(user)
    filing = kind.get(user=user, pk=pk)
    form = ReviewForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
        try:
            services.filing_review(user=user, filing=filing, action=action, comment=comment)
        except services.DispatchError as exc:
            _add_errors(form, exc)
            filing = kind.get(user=user, pk=pk)  # as it stands now, if a colleague acted first
        else:
            messages.success(request, f"{kind.label}「{_name(filing)}」{DONE[action]}。")
            return redirect(_back(request, kind))
    previous_id, next_id = selectors.review_neighbours(queue=kind.queue(user=user), filing=filing)
    context = {
        "kind": kind, "filing": filing, **_review_forms(filing, form),
        "events": selectors.review_record(filing=filing), "back": _back(request, kind),
        "previous_id": previous_id, "next_id": next_id, **_filing_details(kind, filing, user), **_calendar(),
    }
    return render(request, f"tasks/review/{kind.key}.html", context)


# --- reporting periods ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def period_list(request):
    """填报期: each month with its due date and returns; the form opens a month."""
    _require_office(request.user)
    form = PeriodOpenForm(request.POST or None, initial=_this_month())
    if form.is_bound and form.is_valid():
        try:
            period = services.period_open(user=request.user, **form.cleaned_data)
        except services.DispatchError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"{period.label}填报期已开启，截止日期 {period.due_date:%Y-%m-%d}。")
            return redirect("period-list")
    today = timezone.localdate()
    periods = [PeriodRow(period, today) for period in selectors.period_list_with_counts()]
    context = {
        "form": form, "periods": periods, "periods_active": True,
        "due_working_day": settings.REPORT_DUE_WORKING_DAY, **_tabs(request.user), **_calendar(),
    }
    return render(request, "tasks/review/periods.html", context)


@login_required
@require_POST
def period_close(request, pk: int):
    _require_office(request.user)
    period = services.period_close(period=selectors.period_get(pk=pk), user=request.user)
    messages.success(request, f"{period.label}填报期已关闭，单位不能再提交该月的填报。")
    return redirect("period-list")


@login_required
@require_POST
def period_reopen(request, pk: int):
    _require_office(request.user)
    period = selectors.period_get(pk=pk)
    services.period_open(year=period.year, month=period.month, user=request.user)
    messages.success(request, f"{period.label}填报期已重新开启。")
    return redirect("period-list")


# View-specific helpers: presentation of what the selectors and services return.


@dataclass(frozen=True)
class PeriodRow:
    """A period with the counts of ``period_list_with_counts`` and what the table derives."""

    period: Any
    today: datetime.date

    @property
    def missing(self) -> int:
        return max(self.period.expected - self.period.submitted, 0)

    @property
    def overdue(self) -> bool:
        return self.missing > 0 and self.today > self.period.due_date

    @property
    def rate(self) -> int:
        """报送率: submitted share of the expected returns, in whole percent."""
        expected = self.period.expected
        return min(round(100 * self.period.submitted / expected), 100) if expected else 0


def _require_office(user) -> None:
    if not user.is_office:
        raise PermissionDenied("只有新区营商办可以审核。")


def _tabs(user) -> dict:
    """The tabs of the review area, each kind with how many of it await review."""
    waiting = selectors.review_waiting_counts(user=user)
    return {"tabs": [(kind, waiting[key]) for key, kind in KINDS.items()]}


def _calendar() -> dict:
    """The working-day calendar warning: years whose holidays nobody has entered yet."""
    return {"calendar_years": selectors.calendar_warning_years()}


def _back(request, kind: ReviewKind) -> str:
    """Where to go after an action: the queue as the user left it (``next``), else its tab."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    queue = reverse("review-queue")
    return queue if kind.key == "report" else f"{queue}?kind={kind.key}"


def _name(filing) -> str:
    """「2022年6月 1.1 行政审批局」: a filing as a message names it."""
    when = filing.period.label if hasattr(filing, "period") else f"{filing.year}年"
    return f"{when} {filing.task.code} {filing.unit.short_name}"


def _bulk_refusal(kind: ReviewKind, filings: list, exc: services.DispatchError) -> str:
    """Why nothing was approved, naming the ticked filings that no longer await review."""
    blocked = [f"{_name(f)}（{f.get_status_display()}）" for f in filings if f.status != FilingStatus.SUBMITTED]
    which = f"其中不在待审核状态的：{'、'.join(blocked)}。" if blocked else str(exc)
    return f"批量通过未执行，所选 {len(filings)} 份{kind.label}均未改变状态。{which}"


def _add_errors(form, exc: services.DispatchError) -> None:
    """The service's refusal beside the fields it names, or above the form."""
    for field, message in exc.fields.items():
        form.add_error(field if field in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, str(exc))


def _review_forms(filing, bound: ReviewForm | None) -> dict:
    """The actions the filing's status offers, each with its form (the posted one kept, with
    its errors and text); a refusal of an action no longer offered is shown above them."""
    offered = ACTIONS_BY_STATUS.get(FilingStatus(filing.status), [])
    posted = bound.data.get("action") if bound is not None else None
    forms = [(a, bound if a == posted else ReviewForm(initial={"action": a.value})) for a in offered]
    refused = bound if bound is not None and bound.errors and posted not in offered else None
    return {"forms": forms, "refused": refused}


def _filing_details(kind: ReviewKind, filing, user) -> dict:
    """What the review page shows beyond the filing itself: 有对比 and 佐证材料 for a report,
    the lead units' reports beside a contribution."""
    if kind.key == "report":
        previous = selectors.report_previous(report_or_task=filing.task, unit_id=filing.unit_id, period=filing.period)
        change = None if previous is None or None in (previous.progress, filing.progress) else (
            filing.progress - previous.progress)
        return {
            "previous": previous, "progress_change": change,
            "actual_rows": selectors.report_actual_rows(report=filing, previous=previous),
            "evidence": list(filing.evidence.all()),
        }
    if kind.key == "annual":
        return {"evidence": list(filing.evidence.all())}
    return {"lead_reports": selectors.task_period_reports(user=user, task=filing.task, period=filing.period)}


def _this_month() -> dict:
    today = timezone.localdate()
    return {"year": today.year, "month": today.month}
