"""The task, findings and indicator ledgers (工作台账) as downloaded: columns, typed cells, lamp
fills and the government layout read back with openpyxl; filters of the list pages; unit scope;
the query budget; bad input.

The data: June 2022 (due 7 July) on the seed plan, exported on 20 July 2022, when 85% of the
plan's time has elapsed (序时进度):
- 1.1 (lead 行政审批局) reported 90% with a 本月进展 that looks like a formula → green;
- 6.3 (lead 行政审批局) reported 75% → 10 points behind → yellow;
- 7.2 (leads 行政审批局 and 信息办) reported 40% and 70% → red, one row with both units' texts;
- every other task has no June report → red (逾期未报).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reports.models import ExportJob
from tasks.models import Indicator, ProgressReport, Task, TaskGroup, Unit
from tasks.services import dispatch
from tests.factories import UserFactory
from tests.matrix import assert_login_redirect, signed_in
from tests.supervision_data import frozen

FILED = dt.date(2022, 7, 5)
EXPORTED = dt.date(2022, 7, 20)
TASK_HEADERS = ["序号", "任务组", "任务", "牵头单位", "配合单位", "年度目标/指标", "完成时限", "本月进展", "存在问题",
                "下月计划", "完成进度（%）", "灯", "审核状态"]
FINDING_HEADERS = ["序号", "问题编号", "督查轮次", "发现日期", "相关任务", "责任单位", "问题描述", "严重程度",
                   "整改时限（工作日）", "整改截止日期", "状态", "整改措施", "整改结果", "销号日期", "逾期工作日", "灯"]
FORMULA = '=HYPERLINK("http://example.invalid","点击")'
GREEN, YELLOW, RED = "00C6EFCE", "00FFEB9C", "00FFC7CE"


def report(user, code: str, period, **data) -> ProgressReport:
    task = Task.objects.get(code=code)
    actuals = data.pop("actuals", None)
    saved = dispatch.report_save(user=user, task=task, period=period, data=dispatch.ReportInput(**data), actuals=actuals)
    return dispatch.filing_submit(user=user, filing=saved)


@pytest.fixture
def info_user(plan):
    return UserFactory.in_unit("新区信息办", username="info")


@pytest.fixture
def june(plan, lead_user, info_user):
    with frozen(FILED):
        period = dispatch.period_open(year=2022, month=6)
        report(lead_user, "1.1", period, completed=FORMULA, problems="无", next_plan="继续推进", progress=90)
        report(lead_user, "6.3", period, completed="压减中介收费", problems="", next_plan="巩固", progress=75)
        actuals = {i.pk: Decimal("2") for i in Indicator.objects.filter(task__code="7.2", year=2022)}
        report(lead_user, "7.2", period, completed="审批局推进八办", problems="系统对接慢", next_plan="上线",
               progress=40, actuals=actuals)
        report(info_user, "7.2", period, completed="信息办建设平台", problems="", next_plan="联调", progress=70)
    return period


def download(client, name: str, **params):
    with frozen(EXPORTED, hour=10):
        return client.get(reverse(name), params)


def workbook_of(response):
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(BytesIO(b"".join(response.streaming_content)))


def rows_by_code(sheet) -> dict[str, tuple]:
    """Data rows (from row 4) keyed by task code (the 任务 column starts with it)."""
    return {row[2].value.split(" ")[0]: row for row in sheet.iter_rows(min_row=4)}


# --- task ledger -------------------------------------------------------------------------------


def test_task_ledger_layout(client, office, plan, june):
    sheet = workbook_of(download(signed_in(client, office), "task-ledger", plan=plan.pk)).active
    assert sheet.title == "任务台账"
    title = sheet["A1"].value
    assert plan.title in title and "截至2022年7月20日" in title
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 16
    assert sheet["A2"].value.startswith("进展填报期：2022年6月")
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:M1", "A2:M2"}
    assert [c.value for c in sheet[3]] == TASK_HEADERS
    assert all(c.font.b and c.fill.fgColor.rgb == "00D9E1F2" for c in sheet[3])
    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows == "$1:$3"
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.column_dimensions["H"].width == 32
    assert sheet["H4"].alignment.wrap_text and sheet["H4"].border.left.style == "thin"
    codes = [code for code in rows_by_code(sheet)]
    assert codes == list(Task.objects.filter(plan=plan, is_active=True).order_by("sort_order").values_list("code", flat=True))
    assert [sheet.cell(row=r, column=1).value for r in (4, 5, 6)] == [1, 2, 3]


def test_task_ledger_cells_typed_and_lit(client, office, plan, june):
    rows = rows_by_code(workbook_of(download(signed_in(client, office), "task-ledger", plan=plan.pk)).active)
    one = rows["1.1"]
    assert one[3].value == "新区行政审批与政务服务局"
    assert one[10].value == 90 and one[10].data_type == "n"
    assert (one[11].value, one[11].fill.fgColor.rgb) == ("绿灯", GREEN)
    assert one[12].value == "待审核"
    assert (rows["6.3"][11].value, rows["6.3"][11].fill.fgColor.rgb) == ("黄灯", YELLOW)
    two = rows["7.2"]
    assert two[7].value == "【行政审批局】审批局推进八办\n【信息办】信息办建设平台"
    assert two[8].value == "【行政审批局】系统对接慢"
    assert two[10].value == 55  # the task's progress: its lead units' mean, (40 + 70) / 2, as the API gives it
    assert (two[11].value, two[11].fill.fgColor.rgb) == ("红灯", RED)
    assert two[12].value == "行政审批局：待审核\n信息办：待审核"
    assert two[5].value is None  # its indicators are 2020's; the ledger shows June 2022's year
    assert rows["2.2"][5].value.split("\n")[0] == "用水报装办结时间：≤ 3 个工作日（方案期内）"
    unreported = rows["1.2"]
    assert unreported[7].value is None and unreported[10].value == 0  # nothing reported: 0 %, as for its light
    assert (unreported[11].value, unreported[11].fill.fgColor.rgb) == ("红灯", RED)
    assert unreported[12].value == "交易办：未报送\n财政局：未报送"  # two lead units, none reported
    assert rows["要求1"][6].value.startswith("各牵头单位按照总体目标")  # 完成时限: the task's 时间节点


def test_typed_text_is_never_a_formula(client, office, plan, june):
    cell = rows_by_code(workbook_of(download(signed_in(client, office), "task-ledger", plan=plan.pk)).active)["1.1"][7]
    assert cell.data_type == "s"
    assert cell.value == "'" + FORMULA


def test_task_list_filters_apply(client, office, plan, june):
    group = TaskGroup.objects.get(plan=plan, number=7, kind="main")
    unit = Unit.objects.get(name="新区行政审批与政务服务局")
    response = download(signed_in(client, office), "task-ledger", plan=plan.pk, group=group.pk, unit=unit.pk, role="lead")
    codes = list(rows_by_code(workbook_of(response).active))
    expected = Task.objects.filter(group=group, is_active=True).for_unit(unit, "lead").order_by("sort_order")
    assert codes == list(expected.values_list("code", flat=True))
    assert "7.2" in codes and "7.4" not in codes
    text = download(signed_in(client, office), "task-ledger", q="八办")
    assert list(rows_by_code(workbook_of(text).active)) == ["7.2"]


def test_period_selector(client, office, plan, june):
    with frozen(FILED):
        may = dispatch.period_open(year=2022, month=5)
    sheet = workbook_of(download(signed_in(client, office), "task-ledger", plan=plan.pk, period=may.pk)).active
    assert sheet["A2"].value.startswith("进展填报期：2022年5月")
    rows = rows_by_code(sheet)
    # May's reports: none. 完成进度 and the light are the task's state (now, no ?month=): June's 90.
    assert all(row[7].value is None for row in rows.values())
    assert rows["1.1"][12].value == "未报送" and rows["1.1"][10].value == 90


@pytest.mark.parametrize(("params", "message"), [
    ({"period": "abc"}, "填报期"),
    ({"period": "999999"}, "填报期"),
    ({"unit": "999999"}, "单位"),
    ({"role": "boss"}, "角色"),
])
def test_bad_filters_answer_400_and_write_nothing(client, office, june, settings, params, message):
    settings.LEDGER_INLINE_MAX_ROWS = 0  # even a job would be queued, were the input good
    response = download(signed_in(client, office), "task-ledger", **params)
    assert response.status_code == 400
    assert response.content.decode().startswith("无法导出台账：") and message in response.content.decode()
    assert not ExportJob.objects.exists()


# --- scope and permissions -----------------------------------------------------------------------

LEDGERS = ["task-ledger", "finding-ledger", "indicator-ledger"]


@pytest.mark.parametrize("name", LEDGERS)
def test_anonymous_is_sent_to_login(client, plan, name):
    url = reverse(name)
    assert_login_redirect(client.get(url), url)


@pytest.mark.parametrize("name", LEDGERS)
@pytest.mark.parametrize("persona", ["office", "inspector", "leader", "lead_user", "supporting_user", "outsider"],
                         indirect=True)
def test_every_signed_in_persona_downloads(client, plan, persona, name):
    response = download(signed_in(client, persona), name)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.wsgi_request.method == "GET"


@pytest.mark.parametrize("name", LEDGERS)
def test_downloads_take_get_only(client, office, plan, name):
    assert signed_in(client, office).post(reverse(name)).status_code == 405


@pytest.mark.parametrize(("persona", "sees"), [
    ("office", None), ("lead_user", None), ("outsider", ["保障5"]),
], indirect=["persona"])
def test_a_unit_exports_only_its_tasks(client, plan, june, persona, sees):
    codes = list(rows_by_code(workbook_of(download(signed_in(client, persona), "task-ledger", plan=plan.pk)).active))
    visible = Task.objects.visible_to(persona).active().filter(plan=plan).order_by("sort_order")
    assert codes == list(visible.values_list("code", flat=True))
    if sees:
        assert codes == sees


def test_a_unit_reads_its_own_drafts_and_nobody_elses(client, plan, june, lead_user, office):
    with frozen(FILED):
        task = Task.objects.get(code="1.3")
        dispatch.report_save(user=lead_user, task=task, period=june, data=dispatch.ReportInput(completed="草稿内容"))
    own = rows_by_code(workbook_of(download(signed_in(client, lead_user), "task-ledger", plan=plan.pk)).active)
    # 1.3 has three lead units: each unit's text and status under its name.
    assert own["1.3"][7].value == "【行政审批局】草稿内容"
    assert own["1.3"][12].value == "行政审批局：草稿\n规划住建局：未报送\n自然资源局：未报送"
    client.logout()
    office_rows = rows_by_code(workbook_of(download(signed_in(client, office), "task-ledger", plan=plan.pk)).active)
    assert office_rows["1.3"][7].value is None
    assert office_rows["1.3"][12].value == "行政审批局：未报送\n规划住建局：未报送\n自然资源局：未报送"


# --- query budget --------------------------------------------------------------------------------


STATE_ONCE, STATE_PER_CHUNK = 3, 3
LEDGER_QUERIES = 11 + STATE_ONCE + STATE_PER_CHUNK


def test_task_ledger_queries_do_not_grow_with_rows(client, office, plan, june, settings, django_assert_num_queries):
    settings.LEDGER_CHUNK_ROWS = 100  # every row of the plan in one chunk (see the next test for more)
    signed_in(client, office)
    # session, user, the chosen plan (filter validation), the period (?period absent: the newest
    # with a submitted report), the plans of the rows (title), count, tasks (with group and plan),
    # assignments with units, indicators, the scope of the reports' visibility (user's units),
    # the period's reports; then the lights, from the tasks' state now (no ?month=), one
    # PlanStateReader for the plan: once, STATE_ONCE (the calendar of the plan's last due date,
    # the periods it owes, the calendar over them), and per chunk STATE_PER_CHUNK (the lead units
    # in force, their reports, their returns).
    with django_assert_num_queries(LEDGER_QUERIES):
        few = download(client, "task-ledger", plan=plan.pk, q="八办")
    with django_assert_num_queries(LEDGER_QUERIES):
        many = download(client, "task-ledger", plan=plan.pk)
    assert len(rows_by_code(workbook_of(few).active)) == 1
    assert len(rows_by_code(workbook_of(many).active)) == 57


def test_task_ledger_reads_in_chunks(client, office, plan, june, settings, django_assert_num_queries):
    """Six queries more per further chunk of LEDGER_CHUNK_ROWS rows (assignments, indicators,
    reports, and the state's STATE_PER_CHUNK: lead units in force, their reports then, their
    returns — what the plan's tasks share is read once, by the plan's one reader); never one per
    row."""
    settings.LEDGER_CHUNK_ROWS = 20
    signed_in(client, office)
    # The eighteen above, with 57 rows in three chunks. SQLite has no server-side cursor: the
    # task query is read once, in chunks from the one cursor; the users' units are cached.
    with django_assert_num_queries(LEDGER_QUERIES + 2 * (3 + STATE_PER_CHUNK)):
        response = download(client, "task-ledger", plan=plan.pk)
    assert len(rows_by_code(workbook_of(response).active)) == 57


@pytest.mark.parametrize("month", ["2022-06", "2022-07", ""])
def test_the_light_column_equals_the_task_api_for_the_same_plan_and_month(client, office, plan, june, month):
    """One computation: the ledger's 红黄绿灯 of every task is the task API's light for the same
    plan and ?month= (now without one), task by task."""
    labels = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", None: None}
    signed_in(client, office)
    sheet = workbook_of(download(client, "task-ledger", plan=plan.pk, month=month)).active
    ledger = {code: row[11].value for code, row in rows_by_code(sheet).items()}
    with frozen(EXPORTED, hour=10):  # the moment of the export
        api = client.get(reverse("api:task-list"), {"plan": plan.pk, "month": month, "page_size": 500}).json()["results"]
    assert ledger == {task["code"]: labels[task["light"]] for task in api}
    assert len(ledger) == 57  # every task in force: 47 main tasks, 6 safeguards, 4 requirements


def test_a_bad_month_is_refused(client, office, plan, june):
    response = download(signed_in(client, office), "task-ledger", plan=plan.pk, month="2022-13")
    assert response.status_code == 400
    assert "月份格式应为" in response.content.decode()
