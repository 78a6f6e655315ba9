"""/api/v1/home: what a member of staff's home page shows, for programs."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from ninja import Router

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.workbench import presenters, selectors
from rmdesk.workbench.schemas import HomeOut

router = Router(tags=["home"])


@router.get("/home", response=HomeOut, summary="My home: the blocks of each of my roles")
def home(request: AuthedRequest) -> dict[str, Any]:
    return presenters.home_out(selectors.home_for(actor=request.auth), timezone.now())


@router.get(
    "/home/staff/{staff_id}",
    response={200: HomeOut, 404: ErrorOut},
    summary="A manager's home as their lead or head sees it",
)
def staff_home(request: AuthedRequest, staff_id: int) -> dict[str, Any]:
    found = selectors.staff_home(actor=request.auth, staff_id=staff_id)
    return presenters.home_out(found, timezone.now())
