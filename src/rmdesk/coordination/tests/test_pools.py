from __future__ import annotations

import json
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test import Client

from rmdesk.coordination import pools, services
from rmdesk.coordination.models import PoolEntry, ResourcePool, WorkOrder
from rmdesk.coordination.selectors import pool_ledger_sum
from rmdesk.coordination.tests.conftest import Desk
from rmdesk.coordination.tests.test_work_orders import PRICING, act, raise_pricing
from rmdesk.core.errors import DomainError
from rmdesk.org.models import Staff
from rmdesk.org.roles import Role
from rmdesk.org.tests.factories import StaffFactory

NOON = "2026-11-25T12:00:00+08:00"


def balanced(pool: ResourcePool) -> bool:
    pool.refresh_from_db()
    held = sum(
        (e.amount if e.kind == "hold" else -e.amount)
        for e in pool.entries.filter(kind__in=["hold", "release", "book"])
    )
    return pool_ledger_sum(pool.pk) == pool.available and held == pool.held


def carve(desk: Desk, limit: str = "100", branch: str = "80", sub: str = "50") -> ResourcePool:
    """Head office 100 bp → branch A 80 → sub-branch A1 50."""
    top = pools.pool_create(
        actor=desk.cast.admin,
        org_unit_id=desk.cast.head_office.pk,
        kind="pricing_bp",
        period="2026",
        limit_amount=Decimal(limit),
    )
    branch_pool = pools.pool_allocate(
        actor=desk.cast.admin,
        pool_id=top.pk,
        org_unit_id=desk.cast.branch_a.pk,
        amount=Decimal(branch),
    )
    return pools.pool_allocate(
        actor=desk.cast.branch_head,
        pool_id=branch_pool.pk,
        org_unit_id=desk.cast.sub_a1.pk,
        amount=Decimal(sub),
    )


@time_machine.travel(NOON, tick=False)
def test_carving_down_the_tree(desk: Desk) -> None:
    sub = carve(desk)
    branch = ResourcePool.objects.get(org_unit=desk.cast.branch_a)
    top = ResourcePool.objects.get(org_unit=desk.cast.head_office)
    assert (top.limit_amount, top.allocated, top.available) == (100, 80, 20)
    assert (branch.limit_amount, branch.allocated, branch.available) == (80, 50, 30)
    assert (sub.limit_amount, sub.available, sub.parent_id) == (50, 50, branch.pk)
    assert all(balanced(p) for p in (top, branch, sub))
    with pytest.raises(DomainError) as exhausted:
        pools.pool_allocate(
            actor=desk.cast.branch_head,
            pool_id=branch.pk,
            org_unit_id=desk.cast.sub_a2.pk,
            amount=Decimal("31"),
        )
    assert exhausted.value.code == "pool_exhausted"
    with pytest.raises(PermissionDenied):
        pools.pool_allocate(
            actor=desk.cast.other_branch_head,
            pool_id=branch.pk,
            org_unit_id=desk.cast.sub_a2.pk,
            amount=Decimal("1"),
        )
    with pytest.raises(DomainError) as not_child:
        pools.pool_allocate(
            actor=desk.cast.admin,
            pool_id=top.pk,
            org_unit_id=desk.cast.sub_b1.pk,
            amount=Decimal("1"),
        )
    assert not_child.value.code == "not_a_child_unit"


@time_machine.travel(NOON, tick=False)
def test_hold_book_release_through_work_orders(desk: Desk) -> None:
    pool = carve(desk)
    approved = raise_pricing(desk, amount="20")
    rejected = raise_pricing(desk, amount="15")
    cancelled = raise_pricing(desk, amount="10")
    pool.refresh_from_db()
    assert pool.held == 45
    assert pool.available == 5
    with pytest.raises(DomainError) as exhausted:
        raise_pricing(desk, amount="6")
    assert exhausted.value.code == "pool_exhausted"
    assert WorkOrder.objects.count() == 3  # nothing written for the refused one

    act(desk.credit_officer, approved, "submit")
    act(desk.cast.subbranch_head, approved, "approve")
    act(desk.credit_officer, rejected, "reject", "不符合政策")
    act(desk.cast.manager, cancelled, "cancel")
    pool.refresh_from_db()
    assert (pool.held, pool.booked, pool.available) == (0, 20, 30)
    assert balanced(pool)
    kinds = sorted(pool.entries.exclude(kind="allocate").values_list("kind", flat=True))
    assert kinds == ["book", "hold", "hold", "hold", "release", "release"]


@time_machine.travel(NOON, tick=False)
def test_settling_twice_moves_nothing(desk: Desk) -> None:
    pool = carve(desk)
    work_order = raise_pricing(desk, amount="10")
    with transaction.atomic():
        locked = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
        pools.pool_settle(actor=None, work_order=locked, book=False)
        pools.pool_settle(actor=None, work_order=locked, book=False)
        locked.save()
    pool.refresh_from_db()
    assert pool.held == 0
    assert balanced(pool)


def test_check_constraint_refuses_overspending(desk: Desk) -> None:
    """RELIABILITY.md E1, E7."""
    pool = ResourcePool.objects.create(
        org_unit=desk.cast.sub_a1, kind="gift_cny", period="2026", limit_amount=Decimal("10")
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourcePool.objects.filter(pk=pool.pk).update(held=F("held") + Decimal("11"))


@time_machine.travel(NOON, tick=False)
def test_idempotent_retry_holds_once(desk: Desk, client_for: Callable[[Staff], Client]) -> None:
    """RELIABILITY.md E3."""
    pool = carve(desk)
    client = client_for(desk.cast.manager)
    body = json.dumps(
        {
            "type": "pricing_exception",
            "title": "利率优惠",
            "amount": "12",
            "customer_id": desk.cast.own.pk,
            "fields": PRICING,
        }
    )
    for _ in range(3):
        response = client.post(
            "/api/v1/work-orders", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
        )
        assert response.status_code == 201
    pool.refresh_from_db()
    assert pool.held == 12
    assert balanced(pool)


def test_pool_visibility(desk: Desk, client_for: Callable[[Staff], Client]) -> None:
    with time_machine.travel(NOON, tick=False):
        sub = carve(desk)
    far = client_for(desk.cast.far_manager)
    assert far.get(f"/api/v1/resource-pools/{sub.pk}").status_code == 404
    mine = client_for(desk.cast.manager)
    detail = mine.get(f"/api/v1/resource-pools/{sub.pk}")
    assert detail.status_code == 200
    assert detail.json()["available"] == "50.00"
    refused = mine.post(
        f"/api/v1/resource-pools/{sub.pk}/allocate",
        json.dumps({"org_unit_id": desk.cast.sub_a1.pk, "amount": "1"}),
        content_type="application/json",
    )
    assert refused.status_code == 403


def _run_parallel(count: int, work: Callable[[int], Any]) -> list[Any]:
    results: list[Any] = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - every outcome is inspected below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_never_overspend_a_pool(desk: Desk) -> None:
    """Many managers ask for a concession at once; the pool ends at or under its limit
    and the ledger adds up to the balance. (RELIABILITY.md E1)"""
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent writers need PostgreSQL (SQLite serialises writers)")
    pool = carve(desk, limit="100", branch="100", sub="100")
    managers = [
        StaffFactory(
            username=f"rm-par-{n}", org_unit=desk.cast.sub_a1, roles=[Role.ACCOUNT_MANAGER]
        )
        for n in range(16)
    ]

    def raise_one(index: int) -> WorkOrder:
        return services.work_order_raise(
            actor=managers[index],
            type_code="pricing_exception",
            title=f"并发 {index}",
            prospect_ref=f"客户{index}",
            amount=Decimal("15"),
            fields=PRICING,
        )

    results = _run_parallel(len(managers), raise_one)
    won = [r for r in results if isinstance(r, WorkOrder)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) + len(lost) == len(managers), results
    assert all(error.code == "pool_exhausted" for error in lost)
    assert len(won) == 6  # 6 × 15 = 90 ≤ 100 < 105
    pool.refresh_from_db()
    assert pool.held == 90
    assert pool.held + pool.booked + pool.allocated <= pool.limit_amount
    assert balanced(pool)

    # Settle them all at once: half approved (booked), half cancelled (released).
    def settle(index: int) -> WorkOrder:
        work_order = won[index]
        raiser = next(m for m in managers if m.pk == work_order.raised_by_id)
        if index % 2:
            return act(raiser, work_order, "cancel")
        act(desk.credit_officer, work_order, "submit")
        return act(desk.cast.subbranch_head, work_order, "approve")

    settled = _run_parallel(len(won), settle)
    assert all(isinstance(r, WorkOrder) for r in settled), settled
    pool.refresh_from_db()
    assert (pool.held, pool.booked) == (0, 45)
    assert pool.held + pool.booked + pool.allocated <= pool.limit_amount
    assert balanced(pool)
    assert PoolEntry.objects.filter(pool=pool, kind="hold").count() == 6
