"""Permission matrix of /api/v1/: every endpoint called by every persona and by an anonymous
client, with the status each must get (taiga-back style).

Anonymous requests answer 401 with ``WWW-Authenticate: Token``: DRF names the challenge after
the first authentication class, and settings list TokenAuthentication first.
"""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tasks.models import Indicator, Task, Unit
from tests.conftest import PERSONAS
from tests.matrix import signed_in

ANONYMOUS = 401
SEES_ALL = dict.fromkeys(PERSONAS, 200)
OUTSIDER_404 = {**SEES_ALL, "outsider": 404}

# endpoint → expected status per persona. Detail targets: see the `urls` fixture.
MATRIX: dict[str, dict[str, int]] = {
    "unit-list": SEES_ALL,
    "unit-detail": SEES_ALL,
    "plan-list": SEES_ALL,
    "plan-detail": SEES_ALL,
    "group-list": SEES_ALL,
    "group-detail": SEES_ALL,
    "task-list": SEES_ALL,
    "task-detail": OUTSIDER_404,  # 1.1: lead 审批局, supporting 沣东新城 via 「各新城」
    # 保障5: the outsider's (考核办) only task, outside the scope of 审批局 and 沣东新城.
    "task-detail-own": {**SEES_ALL, "lead_user": 404, "supporting_user": 404},
    "indicator-list": SEES_ALL,
    "indicator-detail": OUTSIDER_404,  # a task indicator of 2.2 (审批局 and 沣东 support it)
    "indicator-detail-plan-level": SEES_ALL,  # 工作目标 indicators are open to all
}
RESOURCES = ["unit", "plan", "group", "task", "indicator"]


@pytest.fixture
def anonymous():
    return None


@pytest.fixture
def urls(plan, task_1_1) -> dict[str, str]:
    def detail(basename: str, pk: int) -> str:
        return reverse(f"api:{basename}-detail", args=[pk])

    task_2_2 = Task.objects.get(plan=plan, code="2.2")
    return {
        **{f"{name}-list": reverse(f"api:{name}-list") for name in RESOURCES},
        "unit-detail": detail("unit", Unit.objects.get(name="新区行政审批与政务服务局").pk),
        "plan-detail": detail("plan", plan.pk),
        "group-detail": detail("group", task_1_1.group_id),
        "task-detail": detail("task", task_1_1.pk),
        "task-detail-own": detail("task", Task.objects.get(plan=plan, code="保障5").pk),
        "indicator-detail": detail("indicator", Indicator.objects.get(task=task_2_2, key="water-connection-days").pk),
        "indicator-detail-plan-level": detail(
            "indicator", Indicator.objects.get(plan=plan, key="goal-approval-government-2020").pk
        ),
    }




@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"], indirect=True)
@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_read_matrix(client, urls, endpoint, persona, request):
    name = request.node.callspec.params["persona"]
    expected = MATRIX[endpoint].get(name, ANONYMOUS)
    response = signed_in(client, persona).get(urls[endpoint])
    assert response.status_code == expected, (endpoint, name, response.content[:200])


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
@pytest.mark.parametrize("resource", RESOURCES)
def test_writes_are_not_allowed(client, urls, resource, persona):
    signed_in(client, persona)
    detail = urls[f"{resource}-detail"]
    statuses = [
        client.post(urls[f"{resource}-list"], {}, content_type="application/json").status_code,
        client.put(detail, {}, content_type="application/json").status_code,
        client.patch(detail, {}, content_type="application/json").status_code,
        client.delete(detail).status_code,
    ]
    # 405 even on an object outside the scope: the method is refused before any lookup.
    assert statuses == [405, 405, 405, 405]


@pytest.mark.parametrize("resource", RESOURCES)
def test_anonymous_writes_are_refused(client, urls, resource):
    assert client.post(urls[f"{resource}-list"], {}).status_code == ANONYMOUS
    assert client.delete(urls[f"{resource}-detail"]).status_code == ANONYMOUS


def test_anonymous_gets_the_token_challenge(client, urls):
    response = client.get(urls["task-list"])
    assert response.status_code == ANONYMOUS
    assert response.headers["WWW-Authenticate"] == "Token"


def codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


def test_outsider_list_holds_only_its_tasks(client, outsider):
    response = signed_in(client, outsider).get(reverse("api:task-list"))
    assert codes(response) == ["保障5"]


def test_supporting_user_sees_task_1_1(client, supporting_user, task_1_1):
    signed_in(client, supporting_user)
    assert "1.1" in codes(client.get(reverse("api:task-list"), {"page_size": 100}))
    detail = client.get(reverse("api:task-detail", args=[task_1_1.pk])).json()
    assert "沣东新城" in detail["supporting_units"]


def test_lead_user_sees_task_1_1_as_lead(client, lead_user, task_1_1):
    signed_in(client, lead_user)
    assert "1.1" in codes(client.get(reverse("api:task-list"), {"page_size": 100}))
    detail = client.get(reverse("api:task-detail", args=[task_1_1.pk])).json()
    assert "新区行政审批与政务服务局" in detail["lead_units"]


def test_outsider_list_of_indicators_leaves_out_other_units_tasks(client, outsider):
    rows = signed_in(client, outsider).get(reverse("api:indicator-list"), {"page_size": 100}).json()
    # 考核办's only task, 保障5, has no indicator: the plan-level targets alone remain.
    assert {row["task_code"] for row in rows["results"]} == {None}
    assert rows["count"] == Indicator.objects.filter(task__isnull=True).count() == 5


def test_unknown_and_malformed_ids_answer_404(client, office):
    signed_in(client, office)
    assert client.get(reverse("api:task-detail", args=[10**9])).status_code == 404
    assert client.get("/api/v1/tasks/abc/").status_code == 404
    assert client.get(f"/api/v1/tasks/{10**30}/").status_code == 404  # beyond bigint


class TestTokenAuthentication:
    def test_token_reads_within_the_users_scope(self, client, lead_user, outsider, task_1_1):
        url = reverse("api:task-detail", args=[task_1_1.pk])
        lead_token = Token.objects.create(user=lead_user)
        outsider_token = Token.objects.create(user=outsider)
        assert client.get(url, HTTP_AUTHORIZATION=f"Token {lead_token.key}").status_code == 200
        assert client.get(url, HTTP_AUTHORIZATION=f"Token {outsider_token.key}").status_code == 404

    def test_token_needs_no_csrf_and_still_cannot_write(self, lead_user):
        token = Token.objects.create(user=lead_user)
        strict = Client(enforce_csrf_checks=True)
        response = strict.post(reverse("api:task-list"), {}, HTTP_AUTHORIZATION=f"Token {token.key}")
        assert response.status_code == 405

    def test_wrong_token_is_refused(self, client, db):
        response = client.get(reverse("api:task-list"), HTTP_AUTHORIZATION="Token not-a-real-key")
        assert response.status_code == ANONYMOUS
