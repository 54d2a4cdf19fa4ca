"""The notification inbox: in-app messages, and the same by e-mail through a job."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tasks.choices import Role
from tasks.models import Notification, User


def notify(*, recipients: Iterable[User], title: str, body: str = "", url: str = "",
           key: str | None = None) -> list[Notification]:
    """One message per recipient; with a key, a recipient gets it once however often it is sent.

    E-mail goes out from a job after the transaction commits, so a rollback sends nothing.
    """
    rows = [Notification(recipient=user, title=title, body=body, url=url, key=key)
            for user in {u.pk: u for u in recipients}.values()]
    created = Notification.objects.bulk_create(rows) if key is None else _create_once(rows)
    ids = [n.pk for n in created]
    if ids:
        from tasks.jobs import notification_email_job  # jobs import services

        transaction.on_commit(lambda: notification_email_job.delay(ids))
    return created


def _create_once(rows: list[Notification]) -> list[Notification]:
    """Insert the keyed rows that are not there yet; only those are returned (and e-mailed).

    Row by row in a savepoint: ``bulk_create(ignore_conflicts=True)`` would not tell which rows
    it inserted (their ids stay empty), so nothing would ever be e-mailed.
    """
    if not rows:
        return []
    sent = set(
        Notification.objects.filter(key=rows[0].key, recipient__in=[r.recipient for r in rows])
        .values_list("recipient_id", flat=True)
    )
    created = []
    for row in rows:
        if row.recipient_id in sent:
            continue
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:  # sent meanwhile by another process
            continue
        created.append(row)
    return created


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's messages read (all of them when ``ids`` is None)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def office_users() -> list[User]:
    return list(User.objects.filter(role=Role.OFFICE, is_active=True))


def unit_users(*, unit_id: int) -> list[User]:
    """The staff who file for a unit, and so receive what concerns its filings: the unit's own
    and those of the unit it sits inside (a department's staff file for its offices)."""
    return list(
        User.objects.filter(Q(unit_id=unit_id) | Q(unit__children__id=unit_id), role=Role.UNIT_STAFF, is_active=True)
    )


def notification_email_send(*, notification_id: int) -> bool:
    """Send the e-mail copy of one message, once: the row is claimed first. A failed send gives
    the claim back and raises, so that the job's retry sends it (and only it) again."""
    from django.conf import settings
    from django.core.mail import send_mail

    claimed = Notification.objects.filter(
        pk=notification_id, emailed_at__isnull=True, recipient__email__gt="",
    ).update(emailed_at=timezone.now())
    if claimed != 1:
        return False
    note = Notification.objects.select_related("recipient").get(pk=notification_id)
    link = f"\n\n{settings.PORTAL_BASE_URL}{note.url}" if note.url else ""
    try:
        send_mail(note.title, f"{note.body}{link}", None, [note.recipient.email])
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True
