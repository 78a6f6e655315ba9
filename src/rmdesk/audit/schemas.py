from __future__ import annotations

from datetime import datetime

from ninja import Schema

from rmdesk.api.schemas import PageMeta


class AccessLogOut(Schema):
    id: int
    created_at: datetime
    actor_username: str
    actor_roles: str
    actor_org_unit: str
    action: str
    channel: str
    target_type: str
    target_id: str
    customer_id: int | None
    fields: str
    reason: str
    ip_address: str
    request_id: str


class AccessLogPageOut(Schema):
    items: list[AccessLogOut]
    page: PageMeta
