"""Pages of the Excel round-trip (Excel 批量填报): choose an open period and download the
template, upload it filled, see the preview (errors by row and column, or the rows to save),
confirm as drafts or submitted.

Unit staff of a lead unit use it; the office, inspectors and leaders may open the page, not
download or upload (403). An upload is its owner's: anyone else gets 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from reports.forms_roundtrip import RoundtripConfirmForm, RoundtripUploadForm
from reports.roundtrip import RoundtripError, too_large_message
from reports.selectors import roundtrip as selectors
from reports.services import roundtrip as services
from reports.views.ledgers import attachment
from tasks.models import ReportingPeriod
from tasks.selectors.dispatch import period_get

# What a multipart body carries besides the file: boundaries, headers, the CSRF token.
FORM_OVERHEAD = 64 * 1024


@login_required
@require_GET
def roundtrip_page(request: HttpRequest) -> HttpResponse:
    """Excel 批量填报: the open periods, the template download and the upload form."""
    return _page(request, form=RoundtripUploadForm())


@login_required
@require_GET
@never_cache
def roundtrip_template(request: HttpRequest, period_id: int) -> HttpResponse:
    """The unit's progress template for an open period (403 for those who file no report)."""
    period = period_get(pk=period_id)
    content, filename = selectors.roundtrip_template_file(user=request.user, period=period)
    return attachment(content, filename=filename, fallback=f"progress-template-{period.pk}.xlsx")


@csrf_exempt  # checked below, once the body's declared size has been looked at
@login_required
@require_POST
def roundtrip_upload(request: HttpRequest, period_id: int) -> HttpResponse:
    """Refuse an oversized body by its Content-Length before anything reads it (the CSRF check
    would parse it first, spooling it to disk), then check the token and the file."""
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.ROUNDTRIP_MAX_BYTES + FORM_OVERHEAD:
        services.roundtrip_access(user=request.user)
        form = RoundtripUploadForm()
        form.oversized = too_large_message(declared)
        return _page(request, form=form, period=period_get(pk=period_id), status=413)
    return _upload(request, period_id)


@csrf_protect
def _upload(request: HttpRequest, period_id: int) -> HttpResponse:
    period = period_get(pk=period_id)
    services.roundtrip_access(user=request.user)
    form = RoundtripUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            stored = services.roundtrip_upload_create(
                user=request.user, period=period, filename=upload.name, content=upload.read(),
            )
        except RoundtripError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("roundtrip-preview", pk=stored.pk)
    return _page(request, form=form, period=period)


@login_required
@require_GET
def roundtrip_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The checked upload: its problems by row and column, or the rows and the two buttons."""
    upload = selectors.roundtrip_upload_get(user=request.user, pk=pk)
    return render(request, "reports/roundtrip_preview.html", {"upload": upload, "statuses": upload.Status})


@login_required
@require_POST
def roundtrip_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """保存为草稿 or 直接提交: every row of the upload, or none with the reason."""
    form = RoundtripConfirmForm(request.POST)
    selectors.roundtrip_upload_get(user=request.user, pk=pk)  # 404 before anything else
    try:
        if not form.is_valid():
            raise RoundtripError("请选择保存为草稿或直接提交。")
        submit = form.cleaned_data["action"] == "submit"
        reports = services.roundtrip_upload_confirm(user=request.user, pk=pk, submit=submit)
    except RoundtripError as exc:
        messages.error(request, f"没有保存：{exc}")
    else:
        messages.success(request, _saved_message(reports, submit=submit))
    return redirect("roundtrip-preview", pk=pk)


def _saved_message(reports, *, submit: bool) -> str:
    if not submit:
        return f"已将 {len(reports)} 项任务的进展保存为草稿，尚未提交。"
    late = sum(1 for report in reports if report.is_late)
    return f"已提交 {len(reports)} 项任务的进展，等待新区营商办审核。" + (f"其中 {late} 项为逾期提交。" if late else "")


def _page(request: HttpRequest, *, form: RoundtripUploadForm, period: ReportingPeriod | None = None,
          status: int = 200) -> HttpResponse:
    periods = selectors.roundtrip_periods()
    if period is None and request.GET.get("period", "").isdigit():
        period = next((p for p in periods if p.pk == int(request.GET["period"])), None)
    period = period or (periods[0] if periods else None)
    files = selectors.roundtrip_files(request.user)
    context = {
        "periods": periods, "period": period, "form": form, "files": files,
        "uploads": selectors.roundtrip_uploads_recent(user=request.user) if files else [],
        "max_mb": settings.ROUNDTRIP_MAX_BYTES / (1024 * 1024),
    }
    return render(request, "reports/roundtrip.html", context, status=status)
