"""The Excel round-trip against the database: the template a lead unit downloads holds its
inbox's lead tasks, an upload is checked and kept for its owner, and a confirmation saves every
row through the monthly-dispatch services — as drafts or submitted, late or on time — or none.

新区行政审批与政务服务局 (lead_user) leads 1.1, 1.3, 1.4 and more; 沣东新城 (supporting_user) only
supports 1.1; 保障5 is 新区考核办's (outsider). June 2022 falls due on Thursday 2022-07-07.
"""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from openpyxl import load_workbook

from reports.models import RoundtripUpload
from reports.roundtrip import SHEET_NAME, RoundtripError
from reports.selectors.roundtrip import roundtrip_template_file
from reports.services.roundtrip import (
    roundtrip_upload_confirm,
    roundtrip_upload_create,
    roundtrip_upload_purge,
)
from tasks.choices import AssignmentRole, ReviewAction
from tasks.models import ProgressReport, ReviewEvent, Task
from tasks.selectors.dispatch import reporting_inbox
from tasks.services import dispatch
from tests.factories import UserFactory
from tests.test_pages_filing import at

pytestmark = pytest.mark.django_db

COLUMNS = {"completed": 4, "problems": 5, "next_plan": 6, "progress": 7}
COMPLETE = {"completed": "梳理审批清单", "next_plan": "并联审批上线", "progress": 40}


@pytest.fixture(autouse=True)
def early_july():
    """Three working days before June's reports fall due."""
    with time_machine.travel(at(2022, 7, 4, 10), tick=False):
        yield


@pytest.fixture
def june(plan):
    return dispatch.period_open(year=2022, month=6)


def template_of(user, period) -> bytes:
    return roundtrip_template_file(user=user, period=period)[0]


def fill(content: bytes, rows: dict[str, dict], *, codes: dict[int, str] | None = None) -> bytes:
    """The template with the given tasks' cells typed in (``codes`` overwrites 任务编号 by row)."""
    workbook = load_workbook(BytesIO(content))
    sheet = workbook[SHEET_NAME]
    for number, code in (codes or {}).items():
        sheet.cell(row=number, column=1, value=code)
    for row in sheet.iter_rows(min_row=4):
        values = rows.get(row[0].value, {})
        for name, value in values.items():
            row[COLUMNS[name] - 1].value = value
    stream = BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def upload(user, period, content: bytes) -> RoundtripUpload:
    return roundtrip_upload_create(user=user, period=period, filename="进展.xlsx", content=content)


def snapshot() -> tuple[int, int, int]:
    """Reports, their history rows and review events: what a refused step must leave alone."""
    return ProgressReport.objects.count(), ProgressReport.history.count(), ReviewEvent.objects.count()


def lead_codes(user, period) -> list[str]:
    rows = reporting_inbox(user=user, period=period)
    return [r.task.code for r in sorted(rows, key=lambda r: (r.task.plan_id, r.task.sort_order)) if r.role == AssignmentRole.LEAD]


# --- the template ---------------------------------------------------------------------------------


def test_template_holds_the_units_open_lead_tasks_with_its_drafts(lead_user, plan, june):
    draft = dispatch.report_save(user=lead_user, task=Task.objects.get(plan=plan, code="1.1"), period=june,
                                 data=dispatch.ReportInput(completed="草稿内容", progress=15))
    submitted = dispatch.report_save(user=lead_user, task=Task.objects.get(plan=plan, code="1.4"), period=june,
                                     data=dispatch.ReportInput(**COMPLETE))
    dispatch.filing_submit(user=lead_user, filing=submitted)
    content, filename = roundtrip_template_file(user=lead_user, period=june)
    assert filename == f"进展填报模板_{lead_user.unit.short_name}_2022年6月.xlsx"
    sheet = load_workbook(BytesIO(content))[SHEET_NAME]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=4, values_only=True)}
    expected = [code for code in lead_codes(lead_user, june) if code != "1.4"]
    assert list(rows) == expected and len(expected) > 10
    assert rows["1.1"][1] == draft.task.title and rows["1.1"][3:7] == ("草稿内容", None, None, 15)


@pytest.mark.parametrize("persona", ["office", "inspector", "leader"], indirect=True)
def test_only_unit_staff_get_a_template(persona, june):
    with pytest.raises(PermissionDenied):
        roundtrip_template_file(user=persona, period=june)


def test_no_template_for_a_closed_period_or_a_unit_without_lead_tasks(lead_user, office, june):
    no_lead = UserFactory.in_unit("西咸集团")
    if Task.objects.for_unit(no_lead.unit_id, role=AssignmentRole.LEAD).exists():
        pytest.skip("西咸集团 leads a task in this plan")
    with pytest.raises(PermissionDenied, match="没有牵头的任务"):
        roundtrip_template_file(user=no_lead, period=june)
    dispatch.period_close(period=june, user=office)
    with pytest.raises(PermissionDenied, match="2022年6月填报期已关闭"):
        roundtrip_template_file(user=lead_user, period=june)


# --- an upload is checked and kept --------------------------------------------------------------------


def test_upload_is_checked_and_kept_for_its_owner(lead_user, june):
    before = snapshot()
    content = fill(template_of(lead_user, june), {"1.1": COMPLETE, "1.3": {"completed": "只填了一半"}})
    stored = upload(lead_user, june, content)
    assert (stored.status, stored.owner, stored.unit_id, stored.period) == ("preview", lead_user, lead_user.unit_id, june)
    assert [(r["code"], r["progress"]) for r in stored.rows] == [("1.1", 40), ("1.3", None)]
    assert [(i["row"], i["column"], i["blocks"]) for i in stored.issues] == [(5, "下月计划", "submit"), (5, "完成进度", "submit")]
    assert (stored.can_save_draft, stored.can_submit) == (True, False)
    assert len(stored.sha256) == 64 and stored.size == len(content)
    assert snapshot() == before  # nothing of the reports changed


def test_an_upload_with_errors_keeps_no_rows(lead_user, june):
    content = fill(template_of(lead_user, june), {"1.1": {**COMPLETE, "progress": 150}, "1.3": COMPLETE})
    stored = upload(lead_user, june, content)
    assert (stored.status, stored.rows, stored.can_save_draft) == ("invalid", [], False)
    assert stored.issues == [{"row": 4, "column": "完成进度", "message": "应为 0–100 的整数", "blocks": "all"}]


def test_an_empty_template_is_an_error(lead_user, june):
    stored = upload(lead_user, june, template_of(lead_user, june))
    assert stored.status == "invalid" and stored.issues[0]["message"] == "模板中没有填写任何任务的进展"


def test_a_task_the_unit_only_supports_or_another_units_task(supporting_user, lead_user, june):
    assert not Task.objects.filter(code="保障5").for_unit(lead_user.unit_id, role=AssignmentRole.LEAD).exists()
    content = fill(template_of(lead_user, june), {}, codes={4: "保障5"})
    content = fill(content, {"保障5": COMPLETE})
    assert [i["message"] for i in upload(lead_user, june, content).issues] == ["任务 保障5 不是本单位牵头的任务"]
    own = fill(template_of(supporting_user, june), {}, codes={4: "1.1"})
    own = fill(own, {"1.1": COMPLETE})
    assert [i["message"] for i in upload(supporting_user, june, own).issues] == [
        "本单位是任务 1.1 的配合单位，不填报进展（配合情况请在月度填报页面填写）"]


def test_another_units_template_is_refused(lead_user, supporting_user, june):
    content = fill(template_of(lead_user, june), {"1.1": COMPLETE})
    with pytest.raises(RoundtripError, match="这是其他单位的模板"):
        upload(supporting_user, june, content)
    assert RoundtripUpload.objects.count() == 0


@pytest.mark.parametrize("persona", ["office", "inspector", "leader"], indirect=True)
def test_only_unit_staff_upload(persona, lead_user, june):
    content = fill(template_of(lead_user, june), {"1.1": COMPLETE})
    with pytest.raises(PermissionDenied):
        upload(persona, june, content)


def test_no_upload_to_a_closed_period(lead_user, office, june):
    content = fill(template_of(lead_user, june), {"1.1": COMPLETE})
    dispatch.period_close(period=june, user=office)
    with pytest.raises(RoundtripError, match="2022年6月填报期已关闭，不能上传。"):
        upload(lead_user, june, content)


# --- confirmation: all rows, or none --------------------------------------------------------------------


def test_saved_as_drafts_with_the_users_history(lead_user, plan, june):
    dispatch.report_save(user=lead_user, task=Task.objects.get(plan=plan, code="1.3"), period=june,
                         data=dispatch.ReportInput(completed="旧草稿"))
    content = fill(template_of(lead_user, june), {"1.1": COMPLETE, "1.3": {"completed": "新内容", "problems": "缺人"}})
    stored = upload(lead_user, june, content)
    reports = roundtrip_upload_confirm(user=lead_user, pk=stored.pk, submit=False)
    assert [(r.task.code, r.status, r.submitted_at) for r in reports] == [("1.1", "draft", None), ("1.3", "draft", None)]
    saved = ProgressReport.objects.get(task__code="1.3", period=june)
    assert (saved.completed, saved.problems, saved.next_plan, saved.progress) == ("新内容", "缺人", "", None)
    assert {h.history_user for h in ProgressReport.history.all()} == {lead_user}
    assert ProgressReport.history.filter(history_type="~", completed="新内容").count() == 1
    stored.refresh_from_db()
    assert (stored.status, stored.saved_as, stored.confirmed_at is not None) == ("saved", "draft", True)


def test_submitted_on_time_then_late(lead_user, office, june):
    content = fill(template_of(lead_user, june), {"1.1": COMPLETE})
    reports = roundtrip_upload_confirm(user=lead_user, pk=upload(lead_user, june, content).pk, submit=True)
    assert [(r.status, r.is_late) for r in reports] == [("submitted", False)]
    assert ReviewEvent.objects.get(report=reports[0]).actor == lead_user
    with time_machine.travel(at(2022, 7, 8, 9), tick=False):  # the day after the due date
        content = fill(template_of(lead_user, june), {"1.3": COMPLETE})
        late = roundtrip_upload_confirm(user=lead_user, pk=upload(lead_user, june, content).pk, submit=True)
    assert [(r.task.code, r.status, r.is_late) for r in late] == [("1.3", "submitted", True)]


def test_a_returned_report_is_updated_and_resubmitted(lead_user, office, plan, june):
    task = Task.objects.get(plan=plan, code="1.1")
    report = dispatch.filing_submit(user=lead_user, filing=dispatch.report_save(
        user=lead_user, task=task, period=june, data=dispatch.ReportInput(**COMPLETE)))
    dispatch.filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="请补充")
    content = fill(template_of(lead_user, june), {"1.1": {"problems": "已补充存在问题"}})
    stored = upload(lead_user, june, content)
    assert stored.rows[0]["report_status"] == "returned"
    (saved,) = roundtrip_upload_confirm(user=lead_user, pk=stored.pk, submit=True)
    assert (saved.pk, saved.status, saved.problems) == (report.pk, "submitted", "已补充存在问题")


def test_one_refused_row_saves_nothing(lead_user, plan, june):
    content = fill(template_of(lead_user, june), {"1.1": COMPLETE, "1.3": COMPLETE})
    stored = upload(lead_user, june, content)
    # Between the preview and the confirmation, 1.3 is submitted from the page.
    other = dispatch.report_save(user=lead_user, task=Task.objects.get(plan=plan, code="1.3"), period=june,
                                 data=dispatch.ReportInput(completed="网页填报", next_plan="下月", progress=10))
    dispatch.filing_submit(user=lead_user, filing=other)
    before = snapshot()
    with pytest.raises(RoundtripError) as caught:
        roundtrip_upload_confirm(user=lead_user, pk=stored.pk, submit=True)
    assert str(caught.value) == "第 5 行（任务 1.3）：该进展填报当前为「待审核」，不能修改。未保存任何内容。"
    assert snapshot() == before and not ProgressReport.objects.filter(task__code="1.1").exists()
    stored.refresh_from_db()
    assert stored.status == "preview"


def test_period_closed_meanwhile_saves_nothing(lead_user, office, june):
    stored = upload(lead_user, june, fill(template_of(lead_user, june), {"1.1": COMPLETE, "1.3": COMPLETE}))
    dispatch.period_close(period=june, user=office)
    before = snapshot()
    with pytest.raises(RoundtripError, match="第 4 行（任务 1.1）：2022年6月填报期已关闭。"):
        roundtrip_upload_confirm(user=lead_user, pk=stored.pk, submit=False)
    assert snapshot() == before


def test_used_once_owner_only_and_expiring(lead_user, june):
    colleague = UserFactory.in_unit("新区行政审批与政务服务局")
    stored = upload(lead_user, june, fill(template_of(lead_user, june), {"1.1": COMPLETE}))
    with pytest.raises(Http404):
        roundtrip_upload_confirm(user=colleague, pk=stored.pk, submit=False)
    roundtrip_upload_confirm(user=lead_user, pk=stored.pk, submit=False)
    before = snapshot()
    with pytest.raises(RoundtripError, match="这份文件已经保存过了"):
        roundtrip_upload_confirm(user=lead_user, pk=stored.pk, submit=True)
    assert snapshot() == before
    stale = upload(lead_user, june, fill(template_of(lead_user, june), {"1.3": COMPLETE}))
    later = at(2022, 7, 4, 10) + timedelta(hours=24, minutes=1)
    with time_machine.travel(later, tick=False), pytest.raises(RoundtripError, match="这份上传已过期"):
        roundtrip_upload_confirm(user=lead_user, pk=stale.pk, submit=False)
    assert snapshot() == before


def test_errors_and_missing_text_are_enforced_at_confirmation(lead_user, june):
    invalid = upload(lead_user, june, fill(template_of(lead_user, june), {"1.1": {**COMPLETE, "progress": "abc"}}))
    incomplete = upload(lead_user, june, fill(template_of(lead_user, june), {"1.1": {"completed": "只写了完成情况"}}))
    before = snapshot()
    with pytest.raises(RoundtripError, match="文件中还有错误"):
        roundtrip_upload_confirm(user=lead_user, pk=invalid.pk, submit=False)
    with pytest.raises(RoundtripError, match="只能保存为草稿"):
        roundtrip_upload_confirm(user=lead_user, pk=incomplete.pk, submit=True)
    assert snapshot() == before
    (draft,) = roundtrip_upload_confirm(user=lead_user, pk=incomplete.pk, submit=False)
    assert (draft.status, draft.completed) == ("draft", "只写了完成情况")


def test_unsaved_uploads_are_purged_after_the_keep_days_saved_ones_stay(lead_user, june, settings):
    settings.ROUNDTRIP_UNSAVED_KEEP_DAYS = 7
    saved = upload(lead_user, june, fill(template_of(lead_user, june), {"1.1": COMPLETE}))
    roundtrip_upload_confirm(user=lead_user, pk=saved.pk, submit=False)
    left = upload(lead_user, june, fill(template_of(lead_user, june), {"1.3": COMPLETE}))
    invalid = upload(lead_user, june, fill(template_of(lead_user, june), {"1.1": {**COMPLETE, "progress": "abc"}}))
    assert (left.status, invalid.status) == ("preview", "invalid")
    before = snapshot()
    with time_machine.travel(at(2022, 7, 11, 9), tick=False):  # a week less a day later
        assert roundtrip_upload_purge() == 0
    with time_machine.travel(at(2022, 7, 11, 11), tick=False):
        assert roundtrip_upload_purge() == 2
        assert roundtrip_upload_purge() == 0
    assert list(RoundtripUpload.objects.values_list("pk", flat=True)) == [saved.pk]
    assert snapshot() == before  # the saved reports are untouched
