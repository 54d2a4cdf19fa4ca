"""Reads of the notification inbox (站内消息)."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q

from tasks.models import Notification, User


def notification_list(*, user: User):
    """The user's messages, unread first, then newest first."""
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return (
        Notification.objects.filter(recipient=user).annotate(unread=unread)
        .order_by("-unread", "-created_at", "-id")
    )


def notification_unread_count(*, user: User) -> int:
    """The number in the top bar of every page: one COUNT on the partial index of unread rows
    (``notification_unread``)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
