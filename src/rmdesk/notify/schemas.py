from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from rmdesk.api.schemas import PageMeta


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    target_type: str
    target_id: str
    created_at: datetime
    read_at: datetime | None


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    unread: int
    page: PageMeta


class MarkReadIn(Schema):
    ids: list[int] | None = Field(
        default=None, max_length=500, description="Which to mark read; all when left out."
    )


class MarkedOut(Schema):
    marked: int
