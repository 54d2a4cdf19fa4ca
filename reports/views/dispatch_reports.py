"""Pages of the dispatch reports: the list of periods, a report's sections, its progress while it
builds (htmx polls every two seconds), the .xlsx download, and the office's 生成 / 重新生成."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from reports.choices import DispatchReportKind, DispatchReportStatus
from reports.selectors.dispatch_reports import (
    dispatch_report_get,
    dispatch_report_rows,
    dispatch_report_state_get,
)
from reports.services.dispatch_reports import DispatchReportError, dispatch_report_request
from reports.views.ledgers import attachment


class ReportPeriodForm(forms.Form):
    kind = forms.ChoiceField(choices=DispatchReportKind.choices)
    year = forms.IntegerField(min_value=2000, max_value=2100)
    number = forms.IntegerField(min_value=0, max_value=12)


@require_GET
@login_required
def dispatch_report_list(request: HttpRequest) -> HttpResponse:
    """调度报告: each opened month with its 月调度报告, each year with its packs."""
    monthly, packs = dispatch_report_rows(user=request.user)
    return render(request, "reports/dispatch_report_list.html", {"monthly": monthly, "packs": packs})


@require_GET
@login_required
def dispatch_report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """All sections of a report as tables; while it builds, its progress (and the last good build)."""
    report = dispatch_report_get(user=request.user, pk=pk)
    context = {"report": report, "content": report.content, "statuses": DispatchReportStatus}
    return render(request, "reports/dispatch_report_detail.html", context)


@require_GET
@never_cache
@login_required
def dispatch_report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the page polls; once the build has ended the page reloads whole."""
    report = dispatch_report_state_get(user=request.user, pk=pk)
    response = render(request, "reports/dispatch_report_progress.html", {"report": report})
    if not report.is_building and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@require_GET
@never_cache
@login_required
def dispatch_report_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The workbook of the last good build."""
    report = dispatch_report_get(user=request.user, pk=pk)
    if not report.file:
        raise Http404("该报告尚未生成。")
    with report.file.open("rb") as stream:
        content = stream.read()
    name = f"{report.title}.xlsx"
    return attachment(content, filename=name, fallback=f"dispatch-{report.kind}-{report.year}-{report.number:02d}.xlsx")


@require_POST
@login_required
def dispatch_report_rebuild(request: HttpRequest, pk: int) -> HttpResponse:
    """重新生成 (the office): a new build replaces the report once it is done."""
    report = dispatch_report_get(user=request.user, pk=pk)
    return _request(request, kind=report.kind, year=report.year, number=report.number)


@require_POST
@login_required
def dispatch_report_create(request: HttpRequest) -> HttpResponse:
    """生成 (the office) a report of a period that has none yet."""
    if not request.user.is_office:
        raise PermissionDenied("只有新区营商办可以生成调度报告。")
    form = ReportPeriodForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择正确的报告类型和期次。")
        return redirect("dispatch-report-list")
    return _request(request, **form.cleaned_data)


def _request(request: HttpRequest, *, kind: str, year: int, number: int) -> HttpResponse:
    try:
        report, queued = dispatch_report_request(kind=kind, year=year, number=number, user=request.user)
    except DispatchReportError as exc:
        messages.error(request, str(exc))
        return redirect("dispatch-report-list")
    if queued:
        messages.success(request, f"已开始生成{report.title}，完成后将通知营商办。")
    else:
        messages.info(request, f"{report.title}正在生成，请稍候。")
    return redirect("dispatch-report-detail", pk=report.pk)
