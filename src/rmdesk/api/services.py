"""Issuing, using and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.api.models import ApiToken
from rmdesk.audit.services import audit_record
from rmdesk.core.errors import DomainError
from rmdesk.org.models import Staff, role_list_of

TOKEN_PREFIX = "rmd_"  # noqa: S105  (a marker that makes leaked tokens easy to scan for)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken


class InvalidCredentials(DomainError):
    status = 401


def api_token_issue(
    *,
    request: HttpRequest,
    username: str,
    password: str,
    name: str = "",
    days: int | None = None,
) -> IssuedToken:
    """Check the credentials (through the lock-out), then issue a token shown only now.

    Raises InvalidCredentials for a wrong username or password (the same error for
    both), DomainError("bad_expiry") for a lifetime outside the allowed range.
    Not atomic on purpose: a failed attempt must stay recorded for the lock-out.
    """
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise DomainError(
            _("A token lives from 1 to %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS},
            code="bad_expiry",
            details={"field": "days"},
        )
    staff = authenticate(request, username=username, password=password)
    if not isinstance(staff, Staff):
        raise InvalidCredentials(_("Wrong username or password."), code="invalid_credentials")
    with transaction.atomic():
        issued = api_token_create(staff=staff, name=name, days=days)
        audit_record(
            actor=staff,
            action="api.token.issued",
            target=issued.record,
            data={"name": name, "days": days},
            request=request,
        )
    return issued


def api_token_create(*, staff: Staff, name: str = "", days: int) -> IssuedToken:
    """Mint a token for ``staff``. Callers have already established who they are."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        staff=staff,
        name=name,
        prefix=token[:12],
        digest=token_digest(token),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return IssuedToken(token=token, record=record)


def api_token_authenticate(token: str) -> Staff | None:
    """The active staff member a live token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    now = timezone.now()
    # One query: the token, its staff member, their org unit and their roles.
    record = (
        ApiToken.objects.select_related("staff", "staff__org_unit")
        .annotate(staff_roles=role_list_of("staff_id"))
        .filter(digest=token_digest(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if record is None or not record.staff.is_active:
        return None
    record.staff.remember_role_codes(record.staff_roles)
    # Last use is kept to the minute, so a busy client does not write on every call.
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.staff


@transaction.atomic
def api_token_revoke(*, actor: Staff, token_id: int, request: HttpRequest | None = None) -> None:
    """Revoke one of the actor's own tokens. Someone else's answers Http404. Idempotent."""
    record = ApiToken.objects.select_for_update().filter(pk=token_id, staff=actor).first()
    if record is None:
        raise Http404
    if record.revoked_at is None:
        record.revoked_at = timezone.now()
        record.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action="api.token.revoked", target=record, request=request)
