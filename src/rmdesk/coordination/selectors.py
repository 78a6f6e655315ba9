"""Reads of work orders, always through ``access.work_order_q``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.coordination.access import HEAD_ROLES, work_order_q
from rmdesk.coordination.models import (
    CLOCK_STATUSES,
    OPEN_STATUSES,
    Attachment,
    ResourcePool,
    Step,
    TimelineEvent,
    WorkOrder,
    WorkOrderType,
)
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import NOTHING, any_of

VIEWS = ("all", "mine", "queue", "approvals")


def work_orders_visible_to(actor: Staff) -> QuerySet[WorkOrder]:
    """Every work order ``actor`` may see, and nothing else."""
    return WorkOrder.objects.filter(work_order_q(actor))


def _with_related(rows: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    return rows.select_related(
        "work_order_type",
        "customer",
        "raised_by",
        "owner_department__org_unit",
        "owner_unit",
        "assignee",
        "current_step",
    )


@dataclass(frozen=True)
class WorkOrderPage:
    items: list[WorkOrder]
    offset: int
    limit: int
    has_more: bool


def work_order_list(
    *,
    actor: Staff,
    view: str = "all",
    status: str = "",
    open_only: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> WorkOrderPage:
    """A page of visible work orders.

    ``mine``: raised by or assigned to the actor; ``queue``: open work of the actor's
    department, most urgent first (SLA due, then age); ``approvals``: approvals waiting
    for the actor. No count: ``limit + 1`` rows tell whether there is more.
    """
    rows = work_orders_visible_to(actor)
    order: tuple[str, ...] = ("-id",)
    if view == "mine":
        rows = rows.filter(Q(raised_by=actor) | Q(assignee=actor))
    elif view == "queue":
        queue = NOTHING
        if actor.department_id is not None:
            queue = Q(owner_department_id=actor.department_id)
        if actor.role_codes & HEAD_ROLES and actor.org_unit_id is not None:
            # Work routed to the head of the actor's unit.
            queue = any_of(
                queue,
                Q(
                    current_step__kind=Step.Kind.HANDLE,
                    current_step__department__isnull=True,
                    current_step__org_unit_id=actor.org_unit_id,
                ),
            )
        rows = rows.filter(queue, status__in=OPEN_STATUSES)
        order = ("due_at", "id")
    elif view == "approvals":
        waiting = Step.objects.filter(kind=Step.Kind.APPROVE, status=Step.Status.ACTIVE).filter(
            Q(department_id=actor.department_id, department__isnull=False)
            | Q(org_unit_id=actor.org_unit_id, approver_role__in=sorted(actor.role_codes))
        )
        rows = rows.filter(current_step__in=waiting, status=WorkOrder.Status.IN_APPROVAL)
        order = ("due_at", "id")
    if status:
        rows = rows.filter(status=status)
    if open_only:
        rows = rows.filter(status__in=OPEN_STATUSES)
    items = list(_with_related(rows).order_by(*order)[offset : offset + limit + 1])
    return WorkOrderPage(
        items=items[:limit], offset=offset, limit=limit, has_more=len(items) > limit
    )


def work_order_get(*, actor: Staff, work_order_id: int) -> WorkOrder:
    """One work order with its steps, timeline and attachments (a constant number of
    queries), or Http404."""
    work_order = (
        _with_related(work_orders_visible_to(actor))
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=Step.objects.select_related(
                    "org_unit", "department", "decided_by"
                ).order_by("sequence"),
                to_attr="step_list",
            ),
            Prefetch(
                "events",
                queryset=TimelineEvent.objects.select_related("actor").order_by("created_at", "id"),
                to_attr="event_list",
            ),
            Prefetch(
                "attachments",
                queryset=Attachment.objects.select_related("uploaded_by").order_by("id"),
                to_attr="attachment_list",
            ),
        )
        .filter(pk=work_order_id)
        .first()
    )
    if work_order is None:
        raise Http404
    return work_order


def work_order_events(*, actor: Staff, work_order_id: int) -> list[TimelineEvent]:
    if not work_orders_visible_to(actor).filter(pk=work_order_id).exists():
        raise Http404
    return list(
        TimelineEvent.objects.filter(work_order_id=work_order_id)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def attachment_get(*, actor: Staff, work_order_id: int, attachment_id: int) -> Attachment:
    if not work_orders_visible_to(actor).filter(pk=work_order_id).exists():
        raise Http404
    attachment = Attachment.objects.filter(pk=attachment_id, work_order_id=work_order_id).first()
    if attachment is None:
        raise Http404
    return attachment


def work_order_types() -> list[WorkOrderType]:
    return list(WorkOrderType.objects.filter(is_active=True).order_by("name"))


AGE_BUCKETS = ((1, "< 1d"), (3, "1–3d"), (7, "3–7d"), (None, "> 7d"))


def open_work_by_department(*, actor: Staff) -> list[dict[str, Any]]:
    """Visible open work per owner department and age bucket (one grouped query)."""
    now = timezone.now()
    day = dt.timedelta(days=1)
    annotations = {}
    lower = None
    for index, (upper, _label) in enumerate(AGE_BUCKETS):
        condition = Q()
        if upper is not None:
            condition &= Q(created_at__gt=now - upper * day)
        if lower is not None:
            condition &= Q(created_at__lte=now - lower * day)
        annotations[f"age{index}"] = Count("pk", filter=condition)
        lower = upper
    rows = (
        work_orders_visible_to(actor)
        .filter(status__in=OPEN_STATUSES)
        .values("owner_department_id", "owner_department__name", "owner_unit__name")
        .annotate(
            total=Count("pk"),
            overdue=Count("pk", filter=Q(status__in=CLOCK_STATUSES, due_at__lte=now)),
            **annotations,
        )
        .order_by("-total", "owner_unit__name")
    )
    return [
        {
            "department_id": row["owner_department_id"],
            "department": f"{row['owner_unit__name']} {row['owner_department__name']}"
            if row["owner_department_id"] is not None
            else _("The head of %(unit)s") % {"unit": row["owner_unit__name"]},
            "total": row["total"],
            "overdue": row["overdue"],
            "ages": [row[f"age{index}"] for index in range(len(AGE_BUCKETS))],
        }
        for row in rows
    ]


def pool_usage(*, pools: QuerySet[ResourcePool]) -> list[dict[str, Any]]:
    zero = Decimal("0")
    return [
        {
            "pool": pool,
            "limit": pool.limit_amount,
            "used": pool.held + pool.booked,
            "allocated": pool.allocated,
            "share": float((pool.held + pool.booked + pool.allocated) / pool.limit_amount)
            if pool.limit_amount > zero
            else 0.0,
        }
        for pool in pools
    ]


def pool_ledger_sum(pool_id: int) -> Decimal:
    from rmdesk.coordination.models import PoolEntry

    total = PoolEntry.objects.filter(pool_id=pool_id).aggregate(
        total=Coalesce(Sum("delta"), Decimal("0"))
    )["total"]
    return Decimal(total)


# --- headlines (the home pages' blocks) -------------------------------------------------

# An open work order due within this long counts as due soon.
DUE_SOON = dt.timedelta(days=1)
SLA_STATES = ("breached", "due_soon", "on_time")


def _sla_conditions(now: dt.datetime) -> dict[str, Q]:
    breached = Q(sla_breached_at__isnull=False) | Q(status__in=CLOCK_STATUSES, due_at__lte=now)
    due_soon = ~breached & Q(status__in=CLOCK_STATUSES, due_at__lte=now + DUE_SOON)
    return {"breached": breached, "due_soon": due_soon, "on_time": ~breached & ~due_soon}


def _age_conditions(now: dt.datetime) -> list[Q]:
    day = dt.timedelta(days=1)
    conditions = []
    lower = None
    for upper, _label in AGE_BUCKETS:
        condition = Q()
        if upper is not None:
            condition &= Q(created_at__gt=now - upper * day)
        if lower is not None:
            condition &= Q(created_at__lte=now - lower * day)
        conditions.append(condition)
        lower = upper
    return conditions


def sla_state(work_order: WorkOrder, now: dt.datetime) -> str:
    """Where one open work order stands against its SLA: breached, due soon or on time."""
    clock = work_order.status in CLOCK_STATUSES
    if work_order.sla_breached_at is not None or (
        clock and work_order.due_at is not None and work_order.due_at <= now
    ):
        return "breached"
    if clock and work_order.due_at is not None and work_order.due_at <= now + DUE_SOON:
        return "due_soon"
    return "on_time"


@dataclass(frozen=True)
class Queue:
    """Open work of a department: counts by age bucket and SLA state, and the first items."""

    items: list[WorkOrder]
    # counts[age bucket index][state] for the states of SLA_STATES
    counts: list[dict[str, int]]
    total: int
    by_state: dict[str, int]


def department_queue(*, actor: Staff, limit: int = 10) -> Queue:
    """The open work routed to the actor's department, soonest due first, counted by age
    and SLA state. Two queries; an actor without a department has an empty queue."""
    empty_counts = [dict.fromkeys(SLA_STATES, 0) for _bucket in AGE_BUCKETS]
    if actor.department_id is None:
        return Queue([], empty_counts, 0, dict.fromkeys(SLA_STATES, 0))
    now = timezone.now()
    rows = work_orders_visible_to(actor).filter(
        owner_department_id=actor.department_id, status__in=OPEN_STATUSES
    )
    states = _sla_conditions(now)
    ages = _age_conditions(now)
    annotations = {
        f"a{index}_{state}": Count("pk", filter=age & condition)
        for index, age in enumerate(ages)
        for state, condition in states.items()
    }
    found = rows.aggregate(**annotations)
    counts = [
        {state: int(found[f"a{index}_{state}"]) for state in SLA_STATES}
        for index in range(len(ages))
    ]
    by_state = {state: sum(bucket[state] for bucket in counts) for state in SLA_STATES}
    items = list(
        _with_related(rows).order_by(F("due_at").asc(nulls_last=True), "created_at", "id")[:limit]
    )
    return Queue(items, counts, sum(by_state.values()), by_state)


def work_orders_waiting_on(
    *, actor: Staff, staff_id: int, limit: int = 5
) -> tuple[list[WorkOrder], int]:
    """Visible open work orders that wait on a member of staff: raised by them and sent back
    for information, or assigned to them while the clock runs. Soonest due first. Two
    queries."""
    rows = work_orders_visible_to(actor).filter(
        Q(raised_by_id=staff_id, status=WorkOrder.Status.INFO_REQUESTED)
        | Q(assignee_id=staff_id, status__in=CLOCK_STATUSES)
    )
    items = list(
        _with_related(rows).order_by(F("due_at").asc(nulls_last=True), "created_at", "id")[:limit]
    )
    return items, rows.count()


def breaches_by_unit(*, actor: Staff, units: list[OrgUnit]) -> dict[int, dict[str, int]]:
    """Per org unit (its subtree, by owner unit): visible open work and how much of it has
    breached its SLA. One query."""
    if not units:
        return {}
    breached = _sla_conditions(timezone.now())["breached"]
    annotations: dict[str, Any] = {}
    for unit in units:
        under = Q(owner_unit__path__startswith=unit.path)
        annotations[f"o{unit.pk}"] = Count("pk", filter=under)
        annotations[f"b{unit.pk}"] = Count("pk", filter=under & breached)
    found = work_orders_visible_to(actor).filter(status__in=OPEN_STATUSES).aggregate(**annotations)
    return {
        unit.pk: {"open": int(found[f"o{unit.pk}"]), "breached": int(found[f"b{unit.pk}"])}
        for unit in units
    }
