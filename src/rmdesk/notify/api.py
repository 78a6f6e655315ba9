"""/api/v1/notifications: the caller's own notifications, and marking them read."""

from __future__ import annotations

from ninja import Query, Router, Schema
from pydantic import Field

from rmdesk.api.auth import AuthedRequest
from rmdesk.notify import selectors, services
from rmdesk.notify.schemas import MarkedOut, MarkReadIn, NotificationPageOut

router = Router(tags=["notifications"])


class NotificationFilter(Schema):
    unread: bool = False
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=50, ge=1, le=200)


@router.get("", response=NotificationPageOut, summary="My notifications, newest first")
def notification_list(
    request: AuthedRequest, filters: Query[NotificationFilter]
) -> dict[str, object]:
    entries = selectors.notification_list(actor=request.auth, unread_only=filters.unread)
    rows = list(entries[filters.offset : filters.offset + filters.limit + 1])
    return {
        "items": rows[: filters.limit],
        "unread": selectors.notification_unread_count(actor=request.auth),
        "page": {
            "offset": filters.offset,
            "limit": filters.limit,
            "has_more": len(rows) > filters.limit,
        },
    }


@router.post("/read", response=MarkedOut, summary="Mark my notifications read")
def notification_mark_read(request: AuthedRequest, payload: MarkReadIn) -> dict[str, int]:
    return {"marked": services.notifications_mark_read(actor=request.auth, ids=payload.ids)}
