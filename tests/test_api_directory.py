"""/api/v1/ units, plans, groups and indicators: content and filters on the seed data."""

import pytest
from django.urls import reverse

from tasks.choices import GroupKind, UnitKind
from tasks.models import Indicator, Task, Unit


@pytest.fixture
def api(client, office):
    client.force_login(office)
    return client


def results(api, name: str, **params) -> list[dict]:
    response = api.get(reverse(f"api:{name}-list"), {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


class TestUnits:
    def test_fields_with_parent_and_aliases(self, api):
        office = Unit.objects.get(name="新区改革创新发展局（金融办）")
        row = api.get(reverse("api:unit-detail", args=[office.pk])).json()
        assert row == {
            "id": office.pk,
            "name": "新区改革创新发展局（金融办）",
            "short_name": office.short_name,
            "kind": "office",
            "kind_display": "内设机构",
            "parent": Unit.objects.get(name="新区改革创新发展局").pk,
            "aliases": ["改革创新发展局（金融办）"],
        }

    def test_aliases_of_a_department(self, api):
        row = next(r for r in results(api, "unit") if r["name"] == "新区人社民政局")
        assert set(row["aliases"]) == {"人社民政局", "人社局"}
        assert row["parent"] is None

    def test_whole_directory_in_document_order(self, api):
        rows = results(api, "unit")
        assert len(rows) == Unit.objects.count()
        assert rows[0]["name"] == "新区党工委组织部"

    def test_filter_by_kind(self, api):
        names = [r["name"] for r in results(api, "unit", kind=UnitKind.NEW_CITY)]
        assert names == ["沣东新城", "秦汉新城", "沣西新城", "空港新城", "泾河新城"]


class TestPlans:
    def test_plan_with_yearly_targets(self, api, plan):
        [row] = results(api, "plan")
        assert (row["id"], row["title"], row["start_year"], row["end_year"]) == (
            plan.pk, "西咸新区优化营商环境推进重大项目建设三年行动方案（2020年—2022年）", 2020, 2022,
        )
        assert [t["year"] for t in row["targets"]] == [2020, 2021, 2022]
        assert "90个工作日" in row["targets"][0]["text"]
        # The dates in force (by default 1 January of the title's first year to 31 December of
        # its last) and the lifecycle they give today: the plan ended with 2022.
        assert (row["starts_on"], row["ends_on"], row["status"]) == ("2020-01-01", "2022-12-31", "ended")
        assert set(row) == {"id", "title", "start_year", "end_year", "starts_on", "ends_on", "status", "targets"}


class TestGroups:
    def test_main_groups_in_order(self, api, plan):
        rows = results(api, "group", plan=plan.pk, kind=GroupKind.MAIN)
        assert [r["number"] for r in rows] == list(range(1, 11))
        assert rows[0] == {
            "id": rows[0]["id"], "plan": plan.pk, "kind": "main", "number": 1,
            "title": "着力打通制约项目建设的关键环节",
        }

    def test_safeguards_and_requirements_are_one_group_each(self, api):
        assert len(results(api, "group", kind=GroupKind.SAFEGUARD)) == 1
        assert len(results(api, "group", kind=GroupKind.REQUIREMENT)) == 1

    def test_unknown_plan_is_a_bad_filter(self, api):
        assert api.get(reverse("api:group-list"), {"plan": 10**9}).status_code == 400


class TestIndicators:
    def test_range_indicator(self, api, plan):
        gas = Indicator.objects.get(plan=plan, key="gas-connection-days")
        row = api.get(reverse("api:indicator-detail", args=[gas.pk])).json()
        assert row == {
            "id": gas.pk, "key": "gas-connection-days", "plan": plan.pk, "task": gas.task_id,
            "task_code": "2.4", "name": gas.name, "year": None, "comparator": "range",
            "comparator_display": "区间", "target_value": "7.00", "target_max": "32.00",
            "unit_of_measure": "个工作日", "target_display": "7–32 个工作日",
            "source_excerpt": gas.source_excerpt,
        }

    def test_plan_level_indicator_has_no_task(self, api, plan):
        row = next(r for r in results(api, "indicator") if r["key"] == "goal-approval-government-2020")
        assert (row["task"], row["task_code"], row["target_display"]) == (None, None, "≤ 90 个工作日")

    def test_filters(self, api, plan):
        assert len(results(api, "indicator")) == Indicator.objects.count() == 45
        task_2_2 = Task.objects.get(plan=plan, code="2.2")
        assert {r["task_code"] for r in results(api, "indicator", task=task_2_2.pk)} == {"2.2"}
        assert len(results(api, "indicator", task=task_2_2.pk)) == 3
        assert {r["year"] for r in results(api, "indicator", year=2021)} == {2021}
        assert len(results(api, "indicator", plan=plan.pk)) == 45

    def test_task_filter_outside_the_scope_looks_like_an_unknown_task(self, client, outsider, plan):
        client.force_login(outsider)
        url = reverse("api:indicator-list")
        task_2_2 = Task.objects.get(plan=plan, code="2.2")
        assert client.get(url, {"task": task_2_2.pk}).status_code == 400
        assert client.get(url, {"task": 10**9}).status_code == 400
