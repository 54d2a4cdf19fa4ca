"""Pages of the ledgers (工作台账): downloads, and the status page of an export run as a job.

A download takes the filters of the list page it is offered on. Up to
``settings.LEDGER_INLINE_MAX_ROWS`` rows it is written in the request to a temporary file and
streamed from there; above, it becomes an ``ExportJob`` and the user is sent to its status page,
which polls until the file is ready. Bad filters answer 400 and write nothing.
"""

from __future__ import annotations

import tempfile
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reports.ledgers import LedgerExport, ledger_export, plan_ledger_filename, plan_ledger_xlsx
from reports.models import ExportJob
from reports.selectors.ledgers import LedgerParamsError, export_job_get
from reports.services.exports import export_job_create
from reports.xlsx import XLSX_CONTENT_TYPE, ledger_write
from tasks.selectors import plan_get

# Query-string keys that only steer the list page, never the rows.
PAGE_ONLY_PARAMS = {"page"}


@require_GET
@never_cache
@login_required
def plan_ledger_download(request: HttpRequest, pk: int) -> HttpResponse:
    """任务分工表 of a plan, with the rows the user may see."""
    plan = plan_get(user=request.user, pk=pk)
    content, _ = plan_ledger_xlsx(user=request.user, plan=plan)
    filename = plan_ledger_filename(plan=plan)
    return attachment(content, filename=filename, fallback=f"plan-{plan.pk}-ledger.xlsx")


def attachment(content: bytes, *, filename: str, fallback: str) -> HttpResponse:
    """An .xlsx download; the Chinese name per RFC 6266, an ASCII name for old clients."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = _disposition(filename, fallback)
    return response


def _disposition(filename: str, fallback: str) -> str:
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@require_GET
@never_cache
@login_required
def task_ledger_download(request: HttpRequest) -> HttpResponse:
    """任务台账: the task search page's filters, and ``?period=``."""
    return _ledger_download(request, ExportJob.Kind.TASKS)


@require_GET
@never_cache
@login_required
def finding_ledger_download(request: HttpRequest) -> HttpResponse:
    """督查问题整改台账: the findings page's filters."""
    return _ledger_download(request, ExportJob.Kind.FINDINGS)


@require_GET
@never_cache
@login_required
def indicator_ledger_download(request: HttpRequest) -> HttpResponse:
    """指标台账 of ``?plan=`` (default: the current plan)."""
    return _ledger_download(request, ExportJob.Kind.INDICATORS)


def _ledger_download(request: HttpRequest, kind: str) -> HttpResponse:
    params = {key: value for key, value in request.GET.items() if key not in PAGE_ONLY_PARAMS}
    try:
        export = ledger_export(kind=kind, user=request.user, params=params)
    except LedgerParamsError as exc:
        return HttpResponse(f"无法导出台账：{exc}", status=400, content_type="text/plain; charset=utf-8")
    if export.total > settings.LEDGER_INLINE_MAX_ROWS:
        job = export_job_create(user=request.user, kind=kind, params=params, rows_total=export.total)
        return redirect("ledger-export", pk=job.pk)
    return _streamed(export)


def _streamed(export: LedgerExport) -> FileResponse:
    """Written to a temporary file (never whole in memory) and sent from there; the file goes
    when the response is closed."""
    stream = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by the response)
    ledger_write(ledger=export.ledger, rows=export.rows, stream=stream)
    stream.seek(0)
    response = FileResponse(stream, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = _disposition(export.filename, export.fallback)
    return response


@require_GET
@never_cache
@login_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The export's status page; its progress block polls while the job runs (htmx)."""
    job = export_job_get(user=request.user, pk=pk)
    template = "reports/export_progress.html" if request.headers.get("HX-Request") == "true" else "reports/export_detail.html"
    return render(request, template, {"job": job, "statuses": ExportJob.Status})


@require_GET
@never_cache
@login_required
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    """The finished file, for the user who asked for it only."""
    job = export_job_get(user=request.user, pk=pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404("台账尚未生成。")
    response = FileResponse(job.file.open("rb"), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = _disposition(job.filename, f"ledger-export-{job.pk}.xlsx")
    return response
