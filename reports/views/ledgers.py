"""Pages of the reports layer: ledger downloads."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reports.ledgers import plan_ledger_filename, plan_ledger_xlsx
from reports.xlsx import XLSX_CONTENT_TYPE
from tasks.selectors import plan_get


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
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    return response
