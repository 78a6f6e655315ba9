"""Transfer requests: hand customers from one manager to another, approved by a head.

The rules (who may request, decide, cancel and see) are in ``customers.transfers``.
"""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Status

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.customers import transfers
from rmdesk.customers.transfer_schemas import (
    AssignmentHistoryOut,
    DecisionIn,
    TransferDetailOut,
    TransferFilter,
    TransferIn,
    TransferOut,
    TransferPageOut,
    assignment_out,
    transfer_detail_out,
    transfer_out,
    transfer_page_out,
)

router = Router(tags=["transfers"])

ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("", response=TransferPageOut, summary="Transfer requests I may see, pending first")
def transfer_list(request: AuthedRequest, filters: Query[TransferFilter]) -> dict[str, Any]:
    page = transfers.transfer_page(
        actor=request.auth, status=filters.status, offset=filters.offset, limit=filters.limit
    )
    return transfer_page_out(page)


@router.post(
    "", response={201: TransferOut, **ERRORS}, summary="Ask to hand customers to another manager"
)
def transfer_create(request: AuthedRequest, payload: TransferIn) -> Status[Any]:
    transfer = transfers.transfer_request_create(
        actor=request.auth,
        from_manager_id=payload.from_manager_id,
        to_manager_id=payload.to_manager_id,
        to_assisting_manager_id=payload.to_assisting_manager_id,
        customer_ids=[item.customer_id for item in payload.items],
        notes={item.customer_id: item.note for item in payload.items},
        reason=payload.reason,
    )
    return Status(201, transfer_out(transfer))


@router.get(
    "/history/{customer_id}",
    response={200: list[AssignmentHistoryOut], 404: ErrorOut},
    summary="Who has served a customer, newest first",
)
def assignment_history(request: AuthedRequest, customer_id: int) -> list[dict[str, Any]]:
    rows = transfers.assignment_history(actor=request.auth, customer_id=customer_id)
    return [assignment_out(row) for row in rows]


@router.get(
    "/{request_id}",
    response={200: TransferDetailOut, 404: ErrorOut},
    summary="One transfer request with its customers (names masked)",
)
def transfer_detail(request: AuthedRequest, request_id: int) -> dict[str, Any]:
    return transfer_detail_out(transfers.transfer_detail(actor=request.auth, request_id=request_id))


@router.post(
    "/{request_id}/approve",
    response={200: TransferOut, **ERRORS},
    summary="Approve: the customers move to the new managers",
)
def transfer_approve(
    request: AuthedRequest, request_id: int, payload: DecisionIn | None = None
) -> dict[str, Any]:
    transfer = transfers.transfer_request_approve(
        actor=request.auth, request_id=request_id, note=payload.note if payload else ""
    )
    return transfer_out(transfer)


@router.post(
    "/{request_id}/reject", response={200: TransferOut, **ERRORS}, summary="Reject: nothing moves"
)
def transfer_reject(
    request: AuthedRequest, request_id: int, payload: DecisionIn | None = None
) -> dict[str, Any]:
    transfer = transfers.transfer_request_reject(
        actor=request.auth, request_id=request_id, note=payload.note if payload else ""
    )
    return transfer_out(transfer)


@router.post(
    "/{request_id}/cancel",
    response={200: TransferOut, **ERRORS},
    summary="Withdraw my own pending request",
)
def transfer_cancel(
    request: AuthedRequest, request_id: int, payload: DecisionIn | None = None
) -> dict[str, Any]:
    transfer = transfers.transfer_request_cancel(
        actor=request.auth, request_id=request_id, note=payload.note if payload else ""
    )
    return transfer_out(transfer)
