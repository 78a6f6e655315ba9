"""Business resource pools: budgets split down the org tree, never overspent.

Every movement is a conditional UPDATE (``… WHERE limit >= held + booked + allocated +
amount``) backed by the ``coordination_pool_never_overspent`` CHECK constraint, and
writes one ledger entry whose ``delta`` is its effect on availability, so the deltas of
a pool add up to ``limit - held - booked - allocated`` at all times. A work order holds
its amount when raised, books it when approved and releases it when rejected or
cancelled; each at most once (its ``hold_state`` under the work order's row lock, and a
unique ledger constraint behind it), so retries move nothing twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.coordination.access import HEAD_ROLES, can_manage_routing
from rmdesk.coordination.models import PoolEntry, ResourcePool, WorkOrder
from rmdesk.coordination.routing import ancestors
from rmdesk.core.errors import DomainError
from rmdesk.core.retry import retried_transaction
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.roles import Role

CENT = Decimal("0.01")
BANK_WIDE_ROLES = frozenset({Role.HQ_ANALYST, Role.COMPLIANCE_AUDITOR})


def _amount(value: Decimal) -> Decimal:
    if value <= 0:
        raise DomainError(
            _("The amount must be positive."),
            code="invalid_amount",
            details={"field": "amount", "reason": _("The amount must be positive.")},
        )
    if value != value.quantize(CENT):
        raise DomainError(
            _("At most two decimal places."),
            code="invalid_amount",
            details={"field": "amount", "reason": _("At most two decimal places.")},
        )
    return value


def periods_of(day: dt.date) -> list[str]:
    """The period names a day belongs to, finest first: 2026-11, 2026-Q4, 2026."""
    quarter = (day.month - 1) // 3 + 1
    return [f"{day.year}-{day.month:02d}", f"{day.year}-Q{quarter}", str(day.year)]


def pool_for(*, kind: str, unit: OrgUnit, day: dt.date) -> ResourcePool | None:
    """The pool a request from ``unit`` draws on: the nearest unit's, finest period first."""
    chain = ancestors(unit)
    periods = periods_of(day)
    pools = list(
        ResourcePool.objects.filter(
            kind=kind, org_unit_id__in=[node.pk for node in chain], period__in=periods
        )
    )
    if not pools:
        return None
    depth = {node.pk: index for index, node in enumerate(chain)}
    pools.sort(key=lambda pool: (depth[pool.org_unit_id], periods.index(pool.period)))
    return pools[0]


def can_allocate_from(actor: Staff, pool: ResourcePool) -> bool:
    """Administrators, and the head of the pool's own unit."""
    if can_manage_routing(actor):
        return True
    return bool(actor.role_codes & HEAD_ROLES) and actor.org_unit_id == pool.org_unit_id


def _entry(
    *,
    pool_id: int,
    kind: PoolEntry.Kind,
    amount: Decimal,
    delta: Decimal,
    actor: Staff | None,
    work_order: WorkOrder | None = None,
    note: str = "",
) -> PoolEntry:
    return PoolEntry.objects.create(
        pool_id=pool_id,
        kind=kind,
        amount=amount,
        delta=delta,
        actor=actor,
        work_order=work_order,
        note=note[:200],
        created_at=timezone.now(),
    )


@transaction.atomic
def pool_create(
    *, actor: Staff, org_unit_id: int, kind: str, period: str, limit_amount: Decimal
) -> ResourcePool:
    """A top-level pool (usually head office's), granted ``limit_amount``. Administrators only.

    Raises PermissionDenied, DomainError("pool_exists"/"invalid_amount"/"invalid_kind").
    """
    if not can_manage_routing(actor):
        raise PermissionDenied
    if kind not in ResourcePool.Kind.values or not kind:
        raise DomainError(
            _("Unknown resource kind."),
            code="invalid_kind",
            details={"field": "kind", "reason": _("Unknown resource kind.")},
        )
    limit_amount = _amount(limit_amount)
    unit = OrgUnit.objects.filter(pk=org_unit_id).first()
    if unit is None:
        raise Http404
    try:
        with transaction.atomic():
            pool = ResourcePool.objects.create(
                org_unit=unit, kind=kind, period=period, limit_amount=limit_amount
            )
    except IntegrityError:
        raise DomainError(
            _("This unit already has a pool of this kind for the period."), code="pool_exists"
        ) from None
    _entry(
        pool_id=pool.pk,
        kind=PoolEntry.Kind.ALLOCATE,
        amount=limit_amount,
        delta=limit_amount,
        actor=actor,
        note="grant",
    )
    audit_record(
        actor=actor,
        action="coordination.pool.created",
        target=pool,
        data={"kind": kind, "period": period, "limit": str(limit_amount)},
    )
    return pool


@retried_transaction()
def pool_allocate(*, actor: Staff, pool_id: int, org_unit_id: int, amount: Decimal) -> ResourcePool:
    """Carve ``amount`` out of a pool for a unit directly below (its pool is created on
    first allocation). Returns the child pool.

    Locks both pools in primary-key order. Raises PermissionDenied,
    DomainError("pool_exhausted"/"not_a_child_unit"/"invalid_amount").
    """
    amount = _amount(amount)
    parent = ResourcePool.objects.select_related("org_unit").filter(pk=pool_id).first()
    if parent is None:
        raise Http404
    if not can_allocate_from(actor, parent):
        raise PermissionDenied
    unit = OrgUnit.objects.filter(pk=org_unit_id, parent_id=parent.org_unit_id).first()
    if unit is None:
        raise DomainError(
            _("Resources are allocated to the units directly below the pool's unit."),
            code="not_a_child_unit",
            details={"field": "org_unit_id", "reason": _("Not a unit directly below.")},
        )
    child, _created = ResourcePool.objects.get_or_create(
        org_unit=unit, kind=parent.kind, period=parent.period, defaults={"parent": parent}
    )
    list(
        ResourcePool.objects.select_for_update()
        .filter(pk__in=[parent.pk, child.pk])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    moved = ResourcePool.objects.filter(
        pk=parent.pk, limit_amount__gte=F("held") + F("booked") + F("allocated") + amount
    ).update(allocated=F("allocated") + amount, updated_at=timezone.now())
    if not moved:
        raise DomainError(_("The pool does not have that much left."), code="pool_exhausted")
    ResourcePool.objects.filter(pk=child.pk).update(
        limit_amount=F("limit_amount") + amount, parent=parent, updated_at=timezone.now()
    )
    _entry(
        pool_id=parent.pk,
        kind=PoolEntry.Kind.ALLOCATE,
        amount=amount,
        delta=-amount,
        actor=actor,
        note=f"to {unit.code}",
    )
    _entry(
        pool_id=child.pk,
        kind=PoolEntry.Kind.ALLOCATE,
        amount=amount,
        delta=amount,
        actor=actor,
        note=f"from {parent.org_unit.code}",
    )
    audit_record(
        actor=actor,
        action="coordination.pool.allocated",
        target=child,
        data={"from_pool": parent.pk, "amount": str(amount)},
    )
    child.refresh_from_db()
    return child


def pool_hold(*, actor: Staff, work_order: WorkOrder, pool: ResourcePool, amount: Decimal) -> None:
    """Hold ``amount`` for a work order being raised. Caller holds the transaction.

    The conditional UPDATE takes the pool's row lock and checks the room in one
    statement; DomainError("pool_exhausted") when there is not enough.
    """
    amount = _amount(amount)
    moved = ResourcePool.objects.filter(
        pk=pool.pk, limit_amount__gte=F("held") + F("booked") + F("allocated") + amount
    ).update(held=F("held") + amount, updated_at=timezone.now())
    if not moved:
        raise DomainError(
            _("The %(pool)s has not enough left for this request.") % {"pool": pool},
            code="pool_exhausted",
            details={"field": "amount", "reason": _("Not enough left in the pool.")},
        )
    work_order.pool = pool
    work_order.pool_amount = amount
    work_order.hold_state = WorkOrder.HoldState.HELD
    _entry(
        pool_id=pool.pk,
        kind=PoolEntry.Kind.HOLD,
        amount=amount,
        delta=-amount,
        actor=actor,
        work_order=work_order,
    )


def pool_settle(*, actor: Staff | None, work_order: WorkOrder, book: bool) -> None:
    """Book (approved) or release (rejected, cancelled) what a work order holds.

    Precondition: the work order's row is locked. A no-op unless it still holds.
    """
    if work_order.hold_state != WorkOrder.HoldState.HELD or work_order.pool_id is None:
        return
    amount = work_order.pool_amount or Decimal("0")
    changes = {"held": F("held") - amount, "updated_at": timezone.now()}
    if book:
        changes["booked"] = F("booked") + amount
    ResourcePool.objects.filter(pk=work_order.pool_id).update(**changes)
    _entry(
        pool_id=work_order.pool_id,
        kind=PoolEntry.Kind.BOOK if book else PoolEntry.Kind.RELEASE,
        amount=amount,
        delta=Decimal("0") if book else amount,
        actor=actor,
        work_order=work_order,
    )
    work_order.hold_state = WorkOrder.HoldState.BOOKED if book else WorkOrder.HoldState.RELEASED


def pools_visible_to(actor: Staff) -> QuerySet[ResourcePool]:
    """Pools of the actor's unit, its subtree and the units above it; all of them for
    administrators and head-office roles."""
    pools = ResourcePool.objects.select_related("org_unit", "parent")
    if can_manage_routing(actor) or actor.role_codes & BANK_WIDE_ROLES:
        return pools
    if actor.org_unit is None or not actor.is_active:
        return pools.none()
    chain = [unit.pk for unit in ancestors(actor.org_unit)]
    return pools.filter(
        Q(org_unit__path__startswith=actor.org_unit.path) | Q(org_unit_id__in=chain)
    )


def pool_list(*, actor: Staff, limit: int = 500) -> list[ResourcePool]:
    return list(pools_visible_to(actor).order_by("period", "kind", "org_unit__path")[:limit])


def pool_get(*, actor: Staff, pool_id: int) -> ResourcePool:
    pool = pools_visible_to(actor).filter(pk=pool_id).first()
    if pool is None:
        raise Http404
    return pool


def pool_entries(*, actor: Staff, pool_id: int, limit: int = 200) -> list[PoolEntry]:
    pool = pool_get(actor=actor, pool_id=pool_id)
    return list(PoolEntry.objects.filter(pool=pool).select_related("actor").order_by("-id")[:limit])
