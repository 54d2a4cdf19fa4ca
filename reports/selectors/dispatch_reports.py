"""Reads of the dispatch reports (月调度报告, 半年/年度材料). Everything goes through
``DispatchReport.objects.visible_to(user)``: the office, inspectors and leaders read them all, a
unit none."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from reports.choices import DispatchReportKind
from reports.models import DispatchReport
from tasks.models import ActionPlan, ReportingPeriod, User

CLOSED_TO_UNITS = "调度报告汇总各单位的报送和督查情况，仅供新区营商办、督查室和领导查阅。"


def access_dispatch_reports(*, user: User) -> None:
    """The reports are closed to units as a whole: 403 on every page and endpoint, whether or not
    the report asked for exists (so ids reveal nothing)."""
    if not user.sees_everything:
        raise PermissionDenied(CLOSED_TO_UNITS)


def dispatch_reports(*, user: User):
    """Reports without their content (the list shows status and times; content is the heavy part)."""
    return (DispatchReport.objects.visible_to(user).defer("content")
            .select_related("requested_by").order_by("-year", "kind", "-number"))


def dispatch_report_get(*, user: User, pk: int) -> DispatchReport:
    access_dispatch_reports(user=user)
    return get_object_or_404(DispatchReport.objects.visible_to(user).select_related("requested_by", "plan")
                             .defer("plan__source_text", "plan__preamble", "plan__closing_text"), pk=pk)


def dispatch_report_state_get(*, user: User, pk: int) -> DispatchReport:
    """Status and progress only, for the page's polling every two seconds (1 query)."""
    access_dispatch_reports(user=user)
    fields = ("kind", "year", "number", "status", "progress", "stage", "error", "generation", "built_at")
    return get_object_or_404(DispatchReport.objects.visible_to(user).only(*fields), pk=pk)


@dataclass
class ReportRow:
    """A period on the list page, with its report if one was ever asked for."""

    kind: DispatchReportKind
    year: int
    number: int
    report: DispatchReport | None
    plan: ActionPlan | None = None  # the plan that owes the period's months (None: no plan does)

    @property
    def can_build(self) -> bool:
        """Whether building it can succeed: a plan owes a month of it (and the month was opened)."""
        return self.plan is not None

    @property
    def title(self) -> str:
        return self.kind.title(self.year, self.number)


def dispatch_report_rows(*, user: User) -> tuple[list[ReportRow], list[ReportRow]]:
    """The list page: every opened month that a plan owes, or that has a report, with its monthly
    report; and the half-year and annual packs of their years; newest first, each with the plan
    it reports on (3 queries)."""
    access_dispatch_reports(user=user)
    reports = {(r.kind, r.year, r.number): r for r in dispatch_reports(user=user)}
    plans = list(ActionPlan.objects.defer("source_text", "preamble", "closing_text").order_by("-starts_on", "-id"))
    opened = set(ReportingPeriod.objects.values_list("year", "month"))

    def row(kind: DispatchReportKind, year: int, number: int) -> ReportRow:
        months = [m for m in kind.months(number) if (year, m) in opened]
        plan = next((p for p in plans if any(p.owes(year, m) for m in months)), None)
        return ReportRow(kind, year, number, reports.get((kind, year, number)), plan)

    rows = [row(DispatchReportKind.MONTHLY, y, m) for y, m in sorted(opened, reverse=True)]
    monthly = [r for r in rows if r.plan or r.report]
    packs = [row(kind, year, number)
             for year in sorted({r.year for r in monthly}, reverse=True)
             for kind, number in ((DispatchReportKind.ANNUAL, 0), (DispatchReportKind.HALF_YEAR, 2),
                                  (DispatchReportKind.HALF_YEAR, 1))]
    return monthly, [r for r in packs if r.plan or r.report]
