"""The dashboard pages (看板): figures as of a chosen month, each chart with its table and its
links to the list behind it, a unit's own slice, and the refusals (a bad month, another plan's
group).

The history (tests/dashboard_data.py): 新区行政审批与政务服务局 (lead_user's unit) reports on three
of its tasks, October 2020 at 30 % (on time) and November 2020 at 70 % (on time); no other unit
reports. Only those two periods were opened, so at the end of November 2020 one report had
fallen due per lead unit and task, and at the end of December 2020 two.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from reports.selectors.dashboards import TaskStatus
from reports.services.standings import standings_month_store
from tasks.choices import AssignmentRole, GroupKind
from tasks.models import ActionPlan, Task, TaskAssignment, TaskGroup, Unit
from tests.dashboard_data import LEAD_UNIT, frozen, history, indicator_reported, lead_tasks
from tests.supervision_data import make_finding, make_round

PAGES = ["dashboard-overview", "dashboard-groups", "dashboard-units", "dashboard-indicators", "dashboard-risks"]
# The charts each page draws (data-chart containers): overview 4, groups 2, units 1, indicators
# the attainment donut (and a trend per indicator with actuals: none here).
CHARTS = {"dashboard-overview": 4, "dashboard-groups": 2, "dashboard-units": 1, "dashboard-indicators": 1,
          "dashboard-risks": 0}
# The tables with the same figures (the groups' two charts share one table; the indicators add
# the list of all indicators, the risk board is two tables, red and yellow).
TABLES = {"dashboard-overview": 4, "dashboard-groups": 1, "dashboard-units": 1, "dashboard-indicators": 2,
          "dashboard-risks": 2}


@pytest.fixture
def reported(plan, lead_user) -> list[Task]:
    tasks = lead_tasks(plan, 3)
    history(plan, lead_user, tasks)
    return tasks


def get(client, user, name: str, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params)


def specs(html: str) -> dict[str, dict]:
    """The charts' figures as the page hands them to dashboard.js (json_script blocks)."""
    found = re.findall(r'<script id="chart-([\w-]+)-data" type="application/json">(.*?)</script>', html, re.S)
    return {name: json.loads(body) for name, body in found}


def mine(rows, unit_name: str = LEAD_UNIT):
    return next(row for row in rows if row.name == unit_name)


# --- the month shown --------------------------------------------------------------------------


def test_switching_the_month_changes_the_figures(client, office, plan, reported):
    november = get(client, office, "dashboard-units", month="2020-11")
    december = get(client, office, "dashboard-units", month="2020-12")
    assert "2020年11月末" in november.content.decode() and "2020年12月末" in december.content.decode()
    before, after = mine(r for r, _ in november.context["rows"]), mine(r for r, _ in december.context["rows"])
    # One report due on each of its tasks by the end of November, two by the end of December;
    # three of them came on time each month.
    tasks = before.tasks
    assert tasks == after.tasks > 3
    assert (before.reports_due, before.reports_on_time, before.reports_missing) == (tasks, 3, tasks - 3)
    assert (after.reports_due, after.reports_on_time, after.reports_missing) == (2 * tasks, 6, 2 * tasks - 6)
    assert (before.on_time_rate, after.on_time_rate) == (round(300 / tasks, 1), round(600 / (2 * tasks), 1))

    task = reported[0]
    rows = {m: get(client, office, "dashboard-group", task.group_id, month=m).context["rows"] for m in ("2020-11", "2020-12")}
    unit_id = Unit.objects.get(name=LEAD_UNIT).pk
    progress = {m: next(u.progress for r in rows[m] if r.task_id == task.pk for u in r.units if u.unit_id == unit_id)
                for m in rows}
    assert progress == {"2020-11": 30, "2020-12": 70}


def test_the_switcher_lists_the_months_and_keeps_the_tab_and_plan(client, office, plan, reported):
    html = get(client, office, "dashboard-groups", month="2020-11").content.decode()
    form = re.search(r'<form class="dash-month" method="get" action="([^"]+)">(.*?)</form>', html, re.S)
    assert form.group(1) == reverse("dashboard-groups")
    assert f'<input type="hidden" name="plan" value="{plan.pk}">' in form.group(2)
    options = re.findall(r'<option value="([\d-]+)"( selected)?>', form.group(2))
    assert options[-1] == ("2020-01", "") and ("2020-11", " selected") in options
    assert "2022-12" in dict(options) and "2023-01" not in dict(options)
    # The tabs keep the plan and the month.
    assert f'href="{reverse("dashboard-units")}?plan={plan.pk}&amp;month=2020-11"' in html


def test_the_current_month_is_shown_by_default_and_marked_live(client, office, plan, reported):
    with frozen(2020, 12, 15, 9):
        response = get(client, office, "dashboard-overview")
    as_of = response.context["frame"].as_of
    assert not as_of.is_final and as_of.label.startswith("截至 ") and (as_of.year, as_of.month) == (2020, 12)
    assert as_of.choices[0] == ("2020-12", "2020年12月（当前）")
    assert "实时" in response.content.decode()


def test_an_ended_plan_opens_on_its_last_month_as_of_its_final_moment(client, office, plan, reported):
    # Today (2026) the seed plan has ended: no month after December 2022 is offered, and its last
    # month's figures are those after its last returns fell due (Monday 9 January 2023).
    response = get(client, office, "dashboard-overview")
    as_of = response.context["frame"].as_of
    assert (as_of.year, as_of.month, as_of.is_final) == (2022, 12, True)
    assert as_of.choices[0] == ("2022-12", "2022年12月（最后一期）") and len(as_of.choices) == 36
    assert as_of.label == "2022年12月（方案已于2022年12月31日结束，数据截至最后一期填报截止日 2023-01-09）"
    assert "实时" not in response.content.decode()


@pytest.mark.parametrize("month", ["2019-12", "2020-13", "2020/11", "abc", "2099-01"])
@pytest.mark.parametrize("name", PAGES)
def test_a_bad_month_is_refused_with_the_reason(client, office, plan, name, month):
    response = get(client, office, name, month=month)
    assert response.status_code == 400
    alert = re.search(r'<div class="alert alert-error" role="alert">(.*?)</div>', response.content.decode()).group(1)
    assert "月" in alert and ("格式" in alert or "范围" in alert)


@pytest.mark.parametrize("plan_param", ["abc", "999999", "-1"])
def test_an_unknown_plan_is_a_404(client, office, plan, plan_param):
    assert get(client, office, "dashboard-overview", plan=plan_param).status_code == 404


def test_another_plan_can_be_chosen(client, office, plan, reported):
    other = ActionPlan.objects.create(title="测试行动方案（2020年—2021年）", start_year=2020, end_year=2021,
                                      source_text="测试", source_sha256="1" * 64,
                                      imported_at=dt.datetime(2020, 1, 2, tzinfo=dt.UTC))
    response = get(client, office, "dashboard-overview", plan=other.pk, month="2020-12")
    assert response.status_code == 200
    assert response.context["frame"].plan == other and response.context["overview"].tasks == 0


# --- charts, tables and links -------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_every_chart_has_its_table_and_its_figures(client, office, plan, reported, name):
    html = get(client, office, name, month="2020-12").content.decode()
    charts = specs(html)
    assert html.count("data-chart ") == len(charts) == CHARTS[name]
    assert html.count("<caption>") == html.count("<table") == TABLES[name]
    for spec in charts.values():
        assert spec["kind"] in {"pie", "bar", "hbar", "line", "gauge"}
    assert 'src="/static/vendor/echarts/echarts.min.js"' in html and 'src="/static/js/dashboard.js"' in html
    assert "style=" not in html.split("<main", 1)[1]  # the CSP allows no inline styles


def test_overview_charts_link_to_the_lists_behind_them(client, office, plan, reported):
    response = get(client, office, "dashboard-overview", month="2020-12")
    charts, overview = specs(response.content.decode()), response.context["overview"]
    query = f"?plan={plan.pk}&month=2020-12"
    lights = {item["name"]: item for item in charts["lights"]["items"]}
    # Each slice opens exactly its tasks, at the same month (the list counts tasks as the figure does).
    assert lights["红灯"]["url"] == reverse("dashboard-tasks") + query + "&light=red"
    assert lights["黄灯"]["url"] == reverse("dashboard-tasks") + query + "&light=yellow"
    assert lights["绿灯"]["url"] == reverse("dashboard-tasks") + query + "&light=green"
    assert [item["value"] for item in charts["lights"]["items"]] == [s.count for s in overview.lights]
    assert sum(s.count for s in overview.lights) == overview.tasks
    assert charts["statuses"]["urls"][0] == reverse("dashboard-tasks") + query + f"&status={TaskStatus.ORDER[0]}"
    assert charts["statuses"]["categories"] == [TaskStatus.LABELS[k] for k in TaskStatus.ORDER]
    assert charts["on-time"]["value"] == overview.on_time_rate and charts["on-time"]["url"].startswith(reverse("dashboard-units"))
    progress = charts["progress"]
    assert [s["name"] for s in progress["series"]] == ["平均完成进度", "序时进度"]
    assert progress["categories"][-1] == "2020年12月" and progress["urls"][-1] == reverse("dashboard-groups") + query
    # The figures of the charts are in the tables too.
    html = response.content.decode()
    table = re.search(r'<table[^>]*id="table-reports".*?</table>', html, re.S).group(0)
    assert f"<td class=\"num\">{overview.reports_due}</td>" in table


def test_group_bars_open_the_drill_down_and_its_tasks(client, office, plan, reported):
    response = get(client, office, "dashboard-groups", month="2020-12")
    charts, rows = specs(response.content.decode()), response.context["rows"]
    group = reported[0].group
    url = reverse("dashboard-group", args=[group.pk]) + f"?plan={plan.pk}&month=2020-12"
    assert url in charts["group-lights"]["urls"] and charts["group-lights"]["urls"] == charts["group-progress"]["urls"]
    assert [s["name"] for s in charts["group-lights"]["series"]] == ["红灯", "黄灯", "绿灯"]
    assert charts["group-progress"]["mark"]["value"] == response.context["frame"].expected
    assert len(rows) == plan.groups.filter(tasks__assignments__role=AssignmentRole.LEAD).distinct().count()
    assert f'href="{url.replace("&", "&amp;")}"' in response.content.decode()

    drill = get(client, office, "dashboard-group", group.pk, month="2020-12")
    tasks = drill.context["rows"]
    assert {t.task_id for t in tasks} == set(Task.objects.filter(group=group, is_active=True,
                                                                 assignments__role=AssignmentRole.LEAD).values_list("pk", flat=True))
    chart = specs(drill.content.decode())["task-progress"]
    assert chart["urls"] == [reverse("task-detail", args=[t.task_id]) for t in tasks]
    assert f'id="task-{reported[0].pk}"' in drill.content.decode()


def test_unit_bars_open_the_unit_page(client, office, plan, reported):
    response = get(client, office, "dashboard-units", month="2020-12")
    rows = [row for row, _ in response.context["rows"]]
    chart = specs(response.content.decode())["ranking"]
    assert chart["urls"] == [reverse("unit-detail", args=[row.unit_id]) for row in rows]
    assert chart["series"][0]["data"] == [row.on_time_rate for row in rows]
    assert rows[0].name == LEAD_UNIT and [row.rank for row in rows] == list(range(1, len(rows) + 1))


def test_indicators_first_the_plan_targets_then_each_indicator(client, office, plan, reported):
    response = get(client, office, "dashboard-indicators", month="2020-12")
    html, board = response.content.decode(), response.context["board"]
    assert html.index('id="plan-targets"') < html.index('id="table-indicators"')
    for target in plan.targets.all():
        assert target.text in html
    assert len(board.indicators) == plan.indicators.count()
    plan_level = [row for row in response.context["rows"] if not row[0].task_code]
    assert plan_level and all(url.endswith("#indicators-title") for _, url, _ in plan_level)
    assert specs(html)["attainment"]["items"][0]["url"] == "#attainment-met"
    assert 'id="attainment-no_data"' in html


def test_an_indicator_with_actuals_has_a_trend_with_its_target(client, office, plan, lead_user):
    """An indicator of one of 审批局's tasks gets an actual in its October 2020 report."""
    indicator = indicator_reported(plan, lead_user)
    standings_month_store(plan=plan, year=2020, month=11)
    html = get(client, office, "dashboard-indicators", month="2020-11").content.decode()
    trend = specs(html)[f"trend-{indicator.pk}"]
    assert trend["series"][0]["data"] == [5.0] and trend["categories"] == ["2020-11"]
    assert trend["mark"]["value"] == float(indicator.target_value)
    assert trend["urls"] == [f"{reverse('task-list')}?plan={plan.pk}&q={indicator.task.code}"]


def test_the_risk_board_lists_red_first_with_reasons_and_days_overdue(client, office, inspector, plan, reported):
    round_ = make_round(inspector, year=2020, quarter=4, team=[inspector])
    finding = make_finding(inspector, round_, found_on=dt.date(2020, 12, 1), working_days=5)
    standings_month_store(plan=plan, year=2020, month=12)
    response = get(client, office, "dashboard-risks", month="2020-12")
    html = response.content.decode()
    assert html.index('id="risk-red"') < html.index('id="risk-yellow"')
    red = response.context["red"]
    overdue = next(row for row in red if row.kind == "督查问题")
    assert overdue.unit == LEAD_UNIT and overdue.days_overdue > 10
    assert reverse("supervision:finding-detail", args=[finding.pk]) in html
    assert f"{overdue.days_overdue} 个工作日" in html
    # Units that never reported on their tasks are red too, with their reason.
    missing = [row for row in red if row.kind == "进展填报"]
    assert missing and all(row.reason for row in missing)
    assert all(row.light == "red" for row in red) and all(row.light == "yellow" for row in response.context["yellow"])


# --- a unit's slice -----------------------------------------------------------------------------


def lead_task_count(unit_name: str, plan) -> int:
    unit = Unit.objects.get(name=unit_name)
    return Task.objects.filter(plan=plan, is_active=True, assignments__role=AssignmentRole.LEAD,
                               assignments__unit__in=[unit, *unit.children.all()]).distinct().count()


@pytest.mark.parametrize("persona", ["lead_user", "supporting_user", "outsider"], indirect=True)
def test_a_unit_sees_its_own_slice(client, persona, plan, reported):
    unit = persona.unit
    overview = get(client, persona, "dashboard-overview", month="2020-12").context["overview"]
    assert overview.tasks == lead_task_count(unit.name, plan)

    response = get(client, persona, "dashboard-units", month="2020-12")
    names = {row.name for row, _ in response.context["rows"]}
    assert names <= {unit.name, *unit.children.values_list("name", flat=True)}
    html = response.content.decode()
    assert "按时报送率排名" not in html and "排名</th>" not in html
    if names:
        assert f'id="unit-{unit.pk}"' in html or all(f'id="unit-{c.pk}"' in html for c in unit.children.all())

    risks = get(client, persona, "dashboard-risks", month="2020-12").context
    assert {row.unit for row in [*risks["red"], *risks["yellow"]]} <= names


def test_office_sees_every_lead_unit(client, office, plan, reported):
    rows = [row for row, _ in get(client, office, "dashboard-units", month="2020-12").context["rows"]]
    leads = set(Unit.objects.filter(assignments__role=AssignmentRole.LEAD, assignments__task__plan=plan,
                                    assignments__task__is_active=True).values_list("pk", flat=True))
    assert {row.unit_id for row in rows} == leads


# --- the drill-down's group -------------------------------------------------------------------


def test_a_group_of_another_plan_is_a_404(client, office, plan, reported):
    other = ActionPlan.objects.create(title="测试行动方案（2025年—2026年）", start_year=2025, end_year=2026,
                                      source_text="测试", source_sha256="2" * 64,
                                      imported_at=dt.datetime(2025, 1, 2, tzinfo=dt.UTC))
    group = TaskGroup.objects.create(plan=other, kind=GroupKind.MAIN, number=1, title="优化审批服务")
    task = Task.objects.create(plan=other, group=group, number=1, code="1.1", title="测试", text="测试。", sort_order=1)
    TaskAssignment.objects.create(task=task, unit=Unit.objects.get(name=LEAD_UNIT), role=AssignmentRole.LEAD)
    # The newest plan is now the default one: the seed plan is asked for by its id.
    assert get(client, office, "dashboard-group", group.pk, plan=plan.pk, month="2020-12").status_code == 404
    assert get(client, office, "dashboard-group", group.pk).status_code == 200


def test_a_plan_not_started_yet_says_so(client, office, plan):
    future = ActionPlan.objects.create(title="测试行动方案（2030年—2032年）", start_year=2030, end_year=2032,
                                       source_text="测试", source_sha256="4" * 64,
                                       imported_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    response = get(client, office, "dashboard-overview", plan=future.pk)
    assert response.status_code == 200
    assert "自2030年1月1日起执行，尚无看板数据" in response.content.decode()
    assert get(client, office, "dashboard-overview", plan=future.pk, month="2030-01").status_code == 400


# --- counts equal lists ------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["2020-11", "2020-12"])
@pytest.mark.parametrize("persona", ["office", "lead_user"], indirect=True)
def test_every_overview_count_opens_a_list_of_that_length(client, plan, reported, persona, month):
    """Each figure of the overview links to the tasks it counts, at the same moment: the list's
    length is the figure (tasks, each light, each review status)."""
    page = get(client, persona, "dashboard-overview", plan=plan.pk, month=month)
    overview = page.context["overview"]
    html = page.content.decode()
    linked = [(overview.tasks, page.context["task_list_url"])]
    linked += [(s.count, url) for s, url in page.context["light_links"]]
    linked += [(s.count, url) for s, url in page.context["status_links"]]
    assert sum(s.count for s in overview.lights) == overview.tasks > 0
    for count, url in linked:
        assert url.replace("&", "&amp;") in html  # the page really links there
        listed = client.get(url)
        assert listed.status_code == 200
        assert len(listed.context["rows"]) == count, url
        assert listed.context["frame"].as_of.at == page.context["frame"].as_of.at


def test_the_red_tasks_are_the_tasks_of_the_risk_boards_red_report_items(client, office, plan, reported):
    """The risk board counts items (a lead unit on a task), the overview tasks: the two lists
    name the same red tasks."""
    red_tasks = get(client, office, "dashboard-tasks", plan=plan.pk, month="2020-12", light="red").context["rows"]
    risks = get(client, office, "dashboard-risks", plan=plan.pk, month="2020-12").context["red"]
    assert {row.url for row in red_tasks} == {row.url for row in risks if row.kind == "进展填报"}
    assert "按事项计" in get(client, office, "dashboard-risks", plan=plan.pk).content.decode()


@pytest.mark.parametrize("params", [{"light": "purple"}, {"status": "lost"}])
def test_a_bad_filter_of_the_task_list_is_refused_in_chinese(client, office, plan, reported, params):
    response = get(client, office, "dashboard-tasks", plan=plan.pk, **params)
    assert response.status_code == 400
    assert "取值应为" in response.content.decode()


def test_an_ended_plan_opened_by_default_says_none_is_in_force(client, office, plan, reported):
    body = get(client, office, "dashboard-overview").content.decode()
    assert "方案已于2022年12月31日结束" in body and "当前没有执行中的行动方案，显示最近的方案。" in body
    with frozen(2020, 12, 15, 9):  # in force then: nothing to say
        assert 'id="plan-note"' not in get(client, office, "dashboard-overview").content.decode()


def test_another_plan_in_force_is_opened_by_default_and_the_switcher_offers_both(client, office, plan, reported):
    other = ActionPlan.objects.create(title="测试行动方案（2026年—2027年）", start_year=2026, end_year=2027,
                                      source_text="测试", source_sha256="5" * 64,
                                      imported_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    response = get(client, office, "dashboard-overview")
    assert response.context["frame"].plan == other and 'id="plan-note"' not in response.content.decode()
    assert [p.pk for p in response.context["frame"].plans] == [other.pk, plan.pk]
    assert "测试行动方案（2026年—2027年）（执行中）" in response.content.decode()
