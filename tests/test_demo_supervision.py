"""The demo's supervision: quarterly rounds and their findings through the real services, the
ladder recorded by the scan on its days, and today's round with something on every page.

Most tests build two quarters of the seed plan (eight findings: every life a finding can have)
and today's round as of Sunday 29 November 2026 (in the demo, today's round is on the demo plan,
tests/test_demo_present.py; the script is the same whatever the plan); one builds the seed plan's
supervision through the command and opens the pages as the demo accounts would.
"""

import datetime
import io
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from supervision import selectors
from supervision.choices import (
    ExtensionStatus,
    FindingStatus,
    InspectionMethod,
    ItemKind,
    Level,
    RoundStatus,
)
from supervision.demo import PATHS, _Supervision, demo_supervision_build
from supervision.models import (
    Bulletin,
    Escalation,
    ExtensionRequest,
    Finding,
    FindingEvent,
    InspectionRound,
)
from tasks.choices import Role
from tasks.demo import DEMO_ACCOUNTS, demo_accounts_create
from tasks.models import ActionPlan, Notification, Task, User
from tasks.workdays import is_working_day, working_days_between

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 11, 29, 11, 0, tzinfo=SHANGHAI)  # a Sunday
TODAY = NOW.date()
QUARTERS = [(2020, 1), (2020, 2)]
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]

pytestmark = pytest.mark.django_db


def accounts() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS])}


@pytest.fixture(scope="class")
def built(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two plan quarters and today's round, shared by a class of tests, rolled back after them."""
    media = tmp_path_factory.mktemp("media")
    with (django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=FAST_HASHER),
          transaction.atomic()):
        plan = ActionPlan.objects.first()  # the seed plan, loaded with the test database
        demo_accounts_create()
        yield plan, demo_supervision_build(plan=plan, quarters=QUARTERS, now=NOW, current=True)
        transaction.set_rollback(True)


def local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


class TestTwoQuartersAndToday:
    def test_each_quarter_has_its_concluded_four_nos_round(self, built):
        rounds = {(r.year, r.quarter): r for r in InspectionRound.objects.prefetch_related("team", "units", "findings")}
        assert set(rounds) == {*QUARTERS, (2026, 4)}
        inspectors = set(User.objects.filter(role=Role.INSPECTOR, username__in=accounts()))
        for quarter in QUARTERS:
            round_ = rounds[quarter]
            assert round_.status == RoundStatus.CONCLUDED and round_.method == InspectionMethod.FOUR_NOS
            assert set(round_.team.all()) == inspectors
            # Opened by the quarterly job on the quarter's first day; visited in its second month.
            assert local(round_.created_at) == datetime.datetime(quarter[0], 3 * quarter[1] - 2, 1, 8, 0, tzinfo=SHANGHAI)
            assert round_.start_date.month == 3 * quarter[1] - 1 and round_.end_date >= round_.start_date
            findings = list(round_.findings.all())
            assert len(findings) == 4 and f"共发现问题{len(findings)}个" in round_.conclusion
            assert {f.unit for f in findings} == set(round_.units.all()) and len(round_.units.all()) == 3
            assert all(round_.start_date <= f.found_on <= round_.end_date for f in findings)
            # Every finding is on a task of its unit (lead or supporting) and in the round's scope.
            assert all(Task.objects.for_unit(f.unit_id).filter(pk=f.task_id).exists() for f in findings)
            assert {f.task_id for f in findings} == set(round_.tasks.values_list("pk", flat=True))

    def test_the_plans_findings_live_every_life_and_end_closed(self, built):
        findings = Finding.objects.filter(round__year=2020).order_by("found_on", "pk")
        assert findings.count() == len(PATHS)
        assert set(findings.values_list("status", flat=True)) == {FindingStatus.CLOSED}
        lives = Counter()
        for finding in findings.prefetch_related("events__actor", "extensions"):
            events = list(finding.events.all())
            actions = [e.action for e in events if e.action != "extend"]
            extension = {x.status for x in finding.extensions.all()}
            late = finding.escalations.filter(level=Level.NOTICE).exists()
            lives["rejected" if "reject" in actions else "late" if late else "extended" if extension else "direct"] += 1
            if "reject" in actions:
                assert actions == ["create", "start", "submit", "reject", "submit", "close"]
                assert next(e for e in events if e.action == "reject").comment
            else:
                assert actions == ["create", "start", "submit", "close"]
            if extension == {ExtensionStatus.GRANTED}:
                assert [e.action for e in events].count("extend") == 1 and not late
            # The inspector logs and verifies; the unit's own staff rectify and hand in.
            inspector = {"create", "reject", "close"}
            assert all((e.actor.role == Role.INSPECTOR) == (e.action in inspector) for e in events if e.action != "extend")
            assert all(e.actor.unit_id == finding.unit_id for e in events if e.action in ("start", "submit"))
            assert [e.at for e in events] == sorted(e.at for e in events)
            assert finding.closed_at == events[-1].at
        assert lives == {"direct": 3, "rejected": 2, "late": 2, "extended": 1}
        extensions = Counter(ExtensionRequest.objects.filter(finding__round__year=2020).values_list("status", flat=True))
        assert extensions == {ExtensionStatus.GRANTED: 1, ExtensionStatus.REFUSED: 1}

    def test_the_ladder_is_the_scans_on_the_days_its_steps_fall_due(self, built):
        automatic = Escalation.objects.filter(is_manual=False).exclude(level=Level.BULLETIN).select_related("finding")
        assert automatic.exists() and not Escalation.objects.exclude(item_kind=ItemKind.FINDING).exists()
        for step in automatic:
            at = local(step.created_at)
            assert at.time() == datetime.time(8, 30) and is_working_day(at.date())
            days_left = working_days_between(at.date(), step.due_date)
            expected = {Level.REMINDER: 3, Level.URGE: 0, Level.NOTICE: -5}[step.level]
            assert days_left == expected, (step.finding.number, step.level)
        levels = Counter(automatic.filter(finding__round__year=2020).values_list("level", flat=True))
        assert levels[Level.URGE] == levels[Level.NOTICE] == 2 and levels[Level.REMINDER] >= 3
        notices = automatic.filter(level=Level.NOTICE, notice_year=2020).order_by("created_at")
        assert [n.notice_number for n in notices] == [1, 2]
        assert all(n.new_due_date > local(n.created_at).date() and n.required_action for n in notices)
        # The plan's units answered every 催办 and 督办单; today's leave some unanswered.
        historical = automatic.filter(level__in=[Level.URGE, Level.NOTICE], finding__round__year=2020)
        assert all(e.replied_at and e.reply and e.replied_by.unit_id == e.unit_id for e in historical)
        assert all(e.recipients.filter(unit=e.unit_id).exists() for e in historical)

    def test_the_office_files_the_months_tongbao(self, built):
        bulletins = list(Bulletin.objects.filter(year=2020).select_related("compiled_by"))
        notice_months = {(local(n.created_at).year, local(n.created_at).month)
                         for n in Escalation.objects.filter(level=Level.NOTICE, notice_year=2020)}
        assert {(b.year, b.month) for b in bulletins} == notice_months
        for bulletin in bulletins:
            assert bulletin.compiled_by.username == "yingshangban"
            entries = list(bulletin.entries.select_related("finding"))
            assert entries and all(e.level == Level.BULLETIN for e in entries)
            assert {e.finding.number for e in entries} >= {
                n.finding.number for n in Escalation.objects.filter(level=Level.NOTICE).select_related("finding")
                if (local(n.created_at).year, local(n.created_at).month) == (bulletin.year, bulletin.month)}

    def test_todays_round_has_something_for_every_page(self, built):
        office, inspector = accounts()["yingshangban"], accounts()["duchashi"]
        round_ = InspectionRound.objects.get(year=2026, quarter=4)
        assert round_.status == RoundStatus.IN_PROGRESS and not round_.conclusion
        findings = Finding.objects.filter(round=round_)
        assert Counter(findings.values_list("status", flat=True)) == {
            FindingStatus.OPEN: 3, FindingStatus.RECTIFYING: 5, FindingStatus.SUBMITTED: 2, FindingStatus.CLOSED: 2}
        assert findings.filter(events__action="reject", status=FindingStatus.RECTIFYING).exists()
        # Overdue: one chased with 催办 only, one with a 督办单 answered, one with a 督办单 not answered.
        overdue = list(findings.overdue(TODAY))
        ladders = sorted(
            tuple(sorted((e.level, bool(e.replied_at)) for e in f.escalations.filter(level__in=[Level.URGE, Level.NOTICE])))
            for f in overdue)
        assert ladders == sorted([
            ((Level.URGE, False),),
            ((Level.NOTICE, True), (Level.URGE, False)),
            ((Level.NOTICE, False), (Level.URGE, True)),
        ])
        assert {f.round_id for f in overdue} == {round_.pk}
        # The verification queue, the extension queue and the lights.
        assert selectors.verification_queue(user=inspector).count() == 2
        pending = list(selectors.extension_queue(user=office))
        assert len(pending) == 1 and pending[0].finding.due_date >= TODAY
        lights = selectors.findings_with_lights(list(findings), today=TODAY)
        assert {f.light.light.value for f in lights} >= {"red", "yellow", "green"}
        assert findings.filter(escalations__level=Level.REMINDER, status=FindingStatus.OPEN,
                               due_date__gt=TODAY).exists()
        # Every unit in the round has findings of its own to see; the board lists the overdue ones.
        for user in User.objects.filter(unit__in=round_.units.all(), role=Role.UNIT_STAFF):
            assert selectors.finding_list(user=user).filter(round=round_).exists()
        board = selectors.overdue_board(user=office, today=TODAY)
        assert {row.finding.pk for row in board} == {f.pk for f in overdue}

    def test_todays_messages_wait_unread_and_the_past_is_read(self, built):
        unread = Notification.objects.filter(read_at__isnull=True, recipient__username__in=accounts())
        assert unread.exists() and all(local(n.created_at).year == 2026 for n in unread)
        assert unread.filter(recipient__username="shenpi", title__contains="督查发现问题").exists()
        assert unread.filter(recipient__username="yingshangban", title__contains="申请延期").exists()

    def test_nothing_happens_after_now(self, built):
        assert not FindingEvent.objects.filter(at__gt=NOW).exists()
        assert not Escalation.objects.filter(created_at__gt=NOW).exists()
        assert not Finding.history.filter(history_date__gt=NOW).exists()

    def test_running_twice_adds_nothing(self, built):
        plan = built[0]
        models = (InspectionRound, Finding, FindingEvent, Escalation, ExtensionRequest, Bulletin, Notification)
        counts = [m.objects.count() for m in models]
        assert demo_supervision_build(plan=plan, quarters=QUARTERS, now=NOW, current=True) is None
        assert [m.objects.count() for m in models] == counts

    def test_the_summary_counts_what_was_built(self, built):
        summary = built[1]
        assert summary.rounds == 3 and summary.concluded == 2 and summary.findings == len(PATHS) + 12
        assert summary.extensions == {"granted": 2, "refused": 2, "pending": 1}
        assert "演示督查" in summary.summary() and "督办单" in summary.summary()


def test_inside_the_plan_what_comes_after_now_does_not_happen(plan, settings, tmp_path):
    settings.PASSWORD_HASHERS, settings.MEDIA_ROOT = FAST_HASHER, tmp_path
    demo_accounts_create()
    now = datetime.datetime(2020, 5, 20, 12, 0, tzinfo=SHANGHAI)
    demo_supervision_build(plan=plan, quarters=QUARTERS, now=now)
    assert InspectionRound.objects.get(year=2020, quarter=1).status == RoundStatus.CONCLUDED
    # The second quarter's round is under way; there is no round of today's quarter apart from it.
    assert InspectionRound.objects.get(year=2020, quarter=2).status == RoundStatus.IN_PROGRESS
    assert InspectionRound.objects.count() == 2
    assert Finding.objects.filter(round__quarter=2).exclude(status=FindingStatus.CLOSED).exists()
    assert not FindingEvent.objects.filter(at__gt=now).exists()
    assert not Escalation.objects.filter(created_at__gt=now).exists()


def test_the_same_script_whatever_the_run(plan, settings):
    settings.PASSWORD_HASHERS = FAST_HASHER
    demo_accounts_create()

    def script(seed="s"):
        supervision = _Supervision(plan=plan, now=NOW, quarters=QUARTERS, current=True, seed=seed)
        supervision.schedule()
        return [(s.at, s.label) for s in sorted(supervision.steps, key=lambda s: (s.at, s.order))]

    assert script() == script() and script() != script("t")


@pytest.fixture(scope="class")
def whole(django_db_setup, django_db_blocker, tmp_path_factory):
    """The whole demo, built by the command as of NOW, shared by a class, rolled back after it."""
    media = tmp_path_factory.mktemp("media")
    with (django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=FAST_HASHER),
          time_machine.travel(NOW, tick=False), transaction.atomic()):
        demo_accounts_create()
        call_command("seed_supervision_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


class TestTheWholeDemo:
    """``seed_supervision_demo`` after ``seed_demo``'s accounts: every quarter of the plan, and no
    round of today's (the plan has ended: today's is the demo plan's, ``seed_demo_present``); the
    pages of supervision show the plan's rounds, findings and 通报."""

    def test_every_quarter_of_the_plan(self, whole, capsys):
        plan = ActionPlan.objects.first()
        rounds = InspectionRound.objects.all()
        quarters = {(r.year, r.quarter): r.status for r in rounds}
        assert quarters == {(y, q): RoundStatus.CONCLUDED for y in plan.years for q in range(1, 5)}
        assert Finding.objects.filter(round__year__lte=2022).exclude(status=FindingStatus.CLOSED).count() == 0
        assert Bulletin.objects.filter(entries__isnull=False).distinct().count() >= 3
        counts = [m.objects.count() for m in (Finding, Escalation, Notification)]
        call_command("seed_supervision_demo")
        assert "已存在" in capsys.readouterr().out
        assert [m.objects.count() for m in (Finding, Escalation, Notification)] == counts

    @pytest.mark.parametrize(("username", "route", "shows"), [
        ("shenpi", "supervision:finding-list", "2022Q4-"),
        ("shenpi", "supervision:escalation-list", "督办单"),
        ("duchashi", "supervision:round-list", "2022年第4季度"),
        ("yingshangban", "supervision:extension-list", "已同意"),
        ("yingshangban", "supervision:bulletin-list", "2022年"),
        ("lingdao", "supervision:finding-list", "2020Q1-"),
    ])
    def test_each_page_has_something_to_show(self, whole, client, username, route, shows):
        client.force_login(User.objects.get(username=username))
        with time_machine.travel(NOW, tick=False):
            response = client.get(reverse(route))
        assert response.status_code == 200
        assert shows in response.content.decode()
