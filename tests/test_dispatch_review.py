"""The review flow (审核): draft → submitted → approved, or returned with a comment →
resubmitted; reopen of an approved filing; lateness; the review record; locking; discarding.

The October 2020 period is due on Friday 6 November 2020 (5th working day of November).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError

from tasks.choices import FilingStatus, ReviewAction
from tasks.models import AnnualWorkPlan, Contribution, ProgressReport, ReviewEvent
from tasks.services.dispatch import (
    DispatchError,
    ReportInput,
    annual_plan_save,
    contribution_save,
    filing_discard,
    filing_review,
    filing_submit,
    filings_approve,
    period_close,
    period_open,
    report_save,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
FULL = ReportInput(completed="开通重大项目审批绿色通道。", problems="", next_plan="推行容缺受理。", progress=40)
APPROVE, RETURN, REOPEN = ReviewAction.APPROVE, ReviewAction.RETURN, ReviewAction.REOPEN


def frozen(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def period():
    return period_open(year=2020, month=10)


@pytest.fixture
def draft(lead_user, task_1_1, period) -> ProgressReport:
    return report_save(user=lead_user, task=task_1_1, period=period, data=FULL)


@pytest.fixture
def submitted(lead_user, draft) -> ProgressReport:
    with frozen(2020, 11, 3, 10):
        return filing_submit(user=lead_user, filing=draft)


@pytest.fixture
def approved(office, submitted) -> ProgressReport:
    return filing_review(user=office, filing=submitted, action=APPROVE)


def events(filing) -> list[tuple]:
    return [(e.action, e.from_status, e.to_status, e.actor.username, e.comment)
            for e in ReviewEvent.objects.filter(report=filing).order_by("id")]


def status_of(filing) -> str:
    return type(filing).objects.get(pk=filing.pk).status


# --- submit ----------------------------------------------------------------------------------


def test_submit_moves_a_draft_to_submitted_with_one_event(lead_user, draft):
    with frozen(2020, 11, 3, 10):
        report = filing_submit(user=lead_user, filing=draft)
    assert report.status == status_of(draft) == FilingStatus.SUBMITTED
    assert report.submitted_at == dt.datetime(2020, 11, 3, 10, tzinfo=SHANGHAI)
    assert not report.is_late
    assert events(draft) == [("submit", "draft", "submitted", "lead", "")]
    event = ReviewEvent.objects.get(report=draft)
    assert event.at == report.submitted_at and event.contribution is None and event.annual_plan is None


def test_submit_requires_the_required_fields_with_a_message_per_field(lead_user, task_1_1, period):
    report = report_save(user=lead_user, task=task_1_1, period=period, data=ReportInput(problems="人手不足"))
    with pytest.raises(DispatchError, match="必填") as caught:
        filing_submit(user=lead_user, filing=report)
    assert caught.value.fields == {
        "completed": "请填写本月完成情况。", "next_plan": "请填写下月计划。", "progress": "请填写完成进度。",
    }
    assert status_of(report) == FilingStatus.DRAFT and not ReviewEvent.objects.exists()


def test_blank_text_is_missing_and_zero_progress_is_not(lead_user, task_1_1, period):
    data = ReportInput(completed="   ", next_plan="下月继续推进。", progress=0)
    report = report_save(user=lead_user, task=task_1_1, period=period, data=data)
    with pytest.raises(DispatchError) as caught:
        filing_submit(user=lead_user, filing=report)
    assert set(caught.value.fields) == {"completed"}


def test_submit_on_the_due_date_is_on_time(lead_user, draft):
    with frozen(2020, 11, 6, 23, 59):
        assert not filing_submit(user=lead_user, filing=draft).is_late


def test_submit_after_the_due_date_is_late(lead_user, draft):
    # 00:10 on 7 November in Shanghai is still 6 November in UTC: the local date counts.
    with frozen(2020, 11, 7, 0, 10):
        report = filing_submit(user=lead_user, filing=draft)
    assert report.is_late and ProgressReport.objects.get(pk=draft.pk).is_late
    assert ReviewEvent.objects.get(report=draft).is_late


def test_late_flag_is_kept_on_resubmission(lead_user, office, draft):
    with frozen(2020, 11, 9, 10):
        filing_submit(user=lead_user, filing=draft)
    filing_review(user=office, filing=draft, action=RETURN, comment="请补充。")
    with frozen(2020, 11, 10, 10):
        report = filing_submit(user=lead_user, filing=draft)
    assert report.is_late
    assert [e.is_late for e in ReviewEvent.objects.filter(report=draft).order_by("id")] == [True, True, True]


def test_lateness_is_set_by_the_first_submission(lead_user, office, submitted):
    # Submitted on time; returned and fixed after the due date: the report was not late.
    filing_review(user=office, filing=submitted, action=RETURN, comment="请补充。")
    with frozen(2020, 11, 20, 10):
        report = filing_submit(user=lead_user, filing=submitted)
    assert not report.is_late
    assert report.submitted_at == dt.datetime(2020, 11, 20, 10, tzinfo=SHANGHAI)


# --- review by the office ------------------------------------------------------------------------


def test_approve(office, submitted):
    report = filing_review(user=office, filing=submitted, action=APPROVE)
    assert report.status == status_of(submitted) == FilingStatus.APPROVED
    assert events(submitted)[-1] == ("approve", "submitted", "approved", "office", "")


def test_return_with_a_comment(office, submitted):
    report = filing_review(user=office, filing=submitted, action=RETURN, comment="  请补充审批时限数据。 ")
    assert report.status == status_of(submitted) == FilingStatus.RETURNED
    assert events(submitted)[-1] == ("return", "submitted", "returned", "office", "请补充审批时限数据。")


@pytest.mark.parametrize("comment", ["", "   "])
def test_return_requires_a_comment(office, submitted, comment):
    with pytest.raises(DispatchError) as caught:
        filing_review(user=office, filing=submitted, action=RETURN, comment=comment)
    assert caught.value.fields == {"comment": "请填写理由。"}
    assert status_of(submitted) == FilingStatus.SUBMITTED and len(events(submitted)) == 1


def test_returned_report_is_fixed_and_resubmitted(lead_user, office, task_1_1, period, submitted):
    filing_review(user=office, filing=submitted, action=RETURN, comment="请补充。")
    fixed = ReportInput(completed="补充：审批时限压缩至 40 个工作日。", next_plan="推行容缺受理。", progress=45)
    report = report_save(user=lead_user, task=task_1_1, period=period, data=fixed)
    assert report.pk == submitted.pk and report.status == FilingStatus.RETURNED and report.progress == 45
    with frozen(2020, 11, 5, 10):
        report = filing_submit(user=lead_user, filing=report)
    assert report.status == FilingStatus.SUBMITTED
    assert events(submitted)[-1] == ("submit", "returned", "submitted", "lead", "")
    filing_review(user=office, filing=report, action=APPROVE)
    assert [e[0] for e in events(submitted)] == ["submit", "return", "submit", "approve"]


def test_reopen_an_approved_report_with_a_reason(lead_user, office, task_1_1, period, approved):
    report = filing_review(user=office, filing=approved, action=REOPEN, comment="数据需更正。")
    assert report.status == status_of(approved) == FilingStatus.RETURNED
    assert events(approved)[-1] == ("reopen", "approved", "returned", "office", "数据需更正。")
    # Reopened, the unit may change it again.
    report_save(user=lead_user, task=task_1_1, period=period, data=ReportInput(**{**vars(FULL), "progress": 42}))
    assert ProgressReport.objects.get(pk=approved.pk).progress == 42


def test_reopen_requires_a_reason(office, approved):
    with pytest.raises(DispatchError, match="理由"):
        filing_review(user=office, filing=approved, action=REOPEN, comment=" ")
    assert status_of(approved) == FilingStatus.APPROVED


@pytest.mark.parametrize(("fixture", "action"), [
    ("draft", APPROVE), ("draft", RETURN), ("draft", REOPEN),
    ("submitted", REOPEN),
    ("approved", APPROVE), ("approved", RETURN),
])
def test_illegal_review_transitions_are_refused(office, request, fixture, action):
    filing = request.getfixturevalue(fixture)
    before = (status_of(filing), len(events(filing)))
    with pytest.raises(DispatchError, match="当前为「.+」，不能"):
        filing_review(user=office, filing=filing, action=action, comment="理由")
    assert (status_of(filing), len(events(filing))) == before


def test_review_of_a_returned_report_is_refused(office, submitted):
    filing_review(user=office, filing=submitted, action=RETURN, comment="请补充。")
    for action in (APPROVE, RETURN, REOPEN):
        with pytest.raises(DispatchError, match="已退回"):
            filing_review(user=office, filing=submitted, action=action, comment="理由")


@pytest.mark.parametrize("action", ["submit", "delete", ""])
def test_unknown_review_action_is_a_dispatch_error(office, submitted, action):
    with pytest.raises(DispatchError, match="未知的审核操作"):
        filing_review(user=office, filing=submitted, action=action, comment="理由")
    assert status_of(submitted) == FilingStatus.SUBMITTED


@pytest.mark.parametrize(("fixture", "message"), [("submitted", "待审核"), ("approved", "已通过")])
def test_submit_twice_is_refused(lead_user, request, fixture, message):
    filing = request.getfixturevalue(fixture)
    with pytest.raises(DispatchError, match=f"当前为「{message}」，不能再次提交"):
        filing_submit(user=lead_user, filing=filing)


@pytest.mark.parametrize("persona", ["inspector", "leader", "lead_user", "supporting_user", "outsider"], indirect=True)
@pytest.mark.parametrize("action", [APPROVE, RETURN])
def test_only_the_office_reviews(persona, action, submitted):
    with pytest.raises(PermissionDenied, match="只有新区营商办可以审核"):
        filing_review(user=persona, filing=submitted, action=action, comment="理由")
    assert status_of(submitted) == FilingStatus.SUBMITTED


def test_only_the_office_reopens(inspector, approved):
    with pytest.raises(PermissionDenied):
        filing_review(user=inspector, filing=approved, action=REOPEN, comment="理由")


def test_superuser_may_review(plan, submitted):
    admin = UserFactory.in_unit("新区党工委组织部（营商办）", is_superuser=True, role="unit_staff")
    assert filing_review(user=admin, filing=submitted, action=APPROVE).status == FilingStatus.APPROVED


def test_a_stale_copy_cannot_review_twice(office, submitted):
    # Two reviewers hold the same submitted report; the second one sees the first one's outcome.
    stale = ProgressReport.objects.get(pk=submitted.pk)
    filing_review(user=office, filing=submitted, action=APPROVE)
    with pytest.raises(DispatchError, match="已通过"):
        filing_review(user=office, filing=stale, action=RETURN, comment="退回")
    assert len(events(submitted)) == 2


# --- locking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("fixture", "message"), [("submitted", "待审核"), ("approved", "已通过")])
def test_submitted_and_approved_reports_are_locked(lead_user, task_1_1, period, request, fixture, message):
    filing = request.getfixturevalue(fixture)
    with pytest.raises(DispatchError, match=f"当前为「{message}」，不能修改"):
        report_save(user=lead_user, task=task_1_1, period=period, data=ReportInput(completed="改写", progress=99))
    assert ProgressReport.objects.get(pk=filing.pk).progress == 40


def test_closed_period_refuses_save_and_submit(lead_user, office, task_1_1, period, draft):
    period_close(period=period, user=office)
    with pytest.raises(DispatchError, match="2020年10月填报期已关闭"):
        report_save(user=lead_user, task=task_1_1, period=period, data=FULL)
    with pytest.raises(DispatchError, match="已关闭，不能提交"):
        filing_submit(user=lead_user, filing=draft)
    assert status_of(draft) == FilingStatus.DRAFT


def test_closed_period_refuses_a_contribution(supporting_user, office, task_1_1, period):
    contribution = contribution_save(user=supporting_user, task=task_1_1, period=period, text="配合。")
    period_close(period=period, user=office)
    with pytest.raises(DispatchError, match="已关闭"):
        contribution_save(user=supporting_user, task=task_1_1, period=period, text="改")
    with pytest.raises(DispatchError, match="已关闭"):
        filing_submit(user=supporting_user, filing=contribution)


def test_office_still_reviews_after_the_period_closes(office, period, submitted):
    period_close(period=period, user=office)
    assert filing_review(user=office, filing=submitted, action=APPROVE).status == FilingStatus.APPROVED


def test_progress_outside_0_to_100_is_refused(lead_user, task_1_1, period):
    for progress in (-1, 101):
        with pytest.raises(DispatchError) as caught:
            report_save(user=lead_user, task=task_1_1, period=period, data=ReportInput(progress=progress))
        assert caught.value.fields == {"progress": "完成进度应在 0 到 100 之间。"}
    assert not ProgressReport.objects.exists()


# --- approving several at once ----------------------------------------------------------------


def submitted_report(user, code: str, period) -> ProgressReport:
    from tasks.models import Task

    report = report_save(user=user, task=Task.objects.get(code=code), period=period, data=FULL)
    with frozen(2020, 11, 3, 10):
        return filing_submit(user=user, filing=report)


def test_filings_approve_approves_all(office, lead_user, period):
    reports = [submitted_report(lead_user, code, period) for code in ("1.1", "1.3", "1.4")]
    assert filings_approve(user=office, filings=reports) == 3
    assert {status_of(r) for r in reports} == {FilingStatus.APPROVED}
    assert ReviewEvent.objects.filter(action=APPROVE).count() == 3


def test_filings_approve_is_all_or_nothing(office, lead_user, task_1_1, period):
    reports = [submitted_report(lead_user, code, period) for code in ("1.3", "1.4")]
    still_draft = report_save(user=lead_user, task=task_1_1, period=period, data=FULL)
    with pytest.raises(DispatchError, match="草稿"):
        filings_approve(user=office, filings=[*reports, still_draft])
    assert {status_of(r) for r in reports} == {FilingStatus.SUBMITTED}
    assert not ReviewEvent.objects.filter(action=APPROVE).exists()


def test_filings_approve_by_a_non_office_user_approves_nothing(inspector, lead_user, period):
    reports = [submitted_report(lead_user, "1.1", period)]
    with pytest.raises(PermissionDenied):
        filings_approve(user=inspector, filings=reports)
    assert status_of(reports[0]) == FilingStatus.SUBMITTED


def test_filings_approve_mixes_kinds(office, lead_user, supporting_user, task_1_1, period, submitted):
    contribution = contribution_save(user=supporting_user, task=task_1_1, period=period, text="配合。")
    with frozen(2020, 11, 3, 10):
        filing_submit(user=supporting_user, filing=contribution)
    assert filings_approve(user=office, filings=[submitted, contribution]) == 2
    assert status_of(contribution) == status_of(submitted) == FilingStatus.APPROVED


# --- discarding and deleting --------------------------------------------------------------------


def test_a_draft_never_submitted_may_be_discarded(lead_user, draft):
    filing_discard(user=lead_user, filing=draft)
    assert not ProgressReport.objects.filter(pk=draft.pk).exists()
    deleted = ProgressReport.history.get(id=draft.pk, history_type="-")
    assert deleted.history_user == lead_user


@pytest.mark.parametrize("fixture", ["submitted", "approved"])
def test_a_submitted_report_cannot_be_discarded(lead_user, request, fixture):
    filing = request.getfixturevalue(fixture)
    with pytest.raises(DispatchError, match="提交过的填报不能删除"):
        filing_discard(user=lead_user, filing=filing)
    assert ProgressReport.objects.filter(pk=filing.pk).exists()


def test_a_returned_report_cannot_be_discarded(lead_user, office, submitted):
    filing_review(user=office, filing=submitted, action=RETURN, comment="请补充。")
    with pytest.raises(DispatchError, match="提交过的填报不能删除"):
        filing_discard(user=lead_user, filing=submitted)


def test_the_database_keeps_a_submitted_report(submitted):
    # The review record protects the report, whatever code tries to delete it.
    with pytest.raises(ProtectedError):
        ProgressReport.objects.filter(pk=submitted.pk).delete()
    with pytest.raises(ProtectedError):
        submitted.delete()
    assert ProgressReport.objects.filter(pk=submitted.pk).exists()


def test_discarding_contributions_and_annual_plans(lead_user, supporting_user, task_1_1, period):
    contribution = contribution_save(user=supporting_user, task=task_1_1, period=period, text="配合。")
    filing_discard(user=supporting_user, filing=contribution)
    assert not Contribution.objects.exists()
    plan = annual_plan_save(user=lead_user, task=task_1_1, year=2021, content="方案")
    with frozen(2021, 1, 5, 10):
        filing_submit(user=lead_user, filing=plan)
    with pytest.raises(DispatchError):
        filing_discard(user=lead_user, filing=plan)
    with pytest.raises(ProtectedError):
        AnnualWorkPlan.objects.filter(pk=plan.pk).delete()


# --- contributions and annual work plans share the flow -----------------------------------------


def test_contribution_flow(supporting_user, office, task_1_1, period):
    contribution = contribution_save(user=supporting_user, task=task_1_1, period=period, text="  ")
    with pytest.raises(DispatchError) as caught:
        filing_submit(user=supporting_user, filing=contribution)
    assert caught.value.fields == {"text": "请填写配合情况。"}
    contribution = contribution_save(user=supporting_user, task=task_1_1, period=period, text=" 配合做好并联审批。 ")
    assert contribution.text == "配合做好并联审批。"
    with frozen(2020, 11, 9, 10):
        contribution = filing_submit(user=supporting_user, filing=contribution)
    assert contribution.is_late
    with pytest.raises(DispatchError, match="不能修改"):
        contribution_save(user=supporting_user, task=task_1_1, period=period, text="改")
    filing_review(user=office, filing=contribution, action=RETURN, comment="请写明数量。")
    contribution_save(user=supporting_user, task=task_1_1, period=period, text="配合完成 12 个项目。")
    with frozen(2020, 11, 10, 10):
        filing_submit(user=supporting_user, filing=contribution)
    filing_review(user=office, filing=contribution, action=APPROVE)
    rows = ReviewEvent.objects.filter(contribution=contribution).order_by("id")
    assert [(e.action, e.from_status, e.to_status) for e in rows] == [
        ("submit", "draft", "submitted"), ("return", "submitted", "returned"),
        ("submit", "returned", "submitted"), ("approve", "submitted", "approved"),
    ]
    assert [e.actor for e in rows] == [supporting_user, office, supporting_user, office]


def test_annual_plan_flow_and_its_due_date(lead_user, office, task_1_1):
    plan = annual_plan_save(user=lead_user, task=task_1_1, year=2021, content=" 2021 年工作方案：… ")
    assert plan.due_date == dt.date(2021, 1, 31) and plan.content == "2021 年工作方案：…"
    with frozen(2021, 2, 1, 9):
        plan = filing_submit(user=lead_user, filing=plan)
    assert plan.is_late
    filing_review(user=office, filing=plan, action=APPROVE)
    with pytest.raises(DispatchError, match="当前为「已通过」，不能修改"):
        annual_plan_save(user=lead_user, task=task_1_1, year=2021, content="改")
    filing_review(user=office, filing=plan, action=REOPEN, comment="请补充工作台账。")
    assert annual_plan_save(user=lead_user, task=task_1_1, year=2021, content="补充台账").content == "补充台账"
    assert [e.action for e in ReviewEvent.objects.filter(annual_plan=plan)] == ["submit", "approve", "reopen"]


def test_annual_plan_on_time_in_january(lead_user, task_1_1):
    plan = annual_plan_save(user=lead_user, task=task_1_1, year=2022, content="方案")
    with frozen(2022, 1, 31, 18):
        assert not filing_submit(user=lead_user, filing=plan).is_late


def test_annual_plan_due_day_is_a_setting(settings, lead_user, task_1_1):
    settings.ANNUAL_PLAN_DUE_DAY_OF_JANUARY = 20
    assert annual_plan_save(user=lead_user, task=task_1_1, year=2021, content="方案").due_date == dt.date(2021, 1, 20)


@pytest.mark.parametrize("year", [2019, 2023])
def test_annual_plan_for_a_year_outside_the_plan_is_refused(lead_user, task_1_1, year):
    with pytest.raises(DispatchError, match=f"{year} 年不在方案执行期内"):
        annual_plan_save(user=lead_user, task=task_1_1, year=year, content="方案")
    assert not AnnualWorkPlan.objects.exists()
