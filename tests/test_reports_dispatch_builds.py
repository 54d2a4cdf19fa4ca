"""Building the dispatch reports: one row per period, claimed builds (two at once build once, a
silent build may be taken over, a lost claim changes nothing), progress written as sections
complete, failures that keep the last good report, the office's inbox, the jobs and the daily
schedule on the working-day calendar.

The data is the October 2025 of tests/test_reports_dispatch.py (reports due Friday 7 November,
built on Monday 10 November).
"""

from __future__ import annotations

import datetime as dt
import uuid
from io import BytesIO

import pytest
from celery.schedules import crontab
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from openpyxl import load_workbook

from reports.choices import DispatchReportStatus as Status
from reports.dispatch_report import report_build_day
from reports.jobs.dispatch_reports import dispatch_report_build_job, dispatch_report_schedule_job
from reports.models import DispatchReport
from reports.services import dispatch_reports as services
from reports.services.dispatch_reports import (
    DispatchReportError,
    dispatch_report_build,
    dispatch_report_request,
    dispatch_report_schedule,
)
from tasks.models import Notification, ProgressReport
from tasks.services.dispatch import filing_review, period_open
from tests.supervision_data import SHANGHAI, d, frozen
from tests.test_reports_dispatch import BUILD_DAY, october
from xixian_portal.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Built workbooks are written under the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def month(office, inspector, lead_user, supporting_user):
    return october(office, inspector, lead_user, supporting_user)


def ask(user=None, **kwargs):
    with frozen(BUILD_DAY):
        return dispatch_report_request(kind="monthly", year=2025, number=10, user=user, queue=False, **kwargs)


def build(report_id: int, day: dt.date = BUILD_DAY):
    with frozen(day, hour=10):
        return dispatch_report_build(report_id=report_id)


def sheet_names(report: DispatchReport) -> list[str]:
    with report.file.open("rb") as stream:
        return load_workbook(BytesIO(stream.read())).sheetnames


# --- asking and claiming -------------------------------------------------------------------


def test_asking_creates_the_periods_report_and_queues_one_build(month, office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued_jobs, frozen(BUILD_DAY):
        report, queued = dispatch_report_request(kind="monthly", year=2025, number=10, user=office)
        again, queued_again = dispatch_report_request(kind="monthly", year=2025, number=10, user=office)
    assert (queued, queued_again) == (True, False)  # the second is told 「正在生成」
    assert again.pk == report.pk and DispatchReport.objects.count() == 1
    assert len(queued_jobs) == 1
    assert (report.status, report.requested_by, report.plan, report.stage) == (
        Status.PENDING, office, month.plan, "排队等待生成")


def test_only_the_office_asks_and_only_for_a_period_that_can_have_a_report(month, inspector, leader, lead_user, office):
    for user in (inspector, leader, lead_user):
        with pytest.raises(PermissionDenied, match="只有新区营商办可以生成调度报告"):
            ask(user)
    with pytest.raises(DispatchReportError, match="2025年1月还没有打开过填报期"):
        dispatch_report_request(kind="monthly", year=2025, number=1, user=office)
    assert not DispatchReport.objects.exists()


def test_a_build_is_claimed_once(month):
    report, _ = ask()
    built = build(report.pk)
    assert build(report.pk) is None  # the same job delivered again: already built
    stored = DispatchReport.objects.get()
    assert (built.pk, stored.status, stored.progress, stored.stage, stored.generation, stored.token) == (
        report.pk, Status.READY, 100, "生成完成", 1, None)
    assert stored.built_at == dt.datetime(2025, 11, 10, 2, tzinfo=dt.UTC)
    assert stored.content["summary"]["due"] == 4
    assert sheet_names(stored)[0] == "总体情况"


def test_a_request_while_a_build_runs_starts_no_second_build(month, django_capture_on_commit_callbacks):
    report, _ = ask()
    DispatchReport.objects.filter(pk=report.pk).update(status=Status.BUILDING, token=uuid.uuid4(),
                                                       heartbeat_at=timezone.now())
    with django_capture_on_commit_callbacks() as queued_jobs:
        again, queued = dispatch_report_request(kind="monthly", year=2025, number=10, user=None)
    assert (queued, again.status, queued_jobs) == (False, Status.BUILDING, [])
    assert build(report.pk) is None  # and a second job cannot claim it either


def test_a_silent_build_is_taken_over_and_its_late_result_dropped(month, settings):
    report, _ = ask()
    dead = uuid.uuid4()
    silent_since = dt.datetime(2025, 11, 10, 9, tzinfo=SHANGHAI) - dt.timedelta(minutes=settings.DISPATCH_REPORT_STALE_MINUTES + 1)
    DispatchReport.objects.filter(pk=report.pk).update(status=Status.BUILDING, token=dead, heartbeat_at=silent_since)
    with frozen(BUILD_DAY):  # 09:00
        assert dispatch_report_request(kind="monthly", year=2025, number=10, user=None, queue=False)[1] is True
    build(report.pk)
    stored = DispatchReport.objects.get()
    # The dead build wakes up and tries to swap in its result: its claim is gone.
    assert services._finish(report.pk, dead, content={"title": "过时"}, data=b"stale") is None
    assert DispatchReport.objects.get().content == stored.content
    assert (stored.status, stored.generation) == (Status.READY, 1)


def test_progress_is_written_as_each_section_starts(month, monkeypatch):
    report, _ = ask()
    seen = []
    original = services.report_content

    def watched(scope, *, on_section):
        def step(percent, stage):
            on_section(percent, stage)
            row = DispatchReport.objects.get(pk=report.pk)
            seen.append((row.status, row.progress, row.stage))
        return original(scope, on_section=step)

    monkeypatch.setattr(services, "report_content", watched)
    build(report.pk)
    assert [s for s in seen if s[0] != Status.BUILDING] == []
    assert [p for _, p, _ in seen] == sorted(p for _, p, _ in seen) and len(seen) == 7
    assert [stage for *_, stage in seen][:3] == ["读取任务和填报情况", "正在汇总：总体情况", "正在汇总：各任务组进展"]


def test_a_rebuild_replaces_the_content_and_file_of_the_same_row(month, office, django_capture_on_commit_callbacks):
    report, _ = ask()
    first = build(report.pk)
    first_file = first.file.name
    awaiting = ProgressReport.objects.get(task__code="2.1", period=month.period)
    with frozen(d("2025-11-11")):
        filing_review(user=office, filing=awaiting, action="approve")
    with django_capture_on_commit_callbacks(execute=True):
        with frozen(d("2025-11-11")):
            _, queued = dispatch_report_request(kind="monthly", year=2025, number=10, user=office, queue=False)
        second = build(report.pk, d("2025-11-11"))
    assert queued and second.pk == first.pk and DispatchReport.objects.count() == 1
    # Replaced, and still as of the end of its build day (10 November): the approval of the 11th
    # is not the month's figure.
    assert (second.generation, second.requested_by, second.content["summary"]["approved"]) == (2, office, 1)
    assert second.file.name != first_file
    assert not second.file.storage.exists(first_file)  # the previous file went with its build


def test_a_failed_build_keeps_the_last_good_report_and_tells_the_office(month, office, monkeypatch):
    report, _ = ask()
    good = build(report.pk)
    monkeypatch.setattr(services, "report_content", lambda scope, on_section: 1 / 0)
    with frozen(BUILD_DAY):
        dispatch_report_request(kind="monthly", year=2025, number=10, user=office, queue=False)
    with pytest.raises(ZeroDivisionError):  # raised for the worker's log…
        build(report.pk)
    failed = DispatchReport.objects.get()
    # …and recorded for the page: the previous content and file stay.
    assert (failed.status, failed.stage, failed.token) == (Status.FAILED, "生成失败", None)
    assert failed.error.startswith("生成时出现内部错误，已保留上一次生成的报告")
    assert (failed.content, failed.file.name, failed.generation) == (good.content, good.file.name, 1)
    assert list(Notification.objects.filter(recipient=office, title__contains="调度报告").values_list("title", flat=True)) == [
        "2025年10月调度报告生成失败", "2025年10月调度报告已生成"]
    # The office rebuilds by hand; the failure does not block it.
    monkeypatch.undo()
    with frozen(BUILD_DAY):
        assert dispatch_report_request(kind="monthly", year=2025, number=10, user=office, queue=False)[1]
    assert build(report.pk).generation == 2


def test_the_office_hears_when_the_report_is_ready(month, office):
    colleague = office.__class__.objects.create(username="office2", role=office.role, unit=office.unit)
    report, _ = ask()
    build(report.pk)
    notes = Notification.objects.filter(title="2025年10月调度报告已生成")
    assert sorted(notes.values_list("recipient__username", flat=True)) == sorted([office.username, colleague.username])
    assert notes.first().url == f"/reports/dispatch/{report.pk}/"
    assert notes.first().body == "第 1 次生成，统计截至2025-10-31。"


# --- the jobs and the schedule ---------------------------------------------------------------


def test_jobs_acknowledge_late_and_the_schedule_runs_daily():
    assert dispatch_report_build_job.name == "reports.dispatch_report_build" and dispatch_report_build_job.acks_late
    assert dispatch_report_schedule_job.acks_late and dispatch_report_schedule_job.max_retries == 5
    entries = {entry["task"]: entry["schedule"] for entry in celery_app.conf.beat_schedule.values()}
    assert entries["reports.dispatch_report_schedule"] == crontab(minute=0, hour=9)


def test_the_build_job_builds_once(month):
    report, _ = ask()
    with frozen(BUILD_DAY, hour=10):
        assert dispatch_report_build_job.apply(args=[report.pk]).get() == "2025年10月调度报告（第 1 次生成）"
        assert dispatch_report_build_job.apply(args=[report.pk]).get() == "未生成：已由其他进程生成或无需生成"


def schedule(day: str) -> list[str]:
    with frozen(d(day), hour=9):
        return dispatch_report_schedule()


def test_the_schedule_builds_last_month_the_working_day_after_its_reports_were_due(month, django_capture_on_commit_callbacks):
    assert month.period.due_date == d("2025-11-07")
    assert schedule("2025-11-07") == ["2025年10月调度报告将于 2025-11-10 生成"]
    assert schedule("2025-11-09") == ["2025年10月调度报告将于 2025-11-10 生成"]  # Sunday
    assert not DispatchReport.objects.exists()
    with django_capture_on_commit_callbacks() as queued_jobs:
        assert schedule("2025-11-10") == ["2025年10月调度报告：已排队生成"]
    assert len(queued_jobs) == 1 and DispatchReport.objects.get().requested_by is None
    build(DispatchReport.objects.get().pk)
    with django_capture_on_commit_callbacks() as queued_jobs:
        assert schedule("2025-11-11") == ["2025年10月调度报告：已有（已生成）"]  # built: left alone
    assert queued_jobs == []


def test_the_schedule_day_is_a_setting(month, settings):
    settings.DISPATCH_REPORT_WORKING_DAYS_AFTER_DUE = 3
    assert schedule("2025-11-11") == ["2025年10月调度报告将于 2025-11-12 生成"]
    assert schedule("2025-11-12") == ["2025年10月调度报告：已排队生成"]


def test_the_schedule_queues_a_lost_build_again(month):
    with frozen(d("2025-11-10"), hour=9):
        assert dispatch_report_schedule() == ["2025年10月调度报告：已排队生成"]
    with frozen(d("2025-11-10"), hour=9) as clock:
        clock.shift(dt.timedelta(minutes=5))  # its job is still in the queue
        assert dispatch_report_schedule() == ["2025年10月调度报告：已有（排队中）"]
    # The next day it is still pending: the broker lost its job.
    assert schedule("2025-11-11") == ["2025年10月调度报告：已排队生成"]
    assert DispatchReport.objects.count() == 1


def test_after_june_and_december_the_packs_are_queued_too(month):
    with frozen(d("2025-06-01"), hour=8):
        june = period_open(year=2025, month=6)
    with frozen(d("2025-12-01"), hour=8):
        december = period_open(year=2025, month=12)
    july_day = report_build_day(period=june)
    january_day = report_build_day(period=december)
    assert (july_day.month, january_day.year, january_day.month) == (7, 2026, 1)
    assert schedule(july_day.isoformat()) == ["2025年6月调度报告：已排队生成", "2025年上半年工作总结会材料：已排队生成"]
    assert schedule(january_day.isoformat()) == [
        "2025年12月调度报告：已排队生成", "2025年下半年工作总结会材料：已排队生成", "2025年度总结报告：已排队生成"]
    assert sorted(DispatchReport.objects.values_list("kind", "number")) == [
        ("annual", 0), ("half_year", 1), ("half_year", 2), ("monthly", 6), ("monthly", 12)]


def test_the_schedule_job_takes_the_date(month):
    assert dispatch_report_schedule_job.apply(kwargs={"date": "2025-11-07"}).get() == "2025年10月调度报告将于 2025-11-10 生成"


# --- the command -----------------------------------------------------------------------------


def test_the_command_builds_in_its_own_process_and_runs_the_schedule(month, capsys):
    from django.core.management import CommandError, call_command

    with frozen(BUILD_DAY):
        call_command("build_dispatch_report", "monthly", "2025", "10")
    assert capsys.readouterr().out.startswith("2025年10月调度报告已生成（第 1 次）：")
    assert DispatchReport.objects.get().status == Status.READY
    with pytest.raises(CommandError, match="2025年1月还没有打开过填报期"):
        call_command("build_dispatch_report", "monthly", "2025", "1")
    with pytest.raises(CommandError, match="请指定报告类型、年度和期次"):
        call_command("build_dispatch_report")
    call_command("build_dispatch_report", "--schedule", "--date", "2025-11-11")
    assert capsys.readouterr().out == "2025年10月调度报告：已有（已生成）\n"


def test_the_demo_seed_builds_each_opened_month_and_the_packs_once(plan, office, capsys):
    from django.core.management import call_command

    for number in (5, 6):
        with frozen(d(f"2020-{number:02d}-01"), hour=8):
            period_open(year=2020, month=number)
    call_command("seed_reports_demo")
    assert capsys.readouterr().out == "调度报告：新生成 3 份，已有 0 份。\n"
    assert sorted(DispatchReport.objects.values_list("kind", "year", "number", "status")) == [
        ("half_year", 2020, 1, "ready"), ("monthly", 2020, 5, "ready"), ("monthly", 2020, 6, "ready")]
    assert not Notification.objects.filter(title__contains="调度报告").exists()  # built quietly
    call_command("seed_reports_demo")
    assert capsys.readouterr().out == "调度报告：新生成 0 份，已有 3 份。\n"
