"""A dead broker never fails or stalls a request: the job is not queued, a warning says so, and the
scans queue it later (``notification_email_requeue``, ``plan_import_run_requeue``).

The bound is a correctness bound, not a benchmark, and no clock is read: the socket calls a
request makes to the broker are recorded with the timeout each was made with, and the most the
request could have waited — every connection attempt and every reply awaited up to its timeout,
plus any sleep between retries — must stay within 2 s whatever state the broker is in, however
fast or loaded the machine. Brokers tried, with the production transport options, all on
127.0.0.1 (tests reach loopback addresses only; ``test_the_dead_brokers_are_local_and_dead_as_said``
checks both):
- a closed local port: connection refused at once;
- a port whose accept queue is full: the kernel drops the SYN, the connection attempt hangs until
  its timeout (a black-holed host, without leaving the machine);
- a port that accepts and never answers: a Redis that froze (the read times out).
"""

import datetime as dt
import ipaddress
import logging
import socket
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import kombu.pools
import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.urls import reverse
from kombu.exceptions import OperationalError
from kombu.utils.collections import eqhash

from tasks import queueing
from tasks.choices import ImportStatus
from tasks.jobs import period_open_current_job
from tasks.models import Notification, PlanImportRun
from tasks.services import plans
from tasks.services.dispatch import ReportInput, filing_submit, period_open, report_save
from tasks.services.inbox import account_update, notification_email_requeue, notify
from xixian_portal.celery import app

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
BOUND = 2.0  # seconds: the longest a request may wait on a dead broker (sum of its timeouts)
NOT_QUEUED = "will be sent by the next scan"


@pytest.fixture(autouse=True)
def _mail_and_pause(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(queueing, "_paused_until", 0.0)  # each test starts with the broker trusted


# --- dead brokers --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _listener(*, backlog_full: bool):
    """A local port that never answers: its accept queue is full (connecting hangs), or it
    accepts connections and never replies (reading hangs). The queue of listen(0) holds one
    connection on Linux (two on some systems): two clients never accepted fill it, and the kernel
    drops the SYN of any further one, whose connect() waits until its timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0 if backlog_full else 16)
    fillers = []
    if backlog_full:
        for _ in range(2):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(server.getsockname())
            fillers.append(filler)
        time.sleep(0.1)
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        for sock in [*fillers, server]:
            sock.close()


@contextmanager
def _dead(kind: str):
    if kind == "closed port":
        yield f"redis://127.0.0.1:{_free_port()}/0"
    else:
        with _listener(backlog_full=kind == "connect hangs") as url:
            yield url


DEAD = ["closed port", "connect hangs", "never answers"]


def _close_dead_pools() -> None:
    """Close the pools of the dead broker and remove them from kombu's registry, which would
    otherwise hand the closed pool to the next test using the same address."""
    with app.connection_for_write() as connection:
        key = eqhash(connection)
    for group in (kombu.pools.producers, kombu.pools.connections):
        pool = group.pop(key, None)
        if pool is not None:
            pool.force_close_all()


@contextmanager
def broker_down(kind: str):
    """Jobs go to a dead Redis broker (not run in-process), with the production options; yields
    its URL. The app's own pools are set aside and put back afterwards, untouched, so later tests
    find the app as it was."""
    conf = app.conf
    saved_conf = conf.broker_url, conf.broker_transport_options, conf.task_always_eager
    saved_pools = app._pool, app.amqp._producer_pool
    with _dead(kind) as url:
        app._pool = app.amqp._producer_pool = None
        conf.broker_url, conf.broker_transport_options = url, dict(settings.REDIS_BROKER_TRANSPORT_OPTIONS)
        conf.task_always_eager = False
        try:
            yield url
        finally:
            _close_dead_pools()
            conf.broker_url, conf.broker_transport_options, conf.task_always_eager = saved_conf
            app._pool, app.amqp._producer_pool = saved_pools


@dataclass
class Waits:
    """The calls of a request that could wait on the broker, each with the timeout it was made
    with (None: no timeout, it could wait for ever), and the sleeps of the request (retries
    back off by sleeping)."""

    connects: list[float | None] = field(default_factory=list)  # one per connection attempt
    reads: list[float | None] = field(default_factory=list)     # one per reply awaited
    writes: list[float | None] = field(default_factory=list)
    sleeps: int = 0

    def worst_case(self) -> float:
        """The longest the request could have waited on the broker: each connection attempt and
        each read up to its timeout. A write of a command to a connection just made goes to the
        kernel's empty send buffer: it does not wait on the broker (its timeout is checked
        to be finite all the same). A sleep's length is not known here, so none is allowed."""
        timeouts = [*self.connects, *self.reads]
        if self.sleeps or None in timeouts or None in self.writes:
            return float("inf")
        return sum(timeouts)


@contextmanager
def broker_waits(url: str):
    """Records, in the yielded ``Waits``, every socket call made to the broker at ``url`` and
    every time.sleep() (seen by a profile hook: kombu and redis-py import ``sleep`` by name, out of
    reach of a patch on the time module)."""
    address = urlsplit(url).hostname, urlsplit(url).port
    waits, to_broker = Waits(), set()
    real = {name: getattr(socket.socket, name) for name in ("connect", "recv", "recv_into", "sendall", "send")}

    def connect(sock, target):
        if tuple(target[:2]) == address:
            to_broker.add(sock)
            waits.connects.append(sock.gettimeout())
        return real["connect"](sock, target)

    def recorded(name, into):
        def call(sock, *args, **kwargs):
            if sock in to_broker:
                into.append(sock.gettimeout())
            return real[name](sock, *args, **kwargs)
        return call

    def profile(frame, event, arg):
        if event == "c_call" and arg is time.sleep:
            waits.sleeps += 1

    previous = sys.getprofile()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", connect)
        for name in ("recv", "recv_into"):
            mp.setattr(socket.socket, name, recorded(name, waits.reads))
        for name in ("sendall", "send"):
            mp.setattr(socket.socket, name, recorded(name, waits.writes))
        sys.setprofile(profile)
        try:
            yield waits
        finally:
            sys.setprofile(previous)


def within_bound(waits: Waits) -> bool:
    """The request can wait no longer than BOUND on the broker, whatever the machine's speed."""
    return waits.worst_case() <= BOUND


def not_queued(caplog, job_name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "tasks.queueing" and r.levelno == logging.WARNING
            and job_name in r.getMessage() and NOT_QUEUED in r.getMessage()]


def test_the_ledger_sees_each_attempt_each_sleep_and_a_missing_timeout():
    """The bound above is only as good as the ledger: it records every connection attempt to the
    broker with its timeout, sleeps however they were imported, and a call without a timeout
    makes the worst case unbounded."""
    from kombu.utils.functional import sleep as imported_by_name

    with _dead("closed port") as url, broker_waits(url) as waits:
        for timeout in (0.5, None):
            with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
                sock.settimeout(timeout)
                sock.connect((urlsplit(url).hostname, urlsplit(url).port))
        imported_by_name(0)
    assert waits.connects == [0.5, None] and waits.sleeps == 1
    assert waits.worst_case() == float("inf")
    assert Waits(connects=[1.0], reads=[1.0], writes=[1.0]).worst_case() == 2.0
    assert Waits(connects=[1.0], writes=[None]).worst_case() == float("inf")


@pytest.mark.parametrize("kind", DEAD)
def test_the_dead_brokers_are_local_and_dead_as_said(kind):
    """Each dead broker is on a loopback address, and a client with a timeout finds it in the
    state its name says: refused at once, a connection attempt that times out (the full accept
    queue really drops the SYN on this kernel), or a connection whose reply never comes."""
    with _dead(kind) as url, socket.socket() as sock:
        host, port = urlsplit(url).hostname, urlsplit(url).port
        assert ipaddress.ip_address(host).is_loopback, url
        sock.settimeout(0.2)
        if kind == "closed port":
            with pytest.raises(ConnectionRefusedError):
                sock.connect((host, port))
        elif kind == "connect hangs":
            with pytest.raises(TimeoutError):
                sock.connect((host, port))
        else:
            sock.connect((host, port))
            sock.sendall(b"PING\r\n")
            with pytest.raises(TimeoutError):
                sock.recv(1)


# --- a request that notifies ---------------------------------------------------------------------


def at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def with_addresses(lead_user, office):
    for user in (lead_user, office):
        account_update(user=user, email=f"{user.username}@xixian.gov.cn", email_notifications=True)


@pytest.fixture
def submitted(plan, lead_user, with_addresses):
    """Reports of 1.1 … of the lead unit, submitted for June 2022 (written with jobs in-process;
    their e-mail to the office is sent on a commit that never comes in a test transaction)."""
    june = period_open(year=2022, month=6)
    data = ReportInput(completed="完成了本月工作。", problems="", next_plan="推进下月工作。", progress=40)
    reports = []
    for code in ["1.1", "1.3", "1.4", "5.3", "6.3"]:
        draft = report_save(user=lead_user, task=plan.tasks.get(code=code), period=june, data=data)
        with at(2022, 7, 1, 10):
            reports.append(filing_submit(user=lead_user, filing=draft))
    return reports


@pytest.mark.parametrize("kind", DEAD)
def test_a_review_on_a_dead_broker_returns_in_time_and_the_scan_sends_later(
    client, office, lead_user, submitted, kind, caplog, django_capture_on_commit_callbacks,
):
    client.force_login(office)
    url = reverse("report-review", args=[submitted[0].pk])
    with (
        broker_down(kind) as broker, caplog.at_level(logging.WARNING, logger="tasks.queueing"),
        # The view's transaction commits and the job is sent inside this block.
        broker_waits(broker) as waits, django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(url, {"action": "return", "comment": "请补充数据。"})
    assert response.status_code == 302
    # One connection attempt (no retry, so no back-off sleep); each call to the broker has a timeout.
    assert len(waits.connects) == 1 and waits.sleeps == 0, f"{kind}: {waits}"
    assert within_bound(waits), f"{kind}: the request could wait {waits.worst_case()} s on the broker: {waits}"
    note = Notification.objects.get(recipient=lead_user, title="进展填报被退回修改：1.1")
    assert note.emailed_at is None and mail.outbox == []
    assert len(not_queued(caplog, "tasks.notification_email")) == 1

    # The daily scan, with the broker back (here: jobs in-process), sends the copy once.
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_email_requeue() >= 1
    note.refresh_from_db()
    assert note.emailed_at is not None
    assert [m.to for m in mail.outbox if m.subject == note.title] == [[lead_user.email]]


def test_a_bulk_approval_waits_on_the_broker_once_not_per_job(
    client, office, lead_user, submitted, caplog, django_capture_on_commit_callbacks,
):
    """Five approvals, five notifications, five jobs: the first failure pauses the others."""
    client.force_login(office)
    with (
        broker_down("connect hangs") as broker, caplog.at_level(logging.WARNING, logger="tasks.queueing"),
        broker_waits(broker) as waits, django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("review-approve-bulk"), {"ids": [r.pk for r in submitted]})
    assert response.status_code == 302
    # The first job tries the broker and fails; the four others are not sent at all.
    assert len(waits.connects) == 1, f"{len(waits.connects)} connection attempts: {waits}"
    assert within_bound(waits), f"the request could wait {waits.worst_case()} s on the broker: {waits}"
    notes = Notification.objects.filter(recipient=lead_user, title__startswith="进展填报已审核通过")
    assert notes.count() == 5 and not notes.filter(emailed_at__isnull=False).exists()
    assert len(not_queued(caplog, "tasks.notification_email")) == 5  # each one logged
    with django_capture_on_commit_callbacks(execute=True):
        notification_email_requeue()
    assert not notes.filter(emailed_at__isnull=True).exists()


def test_notify_inside_an_atomic_block_on_a_dead_broker(lead_user, with_addresses, django_capture_on_commit_callbacks):
    with broker_down("closed port"), django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        [note] = notify(recipients=[lead_user], title="提醒")
    note.refresh_from_db()
    assert note.emailed_at is None


# --- imports confirmed while the broker was down -------------------------------------------------


NEXT_PLAN = settings.SEED_PLAN_PATH.read_text(encoding="utf-8").replace(
    "三年行动方案（2020年—2022年》", "三年行动方案（2023年—2025年》")


def test_an_import_confirmed_on_a_dead_broker_is_queued_again_by_the_hourly_job(
    client, office, caplog, django_capture_on_commit_callbacks,
):
    run, _ = plans.plan_import_run_create(user=office, filename="next.txt", content=NEXT_PLAN.encode())
    client.force_login(office)
    with (
        broker_down("connect hangs") as broker, caplog.at_level(logging.WARNING, logger="tasks.queueing"),
        broker_waits(broker) as waits, django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("plan-import-run", args=[run.pk]))
    assert response.status_code == 302 and len(waits.connects) == 1, waits
    assert within_bound(waits), f"the request could wait {waits.worst_case()} s on the broker: {waits}"
    assert not_queued(caplog, "tasks.plan_import_run")
    run.refresh_from_db()
    assert run.status == ImportStatus.PENDING

    assert plans.plan_import_run_requeue() == 0  # not yet stuck: its job may still be on its way
    PlanImportRun.objects.filter(pk=run.pk).update(created_at=run.created_at - dt.timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        period_open_current_job.delay()  # the hourly job, run in-process
    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED and run.plan.start_year == 2023


def test_requeue_leaves_other_runs_alone(office):
    old = dt.timedelta(minutes=30)
    runs = {}
    for status in [ImportStatus.PREVIEW, ImportStatus.PENDING, ImportStatus.RUNNING, ImportStatus.FAILED]:
        run = PlanImportRun.objects.create(filename=f"{status}.txt", text="x", created_by=office, status=status)
        PlanImportRun.objects.filter(pk=run.pk).update(created_at=run.created_at - old)
        runs[status] = run
    queued = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plans, "enqueue_on_commit", lambda job, run_id: queued.append((job.name, run_id)))
        assert plans.plan_import_run_requeue() == 1
    assert queued == [("tasks.plan_import_run", runs[ImportStatus.PENDING].pk)]


# --- enqueue_on_commit itself --------------------------------------------------------------------


class FakeJob:
    """Stands in for a job: records what was sent, or fails like a dead broker."""

    name = "tasks.fake"

    def __init__(self, error: Exception | None = None, eager: bool = False):
        self.error, self.sent = error, []
        self.app = type("App", (), {"conf": type("Conf", (), {"task_always_eager": eager})()})()

    def apply_async(self, args, kwargs):
        if self.error:
            raise self.error
        self.sent.append((args, kwargs))


def test_sent_after_commit_only(django_capture_on_commit_callbacks):
    job = FakeJob()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queueing.enqueue_on_commit(job, 1, 2, key="x")
    assert job.sent == [] and len(callbacks) == 1
    callbacks[0]()
    assert job.sent == [((1, 2), {"key": "x"})]


@pytest.mark.parametrize("error", [OperationalError("down"), ConnectionRefusedError(111, "refused"), TimeoutError()])
def test_a_broker_error_is_logged_never_raised(error, caplog, django_capture_on_commit_callbacks):
    job = FakeJob(error)
    with caplog.at_level(logging.WARNING, logger="tasks.queueing"), django_capture_on_commit_callbacks(execute=True):
        queueing.enqueue_on_commit(job, 7)
    assert not_queued(caplog, "tasks.fake")


def test_other_errors_are_not_swallowed(django_capture_on_commit_callbacks):
    with pytest.raises(TypeError), django_capture_on_commit_callbacks(execute=True):
        queueing.enqueue_on_commit(FakeJob(TypeError("bad argument")), 7)


def test_a_failure_pauses_sending_then_the_broker_is_tried_again(caplog, monkeypatch, django_capture_on_commit_callbacks):
    down, up = FakeJob(OperationalError("down")), FakeJob()
    clock = [1000.0]
    monkeypatch.setattr(queueing.time, "monotonic", lambda: clock[0])
    with caplog.at_level(logging.WARNING, logger="tasks.queueing"), django_capture_on_commit_callbacks(execute=True):
        queueing.enqueue_on_commit(down, 1)
        queueing.enqueue_on_commit(up, 2)  # paused: not tried, but logged
    assert up.sent == [] and len(not_queued(caplog, "tasks.fake")) == 2
    clock[0] += queueing.BROKER_PAUSE_SECONDS + 0.1
    with django_capture_on_commit_callbacks(execute=True):
        queueing.enqueue_on_commit(up, 3)
    assert up.sent == [((3,), {})]


def test_jobs_in_process_ignore_the_pause(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(queueing, "_paused_until", time.monotonic() + 60)
    job = FakeJob(eager=True)
    with django_capture_on_commit_callbacks(execute=True):
        queueing.enqueue_on_commit(job, 1)
    assert job.sent == [((1,), {})]


def test_no_delay_left_in_the_tasks_domain():
    """Jobs are queued through enqueue_on_commit only: a bare .delay() raises on a dead broker."""
    from pathlib import Path

    offenders = [str(path) for path in Path(settings.BASE_DIR, "tasks").rglob("*.py")
                 if ".delay(" in path.read_text(encoding="utf-8")]
    assert offenders == []


def test_the_app_is_left_working(office, django_capture_on_commit_callbacks):
    """After a dead-broker test the app uses its configured broker again, from a live pool."""
    with broker_down("closed port"), django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[office], title="提醒")
    assert app.conf.task_always_eager  # the conftest fixture's setting is back
    with app.producer_or_acquire() as producer:  # a closed pool would raise here
        assert producer.connection.as_uri() == app.connection_for_write(settings.CELERY_BROKER_URL).as_uri()
    if settings.REDIS_URL:  # the real broker answers
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
