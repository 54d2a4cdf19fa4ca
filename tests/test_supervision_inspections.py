"""Inspection rounds and findings (专项督查 → 督查问题 → 整改 → 核验/销号), extension requests
(延期申请), with frozen days around 国庆 2025 (see tests/supervision_data.py)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse

from supervision.choices import (
    EvidenceStage,
    ExtensionStatus,
    FindingAction,
    FindingStatus,
    RoundStatus,
)
from supervision.models import (
    ExtensionRequest,
    Finding,
    FindingEvent,
    FindingEvidence,
    InspectionRound,
    Rectification,
)
from supervision.services import (
    SupervisionError,
    extension_decide,
    extension_request,
    finding_create,
    finding_evidence_delete,
    finding_rectification_save,
    finding_submit,
    finding_verify,
    round_create,
    round_open_quarter,
    round_update,
)
from supervision.services.inspections import FindingInput, RoundInput
from tasks.choices import Role
from tasks.models import Notification
from tasks.services.dispatch import DispatchError
from tests.supervision_data import (
    EXE,
    LEAD_UNIT,
    OTHER_UNIT,
    d,
    frozen,
    make_finding,
    make_round,
    pdf,
    staff,
    unit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def round_q3(inspector):
    return make_round(inspector, year=2025, quarter=3)


@pytest.fixture
def finding(inspector, round_q3, lead_user):
    """Logged Monday 29 September 2025, five working days: due Monday 13 October."""
    return make_finding(inspector, round_q3, found_on=d("2025-09-29"))


def titles(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# --- logging a finding -----------------------------------------------------------------------


@pytest.mark.parametrize(("found_on", "working_days", "due"), [
    # 30 September, 9, 10, 11 (make-up Saturday) and 13 October: 国庆 1–8 October is skipped.
    ("2025-09-29", 5, "2025-10-13"),
    # Friday 26 September + 1: Sunday 28 September is a make-up working day.
    ("2025-09-26", 1, "2025-09-28"),
    # Tuesday 30 September + 1: the next working day is after the holiday.
    ("2025-09-30", 1, "2025-10-09"),
])
def test_due_date_is_counted_on_the_working_day_calendar(inspector, round_q3, found_on, working_days, due):
    finding = make_finding(inspector, round_q3, found_on=d(found_on), working_days=working_days)
    assert (finding.due_date, finding.due_provisional, finding.deadline_working_days) == (d(due), False, working_days)


def test_logging_a_finding_opens_it_tells_the_unit_and_starts_the_round(inspector, round_q3, lead_user, supporting_user):
    assert round_q3.status == RoundStatus.PLANNED
    finding = make_finding(inspector, round_q3, found_on=d("2025-09-29"))
    assert (finding.status, finding.number, finding.unit.name) == (FindingStatus.OPEN, "2025Q3-001", LEAD_UNIT)
    assert list(finding.events.values_list("action", "to_status", "actor")) == [
        (FindingAction.CREATE, FindingStatus.OPEN, inspector.pk)]
    round_q3.refresh_from_db()
    assert round_q3.status == RoundStatus.IN_PROGRESS
    assert titles(lead_user) == ["督查发现问题 2025Q3-001，请于 2025-10-13 前完成整改"]
    note = Notification.objects.get(recipient=lead_user)
    assert note.url == reverse("supervision:finding-detail", args=[finding.pk])
    assert titles(supporting_user) == []


def test_findings_are_numbered_per_quarter_across_rounds(inspector):
    first, second = make_round(inspector, title="营商环境专项督查"), make_round(inspector, title="工程建设项目审批专项督查")
    q4 = make_round(inspector, quarter=4)
    numbers = [make_finding(inspector, r, found_on=d("2025-09-29")).number for r in (first, second, first, q4)]
    assert numbers == ["2025Q3-001", "2025Q3-002", "2025Q3-003", "2025Q4-001"]
    assert Finding.objects.values("number").distinct().count() == 4


@pytest.mark.parametrize("persona", ["office", "leader", "lead_user"], indirect=True)
def test_only_inspectors_log_findings(persona, round_q3):
    data = FindingInput(unit=unit(LEAD_UNIT), description="问题", severity="general", deadline_working_days=5)
    with pytest.raises(PermissionDenied):
        finding_create(user=persona, round_=round_q3, data=data)
    assert not Finding.objects.exists()


@pytest.mark.parametrize(("description", "working_days", "field"), [
    ("   ", 5, "description"), ("问题", 0, "deadline_working_days"), ("问题", 251, "deadline_working_days"),
])
def test_a_finding_needs_a_description_and_a_sensible_deadline(inspector, round_q3, description, working_days, field):
    data = FindingInput(unit=unit(LEAD_UNIT), description=description, severity="general",
                        deadline_working_days=working_days, found_on=d("2025-09-29"))
    with pytest.raises(SupervisionError) as caught:
        finding_create(user=inspector, round_=round_q3, data=data)
    assert list(caught.value.fields) == [field]
    assert not Finding.objects.exists()


def test_a_finding_cannot_be_found_in_the_future(inspector, round_q3):
    with frozen(d("2025-09-29")):
        data = FindingInput(unit=unit(LEAD_UNIT), description="问题", severity="general",
                            deadline_working_days=5, found_on=d("2025-09-30"))
        with pytest.raises(SupervisionError) as caught:
            finding_create(user=inspector, round_=round_q3, data=data)
    assert caught.value.fields == {"found_on": "发现日期不能晚于今天。"}
    assert not Finding.objects.exists()


def test_a_concluded_round_takes_no_more_findings(inspector, round_q3):
    round_update(user=inspector, round_=round_q3, data=RoundInput(
        year=2025, quarter=3, title=round_q3.title, method=round_q3.method, status=RoundStatus.CONCLUDED,
        conclusion="各单位整体落实较好。"))
    with pytest.raises(SupervisionError, match="已结束"):
        make_finding(inspector, round_q3, found_on=d("2025-09-29"))


# --- rectification and verification ----------------------------------------------------------


ACCESS = [("lead_user", None), ("supporting_user", Http404), ("outsider", Http404),
          ("office", PermissionDenied), ("inspector", PermissionDenied), ("leader", PermissionDenied)]


@pytest.mark.parametrize(("persona", "refusal"), ACCESS, indirect=["persona"])
def test_only_the_units_staff_rectify(persona, refusal, finding):
    """Another unit gets 404 (the finding is not theirs to know of); readers get 403."""
    def act():
        return finding_rectification_save(user=persona, finding=finding, measures="已整改", result="已完成")

    if refusal is None:
        act()
        finding.refresh_from_db()
        assert finding.status == FindingStatus.RECTIFYING
        assert list(finding.events.values_list("action", flat=True)) == [FindingAction.CREATE, FindingAction.START]
    else:
        with pytest.raises(refusal):
            act()
        assert not Rectification.objects.exists()


@pytest.mark.parametrize(("persona", "refusal"), ACCESS, indirect=["persona"])
def test_only_the_units_staff_submit(persona, refusal, finding, lead_user):
    finding_rectification_save(user=lead_user, finding=finding, measures="建立一次性告知清单", result="已在窗口公示")
    if refusal is None:
        finding_submit(user=persona, finding=finding)
        assert Finding.objects.get(pk=finding.pk).status == FindingStatus.SUBMITTED
    else:
        with pytest.raises(refusal):
            finding_submit(user=persona, finding=finding)
        assert Finding.objects.get(pk=finding.pk).status == FindingStatus.RECTIFYING


def test_a_submission_needs_measures_and_result(finding, lead_user):
    with pytest.raises(SupervisionError) as caught:
        finding_submit(user=lead_user, finding=finding)
    assert set(caught.value.fields) == {"measures", "result"}
    finding_rectification_save(user=lead_user, finding=finding, measures="建立一次性告知清单", result="  ")
    with pytest.raises(SupervisionError) as caught:
        finding_submit(user=lead_user, finding=finding)
    assert set(caught.value.fields) == {"result"}
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.RECTIFYING


def rectify_and_submit(finding, user, on: str = "2025-10-10"):
    with frozen(d(on)):
        finding_rectification_save(user=user, finding=finding, measures="建立一次性告知清单", result="已在窗口公示")
        return finding_submit(user=user, finding=finding)


def test_submission_goes_to_the_round_team(finding, lead_user, inspector):
    other_inspector = staff("新区督查室", role=Role.INSPECTOR)
    rectify_and_submit(finding, lead_user)
    assert titles(inspector) == [f"行政审批局提交了整改情况：{finding.number}"]
    # The round had no team: every inspector is told.
    assert len(titles(other_inspector)) == 1


def test_a_round_with_a_team_tells_only_its_team(inspector, lead_user):
    bystander = staff("新区督查室", role=Role.INSPECTOR)
    round_ = make_round(inspector, quarter=4, team=[inspector])
    finding = make_finding(inspector, round_, found_on=d("2025-10-09"))
    rectify_and_submit(finding, lead_user)
    assert titles(inspector) == [f"行政审批局提交了整改情况：{finding.number}"]
    assert titles(bystander) == []


def test_a_late_submission_says_so(finding, lead_user, inspector):
    rectify_and_submit(finding, lead_user, on="2025-10-14")
    event = finding.events.get(action=FindingAction.SUBMIT)
    assert event.comment == "（逾期）"
    assert "（逾期）" in titles(inspector)[0]


@pytest.mark.parametrize("persona", ["office", "leader", "lead_user"], indirect=True)
def test_only_inspectors_verify(persona, finding, lead_user):
    rectify_and_submit(finding, lead_user)
    with pytest.raises(PermissionDenied):
        finding_verify(user=persona, finding=finding, close=True)
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.SUBMITTED


def test_rejection_needs_a_comment_and_goes_back_to_rectifying(finding, lead_user, inspector):
    rectify_and_submit(finding, lead_user)
    with pytest.raises(SupervisionError) as caught:
        finding_verify(user=inspector, finding=finding, close=False, comment="  ")
    assert list(caught.value.fields) == ["comment"]
    finding_verify(user=inspector, finding=finding, close=False, comment="公示内容不全，请补充收费依据。")
    finding.refresh_from_db()
    assert (finding.status, finding.closed_at) == (FindingStatus.RECTIFYING, None)
    event = finding.events.get(action=FindingAction.REJECT)
    assert (event.from_status, event.to_status, event.comment) == (
        FindingStatus.SUBMITTED, FindingStatus.RECTIFYING, "公示内容不全，请补充收费依据。")
    assert titles(lead_user)[-1] == f"督查问题 {finding.number} 整改未通过核验，已退回"
    # Back in the unit's hands: it can edit and submit again.
    rectify_and_submit(finding, lead_user, on="2025-10-13")
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.SUBMITTED


def test_close_out_records_when(finding, lead_user, inspector):
    rectify_and_submit(finding, lead_user)
    with frozen(d("2025-10-13"), hour=15):
        finding_verify(user=inspector, finding=finding, close=True)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED
    assert finding.closed_at == dt.datetime(2025, 10, 13, 7, tzinfo=dt.UTC)
    assert titles(lead_user)[-1] == f"督查问题 {finding.number} 已销号"
    with pytest.raises(SupervisionError, match="已销号"):
        finding_verify(user=inspector, finding=finding, close=True)
    with pytest.raises(SupervisionError, match="已销号"):
        finding_rectification_save(user=lead_user, finding=finding, measures="x", result="y")


def test_only_a_submitted_finding_is_verified(finding, inspector):
    with pytest.raises(SupervisionError, match="待整改"):
        finding_verify(user=inspector, finding=finding, close=True)


# --- evidence --------------------------------------------------------------------------------


def test_rectification_evidence_is_stored(finding, lead_user, _media):
    finding_rectification_save(user=lead_user, finding=finding, measures="m", result="r", files=[pdf()])
    evidence = FindingEvidence.objects.get()
    assert (evidence.stage, evidence.original_name, evidence.extension) == (EvidenceStage.RECTIFICATION, "整改报告.pdf", ".pdf")
    assert len(stored_files(_media)) == 1


def test_a_bad_file_is_refused_and_nothing_is_stored(finding, lead_user, _media):
    bad = SimpleUploadedFile("整改照片.pdf", EXE, content_type="application/pdf")
    with pytest.raises(DispatchError, match="不符"):
        finding_rectification_save(user=lead_user, finding=finding, measures="m", result="r", files=[pdf(), bad])
    assert not FindingEvidence.objects.exists() and not Rectification.objects.exists()
    assert stored_files(_media) == []
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.OPEN


def test_a_bad_inspection_file_logs_no_finding(inspector, round_q3, _media):
    data = FindingInput(unit=unit(LEAD_UNIT), description="问题", severity="general", deadline_working_days=5)
    with pytest.raises(DispatchError, match="类型不允许"):
        finding_create(user=inspector, round_=round_q3, data=data,
                       files=[SimpleUploadedFile("现场.exe", EXE)])
    assert not Finding.objects.exists() and stored_files(_media) == []


def test_evidence_is_deleted_by_its_uploader_while_the_unit_holds_the_finding(finding, lead_user, inspector):
    colleague = staff(LEAD_UNIT)
    finding_rectification_save(user=lead_user, finding=finding, measures="m", result="r", files=[pdf()])
    evidence = FindingEvidence.objects.get()
    with pytest.raises(PermissionDenied):
        finding_evidence_delete(user=colleague, evidence=evidence)
    with pytest.raises(Http404):
        finding_evidence_delete(user=staff(OTHER_UNIT), evidence=evidence)
    rectify_and_submit(finding, lead_user)
    with pytest.raises(SupervisionError, match="不能再删除"):
        finding_evidence_delete(user=lead_user, evidence=evidence)
    with frozen(d("2025-10-10"), hour=11):
        finding_verify(user=inspector, finding=finding, close=False, comment="请补充")
    finding_evidence_delete(user=lead_user, evidence=evidence)
    assert not FindingEvidence.objects.exists()


# --- extensions ------------------------------------------------------------------------------


def test_extension_is_requested_on_or_before_the_due_date(finding, lead_user, office):
    with frozen(d("2025-10-14")), pytest.raises(SupervisionError, match="逾期后不能再申请延期"):
        extension_request(user=lead_user, finding=finding, requested_due_date=d("2025-10-24"), reason="需协调")
    with frozen(d("2025-10-13")):
        extension = extension_request(user=lead_user, finding=finding, requested_due_date=d("2025-10-24"),
                                      reason="需协调供电公司")
    assert (extension.status, extension.previous_due_date) == (ExtensionStatus.PENDING, d("2025-10-13"))
    assert titles(office) == [f"行政审批局申请延期：{finding.number}"]


def test_extension_rules(finding, lead_user, supporting_user, office):
    with frozen(d("2025-10-09")):
        with pytest.raises(SupervisionError) as caught:
            extension_request(user=lead_user, finding=finding, requested_due_date=d("2025-10-13"), reason=" ")
        assert set(caught.value.fields) == {"requested_due_date", "reason"}
        with pytest.raises(Http404):
            extension_request(user=supporting_user, finding=finding, requested_due_date=d("2025-10-24"), reason="x")
        with pytest.raises(PermissionDenied):
            extension_request(user=office, finding=finding, requested_due_date=d("2025-10-24"), reason="x")
        extension_request(user=lead_user, finding=finding, requested_due_date=d("2025-10-24"), reason="需协调")
        with pytest.raises(SupervisionError, match="待审批"):
            extension_request(user=lead_user, finding=finding, requested_due_date=d("2025-10-31"), reason="再延")
    assert ExtensionRequest.objects.count() == 1


def test_granting_moves_the_due_date(finding, lead_user, office, inspector):
    with frozen(d("2025-10-09")):
        extension = extension_request(user=lead_user, finding=finding, requested_due_date=d("2025-10-24"), reason="需协调")
        with pytest.raises(PermissionDenied):
            extension_decide(user=inspector, extension=extension, grant=True)
        extension_decide(user=office, extension=extension, grant=True, comment="同意")
    extension.refresh_from_db()
    finding.refresh_from_db()
    assert (extension.status, extension.granted_due_date, extension.decided_by) == (
        ExtensionStatus.GRANTED, d("2025-10-24"), office)
    # From 29 September to 24 October: 30 September, 9–11, 13–17, 20–24 October.
    assert (finding.due_date, finding.deadline_working_days, finding.status) == (d("2025-10-24"), 14, FindingStatus.OPEN)
    assert finding.events.filter(action=FindingAction.EXTEND).get().comment == "截止日期由 2025-10-13 延至 2025-10-24"
    assert titles(lead_user)[-1] == f"延期申请结果：{finding.number} 同意延期至 2025-10-24"
    with pytest.raises(SupervisionError, match="已同意"):
        extension_decide(user=office, extension=extension, grant=False, comment="重复")
    # Once decided, a new request may be made (before the new due date).
    with frozen(d("2025-10-20")):
        extension_request(user=lead_user, finding=finding, requested_due_date=d("2025-10-31"), reason="仍需协调")


def test_the_office_may_grant_another_date_but_not_an_earlier_one(finding, lead_user, office):
    with frozen(d("2025-10-09")):
        extension = extension_request(user=lead_user, finding=finding, requested_due_date=d("2025-10-24"), reason="需协调")
        with pytest.raises(SupervisionError, match="晚于原截止日期"):
            extension_decide(user=office, extension=extension, grant=True, due_date=d("2025-10-13"))
        extension_decide(user=office, extension=extension, grant=True, due_date=d("2025-10-17"))
    assert Finding.objects.get(pk=finding.pk).due_date == d("2025-10-17")


def test_refusing_needs_a_comment_and_keeps_the_due_date(finding, lead_user, office):
    with frozen(d("2025-10-09")):
        extension = extension_request(user=lead_user, finding=finding, requested_due_date=d("2025-10-24"), reason="需协调")
        with pytest.raises(SupervisionError) as caught:
            extension_decide(user=office, extension=extension, grant=False)
        assert list(caught.value.fields) == ["comment"]
        extension_decide(user=office, extension=extension, grant=False, comment="整改难度不大，请按期完成。")
    extension.refresh_from_db()
    assert (extension.status, extension.granted_due_date) == (ExtensionStatus.REFUSED, None)
    assert Finding.objects.get(pk=finding.pk).due_date == d("2025-10-13")
    assert not FindingEvent.objects.filter(action=FindingAction.EXTEND).exists()
    assert titles(lead_user)[-1] == f"延期申请结果：{finding.number} 不同意延期"


# --- rounds ----------------------------------------------------------------------------------


def round_data(**overrides) -> RoundInput:
    values = {"year": 2025, "quarter": 4, "title": "2025年第四季度营商环境专项督查", "method": "four_nos"}
    return RoundInput(**{**values, **overrides})


def test_concluding_a_round_needs_a_conclusion(inspector):
    round_ = make_round(inspector, quarter=4)
    with pytest.raises(SupervisionError) as caught:
        round_update(user=inspector, round_=round_, data=round_data(title=round_.title, status=RoundStatus.CONCLUDED))
    assert list(caught.value.fields) == ["conclusion"]
    round_update(user=inspector, round_=round_, data=round_data(title=round_.title, status=RoundStatus.CONCLUDED,
                                                                conclusion="整体较好。"))
    assert InspectionRound.objects.get(pk=round_.pk).status == RoundStatus.CONCLUDED


def test_the_team_is_made_of_inspectors(inspector, office):
    with pytest.raises(SupervisionError) as caught:
        round_create(user=office, data=round_data(team=[inspector, office]))
    assert list(caught.value.fields) == ["team"]
    round_ = round_create(user=office, data=round_data(team=[inspector]))
    assert list(round_.team.all()) == [inspector]


def test_a_duplicate_title_in_the_quarter_is_refused(inspector):
    first = round_create(user=inspector, data=round_data())
    with pytest.raises(SupervisionError, match="同名"):
        round_create(user=inspector, data=round_data(title=" 2025年第四季度营商环境专项督查 "))
    # The same title in another quarter is fine, and a round keeps its own title when edited.
    round_create(user=inspector, data=round_data(quarter=3))
    round_update(user=inspector, round_=first, data=round_data(start_date=d("2025-11-03")))
    assert InspectionRound.objects.count() == 2


@pytest.mark.parametrize("persona", ["leader", "lead_user"], indirect=True)
def test_only_inspectors_and_the_office_organise_rounds(persona):
    with pytest.raises(PermissionDenied):
        round_create(user=persona, data=round_data())
    assert not InspectionRound.objects.exists()


def test_the_quarters_round_is_opened_once_and_inspectors_told_once(inspector, office):
    second_inspector = staff("新区督查室", role=Role.INSPECTOR)
    with frozen(d("2025-10-01"), hour=8):
        round_, created = round_open_quarter()
        again, created_again = round_open_quarter()
    assert created and not created_again and again.pk == round_.pk
    assert (round_.year, round_.quarter, round_.title) == (2025, 4, "2025年第4季度优化营商环境联合专项督查")
    assert set(round_.team.all()) == {inspector, second_inspector}
    expected = [f"{round_.title}已建立，请安排督查计划"]
    assert titles(inspector) == titles(second_inspector) == expected
    assert titles(office) == []
    note = Notification.objects.get(recipient=inspector)
    assert note.url == reverse("supervision:round-detail", args=[round_.pk])


def test_a_quarter_with_a_round_already_keeps_it(inspector):
    planned = make_round(inspector, year=2025, quarter=4, title="第四季度工程建设领域专项督查")
    round_, created = round_open_quarter(today=d("2025-11-15"))
    assert (round_.pk, created) == (planned.pk, False)
    assert InspectionRound.objects.count() == 1 and titles(inspector) == []
