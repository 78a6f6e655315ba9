from __future__ import annotations

from ninja import Query, Router, Schema
from pydantic import Field

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.audit import selectors
from rmdesk.audit.schemas import AccessLogPageOut

router = Router(tags=["audit"])


class AccessLogFilter(Schema):
    customer_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=50, ge=1, le=200)


@router.get(
    "/access-log",
    response={200: AccessLogPageOut, 403: ErrorOut},
    summary="Who viewed, exported or unmasked personal data",
)
def access_log(request: AuthedRequest, filters: Query[AccessLogFilter]) -> dict[str, object]:
    entries = selectors.access_log_list(actor=request.auth, customer_id=filters.customer_id)
    rows = list(entries[filters.offset : filters.offset + filters.limit + 1])
    return {
        "items": rows[: filters.limit],
        "page": {
            "offset": filters.offset,
            "limit": filters.limit,
            "has_more": len(rows) > filters.limit,
        },
    }
