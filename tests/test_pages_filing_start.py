"""Starting a report from the UI: a unit opens the report of a task it leads (or its 配合情况
where it supports) for any open month the task's plan owes, from the task page and from the
reporting inbox; a month the plan does not owe, or a closed one, is only shown, never filed.

The seed plan runs 2020-01-01 to 2022-12-31. Task 1.1: lead 新区行政审批与政务服务局
(lead_user), supporting 沣东新城 (supporting_user); the outsider (新区考核办) cannot see it.
January 2023 is a month no plan owes.
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks.choices import ReviewAction
from tasks.models import ActionPlan, Contribution, ProgressReport, ReportingPeriod, Task
from tasks.services import dispatch
from tests.conftest import PERSONAS
from tests.matrix import signed_in
from tests.test_pages_filing import at, file_report, june, may, media  # noqa: F401  (fixtures)

ACTION = re.compile(r'<a class="[^"]*" href="([^"]+)">((?:继续)?(?:填报|填写)|查看)(\d{4}年\d{1,2}月)(进展|配合情况)</a>')
MORE = re.compile(r'<li><a href="([^"]+)">((?:继续)?(?:填报|填写)|查看)(\d{4}年\d{1,2}月)(进展|配合情况)</a></li>')


@pytest.fixture
def december(db) -> ReportingPeriod:
    return dispatch.period_open(year=2022, month=12)


@pytest.fixture
def january_2023(db) -> ReportingPeriod:
    """Open, but after the seed plan's end: no plan owes it."""
    return dispatch.period_open(year=2023, month=1)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def task_page(client, user, task) -> str:
    return html_of(signed_in(client, user).get(reverse("task-detail", args=[task.pk])))


def buttons(html: str) -> list[str]:
    """The task page's filing buttons (the newest open month), as 「填报2022年6月进展」."""
    return ["".join(found[1:]) for found in ACTION.findall(html)]


def more(html: str) -> list[str]:
    """The other open months, in the list under 其他月份."""
    return ["".join(found[1:]) for found in MORE.findall(html)]


def report_url(period, task) -> str:
    return reverse("report-edit", args=[period.pk, task.pk])


def contribution_url(period, task) -> str:
    return reverse("contribution-edit", args=[period.pk, task.pk])


def end_plan_on(plan, day: datetime.date) -> None:
    """Move the plan's end (as the office does with a reason, through plan_end_move)."""
    ActionPlan.objects.filter(pk=plan.pk).update(ends_on=day)


# --- the task page: one action per open month the plan owes ------------------------------------------

# persona → the buttons on task 1.1 with May and June 2022 open (the newest month as buttons, the
# other in the list); None: the task is out of sight (404).
TASK_PAGE_BUTTONS: dict[str, tuple[list[str], list[str]] | None] = {
    "office": ([], []),
    "inspector": ([], []),
    "leader": ([], []),
    "lead_user": (["填报2022年6月进展"], ["填报2022年5月进展"]),
    "supporting_user": (["填写2022年6月配合情况"], ["填写2022年5月配合情况"]),
    "outsider": None,
}


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_task_page_offers_every_open_month_the_plan_owes(client, persona, request, task_1_1, may, june):  # noqa: F811
    name = request.node.callspec.params["persona"]
    response = signed_in(client, persona).get(reverse("task-detail", args=[task_1_1.pk]))
    if TASK_PAGE_BUTTONS[name] is None:
        assert response.status_code == 404
        return
    html = html_of(response)
    assert (buttons(html), more(html)) == TASK_PAGE_BUTTONS[name], name
    assert "filing-note" not in html  # something to file, or nothing to file as a reader
    if name == "lead_user":
        assert f'href="{report_url(june, task_1_1)}">填报2022年6月进展' in html
        assert f'href="{report_url(may, task_1_1)}">填报2022年5月进展' in html
    if name == "supporting_user":
        assert f'href="{contribution_url(june, task_1_1)}">填写2022年6月配合情况' in html


def test_task_page_skips_an_open_month_the_plan_does_not_owe(client, lead_user, supporting_user, task_1_1, december, january_2023):
    # The newest open period (January 2023) is after the plan: December is what is owed.
    assert buttons(task_page(client, lead_user, task_1_1)) == ["填报2022年12月进展"]
    assert more(task_page(client, lead_user, task_1_1)) == []
    assert buttons(task_page(client, supporting_user, task_1_1)) == ["填写2022年12月配合情况"]


def test_task_page_says_continue_or_view_once_begun(client, lead_user, supporting_user, office, task_1_1, may, june):  # noqa: F811
    dispatch.report_save(user=lead_user, task=task_1_1, period=june, data=dispatch.ReportInput(completed="草稿"))
    file_report(lead_user, task_1_1, may)
    html = task_page(client, lead_user, task_1_1)
    assert buttons(html) == ["继续填报2022年6月进展"] and more(html) == ["查看2022年5月进展"]

    returned = file_report(lead_user, task_1_1, june)
    dispatch.filing_review(user=office, filing=returned, action=ReviewAction.RETURN, comment="补充")
    assert buttons(task_page(client, lead_user, task_1_1)) == ["继续填报2022年6月进展"]
    dispatch.filing_submit(user=lead_user, filing=returned)
    assert buttons(task_page(client, lead_user, task_1_1)) == ["查看2022年6月进展"]

    dispatch.contribution_save(user=supporting_user, task=task_1_1, period=june, text="配合")
    html = task_page(client, supporting_user, task_1_1)
    assert buttons(html) == ["继续填写2022年6月配合情况"] and more(html) == ["填写2022年5月配合情况"]


def test_task_page_says_why_nothing_can_be_filed(client, lead_user, supporting_user, office, task_1_1, january_2023):
    for user in (lead_user, supporting_user):
        html = task_page(client, user, task_1_1)
        assert buttons(html) == [] and more(html) == []
        assert '<span class="muted filing-note">方案已于2022年12月31日结束，没有可填报的月份。</span>' in html
    assert "filing-note" not in task_page(client, office, task_1_1)  # the office files nothing


def test_task_page_before_the_plan_starts(client, lead_user, task_1_1):
    with time_machine.travel(at(2019, 12, 16, 10), tick=False):
        html = task_page(client, lead_user, task_1_1)
    assert buttons(html) == [] and "方案将于2020年1月1日开始执行，届时按月填报。" in html


def test_task_page_without_an_open_period(client, lead_user, june, office, task_1_1):  # noqa: F811
    dispatch.period_close(period=june, user=office)
    with time_machine.travel(at(2021, 5, 10, 10), tick=False):
        html = task_page(client, lead_user, task_1_1)
    assert buttons(html) == [] and "新区营商办尚未打开填报期，打开后即可在这里填报。" in html


def test_task_page_of_a_stopped_task(client, lead_user, task_1_1, june):  # noqa: F811
    Task.objects.filter(pk=task_1_1.pk).update(is_active=False)
    html = task_page(client, lead_user, task_1_1)
    assert buttons(html) == [] and "任务已停用，无需填报。" in html


def test_task_page_queries_do_not_grow_with_the_open_months(client, lead_user, task_1_1):
    def count() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            html = html_of(client.get(reverse("task-detail", args=[task_1_1.pk])))
        return len(captured), html

    client.force_login(lead_user)

    def begin(month: int) -> None:
        period = dispatch.period_open(year=2022, month=month)
        dispatch.report_save(user=lead_user, task=task_1_1, period=period, data=dispatch.ReportInput(completed="草稿"))

    begin(6)
    one, html = count()
    assert buttons(html) == ["继续填报2022年6月进展"] and more(html) == []
    for month in (2, 3, 4, 5):
        begin(month)
    five, html = count()
    assert len(more(html)) == 4
    assert five == one  # the open periods are one query, the unit's filings come with the page's


# --- the report and contribution pages: only what is owed can be filed -----------------------------------

# January 2023 (not owed) on task 1.1: who gets the page, and it is never a form.
UNOWED_GET = {"office": 403, "inspector": 403, "leader": 403, "lead_user": 200, "supporting_user": 403, "outsider": 404}
UNOWED_CONTRIBUTION_GET = {**UNOWED_GET, "lead_user": 403, "supporting_user": 200}


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
@pytest.mark.parametrize("kind", ["report", "contribution"])
def test_a_month_the_plan_does_not_owe_is_read_only(client, persona, request, kind, task_1_1, january_2023):
    name = request.node.callspec.params["persona"]
    url = (report_url if kind == "report" else contribution_url)(january_2023, task_1_1)
    expected = (UNOWED_GET if kind == "report" else UNOWED_CONTRIBUTION_GET)[name]
    response = signed_in(client, persona).get(url)
    assert response.status_code == expected, (kind, name)
    if expected == 200:
        html = html_of(response)
        assert "<textarea" not in html and 'class="filing-form"' not in html
        assert "2023年1月不在《" in html and "（2020-01-01 至 2022-12-31），无需填报。" in html
        assert response.context["editable"] is False


@pytest.mark.parametrize("kind", ["report", "contribution"])
def test_posting_to_a_month_the_plan_does_not_owe_changes_nothing(client, lead_user, supporting_user, kind, task_1_1, january_2023):
    user, url, data = (
        (lead_user, report_url(january_2023, task_1_1), {"completed": "一月", "next_plan": "二月", "progress": "50"})
        if kind == "report" else (supporting_user, contribution_url(january_2023, task_1_1), {"text": "一月配合"})
    )
    for action in ("save", "submit", "discard"):
        response = signed_in(client, user).post(url, {**data, "action": action})
        html = html_of(response)
        assert "2023年1月不在《" in html and "<textarea" not in html, action
    assert not ProgressReport.objects.exists() and not Contribution.objects.exists()


def test_a_draft_of_a_month_no_longer_owed_is_shown_not_changed(client, lead_user, plan, task_1_1, december):
    draft = dispatch.report_save(user=lead_user, task=task_1_1, period=december,
                                 data=dispatch.ReportInput(completed="十二月草稿"))
    end_plan_on(plan, datetime.date(2022, 11, 30))  # the office closes the plan early
    signed_in(client, lead_user)
    html = html_of(client.get(report_url(december, task_1_1)))
    assert "<textarea" not in html and "十二月草稿" in html and "2022-11-30），无需填报。" in html
    for action in ("save", "submit", "discard"):
        response = client.post(report_url(december, task_1_1), {"completed": "改了", "action": action})
        assert response.status_code == 200 and "无需填报" in html_of(response), action
    assert ProgressReport.objects.get(pk=draft.pk).completed == "十二月草稿"


def test_a_closed_period_refuses_every_button(client, lead_user, office, task_1_1, june):  # noqa: F811
    draft = dispatch.report_save(user=lead_user, task=task_1_1, period=june, data=dispatch.ReportInput(completed="六月草稿"))
    dispatch.period_close(period=june, user=office)
    signed_in(client, lead_user)
    for action in ("save", "submit", "discard"):
        response = client.post(report_url(june, task_1_1), {"completed": "改了", "action": action})
        html = html_of(response)
        assert "2022年6月填报期已关闭" in html and "<textarea" not in html, action
    assert ProgressReport.objects.get(pk=draft.pk).completed == "六月草稿"


def test_an_owed_month_of_an_open_period_is_still_a_form(client, lead_user, task_1_1, december, january_2023):
    html = html_of(signed_in(client, lead_user).get(report_url(december, task_1_1)))
    assert '<textarea name="completed"' in html and "无需填报" not in html


# --- the reporting inbox ---------------------------------------------------------------------------------


def test_inbox_rows_all_open_their_report_begun_or_not(client, lead_user, supporting_user, task_1_1, june, early_july):  # noqa: F811
    dispatch.report_save(user=lead_user, task=task_1_1, period=june, data=dispatch.ReportInput(completed="草稿"))
    for user in (lead_user, supporting_user):
        response = signed_in(client, user).get(reverse("reporting-inbox"))
        html = html_of(response)
        rows = response.context["rows"]
        assert rows and all(not row.owed_note for row in rows)
        for row in rows:
            url = (report_url if row.role == "lead" else contribution_url)(june, row.task)
            label = "继续填写" if row.filing else "填报"
            assert f'href="{url}">{label}</a>' in html, (user, row.task.code)
    begun = [row for row in signed_in(client, lead_user).get(reverse("reporting-inbox")).context["rows"] if row.filing]
    assert [row.task.code for row in begun] == ["1.1"]


@pytest.fixture
def early_july():
    with time_machine.travel(at(2022, 7, 4, 10), tick=False):
        yield


def test_inbox_period_chooser_offers_the_open_periods(client, lead_user, office, may, june, december):  # noqa: F811
    dispatch.period_close(period=may, user=office)
    html = html_of(signed_in(client, lead_user).get(reverse("reporting-inbox")))
    chooser = html.split('id="period-select"')[1].split("</select>")[0]
    open_group = chooser.split('<optgroup label="填报中">')[1].split("</optgroup>")[0]
    closed_group = chooser.split('<optgroup label="已关闭（只能查看）">')[1].split("</optgroup>")[0]
    assert re.findall(r">(\d{4}年\d{1,2}月)<", open_group) == ["2022年12月", "2022年6月"]
    assert "2022年5月（已关闭）" in closed_group
    assert f'<option value="{december.pk}" selected>' in open_group  # the newest open month


# persona → whether the inbox for January 2023 says that no plan owes the month
UNOWED_NOTE = {"office": False, "inspector": False, "leader": False, "lead_user": True, "supporting_user": True,
               "outsider": True}


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_inbox_of_a_month_no_plan_owes_says_so(client, persona, request, january_2023):
    name = request.node.callspec.params["persona"]
    response = signed_in(client, persona).get(reverse("reporting-inbox"), {"period": january_2023.pk})
    html = html_of(response)
    said = "2023年1月不在任何行动方案的执行期内" in html
    assert said == UNOWED_NOTE[name], name
    if said:
        assert "（《西咸新区优化营商环境推进重大项目建设三年行动方案（2020年—2022年）》2020-01-01 至 2022-12-31），无需填报。" in html
        assert 'class="table inbox-table"' not in html  # the note instead of an empty table
        assert response.context["rows"] == []


def test_inbox_of_a_month_some_plan_owes_has_no_such_note(client, lead_user, june):  # noqa: F811
    response = signed_in(client, lead_user).get(reverse("reporting-inbox"))
    assert response.context["unowed_note"] == "" and "不在任何行动方案的执行期内" not in html_of(response)


def test_inbox_shows_a_begun_filing_of_a_month_no_longer_owed_read_only(client, lead_user, plan, task_1_1, december):
    dispatch.report_save(user=lead_user, task=task_1_1, period=december, data=dispatch.ReportInput(completed="十二月草稿"))
    end_plan_on(plan, datetime.date(2022, 11, 30))
    response = signed_in(client, lead_user).get(reverse("reporting-inbox"), {"period": december.pk})
    html = html_of(response)
    [row] = response.context["rows"]  # only what was begun stays in sight
    assert row.task.code == "1.1" and "无需填报" in row.owed_note
    assert f'href="{report_url(december, task_1_1)}">查看</a>' in html and "继续填写" not in html
    assert "2022年12月不在任何行动方案的执行期内" in html  # said above the table
    assert response.context["inbox_counts"]["todo"] == 0
