"""/api/v1/search: one search box over customers, prospects, work orders and products."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["search"])
