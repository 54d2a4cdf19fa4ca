"""The supervision jobs: how they are configured and scheduled, and the daily scan on real Celery
workers (PostgreSQL shared with the workers, Redis as the broker; CI sets REQUIRE_SERVICES=1).

On the workers, a data set of a few hundred findings falls due on Monday 13 October 2025:
- DUE_TODAY findings are due that day: a 催办 each;
- LONG_OVERDUE findings were due on 26 September, 7 working days before: a 催办 and a 督办单
  each, and they are on September's 通报, which the scan compiles on this first working day of
  October after 国庆.
Every step goes to the unit's two staff, in the inbox and by e-mail. Whatever the races and
crashes, each step must be recorded once, each message written once per recipient and each
e-mail sent once. The date reaches the job as its ``date`` argument: no clock is frozen.
"""

import datetime as dt
import email
import threading
import time
from collections import Counter
from email.header import decode_header, make_header

import pytest
from celery.schedules import crontab
from django.db import OperationalError

from supervision import jobs
from supervision.choices import FindingStatus, Level
from supervision.jobs import deadline_scan_job, round_open_quarter_job, webhook_post_job
from supervision.models import Escalation, Finding, InspectionRound
from supervision.services import deadline_scan
from tasks.choices import Role
from tasks.models import Notification, Unit
from tests.conftest import load_seed_plan
from tests.factories import UserFactory
from tests.supervision_data import d, frozen, make_finding, make_round
from tests.supervision_worker import broker_idle as idle
from tests.supervision_worker import celery_workers, forget_unacked, wait_until
from xixian_portal.celery import app as celery_app

SCAN_DAY = "2025-10-13"
UNITS = ["新区行政审批与政务服务局", "新区改革创新发展局", "新区规划与住房城乡建设局", "新区自然资源局", "新区生态环境局"]
DUE_TODAY, LONG_OVERDUE = 200, 30
STEPS = {Level.URGE: DUE_TODAY + LONG_OVERDUE, Level.NOTICE: LONG_OVERDUE, Level.BULLETIN: LONG_OVERDUE}
TOTAL = sum(STEPS.values())
PER_STEP = 2  # staff per unit, each with an e-mail address
KILL_AFTER = 20  # steps recorded when the worker is killed (a few more may commit meanwhile)


# --- configuration ---------------------------------------------------------------------------


def test_jobs_retry_with_backoff_and_acknowledge_late():
    """All three are idempotent (unique keys, claimed rows), so a job whose worker died may run
    again: late acknowledgement is safe, and lost workers' jobs go back to the queue."""
    for job in (deadline_scan_job, round_open_quarter_job):
        assert job.autoretry_for == (OperationalError,)
        assert (job.retry_backoff, job.max_retries, job.acks_late) == (True, 5, True)
    assert webhook_post_job.acks_late is True and webhook_post_job.retry_backoff is True
    assert celery_app.conf.task_reject_on_worker_lost is True


def test_the_beat_schedule_runs_the_scan_daily_and_opens_each_quarter():
    schedule = celery_app.conf.beat_schedule
    entries = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    # Every day at 08:30 Xixian time: the scan itself knows which days are working days.
    assert entries["supervision.deadline_scan"] == crontab(minute=30, hour=8)
    assert entries["supervision.round_open_quarter"] == crontab(minute=0, hour=8, day_of_month=1,
                                                                 month_of_year="1,4,7,10")
    assert celery_app.conf.timezone == "Asia/Shanghai"


@pytest.mark.django_db
def test_the_scan_job_takes_the_date_as_an_iso_string(inspector, lead_user):
    make_finding(inspector, make_round(inspector), found_on=d("2025-09-29"))
    assert deadline_scan_job.apply(kwargs={"date": "2025-10-12"}).get() == "非工作日，不扫描"
    assert deadline_scan_job.apply(kwargs={"date": SCAN_DAY}).get() == "催办 1 条；已汇总2025年9月通报；补发 0 条"


@pytest.mark.django_db
def test_the_scan_job_retries_when_the_database_fails(monkeypatch, inspector):
    calls = []

    def flaky(*, today):
        calls.append(today)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return "扫描完成"

    monkeypatch.setattr(jobs.services, "deadline_scan", flaky)
    assert deadline_scan_job.apply(kwargs={"date": SCAN_DAY}).get() == "扫描完成"  # eager: retried at once
    assert calls == [d(SCAN_DAY), d(SCAN_DAY)]


@pytest.mark.django_db
def test_the_quarter_job_opens_the_round(inspector):
    with frozen(d("2025-10-01"), hour=8):
        assert round_open_quarter_job.apply().get() == "2025年第4季度优化营商环境联合专项督查（新建）"
        assert round_open_quarter_job.apply().get() == "2025年第4季度优化营商环境联合专项督查（已存在）"


# --- on real workers -------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _seed_plan_back(django_db_blocker):
    """The worker tests commit for real, and their database is emptied after each; the seed plan
    the other tests expect is loaded again once they are done."""
    yield
    with django_db_blocker.unblock():
        load_seed_plan()


def dataset() -> dict[str, list[str]]:
    """The findings and the staff who hear of them (by unit: their e-mail addresses)."""
    load_seed_plan()
    inspector = UserFactory.in_unit("新区督查室", role=Role.INSPECTOR, username="worker-inspector")
    units = {name: Unit.objects.get(name=name) for name in UNITS}
    addresses = {}
    for n, (name, unit) in enumerate(units.items()):
        addresses[name] = [f"staff{n}-{i}@xixian.example" for i in range(PER_STEP)]
        for address in addresses[name]:
            UserFactory(unit=unit, email=address, username=address.split("@")[0])
    round_ = InspectionRound.objects.create(year=2025, quarter=3, title="2025年第三季度专项督查", created_by=inspector)
    due = [d(SCAN_DAY)] * DUE_TODAY + [d("2025-09-26")] * LONG_OVERDUE
    Finding.objects.bulk_create(
        Finding(round=round_, number=f"2025Q3-{n:04d}", unit=units[UNITS[n % len(UNITS)]],
                description=f"督查发现问题第{n}项。", deadline_working_days=5, found_on=d("2025-09-19"),
                due_date=due_date, status=FindingStatus.OPEN, created_by=inspector)
        for n, due_date in enumerate(due, start=1)
    )
    return addresses


def mails(folder) -> list[tuple[str, str]]:
    """(to, subject) of every message the workers sent."""
    found = []
    for path in folder.iterdir():
        message = email.message_from_bytes(path.read_bytes())
        found.append((message["To"], str(make_header(decode_header(message["Subject"])))))
    return found


def settled(app) -> bool:
    return (Escalation.objects.count() >= TOTAL
            and not Notification.objects.filter(emailed_at__isnull=True).exists()
            and idle(app) and idle(app))


def assert_each_step_once(addresses, mail_dir) -> None:
    levels = Counter(Escalation.objects.values_list("level", flat=True))
    assert levels == STEPS
    assert Escalation.objects.values("key").distinct().count() == TOTAL
    notices = sorted(Escalation.objects.filter(level=Level.NOTICE).values_list("notice_year", "notice_number"))
    assert notices == [(2025, n) for n in range(1, LONG_OVERDUE + 1)]
    # Each step's message, once per recipient.
    notes = Notification.objects.filter(key__startswith="escalation:")
    assert notes.count() == notes.values("key", "recipient").distinct().count() == TOTAL * PER_STEP
    by_step = Counter(notes.values_list("key", flat=True))
    assert set(by_step.values()) == {PER_STEP}
    assert not Notification.objects.exclude(key__startswith="escalation:").exists()
    # …and each e-mail sent once: one per message, no two alike.
    sent = mails(mail_dir)
    assert len(sent) == TOTAL * PER_STEP
    assert max(Counter(sent).values()) == 1
    expected = Counter(notes.values_list("recipient__email", "title"))
    assert Counter(sent) == expected
    assert {to for to, _ in sent} == {a for group in addresses.values() for a in group}


@pytest.mark.service
@pytest.mark.django_db(transaction=True)
def test_racing_scans_record_and_deliver_each_step_once(tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    addresses = dataset()
    with celery_workers("scan-a", "scan-b", mail_dir=mail_dir) as (app, _workers):
        # Two beat-like callers queue the day's scan at the same moment; each worker takes one…
        barrier = threading.Barrier(2)

        def beat():
            barrier.wait()
            deadline_scan_job.apply_async(kwargs={"date": SCAN_DAY})

        callers = [threading.Thread(target=beat) for _ in range(2)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
        # …while the same scan also runs here, in a third process.
        deadline_scan(today=dt.date.fromisoformat(SCAN_DAY))
        wait_until(lambda: settled(app), timeout=300, what="the scans and their e-mail to finish")
        # Queued once more later that day: nothing new.
        deadline_scan_job.apply_async(kwargs={"date": SCAN_DAY})
        time.sleep(1)
        wait_until(lambda: settled(app), timeout=60, what="the repeated scan to finish")
    assert_each_step_once(addresses, mail_dir)


@pytest.mark.service
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_scan_loses_nothing_and_doubles_nothing(tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    addresses = dataset()
    with celery_workers("doomed", mail_dir=mail_dir) as (app, (doomed,)):
        deadline_scan_job.apply_async(kwargs={"date": SCAN_DAY})
        # Killed a little way in: its first steps' e-mail jobs are queued behind it by then.
        wait_until(lambda: Escalation.objects.count() >= KILL_AFTER, timeout=120, interval=0.02,
                   what="the scan to record its first steps")
        doomed.kill()
    # What the dead worker had committed stays — some steps, not all — and nothing else comes.
    partial = Escalation.objects.count()
    assert KILL_AFTER <= partial < TOTAL, f"the kill came at {partial} of {TOTAL} steps"
    time.sleep(1)
    assert Escalation.objects.count() == partial
    assert forget_unacked(app, "supervision.deadline_scan") == 1
    # A new worker; the next run of the scan (the next beat, or by hand) records the rest.
    with celery_workers("successor", mail_dir=mail_dir, purge=False) as (app, _workers):
        deadline_scan_job.apply_async(kwargs={"date": SCAN_DAY})
        wait_until(lambda: settled(app), timeout=300, what="the scan and its e-mail to finish")
    assert_each_step_once(addresses, mail_dir)
