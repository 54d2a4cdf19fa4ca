"""Who may file what, and who may read which filing.

Task 1.1: lead unit 新区行政审批与政务服务局 (lead_user); 沣东新城 (supporting_user) is one of its
supporting units; 新区考核办 (outsider) has nothing to do with it. Not yours → 404; visible but
not yours to change → 403.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tasks.choices import AssignmentRole, FilingStatus, ReviewAction, Role
from tasks.models import AnnualWorkPlan, Contribution, ProgressReport, Task, Unit
from tasks.services.dispatch import (
    ReportInput,
    access_filing_unit,
    annual_plan_save,
    contribution_save,
    filing_discard,
    filing_review,
    filing_submit,
    period_open,
    report_save,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FULL = ReportInput(completed="开通重大项目审批绿色通道。", next_plan="推行容缺受理。", progress=40)
OFFICE_LIKE = ["office", "inspector", "leader"]


@pytest.fixture
def period():
    return period_open(year=2020, month=10)


def unit_id(name: str) -> int:
    return Unit.objects.get(name=name).pk


# --- access_filing_unit -----------------------------------------------------------------------


def test_lead_unit_files_the_report(lead_user, task_1_1):
    assert access_filing_unit(user=lead_user, task=task_1_1, role=AssignmentRole.LEAD) == unit_id(
        "新区行政审批与政务服务局"
    )


def test_supporting_unit_files_a_contribution_but_not_the_lead_report(supporting_user, task_1_1):
    assert access_filing_unit(user=supporting_user, task=task_1_1, role=AssignmentRole.SUPPORTING) == unit_id("沣东新城")
    with pytest.raises(PermissionDenied, match="不是该任务的牵头单位"):
        access_filing_unit(user=supporting_user, task=task_1_1, role=AssignmentRole.LEAD)


def test_lead_unit_is_not_a_supporting_unit_of_its_own_task(lead_user, task_1_1):
    with pytest.raises(PermissionDenied, match="不是该任务的配合单位"):
        access_filing_unit(user=lead_user, task=task_1_1, role=AssignmentRole.SUPPORTING)


@pytest.mark.parametrize("role", [AssignmentRole.LEAD, AssignmentRole.SUPPORTING])
def test_outsider_does_not_even_see_the_task(outsider, task_1_1, role):
    with pytest.raises(Http404):
        access_filing_unit(user=outsider, task=task_1_1, role=role)


@pytest.mark.parametrize("persona", OFFICE_LIKE, indirect=True)
@pytest.mark.parametrize("role", [AssignmentRole.LEAD, AssignmentRole.SUPPORTING])
def test_office_inspectors_and_leaders_file_nothing(persona, task_1_1, role):
    with pytest.raises(PermissionDenied):
        access_filing_unit(user=persona, task=task_1_1, role=role)


def test_office_account_in_a_lead_unit_still_files_nothing(office):
    # 营商办 is a lead unit of 保障5, but an office account reviews; it does not file.
    task = Task.objects.get(code="保障5")
    with pytest.raises(PermissionDenied):
        access_filing_unit(user=office, task=task, role=AssignmentRole.LEAD)


def test_department_staff_file_for_an_office_inside_the_department(plan):
    # 新区党工委组织部 staff see the tasks of 营商办 (an office inside it) and file them as 营商办.
    staff = UserFactory.in_unit("新区党工委组织部")
    task = Task.objects.get(code="保障5")
    assert access_filing_unit(user=staff, task=task, role=AssignmentRole.LEAD) == unit_id("新区党工委组织部（营商办）")


def test_the_account_role_matters_not_only_the_unit(plan, task_1_1):
    # An inspector account placed in the lead unit still may not file the unit's report.
    inspector_in_lead_unit = UserFactory.in_unit("新区行政审批与政务服务局", role=Role.INSPECTOR)
    with pytest.raises(PermissionDenied):
        access_filing_unit(user=inspector_in_lead_unit, task=task_1_1, role=AssignmentRole.LEAD)


# --- the writing services by persona -----------------------------------------------------------


@pytest.mark.parametrize(("persona", "error"), [
    ("supporting_user", PermissionDenied), ("outsider", Http404),
    ("office", PermissionDenied), ("inspector", PermissionDenied), ("leader", PermissionDenied),
], indirect=["persona"])
def test_report_save_by_anyone_but_the_lead_unit_is_refused(persona, error, task_1_1, period):
    with pytest.raises(error):
        report_save(user=persona, task=task_1_1, period=period, data=FULL)
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize(("persona", "error"), [
    ("lead_user", PermissionDenied), ("outsider", Http404),
    ("office", PermissionDenied), ("inspector", PermissionDenied), ("leader", PermissionDenied),
], indirect=["persona"])
def test_contribution_save_by_anyone_but_a_supporting_unit_is_refused(persona, error, task_1_1, period):
    with pytest.raises(error):
        contribution_save(user=persona, task=task_1_1, period=period, text="配合做好并联审批。")
    assert not Contribution.objects.exists()


@pytest.mark.parametrize(("persona", "error"), [
    ("supporting_user", PermissionDenied), ("outsider", Http404), ("office", PermissionDenied),
], indirect=["persona"])
def test_annual_plan_save_by_anyone_but_the_lead_unit_is_refused(persona, error, task_1_1):
    with pytest.raises(error):
        annual_plan_save(user=persona, task=task_1_1, year=2021, content="全年工作方案。")
    assert not AnnualWorkPlan.objects.exists()


@pytest.mark.parametrize("persona", ["supporting_user", "outsider", *OFFICE_LIKE], indirect=True)
def test_another_units_draft_is_not_found_for_submit_or_discard(persona, lead_user, task_1_1, period):
    report = report_save(user=lead_user, task=task_1_1, period=period, data=FULL)
    with pytest.raises(Http404):
        filing_submit(user=persona, filing=report)
    with pytest.raises(Http404):
        filing_discard(user=persona, filing=report)
    report.refresh_from_db()
    assert report.status == FilingStatus.DRAFT


def test_a_visible_report_of_another_unit_cannot_be_changed(lead_user, supporting_user, office, task_1_1, period):
    report = filing_submit(user=lead_user, filing=report_save(user=lead_user, task=task_1_1, period=period, data=FULL))
    report = filing_review(user=office, filing=report, action=ReviewAction.RETURN, comment="请补充数据。")
    # Returned, so the supporting unit may read it — but not resubmit it.
    assert ProgressReport.objects.visible_to(supporting_user).filter(pk=report.pk).exists()
    with pytest.raises(PermissionDenied, match="只能修改本单位的填报"):
        filing_submit(user=supporting_user, filing=report)
    with pytest.raises(PermissionDenied):
        filing_submit(user=office, filing=report)


def test_a_colleague_of_the_same_unit_may_continue_and_submit(lead_user, task_1_1, period):
    colleague = UserFactory.in_unit("新区行政审批与政务服务局")
    report_save(user=lead_user, task=task_1_1, period=period, data=ReportInput(completed="一半"))
    report = report_save(user=colleague, task=task_1_1, period=period, data=FULL)
    assert ProgressReport.objects.count() == 1 and report.created_by == lead_user
    assert filing_submit(user=colleague, filing=report).status == FilingStatus.SUBMITTED


# --- FilingQuerySet.visible_to -------------------------------------------------------------------


def visible(model, user, filing) -> bool:
    return model.objects.visible_to(user).filter(pk=filing.pk).exists()


READERS_OF_SUBMITTED = {"lead_user": True, "supporting_user": True, "office": True, "inspector": True,
                        "leader": True, "outsider": False}


@pytest.mark.parametrize("persona", list(READERS_OF_SUBMITTED), indirect=True)
def test_a_draft_report_is_its_units_own(persona, lead_user, task_1_1, period):
    report = report_save(user=lead_user, task=task_1_1, period=period, data=FULL)
    assert visible(ProgressReport, persona, report) == (persona == lead_user)


@pytest.mark.parametrize("reader", list(READERS_OF_SUBMITTED))
@pytest.mark.parametrize("status", [FilingStatus.SUBMITTED, FilingStatus.RETURNED, FilingStatus.APPROVED])
def test_a_report_once_submitted_follows_the_task(reader, status, lead_user, office, task_1_1, period, request):
    report = filing_submit(user=lead_user, filing=report_save(user=lead_user, task=task_1_1, period=period, data=FULL))
    if status != FilingStatus.SUBMITTED:
        action = ReviewAction.RETURN if status == FilingStatus.RETURNED else ReviewAction.APPROVE
        filing_review(user=office, filing=report, action=action, comment="意见")
    assert visible(ProgressReport, request.getfixturevalue(reader), report) == READERS_OF_SUBMITTED[reader]


@pytest.mark.parametrize("persona", list(READERS_OF_SUBMITTED), indirect=True)
def test_a_draft_contribution_is_its_units_own(persona, supporting_user, task_1_1, period):
    contribution = contribution_save(user=supporting_user, task=task_1_1, period=period, text="配合。")
    assert visible(Contribution, persona, contribution) == (persona == supporting_user)


def test_another_supporting_units_submitted_contribution_is_visible_to_the_task_s_units(
    lead_user, supporting_user, outsider, office, task_1_1, period,
):
    qinhan = UserFactory.in_unit("秦汉新城")
    contribution = filing_submit(
        user=qinhan, filing=contribution_save(user=qinhan, task=task_1_1, period=period, text="配合。"),
    )
    assert visible(Contribution, lead_user, contribution)
    assert visible(Contribution, supporting_user, contribution)
    assert visible(Contribution, office, contribution)
    assert not visible(Contribution, outsider, contribution)


def test_annual_plan_drafts_are_their_units_own(lead_user, supporting_user, office, outsider, task_1_1):
    plan = annual_plan_save(user=lead_user, task=task_1_1, year=2021, content="全年工作方案。")
    assert [visible(AnnualWorkPlan, u, plan) for u in (lead_user, supporting_user, office, outsider)] == [
        True, False, False, False,
    ]
    filing_submit(user=lead_user, filing=plan)
    assert [visible(AnnualWorkPlan, u, plan) for u in (lead_user, supporting_user, office, outsider)] == [
        True, True, True, False,
    ]


def test_outsider_sees_the_reports_of_its_own_task_only(outsider, office, task_1_1, period):
    # 新区考核办 is a lead unit of 保障5: its own draft is visible to it, 1.1's reports are not.
    task = Task.objects.get(code="保障5")
    own = report_save(user=outsider, task=task, period=period, data=FULL)
    assert list(ProgressReport.objects.visible_to(outsider)) == [own]
    assert not visible(ProgressReport, office, own)


def test_anonymous_sees_nothing(lead_user, task_1_1, period):
    filing_submit(user=lead_user, filing=report_save(user=lead_user, task=task_1_1, period=period, data=FULL))
    assert not ProgressReport.objects.visible_to(AnonymousUser()).exists()
