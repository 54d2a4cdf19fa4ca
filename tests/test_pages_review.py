"""The office's review pages (审核): the permission matrix of every page and action, the review
flows (approve, return, reopen, bulk approve all or nothing), the queue's filters and tabs, the
reporting periods, CSRF and the query budgets.

Data is made the way units make it: the lead unit (新区行政审批与政务服务局) saves and submits
its reports through the services, 沣东新城 its contributions.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tasks.choices import FilingStatus, PeriodStatus, ReviewAction
from tasks.models import (
    AnnualWorkPlan,
    Contribution,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    TaskGroup,
    Unit,
    WorkingDayOverride,
)
from tasks.selectors.dispatch import review_waiting_counts
from tasks.services.dispatch import (
    ReportInput,
    annual_plan_save,
    contribution_save,
    filing_review,
    filing_submit,
    period_open,
    report_save,
)
from tests.conftest import PERSONAS

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The lead unit's tasks in the seed plan (新区行政审批与政务服务局 leads 13).
LEAD_CODES = ["1.1", "1.3", "1.4", "5.3", "6.3", "7.1", "7.2", "7.3", "7.6", "10.1", "10.2", "10.4", "10.5"]


def at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


def task(plan, code: str) -> Task:
    return Task.objects.get(plan=plan, code=code)


def submit_report(user, task, period, *, progress=40, completed="完成了本月工作。", next_plan="推进下月工作。"):
    report = report_save(user=user, task=task, period=period,
                         data=ReportInput(completed=completed, problems="", next_plan=next_plan, progress=progress))
    return filing_submit(user=user, filing=report)



@pytest.fixture
def june(plan) -> ReportingPeriod:
    """2022年6月, due on 7 July 2022 (the fifth working day)."""
    return period_open(year=2022, month=6)


@pytest.fixture
def may(plan) -> ReportingPeriod:
    return period_open(year=2022, month=5)


@pytest.fixture
def report(lead_user, task_1_1, june) -> ProgressReport:
    """1.1's June report, submitted on time."""
    with at(2022, 7, 1, 10):
        return submit_report(lead_user, task_1_1, june, progress=55)


@pytest.fixture
def late_report(lead_user, plan, june) -> ProgressReport:
    """7.1's June report, submitted after the due date."""
    with at(2022, 7, 20, 10):
        return submit_report(lead_user, task(plan, "7.1"), june, progress=30)


@pytest.fixture
def contribution(supporting_user, task_1_1, june) -> Contribution:
    draft = contribution_save(user=supporting_user, task=task_1_1, period=june, text="配合做好前期手续。")
    with at(2022, 7, 2, 10):
        return filing_submit(user=supporting_user, filing=draft)


@pytest.fixture
def annual_plan(lead_user, task_1_1) -> AnnualWorkPlan:
    """1.1's plan for 2022, filed late in February."""
    draft = annual_plan_save(user=lead_user, task=task_1_1, year=2022, content="一、目标；二、任务清单；三、台账。")
    with at(2022, 2, 10, 10):
        return filing_submit(user=lead_user, filing=draft)


@pytest.fixture
def as_office(client, office):
    client.force_login(office)
    return client


def ok(response):
    assert response.status_code == 200, response.content[:500]
    return response


def reload(filing):
    filing.refresh_from_db()
    return filing


# --- permission matrix ------------------------------------------------------------------------

OFFICE_ONLY = {name: 403 for name in PERSONAS} | {"office": 200}
OFFICE_ACTS = {name: 403 for name in PERSONAS} | {"office": 302}


@pytest.fixture
def anonymous():
    return None


@pytest.fixture
def pages(report, contribution, annual_plan, june) -> dict[str, str]:
    return {
        "review-queue": reverse("review-queue"),
        "review-queue-contribution": reverse("review-queue") + "?kind=contribution",
        "review-queue-annual": reverse("review-queue") + "?kind=annual",
        "report-review": reverse("report-review", args=[report.pk]),
        "contribution-review": reverse("contribution-review", args=[contribution.pk]),
        "annual-plan-review": reverse("annual-plan-review", args=[annual_plan.pk]),
        "period-list": reverse("period-list"),
    }


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"], indirect=True)
@pytest.mark.parametrize("page", ["review-queue", "review-queue-contribution", "review-queue-annual",
                                  "report-review", "contribution-review", "annual-plan-review", "period-list"])
def test_page_matrix(client, pages, page, persona, request):
    name = request.node.callspec.params["persona"]
    if persona is not None:
        client.force_login(persona)
    response = client.get(pages[page])
    if persona is None:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={quote(pages[page])}"
    else:
        assert response.status_code == OFFICE_ONLY[name], (page, name)


def _actions(report, contribution, annual_plan, june) -> dict[str, tuple[str, dict, callable]]:
    """Each POST action: its URL, its data and a check that it took effect."""
    approved = FilingStatus.APPROVED
    return {
        "approve-report": (reverse("report-review", args=[report.pk]), {"action": "approve"},
                           lambda: reload(report).status == approved),
        "return-report": (reverse("report-review", args=[report.pk]), {"action": "return", "comment": "请补充数据。"},
                          lambda: reload(report).status == FilingStatus.RETURNED),
        "approve-contribution": (reverse("contribution-review", args=[contribution.pk]), {"action": "approve"},
                                 lambda: reload(contribution).status == approved),
        "return-contribution": (reverse("contribution-review", args=[contribution.pk]),
                                {"action": "return", "comment": "请写明配合事项。"},
                                lambda: reload(contribution).status == FilingStatus.RETURNED),
        "approve-annual-plan": (reverse("annual-plan-review", args=[annual_plan.pk]), {"action": "approve"},
                                lambda: reload(annual_plan).status == approved),
        "return-annual-plan": (reverse("annual-plan-review", args=[annual_plan.pk]),
                               {"action": "return", "comment": "请补充工作台账。"},
                               lambda: reload(annual_plan).status == FilingStatus.RETURNED),
        "approve-bulk": (reverse("review-approve-bulk"), {"ids": [report.pk]},
                         lambda: reload(report).status == approved),
        "period-open": (reverse("period-list"), {"year": 2022, "month": 7},
                        lambda: ReportingPeriod.objects.filter(year=2022, month=7).exists()),
        "period-close": (reverse("period-close", args=[june.pk]), {},
                         lambda: reload(june).status == PeriodStatus.CLOSED),
    }


ACTIONS = ["approve-report", "return-report", "approve-contribution", "return-contribution",
           "approve-annual-plan", "return-annual-plan", "approve-bulk", "period-open", "period-close"]


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"], indirect=True)
@pytest.mark.parametrize("action", ACTIONS)
def test_action_matrix(client, report, contribution, annual_plan, june, action, persona, request):
    name = request.node.callspec.params["persona"]
    url, data, took_effect = _actions(report, contribution, annual_plan, june)[action]
    if persona is not None:
        client.force_login(persona)
    response = client.post(url, data)
    if persona is None:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == OFFICE_ACTS[name], (action, name)
    assert took_effect() is (name == "office"), (action, name)


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"], indirect=True)
def test_report_reopen_matrix(client, report, office, persona, request):
    name = request.node.callspec.params["persona"]
    filing_review(user=office, filing=report, action="approve")
    if persona is not None:
        client.force_login(persona)
    response = client.post(reverse("report-review", args=[report.pk]), {"action": "reopen", "comment": "口径调整。"})
    assert response.status_code == (302 if persona is None else OFFICE_ACTS[name])
    assert reload(report).status == (FilingStatus.RETURNED if name == "office" else FilingStatus.APPROVED)


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"], indirect=True)
def test_period_reopen_matrix(client, june, office, persona, request):
    from tasks.services.dispatch import period_close

    name = request.node.callspec.params["persona"]
    period_close(period=june, user=office)
    if persona is not None:
        client.force_login(persona)
    response = client.post(reverse("period-reopen", args=[june.pk]))
    expected = 302 if persona is None else OFFICE_ACTS[name]
    assert response.status_code == expected
    assert reload(june).is_open is (name == "office")


@pytest.mark.parametrize("name", ["review-approve-bulk", "period-close", "period-reopen"])
def test_actions_only_take_posts(as_office, june, name):
    url = reverse(name, args=[june.pk]) if name.startswith("period") else reverse(name)
    assert as_office.get(url).status_code == 405


@pytest.mark.parametrize("name", ["report-review", "contribution-review", "annual-plan-review",
                                  "period-close", "period-reopen"])
def test_missing_objects_are_404(as_office, name):
    url = reverse(name, args=[987654])
    response = as_office.post(url) if name.startswith("period") else as_office.get(url)
    assert response.status_code == 404


def test_a_draft_is_not_the_offices_to_review(as_office, lead_user, task_1_1, june):
    draft = report_save(user=lead_user, task=task_1_1, period=june, data=ReportInput(completed="草稿"))
    assert as_office.get(reverse("report-review", args=[draft.pk])).status_code == 404
    queue = as_office.get(reverse("review-queue"), {"status": "all"}).context["page"].object_list
    assert draft.pk not in [r.pk for r in queue]


# --- review flows -----------------------------------------------------------------------------


def test_review_page_shows_the_report_in_full(as_office, lead_user, task_1_1, may, june):
    indicator = task_1_1.indicators.filter(year=2022).first() or task_1_1.indicators.first()
    with at(2022, 6, 2, 10):
        before = report_save(user=lead_user, task=task_1_1, period=may, actuals={indicator.pk: 95} if indicator else None,
                             data=ReportInput(completed="五月完成了审批清单梳理。", next_plan="六月上线并联审批。", progress=40))
        filing_submit(user=lead_user, filing=before)
    with at(2022, 7, 1, 10):
        report = report_save(user=lead_user, task=task_1_1, period=june, actuals={indicator.pk: 88} if indicator else None,
                             data=ReportInput(completed="六月并联审批上线。", problems="个别部门数据未共享。",
                                              next_plan="七月推广到全部新城。", progress=55))
        report = filing_submit(user=lead_user, filing=report)
    response = ok(as_office.get(reverse("report-review", args=[report.pk])))
    html = response.content.decode()
    for text in ("六月并联审批上线。", "个别部门数据未共享。", "七月推广到全部新城。", "55%",
                 "五月完成了审批清单梳理。", "六月上线并联审批。", "（2022年5月所报「下月计划」）", "较上期 +15 个百分点",
                 "新区行政审批与政务服务局", "2022年6月", "审核通过", "退回修改", "审核记录", "提交"):
        assert text in html, text
    assert response.context["previous"] == before
    if indicator:
        row = next(r for r in response.context["actual_rows"] if r.indicator == indicator)
        assert (row.value, row.previous) == (88, 95)
        assert indicator.target_display in html
    assert "重新打开" not in html  # only an approved report can be reopened


def test_approve_with_a_comment(as_office, report, office):
    response = as_office.post(reverse("report-review", args=[report.pk]), {"action": "approve", "comment": "同意。"})
    assert response.status_code == 302 and response["Location"] == reverse("review-queue")
    assert reload(report).status == FilingStatus.APPROVED
    event = ReviewEvent.objects.filter(report=report).last()
    assert (event.action, event.comment, event.actor) == (ReviewAction.APPROVE, "同意。", office)
    page = as_office.get(response["Location"])
    assert "已审核通过" in page.content.decode()
    assert report.pk not in [r.pk for r in page.context["page"].object_list]  # no longer awaiting


def test_approve_without_a_comment(as_office, report):
    as_office.post(reverse("report-review", args=[report.pk]), {"action": "approve"})
    assert reload(report).status == FilingStatus.APPROVED


def test_return_with_a_comment(as_office, report):
    response = as_office.post(reverse("report-review", args=[report.pk]),
                              {"action": "return", "comment": "请补充指标数据。"})
    assert response.status_code == 302
    assert reload(report).status == FilingStatus.RETURNED
    assert ReviewEvent.objects.filter(report=report).last().comment == "请补充指标数据。"
    assert "已退回修改" in as_office.get(response["Location"]).content.decode()


@pytest.mark.parametrize("comment", ["", "   "])
def test_return_without_a_comment_is_refused_beside_the_field(as_office, report, comment):
    response = ok(as_office.post(reverse("report-review", args=[report.pk]), {"action": "return", "comment": comment}))
    assert reload(report).status == FilingStatus.SUBMITTED
    html = response.content.decode()
    assert "请填写理由。" in html
    form = dict(response.context["forms"])[ReviewAction.RETURN]
    assert form.errors["comment"] == ["请填写理由。"]
    assert f">{comment}</textarea>" in html  # what was typed stays in the box


def test_refused_action_keeps_the_text(as_office, report, office):
    filing_review(user=office, filing=report, action="approve")  # a colleague was quicker
    response = ok(as_office.post(reverse("report-review", args=[report.pk]),
                                 {"action": "return", "comment": "数据有误，请核实。"}))
    html = response.content.decode()
    assert "当前为「已通过」，不能退回修改" in html
    assert "数据有误，请核实。" in html
    assert reload(report).status == FilingStatus.APPROVED


def test_a_colleague_acting_first_shows_the_report_as_it_now_stands(as_office, report, office, monkeypatch):
    from tasks.services import dispatch

    real = dispatch.filing_review

    def colleague_first(**kwargs):
        real(user=office, filing=report, action="approve")  # between the page's read and the action
        return real(**kwargs)

    monkeypatch.setattr(dispatch, "filing_review", colleague_first)
    response = ok(as_office.post(reverse("report-review", args=[report.pk]), {"action": "return", "comment": "请核实。"}))
    assert response.context["filing"].status == FilingStatus.APPROVED
    assert [action for action, _ in response.context["forms"]] == [ReviewAction.REOPEN]
    assert "请核实。" in response.content.decode()


def test_reopen_an_approved_report_with_a_reason(as_office, report, office):
    filing_review(user=office, filing=report, action="approve")
    page = ok(as_office.get(reverse("report-review", args=[report.pk]))).content.decode()
    assert "重新打开" in page and "退回修改</button>" not in page
    refused = ok(as_office.post(reverse("report-review", args=[report.pk]), {"action": "reopen", "comment": ""}))
    assert "请填写理由。" in refused.content.decode()
    assert reload(report).status == FilingStatus.APPROVED
    response = as_office.post(reverse("report-review", args=[report.pk]),
                              {"action": "reopen", "comment": "指标口径调整，请重新填报。"})
    assert response.status_code == 302
    assert reload(report).status == FilingStatus.RETURNED
    assert "已重新打开" in as_office.get(response["Location"]).content.decode()


def test_unknown_action_is_a_form_error(as_office, report):
    response = ok(as_office.post(reverse("report-review", args=[report.pk]), {"action": "delete"}))
    assert response.context["refused"].errors
    assert reload(report).status == FilingStatus.SUBMITTED


def test_after_an_action_back_to_the_queue_as_it_was(as_office, report, june):
    queue = f"{reverse('review-queue')}?period={june.pk}&late=on_time"
    response = as_office.post(reverse("report-review", args=[report.pk]), {"action": "approve", "next": queue})
    assert response["Location"] == queue
    elsewhere = as_office.post(reverse("report-review", args=[report.pk]),
                               {"action": "reopen", "comment": "复核", "next": "https://example.com/"})
    assert elsewhere["Location"] == reverse("review-queue")


def test_next_and_previous_awaiting(as_office, lead_user, plan, june):
    reports = []
    for day, code in enumerate(["1.1", "1.3", "1.4"], start=1):
        with at(2022, 7, day, 10):
            reports.append(submit_report(lead_user, task(plan, code), june))
    context = ok(as_office.get(reverse("report-review", args=[reports[1].pk]))).context
    assert (context["previous_id"], context["next_id"]) == (reports[0].pk, reports[2].pk)
    first = ok(as_office.get(reverse("report-review", args=[reports[0].pk]))).context
    assert (first["previous_id"], first["next_id"]) == (None, reports[1].pk)


def test_contribution_review(as_office, contribution, report):
    html = ok(as_office.get(reverse("contribution-review", args=[contribution.pk]))).content.decode()
    assert "配合做好前期手续。" in html and "沣东新城" in html
    # Beside it, the lead unit's report on the same task and month.
    assert "牵头单位本期进展" in html and reverse("report-review", args=[report.pk]) in html
    response = as_office.post(reverse("contribution-review", args=[contribution.pk]),
                              {"action": "return", "comment": "请写明配合事项。"})
    assert response["Location"] == reverse("review-queue") + "?kind=contribution"
    assert reload(contribution).status == FilingStatus.RETURNED


def test_annual_plan_review(as_office, annual_plan):
    html = ok(as_office.get(reverse("annual-plan-review", args=[annual_plan.pk]))).content.decode()
    assert "一、目标；二、任务清单；三、台账。" in html and "2022年" in html
    assert "逾期提交" in html  # filed after the January deadline
    as_office.post(reverse("annual-plan-review", args=[annual_plan.pk]), {"action": "approve"})
    assert reload(annual_plan).status == FilingStatus.APPROVED


# --- bulk approval ----------------------------------------------------------------------------


def test_bulk_approve(as_office, report, late_report):
    queue = reverse("review-queue")
    response = as_office.post(reverse("review-approve-bulk"),
                              {"ids": [report.pk, late_report.pk], "kind": "report", "next": queue})
    assert response.status_code == 302 and response["Location"] == queue
    assert {reload(report).status, reload(late_report).status} == {FilingStatus.APPROVED}
    assert "已批量通过 2 份进展填报。" in as_office.get(queue).content.decode()


def test_bulk_approve_is_all_or_nothing(as_office, office, report, late_report, contribution):
    filing_review(user=office, filing=late_report, action="approve")  # approved meanwhile
    events = ReviewEvent.objects.count()
    response = as_office.post(reverse("review-approve-bulk"), {"ids": [report.pk, late_report.pk]}, follow=True)
    assert reload(report).status == FilingStatus.SUBMITTED
    assert ReviewEvent.objects.count() == events
    html = response.content.decode()
    assert "批量通过未执行，所选 2 份进展填报均未改变状态。" in html
    assert "2022年6月 7.1 行政审批局（已通过）" in html


def test_bulk_approve_of_nothing_or_of_another_kind(as_office, report, contribution):
    refused = as_office.post(reverse("review-approve-bulk"), {"kind": "report"}, follow=True)
    assert "请先勾选要通过的填报。" in refused.content.decode()
    # A contribution's id among the reports: not in that queue.
    response = as_office.post(reverse("review-approve-bulk"), {"kind": "report", "ids": [contribution.pk + 10_000]},
                              follow=True)
    assert "所选填报已不存在。" in response.content.decode()
    assert reload(report).status == FilingStatus.SUBMITTED


def test_bulk_approve_contributions(as_office, contribution):
    response = as_office.post(reverse("review-approve-bulk"), {"kind": "contribution", "ids": [contribution.pk]})
    assert response["Location"] == reverse("review-queue") + "?kind=contribution"
    assert reload(contribution).status == FilingStatus.APPROVED


# --- the queue: filters and tabs --------------------------------------------------------------


def listed(client, **params) -> list[int]:
    response = ok(client.get(reverse("review-queue"), params))
    return [filing.pk for filing in response.context["page"].object_list]


@pytest.fixture
def spread(lead_user, office, plan, may, june):
    """Reports across periods, groups, lateness and statuses, and one of another unit."""
    with at(2022, 6, 1, 10):
        may_11 = submit_report(lead_user, task(plan, "1.1"), may)
    with at(2022, 7, 1, 10):
        june_11 = submit_report(lead_user, task(plan, "1.1"), june)
        june_73 = submit_report(lead_user, task(plan, "7.3"), june)
    with at(2022, 7, 15, 10):
        june_101 = submit_report(lead_user, task(plan, "10.1"), june)  # late
    with at(2022, 7, 2, 10):
        june_13 = submit_report(lead_user, task(plan, "1.3"), june)
    filing_review(user=office, filing=june_13, action="approve")
    filing_review(user=office, filing=june_73, action="return", comment="请补充。")
    return {"may_11": may_11, "june_11": june_11, "june_73": june_73, "june_101": june_101, "june_13": june_13}


def test_queue_shows_awaiting_reports_oldest_first(as_office, spread):
    s = spread
    assert listed(as_office) == [s["may_11"].pk, s["june_11"].pk, s["june_101"].pk]


def test_filter_by_status(as_office, spread):
    s = spread
    assert listed(as_office, status="returned") == [s["june_73"].pk]
    assert listed(as_office, status="approved") == [s["june_13"].pk]
    assert set(listed(as_office, status="all")) == {r.pk for r in s.values()}


def test_filter_by_period(as_office, spread, may):
    assert listed(as_office, period=may.pk) == [spread["may_11"].pk]


def test_filter_by_lateness(as_office, spread):
    s = spread
    assert listed(as_office, late="late") == [s["june_101"].pk]
    assert listed(as_office, late="on_time") == [s["may_11"].pk, s["june_11"].pk]


def test_filter_by_group(as_office, spread, plan):
    group_10 = TaskGroup.objects.get(plan=plan, kind="main", number=10)
    assert listed(as_office, group=group_10.pk) == [spread["june_101"].pk]
    group_7 = TaskGroup.objects.get(plan=plan, kind="main", number=7)
    assert listed(as_office, group=group_7.pk, status="all") == [spread["june_73"].pk]


def test_filter_by_unit(as_office, spread):
    shenpi = Unit.objects.get(name="新区行政审批与政务服务局")
    assert len(listed(as_office, unit=shenpi.pk)) == 3
    assert listed(as_office, unit=Unit.objects.get(name="沣东新城").pk) == []


def test_bad_filter_value_is_explained(as_office, spread):
    response = ok(as_office.get(reverse("review-queue"), {"period": 987654}))
    assert "填报期：" in response.content.decode()


def test_queue_table_content(as_office, spread, task_1_1):
    html = ok(as_office.get(reverse("review-queue"), {"status": "all"})).content.decode()
    assert reverse("task-detail", args=[task_1_1.pk]) in html and task_1_1.title in html
    assert reverse("report-review", args=[spread["june_11"].pk]) + "?next=" in html
    assert '<span class="badge badge-red">逾期</span>' in html
    assert "已通过" in html and "已退回" in html and "待审核" in html
    assert '<progress max="100" value="40">' in html
    # Only what awaits review can be ticked.
    assert html.count('name="ids"') == 3


def test_tabs_count_what_awaits_review(as_office, report, contribution, annual_plan):
    response = ok(as_office.get(reverse("review-queue"), {"kind": "contribution"}))
    assert dict((k.key, n) for k, n in response.context["tabs"]) == {"report": 1, "contribution": 1, "annual": 1}
    assert [c.pk for c in response.context["page"].object_list] == [contribution.pk]
    annual = ok(as_office.get(reverse("review-queue"), {"kind": "annual", "year": 2022}))
    assert [a.pk for a in annual.context["page"].object_list] == [annual_plan.pk]


def test_queue_pages_of_fifty(as_office, lead_user, plan):
    periods = [period_open(year=2022, month=m) for m in range(1, 6)]
    with at(2022, 7, 1, 10):
        for period in periods:
            for code in LEAD_CODES[:11]:
                submit_report(lead_user, task(plan, code), period)
    first = ok(as_office.get(reverse("review-queue"))).context["page"]
    assert (len(first.object_list), first.paginator.count) == (50, 55)
    second = as_office.get(reverse("review-queue"), {"page": 2, "late": "late"})
    assert len(second.context["page"].object_list) == 5
    assert "?page=1&amp;late=late" in second.content.decode() or "?late=late&amp;page=1" in second.content.decode()


# --- reporting periods ------------------------------------------------------------------------


def test_period_list_counts(as_office, spread, may, june):
    rows = {row.period.pk: row for row in ok(as_office.get(reverse("period-list"))).context["periods"]}
    expected = rows[june.pk].period.expected
    assert expected > 50  # every lead assignment of an active task in the plan
    assert (rows[june.pk].period.submitted, rows[june.pk].period.late) == (4, 1)
    assert (rows[june.pk].period.awaiting, rows[june.pk].period.approved) == (2, 1)
    assert rows[june.pk].missing == expected - 4
    assert (rows[may.pk].period.submitted, rows[may.pk].missing) == (1, expected - 1)


def test_period_list_shows_due_dates_and_provisional(as_office, plan):
    period_open(year=2026, month=12)  # due in January 2027, a year the calendar does not know
    html = ok(as_office.get(reverse("period-list"))).content.decode()
    assert "2026年12月" in html and "2027-01-07" in html and "暂定" in html


def test_open_a_month(as_office):
    response = as_office.post(reverse("period-list"), {"year": 2022, "month": 8})
    assert response.status_code == 302
    period = ReportingPeriod.objects.get(year=2022, month=8)
    assert period.is_open and period.due_date == dt.date(2022, 9, 7)
    assert "2022年8月填报期已开启，截止日期 2022-09-07。" in as_office.get(reverse("period-list")).content.decode()


@pytest.mark.parametrize(("data", "error"), [
    ({"year": "", "month": 8}, "请填写年度。"),
    ({"year": 2022, "month": 13}, "月份应为 1 到 12。"),
    ({"year": 1999, "month": 1}, "年度不能早于 2000 年。"),
])
def test_open_a_month_validates(as_office, data, error):
    html = ok(as_office.post(reverse("period-list"), data)).content.decode()
    assert error in html
    assert not ReportingPeriod.objects.filter(year=data["year"] or 0, month=data["month"]).exists()


def test_close_and_reopen_a_period(as_office, june, lead_user, task_1_1):
    response = as_office.post(reverse("period-close", args=[june.pk]), follow=True)
    assert reload(june).status == PeriodStatus.CLOSED
    assert "2022年6月填报期已关闭" in response.content.decode()
    assert "重新开启" in response.content.decode()
    response = as_office.post(reverse("period-reopen", args=[june.pk]), follow=True)
    assert reload(june).is_open
    assert "2022年6月填报期已重新开启。" in response.content.decode()


# --- the calendar warning ---------------------------------------------------------------------


@pytest.mark.parametrize("page", ["review-queue", "period-list", "report-review"])
def test_calendar_warning_links_to_the_calendar(as_office, report, page):
    args = [report.pk] if page == "report-review" else []
    with at(2026, 11, 29, 10):
        html = ok(as_office.get(reverse(page, args=args))).content.decode()
    assert "工作日历待补充" in html and "2027年" in html
    assert reverse("admin:tasks_workingdayoverride_changelist") in html


def test_no_calendar_warning_once_holidays_are_entered(as_office):
    WorkingDayOverride.objects.create(date=dt.date(2027, 1, 1), is_working=False, note="元旦")
    with at(2026, 11, 29, 10):
        html = ok(as_office.get(reverse("review-queue"))).content.decode()
    assert "工作日历待补充" not in html


# --- CSRF and markup ----------------------------------------------------------------------------


def test_review_actions_need_a_csrf_token(office, report, june):
    client = Client(enforce_csrf_checks=True)
    client.force_login(office)
    for url, data in [(reverse("report-review", args=[report.pk]), {"action": "approve"}),
                      (reverse("review-approve-bulk"), {"ids": [report.pk]}),
                      (reverse("period-close", args=[june.pk]), {}),
                      (reverse("period-list"), {"year": 2022, "month": 9})]:
        refused = client.post(url, data)
        assert refused.status_code == 403 and "页面已过期" in refused.content.decode()
    assert reload(report).status == FilingStatus.SUBMITTED and reload(june).is_open
    assert not ReportingPeriod.objects.filter(year=2022, month=9).exists()

    page = client.get(reverse("report-review", args=[report.pk]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(reverse("report-review", args=[report.pk]), {"action": "approve", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and reload(report).status == FilingStatus.APPROVED


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


@pytest.mark.parametrize("page", ["review-queue", "report-review", "contribution-review", "annual-plan-review",
                                  "period-list"])
def test_pages_have_no_inline_script_or_style(as_office, pages, page):
    html = ok(as_office.get(pages[page])).content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert " style=" not in html and "<style" not in html
    assert "/static/css/review.css" in html
    assert "//cdn" not in html and "https://" not in html


def test_tabs_count_each_kind_apart(as_office, spread, contribution, lead_user):
    # spread: three reports await review (one approved, one returned); one contribution; no annual plan.
    response = ok(as_office.get(reverse("review-queue")))
    assert dict((k.key, n) for k, n in response.context["tabs"]) == {"report": 3, "contribution": 1, "annual": 0}
    # A unit reviews nothing.
    assert review_waiting_counts(user=lead_user) == {"report": 0, "contribution": 0, "annual": 0}
