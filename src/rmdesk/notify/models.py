from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one member of staff: a follow-up due, a work order that moved…"""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # "<app>.<what>", e.g. "contact.follow_up_due"; lets a page group or filter them.
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    # Where the message leads (a path inside rmdesk); never an outside address.
    url = models.CharField(_("link"), max_length=300, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    # Repeating a notification with the same key for the same recipient does nothing,
    # so a task that runs twice does not remind twice.
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A person's unread notifications, newest first (the badge and the list).
            models.Index(
                fields=["recipient", "-created_at"],
                name="notify_unread_by_recipient",
                condition=models.Q(read_at__isnull=True),
            ),
            # A person's notifications, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notify_by_recipient"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notify_notification_dedupe",
            )
        ]

    def __str__(self) -> str:
        return self.title
