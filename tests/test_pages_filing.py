"""The units' pages of monthly dispatch (月调度): the reporting inbox, the report form with 有对比,
the contribution and annual-plan forms, evidence, notifications, and the lights on the pages.

The seed plan runs 2020–2022, so the tests report on June 2022 (due on the 5th working day of
July: Thursday 2022-07-07) and, where days left matter, travel to the first days of July.
Task 1.1: lead 新区行政审批与政务服务局 (lead_user), supporting 沣东新城 (supporting_user).
Task 7.3: lead among others 审批局; one indicator for the whole plan period.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tasks.choices import FilingStatus, ReviewAction
from tasks.models import (
    AnnualWorkPlan,
    Contribution,
    Evidence,
    Notification,
    ProgressReport,
    ReportingPeriod,
    Task,
)
from tasks.services import dispatch
from tests.factories import UserFactory
from tests.matrix import signed_in

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def tiny_pdf() -> bytes:
    """A small, valid one-page PDF (the content check reads its signature)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_upload(name: str = "6月工作台账.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, tiny_pdf(), content_type="application/pdf")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Evidence files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def june(db) -> ReportingPeriod:
    return dispatch.period_open(year=2022, month=6)


@pytest.fixture
def may(db) -> ReportingPeriod:
    return dispatch.period_open(year=2022, month=5)


@pytest.fixture
def task_7_3(plan) -> Task:
    return Task.objects.get(plan=plan, code="7.3")


@pytest.fixture
def early_july():
    """Monday 2022-07-04: three working days before the June report falls due."""
    with time_machine.travel(at(2022, 7, 4, 10), tick=False):
        yield


FULL = {"completed": "完成并联审批改造，办结项目 12 个。", "problems": "个别部门材料共享滞后。",
        "next_plan": "推动审批清单全部上线。", "progress": "45"}


def report_url(period, task) -> str:
    return reverse("report-edit", args=[period.pk, task.pk])


def contribution_url(period, task) -> str:
    return reverse("contribution-edit", args=[period.pk, task.pk])


def file_report(user, task, period, **fields) -> ProgressReport:
    """A lead unit's report, saved and submitted through the services."""
    data = {"completed": "已推进。", "next_plan": "继续推进。", "progress": 40} | fields
    report = dispatch.report_save(user=user, task=task, period=period, data=dispatch.ReportInput(**data))
    return dispatch.filing_submit(user=user, filing=report)




def html_of(response) -> str:
    return response.content.decode()


def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name}"
    return match.group(1)


# --- the reporting inbox ---------------------------------------------------------------------------


def test_inbox_lists_the_units_lead_and_supporting_tasks(client, lead_user, supporting_user, task_1_1, june, early_july):
    rows = signed_in(client, lead_user).get(reverse("reporting-inbox")).context["rows"]
    mine = {row.task.code: row.role for row in rows}
    assert mine["1.1"] == "lead" and mine["2.2"] == "supporting"
    html = html_of(client.get(reverse("reporting-inbox")))
    assert "2022年6月" in html and "2022年7月7日" in html
    assert "还有 3 个工作日" in html
    assert f'href="{report_url(june, task_1_1)}"' in html
    assert "进展填报" in html and "配合情况" in html

    rows = signed_in(client, supporting_user).get(reverse("reporting-inbox")).context["rows"]
    assert {row.task.code: row.role for row in rows}["1.1"] == "supporting"
    # A supporting unit sees the task's light: that of its lead unit.
    supporting_row = next(row for row in rows if row.task.code == "1.1")
    assert supporting_row.light is not None and "牵头" in html_of(client.get(reverse("reporting-inbox")))
    assert contribution_url(june, task_1_1) in html_of(client.get(reverse("reporting-inbox")))


def test_inbox_light_carries_its_reason(client, lead_user, june, early_july):
    html = html_of(signed_in(client, lead_user).get(reverse("reporting-inbox")))
    # Red (0% against the expected progress) or yellow (due in 3 working days): a reason either way.
    badge = re.search(r'<summary class="badge badge-(red|yellow|green)" title="([^"]+)">', html)
    assert badge and ("序时进度" in badge.group(2) or "到期" in badge.group(2))
    assert f'<span class="light-reason">{badge.group(2)}</span>' in html


def test_inbox_counts_overdue_working_days(client, lead_user, june):
    with time_machine.travel(at(2022, 7, 11, 9), tick=False):  # Monday after the Thursday due date
        html = html_of(signed_in(client, lead_user).get(reverse("reporting-inbox")))
    assert "逾期 2 个工作日" in html


def test_inbox_says_when_the_due_date_is_provisional(client, lead_user, june):
    ReportingPeriod.objects.filter(pk=june.pk).update(due_provisional=True)
    html = html_of(signed_in(client, lead_user).get(reverse("reporting-inbox")))
    assert "截止日期按周一至周五暂定，节假日尚未录入" in html


def test_inbox_of_another_period(client, lead_user, june, may, task_1_1):
    response = signed_in(client, lead_user).get(reverse("reporting-inbox"), {"period": may.pk})
    assert response.context["period"] == may
    assert report_url(may, task_1_1) in html_of(response)
    assert client.get(reverse("reporting-inbox"), {"period": "x"}).status_code == 404
    assert client.get(reverse("reporting-inbox"), {"period": 987654}).status_code == 404


def test_returned_reports_come_first_with_the_comment(client, lead_user, office, plan, june):
    task_1_3 = Task.objects.get(plan=plan, code="1.3")
    report = file_report(lead_user, task_1_3, june)
    dispatch.filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="请补充问题的原因和措施。")
    response = signed_in(client, lead_user).get(reverse("reporting-inbox"))
    rows = response.context["rows"]
    assert rows[0].task.code == "1.3" and rows[0].returned
    html = html_of(response)
    assert html.count("请补充问题的原因和措施。") == 2  # the returned panel and the row
    assert html.index("被退回待修改") < html.index('id="inbox-title"')

    home = html_of(client.get(reverse("home")))
    assert "被退回待修改" in home and "请补充问题的原因和措施。" in home
    assert home.index("被退回待修改") < home.index('id="lead-title"')

    dispatch.period_close(period=june, user=office)  # nothing can be fixed any more
    assert "被退回待修改" not in html_of(client.get(reverse("home")))


def test_annual_plans_due_are_listed_until_submitted(client, lead_user, task_1_1, june):
    response = signed_in(client, lead_user).get(reverse("reporting-inbox"))
    assert "1.1" in [row.task.code for row in response.context["annual_due"]]
    assert reverse("annual-plan-edit", args=[2022, task_1_1.pk]) in html_of(response)

    plan = dispatch.annual_plan_save(user=lead_user, task=task_1_1, year=2022, content="全年计划。")
    dispatch.filing_submit(user=lead_user, filing=plan)
    response = client.get(reverse("reporting-inbox"))
    assert "1.1" not in [row.task.code for row in response.context["annual_due"]]


def test_office_inbox_explains_what_the_page_is_for(client, office, june):
    response = signed_in(client, office).get(reverse("reporting-inbox"))
    assert response.status_code == 200 and response.context["rows"] == []
    assert "供各责任单位的填报员" in html_of(response)


# --- the report form ------------------------------------------------------------------------------


def test_report_form_shows_fields_indicators_and_accepted_types(client, lead_user, task_7_3, june):
    html = html_of(signed_in(client, lead_user).get(report_url(june, task_7_3)))
    for label in ("本月完成情况", "存在问题", "下月计划", "完成进度", "佐证材料", "保存草稿", "提交"):
        assert label in html
    assert "城市社区政务服务圈" in html and "≤ 15 分钟" in html  # the plan-period indicator
    assert "“三服四化”改革镇街" not in html  # a 2020 indicator: not for a 2022 report
    assert "pdf、doc、docx、xls、xlsx、jpg、png" in html and 'multiple' in html
    assert 'enctype="multipart/form-data"' in html
    assert "删除草稿" not in html  # nothing to discard yet


def test_save_draft_keeps_whatever_was_typed(client, lead_user, task_1_1, june):
    signed_in(client, lead_user)
    response = client.post(report_url(june, task_1_1), {"completed": "只写了一半", "action": "save"})
    assert response.status_code == 302 and response["Location"] == report_url(june, task_1_1)
    report = ProgressReport.objects.get(task=task_1_1, period=june)
    assert (report.status, report.completed, report.next_plan, report.progress) == ("draft", "只写了一半", "", None)
    page = client.get(report_url(june, task_1_1))
    assert "草稿已保存，尚未提交。" in html_of(page)
    assert textarea(html_of(page), "completed") == "只写了一半"
    assert "删除草稿" in html_of(page)


def test_invalid_progress_is_explained_and_nothing_typed_is_lost(client, lead_user, task_1_1, june):
    response = signed_in(client, lead_user).post(report_url(june, task_1_1), {**FULL, "progress": "120", "action": "save"})
    assert response.status_code == 200
    html = html_of(response)
    assert "完成进度应在 0 到 100 之间。" in html
    assert textarea(html, "completed") == FULL["completed"] and textarea(html, "next_plan") == FULL["next_plan"]
    assert 'value="120"' in html
    assert not ProgressReport.objects.exists()


def test_submit_with_missing_fields_shows_each_message_and_keeps_the_input(client, lead_user, task_1_1, june):
    data = {"completed": "本月完成了清单梳理。", "problems": "暂无", "action": "submit"}
    response = signed_in(client, lead_user).post(report_url(june, task_1_1), data)
    assert response.status_code == 200
    html = html_of(response)
    assert "还有必填内容没有填写。" in html
    errors = re.findall(r'<div class="form-row has-error">\s*<label for="id_(\w+)">.*?<p class="field-error">(.*?)</p>', html, re.S)
    assert ("next_plan", "请填写下月计划。") in errors and ("progress", "请填写完成进度。") in errors
    assert textarea(html, "completed") == "本月完成了清单梳理。" and textarea(html, "problems") == "暂无"
    report = ProgressReport.objects.get(task=task_1_1, period=june)
    assert (report.status, report.completed) == ("draft", "本月完成了清单梳理。")  # saved, not submitted


def test_submit_saves_then_submits_and_locks_the_form(client, lead_user, office, task_7_3, june, early_july):
    indicator = task_7_3.indicators.get(year__isnull=True)
    data = {**FULL, f"actual_{indicator.pk}": "12.5", "files": [pdf_upload()], "action": "submit"}
    response = signed_in(client, lead_user).post(report_url(june, task_7_3), data)
    assert response.status_code == 302
    report = ProgressReport.objects.get(task=task_7_3, period=june)
    assert report.status == FilingStatus.SUBMITTED and report.progress == 45 and not report.is_late
    assert report.actuals.get().value == Decimal("12.5")
    assert report.evidence.get().original_name == "6月工作台账.pdf"

    html = html_of(client.get(report_url(june, task_7_3)))
    assert "已提交，等待新区营商办审核。" in html
    assert "<textarea" not in html and "审核前不能修改" in html
    assert FULL["completed"] in html and "12.5" in html and "6月工作台账.pdf" in html
    assert "审核记录" in html and "提交" in html
    assert Notification.objects.filter(recipient=office, read_at__isnull=True).count() == 1


def test_a_late_submission_says_so(client, lead_user, task_1_1, june):
    with time_machine.travel(at(2022, 7, 8, 9), tick=False):
        response = signed_in(client, lead_user).post(report_url(june, task_1_1), {**FULL, "action": "submit"}, follow=True)
    assert "本次为逾期提交。" in html_of(response) and "逾期提交" in html_of(response)


def test_returned_report_shows_the_comment_and_can_be_resubmitted(client, lead_user, office, task_1_1, june):
    report = file_report(lead_user, task_1_1, june)
    dispatch.filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="进度与完成情况不符。")
    signed_in(client, lead_user)
    html = html_of(client.get(report_url(june, task_1_1)))
    assert "新区营商办退回修改" in html and "进度与完成情况不符。" in html
    assert html.index("进度与完成情况不符。") < html.index('<form method="post" enctype')
    assert "<textarea" in html and "重新提交" in html and "删除草稿" not in html

    response = client.post(report_url(june, task_1_1), {**FULL, "action": "submit"})
    assert response.status_code == 302
    assert ProgressReport.objects.get(pk=report.pk).status == FilingStatus.SUBMITTED


def test_approved_report_is_locked(client, lead_user, office, task_1_1, june):
    report = file_report(lead_user, task_1_1, june, completed="原内容")
    dispatch.filing_review(user=office, filing=report, action=ReviewAction.APPROVE)
    signed_in(client, lead_user)
    html = html_of(client.get(report_url(june, task_1_1)))
    assert "<textarea" not in html and "已审核通过，内容已锁定" in html
    assert "审核通过" in html and str(office) in html

    response = client.post(report_url(june, task_1_1), {**FULL, "action": "save"})
    assert response.status_code == 200 and "不能修改" in html_of(response)
    assert ProgressReport.objects.get(pk=report.pk).completed == "原内容"


def test_compare_shows_the_previous_report_and_its_plan_for_this_month(client, lead_user, task_1_1, may, june):
    file_report(lead_user, task_1_1, may, completed="五月完成了甲。", next_plan="六月要完成乙。", progress=30)
    response = signed_in(client, lead_user).get(report_url(june, task_1_1))
    assert response.context["previous"].period == may
    aside = html_of(response).split('id="compare-title"')[1].split("</section>")[0]
    assert "2022年5月填报的下月计划（即本月计划）" in aside
    assert "六月要完成乙。" in aside and "五月完成了甲。" in aside and "30%" in aside


def test_compare_without_a_previous_report(client, lead_user, task_1_1, june):
    html = html_of(signed_in(client, lead_user).get(report_url(june, task_1_1)))
    assert "本期为首次填报" in html


def test_discard_a_draft(client, lead_user, task_1_1, june):
    signed_in(client, lead_user).post(report_url(june, task_1_1), {"completed": "草稿", "files": [pdf_upload()], "action": "save"})
    response = client.post(report_url(june, task_1_1), {"action": "discard"})
    assert response.status_code == 302 and response["Location"] == reverse("reporting-inbox")
    assert not ProgressReport.objects.exists() and not Evidence.objects.exists()


def test_a_submitted_report_cannot_be_discarded(client, lead_user, office, task_1_1, june):
    report = file_report(lead_user, task_1_1, june)
    dispatch.filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="补充")
    response = signed_in(client, lead_user).post(report_url(june, task_1_1), {"action": "discard"})
    assert response.status_code == 200 and "提交过的填报不能删除。" in html_of(response)
    assert ProgressReport.objects.filter(pk=report.pk).exists()


def test_closed_period_is_read_only(client, lead_user, office, task_1_1, june):
    dispatch.report_save(user=lead_user, task=task_1_1, period=june, data=dispatch.ReportInput(completed="未交"))
    dispatch.period_close(period=june, user=office)
    html = html_of(signed_in(client, lead_user).get(report_url(june, task_1_1)))
    assert "<textarea" not in html and "填报期已关闭" in html


# --- evidence ----------------------------------------------------------------------------------------


def test_evidence_is_downloaded_as_an_attachment_under_its_chinese_name(client, lead_user, task_1_1, june):
    signed_in(client, lead_user).post(report_url(june, task_1_1), {**FULL, "files": [pdf_upload()], "action": "save"})
    evidence = Evidence.objects.get()
    page = html_of(client.get(report_url(june, task_1_1)))
    assert reverse("evidence-download", args=[evidence.pk]) in page and "6月工作台账.pdf" in page

    response = client.get(reverse("evidence-download", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''6%E6%9C%88%E5%B7%A5%E4%BD%9C%E5%8F%B0%E8%B4%A6.pdf" in disposition
    assert b"".join(response.streaming_content) == tiny_pdf()


def test_a_file_missing_from_storage_is_404(client, lead_user, task_1_1, june):
    signed_in(client, lead_user).post(report_url(june, task_1_1), {**FULL, "files": [pdf_upload()], "action": "save"})
    evidence = Evidence.objects.get()
    evidence.file.storage.delete(evidence.file.name)
    assert client.get(reverse("evidence-download", args=[evidence.pk])).status_code == 404


def test_a_file_whose_content_does_not_match_is_refused_beside_the_field(client, lead_user, task_1_1, june):
    fake = SimpleUploadedFile("台账.pdf", b"just text", content_type="application/pdf")
    response = signed_in(client, lead_user).post(report_url(june, task_1_1), {**FULL, "files": [fake], "action": "save"})
    assert response.status_code == 200
    html = html_of(response)
    assert "内容与扩展名 .pdf 不符" in html and textarea(html, "completed") == FULL["completed"]
    assert not Evidence.objects.exists()


def test_deleting_a_file_keeps_what_was_typed(client, lead_user, task_1_1, june):
    signed_in(client, lead_user).post(report_url(june, task_1_1), {**FULL, "files": [pdf_upload()], "action": "save"})
    evidence = Evidence.objects.get()
    response = client.post(report_url(june, task_1_1), {**FULL, "completed": "改过的内容", "delete_evidence": evidence.pk})
    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert ProgressReport.objects.get().completed == "改过的内容"
    assert "已删除佐证材料「6月工作台账.pdf」" in html_of(client.get(report_url(june, task_1_1)))


# --- contributions and annual plans -------------------------------------------------------------


def test_supporting_unit_sees_the_lead_report_once_submitted(client, lead_user, supporting_user, task_1_1, june):
    dispatch.report_save(user=lead_user, task=task_1_1, period=june, data=dispatch.ReportInput(completed="牵头草稿内容"))
    html = html_of(signed_in(client, supporting_user).get(contribution_url(june, task_1_1)))
    assert "牵头单位尚未提交2022年6月的进展" in html and "牵头草稿内容" not in html

    file_report(lead_user, task_1_1, june, completed="牵头已提交内容")
    html = html_of(client.get(contribution_url(june, task_1_1)))
    assert "牵头已提交内容" in html and "新区行政审批与政务服务局" in html


def test_contribution_save_and_submit(client, supporting_user, office, task_1_1, june):
    signed_in(client, supporting_user)
    response = client.post(contribution_url(june, task_1_1), {"text": "", "action": "submit"})
    assert response.status_code == 200 and "请填写配合情况。" in html_of(response)

    response = client.post(contribution_url(june, task_1_1), {"text": "沣东配合完成了踏勘。", "action": "save"})
    assert response.status_code == 302
    assert Contribution.objects.get().status == FilingStatus.DRAFT
    response = client.post(contribution_url(june, task_1_1), {"text": "沣东配合完成了踏勘。", "action": "submit"})
    contribution = Contribution.objects.get()
    assert contribution.status == FilingStatus.SUBMITTED and contribution.unit.name == "沣东新城"
    assert "已提交" in html_of(client.get(contribution_url(june, task_1_1)))


def test_annual_plan_save_and_submit_with_due_date(client, lead_user, task_1_1):
    url = reverse("annual-plan-edit", args=[2022, task_1_1.pk])
    signed_in(client, lead_user)
    assert "2022年1月31日" in html_of(client.get(url))
    data = {"content": "2022 年度工作方案：任务清单与台账。", "files": [pdf_upload("2022年台账.pdf")], "action": "submit"}
    assert client.post(url, data).status_code == 302
    plan = AnnualWorkPlan.objects.get()
    assert plan.status == FilingStatus.SUBMITTED and plan.evidence.get().original_name == "2022年台账.pdf"
    html = html_of(client.get(url))
    assert "<textarea" not in html and "2022年台账.pdf" in html


def test_annual_plan_outside_the_plan_years_is_404(client, lead_user, task_1_1):
    assert signed_in(client, lead_user).get(reverse("annual-plan-edit", args=[2019, task_1_1.pk])).status_code == 404


# --- lights on the existing pages -------------------------------------------------------------------


def light_titles(html: str) -> list[str]:
    return re.findall(r'<summary class="badge badge-(?:red|yellow|green)" title="([^"]+)">', html)


def test_lights_with_their_reasons_on_home_plan_search_and_task(client, lead_user, plan, task_1_1, june):
    file_report(lead_user, task_1_1, june, progress=95)
    signed_in(client, lead_user)
    with time_machine.travel(at(2022, 7, 20, 10), tick=False):
        pages = {
            "home": client.get(reverse("home")),
            "plan": client.get(reverse("plan-detail", args=[plan.pk])),
            "search": client.get(reverse("task-list")),
            "task": client.get(reverse("task-detail", args=[task_1_1.pk])),
        }
    for name, response in pages.items():
        titles = light_titles(html_of(response))
        assert titles, name
        assert "按时推进：完成进度 95%，序时进度 85%" in titles, name  # 1.1, green
    task_page = html_of(pages["task"])
    assert "牵头单位" in task_page and "按时推进：完成进度 95%，序时进度 85%</span>" in task_page


def test_office_home_warns_of_a_calendar_year_without_holidays(client, office):
    with time_machine.travel(at(2026, 11, 30, 9), tick=False):
        html = html_of(signed_in(client, office).get(reverse("home")))
        assert "2027年节假日尚未录入，相关截止日期按周一至周五暂定" in html
        assert reverse("admin:tasks_workingdayoverride_changelist") not in html  # not staff
        office.is_staff = True
        office.save(update_fields=["is_staff"])
        html = html_of(client.get(reverse("home")))
    assert reverse("admin:tasks_workingdayoverride_changelist") in html


def test_no_calendar_warning_when_the_years_are_known(client, office):
    with time_machine.travel(at(2025, 3, 3, 9), tick=False):
        assert "节假日尚未录入" not in html_of(signed_in(client, office).get(reverse("home")))


# --- the task page: history for every visible task, never another unit's drafts --------------------


def test_task_page_shows_reports_contributions_annual_plans_and_timeline(
    client, lead_user, supporting_user, office, task_1_1, may, june,
):
    report = file_report(lead_user, task_1_1, may, completed="五月的进展", progress=30)
    dispatch.filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="补充数据")
    dispatch.report_save(user=lead_user, task=task_1_1, period=may,
                         data=dispatch.ReportInput(completed="五月的进展（补充）", next_plan="六月", progress=35),
                         files=[pdf_upload()])
    dispatch.filing_submit(user=lead_user, filing=report)
    dispatch.report_save(user=lead_user, task=task_1_1, period=june, data=dispatch.ReportInput(completed="审批局六月草稿"))
    contribution = dispatch.contribution_save(user=supporting_user, task=task_1_1, period=may, text="沣东配合踏勘")
    dispatch.filing_submit(user=supporting_user, filing=contribution)
    dispatch.contribution_save(user=supporting_user, task=task_1_1, period=june, text="沣东六月草稿")
    plan = dispatch.annual_plan_save(user=lead_user, task=task_1_1, year=2022, content="年度方案正文")
    dispatch.filing_submit(user=lead_user, filing=plan)

    html = html_of(signed_in(client, office).get(reverse("task-detail", args=[task_1_1.pk])))
    assert "五月的进展（补充）" in html and "35%" in html and "补充数据" in html
    assert "6月工作台账.pdf" in html and "退回修改" in html
    assert "沣东配合踏勘" in html and "年度方案正文" in html
    assert "变更记录" in html and "修改进展填报" in html
    assert "审批局六月草稿" not in html and "沣东六月草稿" not in html  # drafts stay with their unit

    lead_view = html_of(signed_in(client, lead_user).get(reverse("task-detail", args=[task_1_1.pk])))
    assert "审批局六月草稿" in lead_view  # its own draft
    assert "沣东六月草稿" not in lead_view
    assert f'href="{reverse("report-edit", args=[june.pk, task_1_1.pk])}"' in lead_view  # 填报 link

    support_view = html_of(signed_in(client, supporting_user).get(reverse("task-detail", args=[task_1_1.pk])))
    assert "沣东六月草稿" in support_view and "审批局六月草稿" not in support_view
    assert contribution_url(june, task_1_1) in support_view


# --- notifications -----------------------------------------------------------------------------


def unread_badge(html: str) -> str | None:
    match = re.search(r'<span class="inbox-count">(\d+)</span>', html)
    return match.group(1) if match else None


def test_unread_count_in_the_top_bar_and_the_list(client, lead_user, office, task_1_1, june):
    signed_in(client, office)
    assert unread_badge(html_of(client.get(reverse("home")))) is None
    report = file_report(lead_user, task_1_1, june)
    html = html_of(client.get(reverse("home")))
    assert unread_badge(html) == "1"

    dispatch.filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="请补充。")
    signed_in(client, lead_user)
    page = html_of(client.get(reverse("notification-list")))
    assert unread_badge(page) == "1"
    assert "进展填报被退回修改：1.1" in page and "请补充。" in page
    assert 'class="notification is-unread"' in page


def test_unread_messages_come_first(client, lead_user):
    old = Notification.objects.create(recipient=lead_user, title="旧的未读")
    read = Notification.objects.create(recipient=lead_user, title="新的已读", read_at=old.created_at)
    new = Notification.objects.create(recipient=lead_user, title="新的未读")
    page = signed_in(client, lead_user).get(reverse("notification-list")).context["page"]
    assert [n.pk for n in page.object_list] == [new.pk, old.pk, read.pk]


def test_mark_one_and_all_read(client, lead_user):
    first = Notification.objects.create(recipient=lead_user, title="一")
    Notification.objects.create(recipient=lead_user, title="二")
    others = Notification.objects.create(recipient=UserFactory.in_unit("沣东新城"), title="别人的")
    signed_in(client, lead_user)
    response = client.post(reverse("notification-mark-read"), {"id": first.pk})
    assert response.status_code == 302 and response["Location"] == reverse("notification-list")
    assert list(Notification.objects.filter(recipient=lead_user, read_at__isnull=True).values_list("title", flat=True)) == ["二"]
    client.post(reverse("notification-mark-read"), {"id": others.pk})  # not the user's: nothing happens
    assert Notification.objects.get(pk=others.pk).read_at is None
    response = client.post(reverse("notification-mark-read"), follow=True)
    assert "已将 1 条消息标为已读。" in html_of(response)
    assert not Notification.objects.filter(recipient=lead_user, read_at__isnull=True).exists()


def test_opening_a_message_marks_it_read_and_follows_its_link(client, lead_user, task_1_1):
    note = Notification.objects.create(recipient=lead_user, title="进展填报被退回修改：1.1",
                                       url=reverse("task-detail", args=[task_1_1.pk]))
    offsite = Notification.objects.create(recipient=lead_user, title="外链", url="https://example.com/")
    signed_in(client, lead_user)
    response = client.post(reverse("notification-open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == note.url
    assert Notification.objects.get(pk=note.pk).read_at is not None
    assert client.post(reverse("notification-open", args=[offsite.pk]))["Location"] == reverse("notification-list")
    stranger = Notification.objects.create(recipient=UserFactory.in_unit("沣东新城"), title="别人的")
    assert client.post(reverse("notification-open", args=[stranger.pk])).status_code == 404


# --- markup the CSP allows ------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


def test_filing_pages_have_no_inline_script_or_style(client, lead_user, supporting_user, task_1_1, june):
    file_report(lead_user, task_1_1, june)
    urls = [reverse("reporting-inbox"), report_url(june, task_1_1), reverse("annual-plan-edit", args=[2022, task_1_1.pk]),
            reverse("notification-list"), reverse("task-detail", args=[task_1_1.pk]), reverse("home")]
    signed_in(client, lead_user)
    pages = [html_of(client.get(url)) for url in urls]
    pages.append(html_of(signed_in(client, supporting_user).get(contribution_url(june, task_1_1))))
    for html in pages:
        assert not INLINE_SCRIPT.search(html)
        assert " style=" not in html and "<style" not in html and "https://" not in html
