from __future__ import annotations

from django.conf import settings
from ninja import Query, Router, Schema
from pydantic import Field

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.customers import selectors, services
from rmdesk.customers.models import Customer
from rmdesk.customers.schemas import CustomerOut, CustomerPageOut

router = Router(tags=["customers"])


class CustomerFilter(Schema):
    q: str = Field(default="", max_length=100, description="Part of the name, or a customer number")
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=settings.RMDESK_PAGE_SIZE, ge=1, le=settings.RMDESK_MAX_PAGE_SIZE)


@router.get("", response=CustomerPageOut, summary="Customers I may see")
def customer_list(request: AuthedRequest, filters: Query[CustomerFilter]) -> dict[str, object]:
    page = selectors.customer_list(
        actor=request.auth, q=filters.q, offset=filters.offset, limit=filters.limit
    )
    return {
        "items": page.items,
        "page": {"offset": page.offset, "limit": page.limit, "has_more": page.has_more},
    }


@router.get("/{customer_id}", response={200: CustomerOut, 404: ErrorOut}, summary="One customer")
def customer_detail(request: AuthedRequest, customer_id: int) -> Customer:
    customer = selectors.customer_get(actor=request.auth, customer_id=customer_id)
    services.customer_viewed(actor=request.auth, customer=customer, channel="api", request=request)
    return customer
