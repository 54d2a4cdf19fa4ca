"""Permission matrix of the pages: every page called by every persona and by an anonymous
client, with the status each must get (taiga-back style), then what each persona sees of
task 1.1 「加快项目建设前期手续办理」 (lead 新区行政审批与政务服务局, supporting 沣东新城 via 「各新城」).
"""

from urllib.parse import quote

import pytest
from django.urls import reverse

from tasks.models import Task, Unit
from tests.conftest import PERSONAS
from tests.matrix import signed_in

SEES_ALL = dict.fromkeys(PERSONAS, 200)
OUTSIDER_404 = {**SEES_ALL, "outsider": 404}

# page → expected status per persona; anonymous clients are always sent to the login page.
MATRIX: dict[str, dict[str, int]] = {
    "home": SEES_ALL,
    "plan-list": SEES_ALL,
    "plan-detail": SEES_ALL,
    "task-list": SEES_ALL,
    "task-detail": OUTSIDER_404,  # 1.1
    # 保障5: the outsider's (考核办) only task, outside the scope of 审批局 and 沣东新城.
    "task-detail-own": {**SEES_ALL, "lead_user": 404, "supporting_user": 404},
    "unit-list": SEES_ALL,
    "unit-detail": SEES_ALL,  # the directory is open; the tasks on the page are filtered
}


@pytest.fixture
def anonymous():
    return None


@pytest.fixture
def urls(plan, task_1_1) -> dict[str, str]:
    return {
        "home": reverse("home"),
        "plan-list": reverse("plan-list"),
        "plan-detail": reverse("plan-detail", args=[plan.pk]),
        "task-list": reverse("task-list"),
        "task-detail": reverse("task-detail", args=[task_1_1.pk]),
        "task-detail-own": reverse("task-detail", args=[Task.objects.get(plan=plan, code="保障5").pk]),
        "unit-list": reverse("unit-list"),
        "unit-detail": reverse("unit-detail", args=[Unit.objects.get(name="新区行政审批与政务服务局").pk]),
    }




@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"], indirect=True)
@pytest.mark.parametrize("page", list(MATRIX))
def test_page_matrix(client, urls, page, persona, request):
    name = request.node.callspec.params["persona"]
    response = signed_in(client, persona).get(urls[page])
    if persona is None:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={quote(urls[page])}"
    else:
        assert response.status_code == MATRIX[page][name], (page, name)


@pytest.mark.parametrize("name", ["plan-detail", "task-detail", "unit-detail"])
def test_missing_objects_are_404(client, office, name):
    client.force_login(office)
    assert client.get(reverse(name, args=[987654])).status_code == 404


def codes(tasks) -> list[str]:
    return [task.code for task in tasks]


def test_outsider_does_not_see_1_1(client, outsider, plan, task_1_1):
    client.force_login(outsider)

    refused = client.get(reverse("task-detail", args=[task_1_1.pk]))
    assert refused.status_code == 404
    assert "页面不存在或无权查看" in refused.content.decode()  # templates/404.html, in Chinese
    assert task_1_1.title not in refused.content.decode()

    listed = client.get(reverse("task-list"))
    assert codes(listed.context["page"].object_list) == ["保障5"]
    assert task_1_1.title not in listed.content.decode()

    browsed = client.get(reverse("plan-detail", args=[plan.pk]))
    assert [codes(tasks) for _, tasks in browsed.context["tree"]] == [["保障5"]]
    assert task_1_1.title not in browsed.content.decode()

    unit = Unit.objects.get(name="新区行政审批与政务服务局")
    unit_page = client.get(reverse("unit-detail", args=[unit.pk]))
    assert "1.1" not in codes(unit_page.context["by_role"]["lead"])


def test_supporting_user_sees_1_1_among_its_supporting_tasks(client, supporting_user):
    client.force_login(supporting_user)
    mine = client.get(reverse("home")).context["mine"]
    assert "1.1" in codes(mine["supporting"])
    assert "1.1" not in codes(mine["lead"])
    assert codes(mine["lead"]) == ["2.1", "5.2", "5.3"]


def test_lead_user_sees_1_1_among_its_lead_tasks(client, lead_user, task_1_1):
    client.force_login(lead_user)
    response = client.get(reverse("home"))
    mine = response.context["mine"]
    assert codes(mine["lead"])[:3] == ["1.1", "1.3", "1.4"]
    assert "1.1" not in codes(mine["supporting"])
    html = response.content.decode()
    # 1.1 sits in the 牵头 table, which comes before the 配合 table.
    assert html.index(reverse("task-detail", args=[task_1_1.pk])) < html.index('id="supporting-title"')


def test_staff_link_to_admin_only_for_staff(client, office):
    client.force_login(office)
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()
    office.is_staff = True
    office.save(update_fields=["is_staff"])
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()
