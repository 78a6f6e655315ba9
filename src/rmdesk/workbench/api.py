"""/api/v1/home: what a member of staff's home page shows, for programs."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["home"])
