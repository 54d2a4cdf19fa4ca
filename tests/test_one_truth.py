"""One truth: every view of a task's light and progress says the same, at the same moment.

Over the demo data (both plans, as ``make run`` makes them, on shortened histories): the seed
plan's last three months (it has ended: its final month is shown as of its final moment) and the
demo plan's last three months up to today (in force). For every task, at three moments — now
(the demo plan's running month), a month in the middle of the demo plan (November 2026, over),
the ended plan's final month (December 2022) — as the office and two unit personas (a lead unit,
a supporting unit), the task API, the dashboards' task list, the risk board, the task ledger, and
for the present the task page, the home page and the task search, give the same light (and,
where they show it, the same progress); the dispatch report's light counts are the one state's
at the report's moment; every count the overview links equals its list's length.
"""

from __future__ import annotations

import datetime
from collections import Counter
from io import BytesIO

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from reports.dispatch_report import report_content, report_scope
from reports.dispatch_report_xlsx import report_xlsx
from reports.services.standings import standings_refresh
from supervision.demo import demo_present_build
from supervision.selectors import findings_at
from tasks.demo import demo_accounts_create, demo_plan_load
from tasks.demo_history import demo_clock, demo_history_build, demo_plan_arrival
from tasks.models import ActionPlan, Task, User
from tasks.selectors.state import task_states

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 12, 8, 11, 0, tzinfo=SHANGHAI)  # a Tuesday
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LABELS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", None: ""}
PERSONAS = ["yingshangban", "shenpi", "fengdong"]  # the office, a lead unit, a supporting unit

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Both demo plans on short histories, their dashboards' summary stored; rolled back after."""
    media = tmp_path_factory.mktemp("media")
    with (django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=FAST_HASHER),
          transaction.atomic()):
        seed = ActionPlan.objects.get(start_year=2020)
        with time_machine.travel(datetime.datetime(2023, 2, 1, 9, tzinfo=SHANGHAI), tick=False):
            demo_accounts_create()
            demo_history_build(plan=seed, months=[(2022, 10), (2022, 11), (2022, 12)], evidence=False)
        with time_machine.travel(NOW, tick=False):
            with demo_clock(demo_plan_arrival(2025)):
                demo = demo_plan_load(today=NOW.date())
            demo_present_build(plan=demo, months=[(2026, 10), (2026, 11), (2026, 12)], now=NOW, evidence=False)
            standings_refresh()
        yield {"seed": seed, "demo": demo, "users": {u.username: u for u in User.objects.filter(username__in=PERSONAS)}}
        transaction.set_rollback(True)


# (plan key, ?month=) — now, a month over inside the plan in force, the ended plan's final month
MOMENTS = [("demo", ""), ("demo", "2026-11"), ("seed", "2022-12")]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def api_tasks(client, plan, month) -> dict[str, dict]:
    rows = client.get(reverse("api:task-list"), {"plan": plan.pk, "month": month, "page_size": 500}).json()["results"]
    return {row["code"]: row for row in rows}


def ledger_lights(client, plan, month) -> dict[str, tuple]:
    response = client.get(reverse("task-ledger"), {"plan": plan.pk, "month": month})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True).active
    header = next(r for r in sheet.iter_rows(values_only=True) if r and r[0] == "序号")
    task, light, progress = header.index("任务"), header.index("灯"), header.index("完成进度（%）")
    return {row[task].split(" ", 1)[0]: (row[light] or "", row[progress]) for row in sheet.iter_rows(values_only=True)
            if row and isinstance(row[0], int)}


def dashboard_rows(client, name: str, plan, month: str, **params):
    response = client.get(reverse(name), {"plan": plan.pk, "month": month, **params})
    assert response.status_code == 200, response.content.decode()[:300]
    return response.context


@pytest.mark.parametrize(("plan_key", "month"), MOMENTS)
@pytest.mark.parametrize("username", PERSONAS)
def test_every_view_gives_each_task_the_same_light(client, world, clock, plan_key, month, username):
    plan, user = world[plan_key], world["users"][username]
    client.force_login(user)
    api = api_tasks(client, plan, month)
    lit = {code: row for code, row in api.items() if row["light"]}
    assert lit, "the moment has lights to compare"
    # The task ledger: the same light and progress, task by task.
    assert ledger_lights(client, plan, month) == {
        code: (LABELS[row["light"]], row["progress"]) for code, row in api.items()}
    # The dashboards' task list: the tasks the overview counts, with the same light and progress —
    # for a unit, its own slice (the lead units it is), from the same state's rows of its units.
    listed = dashboard_rows(client, "dashboard-tasks", plan, month)["rows"]
    if user.sees_everything:
        assert {(r.code, r.light, r.progress) for r in listed} == {
            (code, row["light"], row["progress"]) for code, row in lit.items()}
    else:
        tasks = list(Task.objects.filter(plan=plan, code__in=list(api)).select_related("plan"))
        states = task_states(tasks=tasks, month=tuple(map(int, month.split("-"))) if month else None)
        by_id = {t.pk: t.code for t in tasks}
        own = {by_id[task_id]: mine for task_id, state in states.items()
               if (mine := state.of_units(user.scope_unit_ids()))}
        assert {(r.code, r.light, r.progress) for r in listed} == {
            (code, state.light, state.progress) for code, state in own.items()}
    # The risk board: its red report items are on exactly the red tasks it may show.
    risks = dashboard_rows(client, "dashboard-risks", plan, month)
    red_items = {r.url for r in risks["red"] if r.kind == "进展填报"}
    assert red_items == {r.url for r in listed if r.light == "red"}


@pytest.mark.parametrize(("plan_key", "month"), MOMENTS)
@pytest.mark.parametrize("username", PERSONAS)
def test_every_overview_count_equals_its_list(client, world, clock, plan_key, month, username):
    plan = world[plan_key]
    client.force_login(world["users"][username])
    page = dashboard_rows(client, "dashboard-overview", plan, month)
    overview = page["overview"]
    links = [(overview.tasks, page["task_list_url"]), *[(s.count, u) for s, u in page["light_links"]],
             *[(s.count, u) for s, u in page["status_links"]]]
    for count, url in links:
        assert len(client.get(url).context["rows"]) == count, url
    api = api_tasks(client, plan, month)
    if world["users"][username].sees_everything:
        assert {s.key: s.count for s in overview.lights} == {
            key: n for key, n in Counter(r["light"] for r in api.values() if r["light"]).items()} | {
            s.key: 0 for s in overview.lights if s.key not in {r["light"] for r in api.values()}}


@pytest.mark.parametrize("username", PERSONAS)
def test_the_present_pages_give_the_apis_light(client, world, clock, username):
    """Now: the task page, the home page and the task search show each task's light as the API."""
    plan, user = world["demo"], world["users"][username]
    client.force_login(user)
    api = {row["id"]: row for row in api_tasks(client, plan, "").values()}
    home = client.get(reverse("home")).context
    search = client.get(reverse("task-list"), {"plan": plan.pk}).context["page"].object_list
    for task in [*home["mine"]["supporting"], *search]:
        assert (task.light.light.value if task.light else None) == api[task.pk]["light"], task.code
    # Its own lead tasks: its own slice, as its dashboards' task list shows them.
    own = {row.task_id: row.light for row in client.get(reverse("dashboard-tasks"), {"plan": plan.pk}).context["rows"]}
    for task in home["mine"]["lead"]:
        assert task.plan_id == plan.pk and task.light.light.value == own[task.pk], task.code
    for task_id in list(api)[:12]:
        page = client.get(reverse("task-detail", args=[task_id])).context
        assert (page["light"].light.value if page["light"] else None) == api[task_id]["light"]
        assert (page["light"].reason if page["light"] else None) == api[task_id]["light_reason"]


def test_the_dispatch_reports_lights_are_the_one_states(world, clock):
    """The November report's light counts are the tasks' state at the report's moment (the end of
    its build day), whenever it is built."""
    scope = report_scope(kind="monthly", year=2026, number=11)
    content = report_content(scope)
    tasks = list(Task.objects.filter(plan=world["demo"], is_active=True).select_related("plan"))
    states = task_states(tasks=tasks, at=scope.at)
    counts = Counter(state.light for state in states.values())
    assert content["summary"]["lights"] == {light: counts.get(light, 0) for light in ("green", "yellow", "red")}
    assert content["summary"]["expected_progress"] == next(iter(states.values())).expected
    # The workbook the office downloads says the same, cell by cell (总体情况: 项目 | 数值).
    sheet = load_workbook(BytesIO(report_xlsx(content)), read_only=True)["总体情况"]
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert [cells[label] for label in ("绿灯任务（项）", "黄灯任务（项）", "红灯任务（项）")] == [
        counts.get(light, 0) for light in ("green", "yellow", "red")]


def test_a_findings_light_is_the_same_on_the_risk_board_and_the_findings_api(client, world, clock):
    """One rule for a rectification still owed (supervision.selectors.owed_light): the dashboards'
    findings as of now and the findings API agree, finding by finding."""
    client.force_login(world["users"]["yingshangban"])
    plan = world["demo"]
    api = {}
    url = reverse("supervision-api:finding-list") + "?page_size=500"
    while url:
        page = client.get(url).json()
        api.update({row["id"]: row["light"] for row in page["results"]})
        url = page["next"]
    board = findings_at(user=world["users"]["yingshangban"], plan=plan, at=NOW)
    assert board, "the present has findings still owed"
    assert {f.finding_id: f.light for f in board} == {f.finding_id: api[f.finding_id] for f in board}
