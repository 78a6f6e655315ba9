"""The coordination API: work orders, working groups, resource pools. Thin: parse, call
one service or selector, present. Writes accept an ``Idempotency-Key`` header."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.coordination import (
    config,
    escalation,
    groups,
    pools,
    presenters,
    selectors,
    services,
)
from rmdesk.coordination.idempotency import HEADER, idempotent

router = Router(tags=["coordination"])

ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _once(request: AuthedRequest, body: Any, run: Callable[[], tuple[int, Any]]) -> Status[Any]:
    status, response = idempotent(
        actor=request.auth,
        key=request.headers.get(HEADER),
        method=request.method or "POST",
        path=request.path,
        body=body,
        run=run,
    )
    return Status(status, response)


class WorkOrderFilter(Schema):
    view: str = Field(default="all", pattern="^(all|mine|queue|approvals)$")
    status: str = Field(default="", max_length=16)
    open: bool = False
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=settings.RMDESK_PAGE_SIZE, ge=1, le=settings.RMDESK_MAX_PAGE_SIZE)


class StepOut(Schema):
    sequence: int
    kind: str
    status: str


class WorkOrderOut(Schema):
    id: int
    type: str
    type_name: str
    title: str
    status: str
    status_display: str
    customer_id: int | None
    customer_name: str
    prospect_ref: str
    raised_by: str
    raised_by_id: int
    owner_department_id: int | None
    owner_department: str
    assignee_id: int | None
    assignee: str
    current_step: StepOut | None
    amount: str | None
    currency: str
    fields: dict[str, Any]
    due_at: str | None
    escalation_level: int
    hold_state: str
    version: int
    created_at: str | None
    closed_at: str | None


class PageMetaOut(Schema):
    offset: int
    limit: int
    has_more: bool


class WorkOrderPageOut(Schema):
    items: list[WorkOrderOut]
    page: PageMetaOut


class WorkOrderIn(Schema):
    type: str = Field(max_length=40)
    title: str = Field(max_length=200)
    customer_id: int | None = None
    prospect_ref: str = Field(default="", max_length=200)
    amount: Decimal | None = Field(default=None, max_digits=18, decimal_places=2)
    fields: dict[str, Any] = Field(default_factory=dict)
    text: str = Field(default="", max_length=4000)


class TransitionIn(Schema):
    action: str = Field(pattern="^(" + "|".join(services.ACTIONS) + ")$")
    text: str = Field(default="", max_length=4000)
    assignee_id: int | None = None
    department_id: int | None = None
    version: int | None = Field(default=None, description="Refuse (409) if the order changed")


class CommentIn(Schema):
    text: str = Field(min_length=1, max_length=4000)


class EventOut(Schema):
    id: int
    kind: str
    kind_display: str
    actor: str
    actor_id: int | None
    text: str
    created_at: str | None


class WorkOrderTypeOut(Schema):
    code: str
    name: str
    description: str
    fields: list[dict[str, Any]]
    needs_approval: bool
    sla_hours: int
    pool_kind: str


@router.get("/work-order-types", response=list[WorkOrderTypeOut], summary="Work order types")
def work_order_type_list(request: AuthedRequest) -> list[Any]:
    return selectors.work_order_types()


class WorkOrderTypeIn(Schema):
    code: str = Field(pattern="^[a-z0-9_]{1,40}$")
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=4000)
    fields: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    needs_approval: bool = False
    sla_hours: int = Field(default=16, ge=1, le=2000)
    pool_kind: str = Field(default="", max_length=16)
    is_active: bool = True


class RoutingRuleIn(Schema):
    type: str | None = Field(default=None, max_length=40)
    target: str = Field(default="department", max_length=16)
    anchor: str = Field(default="raiser", max_length=16)
    department_kind: str = Field(default="", max_length=32)
    level: str = Field(max_length=16)
    priority: int = Field(default=100, ge=0, le=100_000)
    amount_min: Decimal | None = Field(default=None, max_digits=18, decimal_places=2)
    amount_max: Decimal | None = Field(default=None, max_digits=18, decimal_places=2)
    customer_tier: str = Field(default="", max_length=12)
    customer_kind: str = Field(default="", max_length=16)
    org_unit_id: int | None = None
    sla_hours: int | None = Field(default=None, ge=1, le=2000)


class ApprovalRuleIn(Schema):
    type: str = Field(max_length=40)
    sequence: int = Field(default=1, ge=1, le=20)
    amount_min: Decimal = Field(default=Decimal("0"), max_digits=18, decimal_places=2)
    level: str = Field(max_length=16)
    approver_role: str = Field(default="", max_length=32)
    department_kind: str = Field(default="", max_length=32)
    sla_hours: int | None = Field(default=None, ge=1, le=2000)


class BusinessDayIn(Schema):
    day: dt.date
    is_working: bool
    note: str = Field(default="", max_length=100)


@router.post(
    "/work-order-types",
    response={201: WorkOrderTypeOut, **ERRORS},
    summary="Create or change a work order type (administrators)",
)
def work_order_type_save(request: AuthedRequest, payload: WorkOrderTypeIn) -> Status[Any]:
    saved = config.work_order_type_save(actor=request.auth, **payload.model_dump())
    return Status(201, saved)


@router.post(
    "/routing-rules", response={201: dict[str, Any], **ERRORS}, summary="Add a routing rule"
)
def routing_rule_create(request: AuthedRequest, payload: RoutingRuleIn) -> Status[Any]:
    data = payload.model_dump()
    rule = config.routing_rule_create(actor=request.auth, type_code=data.pop("type"), **data)
    return Status(201, {"id": rule.pk, "priority": rule.priority})


@router.post(
    "/approval-rules", response={201: dict[str, Any], **ERRORS}, summary="Add an approval rule"
)
def approval_rule_create(request: AuthedRequest, payload: ApprovalRuleIn) -> Status[Any]:
    data = payload.model_dump()
    rule = config.approval_rule_create(actor=request.auth, type_code=data.pop("type"), **data)
    return Status(201, {"id": rule.pk, "sequence": rule.sequence})


@router.put(
    "/business-calendar",
    response={200: dict[str, Any], **ERRORS},
    summary="Mark a holiday or a make-up working day",
)
def business_day_set(request: AuthedRequest, payload: BusinessDayIn) -> dict[str, Any]:
    entry = config.business_day_set(actor=request.auth, **payload.model_dump())
    return {"day": entry.day.isoformat(), "is_working": entry.is_working, "note": entry.note}


@router.get("/work-orders", response=WorkOrderPageOut, summary="Work orders I may see")
def work_order_list(request: AuthedRequest, filters: Query[WorkOrderFilter]) -> dict[str, Any]:
    page = selectors.work_order_list(
        actor=request.auth,
        view=filters.view,
        status=filters.status,
        open_only=filters.open,
        offset=filters.offset,
        limit=filters.limit,
    )
    return {
        "items": [presenters.work_order_out(item) for item in page.items],
        "page": {"offset": page.offset, "limit": page.limit, "has_more": page.has_more},
    }


@router.post("/work-orders", response={201: WorkOrderOut, **ERRORS}, summary="Raise a work order")
def work_order_raise(request: AuthedRequest, payload: WorkOrderIn) -> Status[Any]:
    def run() -> tuple[int, Any]:
        work_order = services.work_order_raise(
            actor=request.auth,
            type_code=payload.type,
            title=payload.title,
            customer_id=payload.customer_id,
            prospect_ref=payload.prospect_ref,
            amount=payload.amount,
            fields=payload.fields,
            text=payload.text,
        )
        return 201, presenters.work_order_out(work_order)

    return _once(request, payload.model_dump(mode="json"), run)


@router.get(
    "/work-orders/breach-report",
    response=list[dict[str, Any]],
    summary="SLA breaches per department (work I may see)",
)
def work_order_breach_report(request: AuthedRequest) -> list[dict[str, Any]]:
    return escalation.breach_report(actor=request.auth)


@router.get("/work-orders/{work_order_id}", response={200: WorkOrderOut, **ERRORS})
def work_order_detail(request: AuthedRequest, work_order_id: int) -> dict[str, Any]:
    work_order = selectors.work_order_get(actor=request.auth, work_order_id=work_order_id)
    out = presenters.work_order_out(work_order)
    return out


@router.get("/work-orders/{work_order_id}/events", response={200: list[EventOut], **ERRORS})
def work_order_events(request: AuthedRequest, work_order_id: int) -> list[dict[str, Any]]:
    events = selectors.work_order_events(actor=request.auth, work_order_id=work_order_id)
    return [presenters.event_out(event) for event in events]


@router.post(
    "/work-orders/{work_order_id}/transition",
    response={200: WorkOrderOut, **ERRORS},
    summary="Move a work order: comment, request_info, provide_info, submit, approve, "
    "reject, done, cancel, reassign, escalate",
)
def work_order_transition(
    request: AuthedRequest, work_order_id: int, payload: TransitionIn
) -> Status[Any]:
    def run() -> tuple[int, Any]:
        work_order = services.work_order_transition(
            actor=request.auth,
            work_order_id=work_order_id,
            action=payload.action,
            text=payload.text,
            assignee_id=payload.assignee_id,
            department_id=payload.department_id,
            expected_version=payload.version,
        )
        return 200, presenters.work_order_out(work_order)

    return _once(request, payload.model_dump(mode="json"), run)


@router.post(
    "/work-orders/{work_order_id}/comments",
    response={201: EventOut, **ERRORS},
    summary="Comment on a work order",
)
def work_order_comment(
    request: AuthedRequest, work_order_id: int, payload: CommentIn
) -> Status[Any]:
    def run() -> tuple[int, Any]:
        services.work_order_transition(
            actor=request.auth, work_order_id=work_order_id, action="comment", text=payload.text
        )
        event = selectors.work_order_events(actor=request.auth, work_order_id=work_order_id)[-1]
        return 201, presenters.event_out(event)

    return _once(request, payload.model_dump(mode="json"), run)


@router.post(
    "/work-orders/{work_order_id}/attachments",
    response={201: dict[str, Any], **ERRORS},
    summary="Attach a file (or a reference) to a work order",
)
def work_order_attach(
    request: AuthedRequest,
    work_order_id: int,
    file: UploadedFile | None = File(None),  # type: ignore[type-arg]  # noqa: B008
    reference: str = Form(""),  # type: ignore[type-arg]  # noqa: B008
    name: str = Form(""),  # type: ignore[type-arg]  # noqa: B008
) -> Status[Any]:
    # One byte past the limit is enough for the service to refuse it.
    content = file.read(services.ATTACHMENT_MAX_BYTES + 1) if file is not None else None
    attachment = services.work_order_attach(
        actor=request.auth,
        work_order_id=work_order_id,
        name=name or (file.name if file is not None and file.name else reference),
        content=content,
        content_type=(file.content_type or "") if file is not None else "",
        reference=reference,
    )
    return Status(
        201,
        {
            "id": attachment.pk,
            "name": attachment.name,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "reference": attachment.reference,
        },
    )


# Working groups -------------------------------------------------------------------


class GroupIn(Schema):
    name: str = Field(max_length=200)
    customer_id: int | None = None
    deal_ref: str = Field(default="", max_length=200)
    purpose: str = Field(default="", max_length=4000)
    member_ids: list[int] = Field(default_factory=list, max_length=100)


class MemberIn(Schema):
    staff_id: int
    role: str = Field(default="", max_length=100)


class TaskIn(Schema):
    title: str = Field(max_length=200)
    owner_id: int
    due_on: dt.date | None = None


@router.get("/working-groups", response=list[dict[str, Any]], summary="Working groups I see")
def working_group_list(request: AuthedRequest) -> list[dict[str, Any]]:
    return [presenters.group_out(group) for group in groups.working_group_list(actor=request.auth)]


@router.post("/working-groups", response={201: dict[str, Any], **ERRORS})
def working_group_create(request: AuthedRequest, payload: GroupIn) -> Status[Any]:
    def run() -> tuple[int, Any]:
        group = groups.working_group_create(
            actor=request.auth,
            name=payload.name,
            customer_id=payload.customer_id,
            deal_ref=payload.deal_ref,
            purpose=payload.purpose,
            member_ids=payload.member_ids,
        )
        group = groups.working_group_get(actor=request.auth, group_id=group.pk)
        return 201, presenters.group_out(group, detail=True)

    return _once(request, payload.model_dump(mode="json"), run)


@router.get("/working-groups/{group_id}", response={200: dict[str, Any], **ERRORS})
def working_group_detail(request: AuthedRequest, group_id: int) -> dict[str, Any]:
    group = groups.working_group_get(actor=request.auth, group_id=group_id)
    return presenters.group_out(group, detail=True)


@router.post("/working-groups/{group_id}/members", response={201: dict[str, Any], **ERRORS})
def working_group_member_add(
    request: AuthedRequest, group_id: int, payload: MemberIn
) -> Status[Any]:
    groups.working_group_member_add(
        actor=request.auth, group_id=group_id, staff_id=payload.staff_id, role=payload.role
    )
    group = groups.working_group_get(actor=request.auth, group_id=group_id)
    return Status(201, presenters.group_out(group, detail=True))


@router.delete("/working-groups/{group_id}/members/{staff_id}", response={204: None, **ERRORS})
def working_group_member_remove(
    request: AuthedRequest, group_id: int, staff_id: int
) -> Status[Any]:
    groups.working_group_member_remove(actor=request.auth, group_id=group_id, staff_id=staff_id)
    return Status(204, None)


@router.post("/working-groups/{group_id}/close", response={200: dict[str, Any], **ERRORS})
def working_group_close(request: AuthedRequest, group_id: int) -> dict[str, Any]:
    group = groups.working_group_close(actor=request.auth, group_id=group_id)
    return presenters.group_out(group)


@router.post("/working-groups/{group_id}/tasks", response={201: dict[str, Any], **ERRORS})
def working_group_task_add(request: AuthedRequest, group_id: int, payload: TaskIn) -> Status[Any]:
    task = groups.working_group_task_add(
        actor=request.auth,
        group_id=group_id,
        title=payload.title,
        owner_id=payload.owner_id,
        due_on=payload.due_on,
    )
    return Status(201, {"id": task.pk, "title": task.title, "owner_id": task.owner_id})


@router.post(
    "/working-groups/{group_id}/tasks/{task_id}/done", response={200: dict[str, Any], **ERRORS}
)
def working_group_task_done(request: AuthedRequest, group_id: int, task_id: int) -> dict[str, Any]:
    task = groups.working_group_task_done(actor=request.auth, group_id=group_id, task_id=task_id)
    return {"id": task.pk, "done_at": task.done_at.isoformat() if task.done_at else None}


# Resource pools ---------------------------------------------------------------------


class PoolIn(Schema):
    org_unit_id: int
    kind: str = Field(max_length=16)
    period: str = Field(pattern=r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")
    limit: Decimal = Field(max_digits=18, decimal_places=2)


class AllocateIn(Schema):
    org_unit_id: int
    amount: Decimal = Field(max_digits=18, decimal_places=2)


@router.get("/resource-pools", response=list[dict[str, Any]], summary="Resource pools I see")
def resource_pool_list(request: AuthedRequest) -> list[dict[str, Any]]:
    return [presenters.pool_out(pool) for pool in pools.pool_list(actor=request.auth)]


@router.post("/resource-pools", response={201: dict[str, Any], **ERRORS})
def resource_pool_create(request: AuthedRequest, payload: PoolIn) -> Status[Any]:
    def run() -> tuple[int, Any]:
        pool = pools.pool_create(
            actor=request.auth,
            org_unit_id=payload.org_unit_id,
            kind=payload.kind,
            period=payload.period,
            limit_amount=payload.limit,
        )
        return 201, presenters.pool_out(pools.pool_get(actor=request.auth, pool_id=pool.pk))

    return _once(request, payload.model_dump(mode="json"), run)


@router.get("/resource-pools/{pool_id}", response={200: dict[str, Any], **ERRORS})
def resource_pool_detail(request: AuthedRequest, pool_id: int) -> dict[str, Any]:
    pool = pools.pool_get(actor=request.auth, pool_id=pool_id)
    out = presenters.pool_out(pool)
    out["ledger"] = [
        presenters.entry_out(entry)
        for entry in pools.pool_entries(actor=request.auth, pool_id=pool_id)
    ]
    return out


@router.post("/resource-pools/{pool_id}/allocate", response={201: dict[str, Any], **ERRORS})
def resource_pool_allocate(
    request: AuthedRequest, pool_id: int, payload: AllocateIn
) -> Status[Any]:
    def run() -> tuple[int, Any]:
        child = pools.pool_allocate(
            actor=request.auth,
            pool_id=pool_id,
            org_unit_id=payload.org_unit_id,
            amount=payload.amount,
        )
        return 201, presenters.pool_out(pools.pool_get(actor=request.auth, pool_id=child.pk))

    return _once(request, payload.model_dump(mode="json"), run)
