"""Query budgets of the office's review pages: fixed, whatever the number of filings, periods
or the length of a report's history.

Each budget names its queries. Every signed-in page costs, besides its own: the session, the
user with its unit (top bar), the offices inside the user's unit (``visible_to``), how many of
each kind of filing await review (the tabs, one query — not on the single review pages),
the years whose holidays are missing (calendar warning) and the unread notifications (top bar).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tasks.models import ProgressReport
from tasks.services.dispatch import (
    annual_plan_save,
    contribution_save,
    filing_review,
    filing_submit,
    period_open,
)
from tests.test_pages_review import LEAD_CODES, at, submit_report, task

# session, user + unit, offices inside the unit, paginator count, the tab counts (one UNION), calendar years,
# unread notifications, the filter's choices (periods; groups + plan; units), the page of
# filings + task + group + plan + unit + period (one join)
QUEUE_QUERIES = 11

# session, user + unit, offices inside the unit, the report + task + plan + group + unit +
# period + author, previous and next awaiting (2), review record + actors, the previous report
# + period, the task's indicators for the year, this report's actuals, the previous report's
# actuals, evidence, calendar years, unread notifications
REVIEW_QUERIES = 14

# session, user + unit, offices inside the unit, the filing + task + unit (+ period), previous
# and next awaiting (2), review record + actors, then the lead units' reports of the month (a
# contribution) or the evidence (an annual work plan), calendar years, unread notifications
OTHER_REVIEW_QUERIES = 10

# session, user + unit, periods with their counts (one aggregate query), offices inside the
# unit, the tab counts (one UNION), calendar years, unread notifications
PERIODS_QUERIES = 7



@pytest.fixture
def as_office(client, office):
    client.force_login(office)
    return client


def ok(response):
    assert response.status_code == 200, response.content[:300]
    return response


def reports_submitted(user, plan, *, months: int, per_month: int, first_month: int = 1) -> list[ProgressReport]:
    periods = [period_open(year=2022, month=m) for m in range(first_month, first_month + months)]
    with at(2022, 7, 1, 10):
        return [submit_report(user, task(plan, code), period) for period in periods for code in LEAD_CODES[:per_month]]


@pytest.mark.parametrize(("months", "per_month"), [(1, 1), (5, 12)])
@pytest.mark.parametrize("params", [{}, {"status": "all", "late": "late"}])
def test_queue_budget_does_not_grow_with_the_rows(as_office, lead_user, plan, django_assert_num_queries,
                                                  months, per_month, params):
    reports_submitted(lead_user, plan, months=months, per_month=per_month)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = ok(as_office.get(reverse("review-queue"), params))
    assert len(response.context["page"].object_list) == min(months * per_month, 50)


def test_queue_budget_with_a_chosen_period_and_group(as_office, lead_user, plan, task_1_1, django_assert_num_queries):
    reports = reports_submitted(lead_user, plan, months=2, per_month=3)
    # + the lookups that validate the chosen period and group
    with django_assert_num_queries(QUEUE_QUERIES + 2):
        response = ok(as_office.get(reverse("review-queue"),
                                    {"period": reports[0].period_id, "group": task_1_1.group_id}))
    assert len(response.context["page"].object_list) == 3  # 1.1, 1.3 and 1.4 are in group (一)


@pytest.mark.parametrize("kind", ["contribution", "annual"])
def test_queue_budget_of_the_other_tabs(as_office, supporting_user, lead_user, task_1_1, kind,
                                        django_assert_num_queries):
    period = period_open(year=2022, month=6)
    filing_submit(user=supporting_user, filing=contribution_save(user=supporting_user, task=task_1_1,
                                                                 period=period, text="配合。"))
    filing_submit(user=lead_user, filing=annual_plan_save(user=lead_user, task=task_1_1, year=2022, content="方案"))
    # The annual tab reads the years for its year filter instead of the periods.
    with django_assert_num_queries(QUEUE_QUERIES):
        response = ok(as_office.get(reverse("review-queue"), {"kind": kind}))
    assert len(response.context["page"].object_list) == 1


def test_an_empty_queue_reads_no_page(as_office, django_assert_num_queries):
    # The paginator finds nothing to count: no query for the page of filings.
    with django_assert_num_queries(QUEUE_QUERIES - 1):
        ok(as_office.get(reverse("review-queue")))


def test_review_page_budget_does_not_grow_with_the_history(as_office, office, lead_user, task_1_1,
                                                           django_assert_num_queries):
    periods = [period_open(year=2022, month=m) for m in range(1, 7)]
    with at(2022, 7, 1, 10):
        reports = [submit_report(lead_user, task_1_1, period, progress=10 * n) for n, period in enumerate(periods)]
    short = reports[1]
    with django_assert_num_queries(REVIEW_QUERIES):
        ok(as_office.get(reverse("report-review", args=[short.pk])))

    # Returned and resubmitted twice, five earlier reports: the same count.
    latest = reports[-1]
    for _ in range(2):
        filing_review(user=office, filing=latest, action="return", comment="请补充。")
        with at(2022, 7, 2, 10):
            latest = filing_submit(user=lead_user, filing=latest)
    with django_assert_num_queries(REVIEW_QUERIES):
        response = ok(as_office.get(reverse("report-review", args=[latest.pk])))
    assert len(response.context["events"]) == 5


def test_periods_budget_does_not_grow_with_the_periods(as_office, lead_user, plan, django_assert_num_queries):
    reports_submitted(lead_user, plan, months=1, per_month=2)
    with django_assert_num_queries(PERIODS_QUERIES):
        ok(as_office.get(reverse("period-list")))
    reports_submitted(lead_user, plan, months=5, per_month=3, first_month=2)
    with django_assert_num_queries(PERIODS_QUERIES):
        response = ok(as_office.get(reverse("period-list")))
    assert len(response.context["periods"]) == 6


def test_contribution_and_annual_plan_review_budgets(as_office, supporting_user, lead_user, task_1_1,
                                                      django_assert_num_queries):
    period = period_open(year=2022, month=6)
    with at(2022, 7, 1, 10):
        submit_report(lead_user, task_1_1, period)
    contribution = filing_submit(user=supporting_user, filing=contribution_save(
        user=supporting_user, task=task_1_1, period=period, text="配合。"))
    plan = filing_submit(user=lead_user, filing=annual_plan_save(user=lead_user, task=task_1_1, year=2022,
                                                                 content="方案"))
    with django_assert_num_queries(OTHER_REVIEW_QUERIES):
        response = ok(as_office.get(reverse("contribution-review", args=[contribution.pk])))
    assert len(response.context["lead_reports"]) == 1
    with django_assert_num_queries(OTHER_REVIEW_QUERIES):
        ok(as_office.get(reverse("annual-plan-review", args=[plan.pk])))
