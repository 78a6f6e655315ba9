"""Reading the audit trail, and checking that nobody edited it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from rmdesk.audit.models import AccessLog, AuditEvent, ChainedRecord
from rmdesk.audit.services import GENESIS, record_digest
from rmdesk.org.models import Staff
from rmdesk.org.policy import can_read_audit_log


def access_log_list(*, actor: Staff, customer_id: int | None = None) -> QuerySet[AccessLog]:
    """The access log, newest first. Only administrators and compliance auditors read it."""
    if not can_read_audit_log(actor):
        raise PermissionDenied
    entries = AccessLog.objects.order_by("-id")
    if customer_id is not None:
        entries = entries.filter(customer_id=customer_id)
    return entries


def audit_event_list(*, actor: Staff) -> QuerySet[AuditEvent]:
    if not can_read_audit_log(actor):
        raise PermissionDenied
    return AuditEvent.objects.order_by("-id")


def chain_breaks(model: type[ChainedRecord]) -> list[int]:
    """Ids of rows whose hash does not follow from their predecessor's: evidence of tampering.

    Streams each chain in id order; memory stays flat however long the log is.
    """
    broken: list[int] = []
    last: dict[int, str] = {}
    for record in model.objects.order_by("id").iterator(chunk_size=2000):
        expected_prev = last.get(record.chain, GENESIS)
        if record.prev_hash != expected_prev or record.hash != record_digest(record):
            broken.append(record.pk)
        last[record.chain] = record.hash
    return broken
