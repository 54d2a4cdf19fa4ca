"""The dispatch report's contents (月调度报告, 半年/年度材料) on a small hand-made month, checked
against values computed by hand, and the workbook read back with openpyxl.

The month is October 2025 of a plan running 2025–2026 (the seed plan ran 2020–2022):
- group 1 「优化审批服务」: 1.1 (lead 审批局), 1.2 (lead 改革创新发展局), 1.3 (lead 沣东新城);
  group 2 「提升政务服务」: 2.1 (lead 审批局).
- October's reports are due on Friday 7 November 2025 (the 5th working day); the report is built
  on Monday 10 November, the next working day.
- 1.1 submitted on 3 November at 60 %, returned on 4 November with 「请补充佐证材料。」;
  1.2 submitted late on 10 November at 40 % (its text starts with 「=」), approved;
  1.3 only a draft (「草稿内容不得外泄」) — missing; 2.1 submitted on 5 November at 80 %, awaiting review.
- findings: one found on 9 October with 5 working days (due 15 October, still open: overdue);
  one found in September and closed on 20 October; one closed in September and one found in
  November (both outside October).
- September's and October's 通报 each have one entry; only October's is in the report.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
import time_machine
from openpyxl import load_workbook

from reports.dispatch_report import ReportScopeError, report_content, report_scope
from reports.dispatch_report_xlsx import report_xlsx
from supervision.choices import FindingStatus, ItemKind, Level
from supervision.models import Bulletin, Escalation, Finding
from tasks.choices import AssignmentRole, Comparator, GroupKind
from tasks.models import Indicator, Task, TaskAssignment, TaskGroup
from tasks.services.dispatch import (
    ReportInput,
    filing_review,
    filing_submit,
    period_open,
    report_save,
)
from tests.supervision_data import (
    LEAD_UNIT,
    OTHER_UNIT,
    STAFFLESS_UNIT,
    d,
    frozen,
    make_finding,
    make_round,
    small_plan,
    staff,
    unit,
)

pytestmark = pytest.mark.django_db

BUILD_DAY = d("2025-11-10")


def submit(user, task, period, *, on: str, progress: int, completed: str = "已完成本月工作。", actuals=None):
    with frozen(d(on), hour=10):
        report = report_save(user=user, task=task, period=period, actuals=actuals,
                             data=ReportInput(completed=completed, problems="无", next_plan="继续推进。", progress=progress))
        return filing_submit(user=user, filing=report)


def closed_for_the_test(finding: Finding, at: dt.datetime) -> None:
    """Closed at ``at``, and so recorded in its history (the report reads findings as they stood)."""
    with time_machine.travel(at, tick=False):
        finding.status, finding.closed_at = FindingStatus.CLOSED, at
        finding.save(update_fields=["status", "closed_at"])


def october(office, inspector, lead_user, supporting_user) -> SimpleNamespace:
    """The month described in the module's docstring."""
    t11, t12, t13 = small_plan(leads=(LEAD_UNIT, STAFFLESS_UNIT, OTHER_UNIT))
    plan = t11.plan
    group2 = TaskGroup.objects.create(plan=plan, kind=GroupKind.MAIN, number=2, title="提升政务服务")
    t21 = Task.objects.create(plan=plan, group=group2, number=1, code="2.1", title="测试任务四", text="内容", sort_order=4)
    TaskAssignment.objects.create(task=t21, unit=unit(LEAD_UNIT), role=AssignmentRole.LEAD)
    indicator = Indicator.objects.create(
        plan=plan, task=t11, key="approval-days", name="审批办结时间", year=2025, comparator=Comparator.LE,
        target_value=Decimal("40"), unit_of_measure="个工作日", source_excerpt="≤40个工作日", sort_order=1)
    Indicator.objects.create(plan=plan, key="online-share", name="一网通办比例", year=2025, comparator=Comparator.GE,
                             target_value=Decimal("90"), unit_of_measure="%", source_excerpt="90%", sort_order=2)
    Indicator.objects.create(plan=plan, key="old-year", name="上年指标", year=2026, comparator=Comparator.GE,
                             target_value=Decimal("1"), unit_of_measure="项", source_excerpt="1项", sort_order=3)
    with frozen(d("2025-10-01"), hour=8):
        period = period_open(year=2025, month=10)
    reform = staff(STAFFLESS_UNIT, username="reform")
    r11 = submit(lead_user, t11, period, on="2025-11-03", progress=60, actuals={indicator.pk: Decimal("35")})
    with frozen(d("2025-11-04")):
        filing_review(user=office, filing=r11, action="return", comment="请补充佐证材料。")
    r12 = submit(reform, t12, period, on="2025-11-10", progress=40, completed="=1+1 完成了公式一样的工作")
    with frozen(d("2025-11-10"), hour=15):
        filing_review(user=office, filing=r12, action="approve")
    with frozen(d("2025-11-03")):
        report_save(user=supporting_user, task=t13, period=period,
                    data=ReportInput(completed="草稿内容不得外泄", progress=90))
    submit(lead_user, t21, period, on="2025-11-05", progress=80)

    q3, q4 = make_round(inspector, year=2025, quarter=3), make_round(inspector, year=2025, quarter=4)
    overdue = make_finding(inspector, q4, found_on=d("2025-10-09"), description="窗口未落实一次性告知。")
    closed = make_finding(inspector, q3, found_on=d("2025-09-19"), unit_name=STAFFLESS_UNIT, description="材料不全。")
    closed_for_the_test(closed, dt.datetime(2025, 10, 20, 9, tzinfo=dt.UTC))
    early = make_finding(inspector, q3, found_on=d("2025-08-01"), description="八月的问题。")
    closed_for_the_test(early, dt.datetime(2025, 9, 1, 9, tzinfo=dt.UTC))
    make_finding(inspector, q4, found_on=d("2025-11-03"), description="十一月的问题。")

    for month, finding in ((9, early), (10, overdue)):
        bulletin = Bulletin.objects.create(year=2025, month=month, compiled_at=dt.datetime(2025, month + 1, 1, tzinfo=dt.UTC))
        Escalation.objects.create(key=f"test:{month}", level=Level.BULLETIN, item_kind=ItemKind.FINDING, finding=finding,
                                  unit=finding.unit, due_date=finding.due_date, overdue_days=16,
                                  message=f"{month}月：逾期未整改。", bulletin=bulletin)
    return SimpleNamespace(plan=plan, period=period, tasks=(t11, t12, t13, t21), overdue=overdue, closed=closed)


@pytest.fixture
def month(office, inspector, lead_user, supporting_user):
    return october(office, inspector, lead_user, supporting_user)


def build(kind: str = "monthly", number: int = 10, today: dt.date = BUILD_DAY) -> dict:
    with frozen(today):
        return report_content(report_scope(kind=kind, year=2025, number=number))


# --- the monthly report ------------------------------------------------------------------------


def test_summary_figures(month):
    summary = build()["summary"]
    # 4 returns owed; 1.1 and 2.1 on time, 1.2 late, 1.3 a draft only; progress (60+40+0+80)/4;
    # every figure as of one moment, the build on 10 November (the scheduled build day): 序时进度
    # of 2025–2026 then is 313 of 729 days.
    assert summary == {
        "tasks": 4, "lead_units": 3, "due": 4, "submitted": 3, "on_time": 2, "late": 1, "missing": 1,
        "approved": 1, "returned": 1, "awaiting": 1, "on_time_rate": 50.0,
        "average_progress": 45.0, "expected_progress": 43,
        # On 10 November: 1.3's October report is overdue (red); the rest are ahead of 43 %.
        "lights": {"green": 3, "yellow": 0, "red": 1}, "lights_as_of": "2025-11-10",
    }


def test_groups(month):
    assert build()["groups"] == [
        {"numeral": "（一）", "title": "优化审批服务", "tasks": 3, "average_progress": 33.3, "expected_progress": 43,
         "lights": {"green": 2, "yellow": 0, "red": 1}},
        {"numeral": "（二）", "title": "提升政务服务", "tasks": 1, "average_progress": 80.0, "expected_progress": 43,
         "lights": {"green": 1, "yellow": 0, "red": 0}},
    ]


def test_each_units_return_with_its_review(month):
    rows = build()["returns"]
    assert [(r["task_code"], r["unit"], r["progress"], r["submitted_at"], r["late"], r["status_label"],
             r["return_comments"]) for r in rows] == [
        ("1.1", LEAD_UNIT, 60, "2025-11-03 10:00", False, "已退回", ["请补充佐证材料。"]),
        ("1.2", STAFFLESS_UNIT, 40, "2025-11-10 10:00", True, "已通过", []),
        ("2.1", LEAD_UNIT, 80, "2025-11-05 10:00", False, "待审核", []),
    ]
    assert (rows[0]["completed"], rows[0]["next_plan"], rows[0]["problems"]) == ("已完成本月工作。", "继续推进。", "无")


def test_a_draft_is_never_in_the_report(month):
    content = build()
    assert "草稿内容不得外泄" not in str(content)
    assert OTHER_UNIT not in {r["unit"] for r in content["returns"]}


def test_missing_and_late_returns(month):
    rows = build()["missing"]
    assert [(r["task_code"], r["unit"], r["due_date"], r["state"], r["submitted_at"], r["overdue_days"])
            for r in rows] == [
        ("1.2", STAFFLESS_UNIT, "2025-11-07", "逾期报送", "2025-11-10 10:00", 0),
        # Due Friday 7 November; Monday 10 November is one working day later.
        ("1.3", OTHER_UNIT, "2025-11-07", "未报", "", 1),
    ]


def test_findings_of_the_month(month):
    findings = build()["findings"]
    assert findings["counts"] == {"open": 1, "rectifying": 0, "submitted": 0, "closed": 1, "total": 2,
                                  "overdue": 1, "found": 1, "closed_in_period": 1}
    rows = {r["number"]: r for r in findings["rows"]}
    assert set(rows) == {month.overdue.number, month.closed.number}
    overdue = rows[month.overdue.number]
    # Five working days from Thursday 9 October, the make-up Saturday 11 October among them: due
    # Wednesday 15 October; 16 October to 10 November holds 18 working days.
    assert (overdue["due_date"], overdue["status_label"], overdue["overdue_days"]) == ("2025-10-15", "待整改", 18)
    assert rows[month.closed.number]["closed_at"] == "2025-10-20 17:00"


def test_the_months_bulletin(month):
    assert build()["bulletins"] == [{
        "month": "2025年10月", "unit": LEAD_UNIT, "item": f"督查问题 {month.overdue.number}",
        "reason": "10月：逾期未整改。", "due_date": "2025-10-15", "overdue_days": 16,
    }]


def test_the_monthly_report_has_its_sections_in_order(month):
    content = build()
    assert [s["key"] for s in content["sections"]] == ["summary", "groups", "returns", "missing", "findings", "bulletins"]
    assert (content["title"], content["period"], content["as_of"]) == (
        "2025年10月调度报告", {"label": "2025年10月", "start": "2025-10-01", "end": "2025-10-31"}, "2025-11-10")


# --- the packs -------------------------------------------------------------------------------


def test_the_half_year_pack_covers_its_opened_months(month):
    with frozen(d("2025-12-01"), hour=8):
        period_open(year=2025, month=11)
    content = build("half_year", 2, today=d("2026-01-12"))
    assert [s["key"] for s in content["sections"]] == [
        "summary", "months", "groups", "units", "missing", "findings", "bulletins", "indicators"]
    assert content["period"] == {"label": "2025年下半年", "start": "2025-07-01", "end": "2025-12-31"}
    # October as above; nobody reported for November (due 5 December).
    assert [(m["period"], m["due"], m["on_time"], m["late"], m["missing"], m["on_time_rate"]) for m in content["months"]] == [
        ("2025年10月", 4, 2, 1, 1, 50.0), ("2025年11月", 4, 0, 0, 4, 0.0)]
    assert [(u["unit"], u["tasks"], u["due"], u["on_time"], u["late"], u["missing"], u["returned"], u["on_time_rate"])
            for u in content["units"]] == [
        (LEAD_UNIT, 2, 4, 2, 0, 2, 1, 50.0),
        (STAFFLESS_UNIT, 1, 2, 0, 1, 1, 0, 0.0),
        (OTHER_UNIT, 1, 2, 0, 0, 2, 0, 0.0),
    ]
    assert len(content["missing"]) == 1 + 1 + 4
    assert [b["month"] for b in content["bulletins"]] == ["2025年9月", "2025年10月"]  # both in the half


def test_indicators_against_their_yearly_targets(month):
    rows = build("annual", 0, today=d("2026-01-12"))["indicators"]
    assert [(r["name"], r["task_code"], r["target"], r["actual"], r["attainment"]) for r in rows] == [
        ("审批办结时间", "1.1", "≤ 40 个工作日", 35.0, "达标"),
        ("一网通办比例", "", "≥ 90 %", None, "未报"),
    ]


def test_a_period_without_plan_or_reporting_cannot_have_a_report(month):
    with pytest.raises(ReportScopeError, match="2030年1月没有行动方案在执行期内"):
        report_scope(kind="monthly", year=2030, number=1)
    with pytest.raises(ReportScopeError, match="2025年1月还没有打开过填报期"):
        report_scope(kind="monthly", year=2025, number=1)
    with pytest.raises(ReportScopeError, match="期次应为 1—2"):
        report_scope(kind="half_year", year=2025, number=3)


# --- the workbook ------------------------------------------------------------------------------


def workbook(content: dict):
    return load_workbook(BytesIO(report_xlsx(content)))


def test_the_workbook_has_a_sheet_per_section_in_the_government_layout(month):
    book = workbook(build())
    assert book.sheetnames == ["总体情况", "各任务组进展", "各单位报送情况", "未报和逾期报送", "督查发现问题整改情况", "通报"]
    sheet = book["各单位报送情况"]
    assert sheet["A1"].value == "2025年10月调度报告——各单位报送情况"
    assert "A1:L1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows == "$1:$3"
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
    assert [c.value for c in sheet[3]][:4] == ["序号", "任务编号", "任务名称", "牵头单位"]
    assert sheet["A3"].font.bold


def test_workbook_cells_are_typed_and_never_formulas(month):
    book = workbook(build())
    returns = book["各单位报送情况"]
    row = {returns.cell(row=3, column=c).value: returns.cell(row=5, column=c).value for c in range(1, 13)}
    assert row["任务编号"] == "1.2"
    assert row["本月完成情况"] == "'=1+1 完成了公式一样的工作"  # a formula typed by a unit stays text
    assert row["完成进度（%）"] == 40
    assert row["提交时间"].isoformat() == "2025-11-10T10:00:00"  # Xixian time, as Excel has no zones
    assert row["是否逾期"] == "逾期"
    assert returns.cell(row=4, column=12).value == "请补充佐证材料。"
    missing = book["未报和逾期报送"]
    assert missing.cell(row=5, column=6).value.isoformat() == "2025-11-07T00:00:00"  # a date cell
    assert missing.cell(row=5, column=6).number_format == "yyyy-mm-dd"
    summary = {r[0].value: r[1].value for r in book["总体情况"].iter_rows(min_row=4)}
    assert (summary["应报送（份）"], summary["按时报送率（%）"], summary["红灯任务（项）"], summary["逾期未整改（个）"]) == (
        4, 50.0, 1, 1)


def test_the_packs_workbook(month):
    book = workbook(build("annual", 0, today=d("2026-01-12")))
    assert book.sheetnames == ["总体情况", "各月报送情况", "各任务组进展", "各单位报送统计", "未报和逾期报送",
                               "督查发现问题整改情况", "通报", "指标完成情况"]
    indicators = book["指标完成情况"]
    assert [c.value for c in indicators[4]] == [1, "审批办结时间", "1.1", "≤ 40 个工作日", "2025年", 35, "个工作日", "达标"]


def test_a_past_month_rebuilt_later_gives_the_same_figures(month, lead_user, office):
    """Every figure is as of the end of the month's scheduled build day (10 November 2025): built
    then or months later, the report says the same, and says as of when — though 1.1's returned
    report was resubmitted and approved, and the overdue finding closed, after it was built."""
    on_time = build()
    r11 = submit(lead_user, month.tasks[0], month.period, on="2025-12-01", progress=95)  # resubmitted
    with frozen(d("2025-12-02")):
        filing_review(user=office, filing=r11, action="approve")
    closed_for_the_test(month.overdue, dt.datetime(2025, 12, 3, 9, tzinfo=dt.UTC))
    later = build(today=d("2026-03-02"))
    assert later == on_time
    assert later["summary"]["lights_as_of"] == "2025-11-10"
