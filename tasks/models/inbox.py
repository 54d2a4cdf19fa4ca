"""The notification inbox (站内消息): one row per recipient, with an unread mark."""

from django.db import models
from django.db.models import Q

from tasks.models.directory import User


class Notification(models.Model):
    recipient = models.ForeignKey(User, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    # Set by senders that must deliver once (a reminder of an item on a date, say).
    key = models.CharField("去重键", max_length=200, null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    # Claimed before the e-mail copy is sent: a retried or repeated job sends each copy once.
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="one_notification_per_key"),
        ]
        indexes = [
            # The unread count in the top bar of every page.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
            # The daily scan re-queues the e-mail copies of recent messages not sent yet.
            models.Index(fields=["created_at"], condition=Q(emailed_at__isnull=True), name="notification_unsent"),
        ]

    def __str__(self) -> str:
        return self.title
