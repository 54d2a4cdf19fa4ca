"""Template helpers of monthly dispatch: the unread count of the top bar and working days left."""

from django import template

from tasks.selectors.inbox import notification_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notification_count(context) -> int:
    """One COUNT on the partial index of unread messages (``notification_unread``), once per page."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    if not hasattr(request, "_unread_notifications"):
        request._unread_notifications = notification_unread_count(user=request.user)
    return request._unread_notifications


@register.filter
def working_days_left(days: int | None) -> str:
    """「还有 3 个工作日」, 「今天截止」, 「逾期 2 个工作日」."""
    if days is None:
        return ""
    if days > 0:
        return f"还有 {days} 个工作日"
    if days == 0:
        return "今天截止"
    return f"逾期 {-days} 个工作日"


@register.filter
def plain_number(value) -> str:
    """90.00 → 「90」, 1.50 → 「1.5」: an indicator value as it was meant."""
    if value is None or value == "":
        return ""
    return format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)


@register.filter
def last_of(items):
    """The last of prefetched rows (a queryset's ``last`` filter would index it with -1)."""
    rows = list(items)
    return rows[-1] if rows else None
