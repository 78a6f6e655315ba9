"""Writing the audit trail. Call these inside the transaction of the change they record."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from datetime import datetime
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


def actor_chain(actor: Any) -> int:
    """The chain an actor's records go to. Chains spread concurrent writers over several
    locks; each actor's records stay in one chain, in order."""
    return (getattr(actor, "pk", None) or 0) % settings.RMDESK_AUDIT_CHAINS


def lock_actor_chain(model: type[ChainedRecord], actor: Any) -> None:
    """Hold the actor's chain lock to the end of the transaction (serialises their writes)."""
    _lock_chain(model, actor_chain(actor))


def _stamp(record: ChainedRecord, actor: Any, request: HttpRequest | None, at: datetime) -> None:
    record.created_at = at
    if actor is not None and getattr(actor, "pk", None) is not None:
        record.actor = actor
        record.actor_username = actor.username
        record.actor_roles = ",".join(sorted(getattr(actor, "role_codes", ())))
        unit = getattr(actor, "org_unit", None)
        record.actor_org_unit = unit.code if unit is not None else ""
    if request is not None:
        record.ip_address = client_ip(request)[:45]
        record.request_id = request_id(request)
    record.chain = actor_chain(actor)


def _append_all(records: Sequence[ChainedRecord], actor: Any, request: HttpRequest | None) -> None:
    """Chain and insert records of one model for one actor, in order, under one lock."""
    if not records:
        return
    model = type(records[0])
    now = timezone.now()
    for record in records:
        _stamp(record, actor, request, now)
    chain = records[0].chain
    # No savepoint of its own: a failed append must fail the change it records.
    with transaction.atomic(savepoint=False):
        _lock_chain(model, chain)
        prev = (
            model.objects.filter(chain=chain).order_by("-id").values_list("hash", flat=True).first()
        ) or GENESIS
        for record in records:
            record.prev_hash = prev
            record.hash = prev = record_digest(record)
        if len(records) == 1:
            records[0].save(force_insert=True)
        else:
            # Ids follow list order within the lock, so the chain reads back in order.
            model.objects.bulk_create(records, batch_size=1000)


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
    _append_all([event], actor, request)
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
    _append_all([entry], actor, request)
    return entry


def access_record_many(
    *,
    actor: Any,
    action: AccessLog.Action,
    channel: str,
    customers: Sequence[models.Model],
    request: HttpRequest | None,
    fields: str = "",
    reason: str = "",
) -> int:
    """Record one access per customer (an export), chained under one lock in one pass."""
    entries = [
        AccessLog(
            action=action,
            channel=channel,
            target_type=customer._meta.label_lower,
            target_id=str(customer.pk),
            customer_id=customer.pk,
            fields=fields,
            reason=reason,
        )
        for customer in customers
    ]
    _append_all(entries, actor, request)
    return len(entries)
