"""The benchmark's synthetic monthly dispatch (reports/bench/dispatch_history.py) at scale 2.

No timing here: speed is measured by `make bench` as ratios within one run.
"""

import datetime
import hashlib
from collections import Counter

import pytest
from django.db import transaction

from reports.bench.dispatch_history import FILER_PREFIX, MEASURED_UNIT, QUARTER_ENDS, QUEUE_SAMPLE
from reports.bench.synthetic import synthetic_counts, synthetic_grow, synthetic_title
from tasks.choices import AssignmentRole, FilingStatus, PeriodStatus, ReviewAction
from tasks.models import (
    ActionPlan,
    Contribution,
    IndicatorActual,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    TaskAssignment,
)
from tasks.services.dispatch import period_due_date

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 18)
MONTHS = 36


def grow(scale: int):
    return synthetic_grow(scale=scale, today=TODAY)


def synthetic_plan() -> ActionPlan:
    return ActionPlan.objects.get(title=synthetic_title(2))


def leads(plan) -> int:
    return TaskAssignment.objects.filter(task__plan=plan, role=AssignmentRole.LEAD).count()


def own_years(model, plan):
    """The plan's filings in its own years (the seed plan also has the current month's)."""
    return model.objects.filter(task__plan=plan, period__year__gte=plan.start_year, period__year__lte=plan.end_year)


def fingerprint() -> str:
    """Every period, filing, review step and actual by natural keys (ids differ between runs),
    sorted apart from the database's order, hashed."""
    key = ("task__plan__title", "task__code", "unit__name", "period__year", "period__month")
    filing = ("task__plan__title", "task__code", "unit__name")
    tables = [
        ReportingPeriod.objects.values_list("year", "month", "due_date", "status"),
        ProgressReport.objects.values_list(
            *key, "status", "progress", "completed", "problems", "next_plan", "submitted_at", "is_late",
            "created_at", "created_by__username"),
        Contribution.objects.values_list(*key, "status", "text", "submitted_at", "is_late"),
        ReviewEvent.objects.values_list(
            "at", "action", "from_status", "to_status", "comment", "actor__username",
            *(f"report__{name}" for name in filing), *(f"contribution__{name}" for name in filing)),
        IndicatorActual.objects.values_list(
            "report__task__plan__title", "report__period__year", "report__period__month", "indicator__key",
            "report__unit__name", "value"),
    ]
    rows = [sorted(map(repr, table)) for table in tables]
    return hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()


def seed_filings(plan) -> list:
    reports = own_years(ProgressReport, plan).order_by("pk")
    return [
        list(reports.values_list()),
        list(own_years(Contribution, plan).order_by("pk").values_list()),
        list(ReviewEvent.objects.filter(report__in=reports).order_by("pk").values_list()),
        list(IndicatorActual.objects.filter(report__in=reports).order_by("pk").values_list()),
        list(ProgressReport.history.filter(id__in=reports.values("pk")).order_by("history_id").values_list()),
    ]


def test_every_lead_assignment_reports_every_month_of_its_plan(plan):
    report = grow(2)
    assert report.histories_added == [1, 2] and report.current_filled
    synthetic = synthetic_plan()
    assert own_years(ProgressReport, synthetic).count() == MONTHS * leads(synthetic)
    months = own_years(ProgressReport, synthetic).values("task_id", "unit_id").annotate()
    assert set(Counter((r["task_id"], r["unit_id"]) for r in months).values()) == {MONTHS}
    counts = synthetic_counts()
    assert counts["periods"] == 2 * MONTHS + 1  # both plans' months and the current one
    assert counts["reports"] == own_years(ProgressReport, plan).count() + MONTHS * leads(synthetic) + QUEUE_SAMPLE


def test_periods_are_due_on_the_working_day_rule_and_closed_but_the_open_ones(plan):
    grow(2)
    synthetic = synthetic_plan()
    for period in ReportingPeriod.objects.filter(year=synthetic.start_year, month__in=[1, 10]):
        assert (period.due_date, period.due_provisional) == period_due_date(year=period.year, month=period.month)
    open_months = set(ReportingPeriod.objects.filter(status=PeriodStatus.OPEN).values_list("year", "month"))
    assert open_months == {(plan.end_year, 12), (TODAY.year, TODAY.month)}


def test_history_is_mostly_approved_with_late_and_returned_ones(plan):
    grow(2)
    reports = own_years(ProgressReport, synthetic_plan())
    statuses = Counter(reports.values_list("status", flat=True))
    assert statuses[FilingStatus.APPROVED] > 0.85 * reports.count()
    assert statuses[FilingStatus.RETURNED] > 0
    assert set(statuses) == {FilingStatus.APPROVED, FilingStatus.RETURNED}
    assert 0 < reports.filter(is_late=True).count() < 0.2 * reports.count()
    fixed = ReviewEvent.objects.filter(report__in=reports, action=ReviewAction.RETURN, report__status=FilingStatus.APPROVED)
    assert fixed.exists()


def test_progress_rises_and_submissions_follow_the_review_flow(plan):
    grow(2)
    reports = own_years(ProgressReport, synthetic_plan()).order_by("task_id", "unit_id", "period__year", "period__month")
    previous = {}
    for key, progress in ((r[:2], r[2]) for r in reports.values_list("task_id", "unit_id", "progress")):
        assert 0 <= previous.get(key, 0) <= progress <= 100
        previous[key] = progress
    assert max(previous.values()) == 100
    events = ReviewEvent.objects.filter(report__in=reports).order_by("report_id", "at", "id")
    by_report = {}
    for report_id, action, to_status in events.values_list("report_id", "action", "to_status"):
        by_report.setdefault(report_id, []).append((action, to_status))
    assert len(by_report) == reports.count()
    for report_id, status, submitted_at in reports.values_list("pk", "status", "submitted_at"):
        steps = by_report[report_id]
        assert steps[0] == (ReviewAction.SUBMIT, FilingStatus.SUBMITTED)
        assert steps[-1][1] == status
        assert submitted_at is not None


def test_history_rows_are_dated_and_attributed(plan):
    grow(2)
    synthetic = synthetic_plan()
    reports = own_years(ProgressReport, synthetic)
    history = ProgressReport.history.filter(id__in=reports.values("pk"))
    assert history.count() == reports.count()
    assert set(history.values_list("history_type", flat=True)) == {"+"}
    row = history.select_related("history_user").first()
    report = ProgressReport.objects.get(pk=row.id)
    assert row.history_date == report.updated_at and row.history_user_id == report.created_by_id
    assert row.history_user.username.startswith(FILER_PREFIX) and row.history_user.unit_id == report.unit_id
    contributions = own_years(Contribution, synthetic)
    assert contributions.exists()
    assert Contribution.history.filter(id__in=contributions.values("pk")).count() == contributions.count()
    assert ReviewEvent.objects.filter(contribution__in=contributions, action=ReviewAction.APPROVE).exists()
    actuals = IndicatorActual.objects.filter(report__in=reports)
    assert actuals.exists()
    assert set(actuals.values_list("report__period__month", flat=True)) <= set(QUARTER_ENDS)
    assert IndicatorActual.history.filter(id__in=actuals.values("pk")).count() == actuals.count()
    periods = ReportingPeriod.objects.filter(year__in=synthetic.years)
    assert ReportingPeriod.history.filter(id__in=periods.values("pk")).count() == MONTHS


def test_open_months_hold_the_queue_and_the_measured_units_filings(plan):
    grow(2)
    current = ReportingPeriod.objects.get(year=TODAY.year, month=TODAY.month)
    queue = ProgressReport.objects.filter(period=current)
    assert queue.count() == QUEUE_SAMPLE
    assert set(queue.values_list("status", "task__plan")) == {(FilingStatus.SUBMITTED, plan.pk)}
    assert max(queue.values_list("submitted_at", flat=True)).date() < TODAY
    last = ReportingPeriod.objects.get(year=plan.end_year, month=12)
    own = Counter(ProgressReport.objects.filter(period=last, unit__name=MEASURED_UNIT).values_list("status", flat=True))
    assert own[FilingStatus.DRAFT] and own[FilingStatus.SUBMITTED] and own[FilingStatus.RETURNED]
    assert not own[FilingStatus.APPROVED]
    drafts = Contribution.objects.filter(period=last, unit__name=MEASURED_UNIT)
    assert drafts.exists() and set(drafts.values_list("status", flat=True)) == {FilingStatus.DRAFT}


def test_seed_plan_filings_are_untouched_by_growth(plan):
    grow(1)
    before = seed_filings(plan)
    assert before[0]
    assert grow(2).histories_added == [2]
    assert seed_filings(plan) == before


def test_filings_are_deterministic_and_path_independent(plan):
    savepoint = transaction.savepoint()
    grow(2)
    direct = fingerprint()
    transaction.savepoint_rollback(savepoint)
    assert not ProgressReport.objects.exists()

    grow(1)
    assert grow(2).histories_added == [2]
    assert fingerprint() == direct


def test_growing_again_writes_no_filing(plan):
    grow(2)
    counts = synthetic_counts()
    again = grow(2)
    assert (again.histories_added, again.current_filled) == ([], False)
    assert synthetic_counts() == counts
