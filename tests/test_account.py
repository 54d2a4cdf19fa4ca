"""账户设置: every user edits their own address and e-mail preference; e-mail copies go only to
those who want them, and the scan re-queues exactly the copies still owed."""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tasks.models import Notification, User
from tasks.services import inbox
from tasks.services.inbox import account_update, notification_email_requeue, notify
from tests.conftest import PERSONAS

pytestmark = pytest.mark.django_db

URL = "/account/"


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def post(client, **data):
    return client.post(URL, {"email": "", **data})


# --- the page ------------------------------------------------------------------------------------


def test_url_name():
    assert reverse("account-settings") == URL


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.post(URL, {"email": "a@example.com"}).status_code == 302


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_every_persona_sees_own_settings(client, persona):
    persona.email = f"{persona.username}@xixian.gov.cn"
    persona.save(update_fields=["email"])
    client.force_login(persona)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "账户设置" in html and f'value="{persona.username}@xixian.gov.cn"' in html
    assert 'name="email_notifications"' in html and "checked" in html


def test_top_bar_links_to_the_page(client, lead_user):
    client.force_login(lead_user)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{URL}">账户设置</a>' in html


def test_method_not_allowed(client, lead_user):
    client.force_login(lead_user)
    assert client.put(URL).status_code == 405


def test_edit_saves_address_and_preference(client, lead_user):
    client.force_login(lead_user)
    response = post(client, email="  Chen.Shenpi@XIXIAN.GOV.CN ", email_notifications="on")
    assert response.status_code == 302 and response["Location"] == URL
    lead_user.refresh_from_db()
    assert (lead_user.email, lead_user.email_notifications) == ("Chen.Shenpi@xixian.gov.cn", True)
    assert "账户设置已保存" in client.get(URL).content.decode()

    post(client, email="chen@xixian.gov.cn")  # an unticked box is not sent: preference off
    lead_user.refresh_from_db()
    assert (lead_user.email, lead_user.email_notifications) == ("chen@xixian.gov.cn", False)

    post(client, email="", email_notifications="on")  # no address: messages stay in the portal
    lead_user.refresh_from_db()
    assert (lead_user.email, lead_user.email_notifications) == ("", True)


def test_only_the_signed_in_user_changes(client, lead_user, supporting_user):
    client.force_login(lead_user)
    post(client, email="lead@xixian.gov.cn", email_notifications="on", username="supporting")
    supporting_user.refresh_from_db()
    assert supporting_user.email == ""


@pytest.mark.parametrize("bad", ["不是邮箱", "chen@", "a" * 250 + "@x.cn"])
def test_bad_address_is_refused_in_chinese_and_nothing_saved(client, lead_user, bad):
    lead_user.email = "old@xixian.gov.cn"
    lead_user.save(update_fields=["email"])
    client.force_login(lead_user)
    response = post(client, email=bad)
    assert response.status_code == 200
    html = response.content.decode()
    assert "请输入有效的电子邮箱地址" in html or "电子邮箱地址过长" in html
    assert 'class="field-error"' in html
    lead_user.refresh_from_db()
    assert (lead_user.email, lead_user.email_notifications) == ("old@xixian.gov.cn", True)


def test_csrf_is_enforced(lead_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead_user)
    assert client.post(URL, {"email": "x@xixian.gov.cn"}).status_code == 403
    lead_user.refresh_from_db()
    assert lead_user.email == ""
    client.get(URL)  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(URL, {"email": "x@xixian.gov.cn", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    lead_user.refresh_from_db()
    assert lead_user.email == "x@xixian.gov.cn"


def test_service_refuses_a_bad_address(lead_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        account_update(user=lead_user, email="chen@", email_notifications=True)
    lead_user.refresh_from_db()
    assert lead_user.email == ""


# --- e-mail copies follow the preference ----------------------------------------------------------


def with_address(user: User, *, wants: bool = True) -> User:
    return account_update(user=user, email=f"{user.username}@xixian.gov.cn", email_notifications=wants)


def test_copy_not_sent_when_preference_off(lead_user, supporting_user, django_capture_on_commit_callbacks):
    with_address(lead_user, wants=False)
    with_address(supporting_user)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[lead_user, supporting_user], title="进展被退回修改：1.1")
    assert [m.to for m in mail.outbox] == [["supporting@xixian.gov.cn"]]
    assert Notification.objects.get(recipient=lead_user).emailed_at is None
    assert Notification.objects.get(recipient=supporting_user).emailed_at is not None
    # Still in the portal's inbox.
    assert Notification.objects.filter(recipient=lead_user, title="进展被退回修改：1.1").exists()


def test_send_does_not_claim_a_copy_nobody_wants(lead_user):
    with_address(lead_user, wants=False)
    note = Notification.objects.create(recipient=lead_user, title="提醒")
    assert inbox.notification_email_send(notification_id=note.pk) is False
    note.refresh_from_db()
    assert note.emailed_at is None and mail.outbox == []


# --- the scan re-queues exactly the copies still owed ------------------------------------------------


def message(user: User, title: str, *, hours_ago: float, emailed: bool = False) -> Notification:
    """A message written without its job (as if the broker had been down)."""
    note = Notification.objects.create(recipient=user, title=title)
    now = timezone.now()
    Notification.objects.filter(pk=note.pk).update(
        created_at=now - dt.timedelta(hours=hours_ago), emailed_at=now if emailed else None,
    )
    return note


@pytest.fixture
def owed(lead_user, supporting_user, outsider, office):
    with_address(lead_user)
    with_address(supporting_user, wants=False)
    with_address(office)  # outsider keeps no address
    return {
        "recent": message(lead_user, "刚才的消息", hours_ago=0.1),
        "two_days": message(office, "47 小时前的消息", hours_ago=47),
        "too_old": message(lead_user, "三天前的消息", hours_ago=72),
        "sent": message(lead_user, "已发送的消息", hours_ago=1, emailed=True),
        "unwanted": message(supporting_user, "不要邮件的人", hours_ago=1),
        "no_address": message(outsider, "没有邮箱的人", hours_ago=1),
    }


def requeue(capture, **kwargs) -> int:
    """The scan, with its jobs run as its transaction commits (eager, in this process)."""
    with capture(execute=True):
        return notification_email_requeue(**kwargs)


def test_requeue_sends_exactly_the_owed_copies(owed, django_capture_on_commit_callbacks):
    assert requeue(django_capture_on_commit_callbacks) == 2
    assert sorted(m.subject for m in mail.outbox) == ["47 小时前的消息", "刚才的消息"]
    emailed = set(Notification.objects.filter(emailed_at__isnull=False).values_list("title", flat=True))
    assert emailed == {"刚才的消息", "47 小时前的消息", "已发送的消息"}
    # Each copy once: a second scan finds nothing owed.
    assert requeue(django_capture_on_commit_callbacks) == 0 and len(mail.outbox) == 2


def test_requeue_window(owed, django_capture_on_commit_callbacks):
    assert requeue(django_capture_on_commit_callbacks, within_hours=1) == 1
    assert [m.subject for m in mail.outbox] == ["刚才的消息"]
    assert requeue(django_capture_on_commit_callbacks, within_hours=100) == 2  # 47 h and 72 h
    assert sorted(m.subject for m in mail.outbox) == ["47 小时前的消息", "三天前的消息", "刚才的消息"]


def test_requeue_queues_in_batches(owed, monkeypatch, lead_user):
    queued = []
    monkeypatch.setattr(inbox, "EMAIL_REQUEUE_BATCH", 2)
    monkeypatch.setattr(inbox, "enqueue_on_commit", lambda job, ids: queued.append((job.name, ids)))
    for n in range(3):
        message(lead_user, f"批量 {n}", hours_ago=2)
    assert notification_email_requeue() == 5
    assert [name for name, _ in queued] == ["tasks.notification_email"] * 3
    assert [len(ids) for _, ids in queued] == [2, 2, 1]
    assert sorted(pk for _, ids in queued for pk in ids) == sorted(
        Notification.objects.filter(emailed_at__isnull=True, recipient__in=[owed["recent"].recipient, owed["two_days"].recipient])
        .exclude(title="三天前的消息").values_list("pk", flat=True)
    )


def test_send_pending_email_command(owed, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_pending_email", stdout=out)
    assert "2 条" in out.getvalue() and len(mail.outbox) == 2
