"""Sending notifications: in the app always, by e-mail where a mail server is configured."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import models, transaction
from django.utils import timezone

from rmdesk.notify.models import Notification
from rmdesk.org.models import Staff


def notify(
    recipients: Iterable[Staff | int],
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    target: models.Model | None = None,
    dedupe_key: str = "",
    email: bool = True,
) -> int:
    """Notify each recipient once (inactive staff and repeats of ``dedupe_key`` skipped).

    Call it inside the transaction of the change it reports: the rows commit with it and
    the e-mails leave only after the commit. ``title`` and ``body`` are final text (render
    them in the recipient's language before calling). Returns how many were created.
    """
    if url and not url.startswith("/"):
        raise ValueError("A notification links inside rmdesk (a path starting with /).")
    ids = {recipient if isinstance(recipient, int) else recipient.pk for recipient in recipients}
    staff = list(Staff.objects.filter(pk__in=ids, is_active=True).values_list("pk", "email"))
    if dedupe_key:
        seen = set(
            Notification.objects.filter(
                recipient_id__in=[pk for pk, _ in staff], dedupe_key=dedupe_key
            ).values_list("recipient_id", flat=True)
        )
        staff = [(pk, address) for pk, address in staff if pk not in seen]
    target_type = target._meta.label_lower if target is not None else ""
    target_id = str(target.pk) if target is not None else ""
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=pk,
                kind=kind,
                title=title[:200],
                body=body,
                url=url,
                target_type=target_type,
                target_id=target_id,
                dedupe_key=dedupe_key,
            )
            for pk, _ in staff
        ],
        ignore_conflicts=bool(dedupe_key),
    )
    addresses = [address for _, address in staff if address]
    if email and addresses and settings.RMDESK_NOTIFY_EMAIL:
        transaction.on_commit(partial(_send_mail, addresses=addresses, title=title, body=body))
    return len(staff)


def _send_mail(*, addresses: list[str], title: str, body: str) -> None:
    # One message per recipient, so no one sees who else was told.
    send_mass_mail([(title, body, None, [address]) for address in addresses], fail_silently=True)


def notifications_mark_read(*, actor: Staff, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications read: those in ``ids``, or all of them."""
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
