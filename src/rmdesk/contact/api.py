"""The contact API: parse, call one service or selector, present."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.contact import coverage, presenters, selectors, services
from rmdesk.contact.schemas import (
    CalendarFeedIn,
    CalendarFeedIssuedOut,
    CalendarFeedOut,
    CheckInIn,
    CoverageOut,
    DismissIn,
    InteractionIn,
    InteractionOut,
    InteractionPageOut,
    NeedOut,
    PlanEntryOut,
    PlanGenerateIn,
    PlanGenerateOut,
    ServiceRequestIn,
    ServiceRequestOut,
    ServiceRequestPageOut,
    ServiceRequestPatch,
    VisitIn,
    VisitOut,
)

router = Router(tags=["contact"])

ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PageFilter(Schema):
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=settings.RMDESK_PAGE_SIZE, ge=1, le=settings.RMDESK_MAX_PAGE_SIZE)


class InteractionFilter(PageFilter):
    customer_id: int | None = Field(default=None, gt=0)


class PlanFilter(Schema):
    day: date | None = None
    manager_id: int | None = Field(default=None, gt=0)


class VisitFilter(Schema):
    start: datetime | None = None
    end: datetime | None = None
    manager_id: int | None = Field(default=None, gt=0)


class ServiceRequestFilter(PageFilter):
    customer_id: int | None = Field(default=None, gt=0)
    status: str = Field(default="", max_length=12)
    open: bool = False


class CoverageFilter(Schema):
    as_of: date | None = None


def _page(page: selectors.Page[Any]) -> dict[str, Any]:
    return {"offset": page.offset, "limit": page.limit, "has_more": page.has_more}


# --- needs and interactions ---------------------------------------------------------------


@router.get("/need-categories", response=list[NeedOut], summary="The needs a contact can record")
def need_list(request: AuthedRequest) -> list[dict[str, str]]:
    return [{"code": n.code, "label": n.label} for n in selectors.need_categories()]


@router.get("/interactions", response=InteractionPageOut, summary="Interactions I may read")
def interaction_list(request: AuthedRequest, filters: Query[InteractionFilter]) -> dict[str, Any]:
    page = selectors.interaction_list(
        actor=request.auth,
        customer_id=filters.customer_id,
        offset=filters.offset,
        limit=filters.limit,
    )
    return {"items": [presenters.interaction_out(i) for i in page.items], "page": _page(page)}


@router.post("/interactions", response={201: InteractionOut, **ERRORS}, summary="Log a contact")
def interaction_create(request: AuthedRequest, payload: InteractionIn) -> Status[Any]:
    interaction = services.interaction_log(
        actor=request.auth,
        customer_id=payload.customer_id,
        data=services.as_interaction_data(payload.model_dump()),
    )
    interaction = selectors.interaction_get(actor=request.auth, interaction_id=interaction.pk)
    return Status(201, presenters.interaction_out(interaction))


@router.get(
    "/interactions/{interaction_id}",
    response={200: InteractionOut, 404: ErrorOut},
    summary="One interaction",
)
def interaction_detail(request: AuthedRequest, interaction_id: int) -> dict[str, Any]:
    return presenters.interaction_out(
        selectors.interaction_get(actor=request.auth, interaction_id=interaction_id)
    )


@router.post(
    "/interactions/{interaction_id}/follow-up-done",
    response={200: InteractionOut, **ERRORS},
    summary="Mark the follow-up done",
)
def interaction_follow_up_done(request: AuthedRequest, interaction_id: int) -> dict[str, Any]:
    services.interaction_follow_up_done(actor=request.auth, interaction_id=interaction_id)
    return presenters.interaction_out(
        selectors.interaction_get(actor=request.auth, interaction_id=interaction_id)
    )


# --- the plan ---------------------------------------------------------------------------------


@router.get(
    "/contact-plan",
    response={200: list[PlanEntryOut], 404: ErrorOut},
    summary="Who to contact on a day (mine, or a manager's I oversee)",
)
def plan_list(request: AuthedRequest, filters: Query[PlanFilter]) -> list[dict[str, Any]]:
    entries = selectors.plan_for(
        actor=request.auth,
        day=filters.day or timezone.localdate(),
        manager_id=filters.manager_id,
    )
    return [presenters.plan_entry_out(e) for e in entries]


@router.post(
    "/contact-plan/generate",
    response={200: PlanGenerateOut, **ERRORS},
    summary="Regenerate one manager's plan now",
)
def plan_generate(request: AuthedRequest, payload: PlanGenerateIn) -> dict[str, Any]:
    day = payload.day or timezone.localdate()
    manager_id = payload.manager_id or request.auth.pk
    written = services.plan_generate_for(actor=request.auth, day=day, manager_id=manager_id)
    return {"day": day, "manager_id": manager_id, "entries": written}


@router.post(
    "/contact-plan/{entry_id}/dismiss",
    response={200: PlanEntryOut, **ERRORS},
    summary="Take an entry off the plan with an outcome",
)
def plan_dismiss(request: AuthedRequest, entry_id: int, payload: DismissIn) -> dict[str, Any]:
    entry = services.plan_entry_dismiss(
        actor=request.auth, entry_id=entry_id, outcome=payload.outcome, note=payload.note
    )
    return presenters.plan_entry_out(entry)


@router.get(
    "/contact-coverage",
    response=CoverageOut,
    summary="Customers contacted within cadence, per manager and up the tree",
)
def coverage_get(request: AuthedRequest, filters: Query[CoverageFilter]) -> dict[str, Any]:
    return presenters.coverage_out(
        coverage.coverage_compute(actor=request.auth, as_of=filters.as_of or timezone.localdate())
    )


# --- visits -----------------------------------------------------------------------------------


@router.get("/visits", response={200: list[VisitOut], 404: ErrorOut}, summary="Visits in a period")
def visit_list(request: AuthedRequest, filters: Query[VisitFilter]) -> list[dict[str, Any]]:
    start = filters.start or timezone.now() - timedelta(days=7)
    end = filters.end or start + timedelta(days=35)
    visits = selectors.visit_list(
        actor=request.auth, start=start, end=end, manager_id=filters.manager_id
    )
    return [presenters.visit_out(v) for v in visits]


@router.post("/visits", response={201: VisitOut, **ERRORS}, summary="Plan a visit")
def visit_create(request: AuthedRequest, payload: VisitIn) -> Status[Any]:
    visit = services.visit_plan(actor=request.auth, **payload.model_dump())
    return Status(201, presenters.visit_out(visit))


@router.get("/visits/{visit_id}", response={200: VisitOut, 404: ErrorOut}, summary="One visit")
def visit_detail(request: AuthedRequest, visit_id: int) -> dict[str, Any]:
    return presenters.visit_out(selectors.visit_get(actor=request.auth, visit_id=visit_id))


@router.post(
    "/visits/{visit_id}/check-in",
    response={200: VisitOut, **ERRORS},
    summary="Check in at a visit (location optional)",
)
def visit_check_in(request: AuthedRequest, visit_id: int, payload: CheckInIn) -> dict[str, Any]:
    visit = services.visit_check_in(actor=request.auth, visit_id=visit_id, **payload.model_dump())
    return presenters.visit_out(visit)


@router.post(
    "/visits/{visit_id}/cancel", response={200: VisitOut, **ERRORS}, summary="Cancel a visit"
)
def visit_cancel(request: AuthedRequest, visit_id: int) -> dict[str, Any]:
    return presenters.visit_out(services.visit_cancel(actor=request.auth, visit_id=visit_id))


# --- service requests -------------------------------------------------------------------------


@router.get(
    "/service-requests", response=ServiceRequestPageOut, summary="Service requests I may see"
)
def service_request_list(
    request: AuthedRequest, filters: Query[ServiceRequestFilter]
) -> dict[str, Any]:
    page = selectors.service_request_list(
        actor=request.auth,
        customer_id=filters.customer_id,
        status=filters.status,
        open_only=filters.open,
        offset=filters.offset,
        limit=filters.limit,
    )
    return {
        "items": [presenters.service_request_out(r) for r in page.items],
        "page": _page(page),
    }


@router.post(
    "/service-requests",
    response={201: ServiceRequestOut, **ERRORS},
    summary="Take a customer's request",
)
def service_request_create(request: AuthedRequest, payload: ServiceRequestIn) -> Status[Any]:
    created = services.service_request_create(actor=request.auth, **payload.model_dump())
    found = selectors.service_request_get(actor=request.auth, request_id=created.pk)
    return Status(201, presenters.service_request_out(found, history=True))


@router.get(
    "/service-requests/{request_id}",
    response={200: ServiceRequestOut, 404: ErrorOut},
    summary="One service request with its history",
)
def service_request_detail(request: AuthedRequest, request_id: int) -> dict[str, Any]:
    found = selectors.service_request_get(actor=request.auth, request_id=request_id)
    return presenters.service_request_out(found, history=True)


@router.patch(
    "/service-requests/{request_id}",
    response={200: ServiceRequestOut, **ERRORS},
    summary="Move a request on: status, department, assignee",
)
def service_request_update(
    request: AuthedRequest, request_id: int, payload: ServiceRequestPatch
) -> dict[str, Any]:
    services.service_request_update(
        actor=request.auth, request_id=request_id, **payload.model_dump()
    )
    found = selectors.service_request_get(actor=request.auth, request_id=request_id)
    return presenters.service_request_out(found, history=True)


# --- calendar feeds ---------------------------------------------------------------------------


@router.get("/calendar-feeds", response=list[CalendarFeedOut], summary="My calendar links")
def calendar_feed_list(request: AuthedRequest) -> list[dict[str, Any]]:
    return [
        presenters.calendar_feed_out(f) for f in selectors.calendar_feed_list(actor=request.auth)
    ]


@router.post(
    "/calendar-feeds",
    response={201: CalendarFeedIssuedOut, **ERRORS},
    summary="Create a secret calendar link (shown once)",
)
def calendar_feed_create(request: AuthedRequest, payload: CalendarFeedIn) -> Status[Any]:
    issued = services.calendar_feed_create(actor=request.auth, label=payload.label)
    out = presenters.calendar_feed_out(issued.feed)
    out["url"] = request.build_absolute_uri(
        reverse("contact:calendar_feed", kwargs={"token": issued.token})
    )
    return Status(201, out)


@router.delete(
    "/calendar-feeds/{feed_id}",
    response={200: CalendarFeedOut, **ERRORS},
    summary="Revoke a calendar link",
)
def calendar_feed_revoke(request: AuthedRequest, feed_id: int) -> dict[str, Any]:
    return presenters.calendar_feed_out(
        services.calendar_feed_revoke(actor=request.auth, feed_id=feed_id)
    )
