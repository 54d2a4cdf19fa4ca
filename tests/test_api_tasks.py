"""/api/v1/tasks/: content of the seed plan's tasks and the filters shared with the task page."""

import pytest
from django.urls import reverse

from tasks.choices import GroupKind
from tasks.models import Task, TaskGroup, Unit

NEW_CITIES = {"沣东新城", "秦汉新城", "沣西新城", "空港新城", "泾河新城"}
LIST_URL = reverse("api:task-list")


@pytest.fixture
def api(client, office):
    client.force_login(office)
    return client


def get_task(api, plan, code: str, **params) -> dict:
    task = Task.objects.get(plan=plan, code=code)
    response = api.get(reverse("api:task-detail", args=[task.pk]), params)
    assert response.status_code == 200
    return response.json()


def codes(api, **params) -> list[str]:
    response = api.get(LIST_URL, {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_task_fields(api, plan, task_1_1):
    row = api.get(LIST_URL).json()["results"][0]
    assert row == {
        "id": task_1_1.pk,
        "code": "1.1",
        "number": 1,
        "title": "加快项目建设前期手续办理",
        "text": task_1_1.text,
        "kind": "main",
        "group": task_1_1.group_id,
        "group_title": "着力打通制约项目建设的关键环节",
        "plan": plan.pk,
        "time_node": "",
        "lead_units": ["新区行政审批与政务服务局"],
        "supporting_units": [
            "新区改革创新发展局", "新区规划与住房城乡建设局", "新区自然资源局", "新区生态环境局",
            "沣东新城", "秦汉新城", "沣西新城", "空港新城", "泾河新城",
        ],
        # The seed plan has ended: its figures are those of its final moment, and say so. Nothing
        # was reported here, so the lead unit is 100 points behind at the end.
        "light": "red",
        "light_reason": "完成进度 0%，落后序时进度 100% 达 100 个百分点（方案已于2022年12月31日结束）",
        "progress": 0.0,
        "expected_progress": 100,
        "review_status": "not_due",
        "days_overdue": 0,
    }


def test_task_state_as_of_a_month(api, plan, task_1_1):
    """?month= gives the lights as of that month's end; a month before the plan owes nothing."""
    from tasks.services.dispatch import period_open

    period_open(year=2021, month=5)  # due in June 2021: it fell due before the end of June
    june = get_task(api, plan, "1.1", month="2021-06")
    assert (june["light"], june["review_status"], june["days_overdue"]) == ("red", "missing", 16)
    assert june["light_reason"] == "2021年5月进展逾期未报（截止 2021-06-07）"
    before = get_task(api, plan, "1.1", month="2019-12")
    assert (before["light"], before["progress"], before["review_status"]) == (None, None, None)


def test_a_bad_month_is_refused_in_chinese(api, plan):
    response = api.get(LIST_URL, {"month": "2021-13"})
    assert response.status_code == 400
    assert response.json() == {"month": ["月份格式应为“年-月”，例如 2022-06。"]}


def test_indicators_only_on_detail(api, plan):
    assert "indicators" not in api.get(LIST_URL).json()["results"][0]
    indicators = get_task(api, plan, "2.2")["indicators"]
    assert [(i["key"], i["target_display"]) for i in indicators] == [
        ("water-connection-days", "≤ 3 个工作日"),
        ("water-connection-documents", "≤ 1 项"),
        ("water-connection-steps", "≤ 2 个"),
    ]


def test_task_2_6_names_its_lead_unit_once(api, plan):
    task = get_task(api, plan, "2.6")
    # The text repeats 人社民政局 among the supporting units; it stays the lead unit only.
    assert task["lead_units"] == ["新区人社民政局"]
    assert "新区人社民政局" not in task["supporting_units"]


def test_task_5_3_supporting_new_cities_are_those_not_leading(api, plan):
    task = get_task(api, plan, "5.3")
    assert [name for name in task["supporting_units"] if name in NEW_CITIES] == ["沣西新城", "泾河新城"]
    assert {"空港新城", "沣东新城", "秦汉新城"} <= set(task["lead_units"])


def test_requirement_keeps_its_time_node(api, plan):
    assert get_task(api, plan, "要求1")["time_node"].startswith("各牵头单位按照总体目标和任务分工")


def test_counts_by_kind(api):
    assert api.get(LIST_URL, {"kind": GroupKind.MAIN}).json()["count"] == 47
    assert codes(api, kind=GroupKind.SAFEGUARD) == [f"保障{n}" for n in range(1, 7)]
    assert len(codes(api, kind=GroupKind.REQUIREMENT)) == 4


def test_filter_by_group(api, plan):
    group = TaskGroup.objects.get(plan=plan, kind=GroupKind.MAIN, number=1)
    assert codes(api, group=group.pk) == ["1.1", "1.2", "1.3", "1.4"]


def test_filter_by_plan(api, plan):
    assert api.get(LIST_URL, {"plan": plan.pk}).json()["count"] == 57


def test_filter_by_unit_and_role(api, plan):
    unit = Unit.objects.get(name="新区农业农村局")
    # 农业农村局 leads 2.2 alone and 9.4 among seven lead units.
    assert codes(api, unit=unit.pk, role="lead") == ["2.2", "9.4"]
    group_2 = TaskGroup.objects.get(plan=plan, kind=GroupKind.MAIN, number=2)
    assert codes(api, unit=unit.pk, role="lead", group=group_2.pk) == ["2.2"]
    supporting = codes(api, unit=unit.pk, role="supporting")
    assert supporting and "2.2" not in supporting and "3.1" in supporting
    assert set(codes(api, unit=unit.pk)) == {*supporting, "2.2", "9.4"}


def test_unit_filter_includes_offices_inside_the_unit(api):
    unit = Unit.objects.get(name="新区改革创新发展局")
    # 2.5 is led by 改革创新发展局（金融办）, an office inside the department.
    assert "2.5" in codes(api, unit=unit.pk, role="lead")


def test_filter_by_text(api):
    assert codes(api, q="用水") == ["2.2"]
    assert codes(api, q="2.6") == ["2.6"]


def test_filters_never_widen_the_scope(client, lead_user, outsider):
    client.force_login(outsider)
    assert codes(client, kind=GroupKind.SAFEGUARD) == ["保障5"]
    assert codes(client, q="用水") == []
    client.force_login(lead_user)
    assert codes(client, kind=GroupKind.SAFEGUARD) == []


def test_invalid_filter_values_answer_400(api):
    assert api.get(LIST_URL, {"kind": "other"}).status_code == 400
    assert api.get(LIST_URL, {"unit": 10**9}).status_code == 400


def test_retired_tasks_leave_the_list(api, plan):
    Task.objects.filter(plan=plan, code="1.4").update(is_active=False)
    assert "1.4" not in codes(api)
    assert api.get(LIST_URL).json()["count"] == 56


def test_page_size(api):
    body = api.get(LIST_URL, {"page_size": 10}).json()
    assert (body["count"], len(body["results"])) == (57, 10)
    assert len(api.get(LIST_URL).json()["results"]) == 50
