from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

from rmdesk.api.schemas import PageMeta


class JobOut(Schema):
    id: int
    name: str
    queue: str
    status: str
    kwargs: dict[str, Any]
    attempts: int
    max_attempts: int
    run_after: dt.datetime
    leased_by: str
    lease_expires_at: dt.datetime | None
    unique_key: str | None
    result: Any = None
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class JobPageOut(Schema):
    items: list[JobOut]
    page: PageMeta
