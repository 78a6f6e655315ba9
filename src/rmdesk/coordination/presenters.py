"""Work orders and friends as plain JSON-able dicts: one shape for the API, the stored
idempotent answers and the pages. Customer names are masked (core.masking)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from rmdesk.coordination.models import (
    PoolEntry,
    ResourcePool,
    Step,
    TimelineEvent,
    WorkingGroup,
    WorkOrder,
)
from rmdesk.customers.masking import masked_name_of

CENT = Decimal("0.01")


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal | None) -> str | None:
    return str(value.quantize(CENT)) if value is not None else None


def _who(staff: Any) -> str:
    return str(staff) if staff is not None else ""


def work_order_out(work_order: WorkOrder) -> dict[str, Any]:
    customer = work_order.customer
    step = work_order.current_step
    return {
        "id": work_order.pk,
        "type": work_order.work_order_type.code,
        "type_name": work_order.work_order_type.name,
        "title": work_order.title,
        "status": work_order.status,
        "status_display": str(work_order.get_status_display()),
        "customer_id": work_order.customer_id,
        "customer_name": masked_name_of(customer) if customer is not None else "",
        "prospect_ref": work_order.prospect_ref,
        "raised_by": _who(work_order.raised_by),
        "raised_by_id": work_order.raised_by_id,
        "owner_department_id": work_order.owner_department_id,
        "owner_department": _who(work_order.owner_department),
        "assignee_id": work_order.assignee_id,
        "assignee": _who(work_order.assignee),
        "current_step": (
            {"sequence": step.sequence, "kind": step.kind, "status": step.status}
            if step is not None
            else None
        ),
        "amount": _money(work_order.amount),
        "currency": work_order.currency,
        "fields": work_order.fields,
        "due_at": _dt(work_order.due_at),
        "escalation_level": work_order.escalation_level,
        "hold_state": work_order.hold_state,
        "version": work_order.version,
        "created_at": _dt(work_order.created_at),
        "closed_at": _dt(work_order.closed_at),
    }


def step_out(step: Step) -> dict[str, Any]:
    return {
        "sequence": step.sequence,
        "kind": step.kind,
        "status": step.status,
        "org_unit": str(step.org_unit),
        "department": _who(step.department),
        "approver_role": step.approver_role,
        "due_at": _dt(step.due_at),
        "decided_by": _who(step.decided_by),
        "decided_at": _dt(step.decided_at),
    }


def event_out(event: TimelineEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "kind_display": str(TimelineEvent.Kind(event.kind).label),
        "actor": _who(event.actor),
        "actor_id": event.actor_id,
        "text": event.text,
        "created_at": _dt(event.created_at),
    }


def pool_out(pool: ResourcePool) -> dict[str, Any]:
    return {
        "id": pool.pk,
        "org_unit_id": pool.org_unit_id,
        "org_unit": str(pool.org_unit),
        "kind": pool.kind,
        "period": pool.period,
        "parent_id": pool.parent_id,
        "limit": _money(pool.limit_amount),
        "held": _money(pool.held),
        "booked": _money(pool.booked),
        "allocated": _money(pool.allocated),
        "available": _money(pool.available),
    }


def entry_out(entry: PoolEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "amount": _money(entry.amount),
        "delta": _money(entry.delta),
        "work_order_id": entry.work_order_id,
        "actor": _who(entry.actor),
        "note": entry.note,
        "created_at": _dt(entry.created_at),
    }


def group_out(group: WorkingGroup, *, detail: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": group.pk,
        "name": group.name,
        "purpose": group.purpose,
        "customer_id": group.customer_id,
        "customer_name": masked_name_of(group.customer) if group.customer else "",
        "deal_ref": group.deal_ref,
        "lead_id": group.lead_id,
        "lead": _who(group.lead),
        "status": group.status,
        "closed_at": _dt(group.closed_at),
    }
    if detail:
        out["members"] = [
            {
                "staff_id": member.staff_id,
                "name": _who(member.staff),
                "department": _who(member.staff.department),
                "org_unit": _who(member.staff.org_unit),
                "role": member.role,
            }
            for member in getattr(group, "live_members", [])
        ]
        out["tasks"] = [
            {
                "id": task.pk,
                "title": task.title,
                "owner_id": task.owner_id,
                "owner": _who(task.owner),
                "due_on": task.due_on.isoformat() if task.due_on else None,
                "done_at": _dt(task.done_at),
            }
            for task in getattr(group, "task_list", [])
        ]
    return out
