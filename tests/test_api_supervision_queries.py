"""Query budgets of the supervision API: the same count for 3 rows and for 30, and for a finding
with a short or a long record.

Each budget names its queries. A signed-in request through the test client costs two before the
view runs: the session row and the user row with its unit. A unit user's scope (its unit and the
offices inside it) is a subquery of the row query, not a query of its own.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supervision import services
from supervision.choices import Level
from supervision.models import Bulletin, Escalation
from supervision.services.ladder import item_for_finding
from tasks.models import Unit
from tests.test_api_supervision_permissions import (
    OTHER_UNIT,
    frozen,
    make_finding,
    make_round,
    rectify,
)


def build(n: int, *, office, inspector, lead_user) -> list:
    """``n`` findings against 审批局 in two rounds and one against 沣东新城, logged on Monday 4
    August 2025 and due a week later, each of the unit's with an extension request made in time
    (still pending), urged by hand (催办, answered), rectified and — but the first — submitted; August's
    通报 lists them all (overdue at the month's end)."""
    with frozen(2025, 8, 4, 10):
        rounds = [make_round(inspector, team=[inspector]), make_round(inspector, title="2025年第三季度明察暗访")]
        findings = [make_finding(inspector, rounds[i % 2], working_days=5) for i in range(n)]
        make_finding(inspector, rounds[0], unit=OTHER_UNIT, working_days=5)
        for finding in findings:
            services.extension_request(user=lead_user, finding=finding, reason="涉及多部门协调。",
                                       requested_due_date=dt.date(2025, 12, 31))
    for i, finding in enumerate(findings):
        # Urged while still owed (a finding handed in is not chased), answered, then handed in.
        urge = services.escalation_send(user=office, item=item_for_finding(finding), level=Level.URGE, message="请加快。")
        services.escalation_reply(user=lead_user, escalation=urge, text="已整改。")
        rectify(lead_user, finding)
        if i:
            services.finding_submit(user=lead_user, finding=finding)
    services.bulletin_compile(year=2025, month=8, user=office)
    return findings


@pytest.fixture
def clock():
    with frozen(2025, 9, 15, 10):
        yield


def rows(client, name: str, **params) -> int:
    response = client.get(reverse(f"supervision-api:{name}"), {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return len(response.json()["results"])


# list: (rows for 3, rows for 30, queries naming what they are)
OFFICE_LISTS = {
    "finding-list": (4, 31, ["session", "user", "count", "findings + round + unit + task", "calendar overrides"]),
    "round-list": (2, 2, ["session", "user", "count", "rounds with their finding counts"]),
    "rectification-list": (3, 30, ["session", "user", "count", "rectifications + finding + unit + author"]),
    "extension-list": (3, 30, ["session", "user", "count", "requests + finding + unit + requester + decider"]),
    "escalation-list": (3 + 4, 30 + 31, ["session", "user", "count", "steps + unit + finding + task + period + users"]),
    "bulletin-list": (1, 1, ["session", "user", "count", "通报 + compiler, counting the entries the user sees"]),
}
# A unit user's scope is a subquery of the rows' query: the same queries as the office's.
UNIT_LISTS = {"finding-list": (3, 30), "round-list": (2, 2), "escalation-list": (6, 60), "rectification-list": (3, 30),
              "extension-list": (3, 30), "bulletin-list": (1, 1)}


@pytest.mark.parametrize("n", [3, 30])
def test_list_budgets(client, clock, office, inspector, lead_user, n, django_assert_num_queries):
    build(n, office=office, inspector=inspector, lead_user=lead_user)
    few = n == 3
    client.force_login(office)
    for name, (n_few, n_many, queries) in OFFICE_LISTS.items():
        with django_assert_num_queries(len(queries), info=f"{name}: {', '.join(queries)}"):
            assert rows(client, name) == (n_few if few else n_many), name

    unit = Unit.objects.get(name="新区行政审批与政务服务局")
    # session, user, the unit named in the filter, count, findings (none pending: no overrides)
    with django_assert_num_queries(5):
        assert rows(client, "finding-list", unit=unit.pk, status="submitted") == n - 1

    bulletin = Bulletin.objects.get(year=2025, month=8)
    # session, user, 通报 + compiler + counts, entries + unit + finding + task + period
    with django_assert_num_queries(4):
        response = client.get(reverse("supervision-api:bulletin-detail", args=[bulletin.pk]))
    assert len(response.json()["entries"]) == n + 1

    client.force_login(lead_user)
    for name, (n_few, n_many) in UNIT_LISTS.items():
        queries = OFFICE_LISTS[name][2]
        with django_assert_num_queries(len(queries), info=f"{name} (unit user): {', '.join(queries)}"):
            assert rows(client, name) == (n_few if few else n_many), name


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("rejections", [1, 8])
def test_finding_detail(client, media, lead_user, inspector, clock, rejections, django_assert_num_queries):
    round_ = make_round(inspector)
    finding = make_finding(inspector, round_)
    for n in range(rejections):
        evidence = SimpleUploadedFile(f"整改佐证{n}.pdf", PDF + str(n).encode(), content_type="application/pdf")
        services.finding_rectification_save(user=lead_user, finding=finding, measures="组织培训。",
                                            result="已整改。", files=[evidence])
        services.finding_submit(user=lead_user, finding=finding)
        services.finding_verify(user=inspector, finding=finding, close=False, comment="佐证不足。")
    services.extension_request(user=lead_user, finding=finding, reason="协调中。", requested_due_date=dt.date(2025, 12, 31))
    client.force_login(lead_user)
    # session, user, finding + round + unit + task + created_by + rectification + its author,
    # evidence + uploaders, events + actors, extensions + users, calendar overrides
    with django_assert_num_queries(7):
        response = client.get(reverse("supervision-api:finding-detail", args=[finding.pk]))
    # 登记, 开始整改, then 提交核验 and 退回整改 each time
    assert len(response.json()["events"]) == 2 + 2 * rejections
    assert len(response.json()["evidence"]) == rejections
    assert response.json()["evidence"][0]["download_url"].endswith(f"/supervision/findings/evidence/{finding.evidence.first().pk}/")


def test_round_and_escalation_details(client, clock, office, inspector, lead_user, django_assert_num_queries):
    findings = build(3, office=office, inspector=inspector, lead_user=lead_user)
    client.force_login(office)
    # session, user, round + counts + creator, team, units, tasks
    with django_assert_num_queries(6):
        assert client.get(reverse("supervision-api:round-detail", args=[findings[0].round_id])).status_code == 200
    urge = Escalation.objects.filter(level=Level.URGE).first()
    # session, user, step + unit + finding + task + period + users, recipients
    with django_assert_num_queries(4):
        assert client.get(reverse("supervision-api:escalation-detail", args=[urge.pk])).status_code == 200
