"""The findings ledger (督查问题整改台账) and the indicator ledger (指标台账), read back with
openpyxl: columns, real dates and numbers, lamp fills, the findings page's filters, unit scope
and the query budget.

Findings of the 2025 Q3 round, exported on Monday 20 October 2025:
- OVERDUE (行政审批局): found 29 September, 5 working days → due 13 October, 5 working days
  overdue on the 20th → red;
- CLOSED (行政审批局): found 13 October, rectified (measures typed as 「+补充材料」) and closed
  out on the 16th → green;
- SERIOUS (沣东新城): found 13 October, 10 working days, severity 较重 → due 27 October, not yet
  due → green.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from supervision.choices import Severity
from supervision.services import finding_rectification_save, finding_submit, finding_verify
from tasks.models import Indicator, Task, Unit
from tasks.services import dispatch
from tests.matrix import signed_in
from tests.supervision_data import OTHER_UNIT, d, frozen, make_finding, make_round

from .test_reports_ledgers import FINDING_HEADERS, GREEN, RED, report

EXPORTED = d("2025-10-20")


@pytest.fixture
def findings(inspector, lead_user):
    round_ = make_round(inspector)
    overdue = make_finding(inspector, round_, found_on=d("2025-09-29"), description="窗口未落实一次性告知制度。")
    closed = make_finding(inspector, round_, found_on=d("2025-10-13"), description="=CMD()")
    with frozen(d("2025-10-14")):
        finding_rectification_save(user=lead_user, finding=closed, measures="+补充材料", result="已整改")
        finding_submit(user=lead_user, finding=closed)
    with frozen(d("2025-10-16")):
        finding_verify(user=inspector, finding=closed, close=True)
    serious = make_finding(inspector, round_, found_on=d("2025-10-13"), working_days=10, unit_name=OTHER_UNIT,
                           severity=Severity.SERIOUS)
    return {"overdue": overdue, "closed": closed, "serious": serious}


def ledger(client, user, **params):
    """The findings ledger as ``user`` downloads it (None: the client as it is signed in)."""
    with frozen(EXPORTED, hour=10):
        response = signed_in(client, user).get(reverse("finding-ledger"), params)
    assert response.status_code == 200, response.content[:300]
    return load_workbook(BytesIO(b"".join(response.streaming_content))).active


def by_number(sheet) -> dict[str, tuple]:
    return {row[1].value: row for row in sheet.iter_rows(min_row=4)}


def test_findings_ledger_layout_and_cells(client, office, findings):
    sheet = ledger(client, office)
    assert "督查问题整改台账" in sheet["A1"].value and "截至2025年10月20日" in sheet["A1"].value
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:P1", "A2:P2"}
    assert [c.value for c in sheet[3]] == FINDING_HEADERS
    assert sheet.freeze_panes == "A4" and sheet.print_title_rows == "$1:$3"
    assert sheet.page_setup.orientation == "landscape"
    rows = by_number(sheet)
    assert set(rows) == {f.number for f in findings.values()}
    late = rows[findings["overdue"].number]
    assert late[3].is_date and late[3].value.date() == dt.date(2025, 9, 29)
    assert late[9].is_date and late[9].value.date() == dt.date(2025, 10, 13)
    assert late[8].value == 5 and late[8].data_type == "n"
    assert (late[14].value, late[14].data_type) == (5, "n")  # 14–17 and 20 October
    assert (late[15].value, late[15].fill.fgColor.rgb) == ("红灯", RED)
    assert late[13].value is None and late[11].value is None
    done = rows[findings["closed"].number]
    assert done[6].value == "'=CMD()" and done[11].value == "'+补充材料" and done[12].value == "已整改"
    assert done[10].value == "已销号"
    assert done[13].is_date and done[13].value.date() == dt.date(2025, 10, 16)
    assert (done[14].value, done[15].value, done[15].fill.fgColor.rgb) == (0, "绿灯", GREEN)
    assert rows[findings["serious"].number][7].value == "较重"


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "closed"}, ["closed"]),
    ({"overdue": "1"}, ["overdue"]),
    ({"severity": "serious"}, ["serious"]),
    ({"unit": "沣东新城"}, ["serious"]),
])
def test_findings_page_filters_apply(client, office, findings, params, expected):
    if "unit" in params:
        params = {"unit": Unit.objects.get(name=params["unit"]).pk}
    assert set(by_number(ledger(client, office, **params))) == {findings[k].number for k in expected}


@pytest.mark.parametrize("params", [{"status": "bogus"}, {"severity": "x"}, {"unit": "abc"}, {"round": "1x"}])
def test_bad_findings_filters_answer_400(client, office, findings, params):
    response = signed_in(client, office).get(reverse("finding-ledger"), params)
    assert response.status_code == 400 and response.content.decode().startswith("无法导出台账：")


@pytest.mark.parametrize(("persona", "expected"), [
    ("inspector", ["overdue", "closed", "serious"]),
    ("lead_user", ["overdue", "closed"]),
    ("supporting_user", ["serious"]),
    ("outsider", []),
], indirect=["persona"])
def test_a_unit_exports_only_its_findings(client, findings, persona, expected):
    assert set(by_number(ledger(client, persona))) == {findings[k].number for k in expected}


def test_findings_ledger_queries_do_not_grow_with_rows(client, office, findings, django_assert_num_queries):
    signed_in(client, office)
    # session, user, count, findings with round, unit, task and rectification, calendar
    # overrides for the lights (the rows' due dates).
    with django_assert_num_queries(5):
        few = ledger(client, None, status="open", severity="serious")
    with django_assert_num_queries(5):
        many = ledger(client, None)
    assert (len(by_number(few)), len(by_number(many))) == (1, 3)


# --- 指标台账 ------------------------------------------------------------------------------------


@pytest.fixture
def december_2020(plan, lead_user):
    """7.2's six 2020 indicators (= 100%) reported for December 2020: three met, three at 90."""
    with frozen(d("2021-01-05")):
        period = dispatch.period_open(year=2020, month=12)
        indicators = list(Indicator.objects.filter(task__code="7.2", year=2020).order_by("sort_order"))
        actuals = {i.pk: Decimal(100 if n < 3 else 90) for n, i in enumerate(indicators)}
        report(lead_user, "7.2", period, completed="年度完成", next_plan="巩固提升", progress=100, actuals=actuals)
    return indicators


def indicator_ledger(client, user, **params):
    with frozen(dt.date(2022, 7, 20), hour=10):
        response = signed_in(client, user).get(reverse("indicator-ledger"), params)
    assert response.status_code == 200
    return load_workbook(BytesIO(b"".join(response.streaming_content))).active


def test_indicator_ledger_targets_actuals_and_attainment(client, office, plan, december_2020):
    sheet = indicator_ledger(client, office, plan=plan.pk)
    assert plan.title in sheet["A1"].value and "指标台账" in sheet["A1"].value
    assert [c.value for c in sheet[3]] == [
        "序号", "指标", "所属任务", "计量单位", "比较",
        "2020年目标", "2020年实际", "2020年达成", "2021年目标", "2021年实际", "2021年达成",
        "2022年目标", "2022年实际", "2022年达成",
    ]
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=4)}
    assert len(rows) <= Indicator.objects.filter(plan=plan).count()
    met, missed = (rows[december_2020[0].name], rows[december_2020[3].name])
    assert met[2].value.startswith("7.2 ") and met[4].value == "＝"
    assert (met[5].value, met[5].data_type) == (100, "n")
    assert (met[6].value, met[7].value, met[7].fill.fgColor.rgb) == (100, "已达成", GREEN)
    assert (missed[6].value, missed[7].value, missed[7].fill.fgColor.rgb) == (90, "未达成", RED)
    assert met[8].value is None and met[9].value is None  # a 2020 indicator has no 2021 target
    water = rows["用水报装办结时间"]  # ≤ 3 working days over the whole plan, never reported
    assert [water[c].value for c in (5, 8, 11)] == [3, 3, 3]
    assert (water[7].value, water[10].value, water[13].value) == ("未达成", "未达成", None)  # 2022 still runs
    goal = rows["政府投资类工程建设项目审批时间"]
    assert goal[2].value == "工作目标"


def test_indicator_ledger_follows_task_visibility(client, plan, outsider, december_2020):
    sheet = indicator_ledger(client, outsider, plan=plan.pk)
    tasks = {row[2].value for row in sheet.iter_rows(min_row=4)}
    assert tasks == {"工作目标"}  # 保障5, its only task, has no indicator
    assert Task.objects.visible_to(outsider).filter(indicators__isnull=False).count() == 0


def test_indicator_ledger_queries(client, office, plan, december_2020, django_assert_num_queries):
    signed_in(client, office)
    # session, user, plan, count, indicators with task and plan, the chunk's latest actuals.
    with django_assert_num_queries(6):
        indicator_ledger(client, None, plan=plan.pk)


def test_a_rectification_handed_in_late_keeps_its_working_days_overdue(client, office, inspector, lead_user):
    """Due Monday 13 October, handed in on Wednesday the 15th (2 working days late), closed out on
    the 16th: the ledger still says how late it was, the light is green (nothing is owed)."""
    late = make_finding(inspector, make_round(inspector), found_on=d("2025-09-29"))
    with frozen(d("2025-10-15")):
        finding_rectification_save(user=lead_user, finding=late, measures="补充告知单", result="已整改")
        finding_submit(user=lead_user, finding=late)
    with frozen(d("2025-10-16")):
        finding_verify(user=inspector, finding=late, close=True)
    row = by_number(ledger(client, office))[late.number]
    assert (row[10].value, row[14].value, row[15].value) == ("已销号", 2, "绿灯")
