"""Reads of the Excel round-trip (Excel 批量填报): the open periods, what a lead unit's template
holds, what its upload may contain, and the uploads themselves (their owner's only).

What the unit leads and has begun comes from ``tasks.selectors.dispatch.reporting_inbox``, the
same rows its reporting inbox shows, so that the template and the inbox never disagree.
"""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from reports.models import RoundtripUpload
from reports.roundtrip import (
    ReadContext,
    TaskRef,
    TemplateRow,
    TemplateSpec,
    template_bytes,
    template_filename,
)
from tasks.choices import AssignmentRole, PeriodStatus, Role
from tasks.models import ReportingPeriod, Task, User, owes_q
from tasks.selectors.dispatch import InboxRow, reporting_inbox


def roundtrip_periods() -> list[ReportingPeriod]:
    """Open periods, newest first: the months a template can be filled for (1 query)."""
    return list(ReportingPeriod.objects.filter(status=PeriodStatus.OPEN).order_by("-year", "-month"))


def roundtrip_files(user: User) -> bool:
    """Unit staff file reports; the office, inspectors and leaders only look."""
    return user.role == Role.UNIT_STAFF and user.unit_id is not None


def roundtrip_template_file(*, user: User, period: ReportingPeriod) -> tuple[bytes, str]:
    """The unit's template for an open period and its file name; 403 for anyone who files no
    progress report in it. Tasks whose report is submitted or approved are left out: there is
    nothing left to fill."""
    rows = _lead_rows_or_403(user=user, period=period)
    spec = TemplateSpec(
        unit_id=user.unit_id, unit_name=user.unit.name, period_id=period.pk, period_label=period.label,
        rows=[_template_row(row) for row in rows if row.filing is None or row.filing.is_editable],
    )
    return template_bytes(spec=spec), template_filename(unit_name=user.unit.short_name, period_label=period.label)


def roundtrip_read_context(*, user: User, period: ReportingPeriod) -> ReadContext:
    """What an upload of the unit may contain (the inbox's queries and one for the task codes
    of the plans in force)."""
    rows = _lead_rows_or_403(user=user, period=period, all_roles=True)
    lead = [row for row in rows if row.role == AssignmentRole.LEAD]
    counts = Counter(row.task.code for row in lead)
    known = Task.objects.active().filter(owes_q(period.year, period.month, prefix="plan__"))
    return ReadContext(
        unit_id=user.unit_id, period_id=period.pk, period_label=period.label,
        lead={row.task.code: _task_ref(row) for row in lead},
        supporting=frozenset(row.task.code for row in rows if row.role == AssignmentRole.SUPPORTING),
        known=frozenset(known.values_list("code", flat=True)),
        ambiguous=frozenset(code for code, count in counts.items() if count > 1),
    )


def roundtrip_upload_get(*, user: User, pk: int) -> RoundtripUpload:
    """An upload of the user's own (it holds the unit's drafts): anyone else's is 404 (1 query)."""
    return get_object_or_404(RoundtripUpload.objects.filter(owner=user).select_related("period", "unit"), pk=pk)


def roundtrip_uploads_recent(*, user: User, limit: int = 10) -> list[RoundtripUpload]:
    """The user's latest uploads, newest first (1 query)."""
    return list(RoundtripUpload.objects.filter(owner=user).select_related("period").order_by("-created_at", "-id")[:limit])


def _lead_rows_or_403(*, user: User, period: ReportingPeriod, all_roles: bool = False) -> list[InboxRow]:
    if not roundtrip_files(user):
        raise PermissionDenied("只有牵头单位的填报员可以使用 Excel 批量填报。")
    if not period.is_open:
        raise PermissionDenied(f"{period.label}填报期已关闭。")
    rows = reporting_inbox(user=user, period=period)
    if not any(row.role == AssignmentRole.LEAD for row in rows):
        raise PermissionDenied(f"本单位在{period.label}没有牵头的任务，不需要填报进展。")
    rows = rows if all_roles else [row for row in rows if row.role == AssignmentRole.LEAD]
    return sorted(rows, key=lambda row: (row.task.plan_id, row.task.sort_order))


def _template_row(row: InboxRow) -> TemplateRow:
    report = row.filing
    texts = {name: getattr(report, name) for name in ("completed", "problems", "next_plan")} if report else {}
    return TemplateRow(code=row.task.code, title=row.task.title, time_node=row.task.time_node,
                       progress=report.progress if report else None, **texts)


def _task_ref(row: InboxRow) -> TaskRef:
    report = row.filing
    if report is None:
        return TaskRef(row.task.pk, row.task.code, row.task.title)
    return TaskRef(row.task.pk, row.task.code, row.task.title, report_status=report.status,
                   report_status_label=report.get_status_display(), editable=report.is_editable)
