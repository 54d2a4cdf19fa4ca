"""Pages of the dispatch reports: who may open what (each page by every persona), what the list
and a report show, the progress fragment that htmx polls, the download, 生成 / 重新生成 with CSRF,
and query budgets that do not grow with the number of reports or rows."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from reports.choices import DispatchReportStatus as Status
from reports.dispatch_report import report_content, report_scope
from reports.models import DispatchReport
from reports.services.dispatch_reports import dispatch_report_build, dispatch_report_request
from supervision.choices import ItemKind, Level
from supervision.models import Bulletin, Escalation, Finding
from tasks.choices import AssignmentRole, FilingStatus
from tasks.models import ProgressReport, ReviewEvent, Task, TaskAssignment
from tasks.services.dispatch import period_open
from tests.conftest import PERSONAS
from tests.matrix import assert_login_redirect, signed_in
from tests.supervision_data import d, frozen
from tests.test_reports_dispatch import BUILD_DAY, october

pytestmark = pytest.mark.django_db

SEES_ALL = {"office": 200, "inspector": 200, "leader": 200, "lead_user": 403, "supporting_user": 403, "outsider": 403}
OFFICE_ONLY = {"office": 302, "inspector": 403, "leader": 403, "lead_user": 403, "supporting_user": 403, "outsider": 403}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Built workbooks are written under the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def month(office, inspector, lead_user, supporting_user):
    return october(office, inspector, lead_user, supporting_user)


def built(kind: str = "monthly", number: int = 10) -> DispatchReport:
    with frozen(BUILD_DAY):
        report, _ = dispatch_report_request(kind=kind, year=2025, number=number, user=None, queue=False)
        return dispatch_report_build(report_id=report.pk)


@pytest.fixture
def report(month) -> DispatchReport:
    return built()


def pages(report: DispatchReport) -> dict[str, str]:
    return {
        "list": reverse("dispatch-report-list"),
        "detail": reverse("dispatch-report-detail", args=[report.pk]),
        "progress": reverse("dispatch-report-progress", args=[report.pk]),
        "download": reverse("dispatch-report-download", args=[report.pk]),
    }


# --- who may open what -----------------------------------------------------------------------


@pytest.mark.parametrize("page", ["list", "detail", "progress", "download"])
@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_reads_by_persona(client, persona, request, report, page):
    name = request.node.callspec.params["persona"]
    response = signed_in(client, persona).get(pages(report)[page])
    assert response.status_code == SEES_ALL[name]
    if response.status_code == 403:
        assert "无权进行此操作" in response.content.decode()


@pytest.mark.parametrize("page", ["list", "detail", "progress", "download"])
def test_anonymous_visitors_are_sent_to_sign_in(client, report, page):
    url = pages(report)[page]
    assert_login_redirect(client.get(url), url)


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_rebuild_by_persona(client, persona, request, report):
    name = request.node.callspec.params["persona"]
    response = signed_in(client, persona).post(reverse("dispatch-report-rebuild", args=[report.pk]))
    assert response.status_code == OFFICE_ONLY[name]
    stored = DispatchReport.objects.get()
    if name == "office":
        assert response["Location"] == reverse("dispatch-report-detail", args=[report.pk])
        assert stored.status == Status.PENDING  # queued (the job runs once the request commits)
    else:
        assert (stored.status, stored.generation) == (Status.READY, 1)  # nothing changed


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_create_by_persona(client, persona, request, month):
    name = request.node.callspec.params["persona"]
    data = {"kind": "monthly", "year": 2025, "number": 10}
    response = signed_in(client, persona).post(reverse("dispatch-report-create"), data)
    assert response.status_code == OFFICE_ONLY[name]
    assert DispatchReport.objects.count() == (1 if name == "office" else 0)


def test_unknown_reports_are_404_for_readers_and_403_for_units(client, office, lead_user, month):
    url = reverse("dispatch-report-detail", args=[9999])
    assert signed_in(client, office).get(url).status_code == 404
    assert signed_in(Client(), lead_user).get(url).status_code == 403  # ids reveal nothing to units


def test_posts_need_the_csrf_token(office, report):
    client = signed_in(Client(enforce_csrf_checks=True), office)
    assert client.post(reverse("dispatch-report-rebuild", args=[report.pk])).status_code == 403
    assert client.get(reverse("dispatch-report-rebuild", args=[report.pk])).status_code == 405
    assert DispatchReport.objects.get().status == Status.READY


def test_bad_input_changes_nothing(client, office, month):
    client = signed_in(client, office)
    for data in ({"kind": "weekly", "year": 2025, "number": 10}, {"kind": "monthly", "year": 2025, "number": 13},
                 {"kind": "monthly", "year": 2025, "number": 1}, {"kind": "half_year", "year": 2025, "number": 3}):
        response = client.post(reverse("dispatch-report-create"), data, follow=True)
        assert response.status_code == 200
        assert any(word in response.content.decode() for word in ("请选择正确的报告类型和期次", "还没有打开过填报期", "期次应为"))
    assert not DispatchReport.objects.exists()


# --- what they show --------------------------------------------------------------------------


def test_the_list_shows_each_opened_month_and_each_years_packs(client, office, report):
    body = signed_in(client, office).get(reverse("dispatch-report-list")).content.decode()
    assert "2025年10月调度报告" in body and "已生成" in body
    assert reverse("dispatch-report-download", args=[report.pk]) in body
    assert "2025年度总结报告" in body and "2025年下半年工作总结会材料" in body
    # Only what can be built is offered: no month of the first half of 2025 was ever opened.
    assert "2025年上半年工作总结会材料" not in body
    assert body.count('value="half_year"') == 1  # the office may build the second half …
    assert body.count(">生成</button>") == 2  # … and the year, none built yet


def test_the_list_offers_nothing_for_months_no_plan_owes(client, office, report):
    from tasks.services.dispatch import period_open

    period_open(year=2031, month=3)  # opened, but no plan runs then
    body = signed_in(client, office).get(reverse("dispatch-report-list")).content.decode()
    assert "2031年3月调度报告" not in body and "2031年度总结报告" not in body


def test_the_list_offers_no_building_to_inspectors(client, inspector, report):
    body = signed_in(client, inspector).get(reverse("dispatch-report-list")).content.decode()
    assert ">生成</button>" not in body and "2025年10月调度报告" in body


def test_the_report_page_shows_every_section(client, office, report, month):
    body = signed_in(client, office).get(reverse("dispatch-report-detail", args=[report.pk])).content.decode()
    for title in ("1. 总体情况", "2. 各任务组进展", "3. 各单位报送情况", "4. 未报和逾期报送", "5. 督查发现问题整改情况", "6. 通报"):
        assert title in body
    assert "请补充佐证材料。" in body and "=1+1 完成了公式一样的工作" in body
    assert month.overdue.number in body and "10月：逾期未整改。" in body
    assert "草稿内容不得外泄" not in body
    assert "重新生成" in body and 'hx-trigger="every 2s"' not in body  # built: nothing to poll


def test_leaders_read_the_report_without_the_rebuild_button(client, leader, report):
    body = signed_in(client, leader).get(reverse("dispatch-report-detail", args=[report.pk])).content.decode()
    assert "总体情况" in body and "重新生成" not in body


def test_a_building_report_polls_its_progress_and_keeps_showing_the_last_build(client, office, report):
    DispatchReport.objects.filter(pk=report.pk).update(status=Status.BUILDING, progress=40, stage="正在汇总：未报和逾期报送",
                                                       token="00000000-0000-0000-0000-000000000001")
    client = signed_in(client, office)
    body = client.get(reverse("dispatch-report-detail", args=[report.pk])).content.decode()
    progress_url = reverse("dispatch-report-progress", args=[report.pk])
    assert f'hx-get="{progress_url}" hx-trigger="every 2s"' in body
    assert 'value="40"' in body and "正在汇总：未报和逾期报送" in body
    assert "1. 总体情况" in body  # the previous build stays readable meanwhile
    assert "重新生成" not in body
    fragment = client.get(progress_url, headers={"HX-Request": "true"})
    assert "HX-Refresh" not in fragment and "40%" in fragment.content.decode()


def test_the_fragment_reloads_the_page_once_the_build_has_ended(client, office, report):
    response = signed_in(client, office).get(reverse("dispatch-report-progress", args=[report.pk]),
                                             headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    assert "hx-trigger" not in response.content.decode()


def test_a_failed_build_shows_its_reason(client, office, report):
    DispatchReport.objects.filter(pk=report.pk).update(status=Status.FAILED, error="生成时出现内部错误。")
    body = signed_in(client, office).get(reverse("dispatch-report-detail", args=[report.pk])).content.decode()
    assert "生成失败：生成时出现内部错误。" in body and "1. 总体情况" in body


def test_the_download_is_the_workbook(client, leader, report):
    response = signed_in(client, leader).get(reverse("dispatch-report-download", args=[report.pk]))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert quote("2025年10月调度报告.xlsx") in response["Content-Disposition"]
    assert load_workbook(BytesIO(response.content)).sheetnames[0] == "总体情况"


def test_a_report_never_built_has_nothing_to_download(client, office, month):
    with frozen(BUILD_DAY):
        report, _ = dispatch_report_request(kind="monthly", year=2025, number=10, user=None, queue=False)
    client = signed_in(client, office)
    assert client.get(reverse("dispatch-report-download", args=[report.pk])).status_code == 404
    assert "报告尚未生成" not in client.get(reverse("dispatch-report-detail", args=[report.pk])).content.decode()


def test_the_office_rebuilds_and_is_told_when_a_build_already_runs(client, office, report):
    client = signed_in(client, office)
    url = reverse("dispatch-report-rebuild", args=[report.pk])
    first = client.post(url, follow=True).content.decode()
    second = client.post(url, follow=True).content.decode()
    assert "已开始生成2025年10月调度报告" in first
    assert "2025年10月调度报告正在生成，请稍候。" in second


# --- query budgets ---------------------------------------------------------------------------


def more_months(count: int) -> None:
    """Further months of 2025, each with its report built."""
    for number in range(1, count + 1):
        with frozen(d(f"2025-{number:02d}-01"), hour=8):
            period_open(year=2025, month=number)
        built(number=number)


@pytest.mark.parametrize("extra", [0, 6])
def test_list_page_queries_do_not_grow_with_the_reports(client, office, report, extra, django_assert_num_queries):
    more_months(extra)
    client = signed_in(client, office)
    # session, user; the reports (without content), the plans (which owes each month), the opened
    # months; the unread count.
    with django_assert_num_queries(6):
        assert client.get(reverse("dispatch-report-list")).status_code == 200


@pytest.mark.parametrize("half", [False, True])
def test_report_page_queries_do_not_grow_with_its_rows(client, office, month, half, django_assert_num_queries):
    if half:  # a pack: more sections, months and rows
        with frozen(d("2025-12-01"), hour=8):
            period_open(year=2025, month=11)
        report = built("half_year", 2)
    else:
        report = built()
    client = signed_in(client, office)
    # session, user; the report with its plan and requester; the unread count.
    with django_assert_num_queries(4):
        assert client.get(reverse("dispatch-report-detail", args=[report.pk])).status_code == 200
    # The fragment polled every 2 seconds: session, user, the report's state.
    with django_assert_num_queries(3):
        client.get(reverse("dispatch-report-progress", args=[report.pk]))


def grow(month, lead_user, inspector, times: int) -> None:
    """``times`` more tasks in group 1, each with its lead unit's October return (late, returned
    once), a finding found in October and a 通报 entry."""
    plan, group = month.plan, month.tasks[0].group
    unit_ = month.tasks[0].assignments.get().unit
    round_ = month.overdue.round
    bulletin = Bulletin.objects.get(year=2025, month=10)
    # Recorded in October (a report reads its returns and findings as they stood at its moment).
    with time_machine.travel(dt.datetime(2025, 10, 20, 10, tzinfo=dt.UTC), tick=False):
        _grow(plan, group, unit_, round_, bulletin, month.period, lead_user, inspector, times)


def _grow(plan, group, unit_, round_, bulletin, period, lead_user, inspector, times: int) -> None:
    for n in range(times):
        task = Task.objects.create(plan=plan, group=group, number=10 + n, code=f"1.{10 + n}", title=f"加量任务{n}",
                                   text="内容", sort_order=10 + n)
        TaskAssignment.objects.create(task=task, unit=unit_, role=AssignmentRole.LEAD)
        report = ProgressReport.objects.create(
            task=task, unit=unit_, period=period, status=FilingStatus.RETURNED, created_by=lead_user,
            submitted_at=dt.datetime(2025, 11, 8, tzinfo=dt.UTC), is_late=True, completed="完成", next_plan="计划",
            progress=50)
        ReviewEvent.objects.create(report=report, action="return", from_status="submitted", to_status="returned",
                                   comment=f"退回{n}", actor=inspector)
        finding = Finding.objects.create(round=round_, number=f"加量-{n}", unit=unit_, task=task, description="问题",
                                         deadline_working_days=5, found_on=d("2025-10-20"), due_date=d("2025-10-27"),
                                         created_by=inspector)
        Escalation.objects.create(key=f"grow:{n}", level=Level.BULLETIN, item_kind=ItemKind.FINDING, finding=finding,
                                  unit=unit_, due_date=finding.due_date, message="逾期。", bulletin=bulletin)


@pytest.mark.parametrize("kind,number", [("monthly", 10), ("annual", 0)])
def test_building_reads_each_section_with_the_same_queries_at_any_size(office, inspector, lead_user, supporting_user,
                                                                      kind, number):
    """The whole content costs the same number of queries with 4 tasks and with 40 more tasks,
    returns, return comments, findings and 通报 entries."""
    month = october(office, inspector, lead_user, supporting_user)

    def count() -> tuple[int, dict]:
        scope = report_scope(kind=kind, year=2025, number=number, now=dt.datetime(2026, 1, 12, 9, tzinfo=dt.UTC))
        with CaptureQueriesContext(connection) as queries:
            content = report_content(scope)
        return len(queries), content

    small, before = count()
    grow(month, lead_user, inspector, 40)
    large, after = count()
    assert large == small <= 20
    assert after["summary"]["tasks"] == before["summary"]["tasks"] + 40
    assert len(after["findings"]["rows"]) == len(before["findings"]["rows"]) + 40
