"""The demo history: built through the real services on a few months of the seed plan.

A full 36-month build takes about half a minute; these tests build four months (and three
months seen from inside the plan), which exercises every kind of step: reports, late ones,
returns and resubmissions, approvals, contributions, annual work plans and closing the months.
Today's month inside a plan in force is tested on the demo plan (tests/test_demo_present.py).
"""

import datetime
from collections import defaultdict

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from tasks.choices import AssignmentRole, Comparator, FilingStatus, PeriodStatus, Role
from tasks.demo import DEMO_ACCOUNTS, DEMO_CONTRIBUTORS, DEMO_REVIEWER, demo_accounts_create
from tasks.demo_history import _History, demo_history_build
from tasks.models import (
    ActionPlan,
    AnnualWorkPlan,
    Contribution,
    Evidence,
    IndicatorActual,
    Notification,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    User,
)

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
MONTHS = [(2020, 1), (2020, 2), (2020, 3), (2020, 4)]
TODAY = datetime.datetime(2026, 11, 29, 11, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def accounts(plan, settings):
    settings.PASSWORD_HASHERS = FAST_HASHER
    demo_accounts_create()
    return {u.username: u for u in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS])}


@pytest.fixture(scope="class")
def built(django_db_setup, django_db_blocker, tmp_path_factory):
    """One four-month build shared by a class of tests, rolled back after them."""
    media = tmp_path_factory.mktemp("media")
    with (django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=FAST_HASHER),
          transaction.atomic()):
        plan = ActionPlan.objects.first()  # the seed plan, loaded with the test database
        demo_accounts_create()
        accounts = {u.username: u for u in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS])}
        yield plan, accounts, demo_history_build(plan=plan, months=MONTHS, now=TODAY)
        transaction.set_rollback(True)


def lead_lanes(plan, accounts) -> set[tuple[int, str]]:
    """(task, account) for every task the demo unit accounts' units lead."""
    staff = [u for u in accounts.values() if u.role == Role.UNIT_STAFF]
    return {(t.pk, u.username) for u in staff
            for t in Task.objects.filter(plan=plan).for_unit(u.unit_id, role=AssignmentRole.LEAD)}


def in_range(queryset):
    return queryset.filter(period__year=2020, period__month__lte=4)


class TestFourMonthsSeenToday:
    """2020-01…2020-04 built as of 2026-11-29: the months are done; the plan has ended, so
    nothing is owed on it today."""

    def test_every_lead_account_reports_every_month(self, built):
        plan, accounts, history = built
        lanes = lead_lanes(plan, accounts)
        for year, month in MONTHS:
            reports = ProgressReport.objects.filter(period__year=year, period__month=month).select_related("created_by")
            assert {(r.task_id, r.created_by.username) for r in reports} == lanes
            assert all(r.unit_id in r.created_by.scope_unit_ids() for r in reports)
        assert all(r.status == FilingStatus.APPROVED for r in in_range(ProgressReport.objects.all()))
        statuses = set(ReportingPeriod.objects.filter(year=2020, month__lte=4).values_list("status", flat=True))
        assert statuses == {PeriodStatus.CLOSED}
        assert history.reports == len(lanes) * len(MONTHS)

    def test_some_late_and_some_returned_then_approved(self, built):
        history = built[2]
        reports = list(in_range(ProgressReport.objects.all()).select_related("period", "created_by")
                       .prefetch_related("events__actor"))
        late = [r for r in reports if r.is_late]
        assert 0.03 < len(late) / len(reports) < 0.2 and history.late >= len(late)
        for report in reports:
            events = list(report.events.all())
            assert (timezone.localdate(events[0].at) > report.period.due_date) == report.is_late
            unit, office = report.created_by.username, DEMO_REVIEWER
            if len(events) == 4:
                assert [e.action for e in events] == ["submit", "return", "submit", "approve"]
                assert [e.actor.username for e in events] == [unit, office, unit, office]
                assert events[1].comment
            else:
                assert [(e.action, e.actor.username) for e in events] == [("submit", unit), ("approve", office)]
            times = [e.at for e in events]
            assert times == sorted(times) and len(set(times)) == len(times)
            assert report.submitted_at == times[-2]  # the last submission
        returned = [r for r in reports if len(r.events.all()) == 4]
        assert 0.02 < len(returned) / len(reports) < 0.2

    def test_history_rows_and_timestamps_are_those_of_the_steps(self, built):
        report = (in_range(ProgressReport.objects.filter(events__action="return"))
                  .select_related("created_by").order_by("pk").first())
        unit, office = report.created_by.username, DEMO_REVIEWER
        rows = list(report.history.select_related("history_user").order_by("history_date", "history_id"))
        changes = [(r.status, r.history_user.username) for before, r in zip(rows, rows[1:], strict=False)
                   if r.status != before.status]
        assert changes == [("submitted", unit), ("returned", office), ("submitted", unit), ("approved", office)]
        # Fixing the returned report is the unit's change between the return and the resubmission.
        fixed = [r for r in rows if r.status == "returned" and r.history_user.username == unit]
        assert len(fixed) == 1 and fixed[0].completed + fixed[0].problems + fixed[0].next_plan != (
            rows[0].completed + rows[0].problems + rows[0].next_plan)
        event_times = set(report.events.values_list("at", flat=True))
        assert {r.history_date for r in rows if r.status != "draft" and r not in fixed} == event_times
        assert report.created_at == rows[0].history_date and report.updated_at == rows[-1].history_date
        assert datetime.datetime(2020, 1, 20, tzinfo=SHANGHAI) < report.created_at
        assert report.updated_at < datetime.datetime(2020, 6, 1, tzinfo=SHANGHAI)

    def test_progress_rises_and_actuals_move_toward_their_targets(self, built):
        progress = defaultdict(list)
        for task_id, unit_id, value in (in_range(ProgressReport.objects.all())
                                        .order_by("period__year", "period__month")
                                        .values_list("task_id", "unit_id", "progress")):
            progress[task_id, unit_id].append(value)
        assert all(series == sorted(series) and 0 <= series[0] <= 10 for series in progress.values())
        assert max(series[-1] for series in progress.values()) > 5

        actuals = defaultdict(list)
        rows = (IndicatorActual.objects.filter(report__period__year=2020, report__period__month__lte=4)
                .select_related("indicator", "report").order_by("report__period__month"))
        for actual in rows:
            actuals[actual.indicator, actual.report.unit_id].append(actual.value)
        assert actuals
        moved = 0
        for (indicator, _), values in actuals.items():
            assert len(values) == len(MONTHS)
            distance = [abs(v - _aim(indicator)) for v in values]
            assert distance == sorted(distance, reverse=True)
            if indicator.comparator == Comparator.LE:
                assert values == sorted(values, reverse=True) and values[0] > indicator.target_value
            else:
                assert values == sorted(values)
            moved += values[0] != values[-1]
        assert moved > len(actuals) / 2

    def test_contributions_and_annual_plans(self, built):
        plan, accounts, history = built
        contributions = in_range(Contribution.objects.all()).select_related("created_by", "task")
        assert {c.created_by.username for c in contributions} == set(DEMO_CONTRIBUTORS)
        assert all(c.status == FilingStatus.APPROVED and c.text for c in contributions)
        assert all(c.task.assignments.filter(unit=c.unit_id, role=AssignmentRole.SUPPORTING).exists()
                   for c in contributions)
        plans = AnnualWorkPlan.objects.filter(year=2020).select_related("created_by")
        assert {(p.task_id, p.created_by.username) for p in plans} == lead_lanes(plan, accounts)
        assert all(p.status == FilingStatus.APPROVED and "2020年度工作方案" in p.content for p in plans)
        assert all(p.submitted_at.year == 2020 for p in plans)
        assert Evidence.objects.filter(annual_plan__in=plans).count() == plans.count()
        assert history.annual_plans == plans.count() and history.contributions == Contribution.objects.count()

    def test_after_the_plan_nothing_is_owed_today(self, built):
        plan, history = built[0], built[2]
        assert plan.status == "ended"
        # Today's month is not opened for it: the plan owes no month after its end.
        assert not ReportingPeriod.objects.filter(year=2026).exists()
        assert not ProgressReport.objects.exclude(status=FilingStatus.APPROVED).exists()
        assert (history.open_drafts, history.open_submitted, history.open_returned) == (0, 0, 0)
        assert not ReviewEvent.objects.filter(at__gt=TODAY).exists()
        # Every month's messages were read by the time it was closed.
        assert not Notification.objects.filter(read_at__isnull=True).exists()

    def test_running_twice_adds_nothing(self, built):
        plan = built[0]
        models = (ProgressReport, Contribution, AnnualWorkPlan, ReviewEvent, Notification, ReportingPeriod)
        counts = [m.objects.count() for m in models] + [ProgressReport.history.count()]
        assert demo_history_build(plan=plan, months=MONTHS, now=TODAY) is None
        assert [m.objects.count() for m in models] + [ProgressReport.history.count()] == counts


def _aim(indicator):
    if indicator.comparator == Comparator.RANGE:
        return (indicator.target_value + indicator.target_max) / 2
    return indicator.target_value


def test_inside_the_plan_what_comes_after_now_does_not_happen(plan, accounts):
    now = datetime.datetime(2020, 4, 3, 12, 0, tzinfo=SHANGHAI)
    demo_history_build(plan=plan, months=MONTHS[:3], now=now, evidence=False)
    assert not ReviewEvent.objects.filter(at__gt=now).exists()
    assert not ProgressReport.history.filter(history_date__gt=now).exists()
    assert ReportingPeriod.objects.get(year=2020, month=2).status == PeriodStatus.CLOSED
    assert ReportingPeriod.objects.get(year=2020, month=3).status == PeriodStatus.OPEN
    march = ProgressReport.objects.filter(period__year=2020, period__month=3)
    assert march.exclude(status=FilingStatus.APPROVED).exists() and not march.filter(is_late=True).exists()
    assert march.count() < len(lead_lanes(plan, accounts))
    assert not ReportingPeriod.objects.filter(year=2026).exists()


def test_a_month_comes_out_the_same_whichever_range_is_built(plan, accounts):
    def january(months, seed="s"):
        history = _History(plan=plan, months=months, now=TODAY, seed=seed, evidence=False)
        history.schedule()
        steps = sorted((s.at, s.label) for s in history.steps if s.label.startswith(("2020年1月", "2020年 ")))
        return history, steps

    short, short_steps = january(MONTHS[:1])
    full, full_steps = january([(y, m) for y in plan.years for m in range(1, 13)])
    assert short_steps == full_steps and len(short_steps) > 3 * len(short.lead_lanes)
    for a, b in zip(short.lead_lanes, full.lead_lanes, strict=True):
        assert a.progress == b.progress
        assert vars(short.writer.report(a, (2020, 1), returned=True).fixed) == vars(
            full.writer.report(b, (2020, 1), returned=True).fixed)
    assert january(MONTHS[:1], seed="t")[1] != short_steps
