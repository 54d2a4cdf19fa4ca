"""The office's enterprise-messenger robot (企业微信群机器人-style webhook).

The URL is the office's input but the portal is the one that calls it, so it must not be a way
into the internal network: https only, no credentials in it, and every address its host
resolves to must be public — checked when saved and again before every post (the name may
resolve differently later), and redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied
from django.db import transaction

from supervision.models import MessengerWebhook
from tasks.models import User

TIMEOUT_SECONDS = 5


class WebhookError(ValueError):
    """The URL is refused, or the messenger did not take the message; the text is for people."""


def _resolve(host: str, port: int) -> list[str]:
    try:
        return [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookError(f"无法解析域名「{host}」。") from exc


def webhook_url_check(url: str) -> str:
    """The URL if it may be called, else WebhookError with the reason in Chinese."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError as exc:
        raise WebhookError("机器人地址格式不正确。") from exc
    if parts.scheme != "https":
        raise WebhookError("机器人地址必须以 https:// 开头。")
    if not parts.hostname:
        raise WebhookError("机器人地址缺少域名。")
    if parts.username or parts.password:
        raise WebhookError("机器人地址中不能包含用户名或密码。")
    for address in _resolve(parts.hostname, port):
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise WebhookError(f"机器人地址指向内网、本机或保留地址（{ip}），不允许使用。")
    return url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise WebhookError(f"机器人地址返回了跳转（{code}），为安全起见不跟随。")


def webhook_post(url: str, text: str) -> None:
    """Post a text message in the WeCom robot format; raises WebhookError or OSError on failure
    (the job retries those with backoff)."""
    webhook_url_check(url)
    body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            answer = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"企业微信返回 HTTP {exc.code}。") from exc
    try:
        errcode = json.loads(answer or b"{}").get("errcode", 0)
    except (ValueError, AttributeError):
        errcode = 0  # a robot that answers plain text took the message
    if errcode:
        raise WebhookError(f"企业微信拒收消息（errcode {errcode}）。")


@transaction.atomic
def messenger_webhook_save(*, user: User, url: str, is_active: bool) -> MessengerWebhook | None:
    """Set (or clear, with an empty URL) the office's robot."""
    if not user.is_office:
        raise PermissionDenied("只有新区营商办可以设置企业微信机器人。")
    webhook = MessengerWebhook.objects.select_for_update().order_by("pk").first()
    if not url.strip():
        if webhook:
            webhook._history_user = user
            webhook.delete()
        return None
    webhook = webhook or MessengerWebhook()
    webhook.url, webhook.is_active, webhook.updated_by = webhook_url_check(url), is_active, user
    webhook._history_user = user
    webhook.save()
    return webhook
