"""The JSON shapes of transfer requests and the assignment history.

Customer names arrive here already masked (``transfers.TransferLine``); nothing in
these shapes can carry a person's full name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from rmdesk.api.schemas import PageMeta
from rmdesk.customers.models import CustomerAssignment, TransferRequest
from rmdesk.customers.selectors import MAX_ID
from rmdesk.customers.transfers import (
    MAX_CUSTOMERS,
    MAX_TEXT,
    TransferPage,
    TransferRow,
    TransferView,
)
from rmdesk.org.models import Staff

STATUS_PATTERN = "^(" + "|".join(TransferRequest.Status.values) + ")$"


class TransferItemIn(Schema):
    customer_id: int = Field(gt=0, le=MAX_ID)
    note: str = Field(default="", max_length=MAX_TEXT, description="Handover note")


class TransferIn(Schema):
    from_manager_id: int = Field(gt=0, le=MAX_ID, description="The manager handing over")
    to_manager_id: int = Field(gt=0, le=MAX_ID, description="The new lead manager (主办)")
    to_assisting_manager_id: int | None = Field(
        default=None,
        gt=0,
        le=MAX_ID,
        description="The new assisting manager (协办); when omitted, customers keep theirs",
    )
    reason: str = Field(min_length=1, max_length=MAX_TEXT)
    items: list[TransferItemIn] = Field(min_length=1, max_length=MAX_CUSTOMERS)


class DecisionIn(Schema):
    note: str = Field(default="", max_length=MAX_TEXT)


class TransferFilter(Schema):
    status: str | None = Field(default=None, pattern=STATUS_PATTERN)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=25, ge=1, le=200)


class StaffRefOut(Schema):
    id: int
    username: str
    display_name: str


class TransferOut(Schema):
    id: int
    status: str
    reason: str
    requested_by: StaffRefOut
    from_manager: StaffRefOut
    to_manager: StaffRefOut
    to_assisting_manager: StaffRefOut | None
    created_at: datetime
    decided_by: StaffRefOut | None
    decided_at: datetime | None
    decision_note: str


class TransferRowOut(TransferOut):
    item_count: int
    can_decide: bool
    can_cancel: bool


class TransferPageOut(Schema):
    items: list[TransferRowOut]
    page: PageMeta


class TransferLineOut(Schema):
    customer_id: int
    customer_no: str
    kind: str
    display_name: str = Field(description="Masked for people; a company's name as is")
    home_unit: str
    note: str


class TransferDetailOut(TransferOut):
    items: list[TransferLineOut]
    can_decide: bool
    can_cancel: bool


class AssignmentHistoryOut(Schema):
    id: int
    manager: StaffRefOut
    role: str
    started_at: datetime
    ended_at: datetime | None
    note: str
    transfer_id: int | None


def staff_ref(staff: Staff | None) -> dict[str, Any] | None:
    if staff is None:
        return None
    return {"id": staff.pk, "username": staff.username, "display_name": staff.display_name}


def transfer_out(transfer: TransferRequest) -> dict[str, Any]:
    """The request itself; its people must be loaded (select_related) by the caller."""
    return {
        "id": transfer.pk,
        "status": transfer.status,
        "reason": transfer.reason,
        "requested_by": staff_ref(transfer.requested_by),
        "from_manager": staff_ref(transfer.from_manager),
        "to_manager": staff_ref(transfer.to_manager),
        "to_assisting_manager": staff_ref(transfer.to_assisting_manager),
        "created_at": transfer.created_at,
        "decided_by": staff_ref(transfer.decided_by),
        "decided_at": transfer.decided_at,
        "decision_note": transfer.decision_note,
    }


def transfer_row_out(row: TransferRow) -> dict[str, Any]:
    return {
        **transfer_out(row.request),
        "item_count": row.item_count,
        "can_decide": row.can_decide,
        "can_cancel": row.can_cancel,
    }


def transfer_page_out(page: TransferPage) -> dict[str, Any]:
    return {
        "items": [transfer_row_out(row) for row in page.rows],
        "page": {"offset": page.offset, "limit": page.limit, "has_more": page.has_more},
    }


def transfer_detail_out(view: TransferView) -> dict[str, Any]:
    return {
        **transfer_out(view.request),
        "items": [
            {
                "customer_id": line.customer_id,
                "customer_no": line.customer_no,
                "kind": line.kind,
                "display_name": line.display_name,
                "home_unit": line.home_unit,
                "note": line.note,
            }
            for line in view.lines
        ],
        "can_decide": view.can_decide,
        "can_cancel": view.can_cancel,
    }


def assignment_out(assignment: CustomerAssignment) -> dict[str, Any]:
    return {
        "id": assignment.pk,
        "manager": staff_ref(assignment.manager),
        "role": assignment.role,
        "started_at": assignment.started_at,
        "ended_at": assignment.ended_at,
        "note": assignment.note,
        "transfer_id": assignment.transfer_id,
    }
