from __future__ import annotations

from django.db.models import QuerySet

from rmdesk.notify.models import Notification
from rmdesk.org.models import Staff


def notification_list(*, actor: Staff, unread_only: bool = False) -> QuerySet[Notification]:
    """The actor's own notifications, newest first; no one reads another's."""
    notifications = Notification.objects.filter(recipient=actor)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def notification_unread_count(*, actor: Staff) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).count()
