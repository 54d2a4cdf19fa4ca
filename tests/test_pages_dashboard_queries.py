"""Query budgets of the dashboard pages: the same number of queries with one report and one
finding as with many, for the office and for a unit, and never more than ten.

Every signed-in page costs, besides its own: the session, the user with its unit (top bar) and
the unread notifications (top bar). Every dashboard then reads the plan (the current one, or the
one asked for) and the month's summary record (``StandingMonth``; stored already, so nothing is
computed). Each budget below names the page's own queries — reads of one month of the summary,
never of the history, so they do not grow with the reports.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from reports.services.standings import standings_month_store
from tests.dashboard_data import history, lead_tasks
from tests.supervision_data import make_finding, make_round

SIGNED_IN = 2  # session, user + unit
TOP_BAR = 1  # unread notifications
FRAME = 2  # the plan, the month's summary record

BUDGETS = {
    # the month's standings + task + group + unit (one join), the monthly averages for the line
    "dashboard-overview": 2,
    # the month's standings + task + group + unit
    "dashboard-groups": 1,
    # the group (404 when not the plan's), the month's standings + task + group + unit
    "dashboard-group": 2,
    # the month's standings, findings as they stood then, the calendar entries for their working
    # days, the escalations up to then by unit and level
    "dashboard-units": 4,
    # the plan's targets, its indicators + task, the month's actuals + period, the trend
    "dashboard-indicators": 4,
    # the month's standings, findings as they stood then, the calendar entries
    "dashboard-risks": 3,
}
ROWS = pytest.mark.parametrize("rows", [1, 12])


def world(plan, lead_user, inspector, rows: int) -> None:
    """``rows`` tasks reported in October and November 2020, ``rows`` findings in December."""
    history(plan, lead_user, lead_tasks(plan, rows))
    round_ = make_round(inspector, year=2020, quarter=4, team=[inspector])
    for n in range(rows):
        make_finding(inspector, round_, found_on=dt.date(2020, 12, 1), working_days=5 + n)
    standings_month_store(plan=plan, year=2020, month=12)


@ROWS
@pytest.mark.parametrize("page", list(BUDGETS))
@pytest.mark.parametrize("persona", ["office", "lead_user"], indirect=True)
def test_page_budget(client, plan, lead_user, inspector, persona, page, rows, django_assert_num_queries):
    world(plan, lead_user, inspector, rows)
    args = [lead_tasks(plan, 1)[0].group_id] if page == "dashboard-group" else []
    expected = SIGNED_IN + FRAME + BUDGETS[page] + TOP_BAR
    assert expected <= 10
    client.force_login(persona)
    with django_assert_num_queries(expected):
        response = client.get(reverse(page, args=args), {"plan": plan.pk, "month": "2020-12"})
    assert response.status_code == 200
    if page == "dashboard-risks":
        findings = [row for row in response.context["red"] + response.context["yellow"] if row.kind == "督查问题"]
        assert len(findings) == rows
