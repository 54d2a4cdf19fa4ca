"""The dashboards API (/api/v1/dashboards/…): the pages' figures as JSON for a plan and month,
scoped like the pages; permission matrix, refusals in Chinese, query budgets and the schema.

The history is the pages' (tests/dashboard_data.py): 新区行政审批与政务服务局 reports on three of
its tasks, October 2020 at 30 % and November 2020 at 70 %, both on time.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS

from reports.services.standings import standings_month_store
from tasks.choices import AssignmentRole, GroupKind
from tasks.models import ActionPlan, Task, TaskGroup, Unit
from tests.conftest import PERSONAS
from tests.dashboard_data import LEAD_UNIT, history, lead_tasks
from tests.matrix import signed_in
from tests.supervision_data import make_finding, make_round

ENDPOINTS = ["overview", "groups", "group", "units", "indicators", "risks"]
ANONYMOUS = 401


@pytest.fixture
def reported(plan, lead_user) -> list[Task]:
    tasks = lead_tasks(plan, 3)
    history(plan, lead_user, tasks)
    return tasks


@pytest.fixture
def anonymous():
    return None


def url_of(endpoint: str, plan) -> str:
    args = [lead_tasks(plan, 1)[0].group_id] if endpoint == "group" else []
    return reverse(f"dashboard-api-{endpoint}", args=args)


def get(client, user, endpoint: str, plan, **params):
    return signed_in(client, user).get(url_of(endpoint, plan), params)


def ok(response) -> dict:
    assert response.status_code == 200, response.content.decode()
    return response.json()


def mine(units: list[dict]) -> dict:
    return next(row for row in units if row["name"] == LEAD_UNIT)


# --- figures ------------------------------------------------------------------------------------


def test_the_month_switch_changes_the_figures(client, office, plan, reported):
    november = ok(get(client, office, "units", plan, month="2020-11"))
    december = ok(get(client, office, "units", plan, month="2020-12"))
    assert (november["as_of"]["month"], november["as_of"]["label"], november["as_of"]["is_final"]) == (
        "2020-11", "2020年11月末", True)
    before, after = mine(november["units"]), mine(december["units"])
    tasks = before["tasks"]
    assert (before["reports_due"], before["reports_on_time"]) == (tasks, 3)
    assert (after["reports_due"], after["reports_on_time"]) == (2 * tasks, 6)
    assert set(after["escalations"]) == {"reminder", "urge", "notice", "bulletin"}

    group = ok(get(client, office, "group", plan, month="2020-11"))
    unit_id = Unit.objects.get(name=LEAD_UNIT).pk
    task = next(t for t in group["tasks"] if t["task_id"] == reported[0].pk)
    assert next(u for u in task["units"] if u["unit_id"] == unit_id)["progress"] == 30
    task = next(t for t in ok(get(client, office, "group", plan, month="2020-12"))["tasks"] if t["task_id"] == reported[0].pk)
    assert next(u for u in task["units"] if u["unit_id"] == unit_id)["progress"] == 70


def test_the_api_gives_the_pages_figures(client, office, plan, reported):
    api = ok(get(client, office, "overview", plan, month="2020-12"))
    page = client.get(reverse("dashboard-overview"), {"month": "2020-12"}).context["overview"]
    assert api["plan"] == plan.pk
    assert api["tasks"] == page.tasks and api["progress"] == page.progress and api["expected"] == page.expected
    assert [(s["key"], s["count"]) for s in api["lights"]] == [(s.key, s.count) for s in page.lights]
    assert [(s["key"], s["count"]) for s in api["statuses"]] == [(s.key, s.count) for s in page.statuses]
    assert api["on_time_rate"] == page.on_time_rate and api["reports_due"] == page.reports_due
    assert [p["month"] for p in api["series"]][-2:] == ["2020-11", "2020-12"]
    # The seed plan has ended (today is after 2022): its months end with its last, so marked.
    assert api["as_of"]["months"][0] == {"value": "2022-12", "label": "2022年12月（最后一期）"}
    assert api["as_of"]["months"][-1]["value"] == "2020-01"

    groups = ok(get(client, office, "groups", plan, month="2020-12"))["groups"]
    assert sum(g["red"] + g["yellow"] + g["green"] for g in groups) == page.tasks
    indicators = ok(get(client, office, "indicators", plan, month="2020-12"))
    assert len(indicators["indicators"]) == plan.indicators.count()
    assert [t["year"] for t in indicators["targets"]] == sorted(t.year for t in plan.targets.all())
    assert sum(s["count"] for s in indicators["attainment"]) == plan.indicators.count()


def test_the_risk_board_with_a_finding(client, office, inspector, plan, reported):
    round_ = make_round(inspector, year=2020, quarter=4, team=[inspector])
    finding = make_finding(inspector, round_, found_on=dt.date(2020, 12, 1), working_days=5)
    standings_month_store(plan=plan, year=2020, month=12)
    risks = ok(get(client, office, "risks", plan, month="2020-12"))["risks"]
    lights = [r["light"] for r in risks]
    assert lights == sorted(lights, key=lambda light: light != "red")
    row = next(r for r in risks if r["kind"] == "督查问题")
    assert row["unit"] == LEAD_UNIT and row["days_overdue"] > 10 and "逾期" in row["reason"]
    assert row["url"] == f"http://testserver{reverse('supervision:finding-detail', args=[finding.pk])}"


@pytest.mark.parametrize("persona", ["lead_user", "supporting_user", "outsider"], indirect=True)
def test_a_unit_gets_its_own_slice(client, persona, plan, reported):
    unit = persona.unit
    scope = {unit.name, *unit.children.values_list("name", flat=True)}
    units = ok(get(client, persona, "units", plan, month="2020-12"))["units"]
    assert {row["name"] for row in units} <= scope
    risks = ok(get(client, persona, "risks", plan, month="2020-12"))["risks"]
    assert {row["unit"] for row in risks} <= scope
    leads = Task.objects.filter(plan=plan, is_active=True, assignments__role=AssignmentRole.LEAD,
                                assignments__unit__name__in=scope).distinct().count()
    assert ok(get(client, persona, "overview", plan, month="2020-12"))["tasks"] == leads


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["2019-12", "2020-13", "2020/11", "abc", "2099-01"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_bad_month_is_a_400_in_chinese(client, office, plan, endpoint, month):
    response = get(client, office, endpoint, plan, month=month)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "月" in detail and ("格式" in detail or "范围" in detail)


def test_a_bad_plan(client, office, plan):
    client = signed_in(client, office)
    response = client.get(reverse("dashboard-api-overview"), {"plan": "abc"})
    assert response.status_code == 400 and response.json() == {"plan": ["行动方案应为 ID（整数）。"]}
    assert client.get(reverse("dashboard-api-overview"), {"plan": 999999}).status_code == 404


def test_a_group_of_another_plan_is_a_404(client, office, plan):
    other = ActionPlan.objects.create(title="测试行动方案（2025年—2026年）", start_year=2025, end_year=2026,
                                      source_text="测试", source_sha256="3" * 64,
                                      imported_at=dt.datetime(2025, 1, 2, tzinfo=dt.UTC))
    group = TaskGroup.objects.create(plan=other, kind=GroupKind.MAIN, number=1, title="优化审批服务")
    response = signed_in(client, office).get(reverse("dashboard-api-group", args=[group.pk]), {"plan": plan.pk})
    assert response.status_code == 404 and "任务组" in response.json()["detail"]


# --- permission matrix ------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("who", [*PERSONAS, "anonymous"])
def test_permission_matrix(client, request, plan, endpoint, who):
    user = request.getfixturevalue(who)
    client = signed_in(client, user)
    url = url_of(endpoint, plan)
    response = client.get(url, {"month": "2020-12"})
    assert response.status_code == (ANONYMOUS if user is None else 200)
    if user is None:
        assert response.headers["WWW-Authenticate"] == "Token"
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(url).status_code == (ANONYMOUS if user is None else 405)


# --- query budgets --------------------------------------------------------------------------------

SIGNED_IN = 2  # session, user + unit
FRAME = 2  # the plan, the month's summary record
BUDGETS = {  # each endpoint's own queries, named as on the pages (test_pages_dashboard_queries.py)
    "overview": 2,  # the month's standings + task + group + unit, the monthly averages
    "groups": 1,  # the month's standings
    "group": 2,  # the group exists in the plan, the month's standings
    "units": 4,  # the month's standings, findings then, calendar entries, escalations by unit and level
    "indicators": 4,  # targets, indicators + task, the month's actuals + period, the trend
    "risks": 3,  # the month's standings, findings then, calendar entries
}


@pytest.mark.parametrize("rows", [1, 12])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("persona", ["office", "lead_user"], indirect=True)
def test_query_budget(client, plan, lead_user, inspector, persona, endpoint, rows, django_assert_num_queries):
    history(plan, lead_user, lead_tasks(plan, rows))
    round_ = make_round(inspector, year=2020, quarter=4, team=[inspector])
    for n in range(rows):
        make_finding(inspector, round_, found_on=dt.date(2020, 12, 1), working_days=5 + n)
    standings_month_store(plan=plan, year=2020, month=12)
    url = url_of(endpoint, plan)
    client.force_login(persona)
    expected = SIGNED_IN + FRAME + BUDGETS[endpoint]
    assert expected <= 10
    with django_assert_num_queries(expected):
        response = client.get(url, {"plan": plan.pk, "month": "2020-12"})
    assert response.status_code == 200


# --- schema ---------------------------------------------------------------------------------------


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    GENERATOR_STATS.reset()
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", ["overview", "groups", "groups/{group_id}", "units", "indicators", "risks"])
def test_the_schema_documents_each_endpoint(schema, path):
    operations = schema["paths"][f"/api/v1/dashboards/{path}/"]
    assert set(operations) == {"get"}
    operation = operations["get"]
    assert operation["tags"] == ["看板"]
    assert chinese(operation["summary"]) and chinese(operation["description"])
    assert {"200", "400", "404"} <= set(operation["responses"])
    params = {p["name"]: p for p in operation["parameters"]}
    assert {"plan", "month"} <= set(params) and all(chinese(p["description"]) for p in params.values())
