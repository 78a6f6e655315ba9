"""``Idempotency-Key`` for API writes: a retried request gets the first answer.

The first successful response is stored with the key, the actor and a hash of the
request; a retry with the same body returns it without doing the work again, a
different body with the same key is refused (422). The record is written in the same
transaction as the work, so a crash leaves neither; two racing requests with one key
end with one of them rolled back and answered from the other's record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from rmdesk.coordination.models import IdempotencyRecord
from rmdesk.core.errors import DomainError
from rmdesk.org.models import Staff

HEADER = "Idempotency-Key"
MAX_KEY = 200


class IdempotencyKeyReused(DomainError):
    status = 422


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(
        {"method": method, "path": path, "body": body}, sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> tuple[int, Any]:
    if record.request_hash != digest:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was already used for a different request."),
            code="idempotency_key_reused",
        )
    return record.status_code, record.response


def idempotent(
    *,
    actor: Staff,
    key: str | None,
    method: str,
    path: str,
    body: Any,
    run: Callable[[], tuple[int, Any]],
) -> tuple[int, Any]:
    """Run ``run`` (which returns status and a JSON-able body) at most once per key."""
    if not key:
        return run()
    if len(key) > MAX_KEY:
        raise DomainError(_("The Idempotency-Key is too long."), code="idempotency_key_invalid")
    digest = request_hash(method, path, body)
    existing = IdempotencyRecord.objects.filter(actor=actor, key=key).first()
    if existing is not None:
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            status, response = run()
            IdempotencyRecord.objects.create(
                actor=actor, key=key, request_hash=digest, status_code=status, response=response
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(actor=actor, key=key).first()
        if existing is None:
            raise
        return _replay(existing, digest)
    return status, response
