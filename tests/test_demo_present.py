"""The demo in the present: a 【演示】 plan in force today, made from the seed text with its years
moved, with today's month open and monthly-dispatch work in every state, last month's reports
overdue and chased up the escalation ladder — besides the seed plan, ended.

Today is Tuesday 8 December 2026 (time_machine). The demo plan is 2025—2027; the class builds
its last three months only (October to today's December: the full history since January 2025
takes most of a minute), which is all the present needs: October's reports were due on 6
November (a 督办单's distance before today), November's on 7 December (yesterday).
"""

import datetime
import io
from collections import Counter

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from supervision import selectors
from supervision.choices import ItemKind, Level, RoundStatus
from supervision.demo import demo_present_build
from supervision.models import Bulletin, Escalation, Finding, InspectionRound
from tasks.choices import FilingStatus, PeriodStatus, PlanStatus
from tasks.demo import (
    DEMO_ACCOUNTS,
    DEMO_PLAN_MARK,
    demo_accounts_create,
    demo_plan_indicators,
    demo_plan_load,
    demo_plan_text,
)
from tasks.demo_history import demo_clock, demo_plan_arrival
from tasks.models import (
    ActionPlan,
    AnnualWorkPlan,
    Contribution,
    Notification,
    ProgressReport,
    ReportingPeriod,
    ReviewEvent,
    Task,
    User,
)
from tasks.plan_text import parse_plan
from tasks.services import plan_import
from tasks.workdays import is_working_day, working_days_between

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 12, 8, 11, 0, tzinfo=SHANGHAI)  # a Tuesday
TODAY = NOW.date()
MONTHS = [(2026, 10), (2026, 11), (2026, 12)]
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SEED_TEXT = settings.SEED_PLAN_PATH.read_text(encoding="utf-8")

pytestmark = pytest.mark.django_db


def seed_plan() -> ActionPlan:
    return ActionPlan.objects.get(title=parse_plan(SEED_TEXT).title)


def accounts() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS])}


def test_the_demo_text_is_the_seed_with_its_years_moved_and_every_unit_resolves():
    text = demo_plan_text(SEED_TEXT, shift=5)
    report = plan_import(text=text, dry_run=True)  # raises if a unit does not resolve
    parsed, seed = report.parsed, parse_plan(SEED_TEXT)
    assert parsed.title == f"{DEMO_PLAN_MARK}西咸新区优化营商环境推进重大项目建设三年行动方案（2025年—2027年）"
    assert (parsed.start_year, parsed.end_year) == (2025, 2027) and set(parsed.targets) == {2025, 2026, 2027}
    assert "演示副本" in parsed.preamble and "不是正式文件" in parsed.preamble
    assert not report.unresolved
    assert [(g.code_for(t), len(t.mentions)) for g, t in parsed.all_tasks()] == [
        (g.code_for(t), len(t.mentions)) for g, t in seed.all_tasks()]
    # The years in the text move with the period (「到2025年底」), not the seed's name in the note.
    body = text.split("\n", 6)[-1]
    assert "2020年" not in body and "到2025年底" in body


def test_the_indicators_move_with_the_years():
    rows = [{"key": "fee-inspection-2020", "name": "涉企收费专项检查行动", "year": 2020, "source": "到2020年底"},
            {"key": "talents", "name": "引进人才", "year": None, "source": "引进500名"}]
    moved = demo_plan_indicators(rows, years=range(2020, 2023), shift=5)
    assert moved == [{"key": "fee-inspection-2025", "name": "涉企收费专项检查行动", "year": 2025, "source": "到2025年底"},
                     rows[1]]


@pytest.fixture(scope="class")
def present(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo plan imported when it would have arrived, and its last three months played as
    of NOW with the ladder and today's round; shared by a class, rolled back after it."""
    media = tmp_path_factory.mktemp("media")
    with (django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=FAST_HASHER),
          time_machine.travel(NOW, tick=False), transaction.atomic()):
        demo_accounts_create()
        with demo_clock(demo_plan_arrival(2025)):
            plan = demo_plan_load(today=TODAY)
        yield plan, demo_present_build(plan=plan, months=MONTHS, now=NOW)
        transaction.set_rollback(True)


def held(plan, username: str, month: int) -> tuple[Task, User]:
    """The task of the account's report the present leaves undone (its first lead task)."""
    user = accounts()[username]
    return Task.objects.filter(plan=plan).active().for_unit(user.unit_id, role="lead").order_by("sort_order")[0], user


def report_steps(task, user, month):
    steps = Escalation.objects.filter(item_kind=ItemKind.REPORT, task=task, unit__in=user.scope_unit_ids(),
                                      period__year=2026, period__month=month).order_by("created_at")
    return [(s.level, bool(s.replied_at)) for s in steps.exclude(level=Level.BULLETIN)]


class TestTodayInsideTheDemoPlan:
    def test_the_demo_plan_is_in_force_and_the_seed_plan_has_ended(self, present):
        plan = present[0]
        assert plan.title.startswith(DEMO_PLAN_MARK) and "（2025年—2027年）" in plan.title
        assert (plan.starts_on, plan.ends_on) == (datetime.date(2025, 1, 1), datetime.date(2027, 12, 31))
        assert plan.status == PlanStatus.ACTIVE and plan.owes(2026, 12)
        assert list(ActionPlan.objects.in_force(TODAY)) == [plan]
        assert seed_plan().status == PlanStatus.ENDED and not seed_plan().owes(2026, 12)
        # Imported before its first month, as a real plan would be: its history begins then.
        first = plan.history.earliest("history_date").history_date
        assert timezone.localtime(first) == datetime.datetime(2025, 1, 2, 9, 0, tzinfo=SHANGHAI)

    def test_todays_month_is_open_with_work_in_every_state(self, present):
        plan = present[0]
        period = ReportingPeriod.objects.get(year=2026, month=12)
        assert period.status == PeriodStatus.OPEN and period.due_date > TODAY
        reports = ProgressReport.objects.filter(task__plan=plan, period=period)
        statuses = Counter(reports.values_list("status", flat=True))
        assert set(statuses) == {FilingStatus.DRAFT, FilingStatus.SUBMITTED, FilingStatus.RETURNED, FilingStatus.APPROVED}
        returned = reports.get(status=FilingStatus.RETURNED)
        assert [e.action for e in returned.events.all()] == ["submit", "return"] and returned.events.last().comment
        # Owed and not begun: most of the demo units' lead tasks have no report yet.
        summary = present[1]
        assert summary.month == (2026, 12) and summary.states["未填报"] > sum(statuses.values())
        assert summary.states["草稿"] == statuses[FilingStatus.DRAFT]
        contributions = Contribution.objects.filter(task__plan=plan, period=period)
        assert set(contributions.values_list("status", flat=True)) == {FilingStatus.SUBMITTED, FilingStatus.DRAFT}
        # Each unit account has something of its own this month, and the office a review queue.
        filers = set(reports.values_list("created_by__username", flat=True))
        assert {"shenpi", "shichang", "gaige", "nongye"} <= filers
        assert reports.filter(status=FilingStatus.SUBMITTED).exists()

    def test_last_months_reports_are_overdue_and_chased(self, present):
        plan = present[0]
        november = ReportingPeriod.objects.get(year=2026, month=11)
        assert november.due_date == datetime.date(2026, 12, 7) and november.status == PeriodStatus.OPEN
        untouched, untouched_user = held(plan, "shichang", 11)
        drafted, drafted_user = held(plan, "shenpi", 11)
        assert not ProgressReport.objects.filter(task=untouched, period=november).exists()
        assert ProgressReport.objects.get(task=drafted, period=november).status == FilingStatus.DRAFT
        # 提醒 three working days before the due date, 催办 on it: not answered yet.
        for task, user in ((untouched, untouched_user), (drafted, drafted_user)):
            assert report_steps(task, user, 11) == [(Level.REMINDER, False), (Level.URGE, False)]
        board = selectors.overdue_board(user=untouched_user, today=TODAY)
        assert any(row.task == untouched and row.days_overdue == 1 for row in board)

    def test_a_notice_for_a_report_still_missing_and_one_answered_then_handed_in(self, present):
        plan = present[0]
        october = ReportingPeriod.objects.get(year=2026, month=10)
        assert october.due_date == datetime.date(2026, 11, 6) and october.status == PeriodStatus.OPEN
        ignored, ignored_user = held(plan, "gaige", 10)
        assert not ProgressReport.objects.filter(task=ignored, period=october).exists()
        assert report_steps(ignored, ignored_user, 10) == [
            (Level.REMINDER, False), (Level.URGE, True), (Level.NOTICE, False)]
        late, late_user = held(plan, "nongye", 10)
        assert report_steps(late, late_user, 10) == [
            (Level.REMINDER, False), (Level.URGE, True), (Level.NOTICE, True)]
        notice = Escalation.objects.get(task=late, period=october, level=Level.NOTICE)
        report = ProgressReport.objects.get(task=late, period=october)
        assert report.status == FilingStatus.APPROVED and report.is_late
        assert report.submitted_at > notice.replied_at > notice.created_at
        assert notice.notice_code.startswith("西咸营商督〔2026〕") and notice.new_due_date > october.due_date
        # Both 督办单 went out in November: the office compiled its 通报 early in December.
        bulletin = Bulletin.objects.get(year=2026, month=11)
        assert {late.pk, ignored.pk} <= set(bulletin.entries.values_list("task_id", flat=True))
        assert timezone.localtime(bulletin.compiled_at).date() == datetime.date(2026, 12, 1)

    def test_the_ladder_is_the_daily_scan_on_its_days(self, present):
        steps = Escalation.objects.filter(item_kind=ItemKind.REPORT, is_manual=False).exclude(level=Level.BULLETIN)
        assert steps.exists()
        for step in steps:
            at = timezone.localtime(step.created_at)
            assert at.time() == datetime.time(8, 30) and is_working_day(at.date())
            days_left = working_days_between(at.date(), step.due_date)
            # On the first scan that finds the report missing within the step's reach: 提醒 up to
            # three working days ahead, 催办 from the due date (later for a report returned after
            # it), 督办单 from five working days after it.
            assert {Level.REMINDER: 1 <= days_left <= 3, Level.URGE: days_left <= 0,
                    Level.NOTICE: days_left <= -5}[step.level], (step.task.code, step.level, days_left)
        # The reports the demo holds back were chased on the very days.
        plan = present[0]
        for username, month in (("gaige", 10), ("nongye", 10), ("shichang", 11), ("shenpi", 11)):
            task, user = held(plan, username, month)
            days = {s.level: working_days_between(timezone.localdate(s.created_at), s.due_date)
                    for s in steps.filter(task=task, unit__in=user.scope_unit_ids(), period__month=month)}
            assert days == {Level.REMINDER: 3, Level.URGE: 0, **({Level.NOTICE: -5} if month == 10 else {})}
        assert not Escalation.objects.filter(created_at__gt=NOW).exists()

    def test_nothing_happens_after_now_and_nothing_on_the_seed_plan(self, present):
        assert not ReviewEvent.objects.filter(at__gt=NOW).exists()
        assert not ProgressReport.history.filter(history_date__gt=NOW).exists()
        seed = seed_plan()
        assert not ProgressReport.objects.filter(task__plan=seed).exists()
        assert not AnnualWorkPlan.objects.filter(task__plan=seed).exists()

    def test_todays_round_is_on_the_demo_plan(self, present):
        plan = present[0]
        round_ = InspectionRound.objects.get(year=2026, quarter=4)
        assert round_.status == RoundStatus.IN_PROGRESS
        findings = Finding.objects.filter(round=round_)
        assert findings.count() == 12 and set(findings.values_list("task__plan", flat=True)) == {plan.pk}

    def test_todays_messages_wait_in_the_inboxes(self, present):
        unread = Notification.objects.filter(read_at__isnull=True)
        assert unread.filter(recipient__username="shichang", title__startswith="【催办】").exists()
        assert unread.filter(recipient__username="yingshangban", title__contains="提交了").exists()
        assert unread.filter(recipient__username="shenpi", title__contains="退回").exists()
        # Read weeks ago, still to be answered: gaige's 督办单; shenpi's and shichang's 催办.
        waiting = {name: Counter(selectors.escalation_list(user=accounts()[name], awaiting_reply=True)
                                 .filter(item_kind=ItemKind.REPORT).values_list("level", flat=True))
                   for name in ("gaige", "shenpi", "shichang", "nongye")}
        assert waiting["gaige"][Level.NOTICE] >= 1 and waiting["shenpi"][Level.URGE] >= 1
        assert waiting["shichang"][Level.URGE] >= 1 and waiting["nongye"][Level.NOTICE] == 0

    @pytest.mark.parametrize(("username", "route", "shows"), [
        ("shenpi", "reporting-inbox", "已退回"),
        ("yingshangban", "review-queue", "2026年12月"),
        ("yingshangban", "supervision:overdue-board", "2026年10月进展填报"),
        ("gaige", "supervision:escalation-list", "督办单"),
        ("duchashi", "supervision:verification-queue", "2026Q4-"),
        ("yingshangban", "supervision:extension-list", "2026Q4-"),
        ("lingdao", "plan-list", DEMO_PLAN_MARK),
    ])
    def test_each_account_finds_its_work_today(self, present, client, username, route, shows):
        client.force_login(User.objects.get(username=username))
        with time_machine.travel(NOW, tick=False):
            response = client.get(reverse(route))
        assert response.status_code == 200
        assert shows in response.content.decode()

    def test_running_again_adds_nothing(self, present):
        plan = present[0]
        models = (ActionPlan, ProgressReport, Contribution, ReviewEvent, Escalation, Finding, Bulletin, Notification)
        counts = [m.objects.count() for m in models]
        with time_machine.travel(NOW, tick=False):
            assert demo_plan_load(today=TODAY) == plan
            assert demo_present_build(plan=plan, months=MONTHS, now=NOW) is None
        assert [m.objects.count() for m in models] == counts


def test_the_command_imports_the_plan_once_and_builds_once(settings, tmp_path):
    settings.PASSWORD_HASHERS, settings.MEDIA_ROOT = FAST_HASHER, tmp_path
    with time_machine.travel(NOW, tick=False):
        out = io.StringIO()
        call_command("seed_demo_present", months=2, stdout=out)
        assert "（2025年—2027年）（执行中）" in out.getvalue() and "逾期未报" in out.getvalue()
        counts = [m.objects.count() for m in (ActionPlan, ProgressReport, Escalation, Notification)]
        out = io.StringIO()
        call_command("seed_demo_present", months=2, stdout=out)
        assert "已存在" in out.getvalue()
    assert [m.objects.count() for m in (ActionPlan, ProgressReport, Escalation, Notification)] == counts
    assert ActionPlan.objects.filter(title__startswith=DEMO_PLAN_MARK).count() == 1
