"""Writing the audit trail. Call these inside the transaction of the change they record."""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from rmdesk.audit.models import AccessLog, AuditEvent, ChainedRecord
from rmdesk.core.http import client_ip, request_id

GENESIS = "0" * 64

# The fields each kind of record contributes to its hash, in a fixed order.
HASHED_FIELDS: dict[type[ChainedRecord], tuple[str, ...]] = {
    AuditEvent: ("action", "target_type", "target_id", "data"),
    AccessLog: ("action", "channel", "target_type", "target_id", "customer_id", "fields", "reason"),
}
COMMON_FIELDS = (
    "created_at",
    "actor_id",
    "actor_username",
    "actor_roles",
    "actor_org_unit",
    "ip_address",
    "request_id",
    "chain",
)


def record_digest(record: ChainedRecord) -> str:
    payload = {name: getattr(record, name) for name in COMMON_FIELDS}
    payload["created_at"] = record.created_at.isoformat()
    for name in HASHED_FIELDS[type(record)]:
        payload[name] = getattr(record, name)
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((record.prev_hash + body).encode()).hexdigest()


def _lock_chain(model: type[ChainedRecord], chain: int) -> None:
    """Serialise appends to one chain. SQLite's IMMEDIATE transactions already do."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"{model._meta.db_table}:{chain}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _append(record: ChainedRecord, actor: Any, request: HttpRequest | None) -> None:
    record.created_at = timezone.now()
    if actor is not None and getattr(actor, "pk", None) is not None:
        record.actor = actor
        record.actor_username = actor.username
        record.actor_roles = ",".join(sorted(getattr(actor, "role_codes", ())))
        unit = getattr(actor, "org_unit", None)
        record.actor_org_unit = unit.code if unit is not None else ""
    if request is not None:
        record.ip_address = client_ip(request)[:45]
        record.request_id = request_id(request)
    # Chains spread concurrent writers over several locks; each actor's records
    # stay in one chain, in order.
    record.chain = (record.actor_id or 0) % settings.RMDESK_AUDIT_CHAINS
    with transaction.atomic():
        _lock_chain(type(record), record.chain)
        tail = (
            type(record)
            .objects.filter(chain=record.chain)
            .order_by("-id")
            .values_list("hash", flat=True)
            .first()
        )
        record.prev_hash = tail or GENESIS
        record.hash = record_digest(record)
        record.save(force_insert=True)


def _target(target: models.Model) -> tuple[str, str]:
    return target._meta.label_lower, str(target.pk)


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record a state change. ``data`` must not hold personal data in clear."""
    target_type, target_id = _target(target)
    event = AuditEvent(action=action, target_type=target_type, target_id=target_id, data=data or {})
    _append(event, actor, request)
    return event


def access_record(
    *,
    actor: Any,
    action: AccessLog.Action,
    channel: str,
    target: models.Model,
    customer_id: int | None,
    request: HttpRequest | None,
    fields: str = "",
    reason: str = "",
) -> AccessLog:
    """Record that ``actor`` saw personal data of a customer (view, export or unmask)."""
    target_type, target_id = _target(target)
    entry = AccessLog(
        action=action,
        channel=channel,
        target_type=target_type,
        target_id=target_id,
        customer_id=customer_id,
        fields=fields,
        reason=reason,
    )
    _append(entry, actor, request)
    return entry
