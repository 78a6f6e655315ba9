"""Turning contact records into the dicts the API schemas and the pages show."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from rmdesk.contact.coverage import Coverage, CoverageRow
from rmdesk.contact.models import (
    CalendarFeed,
    Interaction,
    PlanEntry,
    ServiceRequest,
    Visit,
)
from rmdesk.contact.planning import REASONS
from rmdesk.customers.masking import masked_name_of
from rmdesk.customers.models import Customer
from rmdesk.org.models import Staff

REASON_LABELS: dict[str, Any] = {
    "contact_overdue": _("Contact overdue"),
    "in_person_overdue": _("Meeting in person overdue"),
    "follow_up_due": _("Follow-up due"),
    "service_request_open": _("Open service request"),
    "maturity": _("Maturing within 7 days"),
    "large_inflow": _("Large inflow"),
    "outflow_other_bank": _("Money moved to another bank"),
    "risk_expiry": _("Risk assessment expiring"),
    "birthday": _("Birthday"),
    "carried_forward": _("Carried forward"),
}


def reason_label(code: str) -> str:
    if code in REASON_LABELS:
        return str(REASON_LABELS[code])
    source = REASONS.get(code)
    return str(source.label) if source is not None and source.label else code


def customer_ref(customer: Customer) -> dict[str, Any]:
    """A customer as lists show them: number and masked name."""
    return {
        "id": customer.pk,
        "customer_no": customer.customer_no,
        "name": masked_name_of(customer),
        "kind": customer.kind,
    }


def staff_ref(staff: Staff | None) -> dict[str, Any] | None:
    if staff is None:
        return None
    return {"id": staff.pk, "username": staff.username, "display_name": staff.display_name}


def interaction_out(interaction: Interaction) -> dict[str, Any]:
    return {
        "id": interaction.pk,
        "customer": customer_ref(interaction.customer),
        "author": staff_ref(interaction.author),
        "channel": interaction.channel,
        "channel_label": str(interaction.get_channel_display()),
        "occurred_at": interaction.occurred_at,
        "key_person": (
            {"id": interaction.key_person.pk, "role": interaction.key_person.role}
            if interaction.key_person is not None
            else None
        ),
        "summary": interaction.summary,
        "confidentiality": interaction.confidentiality,
        "needs": [{"code": n.code, "label": n.label} for n in interaction.needs.all()],
        "next_step": interaction.next_step,
        "follow_up_on": interaction.follow_up_on,
        "follow_up_done_at": interaction.follow_up_done_at,
    }


def reasons_out(entry: PlanEntry) -> list[dict[str, Any]]:
    order = {code: -source.weight for code, source in REASONS.items()}
    reasons = sorted(entry.reasons, key=lambda r: (order.get(r["code"], 0), r["code"]))
    return [
        {
            "code": r["code"],
            "label": reason_label(r["code"]),
            "detail": r.get("detail", ""),
            "evidence": r.get("evidence", {}),
        }
        for r in reasons
    ]


def plan_entry_out(entry: PlanEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "day": entry.day,
        "manager_id": entry.manager_id,
        "customer": customer_ref(entry.customer),
        "score": entry.score,
        "reasons": reasons_out(entry),
        "status": entry.status,
        "outcome": entry.outcome,
        "note": entry.note,
        "carried_from": entry.carried_from,
    }


def visit_out(visit: Visit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "customer": customer_ref(visit.customer),
        "manager": staff_ref(visit.manager),
        "planned_start": visit.planned_start,
        "planned_end": visit.planned_end,
        "purpose": visit.purpose,
        "location": visit.location,
        "status": visit.status,
        "status_label": str(visit.get_status_display()),
        "checked_in_at": visit.checked_in_at,
        "check_in_lat": visit.check_in_lat,
        "check_in_lng": visit.check_in_lng,
        "check_in_accuracy_m": visit.check_in_accuracy_m,
    }


def service_request_out(request: ServiceRequest, *, history: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": request.pk,
        "customer": customer_ref(request.customer),
        "kind": request.kind,
        "kind_label": str(request.get_kind_display()),
        "description": request.description,
        "status": request.status,
        "status_label": str(request.get_status_display()),
        "department": (
            {"id": request.department.pk, "name": str(request.department)}
            if request.department is not None
            else None
        ),
        "assignee": staff_ref(request.assignee),
        "due_on": request.due_on,
        "raised_by": staff_ref(request.raised_by),
        "created_at": request.created_at,
        "closed_at": request.closed_at,
        "work_order_id": request.work_order_id,
        "history": [],
    }
    if history:
        out["history"] = [
            {
                "at": event.at,
                "actor": staff_ref(event.actor),
                "from_status": event.from_status,
                "to_status": event.to_status,
                "note": event.note,
            }
            for event in request.events.all()
        ]
    return out


def calendar_feed_out(feed: CalendarFeed) -> dict[str, Any]:
    return {
        "id": feed.pk,
        "label": feed.label,
        "token_hint": feed.token_hint,
        "created_at": feed.created_at,
        "revoked_at": feed.revoked_at,
        "last_used_at": feed.last_used_at,
    }


def coverage_row_out(row: CoverageRow) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "id": row.key,
        "label": row.label,
        "total": row.total,
        "within": row.within,
        "overdue": row.overdue,
        "never": row.never,
        "share": round(row.share, 4),
    }


def coverage_out(coverage: Coverage) -> dict[str, Any]:
    return {
        "as_of": coverage.as_of,
        "bank": coverage_row_out(coverage.bank),
        "managers": [coverage_row_out(r) for r in coverage.managers],
        "teams": [coverage_row_out(r) for r in coverage.teams],
        "units": [coverage_row_out(r) for r in coverage.units],
    }
