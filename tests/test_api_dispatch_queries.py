"""Query budgets of the monthly-dispatch API: fixed, whatever the number of rows on the page or
the length of a filing's review record.

Each budget names its queries. A signed-in request through the test client costs two before the
view runs: the session row and the user row with its unit. A unit user's scope (its unit and the
offices inside it) is one more query, read once per request.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tasks.choices import ReviewAction
from tasks.models import Indicator, Task
from tasks.services import dispatch

CONTENT = dispatch.ReportInput(completed="完成联合审图。", next_plan="推行容缺受理。", progress=50)
# Tasks that 新区行政审批与政务服务局 leads and 沣东新城 supports.
TASKS = ["1.1", "1.3", "1.4", "6.3", "7.1", "7.2"]



def file_reports(*, lead_user, supporting_user, office, plan, months: int) -> None:
    """For each month and task: a submitted report with its review record, and a submitted
    contribution; for each task, a submitted annual plan."""
    tasks = list(Task.objects.filter(plan=plan, code__in=TASKS))
    for month in range(1, months + 1):
        period = dispatch.period_open(year=2021, month=month)
        for task in tasks:
            report = dispatch.report_save(user=lead_user, task=task, period=period, data=CONTENT)
            report = dispatch.filing_submit(user=lead_user, filing=report)
            dispatch.filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="请补充。")
            dispatch.filing_submit(user=lead_user, filing=report)
            contribution = dispatch.contribution_save(user=supporting_user, task=task, period=period, text="配合。")
            dispatch.filing_submit(user=supporting_user, filing=contribution)
    for task in tasks[:months]:
        annual = dispatch.annual_plan_save(user=lead_user, task=task, year=2021, content="方案。")
        dispatch.filing_submit(user=lead_user, filing=annual)


@pytest.fixture
def few(lead_user, supporting_user, office, plan):
    file_reports(lead_user=lead_user, supporting_user=supporting_user, office=office, plan=plan, months=1)


@pytest.fixture
def many(lead_user, supporting_user, office, plan):
    file_reports(lead_user=lead_user, supporting_user=supporting_user, office=office, plan=plan, months=6)


def rows(client, name: str, **params) -> int:
    response = client.get(reverse(f"api:{name}"), params)
    assert response.status_code == 200, response.content
    return len(response.json()["results"])


LISTS = [("report-list", 6, 36), ("contribution-list", 6, 36), ("annual-plan-list", 1, 6)]


@pytest.mark.parametrize(("name", "n_few", "n_many"), LISTS)
@pytest.mark.parametrize("size", ["few", "many"])
def test_filing_list_office(client, office, request, name, n_few, n_many, size, django_assert_num_queries):
    request.getfixturevalue(size)
    client.force_login(office)
    # session, user, scope, count, filings + task + unit (+ period) in one join
    with django_assert_num_queries(5):
        assert rows(client, name, page_size=100) == (n_few if size == "few" else n_many)


@pytest.mark.parametrize(("name", "n_few", "n_many"), LISTS)
@pytest.mark.parametrize("size", ["few", "many"])
def test_filing_list_unit_user(client, lead_user, request, name, n_few, n_many, size, django_assert_num_queries):
    request.getfixturevalue(size)
    client.force_login(lead_user)
    # session, user, scope (the offices inside the unit), count, filings + task + unit (+ period)
    with django_assert_num_queries(5):
        assert rows(client, name, page_size=100) == (n_few if size == "few" else n_many)


def test_report_list_filters_by_id_cost_one_lookup_each(client, office, many, plan, django_assert_num_queries):
    client.force_login(office)
    task = Task.objects.get(plan=plan, code="1.1")
    # session, user, scope, count, reports; status and lateness are plain conditions
    with django_assert_num_queries(5):
        assert rows(client, "report-list", status="submitted", is_late="true", page_size=100) == 36
    # session, user, scope, the period, the task (the filter checks it is visible), count, reports
    period = dispatch.period_open(year=2021, month=2)
    with django_assert_num_queries(7):
        assert rows(client, "report-list", task=task.pk, period=period.pk) == 1


def test_period_list(client, lead_user, many, django_assert_num_queries):
    client.force_login(lead_user)
    # session, user, count, periods
    with django_assert_num_queries(4):
        assert rows(client, "period-list") == 6


@pytest.fixture
def long_record(lead_user, office, plan):
    """A report on 7.2 with six 2020 indicators' actuals, returned and resubmitted `n` times."""

    def build(rounds: int):
        task = Task.objects.get(plan=plan, code="7.2")
        period = dispatch.period_open(year=2020, month=6)
        actuals = {i.pk: 90 for i in Indicator.objects.filter(task=task, year=2020)}
        report = dispatch.report_save(user=lead_user, task=task, period=period, data=CONTENT, actuals=actuals)
        for _ in range(rounds):
            report = dispatch.filing_submit(user=lead_user, filing=report)
            report = dispatch.filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="请补充。")
        return report

    return build


@pytest.mark.parametrize("rounds", [1, 8])
def test_report_detail(client, office, long_record, rounds, django_assert_num_queries):
    report = long_record(rounds)
    client.force_login(office)
    # session, user, scope, report + task + unit + period, actuals + indicators,
    # evidence + uploaders, review record + actors
    with django_assert_num_queries(7):
        response = client.get(reverse("api:report-detail", args=[report.pk]))
    assert len(response.json()["events"]) == 2 * rounds
    assert len(response.json()["actuals"]) == 6
