"""The office's messenger robot (企业微信群机器人): the URL may not lead into the internal network,
posts follow no redirects and fail loudly, each ladder step is posted once and a failed post is
retried. No test touches DNS or the network: name resolution and HTTPS are faked."""

import email.message
import io
import json
import socket
import urllib.request
import urllib.response

import pytest
from django.core.exceptions import PermissionDenied

from supervision.choices import Channel, Level
from supervision.jobs import webhook_post_job
from supervision.models import Escalation, MessengerWebhook
from supervision.services import (
    deadline_scan,
    escalation_send,
    escalation_webhook_post,
    messenger,
    messenger_webhook_save,
)
from supervision.services import ladder as ladder_services
from supervision.services.ladder import item_for_finding
from supervision.services.messenger import WebhookError, webhook_post, webhook_url_check
from tests.supervision_data import d, frozen, make_finding, make_round

ROBOT = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"
PUBLIC = "101.91.22.57"


@pytest.fixture(autouse=True)
def _no_dns(monkeypatch):
    """Any real lookup fails the test; each test says what a name resolves to."""
    def refuse(*args, **kwargs):
        raise AssertionError("a test looked up a name in the DNS")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def resolves_to(monkeypatch):
    lookups = []

    def set_addresses(*addresses: str):
        def fake(host, port):
            lookups.append((host, port))
            return list(addresses)

        monkeypatch.setattr(messenger, "_resolve", fake)
        return lookups

    return set_addresses


class FakeRobot(urllib.request.HTTPSHandler):
    """Stands in for HTTPS: records each request and answers with the given status and body."""

    def __init__(self, status: int = 200, body: bytes = b'{"errcode":0,"errmsg":"ok"}', headers: dict | None = None):
        super().__init__()
        self.status, self.body, self.headers, self.requests = status, body, headers or {}, []

    def https_open(self, request):
        self.requests.append(request)
        headers = email.message.Message()
        for name, value in self.headers.items():
            headers[name] = value
        response = urllib.response.addinfourl(io.BytesIO(self.body), headers, request.full_url, self.status)
        response.msg = "OK" if self.status < 300 else "Error"
        return response


@pytest.fixture
def robot(monkeypatch, resolves_to):
    """A public robot at ROBOT; ``robot(status=…, body=…)`` changes its answer."""
    resolves_to(PUBLIC)
    real_build_opener = urllib.request.build_opener
    current = {"robot": FakeRobot()}

    def build_opener(*handlers):
        return real_build_opener(*handlers, current["robot"])

    monkeypatch.setattr(urllib.request, "build_opener", build_opener)

    def answer(**kwargs) -> FakeRobot:
        current["robot"] = FakeRobot(**kwargs)
        return current["robot"]

    answer.current = current
    return answer


# --- the URL ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "message"), [
    ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", "https://"),
    ("ftp://qyapi.weixin.qq.com/", "https://"),
    ("https://robot:secret@qyapi.weixin.qq.com/cgi-bin/webhook/send", "用户名或密码"),
    ("https://user@qyapi.weixin.qq.com/cgi-bin/webhook/send", "用户名或密码"),
    ("https:///cgi-bin/webhook/send", "缺少域名"),
    ("https://qyapi.weixin.qq.com:99999/", "格式不正确"),
])
def test_the_url_must_be_plain_https(resolves_to, url, message):
    lookups = resolves_to(PUBLIC)
    with pytest.raises(WebhookError, match=message):
        webhook_url_check(url)
    assert lookups == []


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.20.30.40", "172.16.5.4", "192.168.1.10", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "::1", "fc00::1", "fd12:3456:789a::1", "fe80::1%eth0", "::ffff:127.0.0.1", "224.0.0.1",
])
def test_private_loopback_and_reserved_addresses_are_refused(resolves_to, address):
    resolves_to(address)
    with pytest.raises(WebhookError, match="内网、本机或保留地址"):
        webhook_url_check(ROBOT)


def test_one_private_address_among_public_ones_is_enough_to_refuse(resolves_to):
    resolves_to(PUBLIC, "2400:3200::1", "10.0.0.8")
    with pytest.raises(WebhookError, match=r"10\.0\.0\.8"):
        webhook_url_check(ROBOT)


def test_a_public_address_is_accepted(resolves_to):
    lookups = resolves_to(PUBLIC, "240e:e9:6002:15c:0:ff:b015:146f")
    assert webhook_url_check(f"  {ROBOT} ") == ROBOT
    assert webhook_url_check("https://robot.example.cn:8443/hook") == "https://robot.example.cn:8443/hook"
    assert lookups == [("qyapi.weixin.qq.com", 443), ("robot.example.cn", 8443)]


def test_a_name_that_does_not_resolve_is_refused(monkeypatch):
    def unknown(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    with pytest.raises(WebhookError, match="无法解析域名「robot.invalid」"):
        webhook_url_check("https://robot.invalid/hook")


# --- posting ---------------------------------------------------------------------------------


def test_a_post_is_a_wecom_text_message(robot):
    fake = robot()
    webhook_post(ROBOT, "【催办】督查问题 2025Q4-001今天到期")
    (request,) = fake.requests
    assert (request.full_url, request.get_method()) == (ROBOT, "POST")
    assert request.get_header("Content-type") == "application/json; charset=utf-8"
    assert json.loads(request.data) == {"msgtype": "text", "text": {"content": "【催办】督查问题 2025Q4-001今天到期"}}


def test_a_robot_answering_plain_text_took_the_message(robot):
    robot(body=b"ok")
    webhook_post(ROBOT, "消息")


def test_a_refusal_by_the_messenger_raises(robot):
    robot(body=b'{"errcode":93000,"errmsg":"invalid webhook url"}')
    with pytest.raises(WebhookError, match="errcode 93000"):
        webhook_post(ROBOT, "消息")


def test_an_http_error_raises(robot):
    robot(status=502, body=b"Bad Gateway")
    with pytest.raises(WebhookError, match="HTTP 502"):
        webhook_post(ROBOT, "消息")


def test_a_redirect_is_not_followed(robot):
    fake = robot(status=302, body=b"", headers={"Location": "https://10.0.0.8/internal"})
    with pytest.raises(WebhookError, match="跳转（302）"):
        webhook_post(ROBOT, "消息")
    assert [r.full_url for r in fake.requests] == [ROBOT]


def test_the_url_is_checked_again_before_each_post(robot, resolves_to):
    fake = robot()
    resolves_to("192.168.0.3")  # the name now points inside
    with pytest.raises(WebhookError, match="内网"):
        webhook_post(ROBOT, "消息")
    assert fake.requests == []


# --- the office's setting --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["inspector", "leader", "lead_user"], indirect=True)
def test_only_the_office_sets_the_robot(persona, resolves_to):
    resolves_to(PUBLIC)
    with pytest.raises(PermissionDenied):
        messenger_webhook_save(user=persona, url=ROBOT, is_active=True)
    assert not MessengerWebhook.objects.exists()


@pytest.mark.django_db
def test_the_office_sets_changes_and_clears_the_robot(office, resolves_to):
    resolves_to("10.1.1.1")
    with pytest.raises(WebhookError):
        messenger_webhook_save(user=office, url=ROBOT, is_active=True)
    assert not MessengerWebhook.objects.exists()
    resolves_to(PUBLIC)
    first = messenger_webhook_save(user=office, url=ROBOT, is_active=True)
    second = messenger_webhook_save(user=office, url="https://robot.example.cn/hook", is_active=False)
    assert first.pk == second.pk and MessengerWebhook.objects.count() == 1
    assert (second.url, second.is_active, second.updated_by) == ("https://robot.example.cn/hook", False, office)
    assert messenger_webhook_save(user=office, url="  ", is_active=True) is None
    assert not MessengerWebhook.objects.exists()


# --- posting ladder steps, once --------------------------------------------------------------


@pytest.fixture
def webhook(db, office):
    return MessengerWebhook.objects.create(url=ROBOT, is_active=True, updated_by=office)


@pytest.fixture
def finding(inspector, lead_user):
    return make_finding(inspector, make_round(inspector), found_on=d("2025-09-29"))


@pytest.fixture
def urge(finding, office):
    with frozen(d("2025-10-09"), hour=15):
        return escalation_send(user=office, item=item_for_finding(finding), level=Level.URGE, message="请加快整改进度。")


class Posts(list):
    """The posts the ladder made; ``fail(errors)`` makes the next ones raise those errors."""

    def __init__(self):
        super().__init__()
        self.failures: list[Exception] = []

    def fail(self, errors: list[Exception]) -> None:
        self.failures.extend(errors)

    def __call__(self, url: str, text: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.append((url, text))


@pytest.fixture
def posts(monkeypatch):
    sent = Posts()
    monkeypatch.setattr(ladder_services, "webhook_post", sent)
    return sent


@pytest.mark.django_db
def test_nothing_is_posted_without_an_active_robot(urge, posts):
    assert escalation_webhook_post(escalation_id=urge.pk) is False
    MessengerWebhook.objects.create(url=ROBOT, is_active=False)
    assert escalation_webhook_post(escalation_id=urge.pk) is False
    assert posts == [] and Escalation.objects.get(pk=urge.pk).webhook_sent_at is None


def test_a_step_is_posted_once(webhook, urge, posts, finding, settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    assert escalation_webhook_post(escalation_id=urge.pk) is True
    assert escalation_webhook_post(escalation_id=urge.pk) is False
    (url, text), = posts
    assert url == ROBOT
    assert text == (f"【催办】新区行政审批与政务服务局：督查问题 {finding.number}\n请加快整改进度。\n"
                    f"https://portal.example/supervision/escalations/{urge.pk}/")
    assert Escalation.objects.get(pk=urge.pk).webhook_sent_at is not None


def test_a_failed_post_gives_the_claim_back_and_raises(webhook, urge, posts):
    posts.fail([WebhookError("企业微信返回 HTTP 502。")])
    with pytest.raises(WebhookError):
        escalation_webhook_post(escalation_id=urge.pk)
    assert Escalation.objects.get(pk=urge.pk).webhook_sent_at is None
    assert escalation_webhook_post(escalation_id=urge.pk) is True
    assert len(posts) == 1


def test_the_job_retries_a_failed_post_until_it_goes_through(webhook, urge, posts):
    posts.fail([WebhookError("企业微信返回 HTTP 502。"), OSError("connection reset")])
    result = webhook_post_job.apply(args=[urge.pk])  # eager: each retry runs at once
    assert result.get() is True and len(posts) == 1


def test_the_job_retries_with_backoff_and_late_acknowledgement():
    assert set(webhook_post_job.autoretry_for) == {WebhookError, OSError}
    assert webhook_post_job.retry_backoff is True and webhook_post_job.retry_backoff_max == 3600
    assert webhook_post_job.max_retries == 8 and webhook_post_job.acks_late is True


def test_the_scan_posts_each_step_after_commit_and_once(webhook, finding, posts, django_capture_on_commit_callbacks):
    with frozen(d("2025-10-13"), hour=8), django_capture_on_commit_callbacks() as callbacks:
        deadline_scan()
        assert posts == []
    urge = Escalation.objects.get(level=Level.URGE)
    assert urge.channels.split(",") == [Channel.INBOX, Channel.WEBHOOK]
    for callback in callbacks:
        callback()
    assert len(posts) == 1 and posts[0][1].startswith("【催办】")
    # A later scan re-queues only what was never posted: nothing here.
    with frozen(d("2025-10-14"), hour=8), django_capture_on_commit_callbacks(execute=True):
        assert deadline_scan().requeued == 0
    assert len(posts) == 1


def test_a_post_whose_job_was_lost_goes_out_with_the_next_scan(webhook, finding, posts, django_capture_on_commit_callbacks):
    with frozen(d("2025-10-13"), hour=8), django_capture_on_commit_callbacks(execute=False):
        deadline_scan()  # the broker was down: the job was never queued
    with frozen(d("2025-10-14"), hour=8), django_capture_on_commit_callbacks(execute=True):
        assert deadline_scan().requeued == 1
    assert len(posts) == 1
