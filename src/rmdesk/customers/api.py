from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.customers import export, presenters, selectors, services
from rmdesk.customers.schemas import (
    Customer360Out,
    CustomerIn,
    CustomerOut,
    CustomerPageOut,
    CustomerPatch,
    HoldingOut,
    RelationshipsOut,
    RevealIn,
    RevealOut,
)

router = Router(tags=["customers"])

ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class CustomerFilter(Schema):
    q: str = Field(
        default="",
        max_length=100,
        description="Part of a name; a mobile, identity number or credit code; a customer number",
    )
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=settings.RMDESK_PAGE_SIZE, ge=1, le=settings.RMDESK_MAX_PAGE_SIZE)


class ExportFilter(Schema):
    q: str = Field(default="", max_length=100)
    format: str = Field(default="csv", pattern="^(csv|xlsx)$")


def _page(request: AuthedRequest, filters: CustomerFilter) -> dict[str, object]:
    page = selectors.customer_list(
        actor=request.auth, q=filters.q, offset=filters.offset, limit=filters.limit
    )
    return {
        "items": [presenters.customer_summary(customer) for customer in page.items],
        "page": {"offset": page.offset, "limit": page.limit, "has_more": page.has_more},
    }


@router.get("", response=CustomerPageOut, summary="Customers I may see")
def customer_list(request: AuthedRequest, filters: Query[CustomerFilter]) -> dict[str, object]:
    """``?q=`` suits a name; search by mobile or identity number with POST /search."""
    return _page(request, filters)


@router.post(
    "/search",
    response={200: CustomerPageOut, 422: ErrorOut},
    summary="Search the customers I may see (the search text in the body, not the URL)",
)
def customer_search(request: AuthedRequest, payload: CustomerFilter) -> dict[str, object]:
    """The same answer as the list with ``?q=``, but a mobile or identity number searched
    for stays out of URLs, proxies' and servers' logs and browser history."""
    return _page(request, payload)


@router.post("", response={201: CustomerOut, **ERRORS}, summary="Record a new customer")
def customer_create(request: AuthedRequest, payload: CustomerIn) -> Status[Any]:
    data = payload.model_dump(exclude_unset=True, exclude={"kind", "home_unit_id", "manager_id"})
    customer = services.customer_register(
        actor=request.auth,
        kind=payload.kind,
        data=data,
        home_unit_id=payload.home_unit_id,
        manager_id=payload.manager_id,
    )
    return Status(201, presenters.customer_summary(customer))


@router.get(
    "/export",
    response={200: None, **ERRORS, 429: ErrorOut},
    summary="Export the customers I may see (masked) as CSV or XLSX",
)
def customer_export(request: AuthedRequest, filters: Query[ExportFilter]) -> HttpResponse:
    exported = export.customer_export(
        actor=request.auth, q=filters.q, fmt=filters.format, request=request
    )
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


@router.get(
    "/{customer_id}",
    response={200: Customer360Out, 404: ErrorOut},
    summary="One customer: the 360 view",
)
def customer_detail(request: AuthedRequest, customer_id: int) -> dict[str, Any]:
    view = selectors.customer_360(actor=request.auth, customer_id=customer_id)
    services.customer_viewed(
        actor=request.auth, customer=view.customer, channel="api", request=request
    )
    return presenters.customer_360_out(view)


@router.patch("/{customer_id}", response={200: CustomerOut, **ERRORS}, summary="Edit a customer")
def customer_update(
    request: AuthedRequest, customer_id: int, payload: CustomerPatch
) -> dict[str, Any]:
    customer = services.customer_update(
        actor=request.auth,
        customer_id=customer_id,
        version=payload.version,
        data=payload.model_dump(exclude_unset=True, exclude={"version"}),
    )
    return presenters.customer_summary(customer)


@router.post(
    "/{customer_id}/reveal",
    response={200: RevealOut, **ERRORS},
    summary="Show masked fields in full, with a reason (logged)",
)
def customer_reveal(request: AuthedRequest, customer_id: int, payload: RevealIn) -> dict[str, Any]:
    revealed = services.customer_reveal(
        actor=request.auth,
        customer_id=customer_id,
        fields=payload.fields,
        reason=payload.reason,
        request=request,
        channel="api",
    )
    return {"values": revealed.values, "expires_at": revealed.expires_at}


@router.get(
    "/{customer_id}/holdings",
    response={200: list[HoldingOut], 404: ErrorOut},
    summary="A customer's holdings",
)
def customer_holdings(
    request: AuthedRequest, customer_id: int, include_closed: bool = False
) -> list[dict[str, Any]]:
    holdings = selectors.customer_holdings(
        actor=request.auth, customer_id=customer_id, include_closed=include_closed
    )
    return [presenters.holding_out(holding) for holding in holdings]


@router.get(
    "/{customer_id}/relationships",
    response={200: RelationshipsOut, 404: ErrorOut},
    summary="A customer's household, group, key people and referrals",
)
def customer_relationships(request: AuthedRequest, customer_id: int) -> dict[str, Any]:
    return presenters.relationships_out(
        selectors.customer_relationships(actor=request.auth, customer_id=customer_id)
    )
