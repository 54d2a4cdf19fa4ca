"""Query budgets of the inspection pages: the same number of queries with 3 and with 30 findings
(spread over units, tasks and statuses), and on a finding's page however long its timeline.

Every signed-in page costs, besides its own: the session, the user with its unit (one join) and
the unread notifications (top bar).
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from supervision.models import Finding, InspectionRound
from supervision.services import inspections as services
from supervision.services.ladder import escalation_send, item_for_finding
from tasks.models import Task, Unit
from tests.test_pages_supervision_inspections import (  # noqa: F401  (fixtures)
    bureau,
    make_finding,
    make_round,
    media,
    monday,
    pdf_upload,
    rectify_and_submit,
    round_q2,
    signed_user,
)

# session, user + unit, the paginator's count, the page of findings + round + unit + task (one
# join), the calendar overrides between today and the last due date (lights), unread notifications
UNIT_LIST_QUERIES = 6

# as for a unit, + the filter's choices: units, then rounds with their counts
OFFICE_LIST_QUERIES = 8

# session, user + unit, the round, its team, units and tasks (3 prefetches), the findings +
# unit + task (one join), the calendar overrides (lights), unread notifications, and for the
# quick log form: the tasks in force (scope first), the units
ROUND_DETAIL_QUERIES = 11

# session, user + unit, the submitted findings + round + unit + task + rectification (one join),
# unread notifications
QUEUE_QUERIES = 4

# session, user + unit, the finding + round + unit + task + author, the calendar overrides up to
# its due date (light), its rectification + author, its files + uploaders, its extension
# requests + people (also the timeline's), timeline: events + actors, ladder steps + unit +
# people; the latest 退回整改 + its inspector (the finding is being revised); unread
# notifications
DETAIL_QUERIES = 11
# + the offices inside the unit (whether the user is of the responsible unit)
UNIT_DETAIL_QUERIES = DETAIL_QUERIES + 1

SIZES = [3, 30]


def units(count: int) -> list[Unit]:
    """审批局 first, then other units that hold tasks, in directory order."""
    approval = Unit.objects.get(name="新区行政审批与政务服务局")
    others = list(Unit.objects.assignable().exclude(pk=approval.pk).filter(assignments__isnull=False)
                  .distinct().order_by("sort_order")[: count - 1])
    return [approval, *others]


def findings_spread(inspector, round_, size: int) -> list[Finding]:
    """``size`` findings on as many tasks: every other one against 审批局, the rest spread over
    other units; the first closed, the second submitted, every fourth from the third overdue."""
    tasks = list(Task.objects.filter(is_active=True).order_by("sort_order")[:size])
    spread = units(max(2, size // 3))
    made = []
    for n in range(size):
        unit = spread[0] if n % 2 == 0 else spread[1 + n % (len(spread) - 1)]
        overdue = {"days": 2, "found_on": datetime.date(2022, 5, 23)} if n % 4 == 2 else {}
        made.append(make_finding(inspector, round_, unit, task=tasks[n], description=f"问题{n}", **overdue))
    rectify_and_submit(signed_user(made[0].unit), made[0])
    services.finding_verify(user=inspector, finding=made[0], close=True)
    rectify_and_submit(signed_user(made[1].unit), made[1])
    return made


def ok(response):
    assert response.status_code == 200, response.content[:300]
    return response


@pytest.mark.parametrize("size", SIZES)
def test_unit_findings_list(client, inspector, lead_user, round_q2, size, django_assert_num_queries):  # noqa: F811
    findings_spread(inspector, round_q2, size)
    client.force_login(lead_user)
    with django_assert_num_queries(UNIT_LIST_QUERIES):
        response = ok(client.get(reverse("supervision:finding-list")))
    assert len(response.context["page"].object_list) == (size + 1) // 2  # every other one


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("query", [{}, {"status": "open", "overdue": "1", "severity": "serious"}])
def test_office_findings_list(client, office, inspector, round_q2, size, query, django_assert_num_queries):  # noqa: F811
    findings_spread(inspector, round_q2, size)
    make_round(inspector, title="另一轮督查")
    client.force_login(office)
    with django_assert_num_queries(OFFICE_LIST_QUERIES):
        response = ok(client.get(reverse("supervision:finding-list"), query))
    assert response.context["page"].object_list
    if not query:
        assert len(response.context["page"].object_list) == size


@pytest.mark.parametrize("size", SIZES)
def test_round_detail(client, inspector, size, django_assert_num_queries):
    tasks = list(Task.objects.filter(is_active=True).order_by("sort_order")[:size])
    round_ = make_round(inspector, tasks=tasks, units=units(size // 3 + 1))
    findings_spread(inspector, round_, size)
    client.force_login(inspector)
    with django_assert_num_queries(ROUND_DETAIL_QUERIES):
        response = ok(client.get(reverse("supervision:round-detail", args=[round_.pk])))
    assert len(response.context["findings"]) == size and response.context["form"] is not None


@pytest.mark.parametrize("size", SIZES)
def test_verification_queue(client, inspector, round_q2, size, django_assert_num_queries):  # noqa: F811
    findings = findings_spread(inspector, round_q2, size)
    for finding in findings[2:]:
        rectify_and_submit(signed_user(finding.unit), finding)
    client.force_login(inspector)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = ok(client.get(reverse("supervision:verification-queue")))
    assert len(response.context["findings"]) == size - 1  # all but the closed one


@pytest.fixture
def long_history(inspector, lead_user, office, round_q2, bureau):  # noqa: F811
    """A finding's page with ``size`` rounds of 整改 → 退回 (three events each), files, extension
    requests refused, and 催办 by the office."""
    def build(size: int) -> Finding:
        finding = make_finding(inspector, round_q2, bureau, files=[pdf_upload("取证.pdf")], days=60)
        for n in range(size // 3):
            services.finding_rectification_save(user=lead_user, finding=finding, measures="措施", result="结果",
                                                files=[pdf_upload(f"佐证{n}.pdf")])
            services.finding_submit(user=lead_user, finding=finding)
            services.finding_verify(user=inspector, finding=finding, close=False, comment=f"第{n}次退回")
            extension = services.extension_request(user=lead_user, finding=finding, reason="需协调",
                                                   requested_due_date=datetime.date(2022, 12, 30))
            services.extension_decide(user=office, extension=extension, grant=False, comment="不同意")
            escalation_send(user=office, item=item_for_finding(Finding.objects.get(pk=finding.pk)),
                            level="urge", message=f"请加快整改（{n}）")
        return Finding.objects.get(pk=finding.pk)
    return build


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("who", ["inspector", "lead_user"])
def test_finding_detail(client, long_history, size, who, request, django_assert_num_queries):
    finding = long_history(size)
    client.force_login(request.getfixturevalue(who))
    budget = UNIT_DETAIL_QUERIES if who == "lead_user" else DETAIL_QUERIES
    with django_assert_num_queries(budget):
        response = ok(client.get(reverse("supervision:finding-detail", args=[finding.pk])))
    assert len(response.context["timeline"]) >= 1 + 5 * (size // 3)
    assert len(response.context["rectification_evidence"]) == size // 3
    assert response.context["rejection"].comment == f"第{size // 3 - 1}次退回"  # shown on top


def test_round_list(client, office, inspector, django_assert_num_queries):
    for quarter in (1, 2, 3):
        InspectionRound.objects.create(year=2022, quarter=quarter, title=f"{quarter}季度督查")
    client.force_login(office)
    # session, user + unit, the paginator's count, the rounds with their finding counts, unread
    with django_assert_num_queries(5):
        ok(client.get(reverse("supervision:round-list")))
