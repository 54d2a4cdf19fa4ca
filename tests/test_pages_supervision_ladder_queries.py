"""Query budgets of the ladder's list pages: the same number of queries with 3 rows and with 30.

Every signed-in page costs, besides its own: the session, the user with its unit (top bar) and
the unread notifications (top bar). Each budget below names the page's own queries.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from supervision.choices import Level
from supervision.models import Bulletin, Escalation
from supervision.services import (
    bulletin_compile,
    escalation_send,
    extension_decide,
    extension_request,
)
from supervision.services.ladder import item_for_annual_plan, item_for_finding, item_for_report
from tasks.models import Unit
from tests.test_pages_queries import TASK_DETAIL_QUERIES
from tests.test_pages_supervision_ladder import a_finding, january, ladder_plan, today  # noqa: F401  (fixture)

SIGNED_IN = 2  # session, user + unit
TOP_BAR = 1  # unread notifications

# findings owed and past due, the periods due in the look-back window (January here), for each
# such period: reports submitted and lead assignments + task; for each year whose annual plans
# fell due (2026): plans submitted and lead assignments + task; the calendar's overrides; the
# rows' units, tasks and findings + task (in_bulk, one each); the ladder steps already taken; the
# plans that have ended and the calendar of the last due date of each (the seed plan, 2022) —
# frozen plans are no longer chased
OVERDUE_BOARD_QUERIES = SIGNED_IN + 1 + 1 + 2 + 2 + 1 + 3 + 1 + 2 + TOP_BAR

# the filter's unit choices, the paginator's count, the page of steps + unit + finding + task +
# period + author (one join)
ESCALATION_LIST_QUERIES = SIGNED_IN + 1 + 1 + 1 + TOP_BAR

# pending requests + finding + unit + author, decided ones + finding + unit + author + decider
EXTENSION_LIST_QUERIES = SIGNED_IN + 1 + 1 + TOP_BAR

# the bulletin, its entries the user may see + unit + finding + task + period (one join)
BULLETIN_DETAIL_QUERIES = SIGNED_IN + 1 + 1 + TOP_BAR

# the task page as budgeted in test_pages_queries.py (no reports yet; the seed plan had ended by
# 2026, so its tasks' state is that of its final moment: the final due date's calendar, the
# plan's history, periods owed, lead units in force, their returns), whose timeline reads the
# ladder steps on the task in one query however many there are
TASK_PAGE_QUERIES = TASK_DETAIL_QUERIES

ROWS = pytest.mark.parametrize("rows", [3, 30])


def units(count: int) -> list[str]:
    """Units other than lead_user's (and the offices inside it)."""
    lead = "新区行政审批与政务服务局"
    return list(Unit.objects.assignable().exclude(name=lead).exclude(parent__name=lead).order_by("sort_order", "pk")
                .values_list("name", flat=True)[:count])


def overdue_items(office, inspector, rows: int) -> None:
    """rows/3 findings and rows/3 tasks (each owing January's report and 2026's annual plan),
    each unit's items urged once."""
    names = units(rows // 3)
    tasks = ladder_plan(names)
    period = january()
    for task, name in zip(tasks, names, strict=True):
        finding = a_finding(inspector, unit_name=name)
        unit_id = Unit.objects.get(name=name).pk
        for item in (item_for_finding(finding), item_for_report(task=task, unit_id=unit_id, period=period),
                     item_for_annual_plan(task=task, unit_id=unit_id, year=2026)):
            escalation_send(user=office, item=item, level=Level.URGE, message="请抓紧办理。")


@ROWS
def test_overdue_board_budget(client, today, office, inspector, rows, django_assert_num_queries):  # noqa: F811
    overdue_items(office, inspector, rows)
    client.force_login(office)
    with django_assert_num_queries(OVERDUE_BOARD_QUERIES):
        response = client.get(reverse("supervision:overdue-board"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == rows
    assert all(r.steps for r in response.context["rows"])


@ROWS
def test_escalation_list_budget(client, today, office, inspector, rows, django_assert_num_queries):  # noqa: F811
    overdue_items(office, inspector, rows)
    client.force_login(office)
    with django_assert_num_queries(ESCALATION_LIST_QUERIES):
        response = client.get(reverse("supervision:escalation-list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == rows


@ROWS
def test_extension_list_budget(client, today, office, inspector, rows, django_assert_num_queries):  # noqa: F811
    """Requests of ``rows`` units, every other one decided."""
    from tests.factories import UserFactory

    for n, name in enumerate(units(rows)):
        finding = a_finding(inspector, unit_name=name, found_on=dt.date(2026, 2, 10))
        staff = UserFactory.in_unit(name)
        extension = extension_request(user=staff, finding=finding, requested_due_date=dt.date(2026, 3, 10),
                                      reason="需协调。")
        if n % 2:
            extension_decide(user=office, extension=extension, grant=True)
    client.force_login(office)
    with django_assert_num_queries(EXTENSION_LIST_QUERIES):
        response = client.get(reverse("supervision:extension-list"))
    assert response.status_code == 200
    assert len(response.context["rows"]) + len(response.context["decided"]) == rows


@ROWS
@pytest.mark.parametrize("persona", ["office", "lead_user"], indirect=True)
def test_bulletin_detail_budget(client, today, office, inspector, persona, rows, django_assert_num_queries):  # noqa: F811
    names = units(rows - 1) + ["新区行政审批与政务服务局"]
    for name in names:
        a_finding(inspector, unit_name=name)
    bulletin = bulletin_compile(year=2026, month=1)
    assert bulletin.entries.count() == rows
    client.force_login(persona)
    with django_assert_num_queries(BULLETIN_DETAIL_QUERIES):
        response = client.get(reverse("supervision:bulletin-detail", args=[bulletin.pk]))
    assert response.status_code == 200
    shown = sum(len(group.entries) for group in response.context["units"])
    assert shown == (rows if persona == office else 1)
    assert Bulletin.objects.count() == 1


@ROWS
def test_task_page_budget_with_ladder_steps(client, today, office, task_1_1, rows, django_assert_num_queries):  # noqa: F811
    """The seed plan's task 1.1 with ``rows`` 催办 on its 2022 annual plan, lead 审批局 (sent in
    February 2022, while the plan ran: nothing of an ended plan is chased)."""
    unit_id = Unit.objects.get(name="新区行政审批与政务服务局").pk
    with time_machine.travel(dt.datetime(2022, 2, 10, 9, tzinfo=dt.UTC), tick=False):
        for _ in range(rows):
            escalation_send(user=office, item=item_for_annual_plan(task=task_1_1, unit_id=unit_id, year=2022),
                            level=Level.URGE, message="请提交年度工作方案。")
    client.force_login(office)
    with django_assert_num_queries(TASK_PAGE_QUERIES):
        response = client.get(reverse("task-detail", args=[task_1_1.pk]))
    assert response.status_code == 200
    assert sum(1 for e in response.context["timeline"] if e.what.startswith("催办")) == rows
    assert Escalation.objects.count() == rows
