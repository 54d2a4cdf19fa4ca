"""Import of the seed plan from its official text: structure, units, indicators, idempotence."""

import re
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tasks.choices import AssignmentRole, GroupKind
from tasks.models import ActionPlan, Indicator, PlanTarget, Task, TaskAssignment, TaskGroup
from tasks.plan_text import PlanTextError, chinese_numeral, parse_clause, parse_numeral, parse_plan
from tasks.services import PlanImportError, plan_import
from tests.conftest import load_seed_plan

SEED_TEXT = settings.SEED_PLAN_PATH.read_text(encoding="utf-8")
NEW_CITIES = ["沣东新城", "秦汉新城", "沣西新城", "空港新城", "泾河新城"]


def units(plan, code, role):
    task = Task.objects.get(plan=plan, code=code)
    return [u.name for u in task.units_in_role(role)]


def lead(plan, code):
    return units(plan, code, AssignmentRole.LEAD)


def supporting(plan, code):
    return units(plan, code, AssignmentRole.SUPPORTING)


def test_numerals_round_trip():
    for number in range(1, 40):
        assert parse_numeral(chinese_numeral(number)) == number
    assert chinese_numeral(10) == "十" and chinese_numeral(12) == "十二"


def test_structure_of_the_seed_plan(plan):
    assert plan.title == "西咸新区优化营商环境推进重大项目建设三年行动方案（2020年—2022年）"
    assert (plan.start_year, plan.end_year) == (2020, 2022)
    main = TaskGroup.objects.filter(plan=plan, kind=GroupKind.MAIN).order_by("number")
    assert [g.tasks.count() for g in main] == [4, 6, 3, 5, 3, 3, 6, 6, 6, 5]
    assert main[0].title == "着力打通制约项目建设的关键环节"
    assert Task.objects.filter(plan=plan, group__kind=GroupKind.MAIN).count() == 47
    assert Task.objects.filter(plan=plan, group__kind=GroupKind.SAFEGUARD).count() == 6
    assert Task.objects.filter(plan=plan, group__kind=GroupKind.REQUIREMENT).count() == 4
    assert list(PlanTarget.objects.filter(plan=plan).values_list("year", flat=True)) == [2020, 2021, 2022]


def test_task_text_and_title(plan):
    task = Task.objects.get(plan=plan, code="1.2")
    assert task.title == "促进招标投标市场公平竞争"
    assert "bookmark" not in task.text and "牵头单位" not in task.text
    assert Task.objects.get(plan=plan, code="7.3").title == "全面推开“三服四化”改革"  # 「3.」 numbering


def test_work_requirements_keep_time_nodes(plan):
    first = Task.objects.get(plan=plan, code="要求1")
    assert first.title == "制定配套方案"
    assert "2月份前" in first.time_node
    assert "相关要求" in first.text
    assert "每季度" in Task.objects.get(plan=plan, code="要求2").time_node
    assert plan.closing_text.startswith("本行动方案由")


def test_every_task_has_a_lead_unit(plan):
    without_lead = Task.objects.filter(plan=plan).exclude(group__kind=GroupKind.REQUIREMENT).exclude(
        assignments__role=AssignmentRole.LEAD
    )
    assert list(without_lead) == []


class TestIrregularUnitNames:
    """Each irregularity PRODUCT.md lists, resolved as the document means it."""

    def test_inherited_xinqu_prefix(self, plan):
        # 「新区改革创新发展局、规划与住房城乡建设局、自然资源局、生态环境局」
        assert supporting(plan, "1.1")[:4] == [
            "新区改革创新发展局", "新区规划与住房城乡建设局", "新区自然资源局", "新区生态环境局",
        ]

    def test_renshe_short_name(self, plan):
        assert "新区人社民政局" in supporting(plan, "3.2")  # 「新区人社局」

    def test_housing_fund_naming(self, plan):
        assert "西安住房公积金西咸分中心" in supporting(plan, "7.4")  # 「西安公积金西咸分中心」
        assert "西安住房公积金西咸分中心" in supporting(plan, "6.1")

    def test_missing_ju(self, plan):
        assert lead(plan, "4.1")[0] == "新区城市管理与交通运输局"  # 「新区城市管理与交通运输」

    def test_comma_before_supporting_units(self, plan):
        # 「（牵头单位：新区税务局、财政局、市场监督管理局，配合单位：…）」
        assert lead(plan, "6.1") == ["新区税务局", "新区财政局", "新区市场监督管理局"]
        assert "新区人社民政局" in supporting(plan, "6.1")
        assert lead(plan, "8.2") == ["新区市场监督管理局"]
        assert supporting(plan, "8.2")[0] == "新区党工委政法工作部"

    def test_each_new_city_expands_to_five(self, plan):
        assert supporting(plan, "1.1")[-5:] == NEW_CITIES
        assert lead(plan, "2.1")[-5:] == NEW_CITIES  # 「各新城管委会」

    def test_collective_stays_collective(self, plan):
        assert supporting(plan, "1.2")[0] == "新区各相关部门"
        assert "新区各相关部门" in supporting(plan, "8.5")  # 「各相关部门」 without 新区

    def test_offices_inside_departments(self, plan):
        assert lead(plan, "2.5") == ["新区改革创新发展局（金融办）"]
        assert lead(plan, "4.5")[0] == "新区党工委组织部（编办）"
        assert "新区党工委组织部（营商办）" in lead(plan, "保障5")  # 「新区营商办」

    def test_unit_named_twice_is_kept_once(self, plan):
        # 2.6 names 人社民政局 as lead and again as supporting.
        assert lead(plan, "2.6") == ["新区人社民政局"]
        assert "新区人社民政局" not in supporting(plan, "2.6")

    def test_new_cities_listed_elsewhere_are_not_repeated(self, plan):
        # 5.3: 「空港、沣东、秦汉…；配合单位：…各新城」 → only the two remaining cities support.
        assert [u for u in lead(plan, "5.3") if u in NEW_CITIES] == ["空港新城", "沣东新城", "秦汉新城"]
        assert [u for u in supporting(plan, "5.3") if u in NEW_CITIES] == ["沣西新城", "泾河新城"]

    def test_source_name_is_recorded(self, plan):
        row = TaskAssignment.objects.get(task__plan=plan, task__code="3.2", unit__name="新区人社民政局")
        assert row.source_name == "新区人社局"


def test_parse_clause_with_comma_and_nested_parentheses():
    mentions = parse_clause("牵头单位：新区改革创新发展局（交易办）、财政局，配合单位：新区各相关部门，各新城")
    assert [(m.name, m.role) for m in mentions] == [
        ("新区改革创新发展局（交易办）", "lead"), ("财政局", "lead"),
        ("新区各相关部门", "supporting"), ("各新城", "supporting"),
    ]


def test_indicators_cover_every_number_of_the_plan(plan):
    """No number of the plan may be lost: each figure in a task's text is in one of its indicators."""
    not_targets = {"12345"}  # the 12345 hotline is a name, not a target
    for task in Task.objects.filter(plan=plan).prefetch_related("indicators"):
        text = re.sub(r"\d{4}年|PM2\.5", "", task.text)
        excerpts = " ".join(i.source_excerpt for i in task.indicators.all())
        for number in set(re.findall(r"\d+(?:\.\d+)?", text)) - not_targets:
            assert number in excerpts, f"任务 {task.code} 的数字 {number} 不在任何指标中"
    goals = " ".join(Indicator.objects.filter(plan=plan, task=None).values_list("source_excerpt", flat=True))
    for target in PlanTarget.objects.filter(plan=plan):
        for number in re.findall(r"\d+(?=%|个工作日)", target.text):
            assert number in goals


def test_indicator_values(plan):
    gas = Indicator.objects.get(plan=plan, key="gas-connection-days")
    assert (gas.task.code, gas.target_display) == ("2.4", "7–32 个工作日")
    assert Indicator.objects.get(plan=plan, key="company-startup-days").target_display == "≤ 1.5 个工作日"
    assert Indicator.objects.get(plan=plan, key="school-places-added").target_value == 64170
    years = Counter(Indicator.objects.filter(plan=plan, task=None).values_list("year", flat=True))
    assert years == {2020: 3, 2021: 1, 2022: 1}


def test_reimport_changes_nothing(plan):
    history = sum(model.history.count() for model in (ActionPlan, Task, TaskAssignment, Indicator))
    report = load_seed_plan()
    assert report.pk == plan.pk
    assert sum(model.history.count() for model in (ActionPlan, Task, TaskAssignment, Indicator)) == history


def test_edited_text_updates_in_place_with_history(plan):
    task = Task.objects.get(plan=plan, code="2.2")
    edited = SEED_TEXT.replace("3个工作日内办结用水报装", "2个工作日内办结用水报装").replace(
        "（牵头单位：新区农业农村局；配合单位：新区行政审批与政务服务局、规划与住房城乡建设局、城市管理与交通运输局，各新城，西咸集团）",
        "（牵头单位：新区农业农村局；配合单位：新区行政审批与政务服务局，各新城）",
    )
    report = plan_import(text=edited)
    task.refresh_from_db()
    assert "2个工作日内办结用水报装" in task.text
    assert task.history.count() == 2 and task.history.first().text == task.text
    assert "西咸集团" not in supporting(plan, "2.2")
    assert TaskAssignment.history.filter(task_id=task.pk, history_type="-").count() == 3
    assert any("移除单位 西咸集团" in change for change in report.changes)
    assert ActionPlan.objects.count() == 1


def test_task_dropped_from_text_is_retired_not_deleted(plan):
    edited = re.sub(r"\n6．积极构建优化营商环境法治保障共同体。[^\n]*", "", SEED_TEXT)
    plan_import(text=edited)
    task = Task.objects.get(plan=plan, code="8.6")
    assert task.is_active is False
    assert task.assignments.exists()


def test_unknown_unit_fails_and_writes_nothing(plan):
    counts = (Task.objects.count(), TaskAssignment.objects.count(), TaskAssignment.history.count())
    edited = SEED_TEXT.replace("（牵头单位：新区农业农村局；", "（牵头单位：新区水务局；").replace(
        "3个工作日内办结用水报装", "2个工作日内办结用水报装"
    )
    with pytest.raises(PlanImportError) as error:
        plan_import(text=edited)
    assert "新区水务局" in str(error.value) and "2.2" in str(error.value) and "第 20 行" in str(error.value)
    assert (Task.objects.count(), TaskAssignment.objects.count(), TaskAssignment.history.count()) == counts
    assert "3个工作日内" in Task.objects.get(plan=plan, code="2.2").text


def test_indicator_for_unknown_task_fails(plan):
    with pytest.raises(PlanImportError, match="99.1"):
        plan_import(text=SEED_TEXT, indicators=[{"key": "x", "task": "99.1", "name": "x", "comparator": "le",
                                                 "value": 1, "unit": "个", "source": "x"}])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "文件为空"),
        ("没有标题的文字。\n", "方案标题"),
        ("某某方案（2020年—2022年）\n三、主要任务\n1．没有任务组。（牵头单位：新区财政局）\n", "第一个任务组"),
        ("某某方案（2020年—2022年）\n三、主要任务\n（一）组。\n1．甲。（牵头单位：新区财政局）\n3．乙。（牵头单位：新区财政局）\n",
         "编号不连续"),
        ("某某方案（2020年—2022年）\n三、主要任务\n（一）组。\n1．没有分工的任务。\n", "缺少「（牵头单位"),
    ],
)
def test_malformed_text_is_reported(text, message):
    with pytest.raises(PlanTextError, match=message):
        parse_plan(text)


def test_command_dry_run_prints_table_and_writes_nothing(db, capsys):
    call_command("import_plan", "--dry-run")
    out = capsys.readouterr().out
    assert "继承「新区」前缀" in out and "统称展开" in out and "未写入" in out
    assert "人社局\t别名\t新区人社民政局" in out


def test_command_fails_with_the_name_and_place(tmp_path, plan):
    path = tmp_path / "plan.txt"
    path.write_text(SEED_TEXT.replace("新区农业农村局；", "新区水务局；"), encoding="utf-8")
    with pytest.raises(CommandError, match="新区水务局.*2.2.*第 20 行"):
        call_command("import_plan", str(path))


def test_import_from_docx(tmp_path, plan):
    import docx

    document = docx.Document()
    for line in SEED_TEXT.splitlines():
        document.add_paragraph(line)
    path = tmp_path / "plan.docx"
    document.save(str(path))
    history = Task.history.count()
    call_command("import_plan", str(path), "--indicators", str(settings.SEED_INDICATORS_PATH))
    assert ActionPlan.objects.count() == 1 and Task.history.count() == history


def test_non_utf8_text_is_refused(tmp_path, db):
    path = tmp_path / "plan.txt"
    path.write_bytes(SEED_TEXT.encode("gbk"))
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_plan", str(path))
