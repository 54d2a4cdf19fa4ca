"""The notification inbox (站内消息) and its e-mail copies: who is told of each review step, a
keyed message delivered once, e-mail only after the transaction commits."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from tasks.choices import Role
from tasks.jobs import notification_email_job
from tasks.models import Notification, Task
from tasks.services.dispatch import (
    DispatchError,
    ReportInput,
    contribution_save,
    filing_review,
    filing_submit,
    filings_approve,
    period_open,
    report_save,
)
from tasks.services.inbox import notifications_mark_read, notify, unit_users
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
FULL = ReportInput(completed="开通重大项目审批绿色通道。", next_plan="推行容缺受理。", progress=40)


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_BASE_URL = "https://portal.example"


def frozen(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


def inbox(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("title", flat=True))


# --- notify -------------------------------------------------------------------------------------------


def test_notify_writes_one_message_per_recipient(lead_user, supporting_user):
    created = notify(recipients=[lead_user, supporting_user, lead_user], title="请于本周内提交", body="正文", url="/x/")
    assert len(created) == 2 and all(n.pk for n in created)
    assert inbox(lead_user) == inbox(supporting_user) == ["请于本周内提交"]
    note = Notification.objects.get(recipient=lead_user)
    assert (note.body, note.url, note.key, note.read_at) == ("正文", "/x/", None, None)


def test_notify_without_a_key_repeats(lead_user):
    notify(recipients=[lead_user], title="提醒")
    notify(recipients=[lead_user], title="提醒")
    assert inbox(lead_user) == ["提醒", "提醒"]


def test_notify_with_a_key_delivers_once(lead_user, supporting_user):
    first = notify(recipients=[lead_user], title="10月进展提醒", key="remind:2020-10")
    again = notify(recipients=[lead_user, supporting_user], title="10月进展提醒", key="remind:2020-10")
    assert [n.recipient for n in first] == [lead_user] and [n.recipient for n in again] == [supporting_user]
    assert all(n.pk for n in first + again)
    assert notify(recipients=[lead_user, supporting_user], title="10月进展提醒", key="remind:2020-10") == []
    assert inbox(lead_user) == inbox(supporting_user) == ["10月进展提醒"]
    notify(recipients=[lead_user], title="11月进展提醒", key="remind:2020-11")
    assert inbox(lead_user) == ["10月进展提醒", "11月进展提醒"]


def test_notify_nobody(db):
    assert notify(recipients=[], title="无人") == [] and notify(recipients=[], title="无人", key="k") == []


def test_mark_read_all_or_some(lead_user, supporting_user):
    with frozen(2020, 11, 3, 10):
        mine = notify(recipients=[lead_user], title="一") + notify(recipients=[lead_user], title="二")
        theirs = notify(recipients=[supporting_user], title="别人的")
        assert notifications_mark_read(user=lead_user, ids=[mine[0].pk, theirs[0].pk]) == 1
    unread = Notification.objects.filter(read_at__isnull=True)
    assert set(unread.values_list("title", flat=True)) == {"二", "别人的"}
    assert Notification.objects.get(pk=mine[0].pk).read_at == dt.datetime(2020, 11, 3, 10, tzinfo=SHANGHAI)
    with frozen(2020, 11, 4, 10):
        assert notifications_mark_read(user=lead_user) == 1
    # Read once, the time it was read stays.
    assert Notification.objects.get(pk=mine[0].pk).read_at == dt.datetime(2020, 11, 3, 10, tzinfo=SHANGHAI)
    assert notifications_mark_read(user=lead_user) == 0
    assert Notification.objects.get(pk=theirs[0].pk).read_at is None


# --- e-mail copies --------------------------------------------------------------------------------


def test_email_goes_out_after_commit_to_recipients_with_an_address(
    lead_user, supporting_user, django_capture_on_commit_callbacks,
):
    lead_user.email = "lead@xixian.example"
    lead_user.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipients=[lead_user, supporting_user], title="进展填报被退回修改：1.1", body="请补充。", url="/tasks/1/")
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert message.to == ["lead@xixian.example"] and message.subject == "进展填报被退回修改：1.1"
    assert message.body == "请补充。\n\nhttps://portal.example/tasks/1/"
    assert message.from_email == "portal@xixian.local"


def test_email_job_counts_what_it_sent(lead_user, supporting_user):
    supporting_user.email = "fd@xixian.example"
    supporting_user.save(update_fields=["email"])
    ids = [n.pk for n in notify(recipients=[lead_user, supporting_user], title="提醒")]
    assert notification_email_job(ids) == 1
    assert mail.outbox[0].body == ""  # no body, no link
    assert notification_email_job([]) == 0


def test_a_keyed_message_is_emailed_once(lead_user, django_capture_on_commit_callbacks):
    lead_user.email = "lead@xixian.example"
    lead_user.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[lead_user], title="10月进展提醒", key="remind:2020-10")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[lead_user], title="10月进展提醒", key="remind:2020-10")
    assert [m.subject for m in mail.outbox] == ["10月进展提醒"]


def test_a_rolled_back_message_is_not_emailed(lead_user, django_capture_on_commit_callbacks):
    lead_user.email = "lead@xixian.example"
    lead_user.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[lead_user], title="不会发出")
        raise RuntimeError
    assert mail.outbox == [] and not Notification.objects.exists()


# --- who is told of each step of the review -----------------------------------------------------------


@pytest.fixture
def period():
    return period_open(year=2020, month=10)


@pytest.fixture
def colleague(plan):
    return UserFactory.in_unit("新区行政审批与政务服务局", email="colleague@xixian.example")


@pytest.fixture
def second_office(plan):
    return UserFactory.in_unit("新区党工委组织部（营商办）", role=Role.OFFICE, email="office2@xixian.example")


@pytest.fixture
def submitted(lead_user, task_1_1, period):
    report = report_save(user=lead_user, task=task_1_1, period=period, data=FULL)
    with frozen(2020, 11, 3, 10):
        return filing_submit(user=lead_user, filing=report)


def test_submit_tells_every_active_office_user(
    lead_user, office, second_office, inspector, leader, supporting_user, task_1_1, period,
    django_capture_on_commit_callbacks,
):
    UserFactory.in_unit("新区党工委组织部（营商办）", role=Role.OFFICE, is_active=False)
    report = report_save(user=lead_user, task=task_1_1, period=period, data=FULL)
    with frozen(2020, 11, 3, 10), django_capture_on_commit_callbacks(execute=True):
        filing_submit(user=lead_user, filing=report)
    assert inbox(office) == inbox(second_office) == ["行政审批局提交了进展填报：1.1"]
    assert Notification.objects.count() == 2
    assert Notification.objects.get(recipient=office).url == f"/tasks/{task_1_1.pk}/"
    assert [(m.to, m.subject) for m in mail.outbox] == [(["office2@xixian.example"], "行政审批局提交了进展填报：1.1")]
    assert not inbox(inspector) and not inbox(leader) and not inbox(lead_user) and not inbox(supporting_user)


def test_a_late_submission_says_so(lead_user, office, task_1_1, period):
    report = report_save(user=lead_user, task=task_1_1, period=period, data=FULL)
    with frozen(2020, 11, 9, 10):
        filing_submit(user=lead_user, filing=report)
    assert inbox(office) == ["行政审批局提交了进展填报（逾期）：1.1"]


@pytest.mark.parametrize(("steps", "title", "body"), [
    ([("return", "请补充数据。")], "进展填报被退回修改：1.1", "请补充数据。"),
    ([("approve", "")], "进展填报已审核通过：1.1", ""),
    ([("approve", ""), ("reopen", "数据需更正。")], "进展填报被重新打开：1.1", "数据需更正。"),
])
def test_review_tells_the_units_staff(
    office, lead_user, colleague, supporting_user, submitted, steps, title, body, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        for action, comment in steps:
            filing_review(user=office, filing=submitted, action=action, comment=comment)
    assert inbox(lead_user)[-1] == inbox(colleague)[-1] == title
    assert len(inbox(lead_user)) == len(steps)
    assert Notification.objects.filter(recipient=lead_user).latest("id").body == body
    assert not inbox(supporting_user)
    assert inbox(office) == ["行政审批局提交了进展填报：1.1"]  # only its submission
    assert [m.subject for m in mail.outbox][-1] == title and mail.outbox[-1].to == ["colleague@xixian.example"]


def test_a_contributions_return_tells_the_supporting_unit_only(office, lead_user, supporting_user, task_1_1, period):
    contribution = contribution_save(user=supporting_user, task=task_1_1, period=period, text="配合。")
    with frozen(2020, 11, 3, 10):
        filing_submit(user=supporting_user, filing=contribution)
    assert inbox(office) == ["沣东提交了配合情况：1.1"]
    filing_review(user=office, filing=contribution, action="return", comment="请写明数量。")
    assert inbox(supporting_user) == ["配合情况被退回修改：1.1"] and not inbox(lead_user)


def test_department_staff_hear_about_their_offices_filings(office, period):
    # 组织部 staff file 保障5 as 营商办 (an office inside 组织部): they are told of its review.
    department_staff = UserFactory.in_unit("新区党工委组织部")
    other_department = UserFactory.in_unit("新区改革创新发展局")
    assert unit_users(unit_id=office.unit_id) == [department_staff]
    task = Task.objects.get(code="保障5")
    report = report_save(user=department_staff, task=task, period=period, data=FULL)
    with frozen(2020, 11, 3, 10):
        filing_submit(user=department_staff, filing=report)
    filing_review(user=office, filing=report, action="return", comment="请补充。")
    assert inbox(department_staff) == ["进展填报被退回修改：保障5"]
    assert not inbox(other_department)


def test_refused_steps_tell_nobody(office, lead_user, submitted, django_capture_on_commit_callbacks):
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(DispatchError):
            filing_review(user=office, filing=submitted, action="reopen", comment="理由")
        with pytest.raises(DispatchError):
            filing_submit(user=lead_user, filing=submitted)
    assert Notification.objects.count() == before and mail.outbox == []


def test_a_failed_batch_approval_tells_nobody(
    office, lead_user, colleague, task_1_1, period, submitted, django_capture_on_commit_callbacks,
):
    draft = report_save(user=lead_user, task=Task.objects.get(code="1.3"), period=period, data=FULL)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DispatchError):
        filings_approve(user=office, filings=[submitted, draft])
    assert not inbox(lead_user) and not inbox(colleague) and mail.outbox == []


def test_email_job_run_twice_sends_each_copy_once(lead_user):
    lead_user.email = "shenpi@example.gov.cn"
    lead_user.save(update_fields=["email"])
    [note] = notify(recipients=[lead_user], title="审核结果")
    assert notification_email_job([note.pk]) == 1
    assert notification_email_job([note.pk]) == 0  # a retry or a second worker sends nothing
    assert len(mail.outbox) == 1
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_a_failed_send_gives_the_claim_back_for_the_retry(lead_user, monkeypatch):
    lead_user.email = "shenpi@example.gov.cn"
    lead_user.save(update_fields=["email"])
    [note] = notify(recipients=[lead_user], title="审核结果")

    def refuse(*args, **kwargs):
        raise OSError("SMTP 服务器无响应")

    monkeypatch.setattr("django.core.mail.send_mail", refuse)
    with pytest.raises(OSError):
        notification_email_job([note.pk])
    note.refresh_from_db()
    assert note.emailed_at is None
    monkeypatch.undo()
    assert notification_email_job([note.pk]) == 1 and len(mail.outbox) == 1
