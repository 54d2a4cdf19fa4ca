"""任务分工表 of the seed plan: content, document order, queries, and the export_plan command."""

from io import BytesIO, StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from reports.ledgers import plan_ledger_xlsx
from reports.selectors.ledgers import office_scope_user
from tasks.models import ActionPlan, Indicator, Task, TaskAssignment, TaskGroup

HEADERS = ["序号", "任务组", "任务编号", "任务名称", "牵头单位", "配合单位", "指标"]
NEW_CITIES = ["沣东新城", "秦汉新城", "沣西新城", "空港新城", "泾河新城"]
DATA_START = 4  # title, export date, header


def read_sheet(content: bytes):
    return load_workbook(BytesIO(content)).active


def rows_by_code(sheet) -> dict[str, dict]:
    rows = sheet.iter_rows(min_row=DATA_START, values_only=True)
    return {row[2]: dict(zip(HEADERS, row, strict=True)) for row in rows}


@pytest.fixture
def office_sheet(office, plan):
    with time_machine.travel("2026-11-29 09:00 +0800", tick=False):
        content, _ = plan_ledger_xlsx(user=office, plan=plan)
    return read_sheet(content)


def test_title_headers_and_layout(office_sheet, plan):
    assert office_sheet["A1"].value == f"{plan.title}任务分工表"
    assert office_sheet["A1"].font.b
    assert office_sheet["A2"].value == "导出日期：2026年11月29日"
    assert [c.value for c in office_sheet[3]] == HEADERS
    assert office_sheet.freeze_panes == "A4"
    assert office_sheet.print_title_rows == "$1:$3"
    assert office_sheet.page_setup.orientation == "landscape"
    assert int(office_sheet.page_setup.paperSize) == 9  # A4


def test_every_active_task_in_document_order(office_sheet):
    codes = list(rows_by_code(office_sheet))
    assert len(codes) == 57  # 47 main tasks, 6 保障措施, 4 工作要求
    assert codes[:4] == ["1.1", "1.2", "1.3", "1.4"]
    assert codes[46] == "10.5"
    assert codes[47:] == [f"保障{n}" for n in range(1, 7)] + [f"要求{n}" for n in range(1, 5)]
    numbers = [office_sheet.cell(row=r, column=1).value for r in range(DATA_START, DATA_START + 57)]
    assert numbers == list(range(1, 58))  # 序号 stored as numbers


def test_groups_and_units_by_full_name(office_sheet):
    rows = rows_by_code(office_sheet)
    assert rows["1.1"]["任务组"] == "（一）着力打通制约项目建设的关键环节"
    assert rows["保障1"]["任务组"] == "保障措施"
    assert rows["2.6"]["牵头单位"] == "新区人社民政局"
    assert "新区人社民政局" not in rows["2.6"]["配合单位"]
    assert "西安住房公积金西咸分中心" in rows["7.4"]["配合单位"]
    assert "西安公积金西咸分中心" not in rows["7.4"]["配合单位"]
    supporting_1_1 = rows["1.1"]["配合单位"].split("、")
    assert all(city in supporting_1_1 for city in NEW_CITIES)
    assert "各新城" not in rows["1.1"]["配合单位"]
    for row in rows.values():  # each unit named once
        names = [n for col in ("牵头单位", "配合单位") if row[col] for n in row[col].split("、")]
        assert len(names) == len(set(names)), row["任务编号"]


def test_units_in_document_order(office_sheet, plan):
    rows = rows_by_code(office_sheet)
    expected = TaskAssignment.objects.filter(task__plan=plan, task__code="1.1", role="supporting")
    names = [a.unit.name for a in expected.select_related("unit").order_by("sort_order")]
    assert rows["1.1"]["配合单位"] == "、".join(names)


def test_indicators_one_per_line(office_sheet):
    rows = rows_by_code(office_sheet)
    lines = rows["2.2"]["指标"].split("\n")
    assert lines[0] == "用水报装办结时间：≤ 3 个工作日（方案期内）"
    assert len(lines) == Indicator.objects.filter(task__code="2.2").count()
    assert rows["1.1"]["指标"] is None


def test_title_formula_is_neutralised(office, plan):
    title = '=HYPERLINK("http://example.invalid/","点此查看")'
    Task.objects.filter(plan=plan, code="1.1").update(title=title)
    content, _ = plan_ledger_xlsx(user=office, plan=plan)
    cell = read_sheet(content).cell(row=DATA_START, column=4)
    assert cell.value == "'" + title
    assert cell.data_type == "s"


def test_retired_tasks_are_left_out(office, plan):
    Task.objects.filter(plan=plan, code="3.2").update(is_active=False)
    rows = rows_by_code(read_sheet(plan_ledger_xlsx(user=office, plan=plan)[0]))
    assert "3.2" not in rows and len(rows) == 56


@pytest.mark.parametrize("active_tasks", [10, 57])
def test_queries_do_not_grow_with_tasks(office, outsider, plan, active_tasks, django_assert_num_queries):
    # Keep the first tasks, and 保障5 so that the outsider still has its one row.
    tasks = Task.objects.filter(plan=plan).order_by("sort_order")
    kept = [*tasks.exclude(code="保障5").values_list("pk", flat=True)[: active_tasks - 1],
            tasks.get(code="保障5").pk]
    tasks.exclude(pk__in=kept).update(is_active=False)
    # Office: 1. tasks with group and plan, 2. assignments with units, 3. indicators.
    with django_assert_num_queries(3):
        _, count = plan_ledger_xlsx(user=office, plan=plan)
    assert count == active_tasks
    # A unit user costs the same: its unit and offices are a subquery of the tasks query.
    with django_assert_num_queries(3):
        _, count = plan_ledger_xlsx(user=outsider, plan=plan)
    assert count == 1


def test_command_writes_the_newest_plan(plan, tmp_path):
    output = tmp_path / "任务分工表.xlsx"
    stdout = StringIO()
    call_command("export_plan", "--output", str(output), stdout=stdout)
    sheet = read_sheet(output.read_bytes())
    assert sheet["A1"].value == f"{plan.title}任务分工表"
    assert len(rows_by_code(sheet)) == 57  # office scope: every task
    assert "57 项任务" in stdout.getvalue()


def test_command_with_plan_id(plan, tmp_path):
    output = tmp_path / "ledger.xlsx"
    call_command("export_plan", "--output", str(output), "--plan", str(plan.pk), stdout=StringIO())
    assert len(rows_by_code(read_sheet(output.read_bytes()))) == 57


def test_command_unknown_plan(plan, tmp_path):
    with pytest.raises(CommandError, match="找不到编号为 999999 的行动方案"):
        call_command("export_plan", "--output", str(tmp_path / "x.xlsx"), "--plan", "999999")
    assert not (tmp_path / "x.xlsx").exists()


def test_command_without_any_plan(db, tmp_path):
    # Inside the test's transaction: the session's seed plan comes back afterwards.
    Indicator.objects.all().delete()
    Task.objects.all().delete()
    TaskGroup.objects.all().delete()
    ActionPlan.objects.all().delete()
    with pytest.raises(CommandError, match="尚未导入任何行动方案"):
        call_command("export_plan", "--output", str(tmp_path / "x.xlsx"))
    assert not (tmp_path / "x.xlsx").exists()


def test_office_scope_user_sees_everything(plan):
    user = office_scope_user()
    assert user.pk is None and user.sees_everything
